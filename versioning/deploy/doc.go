// Package deploy automates rollouts of new versions of a module on a
// [versioning.Engine]: canaries, rolling updates, blue-green switches, A/B
// tests and shadow runs, judged by statistics fit for small canaries and
// decided every frame. It is policy over the engine's mechanism: it drives
// the engine only through its public API and the engine knows nothing of
// it.
//
// The game loop calls [Orchestrator.Step] once per frame after
// [versioning.Engine.Tick] (or [Orchestrator.Tick], which does both).
// [Orchestrator.Deploy] starts a rollout from a [Spec]: the module, the
// candidate version, a [Strategy] and an [Analysis]. Decisions use only
// simulated time ([versioning.Engine.Now]) and what the engine measured, so
// the same frames give the same decisions.
//
// Strategies are values of the small [Strategy] interface whose
// [Strategy.Next] is a pure function from an [Observation] (the rollout's
// state, the analysis, a person's [Command]) to a [Decision] (hold,
// advance, pause, resume, roll back, complete, abort, with its reason and
// numbers). The built-in ones are [Canary], [Rolling], [BlueGreen],
// [ABTest] and [Shadow]; [Planner] lets a strategy check its settings and
// shape the run. Custom strategies are registered by name
// ([Orchestrator.Register]) and listed with [Orchestrator.Strategies].
//
// The analysis ([Analysis], [Result], [MetricResult]) samples every
// version's last frame ([versioning.Engine.LastFrame],
// [versioning.Engine.Metrics]): error events (soft errors reported through
// [ecs.View.ReportSoftErrors] and failed steps, including those the
// module's [versioning.FailurePolicy] tolerated), step time per entity,
// memory per entity and the logic's own metrics. Error events are judged
// every frame by an anytime-valid sequential binomial test against the
// canary's exact share of the split, and by a circuit breaker on the error
// rate over a sliding window; continuous metrics by the rank-sum test (or a
// permutation test for the p99) at looks whose false-alarm budget is spent
// by halves. The seed's health score is reported too. See the package
// stats for the tests.
//
// People act through commands: [Orchestrator.Pause], [Orchestrator.Resume],
// [Orchestrator.Promote], [Orchestrator.PromoteFull], [Orchestrator.Abort]
// (and its alias [Orchestrator.Rollback]), applied at the next Step.
// [Gates] wait for approvals ([WebhookGate], Flagger's confirm-rollout and
// confirm-promotion). Every applied decision is a [Record] in a bounded
// history ([Orchestrator.History]), delivered to listeners
// ([Orchestrator.Subscribe]), a [log/slog] logger ([WithLogger]) and
// notifiers such as the [Webhook], which never blocks a frame.
// [Orchestrator.Status] returns a JSON-serialisable [Status]: the [Phase],
// the step and weights, the metrics and each version's [Role].
//
// Errors wrap the package's sentinels ([ErrBadConfig], [ErrUnknownVersion],
// [ErrRolloutActive], ...); a Deploy that fails starts nothing. The
// package deploytest provides a deterministic clock and modelled versions
// for tests and demos. There are no build tags.
package deploy
