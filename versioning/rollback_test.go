package versioning

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
)

// faultRig is an engine whose versions can be made to fail: faults[n] is
// the switch of version n when it is wrapped.
type faultRig struct {
	e      *Engine
	clock  *fakeClock
	faults map[int]*fault
	events *collector
}

// newRig registers v1, v2 and v3, wrapping those listed in faultyVersions,
// with a fake clock and a 10ms frame budget. Versions step one at a time
// (the fake clock is one for all of them: a slow fault must not make its
// neighbours slow too).
func newRig(t *testing.T, faultyVersions []int, modOpts []ModuleOption, opts ...Option) *faultRig {
	t.Helper()
	return newRigOf(t, []Version{v1.Version{}, v2.Version{}, v3Version(t)}, faultyVersions, modOpts, opts...)
}

// newRigOf is newRig over the given versions.
func newRigOf(t *testing.T, versions []Version, faultyVersions []int, modOpts []ModuleOption, opts ...Option) *faultRig {
	t.Helper()
	r := &faultRig{clock: &fakeClock{}, faults: map[int]*fault{}, events: &collector{}}
	var err error
	r.e, err = New(append([]Option{WithClock(r.clock.Now), WithFrameBudget(budget), WithWorkers(1)}, opts...)...)
	require.NoError(t, err)
	require.NoError(t, r.e.AddModule(game, modOpts...))
	for _, v := range versions {
		for _, n := range faultyVersions {
			if n == v.Number() {
				f := &fault{clock: r.clock}
				r.faults[n] = f
				v = faulty{Version: v, f: f}
			}
		}
		require.NoError(t, r.e.Register(game, v))
	}
	r.e.Subscribe(r.events.listen)
	return r
}

// loadV1V2 loads v1 and v2, spawns n v1 entities, sets split and returns
// the entities' keys.
func (r *faultRig) loadV1V2(t *testing.T, rng *rand.Rand, n int, split map[int]float64) []ecs.Key {
	t.Helper()
	require.NoError(t, r.e.Load(game, 1))
	require.NoError(t, r.e.Load(game, 2))
	keys := spawn(t, r.e, rng, n)
	require.NoError(t, r.e.SetSplit(game, split))
	return keys
}

// servedBy maps every key to version v.
func servedBy(keys []ecs.Key, v int) map[ecs.Key]int {
	out := make(map[ecs.Key]int, len(keys))
	for _, k := range keys {
		out[k] = v
	}
	return out
}

// onVersion lists the keys of st that version v holds.
func onVersion(st map[ecs.Key]entity, v int) []ecs.Key {
	var out []ecs.Key
	for k, en := range st {
		if en.ver == v {
			out = append(out, k)
		}
	}
	return out
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
		faultKeys:   ErrKeysChanged,
	}
	for kind := faultPanic; kind <= faultKeys; kind++ {
		t.Run(kind.String(), func(t *testing.T) {
			rng := newRand(t, 40+uint64(kind))
			r := newRig(t, []int{2}, nil)
			e := r.e
			keys := r.loadV1V2(t, rng, 201, map[int]float64{1: 0.5, 2: 0.5})
			for range 3 {
				require.NoError(t, e.Tick(frame))
			}
			pre := state(t, e)
			onV2 := len(onVersion(pre, 2))
			require.Positive(t, onV2)
			r.events.reset()

			r.faults[2].set(kind)
			require.NoError(t, e.Tick(frame))

			post := checkIndex(t, e)
			requireStepped(t, pre, post, servedBy(keys, 1))
			for _, k := range keys {
				v, err := e.Locate(game, k)
				require.NoError(t, err)
				require.Equal(t, 1, v)
			}

			mm, by := metricsOf(t, e)
			assert.Equal(t, len(keys), mm.Entities)
			assert.Zero(t, mm.FramesMissed)
			assert.Zero(t, mm.Lost)
			assert.True(t, by[2].Failed)
			assert.Equal(t, StateFailed, by[2].State)
			assert.Equal(t, 1, by[2].Errors)
			assert.Zero(t, by[2].Traffic)
			assert.Zero(t, by[2].Entities)
			assert.False(t, by[1].Failed)
			assert.Equal(t, StateActive, by[1].State)
			assert.Equal(t, 1.0, by[1].Traffic)
			assert.Equal(t, len(keys), by[1].Entities)
			split, err := e.Split(game)
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
			assert.Zero(t, ev.Lost)
			se := stepError(t, ev.Err)
			assert.Equal(t, 2, se.Version)
			assert.Equal(t, game, se.Module)
			assert.ErrorIs(t, ev.Err, causes[kind])
			assert.True(t, wrapsSentinel(ev.Err))
			switch kind {
			case faultSlow:
				assert.Empty(t, se.System, "the budget is the whole step's")
				assert.GreaterOrEqual(t, ev.Downtime, 2*budget)
			case faultNaN, faultPosInf, faultNegInf, faultKeys:
				assert.Empty(t, se.System, "found by the check after the step")
			default:
				assert.Equal(t, "fault", se.System)
			}
			for _, other := range []error{ErrPanic, ErrNonFinite, ErrFrameBudget, ErrKeysChanged, errFault} {
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
	rng := newRand(t, 41)
	r := newRig(t, []int{2}, []ModuleOption{AutoGC(10 * time.Second)}, WithGCMeasurement(false))
	e := r.e
	keys := r.loadV1V2(t, rng, 100, map[int]float64{2: 1})
	for range 601 {
		require.NoError(t, e.Tick(frame))
	}
	loaded, err := e.Loaded(game)
	require.NoError(t, err)
	require.Equal(t, []int{2}, loaded, "v1 was collected")
	pre := state(t, e)
	r.events.reset()

	r.faults[2].set(faultPanic)
	require.NoError(t, e.Tick(frame))

	loaded, err = e.Loaded(game)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, loaded)
	requireStepped(t, pre, checkIndex(t, e), servedBy(keys, 1))
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
			rng := newRand(t, 42)
			r := newRig(t, c.faulty, c.modOpts)
			e := r.e
			require.NoError(t, e.Load(game, 1))
			for n := range c.split {
				if n != 1 {
					require.NoError(t, e.Load(game, n))
				}
			}
			keys := spawn(t, e, rng, 100)
			require.NoError(t, e.SetSplit(game, c.split))
			for _, n := range c.failed {
				r.faults[n].set(faultError)
				require.NoError(t, e.Tick(frame))
				r.faults[n].set(faultNone)
				_, by := metricsOf(t, e)
				require.True(t, by[n].Failed)
			}
			loc := locations(t, e, keys)
			prev, err := e.Split(game)
			require.NoError(t, err)
			r.events.reset()
			r.faults[c.fail].set(faultPanic)
			require.NoError(t, e.Tick(frame))
			rb := r.events.of(EventRollback)
			require.Len(t, rb, 1)
			assert.Equal(t, c.fail, rb[0].From)
			assert.Equal(t, c.want, rb[0].To)
			assert.True(t, rb[0].Served)
			for k, v := range loc {
				if v == c.fail {
					now, err := e.Locate(game, k)
					require.NoError(t, err)
					// The re-applied split may move a seat or two on, but
					// never back to the failed version.
					assert.NotEqual(t, c.fail, now)
				}
			}
			split, err := e.Split(game)
			require.NoError(t, err)
			assert.NotContains(t, split, c.fail)
			assert.InDelta(t, prev[c.fail]+prev[c.want], split[c.want], 1e-12)
			checkExact(t, e, nil)
			checkIndex(t, e)
		})
	}
}

