package pool

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized tests; 0 picks one from the clock")

// newRand returns a generator seeded from -seed or the clock, and logs the
// seed so that a failure can be replayed with -seed.
func newRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, 0x9001))
}

// workerCounts are the pool sizes every test runs with: serial, the
// smallest parallel one, an odd one, and more workers than this machine may
// have cores.
var workerCounts = []int{1, 2, 3, 8}

// counter counts the runs of each task.
type counter []atomic.Int32

func (c counter) add(task int) { c[task].Add(1) }

// requireOnce requires every task of c to have run exactly once.
func (c counter) requireOnce(t *testing.T, msg string, args ...any) {
	t.Helper()
	for i := range c {
		if got := c[i].Load(); got != 1 {
			require.Failf(t, "task not run exactly once", "task %d ran %d times; %s", i, got, fmt.Sprintf(msg, args...))
		}
	}
}

// barrier returns a function that blocks until parties goroutines have
// called it: tasks that call it prove that that many goroutines run them at
// once.
func barrier(parties int) func() {
	var wg sync.WaitGroup
	wg.Add(parties)
	return func() {
		wg.Done()
		wg.Wait()
	}
}

func TestRunEveryTaskOnce(t *testing.T) {
	rng := newRand(t)
	for _, w := range append(workerCounts, 0, 16) {
		p := New(w)
		for range 200 {
			tasks := []int{0, 1, 2, 3, rng.IntN(10), rng.IntN(1000)}[rng.IntN(6)]
			c := make(counter, tasks)
			require.NoError(t, p.Run(tasks, c.add))
			c.requireOnce(t, "workers=%d tasks=%d", w, tasks)
		}
		p.Close()
	}
}

func TestWorkers(t *testing.T) {
	var nilPool *Pool
	assert.Equal(t, 1, nilPool.Workers())
	assert.Equal(t, 1, (&Pool{}).Workers())
	assert.Equal(t, runtime.GOMAXPROCS(0), New(0).Workers())
	assert.Equal(t, runtime.GOMAXPROCS(0), New(-3).Workers())
	for _, w := range workerCounts {
		p := New(w)
		assert.Equal(t, w, p.Workers())
		p.Close()
		assert.Equal(t, w, p.Workers(), "unchanged by Close")
	}
}

func TestNilAndZeroPool(t *testing.T) {
	for _, p := range []*Pool{nil, {}} {
		c := make(counter, 10)
		require.NoError(t, p.Run(10, c.add))
		c.requireOnce(t, "pool %v", p)
		var calls [][2]int
		require.NoError(t, p.For(MinFor*10, 16, func(lo, hi int) { calls = append(calls, [2]int{lo, hi}) }))
		assert.Equal(t, [][2]int{{0, MinFor * 10}}, calls, "one serial call")
		p.Close()
		err := p.Run(3, func(task int) { panic(task) })
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		assert.Equal(t, 0, pe.Task)
	}
}

func TestHelpersRunTasks(t *testing.T) {
	// Every task waits for all the others to start: it can only finish if
	// Workers() goroutines run them at once, so the helpers do take tasks.
	for _, w := range workerCounts[1:] {
		p := New(w)
		for range 20 {
			meet := barrier(w)
			c := make(counter, w)
			require.NoError(t, p.Run(w, func(task int) {
				meet()
				c.add(task)
			}))
			c.requireOnce(t, "workers=%d", w)
		}
		p.Close()
	}
}

func TestNestedRun(t *testing.T) {
	// Versions stepping in parallel, each with parallel loops inside, three
	// levels deep; every level's tasks run once.
	rng := newRand(t)
	for _, w := range workerCounts {
		p := New(w)
		for range 10 {
			outer := 1 + rng.IntN(6)
			inner := rng.IntN(9)
			n := rng.IntN(3 * MinFor)
			mid := make(counter, outer*inner)
			elems := make([]counter, outer*inner)
			for i := range elems {
				elems[i] = make(counter, n)
			}
			top := make(counter, outer)
			require.NoError(t, p.Run(outer, func(a int) {
				top.add(a)
				assert.NoError(t, p.Run(inner, func(b int) {
					mid.add(a*inner + b)
					e := elems[a*inner+b]
					assert.NoError(t, p.For(n, 16, func(lo, hi int) {
						for i := lo; i < hi; i++ {
							e.add(i)
						}
					}))
				}))
			}))
			top.requireOnce(t, "outer, workers=%d", w)
			mid.requireOnce(t, "inner, workers=%d", w)
			for _, e := range elems {
				e.requireOnce(t, "For n=%d, workers=%d", n, w)
			}
		}
		p.Close()
	}
}

