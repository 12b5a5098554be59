package versioning

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
)

var errLogic = errors.New("test: logic refused")

// hookLogic is v1's logic with optional Init and Close hooks.
type hookLogic struct {
	v1.Logic
	init   func(v *ecs.View) error
	closed *atomic.Int32
}

func (l hookLogic) Init(v *ecs.View) error {
	if l.init == nil {
		return nil
	}
	return l.init(v)
}

func (l hookLogic) Close() {
	if l.closed != nil {
		l.closed.Add(1)
	}
}

// hookFaultLogic is hookLogic with the fault system appended (faulty would
// hide the hooks).
type hookFaultLogic struct {
	hookLogic
	f *fault
}

func (l hookFaultLogic) Schedule() ecs.Schedule {
	return faultyLogic{inner: l.hookLogic, f: l.f}.Schedule()
}

// snapshot is what a failed call must leave unchanged.
type snapshot struct {
	loaded []int
	split  map[int]float64
	pins   map[ecs.Key]int
	state  map[ecs.Key]entity
}

func takeSnapshot(t *testing.T, e *Engine) snapshot {
	t.Helper()
	loaded, err := e.Loaded(game)
	require.NoError(t, err)
	split, err := e.Split(game)
	require.NoError(t, err)
	pins, err := e.Pins(game)
	require.NoError(t, err)
	return snapshot{loaded: loaded, split: split, pins: pins, state: state(t, e)}
}

func (s snapshot) requireSame(t *testing.T, e *Engine) {
	t.Helper()
	now := takeSnapshot(t, e)
	assert.Equal(t, s.loaded, now.loaded)
	assert.Equal(t, s.split, now.split)
	assert.Equal(t, s.pins, now.pins)
	requireSameStates(t, s.state, now.state)
}

func TestLoadErrors(t *testing.T) {
	rng := newRand(t, 60)
	var closed atomic.Int32
	bad := map[string]func() (ecs.Logic, error){
		"NewLogic error": func() (ecs.Logic, error) { return nil, errLogic },
		"NewLogic panic": func() (ecs.Logic, error) { panic("test: NewLogic panicked") },
		"NewLogic nil":   func() (ecs.Logic, error) { return nil, nil },
		"Init error": func() (ecs.Logic, error) {
			return hookLogic{init: func(*ecs.View) error { return errLogic }, closed: &closed}, nil
		},
		"Init panic": func() (ecs.Logic, error) {
			return hookLogic{init: func(*ecs.View) error { panic(errLogic) }, closed: &closed}, nil
		},
		"system without Run": func() (ecs.Logic, error) { return schedLogic{{Name: "empty"}}, nil },
	}
	for name, newLogic := range bad {
		for _, first := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/first=%v", name, first), func(t *testing.T) {
				closed.Store(0)
				e := newEngine(t)
				require.NoError(t, e.AddModule(game))
				require.NoError(t, e.Register(game, v1.Version{}))
				require.NoError(t, e.Register(game, fakeVersion{num: 4, newLogic: newLogic,
					migs: []ecs.Migration{identity(1, 4), identity(4, 1)}}))
				if !first {
					require.NoError(t, e.Load(game, 1))
					spawn(t, e, rng, 10)
				}
				before := takeSnapshot(t, e)
				var c collector
				e.Subscribe(c.listen)

				err := e.Load(game, 4)
				requireErr(t, err, ErrLoad)
				if strings.Contains(name, "panic") {
					assert.ErrorIs(t, err, ErrPanic)
				}
				if strings.Contains(name, "error") || name == "Init panic" {
					assert.ErrorIs(t, err, errLogic)
				}
				if strings.HasPrefix(name, "Init") {
					assert.Equal(t, int32(1), closed.Load(), "the instance that failed to initialise is closed once")
				}
				before.requireSame(t, e)
				assert.Empty(t, c.all())
				st, err := e.State(game, 4)
				require.NoError(t, err)
				assert.Equal(t, StateUnloaded, st)

				// The module still works: a good version loads and, as the
				// first one, takes all traffic.
				if first {
					require.NoError(t, e.Load(game, 1))
					split, err := e.Split(game)
					require.NoError(t, err)
					assert.Equal(t, map[int]float64{1: 1}, split)
				}
			})
		}
	}
}

// otherPosition is a component named "position" with another layout than
// the scenario's.
type otherPosition struct{ X, Y, Z float32 }

var positionXYZ = ecs.MustRegister[otherPosition]("position")

// nilLayoutVersion is a version whose layout is nil.
type nilLayoutVersion struct{ fakeVersion }

func (nilLayoutVersion) Components() *ecs.Layout { return nil }

