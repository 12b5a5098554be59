package ecs

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAppendFromIsTheDerivedStepFusedWithTheCopy: appending rows of a
// Columns in another layout straight into a world equals migrating them into
// a buffer (MigrateRows, no Convert) and appending that, for any layouts.
func TestAppendFromIsTheDerivedStepFusedWithTheCopy(t *testing.T) {
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 11))
		from, to := randomLayout(rng), randomLayout(rng)
		if CheckStep(from, to, false) != nil {
			continue
		}
		src, _ := randomRows(rng, from, 0, rng.IntN(200))
		pre, _ := randomRows(rng, to, 1000, rng.IntN(20))
		var rows []int32
		for r := range int32(src.Len()) {
			if rng.IntN(2) == 0 {
				rows = append(rows, r)
			}
		}
		lo := rng.IntN(src.Len() + 1)
		hi := lo + rng.IntN(src.Len()-lo+1)

		var want Columns
		want.Reset(to)
		want.AppendAll(&pre)
		var sub Columns
		sub.Reset(from)
		sub.AppendRows(&src, rows)
		require.NoError(t, MigrateRows(&want, &sub, nil), "seed %d", seed)
		window := src.Slice(lo, hi)
		require.NoError(t, MigrateRows(&want, &window, nil), "seed %d", seed)
		require.NoError(t, MigrateRows(&want, &src, nil), "seed %d", seed)

		w, err := NewWorld(to, 0)
		require.NoError(t, err)
		require.NoError(t, w.Append(&pre))
		require.Equal(t, pre.Len(), w.AppendFrom(&src, rows), "seed %d", seed)
		require.Equal(t, pre.Len()+len(rows), w.AppendRange(&src, lo, hi), "seed %d", seed)
		w.AppendFrom(&src, nil)
		got := w.Columns()
		require.True(t, Equal(&want, &got), "seed %d: %v → %v", seed, from, to)
	}
}

// TestRemoveTailKeepsEveryOtherRow: both strategies remove exactly the last
// k entities and leave every other row where it was.
func TestRemoveTailKeepsEveryOtherRow(t *testing.T) {
	l := MustLayout(cPos, cVel, cFlag, cMass)
	rng := rand.New(rand.NewPCG(3, 9))
	for _, n := range []int{1, 2, 10, 1000} {
		for _, k := range []int{0, 1, n / 10, n / 2, n - 1, n} {
			w, err := NewWorld(l, 0)
			require.NoError(t, err)
			src, _ := randomRows(rng, l, 0, n)
			require.NoError(t, w.Append(&src))
			epoch := w.Epoch()
			require.NoError(t, w.RemoveTail(k))
			got := w.Columns()
			keep := src.Slice(0, n-k)
			want := keep.Clone()
			require.True(t, Equal(&want, &got), "n=%d k=%d", n, k)
			require.Equal(t, k == 0, w.Epoch() == epoch)
		}
		w, err := NewWorld(l, 0)
		require.NoError(t, err)
		require.ErrorIs(t, w.RemoveTail(1), ErrBadRows)
		require.ErrorIs(t, w.RemoveTail(-1), ErrBadRows)
	}
}
