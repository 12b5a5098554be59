package spatial

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkPairs builds g from pos and requires Pairs to equal BrutePairs as a
// multiset (so a duplicate is an error), every pair with A < B. It returns the
// number of pairs.
func checkPairs(t *testing.T, g *Grid, pos []float32, cell, radius float32) int {
	t.Helper()
	require.NoError(t, g.Build(pos, cell))
	got, err := g.Pairs([]Pair{}, radius)
	require.NoError(t, err)
	want := BrutePairs([]Pair{}, pos, radius)
	for _, p := range got {
		if !assert.Less(t, p.A, p.B, "pair %v not ordered", p) {
			break
		}
	}
	sortPairs(got)
	require.Equal(t, want, got, "n=%d cell=%g radius=%g", len(pos)/2, cell, radius)
	return len(want)
}

// checkNeighbors queries g (already built from pos) around (x, y) and requires
// the result to equal BruteNeighbors as a multiset.
func checkNeighbors(t *testing.T, g *Grid, pos []float32, x, y, radius float32) int {
	t.Helper()
	got, err := g.Neighbors([]int32{}, x, y, radius)
	require.NoError(t, err)
	want := BruteNeighbors([]int32{}, pos, x, y, radius)
	slices.Sort(got)
	require.Equal(t, want, got, "query (%g, %g) radius %g", x, y, radius)
	return len(want)
}

func TestPairsMatchBrute(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			found := 0
			var g Grid // reused across cases: stale buffers must not leak
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 1))
				for _, r := range radii {
					for _, cell := range cellsFor(rng, r) {
						n := []int{0, 1, 2, 3, 17, 200, 1000}[rng.IntN(7)]
						if l.maxN > 0 {
							n = min(n, l.maxN)
						}
						pos := l.gen(rng, n, r)
						found += checkPairs(t, &g, pos, cell, r)
					}
				}
			}
			// Guard against a vacuous comparison of empty sets.
			assert.Positive(t, found, "no case produced a pair")
		})
	}
}

func TestNeighborsMatchBrute(t *testing.T) {
	seeds := 12
	if testing.Short() {
		seeds = 3
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			found := 0
			var g Grid
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 2))
				for _, r := range radii {
					cell := cellsFor(rng, r)[rng.IntN(3)]
					n := []int{0, 1, 2, 50, 500}[rng.IntN(5)]
					pos := l.gen(rng, n, r)
					require.NoError(t, g.Build(pos, cell))
					for q := range 20 {
						var x, y float32
						switch {
						case n > 0 && q%2 == 0:
							// Centred on an entity, maybe shifted a little.
							i := rng.IntN(n)
							x, y = pos[2*i], pos[2*i+1]
							if q%4 == 0 {
								x += r * (rng.Float32() - 0.5)
							}
						case q%5 == 1:
							x, y = 3e38*(rng.Float32()-0.5)*2, -3e38
						default:
							x, y = 50*r*(rng.Float32()-0.5), 50*r*(rng.Float32()-0.5)
						}
						// Query radii below, at and above the cell size.
						qr := r * []float32{1, 2, 0.25, 7}[rng.IntN(4)]
						found += checkNeighbors(t, &g, pos, x, y, qr)
					}
				}
			}
			assert.Positive(t, found, "no query found a neighbour")
		})
	}
}

func TestPairsExactTouching(t *testing.T) {
	// Entities exactly 2r apart touch, on either side of a cell border,
	// diagonally too; a hair further apart they do not.
	r := float32(2)
	pos := []float32{
		0, 0,
		4, 0, // touches 0 along x, across a border
		4, 4, // touches 1 along y
		8.000001, 4, // just too far from 2
		-1.6, -1.2, // 2 from 0: overlaps it
		-2.4, -3.2, // about 4 from 0 along a 3-4-5 diagonal
	}
	var g Grid
	require.NoError(t, g.Build(pos, 2*r))
	got, err := g.Pairs(nil, r)
	require.NoError(t, err)
	sortPairs(got)
	want := BrutePairs(nil, pos, r)
	assert.Equal(t, want, got)
	assert.Contains(t, got, Pair{0, 1})
	assert.Contains(t, got, Pair{1, 2})
	assert.NotContains(t, got, Pair{2, 3})
}