func TestLoadUnloadRegisterErrors(t *testing.T) {
	rng := newRand(t, 61)
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	keys := spawn(t, e, rng, 10)
	before := takeSnapshot(t, e)
	var c collector
	e.Subscribe(c.listen)

	assertErr(t, e.Load(game, 9), ErrUnknownVersion)
	assertErr(t, e.Load(game, 1), ErrAlreadyLoaded)
	assertErr(t, e.Load("nope", 1), ErrUnknownModule)
	assertErr(t, e.Unload(game, 1), ErrVersionInUse) // v1 has entities and traffic
	assertErr(t, e.Unload(game, 3), ErrNotLoaded)
	assertErr(t, e.Unload(game, 9), ErrUnknownVersion)
	assertErr(t, e.Unload("nope", 1), ErrUnknownModule)
	assertErr(t, e.Register(game, v1.Version{}), ErrVersionExists)
	assertErr(t, e.Register(game, nil), ErrBadVersion)
	assertErr(t, e.Register(game, fakeVersion{num: 0}), ErrBadVersion)
	assertErr(t, e.Register(game, fakeVersion{num: -1}), ErrBadVersion)
	assertErr(t, e.Register(game, nilLayoutVersion{fakeVersion{num: 7}}), ErrBadVersion)
	assertErr(t, e.Register(game, fakeVersion{num: 7,
		layout: ecs.MustLayout(scenario.Position, ecs.Default(scenario.Mass, float32(math.NaN())))}), ErrBadVersion)
	assertErr(t, e.Register(game, fakeVersion{num: 7, migs: []ecs.Migration{identity(1, 2)}}), ErrBadVersion)
	assertErr(t, e.Register(game, fakeVersion{num: 7, migs: []ecs.Migration{identity(7, 7)}}), ErrBadVersion)
	assertErr(t, e.Register(game, fakeVersion{num: 7, migs: []ecs.Migration{identity(7, -1)}}), ErrBadVersion)
	// "position" with another layout, and no Convert to say how to move it.
	assertErr(t, e.Register(game, fakeVersion{num: 7, layout: ecs.MustLayout(positionXYZ, scenario.Velocity),
		migs: []ecs.Migration{identity(1, 7), identity(7, 1)}}), ErrLayoutMismatch, ecs.ErrLayoutMismatch)
	assertErr(t, e.Register("nope", v1.Version{}), ErrUnknownModule)
	assertErr(t, e.AddModule(game), ErrModuleExists)
	assertErr(t, e.AddModule(""), ErrBadOption)
	registered, err := e.Registered(game)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3}, registered)
	_, err = e.Registered("nope")
	assertErr(t, err, ErrUnknownModule)
	_, err = e.Loaded("nope")
	assertErr(t, err, ErrUnknownModule)
	_, err = e.State(game, 9)
	assertErr(t, err, ErrUnknownVersion)
	_, err = e.State("nope", 1)
	assertErr(t, err, ErrUnknownModule)
	before.requireSame(t, e)
	assert.Empty(t, c.all())

	// Weight alone keeps a version in use, as do entities alone (a pin).
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	require.NoError(t, e.Despawn(game, keys...))
	assertErr(t, e.Unload(game, 2), ErrVersionInUse)
	k := spawn(t, e, rng, 1)[0]
	require.NoError(t, e.Pin(game, k, 2))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
	assertErr(t, e.Unload(game, 2), ErrVersionInUse)
	require.NoError(t, e.Despawn(game, k))
	c.reset()
	require.NoError(t, e.Unload(game, 2))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload}, c.kinds())
	loaded, err := e.Loaded(game)
	require.NoError(t, err)
	assert.Equal(t, []int{1}, loaded)
}

// TestRegisterCallsTheVersionOnce: Register reads Number, Components and
// Migrations once and keeps what they returned.
func TestRegisterCallsTheVersionOnce(t *testing.T) {
	var calls atomic.Int32
	v := &countedVersion{fakeVersion: fakeVersion{num: 4, migs: []ecs.Migration{identity(1, 4), identity(4, 1)}}, calls: &calls}
	e := setup(t)
	require.NoError(t, e.Register(game, v))
	assert.Equal(t, int32(3), calls.Load())
	// What the version says later does not matter.
	v.fakeVersion.migs = nil
	require.NoError(t, e.Load(game, 4))
	spawn(t, e, newRand(t, 62), 10)
	require.NoError(t, e.SetSplit(game, map[int]float64{4: 1}))
	_, by := metricsOf(t, e)
	assert.Equal(t, 10, by[4].Entities)
	assert.Equal(t, int32(3), calls.Load())
}

type countedVersion struct {
	fakeVersion
	calls *atomic.Int32
}

func (v *countedVersion) Number() int { v.calls.Add(1); return v.fakeVersion.Number() }
func (v *countedVersion) Components() *ecs.Layout {
	v.calls.Add(1)
	return v.fakeVersion.Components()
}
func (v *countedVersion) Migrations() []ecs.Migration {
	v.calls.Add(1)
	return v.fakeVersion.Migrations()
}

func TestFirstLoadTakesAllTraffic(t *testing.T) {
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, v3Version(t)))
	_, err := e.Spawn(game, 1, v1Rows(newRand(t, 1), 1))
	assertErr(t, err, ErrNotLoaded) // no version has traffic yet
	require.NoError(t, e.Load(game, 3))
	require.NoError(t, e.Load(game, 1))
	split, err := e.Split(game)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{3: 1}, split)
}

// TestStates walks a version through its states.
func TestStates(t *testing.T) {
	for s, want := range map[State]string{StateUnloaded: "unloaded", StateLoading: "loading", StateActive: "active",
		StateDraining: "draining", StateIdle: "idle", StateFailed: "failed"} {
		assert.Equal(t, want, s.String())
	}
	assert.Equal(t, "State(99)", State(99).String())

	var seen atomic.Int32 // the state Init saw
	e := newEngine(t)
	f := &fault{}
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, fakeVersion{num: 4, migs: []ecs.Migration{identity(1, 4), identity(4, 1)},
		newLogic: func() (ecs.Logic, error) {
			return hookFaultLogic{f: f, hookLogic: hookLogic{init: func(*ecs.View) error {
				s, err := e.State(game, 4) // a read-only call from Init
				seen.Store(int32(s))
				return err
			}}}, nil
		}}))
	stateOf := func(v int) State {
		t.Helper()
		s, err := e.State(game, v)
		require.NoError(t, err)
		return s
	}
	assert.Equal(t, StateUnloaded, stateOf(4))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 4))
	assert.Equal(t, StateLoading, State(seen.Load()))
	assert.Equal(t, StateIdle, stateOf(4))
	keys := spawn(t, e, newRand(t, 63), 10)
	require.NoError(t, e.Pin(game, keys[0], 4))
	assert.Equal(t, StateDraining, stateOf(4))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 4: 0.5}))
	assert.Equal(t, StateActive, stateOf(4))
	f.set(faultError)
	require.NoError(t, e.Tick(frame))
	assert.Equal(t, StateFailed, stateOf(4))
	_, by := metricsOf(t, e)
	assert.Equal(t, StateFailed, by[4].State)
	f.set(faultNone)
	require.NoError(t, e.Reload(game, 4))
	assert.Equal(t, StateIdle, stateOf(4))
	require.NoError(t, e.Unload(game, 4))
	assert.Equal(t, StateUnloaded, stateOf(4))
	assert.Equal(t, StateActive, stateOf(1))
}

