package v2_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	"github.com/grove-engine/grove/systems/scenario"
	v2 "github.com/grove-engine/grove/systems/v2"
)

// The documented number of v2, written out here rather than read from the
// package so that the tests check it; its documented layout is
// systemtest.Documented(2).
const wantNumber = 2

// sizes are the entity counts every schedule test runs.
var sizes = []int{0, 1, 7, 1000}

// entity is the plain-Go reference state of one v2 entity.
type entity struct {
	key          ecs.Key
	x, y, vx, vy float32
	collided     bool
}

// refStep is the documented v2 frame: x += float32(vx*dt),
// y += float32(vy*dt), then collided = x<0 || x>1000 || y<0 || y>1000 (so a
// NaN coordinate does not count as outside).
func refStep(es []entity, dt float32) {
	for i := range es {
		e := &es[i]
		e.x += float32(e.vx * dt)
		e.y += float32(e.vy * dt)
		e.collided = e.x < 0 || e.x > 1000 || e.y < 0 || e.y > 1000
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
			// A stale flag the first frame must overwrite either way.
			collided: rng.IntN(2) == 0,
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

// toColumns encodes the reference entities as rows in v2's documented
// layout.
func toColumns(es []entity) ecs.Columns {
	c := ecs.MakeColumns(systemtest.Layout(wantNumber), len(es))
	pos, vel, col := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity), ecs.Column(&c, scenario.Collided)
	for i, e := range es {
		c.Keys[i] = e.key
		pos[i] = scenario.Vec2{X: e.x, Y: e.y}
		vel[i] = scenario.Vec2{X: e.vx, Y: e.vy}
		col[i] = e.collided
	}
	return c
}

// newWorld builds a world of v2's layout holding es.
func newWorld(t *testing.T, es []entity) *ecs.World {
	t.Helper()
	c := toColumns(es)
	return systemtest.NewWorld(t, v2.Version{}.Components(), &c)
}

// checkWorld asserts that the world holds exactly the reference entities.
func checkWorld(t *testing.T, w *ecs.World, want []entity, what string) {
	t.Helper()
	c := w.Columns()
	require.Equal(t, len(want), c.Len(), what)
	pos, vel, cols := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity), ecs.Column(&c, scenario.Collided)
	require.Len(t, pos, len(want), "%s: position column", what)
	require.Len(t, vel, len(want), "%s: velocity column", what)
	require.Len(t, cols, len(want), "%s: collided column", what)
	row := make(map[ecs.Key]int, c.Len())
	for i, k := range c.Keys {
		row[k] = i
	}
	require.Len(t, row, len(want), "%s: duplicate keys", what)
	bad := 0
	for _, e := range want {
		i, ok := row[e.key]
		require.True(t, ok, "%s: key %v missing", what, e.key)
		p, v, col := pos[i], vel[i], cols[i]
		if !systemtest.SameFloat(p.X, e.x) || !systemtest.SameFloat(p.Y, e.y) || !systemtest.SameFloat(v.X, e.vx) || !systemtest.SameFloat(v.Y, e.vy) || col != e.collided {
			bad++
			if bad <= 5 {
				assert.Failf(t, "differs from reference", "%s: key %v: got p=%v v=%v collided=%v, want p=(%v %v) v=(%v %v) collided=%v",
					what, e.key, p, v, col, e.x, e.y, e.vx, e.vy, e.collided)
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
			logic, err := v2.Version{}.NewLogic()
			require.NoError(t, err)
			s := logic.Schedule()
			require.NotEmpty(t, s)
			for f, dt := range systemtest.Dts {
				systemtest.RunFrame(t, w, s, dt)
				refStep(want, dt)
				checkWorld(t, w, want, "")
				if t.Failed() {
					t.Fatalf("n=%d specials=%v: first failure at frame %d (dt=%v)", n, withSpecials, f, dt)
				}
			}
		}
	}
}

// TestScheduleFlagsBounds checks the bounds test on hand-picked entities, as
// a guard independent of the reference: moving exactly onto an edge is inside,
// one ulp past it is outside, and the flag is cleared again on the way back.
func TestScheduleFlagsBounds(t *testing.T) {
	past := math.Nextafter32(1000, 2000)
	es := []entity{
		{key: ecs.NewKey(0, 0), x: 999, y: 500, vx: 2, vy: 0},                     // lands on x = 1000
		{key: ecs.NewKey(1, 0), x: 1, y: 500, vx: -2, vy: 0},                      // lands on x = 0
		{key: ecs.NewKey(2, 0), x: 500, y: 1000, vx: 0, vy: 0},                    // stays on y = 1000
		{key: ecs.NewKey(3, 0), x: past, y: 500, vx: 0, vy: 0},                    // one ulp outside
		{key: ecs.NewKey(4, 0), x: 500, y: -1, vx: 0, vy: 2},                      // re-enters at y = 0
		{key: ecs.NewKey(5, 0), x: systemtest.NegZero, y: 0, vx: 0, vy: 0},        // -0 is inside
		{key: ecs.NewKey(6, 0), x: 500, y: 500, vx: 0, vy: -2000, collided: true}, // leaves
	}
	w := newWorld(t, es)
	logic, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	systemtest.RunFrame(t, w, logic.Schedule(), 0.5)
	c := w.Columns()
	require.Equal(t, len(es), c.Len())
	pos := ecs.Column(&c, scenario.Position)
	assert.Equal(t, []bool{false, false, false, true, false, false, true}, ecs.Column(&c, scenario.Collided))
	assert.Equal(t, scenario.Vec2{X: 1000, Y: 500}, pos[0])
	assert.Equal(t, scenario.Vec2{X: 0, Y: 500}, pos[1])
	assert.Equal(t, scenario.Vec2{X: 500, Y: 0}, pos[4])
	assert.Equal(t, scenario.Vec2{X: 500, Y: -500}, pos[6])
}

func TestScheduleShape(t *testing.T) {
	logic, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	s := logic.Schedule()
	require.Len(t, s, 2)
	assert.Equal(t, "move", s[0].Name)
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position, scenario.Velocity), s[0].Reads, "move reads")
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position), s[0].Writes, "move writes")
	assert.Equal(t, "collide", s[1].Name)
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position), s[1].Reads, "collide reads")
	systemtest.EqualSet(t, ecs.SetOf(scenario.Collided), s[1].Writes, "collide writes")
	have := systemtest.Layout(wantNumber).Set()
	for _, sys := range s {
		assert.NotNil(t, sys.Run, sys.Name)
		assert.True(t, have.Contains(sys.Reads.Union(sys.Writes)), "%s touches components v2 lacks: %v", sys.Name, sys.Reads.Union(sys.Writes).Minus(have))
	}
	systemtest.EqualSet(t, ecs.SetOf(scenario.Position, scenario.Collided), s.Writes(), "schedule writes")
}

func TestVersionIdentity(t *testing.T) {
	var v v2.Version
	assert.Equal(t, wantNumber, v.Number())
	assert.Equal(t, wantNumber, v2.Number)
	systemtest.CheckLayout(t, v.Components(), wantNumber)
	assert.Same(t, v2.Layout, v.Components())
}

// TestNewLogicIndependent runs two instances on two worlds in lockstep: each
// world evolves as if it were alone.
func TestNewLogicIndependent(t *testing.T) {
	a, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	b, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	rng := systemtest.NewRand(t, 7)
	wantA, wantB := randomEntities(rng, 100, false), randomEntities(rng, 13, false)
	wa, wb := newWorld(t, wantA), newWorld(t, wantB)
	for _, dt := range systemtest.Dts {
		systemtest.RunFrame(t, wa, a.Schedule(), dt)
		refStep(wantA, dt)
		systemtest.RunFrame(t, wb, b.Schedule(), 2*dt)
		refStep(wantB, 2*dt)
	}
	checkWorld(t, wa, wantA, "world a")
	checkWorld(t, wb, wantB, "world b")
}
