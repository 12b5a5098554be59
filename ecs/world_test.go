package ecs

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Components of assorted sizes and alignments for the property tests.
type (
	rgb    [3]uint8
	triple struct{ A, B, C float32 }
	wide   struct {
		V [3]float64
		N int32
		F bool
	}
)

var (
	cPos    = MustRegister[vec2]("prop.position")
	cVel    = MustRegister[vec2]("prop.velocity")
	cFlag   = MustRegister[bool]("prop.flag")
	cMass   = MustRegister[float32]("prop.mass")
	cColor  = MustRegister[rgb]("prop.color")
	cTriple = MustRegister[triple]("prop.triple")
	cWide   = MustRegister[wide]("prop.wide")
	cID     = MustRegister[uint64]("prop.id")
	pool    = []Spec{cPos, cVel, cFlag, cMass, cColor, cTriple, cWide, cID}
)

// randomLayout picks a random non-empty subset of the pool.
func randomLayout(rng *rand.Rand) *Layout {
	var specs []Spec
	for _, s := range pool {
		if rng.IntN(2) == 0 {
			specs = append(specs, s)
		}
	}
	if len(specs) == 0 {
		specs = append(specs, pool[rng.IntN(len(pool))])
	}
	return MustLayout(specs...)
}

// model is an independent reference: each entity's bytes per component name.
type model map[Key]map[string][]byte

func randomRows(rng *rand.Rand, l *Layout, base, n int) (Columns, model) {
	c := MakeColumns(l, n)
	m := model{}
	for i := range n {
		k := NewKey(uint32(base+i), rng.Uint32())
		c.Keys[i] = k
		m[k] = map[string][]byte{}
		for _, comp := range l.Components() {
			b := c.Raw(comp.ID())[i*comp.Size() : (i+1)*comp.Size()]
			for j := range b {
				b[j] = byte(rng.Uint32())
			}
			m[k][comp.Name()] = bytes.Clone(b)
		}
	}
	return c, m
}

// checkModel asserts that c holds exactly the model's entities, in any order.
func checkModel(t *testing.T, seed uint64, c *Columns, m model) {
	t.Helper()
	require.NoError(t, c.Validate(), "seed %d", seed)
	require.Equal(t, len(m), c.Len(), "seed %d", seed)
	seen := map[Key]bool{}
	for i, k := range c.Keys {
		want, ok := m[k]
		require.True(t, ok, "seed %d: unknown key %v", seed, k)
		require.False(t, seen[k], "seed %d: key %v twice", seed, k)
		seen[k] = true
		for _, comp := range c.Layout().Components() {
			got := c.Raw(comp.ID())[i*comp.Size() : (i+1)*comp.Size()]
			require.Equal(t, want[comp.Name()], got, "seed %d key %v %s", seed, k, comp.Name())
		}
	}
}

func TestColumnsRoundTripsAnyComponentSet(t *testing.T) {
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		l := randomLayout(rng)
		n := rng.IntN(300)
		src, m := randomRows(rng, l, 0, n)

		// Append to a world, read it back.
		w, err := NewWorld(l, rng.IntN(2)*n)
		require.NoError(t, err)
		require.NoError(t, w.Append(&src))
		view := w.Columns()
		checkModel(t, seed, &view, m)
		assert.True(t, Equal(&view, &src), "seed %d: rows keep their order", seed)

		// Gather a random subset.
		var rows []int32
		for r := range int32(n) {
			if rng.IntN(3) == 0 {
				rows = append(rows, r)
			}
		}
		var sub Columns
		sub.Reset(l)
		w.CopyRows(&sub, rows)
		subModel := model{}
		for _, r := range rows {
			subModel[src.Keys[r]] = m[src.Keys[r]]
		}
		checkModel(t, seed, &sub, subModel)

		// Backup, scribble over the written columns, restore from the backup.
		var b Backup
		b.Take(w, l.Set())
		cur := w.Columns()
		for _, comp := range l.Components() {
			for j := range cur.Raw(comp.ID()) {
				cur.Raw(comp.ID())[j] ^= 0x5a
			}
		}
		assert.Equal(t, len(cur.Raw(l.Components()[0].ID())), b.Take(w, SetOf(l.Components()[0])), "seed %d: only the written column is copied", seed)
		assert.False(t, Equal(b.Columns(), &src) && n > 0, "seed %d", seed)

		// Remove the subset; the rest survive bit-exactly.
		rebuilt, err := w.RemoveRows(rows)
		require.NoError(t, err)
		rest := model{}
		for k, v := range m {
			if _, gone := subModel[k]; !gone {
				rest[k] = v
			}
		}
		after := w.Columns()
		for _, comp := range l.Components() { // undo the scribble
			for j := range after.Raw(comp.ID()) {
				after.Raw(comp.ID())[j] ^= 0x5a
			}
		}
		checkModel(t, seed, &after, rest)
		if !rebuilt {
			checkHoles(t, seed, src.Keys, rows, after.Keys)
		}

		// Clone and checksum.
		cl := after.Clone()
		assert.True(t, Equal(&cl, &after))
		assert.Equal(t, after.Checksum(), cl.Checksum())
	}
}

