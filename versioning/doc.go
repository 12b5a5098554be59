// Package versioning runs several versions of the same game-logic module side
// by side in one process, each over its own [ecs.World], and moves live
// entities between them.
//
// An [Engine] holds named modules ([Engine.AddModule]). Versions are compiled
// in and registered ([Engine.Register]) through the small [Version]
// interface, which declares the version's component [ecs.Layout] and its
// migrations; loading one ([Engine.Load]) creates its world and a fresh logic
// instance, unloading ([Engine.Unload]) drops them so their memory can be
// reclaimed, and [Engine.Reload] swaps in a fresh instance over the same
// world (a hot reload). The game loop calls [Engine.Tick] once per frame.
// Each version is in one [State].
//
// Traffic: [Engine.SetSplit] gives each loaded version a weight; routing is by
// stable entity key and exact (each version holds ⌊w·N⌋ or ⌈w·N⌉ entities),
// sticky and monotone, and [Engine.Pin] keeps chosen entities on a version.
// [Engine.PlanSplit] is the dry run. Entities that must move are copied out
// of their world, converted by the versions' declared migrations (chained if
// needed; see [ecs.Migration]) and appended to the target world at a frame
// boundary, all or nothing.
//
// Safety: before each frame every version's state is backed up (cheaply, see
// [ecs.Backup]); a version that panics, returns an error, leaves NaN or
// infinite values, changes entity keys or exceeds its frame budget fails,
// and its entities are restored from the backup, moved to the rollback
// target and served in the same frame. [Engine.Rollback] does the same by
// hand. Versions idle for longer than a module's [AutoGC] threshold are
// unloaded automatically.
//
// Observability: [Listener] functions receive [Event] values (load, unload,
// migration, GC, rollback, isolation, error) outside the engine's locks, and
// so does a [WithLogger] logger; [Engine.Metrics] returns per-version
// [VersionMetrics] and [Engine.LastFrame] the last frame's observations.
//
// Parallelism: the engine owns a worker pool ([WithWorkers]); the versions
// of independent modules step at the same time, and systems split their
// work with [ecs.View.For]. Results are bit-identical at any worker count.
//
// Layers above: a [Recorder] sees every change in order (a journal),
// [Engine.CaptureInto] and [Engine.Restore] save and rebuild the whole
// state (snapshots), and entity commands ([SetComponent], [Engine.Command]),
// [Engine.Configure], [Engine.InjectFailure], [Engine.PlanSplit],
// [Engine.Peek] and [Engine.Convert] serve replays and deployments.
//
// Every method is safe for concurrent use; see [Engine] for how control calls
// and frames interleave. Errors wrap the package's sentinels ([ErrBadWeights],
// [ErrMigration], ...) and a call that returns an error changed nothing.
// There are no build tags.
package versioning
