package versioning

import (
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
)

// watchdog is how long a step of a concurrency test may take before the
// test calls it a deadlock.
const watchdog = time.Minute

// within runs fn on the test's goroutine, and crashes the test binary with
// a clear message (and every goroutine's stack) if it has not returned
// within the watchdog: a deadlock must fail the suite, not hang it.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	timer := time.AfterFunc(watchdog, func() {
		panic("deadlock: " + what + " did not return within " + watchdog.String())
	})
	defer timer.Stop()
	fn()
}

// TestConcurrentControlDuringFrames runs a game loop on one goroutine while
// others change the split, pin and unpin, spawn and despawn, read metrics
// and exports, load and unload a spare version, and subscribe listeners.
// Run it with -race. Every export must hold each live key once, and at the
// end the entity count, the pins and the split's exactness must hold.
func TestConcurrentControlDuringFrames(t *testing.T) {
	const (
		n      = 600
		frames = 300
		rounds = 100
		batch  = 5
	)
	rng := newRand(t, 70)
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	keys := spawn(t, e, rng, n)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))

	var events atomic.Int64
	var wg sync.WaitGroup
	run := func(seed uint64, f func(rng *rand.Rand)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(rand.New(rand.NewPCG(seed, seed)))
		}()
	}
	run(1, func(*rand.Rand) {
		for range frames {
			assert.NoError(t, e.Tick(frame))
		}
	})
	run(2, func(rng *rand.Rand) {
		for range rounds {
			assert.NoError(t, e.SetSplit(game, randomSplit(rng, []int{1, 2})))
		}
	})
	// Only this goroutine pins, so it knows the pins at the end.
	pins := map[ecs.Key]int{}
	run(3, func(rng *rand.Rand) {
		for range rounds {
			k := keys[rng.IntN(len(keys))]
			if _, ok := pins[k]; ok && rng.IntN(2) == 0 {
				assert.NoError(t, e.Unpin(game, k))
				delete(pins, k)
				continue
			}
			v := 1 + rng.IntN(2)
			assert.NoError(t, e.Pin(game, k, v))
			pins[k] = v
		}
	})
	run(4, func(rng *rand.Rand) {
		for range rounds / 2 {
			fresh, err := e.Spawn(game, 1, v1Rows(rng, batch))
			if assert.NoError(t, err) {
				assert.NoError(t, e.Despawn(game, fresh...))
			}
		}
	})
	run(5, func(*rand.Rand) {
		for range rounds {
			mm, err := e.Metrics(game)
			if assert.NoError(t, err) {
				assert.True(t, mm.Entities >= n && mm.Entities <= n+batch, "%d entities", mm.Entities)
			}
			ex, err := e.Export(game)
			if !assert.NoError(t, err) {
				continue
			}
			seen := map[ecs.Key]bool{}
			for _, c := range ex {
				for _, k := range c.Keys {
					assert.False(t, seen[k], "key %#x held twice", uint64(k))
					seen[k] = true
				}
			}
			assert.True(t, len(seen) >= n && len(seen) <= n+batch, "%d entities exported", len(seen))
			for _, k := range keys {
				assert.True(t, seen[k], "key %#x missing", uint64(k))
			}
		}
	})
	run(6, func(*rand.Rand) {
		for range rounds / 2 {
			assert.NoError(t, e.Load(game, 3))
			_, err := e.Locate(game, keys[0])
			assert.NoError(t, err)
			assert.NoError(t, e.Unload(game, 3))
		}
	})
	run(7, func(*rand.Rand) {
		for range rounds {
			unsub := e.Subscribe(func(Event) { events.Add(1) })
			_, err := e.Split(game)
			assert.NoError(t, err)
			unsub()
		}
	})
	within(t, "the concurrent scenario", wg.Wait)

	st := checkIndex(t, e)
	require.Len(t, st, n)
	for _, k := range keys {
		_, ok := st[k]
		require.True(t, ok, "key %#x lost", uint64(k))
	}
	got, err := e.Pins(game)
	require.NoError(t, err)
	require.Equal(t, pins, got)
	checkExact(t, e, pins)
	mm, err := e.Metrics(game)
	require.NoError(t, err)
	assert.Equal(t, uint64(frames), mm.Frames)
	assert.Zero(t, mm.FramesMissed)
	// One more frame steps every entity exactly once.
	pre := state(t, e)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
}

// readAll calls every read-only method of the engine about game, and
// returns their errors joined.
func readAll(e *Engine, key ecs.Key) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	_, err := e.Metrics(game)
	add(err)
	_, err = e.Split(game)
	add(err)
	_, err = e.Loaded(game)
	add(err)
	_, err = e.Registered(game)
	add(err)
	if key != 0 { // 0: before the first spawn
		_, err = e.Locate(game, key)
		add(err)
	}
	_, err = e.Pins(game)
	add(err)
	_, err = e.State(game, 1)
	add(err)
	if len(e.Modules()) == 0 {
		add(errors.New("no modules"))
	}
	_ = e.Now()
	_ = e.Frame()
	return errors.Join(errs...)
}

// readerLogic is v1's logic whose every callback calls the engine's
// read-only methods, and counts the calls that failed.
type readerLogic struct {
	v1.Logic
	e      *Engine
	key    *atomic.Uint64
	failed *atomic.Int32
	calls  *atomic.Int32
}

func (l readerLogic) read() {
	l.calls.Add(1)
	if readAll(l.e, ecs.Key(l.key.Load())) != nil {
		l.failed.Add(1)
	}
}

func (l readerLogic) Schedule() ecs.Schedule {
	s := l.Logic.Schedule()
	return append(s, ecs.System{Name: "read", Run: func(*ecs.View, float32) error { l.read(); return nil }})
}