// TestFailureIntoPopulatedTarget makes v3 fail in a three-way split: its
// entities are restored, migrated to v2, which already holds entities, and
// both v2's own and the restored entities are stepped exactly once.
func TestFailureIntoPopulatedTarget(t *testing.T) {
	for _, n := range []int{100, 7, 333} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			rng := newRand(t, 43+uint64(n))
			r := newRig(t, []int{3}, nil)
			e := r.e
			for _, v := range allVersions {
				require.NoError(t, e.Load(game, v))
			}
			keys := spawn(t, e, rng, n)
			require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
			require.NoError(t, e.Tick(frame))
			pre := state(t, e)
			served := servedBy(onVersion(pre, 3), 2)
			r.faults[3].set(faultNaN)
			require.NoError(t, e.Tick(frame))
			post := checkIndex(t, e)
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
	rng := newRand(t, 44)
	r := newRigOf(t, []Version{v1.Version{}}, []int{1}, nil)
	e := r.e
	require.NoError(t, e.Load(game, 1))
	spawn(t, e, rng, 50)
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	r.faults[1].set(faultNaN)
	require.NoError(t, e.Tick(frame))
	requireSameStates(t, pre, checkIndex(t, e))
	mm, by := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
	assert.False(t, by[1].Failed)
	assert.Equal(t, StateActive, by[1].State)
	assert.Equal(t, 1, by[1].Errors)
	assert.Equal(t, 1.0, by[1].Traffic)
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.False(t, rb[0].Served)
	assert.Zero(t, rb[0].To)
	assert.ErrorIs(t, rb[0].Err, ErrNoRollback)
	assert.ErrorIs(t, rb[0].Err, ErrNonFinite)
	assert.ErrorIs(t, rb[0].Err, ErrStep)

	r.faults[1].set(faultNone)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
	mm, _ = metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
}

func TestManualRollback(t *testing.T) {
	rng := newRand(t, 45)
	e, keys := setupAll(t, rng, 120)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.25, 2: 0.25, 3: 0.5}))
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
	// Pinning an entity where it is moves nothing (no structural change, so
	// the backups stay those of the last frame).
	require.NoError(t, e.Pin(game, pinned1, 1))
	require.NoError(t, e.Pin(game, pinned3, 3))
	requireSameStates(t, now, state(t, e))
	var c collector
	e.Subscribe(c.listen)

	require.NoError(t, e.Rollback(game, 1))

	post := checkIndex(t, e)
	require.Len(t, post, len(keys))
	require.Len(t, onVersion(post, 1), len(keys), "every entity is on v1")
	requireStatesFrom(t, now, post, func(k ecs.Key, n entity) entity {
		if n.ver == 1 {
			return n // the target's own entities keep their state
		}
		return convert(backed[k], 1) // the others come from their backups
	})
	split, err := e.Split(game)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{1: 1}, split)
	pins, err := e.Pins(game)
	require.NoError(t, err)
	assert.Equal(t, map[ecs.Key]int{pinned1: 1}, pins)
	rb := c.of(EventRollback)
	require.Len(t, rb, 2)
	for i, from := range []int{2, 3} {
		assert.Equal(t, from, rb[i].From)
		assert.Equal(t, 1, rb[i].To)
		assert.NoError(t, rb[i].Err)
		assert.False(t, rb[i].Reloaded)
		assert.Equal(t, len(onVersion(now, from)), rb[i].Entities)
	}
	mm, by := metricsOf(t, e)
	assert.Equal(t, len(keys), mm.Entities)
	assert.False(t, by[2].Failed)
	assert.False(t, by[3].Failed)
	assert.Equal(t, StateIdle, by[2].State)
}

