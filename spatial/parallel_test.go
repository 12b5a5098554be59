package spatial

import (
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var seedFlag = flag.Uint64("seed", 0, "seed for the randomized runner tests; 0 picks one from the clock")

// newRand returns a generator seeded from -seed or the clock, and logs the
// seed so that a failure can be replayed with -seed.
func newRand(t *testing.T, stream uint64) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay with -seed %d)", seed, seed)
	return rand.New(rand.NewPCG(seed, stream))
}

// goRunner runs each Run's tasks on workers goroutines, the caller's
// included, claiming them in turn, as a worker pool does. It starts its
// goroutines per Run, so it allocates.
type goRunner struct{ workers int }

func (r goRunner) Workers() int { return r.workers }

func (r goRunner) Run(tasks int, fn func(int)) error {
	var next atomic.Int64
	work := func() {
		for t := next.Add(1) - 1; t < int64(tasks); t = next.Add(1) - 1 {
			fn(int(t))
		}
	}
	var wg sync.WaitGroup
	for range r.workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	return nil
}

// orderRunner runs the tasks on the caller, last first, claiming to have
// workers goroutines: the parts of a task must not depend on running in
// order. It allocates nothing.
type orderRunner struct{ workers int }

func (r orderRunner) Workers() int { return r.workers }

func (r orderRunner) Run(tasks int, fn func(int)) error {
	for t := tasks - 1; t >= 0; t-- {
		fn(t)
	}
	return nil
}

// plainRunner has no Workers method: the grid assumes GOMAXPROCS workers.
type plainRunner struct{}

func (plainRunner) Run(tasks int, fn func(int)) error {
	for t := range tasks {
		fn(t)
	}
	return nil
}

var errRunnerTest = errors.New("runner test failure")

// faultyRunner fails: with skip >= 0 it leaves out that task and returns
// nil; otherwise it runs every task and returns errRunnerTest.
type faultyRunner struct{ skip int }

func (r faultyRunner) Workers() int { return 4 }

func (r faultyRunner) Run(tasks int, fn func(int)) error {
	for t := range tasks {
		if t != r.skip {
			fn(t)
		}
	}
	if r.skip >= 0 {
		return nil
	}
	return errRunnerTest
}

// runners are the runners every grid must give the same results with.
func runners() []Runner {
	return []Runner{
		goRunner{1}, goRunner{2}, goRunner{3}, goRunner{8},
		orderRunner{5}, plainRunner{},
	}
}

// sameLayout requires got to hold the same binned entities as want, in the
// same order, with the same cell index arrays.
func sameLayout(t *testing.T, want, got *Grid, msg string) {
	t.Helper()
	require.Equal(t, want.binned, got.binned, msg)
	require.Equal(t, want.skipped, got.skipped, msg)
	require.Equal(t, want.hashed, got.hashed, msg)
	if want.binned == 0 {
		return
	}
	m := want.binned
	sameSlice(t, "ents", want.ents[:m], got.ents[:m], msg)
	if want.hashed {
		require.Equal(t, want.hdiv, got.hdiv, msg)
		sameSlice(t, "keys", want.keys[:m], got.keys[:m], msg)
		nb := 1<<want.hbits + 1
		sameSlice(t, "start", want.start[:nb], got.start[:nb], msg)
	} else {
		nc := want.stride*(want.ny+1) + 1
		sameSlice(t, "start", want.start[:nc], got.start[:nc], msg)
	}
}

// sameSlice requires got to equal want, naming the first difference.
func sameSlice[T comparable](t *testing.T, name string, want, got []T, msg string) {
	t.Helper()
	require.Len(t, got, len(want), "%s: %s", name, msg)
	for i := range want {
		if want[i] != got[i] {
			require.Failf(t, "layouts differ", "%s[%d]: want %+v, got %+v; %s", name, i, want[i], got[i], msg)
		}
	}
}

