package v3_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	"github.com/grove-engine/grove/systems/scenario"
	v3 "github.com/grove-engine/grove/systems/v3"
)

// version3 is the default v3 Version; migrations do not depend on options.
func version3(t *testing.T) v3.Version {
	t.Helper()
	v, err := v3.New()
	require.NoError(t, err)
	return v
}

// layoutOf is version n's layout: v3's own, or the documented one of a
// version this package's tests cannot import.
func layoutOf(n int) *ecs.Layout {
	if n == wantNumber {
		return v3.Version{}.Components()
	}
	return systemtest.Layout(n)
}

// massOne is the bit pattern of v3's default mass, 1.
var massOne = math.Float32bits(1)

// filled returns n copies of x.
func filled[T any](n int, x T) []T {
	s := make([]T, n)
	for i := range s {
		s[i] = x
	}
	return s
}

func declared(v v3.Version) [][2]int {
	var got [][2]int
	for _, m := range v.Migrations() {
		got = append(got, [2]int{m.From, m.To})
	}
	return got
}

// TestMigrationsDeclared: v1→v3, v2→v3, v3→v2 and v3→v1, every one derived
// from the layouts (as documented: no Convert), and derivable; options do
// not change them.
func TestMigrationsDeclared(t *testing.T) {
	for _, m := range version3(t).Migrations() {
		assert.Nil(t, m.Convert, "%d→%d is documented as derived from the layouts", m.From, m.To)
		assert.NoError(t, ecs.CheckStep(layoutOf(m.From), layoutOf(m.To), m.Convert != nil), "%d→%d", m.From, m.To)
	}
	assert.ElementsMatch(t, [][2]int{{1, 3}, {2, 3}, {3, 2}, {3, 1}}, declared(version3(t)))
	v, err := v3.New(v3.WithContacts(false), v3.WithRadius(4))
	require.NoError(t, err)
	assert.ElementsMatch(t, declared(version3(t)), declared(v), "options change the migrations")
	assert.ElementsMatch(t, declared(version3(t)), declared(v3.Version{}), "the zero Version declares other migrations")
}

// TestMigrationsProduceTargetLayout runs every declared migration through
// ecs.MigrateRows: the target layout, keys in order, shared components bit
// for bit (bit patterns included), and the components v3 adds at its
// documented defaults: collided false, mass 1.
func TestMigrationsProduceTargetLayout(t *testing.T) {
	for _, m := range version3(t).Migrations() {
		for _, n := range systemtest.MigrationSizes {
			t.Run(fmt.Sprintf("%d→%d/n=%d", m.From, m.To, n), func(t *testing.T) {
				rng := systemtest.NewRand(t, uint64(n)<<8|uint64(10*m.From+m.To))
				src := systemtest.MigrationRows(rng, layoutOf(m.From), n)
				got := systemtest.CheckMigrated(t, rng, m, &src, layoutOf(m.To))
				if m.To != 3 {
					return
				}
				assert.Equal(t, filled(n, massOne), systemtest.Float32Bits(&got, scenario.Mass), "mass starts at 1")
				if m.From == 1 {
					assert.Equal(t, make([]bool, n), ecs.Column(&got, scenario.Collided), "collided starts false")
				}
			})
		}
	}
}

// TestMigrationRoundTrips converts down and up again, each step into a
// buffer holding junk: what the lower version holds survives bit for bit
// (NaN payloads, -0 and denormals included; collided too, for v2), and what
// it cannot hold comes back at v3's defaults even though every entity was
// collided and of mass 42.
func TestMigrationRoundTrips(t *testing.T) {
	migs := version3(t).Migrations()
	for _, lower := range []int{1, 2} {
		up, down := systemtest.Migration(t, migs, lower, 3), systemtest.Migration(t, migs, 3, lower)
		for _, n := range systemtest.MigrationSizes {
			t.Run(fmt.Sprintf("v%d/n=%d", lower, n), func(t *testing.T) {
				rng := systemtest.NewRand(t, uint64(n)<<8|uint64(lower))

				// lower → v3 → lower.
				rows := systemtest.MigrationRows(rng, layoutOf(lower), n)
				mid := systemtest.CheckMigrated(t, rng, up, &rows, layoutOf(3))
				back := systemtest.CheckMigrated(t, rng, down, &mid, layoutOf(lower))
				assert.Equal(t, systemtest.RowBits(&rows), systemtest.RowBits(&back), "v%d→v3→v%d", lower, lower)

				// v3 → lower → v3, from entities that are all collided and heavy.
				rows = systemtest.MigrationRows(rng, layoutOf(3), n)
				if n == 1000 {
					var all []uint32
					for _, c := range []ecs.Spec{scenario.Position, scenario.Velocity, scenario.Mass} {
						all = append(all, systemtest.Float32Bits(&rows, c)...)
					}
					require.Subset(t, all, systemtest.BitPatterns, "precondition: the rows hold every bit pattern")
				}
				flags, mass := ecs.Column(&rows, scenario.Collided), ecs.Column(&rows, scenario.Mass)
				for i := range flags {
					flags[i], mass[i] = true, 42
				}
				low := systemtest.CheckMigrated(t, rng, down, &rows, layoutOf(lower))
				back = systemtest.CheckMigrated(t, rng, up, &low, layoutOf(3))
				what := fmt.Sprintf("v3→v%d→v3", lower)
				assert.Equal(t, append([]ecs.Key{}, rows.Keys...), append([]ecs.Key{}, back.Keys...), what+" keys")
				systemtest.CheckSameBits(t, &rows, &back, scenario.Position.Component, what)
				systemtest.CheckSameBits(t, &rows, &back, scenario.Velocity.Component, what)
				// v2 keeps its flags, v1's come back false; mass restarts at 1.
				assert.Equal(t, filled(n, lower == 2), ecs.Column(&back, scenario.Collided), what+" collided")
				assert.Equal(t, filled(n, massOne), systemtest.Float32Bits(&back, scenario.Mass), what+" mass")
			})
		}
	}
}

// TestMigrationsRefuseAnotherLayoutOfAName: a derived step copies a
// component only between equal layouts. Rows whose position is another
// layout under the same name (float64 x, y) need a Convert, which v3 does
// not declare, so ecs.CheckStep refuses every v3 migration from such rows,
// and to such a layout.
func TestMigrationsRefuseAnotherLayoutOfAName(t *testing.T) {
	wide := ecs.MustRegister[struct{ X, Y float64 }]("position")
	// swap returns l with position replaced by the wide one.
	swap := func(l *ecs.Layout) *ecs.Layout {
		specs := []ecs.Spec{wide}
		for _, c := range l.Components() {
			if c.Name() != "position" {
				specs = append(specs, c)
			}
		}
		return ecs.MustLayout(specs...)
	}
	for _, m := range version3(t).Migrations() {
		from, to := layoutOf(m.From), layoutOf(m.To)
		assert.ErrorIs(t, ecs.CheckStep(swap(from), to, m.Convert != nil), ecs.ErrLayoutMismatch, "%d→%d from a wide position", m.From, m.To)
		assert.ErrorIs(t, ecs.CheckStep(from, swap(to), m.Convert != nil), ecs.ErrLayoutMismatch, "%d→%d to a wide position", m.From, m.To)
	}
}
