package ecs

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rows builds n rows with keys base..base+n-1 and values derived from the key.
func rows(mask Mask, base, n int) Columns {
	c := Columns{Mask: mask}
	for i := range n {
		k := base + i
		c.Keys = append(c.Keys, NewKey(uint32(k), 1))
		c.Position = append(c.Position, Position{float32(k), float32(-k)})
		if mask.Has(MaskVelocity) {
			c.Velocity = append(c.Velocity, Velocity{float32(k) / 2, 1})
		}
		if mask.Has(MaskCollided) {
			c.Collided = append(c.Collided, Collided(k%3 == 0))
		}
		if mask.Has(MaskMass) {
			c.Mass = append(c.Mass, Mass(k))
		}
	}
	return c
}

// byKey indexes a Columns' rows by key for order-independent comparison.
func byKey(c *Columns) map[Key]int {
	m := make(map[Key]int, c.Len())
	for i, k := range c.Keys {
		m[k] = i
	}
	return m
}

func TestNewWorldRejectsBadMask(t *testing.T) {
	_, err := NewWorld(MaskVelocity, 0)
	assert.ErrorIs(t, err, ErrBadMask)
	_, err = NewWorld(MaskAll|1<<7, 0)
	assert.ErrorIs(t, err, ErrBadMask)
}

func TestAppendAndColumns(t *testing.T) {
	for _, mask := range []Mask{MaskPosition | MaskVelocity, MaskPosition | MaskVelocity | MaskCollided, MaskAll} {
		w, err := NewWorld(mask, 0)
		require.NoError(t, err)
		src := rows(MaskAll, 0, 300)
		require.NoError(t, w.Append(&src))
		more := rows(MaskAll, 300, 50)
		require.NoError(t, w.Append(&more))
		require.Equal(t, 350, w.Len())
		c := w.Columns()
		want := rows(mask, 0, 350)
		assert.True(t, Equal(&c, &want, mask), "mask %v", mask)
	}
}

func TestAppendRejectsMissingOrRaggedColumns(t *testing.T) {
	w, err := NewWorld(MaskPosition|MaskVelocity|MaskCollided, 0)
	require.NoError(t, err)
	ok := rows(MaskPosition|MaskVelocity|MaskCollided, 0, 10)
	require.NoError(t, w.Append(&ok))
	epoch := w.Epoch()

	missing := rows(MaskPosition|MaskVelocity, 10, 5)
	assert.ErrorIs(t, w.Append(&missing), ErrMissingColumns)
	ragged := rows(MaskPosition|MaskVelocity|MaskCollided, 10, 5)
	ragged.Velocity = ragged.Velocity[:4]
	assert.ErrorIs(t, w.Append(&ragged), ErrColumnLength)

	assert.Equal(t, 10, w.Len())
	assert.Equal(t, epoch, w.Epoch())
}

func TestRemoveRowsBothStrategies(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 10, 1000} {
		for _, frac := range []float64{0, 0.01, 0.3, 0.7, 0.99, 1} {
			w, err := NewWorld(MaskAll, 0)
			require.NoError(t, err)
			src := rows(MaskAll, 0, n)
			require.NoError(t, w.Append(&src))
			var drop []int32
			for r := range int32(n) {
				if rng.Float64() < frac {
					drop = append(drop, r)
				}
			}
			before := w.Columns()
			dropped := map[Key]bool{}
			for _, r := range drop {
				dropped[before.Keys[r]] = true
			}
			require.NoError(t, w.RemoveRows(drop))
			require.Equal(t, n-len(drop), w.Len())
			after := w.Columns()
			want := rows(MaskAll, 0, n)
			idx := byKey(&want)
			for i, k := range after.Keys {
				require.False(t, dropped[k], "removed key %v survived", k)
				j := idx[k]
				assert.Equal(t, want.Position[j], after.Position[i])
				assert.Equal(t, want.Velocity[j], after.Velocity[i])
				assert.Equal(t, want.Collided[j], after.Collided[i])
				assert.Equal(t, want.Mass[j], after.Mass[i])
			}
		}
	}
}

func TestRemoveRowsRejectsBadRows(t *testing.T) {
	w, err := NewWorld(MaskPosition, 0)
	require.NoError(t, err)
	src := rows(MaskPosition, 0, 5)
	require.NoError(t, w.Append(&src))
	for _, bad := range [][]int32{{5}, {-1}, {2, 2}, {3, 1}} {
		assert.ErrorIs(t, w.RemoveRows(bad), ErrBadRows)
		assert.Equal(t, 5, w.Len())
	}
}

func TestBackupCopiesWritesAndDetectsStructuralChange(t *testing.T) {
	w, err := NewWorld(MaskAll, 0)
	require.NoError(t, err)
	src := rows(MaskAll, 0, 100)
	require.NoError(t, w.Append(&src))
	var b Backup
	full := b.Take(w, MaskPosition)
	assert.Greater(t, full, 100*8)
	require.True(t, b.Valid(w))

	c := w.Columns()
	c.Position[7].X = 99
	partial := b.Take(w, MaskPosition)
	assert.Equal(t, 100*8, partial, "between structural changes only the written column is copied")
	assert.Equal(t, float32(99), b.Columns().Position[7].X)

	more := rows(MaskAll, 100, 1)
	require.NoError(t, w.Append(&more))
	assert.False(t, b.Valid(w))
	b.Take(w, MaskPosition)
	assert.Equal(t, 101, b.Columns().Len())
	now := w.Columns()
	assert.True(t, Equal(b.Columns(), &now, MaskAll))
}

