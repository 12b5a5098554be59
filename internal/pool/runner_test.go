package pool_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/internal/pool"
	"github.com/grove-engine/grove/spatial"
)

// The engine hands its pool to the broad phase, which does not import this
// package.
var _ spatial.Runner = (*pool.Pool)(nil)

// world returns n positions at the benchmarks' density (about one pair per
// entity for radius 2), with 1% of them thrown far away if asked, which
// gives the hashed layout. At 70,000 entities a grid splits into parts.
func world(rng *rand.Rand, n int, outliers bool) []float32 {
	side := float32(5 * math.Sqrt(float64(n)))
	pos := make([]float32, 2*n)
	for i := range pos {
		pos[i] = rng.Float32() * side
	}
	if outliers {
		for i := 0; i < n; i += 100 {
			pos[2*i], pos[2*i+1] = 1e9*rng.Float32(), -1e8*rng.Float32()
		}
	}
	return pos
}

func TestGridWithPool(t *testing.T) {
	// The pool as a spatial.Runner: the same layout-dependent pair order
	// as the serial grid, at every worker count, dense and hashed, and no
	// allocation once warmed up.
	if testing.Short() {
		t.Skip("large inputs")
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, outliers := range []bool{false, true} {
		pos := world(rng, 70000, outliers)
		var serial spatial.Grid
		require.NoError(t, serial.Build(pos, 4))
		want, err := serial.Pairs(nil, 2)
		require.NoError(t, err)
		require.NotEmpty(t, want)
		for _, w := range []int{1, 2, 3, 8} {
			p := pool.New(w)
			var g spatial.Grid
			g.SetRunner(p)
			var dst []spatial.Pair
			frame := func() {
				var err error
				if err = g.Build(pos, 4); err != nil {
					panic(err)
				}
				if dst, err = g.Pairs(dst[:0], 2); err != nil {
					panic(err)
				}
			}
			require.NoError(t, g.Build(pos, 4))
			got, err := g.Pairs(nil, 2)
			require.NoError(t, err)
			require.Equal(t, want, got, "workers=%d outliers=%v", w, outliers)
			if testing.CoverMode() == "" {
				frame() // size dst
				assert.Zero(t, testing.AllocsPerRun(5, frame), "workers=%d outliers=%v", w, outliers)
				assert.Equal(t, want, dst)
			}
			p.Close()
		}
	}
}
