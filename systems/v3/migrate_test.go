package v3_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	v3 "github.com/grove-engine/grove/systems/v3"
)

// bits is a Columns' content in a form assert.Equal compares bit for bit
// (reflect.DeepEqual would call two equal NaNs different).
type bits struct {
	mask     ecs.Mask
	keys     []ecs.Key
	pos, vel []uint32
	col      []ecs.Collided
	mass     []uint32
}

func rowBits(c *ecs.Columns) bits {
	o := c.Clone()
	return bits{o.Mask, o.Keys, posBits(o.Position), velBits(o.Velocity), o.Collided, massBits(o.Mass)}
}

// checkMigrated asserts that got, migrated from orig (which holds version
// from's columns), holds exactly version to's columns: the same keys in the
// same order, position and velocity bit for bit, collided and mass carried
// over where both versions have them and initialised (false, 1) where only
// to has them.
func checkMigrated(t *testing.T, orig, got *ecs.Columns, from, to int) {
	t.Helper()
	n := orig.Len()
	require.NoError(t, ecs.Validate(got, systemtest.VersionMask[to]))
	assert.Equal(t, systemtest.VersionMask[to], got.Mask, "mask")
	assert.Equal(t, orig.Keys, got.Keys, "keys")
	assert.Equal(t, posBits(orig.Position), posBits(got.Position), "position bits")
	assert.Equal(t, velBits(orig.Velocity), velBits(got.Velocity), "velocity bits")
	if systemtest.VersionMask[to].Has(ecs.MaskCollided) {
		want := orig.Collided
		if !systemtest.VersionMask[from].Has(ecs.MaskCollided) {
			want = make([]ecs.Collided, n)
		}
		assert.Equal(t, append([]ecs.Collided{}, want...), append([]ecs.Collided{}, got.Collided...), "collided")
	}
	if systemtest.VersionMask[to].Has(ecs.MaskMass) {
		want := orig.Mass
		if !systemtest.VersionMask[from].Has(ecs.MaskMass) {
			want = make([]ecs.Mass, n)
			for i := range want {
				want[i] = 1
			}
		}
		assert.Equal(t, massBits(want), massBits(got.Mass), "mass bits")
	}
}

// migration finds the declared migration from → to.
func migration(t *testing.T, migs []ecs.Migration, from, to int) ecs.Migration {
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

var migrationSizes = []int{0, 1, 7, 1000}

// version3 is the default v3 Version; migrations do not depend on options.
func version3(t *testing.T) v3.Version {
	t.Helper()
	v, err := v3.New()
	require.NoError(t, err)
	return v
}

func TestMigrationsDeclared(t *testing.T) {
	var got [][2]int
	for _, m := range version3(t).Migrations() {
		got = append(got, [2]int{m.From, m.To})
		assert.NotNil(t, m.Apply, "%d→%d", m.From, m.To)
	}
	assert.ElementsMatch(t, [][2]int{{1, 3}, {2, 3}, {3, 2}, {3, 1}}, got)
	// Options do not change what is declared.
	v, err := v3.New(v3.WithContacts(false), v3.WithRadius(4))
	require.NoError(t, err)
	assert.Len(t, v.Migrations(), len(got))
}

func TestMigrationsProduceTargetColumns(t *testing.T) {
	for _, m := range version3(t).Migrations() {
		for _, n := range migrationSizes {
			t.Run(fmt.Sprintf("%d→%d/n=%d", m.From, m.To, n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(10*m.From+m.To)))
				c := systemtest.MigrationRows(rng, systemtest.VersionMask[m.From], n)
				orig := c.Clone()
				require.NoError(t, m.Apply(&c))
				checkMigrated(t, &orig, &c, m.From, m.To)
			})
		}
	}
}

// TestMigrationRoundTrips converts down and up again on the same buffer:
// what the lower version holds survives bit for bit (collided too, for v2),
// and what it cannot hold comes back initialised even though the buffer
// still holds the old values.
func TestMigrationRoundTrips(t *testing.T) {
	migs := version3(t).Migrations()
	for _, lower := range []int{1, 2} {
		up, down := migration(t, migs, lower, 3), migration(t, migs, 3, lower)
		for _, n := range migrationSizes {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(lower)))

			// lower → v3 → lower.
			c := systemtest.MigrationRows(rng, systemtest.VersionMask[lower], n)
			orig := c.Clone()
			require.NoError(t, up.Apply(&c))
			require.NoError(t, down.Apply(&c))
			checkMigrated(t, &orig, &c, lower, lower)

			// v3 → lower → v3, from entities that are all collided and heavy.
			c = systemtest.MigrationRows(rng, systemtest.VersionMask[3], n)
			for i := range c.Collided {
				c.Collided[i] = true
				c.Mass[i] = 42
			}
			orig = c.Clone()
			require.NoError(t, down.Apply(&c))
			require.NoError(t, up.Apply(&c))
			// As if the rows came from the lower version: v2 keeps its
			// flags, v1's come back false; mass restarts at 1.
			orig.Mask = systemtest.VersionMask[lower]
			checkMigrated(t, &orig, &c, lower, 3)
		}
	}
}

func TestMigrationsRejectWrongMask(t *testing.T) {
	wrong := []ecs.Mask{
		ecs.MaskPosition,
		systemtest.VersionMask[1], systemtest.VersionMask[2], systemtest.VersionMask[3],
		ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskMass,
	}
	for _, m := range version3(t).Migrations() {
		for _, mask := range wrong {
			if mask == systemtest.VersionMask[m.From] {
				continue
			}
			rng := rand.New(rand.NewPCG(3, uint64(mask)))
			c := systemtest.MigrationRows(rng, mask, 5)
			orig := c.Clone()
			err := m.Apply(&c)
			assert.True(t, errors.Is(err, ecs.ErrMissingColumns), "%d→%d on %v: got %v", m.From, m.To, mask, err)
			assert.Equal(t, mask, c.Mask, "%d→%d on %v changed the mask", m.From, m.To, mask)
			assert.Equal(t, rowBits(&orig), rowBits(&c), "%d→%d on %v changed the rows", m.From, m.To, mask)
		}
	}
}