func TestManualRollbackLoadsTarget(t *testing.T) {
	rng := newRand(t, 46)
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	keys := spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(game, map[int]float64{2: 1}))
	require.NoError(t, e.Unload(game, 1))
	pre := state(t, e) // no frame ran: no backup, the current state is used
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.Rollback(game, 1))
	loaded, err := e.Loaded(game)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2}, loaded)
	require.ElementsMatch(t, keys, slices.Collect(maps.Keys(pre)))
	requireStatesFrom(t, pre, checkIndex(t, e), func(_ ecs.Key, p entity) entity { return convert(p, 1) })
	rb := c.of(EventRollback)
	require.Len(t, rb, 1)
	assert.True(t, rb[0].Reloaded)
	assert.Equal(t, []EventKind{EventAfterLoad, EventRollback}, c.kinds())
}

// errMigrate is the error of refusing Convert functions.
var errMigrate = errors.New("test: migration refused")

func refuse(src, dst *ecs.Columns) error { return errMigrate }

func TestManualRollbackErrorsChangeNothing(t *testing.T) {
	rng := newRand(t, 47)
	r := newRig(t, []int{2}, nil)
	e := r.e
	require.NoError(t, e.Register(game, fakeVersion{num: 5, migs: []ecs.Migration{
		{From: 1, To: 5, Convert: refuse}, identity(5, 1), {From: 3, To: 5, Convert: refuse}}}))
	require.NoError(t, e.Register(game, fakeVersion{num: 6})) // no migrations at all
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	keys := spawn(t, e, rng, 60)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	require.NoError(t, e.Tick(frame))
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame)) // v2 fails
	r.faults[2].set(faultNone)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 3: 0.5}))

	before := state(t, e)
	loc := locations(t, e, keys)
	loaded, err := e.Loaded(game)
	require.NoError(t, err)
	r.events.reset()
	for _, c := range []struct {
		target int
		want   error
	}{
		{9, ErrUnknownVersion},
		{2, ErrVersionFailed},
		{5, ErrMigration},
		{6, ErrNoMigrationPath},
	} {
		err := e.Rollback(game, c.target)
		requireErr(t, err, c.want)
		requireSameStates(t, before, state(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		split, err := e.Split(game)
		require.NoError(t, err)
		assert.Equal(t, map[int]float64{1: 0.5, 3: 0.5}, split)
		got, err := e.Loaded(game)
		require.NoError(t, err)
		assert.Equal(t, loaded, got)
		st, err := e.State(game, 2)
		require.NoError(t, err)
		assert.Equal(t, StateFailed, st)
	}
	assertErr(t, e.Rollback("nope", 1), ErrUnknownModule)
	assert.Empty(t, r.events.all(), "a failed rollback delivers no events")
}

// TestManualRollbackToCollectedFailedVersionKeepsFailure: a failed version
// that GC unloaded stays failed; a Rollback to it that fails (its
// migration refuses) must leave it failed, as a failed call changes
// nothing.
func TestManualRollbackToCollectedFailedVersionKeepsFailure(t *testing.T) {
	rng := newRand(t, 147)
	var refusing atomic.Bool
	f := &fault{}
	e := newEngine(t, WithGCMeasurement(false))
	require.NoError(t, e.AddModule(game, AutoGC(time.Second)))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, faulty{f: f, Version: fakeVersion{num: 5, migs: []ecs.Migration{
		{From: 1, To: 5, Convert: func(src, dst *ecs.Columns) error {
			if refusing.Load() {
				return errMigrate
			}
			return nil
		}}, identity(5, 1)}}}))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 5))
	spawn(t, e, rng, 20)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 5: 0.5}))
	f.set(faultError)
	require.NoError(t, e.Tick(frame)) // v5 fails; its entities go to v1
	for range 61 {
		require.NoError(t, e.Tick(frame))
	}
	require.False(t, isLoaded(t, e, 5), "v5 was collected")
	st, err := e.State(game, 5)
	require.NoError(t, err)
	require.Equal(t, StateFailed, st)
	_, by := metricsOf(t, e)
	require.Contains(t, by, 5, "a failed version is listed after GC")
	assert.True(t, by[5].Failed)

	before := state(t, e)
	refusing.Store(true)
	requireErr(t, e.Rollback(game, 5), ErrMigration, errMigrate)
	requireSameStates(t, before, state(t, e))
	assert.False(t, isLoaded(t, e, 5))
	st, err = e.State(game, 5)
	require.NoError(t, err)
	assert.Equal(t, StateFailed, st, "a failed Rollback must not clear the failure")
	_, by = metricsOf(t, e)
	assert.Contains(t, by, 5)

	// Loading it by hand trusts it again.
	require.NoError(t, e.Load(game, 5))
	st, err = e.State(game, 5)
	require.NoError(t, err)
	assert.Equal(t, StateIdle, st)
}

