package spatial

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// uniformAt returns n positions at the benchmarks' density (about one pair
// per entity for radius r) in a square with its corner at (x0, y0).
func uniformAt(rng *rand.Rand, n int, r, x0, y0 float32) []float32 {
	side := 5 * r * float32(math.Sqrt(float64(n)+1))
	pos := make([]float32, 0, 2*n)
	for range n {
		pos = append(pos, x0+rng.Float32()*side, y0+rng.Float32()*side)
	}
	return pos
}

// outlierLayouts stretch the bounding box so that a dense grid would have
// to coarsen its cells until most entities share one.
var outlierLayouts = []layout{
	{name: "one-far", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		pos := uniformAt(rng, n, r, 0, 0)
		if n > 0 {
			pos[0], pos[1] = 1e7, 1e7
		}
		return pos
	}},
	{name: "two-clusters", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		a := uniformAt(rng, n/2, r, 0, 0)
		return append(a, uniformAt(rng, n-n/2, r, 3e4, -1e9)...)
	}},
	{name: "scattered-1%", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		pos := uniformAt(rng, n, r, -100, -100)
		for i := 0; i < n; i += 100 {
			d := math.Pow(10, 6+3*rng.Float64())
			a := 2 * math.Pi * rng.Float64()
			pos[2*i], pos[2*i+1] = float32(d*math.Cos(a)), float32(d*math.Sin(a))
		}
		return pos
	}},
	{name: "exponential-line", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		// x grows by a constant factor from r to about 1e38; every other
		// entity sits close to the one before, or on it where float32
		// cannot represent anything closer.
		pos := make([]float32, 2*n)
		for i := 0; i < n; i++ {
			if i%2 == 1 {
				pos[2*i] = pos[2*i-2] + r*rng.Float32()
				pos[2*i+1] = pos[2*i-1] + r*rng.Float32()
				continue
			}
			pos[2*i] = float32(float64(r) * math.Pow(2, 125*float64(i)/float64(n)))
			pos[2*i+1] = rng.Float32() * r
		}
		return pos
	}},
	{name: "huge-apart", gen: func(rng *rand.Rand, n int, r float32) []float32 {
		// Entities 1e30 apart on a diagonal lattice, half of them doubled.
		pos := make([]float32, 2*n)
		for i := 0; i < n; i++ {
			j := i - i%2*rng.IntN(2)
			pos[2*i] = float32(j%50-25) * 1e30
			pos[2*i+1] = float32(j/50-25) * 1e30
		}
		return pos
	}},
}

func TestOutliersMatchBrute(t *testing.T) {
	seeds := 4
	if testing.Short() {
		seeds = 2
	}
	for _, l := range outlierLayouts {
		t.Run(l.name, func(t *testing.T) {
			found := 0
			var g Grid
			tuned := Grid{bandTarget: 4, parallelMin: 1}
			tuned.SetRunner(goRunner{3})
			for seed := range seeds {
				rng := rand.New(rand.NewPCG(uint64(seed), 5))
				for _, r := range []float32{2, 0.5} {
					for _, cell := range cellsFor(rng, r) {
						n := []int{1, 2, 200, 1500}[rng.IntN(4)]
						pos := l.gen(rng, n, r)
						found += checkPairs(t, &g, pos, cell, r)
						checkPairs(t, &tuned, pos, cell, r)
						for q := 0; q < n; q += 1 + n/8 {
							checkNeighbors(t, &g, pos, pos[2*q], pos[2*q+1], r*[]float32{1, 2, 7}[q%3])
						}
						checkNeighbors(t, &g, pos, 0, 0, 1e36)
					}
				}
			}
			assert.Positive(t, found, "no case produced a pair")
		})
	}
}

// TestOutliersLinear checks, by counting the candidate pairs Pairs compares
// rather than by timing, that the search stays O(n + pairs) however far
// outliers stretch the bounding box.
func TestOutliersLinear(t *testing.T) {
	const r = 2
	all := append([]layout{layouts[0]}, outlierLayouts...)
	for _, l := range all {
		t.Run(l.name, func(t *testing.T) {
			for _, n := range []int{5000, 40000} {
				rng := rand.New(rand.NewPCG(uint64(n), 6))
				pos := l.gen(rng, n, r)
				var g Grid
				require.NoError(t, g.Build(pos, 2*r))
				got, err := g.Pairs(nil, r)
				require.NoError(t, err)
				cand := g.candidates()
				t.Logf("n=%d pairs=%d candidates=%d (%.2f per entity or pair)", n, len(got), cand, float64(cand)/float64(n+len(got)))
				bound := 6 * (n + len(got))
				assert.LessOrEqual(t, cand, bound, "n=%d pairs=%d hashed=%v", n, len(got), g.hashed)
				// Evenly spread input stays dense, however large its box;
				// a hashed layout is chosen only where the dense one would
				// crowd entities together. The bound above is what matters.
				if l.name == "uniform" || l.name == "huge-apart" {
					assert.False(t, g.hashed, "layout chosen")
				}

				// A radius several cells wide re-bins the hashed layout
				// rather than searching a wide window.
				_, err = g.Pairs(got[:0], 3*r)
				require.NoError(t, err)
				assert.LessOrEqual(t, g.candidates(), 30*(n+len(got)), "radius 3r, n=%d", n)
			}
		})
	}
}

func TestKeyOf(t *testing.T) {
	// Monotone and 1-Lipschitz in t, also across octave borders, and
	// bounded for the widest box and the finest cell.
	inv := 1.0
	for _, t0 := range []float64{0, 1, 1<<keyBits - 2, 1 << keyBits, 3 << keyBits, 1 << 40, 1 << 100} {
		prev := keyOf(t0, 0, inv)
		for d := range 8 {
			v := t0 + float64(d)*0.5
			k := keyOf(v, 0, inv)
			assert.GreaterOrEqual(t, k, prev, "monotone at %g", v)
			lo := keyOf(v-1, 0, inv)
			assert.LessOrEqual(t, k-lo, uint64(1), "1-Lipschitz at %g", v)
			prev = k
		}
	}
	assert.Equal(t, uint64(1<<keyBits), keyOf(1<<keyBits, 0, 1), "continuous at the first octave")
	assert.Equal(t, uint64(2<<keyBits), keyOf(2<<keyBits, 0, 1))
	assert.Equal(t, uint64(3<<keyBits), keyOf(4<<keyBits, 0, 1))
	widest := keyOf(math.MaxFloat32, -math.MaxFloat32, 1/(math.SmallestNonzeroFloat32*(1+cellMargin)))
	assert.Less(t, widest, uint64(1)<<38)
	assert.Zero(t, keyOf(-5, 0, 1), "below the box")
}