func TestRunnersSameAsSerial(t *testing.T) {
	// Tiny bands and a parallel threshold of one entity split even small
	// inputs into many parts. Every runner must give the layout and the
	// pairs, in the same order, of the plain serial grid, and brute force's
	// set of pairs.
	rng := newRand(t, 7)
	seeds := 2
	if testing.Short() {
		seeds = 1
	}
	for _, l := range append(append([]layout{}, layouts...), outlierLayouts...) {
		t.Run(l.name, func(t *testing.T) {
			var plain Grid
			grids := make([]Grid, len(runners()))
			for i, r := range runners() {
				grids[i] = Grid{bandTarget: 4, parallelMin: 1}
				grids[i].SetRunner(r)
			}
			found := 0
			for seed := range seeds {
				for k, r := range radii[:3] {
					cell := cellsFor(rng, r)[rng.IntN(3)]
					n := []int{0, 1, 2, 33, 300, 1000}[rng.IntN(6)]
					if seed == 0 && k == 0 {
						n = 300 // at least one case with pairs to compare
					}
					if l.maxN > 0 {
						n = min(n, l.maxN)
					}
					pos := l.gen(rng, n, r)
					brute := BrutePairs(nil, pos, r)
					found += len(brute)
					// The same calls on every grid: Build, Neighbors,
					// Pairs, then Pairs with a radius two cells wide
					// (pairsR, or a rehash, whose layout depends on the
					// one before).
					frame := func(g *Grid) (near []int32, pairs, wide []Pair) {
						require.NoError(t, g.Build(pos, cell))
						var err error
						if n > 0 {
							near, err = g.Neighbors(nil, pos[0], pos[1], 2*r)
							require.NoError(t, err)
						}
						pairs, err = g.Pairs(nil, r)
						require.NoError(t, err)
						wide, err = g.Pairs(nil, 2*cell)
						require.NoError(t, err)
						return near, pairs, wide
					}
					wantNear, want, wide := frame(&plain)
					sorted := append([]Pair(nil), want...)
					sortPairs(sorted)
					require.Equal(t, brute, sorted, "serial grid against brute force, n=%d", n)

					for i, runner := range runners() {
						g := &grids[i]
						msg := fmt.Sprintf("runner %T%v n=%d cell=%g r=%g", runner, runner, n, cell, r)
						near, got, gotWide := frame(g)
						sameLayout(t, &plain, g, msg)
						require.Equal(t, wantNear, near, msg)
						require.Equal(t, want, got, msg)
						require.Equal(t, wide, gotWide, "wide radius, "+msg)
					}
				}
			}
			if l.name != "huge" && l.name != "line" {
				assert.Positive(t, found, "no case produced a pair")
			}
		})
	}
}

func TestRunnersDefaultThreshold(t *testing.T) {
	// Above the real threshold, with the default band size: the layouts and
	// pairs of 2, 3 and 8 workers are those of the serial grid.
	if testing.Short() {
		t.Skip("large inputs")
	}
	rng := newRand(t, 8)
	for _, l := range []layout{layouts[0], layouts[5], outlierLayouts[2], outlierLayouts[1]} {
		t.Run(l.name, func(t *testing.T) {
			n := 2*defaultParallelMin + rng.IntN(defaultParallelMin)
			pos := l.gen(rng, n, 2)
			var plain Grid
			require.NoError(t, plain.Build(pos, 4))
			want, err := plain.Pairs(nil, 2)
			require.NoError(t, err)
			wide, err := plain.Pairs(nil, 5)
			require.NoError(t, err)
			require.NoError(t, plain.Build(pos, 4))
			for _, w := range []int{2, 3, 8} {
				var g Grid
				g.SetRunner(goRunner{w})
				require.NoError(t, g.Build(pos, 4))
				assert.Greater(t, g.partsFor(g.binned), 1, "split into parts")
				sameLayout(t, &plain, &g, fmt.Sprintf("workers=%d n=%d", w, n))
				got, err := g.Pairs(nil, 2)
				require.NoError(t, err)
				require.Equal(t, want, got, "workers=%d n=%d", w, n)
				got, err = g.Pairs(got[:0], 5)
				require.NoError(t, err)
				require.Equal(t, wide, got, "wide, workers=%d n=%d", w, n)
			}
		})
	}
}