func TestCloseIsCalledOnUnloadReloadAndGC(t *testing.T) {
	var closed atomic.Int32
	e := newEngine(t, WithGCMeasurement(false))
	require.NoError(t, e.AddModule(game, AutoGC(time.Second)))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, fakeVersion{num: 4, newLogic: func() (ecs.Logic, error) {
		return hookLogic{closed: &closed}, nil
	}}))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 4))
	require.NoError(t, e.Reload(game, 4))
	assert.Equal(t, int32(1), closed.Load(), "Reload closes the old instance")
	require.NoError(t, e.Unload(game, 4))
	assert.Equal(t, int32(2), closed.Load())
	require.NoError(t, e.Load(game, 4))
	for range 61 {
		require.NoError(t, e.Tick(frame))
	}
	require.False(t, isLoaded(t, e, 4))
	assert.Equal(t, int32(3), closed.Load(), "GC closes the collected instance")
}

func TestDependencies(t *testing.T) {
	e := newEngine(t)
	require.NoError(t, e.AddModule("physics"))
	require.NoError(t, e.Register("physics", v1.Version{}))
	require.NoError(t, e.Load("physics", 1))

	err := e.AddModule("ai", DependsOn("physics", "pathing"))
	requireErr(t, err, ErrUnknownModule)
	_, err = e.Loaded("ai")
	assertErr(t, err, ErrUnknownModule) // a module with a missing dependency is not created

	require.NoError(t, e.AddModule("ai", DependsOn("physics")))
	require.NoError(t, e.AddModule("ui", DependsOn("physics")))
	assert.Equal(t, []string{"physics", "ai", "ui"}, e.Modules())
	var c collector
	e.Subscribe(c.listen)

	dependents := func(err error) []string {
		t.Helper()
		requireErr(t, err, ErrDependents)
		var de *DependentsError
		require.ErrorAs(t, err, &de)
		assert.Equal(t, "physics", de.Module)
		return de.Dependents
	}
	assert.Equal(t, []string{"ai", "ui"}, dependents(e.RemoveModule("physics")))
	assert.Equal(t, []string{"ai", "ui"}, dependents(e.Reload("physics", 1)))
	assert.Empty(t, c.all())
	loaded, err := e.Loaded("physics")
	require.NoError(t, err)
	assert.Equal(t, []int{1}, loaded)

	// Dependents may come and go; once none is left, the module can go.
	require.NoError(t, e.RemoveModule("ai"))
	assert.Equal(t, []string{"ui"}, dependents(e.RemoveModule("physics")))
	require.NoError(t, e.RemoveModule("ui"))
	c.reset()
	require.NoError(t, e.RemoveModule("physics"))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload}, c.kinds())
	assertErr(t, e.RemoveModule("physics"), ErrUnknownModule)
	assert.Empty(t, e.Modules())
}

// gcRig is a module with AutoGC(10s) and v1 and v3 loaded, v1 holding n
// entities.
func gcRig(t *testing.T, n int) (*Engine, *collector) {
	t.Helper()
	e := newEngine(t)
	require.NoError(t, e.AddModule(game, AutoGC(10*time.Second)))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, v3Version(t)))
	require.NoError(t, e.Load(game, 1))
	if n > 0 {
		spawn(t, e, newRand(t, 62), n)
	}
	require.NoError(t, e.Load(game, 3))
	var c collector
	e.Subscribe(c.listen)
	return e, &c
}

// ticksUntilGone ticks at 60 fps until version v is unloaded (at most
// limit frames) and returns how many frames it took.
func ticksUntilGone(t *testing.T, e *Engine, v, limit int) int {
	t.Helper()
	for i := 1; i <= limit; i++ {
		require.NoError(t, e.Tick(frame))
		if !isLoaded(t, e, v) {
			return i
		}
	}
	return -1
}

// At 60 fps, simulated time first reaches 10s at frame 601 (600 frames of
// 16.666666ms are 9.9999996s).
const gcFrame = 601

func TestAutoGCAfterThreshold(t *testing.T) {
	for _, n := range []int{100, 0} {
		t.Run(map[int]string{100: "entities moved away", 0: "never had entities"}[n], func(t *testing.T) {
			e, c := gcRig(t, n)
			// v1 becomes idle now, at simulated time 0.
			require.NoError(t, e.SetSplit(game, map[int]float64{3: 1}))
			c.reset()
			require.Equal(t, gcFrame, ticksUntilGone(t, e, 1, 2*gcFrame))
			assert.GreaterOrEqual(t, e.Now(), 10*time.Second)
			assert.Less(t, e.Now()-frame, 10*time.Second)

			require.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload, EventGC}, c.kinds())
			for _, ev := range c.all() {
				assert.Equal(t, 1, ev.Version)
				assert.Equal(t, game, ev.Module)
			}
			gc := c.all()[2]
			assert.GreaterOrEqual(t, gc.IdleFor, 10*time.Second)
			assert.Less(t, gc.IdleFor-frame, 10*time.Second)
			assert.Positive(t, gc.MemoryBytes)
			assert.Positive(t, gc.Freed)
			assert.True(t, isLoaded(t, e, 3), "the version with traffic stays")
			st, err := e.State(game, 1)
			require.NoError(t, err)
			assert.Equal(t, StateUnloaded, st)
		})
	}
}

func TestAutoGCIdleClockStartsAtLoad(t *testing.T) {
	e, c := gcRig(t, 10)
	for range 120 {
		require.NoError(t, e.Tick(frame))
	}
	// v3 was loaded at time 0 and never had traffic: it goes at 10s.
	require.True(t, isLoaded(t, e, 3))
	require.Equal(t, gcFrame-120, ticksUntilGone(t, e, 3, gcFrame))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload, EventGC}, c.kinds())
	// A version loaded later is idle from its load.
	require.NoError(t, e.Load(game, 3))
	require.Equal(t, gcFrame, ticksUntilGone(t, e, 3, 2*gcFrame))
}

func TestAutoGCIdleClockRestartsWhenUsedAgain(t *testing.T) {
	e, _ := gcRig(t, 10)
	require.NoError(t, e.SetSplit(game, map[int]float64{3: 1}))
	for range 500 {
		require.NoError(t, e.Tick(frame))
	}
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
	require.NoError(t, e.Tick(frame))
	require.NoError(t, e.SetSplit(game, map[int]float64{3: 1}))
	require.Equal(t, gcFrame, ticksUntilGone(t, e, 1, 2*gcFrame))
}

