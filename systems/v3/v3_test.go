package v3_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/asm"
	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/systemtest"
	v3 "github.com/grove-engine/grove/systems/v3"
)

// The documented identity of v3, written out here rather than read from the
// package so that the tests check it.
const (
	wantNumber = 3
	wantMask   = ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskCollided | ecs.MaskMass
)

// sizes are the entity counts of the schedule tests, run in this order on one
// Logic so that its reused buffers shrink and grow again.
var sizes = []int{1000, 7, 1, 0, 7}

// entity is the plain-Go reference state of one v3 entity.
type entity struct {
	key          ecs.Key
	x, y, vx, vy float32
	collided     bool
	mass         float32
}

// config is what the reference needs to know of a v3 Version's options.
type config struct {
	ax, ay   float32
	radius   float32
	contacts bool
}

var defaultConfig = config{ax: 0, ay: 9.8, radius: 0.5, contacts: true}

// refStep is the documented v3 frame, entity by entity: gravity
// (v += float32(a*dt), then p += float32(v*dt)), the bounds test
// (collided = !(0 <= x <= 1000 && 0 <= y <= 1000), so NaN is outside) and,
// with contacts on, an O(n²) overlap test with spatial's predicate (squared
// distance in float64 <= (2r)²). It returns the number of overlapping pairs.
func refStep(es []entity, cfg config, dt float32) int {
	gx, gy := float32(cfg.ax*dt), float32(cfg.ay*dt)
	for i := range es {
		e := &es[i]
		e.vx += gx
		e.vy += gy
		e.x += float32(e.vx * dt)
		e.y += float32(e.vy * dt)
		e.collided = !(e.x >= 0 && e.x <= 1000 && e.y >= 0 && e.y <= 1000)
	}
	if !cfg.contacts {
		return 0
	}
	d := 2 * float64(cfg.radius)
	lim := d * d
	pairs := 0
	for i := range es {
		for j := i + 1; j < len(es); j++ {
			dx := float64(es[i].x) - float64(es[j].x)
			dy := float64(es[i].y) - float64(es[j].y)
			if float64(dx*dx)+float64(dy*dy) <= lim {
				pairs++
				es[i].collided = true
				es[j].collided = true
			}
		}
	}
	return pairs
}

// layout says how randomEntities places entities.
type layout int

const (
	spread    layout = iota // over [-500, 1500]², a quarter on the bounds
	clustered               // half in a small dense square around the origin
	special                 // clustered, plus infinities, NaNs, -0 and denormals
)

func (l layout) String() string {
	return [...]string{"spread", "clustered", "special"}[l]
}

// randomEntities returns n entities with unique keys placed as l says. Flags
// start random (the first frame must overwrite them) and masses in [0.5, 5].
func randomEntities(rng *rand.Rand, n int, l layout) []entity {
	// The cluster holds about two entities per unit square, so that circles
	// of radius 0.5 overlap often but not always.
	side := 1 + math.Sqrt(float64(n)/4)
	es := make([]entity, n)
	for i := range es {
		e := entity{
			key:      ecs.NewKey(uint32(i), rng.Uint32()),
			x:        float32(rng.Float64()*2000 - 500),
			y:        float32(rng.Float64()*2000 - 500),
			vx:       float32(rng.NormFloat64() * 100),
			vy:       float32(rng.NormFloat64() * 100),
			collided: rng.IntN(2) == 0,
			mass:     float32(0.5 + 4.5*rng.Float64()),
		}
		switch {
		case l != spread && rng.IntN(2) == 0:
			e.x = float32(rng.Float64()*side - 2)
			e.y = float32(rng.Float64()*side - 2)
			e.vx = float32(rng.NormFloat64() * 0.3)
			e.vy = float32(rng.NormFloat64() * 0.3)
		default:
			switch rng.IntN(8) {
			case 0:
				e.x, e.vx = systemtest.Edges[rng.IntN(len(systemtest.Edges))], 0
			case 1:
				e.y, e.vy = systemtest.Edges[rng.IntN(len(systemtest.Edges))], 0
			case 2:
				e.x, e.y, e.vx, e.vy = systemtest.Edges[rng.IntN(len(systemtest.Edges))], systemtest.Edges[rng.IntN(len(systemtest.Edges))], 0, 0
			}
		}
		if l == special {
			for _, f := range []*float32{&e.x, &e.y, &e.vx, &e.vy} {
				if rng.IntN(8) == 0 {
					*f = systemtest.Specials[rng.IntN(len(systemtest.Specials))]
				}
			}
		}
		es[i] = e
	}
	return es
}