func TestPairsSmall(t *testing.T) {
	var g Grid
	for _, tc := range []struct {
		name string
		pos  []float32
		want []Pair
	}{
		{"nil", nil, nil},
		{"odd element ignored", []float32{1}, nil},
		{"one", []float32{1, 2}, nil},
		{"two apart", []float32{0, 0, 10, 0}, nil},
		{"two touching", []float32{0, 0, 4, 0}, []Pair{{0, 1}}},
		{"same point", []float32{-7, 3, -7, 3}, []Pair{{0, 1}}},
		{"three, one NaN", []float32{0, 0, float32(math.NaN()), 0, 1, 1}, []Pair{{0, 2}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, g.Build(tc.pos, 4))
			got, err := g.Pairs(nil, 2)
			require.NoError(t, err)
			sortPairs(got)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, BrutePairs(nil, tc.pos, 2), got)
		})
	}
}

func TestZeroGrid(t *testing.T) {
	var g Grid
	assert.Zero(t, g.Len())
	assert.Zero(t, g.Skipped())
	p, err := g.Pairs(nil, 1)
	require.NoError(t, err)
	assert.Empty(t, p)
	nb, err := g.Neighbors(nil, 0, 0, 1)
	require.NoError(t, err)
	assert.Empty(t, nb)
}

func TestSkipped(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	pos := []float32{
		0, 0,
		nan, 0,
		0, inf,
		-inf, nan,
		0.5, 0,
		-inf, -inf,
	}
	var g Grid
	require.NoError(t, g.Build(pos, 1))
	assert.Equal(t, 2, g.Len())
	assert.Equal(t, 4, g.Skipped())
	p, err := g.Pairs(nil, 0.5)
	require.NoError(t, err)
	assert.Equal(t, []Pair{{0, 4}}, p)
	nb, err := g.Neighbors(nil, inf, 0, 1)
	require.NoError(t, err)
	assert.Empty(t, nb, "an infinite query point matches nothing")
	nb, err = g.Neighbors(nil, nan, 0, 1)
	require.NoError(t, err)
	assert.Empty(t, nb)

	// All non-finite: nothing binned, nothing found, no loop.
	require.NoError(t, g.Build([]float32{nan, nan, inf, 0}, 1))
	assert.Zero(t, g.Len())
	assert.Equal(t, 2, g.Skipped())
	p, err = g.Pairs(nil, 1)
	require.NoError(t, err)
	assert.Empty(t, p)
}

func TestInvalidArguments(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	pos := []float32{0, 0, 1, 0, 5, 5}
	var g Grid
	require.NoError(t, g.Build(pos, 2))
	before := g.Len()

	for _, bad := range []float32{0, -1, nan, inf, -inf, float32(math.Copysign(0, -1))} {
		t.Run(fmt.Sprint(bad), func(t *testing.T) {
			err := g.Build([]float32{9, 9}, bad)
			require.ErrorIs(t, err, ErrInvalidCell)
			assert.NotErrorIs(t, err, ErrInvalidRadius)
			// A failed Build changes nothing.
			assert.Equal(t, before, g.Len())
			p, perr := g.Pairs(nil, 1)
			require.NoError(t, perr)
			assert.Equal(t, []Pair{{0, 1}}, p)

			dst := []Pair{{7, 8}}
			p, err = g.Pairs(dst, bad)
			require.ErrorIs(t, err, ErrInvalidRadius)
			assert.Equal(t, dst, p, "dst returned unchanged")

			nb, err := g.Neighbors([]int32{3}, 0, 0, bad)
			require.ErrorIs(t, err, ErrInvalidRadius)
			assert.Equal(t, []int32{3}, nb)

			assert.Empty(t, BrutePairs(nil, pos, bad))
			assert.Empty(t, BruteNeighbors(nil, pos, 0, 0, bad))
		})
	}
}

func TestTooMany(t *testing.T) {
	// Build checks len(pos)/2 with checkCount before touching anything; a
	// real slice of 2^32 float32s would take 16 GiB.
	require.NoError(t, checkCount(0))
	require.NoError(t, checkCount(math.MaxInt32))
	if big := int64(math.MaxInt32) + 1; int64(int(big)) == big { // 64-bit int
		require.ErrorIs(t, checkCount(int(big)), ErrTooMany)
	}
}

func TestCoarsening(t *testing.T) {
	// A tiny cell over a vast box must not allocate a vast grid, and must
	// stay exact.
	rng := rand.New(rand.NewPCG(7, 7))
	n := 500
	pos := make([]float32, 2*n)
	for i := range pos {
		pos[i] = (rng.Float32() - 0.5) * 1e6
	}
	// Some entities close together so that pairs exist.
	for i := 0; i < 100; i += 2 {
		pos[2*i+2], pos[2*i+3] = pos[2*i]+0.001, pos[2*i+1]
	}
	var g Grid
	found := checkPairs(t, &g, pos, 0.002, 0.001)
	assert.Positive(t, found)
	assert.LessOrEqual(t, g.nx*g.ny, maxCells(n))
	assert.Greater(t, g.base, 0.002, "cell was coarsened")
	checkNeighbors(t, &g, pos, pos[0], pos[1], 0.001)
}