func TestNestedRunOnBusyHelpers(t *testing.T) {
	// Each outer task runs on its own goroutine (the barrier proves it) and
	// then starts a nested run while every other worker is busy in its own
	// outer task: the nested run must finish without any helper's help.
	for _, w := range workerCounts[1:] {
		p := New(w)
		meet := barrier(w)
		c := make(counter, w*100)
		require.NoError(t, p.Run(w, func(a int) {
			meet()
			assert.NoError(t, p.Run(100, func(b int) { c.add(a*100 + b) }))
		}))
		c.requireOnce(t, "workers=%d", w)
		p.Close()
	}
}

func TestConcurrentRuns(t *testing.T) {
	rng := newRand(t)
	for _, w := range workerCounts {
		p := New(w)
		var wg sync.WaitGroup
		for g := range 6 {
			seed := rng.Uint64()
			wg.Go(func() {
				r := rand.New(rand.NewPCG(seed, uint64(g)))
				for range 100 {
					tasks := r.IntN(50)
					c := make(counter, tasks)
					if !assert.NoError(t, p.Run(tasks, c.add)) {
						return
					}
					for i := range c {
						if !assert.EqualValues(t, 1, c[i].Load(), "goroutine %d task %d", g, i) {
							return
						}
					}
				}
			})
		}
		wg.Wait()
		p.Close()
	}
}

type panicValue struct{ task int }

var errBoom = errors.New("boom")

func TestPanicLowestTaskWins(t *testing.T) {
	rng := newRand(t)
	for _, w := range workerCounts {
		p := New(w)
		for range 50 {
			tasks := 1 + rng.IntN(100)
			bad := map[int]bool{}
			for range 1 + rng.IntN(4) {
				bad[rng.IntN(tasks)] = true
			}
			lowest := tasks
			for k := range bad {
				lowest = min(lowest, k)
			}
			c := make(counter, tasks)
			err := p.Run(tasks, func(task int) {
				c.add(task)
				if bad[task] {
					panicky(task)
				}
			})
			require.ErrorIs(t, err, ErrPanic)
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, lowest, pe.Task, "workers=%d bad=%v", w, bad)
			assert.Equal(t, panicValue{lowest}, pe.Value)
			assert.True(t, bytes.Contains(pe.Stack, []byte("panicky")), "stack names the panicking function:\n%s", pe.Stack)
			assert.Contains(t, err.Error(), "task "+strconv.Itoa(lowest))
			c.requireOnce(t, "every task still runs, workers=%d", w)
		}
		p.Close()
	}
}

//go:noinline
func panicky(task int) { panic(panicValue{task}) }

func TestPanicOnHelper(t *testing.T) {
	// All tasks meet before panicking, so the panics happen on helper
	// goroutines too; the process survives and the pool keeps working.
	for _, w := range workerCounts[1:] {
		p := New(w)
		for range 5 {
			meet := barrier(w)
			err := p.Run(w, func(task int) {
				meet()
				panic(fmt.Errorf("task %d: %w", task, errBoom))
			})
			require.ErrorIs(t, err, ErrPanic)
			require.ErrorIs(t, err, errBoom, "an error value is unwrapped too")
			var pe *PanicError
			require.ErrorAs(t, err, &pe)
			assert.Zero(t, pe.Task)
		}
		meet := barrier(w)
		assert.NoError(t, p.Run(w, func(int) { meet() }), "every helper survived")
		p.Close()
	}
}