func TestFailedVersionIsRefusedUntilReloaded(t *testing.T) {
	rng := newRand(t, 48)
	r := newRig(t, []int{2}, nil)
	e := r.e
	keys := r.loadV1V2(t, rng, 40, map[int]float64{1: 0.5, 2: 0.5})
	r.faults[2].set(faultPanic)
	require.NoError(t, e.Tick(frame))
	r.faults[2].set(faultNone)

	before := state(t, e)
	err := e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5})
	requireErr(t, err, ErrVersionFailed)
	assert.ErrorIs(t, err, ErrPanic, "the refusal says why the version failed")
	assertErr(t, e.Pin(game, keys[0], 2), ErrVersionFailed)
	assertErr(t, e.Rollback(game, 2), ErrVersionFailed)
	// Weight 0 for a failed version is allowed.
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1, 2: 0}))
	requireSameStates(t, before, state(t, e))

	require.NoError(t, e.Reload(game, 2))
	_, by := metricsOf(t, e)
	assert.False(t, by[2].Failed)
	assert.Equal(t, StateIdle, by[2].State)
	assert.Equal(t, 1, by[2].Errors, "the error count survives a reload")
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	checkExact(t, e, nil)
	pre := state(t, e)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
}

// TestBackupsOff: with backups off a failure moves the entities as the
// failing step left them (v2 had moved them before its fault system
// panicked), and the target steps them again.
func TestBackupsOff(t *testing.T) {
	rng := newRand(t, 49)
	r := newRig(t, []int{2}, nil, WithBackupEvery(0))
	e := r.e
	r.loadV1V2(t, rng, 20, map[int]float64{2: 1})
	pre := state(t, e)
	r.faults[2].set(faultPanic)
	require.NoError(t, e.Tick(frame))
	requireStatesFrom(t, pre, checkIndex(t, e), func(_ ecs.Key, p entity) entity {
		return convert(v1Step(convert(v2Step(p, sec), 1), sec), 1)
	})
}

// TestBackupCadence: with WithBackupEvery(3) a backup is taken before every
// third frame, so a failure restores the state of up to two frames earlier.
func TestBackupCadence(t *testing.T) {
	rng := newRand(t, 50)
	r := newRig(t, []int{2}, nil, WithBackupEvery(3))
	e := r.e
	r.loadV1V2(t, rng, 20, map[int]float64{2: 1})
	var states []map[ecs.Key]entity
	for range 5 {
		states = append(states, state(t, e))
		require.NoError(t, e.Tick(frame))
	}
	// Backups were taken before frames 0 and 3; frame 5 fails and restores
	// the state from before frame 3.
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))
	requireStatesFrom(t, states[3], checkIndex(t, e), func(_ ecs.Key, p entity) entity {
		return convert(v1Step(convert(p, 1), sec), 1)
	})
}

// TestBackupCadenceIntoPopulatedTarget: with a cadence above 1 the target's
// own backup is not current, so it serves the restored entities alone in a
// scratch world: its own entities are stepped once as usual, the restored
// ones once from their (older) backed-up state.
func TestBackupCadenceIntoPopulatedTarget(t *testing.T) {
	rng := newRand(t, 150)
	r := newRig(t, []int{2}, nil, WithBackupEvery(3))
	e := r.e
	r.loadV1V2(t, rng, 40, map[int]float64{1: 0.5, 2: 0.5})
	var states []map[ecs.Key]entity
	for range 5 {
		states = append(states, state(t, e))
		require.NoError(t, e.Tick(frame))
	}
	pre := state(t, e)
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))
	post := checkIndex(t, e)
	requireStatesFrom(t, pre, post, func(k ecs.Key, p entity) entity {
		if p.ver == 1 {
			return v1Step(p, sec)
		}
		return v1Step(convert(states[3][k], 1), sec)
	})
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.True(t, rb[0].Served)
	mm, _ := metricsOf(t, e)
	assert.Zero(t, mm.FramesMissed)
	// The next frame steps everyone once from there.
	require.NoError(t, e.Tick(frame))
	requireStepped(t, post, state(t, e), nil)
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
	de := &DependentsError{Module: "m", Dependents: []string{"a"}}
	assert.ErrorIs(t, de, ErrDependents)
	assert.NotEmpty(t, de.Error())
	pe := &PanicError{Value: errMigrate}
	assert.ErrorIs(t, pe, ErrPanic)
	assert.ErrorIs(t, pe, errMigrate)
	assert.NotEmpty(t, pe.Error())
	assert.NotErrorIs(t, &PanicError{Value: "x"}, errMigrate)
}

