package systemtest

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
)

// MigrationSizes are the row counts every migration test runs.
var MigrationSizes = []int{0, 1, 7, 1000}

// Float32Bits flattens the column of comp in c into the bit patterns of its
// float32 values (a Vec2 column gives x0, y0, x1, y1, ...), or returns nil if
// c lacks comp or comp is not made only of float32 fields.
func Float32Bits(c *ecs.Columns, comp ecs.Spec) []uint32 {
	f := ecs.Float32s(c, comp)
	if f == nil {
		return nil
	}
	out := make([]uint32, len(f))
	for i, x := range f {
		out[i] = math.Float32bits(x)
	}
	return out
}

// Bits is a Columns' content in a form assert.Equal compares bit for bit
// (reflect.DeepEqual would call two equal NaNs different, and a typed column
// hides the bytes of an invalid bool) and prints readably.
type Bits struct {
	Layout string
	Keys   []ecs.Key
	Floats map[string][]uint32 // components made only of float32 fields
	Bytes  map[string][]byte   // the others
}

// RowBits is c's content as Bits, copied out of c.
func RowBits(c *ecs.Columns) Bits {
	b := Bits{
		Layout: c.Layout().String(),
		Keys:   append([]ecs.Key{}, c.Keys...),
		Floats: map[string][]uint32{},
		Bytes:  map[string][]byte{},
	}
	if c.Layout() == nil {
		return b
	}
	for _, comp := range c.Layout().Components() {
		if f := Float32Bits(c, comp); f != nil {
			b.Floats[comp.Name()] = f
		} else {
			b.Bytes[comp.Name()] = append([]byte{}, c.Raw(comp.ID())...)
		}
	}
	return b
}

// CheckSameBits asserts that want and got hold comp with the same bits in
// every row (float32 components are compared as bit patterns, the rest as
// bytes).
func CheckSameBits(t testing.TB, want, got *ecs.Columns, comp *ecs.Component, what string) {
	t.Helper()
	if f := Float32Bits(want, comp); f != nil {
		assert.Equal(t, f, Float32Bits(got, comp), "%s: %s bits", what, comp.Name())
		return
	}
	// Raw is nil both for a missing column and for an empty one: ask the
	// layouts.
	require.True(t, want.Layout().Has(comp), "%s: %s missing", what, comp.Name())
	require.True(t, got.Layout().Has(comp), "%s: %s missing", what, comp.Name())
	a, b := want.Raw(comp.ID()), got.Raw(comp.ID())
	assert.Equal(t, append([]byte{}, a...), append([]byte{}, b...), "%s: %s bytes", what, comp.Name())
}

// CheckFilled asserts that every row of comp's column in c holds value.
func CheckFilled(t testing.TB, c *ecs.Columns, comp *ecs.Component, value []byte, what string) {
	t.Helper()
	require.True(t, c.Layout().Has(comp), "%s: %s missing", what, comp.Name())
	raw := c.Raw(comp.ID())
	require.Len(t, value, comp.Size(), "%s: %s: precondition: value size", what, comp.Name())
	bad, first := 0, -1
	for i := range c.Len() {
		if !bytes.Equal(raw[i*len(value):(i+1)*len(value)], value) {
			if bad++; first < 0 {
				first = i
			}
		}
	}
	if bad > 0 {
		s := comp.Size()
		assert.Failf(t, "value differs", "%s: %s: %d of %d rows differ from % x, the first row %d: % x",
			what, comp.Name(), bad, c.Len(), value, first, raw[first*s:(first+1)*s])
	}
}

// Migration finds the declared migration from → to, failing the test if it
// is missing or declared twice.
func Migration(t testing.TB, migs []ecs.Migration, from, to int) ecs.Migration {
	t.Helper()
	var found []ecs.Migration
	for _, m := range migs {
		if m.From == from && m.To == to {
			found = append(found, m)
		}
	}
	require.Len(t, found, 1, "migrations declared %d→%d", from, to)
	return found[0]
}

// CheckMigrated moves src, rows in version m.From's documented layout, to
// layout to, version m.To's, the way the engine does: it checks that the step
// can be derived ([ecs.CheckStep]), then runs [ecs.MigrateRows] with m's
// Convert into a [ReusedBuffer] that already holds a few random rows. It
// asserts that
//
//   - src is unchanged, and so are the rows the buffer held;
//   - the new rows follow them, with src's keys in src's order;
//   - every component both layouts hold is carried over bit for bit, and
//     every component only to holds has version m.To's documented default
//     ([DocDefault]), not what the buffer held;
//
// and returns an owned copy of the new rows. Those are the rules of a
// derived step: it is for migrations without a Convert, or whose Convert
// keeps them.
func CheckMigrated(t testing.TB, rng *rand.Rand, m ecs.Migration, src *ecs.Columns, to *ecs.Layout) ecs.Columns {
	t.Helper()
	what := fmt.Sprintf("%d→%d (n=%d)", m.From, m.To, src.Len())
	require.True(t, src.Layout().Same(Layout(m.From)), "%s: precondition: source rows in v%d's layout, got %v", what, m.From, src.Layout())
	require.True(t, to.Same(Layout(m.To)), "%s: precondition: target layout v%d's, got %v", what, m.To, to)
	require.NoError(t, ecs.CheckStep(src.Layout(), to, m.Convert != nil), "%s: the step cannot be derived", what)

	n := src.Len()
	held := rng.IntN(3)
	dst := ReusedBuffer(to, held+n)
	AppendRandomRows(rng, &dst, held, 1<<20)
	heldBits, srcBits := RowBits(&dst), RowBits(src)
	require.NoError(t, ecs.MigrateRows(&dst, src, m.Convert), what)

	assert.Equal(t, srcBits, RowBits(src), "%s: the source rows changed", what)
	require.NoError(t, dst.Validate(), what)
	require.Same(t, to, dst.Layout(), "%s: layout", what)
	require.Equal(t, held+n, dst.Len(), "%s: rows", what)
	head := dst.Slice(0, held)
	assert.Equal(t, heldBits, RowBits(&head), "%s: the rows the buffer held changed", what)
	got := dst.Slice(held, held+n)
	assert.Equal(t, append([]ecs.Key{}, src.Keys...), append([]ecs.Key{}, got.Keys...), "%s: keys", what)
	for _, comp := range to.Components() {
		if src.Layout().Has(comp) {
			CheckSameBits(t, src, &got, comp, what+": carried over")
			continue
		}
		def := DocDefault(m.To, comp.Name())
		require.NotNil(t, def, "%s: %s is not documented in v%d", what, comp.Name(), m.To)
		require.NotEqual(t, def, JunkRow(comp), "precondition: the junk differs from the default")
		CheckFilled(t, &got, comp, def, what+": added with v"+fmt.Sprint(m.To)+"'s default")
	}
	return got.Clone()
}
