package versioning

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
)

// mod is the module name the tests use.
const mod = "game"

// frame is the time step of a 60 fps game loop, and sec the same step as the
// float32 seconds the systems receive.
const frame = time.Second / 60

var sec = float32(frame.Seconds())

// The documented column sets of the real versions, written out so that the
// tests do not depend on the packages' constants.
const (
	maskV1 = ecs.MaskPosition | ecs.MaskVelocity
	maskV2 = maskV1 | ecs.MaskCollided
	maskV3 = maskV2 | ecs.MaskMass
)

// fakeClock is a wall clock the tests drive by hand.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) Now() time.Duration      { return time.Duration(c.now.Load()) }
func (c *fakeClock) Advance(d time.Duration) { c.now.Add(int64(d)) }

// newEngine creates an engine whose wall clock stands still unless opts
// replace it, so that no step ever exceeds the frame budget by accident on a
// slow machine.
func newEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	var still fakeClock
	e, err := New(append([]Option{WithClock(still.Now)}, opts...)...)
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

// setup creates an engine with module mod, v1, v2 and v3 registered and v1
// loaded.
func setup(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	e := newEngine(t, opts...)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, v1.Version{}))
	require.NoError(t, e.Register(mod, v2.Version{}))
	require.NoError(t, e.Register(mod, v3Version(t)))
	require.NoError(t, e.Load(mod, 1))
	return e
}

// v1Rows builds n v1 rows with positions inside the world bounds and
// velocities of a few units per second.
func v1Rows(rng *rand.Rand, n int) *ecs.Columns {
	c := &ecs.Columns{Mask: maskV1}
	for range n {
		c.Position = append(c.Position, ecs.Position{X: rng.Float32() * 1000, Y: rng.Float32() * 1000})
		c.Velocity = append(c.Velocity, ecs.Velocity{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10})
	}
	return c
}

// spawn adds n v1 entities and returns their keys.
func spawn(t testing.TB, e *Engine, rng *rand.Rand, n int) []ecs.Key {
	t.Helper()
	keys, err := e.Spawn(mod, 1, v1Rows(rng, n))
	require.NoError(t, err)
	require.Len(t, keys, n)
	return keys
}

// entity is one entity's state as Export reports it, with the version that
// holds it.
type entity struct {
	ver      int
	pos      ecs.Position
	vel      ecs.Velocity
	collided ecs.Collided
	mass     ecs.Mass
}

// state exports every version's entities by key, failing the test if a key
// appears twice.
func state(t testing.TB, e *Engine) map[ecs.Key]entity {
	t.Helper()
	ex, err := e.Export(mod)
	require.NoError(t, err)
	out := map[ecs.Key]entity{}
	for ver, c := range ex {
		for i, k := range c.Keys {
			_, dup := out[k]
			require.False(t, dup, "key %#x is held twice", uint64(k))
			en := entity{ver: ver, pos: c.Position[i]}
			if c.Mask.Has(ecs.MaskVelocity) {
				en.vel = c.Velocity[i]
			}
			if c.Mask.Has(ecs.MaskCollided) {
				en.collided = c.Collided[i]
			}
			if c.Mask.Has(ecs.MaskMass) {
				en.mass = c.Mass[i]
			}
			out[k] = en
		}
	}
	return out
}

// locations is where Locate says every key lives.
func locations(t testing.TB, e *Engine, keys []ecs.Key) map[ecs.Key]int {
	t.Helper()
	out := make(map[ecs.Key]int, len(keys))
	for _, k := range keys {
		v, err := e.Locate(mod, k)
		require.NoError(t, err)
		out[k] = v
	}
	return out
}

