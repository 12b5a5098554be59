package versioning

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
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

// oddRows builds n v1 rows full of unusual bit patterns, non-finite ones
// included: only an engine without state checks accepts them.
func oddRows(rng *rand.Rand, n int) *ecs.Columns {
	c := ecs.MakeColumns(layoutV1, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: randomFloat(rng), Y: randomFloat(rng)}
		vel[i] = scenario.Vec2{X: randomFloat(rng), Y: randomFloat(rng)}
	}
	return &c
}

// requireMotionBits checks that every key of want is live with bit-identical
// position and velocity.
func requireMotionBits(t *testing.T, want, got map[ecs.Key]entity) {
	t.Helper()
	require.Equal(t, len(want), len(got))
	for k, w := range want {
		g, ok := got[k]
		require.True(t, ok, "key %#x lost", uint64(k))
		require.True(t, sameMotion(w, g), "key %#x: want %+v, got %+v", uint64(k), w, g)
	}
}

func TestMigrationRoundTripsAreBitExact(t *testing.T) {
	for _, via := range []int{2, 3} {
		t.Run(fmt.Sprintf("v1→v%d→v1", via), func(t *testing.T) {
			rng := newRand(t, 30+uint64(via))
			e := setup(t, WithStateChecks(false))
			require.NoError(t, e.Load(game, via))
			keys, err := e.Spawn(game, 1, oddRows(rng, 300))
			require.NoError(t, err)
			orig := state(t, e)

			// Partial moves first, then everything there and back.
			for _, ws := range []map[int]float64{
				{1: 0.7, via: 0.3},
				{1: 0.1, via: 0.9},
				{via: 1},
			} {
				require.NoError(t, e.SetSplit(game, ws))
				requireMotionBits(t, orig, checkIndex(t, e))
			}
			there := state(t, e)
			for _, k := range keys {
				en := there[k]
				require.Equal(t, via, en.ver)
				assert.False(t, en.collided, "a migrated entity starts not collided")
				if via == 3 {
					assert.Equal(t, float32(1), en.mass, "v1→v3 sets mass 1, v3's default")
				}
			}
			require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
			requireSameStates(t, orig, checkIndex(t, e))
		})
	}
}

func TestMigrationV2ToV3KeepsCollided(t *testing.T) {
	rng := newRand(t, 31)
	e := setup(t)
	require.NoError(t, e.Load(game, 2))
	require.NoError(t, e.Load(game, 3))
	rows := v1Rows(rng, 100)
	pos := ecs.Column(rows, scenario.Position)
	for i := range 50 {
		pos[i].X = -100 // outside the bounds: v2 flags them
	}
	_, err := e.Spawn(game, 1, rows)
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(game, map[int]float64{2: 1}))
	require.NoError(t, e.Tick(frame))
	onV2 := state(t, e)
	flagged := 0
	for _, en := range onV2 {
		if en.collided {
			flagged++
		}
	}
	require.Equal(t, 50, flagged)
	require.NoError(t, e.SetSplit(game, map[int]float64{3: 1}))
	onV3 := state(t, e)
	for k, w := range onV2 {
		g := onV3[k]
		w.ver, w.mass = 3, 1
		assert.True(t, sameState(w, g), "key %#x: want %+v, got %+v", uint64(k), w, g)
	}
}

// TestMigrationDefaultsAndDrops: a component the target adds starts at the
// target layout's default; one it lacks is dropped, and comes back at the
// default after a round trip.
func TestMigrationDefaultsAndDrops(t *testing.T) {
	rng := newRand(t, 131)
	e := setup(t)
	require.NoError(t, e.Register(game, fakeVersion{num: 5, layout: layoutHeat,
		migs: []ecs.Migration{identity(1, 5), identity(5, 1)}}))
	require.NoError(t, e.Load(game, 5))
	keys := spawn(t, e, rng, 20)
	orig := state(t, e)
	require.NoError(t, e.SetSplit(game, map[int]float64{5: 1}))
	st := checkIndex(t, e)
	for _, k := range keys {
		assert.Equal(t, float32(20), st[k].heat, "heat starts at its default")
		assert.True(t, sameMotion(orig[k], st[k]))
	}
	hot, err := e.Spawn(game, 5, layoutRows(rng, 0, 5)) // heat chosen by the caller
	require.NoError(t, err)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
	st = checkIndex(t, e)
	for _, k := range append(keys, hot...) {
		assert.Zero(t, st[k].heat, "v1 has no heat")
	}
	require.NoError(t, e.SetSplit(game, map[int]float64{5: 1}))
	st = checkIndex(t, e)
	for _, k := range hot {
		assert.Equal(t, float32(20), st[k].heat, "a dropped component comes back at its default")
	}
}

