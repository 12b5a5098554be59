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
		for _, n := range systemtest.MigrationSizes {
			t.Run(fmt.Sprintf("%d→%d/n=%d", m.From, m.To, n), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(n), uint64(10*m.From+m.To)))
				c := systemtest.MigrationRows(rng, systemtest.VersionMask[m.From], n)
				orig := c.Clone()
				require.NoError(t, m.Apply(&c))
				systemtest.CheckMigrated(t, &orig, &c, m.From, m.To)
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
		up, down := systemtest.Migration(t, migs, lower, 3), systemtest.Migration(t, migs, 3, lower)
		for _, n := range systemtest.MigrationSizes {
			rng := rand.New(rand.NewPCG(uint64(n), uint64(lower)))

			// lower → v3 → lower.
			c := systemtest.MigrationRows(rng, systemtest.VersionMask[lower], n)
			orig := c.Clone()
			require.NoError(t, up.Apply(&c))
			require.NoError(t, down.Apply(&c))
			systemtest.CheckMigrated(t, &orig, &c, lower, lower)

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
			systemtest.CheckMigrated(t, &orig, &c, lower, 3)
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
			assert.Equal(t, systemtest.RowBits(&orig), systemtest.RowBits(&c), "%d→%d on %v changed the rows", m.From, m.To, mask)
		}
	}
}