// TestTwoFailuresInOneFrame makes v2 and v3 fail in the same frame (v1, v2,
// v3 and v4 all share v1's layout and logic). Both roll back to v1. The
// split is chosen so that re-applying it after v2's recovery could move an
// entity between v1 and v3, which has failed but is not yet recovered.
// Every entity must still be served exactly once from its pre-frame state,
// and no non-finite value may survive.
func TestTwoFailuresInOneFrame(t *testing.T) {
	rng := newRand(t, 51)
	f2, f3 := &fault{}, &fault{}
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, faulty{Version: fakeVersion{num: 2, migs: []ecs.Migration{identity(1, 2), identity(2, 1)}}, f: f2}))
	require.NoError(t, e.Register(game, faulty{Version: fakeVersion{num: 3, migs: []ecs.Migration{identity(1, 3), identity(3, 1)}}, f: f3}))
	require.NoError(t, e.Register(game, fakeVersion{num: 4, migs: []ecs.Migration{identity(1, 4), identity(4, 1)}}))
	for n := 1; n <= 4; n++ {
		require.NoError(t, e.Load(game, n))
	}
	spawn(t, e, rng, 50)
	// Quotas 3, 3, 2, 42. After v2's recovery v1 holds 6 but its quota for
	// weight 0.10 is 5.
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.05, 2: 0.05, 3: 0.05, 4: 0.85}))
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	f2.set(faultError)
	f3.set(faultNaN)
	require.NoError(t, e.Tick(frame))
	post := checkIndex(t, e)
	require.Len(t, post, len(pre))
	for k, p := range pre {
		want := v1Step(p, sec)
		got := post[k]
		assert.True(t, sameMotion(want, got),
			"key %#x (v%d before, v%d after): want %+v, got %+v", uint64(k), p.ver, got.ver, want, got)
		assert.NotContains(t, []int{2, 3}, got.ver)
	}
	rb := c.of(EventRollback)
	require.Len(t, rb, 2)
	for _, ev := range rb {
		assert.True(t, ev.Served)
		assert.Equal(t, 1, ev.To)
	}
	// Each failing version ran its fault system once: nobody served the
	// other's entities.
	assert.Equal(t, int32(2), f2.runs.Load())
	assert.Equal(t, int32(2), f3.runs.Load())
	// The next frame must not fail v1 on a NaN carried over.
	require.NoError(t, e.Tick(frame))
	mm, by := metricsOf(t, e)
	assert.False(t, by[1].Failed)
	assert.Zero(t, mm.FramesMissed)
	assert.Len(t, c.of(EventRollback), 2)
}

// TestIsolationCheck gives a version a system that writes into another
// version's world: with WithIsolationCheck the engine reports it.
func TestIsolationCheck(t *testing.T) {
	rng := newRand(t, 52)
	e := newEngine(t, WithIsolationCheck(true))
	var victim atomic.Pointer[ecs.World]
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, fakeVersion{num: 4, migs: []ecs.Migration{identity(1, 4), identity(4, 1)},
		newLogic: func() (ecs.Logic, error) {
			return schedLogic{{Name: "meddle", Writes: ecs.SetOf(scenario.Position), Run: func(*ecs.View, float32) error {
				if w := victim.Load(); w != nil {
					c := w.Columns()
					ecs.Column(&c, scenario.Position)[0].X++
				}
				return nil
			}}}, nil
		}}))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 4))
	spawn(t, e, rng, 10)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 4: 0.5}))
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.Tick(frame))
	_, by := metricsOf(t, e)
	assert.Zero(t, by[4].IsolationViolations)
	assert.Empty(t, c.of(EventIsolation))

	victim.Store(e.modules[game].versions[1].l.world) // white-box: the world v4 must not touch
	require.NoError(t, e.Tick(frame))
	_, by = metricsOf(t, e)
	assert.Equal(t, 1, by[4].IsolationViolations)
	assert.Zero(t, by[1].IsolationViolations)
	iso := c.of(EventIsolation)
	require.Len(t, iso, 1)
	assert.Equal(t, 4, iso[0].Version)
	assert.Equal(t, 1, iso[0].From)
}

// TestRollbackWhenTargetCannotLoad: v1 was collected and cannot be loaded
// again when v2 fails. v2's entities stay on v2, restored to their state
// before the frame; the frame counts as missed and v2 is not marked failed.
func TestRollbackWhenTargetCannotLoad(t *testing.T) {
	rng := newRand(t, 53)
	var broken atomic.Bool
	f := &fault{}
	e := newEngine(t, WithGCMeasurement(false))
	require.NoError(t, e.AddModule(game, AutoGC(time.Second)))
	require.NoError(t, e.Register(game, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) {
		if broken.Load() {
			return nil, errors.New("test: v1 cannot load")
		}
		return v1.Logic{}, nil
	}}))
	require.NoError(t, e.Register(game, faulty{Version: v2.Version{}, f: f}))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 2))
	keys := spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(game, map[int]float64{2: 1}))
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

	requireSameStates(t, pre, checkIndex(t, e))
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
	requireStepped(t, pre, state(t, e), servedBy(keys, 1))
	mm, _ = metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
}