// checkHoles asserts RemoveRows' documented one-by-one semantics: rows
// that were not removed and are below the new length keep their entity.
func checkHoles(t *testing.T, seed uint64, before []Key, removed []int32, after []Key) {
	t.Helper()
	gone := map[int32]bool{}
	for _, r := range removed {
		gone[r] = true
	}
	for r := range int32(len(after)) {
		if !gone[r] {
			require.Equal(t, before[r], after[r], "seed %d: row %d changed", seed, r)
		}
	}
}

func TestRemoveRowsBothStrategies(t *testing.T) {
	l := MustLayout(cPos, cVel, cFlag, cMass)
	rng := rand.New(rand.NewPCG(1, 2))
	sawRebuild, sawOne := false, false
	for _, n := range []int{1, 2, 10, 1000} {
		for _, frac := range []float64{0, 0.01, 0.3, 0.7, 0.99, 1} {
			w, err := NewWorld(l, 0)
			require.NoError(t, err)
			src, m := randomRows(rng, l, 0, n)
			require.NoError(t, w.Append(&src))
			var drop []int32
			for r := range int32(n) {
				if rng.Float64() < frac {
					drop = append(drop, r)
					delete(m, src.Keys[r])
				}
			}
			rebuilt, err := w.RemoveRows(drop)
			require.NoError(t, err)
			sawRebuild = sawRebuild || rebuilt
			sawOne = sawOne || (!rebuilt && len(drop) > 0 && len(drop) < n)
			require.Equal(t, n-len(drop), w.Len())
			after := w.Columns()
			checkModel(t, 0, &after, m)
			if !rebuilt {
				checkHoles(t, 0, src.Keys, drop, after.Keys)
			}
		}
	}
	assert.True(t, sawRebuild && sawOne, "both strategies ran")
}

func TestWorldRejectsBadInputAndChangesNothing(t *testing.T) {
	l := MustLayout(cPos, cVel, cFlag)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	ok, _ := randomRows(rand.New(rand.NewPCG(3, 3)), l, 0, 10)
	require.NoError(t, w.Append(&ok))
	epoch := w.Epoch()

	missing := MakeColumns(MustLayout(cPos, cVel), 5)
	assert.ErrorIs(t, w.Append(&missing), ErrMissingColumns)
	ragged := MakeColumns(l, 5)
	ragged.Keys = ragged.Keys[:4]
	assert.ErrorIs(t, w.Append(&ragged), ErrColumnLength)
	var none Columns
	assert.ErrorIs(t, w.Append(&none), ErrMissingColumns)
	other := MustRegister[struct{ X, Y float64 }]("prop.position")
	mismatch := MakeColumns(MustLayout(other, cVel, cFlag), 2)
	assert.ErrorIs(t, w.Append(&mismatch), ErrMissingColumns, "same name, other layout")
	for _, bad := range [][]int32{{10}, {-1}, {2, 2}, {3, 1}} {
		_, err := w.RemoveRows(bad)
		assert.ErrorIs(t, err, ErrBadRows)
	}
	assert.Equal(t, 10, w.Len())
	assert.Equal(t, epoch, w.Epoch())
	_, err = NewWorld(nil, 0)
	assert.ErrorIs(t, err, ErrBadLayout)
}

func TestQueryVisitsEveryEntityOnceWithTypedAccess(t *testing.T) {
	l := MustLayout(cPos, cVel)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	src := MakeColumns(l, 257)
	for i := range src.Keys {
		src.Keys[i] = NewKey(uint32(i), 1)
		Column(&src, cPos)[i] = vec2{float32(i), 0}
		Column(&src, cVel)[i] = vec2{float32(i) / 2, 1}
	}
	require.NoError(t, w.Append(&src))
	seen := map[Key]bool{}
	q := w.View().Query()
	for q.Next() {
		require.False(t, seen[q.Key()])
		seen[q.Key()] = true
		p, v := Get(&q, cPos), Get(&q, cVel)
		p.X += v.X
		assert.Nil(t, Get(&q, cMass), "absent component")
	}
	assert.Len(t, seen, 257)
	c := w.Columns()
	for i, k := range c.Keys {
		x := float32(k.Index())
		assert.Equal(t, x+x/2, Column(&c, cPos)[i].X)
	}
}

