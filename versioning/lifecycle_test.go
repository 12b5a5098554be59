package versioning

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
)

var errLogic = errors.New("test: logic refused")

// hookLogic is v1's logic with optional Init and Close hooks.
type hookLogic struct {
	v1.Logic
	init   func(w *ecs.World) error
	closed *atomic.Int32
}

func (l hookLogic) Init(w *ecs.World) error {
	if l.init == nil {
		return nil
	}
	return l.init(w)
}

func (l hookLogic) Close() {
	if l.closed != nil {
		l.closed.Add(1)
	}
}

// snapshot is what a failed call must leave unchanged.
type snapshot struct {
	loaded []int
	split  map[int]float64
	state  map[ecs.Key]entity
}

func snap(t *testing.T, e *Engine) snapshot {
	t.Helper()
	loaded, err := e.Loaded(mod)
	require.NoError(t, err)
	split, err := e.Split(mod)
	require.NoError(t, err)
	return snapshot{loaded: loaded, split: split, state: state(t, e)}
}

func (s snapshot) requireSame(t *testing.T, e *Engine) {
	t.Helper()
	now := snap(t, e)
	assert.Equal(t, s.loaded, now.loaded)
	assert.Equal(t, s.split, now.split)
	requireSameStates(t, s.state, now.state)
}

func TestLoadErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(60, 60))
	bad := map[string]func() (ecs.Logic, error){
		"NewLogic error": func() (ecs.Logic, error) { return nil, errLogic },
		"NewLogic panic": func() (ecs.Logic, error) { panic("test: NewLogic panicked") },
		"NewLogic nil":   func() (ecs.Logic, error) { return nil, nil },
		"Init error": func() (ecs.Logic, error) {
			return hookLogic{init: func(*ecs.World) error { return errLogic }}, nil
		},
		"Init panic": func() (ecs.Logic, error) {
			return hookLogic{init: func(*ecs.World) error { panic(errLogic) }}, nil
		},
	}
	for name, newLogic := range bad {
		for _, first := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/first=%v", name, first), func(t *testing.T) {
				e := newEngine(t)
				require.NoError(t, e.AddModule(mod))
				require.NoError(t, e.Register(mod, v1.Version{}))
				require.NoError(t, e.Register(mod, fakeVersion{num: 4, newLogic: newLogic,
					migs: []ecs.Migration{identity(1, 4), identity(4, 1)}}))
				if !first {
					require.NoError(t, e.Load(mod, 1))
					spawn(t, e, rng, 10)
				}
				before := snap(t, e)
				var c collector
				e.Subscribe(c.listen)

				err := e.Load(mod, 4)
				require.ErrorIs(t, err, ErrLoad)
				if strings.Contains(name, "panic") {
					assert.ErrorIs(t, err, ErrPanic)
				}
				if strings.Contains(name, "error") || name == "Init panic" {
					assert.ErrorIs(t, err, errLogic)
				}
				before.requireSame(t, e)
				assert.Empty(t, c.events)

				// The module still works: a good version loads and, as the
				// first one, takes all traffic.
				if first {
					require.NoError(t, e.Load(mod, 1))
					split, err := e.Split(mod)
					require.NoError(t, err)
					assert.Equal(t, map[int]float64{1: 1}, split)
				}
			})
		}
	}
}

func TestLoadUnloadRegisterErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 61))
	e := setup(t)
	require.NoError(t, e.Load(mod, 2))
	keys := spawn(t, e, rng, 10)
	before := snap(t, e)
	var c collector
	e.Subscribe(c.listen)

	assert.ErrorIs(t, e.Load(mod, 9), ErrUnknownVersion)
	assert.ErrorIs(t, e.Load(mod, 1), ErrAlreadyLoaded)
	assert.ErrorIs(t, e.Load("nope", 1), ErrUnknownModule)
	assert.ErrorIs(t, e.Unload(mod, 1), ErrVersionInUse, "v1 has entities and traffic")
	assert.ErrorIs(t, e.Unload(mod, 3), ErrNotLoaded)
	assert.ErrorIs(t, e.Unload(mod, 9), ErrNotLoaded)
	assert.ErrorIs(t, e.Unload("nope", 1), ErrUnknownModule)
	assert.ErrorIs(t, e.Register(mod, v1.Version{}), ErrVersionExists)
	assert.ErrorIs(t, e.Register(mod, nil), ErrBadOption)
	assert.ErrorIs(t, e.Register(mod, fakeVersion{num: 0}), ErrBadOption)
	assert.ErrorIs(t, e.Register(mod, fakeVersion{num: -1}), ErrBadOption)
	assert.ErrorIs(t, e.Register(mod, fakeVersion{num: 7, mask: ecs.MaskVelocity}), ErrBadOption)
	assert.ErrorIs(t, e.Register(mod, fakeVersion{num: 7, mask: ecs.MaskAll | 1<<6}), ErrBadOption)
	assert.ErrorIs(t, e.Register("nope", v1.Version{}), ErrUnknownModule)
	assert.ErrorIs(t, e.AddModule(mod), ErrModuleExists)
	assert.ErrorIs(t, e.AddModule(""), ErrBadOption)
	before.requireSame(t, e)
	assert.Empty(t, c.events)

	// Weight alone keeps a version in use, as do entities alone (a pin).
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
	require.NoError(t, e.Despawn(mod, keys...))
	assert.ErrorIs(t, e.Unload(mod, 2), ErrVersionInUse)
	k := spawn(t, e, rng, 1)[0]
	require.NoError(t, e.Pin(mod, k, 2))
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 1}))
	assert.ErrorIs(t, e.Unload(mod, 2), ErrVersionInUse)
	require.NoError(t, e.Despawn(mod, k))
	c.events = nil
	require.NoError(t, e.Unload(mod, 2))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload}, c.kinds())
	loaded, err := e.Loaded(mod)
	require.NoError(t, err)
	assert.Equal(t, []int{1}, loaded)
}

func TestFirstLoadTakesAllTraffic(t *testing.T) {
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, v1.Version{}))
	require.NoError(t, e.Register(mod, v3Version(t)))
	_, err := e.Spawn(mod, 1, v1Rows(rand.New(rand.NewPCG(1, 1)), 1))
	assert.ErrorIs(t, err, ErrNotLoaded, "no version has traffic yet")
	require.NoError(t, e.Load(mod, 3))
	require.NoError(t, e.Load(mod, 1))
	split, err := e.Split(mod)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{3: 1}, split)
}

func TestCloseIsCalledOnUnload(t *testing.T) {
	var closed atomic.Int32
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, v1.Version{}))
	require.NoError(t, e.Register(mod, fakeVersion{num: 4, newLogic: func() (ecs.Logic, error) {
		return hookLogic{closed: &closed}, nil
	}}))
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 4))
	require.NoError(t, e.Reload(mod, 4))
	assert.Equal(t, int32(1), closed.Load(), "Reload closes the old instance")
	require.NoError(t, e.Unload(mod, 4))
	assert.Equal(t, int32(2), closed.Load())
}