// TestServingStepFailsKeepsRestoredState: the rollback target also fails
// while serving the restored entities (it writes NaN), and there is no
// further target. The entities must not keep a half-stepped or corrupt
// state: they stay on the target holding exactly their state from before
// the frame, unstepped; the frame counts as missed. Both failing versions
// report a rollback with no target: v2 loses its traffic to v1, v1 keeps
// it.
func TestServingStepFailsKeepsRestoredState(t *testing.T) {
	rng := newRand(t, 54)
	r := newRigOf(t, []Version{v1.Version{}, v2.Version{}}, []int{1, 2}, nil)
	e := r.e
	r.loadV1V2(t, rng, 40, map[int]float64{2: 1})
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	r.events.reset()
	r.faults[2].set(faultError)
	r.faults[1].set(faultNaN) // v1 is empty, so only its serving step runs this
	require.NoError(t, e.Tick(frame))

	// Every entity is on v1 holding its pre-frame state, unstepped.
	post := checkIndex(t, e)
	requireStatesFrom(t, pre, post, func(_ ecs.Key, p entity) entity { return convert(p, 1) })
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 2)
	byFrom := map[int]Event{}
	for _, ev := range rb {
		byFrom[ev.From] = ev
		assert.False(t, ev.Served)
		assert.ErrorIs(t, ev.Err, ErrNoRollback)
	}
	assert.Equal(t, 1, byFrom[2].To)
	assert.ErrorIs(t, byFrom[2].Err, errFault)
	assert.Zero(t, byFrom[1].To)
	assert.ErrorIs(t, byFrom[1].Err, ErrNonFinite)
	assert.Equal(t, 1, stepError(t, byFrom[1].Err).Version)
	mm, by := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
	assert.True(t, by[2].Failed)
	assert.False(t, by[1].Failed)
	assert.Equal(t, 1.0, by[1].Traffic)

	// With v1's fault gone the entities are served from there.
	r.faults[1].set(faultNone)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, post, state(t, e), nil)
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
			require.NoError(t, e.AddModule(game))
			require.NoError(t, e.Register(game, v1.Version{}))
			var broken atomic.Bool
			require.NoError(t, e.Register(game, fakeVersion{num: 2, newLogic: func() (ecs.Logic, error) {
				return schedLogic{{Name: "walk", Run: func(v *ecs.View, _ float32) error {
					q := v.Query()
					for i := 0; q.Next(); i++ {
						if broken.Load() && i == 3 {
							if mode == "panic" {
								panic("test: panic inside a query")
							}
							return nil // leaves the query open
						}
					}
					return nil
				}}}, nil
			}, migs: []ecs.Migration{identity(1, 2), identity(2, 1)}}))
			require.NoError(t, e.Load(game, 1))
			require.NoError(t, e.Load(game, 2))
			spawn(t, e, newRand(t, 3), 20)
			require.NoError(t, e.SetSplit(game, map[int]float64{2: 1}))
			require.NoError(t, e.Tick(frame))
			var c collector
			e.Subscribe(c.listen)
			broken.Store(true)
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
			checkIndex(t, e)
			// The failed version's world is usable again: it can take
			// entities back after a reload.
			broken.Store(false)
			require.NoError(t, e.Reload(game, 2))
			require.NoError(t, e.SetSplit(game, map[int]float64{2: 1}))
			require.NoError(t, e.Tick(frame))
			mm, by = metricsOf(t, e)
			assert.Equal(t, 20, by[2].Entities)
			assert.Zero(t, mm.FramesMissed)
		})
	}
}

// TestDefect1TwoFailuresWithNoTarget: v2 and v3 fail in the same frame and
// v1 is not registered. Neither may serve the other's entities (both failed
// in this frame): each version's entities go back to it in their pre-frame
// state, unserved, with an EventRollback whose Err wraps ErrNoRollback and
// that version's own failure; the frame counts as missed once and both keep
// their traffic.
func TestDefect1TwoFailuresWithNoTarget(t *testing.T) {
	rng := newRand(t, 101)
	r := newRigOf(t, []Version{v2.Version{}, v3Version(t)}, []int{2, 3}, nil)
	e := r.e
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	keys, err := e.Spawn(game, 2, layoutRows(rng, 2, 100))
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(game, map[int]float64{2: 0.5, 3: 0.5}))
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	loc := locations(t, e, keys)
	require.Len(t, onVersion(pre, 2), 50)
	require.Len(t, onVersion(pre, 3), 50)
	runs2, runs3 := r.faults[2].runs.Load(), r.faults[3].runs.Load()
	r.events.reset()

	r.faults[2].set(faultError)
	r.faults[3].set(faultNaN)
	require.NoError(t, e.Tick(frame))

	requireSameStates(t, pre, checkIndex(t, e))
	assert.Equal(t, loc, locations(t, e, keys), "v3's entities never go to v2, nor v2's to v3")
	assert.Equal(t, runs2+1, r.faults[2].runs.Load(), "v2 stepped only its own entities, once")
	assert.Equal(t, runs3+1, r.faults[3].runs.Load(), "v3 stepped only its own entities, once")
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 2)
	byFrom := map[int]Event{}
	for _, ev := range rb {
		byFrom[ev.From] = ev
		assert.False(t, ev.Served)
		assert.Zero(t, ev.To)
		assert.Equal(t, 50, ev.Entities)
		assert.ErrorIs(t, ev.Err, ErrNoRollback)
		assert.Equal(t, ev.From, stepError(t, ev.Err).Version, "each event carries its own version's failure")
	}
	require.Contains(t, byFrom, 2)
	require.Contains(t, byFrom, 3)
	assert.ErrorIs(t, byFrom[2].Err, errFault)
	assert.NotErrorIs(t, byFrom[2].Err, ErrNonFinite)
	assert.ErrorIs(t, byFrom[3].Err, ErrNonFinite)
	assert.NotErrorIs(t, byFrom[3].Err, errFault)
	mm, by := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
	for _, v := range []int{2, 3} {
		assert.False(t, by[v].Failed, "v%d", v)
		assert.Equal(t, 0.5, by[v].Traffic, "v%d", v)
		assert.Equal(t, 1, by[v].Errors, "v%d", v)
	}

	// Healthy again, each serves its own.
	r.faults[2].set(faultNone)
	r.faults[3].set(faultNone)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
	mm, _ = metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
}

