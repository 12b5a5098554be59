package spatial

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Runner runs numbered tasks, possibly in parallel: Run calls fn(task)
// exactly once for every task in [0, tasks), from any goroutines, and returns
// once every call has returned (so that the tasks' writes are visible to its
// caller). An error from Run means it could not do so.
//
// Grove's engine passes its worker pool (internal/pool's Pool). A Runner
// that also has a method
//
//	Workers() int
//
// reports how many goroutines run its tasks, and a [Grid] splits its work
// for that many; otherwise the Grid assumes runtime.GOMAXPROCS(0).
type Runner interface {
	Run(tasks int, fn func(task int)) error
}

// defaultParallelMin is the fewest entities for which a Grid splits a task
// into parts: below it, handing work over costs more than it saves.
const defaultParallelMin = 32768

// partsPerWorker is how many parts a Grid cuts a task into per worker: more
// than one, so that when a worker is late or busy the others take its share.
const partsPerWorker = 4

// SetRunner makes [Grid.Build] and [Grid.Pairs] split their work into parts
// run by r, when they have 32768 entities or more; nil, the default, runs
// everything on the caller. The results are the same, in the same order,
// whatever the runner and its number of workers. The Grid keeps r until the
// next SetRunner and starts no goroutine of its own.
func (g *Grid) SetRunner(r Runner) { g.runner = r }

// workers returns how many goroutines the runner has, 1 without one.
func (g *Grid) workers() int {
	if g.runner == nil {
		return 1
	}
	if w, ok := g.runner.(interface{ Workers() int }); ok {
		return max(w.Workers(), 1)
	}
	return runtime.GOMAXPROCS(0)
}

// partsFor returns how many parts to split a task over m items into: 1
// below the parallel threshold or without a parallel runner, otherwise
// partsPerWorker per worker, each of at least 1/8 of the threshold.
func (g *Grid) partsFor(m int) int {
	least := defaultParallelMin
	if g.parallelMin > 0 {
		least = g.parallelMin
	}
	w := g.workers()
	if w <= 1 || m < least {
		return 1
	}
	return max(1, min(partsPerWorker*w, m/max(least/8, 1)))
}

// span returns part p of k of the range [0, n): [p*n/k, (p+1)*n/k).
func span(p, k, n int) (lo, hi int) {
	return p * n / k, (p + 1) * n / k
}

// part is what one part of a task owns and reports. Its scratch (buf) is
// kept from call to call.
type part struct {
	called bool        // the runner ran it
	perr   *PanicError // it panicked

	// bounds
	loX, loY, hiX, hiY float32
	m                  int

	// pairs
	buf   []Pair
	found int // pairs at the start of buf
	cand  int // candidates compared
	off   int // where the part's pairs go in the result
}

// setParts makes sure g.parts holds k parts, keeping their buffers.
func (g *Grid) setParts(k int) {
	if len(g.parts) < k {
		g.parts = append(g.parts, make([]part, k-len(g.parts))...)
	}
	g.work.parts = k
}

// each runs fn(g, p) for every part p in [0, g.work.parts): on the runner
// when there are several, otherwise on the caller. The parts must touch
// disjoint memory. A panic in a part is recovered where it happens, and each
// returns a *PanicError for the lowest part that panicked; an error from the
// runner, or a part it did not run, gives an error wrapping ErrRunner.
func (g *Grid) each(step string, fn func(g *Grid, part int)) error {
	w := &g.work
	k := w.parts
	w.step, w.fn = step, fn
	parts := g.parts[:k]
	for p := range parts {
		parts[p].called, parts[p].perr = false, nil
	}
	if g.hook != nil {
		g.hook(step, -1)
	}
	if k == 1 || g.runner == nil {
		for p := range k {
			g.runPart(p)
		}
	} else {
		if g.taskOf != g {
			// Made once per Grid, so that handing it to the runner
			// allocates nothing; remade if the Grid was copied.
			g.task, g.taskOf = func(p int) { g.runPart(p) }, g
		}
		if err := g.runner.Run(k, g.task); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrRunner, step, err)
		}
	}
	for p := range parts {
		if parts[p].perr != nil {
			return parts[p].perr
		}
		if !parts[p].called {
			return fmt.Errorf("%w: %s: part %d of %d did not run", ErrRunner, step, p, k)
		}
	}
	return nil
}

// runPart runs part p of the current step, recording a panic.
func (g *Grid) runPart(p int) {
	st := &g.parts[p]
	st.called = true
	defer func() {
		if v := recover(); v != nil {
			st.perr = &PanicError{Step: g.work.step, Part: p, Value: v, Stack: debug.Stack()}
		}
	}()
	if g.hook != nil {
		g.hook(g.work.step, p)
	}
	g.work.fn(g, p)
}

// recovered turns a panic outside the parts of Build or Pairs into a
// *PanicError in *err. It must be deferred directly.
func recovered(step string, err *error) {
	if v := recover(); v != nil {
		*err = &PanicError{Step: step, Part: -1, Value: v, Stack: debug.Stack()}
	}
}
