package versioning

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// logRecord is one record a logSink received, with its attributes by key.
type logRecord struct {
	level slog.Level
	msg   string
	keys  []string // in the order they came
	attrs map[string]slog.Value
}

// logSink is a slog.Handler that records what it is given. It is safe for
// concurrent use; handlers derived with WithAttrs share its records.
type logSink struct {
	min     slog.Level
	pre     []slog.Attr
	mu      *sync.Mutex
	records *[]logRecord
	asked   *atomic.Int64 // calls to Enabled
}

func newLogSink(min slog.Level) *logSink {
	return &logSink{min: min, mu: &sync.Mutex{}, records: &[]logRecord{}, asked: &atomic.Int64{}}
}

func (h *logSink) Enabled(_ context.Context, l slog.Level) bool {
	h.asked.Add(1)
	return l >= h.min
}

func (h *logSink) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{level: r.Level, msg: r.Message, attrs: map[string]slog.Value{}}
	add := func(a slog.Attr) bool {
		rec.keys = append(rec.keys, a.Key)
		rec.attrs[a.Key] = a.Value
		return true
	}
	for _, a := range h.pre {
		add(a)
	}
	r.Attrs(add)
	h.mu.Lock()
	defer h.mu.Unlock()
	*h.records = append(*h.records, rec)
	return nil
}

func (h *logSink) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.pre = append(slices.Clone(h.pre), as...)
	return &c
}

func (h *logSink) WithGroup(string) slog.Handler { return h }

func (h *logSink) all() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(*h.records)
}

// tickingClock is a wall clock that advances 1µs on every reading, so that
// every duration the engine measures is positive (a duration of 0 is not
// logged) and no step comes near a frame budget.
func tickingClock() Option {
	var now atomic.Int64
	return WithClock(func() time.Duration { return time.Duration(now.Add(int64(time.Microsecond))) })
}

// logValue is the attribute an event field must be logged as.
var logValue = map[string]func(ev Event) slog.Value{
	"event":        func(ev Event) slog.Value { return slog.StringValue(ev.Kind.String()) },
	"module":       func(ev Event) slog.Value { return slog.StringValue(ev.Module) },
	"frame":        func(ev Event) slog.Value { return slog.Uint64Value(ev.Frame) },
	"sim_time":     func(ev Event) slog.Value { return slog.DurationValue(ev.SimTime) },
	"version":      func(ev Event) slog.Value { return slog.IntValue(ev.Version) },
	"from":         func(ev Event) slog.Value { return slog.IntValue(ev.From) },
	"to":           func(ev Event) slog.Value { return slog.IntValue(ev.To) },
	"entities":     func(ev Event) slog.Value { return slog.IntValue(ev.Entities) },
	"duration":     func(ev Event) slog.Value { return slog.DurationValue(ev.Duration) },
	"downtime":     func(ev Event) slog.Value { return slog.DurationValue(ev.Downtime) },
	"served":       func(ev Event) slog.Value { return slog.BoolValue(ev.Served) },
	"reloaded":     func(ev Event) slog.Value { return slog.BoolValue(ev.Reloaded) },
	"tolerated":    func(ev Event) slog.Value { return slog.BoolValue(ev.Tolerated) },
	"lost":         func(ev Event) slog.Value { return slog.IntValue(ev.Lost) },
	"idle_for":     func(ev Event) slog.Value { return slog.DurationValue(ev.IdleFor) },
	"memory_bytes": func(ev Event) slog.Value { return slog.Int64Value(ev.MemoryBytes) },
	"freed_bytes":  func(ev Event) slog.Value { return slog.Int64Value(ev.Freed) },
	"error":        func(ev Event) slog.Value { return slog.StringValue(ev.Err.Error()) },
}