func TestDependencies(t *testing.T) {
	e := newEngine(t)
	require.NoError(t, e.AddModule("physics"))
	require.NoError(t, e.Register("physics", v1.Version{}))
	require.NoError(t, e.Load("physics", 1))

	err := e.AddModule("ai", DependsOn("physics", "pathing"))
	require.ErrorIs(t, err, ErrUnknownModule)
	_, err = e.Loaded("ai")
	assert.ErrorIs(t, err, ErrUnknownModule, "a module with a missing dependency is not created")

	require.NoError(t, e.AddModule("ai", DependsOn("physics")))
	require.NoError(t, e.AddModule("ui", DependsOn("physics")))
	var c collector
	e.Subscribe(c.listen)

	err = e.RemoveModule("physics")
	require.ErrorIs(t, err, ErrDependents)
	// The one place a message is checked: it must name the dependents.
	assert.True(t, strings.Contains(err.Error(), "ai") && strings.Contains(err.Error(), "ui"), err.Error())
	err = e.Reload("physics", 1)
	require.ErrorIs(t, err, ErrDependents)
	assert.Contains(t, err.Error(), "ai")
	assert.Empty(t, c.events)
	loaded, err := e.Loaded("physics")
	require.NoError(t, err)
	assert.Equal(t, []int{1}, loaded)

	// Dependents may come and go; once none is left, the module can go.
	require.NoError(t, e.RemoveModule("ai"))
	err = e.RemoveModule("physics")
	require.ErrorIs(t, err, ErrDependents)
	assert.Contains(t, err.Error(), "ui")
	assert.NotContains(t, err.Error(), "ai")
	require.NoError(t, e.RemoveModule("ui"))
	c.events = nil
	require.NoError(t, e.RemoveModule("physics"))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload}, c.kinds())
	assert.ErrorIs(t, e.RemoveModule("physics"), ErrUnknownModule)
}

// gcRig is a module with AutoGC(10s) and v1 and v2 loaded, v1 holding n
// entities.
func gcRig(t *testing.T, n int) (*Engine, *collector) {
	t.Helper()
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod, AutoGC(10*time.Second)))
	require.NoError(t, e.Register(mod, v1.Version{}))
	require.NoError(t, e.Register(mod, v3Version(t)))
	require.NoError(t, e.Load(mod, 1))
	if n > 0 {
		spawn(t, e, rand.New(rand.NewPCG(62, 62)), n)
	}
	require.NoError(t, e.Load(mod, 3))
	var c collector
	e.Subscribe(c.listen)
	return e, &c
}

func isLoaded(t *testing.T, e *Engine, v int) bool {
	t.Helper()
	loaded, err := e.Loaded(mod)
	require.NoError(t, err)
	for _, n := range loaded {
		if n == v {
			return true
		}
	}
	return false
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
			require.NoError(t, e.SetSplit(mod, map[int]float64{3: 1}))
			c.events = nil
			require.Equal(t, gcFrame, ticksUntilGone(t, e, 1, 2*gcFrame))
			assert.GreaterOrEqual(t, e.Now(), 10*time.Second)
			assert.Less(t, e.Now()-frame, 10*time.Second)

			require.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload, EventGC}, c.kinds())
			for _, ev := range c.events {
				assert.Equal(t, 1, ev.Version)
				assert.Equal(t, mod, ev.Module)
			}
			gc := c.events[2]
			assert.GreaterOrEqual(t, gc.IdleFor, 10*time.Second)
			assert.Less(t, gc.IdleFor-frame, 10*time.Second)
			assert.Positive(t, gc.MemoryBytes)
			assert.Positive(t, gc.Freed)
			assert.True(t, isLoaded(t, e, 3), "the version with traffic stays")
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
	require.NoError(t, e.Load(mod, 3))
	require.Equal(t, gcFrame, ticksUntilGone(t, e, 3, 2*gcFrame))
}

func TestAutoGCIdleClockRestartsWhenUsedAgain(t *testing.T) {
	e, _ := gcRig(t, 10)
	require.NoError(t, e.SetSplit(mod, map[int]float64{3: 1}))
	for range 500 {
		require.NoError(t, e.Tick(frame))
	}
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 1}))
	require.NoError(t, e.Tick(frame))
	require.NoError(t, e.SetSplit(mod, map[int]float64{3: 1}))
	require.Equal(t, gcFrame, ticksUntilGone(t, e, 1, 2*gcFrame))
}