func TestReach(t *testing.T) {
	pos := []float32{0, 0, 100, 100}
	var g Grid
	require.NoError(t, g.Build(pos, 20))
	require.InDelta(t, 20, g.base, 0)
	assert.Equal(t, 1, g.reach(10))
	assert.Equal(t, 1, g.reach(20))
	assert.Equal(t, 2, g.reach(20.5))
	assert.Equal(t, 3, g.reach(41))
	assert.Equal(t, 5, g.reach(1e30), "capped at the grid's size")

	// A radius spanning many cells still finds the far pair.
	got, err := g.Pairs(nil, 71)
	require.NoError(t, err)
	assert.Equal(t, []Pair{{0, 1}}, got)
	got, err = g.Pairs(nil, 70)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestBuildReuse(t *testing.T) {
	// Shrinking and growing n on one grid gives the same answers as a fresh
	// grid each time.
	rng := rand.New(rand.NewPCG(3, 3))
	var reused Grid
	for _, n := range []int{1000, 10, 0, 3000, 2999, 1} {
		pos := layouts[0].gen(rng, n, 2)
		var fresh Grid
		require.NoError(t, fresh.Build(pos, 4))
		want, err := fresh.Pairs(nil, 2)
		require.NoError(t, err)
		require.NoError(t, reused.Build(pos, 4))
		got, err := reused.Pairs(nil, 2)
		require.NoError(t, err)
		assert.Equal(t, want, got)
		assert.Equal(t, n, reused.Len())
	}
}

func TestPairsAppends(t *testing.T) {
	pos := []float32{0, 0, 1, 0}
	var g Grid
	require.NoError(t, g.Build(pos, 2))
	dst := []Pair{{5, 6}}
	got, err := g.Pairs(dst, 1)
	require.NoError(t, err)
	assert.Equal(t, []Pair{{5, 6}, {0, 1}}, got)
	nb, err := g.Neighbors([]int32{9}, 0, 0, 0.5)
	require.NoError(t, err)
	assert.Equal(t, []int32{9, 0}, nb)
}

func TestBuildCopiesPositions(t *testing.T) {
	pos := []float32{0, 0, 1, 0}
	var g Grid
	require.NoError(t, g.Build(pos, 2))
	pos[2] = 100
	got, err := g.Pairs(nil, 1)
	require.NoError(t, err)
	assert.Equal(t, []Pair{{0, 1}}, got, "the grid keeps the positions of Build")
}

func TestNoAllocsAfterWarmUp(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage counters may allocate")
	}
	rng := rand.New(rand.NewPCG(11, 11))
	a := layouts[0].gen(rng, 5000, 2)
	b := layouts[1].gen(rng, 5000, 2) // same n, different spread
	small := layouts[0].gen(rng, 100, 2)
	outliers := outlierLayouts[2].gen(rng, 5000, 2) // hashed
	for _, tc := range []struct {
		name   string
		g      Grid
		runner Runner
	}{
		{"direct", Grid{}, nil},
		{"banded", Grid{bandTarget: 64}, nil},
		{"banded-parts", Grid{bandTarget: 64, parallelMin: 1}, orderRunner{3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := &tc.g
			g.SetRunner(tc.runner)
			pairs := make([]Pair, 0, 100000)
			nb := make([]int32, 0, 5000)
			frame := func() {
				for _, pos := range [][]float32{a, b, small, outliers} {
					if err := g.Build(pos, 4); err != nil {
						panic(err)
					}
					var err error
					if pairs, err = g.Pairs(pairs[:0], 2); err != nil {
						panic(err)
					}
					if g.hashed { // a wider radius re-bins
						if pairs, err = g.Pairs(pairs[:0], 5); err != nil {
							panic(err)
						}
					}
					if nb, err = g.Neighbors(nb[:0], pos[0], pos[1], 10); err != nil {
						panic(err)
					}
				}
			}
			frame() // warm up for n = 5000
			require.NoError(t, g.Build(outliers, 4))
			require.True(t, g.hashed, "the outliers take the hashed layout")
			assert.Zero(t, testing.AllocsPerRun(5, frame))
			assert.NotEmpty(t, pairs)
		})
	}
}