// TestMigrationChains checks that a version reachable only through another
// is migrated along the chain (v1→v2→v4 and back).
func TestMigrationChains(t *testing.T) {
	rng := newRand(t, 32)
	e := setup(t, WithStateChecks(false))
	require.NoError(t, e.Register(game, fakeVersion{num: 4, layout: layoutV2,
		migs:     []ecs.Migration{identity(2, 4), identity(4, 2)},
		newLogic: func() (ecs.Logic, error) { return faultyLogic{inner: v1.Logic{}, f: &fault{}}, nil }}))
	require.NoError(t, e.Load(game, 4))
	_, err := e.Spawn(game, 1, oddRows(rng, 50))
	require.NoError(t, err)
	orig := state(t, e)
	var c collector
	e.Subscribe(c.listen)
	require.NoError(t, e.SetSplit(game, map[int]float64{4: 1}))
	requireMotionBits(t, orig, checkIndex(t, e))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
	requireSameStates(t, orig, checkIndex(t, e))
	mig := c.of(EventMigration)
	require.Len(t, mig, 2)
	assert.Equal(t, [2]int{1, 4}, [2]int{mig[0].From, mig[0].To})
	assert.Equal(t, [2]int{4, 1}, [2]int{mig[1].From, mig[1].To})
	assert.Equal(t, 50, mig[0].Entities)
}

// TestMigrationChainPrefersLowerIntermediate: of two shortest chains the
// one through the lower intermediate version is taken.
func TestMigrationChainPrefersLowerIntermediate(t *testing.T) {
	var via5, via6 atomic.Int64
	count := func(n *atomic.Int64) func(src, dst *ecs.Columns) error {
		return func(src, dst *ecs.Columns) error { n.Add(int64(src.Len())); return nil }
	}
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	require.NoError(t, e.Register(game, fakeVersion{num: 6, migs: []ecs.Migration{identity(1, 6), {From: 6, To: 7, Convert: count(&via6)}}}))
	require.NoError(t, e.Register(game, fakeVersion{num: 5, migs: []ecs.Migration{identity(1, 5), {From: 5, To: 7, Convert: count(&via5)}}}))
	require.NoError(t, e.Register(game, fakeVersion{num: 7, migs: []ecs.Migration{identity(7, 1)}}))
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 7))
	spawn(t, e, newRand(t, 132), 12)
	require.NoError(t, e.SetSplit(game, map[int]float64{7: 1}))
	assert.Equal(t, int64(12), via5.Load())
	assert.Zero(t, via6.Load())
	checkIndex(t, e)
}

var errScribble = fmt.Errorf("test: scribbled, then refused: %w", errMigrate)

// badConverts are Convert functions of migrations into v4 (v1's layout)
// that fail in different ways; the way back is derived.
var badConverts = map[string]func(src, dst *ecs.Columns) error{
	"error": refuse,
	"panic": func(src, dst *ecs.Columns) error { panic("test: migration panicked") },
	"panic-error": func(src, dst *ecs.Columns) error {
		panic(errMigrate)
	},
	"scribbles-then-fails": func(src, dst *ecs.Columns) error {
		pos := ecs.Column(dst, scenario.Position)
		for i := range pos {
			pos[i].X = 12345
		}
		return errScribble
	},
	"rewrites-a-key": func(src, dst *ecs.Columns) error {
		dst.Keys[len(dst.Keys)/2] = ecs.NewKey(dst.Keys[0].Index(), dst.Keys[0].Gen()+1)
		return nil
	},
	"swaps-keys": func(src, dst *ecs.Columns) error {
		if n := len(dst.Keys); n > 1 {
			dst.Keys[0], dst.Keys[n-1] = dst.Keys[n-1], dst.Keys[0]
		} else {
			dst.Keys[0]++
		}
		return nil
	},
	"appends-a-row": func(src, dst *ecs.Columns) error {
		dst.AppendDefaults(1) // dst is a view: this panics
		return nil
	},
	"writes-NaN": func(src, dst *ecs.Columns) error {
		ecs.Column(dst, scenario.Velocity)[0].X = float32(math.NaN())
		return nil
	},
}

