//go:build !purego

package asm

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPrefetchWindow(t *testing.T) {
	lo, hi := prefetchWindow(1<<20, 32<<20)
	assert.Equal(t, 1<<17, lo)
	assert.Equal(t, 1<<22, hi)
	lo, hi = prefetchWindow(-1, -1)
	assert.Equal(t, 1<<17, lo)
	assert.Equal(t, 1<<22, hi)
	lo, hi = prefetchWindow(2<<20, 0)
	assert.Equal(t, 1<<18, lo)
	assert.Equal(t, 1<<22, hi)
}

// TestPrefetchLoops runs the streaming kernels with the prefetch window
// opened to every length, so the prefetching copies of the unrolled loops
// are checked against the reference too (the exhaustive tests' short
// lengths never reach them otherwise).
func TestPrefetchLoops(t *testing.T) {
	oldMin, oldMax := prefetchMinFloats, prefetchMaxFloats
	t.Cleanup(func() { prefetchMinFloats, prefetchMaxFloats = oldMin, oldMax })
	r := rand.New(rand.NewPCG(13, 14))
	for _, window := range [][2]int{{0, 1 << 40}, {1 << 40, 1 << 41}} {
		prefetchMinFloats, prefetchMaxFloats = window[0], window[1]
		for _, im := range Impls() {
			for n := 0; n <= 600; n += 2 {
				for _, off := range []int{0, 3} {
					p := newGuardedFloats(off, n)
					v := newGuardedFloats(7-off, n)
					fill(r, p.data(), specials)
					fill(r, v.data(), specials)
					wantP := append([]float32(nil), p.data()...)
					wantV := append([]float32(nil), v.data()...)
					integrateGeneric(wantP, wantV, 0.25)
					gravityGeneric(wantP, wantV, 1, -2, 0.25)
					im.Integrate(p.data(), v.data(), 0.25)
					im.Gravity(p.data(), v.data(), 1, -2, 0.25)
					require.Equal(t, -1, firstDiff(p.data(), wantP), "%s window=%v n=%d off=%d", im.Name, window, n, off)
					require.Equal(t, -1, firstDiff(v.data(), wantV), "%s window=%v n=%d off=%d", im.Name, window, n, off)
					require.NoError(t, p.guardsIntact())
					require.NoError(t, v.guardsIntact())
				}
			}
		}
	}
}
