package versioning

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
)

// bitPatterns are float32 values a migration must carry over bit for bit:
// signed zeros, denormals, extremes, infinities and NaNs with payloads.
var bitPatterns = []uint32{
	0x00000000, 0x80000000, // ±0
	0x00000001, 0x807fffff, 0x00012345, // denormals
	0x7f7fffff, 0xff7fffff, // ±MaxFloat32
	0x7f800000, 0xff800000, // ±Inf
	0x7fc00000, 0xffc00001, 0x7f800001, 0x7fa5a5a5, // NaNs with payloads
	0x3f800000, 0xc47a0000, // 1, -1000
}

func randomFloat(rng *rand.Rand) float32 {
	if rng.IntN(3) == 0 {
		return math.Float32frombits(bitPatterns[rng.IntN(len(bitPatterns))])
	}
	return float32(rng.NormFloat64() * 500)
}

// oddRows builds n v1 rows full of unusual bit patterns. No Tick runs on
// them, so the non-finite ones never meet the state check.
func oddRows(rng *rand.Rand, n int) *ecs.Columns {
	c := &ecs.Columns{Mask: maskV1}
	for range n {
		c.Position = append(c.Position, ecs.Position{X: randomFloat(rng), Y: randomFloat(rng)})
		c.Velocity = append(c.Velocity, ecs.Velocity{X: randomFloat(rng), Y: randomFloat(rng)})
	}
	return c
}

// requireMotionBits checks that every key of want is live with bit-identical
// position and velocity.
func requireMotionBits(t *testing.T, want, got map[ecs.Key]entity) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "key %#x lost", uint64(k))
		require.True(t, bitsEqual(w.pos.X, g.pos.X) && bitsEqual(w.pos.Y, g.pos.Y) &&
			bitsEqual(w.vel.X, g.vel.X) && bitsEqual(w.vel.Y, g.vel.Y),
			"key %#x: want %+v, got %+v", uint64(k), w, g)
	}
}

func TestMigrationRoundTripsAreBitExact(t *testing.T) {
	for _, via := range []int{2, 3} {
		t.Run(fmt.Sprintf("v1→v%d→v1", via), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(30, uint64(via)))
			e := setup(t)
			require.NoError(t, e.Load(mod, via))
			keys, err := e.Spawn(mod, 1, oddRows(rng, 300))
			require.NoError(t, err)
			orig := state(t, e)

			// Partial moves first, then everything there and back.
			for _, ws := range []map[int]float64{
				{1: 0.7, via: 0.3},
				{1: 0.1, via: 0.9},
				{via: 1},
			} {
				require.NoError(t, e.SetSplit(mod, ws))
				requireMotionBits(t, orig, state(t, e))
			}
			there := state(t, e)
			for _, k := range keys {
				en := there[k]
				require.Equal(t, via, en.ver)
				assert.False(t, bool(en.collided), "a migrated entity starts not collided")
				if via == 3 {
					assert.Equal(t, ecs.Mass(1), en.mass, "v1→v3 sets mass 1")
				}
			}
			require.NoError(t, e.SetSplit(mod, map[int]float64{1: 1}))
			back := state(t, e)
			requireSameStates(t, orig, back)
		})
	}
}

func TestMigrationV2ToV3KeepsCollided(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 31))
	e := setup(t)
	require.NoError(t, e.Load(mod, 2))
	require.NoError(t, e.Load(mod, 3))
	rows := v1Rows(rng, 100)
	for i := range 50 {
		rows.Position[i].X = -100 // outside the bounds: v2 flags them
	}
	_, err := e.Spawn(mod, 1, rows)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(mod, map[int]float64{2: 1}))
	require.NoError(t, e.Tick(frame))
	onV2 := state(t, e)
	flagged := 0
	for _, en := range onV2 {
		if en.collided {
			flagged++
		}
	}
	require.Equal(t, 50, flagged)
	require.NoError(t, e.SetSplit(mod, map[int]float64{3: 1}))
	onV3 := state(t, e)
	for k, w := range onV2 {
		g := onV3[k]
		w.ver, w.mass = 3, 1
		assert.True(t, sameState(w, g), "key %#x: want %+v, got %+v", uint64(k), w, g)
	}
}

