package versioning

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
)

const budget = 10 * time.Millisecond

// faultRig is an engine whose versions can be made to fail: faults[n] is
// the switch of version n when it is wrapped.
type faultRig struct {
	e      *Engine
	clock  *fakeClock
	faults map[int]*fault
	events *collector
}

// newRig registers v1, v2 and v3, wrapping those listed in faultyVersions,
// with a fake clock and a 10ms frame budget.
func newRig(t *testing.T, faultyVersions []int, modOpts []ModuleOption, opts ...Option) *faultRig {
	t.Helper()
	r := &faultRig{clock: &fakeClock{}, faults: map[int]*fault{}, events: &collector{}}
	r.e = newEngine(t, append([]Option{WithClock(r.clock.Now), WithFrameBudget(budget)}, opts...)...)
	require.NoError(t, r.e.AddModule(mod, modOpts...))
	for _, v := range []Version{v1.Version{}, v2.Version{}, v3Version(t)} {
		for _, n := range faultyVersions {
			if n == v.Number() {
				f := &fault{clock: r.clock, budget: budget}
				r.faults[n] = f
				v = faulty{Version: v, f: f}
			}
		}
		require.NoError(t, r.e.Register(mod, v))
	}
	r.e.Subscribe(r.events.listen)
	return r
}

// stepAs is one frame of version n applied to an entity that version n
// holds, computed independently of the systems. v3 is not covered: the
// tests never need v3 to serve a frame.
func stepAs(t *testing.T, n int, en entity) entity {
	t.Helper()
	switch n {
	case 1:
		return v1Step(en, sec)
	case 2:
		return v2Step(en, sec)
	}
	t.Fatalf("no reference step for v%d", n)
	return en
}

// convert is an entity's state after migrating to version n: the columns n
// lacks are dropped (zero here), a new collided flag starts false, a new
// mass starts at 1.
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
// version that holds it now.
func requireStepped(t *testing.T, pre, post map[ecs.Key]entity, served map[ecs.Key]int) {
	t.Helper()
	require.Equal(t, len(pre), len(post), "the entity count changed")
	for k, p := range pre {
		by, ok := served[k]
		if !ok {
			by = p.ver
		}
		got, ok := post[k]
		require.True(t, ok, "key %#x lost", uint64(k))
		want := convert(stepAs(t, by, convert(p, by)), got.ver)
		require.True(t, sameState(want, got), "key %#x served by v%d: want %+v, got %+v (before %+v)", uint64(k), by, want, got, p)
	}
}

func stepError(t *testing.T, err error) *StepError {
	t.Helper()
	require.ErrorIs(t, err, ErrStep)
	var se *StepError
	require.ErrorAs(t, err, &se)
	return se
}

func metricsOf(t *testing.T, e *Engine) (ModuleMetrics, map[int]VersionMetrics) {
	t.Helper()
	mm, err := e.Metrics(mod)
	require.NoError(t, err)
	by := map[int]VersionMetrics{}
	for _, v := range mm.Versions {
		by[v.Version] = v
	}
	return mm, by
}