func TestFirstNonFinite(t *testing.T) {
	c := rows(MaskAll, 0, 64)
	row, col := c.FirstNonFinite()
	assert.Equal(t, -1, row)
	assert.Equal(t, Mask(0), col)
	c.Velocity[40].Y = float32(math.Inf(-1))
	row, col = c.FirstNonFinite()
	assert.Equal(t, 40, row)
	assert.Equal(t, MaskVelocity, col)
	c.Position[41].X = float32(math.NaN())
	row, col = c.FirstNonFinite()
	assert.Equal(t, 41, row)
	assert.Equal(t, MaskPosition, col)
}

func TestAppendRowsGathersRuns(t *testing.T) {
	src := rows(MaskAll, 0, 20)
	var dst Columns
	dst.Reset(MaskPosition | MaskMass)
	sel := []int32{0, 1, 2, 5, 9, 10, 19}
	dst.AppendRows(&src, sel)
	require.Equal(t, len(sel), dst.Len())
	for i, r := range sel {
		assert.Equal(t, src.Keys[r], dst.Keys[i])
		assert.Equal(t, src.Position[r], dst.Position[i])
		assert.Equal(t, src.Mass[r], dst.Mass[i])
	}
	assert.Empty(t, dst.Velocity)
}

func TestChecksumSeesEveryColumn(t *testing.T) {
	a := rows(MaskAll, 0, 10)
	base := a.Checksum()
	for _, mut := range []func(c *Columns){
		func(c *Columns) { c.Keys[3]++ },
		func(c *Columns) { c.Position[3].Y++ },
		func(c *Columns) { c.Velocity[3].X++ },
		func(c *Columns) { c.Collided[4] = !c.Collided[4] },
		func(c *Columns) { c.Mass[3]++ },
	} {
		b := a.Clone()
		mut(&b)
		assert.NotEqual(t, base, b.Checksum())
	}
}

func TestMigrationHelpers(t *testing.T) {
	c := rows(MaskPosition|MaskVelocity, 0, 5)
	c.AddColumn(MaskCollided | MaskMass)
	require.NoError(t, Validate(&c, MaskAll))
	c.FillMass(1)
	assert.True(t, slices.Equal(c.Mass, []Mass{1, 1, 1, 1, 1}))
	c.DropColumn(MaskMass)
	assert.ErrorIs(t, Validate(&c, MaskAll), ErrMissingColumns)
	assert.True(t, errors.Is(Validate(&c, MaskPosition|MaskCollided), nil))
}

func TestMaskString(t *testing.T) {
	assert.Equal(t, "position|velocity", (MaskPosition | MaskVelocity).String())
	assert.Equal(t, "none", Mask(0).String())
}

func TestQueryVisitsEveryEntityOnce(t *testing.T) {
	w, err := NewWorld(MaskPosition|MaskVelocity, 0)
	require.NoError(t, err)
	src := rows(MaskAll, 0, 257)
	require.NoError(t, w.Append(&src))
	seen := map[Key]bool{}
	q := w.Query()
	for q.Next() {
		require.False(t, seen[q.Key()])
		seen[q.Key()] = true
		q.Position().X += q.Velocity().X
		assert.Nil(t, q.Mass())
		assert.Nil(t, q.Collided())
	}
	assert.Len(t, seen, 257)
	c := w.Columns()
	for i := range c.Keys {
		k := int(c.Keys[i].Index())
		assert.Equal(t, float32(k)+float32(k)/2, c.Position[i].X)
	}
}

func TestMemoryBytesGrowsWithEntities(t *testing.T) {
	w, err := NewWorld(MaskAll, 0)
	require.NoError(t, err)
	empty := w.MemoryBytes()
	assert.Greater(t, WorldOverhead(), 0)
	src := rows(MaskAll, 0, 10000)
	require.NoError(t, w.Append(&src))
	// 10,000 entities of 8+8+8+1+4 bytes of components at least.
	assert.GreaterOrEqual(t, w.MemoryBytes()-empty, 10000*29)
}

func TestUnlockClosesAbandonedQueries(t *testing.T) {
	w, err := NewWorld(MaskPosition|MaskVelocity, 0)
	require.NoError(t, err)
	src := rows(MaskAll, 0, 10)
	require.NoError(t, w.Append(&src))

	finished := w.Query()
	for finished.Next() {
	}
	closed := w.Query()
	closed.Next()
	closed.Close()
	assert.Equal(t, 0, w.Unlock(), "finished and closed queries are not touched")

	func() {
		defer func() { _ = recover() }()
		q := w.Query()
		for i := 0; q.Next(); i++ {
			if i == 4 {
				panic("mid-loop")
			}
		}
	}()
	outer := w.Query()
	outer.Next()
	assert.Panics(t, func() { w.RemoveAll() }, "arche refuses structural changes while locked")
	assert.Equal(t, 2, w.Unlock())
	assert.NotPanics(t, func() { w.RemoveAll() })
	assert.Equal(t, 0, w.Len())
	assert.Equal(t, 0, w.Unlock())
}
