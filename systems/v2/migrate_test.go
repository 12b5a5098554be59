package v2_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	"github.com/grove-engine/grove/systems/scenario"
	v2 "github.com/grove-engine/grove/systems/v2"
)

// layoutOf is version n's layout: v2's own, or the documented one of a
// version this package's tests cannot import.
func layoutOf(n int) *ecs.Layout {
	if n == wantNumber {
		return v2.Version{}.Components()
	}
	return systemtest.Layout(n)
}

// TestMigrationsDeclared: v1→v2 and v2→v1, both derived from the layouts
// (as documented: no Convert), and derivable.
func TestMigrationsDeclared(t *testing.T) {
	var got [][2]int
	for _, m := range (v2.Version{}).Migrations() {
		got = append(got, [2]int{m.From, m.To})
		assert.Nil(t, m.Convert, "%d→%d is documented as derived from the layouts", m.From, m.To)
		assert.NoError(t, ecs.CheckStep(layoutOf(m.From), layoutOf(m.To), m.Convert != nil), "%d→%d", m.From, m.To)
	}
	assert.ElementsMatch(t, [][2]int{{1, 2}, {2, 1}}, got)
}

// TestMigrationsProduceTargetLayout runs every declared migration through
// ecs.MigrateRows: the target layout, keys in order, shared components bit
// for bit (bit patterns included), collided false when coming from v1.
func TestMigrationsProduceTargetLayout(t *testing.T) {
	for _, m := range (v2.Version{}).Migrations() {
		for _, n := range systemtest.MigrationSizes {
			t.Run(fmt.Sprintf("%d→%d/n=%d", m.From, m.To, n), func(t *testing.T) {
				rng := systemtest.NewRand(t, uint64(n)<<8|uint64(10*m.From+m.To))
				src := systemtest.MigrationRows(rng, layoutOf(m.From), n)
				got := systemtest.CheckMigrated(t, rng, m, &src, layoutOf(m.To))
				if m.To == 2 {
					assert.Equal(t, make([]bool, n), ecs.Column(&got, scenario.Collided), "collided starts false")
				}
			})
		}
	}
}

// TestMigrationRoundTrips converts v1 → v2 → v1 and v2 → v1 → v2, each step
// into a buffer holding junk: v1's components survive bit for bit (NaN
// payloads, -0 and denormals included), and the flag v1 cannot hold comes
// back false even though every entity was collided.
func TestMigrationRoundTrips(t *testing.T) {
	migs := v2.Version{}.Migrations()
	up, down := systemtest.Migration(t, migs, 1, 2), systemtest.Migration(t, migs, 2, 1)
	for _, n := range systemtest.MigrationSizes {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			rng := systemtest.NewRand(t, uint64(n)<<8|99)

			v1rows := systemtest.MigrationRows(rng, layoutOf(1), n)
			if n == 1000 {
				require.Subset(t, append(systemtest.Float32Bits(&v1rows, scenario.Position), systemtest.Float32Bits(&v1rows, scenario.Velocity)...),
					systemtest.BitPatterns, "precondition: the rows hold every bit pattern")
			}
			mid := systemtest.CheckMigrated(t, rng, up, &v1rows, layoutOf(2))
			back := systemtest.CheckMigrated(t, rng, down, &mid, layoutOf(1))
			assert.Equal(t, systemtest.RowBits(&v1rows), systemtest.RowBits(&back), "v1→v2→v1")

			v2rows := systemtest.MigrationRows(rng, layoutOf(2), n)
			flags := ecs.Column(&v2rows, scenario.Collided)
			for i := range flags {
				flags[i] = true
			}
			low := systemtest.CheckMigrated(t, rng, down, &v2rows, layoutOf(1))
			back = systemtest.CheckMigrated(t, rng, up, &low, layoutOf(2))
			assert.Equal(t, append([]ecs.Key{}, v2rows.Keys...), append([]ecs.Key{}, back.Keys...), "v2→v1→v2 keys")
			systemtest.CheckSameBits(t, &v2rows, &back, scenario.Position.Component, "v2→v1→v2")
			systemtest.CheckSameBits(t, &v2rows, &back, scenario.Velocity.Component, "v2→v1→v2")
			assert.Equal(t, make([]bool, n), ecs.Column(&back, scenario.Collided), "v2→v1→v2: the flags restart false")
		})
	}
}

// TestMigrationsRefuseAnotherLayoutOfAName: a derived step copies a
// component only between equal layouts. Rows whose position is another
// layout under the same name (float64 x, y) need a Convert, which v2 does
// not declare, so ecs.CheckStep refuses every v2 migration from them.
func TestMigrationsRefuseAnotherLayoutOfAName(t *testing.T) {
	wide := ecs.MustRegister[struct{ X, Y float64 }]("position")
	for _, m := range (v2.Version{}).Migrations() {
		specs := []ecs.Spec{wide}
		for _, c := range layoutOf(m.From).Components() {
			if c.Name() != "position" {
				specs = append(specs, c)
			}
		}
		err := ecs.CheckStep(ecs.MustLayout(specs...), layoutOf(m.To), m.Convert != nil)
		assert.ErrorIs(t, err, ecs.ErrLayoutMismatch, "%d→%d", m.From, m.To)
	}
}
