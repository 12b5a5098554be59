package versioning

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

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