func TestPartsFor(t *testing.T) {
	var g Grid
	assert.Equal(t, 1, g.partsFor(1<<20), "no runner")
	g.SetRunner(orderRunner{1})
	assert.Equal(t, 1, g.partsFor(1<<20), "one worker")
	g.SetRunner(orderRunner{2})
	assert.Equal(t, 1, g.partsFor(defaultParallelMin-1), "below the threshold")
	assert.Equal(t, 8, g.partsFor(defaultParallelMin), "4 per worker")
	assert.Equal(t, 8, g.partsFor(1<<20))
	g.SetRunner(orderRunner{64})
	assert.Equal(t, 8, g.partsFor(defaultParallelMin), "at least 4096 entities a part")
	assert.Equal(t, 256, g.partsFor(1<<21))
	g.SetRunner(plainRunner{})
	assert.Equal(t, g.workers(), runtime.GOMAXPROCS(0))
	g.SetRunner(nil)
	assert.Equal(t, 1, g.workers())
}

// faultCase is an input whose Build and Pairs may be made to panic.
type faultCase struct {
	name   string
	pos    func(rng *rand.Rand) []float32
	radius float32 // above cell/2, a hashed layout re-bins
}

var faultCases = []faultCase{
	{"dense", func(rng *rand.Rand) []float32 { return layouts[0].gen(rng, 3000, 2) }, 2},
	{"hashed", func(rng *rand.Rand) []float32 { return outlierLayouts[2].gen(rng, 3000, 2) }, 2},
	{"rehash", func(rng *rand.Rand) []float32 { return outlierLayouts[2].gen(rng, 3000, 2) }, 5},
}

// stepsOf returns the steps Build and Pairs run on g for pos, in order.
func stepsOf(t *testing.T, g *Grid, pos []float32, radius float32) []string {
	var steps []string
	g.hook = func(s string, p int) {
		if p < 0 {
			steps = append(steps, s)
		}
	}
	require.NoError(t, g.Build(pos, 4))
	_, err := g.Pairs(nil, radius)
	require.NoError(t, err)
	g.hook = nil
	return steps
}

func TestPanicInPart(t *testing.T) {
	rng := newRand(t, 9)
	for _, tc := range faultCases {
		for _, runner := range []Runner{goRunner{3}, orderRunner{3}, nil} {
			pos := tc.pos(rng)
			g := Grid{bandTarget: 16, parallelMin: 1}
			g.SetRunner(runner)
			steps := stepsOf(t, &g, pos, tc.radius)
			if runner != nil {
				want := []string{"bounds", "count", "distribute", "sort", "pairs", "copy"}
				if tc.name == "rehash" {
					want = []string{"bounds", "count", "distribute", "sort", "count", "distribute", "sort", "pairs", "copy"}
				}
				require.Equal(t, want, steps, "every step runs in parts")
			}
			for i, step := range steps {
				t.Run(fmt.Sprintf("%s/%T/%d-%s", tc.name, runner, i, step), func(t *testing.T) {
					parts := g.partsFor(len(pos) / 2)
					bad := map[int]bool{}
					for range 2 {
						bad[rng.IntN(parts)] = true
					}
					lowest := parts
					for p := range bad {
						lowest = min(lowest, p)
					}
					// Build once cleanly so the grid has a layout to lose.
					require.NoError(t, g.Build(pos, 4))
					var ran sync.Map
					seen := 0 // steps started, on the caller
					g.hook = func(s string, p int) {
						if p < 0 {
							seen++
							return
						}
						if seen == i+1 {
							ran.Store(p, true)
							if bad[p] {
								panic(fmt.Errorf("injected in %s part %d: %w", s, p, errRunnerTest))
							}
						}
					}
					err := g.Build(pos, 4)
					if err == nil {
						_, err = g.Pairs([]Pair{{7, 8}}, tc.radius)
					}
					require.ErrorIs(t, err, ErrPanic)
					require.ErrorIs(t, err, errRunnerTest, "the panic value is unwrapped")
					var pe *PanicError
					require.ErrorAs(t, err, &pe)
					assert.Equal(t, step, pe.Step)
					assert.Equal(t, lowest, pe.Part, "the lowest part that panicked")
					assert.Contains(t, string(pe.Stack), "spatial.")
					ranParts := 0
					ran.Range(func(any, any) bool { ranParts++; return true })
					assert.Equal(t, g.work.parts, ranParts, "every part of the step ran")

					// The grid is usable again, and exact.
					g.hook = nil
					checkPairs(t, &g, pos, 4, tc.radius)
				})
			}
		}
	}
}

