package systemtest

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
)

// MigrationSizes are the row counts every migration test runs.
var MigrationSizes = []int{0, 1, 7, 1000}

// PosBits flattens a position column into its bit patterns, x then y.
func PosBits(col []ecs.Position) []uint32 { return floatBits(ecs.Floats(col)) }

// VelBits flattens a velocity column into its bit patterns, x then y.
func VelBits(col []ecs.Velocity) []uint32 { return floatBits(ecs.Floats(col)) }

// MassBits flattens a mass column into its bit patterns.
func MassBits(col []ecs.Mass) []uint32 { return floatBits(ecs.MassFloats(col)) }

func floatBits(f []float32) []uint32 {
	out := make([]uint32, 0, len(f))
	for _, x := range f {
		out = append(out, math.Float32bits(x))
	}
	return out
}

// Bits is a Columns' content in a form assert.Equal compares bit for bit
// (reflect.DeepEqual would call two equal NaNs different).
type Bits struct {
	Mask     ecs.Mask
	Keys     []ecs.Key
	Pos, Vel []uint32
	Col      []ecs.Collided
	Mass     []uint32
}

// RowBits is c's content as Bits, from an owned copy.
func RowBits(c *ecs.Columns) Bits {
	o := c.Clone()
	return Bits{o.Mask, o.Keys, PosBits(o.Position), VelBits(o.Velocity), o.Collided, MassBits(o.Mass)}
}

// CheckMigrated asserts that got, migrated from orig (which holds version
// from's columns), holds exactly version to's columns: the same keys in the
// same order, position and velocity bit for bit, collided and mass carried
// over where both versions have them and initialised (false, 1) where only
// to has them.
func CheckMigrated(t testing.TB, orig, got *ecs.Columns, from, to int) {
	t.Helper()
	n := orig.Len()
	require.NoError(t, ecs.Validate(got, VersionMask[to]))
	assert.Equal(t, VersionMask[to], got.Mask, "mask")
	assert.Equal(t, orig.Keys, got.Keys, "keys")
	assert.Equal(t, PosBits(orig.Position), PosBits(got.Position), "position bits")
	assert.Equal(t, VelBits(orig.Velocity), VelBits(got.Velocity), "velocity bits")
	if VersionMask[to].Has(ecs.MaskCollided) {
		want := orig.Collided
		if !VersionMask[from].Has(ecs.MaskCollided) {
			want = make([]ecs.Collided, n)
		}
		assert.Equal(t, append([]ecs.Collided{}, want...), append([]ecs.Collided{}, got.Collided...), "collided")
	}
	if VersionMask[to].Has(ecs.MaskMass) {
		want := orig.Mass
		if !VersionMask[from].Has(ecs.MaskMass) {
			want = make([]ecs.Mass, n)
			for i := range want {
				want[i] = 1
			}
		}
		assert.Equal(t, MassBits(want), MassBits(got.Mass), "mass bits")
	}
}

// Migration finds the declared migration from → to, failing the test if it
// is missing or has no Apply.
func Migration(t testing.TB, migs []ecs.Migration, from, to int) ecs.Migration {
	t.Helper()
	for _, m := range migs {
		if m.From == from && m.To == to {
			require.NotNil(t, m.Apply, "%d→%d has no Apply", from, to)
			return m
		}
	}
	require.FailNow(t, "migration not declared", "%d→%d", from, to)
	return ecs.Migration{}
}