func TestDisableAutoGC(t *testing.T) {
	e, c := gcRig(t, 10)
	require.NoError(t, e.SetSplit(game, map[int]float64{3: 1}))
	require.NoError(t, e.DisableAutoGC(game))
	require.Equal(t, -1, ticksUntilGone(t, e, 1, 2*gcFrame))
	assert.Empty(t, c.of(EventGC))
	// Turned on again, the version has been idle long enough already.
	require.NoError(t, e.EnableAutoGC(game, 10*time.Second))
	require.Equal(t, 1, ticksUntilGone(t, e, 1, 1))
	assertErr(t, e.DisableAutoGC("nope"), ErrUnknownModule)
	assertErr(t, e.EnableAutoGC("nope", time.Second), ErrUnknownModule)
	assertErr(t, e.EnableAutoGC(game, 0), ErrBadOption)
}

// TestAutoGCRechecksAfterBeforeUnload: a listener that gives the version
// traffic back on before-unload keeps it loaded.
func TestAutoGCRechecksAfterBeforeUnload(t *testing.T) {
	e, c := gcRig(t, 10)
	require.NoError(t, e.SetSplit(game, map[int]float64{3: 1}))
	var revived atomic.Bool
	e.Subscribe(func(ev Event) {
		if ev.Kind == EventBeforeUnload && !revived.Load() {
			revived.Store(true)
			assert.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))
		}
	})
	require.Equal(t, -1, ticksUntilGone(t, e, 1, gcFrame))
	assert.True(t, revived.Load())
	assert.Equal(t, []EventKind{EventBeforeUnload}, kindsExcept(c, EventMigration))
}

func kindsExcept(c *collector, skip EventKind) []EventKind {
	var out []EventKind
	for _, k := range c.kinds() {
		if k != skip {
			out = append(out, k)
		}
	}
	return out
}

// TestListenersMayCallTheEngine calls engine methods, read-only and
// mutating, from inside listeners for every kind of event a scenario
// produces. A deadlock fails the test through the watchdog instead of
// hanging it.
func TestListenersMayCallTheEngine(t *testing.T) {
	r := newRig(t, []int{2}, []ModuleOption{AutoGC(time.Second)}, WithGCMeasurement(false))
	e := r.e
	seen := map[EventKind]int{}
	ok := func(err error) {
		// RemoveModule's events arrive after the module is gone.
		if !errors.Is(err, ErrUnknownModule) {
			assert.NoError(t, err)
		}
	}
	e.Subscribe(func(ev Event) {
		seen[ev.Kind]++
		_, err := e.Metrics(game)
		ok(err)
		_, err = e.Export(game)
		ok(err)
		_, err = e.Split(game)
		ok(err)
		_, err = e.Loaded(game)
		ok(err)
		_, err = e.Pins(game)
		ok(err)
		_ = e.Now()
		_ = e.Frame()
		if ws, err := e.Split(game); err == nil && len(ws) > 0 {
			_, err = e.PlanSplit(game, ws)
			ok(err)
		}
		unsub := e.Subscribe(func(Event) {})
		unsub()
	})
	rng := newRand(t, 63)
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert.NoError(t, e.Load(game, 1))
		assert.NoError(t, e.Load(game, 2))
		keys, err := e.Spawn(game, 1, v1Rows(rng, 20))
		assert.NoError(t, err)
		assert.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
		assert.NoError(t, e.Tick(frame))
		r.faults[2].set(faultPanic)
		assert.NoError(t, e.Tick(frame)) // rollback
		for range 70 {
			assert.NoError(t, e.Tick(frame)) // v2 is idle: GC
		}
		assert.NoError(t, e.Load(game, 3))
		assert.NoError(t, e.Reload(game, 3))
		assert.NoError(t, e.Rollback(game, 3))
		assert.NoError(t, e.Despawn(game, keys...))
		assert.NoError(t, e.Unload(game, 1))
		assert.NoError(t, e.RemoveModule(game))
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Fatal("deadlock: the scenario did not finish")
	}
	for _, k := range []EventKind{EventAfterLoad, EventBeforeUnload, EventAfterUnload, EventMigration, EventGC, EventRollback} {
		assert.Positive(t, seen[k], "no %v event", k)
	}
}

func TestSubscribeAndUnsubscribe(t *testing.T) {
	e := setup(t)
	var order []string
	var a, b collector
	unsubA := e.Subscribe(func(ev Event) { order = append(order, "a"); a.listen(ev) })
	e.Subscribe(func(ev Event) { order = append(order, "b"); b.listen(ev) })
	require.NoError(t, e.Load(game, 2))
	assert.Equal(t, []string{"a", "b"}, order, "listeners run in subscription order")
	unsubA()
	unsubA() // twice is harmless
	require.NoError(t, e.Load(game, 3))
	assert.Len(t, a.all(), 1)
	require.Len(t, b.all(), 2)
	assert.Equal(t, EventAfterLoad, b.all()[1].Kind)
	assert.Equal(t, 3, b.all()[1].Version)
	assert.NotPanics(t, func() { e.Subscribe(nil)() })
}

func TestTickRejectsNegativeDelta(t *testing.T) {
	rng := newRand(t, 64)
	e := setup(t)
	spawn(t, e, rng, 10)
	require.NoError(t, e.Tick(frame))
	before := state(t, e)
	now := e.Now()
	mm, err := e.Metrics(game)
	require.NoError(t, err)
	assertErr(t, e.Tick(-time.Nanosecond), ErrBadDelta)
	assert.Equal(t, now, e.Now())
	assert.Equal(t, uint64(1), e.Frame())
	requireSameStates(t, before, state(t, e))
	after, err := e.Metrics(game)
	require.NoError(t, err)
	assert.Equal(t, mm.Frames, after.Frames)
	// A zero step is a frame in which nothing moves.
	require.NoError(t, e.Tick(0))
	requireSameStates(t, before, state(t, e))
	assert.Equal(t, uint64(2), e.Frame())
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Option{WithBackupEvery(-1), WithFrameBudget(-1), WithClock(nil), nil} {
		e, err := New(o)
		assertErr(t, err, ErrBadOption)
		assert.Nil(t, e)
	}
	e := newEngine(t)
	for _, o := range []ModuleOption{AutoGC(0), AutoGC(-time.Second), RollbackTo(0), RollbackTo(-2), nil} {
		assertErr(t, e.AddModule(game, o), ErrBadOption)
		_, err := e.Loaded(game)
		assertErr(t, err, ErrUnknownModule) // a module with a bad option is not created
	}
	_, err := New(WithBackupEvery(0), WithFrameBudget(0), WithStateChecks(false), WithIsolationCheck(true), WithGCMeasurement(false))
	assert.NoError(t, err)
}