// bitsEqual compares two float32 values bit for bit.
func bitsEqual(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// sameState reports whether two entity states are equal bit for bit.
func sameState(a, b entity) bool {
	return a.ver == b.ver && bitsEqual(a.pos.X, b.pos.X) && bitsEqual(a.pos.Y, b.pos.Y) &&
		bitsEqual(a.vel.X, b.vel.X) && bitsEqual(a.vel.Y, b.vel.Y) &&
		a.collided == b.collided && bitsEqual(float32(a.mass), float32(b.mass))
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

// checkExact verifies, for the entities that are not pinned, that every
// version of the split holds floor or ceil of w·N of them (w·N exactly when
// it is a whole number), that versions outside the split hold none, and that
// the counts add up to N. It returns the per-version counts.
func checkExact(t testing.TB, e *Engine, pins map[ecs.Key]int) map[int]int {
	t.Helper()
	split, err := e.Split(mod)
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
	var sum float64
	for _, w := range split {
		sum += w
	}
	for ver, c := range counts {
		if _, ok := split[ver]; !ok {
			assert.Zero(t, c, "v%d holds routable entities without traffic (split %v)", ver, split)
		}
	}
	for ver, w := range split {
		x := w / sum * float64(n)
		lo, hi := quotaBounds(x, n)
		assert.True(t, counts[ver] >= lo && counts[ver] <= hi,
			"v%d holds %d of %d routable entities, want %d..%d (split %v)", ver, counts[ver], n, lo, hi, split)
	}
	return counts
}

// quotaBounds is the range a quota for the product x = w·n may take: floor
// and ceil, or exactly x when it is a whole number (up to the rounding error
// of computing it).
func quotaBounds(x float64, n int) (lo, hi int) {
	if r := math.Round(x); math.Abs(x-r) <= 1e-9*float64(max(n, 1)) {
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

// collector records every event the engine delivers.
type collector struct {
	events []Event
}

func (c *collector) listen(ev Event) { c.events = append(c.events, ev) }

// of returns the recorded events of one kind.
func (c *collector) of(kind EventKind) []Event {
	var out []Event
	for _, ev := range c.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

// kinds lists the kinds of the recorded events, in order.
func (c *collector) kinds() []EventKind {
	out := make([]EventKind, len(c.events))
	for i, ev := range c.events {
		out[i] = ev.Kind
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
)

func (k faultKind) String() string {
	return [...]string{"none", "panic", "error", "nan", "+inf", "-inf", "slow"}[k]
}

// errFault is the error a faulty system returns.
var errFault = errors.New("test: injected fault")

// fault is a switch that makes a faulty version's extra system misbehave.
type fault struct {
	kind   atomic.Int32
	clock  *fakeClock
	budget time.Duration
	runs   atomic.Int32 // how many times the fault system ran
}

func (f *fault) set(k faultKind) { f.kind.Store(int32(k)) }

// run is the fault system. It always runs after the wrapped version's own
// systems, so that a failing frame has already changed the state that the
// engine must restore.
func (f *fault) run(w *ecs.World, _ float32) error {
	f.runs.Add(1)
	c := w.Columns()
	switch faultKind(f.kind.Load()) {
	case faultPanic:
		panic("test: injected panic")
	case faultError:
		return errFault
	case faultNaN:
		c.Position[len(c.Position)/2].X = float32(math.NaN())
	case faultPosInf:
		c.Velocity[len(c.Velocity)-1].Y = float32(math.Inf(1))
	case faultNegInf:
		c.Position[0].Y = float32(math.Inf(-1))
	case faultSlow:
		f.clock.Advance(2 * f.budget)
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

type faultyLogic struct {
	inner ecs.Logic
	f     *fault
}

func (l faultyLogic) Schedule() ecs.Schedule {
	s := slices.Clone(l.inner.Schedule())
	return append(s, ecs.System{Name: "fault", Reads: ecs.MaskPosition,
		Writes: ecs.MaskPosition | ecs.MaskVelocity, Run: l.f.run})
}

// v1Step is v1's (and v2's) move applied to one entity, computed here
// independently of the systems.
func v1Step(en entity, dt float32) entity {
	en.pos.X += float32(en.vel.X * dt)
	en.pos.Y += float32(en.vel.Y * dt)
	return en
}

// v2Step is v2's frame: move, then the bounds flag.
func v2Step(en entity, dt float32) entity {
	en = v1Step(en, dt)
	p := en.pos
	en.collided = p.X < 0 || p.X > 1000 || p.Y < 0 || p.Y > 1000
	return en
}

// fakeVersion is a version assembled by a test. By default it has v1's
// columns and logic and declares no migrations.
type fakeVersion struct {
	num      int
	mask     ecs.Mask
	migs     []ecs.Migration
	newLogic func() (ecs.Logic, error)
}

func (v fakeVersion) Number() int { return v.num }

func (v fakeVersion) Components() ecs.Mask {
	if v.mask == 0 {
		return maskV1
	}
	return v.mask
}

func (v fakeVersion) Migrations() []ecs.Migration { return v.migs }

func (v fakeVersion) NewLogic() (ecs.Logic, error) {
	if v.newLogic != nil {
		return v.newLogic()
	}
	return v1.Logic{}, nil
}

// identity is a migration between two versions with the same columns.
func identity(from, to int) ecs.Migration {
	return ecs.Migration{From: from, To: to, Apply: func(*ecs.Columns) error { return nil }}
}
