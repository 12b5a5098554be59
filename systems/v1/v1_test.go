package v1_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
)

// The documented number of v1, written out here rather than read from the
// package so that the tests check it; its documented layout is
// systemtest.Documented(1).
const wantNumber = 1

// sizes are the entity counts every schedule test runs.
var sizes = []int{0, 1, 7, 1000}

// entity is the plain-Go reference state of one v1 entity.
type entity struct {
	key          ecs.Key
	x, y, vx, vy float32
}

// refMove is the documented v1 frame: x += float32(vx*dt), y += float32(vy*dt).
func refMove(es []entity, dt float32) {
	for i := range es {
		e := &es[i]
		e.x += float32(e.vx * dt)
		e.y += float32(e.vy * dt)
	}
}

// randomEntities returns n entities with unique keys: most spread over
// [-500, 1500]² (so many are outside the bounds, some negative), about a
// quarter with a coordinate exactly on a bound and no velocity along it, and,
// when withSpecials is set, some infinities, NaNs, negative zeros and
// denormals.
func randomEntities(rng *rand.Rand, n int, withSpecials bool) []entity {
	es := make([]entity, n)
	for i := range es {
		e := entity{
			key: ecs.NewKey(uint32(i), rng.Uint32()),
			x:   float32(rng.Float64()*2000 - 500),
			y:   float32(rng.Float64()*2000 - 500),
			vx:  float32(rng.NormFloat64() * 100),
			vy:  float32(rng.NormFloat64() * 100),
		}
		switch rng.IntN(8) {
		case 0:
			e.x, e.vx = systemtest.Edges[rng.IntN(len(systemtest.Edges))], 0
		case 1:
			e.y, e.vy = systemtest.Edges[rng.IntN(len(systemtest.Edges))], 0
		case 2:
			e.x, e.y, e.vx, e.vy = systemtest.Edges[rng.IntN(len(systemtest.Edges))], systemtest.Edges[rng.IntN(len(systemtest.Edges))], 0, 0
		}
		if withSpecials {
			for _, f := range []*float32{&e.x, &e.y, &e.vx, &e.vy} {
				if rng.IntN(6) == 0 {
					*f = systemtest.Specials[rng.IntN(len(systemtest.Specials))]
				}
			}
		}
		es[i] = e
	}
	return es
}

// toColumns encodes the reference entities as rows in v1's documented
// layout.
func toColumns(es []entity) ecs.Columns {
	c := ecs.MakeColumns(systemtest.Layout(wantNumber), len(es))
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i, e := range es {
		c.Keys[i] = e.key
		pos[i] = scenario.Vec2{X: e.x, Y: e.y}
		vel[i] = scenario.Vec2{X: e.vx, Y: e.vy}
	}
	return c
}

// newWorld builds a world of v1's layout holding es.
func newWorld(t *testing.T, es []entity) *ecs.World {
	t.Helper()
	c := toColumns(es)
	return systemtest.NewWorld(t, v1.Version{}.Components(), &c)
}

// checkWorld asserts that the world holds exactly the reference entities.
func checkWorld(t *testing.T, w *ecs.World, want []entity, what string) {
	t.Helper()
	c := w.Columns()
	require.Equal(t, len(want), c.Len(), what)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	require.Len(t, pos, len(want), "%s: position column", what)
	require.Len(t, vel, len(want), "%s: velocity column", what)
	row := make(map[ecs.Key]int, c.Len())
	for i, k := range c.Keys {
		row[k] = i
	}
	require.Len(t, row, len(want), "%s: duplicate keys", what)
	bad := 0
	for _, e := range want {
		i, ok := row[e.key]
		require.True(t, ok, "%s: key %v missing", what, e.key)
		p, v := pos[i], vel[i]
		if !systemtest.SameFloat(p.X, e.x) || !systemtest.SameFloat(p.Y, e.y) || !systemtest.SameFloat(v.X, e.vx) || !systemtest.SameFloat(v.Y, e.vy) {
			bad++
			if bad <= 5 {
				assert.Failf(t, "differs from reference", "%s: key %v: got p=%v v=%v, want p=(%v %v) v=(%v %v)",
					what, e.key, p, v, e.x, e.y, e.vx, e.vy)
			}
		}
	}
	assert.Zero(t, bad, "%s: entities differing from the reference", what)
}

func TestScheduleMatchesReference(t *testing.T) {
	for _, withSpecials := range []bool{false, true} {
		for _, n := range sizes {
			rng := systemtest.NewRand(t, uint64(n))
			want := randomEntities(rng, n, withSpecials)
			w := newWorld(t, want)
			logic, err := v1.Version{}.NewLogic()
			require.NoError(t, err)
			s := logic.Schedule()
			require.NotEmpty(t, s)
			for f, dt := range systemtest.Dts {
				systemtest.RunFrame(t, w, s, dt)
				refMove(want, dt)
				checkWorld(t, w, want, "")
				if t.Failed() {
					t.Fatalf("n=%d specials=%v: first failure at frame %d (dt=%v)", n, withSpecials, f, dt)
				}
			}
		}
	}
}

// TestScheduleMovesAtAll guards the reference comparison against a world the
// schedule never touches: with a non-zero velocity and dt, positions change.
func TestScheduleMovesAtAll(t *testing.T) {
	es := []entity{{key: ecs.NewKey(1, 0), x: 1, y: 2, vx: 10, vy: -20}}
	w := newWorld(t, es)
	logic, err := v1.Version{}.NewLogic()
	require.NoError(t, err)
	systemtest.RunFrame(t, w, logic.Schedule(), 0.5)
	c := w.Columns()
	assert.Equal(t, []scenario.Vec2{{X: 6, Y: -8}}, ecs.Column(&c, scenario.Position))
	assert.Equal(t, []scenario.Vec2{{X: 10, Y: -20}}, ecs.Column(&c, scenario.Velocity))
}

func TestScheduleShape(t *testing.T) {
	logic, err := v1.Version{}.NewLogic()
	require.NoError(t, err)
	s := logic.Schedule()
	require.Len(t, s, 1)
	assert.Equal(t, "move", s[0].Name)
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position, scenario.Velocity), s[0].Reads, "move reads")
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position), s[0].Writes, "move writes")
	assert.NotNil(t, s[0].Run)
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position), s.Writes(), "schedule writes")
}

func TestVersionIdentity(t *testing.T) {
	var v v1.Version
	assert.Equal(t, wantNumber, v.Number())
	assert.Equal(t, wantNumber, v1.Number)
	systemtest.CheckLayout(t, v.Components(), wantNumber)
	assert.Same(t, v1.Layout, v.Components())
	assert.Empty(t, v.Migrations(), "v1 declares no migrations")
}

// TestNewLogicIndependent runs two instances on two worlds in lockstep: each
// world evolves as if it were alone.
func TestNewLogicIndependent(t *testing.T) {
	a, err := v1.Version{}.NewLogic()
	require.NoError(t, err)
	b, err := v1.Version{}.NewLogic()
	require.NoError(t, err)
	rng := systemtest.NewRand(t, 7)
	wantA, wantB := randomEntities(rng, 100, false), randomEntities(rng, 13, false)
	wa, wb := newWorld(t, wantA), newWorld(t, wantB)
	for _, dt := range systemtest.Dts {
		systemtest.RunFrame(t, wa, a.Schedule(), dt)
		refMove(wantA, dt)
		systemtest.RunFrame(t, wb, b.Schedule(), 2*dt)
		refMove(wantB, 2*dt)
	}
	checkWorld(t, wa, wantA, "world a")
	checkWorld(t, wb, wantB, "world b")
}