func TestFailingMigrationChangesNothing(t *testing.T) {
	for name, convert := range badConverts {
		t.Run(name, func(t *testing.T) {
			rng := newRand(t, 33)
			e := setup(t)
			require.NoError(t, e.Load(game, 2))
			require.NoError(t, e.Register(game, fakeVersion{num: 4,
				migs: []ecs.Migration{{From: 1, To: 4, Convert: convert}, identity(4, 1)}}))
			require.NoError(t, e.Load(game, 4))
			keys := spawn(t, e, rng, 40)
			require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
			require.NoError(t, e.Tick(frame))
			before := state(t, e)
			loc := locations(t, e, keys)
			var c collector
			e.Subscribe(c.listen)

			// The v1→v2 batch stages fine; the v1→v4 batch fails; neither
			// may be committed.
			err := e.SetSplit(game, map[int]float64{1: 0.2, 2: 0.4, 4: 0.4})
			requireErr(t, err, ErrMigration)
			var me *MigrationError
			require.ErrorAs(t, err, &me)
			assert.Equal(t, 1, me.From)
			assert.Equal(t, 4, me.To)
			assert.Equal(t, game, me.Module)
			switch name {
			case "error", "scribbles-then-fails":
				assert.ErrorIs(t, err, errMigrate)
				assert.ErrorIs(t, err, ecs.ErrConvert)
			case "panic", "appends-a-row":
				assert.ErrorIs(t, err, ErrPanic)
				assert.ErrorIs(t, err, ecs.ErrConvert)
			case "panic-error":
				assert.ErrorIs(t, err, ErrPanic)
				assert.ErrorIs(t, err, errMigrate)
			case "rewrites-a-key", "swaps-keys":
				assert.ErrorIs(t, err, ecs.ErrConvert)
			case "writes-NaN":
				assert.ErrorIs(t, err, ErrNonFinite)
			}

			requireSameStates(t, before, checkIndex(t, e))
			assert.Equal(t, loc, locations(t, e, keys))
			split, err := e.Split(game)
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
			assertErr(t, e.Pin(game, k1, 4), ErrMigration)
			pins, err := e.Pins(game)
			require.NoError(t, err)
			assert.Empty(t, pins)
			requireSameStates(t, before, checkIndex(t, e))

			// The engine still works: the next frame steps everyone once.
			require.NoError(t, e.Tick(frame))
			requireStepped(t, before, checkIndex(t, e), nil)
		})
	}
}

func TestFailingMigrationOnSpawnAndPinChangesNothing(t *testing.T) {
	rng := newRand(t, 34)
	e := setup(t)
	require.NoError(t, e.Register(game, fakeVersion{num: 4,
		migs: []ecs.Migration{{From: 1, To: 4, Convert: refuse}, identity(4, 1)}}))
	require.NoError(t, e.Load(game, 4))
	keys := spawn(t, e, rng, 10)
	before := state(t, e)

	err := e.Pin(game, keys[3], 4)
	requireErr(t, err, ErrMigration, errMigrate)
	pins, err := e.Pins(game)
	require.NoError(t, err)
	assert.Empty(t, pins)
	requireSameStates(t, before, state(t, e))

	// Spawning in v4's layout routes to v1 through the working 4→1.
	k4, err := e.Spawn(game, 4, v1Rows(rng, 2))
	require.NoError(t, err)
	require.NoError(t, e.Despawn(game, k4...))
	requireSameStates(t, before, state(t, e))

	// With every entity gone, v4 can take all traffic (nothing moves); then
	// spawning v1 rows needs the failing 1→4 and changes nothing, not even
	// the next key.
	require.NoError(t, e.Despawn(game, keys...))
	require.NoError(t, e.SetSplit(game, map[int]float64{4: 1}))
	next, err := e.Spawn(game, 4, v1Rows(rng, 1))
	require.NoError(t, err)
	require.NoError(t, e.Despawn(game, next...))
	_, err = e.Spawn(game, 1, v1Rows(rng, 3))
	requireErr(t, err, ErrMigration, errMigrate)
	mm, err := e.Metrics(game)
	require.NoError(t, err)
	assert.Zero(t, mm.Entities)
	again, err := e.Spawn(game, 4, v1Rows(rng, 1))
	require.NoError(t, err)
	assert.Equal(t, next[0].Index(), again[0].Index())
	assert.Equal(t, next[0].Gen()+1, again[0].Gen())
}