// TestFailureRollsBackInTheSameFrame makes v2 fail in each way with half
// the traffic, after its systems already changed the state: its entities
// must be restored, moved to v1 and stepped once by v1 in that frame.
func TestFailureRollsBackInTheSameFrame(t *testing.T) {
	causes := map[faultKind]error{
		faultPanic:  ErrPanic,
		faultError:  errFault,
		faultNaN:    ErrNonFinite,
		faultPosInf: ErrNonFinite,
		faultNegInf: ErrNonFinite,
		faultSlow:   ErrFrameBudget,
	}
	for kind := faultPanic; kind <= faultSlow; kind++ {
		t.Run(kind.String(), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(40, uint64(kind)))
			r := newRig(t, []int{2}, nil)
			e := r.e
			require.NoError(t, e.Load(mod, 1))
			require.NoError(t, e.Load(mod, 2))
			keys := spawn(t, e, rng, 201)
			require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
			for range 3 {
				require.NoError(t, e.Tick(frame))
			}
			pre := state(t, e)
			onV2 := 0
			for _, en := range pre {
				if en.ver == 2 {
					onV2++
				}
			}
			require.Positive(t, onV2)
			r.events.events = nil

			r.faults[2].set(kind)
			require.NoError(t, e.Tick(frame))

			post := state(t, e)
			served := map[ecs.Key]int{}
			for _, k := range keys {
				served[k] = 1
			}
			requireStepped(t, pre, post, served)
			for _, k := range keys {
				v, err := e.Locate(mod, k)
				require.NoError(t, err)
				require.Equal(t, 1, v)
			}

			mm, by := metricsOf(t, e)
			assert.Equal(t, len(keys), mm.Entities)
			assert.Zero(t, mm.FramesMissed)
			assert.True(t, by[2].Failed)
			assert.Equal(t, 1, by[2].Errors)
			assert.Zero(t, by[2].Traffic)
			assert.Zero(t, by[2].Entities)
			assert.False(t, by[1].Failed)
			assert.Equal(t, 1.0, by[1].Traffic)
			assert.Equal(t, len(keys), by[1].Entities)
			split, err := e.Split(mod)
			require.NoError(t, err)
			assert.Equal(t, map[int]float64{1: 1}, split)

			rb := r.events.of(EventRollback)
			require.Len(t, rb, 1)
			ev := rb[0]
			assert.True(t, ev.Served)
			assert.False(t, ev.Reloaded)
			assert.Equal(t, 2, ev.From)
			assert.Equal(t, 1, ev.To)
			assert.Equal(t, onV2, ev.Entities)
			se := stepError(t, ev.Err)
			assert.Equal(t, 2, se.Version)
			assert.Equal(t, mod, se.Module)
			assert.ErrorIs(t, ev.Err, causes[kind])
			switch kind {
			case faultSlow:
				assert.Empty(t, se.System, "the budget is the whole step's")
				assert.GreaterOrEqual(t, ev.Downtime, 2*budget)
			case faultNaN, faultPosInf, faultNegInf:
				assert.Empty(t, se.System)
			default:
				assert.Equal(t, "fault", se.System)
			}
			for _, other := range []error{ErrPanic, ErrNonFinite, ErrFrameBudget, errFault} {
				if other != causes[kind] {
					assert.NotErrorIs(t, ev.Err, other)
				}
			}

			// The next frame is an ordinary v1 frame for everyone.
			pre = post
			require.NoError(t, e.Tick(frame))
			requireStepped(t, pre, state(t, e), nil)
			assert.Len(t, r.events.of(EventRollback), 1)
			mm, _ = metricsOf(t, e)
			assert.Zero(t, mm.FramesMissed)
		})
	}
}

// TestRollbackToCollectedTargetReloadsIt lets GC unload v1 and then makes v2
// fail: v1 is loaded again and serves v2's entities in the same frame.
func TestRollbackToCollectedTargetReloadsIt(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 41))
	r := newRig(t, []int{2}, []ModuleOption{AutoGC(10 * time.Second)}, WithGCMeasurement(false))
	e := r.e
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	keys := spawn(t, e, rng, 100)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	for range 601 {
		require.NoError(t, e.Tick(frame))
	}
	loaded, err := e.Loaded(mod)
	require.NoError(t, err)
	require.Equal(t, []int{2}, loaded, "v1 was collected")
	pre := state(t, e)
	r.events.events = nil

	r.faults[2].set(faultPanic)
	require.NoError(t, e.Tick(frame))

	loaded, err = e.Loaded(mod)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, loaded)
	served := map[ecs.Key]int{}
	for _, k := range keys {
		served[k] = 1
	}
	requireStepped(t, pre, state(t, e), served)
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.True(t, rb[0].Reloaded)
	assert.True(t, rb[0].Served)
	assert.Equal(t, 1, rb[0].To)
	assert.ErrorIs(t, rb[0].Err, ErrPanic)
	require.Len(t, r.events.of(EventAfterLoad), 1)
	assert.Equal(t, 1, r.events.of(EventAfterLoad)[0].Version)
	mm, by := metricsOf(t, e)
	assert.Zero(t, mm.FramesMissed)
	assert.Equal(t, 1.0, by[1].Traffic)
	assert.True(t, by[2].Failed)
}