// TestDefect4RollbackIntoPopulatedV3: two entities 0.6 apart (radius 0.5),
// one on v2 and one on v3. v2 fails; its entity is restored and served by
// v3 in the same frame. The frame's result must be one v3 step over v3's
// whole world: both entities collided, v3's "pairs" metric 1, and every
// value bit for bit what stepping a fresh v3 world holding both entities'
// pre-frame states gives.
func TestDefect4RollbackIntoPopulatedV3(t *testing.T) {
	r := newRigOf(t, []Version{v2.Version{}, v3Version(t)}, []int{2}, nil)
	e := r.e
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	rows := ecs.MakeColumns(layoutV2, 2)
	pos, vel := ecs.Column(&rows, scenario.Position), ecs.Column(&rows, scenario.Velocity)
	pos[0], pos[1] = scenario.Vec2{X: 500, Y: 400}, scenario.Vec2{X: 500.6, Y: 400}
	vel[0], vel[1] = scenario.Vec2{X: 1, Y: -2}, scenario.Vec2{X: 1, Y: -2}
	keys, err := e.Spawn(game, 2, &rows)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(game, map[int]float64{2: 0.5, 3: 0.5}))
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	require.Len(t, onVersion(pre, 2), 1)
	require.Len(t, onVersion(pre, 3), 1)
	for _, k := range keys {
		require.False(t, pre[k].collided, "apart in different worlds, nothing collides")
	}
	_, by := metricsOf(t, e)
	require.Equal(t, 0.0, by[3].Custom["pairs"])

	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))

	post := checkIndex(t, e)
	// The reference: a fresh v3 world with both pre-frame states (v2's
	// migrated by v3's declared derived step), stepped once by v3's logic.
	ref, err := ecs.NewWorld(layoutV3, 2)
	require.NoError(t, err)
	in := ecs.MakeColumns(layoutV3, 0)
	for _, k := range keys {
		en := convert(pre[k], 3)
		one := ecs.MakeColumns(layoutV3, 1)
		one.Keys[0] = k
		ecs.Column(&one, scenario.Position)[0] = en.pos
		ecs.Column(&one, scenario.Velocity)[0] = en.vel
		ecs.Column(&one, scenario.Collided)[0] = en.collided
		ecs.Column(&one, scenario.Mass)[0] = en.mass
		in.AppendAll(&one)
	}
	require.NoError(t, ref.Append(&in))
	logic, err := v3Version(t).NewLogic()
	require.NoError(t, err)
	for _, sys := range logic.Schedule() {
		require.NoError(t, sys.Run(ref.View(), sec))
	}
	refCols := ref.Columns()
	for i, k := range refCols.Keys {
		want := rowOf(&refCols, 3, i)
		got := post[k]
		assert.True(t, sameState(want, got), "key %#x: want %+v, got %+v", uint64(k), want, got)
		assert.True(t, got.collided, "key %#x: 0.6 apart with radius 0.5 is a contact", uint64(k))
	}
	// And the independent reference agrees.
	want, pairs := v3StepWorld(map[ecs.Key]entity{keys[0]: convert(pre[keys[0]], 3), keys[1]: convert(pre[keys[1]], 3)}, sec)
	assert.Equal(t, 1, pairs)
	requireSameStates(t, want, post)

	_, by = metricsOf(t, e)
	assert.Equal(t, 1.0, by[3].Custom["pairs"], "v3's pairs metric must count the frame's contact")
	assert.Equal(t, 2, by[3].Entities)
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.True(t, rb[0].Served)
	assert.Equal(t, 3, rb[0].To)
	mm, _ := metricsOf(t, e)
	assert.Zero(t, mm.FramesMissed)
}

// TestDefect11BackupsOffLosesOnlyTheNonFiniteEntity: with backups off, v2
// writes NaN into one entity. That entity cannot be restored: it is removed
// from the module (Event.Lost, ModuleMetrics.Lost) and every other entity
// keeps being served every following frame, with one rollback only and no
// missed frame.
func TestDefect11BackupsOffLosesOnlyTheNonFiniteEntity(t *testing.T) {
	rng := newRand(t, 111)
	r := newRig(t, []int{2}, nil, WithBackupEvery(0))
	e := r.e
	keys := r.loadV1V2(t, rng, 50, map[int]float64{1: 0.5, 2: 0.5})
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	onV2 := onVersion(pre, 2)
	require.Len(t, onV2, 25)
	r.events.reset()

	r.faults[2].set(faultNaN) // stays on: v2 keeps writing NaN if it ever steps again
	require.NoError(t, e.Tick(frame))

	post := checkIndex(t, e)
	require.Len(t, post, len(keys)-1)
	var lost []ecs.Key
	for _, k := range keys {
		if _, ok := post[k]; !ok {
			lost = append(lost, k)
			_, err := e.Locate(game, k)
			assertErr(t, err, ErrUnknownEntity)
		}
	}
	require.Len(t, lost, 1)
	assert.Equal(t, 2, pre[lost[0]].ver)
	kept := maps.Clone(pre)
	delete(kept, lost[0])
	requireStatesFrom(t, kept, post, func(_ ecs.Key, p entity) entity {
		if p.ver == 2 { // moved as v2's failing step left it, then served by v1
			return v1Step(convert(v2Step(p, sec), 1), sec)
		}
		return v1Step(p, sec)
	})
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.Equal(t, 1, rb[0].Lost)
	assert.Equal(t, len(onV2), rb[0].Entities+rb[0].Lost)
	assert.True(t, rb[0].Served)
	mm, _ := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.Lost)
	assert.Zero(t, mm.FramesMissed)
	assert.Equal(t, len(keys)-1, mm.Entities)

	// No cascade: everyone left is served every frame.
	for range 5 {
		before := state(t, e)
		require.NoError(t, e.Tick(frame))
		requireStepped(t, before, checkIndex(t, e), nil)
	}
	assert.Len(t, r.events.of(EventRollback), 1)
	mm, by := metricsOf(t, e)
	assert.Zero(t, mm.FramesMissed)
	assert.Equal(t, uint64(1), mm.Lost)
	assert.False(t, by[1].Failed)
}