func TestNoMigrationPath(t *testing.T) {
	rng := newRand(t, 35)
	e := setup(t)
	require.NoError(t, e.Register(game, fakeVersion{num: 5})) // declares nothing
	require.NoError(t, e.Load(game, 5))
	keys := spawn(t, e, rng, 20)
	before := state(t, e)
	err := e.SetSplit(game, map[int]float64{1: 0.5, 5: 0.5})
	requireErr(t, err, ErrNoMigrationPath)
	assertErr(t, e.Pin(game, keys[0], 5), ErrNoMigrationPath)
	_, err = e.Spawn(game, 5, v1Rows(rng, 1))
	assertErr(t, err, ErrNoMigrationPath)
	requireSameStates(t, before, state(t, e))
	split, err := e.Split(game)
	require.NoError(t, err)
	assert.Equal(t, map[int]float64{1: 1}, split)
	// With no entities to move, the split needs no path.
	require.NoError(t, e.Despawn(game, keys...))
	require.NoError(t, e.SetSplit(game, map[int]float64{5: 1}))
}

// TestLayoutMismatchNeedsConvert: one component name with another layout
// is allowed only where a migration with a Convert function says how to
// move it.
func TestLayoutMismatchNeedsConvert(t *testing.T) {
	rng := newRand(t, 36)
	toXYZ := func(src, dst *ecs.Columns) error {
		in, out := ecs.Column(src, scenario.Position), ecs.Column(dst, positionXYZ)
		for i := range in {
			out[i] = otherPosition{X: in[i].X, Y: in[i].Y, Z: 7}
		}
		return nil
	}
	fromXYZ := func(src, dst *ecs.Columns) error {
		in, out := ecs.Column(src, positionXYZ), ecs.Column(dst, scenario.Position)
		for i := range in {
			out[i] = scenario.Vec2{X: in[i].X, Y: in[i].Y}
		}
		return nil
	}
	layoutXYZ := ecs.MustLayout(positionXYZ, scenario.Velocity)
	e := newEngine(t)
	require.NoError(t, e.AddModule(game))
	require.NoError(t, e.Register(game, v1.Version{}))
	assertErr(t, e.Register(game, fakeVersion{num: 7, layout: layoutXYZ,
		migs: []ecs.Migration{identity(1, 7), identity(7, 1)}}), ErrLayoutMismatch)
	require.NoError(t, e.Register(game, fakeVersion{num: 7, layout: layoutXYZ,
		migs:     []ecs.Migration{{From: 1, To: 7, Convert: toXYZ}, {From: 7, To: 1, Convert: fromXYZ}},
		newLogic: func() (ecs.Logic, error) { return schedLogic{}, nil }}))
	// v2 shares "position" with v7 too, and declares no Convert with it.
	assertErr(t, e.Register(game, v2.Version{}), ErrLayoutMismatch)
	require.NoError(t, e.Load(game, 1))
	require.NoError(t, e.Load(game, 7))
	keys := spawn(t, e, rng, 25)
	orig := state(t, e)
	require.NoError(t, e.SetSplit(game, map[int]float64{7: 1}))
	ex, err := e.Export(game)
	require.NoError(t, err)
	c7 := ex[7]
	require.Equal(t, len(keys), c7.Len())
	for i, k := range c7.Keys {
		p := ecs.Column(&c7, positionXYZ)[i]
		assert.Equal(t, otherPosition{X: orig[k].pos.X, Y: orig[k].pos.Y, Z: 7}, p)
	}
	require.NoError(t, e.Tick(frame))
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 1}))
	requireSameStates(t, orig, checkIndex(t, e))
}