// TestRollbackTargetRule checks which version a failing version's entities
// go to.
func TestRollbackTargetRule(t *testing.T) {
	cases := []struct {
		name    string
		modOpts []ModuleOption
		faulty  []int
		split   map[int]float64
		failed  []int // versions failed beforehand, in this order
		fail    int
		want    int
	}{
		{name: "highest lower", faulty: []int{3}, split: map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, fail: 3, want: 2},
		{name: "skips failed", faulty: []int{2, 3}, split: map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, failed: []int{2}, fail: 3, want: 1},
		{name: "lowest above", faulty: []int{1}, split: map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, fail: 1, want: 2},
		{name: "lowest above, unloaded", faulty: []int{1}, split: map[int]float64{1: 1}, fail: 1, want: 2},
		{name: "RollbackTo", modOpts: []ModuleOption{RollbackTo(1)}, faulty: []int{3}, split: map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, fail: 3, want: 1},
		{name: "RollbackTo failed falls back to the rule", modOpts: []ModuleOption{RollbackTo(1)}, faulty: []int{1, 3},
			split: map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, failed: []int{1}, fail: 3, want: 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(42, 42))
			r := newRig(t, c.faulty, c.modOpts)
			e := r.e
			require.NoError(t, e.Load(mod, 1))
			for n := range c.split {
				if n != 1 {
					require.NoError(t, e.Load(mod, n))
				}
			}
			keys := spawn(t, e, rng, 100)
			require.NoError(t, e.SetSplit(mod, c.split))
			for _, n := range c.failed {
				r.faults[n].set(faultError)
				require.NoError(t, e.Tick(frame))
				r.faults[n].set(faultNone)
				_, by := metricsOf(t, e)
				require.True(t, by[n].Failed)
			}
			loc := locations(t, e, keys)
			prev, err := e.Split(mod)
			require.NoError(t, err)
			r.events.events = nil
			r.faults[c.fail].set(faultPanic)
			require.NoError(t, e.Tick(frame))
			rb := r.events.of(EventRollback)
			require.Len(t, rb, 1)
			assert.Equal(t, c.fail, rb[0].From)
			assert.Equal(t, c.want, rb[0].To)
			for k, v := range loc {
				if v == c.fail {
					now, err := e.Locate(mod, k)
					require.NoError(t, err)
					// The re-applied split may move a seat or two on, but
					// never back to the failed version.
					assert.NotEqual(t, c.fail, now)
				}
			}
			split, err := e.Split(mod)
			require.NoError(t, err)
			assert.NotContains(t, split, c.fail)
			assert.InDelta(t, prev[c.fail]+prev[c.want], split[c.want], 1e-12)
			checkExact(t, e, nil)
		})
	}
}

// TestFailureIntoPopulatedTarget makes v3 fail in a three-way split: its
// entities are restored, migrated to v2, which already holds entities, and
// both v2's own and the restored entities are stepped exactly once.
func TestFailureIntoPopulatedTarget(t *testing.T) {
	for _, n := range []int{100, 7, 333} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(43, uint64(n)))
			r := newRig(t, []int{3}, nil)
			e := r.e
			for _, v := range allVersions {
				require.NoError(t, e.Load(mod, v))
			}
			keys := spawn(t, e, rng, n)
			require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
			require.NoError(t, e.Tick(frame))
			pre := state(t, e)
			served := map[ecs.Key]int{}
			for k, en := range pre {
				if en.ver == 3 {
					served[k] = 2
				}
			}
			r.faults[3].set(faultNaN)
			require.NoError(t, e.Tick(frame))
			post := state(t, e)
			requireStepped(t, pre, post, served)
			mm, by := metricsOf(t, e)
			assert.Zero(t, mm.FramesMissed)
			assert.Equal(t, len(keys), mm.Entities)
			assert.True(t, by[3].Failed)
			assert.InDelta(t, 0.8, by[2].Traffic, 1e-12)
			rb := r.events.of(EventRollback)
			require.Len(t, rb, 1)
			assert.True(t, rb[0].Served)
			assert.Equal(t, 2, rb[0].To)
			checkExact(t, e, nil)
		})
	}
}

