package systemtest

import (
	"fmt"
	"sync"
)

// Runner is an [ecs.Runner] for tests that makes the most of concurrency:
// Run starts a goroutine per task, and For splits [0, n) into (up to) Chunks
// chunks whose bounds are multiples of the grain, however small n is, each
// on its own goroutine. A kernel that is only correct on whole columns, or
// whose chunks touch shared memory, shows up as a difference from a serial
// run, or under the race detector. The zero value runs For in one chunk.
type Runner struct{ Chunks int }

// Workers is max(Chunks, 1).
func (r Runner) Workers() int { return max(r.Chunks, 1) }

// Run calls fn(0..tasks-1), each on its own goroutine, and returns when all
// have returned; a panic comes back as an error (the lowest task's).
func (r Runner) Run(tasks int, fn func(task int)) error {
	errs := make([]error, tasks)
	var wg sync.WaitGroup
	for i := range tasks {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("systemtest: task %d panicked: %v", i, p)
				}
			}()
			fn(i)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// For calls fn on consecutive chunks covering [0, n), every bound but n a
// multiple of grain, in parallel.
func (r Runner) For(n, grain int, fn func(lo, hi int)) error {
	if n <= 0 {
		return nil
	}
	grain = max(grain, 1)
	size := (n + r.Workers() - 1) / r.Workers()
	size = max((size+grain-1)/grain*grain, grain)
	return r.Run((n+size-1)/size, func(task int) {
		lo := task * size
		fn(lo, min(lo+size, n))
	})
}