func (l readerLogic) Init(*ecs.View) error                { l.read(); return nil }
func (l readerLogic) Close()                              { l.read() }
func (l readerLogic) ReportMetrics(map[string]float64)    { l.read() }
func (l readerLogic) MemoryBytes() int                    { l.read(); return 0 }
func (l readerLogic) SaveState() ([]byte, error)          { l.read(); return nil, nil }
func (l readerLogic) RestoreState([]byte) error           { l.read(); return nil }
func (l readerLogic) convert(src, dst *ecs.Columns) error { l.read(); return nil }

// TestConcurrentReadsDuringFrames: the read-only methods never wait for a
// frame. (1) While a system blocks in the middle of a frame, another
// goroutine calls every one of them, and they return the state as of the
// last frame boundary. (2) User code that runs during calls (systems, Init,
// Close, ReportMetrics, MemoryBytes, SaveState/RestoreState, Convert) and
// listeners call them without deadlocking. (3) Readers hammer them while
// frames, splits, spawns and despawns run (for -race).
func TestConcurrentReadsDuringFrames(t *testing.T) {
	rng := newRand(t, 71)
	var key atomic.Uint64
	var failed, calls atomic.Int32
	var gate, inside, release = &atomic.Bool{}, make(chan struct{}), make(chan struct{})
	var e *Engine
	logic := func() readerLogic { return readerLogic{e: e, key: &key, failed: &failed, calls: &calls} }
	e = newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, fakeVersion{num: 4,
		migs: []ecs.Migration{{From: 1, To: 4, Convert: func(src, dst *ecs.Columns) error { return logic().convert(src, dst) }},
			{From: 4, To: 1, Convert: func(src, dst *ecs.Columns) error { return logic().convert(src, dst) }}},
		newLogic: func() (ecs.Logic, error) {
			l := logic()
			s := l.Schedule()
			s = append(s, ecs.System{Name: "gate", Run: func(*ecs.View, float32) error {
				if gate.Load() {
					inside <- struct{}{}
					<-release
				}
				return nil
			}})
			return gatedLogic{readerLogic: l, sched: s}, nil
		}}))
	var listened atomic.Int32
	e.Subscribe(func(ev Event) {
		listened.Add(1)
		if readAll(e, ecs.Key(key.Load())) != nil {
			failed.Add(1)
		}
	})
	within(t, "loading and splitting", func() {
		require.NoError(t, e.Load(game, 1))
		require.NoError(t, e.Load(game, 4)) // Init
		keys := spawn(t, e, rng, 100)
		key.Store(uint64(keys[0]))
		require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 4: 0.5})) // Convert
		require.NoError(t, e.Tick(frame))                                     // systems, ReportMetrics, MemoryBytes
		require.NoError(t, e.Reload(game, 4))                                 // Init, SaveState, RestoreState, Close
	})
	assert.Positive(t, calls.Load())
	assert.Positive(t, listened.Load())

	// (1) A frame held in the middle of v4's step.
	_, before := metricsOf(t, e)
	now, fr := e.Now(), e.Frame()
	gate.Store(true)
	ticked := make(chan error, 1)
	go func() { ticked <- e.Tick(frame) }()
	select {
	case <-inside:
	case <-time.After(watchdog):
		t.Fatal("the frame never reached the gate")
	}
	gate.Store(false)
	within(t, "read-only calls during a frame", func() {
		assert.NoError(t, readAll(e, ecs.Key(key.Load())))
		mm, by := metricsOf(t, e)
		assert.Equal(t, 100, mm.Entities)
		assert.Equal(t, before[4].Frames, by[4].Frames, "Metrics reports the last frame boundary")
		split, err := e.Split(game)
		assert.NoError(t, err)
		assert.Equal(t, map[int]float64{1: 0.5, 4: 0.5}, split)
		assert.GreaterOrEqual(t, e.Now(), now)
		assert.GreaterOrEqual(t, e.Frame(), fr)
	})
	close(release)
	select {
	case err := <-ticked:
		assert.NoError(t, err)
	case <-time.After(watchdog):
		t.Fatal("the frame did not finish")
	}
	assert.Equal(t, fr+1, e.Frame())
	assert.Equal(t, now+frame, e.Now())

	// (2) Everything else that runs user code, then unloading (Close).
	within(t, "control calls with reading callbacks", func() {
		require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
		require.NoError(t, e.Tick(frame))
		require.NoError(t, e.Unload(game, 4))
	})
	assert.Zero(t, failed.Load(), "a read-only call failed inside a callback")

	// (3) Readers while frames and control calls run.
	require.NoError(t, e.Load(game, 4))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if !assert.NoError(t, readAll(e, ecs.Key(key.Load())), "reader %d", i) {
					return
				}
				mm, err := e.Metrics(game)
				if assert.NoError(t, err) {
					assert.True(t, mm.Entities >= 100 && mm.Entities <= 110, "%d entities", mm.Entities)
				}
			}
		}()
	}
	within(t, "frames with readers", func() {
		for i := range 60 {
			require.NoError(t, e.Tick(frame))
			if i%10 == 0 {
				require.NoError(t, e.SetSplit(game, randomSplit(rng, []int{1, 4})))
				fresh := spawn(t, e, rng, 10)
				require.NoError(t, e.Despawn(game, fresh...))
			}
		}
	})
	close(stop)
	within(t, "the readers", wg.Wait)
	assert.Zero(t, failed.Load())
	checkIndex(t, e)
}

// gatedLogic is a readerLogic with its own schedule.
type gatedLogic struct {
	readerLogic
	sched ecs.Schedule
}

func (l gatedLogic) Schedule() ecs.Schedule { return l.sched }