// TestMigrationChains checks that a version reachable only through another
// is migrated along the chain (v1→v2→v4 and back).
func TestMigrationChains(t *testing.T) {
	rng := rand.New(rand.NewPCG(32, 32))
	e := setup(t)
	require.NoError(t, e.Register(mod, fakeVersion{num: 4, mask: maskV2,
		migs:     []ecs.Migration{identity(2, 4), identity(4, 2)},
		newLogic: func() (ecs.Logic, error) { return faultyLogic{inner: v1Logic{}, f: &fault{}}, nil }}))
	require.NoError(t, e.Load(mod, 4))
	_, err := e.Spawn(mod, 1, oddRows(rng, 50))
	require.NoError(t, err)
	orig := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.SetSplit(mod, map[int]float64{4: 1}))
	requireMotionBits(t, orig, state(t, e))
	require.NoError(t, e.SetSplit(mod, map[int]float64{1: 1}))
	requireSameStates(t, orig, state(t, e))
	mig := c.of(EventMigration)
	require.Len(t, mig, 2)
	assert.Equal(t, [2]int{1, 4}, [2]int{mig[0].From, mig[0].To})
	assert.Equal(t, [2]int{4, 1}, [2]int{mig[1].From, mig[1].To})
	assert.Equal(t, 50, mig[0].Entities)
}

// v1Logic runs v1's move on any world with velocity.
type v1Logic struct{}

func (v1Logic) Schedule() ecs.Schedule {
	return ecs.Schedule{{Name: "move", Reads: maskV1, Writes: ecs.MaskPosition, Run: func(w *ecs.World, dt float32) error {
		c := w.Columns()
		for i := range c.Position {
			c.Position[i].X += float32(c.Velocity[i].X * dt)
			c.Position[i].Y += float32(c.Velocity[i].Y * dt)
		}
		return nil
	}}}
}

var errMigrate = errors.New("test: migration refused")

// badMigrations are migrations into v4 (v1's columns) that fail in
// different ways; the way back is an identity.
var badMigrations = map[string]func(*ecs.Columns) error{
	"error": func(*ecs.Columns) error { return errMigrate },
	"panic": func(*ecs.Columns) error { panic("test: migration panicked") },
	"panic-error": func(*ecs.Columns) error {
		panic(errMigrate)
	},
	"wrong-columns": func(c *ecs.Columns) error {
		c.DropColumn(ecs.MaskVelocity)
		return nil
	},
	"adds-a-row": func(c *ecs.Columns) error {
		c.Keys = append(c.Keys, 0)
		c.Position = append(c.Position, ecs.Position{})
		c.Velocity = append(c.Velocity, ecs.Velocity{})
		return nil
	},
	"ragged": func(c *ecs.Columns) error {
		c.Velocity = c.Velocity[:len(c.Velocity)-1]
		return nil
	},
	"scribbles-then-fails": func(c *ecs.Columns) error {
		for i := range c.Position {
			c.Position[i].X = 12345
		}
		return errMigrate
	},
}

func TestFailingMigrationChangesNothing(t *testing.T) {
	for name, apply := range badMigrations {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(33, 33))
			e := setup(t)
			require.NoError(t, e.Load(mod, 2))
			require.NoError(t, e.Register(mod, fakeVersion{num: 4,
				migs: []ecs.Migration{{From: 1, To: 4, Apply: apply}, identity(4, 1)}}))
			require.NoError(t, e.Load(mod, 4))
			keys := spawn(t, e, rng, 40)
			require.NoError(t, e.SetSplit(mod, map[int]float64{1: 0.5, 2: 0.5}))
			require.NoError(t, e.Tick(frame))
			before := state(t, e)
			loc := locations(t, e, keys)
			var c collector
			e.Subscribe(c.listen)

			// The v1→v2 batch stages fine; the v1→v4 batch fails; neither
			// may be committed.
			err := e.SetSplit(mod, map[int]float64{1: 0.2, 2: 0.4, 4: 0.4})
			require.ErrorIs(t, err, ErrMigration)
			var me *MigrationError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, 1, me.From)
			assert.Equal(t, 4, me.To)
			assert.Equal(t, mod, me.Module)
			switch name {
			case "error", "scribbles-then-fails":
				assert.ErrorIs(t, err, errMigrate)
			case "panic":
				assert.ErrorIs(t, err, ErrPanic)
			case "panic-error":
				assert.ErrorIs(t, err, ErrPanic)
				assert.ErrorIs(t, err, errMigrate)
			case "wrong-columns":
				assert.ErrorIs(t, err, ecs.ErrMissingColumns)
			case "ragged":
				assert.ErrorIs(t, err, ecs.ErrColumnLength)
			}

			requireSameStates(t, before, state(t, e))
			assert.Equal(t, loc, locations(t, e, keys))
			split, err := e.Split(mod)
			require.NoError(t, err)
			assert.Equal(t, map[int]float64{1: 0.5, 2: 0.5}, split)
			assert.Empty(t, c.of(EventMigration))

			// Pinning an entity of v1 to v4 fails the same way.
			k1 := keys[0]
			for k, v := range loc {
				if v == 1 {
					k1 = k
					break
				}
			}
			require.ErrorIs(t, e.Pin(mod, k1, 4), ErrMigration)
			pins, err := e.Pins(mod)
			require.NoError(t, err)
			assert.Empty(t, pins)
			requireSameStates(t, before, state(t, e))

			// The engine still works: the next frame steps everyone once.
			require.NoError(t, e.Tick(frame))
			after := state(t, e)
			for k, w := range before {
				want := v1Step(w, sec)
				if w.ver == 2 {
					want = v2Step(w, sec)
				}
				assert.True(t, sameState(want, after[k]), "key %#x: want %+v, got %+v", uint64(k), want, after[k])
			}
		})
	}
}