// TestFailureWithNoTarget: the only registered version fails. Its entities
// stay, restored to their state before the frame, the frame counts as
// missed, and the version keeps its traffic.
func TestFailureWithNoTarget(t *testing.T) {
	rng := rand.New(rand.NewPCG(44, 44))
	f := &fault{}
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, faulty{Version: v1.Version{}, f: f}))
	require.NoError(t, e.Load(mod, 1))
	var c collector
	e.Subscribe(c.listen)
	spawn(t, e, rng, 50)
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	f.set(faultNaN)
	require.NoError(t, e.Tick(frame))
	requireSameStates(t, pre, state(t, e))
	mm, by := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
	assert.False(t, by[1].Failed)
	assert.Equal(t, 1, by[1].Errors)
	assert.Equal(t, 1.0, by[1].Traffic)
	rb := c.of(EventRollback)
	require.Len(t, rb, 1)
	assert.False(t, rb[0].Served)
	assert.ErrorIs(t, rb[0].Err, ErrNoRollback)
	assert.ErrorIs(t, rb[0].Err, ErrNonFinite)
	assert.ErrorIs(t, rb[0].Err, ErrStep)

	f.set(faultNone)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
}

func TestManualRollback(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 45))
	e, keys := setupAll(t, rng, 120)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.25, 2: 0.25, 3: 0.5}))
	require.NoError(t, e.Tick(frame))
	backed := state(t, e) // what the next frame's backups will hold
	require.NoError(t, e.Tick(frame))
	now := state(t, e)
	var pinned1, pinned3 ecs.Key
	for k, en := range now {
		if en.ver == 1 && pinned1 == 0 {
			pinned1 = k
		}
		if en.ver == 3 && pinned3 == 0 {
			pinned3 = k
		}
	}
	// Pinning moves nothing here, but is a structural no-op only if the
	// entity is already there.
	require.NoError(t, e.Pin(mod, pinned1, 1))
	require.NoError(t, e.Pin(mod, pinned3, 3))
	var c collector
	e.Subscribe(c.listen)

	require.NoError(t, e.Rollback(mod, 1))

	post := state(t, e)
	require.Len(t, post, len(keys))
	for k, en := range post {
		require.Equal(t, 1, en.ver)
		var want entity
		if now[k].ver == 1 {
			want = now[k] // the target's own entities keep their state
		} else {
			want = convert(backed[k], 1) // the others come from their backups
		}
		require.True(t, sameState(want, en), "key %#x: want %+v, got %+v", uint64(k), want, en)
	}
	split, err := e.Split(mod)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{1: 1}, split)
	pins, err := e.Pins(mod)
	require.NoError(t, err)
	assert.Equal(t, map[ecs.Key]int{pinned1: 1}, pins)
	rb := c.of(EventRollback)
	require.Len(t, rb, 2)
	for i, from := range []int{2, 3} {
		assert.Equal(t, from, rb[i].From)
		assert.Equal(t, 1, rb[i].To)
		assert.NoError(t, rb[i].Err)
		assert.False(t, rb[i].Reloaded)
	}
	mm, by := metricsOf(t, e)
	assert.Equal(t, len(keys), mm.Entities)
	assert.False(t, by[2].Failed)
	assert.False(t, by[3].Failed)
}