// toColumns encodes the reference entities as v3 rows.
func toColumns(es []entity) ecs.Columns {
	c := ecs.Columns{Mask: wantMask}
	for _, e := range es {
		c.Keys = append(c.Keys, e.key)
		c.Position = append(c.Position, ecs.Position{X: e.x, Y: e.y})
		c.Velocity = append(c.Velocity, ecs.Velocity{X: e.vx, Y: e.vy})
		c.Collided = append(c.Collided, ecs.Collided(e.collided))
		c.Mass = append(c.Mass, ecs.Mass(e.mass))
	}
	return c
}

// newWorld builds a world for version v holding es.
func newWorld(t *testing.T, v v3.Version, es []entity) *ecs.World {
	t.Helper()
	w, err := ecs.NewWorld(v.Components(), 0)
	require.NoError(t, err)
	c := toColumns(es)
	require.NoError(t, w.Append(&c))
	require.Equal(t, len(es), w.Len())
	return w
}

// newLogic loads v, and returns it with its pair count.
func newLogic(t *testing.T, v v3.Version) (ecs.Logic, func() float64) {
	t.Helper()
	l, err := v.NewLogic()
	require.NoError(t, err)
	m, ok := l.(interface{ Metrics() map[string]float64 })
	require.True(t, ok, "v3 Logic has no Metrics")
	return l, func() float64 {
		p, ok := m.Metrics()["pairs"]
		require.True(t, ok, `Metrics lacks "pairs"`)
		return p
	}
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
		p, v, col, m := c.Position[i], c.Velocity[i], bool(c.Collided[i]), float32(c.Mass[i])
		if !systemtest.SameFloat(p.X, e.x) || !systemtest.SameFloat(p.Y, e.y) || !systemtest.SameFloat(v.X, e.vx) || !systemtest.SameFloat(v.Y, e.vy) ||
			col != e.collided || math.Float32bits(m) != math.Float32bits(e.mass) {
			bad++
			if bad <= 5 {
				assert.Failf(t, "differs from reference", "%s: key %v: got p=%v v=%v collided=%v mass=%v, want p=(%v %v) v=(%v %v) collided=%v mass=%v",
					what, e.key, p, v, col, m, e.x, e.y, e.vx, e.vy, e.collided, e.mass)
			}
		}
	}
	assert.Zero(t, bad, "%s: entities differing from the reference", what)
}

// scheduleCases are the configurations the reference test runs.
var scheduleCases = []struct {
	name string
	opts []v3.Option
	cfg  config
}{
	{"default", nil, defaultConfig},
	{"radius=2.5", []v3.Option{v3.WithRadius(2.5)}, config{0, 9.8, 2.5, true}},
	{"radius=0.05", []v3.Option{v3.WithRadius(0.05)}, config{0, 9.8, 0.05, true}},
	{"radius=40", []v3.Option{v3.WithRadius(40)}, config{0, 9.8, 40, true}},
	{"contacts=off", []v3.Option{v3.WithContacts(false)}, config{0, 9.8, 0.5, false}},
	{"contacts=on", []v3.Option{v3.WithContacts(false), v3.WithContacts(true)}, defaultConfig},
	{"gravity=(-3.25,1.5)/radius=0.75", []v3.Option{v3.WithGravity(-3.25, 1.5), v3.WithRadius(0.75)}, config{-3.25, 1.5, 0.75, true}},
	{"gravity=0", []v3.Option{v3.WithGravity(0, 0)}, config{0, 0, 0.5, true}},
	{"gravity=(1e-3,-20)/contacts=off", []v3.Option{v3.WithGravity(1e-3, -20), v3.WithContacts(false)}, config{1e-3, -20, 0.5, false}},
}