func TestReloadKeepsStateAndSwapsLogic(t *testing.T) {
	rng := newRand(t, 65)
	var fail atomic.Bool
	var made atomic.Int32
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) {
		made.Add(1)
		if fail.Load() {
			return nil, errLogic
		}
		return v1.Logic{}, nil
	}}))
	require.NoError(t, e.Load(game, 1))
	spawn(t, e, rng, 30)
	require.NoError(t, e.Tick(frame))
	before := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.Reload(game, 1))
	assert.Equal(t, int32(2), made.Load())
	requireSameStates(t, before, state(t, e))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload, EventAfterLoad}, c.kinds())

	fail.Store(true)
	c.reset()
	err := e.Reload(game, 1)
	requireErr(t, err, ErrLoad, errLogic)
	// The handshake's before-unload is delivered before the new instance
	// is made; nothing follows a failed reload.
	assert.Equal(t, []EventKind{EventBeforeUnload}, c.kinds())
	requireSameStates(t, before, state(t, e))
	// The old instance still runs.
	require.NoError(t, e.Tick(frame))
	requireStepped(t, before, state(t, e), nil)

	assertErr(t, e.Reload(game, 2), ErrUnknownVersion)
	assertErr(t, e.Reload("nope", 1), ErrUnknownModule)
	require.NoError(t, e.Register(game, fakeVersion{num: 2}))
	assertErr(t, e.Reload(game, 2), ErrNotLoaded)
}

func TestMetrics(t *testing.T) {
	rng := newRand(t, 66)
	e, _ := setupAll(t, rng, 100)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))
	for range 10 {
		require.NoError(t, e.Tick(frame))
	}
	mm, by := metricsOf(t, e)
	assert.Equal(t, game, mm.Module)
	assert.Equal(t, 100, mm.Entities)
	assert.Equal(t, uint64(10), mm.Frames)
	assert.Zero(t, mm.FramesMissed)
	assert.Zero(t, mm.Lost)
	assert.Positive(t, mm.OverheadBytes)
	require.Len(t, mm.Versions, 3)
	for i, v := range mm.Versions {
		assert.Equal(t, i+1, v.Version, "versions in ascending order")
		assert.Positive(t, v.MemoryBytes)
		assert.Equal(t, 10*frame, v.Uptime)
		assert.False(t, v.Failed)
	}
	assert.Equal(t, uint64(10), by[1].Frames)
	assert.Equal(t, uint64(10), by[3].Frames)
	assert.Zero(t, by[2].Frames, "a version without entities is not stepped")
	assert.Equal(t, 50, by[1].Entities)
	assert.Equal(t, 0.5, by[3].Traffic)
	assert.Equal(t, StateActive, by[1].State)
	assert.Equal(t, StateIdle, by[2].State)
	assert.Contains(t, by[3].Custom, "pairs")
	assert.Nil(t, by[1].Custom)
	_, err := e.Metrics("nope")
	assertErr(t, err, ErrUnknownModule)
	// The returned maps are copies.
	by[3].Custom["pairs"] = -1
	_, again := metricsOf(t, e)
	assert.NotEqual(t, -1.0, again[3].Custom["pairs"])
}

func TestEventKindString(t *testing.T) {
	seen := map[string]bool{}
	for k := EventAfterLoad; k <= EventError; k++ {
		s := k.String()
		assert.NotContains(t, s, "EventKind(")
		assert.False(t, seen[s], "%q twice", s)
		seen[s] = true
	}
	assert.Equal(t, "EventKind(99)", EventKind(99).String())
}

// counterLogic is v1 with a frame counter that must survive hot reloads.
type counterLogic struct {
	frames    *atomic.Int32
	loadErr   error
	saveFails *atomic.Bool // SaveState panics while set (nil: never)
	closed    *atomic.Int32
	f         *fault // nil: no fault system
}

func (l counterLogic) Schedule() ecs.Schedule {
	s := v1.Logic{}.Schedule()
	frames := l.frames
	s = append(s, ecs.System{Name: "count", Run: func(*ecs.View, float32) error { frames.Add(1); return nil }})
	if l.f != nil {
		s = faultyLogic{inner: schedLogic(s), f: l.f}.Schedule()
	}
	return s
}

func (l counterLogic) SaveState() ([]byte, error) {
	if l.saveFails != nil && l.saveFails.Load() {
		panic("test: SaveState panics")
	}
	return []byte{byte(l.frames.Load())}, nil
}

func (l counterLogic) RestoreState(b []byte) error {
	if l.loadErr != nil {
		return l.loadErr
	}
	l.frames.Store(int32(b[0]))
	return nil
}

func (l counterLogic) Close() {
	if l.closed != nil {
		l.closed.Add(1)
	}
}

func TestReloadCarriesStatefulLogicState(t *testing.T) {
	var instances []counterLogic
	var saveFails atomic.Bool
	next := counterLogic{saveFails: &saveFails} // what the next NewLogic returns
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) {
		l := next
		l.frames = new(atomic.Int32)
		instances = append(instances, l)
		return l, nil
	}}))
	require.NoError(t, e.Load(game, 1))
	spawn(t, e, newRand(t, 9), 5)
	for range 7 {
		require.NoError(t, e.Tick(frame))
	}
	require.Equal(t, int32(7), instances[0].frames.Load())

	require.NoError(t, e.Reload(game, 1))
	require.Len(t, instances, 2)
	assert.Equal(t, int32(7), instances[1].frames.Load(), "state restored into the new instance")
	require.NoError(t, e.Tick(frame))
	assert.Equal(t, int32(8), instances[1].frames.Load())
	assert.Equal(t, int32(7), instances[0].frames.Load(), "the old instance no longer runs")

	// A new instance that cannot restore: the reload fails, the old stays.
	errBad := errors.New("test: bad state")
	next = counterLogic{loadErr: errBad, closed: new(atomic.Int32)}
	err := e.Reload(game, 1)
	requireErr(t, err, ErrLoad, errBad)
	require.NoError(t, e.Tick(frame))
	assert.Equal(t, int32(9), instances[1].frames.Load(), "the old instance still runs")
	assert.Equal(t, int32(0), instances[2].frames.Load())
	assert.Equal(t, int32(1), instances[2].closed.Load())

	// An old instance that cannot save (it panics): the same.
	saveFails.Store(true)
	next = counterLogic{closed: new(atomic.Int32)}
	err = e.Reload(game, 1)
	requireErr(t, err, ErrLoad, ErrPanic)
	saveFails.Store(false)
	require.NoError(t, e.Tick(frame))
	assert.Equal(t, int32(10), instances[1].frames.Load(), "the old instance still runs")
	assert.Equal(t, int32(1), instances[3].closed.Load())
}

