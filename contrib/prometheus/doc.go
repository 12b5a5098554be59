// Package prometheus exposes a Grove engine's metrics to Prometheus through
// github.com/prometheus/client_golang. It is its own Go module
// (github.com/grove-engine/grove/contrib/prometheus), so that a game that
// does not use Prometheus never downloads client_golang and its
// dependencies: the core module's go.mod stays as small as the design
// card lists it.
//
//   - [Recorder] samples the engine from the game loop: call
//     [Recorder.Observe] once per frame, after Tick (or after
//     deploy.Orchestrator.Tick). It adds each version's step time per entity
//     to a histogram and publishes an immutable snapshot of the engine's
//     metrics every [WithInterval] of simulated time.
//   - [Collector] is a prometheus.Collector over a recorder: a scrape reads
//     the latest snapshot with one atomic load, so it never takes an engine
//     lock and never waits for, or delays, a frame.
//
// Every field of versioning.ModuleMetrics and versioning.VersionMetrics is
// exposed, with the labels module and version, under names that follow the
// Prometheus conventions (grove_ prefix, base units, _total on counters;
// the version's state as a state set), plus the histogram
// grove_version_step_per_entity_seconds and, with [WithDeployments], each
// rollout's phase, weights, roles and verdicts. The names are the ones the
// demo's hand-written /metrics page serves (both come from one list in the
// core module).
//
// Typical use:
//
//	rec, err := groveprom.NewRecorder(engine, groveprom.WithDeployments(orchestrator))
//	...
//	prometheus.MustRegister(groveprom.NewCollector(rec))
//	http.Handle("/metrics", promhttp.Handler())
//	for { engine.Tick(dt); rec.Observe() }
//
// There are no build tags.
package prometheus