// childLevel names the environment variable with which
// TestScheduleUnderEveryAsmLevel tells a child process which asm level it
// must be running.
const childLevel = "GROVE_V3_TEST_CHILD_LEVEL"

// TestScheduleMatchesReference runs the whole schedule frame by frame on
// random worlds and compares every entity, bit for bit, with refStep, and the
// "pairs" metric with the reference's pair count.
func TestScheduleMatchesReference(t *testing.T) {
	if want := os.Getenv(childLevel); want != "" {
		require.Equal(t, want, asm.Active(), "GROVE_SIMD did not select the level")
	}
	t.Logf("asm level %s", asm.Active())
	for _, tc := range scheduleCases {
		for _, l := range []layout{spread, clustered, special} {
			t.Run(tc.name+"/"+l.String(), func(t *testing.T) {
				v, err := v3.New(tc.opts...)
				require.NoError(t, err)
				logic, pairs := newLogic(t, v)
				s := logic.Schedule()
				require.NotEmpty(t, s)
				seen := 0
				for _, n := range sizes {
					rng := rand.New(rand.NewPCG(uint64(n), uint64(l)))
					want := randomEntities(rng, n, l)
					w := newWorld(t, v, want)
					for f, dt := range systemtest.Dts {
						systemtest.RunFrame(t, w, s, dt)
						wantPairs := refStep(want, tc.cfg, dt)
						seen += wantPairs
						checkWorld(t, w, want, "")
						assert.Equal(t, float64(wantPairs), pairs(), "pairs")
						if t.Failed() {
							t.Fatalf("n=%d: first failure at frame %d (dt=%v)", n, f, dt)
						}
					}
				}
				if tc.cfg.contacts && l != spread {
					require.Positive(t, seen, "precondition: the clustered worlds have overlapping pairs")
				}
			})
		}
	}
}

// TestScheduleUnderEveryAsmLevel reruns TestScheduleMatchesReference in a
// child process per implementation level of asm this CPU and build can run,
// selected with GROVE_SIMD, the only way asm offers to choose the level its
// package-level functions (which v3 calls) use.
func TestScheduleUnderEveryAsmLevel(t *testing.T) {
	if os.Getenv(childLevel) != "" {
		t.Skip("already a child")
	}
	if testing.Short() {
		t.Skip("starts a process per level")
	}
	impls := asm.Impls()
	require.NotEmpty(t, impls)
	for _, impl := range impls {
		t.Run("impl="+impl.Name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestScheduleMatchesReference$", "-test.count=1", "-test.v")
			cmd.Env = append(os.Environ(), "GROVE_SIMD="+impl.Name, childLevel+"="+impl.Name)
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), "--- PASS: TestScheduleMatchesReference")
			assert.Contains(t, string(out), "asm level "+impl.Name)
		})
	}
}

// TestContactsOnHandPickedPairs checks the overlap test where the answer is
// known without any reference: circles exactly touching overlap, one ulp
// further apart they do not, and the flag of an entity inside the bounds is
// set only by a contact.
func TestContactsOnHandPickedPairs(t *testing.T) {
	past := math.Nextafter32(101, 200)
	es := []entity{
		// Touching: distance 1 = 2r.
		{x: 100, y: 100}, {x: 101, y: 100},
		// One ulp further apart than touching.
		{x: 100, y: 200}, {x: past, y: 200},
		// Touching vertically.
		{x: 300, y: 300}, {x: 300, y: 301},
		// Touching on the edge, both inside.
		{x: 0, y: 0}, {x: 0, y: 1},
		// Alone on the corner (inside), alone outside, alone and moving.
		{x: 1000, y: 1000}, {x: -0.5, y: 500}, {x: 500, y: 500, vx: 1e-3},
		// A triangle: three pairs.
		{x: 600, y: 600}, {x: 600.5, y: 600}, {x: 600.25, y: 600.25},
	}
	for i := range es {
		es[i].key = ecs.NewKey(uint32(i), 0)
		es[i].mass = 1
	}
	v, err := v3.New(v3.WithGravity(0, 0))
	require.NoError(t, err)
	logic, pairs := newLogic(t, v)
	w := newWorld(t, v, es)
	systemtest.RunFrame(t, w, logic.Schedule(), 0.25)
	c := w.Columns()
	require.Equal(t, len(es), c.Len())
	assert.Equal(t, []ecs.Collided{
		true, true,
		false, false,
		true, true,
		true, true,
		false,
		true,
		false,
		true, true, true,
	}, c.Collided)
	assert.Equal(t, 6.0, pairs())
	assert.Equal(t, ecs.Position{X: 500 + float32(float32(1e-3)*0.25), Y: 500}, c.Position[10])

	// With radius 1.5 the first pair of each row still touches (distance 1 <= 3),
	// and (100, 200)–(101+ulp, 200) now overlaps too.
	v, err = v3.New(v3.WithGravity(0, 0), v3.WithRadius(1.5))
	require.NoError(t, err)
	logic, pairs = newLogic(t, v)
	w = newWorld(t, v, es)
	systemtest.RunFrame(t, w, logic.Schedule(), 0.25)
	c = w.Columns()
	assert.Equal(t, ecs.Collided(true), c.Collided[2])
	assert.Equal(t, ecs.Collided(true), c.Collided[3])
	assert.Equal(t, ecs.Collided(false), c.Collided[8])
	assert.Equal(t, 7.0, pairs())
}