// panickyVersion panics in the methods the flags name.
type panickyVersion struct {
	fakeVersion
	inNumber, inComponents, inMigrations *atomic.Bool
}

func (v panickyVersion) Number() int {
	if v.inNumber.Load() {
		panic("test: Number panics")
	}
	return v.fakeVersion.Number()
}

func (v panickyVersion) Components() *ecs.Layout {
	if v.inComponents.Load() {
		panic(errLogic)
	}
	return v.fakeVersion.Components()
}

func (v panickyVersion) Migrations() []ecs.Migration {
	if v.inMigrations.Load() {
		panic("test: Migrations panics")
	}
	return v.fakeVersion.Migrations()
}

// TestUserCodePanicsDoNotEscape: bad input and misbehaving versions give
// errors, never a panic out of the engine.
func TestUserCodePanicsDoNotEscape(t *testing.T) {
	e := setup(t)
	spawn(t, e, newRand(t, 5), 10)
	_, err := e.Spawn(game, 1, nil)
	assertErr(t, err, ErrBadColumns)

	var inNumber, inComponents, inMigrations atomic.Bool
	panicky := func() ecs.Migration {
		return ecs.Migration{From: 1, To: 7, Convert: func(src, dst *ecs.Columns) error {
			if inMigrations.Load() {
				panic(errMigrate)
			}
			return nil
		}}
	}
	pv := panickyVersion{fakeVersion: fakeVersion{num: 7, migs: []ecs.Migration{panicky(), identity(7, 1)}},
		inNumber: &inNumber, inComponents: &inComponents, inMigrations: &inMigrations}
	for _, flag := range []*atomic.Bool{&inNumber, &inComponents, &inMigrations} {
		flag.Store(true)
		err := e.Register(game, pv)
		assertErr(t, err, ErrBadVersion, ErrPanic)
		flag.Store(false)
	}
	_, err = e.State(game, 7)
	assertErr(t, err, ErrUnknownVersion)
	require.NoError(t, e.Register(game, pv))
	require.NoError(t, e.Load(game, 7))
	before := state(t, e)
	// Migrations were read once, at Register; the Convert function they
	// declared is called on every move, and its panic is recovered.
	inMigrations.Store(true)
	require.NotPanics(t, func() { err = e.SetSplit(game, map[int]float64{7: 1}) })
	assertErr(t, err, ErrMigration, ecs.ErrConvert, ErrPanic, errMigrate)
	requireSameStates(t, before, state(t, e))
	require.NoError(t, e.Tick(frame))
	inMigrations.Store(false)
	require.NoError(t, e.SetSplit(game, map[int]float64{7: 1}))
}

// TestDefect2ReloadInitThenFailingFrame: after a Reload whose new Init
// writes a component that the schedule never writes, a later failing frame
// restores the state from before that frame, including the value Init
// wrote, not the state from before Init.
func TestDefect2ReloadInitThenFailingFrame(t *testing.T) {
	for _, framesBetween := range []int{0, 1, 3} {
		t.Run(fmt.Sprintf("frames=%d", framesBetween), func(t *testing.T) {
			rng := newRand(t, 102)
			f := &fault{}
			var reloaded atomic.Bool
			e := newEngine(t)
			require.NoError(t, e.AddModule(game))
			require.NoError(t, e.Register(game, fakeVersion{num: 1, layout: layoutHeat}))
			require.NoError(t, e.Register(game, fakeVersion{num: 2, layout: layoutHeat,
				migs: []ecs.Migration{identity(1, 2), identity(2, 1)},
				newLogic: func() (ecs.Logic, error) {
					return hookFaultLogic{f: f, hookLogic: hookLogic{init: func(v *ecs.View) error {
						if !reloaded.Load() {
							return nil
						}
						c := v.Columns()
						h := ecs.Column(&c, heat)
						for i := range h {
							h[i] += 1000 // the schedule writes position (and the fault velocity) only
						}
						return nil
					}}}, nil
				}}))
			require.NoError(t, e.Load(game, 1))
			require.NoError(t, e.Load(game, 2))
			_, err := e.Spawn(game, 1, layoutRows(rng, 0, 30))
			require.NoError(t, err)
			require.NoError(t, e.SetSplit(game, map[int]float64{2: 1}))
			for range 3 {
				require.NoError(t, e.Tick(frame)) // backups of v2 now copy position only
			}
			beforeInit := state(t, e)
			reloaded.Store(true)
			require.NoError(t, e.Reload(game, 2))
			afterInit := state(t, e)
			for k, en := range beforeInit {
				require.Equal(t, en.heat+1000, afterInit[k].heat)
			}
			for range framesBetween {
				require.NoError(t, e.Tick(frame))
			}
			pre := state(t, e)
			f.set(faultError)
			require.NoError(t, e.Tick(frame))
			post := checkIndex(t, e)
			require.Len(t, post, len(pre))
			for k, p := range pre {
				want := v1Step(p, sec)
				want.ver = 1
				assert.True(t, sameState(want, post[k]), "key %#x: want %+v, got %+v", uint64(k), want, post[k])
			}
		})
	}
}