func TestPanicOutsideParts(t *testing.T) {
	// A panic in the caller's code between the parts is an error too.
	rng := newRand(t, 10)
	for _, tc := range faultCases {
		for _, runner := range []Runner{goRunner{3}, nil} {
			pos := tc.pos(rng)
			g := Grid{bandTarget: 16, parallelMin: 1}
			g.SetRunner(runner)
			steps := stepsOf(t, &g, pos, tc.radius)
			for i, step := range steps {
				require.NoError(t, g.Build(pos, 4))
				seen := 0
				g.hook = func(s string, p int) {
					if p < 0 {
						if seen == i {
							panic(errRunnerTest)
						}
						seen++
					}
				}
				err := g.Build(pos, 4)
				failed := err != nil
				if err == nil {
					dst := []Pair{{7, 8}}
					var got []Pair
					got, err = g.Pairs(dst, tc.radius)
					assert.Equal(t, dst, got, "dst unchanged")
				}
				msg := fmt.Sprintf("%s/%T before step %d %s", tc.name, runner, i, step)
				require.ErrorIs(t, err, ErrPanic, msg)
				require.ErrorIs(t, err, errRunnerTest, msg)
				var pe *PanicError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, -1, pe.Part, msg)
				if failed {
					assert.Equal(t, "build", pe.Step, msg)
					assert.Zero(t, g.Len(), "a failed Build leaves the grid empty: %s", msg)
					p, err := g.Pairs(nil, 2)
					require.NoError(t, err)
					assert.Empty(t, p)
				} else {
					assert.Equal(t, "search", pe.Step, msg)
				}
				g.hook = nil
				checkPairs(t, &g, pos, 4, tc.radius)
			}
		}
	}
}

func TestRunnerFailure(t *testing.T) {
	pos := layouts[0].gen(rand.New(rand.NewPCG(2, 2)), 2000, 2)
	for _, r := range []faultyRunner{{skip: -1}, {skip: 0}, {skip: 3}} {
		g := Grid{bandTarget: 16, parallelMin: 1}
		require.NoError(t, g.Build(pos, 4))
		g.SetRunner(r)
		err := g.Build(pos, 4)
		require.ErrorIs(t, err, ErrRunner, "%+v", r)
		if r.skip < 0 {
			require.ErrorIs(t, err, errRunnerTest)
		}
		assert.Zero(t, g.Len())

		g.SetRunner(nil)
		require.NoError(t, g.Build(pos, 4))
		g.SetRunner(r)
		dst := []Pair{{1, 2}}
		got, err := g.Pairs(dst, 2)
		require.ErrorIs(t, err, ErrRunner)
		assert.Equal(t, dst, got, "dst unchanged")
	}
}

func TestNoGoStatements(t *testing.T) {
	// The package starts no goroutine of its own: parallel work goes
	// through the Runner its user provides. Checked on the source, since
	// a goroutine count is at the mercy of other tests' goroutines exiting.
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		require.NoError(t, err)
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				t.Errorf("%s: go statement", fset.Position(g.Pos()))
			}
			return true
		})
		checked++
	}
	assert.Greater(t, checked, 5, "the package's files were found")
}

func TestCopiedGridUsesItsOwnParts(t *testing.T) {
	// The task handed to the runner is made for one Grid; a copy must not
	// run the original's parts.
	rng := rand.New(rand.NewPCG(4, 4))
	a := layouts[0].gen(rng, 3000, 2)
	b := layouts[0].gen(rng, 2000, 2)
	g := Grid{bandTarget: 16, parallelMin: 1}
	g.SetRunner(goRunner{2})
	require.NoError(t, g.Build(a, 4))
	c := g
	c.parts = nil // as if freshly grown
	checkPairs(t, &c, b, 4, 2)
	checkPairs(t, &g, a, 4, 2)
}