func TestDisableAutoGC(t *testing.T) {
	e, c := gcRig(t, 10)
	require.NoError(t, e.SetSplit(mod, map[int]float64{3: 1}))
	require.NoError(t, e.DisableAutoGC(mod))
	require.Equal(t, -1, ticksUntilGone(t, e, 1, 2*gcFrame))
	assert.Empty(t, c.of(EventGC))
	// Turned on again, the version has been idle long enough already.
	require.NoError(t, e.EnableAutoGC(mod, 10*time.Second))
	require.Equal(t, 1, ticksUntilGone(t, e, 1, 1))
	assert.ErrorIs(t, e.DisableAutoGC("nope"), ErrUnknownModule)
	assert.ErrorIs(t, e.EnableAutoGC("nope", time.Second), ErrUnknownModule)
	assert.ErrorIs(t, e.EnableAutoGC(mod, 0), ErrBadOption)
}

// TestAutoGCRechecksAfterBeforeUnload: a listener that gives the version
// traffic back on before-unload keeps it loaded.
func TestAutoGCRechecksAfterBeforeUnload(t *testing.T) {
	e, c := gcRig(t, 10)
	require.NoError(t, e.SetSplit(mod, map[int]float64{3: 1}))
	revived := false
	e.Subscribe(func(ev Event) {
		if ev.Kind == EventBeforeUnload && !revived {
			revived = true
			assert.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 3: 0.5}))
		}
	})
	require.Equal(t, -1, ticksUntilGone(t, e, 1, gcFrame))
	assert.True(t, revived)
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

// TestListenersMayCallTheEngine calls engine methods from inside listeners
// for every kind of event a scenario produces. A deadlock fails the test
// through the watchdog instead of hanging it.
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
		_, err := e.Metrics(mod)
		ok(err)
		_, err = e.Export(mod)
		ok(err)
		_, err = e.Split(mod)
		ok(err)
		_, err = e.Loaded(mod)
		ok(err)
		_ = e.Now()
		unsub := e.Subscribe(func(Event) {})
		unsub()
	})
	rng := rand.New(rand.NewPCG(63, 63))
	done := make(chan struct{})
	go func() {
		defer close(done)
		assert.NoError(t, e.Load(mod, 1))
		assert.NoError(t, e.Load(mod, 2))
		keys, err := e.Spawn(mod, 1, v1Rows(rng, 20))
		assert.NoError(t, err)
		assert.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
		assert.NoError(t, e.Tick(frame))
		r.faults[2].set(faultPanic)
		assert.NoError(t, e.Tick(frame)) // rollback
		for range 70 {
			assert.NoError(t, e.Tick(frame)) // v2 is idle: GC
		}
		assert.NoError(t, e.Load(mod, 3))
		assert.NoError(t, e.Reload(mod, 3))
		assert.NoError(t, e.Rollback(mod, 3))
		assert.NoError(t, e.Despawn(mod, keys...))
		assert.NoError(t, e.Unload(mod, 1))
		assert.NoError(t, e.RemoveModule(mod))
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
	require.NoError(t, e.Load(mod, 2))
	assert.Equal(t, []string{"a", "b"}, order, "listeners run in subscription order")
	unsubA()
	unsubA() // twice is harmless
	require.NoError(t, e.Load(mod, 3))
	assert.Len(t, a.events, 1)
	assert.Len(t, b.events, 2)
	assert.Equal(t, EventAfterLoad, b.events[1].Kind)
	assert.Equal(t, 3, b.events[1].Version)
}

func TestTickRejectsNegativeDelta(t *testing.T) {
	rng := rand.New(rand.NewPCG(64, 64))
	e := setup(t)
	spawn(t, e, rng, 10)
	require.NoError(t, e.Tick(frame))
	before := state(t, e)
	now := e.Now()
	mm, err := e.Metrics(mod)
	require.NoError(t, err)
	require.ErrorIs(t, e.Tick(-time.Nanosecond), ErrBadDelta)
	assert.Equal(t, now, e.Now())
	requireSameStates(t, before, state(t, e))
	after, err := e.Metrics(mod)
	require.NoError(t, err)
	assert.Equal(t, mm.Frames, after.Frames)
	// A zero step is a frame in which nothing moves.
	require.NoError(t, e.Tick(0))
	requireSameStates(t, before, state(t, e))
}

