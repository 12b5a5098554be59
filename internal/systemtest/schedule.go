package systemtest

import (
	"bytes"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
)

// Dts are the frame lengths every multi-frame test steps through, in order.
var Dts = []float32{1.0 / 60, 0.1, 0, 0.5, 1.0 / 30}

// Awkward float32 values.
var (
	NegZero  = math.Float32frombits(0x80000000)
	Denormal = math.Float32frombits(1)
	PosInf   = float32(math.Inf(1))
	NegInf   = float32(math.Inf(-1))
)

// Edges are coordinates on or just beside the world bounds [0, 1000].
var Edges = []float32{
	0, 1000, NegZero, Denormal, -Denormal,
	math.Nextafter32(1000, 2000), math.Nextafter32(1000, 0),
}

// Specials are the awkward values the special-value runs mix in.
var Specials = []float32{
	PosInf, NegInf, float32(math.NaN()), NegZero, Denormal, -Denormal,
	math.Float32frombits(0x007fffff), math.MaxFloat32, -math.MaxFloat32,
}

// SameFloat is bit equality, except that any two NaNs match.
func SameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// NewWorld returns a world of layout l holding rows, which must hold every
// component of l with l's layout (as the engine's worlds are filled).
func NewWorld(t testing.TB, l *ecs.Layout, rows *ecs.Columns) *ecs.World {
	t.Helper()
	w, err := ecs.NewWorld(l, rows.Len())
	require.NoError(t, err)
	require.NoError(t, w.Append(rows))
	require.Equal(t, rows.Len(), w.Len())
	return w
}

// Snapshot is an owned copy of a world's state and structural epoch.
type Snapshot struct {
	Epoch uint64
	Cols  ecs.Columns
}

// Take snapshots w.
func Take(w *ecs.World) Snapshot {
	c := w.Columns()
	return Snapshot{Epoch: w.Epoch(), Cols: c.Clone()}
}

// CheckOnlyWrites asserts that between before and the world's current state
// no structural change happened (same epoch, rows and keys) and only the
// components in writes changed: every other component's bytes are the same.
func CheckOnlyWrites(t testing.TB, w *ecs.World, before Snapshot, writes ecs.Set, what string) {
	t.Helper()
	after := w.Columns()
	b := &before.Cols
	require.Equal(t, b.Len(), after.Len(), "%s: row count", what)
	assert.Equal(t, before.Epoch, w.Epoch(), "%s: structural change", what)
	assert.Equal(t, append([]ecs.Key{}, b.Keys...), append([]ecs.Key{}, after.Keys...), "%s: keys", what)
	require.True(t, after.Layout().Same(b.Layout()), "%s: layout", what)
	for _, comp := range after.Layout().Components() {
		if writes.Has(comp.ID()) {
			continue
		}
		was, now := b.Raw(comp.ID()), after.Raw(comp.ID())
		if bytes.Equal(was, now) {
			continue
		}
		s := comp.Size()
		bad, first := 0, -1
		for i := range after.Len() {
			if !bytes.Equal(was[i*s:(i+1)*s], now[i*s:(i+1)*s]) {
				if bad++; first < 0 {
					first = i
				}
			}
		}
		assert.Failf(t, "undeclared write", "%s: undeclared write to %s: %d of %d rows changed, the first row %d from % x to % x",
			what, comp.Name(), bad, after.Len(), first, was[first*s:(first+1)*s], now[first*s:(first+1)*s])
	}
}

// RunFrame runs every system of s in order on w's [ecs.View], checking after
// each that it returned no error, changed only what it declares
// ([CheckOnlyWrites]) and left no query open (the world would refuse the
// engine's structural changes).
func RunFrame(t testing.TB, w *ecs.World, s ecs.Schedule, dt float32) {
	t.Helper()
	for _, sys := range s {
		before := Take(w)
		require.NoError(t, sys.Run(w.View(), dt), sys.Name)
		assert.Zero(t, w.Unlock(), "%s left a query open", sys.Name)
		CheckOnlyWrites(t, w, before, sys.Writes, sys.Name)
	}
}

// EqualSet asserts that got is want, naming the members on failure.
func EqualSet(t testing.TB, want, got ecs.Set, what string) {
	t.Helper()
	assert.Equal(t, want, got, "%s: got %v, want %v", what, got, want)
}
