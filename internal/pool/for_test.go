package pool

import (
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestChunks(t *testing.T) {
	for _, tc := range []struct {
		workers, n, grain int
		size, count       int
	}{
		{8, 0, 16, 0, 0},
		{8, -5, 16, 0, 0},
		{1, 1 << 20, 16, 1 << 20, 1},        // one worker
		{8, MinFor - 1, 16, MinFor - 1, 1},  // too small
		{8, MinFor, 16, 1024, 4},            // at least 1024 elements a chunk
		{2, 1 << 20, 16, 1 << 17, 8},        // 4 chunks a worker
		{3, 1000003, 16, 83344, 12},         // size a multiple of the grain
		{2, 1 << 20, 1 << 20, 1 << 20, 1},   // one grain
		{2, 1 << 20, 300000, 300000, 4},     // whole grains, last one short
		{8, 10000, 0, 1112, 9},              // grain < 1 counts as 1; at most n/1024 chunks
		{64, 1 << 20, 16, 1 << 12, 1 << 8},  // many workers
		{64, 100000, 1024, 2048, 49},        // 97 chunks asked, rounded up to 2 grains
		{2, 1<<62 + 1, 1 << 61, 1 << 61, 3}, // no overflow
	} {
		p := &Pool{workers: tc.workers} // Chunks needs no helpers
		size, count := p.Chunks(tc.n, tc.grain)
		assert.Equal(t, [2]int{tc.size, tc.count}, [2]int{size, count}, "%+v", tc)
	}
}

func TestForCoversOnce(t *testing.T) {
	rng := newRand(t)
	for _, w := range append(workerCounts, 5) {
		p := New(w)
		for range 100 {
			n := []int{0, 1, MinFor - 1, MinFor, rng.IntN(1 << 16), rng.IntN(1 << 20)}[rng.IntN(6)]
			grain := []int{0, 1, 16, 1000, 1 << 21, rng.IntN(5000)}[rng.IntN(6)]
			size, count := p.Chunks(n, grain)
			// Chunks are disjoint, so plain writes are race-free; -race
			// reports an overlap.
			hits := make([]uint8, n)
			var mu sync.Mutex
			var got [][2]int
			require.NoError(t, p.For(n, grain, func(lo, hi int) {
				for i := lo; i < hi; i++ {
					hits[i]++
				}
				mu.Lock()
				got = append(got, [2]int{lo, hi})
				mu.Unlock()
			}))
			for i, h := range hits {
				if h != 1 {
					require.Failf(t, "element not covered once", "element %d of %d covered %d times, grain %d, workers %d", i, n, h, grain, w)
				}
			}

			// The chunks are exactly those Chunks describes.
			var want [][2]int
			for c := range count {
				want = append(want, [2]int{c * size, min((c+1)*size, n)})
			}
			slices.SortFunc(got, func(a, b [2]int) int { return a[0] - b[0] })
			require.Equal(t, want, got, "n=%d grain=%d workers=%d", n, grain, w)
			if n < MinFor || w == 1 {
				assert.LessOrEqual(t, count, 1, "serial below MinFor or on one worker")
			}
			if count > 1 {
				assert.Zero(t, size%max(grain, 1), "size a multiple of the grain")
				assert.LessOrEqual(t, count, chunksPerWorker*w)
				assert.GreaterOrEqual(t, size, minChunk)
			}
		}
		p.Close()
	}
}

func TestForNoHandOffWhenSmall(t *testing.T) {
	// Below MinFor the body is one call, made on the caller: the
	// unsynchronized counter would be a race (reported by -race) otherwise.
	for _, w := range workerCounts {
		p := New(w)
		calls := 0
		require.NoError(t, p.For(MinFor-1, 16, func(lo, hi int) {
			calls++ // unsynchronized: -race reports a helper
			assert.Equal(t, [2]int{0, MinFor - 1}, [2]int{lo, hi})
		}))
		assert.Equal(t, 1, calls)
		p.Close()
	}
}