func TestPanicInFor(t *testing.T) {
	for _, w := range workerCounts {
		p := New(w)
		n := 20 * MinFor
		size, count := p.Chunks(n, 16)
		covered := make([]int32, n)
		// Panic in every chunk from the second-last on, at its start.
		err := p.For(n, 16, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				covered[i]++
			}
			if lo/size >= count-2 {
				panic(lo)
			}
		})
		require.ErrorIs(t, err, ErrPanic)
		var pe *PanicError
		require.ErrorAs(t, err, &pe)
		want := max(count-2, 0)
		assert.Equal(t, want, pe.Task, "workers=%d", w)
		assert.Equal(t, want*size, pe.Value)
		for i, k := range covered {
			if k != 1 {
				require.Failf(t, "element not covered once", "element %d covered %d times", i, k)
			}
		}
		p.Close()
	}
}

// goid returns the current goroutine's id, read from its stack header.
func goid() string {
	var buf [64]byte
	return string(bytes.Fields(buf[:runtime.Stack(buf[:], false)])[1])
}

func TestGoexitOnHelper(t *testing.T) {
	// A task that ends its helper goroutine is reported like a panic, its
	// caller does not wait forever, and a new helper takes its place.
	p := New(3)
	defer p.Close()
	caller := goid()
	meet := barrier(3)
	err := p.Run(3, func(int) {
		meet()
		if goid() != caller {
			runtime.Goexit()
		}
	})
	require.ErrorIs(t, err, ErrPanic)
	require.ErrorIs(t, err, errGoexit)
	meet = barrier(3)
	assert.NoError(t, p.Run(3, func(int) { meet() }), "both helpers were replaced")
}

// helpers counts the helper goroutines of every pool in the process, by
// their creators (New, or serve replacing a helper), which every goroutine's
// stack names, also before it first runs.
func helpers() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			const by = "created by github.com/grove-engine/grove/internal/pool."
			return bytes.Count(buf[:n], []byte(by+"New")) + bytes.Count(buf[:n], []byte(by+"(*state).serve"))
		}
		buf = make([]byte, 2*len(buf))
	}
}

func TestClose(t *testing.T) {
	before := helpers()
	p := New(8)
	assert.Equal(t, before+7, helpers(), "New starts workers-1 helpers")
	require.NoError(t, p.Run(100, func(int) {}))
	p.Close()
	assert.Equal(t, before, helpers(), "Close waits for the helpers to return")
	p.Close() // idempotent

	c := make(counter, 50)
	require.NoError(t, p.Run(50, c.add), "runs serially after Close")
	c.requireOnce(t, "after Close")
	err := p.Run(5, func(task int) {
		if task > 2 {
			panic(task)
		}
	})
	var pe *PanicError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 3, pe.Task)
}

func TestCloseWhileNestedRuns(t *testing.T) {
	// Close from another goroutine while runs are in flight: they finish.
	p := New(4)
	c := make(counter, 4*1000)
	meet := barrier(5)
	done := make(chan error)
	go func() {
		done <- p.Run(4, func(a int) {
			meet()
			assert.NoError(t, p.Run(1000, func(b int) { c.add(a*1000 + b) }))
		})
	}()
	meet()
	p.Close()
	require.NoError(t, <-done)
	c.requireOnce(t, "runs in flight at Close")
}

// abandoned returns the state of a pool that is no longer referenced.
//
//go:noinline
func abandoned() *state {
	p := New(4)
	_ = p.Run(10, func(int) {})
	return p.s
}

func TestUnreachablePoolStopsItsHelpers(t *testing.T) {
	s := abandoned()
	stopped := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(stopped)
	}()
	// Each collection may run the cleanup; it must have within a few.
	for range 1000 {
		runtime.GC()
		select {
		case <-stopped:
			return
		default:
			runtime.Gosched()
		}
	}
	t.Fatal("the helpers of an unreachable pool are still running")
}

func TestNoAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters may allocate")
	}
	for _, w := range workerCounts {
		p := New(w)
		c := make(counter, 64)
		sum := make([]int64, 4*MinFor)
		body := func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sum[i]++
			}
		}
		add := c.add // a method value allocates each time it is made
		run := func() {
			_ = p.Run(64, add)
			_ = p.Run(1, add)
			_ = p.For(len(sum), 16, body)
			_ = p.For(100, 16, body)
		}
		run()
		assert.Zero(t, testing.AllocsPerRun(100, run), "workers=%d", w)
		p.Close()
	}
}