func TestBandedParallelSameAsDirect(t *testing.T) {
	// Tiny bands, a parallel threshold of one entity and a runner of two
	// workers push small inputs through sortBanded and the split into
	// parts. The result must equal the plain single-threaded one in content
	// and order, and brute force.
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			tuned := Grid{bandTarget: 4, parallelMin: 1}
			tuned.SetRunner(goRunner{2})
			var plain Grid
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 4))
				for _, r := range radii {
					cell := cellsFor(rng, r)[rng.IntN(3)]
					n := []int{0, 1, 2, 33, 300, 2000}[rng.IntN(6)]
					if l.maxN > 0 {
						n = min(n, l.maxN)
					}
					pos := l.gen(rng, n, r)
					checkPairs(t, &tuned, pos, cell, r)
					require.NoError(t, plain.Build(pos, cell))
					want, err := plain.Pairs(nil, r)
					require.NoError(t, err)
					got, err := tuned.Pairs(nil, r)
					require.NoError(t, err)
					require.Equal(t, want, got, "n=%d", n)
					if n > 0 {
						x, y := pos[0], pos[1]
						checkNeighbors(t, &tuned, pos, x, y, 2*r)
					}
				}
			}
		})
	}
}

func TestBands(t *testing.T) {
	g := Grid{ny: 1000}
	_, count := g.bands(8 * defaultBandTarget)
	assert.Equal(t, 1, count, "few entities: one direct sort")
	shift, count := g.bands(100 * defaultBandTarget)
	assert.Equal(t, 3, shift, "1000 rows for 100 bands' worth: 8 rows a band")
	assert.Equal(t, 125, count)
	g.ny = 1
	_, count = g.bands(100 * defaultBandTarget)
	assert.Equal(t, 1, count, "one row cannot be split")
}

// orderKey maps float32s to uint32s in the same order.
func orderKey(f float32) uint32 {
	b := math.Float32bits(f)
	if b>>31 == 1 {
		return ^b
	}
	return b | 1<<31
}

func fromOrderKey(k uint32) float32 {
	if k>>31 == 1 {
		return math.Float32frombits(k &^ (1 << 31))
	}
	return math.Float32frombits(^k)
}

// firstInColumn returns the smallest finite float32 x that g puts in column
// k or later.
func firstInColumn(g *Grid, k int) float32 {
	lo, hi := orderKey(-math.MaxFloat32), orderKey(math.MaxFloat32)
	for lo < hi {
		mid := lo + (hi-lo)/2
		if g.col(float64(fromOrderKey(mid))) >= k {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return fromOrderKey(lo)
}

func TestExactAtCellBorders(t *testing.T) {
	// The far entity of a pair sits on the first float32 of a column, the
	// near one about 2r before it, a float32 step either way; a query
	// centre sits about r before it. Rounding must not push the near one
	// two columns away, or the far one outside the query box: this is what
	// the cell and query margins are for.
	touching := 0
	for _, r := range []float32{1, 0.3, 0.7, 1.1, 2.9, 1e-3, 37.3} {
		for _, lo := range []float32{0, -7.77, 1234.5, -3e5} {
			// A flat box, 10 columns by 1 row, so the layout needs no
			// coarsening and stays the same as entities are added.
			hi := lo + 20*r
			anchors := []float32{lo, lo, hi, lo}
			var g Grid
			require.NoError(t, g.Build(anchors, 2*r))
			for k := 1; k < g.nx; k++ {
				require.NoError(t, g.Build(anchors, 2*r))
				x := firstInColumn(&g, k)
				if g.col(float64(x)) != k {
					continue // columns narrower than a float32 step here
				}
				y := lo
				near := x - 2*r
				q := x - r
				pos := slices.Clone(anchors)
				for _, v := range []float32{near, math.Nextafter32(near, -math.MaxFloat32), math.Nextafter32(near, math.MaxFloat32)} {
					if v >= lo { // keep the bounding box
						pos = append(pos, x, y, v, y)
					}
				}
				require.NoError(t, g.Build(pos, 2*r))
				require.Equal(t, k, g.col(float64(x)), "layout unchanged: r=%v lo=%v x=%v", r, lo, x)
				want := BrutePairs(nil, pos, r)
				touching += len(want)
				got, err := g.Pairs(nil, r)
				require.NoError(t, err)
				sortPairs(got)
				assert.Equal(t, want, got, "r=%v column %d at x=%v", r, k, x)
				for _, qx := range []float32{q, math.Nextafter32(q, -math.MaxFloat32), math.Nextafter32(q, math.MaxFloat32)} {
					nb, err := g.Neighbors(nil, qx, y, r)
					require.NoError(t, err)
					slices.Sort(nb)
					assert.Equal(t, BruteNeighbors(nil, pos, qx, y, r), nb, "r=%v column %d at x=%v", r, k, x)
				}
			}
		}
	}
	assert.Positive(t, touching)
}
