package spatial

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxFuzzEntities bounds n so the O(n²) reference stays quick.
const maxFuzzEntities = 400

func fuzzSeeds(f *testing.F, extra func(data []byte, radius, cell float32, mode uint8)) {
	le := func(vs ...float32) []byte {
		var b []byte
		for _, v := range vs {
			u := math.Float32bits(v)
			b = append(b, byte(u), byte(u>>8), byte(u>>16), byte(u>>24))
		}
		return b
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	extra(nil, 1, 2, 0)
	extra(le(0, 0, 2, 0, 4, 0, 4, 4), 1, 2, 0)
	extra(le(3e38, 3e38, -3e38, -3e38, 3e38, math.Nextafter32(3e38, 0), 1e30, -1e30), 1e31, 2e31, 0)
	extra(le(nan, 0, inf, 1, 0, 0, 0, 0.5, -inf, -inf), 0.25, 0.5, 0)
	extra([]byte{0, 0, 1, 0, 2, 2, 255, 255, 128, 127, 4, 4, 4, 5}, 0.5, 1, 1)
	extra([]byte{0, 0, 1, 0, 2, 2, 255, 255, 128, 127, 4, 4, 4, 5}, 1, 0.5, 1)
	extra([]byte{1, 2, 3, 1, 2, 3, 7, 7, 7, 200, 100, 50}, 2, 4, 2)
	extra([]byte{10, 20, 30, 40, 50, 60, 70, 80}, 5e36, 1e37, 2)
}

func FuzzPairs(f *testing.F) {
	fuzzSeeds(f, func(data []byte, radius, cell float32, mode uint8) {
		f.Add(data, radius, cell, mode)
	})
	f.Fuzz(func(t *testing.T, data []byte, radius, cell float32, mode uint8) {
		pos := posFromBytes(data, mode)
		pos = pos[:min(len(pos), 2*maxFuzzEntities)]
		var g Grid
		err := g.Build(pos, cell)
		if !validLength(cell) {
			require.ErrorIs(t, err, ErrInvalidCell)
			return
		}
		require.NoError(t, err)
		got, err := g.Pairs(nil, radius)
		if !validLength(radius) {
			require.ErrorIs(t, err, ErrInvalidRadius)
			return
		}
		require.NoError(t, err)
		for _, p := range got {
			require.Less(t, p.A, p.B)
		}
		sortPairs(got)
		assert.Equal(t, BrutePairs(nil, pos, radius), got)
	})
}

func FuzzNeighbors(f *testing.F) {
	fuzzSeeds(f, func(data []byte, radius, cell float32, mode uint8) {
		f.Add(data, float32(0), float32(0), radius, cell, mode)
		f.Add(data, float32(2), float32(-1), 3*radius, cell, mode)
	})
	f.Fuzz(func(t *testing.T, data []byte, x, y, radius, cell float32, mode uint8) {
		pos := posFromBytes(data, mode)
		pos = pos[:min(len(pos), 2*maxFuzzEntities)]
		var g Grid
		err := g.Build(pos, cell)
		if !validLength(cell) {
			require.ErrorIs(t, err, ErrInvalidCell)
			return
		}
		require.NoError(t, err)
		// Also query at each entity: the interesting points in a sparse
		// fuzzed world.
		queries := [][2]float32{{x, y}}
		for i := 0; i+1 < len(pos) && i < 16; i += 2 {
			queries = append(queries, [2]float32{pos[i], pos[i+1]})
		}
		for _, q := range queries {
			got, err := g.Neighbors(nil, q[0], q[1], radius)
			if !validLength(radius) {
				require.ErrorIs(t, err, ErrInvalidRadius)
				return
			}
			require.NoError(t, err)
			slices.Sort(got)
			assert.Equal(t, BruteNeighbors(nil, pos, q[0], q[1], radius), got)
		}
	})
}