// TestGravityDefault checks the default gravity on one entity by hand:
// vy += float32(9.8*dt), then y += float32(vy*dt).
func TestGravityDefault(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	logic, _ := newLogic(t, v)
	es := []entity{{key: ecs.NewKey(0, 0), x: 10, y: 20, vx: 2, vy: -4, mass: 3}}
	w := newWorld(t, v, es)
	systemtest.RunFrame(t, w, logic.Schedule(), 0.5)
	c := w.Columns()
	vy := float32(-4) + float32(float32(9.8)*0.5)
	assert.Equal(t, ecs.Velocity{X: 2, Y: vy}, c.Velocity[0])
	assert.Equal(t, ecs.Position{X: 11, Y: 20 + float32(vy*0.5)}, c.Position[0])
	assert.Equal(t, ecs.Mass(3), c.Mass[0])
	assert.NotEqual(t, float32(-4), c.Velocity[0].Y, "gravity changed nothing")
}

func TestScheduleShape(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	logic, _ := newLogic(t, v)
	s := logic.Schedule()
	var names []string
	for _, sys := range s {
		names = append(names, sys.Name)
		assert.NotNil(t, sys.Run, sys.Name)
		assert.True(t, wantMask.Has(sys.Reads|sys.Writes), "%s touches columns v3 lacks", sys.Name)
		assert.False(t, sys.Writes.Has(ecs.MaskMass), "%s writes mass", sys.Name)
	}
	assert.Equal(t, []string{"gravity", "bounds", "contacts"}, names)
	assert.Equal(t, ecs.MaskPosition|ecs.MaskVelocity|ecs.MaskCollided, s.Writes())

	v, err = v3.New(v3.WithContacts(false))
	require.NoError(t, err)
	logic, _ = newLogic(t, v)
	names = names[:0]
	for _, sys := range logic.Schedule() {
		names = append(names, sys.Name)
	}
	assert.Equal(t, []string{"gravity", "bounds"}, names)
}

func TestNewRejectsBadOptions(t *testing.T) {
	nan := float32(math.NaN())
	for name, opt := range map[string]v3.Option{
		"radius=0":         v3.WithRadius(0),
		"radius=-0":        v3.WithRadius(systemtest.NegZero),
		"radius=-1":        v3.WithRadius(-1),
		"radius=NaN":       v3.WithRadius(nan),
		"radius=+Inf":      v3.WithRadius(systemtest.PosInf),
		"radius=-Inf":      v3.WithRadius(systemtest.NegInf),
		"gravity=(NaN,0)":  v3.WithGravity(nan, 0),
		"gravity=(0,NaN)":  v3.WithGravity(0, nan),
		"gravity=(+Inf,0)": v3.WithGravity(systemtest.PosInf, 0),
		"gravity=(0,-Inf)": v3.WithGravity(0, systemtest.NegInf),
	} {
		_, err := v3.New(opt)
		assert.True(t, errors.Is(err, v3.ErrBadOption), "%s: got %v", name, err)
		// A bad option fails New wherever it comes in the list.
		_, err = v3.New(v3.WithContacts(false), opt, v3.WithRadius(1))
		assert.True(t, errors.Is(err, v3.ErrBadOption), "%s among others: got %v", name, err)
	}
	for name, opt := range map[string]v3.Option{
		"radius=systemtest.Denormal": v3.WithRadius(systemtest.Denormal),
		"radius=1e6":                 v3.WithRadius(1e6),
		"gravity=(-0,-1)":            v3.WithGravity(systemtest.NegZero, -1),
		"gravity=(max,0)":            v3.WithGravity(math.MaxFloat32, 0),
		"contacts=off":               v3.WithContacts(false),
		"gravity=(1e-3,2)":           v3.WithGravity(1e-3, 2),
	} {
		_, err := v3.New(opt)
		assert.NoError(t, err, name)
	}
}

