package systemtest

import (
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
// no structural change happened and only the columns of writes changed, bit
// for bit.
func CheckOnlyWrites(t testing.TB, w *ecs.World, before Snapshot, writes ecs.Mask, what string) {
	t.Helper()
	after := Take(w)
	b, a := &before.Cols, &after.Cols
	require.Equal(t, b.Len(), w.Len(), "%s: row count", what)
	assert.Equal(t, before.Epoch, after.Epoch, "%s: structural change", what)
	assert.Equal(t, b.Keys, a.Keys, "%s: keys", what)
	if !writes.Has(ecs.MaskPosition) {
		assert.Equal(t, PosBits(b.Position), PosBits(a.Position), "%s: undeclared write to position", what)
	}
	if !writes.Has(ecs.MaskVelocity) {
		assert.Equal(t, VelBits(b.Velocity), VelBits(a.Velocity), "%s: undeclared write to velocity", what)
	}
	if !writes.Has(ecs.MaskCollided) {
		assert.Equal(t, b.Collided, a.Collided, "%s: undeclared write to collided", what)
	}
	if !writes.Has(ecs.MaskMass) {
		assert.Equal(t, MassBits(b.Mass), MassBits(a.Mass), "%s: undeclared write to mass", what)
	}
}

// RunFrame runs every system of s in order, checking after each that it
// changed only what it declares.
func RunFrame(t testing.TB, w *ecs.World, s ecs.Schedule, dt float32) {
	t.Helper()
	for _, sys := range s {
		before := Take(w)
		require.NoError(t, sys.Run(w, dt), sys.Name)
		CheckOnlyWrites(t, w, before, sys.Writes, sys.Name)
	}
}
