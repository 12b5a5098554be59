package versioning

import (
	"errors"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
)

// game is the module name the tests use.
const game = "game"

// frame is the time step of a 60 fps game loop, and sec the same step as the
// float32 seconds the systems receive.
const frame = time.Second / 60

var sec = float32(frame.Seconds())

// The documented layouts of the real versions, written out from the
// scenario's components so that the tests do not depend on the versions'
// own Layout variables (TestRealVersionsHaveTheDocumentedLayouts checks that
// they agree): v1 is position and velocity, v2 adds collided (default
// false), v3 adds mass (default 1).
var (
	layoutV1 = ecs.MustLayout(scenario.Position, scenario.Velocity)
	layoutV2 = ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided)
	layoutV3 = ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided, ecs.Default(scenario.Mass, 1))
)

// heat is a component of the tests' own, which no real version has: fake
// versions with layoutHeat hold it (default 20) on top of v1's components.
var (
	heat       = ecs.MustRegister[float32]("test.heat")
	layoutHeat = ecs.MustLayout(scenario.Position, scenario.Velocity, ecs.Default(heat, 20))
)

// layoutOf is the layout of real version v.
func layoutOf(v int) *ecs.Layout {
	switch v {
	case 1:
		return layoutV1
	case 2:
		return layoutV2
	case 3:
		return layoutV3
	}
	panic("no layout for v" + strconv.Itoa(v))
}

// newRand returns a generator seeded with seed, or with $VERSIONING_SEED
// when it is set, and logs the seed, so that a failing random test says how
// to reproduce it (the log shows with -v or on failure).
func newRand(t testing.TB, seed uint64) *rand.Rand {
	t.Helper()
	if s := os.Getenv("VERSIONING_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "VERSIONING_SEED")
		seed = v
	}
	t.Logf("seed %d (set VERSIONING_SEED to change it)", seed)
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// fakeClock is a wall clock the tests drive by hand.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) Now() time.Duration      { return time.Duration(c.now.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// newEngine creates an engine whose wall clock stands still unless opts
// replace it, so that no step ever exceeds the frame budget by accident on a
// slow machine. Its versions step one at a time unless opts say otherwise:
// a test's fake clock is one for all versions, and a "slow" version that
// advances it would make the versions stepping beside it slow too (the
// parallel engine is tested by the determinism and model tests).
func newEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	var still fakeClock
	e, err := New(append([]Option{WithClock(still.Now), WithWorkers(1)}, opts...)...)
	require.NoError(t, err)
	return e
}

// v3Version is v3 with its default configuration.
func v3Version(t testing.TB) Version {
	t.Helper()
	v, err := v3.New()
	require.NoError(t, err)
	return v
}

// setup creates an engine with module game, v1, v2 and v3 registered and v1
// loaded.
func setup(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e := newEngine(t, opts...)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, v2.Version{}))
	require.NoError(t, e.Register(game, v3Version(t)))
	require.NoError(t, e.Load(game, 1))
	return e
}

// v1Rows builds n v1 rows with positions inside the world bounds and
// velocities of a few units per second.
func v1Rows(rng *rand.Rand, n int) *ecs.Columns {
	return layoutRows(rng, 1, n)
}

