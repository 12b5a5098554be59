package v2_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	v2 "github.com/grove-engine/grove/systems/v2"
)

// The documented identity of v2, written out here rather than read from the
// package so that the tests check it.
const (
	wantNumber = 2
	wantMask   = ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskCollided
)

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

// toColumns encodes the reference entities as v2 rows.
func toColumns(es []entity) ecs.Columns {
	c := ecs.Columns{Mask: wantMask}
	for _, e := range es {
		c.Keys = append(c.Keys, e.key)
		c.Position = append(c.Position, ecs.Position{X: e.x, Y: e.y})
		c.Velocity = append(c.Velocity, ecs.Velocity{X: e.vx, Y: e.vy})
		c.Collided = append(c.Collided, ecs.Collided(e.collided))
	}
	return c
}

// newWorld builds a v2 world holding es.
func newWorld(t *testing.T, es []entity) *ecs.World {
	t.Helper()
	w, err := ecs.NewWorld(v2.Version{}.Components(), 0)
	require.NoError(t, err)
	c := toColumns(es)
	require.NoError(t, w.Append(&c))
	require.Equal(t, len(es), w.Len())
	return w
}

// checkWorld asserts that the world holds exactly the reference entities.
func checkWorld(t *testing.T, w *ecs.World, want []entity, what string) {
	t.Helper()
	c := w.Columns()
	require.Equal(t, len(want), c.Len(), what)
	row := make(map[ecs.Key]int, c.Len())
	for i, k := range c.Keys {
		row[k] = i
	}
	require.Len(t, row, len(want), "%s: duplicate keys", what)
	bad := 0
	for _, e := range want {
		i, ok := row[e.key]
		require.True(t, ok, "%s: key %v missing", what, e.key)
		p, v, col := c.Position[i], c.Velocity[i], bool(c.Collided[i])
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
			rng := rand.New(rand.NewPCG(uint64(n), 1))
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
					t.Fatalf("n=%d systemtest.Specials=%v: first failure at frame %d (dt=%v)", n, withSpecials, f, dt)
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
	assert.Equal(t, []ecs.Collided{false, false, false, true, false, false, true}, c.Collided)
	assert.Equal(t, ecs.Position{X: 1000, Y: 500}, c.Position[0])
	assert.Equal(t, ecs.Position{X: 0, Y: 500}, c.Position[1])
	assert.Equal(t, ecs.Position{X: 500, Y: 0}, c.Position[4])
	assert.Equal(t, ecs.Position{X: 500, Y: -500}, c.Position[6])
}

func TestScheduleShape(t *testing.T) {
	logic, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	s := logic.Schedule()
	require.Len(t, s, 2)
	assert.Equal(t, "move", s[0].Name)
	assert.Equal(t, ecs.MaskPosition, s[0].Writes)
	assert.Equal(t, "collide", s[1].Name)
	assert.Equal(t, ecs.MaskCollided, s[1].Writes)
	for _, sys := range s {
		assert.NotNil(t, sys.Run, sys.Name)
		assert.True(t, wantMask.Has(sys.Reads|sys.Writes), "%s touches columns v2 lacks", sys.Name)
	}
	assert.Equal(t, ecs.MaskPosition|ecs.MaskCollided, s.Writes())
}

func TestVersionIdentity(t *testing.T) {
	var v v2.Version
	assert.Equal(t, wantNumber, v.Number())
	assert.Equal(t, wantNumber, v2.Number)
	assert.Equal(t, wantMask, v.Components())
	assert.Equal(t, wantMask, v2.Components)
}

// TestNewLogicIndependent runs two instances on two worlds in lockstep: each
// world evolves as if it were alone.
func TestNewLogicIndependent(t *testing.T) {
	a, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	b, err := v2.Version{}.NewLogic()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 7))
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
