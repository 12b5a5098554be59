package versioning_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
)

// run drives an engine with the given number of workers through a seeded
// sequence of splits, injected failures, reloads and frames, and returns one
// line per frame: every version's checksum and the events of the frame.
func deterministicRun(t *testing.T, seed uint64, workers, n, frames int) []string {
	t.Helper()
	e, err := versioning.New(versioning.WithWorkers(workers), versioning.WithFrameBudget(0))
	require.NoError(t, err)
	defer e.Close()
	var events []string
	e.Subscribe(func(ev versioning.Event) {
		events = append(events, fmt.Sprintf("%v v%d %d→%d n=%d served=%v", ev.Kind, ev.Version, ev.From, ev.To, ev.Entities, ev.Served))
	})
	require.NoError(t, e.AddModule("game", versioning.AutoGC(time.Second)))
	require.NoError(t, e.AddModule("fx"))
	three, err := v3.New()
	require.NoError(t, err)
	for _, mod := range []string{"game", "fx"} {
		for _, v := range []versioning.Version{v1.Version{}, v2.Version{}, three} {
			require.NoError(t, e.Register(mod, v))
		}
		require.NoError(t, e.Load(mod, 1))
		rng := rand.New(rand.NewPCG(seed, 1))
		c := ecs.MakeColumns(v1.Layout, n)
		for i := range n {
			ecs.Column(&c, scenario.Position)[i] = scenario.Vec2{X: rng.Float32() * 300, Y: rng.Float32() * 300}
			ecs.Column(&c, scenario.Velocity)[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
		}
		_, err = e.Spawn(mod, 1, &c)
		require.NoError(t, err)
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	var out []string
	for f := range frames {
		mod := []string{"game", "fx"}[rng.IntN(2)]
		switch rng.IntN(10) {
		case 0:
			for _, v := range []int{2, 3} {
				_ = e.Load(mod, v)
			}
			a, b := rng.Float64(), rng.Float64()
			lo, hi := min(a, b), max(a, b)
			_ = e.SetSplit(mod, map[int]float64{1: lo, 2: hi - lo, 3: 1 - hi})
		case 1:
			_ = e.InjectFailure(mod, 1+rng.IntN(3), versioning.PhaseStep, nil)
		case 2:
			_ = e.Reload(mod, 1+rng.IntN(3))
		}
		require.NoError(t, e.Tick(time.Second/60))
		line := fmt.Sprintf("frame %d:", f)
		for _, m := range []string{"game", "fx"} {
			sums, err := e.Checksum(m)
			require.NoError(t, err)
			line += fmt.Sprintf(" %s%v", m, sums)
		}
		out = append(out, line)
		out = append(out, events...)
		events = events[:0]
	}
	return out
}

// TestBitIdenticalAtAnyWorkerCount: the same inputs give the same states,
// the same pairs, and the same events in the same order at 1, 2 and 8
// workers, frame after frame, through splits, failures and reloads.
func TestBitIdenticalAtAnyWorkerCount(t *testing.T) {
	n, frames := 20000, 60
	if testing.Short() || raceEnabled {
		n, frames = 6000, 30
	}
	for _, seed := range []uint64{1, 2} {
		want := deterministicRun(t, seed, 1, n, frames)
		for _, workers := range []int{2, 8} {
			got := deterministicRun(t, seed, workers, n, frames)
			require.Equal(t, len(want), len(got), "seed %d workers %d", seed, workers)
			for i := range want {
				require.Equal(t, want[i], got[i], "seed %d workers %d, line %d", seed, workers, i)
			}
		}
	}
}

// chunkPanic is a version whose system panics inside one chunk of a
// parallel-for: on a worker goroutine, not the caller's.
type chunkPanic struct{ v2.Version }

func (chunkPanic) NewLogic() (ecs.Logic, error) { return chunkPanicLogic{}, nil }

type chunkPanicLogic struct{}

var errChunk = errors.New("chunk bug")

func (chunkPanicLogic) Schedule() ecs.Schedule {
	return ecs.Schedule{{Name: "bad-chunk", Run: func(v *ecs.View, _ float32) error {
		return v.For(v.Len(), 8, func(lo, hi int) {
			if lo > 0 {
				panic(errChunk)
			}
		})
	}}}
}

// TestWorkerPanicFailsOnlyItsVersion: a panic in a chunk on a worker comes
// back as that version's step failure; the others step on.
func TestWorkerPanicFailsOnlyItsVersion(t *testing.T) {
	e, err := versioning.New(versioning.WithWorkers(4), versioning.WithFrameBudget(0))
	require.NoError(t, err)
	defer e.Close()
	var rollbacks []versioning.Event
	e.Subscribe(func(ev versioning.Event) {
		if ev.Kind == versioning.EventRollback {
			rollbacks = append(rollbacks, ev)
		}
	})
	require.NoError(t, e.AddModule("game"))
	require.NoError(t, e.Register("game", v1.Version{}))
	require.NoError(t, e.Register("game", chunkPanic{}))
	require.NoError(t, e.Register("game", v3.Version{}))
	for n := 1; n <= 3; n++ {
		require.NoError(t, e.Load("game", n))
	}
	c := ecs.MakeColumns(v1.Layout, 30000)
	for i := range c.Len() { // spread out: v3's contacts stay few
		ecs.Column(&c, scenario.Position)[i] = scenario.Vec2{X: float32(i % 1000), Y: float32(i / 1000 * 10)}
	}
	_, err = e.Spawn("game", 1, &c)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit("game", map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
	require.NoError(t, e.Tick(time.Second/60))
	require.Len(t, rollbacks, 1)
	assert.Equal(t, 2, rollbacks[0].Version)
	assert.ErrorIs(t, rollbacks[0].Err, versioning.ErrPanic)
	assert.ErrorIs(t, rollbacks[0].Err, errChunk)
	m, err := e.Metrics("game")
	require.NoError(t, err)
	for _, v := range m.Versions {
		assert.Equal(t, v.Version == 2, v.Failed, "v%d", v.Version)
	}
	assert.Equal(t, 30000, m.Entities)
}
