package spatial

import (
	"runtime"
	"sync"
)

// defaultParallelMin is the fewest entities for which a Grid splits a task
// across two cores: below it, handing work over costs more than it saves.
const defaultParallelMin = 32768

// job is the second half of a task, for the helper goroutine.
type job struct {
	fn   func(g *Grid, part int)
	g    *Grid
	done chan<- struct{}
}

var (
	helperOnce sync.Once
	helperJobs chan job
)

// helper runs second halves for every Grid in the process, one at a time.
// It is started on first need and then waits for work forever.
func helper(jobs <-chan job) {
	for j := range jobs {
		j.fn(j.g, 1)
		j.done <- struct{}{}
	}
}

// parallel reports whether a task over m entities is worth splitting.
func (g *Grid) parallel(m int) bool {
	least := defaultParallelMin
	if g.parallelMin > 0 {
		least = g.parallelMin
	}
	return m >= least && runtime.GOMAXPROCS(0) > 1
}

// both runs fn(g, 0) and fn(g, 1), which must touch disjoint memory, and
// returns when both are done. With par set, half 1 goes to the helper
// goroutine's one-slot queue while the caller runs half 0; if the slot is
// taken (another Grid's work is waiting), the caller runs both halves itself.
// The slot lets the caller hand over the next half before the helper is back
// from the previous one. Nothing is allocated after the first call.
func (g *Grid) both(fn func(g *Grid, part int), par bool) {
	if par {
		helperOnce.Do(func() {
			helperJobs = make(chan job, 1)
			go helper(helperJobs)
		})
		if g.done == nil {
			g.done = make(chan struct{})
		}
		select {
		case helperJobs <- job{fn: fn, g: g, done: g.done}:
			fn(g, 0)
			<-g.done
			return
		default:
		}
	}
	fn(g, 0)
	fn(g, 1)
}