// TestDefect3FailedReloadChangesNothing: a Reload that fails (Init writes
// then errors or panics, RestoreState errors, NewLogic panics, Schedule
// panics) changes nothing: the world stays bit-identical, the old instance
// keeps stepping and is not closed, a failure the version had stays, and
// the fresh instance, when one was made, is closed exactly once.
func TestDefect3FailedReloadChangesNothing(t *testing.T) {
	type attempt struct {
		newLogic func(fresh *counterLogic) (ecs.Logic, error)
		made     bool // a fresh instance exists to be closed
		want     []error
	}
	initWrites := func(then func() error) func(fresh *counterLogic) (ecs.Logic, error) {
		return func(fresh *counterLogic) (ecs.Logic, error) {
			return initLogic{counterLogic: *fresh, init: func(v *ecs.View) error {
				c := v.Columns()
				pos := ecs.Column(&c, scenario.Position)
				for i := range pos {
					pos[i].X = -12345
				}
				if vel := ecs.Column(&c, scenario.Velocity); len(vel) > 0 {
					vel[0].Y = float32(math.Inf(1))
				}
				return then()
			}}, nil
		}
	}
	for name, a := range map[string]attempt{
		"Init writes then errors": {newLogic: initWrites(func() error { return errLogic }), made: true, want: []error{errLogic}},
		"Init writes then panics": {newLogic: initWrites(func() error { panic(errLogic) }), made: true, want: []error{ErrPanic, errLogic}},
		"Init leaves NaN":         {newLogic: initWrites(func() error { return nil }), made: true, want: []error{ErrNonFinite}},
		"RestoreState errors": {newLogic: func(fresh *counterLogic) (ecs.Logic, error) {
			fresh.loadErr = errLogic
			return *fresh, nil
		}, made: true, want: []error{errLogic}},
		"NewLogic panics": {newLogic: func(*counterLogic) (ecs.Logic, error) { panic(errLogic) }, want: []error{ErrPanic, errLogic}},
		"NewLogic errors": {newLogic: func(*counterLogic) (ecs.Logic, error) { return nil, errLogic }, want: []error{errLogic}},
		"Schedule panics": {newLogic: func(fresh *counterLogic) (ecs.Logic, error) {
			return panicSchedule{*fresh}, nil
		}, made: true, want: []error{ErrPanic}},
	} {
		for _, failedBefore := range []bool{false, true} {
			if failedBefore && name == "Init leaves NaN" {
				continue // a failed version holds no entity to leave NaN in
			}
			t.Run(fmt.Sprintf("%s/failed=%v", name, failedBefore), func(t *testing.T) {
				rng := newRand(t, 103)
				var instances []*counterLogic
				var bad atomic.Bool
				f := &fault{}
				e := newEngine(t)
				require.NoError(t, e.AddModule(game))
				require.NoError(t, e.Register(game, v1.Version{}))
				require.NoError(t, e.Register(game, fakeVersion{num: 2,
					migs: []ecs.Migration{identity(1, 2), identity(2, 1)},
					newLogic: func() (ecs.Logic, error) {
						l := &counterLogic{frames: new(atomic.Int32), closed: new(atomic.Int32), f: f}
						instances = append(instances, l)
						if bad.Load() {
							return a.newLogic(l)
						}
						return *l, nil
					}}))
				require.NoError(t, e.Load(game, 1))
				require.NoError(t, e.Load(game, 2))
				spawn(t, e, rng, 20)
				require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.25, 2: 0.75}))
				if failedBefore {
					f.set(faultError)
					require.NoError(t, e.Tick(frame))
					f.set(faultNone)
					st, err := e.State(game, 2)
					require.NoError(t, err)
					require.Equal(t, StateFailed, st)
				}
				for range 2 {
					require.NoError(t, e.Tick(frame))
				}
				old := instances[len(instances)-1]
				before := takeSnapshot(t, e)
				st0, err := e.State(game, 2)
				require.NoError(t, err)
				framesBefore := old.frames.Load()
				var c collector
				e.Subscribe(c.listen)

				bad.Store(true)
				made := len(instances)
				err = e.Reload(game, 2)
				requireErr(t, err, append([]error{ErrLoad}, a.want...)...)
				bad.Store(false)

				before.requireSame(t, e)
				st, err := e.State(game, 2)
				require.NoError(t, err)
				assert.Equal(t, st0, st)
				assert.Equal(t, []EventKind{EventBeforeUnload}, c.kinds(), "nothing follows the handshake of a failed reload")
				assert.Zero(t, old.closed.Load(), "the old instance is not closed")
				if a.made {
					require.Len(t, instances, made+1)
					assert.Equal(t, int32(1), instances[made].closed.Load(), "the fresh instance is closed once")
				}
				// The old instance still steps its entities (a failed v2 holds
				// none).
				pre := state(t, e)
				require.NoError(t, e.Tick(frame))
				requireStepped(t, pre, checkIndex(t, e), nil)
				if !failedBefore {
					assert.Equal(t, framesBefore+1, old.frames.Load())
				}
			})
		}
	}
}

// initLogic is counterLogic with an Init.
type initLogic struct {
	counterLogic
	init func(v *ecs.View) error
}

func (l initLogic) Init(v *ecs.View) error { return l.init(v) }

// panicSchedule is counterLogic whose Schedule panics.
type panicSchedule struct{ counterLogic }

func (panicSchedule) Schedule() ecs.Schedule { panic("test: Schedule panics") }

// TestDefect7TickRejectsOverflow: a dt that would overflow the simulated
// clock is refused with ErrBadDelta and changes nothing; a negative one
// too; the largest dt that fits is accepted.
func TestDefect7TickRejectsOverflow(t *testing.T) {
	rng := newRand(t, 107)
	e := setup(t)
	spawn(t, e, rng, 10)
	for range 3 {
		require.NoError(t, e.Tick(frame))
	}
	now, fr := e.Now(), e.Frame()
	before := state(t, e)
	for _, dt := range []time.Duration{math.MaxInt64, math.MaxInt64 - now + 1, -1, math.MinInt64} {
		assertErr(t, e.Tick(dt), ErrBadDelta)
		assert.Equal(t, now, e.Now(), "dt %d", dt)
		assert.Equal(t, fr, e.Frame(), "dt %d", dt)
		requireSameStates(t, before, state(t, e))
	}
	mm, _ := metricsOf(t, e)
	assert.Equal(t, uint64(3), mm.Frames)
	// Up to the end of time exactly: accepted, then only dt 0.
	require.NoError(t, e.Tick(math.MaxInt64-now))
	assert.Equal(t, time.Duration(math.MaxInt64), e.Now())
	assertErr(t, e.Tick(1), ErrBadDelta)
	require.NoError(t, e.Tick(0))
	assert.Equal(t, time.Duration(math.MaxInt64), e.Now())
	assert.Equal(t, fr+2, e.Frame())
}