func TestBackupCopiesWritesAndDetectsStructuralChange(t *testing.T) {
	l := MustLayout(cPos, cVel, cFlag, cMass)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	src, _ := randomRows(rand.New(rand.NewPCG(4, 4)), l, 0, 100)
	require.NoError(t, w.Append(&src))
	var b Backup
	full := b.Take(w, SetOf(cPos))
	assert.Equal(t, 100*(8+8+8+1+4), full)
	require.True(t, b.Valid(w))
	c := w.Columns()
	Column(&c, cPos)[7].X = 99
	assert.Equal(t, 100*8, b.Take(w, SetOf(cPos)), "between structural changes only the written column is copied")
	assert.Equal(t, float32(99), Column(b.Columns(), cPos)[7].X)
	more, _ := randomRows(rand.New(rand.NewPCG(5, 5)), l, 100, 1)
	require.NoError(t, w.Append(&more))
	assert.False(t, b.Valid(w))
	b.Take(w, SetOf(cPos))
	now := w.Columns()
	assert.True(t, Equal(b.Columns(), &now))
	b.Invalidate()
	assert.False(t, b.Valid(w))
	b.Clear()
	assert.Equal(t, 0, b.Columns().Len())
}

func TestFirstNonFinite(t *testing.T) {
	allowed := MustRegister[struct {
		Speed float64
		Limit float64 `grove:",nonfinite"`
	}]("prop.allowed")
	l := MustLayout(cPos, cVel, cMass, cWide, allowed)
	c := MakeColumns(l, 64)
	row, field := c.FirstNonFinite()
	assert.Equal(t, -1, row)
	assert.Equal(t, "", field)
	Column(&c, allowed)[3].Limit = math.Inf(1)
	row, _ = c.FirstNonFinite()
	assert.Equal(t, -1, row, "exempt field")
	Column(&c, cVel)[40].Y = float32(math.Inf(-1))
	row, field = c.FirstNonFinite()
	assert.Equal(t, 40, row)
	assert.Equal(t, "prop.velocity.y", field)
	Column(&c, cWide)[41].V[2] = math.NaN()
	row, _ = c.FirstNonFinite()
	assert.Equal(t, 40, row, "the lowest row wins")
	Column(&c, cWide)[12].V[1] = math.NaN()
	row, field = c.FirstNonFinite()
	assert.Equal(t, 12, row)
	assert.Equal(t, "prop.wide.v", field)
	Column(&c, cMass)[5] = float32(math.NaN())
	row, field = c.FirstNonFinite()
	assert.Equal(t, 5, row)
	assert.Equal(t, "prop.mass", field)
	Column(&c, allowed)[1].Speed = math.Inf(-1)
	row, field = c.FirstNonFinite()
	assert.Equal(t, 1, row)
	assert.Equal(t, "prop.allowed.speed", field)
}

func TestMigrateRowsDerivesTheStep(t *testing.T) {
	from := MustLayout(cPos, cVel, cColor)
	to := MustLayout(cPos, Default(cMass, 1), cFlag)
	rng := rand.New(rand.NewPCG(6, 6))
	src, m := randomRows(rng, from, 0, 50)
	var dst Columns
	dst.Reset(to)
	require.NoError(t, MigrateRows(&dst, &src, nil))
	require.NoError(t, dst.Validate())
	assert.Equal(t, src.Keys, dst.Keys)
	for i, k := range dst.Keys {
		p := Column(&dst, cPos)[i]
		assert.Equal(t, m[k]["prop.position"], bytes.Clone(unsafe.Slice((*byte)(unsafe.Pointer(&p)), 8)))
		assert.Equal(t, float32(1), Column(&dst, cMass)[i], "added with the default")
		assert.False(t, Column(&dst, cFlag)[i], "added with the zero default")
	}
	assert.Nil(t, Column(&dst, cVel), "dropped")

	// A Convert sees both layouts and may write dst.
	double := func(src, dst *Columns) error {
		for i, v := range Column(src, cVel) {
			Column(dst, cMass)[i] = v.X * 2
		}
		return nil
	}
	var conv Columns
	conv.Reset(to)
	require.NoError(t, MigrateRows(&conv, &src, double))
	for i := range conv.Keys {
		assert.Equal(t, math.Float32bits(Column(&src, cVel)[i].X*2), math.Float32bits(Column(&conv, cMass)[i]))
	}

	// A failing, panicking or key-changing Convert leaves dst as it was.
	for name, bad := range map[string]func(src, dst *Columns) error{
		"error": func(_, _ *Columns) error { return fmt.Errorf("no") },
		"panic": func(_, _ *Columns) error { panic("boom") },
		"keys":  func(_, dst *Columns) error { dst.Keys[3] = dst.Keys[4]; return nil },
	} {
		before := conv.Clone()
		err := MigrateRows(&conv, &src, bad)
		assert.ErrorIs(t, err, ErrConvert, name)
		assert.True(t, Equal(&before, &conv), name)
	}
}