// TestDefect12ConvertRewritingAKeyChangesNothing: a Convert function that
// rewrites a key fails the move with ErrMigration wherever entities move
// (a split, a pin, a spawn, a manual rollback, a recovery), and changes
// nothing: the key set is intact and Locate agrees with Export for every
// key.
func TestDefect12ConvertRewritingAKeyChangesNothing(t *testing.T) {
	rng := newRand(t, 112)
	var rewrite atomic.Bool
	rewriter := func(src, dst *ecs.Columns) error {
		if rewrite.Load() {
			dst.Keys[0] = ecs.NewKey(dst.Keys[0].Index()+1_000_000, 1)
		}
		return nil
	}
	r := newRigOf(t, []Version{v1.Version{},
		fakeVersion{num: 2, migs: []ecs.Migration{identity(1, 2), identity(2, 1), {From: 2, To: 4, Convert: rewriter}}},
		fakeVersion{num: 4, migs: []ecs.Migration{{From: 1, To: 4, Convert: rewriter}, identity(4, 1)}},
	}, []int{2}, []ModuleOption{RollbackTo(4)})
	e := r.e
	for _, v := range []int{1, 2, 4} {
		require.NoError(t, e.Load(game, v))
	}
	keys := spawn(t, e, rng, 30)
	require.NoError(t, e.SetSplit(game, map[int]float64{1: 0.5, 2: 0.5}))
	require.NoError(t, e.Tick(frame))
	before := checkIndex(t, e)
	loc := locations(t, e, keys)
	on1 := onVersion(before, 1)
	unchanged := func() {
		t.Helper()
		requireSameStates(t, before, checkIndex(t, e))
		assert.Equal(t, loc, locations(t, e, keys))
		pins, err := e.Pins(game)
		require.NoError(t, err)
		assert.Empty(t, pins)
	}
	rewrite.Store(true)
	r.events.reset()

	assertErr(t, e.SetSplit(game, map[int]float64{1: 0.5, 4: 0.5}), ErrMigration, ecs.ErrConvert)
	unchanged()
	assertErr(t, e.Pin(game, on1[0], 4), ErrMigration, ecs.ErrConvert)
	unchanged()
	assertErr(t, e.Rollback(game, 4), ErrMigration, ecs.ErrConvert)
	unchanged()
	assert.Empty(t, r.events.of(EventMigration))
	assert.Empty(t, r.events.of(EventRollback))

	// Recovery: v2 fails and its rollback target, v4, is reached through
	// the rewriting Convert: the move fails, and v2's entities go back to
	// v2 in their state before the frame, unserved.
	r.faults[2].set(faultError)
	require.NoError(t, e.Tick(frame))
	post := checkIndex(t, e)
	require.Len(t, post, len(keys))
	for k, p := range before {
		if p.ver == 2 {
			assert.True(t, sameState(p, post[k]), "key %#x", uint64(k))
		}
	}
	rb := r.events.of(EventRollback)
	require.Len(t, rb, 1)
	assert.False(t, rb[0].Served)
	assert.ErrorIs(t, rb[0].Err, ErrMigration)
	assert.ErrorIs(t, rb[0].Err, ecs.ErrConvert)
	mm, _ := metricsOf(t, e)
	assert.Equal(t, uint64(1), mm.FramesMissed)

	// Spawn: with v4 holding all traffic, new v1 rows need the rewriting
	// Convert; the spawn fails and consumes nothing, not even a key.
	e2 := newEngine(t)
	require.NoError(t, e2.AddModule(game))
	require.NoError(t, e2.Register(game, v1.Version{}))
	require.NoError(t, e2.Register(game, fakeVersion{num: 4, migs: []ecs.Migration{{From: 1, To: 4, Convert: rewriter}, identity(4, 1)}}))
	require.NoError(t, e2.Load(game, 1))
	require.NoError(t, e2.Load(game, 4))
	require.NoError(t, e2.SetSplit(game, map[int]float64{4: 1}))
	_, err := e2.Spawn(game, 1, v1Rows(rng, 3))
	assertErr(t, err, ErrMigration, ecs.ErrConvert)
	mm, err = e2.Metrics(game)
	require.NoError(t, err)
	assert.Zero(t, mm.Entities)
	fresh, err := e2.Spawn(game, 4, v1Rows(rng, 1))
	require.NoError(t, err)
	assert.Equal(t, ecs.NewKey(0, 1), fresh[0])
}