// TestDefect8RemoveModuleHandshake: listeners get EventBeforeUnload for
// every loaded version while the module still exists (they can Export it
// and see its entities), then EventAfterUnload for every one.
func TestDefect8RemoveModuleHandshake(t *testing.T) {
	rng := newRand(t, 108)
	e, keys := setupAll(t, rng, 30)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))
	require.NoError(t, e.Tick(frame))
	want := state(t, e)
	var kinds []EventKind
	var versions []int
	exported := map[int]int{} // entities seen per before-unload
	e.Subscribe(func(ev Event) {
		kinds = append(kinds, ev.Kind)
		versions = append(versions, ev.Version)
		if ev.Kind == EventBeforeUnload {
			ex, err := e.Export(game)
			if assert.NoError(t, err, "the module still exists on before-unload") {
				n := 0
				for v, c := range ex {
					n += c.Len()
					for i, k := range c.Keys {
						assert.True(t, sameState(want[k], rowOf(&c, v, i)))
					}
				}
				exported[ev.Version] = n
			}
			_, err = e.Metrics(game)
			assert.NoError(t, err)
		}
	})
	require.NoError(t, e.RemoveModule(game))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventBeforeUnload, EventBeforeUnload,
		EventAfterUnload, EventAfterUnload, EventAfterUnload}, kinds)
	assert.Equal(t, []int{1, 2, 3, 1, 2, 3}, versions)
	assert.Equal(t, map[int]int{1: len(keys), 2: len(keys), 3: len(keys)}, exported)
	_, err := e.Export(game)
	assertErr(t, err, ErrUnknownModule)
}

// TestDefect10PanickingListener: a listener that panics does not stop the
// others from getting the event; every listener then gets an EventError
// wrapping ErrListener; later Ticks work and GC still runs.
func TestDefect10PanickingListener(t *testing.T) {
	rng := newRand(t, 110)
	e := newEngine(t, WithGCMeasurement(false))
	require.NoError(t, e.AddModule(game, AutoGC(time.Second)))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, v3Version(t)))
	var first, last collector
	e.Subscribe(first.listen)
	var panics atomic.Int32
	e.Subscribe(func(ev Event) {
		panics.Add(1)
		panic(fmt.Sprintf("test: listener panics on %v", ev.Kind))
	})
	e.Subscribe(last.listen)
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 3))
	spawn(t, e, rng, 10)
	for _, c := range []*collector{&first, &last} {
		require.Equal(t, []EventKind{EventAfterLoad, EventError, EventAfterLoad, EventError}, c.kinds())
		for i, ev := range c.all() {
			assert.Equal(t, []int{1, 1, 3, 3}[i], ev.Version)
			if ev.Kind == EventError {
				assert.ErrorIs(t, ev.Err, ErrListener)
				assert.ErrorIs(t, ev.Err, ErrPanic)
			}
		}
	}
	assert.Equal(t, int32(4), panics.Load(), "two events, two errors; the panic on an error is dropped")
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
	pre := state(t, e)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
	last.reset()
	require.Equal(t, 60, ticksUntilGone(t, e, 3, 120), "v3, idle since its load, is collected at 1s")
	assert.Equal(t, []EventKind{EventBeforeUnload, EventError, EventAfterUnload, EventGC, EventError, EventError}, last.kinds())
	for _, ev := range last.of(EventError) {
		assert.ErrorIs(t, ev.Err, ErrListener)
	}
	require.NoError(t, e.Tick(frame))
}

// TestEveryErrorWrapsASentinel calls every public method that can fail in
// a way that makes it fail, and checks that the error wraps one of the
// package's sentinels. (Every error the rest of the suite gets is checked
// the same way, through assertErr.)
func TestEveryErrorWrapsASentinel(t *testing.T) {
	rng := newRand(t, 113)
	e, keys := setupAll(t, rng, 10)
	require.NoError(t, e.AddModule("dep", DependsOn(game)))
	_, errNew := New(WithFrameBudget(-1))
	_, errSpawn := e.Spawn(game, 1, nil)
	_, errLocate := e.Locate(game, 0)
	_, errPlan := e.PlanSplit(game, map[int]float64{1: 2})
	_, errExport := e.Export("nope")
	_, errMetrics := e.Metrics("nope")
	_, errPins := e.Pins("nope")
	_, errSplit := e.Split("nope")
	_, errLoaded := e.Loaded("nope")
	_, errRegistered := e.Registered("nope")
	_, errState := e.State(game, 42)
	for name, err := range map[string]error{
		"New":           errNew,
		"AddModule":     e.AddModule(game),
		"RemoveModule":  e.RemoveModule(game),
		"Register":      e.Register(game, nil),
		"Load":          e.Load(game, 1),
		"Unload":        e.Unload(game, 1),
		"Reload":        e.Reload(game, 1),
		"Spawn":         errSpawn,
		"Despawn":       e.Despawn(game, 0),
		"Pin":           e.Pin(game, keys[0], 42),
		"Unpin":         e.Unpin(game, 0),
		"Locate":        errLocate,
		"SetSplit":      e.SetSplit(game, map[int]float64{1: 2}),
		"PlanSplit":     errPlan,
		"Rollback":      e.Rollback(game, 42),
		"Tick":          e.Tick(-1),
		"EnableAutoGC":  e.EnableAutoGC(game, -1),
		"DisableAutoGC": e.DisableAutoGC("nope"),
		"Export":        errExport,
		"Metrics":       errMetrics,
		"Pins":          errPins,
		"Split":         errSplit,
		"Loaded":        errLoaded,
		"Registered":    errRegistered,
		"State":         errState,
	} {
		assert.Error(t, err, name)
		assert.True(t, wrapsSentinel(err), "%s: %v wraps none of the package's sentinels", name, err)
	}
}
