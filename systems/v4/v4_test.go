package v4_test

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	v4 "github.com/grove-engine/grove/systems/v4"
	"github.com/grove-engine/grove/versioning"
)

func engine(t testing.TB) *versioning.Engine {
	t.Helper()
	e, err := versioning.New(versioning.WithFrameBudget(0))
	require.NoError(t, err)
	require.NoError(t, e.AddModule("game"))
	for _, v := range []versioning.Version{v1.Version{}, v2.Version{}, v3.Version{}, v4.Version{}} {
		require.NoError(t, e.Register("game", v))
	}
	return e
}

// TestMillionEntitiesV3ToV4AndBack moves 1,000,000 entities v3→v4→v3: every
// shared component comes back bit for bit (mass widened to float64 and
// narrowed again exactly), and in v4 the new Health component holds v4's
// default.
func TestMillionEntitiesV3ToV4AndBack(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 10_000
	}
	e := engine(t)
	require.NoError(t, e.Load("game", 3))
	require.NoError(t, e.Load("game", 4))
	seed := uint64(7)
	rng := rand.New(rand.NewPCG(seed, 1))
	c := ecs.MakeColumns(v3.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	col, mass := ecs.Column(&c, scenario.Collided), ecs.Column(&c, scenario.Mass)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32()*2000 - 500, Y: float32(rng.NormFloat64() * 1e3)}
		vel[i] = scenario.Vec2{X: math.Float32frombits(rng.Uint32() & 0x7f7fffff), Y: float32(math.Copysign(0, -1))}
		col[i] = rng.IntN(2) == 0
		mass[i] = math.Float32frombits(rng.Uint32() & 0x7f7fffff) // any finite float32
	}
	_, err := e.Spawn("game", 3, &c)
	require.NoError(t, err)
	before, err := e.Export("game")
	require.NoError(t, err)
	orig := before[3]

	require.NoError(t, e.SetSplit("game", map[int]float64{4: 1}))
	mid, err := e.Export("game")
	require.NoError(t, err)
	in4 := mid[4]
	require.Equal(t, n, in4.Len(), "seed %d", seed)
	m64, hs := ecs.Column(&in4, v4.MassC), ecs.Column(&in4, v4.HealthC)
	om := ecs.Column(&orig, scenario.Mass)
	for i := range n {
		require.Equal(t, float64(om[i]), float64(m64[i]), "seed %d row %d: mass widened exactly", seed, i)
		require.Equal(t, v4.Health{HP: v4.MaxHP, Regen: 1}, hs[i])
	}
	assert.Equal(t, ecs.KeyBytes(orig.Keys), ecs.KeyBytes(in4.Keys))

	require.NoError(t, e.SetSplit("game", map[int]float64{3: 1}))
	after, err := e.Export("game")
	require.NoError(t, err)
	back := after[3]
	require.True(t, ecs.Equal(&orig, &back), "seed %d: v3→v4→v3 is bit-exact", seed)
}

// TestRunsInTheScenarioSplit: v4 runs beside v1..v3, entities flow in and
// out through v3's migrations, and nothing fails or is lost.
func TestRunsInTheScenarioSplit(t *testing.T) {
	e := engine(t)
	for n := 1; n <= 4; n++ {
		require.NoError(t, e.Load("game", n))
	}
	c := ecs.MakeColumns(v1.Layout, 1000)
	rng := rand.New(rand.NewPCG(3, 3))
	for i, p := range ecs.Column(&c, scenario.Position) {
		_ = p
		ecs.Column(&c, scenario.Position)[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		ecs.Column(&c, scenario.Velocity)[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	_, err := e.Spawn("game", 1, &c)
	require.NoError(t, err)
	for _, split := range []map[int]float64{
		{1: 0.2, 2: 0.3, 3: 0.3, 4: 0.2}, {4: 1}, {1: 0.5, 4: 0.5}, {2: 0.25, 3: 0.25, 4: 0.5},
	} {
		require.NoError(t, e.SetSplit("game", split))
		for range 30 {
			require.NoError(t, e.Tick(time.Second/60))
		}
		m, err := e.Metrics("game")
		require.NoError(t, err)
		assert.Equal(t, 1000, m.Entities)
		for _, v := range m.Versions {
			assert.Zero(t, v.Errors, "v%d", v.Version)
			assert.Equal(t, int(math.Round(split[v.Version]*1000)), v.Entities, "v%d in %v", v.Version, split)
		}
	}
}

// TestRegen and move follow their documented formulas.
func TestSystemsFollowTheirFormulas(t *testing.T) {
	w, err := ecs.NewWorld(v4.Layout, 0)
	require.NoError(t, err)
	c := ecs.MakeColumns(v4.Layout, 3)
	ecs.Column(&c, v4.HealthC)[0] = v4.Health{HP: 50, Regen: 6}
	ecs.Column(&c, v4.HealthC)[1] = v4.Health{HP: 99.95, Regen: 6}
	ecs.Column(&c, scenario.Position)[2] = scenario.Vec2{X: 999.99, Y: 5}
	ecs.Column(&c, scenario.Velocity)[2] = scenario.Vec2{X: 60, Y: 0}
	require.NoError(t, w.Append(&c))
	dt := float32(1.0 / 60)
	for _, s := range (v4.Logic{}).Schedule() {
		require.NoError(t, s.Run(w.View(), dt))
	}
	got := w.Columns()
	hs := ecs.Column(&got, v4.HealthC)
	assert.Equal(t, 50+float32(6*dt), hs[0].HP)
	assert.Equal(t, float32(v4.MaxHP), hs[1].HP, "capped")
	p := ecs.Column(&got, scenario.Position)[2]
	gy := float32(9.8 * dt)
	assert.Equal(t, 999.99+float32(60*dt), p.X)
	assert.Equal(t, 5+float32(gy*dt), p.Y)
	assert.True(t, ecs.Column(&got, scenario.Collided)[2], "moved past the bound")
}

// mass64Only declares "mass" as a float64 with no conversion from v3.
type mass64Only struct{ v4.Version }

func (mass64Only) Number() int                 { return 5 }
func (mass64Only) Migrations() []ecs.Migration { return []ecs.Migration{{From: 5, To: 1}} }

// TestMismatchedLayoutNeedsAConversion: a version that declares v4's float64
// mass but no Convert from v3's float32 one is refused, and nothing changes.
func TestMismatchedLayoutNeedsAConversion(t *testing.T) {
	e := engine(t)
	err := e.Register("game", mass64Only{})
	require.ErrorIs(t, err, versioning.ErrLayoutMismatch)
	nums, err := e.Registered("game")
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 4}, nums)
}

// TestNarrowingRefusesWhatAFloat32CannotHold: a v4 mass beyond float32's
// range makes the move back to v3 fail, and nothing changes.
func TestNarrowingRefusesWhatAFloat32CannotHold(t *testing.T) {
	e := engine(t)
	require.NoError(t, e.Load("game", 4))
	require.NoError(t, e.Load("game", 3))
	c := ecs.MakeColumns(v4.Layout, 2)
	ecs.Column(&c, v4.MassC)[1] = 1e300
	_, err := e.Spawn("game", 4, &c)
	require.NoError(t, err)
	err = e.SetSplit("game", map[int]float64{3: 1})
	require.ErrorIs(t, err, versioning.ErrMigration)
	s, _ := e.Split("game")
	assert.Equal(t, map[int]float64{4: 1}, s)
	v, _ := e.Export("game")
	assert.Equal(t, 2, func() int { c := v[4]; return c.Len() }())
}