func TestBadOptions(t *testing.T) {
	for _, o := range []Option{WithBackupEvery(-1), WithFrameBudget(-1), WithClock(nil)} {
		e, err := New(o)
		assert.ErrorIs(t, err, ErrBadOption)
		assert.Nil(t, e)
	}
	e := newEngine(t)
	for _, o := range []ModuleOption{AutoGC(0), AutoGC(-time.Second), RollbackTo(0), RollbackTo(-2)} {
		assert.ErrorIs(t, e.AddModule(mod, o), ErrBadOption)
		_, err := e.Loaded(mod)
		assert.ErrorIs(t, err, ErrUnknownModule, "a module with a bad option is not created")
	}
	_, err := New(WithBackupEvery(0), WithFrameBudget(0), WithStateChecks(false), WithIsolationCheck(true), WithGCMeasurement(false))
	assert.NoError(t, err)
}

func TestReloadKeepsStateAndSwapsLogic(t *testing.T) {
	rng := rand.New(rand.NewPCG(65, 65))
	var fail atomic.Bool
	var made atomic.Int32
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) {
		made.Add(1)
		if fail.Load() {
			return nil, errLogic
		}
		return v1.Logic{}, nil
	}}))
	require.NoError(t, e.Load(mod, 1))
	spawn(t, e, rng, 30)
	require.NoError(t, e.Tick(frame))
	before := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.Reload(mod, 1))
	assert.Equal(t, int32(2), made.Load())
	requireSameStates(t, before, state(t, e))
	assert.Equal(t, []EventKind{EventBeforeUnload, EventAfterUnload, EventAfterLoad}, c.kinds())

	fail.Store(true)
	c.events = nil
	err := e.Reload(mod, 1)
	require.ErrorIs(t, err, ErrLoad)
	assert.ErrorIs(t, err, errLogic)
	assert.Empty(t, c.events)
	requireSameStates(t, before, state(t, e))
	// The old instance still runs.
	require.NoError(t, e.Tick(frame))
	requireStepped(t, before, state(t, e), nil)

	assert.ErrorIs(t, e.Reload(mod, 2), ErrNotLoaded)
	assert.ErrorIs(t, e.Reload("nope", 1), ErrUnknownModule)
}

func TestMetrics(t *testing.T) {
	rng := rand.New(rand.NewPCG(66, 66))
	e, _ := setupAll(t, rng, 100)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 3: 0.5}))
	for range 10 {
		require.NoError(t, e.Tick(frame))
	}
	mm, by := metricsOf(t, e)
	assert.Equal(t, mod, mm.Module)
	assert.Equal(t, 100, mm.Entities)
	assert.Equal(t, uint64(10), mm.Frames)
	require.Len(t, mm.Versions, 3)
	for i, v := range mm.Versions {
		assert.Equal(t, i+1, v.Version, "versions in ascending order")
		assert.Positive(t, v.MemoryBytes)
		assert.Equal(t, 10*frame, v.Uptime)
	}
	assert.Equal(t, uint64(10), by[1].Frames)
	assert.Equal(t, uint64(10), by[3].Frames)
	assert.Zero(t, by[2].Frames, "a version without entities is not stepped")
	assert.Equal(t, 50, by[1].Entities)
	assert.Equal(t, 0.5, by[3].Traffic)
	assert.Contains(t, by[3].Custom, "pairs")
	assert.Nil(t, by[1].Custom)
	_, err := e.Metrics("nope")
	assert.ErrorIs(t, err, ErrUnknownModule)
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
	frames  *int
	saveErr error
	loadErr error
	panics  bool
}

