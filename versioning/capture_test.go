package versioning

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// TestIncrementalCaptureEqualsAFreshOne: capturing again and again into the
// same snapshot (which copies only what the schedule writes while the
// worlds keep their structure) always equals a fresh capture, whatever
// happened in between: frames, moves, spawns, despawns, commands, reloads,
// failures.
func TestIncrementalCaptureEqualsAFreshOne(t *testing.T) {
	seed := uint64(5)
	rng := rand.New(rand.NewPCG(seed, 5))
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	c := ecs.MakeColumns(layoutV1, 300)
	for i := range c.Len() {
		ecs.Column(&c, scenario.Position)[i] = scenario.Vec2{X: float32(i), Y: float32(i % 17)}
		ecs.Column(&c, scenario.Velocity)[i] = scenario.Vec2{X: 1, Y: -1}
	}
	keys, err := e.Spawn(game, 1, &c)
	require.NoError(t, err)
	var inc Snapshot
	for step := range 200 {
		switch rng.IntN(8) {
		case 0:
			a := rng.Float64()
			require.NoError(t, e.SetSplit(game, map[int]float64{1: a, 3: 1 - a}))
		case 1:
			k := keys[rng.IntN(len(keys))]
			if _, err := e.Locate(game, k); err == nil {
				_ = SetComponent(e, game, k, scenario.Velocity, scenario.Vec2{X: float32(step), Y: 2})
			}
		case 2:
			_ = e.Reload(game, 1+rng.IntN(3))
		case 3:
			more := ecs.MakeColumns(layoutV1, rng.IntN(5))
			ks, err := e.Spawn(game, 1, &more)
			require.NoError(t, err)
			keys = append(keys, ks...)
		default:
			require.NoError(t, e.Tick(frame))
		}
		if rng.IntN(3) == 0 {
			continue
		}
		require.NoError(t, e.CaptureInto(&inc))
		fresh, err := e.Capture()
		require.NoError(t, err)
		require.Equal(t, len(fresh.Modules), len(inc.Modules))
		for i := range fresh.Modules {
			fm, im := &fresh.Modules[i], &inc.Modules[i]
			require.Equal(t, fm.Gens, im.Gens, "seed %d step %d", seed, step)
			require.Equal(t, fm.Free, im.Free, "seed %d step %d", seed, step)
			require.Equal(t, len(fm.Versions), len(im.Versions))
			for j := range fm.Versions {
				fv, iv := &fm.Versions[j], &im.Versions[j]
				require.Equal(t, fv.Number, iv.Number)
				require.True(t, ecs.Equal(&fv.Columns, &iv.Columns), "seed %d step %d v%d", seed, step, fv.Number)
			}
		}
	}
}