func TestVersionIdentity(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	assert.Equal(t, wantNumber, v.Number())
	assert.Equal(t, wantNumber, v3.Number)
	assert.Equal(t, wantMask, v.Components())
	assert.Equal(t, wantMask, v3.Components)
	v, err = v3.New(v3.WithRadius(3), v3.WithContacts(false))
	require.NoError(t, err)
	assert.Equal(t, wantNumber, v.Number(), "options change the number")
	assert.Equal(t, wantMask, v.Components(), "options change the columns")
}

// TestNewLogicIndependent runs two instances of one Version on two worlds in
// lockstep: each keeps its own pair count and grid, and each world evolves as
// if it were alone.
func TestNewLogicIndependent(t *testing.T) {
	v, err := v3.New(v3.WithGravity(0, 0))
	require.NoError(t, err)
	a, pairsA := newLogic(t, v)
	b, pairsB := newLogic(t, v)
	require.NotSame(t, a, b)
	rng := rand.New(rand.NewPCG(7, 7))
	wantA := randomEntities(rng, 400, clustered)
	wantB := randomEntities(rng, 50, spread)
	wa, wb := newWorld(t, v, wantA), newWorld(t, v, wantB)
	cfg := config{0, 0, 0.5, true}
	for _, dt := range systemtest.Dts {
		systemtest.RunFrame(t, wa, a.Schedule(), dt)
		nA := refStep(wantA, cfg, dt)
		require.Positive(t, nA, "precondition: world a has contacts")
		assert.Equal(t, float64(nA), pairsA(), "a after stepping a")

		systemtest.RunFrame(t, wb, b.Schedule(), dt)
		nB := refStep(wantB, cfg, dt)
		require.NotEqual(t, nA, nB, "precondition: the worlds have different pair counts")
		assert.Equal(t, float64(nB), pairsB(), "b after stepping b")
		assert.Equal(t, float64(nA), pairsA(), "a after stepping b")
	}
	checkWorld(t, wa, wantA, "world a")
	checkWorld(t, wb, wantB, "world b")
}

// TestMetricsBeforeAnyFrame: a fresh instance has found no pairs.
func TestMetricsBeforeAnyFrame(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	_, pairs := newLogic(t, v)
	assert.Equal(t, 0.0, pairs())
}

// TestHugeRadius: the contact system builds its grid with cell 2*radius in
// float32, which is +Inf for a radius above MaxFloat32/2. Either New must
// reject such a radius or the schedule must work (and then every pair of
// finite entities overlaps).
func TestHugeRadius(t *testing.T) {
	for _, r := range []float32{math.MaxFloat32, math.MaxFloat32/2 + 1e32} {
		t.Run(fmt.Sprint(r), func(t *testing.T) {
			v, err := v3.New(v3.WithRadius(r))
			if err != nil {
				assert.True(t, errors.Is(err, v3.ErrBadOption), "got %v", err)
				return
			}
			logic, pairs := newLogic(t, v)
			es := []entity{{key: ecs.NewKey(0, 0), x: 1, y: 1}, {key: ecs.NewKey(1, 0), x: 900, y: 900}}
			w := newWorld(t, v, es)
			for _, sys := range logic.Schedule() {
				require.NoError(t, sys.Run(w, 0), sys.Name)
			}
			assert.Equal(t, 1.0, pairs())
		})
	}
}