func TestCheckStep(t *testing.T) {
	wideMass := MustRegister[float64]("prop.mass")
	a := MustLayout(cPos, cMass)
	b := MustLayout(cPos, wideMass)
	assert.ErrorIs(t, CheckStep(a, b, false), ErrLayoutMismatch)
	assert.NoError(t, CheckStep(a, b, true))
	assert.NoError(t, CheckStep(a, MustLayout(cPos, cFlag), false))
	// Columns of the other layout are not mistaken for ours.
	c := MakeColumns(b, 2)
	assert.Nil(t, Column(&c, cMass))
	assert.NotNil(t, Column(&c, wideMass))
}

func TestChecksumSeesEveryColumn(t *testing.T) {
	l := MustLayout(pool...)
	a, _ := randomRows(rand.New(rand.NewPCG(8, 8)), l, 0, 10)
	base := a.Checksum()
	for _, comp := range l.Components() {
		b := a.Clone()
		b.Raw(comp.ID())[3] ^= 1
		assert.NotEqual(t, base, b.Checksum(), comp.Name())
	}
	b := a.Clone()
	b.Keys[2]++
	assert.NotEqual(t, base, b.Checksum())
}

func TestMemoryBytesGrowsWithEntities(t *testing.T) {
	l := MustLayout(cPos, cVel, cFlag, cMass)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	empty := w.MemoryBytes()
	assert.Greater(t, WorldOverhead(), 0)
	src := MakeColumns(l, 10000)
	require.NoError(t, w.Append(&src))
	assert.GreaterOrEqual(t, w.MemoryBytes()-empty, 10000*29)
}

func TestViewsAreNotAppendable(t *testing.T) {
	l := MustLayout(cPos)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	src := MakeColumns(l, 3)
	require.NoError(t, w.Append(&src))
	v := w.Columns()
	assert.Panics(t, func() { v.AppendAll(&src) })
	v.Reset(l) // drops the view: appending is now safe and does not touch the world
	v.AppendAll(&src)
	assert.Equal(t, 3, w.Len())
	wv := w.Columns()
	assert.Equal(t, 0, wv.MemoryBytes())
	s := src.Slice(1, 3)
	assert.Equal(t, src.Keys[1:3], s.Keys)
	assert.Panics(t, func() { s.AppendDefaults(1) })
}

func TestUnlockClosesAbandonedQueries(t *testing.T) {
	l := MustLayout(cPos, cVel)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	src := MakeColumns(l, 10)
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
}

func TestViewForRunsEveryChunk(t *testing.T) {
	l := MustLayout(cMass)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	var got []int
	require.NoError(t, w.View().For(10, 4, func(lo, hi int) { got = append(got, lo, hi) }))
	assert.Equal(t, []int{0, 10}, got, "no runner: serial")
	assert.NoError(t, w.View().For(0, 4, func(lo, hi int) { t.Fatal("called for n=0") }))
}

// TestAccessorEqualsGet: an Accessor reads what Get reads, and nil for a
// component the world lacks or holds with another layout.
func TestAccessorEqualsGet(t *testing.T) {
	l := MustLayout(cPos, cVel)
	w, err := NewWorld(l, 0)
	require.NoError(t, err)
	src, _ := randomRows(rand.New(rand.NewPCG(2, 2)), l, 0, 50)
	require.NoError(t, w.Append(&src))
	pos, mass := Access(w.View(), cPos), Access(w.View(), cMass)
	other := MustRegister[struct{ X, Y float64 }]("prop.position")
	wide := Access(w.View(), other)
	q := w.View().Query()
	for q.Next() {
		require.Same(t, Get(&q, cPos), pos.Get(&q))
		require.Nil(t, mass.Get(&q))
		require.Nil(t, wide.Get(&q))
		require.Nil(t, Get(&q, other))
	}
}