func TestFailingMigrationOnSpawnAndPinChangesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(34, 34))
	e := setup(t)
	require.NoError(t, e.Register(mod, fakeVersion{num: 4,
		migs: []ecs.Migration{{From: 1, To: 4, Apply: badMigrations["error"]}, identity(4, 1)}}))
	require.NoError(t, e.Load(mod, 4))
	keys := spawn(t, e, rng, 10)
	before := state(t, e)

	err := e.Pin(mod, keys[3], 4)
	require.ErrorIs(t, err, ErrMigration)
	pins, err := e.Pins(mod)
	require.NoError(t, err)
	assert.Empty(t, pins)
	requireSameStates(t, before, state(t, e))

	// Spawning in v4's layout routes to v1 through the working 4→1.
	k4, err := e.Spawn(mod, 4, v1Rows(rng, 2))
	require.NoError(t, err)
	require.NoError(t, e.Despawn(mod, k4...))
	requireSameStates(t, before, state(t, e))

	// With every entity gone, v4 can take all traffic (nothing moves); then
	// spawning v1 rows needs the failing 1→4 and changes nothing, not even
	// the next key.
	require.NoError(t, e.Despawn(mod, keys...))
	require.NoError(t, e.SetSplit(mod, map[int]float64{4: 1}))
	next, err := e.Spawn(mod, 4, v1Rows(rng, 1))
	require.NoError(t, err)
	require.NoError(t, e.Despawn(mod, next...))
	_, err = e.Spawn(mod, 1, v1Rows(rng, 3))
	require.ErrorIs(t, err, ErrMigration)
	mm, err := e.Metrics(mod)
	require.NoError(t, err)
	assert.Zero(t, mm.Entities)
	again, err := e.Spawn(mod, 4, v1Rows(rng, 1))
	require.NoError(t, err)
	assert.Equal(t, next[0].Index(), again[0].Index())
	assert.Equal(t, next[0].Gen()+1, again[0].Gen())
}

func TestNoMigrationPath(t *testing.T) {
	rng := rand.New(rand.NewPCG(35, 35))
	e := setup(t)
	require.NoError(t, e.Register(mod, fakeVersion{num: 5})) // declares nothing
	require.NoError(t, e.Load(mod, 5))
	keys := spawn(t, e, rng, 20)
	before := state(t, e)
	err := e.SetSplit(mod, map[int]float64{1: 0.5, 5: 0.5})
	require.ErrorIs(t, err, ErrNoMigrationPath)
	assert.ErrorIs(t, e.Pin(mod, keys[0], 5), ErrNoMigrationPath)
	_, err = e.Spawn(mod, 5, v1Rows(rng, 1))
	assert.ErrorIs(t, err, ErrNoMigrationPath)
	requireSameStates(t, before, state(t, e))
	split, err := e.Split(mod)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{1: 1}, split)
	// With no entities to move, the split needs no path.
	require.NoError(t, e.Despawn(mod, keys...))
	require.NoError(t, e.SetSplit(mod, map[int]float64{5: 1}))
}
