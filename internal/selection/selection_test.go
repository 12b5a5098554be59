package selection

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNthIsTheSortedValue: Nth returns what sorting puts at k, and leaves
// x partitioned around it, for random slices full of ties and for sorted
// and reversed ones, at the ends, the middle, the p99 and a random k.
func TestNthIsTheSortedValue(t *testing.T) {
	const seed = 3
	rng := rand.New(rand.NewPCG(seed, 0))
	for trial := range 500 {
		n := 1 + rng.IntN(300)
		x := make([]time.Duration, n)
		spread := 1 + rng.IntN(1000)
		for i := range x {
			x[i] = time.Duration(rng.IntN(spread))
		}
		switch trial % 3 {
		case 1:
			slices.Sort(x)
		case 2:
			slices.Sort(x)
			slices.Reverse(x)
		}
		sorted := slices.Sorted(slices.Values(x))
		for _, k := range []int{0, n / 2, (n*99+99)/100 - 1, n - 1, rng.IntN(n)} {
			y := slices.Clone(x)
			got := Nth(y, k)
			require.Equal(t, sorted[k], got, "seed %d, trial %d, n %d, k %d", seed, trial, n, k)
			require.Equal(t, sorted, slices.Sorted(slices.Values(y)), "a permutation of x")
			for i := range y {
				if i < k {
					require.LessOrEqual(t, y[i], got)
				} else if i > k {
					require.GreaterOrEqual(t, y[i], got)
				}
			}
		}
	}
	require.Panics(t, func() { Nth([]float64{1}, 1) })
}