func TestManualRollbackLoadsTarget(t *testing.T) {
	rng := rand.New(rand.NewPCG(46, 46))
	e := setup(t)
	require.NoError(t, e.Load(mod, 2))
	keys := spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	require.NoError(t, e.Unload(mod, 1))
	pre := state(t, e) // no frame ran: no backup, the current state is used
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.Rollback(mod, 1))
	loaded, err := e.Loaded(mod)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, loaded)
	post := state(t, e)
	for _, k := range keys {
		require.True(t, sameState(convert(pre[k], 1), post[k]))
	}
	rb := c.of(EventRollback)
	require.Len(t, rb, 1)
	assert.True(t, rb[0].Reloaded)
}

func TestManualRollbackErrorsChangeNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(47, 47))
	r := newRig(t, []int{2}, nil)
	e := r.e
	require.NoError(t, e.Register(mod, fakeVersion{num: 5, migs: []ecs.Migration{
		{From: 1, To: 5, Apply: badMigrations["error"]}, identity(5, 1),
		{From: 2, To: 5, Apply: badMigrations["error"]}}}))
	require.NoError(t, e.Register(mod, fakeVersion{num: 6})) // no migrations at all
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	require.NoError(t, e.Load(mod, 3))
	keys := spawn(t, e, rng, 60)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
	require.NoError(t, e.Tick(frame))
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame)) // v2 fails
	r.faults[2].set(faultNone)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 3: 0.5}))

	before := state(t, e)
	loc := locations(t, e, keys)
	loaded, err := e.Loaded(mod)
	require.NoError(t, err)
	r.events.events = nil
	for _, c := range []struct {
		target int
		want   error
	}{
		{9, ErrUnknownVersion},
		{2, ErrVersionFailed},
		{5, ErrMigration},
		{6, ErrNoMigrationPath},
	} {
		err := e.Rollback(mod, c.target)
		require.ErrorIs(t, err, c.want, "Rollback to v%d", c.target)
		requireSameStates(t, before, state(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		split, err := e.Split(mod)
		require.NoError(t, err)
		assert.Equal(t, map[int]float64{1: 0.5, 3: 0.5}, split)
		got, err := e.Loaded(mod)
		require.NoError(t, err)
		assert.Equal(t, loaded, got)
	}
	assert.ErrorIs(t, e.Rollback("nope", 1), ErrUnknownModule)
	assert.Empty(t, r.events.events, "a failed rollback delivers no events")
}

func TestFailedVersionIsRefusedUntilReloaded(t *testing.T) {
	rng := rand.New(rand.NewPCG(48, 48))
	r := newRig(t, []int{2}, nil)
	e := r.e
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	keys := spawn(t, e, rng, 40)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
	r.faults[2].set(faultPanic)
	require.NoError(t, e.Tick(frame))
	r.faults[2].set(faultNone)

	before := state(t, e)
	err := e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5})
	require.ErrorIs(t, err, ErrVersionFailed)
	assert.ErrorIs(t, err, ErrPanic, "the refusal says why the version failed")
	assert.ErrorIs(t, e.Pin(mod, keys[0], 2), ErrVersionFailed)
	assert.ErrorIs(t, e.Rollback(mod, 2), ErrVersionFailed)
	requireSameStates(t, before, state(t, e))

	require.NoError(t, e.Reload(mod, 2))
	_, by := metricsOf(t, e)
	assert.False(t, by[2].Failed)
	assert.Equal(t, 1, by[2].Errors, "the error count survives a reload")
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
	checkExact(t, e, nil)
	pre := state(t, e)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
}

// TestBackupsOff: with backups off a failure moves the entities as the
// failing step left them (v2 had moved them before its fault system
// panicked), and the target steps them again.
func TestBackupsOff(t *testing.T) {
	rng := rand.New(rand.NewPCG(49, 49))
	r := newRig(t, []int{2}, nil, WithBackupEvery(0))
	e := r.e
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	spawn(t, e, rng, 20)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	pre := state(t, e)
	r.faults[2].set(faultPanic)
	require.NoError(t, e.Tick(frame))
	post := state(t, e)
	for k, p := range pre {
		want := convert(v1Step(convert(v2Step(p, sec), 1), sec), 1)
		require.True(t, sameState(want, post[k]), "key %#x: want %+v, got %+v", uint64(k), want, post[k])
	}
}

