package v2_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	v2 "github.com/grove-engine/grove/systems/v2"
)

func TestMigrationsDeclared(t *testing.T) {
	var got [][2]int
	for _, m := range (v2.Version{}).Migrations() {
		got = append(got, [2]int{m.From, m.To})
		assert.NotNil(t, m.Apply, "%d→%d", m.From, m.To)
	}
	assert.ElementsMatch(t, [][2]int{{1, 2}, {2, 1}}, got)
}

func TestMigrationsProduceTargetColumns(t *testing.T) {
	for _, m := range (v2.Version{}).Migrations() {
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

// TestMigrationRoundTrips converts v1 → v2 → v1 and v2 → v1 → v2 on the same
// buffer: v1's columns survive bit for bit, and the flag v1 cannot hold comes
// back false even though the buffer still holds the old flags.
func TestMigrationRoundTrips(t *testing.T) {
	migs := v2.Version{}.Migrations()
	up, down := systemtest.Migration(t, migs, 1, 2), systemtest.Migration(t, migs, 2, 1)
	for _, n := range systemtest.MigrationSizes {
		rng := rand.New(rand.NewPCG(uint64(n), 99))

		c := systemtest.MigrationRows(rng, systemtest.VersionMask[1], n)
		orig := c.Clone()
		require.NoError(t, up.Apply(&c))
		require.NoError(t, down.Apply(&c))
		systemtest.CheckMigrated(t, &orig, &c, 1, 1)

		c = systemtest.MigrationRows(rng, systemtest.VersionMask[2], n)
		for i := range c.Collided {
			c.Collided[i] = true
		}
		orig = c.Clone()
		require.NoError(t, down.Apply(&c))
		require.NoError(t, up.Apply(&c))
		systemtest.CheckMigrated(t, &orig, &c, 1, 2) // as if from v1: the flags restart false
	}
}

func TestMigrationsRejectWrongMask(t *testing.T) {
	wrong := []ecs.Mask{
		ecs.MaskPosition,
		systemtest.VersionMask[1], systemtest.VersionMask[2], systemtest.VersionMask[3],
		ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskMass,
	}
	for _, m := range (v2.Version{}).Migrations() {
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