// layoutRows builds n rows in real version layout's columns (or, for 0, in
// layoutHeat): positions inside the world bounds, velocities of a few units
// per second, random collided flags and masses.
func layoutRows(rng *rand.Rand, layout, n int) *ecs.Columns {
	l := layoutHeat
	if layout > 0 {
		l = layoutOf(layout)
	}
	c := ecs.MakeColumns(l, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	if col := ecs.Column(&c, scenario.Collided); col != nil {
		for i := range col {
			col[i] = rng.IntN(2) == 0
		}
	}
	if mass := ecs.Column(&c, scenario.Mass); mass != nil {
		for i := range mass {
			mass[i] = 1 + rng.Float32()
		}
	}
	if h := ecs.Column(&c, heat); h != nil {
		for i := range h {
			h[i] = rng.Float32() * 100
		}
	}
	return &c
}

// spawn adds n v1 entities and returns their keys.
func spawn(t testing.TB, e *Engine, rng *rand.Rand, n int) []ecs.Key {
	t.Helper()
	keys, err := e.Spawn(game, 1, v1Rows(rng, n))
	require.NoError(t, err)
	require.Len(t, keys, n)
	return keys
}

// entity is one entity's state as Export reports it, with the version that
// holds it. Components the version lacks are zero.
type entity struct {
	ver      int
	pos, vel scenario.Vec2
	collided bool
	mass     float32
	heat     float32
}

// rowOf reads row i of c.
func rowOf(c *ecs.Columns, ver, i int) entity {
	en := entity{ver: ver}
	if p := ecs.Column(c, scenario.Position); p != nil {
		en.pos = p[i]
	}
	if v := ecs.Column(c, scenario.Velocity); v != nil {
		en.vel = v[i]
	}
	if col := ecs.Column(c, scenario.Collided); col != nil {
		en.collided = col[i]
	}
	if m := ecs.Column(c, scenario.Mass); m != nil {
		en.mass = m[i]
	}
	if h := ecs.Column(c, heat); h != nil {
		en.heat = h[i]
	}
	return en
}

// state exports every version's entities by key, failing the test if a key
// appears twice.
func state(t testing.TB, e *Engine) map[ecs.Key]entity {
	t.Helper()
	ex, err := e.Export(game)
	require.NoError(t, err)
	out := map[ecs.Key]entity{}
	for ver, c := range ex {
		require.NoError(t, c.Validate())
		for i, k := range c.Keys {
			_, dup := out[k]
			require.False(t, dup, "key %#x is held twice", uint64(k))
			out[k] = rowOf(&c, ver, i)
		}
	}
	return out
}

// locations is where Locate says every key lives.
func locations(t testing.TB, e *Engine, keys []ecs.Key) map[ecs.Key]int {
	t.Helper()
	out := make(map[ecs.Key]int, len(keys))
	for _, k := range keys {
		v, err := e.Locate(game, k)
		require.NoError(t, err)
		out[k] = v
	}
	return out
}

// checkIndex verifies that Locate, Metrics and Export agree: every exported
// key is located in the version that exports it, each version's entity count
// is its export's length, and the module counts them all. It returns the
// exported state.
func checkIndex(t testing.TB, e *Engine) map[ecs.Key]entity {
	t.Helper()
	st := state(t, e)
	perVersion := map[int]int{}
	for k, en := range st {
		v, err := e.Locate(game, k)
		require.NoError(t, err, "key %#x", uint64(k))
		require.Equal(t, en.ver, v, "key %#x: Locate says v%d, Export v%d", uint64(k), v, en.ver)
		perVersion[en.ver]++
	}
	mm, err := e.Metrics(game)
	require.NoError(t, err)
	assert.Equal(t, len(st), mm.Entities)
	for _, vm := range mm.Versions {
		assert.Equal(t, perVersion[vm.Version], vm.Entities, "v%d", vm.Version)
	}
	return st
}

// bitsEqual compares two float32 values bit for bit.
func bitsEqual(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

func vecBitsEqual(a, b scenario.Vec2) bool { return bitsEqual(a.X, b.X) && bitsEqual(a.Y, b.Y) }

// sameMotion reports whether two entities' positions and velocities are
// equal bit for bit.
func sameMotion(a, b entity) bool { return vecBitsEqual(a.pos, b.pos) && vecBitsEqual(a.vel, b.vel) }

// sameState reports whether two entity states are equal bit for bit.
func sameState(a, b entity) bool {
	return a.ver == b.ver && sameMotion(a, b) && a.collided == b.collided &&
		bitsEqual(a.mass, b.mass) && bitsEqual(a.heat, b.heat)
}

// requireSameStates fails unless both exports hold the same keys with the
// same versions and bit-identical values.
func requireSameStates(t testing.TB, want, got map[ecs.Key]entity) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "key %#x is gone", uint64(k))
		require.True(t, sameState(w, g), "key %#x: want %+v, got %+v", uint64(k), w, g)
	}
}