func (l counterLogic) Schedule() ecs.Schedule {
	s := v1.Logic{}.Schedule()
	frames := l.frames
	return append(s, ecs.System{Name: "count", Run: func(*ecs.World, float32) error { *frames++; return nil }})
}

func (l counterLogic) SaveState() ([]byte, error) {
	if l.panics {
		panic("test: save panics")
	}
	return []byte{byte(*l.frames)}, l.saveErr
}

func (l counterLogic) RestoreState(b []byte) error {
	if l.loadErr != nil {
		return l.loadErr
	}
	*l.frames = int(b[0])
	return nil
}

func TestReloadCarriesStatefulLogicState(t *testing.T) {
	var instances []counterLogic
	var next counterLogic // what the next NewLogic returns
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) {
		l := next
		l.frames = new(int)
		instances = append(instances, l)
		return l, nil
	}}))
	require.NoError(t, e.Load(mod, 1))
	spawn(t, e, rand.New(rand.NewPCG(9, 9)), 5)
	for range 7 {
		require.NoError(t, e.Tick(frame))
	}
	require.Equal(t, 7, *instances[0].frames)

	require.NoError(t, e.Reload(mod, 1))
	require.Len(t, instances, 2)
	assert.Equal(t, 7, *instances[1].frames, "state restored into the new instance")
	require.NoError(t, e.Tick(frame))
	assert.Equal(t, 8, *instances[1].frames)
	assert.Equal(t, 7, *instances[0].frames, "the old instance no longer runs")

	// A new instance that cannot restore: the reload fails, the old stays.
	errBad := errors.New("test: bad state")
	next = counterLogic{loadErr: errBad}
	err := e.Reload(mod, 1)
	require.ErrorIs(t, err, ErrLoad)
	require.ErrorIs(t, err, errBad)
	require.NoError(t, e.Tick(frame))
	assert.Equal(t, 9, *instances[1].frames, "the old instance still runs")
	assert.Equal(t, 0, *instances[2].frames)
}

// panickyVersion panics in the methods the flags name.
type panickyVersion struct {
	fakeVersion
	inNumber, inMigrations *bool
}

func (v panickyVersion) Number() int {
	if *v.inNumber {
		panic("test: Number panics")
	}
	return v.fakeVersion.Number()
}

func (v panickyVersion) Migrations() []ecs.Migration {
	if *v.inMigrations {
		panic("test: Migrations panics")
	}
	return v.fakeVersion.Migrations()
}

// TestUserCodePanicsDoNotEscape: bad input and misbehaving versions give
// errors, never a panic out of the engine.
func TestUserCodePanicsDoNotEscape(t *testing.T) {
	e := setup(t)
	spawn(t, e, rand.New(rand.NewPCG(5, 5)), 10)
	_, err := e.Spawn(mod, 1, nil)
	assert.ErrorIs(t, err, ecs.ErrMissingColumns)
	assert.NotPanics(t, func() { e.Subscribe(nil)() })

	inNumber, inMigrations := true, false
	pv := panickyVersion{fakeVersion: fakeVersion{num: 7, migs: []ecs.Migration{identity(1, 7)}}, inNumber: &inNumber, inMigrations: &inMigrations}
	assert.ErrorIs(t, e.Register(mod, pv), ErrBadOption)
	assert.ErrorIs(t, e.Register(mod, pv), ErrPanic)
	inNumber = false
	require.NoError(t, e.Register(mod, pv))
	require.NoError(t, e.Load(mod, 7))
	before := state(t, e)
	inMigrations = true
	var err2 error
	require.NotPanics(t, func() { err2 = e.SetSplit(mod, map[int]float64{7: 1}) })
	assert.ErrorIs(t, err2, ErrMigration)
	assert.ErrorIs(t, err2, ErrPanic)
	requireSameStates(t, before, state(t, e))
	require.NoError(t, e.Tick(frame))
}
