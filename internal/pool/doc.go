// Package pool is the worker pool an engine owns to use every core: a fixed
// set of goroutines, started once, that help callers run numbered tasks.
//
//   - [New] starts a [Pool] of n workers: n-1 helper goroutines, the calling
//     goroutine of each run being the n-th. [Pool.Close] stops them;
//     [Pool.Workers] reports n. A nil *Pool, or a pool of one worker, runs
//     everything serially on the caller.
//   - [Pool.Run] calls fn(0), …, fn(tasks-1) and returns when all have
//     returned. It is safe from several goroutines at once and from inside a
//     task (nested parallelism): the caller always runs its own tasks until
//     none is left, helpers only assist, so a run never waits for a helper
//     to become free.
//   - [Pool.For] is a parallel for over [0, n) in contiguous chunks whose
//     boundaries are multiples of a grain, chosen only from n, the grain and
//     the worker count ([Pool.Chunks]), never from timing. Below [MinFor]
//     elements it calls fn(0, n) on the caller.
//   - A panic in a task is recovered, on whichever goroutine ran it; the other
//     tasks still run, and Run or For returns a [*PanicError] (wrapping
//     [ErrPanic]) for the lowest task index that panicked, whatever the worker
//     count, with its stack.
//
// A warmed-up pool allocates nothing per Run or For. Pool satisfies
// spatial.Runner, so the broad phase can use it without importing this
// package.
//
// The package has no build tags.
package pool
