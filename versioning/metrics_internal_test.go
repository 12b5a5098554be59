package versioning

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNthIsTheSortedValue: the quickselect behind p99 returns what sorting
// would put at k, for random windows full of ties and for sorted and
// reversed ones, at every k.
func TestNthIsTheSortedValue(t *testing.T) {
	rng := newRand(t, 3)
	for trial := range 300 {
		n := 1 + rng.IntN(300)
		r := make([]time.Duration, n)
		spread := 1 + rng.IntN(1000)
		for i := range r {
			r[i] = time.Duration(rng.IntN(spread))
		}
		switch trial % 3 {
		case 1:
			slices.Sort(r)
		case 2:
			slices.Sort(r)
			slices.Reverse(r)
		}
		sorted := slices.Sorted(slices.Values(r))
		for _, k := range []int{0, n / 2, (n*99+99)/100 - 1, n - 1, rng.IntN(n)} {
			got := nth(slices.Clone(r), k)
			require.Equal(t, sorted[k], got, "trial %d, n %d, k %d", trial, n, k)
		}
	}
}

// TestP99FollowsTheWindow: the p99 is the window's, recomputed after each
// new step and cached until then.
func TestP99FollowsTheWindow(t *testing.T) {
	var s stepStats
	require.Zero(t, s.p99())
	for i := range 3000 {
		s.record(time.Duration((i * 7919) % 5000))
		if i%97 != 0 {
			continue
		}
		n := min(i+1, window)
		w := slices.Sorted(slices.Values(s.recent[:n]))
		require.Equal(t, w[(n*99+99)/100-1], s.p99(), "after %d steps", i+1)
		require.Equal(t, w[(n*99+99)/100-1], s.p99(), "cached")
	}
}