// requireStatesFrom fails unless after holds the same keys as before, each
// with the state, version included, that want computes from its key and its
// state in before, bit for bit. Failures name the key and the version it
// was on in before.
func requireStatesFrom(t testing.TB, before, after map[ecs.Key]entity, want func(k ecs.Key, b entity) entity) {
	t.Helper()
	require.Equal(t, len(before), len(after), "the entity count differs")
	for k, b := range before {
		w := want(k, b)
		g, ok := after[k]
		require.True(t, ok, "key %#x (v%d before) is gone", uint64(k), b.ver)
		require.True(t, sameState(w, g), "key %#x (v%d before): want %+v, got %+v", uint64(k), b.ver, w, g)
	}
}

// checkExact verifies, for the entities that are not pinned, that every
// version of the split holds ⌊w·N⌋ or ⌈w·N⌉ of them with w the weight as
// given (exactly w·N when that is a whole number up to the rounding of the
// product; weights are divided by their sum only when |Σw−1|·N ≥ 1), that
// versions outside the split hold none, and that the counts add up to N. It
// returns the per-version counts.
func checkExact(t testing.TB, e *Engine, pins map[ecs.Key]int) map[int]int {
	t.Helper()
	split, err := e.Split(game)
	require.NoError(t, err)
	st := state(t, e)
	counts := map[int]int{}
	n := 0
	for k, en := range st {
		if p, pinned := pins[k]; pinned {
			require.Equal(t, p, en.ver, "pinned key %#x is off its version", uint64(k))
			continue
		}
		counts[en.ver]++
		n++
	}
	for ver, c := range counts {
		if _, ok := split[ver]; !ok {
			assert.Zero(t, c, "v%d holds routable entities without traffic (split %v)", ver, split)
		}
	}
	for ver, w := range split {
		lo, hi := quotaBounds(w, weightTotal(split), n)
		assert.True(t, counts[ver] >= lo && counts[ver] <= hi,
			"v%d holds %d of %d routable entities, want %d..%d (split %v)", ver, counts[ver], n, lo, hi, split)
	}
	return counts
}

func weightTotal(ws map[int]float64) float64 {
	var s float64
	for _, v := range slices.Sorted(maps.Keys(ws)) {
		s += ws[v]
	}
	return s
}

// quotaBounds is the range the count of a version with weight w may take
// among n routable entities when the weights sum to total: ⌊w·n⌋..⌈w·n⌉ with
// w as given (w/total when |total−1|·n ≥ 1), and exactly w·n when that is a
// whole number up to the rounding error of the product (a few ulps; 0.29·100
// is 28.999999999999996 in float64 and means 29).
func quotaBounds(w, total float64, n int) (lo, hi int) {
	if math.Abs(total-1)*float64(n) >= 1 {
		w /= total
	}
	x := w * float64(n)
	if r := math.Round(x); math.Abs(x-r) <= 1e-12*math.Max(1, x) {
		return int(r), int(r)
	}
	return int(math.Floor(x)), int(math.Ceil(x))
}

// randomSplit returns random weights over versions that sum to 1 (within
// rounding). Weights are multiples of 1/1000 and some are zero, but not
// all.
func randomSplit(rng *rand.Rand, versions []int) map[int]float64 {
	for {
		units := make([]int, len(versions))
		total := 0
		for i := range units {
			if rng.IntN(4) == 0 {
				continue
			}
			units[i] = rng.IntN(1000)
			total += units[i]
		}
		if total == 0 {
			continue
		}
		// Scale to 1000 units, giving the rounding rest to the largest.
		ws := map[int]float64{}
		left := 1000
		big := 0
		for i, u := range units {
			units[i] = u * 1000 / total
			left -= units[i]
			if units[i] > units[big] {
				big = i
			}
		}
		units[big] += left
		for i, u := range units {
			if u > 0 {
				ws[versions[i]] = float64(u) / 1000
			}
		}
		return ws
	}
}