// logRequired lists, per kind, the attributes a record must carry besides
// event, module, frame and sim_time (the fields the kind uses; fields that
// are zero, such as a rollback's target when there is none, may be left
// out).
var logRequired = map[EventKind][]string{
	EventAfterLoad:    {"version", "duration"},
	EventBeforeUnload: {"version"},
	EventAfterUnload:  {"version"},
	EventMigration:    {"from", "to", "entities", "duration"},
	EventGC:           {"version", "duration", "idle_for", "memory_bytes", "freed_bytes"},
	EventRollback:     {"from", "entities", "duration", "downtime", "served"},
	EventIsolation:    {"version", "from"},
	EventError:        {"error"},
}

// checkLogged checks that the sink received exactly the events the
// listener did, in order, each at want(ev)'s level, with the message
// "grove: <kind>" and every attribute typed and equal to the event's field.
func checkLogged(t *testing.T, sink *logSink, events []Event, want func(Event) slog.Level) {
	t.Helper()
	recs := sink.all()
	require.Len(t, recs, len(events))
	for i, ev := range events {
		rec := recs[i]
		assert.Equal(t, want(ev), rec.level, "%v", ev.Kind)
		assert.Equal(t, "grove: "+ev.Kind.String(), rec.msg)
		assert.Equal(t, []string{"event", "module", "frame", "sim_time"}, rec.keys[:4], "%v", ev.Kind)
		for _, k := range logRequired[ev.Kind] {
			assert.Contains(t, rec.attrs, k, "%v", ev.Kind)
		}
		if ev.Err != nil {
			assert.Contains(t, rec.attrs, "error", "%v", ev.Kind)
		}
		for k, got := range rec.attrs {
			f, ok := logValue[k]
			if !assert.True(t, ok, "%v: unexpected attribute %q", ev.Kind, k) {
				continue
			}
			assert.True(t, f(ev).Equal(got), "%v: %s = %v (%v), want %v (%v)", ev.Kind, k, got, got.Kind(), f(ev), f(ev).Kind())
		}
	}
}

// TestLoggerLifecycleEvents: loads, migrations, unloads, GC and a rollback
// by hand reach the logger at Info, each with its attributes, in the order
// the listeners get them.
func TestLoggerLifecycleEvents(t *testing.T) {
	sink := newLogSink(slog.LevelDebug)
	r := newRig(t, nil, []ModuleOption{AutoGC(time.Second)},
		tickingClock(), WithGCMeasurement(false), WithLogger(slog.New(sink)))
	e := r.e
	rng := newRand(t, 11)
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 2))
	spawn(t, e, rng, 40)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	require.NoError(t, e.Tick(frame))
	require.NoError(t, e.Rollback(game, 1))
	require.NoError(t, e.Unload(game, 2))
	require.NoError(t, e.Load(game, 3))
	for range 90 { // v3 never gets traffic: collected after 1 s idle
		require.NoError(t, e.Tick(frame))
	}

	events := r.events.all()
	for _, k := range []EventKind{EventAfterLoad, EventMigration, EventRollback, EventBeforeUnload, EventAfterUnload, EventGC} {
		assert.Contains(t, r.events.kinds(), k)
	}
	checkLogged(t, sink, events, func(Event) slog.Level { return slog.LevelInfo })

	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.Nil(t, rb[0].Err)
	gc := r.events.of(EventGC)
	require.Len(t, gc, 1)
	assert.Equal(t, 3, gc[0].Version)
}

// TestLoggerRecoveredFailures: a failure whose entities were served by the
// rollback target, and one the failure policy tolerated, are Warn.
func TestLoggerRecoveredFailures(t *testing.T) {
	for _, tc := range []struct {
		name      string
		modOpts   []ModuleOption
		tolerated bool
	}{
		{"served", nil, false},
		{"tolerated", []ModuleOption{Tolerate(FailurePolicy{MaxRate: 0.5})}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := newLogSink(slog.LevelDebug)
			r := newRig(t, []int{2}, tc.modOpts, tickingClock(), WithLogger(slog.New(sink)))
			e := r.e
			require.NoError(t, e.Load(game, 1))
			require.NoError(t, e.Load(game, 2))
			spawn(t, e, newRand(t, 12), 40)
			require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
			require.NoError(t, e.Tick(frame))
			r.events.reset()
			*sink.records = nil

			r.faults[2].set(faultError)
			require.NoError(t, e.Tick(frame))

			rb := r.events.of(EventRollback)
			require.Len(t, rb, 1)
			assert.True(t, rb[0].Served)
			assert.Equal(t, tc.tolerated, rb[0].Tolerated)
			checkLogged(t, sink, r.events.all(), func(ev Event) slog.Level {
				if ev.Kind == EventRollback {
					return slog.LevelWarn
				}
				return slog.LevelInfo
			})
			rec := sink.all()[slices.IndexFunc(r.events.all(), func(ev Event) bool { return ev.Kind == EventRollback })]
			assert.Contains(t, rec.attrs["error"].String(), errFault.Error())
			assert.True(t, rec.attrs["served"].Bool())
			if tc.tolerated {
				assert.True(t, rec.attrs["tolerated"].Bool())
			} else {
				assert.NotContains(t, rec.attrs, "tolerated")
			}
		})
	}
}