// TestBackupCadence: with WithBackupEvery(3) a backup is taken before every
// third frame, so a failure restores the state of up to two frames earlier.
func TestBackupCadence(t *testing.T) {
	rng := rand.New(rand.NewPCG(50, 50))
	r := newRig(t, []int{2}, nil, WithBackupEvery(3))
	e := r.e
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	spawn(t, e, rng, 20)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	var states []map[ecs.Key]entity
	for range 5 {
		states = append(states, state(t, e))
		require.NoError(t, e.Tick(frame))
	}
	// Backups were taken before frames 0 and 3; frame 5 fails and restores
	// the state from before frame 3.
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))
	post := state(t, e)
	for k, p := range states[3] {
		want := convert(v1Step(convert(p, 1), sec), 1)
		require.True(t, sameState(want, post[k]), "key %#x: want %+v, got %+v", uint64(k), want, post[k])
	}
}

func TestStepErrorMessage(t *testing.T) {
	err := &StepError{Module: "m", Version: 2, System: "s", Err: ErrPanic}
	assert.ErrorIs(t, err, ErrStep)
	assert.ErrorIs(t, err, ErrPanic)
	assert.NotEmpty(t, err.Error())
	err.System = ""
	assert.NotEmpty(t, err.Error())
	me := &MigrationError{Module: "m", From: 1, To: 2, Err: errors.New("x")}
	assert.ErrorIs(t, me, ErrMigration)
	assert.NotEmpty(t, me.Error())
}

// TestTwoFailuresInOneFrame makes v2 and v3 fail in the same frame (v1, v2,
// v3 and v4 all share v1's columns and logic). Both roll back to v1. The
// split is chosen so that re-applying it after v2's recovery moves an
// entity between v1 and v3, which has failed but is not yet recovered.
// Every entity must still be served exactly once from its pre-frame state,
// and no non-finite value may survive.
func TestTwoFailuresInOneFrame(t *testing.T) {
	rng := rand.New(rand.NewPCG(51, 51))
	f2, f3 := &fault{}, &fault{}
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, v1.Version{}))
	require.NoError(t, e.Register(mod, faulty{Version: fakeVersion{num: 2, migs: []ecs.Migration{identity(1, 2), identity(2, 1)}}, f: f2}))
	require.NoError(t, e.Register(mod, faulty{Version: fakeVersion{num: 3, migs: []ecs.Migration{identity(1, 3), identity(3, 1)}}, f: f3}))
	require.NoError(t, e.Register(mod, fakeVersion{num: 4, migs: []ecs.Migration{identity(1, 4), identity(4, 1)}}))
	for n := 1; n <= 4; n++ {
		require.NoError(t, e.Load(mod, n))
	}
	spawn(t, e, rng, 50)
	// Quotas 3, 3, 2, 42. After v2's recovery v1 holds 6 but its quota for
	// weight 0.10 is 5, and the seat goes to v3.
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.05, 2: 0.05, 3: 0.05, 4: 0.85}))
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	f2.set(faultError)
	f3.set(faultNaN)
	require.NoError(t, e.Tick(frame))
	post := state(t, e)
	require.Len(t, post, len(pre))
	for k, p := range pre {
		want := v1Step(p, sec)
		got := post[k]
		assert.True(t, bitsEqual(want.pos.X, got.pos.X) && bitsEqual(want.pos.Y, got.pos.Y) &&
			bitsEqual(want.vel.X, got.vel.X) && bitsEqual(want.vel.Y, got.vel.Y),
			"key %#x (v%d before, v%d after): want %+v, got %+v", uint64(k), p.ver, got.ver, want, got)
	}
	rb := c.of(EventRollback)
	require.Len(t, rb, 2)
	for _, ev := range rb {
		assert.True(t, ev.Served)
		assert.Equal(t, 1, ev.To)
	}
	// The next frame must not fail v1 on a NaN carried over.
	require.NoError(t, e.Tick(frame))
	mm, by := metricsOf(t, e)
	assert.False(t, by[1].Failed)
	assert.Zero(t, mm.FramesMissed)
}

