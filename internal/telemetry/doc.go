// Package telemetry turns an engine's metrics into Prometheus metric
// families, for the two places that expose them: the client_golang
// collector of the separate module contrib/prometheus, and the demo's
// /metrics page, which the core module serves without client_golang. Both
// take the names, help texts, types and labels from [Defs], so one list
// says what a Grove metric is called wherever it is scraped.
//
//   - [Recorder] is what the game loop calls once per frame, after Tick
//     ([Recorder.Observe]): it adds the frame's step time per entity of
//     every version ([versioning.Engine.LastFrame]) to a histogram, and
//     every [Config].Every of simulated time publishes an immutable
//     [Snapshot] (module and version metrics, the histograms, the
//     deployments' status). Scrapers read the latest snapshot
//     ([Recorder.Snapshot]) with one atomic load: a scrape never takes an
//     engine lock and never waits for, or delays, a frame.
//   - [Families] converts a snapshot to [Family] values (every [Def] in
//     order, with its samples), and [WriteText] writes them in the
//     Prometheus text exposition format 0.0.4.
//
// Naming follows the Prometheus conventions: a grove_ prefix, base units
// (seconds, bytes, ratios 0..1) as suffixes, _total on counters, state
// sets as one gauge per state with the state as a label, and the labels
// module and version (plus rollout for a deployment).
//
// There are no build tags.
package telemetry