// TestLoggerUnrecoveredFailures: a failure with no version to serve its
// entities, one that lost entities, an isolation violation and a listener
// that panics are Error.
func TestLoggerUnrecoveredFailures(t *testing.T) {
	errorLevel := func(ev Event) slog.Level {
		switch ev.Kind {
		case EventRollback, EventIsolation, EventError:
			return slog.LevelError
		}
		return slog.LevelInfo
	}

	t.Run("unserved", func(t *testing.T) {
		sink := newLogSink(slog.LevelDebug)
		r := newRigOf(t, []Version{v1.Version{}}, []int{1}, nil, tickingClock(), WithLogger(slog.New(sink)))
		require.NoError(t, r.e.Load(game, 1))
		spawn(t, r.e, newRand(t, 13), 20)
		r.faults[1].set(faultPanic)
		require.NoError(t, r.e.Tick(frame))
		rb := r.events.of(EventRollback)
		require.Len(t, rb, 1)
		require.False(t, rb[0].Served)
		checkLogged(t, sink, r.events.all(), errorLevel)
		rec := sink.all()[len(sink.all())-1]
		assert.False(t, rec.attrs["served"].Bool())
		assert.NotContains(t, rec.attrs, "to", "no target")
	})

	t.Run("lost", func(t *testing.T) {
		sink := newLogSink(slog.LevelDebug)
		r := newRig(t, []int{2}, nil, tickingClock(), WithBackupEvery(0), WithLogger(slog.New(sink)))
		require.NoError(t, r.e.Load(game, 1))
		require.NoError(t, r.e.Load(game, 2))
		spawn(t, r.e, newRand(t, 14), 40)
		require.NoError(t, r.e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
		r.faults[2].set(faultNaN)
		require.NoError(t, r.e.Tick(frame))
		rb := r.events.of(EventRollback)
		require.Len(t, rb, 1)
		require.True(t, rb[0].Served)
		require.Equal(t, 1, rb[0].Lost)
		checkLogged(t, sink, r.events.all(), errorLevel)
	})

	t.Run("isolation", func(t *testing.T) {
		// v1 keeps its view's columns; v2 writes into them while it steps.
		var stolen ecs.Columns
		keep := schedLogic{{Name: "keep", Reads: ecs.SetOf(scenario.Position), Run: func(v *ecs.View, _ float32) error {
			stolen = v.Columns()
			return nil
		}}}
		poke := schedLogic{{Name: "poke", Reads: ecs.SetOf(scenario.Position), Run: func(*ecs.View, float32) error {
			if stolen.Len() > 0 {
				ecs.Column(&stolen, scenario.Position)[0].X++
			}
			return nil
		}}}
		sink := newLogSink(slog.LevelDebug)
		e := newEngine(t, tickingClock(), WithIsolationCheck(true), WithLogger(slog.New(sink)))
		var events collector
		e.Subscribe(events.listen)
		require.NoError(t, e.AddModule(game))
		require.NoError(t, e.Register(game, fakeVersion{num: 1, newLogic: func() (ecs.Logic, error) { return keep, nil }}))
		require.NoError(t, e.Register(game, fakeVersion{num: 2, migs: []ecs.Migration{identity(1, 2), identity(2, 1)},
			newLogic: func() (ecs.Logic, error) { return poke, nil }}))
		require.NoError(t, e.Load(game, 1))
		require.NoError(t, e.Load(game, 2))
		spawn(t, e, newRand(t, 15), 20)
		require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
		require.NoError(t, e.Tick(frame))
		iso := events.of(EventIsolation)
		require.Len(t, iso, 1)
		assert.Equal(t, 2, iso[0].Version)
		assert.Equal(t, 1, iso[0].From)
		checkLogged(t, sink, events.all(), errorLevel)
	})

	t.Run("listener panic", func(t *testing.T) {
		sink := newLogSink(slog.LevelDebug)
		e := newEngine(t, tickingClock(), WithLogger(slog.New(sink)))
		var events collector
		e.Subscribe(events.listen)
		e.Subscribe(func(Event) { panic("listener bug") })
		require.NoError(t, e.AddModule(game))
		require.NoError(t, e.Register(game, v1.Version{}))
		require.NoError(t, e.Load(game, 1))
		require.Equal(t, []EventKind{EventAfterLoad, EventError}, events.kinds())
		assert.ErrorIs(t, events.of(EventError)[0].Err, ErrListener)
		checkLogged(t, sink, events.all(), errorLevel)
	})
}

// TestLoggerLevels: a logger whose handler is set to Warn gets only the
// failures, and is asked before anything is built for a record it drops.
func TestLoggerLevels(t *testing.T) {
	sink := newLogSink(slog.LevelWarn)
	r := newRig(t, []int{2}, nil, tickingClock(), WithLogger(slog.New(sink)))
	e := r.e
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 2))
	spawn(t, e, newRand(t, 16), 40)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	asked := sink.asked.Load()
	assert.Positive(t, asked, "the loads and the migration were offered")
	assert.Empty(t, sink.all(), "Info records dropped")
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))
	recs := sink.all()
	require.Len(t, recs, 1)
	assert.Equal(t, slog.LevelWarn, recs[0].level)
	assert.Equal(t, "rollback", recs[0].attrs["event"].String())

	// Records carry the logger's own attributes too.
	sink2 := newLogSink(slog.LevelInfo)
	e2 := newEngine(t, tickingClock(), WithLogger(slog.New(sink2).With("server", "eu-1")))
	require.NoError(t, e2.AddModule(game))
	require.NoError(t, e2.Register(game, v1.Version{}))
	require.NoError(t, e2.Load(game, 1))
	recs = sink2.all()
	require.Len(t, recs, 1)
	assert.Equal(t, "eu-1", recs[0].attrs["server"].String())
	assert.Equal(t, "after-load", recs[0].attrs["event"].String())
}