// collector records every event the engine delivers. It is safe for
// concurrent use.
type collector struct {
	mu     sync.Mutex
	events []Event
}

func (c *collector) listen(ev Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, ev)
}

// all returns a copy of the recorded events.
func (c *collector) all() []Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// reset forgets the recorded events.
func (c *collector) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = nil
}

// of returns the recorded events of one kind.
func (c *collector) of(kind EventKind) []Event {
	var out []Event
	for _, ev := range c.all() {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// kinds lists the kinds of the recorded events, in order.
func (c *collector) kinds() []EventKind {
	var out []EventKind
	for _, ev := range c.all() {
		out = append(out, ev.Kind)
	}
	return out
}

// The ways a faulty system can fail.
type faultKind int32

const (
	faultNone faultKind = iota
	faultPanic
	faultError
	faultNaN
	faultPosInf
	faultNegInf
	faultSlow
	faultKeys
)

func (k faultKind) String() string {
	return [...]string{"none", "panic", "error", "nan", "+inf", "-inf", "slow", "keys"}[k]
}

// errFault is the error a faulty system returns.
var errFault = errors.New("test: injected fault")

// budget is the frame budget of the fault rigs.
const budget = 10 * time.Millisecond

// fault is a switch that makes a faulty version's extra system misbehave.
type fault struct {
	kind  atomic.Int32
	skip  atomic.Int32 // runs to let pass before the fault strikes
	clock *fakeClock
	runs  atomic.Int32 // how many times the fault system ran
}

func (f *fault) set(k faultKind) { f.kind.Store(int32(k)) }

// run is the fault system. It always runs after the wrapped version's own
// systems, so that a failing frame has already changed the state that the
// engine must restore.
func (f *fault) run(v *ecs.View, _ float32) error {
	f.runs.Add(1)
	if f.skip.Load() > 0 {
		f.skip.Add(-1)
		return nil
	}
	c := v.Columns()
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	switch faultKind(f.kind.Load()) {
	case faultPanic:
		panic("test: injected panic")
	case faultError:
		return errFault
	case faultNaN:
		pos[len(pos)/2].X = float32(math.NaN())
	case faultPosInf:
		vel[len(vel)-1].Y = float32(math.Inf(1))
	case faultNegInf:
		pos[0].Y = float32(math.Inf(-1))
	case faultSlow:
		f.clock.Advance(2 * budget)
	case faultKeys:
		// Swap the first and last keys (the key set stays the same), or
		// give a lone entity another generation.
		if n := len(c.Keys); n > 1 {
			c.Keys[0], c.Keys[n-1] = c.Keys[n-1], c.Keys[0]
		} else if n == 1 {
			c.Keys[0] = ecs.NewKey(c.Keys[0].Index(), c.Keys[0].Gen()+1)
		}
	}
	return nil
}

// faulty wraps a version, appending the fault system to its schedule.
type faulty struct {
	Version
	f *fault
}

func (v faulty) NewLogic() (ecs.Logic, error) {
	inner, err := v.Version.NewLogic()
	if err != nil {
		return nil, err
	}
	return faultyLogic{inner: inner, f: v.f}, nil
}

// faultyLogic is a version's logic with the fault system appended; it
// passes the inner logic's own metrics on.
type faultyLogic struct {
	inner ecs.Logic
	f     *fault
}

func (l faultyLogic) Schedule() ecs.Schedule {
	s := slices.Clone(l.inner.Schedule())
	return append(s, ecs.System{Name: "fault", Reads: ecs.SetOf(scenario.Position),
		Writes: ecs.SetOf(scenario.Position, scenario.Velocity), Run: l.f.run})
}

func (l faultyLogic) ReportMetrics(into map[string]float64) {
	if r, ok := l.inner.(MetricsReporter); ok {
		r.ReportMetrics(into)
	}
}

// fakeVersion is a version assembled by a test. By default it has v1's
// layout and logic and declares no migrations.
type fakeVersion struct {
	num      int
	layout   *ecs.Layout
	migs     []ecs.Migration
	newLogic func() (ecs.Logic, error)
}

func (v fakeVersion) Number() int { return v.num }

func (v fakeVersion) Components() *ecs.Layout {
	if v.layout == nil {
		return layoutV1
	}
	return v.layout
}

func (v fakeVersion) Migrations() []ecs.Migration { return v.migs }

func (v fakeVersion) NewLogic() (ecs.Logic, error) {
	if v.newLogic != nil {
		return v.newLogic()
	}
	return v1.Logic{}, nil
}

// identity is a migration whose step is derived from the layouts alone.
func identity(from, to int) ecs.Migration { return ecs.Migration{From: from, To: to} }

// schedLogic is a logic made of the given systems.
type schedLogic ecs.Schedule

func (s schedLogic) Schedule() ecs.Schedule { return ecs.Schedule(s) }

// v1Step is v1's (and v2's) move applied to one entity, computed here
// independently of the systems: p += float32(v·dt).
func v1Step(en entity, dt float32) entity {
	en.pos.X += float32(en.vel.X * dt)
	en.pos.Y += float32(en.vel.Y * dt)
	return en
}

// v2Step is v2's frame: move, then the bounds flag (outside [0, 1000]²).
func v2Step(en entity, dt float32) entity {
	en = v1Step(en, dt)
	p := en.pos
	en.collided = p.X < 0 || p.X > 1000 || p.Y < 0 || p.Y > 1000
	return en
}

// v3 defaults, as documented in systems/v3.
const v3Radius = 0.5

var v3Gravity = [2]float32{0, 9.8}

// v3StepWorld is v3's frame over a whole world, computed here independently
// of the systems: gravity (v += float32(g·dt), p += float32(v·dt)), the
// bounds flag (outside [0, 1000]², NaN outside), then every pair whose
// centres are at most 2·radius apart (by the brute-force predicate) flagged
// too. It returns the new states and the number of pairs.
func v3StepWorld(in map[ecs.Key]entity, dt float32) (map[ecs.Key]entity, int) {
	gx, gy := float32(v3Gravity[0]*dt), float32(v3Gravity[1]*dt)
	keys := slices.Sorted(maps.Keys(in))
	out := make(map[ecs.Key]entity, len(in))
	for _, k := range keys {
		en := in[k]
		en.vel.X += gx
		en.vel.Y += gy
		en.pos.X += float32(en.vel.X * dt)
		en.pos.Y += float32(en.vel.Y * dt)
		p := en.pos
		en.collided = !(p.X >= 0 && p.X <= 1000 && p.Y >= 0 && p.Y <= 1000)
		out[k] = en
	}
	pairs := 0
	d := 2 * float64(float32(v3Radius))
	for i, a := range keys {
		for _, b := range keys[i+1:] {
			pa, pb := out[a].pos, out[b].pos
			dx := float64(pa.X) - float64(pb.X)
			dy := float64(pa.Y) - float64(pb.Y)
			if float64(dx*dx)+float64(dy*dy) <= d*d {
				pairs++
				ea, eb := out[a], out[b]
				ea.collided, eb.collided = true, true
				out[a], out[b] = ea, eb
			}
		}
	}
	return out, pairs
}

// convert is an entity's state after migrating to version n by the real
// versions' derived steps: the components n lacks are dropped (zero here),
// a new collided flag starts false, a new mass starts at 1.
func convert(en entity, n int) entity {
	from := en.ver
	en.ver = n
	if n < 2 {
		en.collided = false
	}
	if n < 3 {
		en.mass = 0
	} else if from < 3 {
		en.mass = 1
	}
	return en
}

// requireStepped checks every entity's state after a frame: it must be pre
// converted to the version that served it (served[key], default its version
// before the frame), stepped once by that version, and converted to the
// version that holds it now. The entities served by v3 are stepped as one
// world.
func requireStepped(t testing.TB, pre, post map[ecs.Key]entity, served map[ecs.Key]int) {
	t.Helper()
	require.Equal(t, len(pre), len(post), "the entity count changed")
	want := make(map[ecs.Key]entity, len(pre))
	byV3 := map[ecs.Key]entity{}
	for k, p := range pre {
		by, ok := served[k]
		if !ok {
			by = p.ver
		}
		c := convert(p, by)
		switch by {
		case 1:
			want[k] = v1Step(c, sec)
		case 2:
			want[k] = v2Step(c, sec)
		case 3:
			byV3[k] = c
		default:
			t.Fatalf("no reference step for v%d", by)
		}
	}
	stepped, _ := v3StepWorld(byV3, sec)
	for k, en := range stepped {
		want[k] = en
	}
	for k, w := range want {
		got, ok := post[k]
		require.True(t, ok, "key %#x lost", uint64(k))
		w = convert(w, got.ver)
		require.True(t, sameState(w, got), "key %#x served by v%d: want %+v, got %+v (before %+v)",
			uint64(k), served[k], w, got, pre[k])
	}
}

// sentinels are the package's sentinel errors.
var sentinels = []error{
	ErrUnknownModule, ErrModuleExists, ErrUnknownVersion, ErrVersionExists, ErrAlreadyLoaded,
	ErrNotLoaded, ErrVersionInUse, ErrVersionFailed, ErrBadWeights, ErrDependents, ErrUnknownEntity,
	ErrBadOption, ErrBadVersion, ErrLayoutMismatch, ErrBadColumns, ErrBadDelta, ErrLoad, ErrMigration,
	ErrNoMigrationPath, ErrStep, ErrPanic, ErrNonFinite, ErrKeysChanged, ErrFrameBudget, ErrOpenQuery,
	ErrNoRollback, ErrListener,
}

// wrapsSentinel reports whether err wraps one of the package's sentinels.
func wrapsSentinel(err error) bool {
	return slices.ContainsFunc(sentinels, func(s error) bool { return errors.Is(err, s) })
}

// assertErr asserts that err wraps every target and one of the package's
// sentinels: every error a public method returns must.
func assertErr(t testing.TB, err error, targets ...error) bool {
	t.Helper()
	ok := assert.Error(t, err)
	for _, target := range targets {
		ok = assert.ErrorIs(t, err, target) && ok
	}
	return assert.True(t, err == nil || wrapsSentinel(err), "%v wraps none of the package's sentinels", err) && ok
}

// requireErr is assertErr that stops the test.
func requireErr(t testing.TB, err error, targets ...error) {
	t.Helper()
	if !assertErr(t, err, targets...) {
		t.FailNow()
	}
}

// metricsOf returns the module's metrics and its versions' by number.
func metricsOf(t testing.TB, e *Engine) (ModuleMetrics, map[int]VersionMetrics) {
	t.Helper()
	mm, err := e.Metrics(game)
	require.NoError(t, err)
	by := map[int]VersionMetrics{}
	for _, v := range mm.Versions {
		by[v.Version] = v
	}
	return mm, by
}

// stepError unwraps the *StepError of an event.
func stepError(t testing.TB, err error) *StepError {
	t.Helper()
	require.ErrorIs(t, err, ErrStep)
	var se *StepError
	require.ErrorAs(t, err, &se)
	return se
}

// isLoaded reports whether version v of game is loaded.
func isLoaded(t testing.TB, e *Engine, v int) bool {
	t.Helper()
	loaded, err := e.Loaded(game)
	require.NoError(t, err)
	return slices.Contains(loaded, v)
}

// countByVersion counts keys per version.
func countByVersion(loc map[ecs.Key]int) map[int]int {
	c := map[int]int{}
	for _, v := range loc {
		c[v]++
	}
	return c
}