// TestDefect11BackupsOffNoTarget: the same with no version to roll back
// to: the non-finite entity is removed, the others go back unserved this
// frame, and are served again from the next.
func TestDefect11BackupsOffNoTarget(t *testing.T) {
	rng := newRand(t, 112)
	r := newRigOf(t, []Version{v1.Version{}}, []int{1}, nil, WithBackupEvery(0))
	e := r.e
	require.NoError(t, e.Load(game, 1))
	keys := spawn(t, e, rng, 30)
	r.faults[1].set(faultNaN)
	r.faults[1].skip.Store(1) // the first frame is healthy
	require.NoError(t, e.Tick(frame))
	require.NoError(t, e.Tick(frame))
	r.faults[1].set(faultNone)
	mm, _ := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.Lost)
	assert.Equal(t, uint64(1), mm.FramesMissed)
	assert.Equal(t, len(keys)-1, mm.Entities)
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.Equal(t, 1, rb[0].Lost)
	assert.ErrorIs(t, rb[0].Err, ErrNoRollback)
	for range 3 {
		before := state(t, e)
		require.NoError(t, e.Tick(frame))
		requireStepped(t, before, checkIndex(t, e), nil)
	}
	mm, _ = metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)
}

// TestDefect12SystemWritingKeysFails: a system that writes keys fails its
// version with ErrKeysChanged, and its entities are recovered with nothing
// lost; Locate, Metrics and Export agree afterwards.
func TestDefect12SystemWritingKeysFails(t *testing.T) {
	for _, n := range []int{1, 2, 61} {
		t.Run(fmt.Sprintf("n=%d", n), func(t *testing.T) {
			rng := newRand(t, 121+uint64(n))
			r := newRig(t, []int{2}, nil)
			e := r.e
			keys := r.loadV1V2(t, rng, 2*n, map[int]float64{1: 0.5, 2: 0.5})
			require.NoError(t, e.Tick(frame))
			pre := state(t, e)
			r.events.reset()
			r.faults[2].set(faultKeys)
			require.NoError(t, e.Tick(frame))
			post := checkIndex(t, e)
			requireStepped(t, pre, post, servedBy(keys, 1))
			rb := r.events.of(EventRollback)
			require.Len(t, rb, 1)
			assert.ErrorIs(t, rb[0].Err, ErrKeysChanged)
			assert.Zero(t, rb[0].Lost)
			mm, by := metricsOf(t, e)
			assert.Zero(t, mm.Lost)
			assert.Equal(t, len(keys), mm.Entities)
			assert.True(t, by[2].Failed)
			require.NoError(t, e.Tick(frame))
			requireStepped(t, post, checkIndex(t, e), nil)
		})
	}
}

// TestRollbackTargetLaggingWhileServingFailsByBudget: v2 fails and v1, its
// target, takes too long (by the injected clock) to step its world with the
// restored entities: v1 fails by the frame budget too, and everything it
// held (its own entities and v2's, before the frame) goes on to v3, which
// serves them in the same frame.
func TestRollbackTargetLaggingWhileServingFailsByBudget(t *testing.T) {
	rng := newRand(t, 130)
	r := newRig(t, []int{1, 2}, nil)
	e := r.e
	keys := r.loadV1V2(t, rng, 40, map[int]float64{1: 0.5, 2: 0.5})
	require.NoError(t, e.Tick(frame))
	pre := state(t, e)
	r.events.reset()

	r.faults[2].set(faultError)
	r.faults[1].set(faultSlow)
	r.faults[1].skip.Store(1) // v1's own step is fast; its serving step lags
	require.NoError(t, e.Tick(frame))
	r.faults[1].set(faultNone)

	post := checkIndex(t, e)
	requireStepped(t, pre, post, servedBy(keys, 3))
	for _, k := range keys {
		assert.Equal(t, 3, post[k].ver)
	}
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 2)
	byFrom := map[int]Event{}
	for _, ev := range rb {
		byFrom[ev.From] = ev
		assert.True(t, ev.Served)
		assert.Equal(t, 3, ev.To)
	}
	assert.ErrorIs(t, byFrom[2].Err, errFault)
	assert.ErrorIs(t, byFrom[1].Err, ErrFrameBudget)
	assert.Equal(t, 1, stepError(t, byFrom[1].Err).Version)
	mm, by := metricsOf(t, e)
	assert.Zero(t, mm.FramesMissed)
	assert.True(t, by[1].Failed)
	assert.True(t, by[2].Failed)
	assert.Equal(t, 1.0, by[3].Traffic)
	split, err := e.Split(game)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{3: 1}, split)
}