// TestIsolationCheck gives a version a system that writes into another
// version's world: with WithIsolationCheck the engine reports it.
func TestIsolationCheck(t *testing.T) {
	rng := rand.New(rand.NewPCG(52, 52))
	e := newEngine(t, WithIsolationCheck(true))
	var victim *ecs.World
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, v1.Version{}))
	require.NoError(t, e.Register(mod, fakeVersion{num: 4, migs: []ecs.Migration{identity(1, 4), identity(4, 1)},
		newLogic: func() (ecs.Logic, error) {
			return schedLogic{{Name: "meddle", Writes: ecs.MaskPosition, Run: func(*ecs.World, float32) error {
				if victim != nil {
					c := victim.Columns()
					c.Position[0].X++
				}
				return nil
			}}}, nil
		}}))
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 4))
	spawn(t, e, rng, 10)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 4: 0.5}))
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.Tick(frame))
	_, by := metricsOf(t, e)
	assert.Zero(t, by[4].IsolationViolations)
	assert.Empty(t, c.of(EventIsolation))

	victim = e.modules[mod].loaded[1].world // white-box: the world v4 must not touch
	require.NoError(t, e.Tick(frame))
	_, by = metricsOf(t, e)
	assert.Equal(t, 1, by[4].IsolationViolations)
	assert.Zero(t, by[1].IsolationViolations)
	iso := c.of(EventIsolation)
	require.Len(t, iso, 1)
	assert.Equal(t, 4, iso[0].Version)
	assert.Equal(t, 1, iso[0].From)
}

// schedLogic is a logic made of the given systems.
type schedLogic ecs.Schedule

func (s schedLogic) Schedule() ecs.Schedule { return ecs.Schedule(s) }

// TestRollbackWhenTargetCannotLoad: v1 was collected and cannot be loaded
// again when v2 fails. v2's entities stay on v2, restored to their state
// before the frame; the frame counts as missed and v2 is not marked failed.
func TestRollbackWhenTargetCannotLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(53, 53))
	var broken atomic.Bool
	f := &fault{}
	e := newEngine(t, WithGCMeasurement(false))
	require.NoError(t, e.AddModule(mod, AutoGC(time.Second)))
	require.NoError(t, e.Register(mod, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) {
		if broken.Load() {
			return nil, errors.New("test: v1 cannot load")
		}
		return v1.Logic{}, nil
	}}))
	require.NoError(t, e.Register(mod, faulty{Version: v2.Version{}, f: f}))
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	for range 61 {
		require.NoError(t, e.Tick(frame))
	}
	require.False(t, isLoaded(t, e, 1))
	pre := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	broken.Store(true)
	f.set(faultError)
	require.NoError(t, e.Tick(frame))

	requireSameStates(t, pre, state(t, e))
	mm, by := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
	assert.False(t, by[2].Failed)
	assert.Equal(t, 1.0, by[2].Traffic)
	assert.False(t, isLoaded(t, e, 1))
	rb := c.of(EventRollback)
	require.Len(t, rb, 1)
	assert.False(t, rb[0].Served)
	assert.ErrorIs(t, rb[0].Err, ErrLoad)
	assert.ErrorIs(t, rb[0].Err, errFault)

	// Once v1 loads again, the next failing frame rolls back normally.
	broken.Store(false)
	require.NoError(t, e.Tick(frame))
	served := map[ecs.Key]int{}
	for k := range pre {
		served[k] = 1
	}
	requireStepped(t, pre, state(t, e), served)
	mm, _ = metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
}

