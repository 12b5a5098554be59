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
	"github.com/grove-engine/grove/systems/scenario"
	v3 "github.com/grove-engine/grove/systems/v3"
)

// The documented number of v3, written out here rather than read from the
// package so that the tests check it; its documented layout is
// systemtest.Documented(3).
const wantNumber = 3

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

// placement says how randomEntities places entities.
type placement int

const (
	spread    placement = iota // over [-500, 1500]², a quarter on the bounds
	clustered                  // half in a small dense square around the origin
	special                    // clustered, plus infinities, NaNs, -0 and denormals
)

func (l placement) String() string {
	return [...]string{"spread", "clustered", "special"}[l]
}

// randomEntities returns n entities with unique keys placed as l says. Flags
// start random (the first frame must overwrite them) and masses in [0.5, 5].
func randomEntities(rng *rand.Rand, n int, l placement) []entity {
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

// toColumns encodes the reference entities as rows in v3's documented
// layout.
func toColumns(es []entity) ecs.Columns {
	c := ecs.MakeColumns(systemtest.Layout(wantNumber), len(es))
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	col, mass := ecs.Column(&c, scenario.Collided), ecs.Column(&c, scenario.Mass)
	for i, e := range es {
		c.Keys[i] = e.key
		pos[i] = scenario.Vec2{X: e.x, Y: e.y}
		vel[i] = scenario.Vec2{X: e.vx, Y: e.vy}
		col[i] = e.collided
		mass[i] = e.mass
	}
	return c
}

// newWorld builds a world for version v holding es.
func newWorld(t *testing.T, v v3.Version, es []entity) *ecs.World {
	t.Helper()
	c := toColumns(es)
	return systemtest.NewWorld(t, v.Components(), &c)
}

// newLogic loads v, and returns it with its pair count.
func newLogic(t *testing.T, v v3.Version) (ecs.Logic, func() float64) {
	t.Helper()
	l, err := v.NewLogic()
	require.NoError(t, err)
	// The engine's versioning.MetricsReporter, written out: systems do not
	// import versioning.
	r, ok := l.(interface{ ReportMetrics(into map[string]float64) })
	require.True(t, ok, "v3 Logic does not report metrics")
	return l, func() float64 {
		m := map[string]float64{}
		r.ReportMetrics(m)
		p, ok := m["pairs"]
		require.True(t, ok, `ReportMetrics lacks "pairs"`)
		return p
	}
}

// checkWorld asserts that the world holds exactly the reference entities.
func checkWorld(t *testing.T, w *ecs.World, want []entity, what string) {
	t.Helper()
	c := w.Columns()
	require.Equal(t, len(want), c.Len(), what)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	cols, mass := ecs.Column(&c, scenario.Collided), ecs.Column(&c, scenario.Mass)
	require.Len(t, pos, len(want), "%s: position column", what)
	require.Len(t, vel, len(want), "%s: velocity column", what)
	require.Len(t, cols, len(want), "%s: collided column", what)
	require.Len(t, mass, len(want), "%s: mass column", what)
	row := make(map[ecs.Key]int, c.Len())
	for i, k := range c.Keys {
		row[k] = i
	}
	require.Len(t, row, len(want), "%s: duplicate keys", what)
	bad := 0
	for _, e := range want {
		i, ok := row[e.key]
		require.True(t, ok, "%s: key %v missing", what, e.key)
		p, v, col, m := pos[i], vel[i], cols[i], mass[i]
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
		for _, l := range []placement{spread, clustered, special} {
			t.Run(tc.name+"/"+l.String(), func(t *testing.T) {
				v, err := v3.New(tc.opts...)
				require.NoError(t, err)
				logic, pairs := newLogic(t, v)
				s := logic.Schedule()
				require.NotEmpty(t, s)
				seen := 0
				for _, n := range sizes {
					rng := systemtest.NewRand(t, uint64(n)<<8|uint64(l))
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
	assert.Equal(t, []bool{
		true, true,
		false, false,
		true, true,
		true, true,
		false,
		true,
		false,
		true, true, true,
	}, ecs.Column(&c, scenario.Collided))
	assert.Equal(t, 6.0, pairs())
	assert.Equal(t, scenario.Vec2{X: 500 + float32(float32(1e-3)*0.25), Y: 500}, ecs.Column(&c, scenario.Position)[10])

	// With radius 1.5 the first pair of each row still touches (distance 1 <= 3),
	// and (100, 200)–(101+ulp, 200) now overlaps too.
	v, err = v3.New(v3.WithGravity(0, 0), v3.WithRadius(1.5))
	require.NoError(t, err)
	logic, pairs = newLogic(t, v)
	w = newWorld(t, v, es)
	systemtest.RunFrame(t, w, logic.Schedule(), 0.25)
	c = w.Columns()
	col := ecs.Column(&c, scenario.Collided)
	assert.True(t, col[2])
	assert.True(t, col[3])
	assert.False(t, col[8])
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
	vel := ecs.Column(&c, scenario.Velocity)
	assert.Equal(t, scenario.Vec2{X: 2, Y: vy}, vel[0])
	assert.Equal(t, scenario.Vec2{X: 11, Y: 20 + float32(vy*0.5)}, ecs.Column(&c, scenario.Position)[0])
	assert.Equal(t, []float32{3}, ecs.Column(&c, scenario.Mass))
	assert.NotEqual(t, float32(-4), vel[0].Y, "gravity changed nothing")
}

func TestScheduleShape(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	logic, _ := newLogic(t, v)
	s := logic.Schedule()
	var names []string
	have := systemtest.Layout(wantNumber).Set()
	for _, sys := range s {
		names = append(names, sys.Name)
		assert.NotNil(t, sys.Run, sys.Name)
		touched := sys.Reads.Union(sys.Writes)
		assert.True(t, have.Contains(touched), "%s touches components v3 lacks: %v", sys.Name, touched.Minus(have))
		assert.False(t, sys.Writes.Has(scenario.Mass.ID()), "%s writes mass", sys.Name)
	}
	assert.Equal(t, []string{"gravity", "bounds", "contacts"}, names)
	require.Len(t, s, 3)
	pos, vel, col := scenario.Position, scenario.Velocity, scenario.Collided
	systemtest.EqualSet(t, ecs.SetOf(pos, vel), s[0].Reads, "gravity reads")
	systemtest.EqualSet(t, ecs.SetOf(pos, vel), s[0].Writes, "gravity writes")
	systemtest.EqualSet(t, ecs.SetOf(pos), s[1].Reads, "bounds reads")
	systemtest.EqualSet(t, ecs.SetOf(col), s[1].Writes, "bounds writes")
	systemtest.EqualSet(t, ecs.SetOf(pos, col), s[2].Reads, "contacts reads")
	systemtest.EqualSet(t, ecs.SetOf(col), s[2].Writes, "contacts writes")
	systemtest.EqualSet(t, ecs.SetOf(pos, vel, col), s.Writes(), "schedule writes")

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
	systemtest.CheckLayout(t, v.Components(), wantNumber)
	assert.Same(t, v3.Layout, v.Components())
	v, err = v3.New(v3.WithRadius(3), v3.WithContacts(false))
	require.NoError(t, err)
	assert.Equal(t, wantNumber, v.Number(), "options change the number")
	assert.Same(t, v3.Layout, v.Components(), "options change the layout")
	var zero v3.Version
	assert.Equal(t, wantNumber, zero.Number())
	assert.Same(t, v3.Layout, zero.Components())
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
	rng := systemtest.NewRand(t, 7)
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
				require.NoError(t, sys.Run(w.View(), 0), sys.Name)
			}
			assert.Equal(t, 1.0, pairs())
		})
	}
}

// TestScheduleSameBitsOnWorkers runs the schedule on a world whose View.For
// splits the SIMD kernels' columns into chunks on many goroutines, next to
// the same world run serially: as ecs.View.For documents, the chunks touch
// disjoint rows, so every frame gives the same bits and the same pair count
// at any worker count (and the race detector sees no shared writes).
func TestScheduleSameBitsOnWorkers(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	for _, n := range []int{1, 7, 8, 9, 63, 1000, 1003} {
		for _, chunks := range []int{2, 3, 16} {
			t.Run(fmt.Sprintf("n=%d/chunks=%d", n, chunks), func(t *testing.T) {
				rng := systemtest.NewRand(t, uint64(n)<<8|uint64(chunks))
				es := randomEntities(rng, n, special)
				serial, par := newWorld(t, v, es), newWorld(t, v, es)
				par.SetRunner(systemtest.Runner{Chunks: chunks})
				ls, pairsS := newLogic(t, v)
				lp, pairsP := newLogic(t, v)
				for f, dt := range systemtest.Dts {
					systemtest.RunFrame(t, serial, ls.Schedule(), dt)
					systemtest.RunFrame(t, par, lp.Schedule(), dt)
					a, b := serial.Columns(), par.Columns()
					require.Equal(t, systemtest.RowBits(&a), systemtest.RowBits(&b), "frame %d", f)
					require.Equal(t, pairsS(), pairsP(), "frame %d", f)
				}
			})
		}
	}
}

// TestZeroVersionIsNew: the zero Version is v3 with the default options,
// like New(): run side by side, the two give the same bits and pair counts.
func TestZeroVersionIsNew(t *testing.T) {
	v, err := v3.New()
	require.NoError(t, err)
	var zero v3.Version
	rng := systemtest.NewRand(t, 11)
	es := randomEntities(rng, 500, clustered)
	wa, wb := newWorld(t, v, es), newWorld(t, zero, es)
	a, pairsA := newLogic(t, v)
	b, pairsB := newLogic(t, zero)
	seen := 0.0
	for f, dt := range systemtest.Dts {
		systemtest.RunFrame(t, wa, a.Schedule(), dt)
		systemtest.RunFrame(t, wb, b.Schedule(), dt)
		ca, cb := wa.Columns(), wb.Columns()
		require.Equal(t, systemtest.RowBits(&ca), systemtest.RowBits(&cb), "frame %d", f)
		require.Equal(t, pairsA(), pairsB(), "frame %d", f)
		seen += pairsA()
	}
	require.Positive(t, seen, "precondition: the world has contacts")
	checkWorld(t, wb, func() []entity {
		for _, dt := range systemtest.Dts {
			refStep(es, defaultConfig, dt)
		}
		return es
	}(), "zero Version")
}
