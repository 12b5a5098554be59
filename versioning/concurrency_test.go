package versioning

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
)

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
	rng := rand.New(rand.NewPCG(70, 70))
	e := setup(t)
	require.NoError(t, e.Load(mod, 2))
	keys := spawn(t, e, rng, n)
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))

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
			assert.NoError(t, e.SetSplit(mod, randomSplit(rng, []int{1, 2})))
		}
	})
	// Only this goroutine pins, so it knows the pins at the end.
	pins := map[ecs.Key]int{}
	run(3, func(rng *rand.Rand) {
		for range rounds {
			k := keys[rng.IntN(len(keys))]
			if _, ok := pins[k]; ok && rng.IntN(2) == 0 {
				assert.NoError(t, e.Unpin(mod, k))
				delete(pins, k)
				continue
			}
			v := 1 + rng.IntN(2)
			assert.NoError(t, e.Pin(mod, k, v))
			pins[k] = v
		}
	})
	run(4, func(rng *rand.Rand) {
		for range rounds / 2 {
			fresh, err := e.Spawn(mod, 1, v1Rows(rng, batch))
			if assert.NoError(t, err) {
				assert.NoError(t, e.Despawn(mod, fresh...))
			}
		}
	})
	run(5, func(*rand.Rand) {
		for range rounds {
			mm, err := e.Metrics(mod)
			if assert.NoError(t, err) {
				assert.True(t, mm.Entities >= n && mm.Entities <= n+batch, "%d entities", mm.Entities)
			}
			ex, err := e.Export(mod)
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
			assert.NoError(t, e.Load(mod, 3))
			_, err := e.Locate(mod, keys[0])
			assert.NoError(t, err)
			assert.NoError(t, e.Unload(mod, 3))
		}
	})
	run(7, func(*rand.Rand) {
		for range rounds {
			unsub := e.Subscribe(func(Event) { events.Add(1) })
			_, err := e.Split(mod)
			assert.NoError(t, err)
			unsub()
		}
	})
	wg.Wait()

	st := state(t, e)
	require.Len(t, st, n)
	for _, k := range keys {
		_, ok := st[k]
		require.True(t, ok, "key %#x lost", uint64(k))
	}
	got, err := e.Pins(mod)
	require.NoError(t, err)
	require.Equal(t, pins, got)
	checkExact(t, e, pins)
	mm, err := e.Metrics(mod)
	require.NoError(t, err)
	assert.Equal(t, uint64(frames), mm.Frames)
	assert.Zero(t, mm.FramesMissed)
	// One more frame steps every entity exactly once.
	pre := state(t, e)
	require.NoError(t, e.Tick(frame))
	requireStepped(t, pre, state(t, e), nil)
}