// TestEventLevel is eventLevel's table, as WithLogger documents it.
func TestEventLevel(t *testing.T) {
	for _, tc := range []struct {
		ev   Event
		want slog.Level
	}{
		{Event{Kind: EventAfterLoad}, slog.LevelInfo},
		{Event{Kind: EventBeforeUnload}, slog.LevelInfo},
		{Event{Kind: EventAfterUnload}, slog.LevelInfo},
		{Event{Kind: EventMigration}, slog.LevelInfo},
		{Event{Kind: EventGC}, slog.LevelInfo},
		{Event{Kind: EventRollback}, slog.LevelInfo}, // by hand
		{Event{Kind: EventRollback, Err: errFault, Served: true}, slog.LevelWarn},
		{Event{Kind: EventRollback, Err: errFault, Served: true, Tolerated: true}, slog.LevelWarn},
		{Event{Kind: EventRollback, Err: errFault}, slog.LevelError},
		{Event{Kind: EventRollback, Err: errFault, Served: true, Lost: 1}, slog.LevelError},
		{Event{Kind: EventIsolation}, slog.LevelError},
		{Event{Kind: EventError, Err: errFault}, slog.LevelError},
	} {
		assert.Equal(t, tc.want, eventLevel(&tc.ev), "%+v", tc.ev)
	}
}