// TestServingStepFailsKeepsRestoredState: the rollback target also fails
// while serving the restored entities (it writes NaN). They must not keep a
// half-stepped or corrupt state: they stay on the target holding exactly
// their state from before the frame, unstepped, and the frame counts as
// missed.
func TestServingStepFailsKeepsRestoredState(t *testing.T) {
	rng := rand.New(rand.NewPCG(45, 45))
	f1, f2 := &fault{}, &fault{}
	e := newEngine(t)
	require.NoError(t, e.AddModule(mod))
	require.NoError(t, e.Register(mod, faulty{Version: v1.Version{}, f: f1}))
	require.NoError(t, e.Register(mod, faulty{Version: v2.Version{}, f: f2}))
	require.NoError(t, e.Load(mod, 1))
	require.NoError(t, e.Load(mod, 2))
	spawn(t, e, rng, 40)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	f2.set(faultError)
	f1.set(faultNaN) // v1 is empty, so only its serving step runs this
	require.NoError(t, e.Tick(frame))

	post := state(t, e)
	require.Len(t, post, len(pre))
	for k, en := range pre {
		got := post[k]
		assert.Equal(t, 1, got.ver)
		assert.True(t, bitsEqual(en.pos.X, got.pos.X) && bitsEqual(en.pos.Y, got.pos.Y) &&
			bitsEqual(en.vel.X, got.vel.X) && bitsEqual(en.vel.Y, got.vel.Y),
			"entity %#x: must hold its pre-frame state, unstepped", uint64(k))
	}
	rb := c.of(EventRollback)
	require.Len(t, rb, 1)
	assert.False(t, rb[0].Served)
	mm, _ := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
}

// TestPanicInsideQueryLoop: a system that panics in the middle of a
// per-entity query leaves arche's world locked. The engine must still
// recover (restore, move, serve) without a panic escaping Tick, and a system
// that merely forgets to close a query fails its version instead of breaking
// the next structural change.
func TestPanicInsideQueryLoop(t *testing.T) {
	for _, mode := range []string{"panic", "leak"} {
		t.Run(mode, func(t *testing.T) {
			e := newEngine(t)
			require.NoError(t, e.AddModule(mod))
			require.NoError(t, e.Register(mod, v1.Version{}))
			broken := false
			require.NoError(t, e.Register(mod, fakeVersion{num: 2, newLogic: func() (ecs.Logic, error) {
				return scheduleLogic{{Name: "walk", Run: func(w *ecs.World, _ float32) error {
					q := w.Query()
					for i := 0; q.Next(); i++ {
						if broken && i == 3 {
							if mode == "panic" {
								panic("test: panic inside a query")
							}
							return nil // leaves the query open
						}
					}
					return nil
				}}}, nil
			}, migs: []ecs.Migration{identity(1, 2), identity(2, 1)}}))
			require.NoError(t, e.Load(mod, 1))
			require.NoError(t, e.Load(mod, 2))
			spawn(t, e, rand.New(rand.NewPCG(3, 3)), 20)
			require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
			require.NoError(t, e.Tick(frame))
			var c collector
			e.Subscribe(c.listen)
			broken = true
			require.NotPanics(t, func() { require.NoError(t, e.Tick(frame)) })
			rb := c.of(EventRollback)
			require.Len(t, rb, 1)
			assert.True(t, rb[0].Served)
			if mode == "panic" {
				assert.ErrorIs(t, rb[0].Err, ErrPanic)
			} else {
				assert.ErrorIs(t, rb[0].Err, ErrOpenQuery)
			}
			mm, by := metricsOf(t, e)
			assert.Equal(t, 20, by[1].Entities)
			assert.Equal(t, 20, mm.Entities)
			// The failed version's world is usable again: it can take
			// entities back after a reload.
			broken = false
			require.NoError(t, e.Reload(mod, 2))
			require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
			require.NoError(t, e.Tick(frame))
		})
	}
}

// scheduleLogic is a logic made of the given systems.
type scheduleLogic ecs.Schedule

func (s scheduleLogic) Schedule() ecs.Schedule { return ecs.Schedule(s) }
