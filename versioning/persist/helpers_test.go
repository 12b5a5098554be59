package persist

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
)

const (
	game    = "game"
	physics = "physics"
	frame   = time.Second / 60
)

// newRand returns a generator seeded with seed, or with $PERSIST_SEED, and
// logs the seed.
func newRand(t testing.TB, seed uint64) *rand.Rand {
	t.Helper()
	if s := os.Getenv("PERSIST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "PERSIST_SEED")
		seed = v
	}
	t.Logf("seed %d (set PERSIST_SEED to change it)", seed)
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

// stillClock is a wall clock that never moves, so that no step exceeds
// the frame budget on a slow machine.
type stillClock struct{ now atomic.Int64 }

func (c *stillClock) Now() time.Duration { return time.Duration(c.now.Load()) }

// config is how a random engine is built: the options a restored twin
// must share.
type config struct {
	backupEvery int
	modules     []string
}

// newEngine builds an engine with cfg's modules, each with v1, v2 and v3
// registered, and nothing loaded.
func newEngine(t testing.TB, cfg config) *versioning.Engine {
	t.Helper()
	var clock stillClock
	e, err := versioning.New(versioning.WithClock(clock.Now), versioning.WithBackupEvery(cfg.backupEvery))
	require.NoError(t, err)
	for i, name := range cfg.modules {
		var opts []versioning.ModuleOption
		if i > 0 {
			opts = append(opts, versioning.DependsOn(cfg.modules[0]))
		}
		require.NoError(t, e.AddModule(name, opts...))
		v3v, err := v3.New()
		require.NoError(t, err)
		for _, v := range []versioning.Version{v1.Version{}, v2.Version{}, v3v} {
			require.NoError(t, e.Register(name, v))
		}
	}
	return e
}

// rows builds n v1 rows with random positions and velocities.
func rows(rng *rand.Rand, n int) *ecs.Columns {
	c := ecs.MakeColumns(v1.Layout, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	return &c
}

// randomEngine builds an engine in a random state: three versions with a
// random split, pins, despawned entities (a free list), a failed version,
// a version collected by GC, queued commands, and some frames ticked.
func randomEngine(t testing.TB, rng *rand.Rand) (*versioning.Engine, config) {
	t.Helper()
	cfg := config{backupEvery: 1 + rng.IntN(3), modules: []string{game}}
	if rng.IntN(2) == 0 {
		cfg.modules = append(cfg.modules, physics)
	}
	e := newEngine(t, cfg)
	for _, m := range cfg.modules {
		populate(t, e, rng, m)
	}
	return e, cfg
}

func populate(t testing.TB, e *versioning.Engine, rng *rand.Rand, m string) {
	t.Helper()
	require.NoError(t, e.Load(m, 1))
	keys, err := e.Spawn(m, 1, rows(rng, 50+rng.IntN(200)))
	require.NoError(t, err)
	require.NoError(t, e.Load(m, 2))
	require.NoError(t, e.Load(m, 3))
	w1, w2 := 0.1+rng.Float64()*0.3, 0.1+rng.Float64()*0.3
	require.NoError(t, e.SetSplit(m, map[int]float64{1: w1, 2: w2, 3: 1 - w1 - w2}))
	require.NoError(t, e.Tick(frame))
	// Despawn some entities: their slots go to the free list.
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	require.NoError(t, e.Despawn(m, keys[:10]...))
	keys = keys[10:]
	more, err := e.Spawn(m, 2, spawnRows(rng, 2, 5))
	require.NoError(t, err)
	keys = append(keys, more...)
	for _, k := range keys[:5] {
		require.NoError(t, e.Pin(m, k, 1+rng.IntN(3)))
	}
	for range 3 {
		require.NoError(t, e.Tick(frame))
	}
	// v2 drains, goes idle and is collected; v3 then fails.
	require.NoError(t, e.EnableAutoGC(m, 3*frame))
	require.NoError(t, e.SetSplit(m, map[int]float64{1: 0.5, 3: 0.5}))
	for _, k := range keys[:5] {
		_ = e.Unpin(m, k)
	}
	for range 8 {
		require.NoError(t, e.Tick(frame))
	}
	require.NoError(t, e.InjectFailure(m, 3, versioning.PhaseStep, nil))
	require.NoError(t, e.Tick(frame))
	if err := e.Load(m, 2); !errors.Is(err, versioning.ErrAlreadyLoaded) {
		require.NoError(t, err)
	}
	require.NoError(t, e.SetSplit(m, map[int]float64{1: 0.4, 2: 0.6}))
	for range 2 + rng.IntN(3) {
		require.NoError(t, e.Tick(frame))
	}
	for _, k := range keys[5:8] {
		require.NoError(t, e.Pin(m, k, 2))
	}
	// Queued commands, applied at the next frame boundary.
	require.NoError(t, versioning.SetComponent(e, m, keys[9], scenario.Velocity, scenario.Vec2{X: 1, Y: -1}))
}

// spawnRows builds n rows in real version v's layout.
func spawnRows(rng *rand.Rand, v, n int) *ecs.Columns {
	src := rows(rng, n)
	l := []*ecs.Layout{nil, v1.Layout, v2.Layout, v3.Layout}[v]
	var c ecs.Columns
	c.Reset(l)
	c.AppendAll(src)
	return &c
}

// encode captures e and writes it in the binary format.
func encode(t testing.TB, e *versioning.Engine) []byte {
	t.Helper()
	s, err := e.Capture()
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, WriteSnapshot(&b, s))
	return b.Bytes()
}

// restored builds a twin engine (same cfg) and restores f into it.
func restored(t testing.TB, cfg config, f *File) *versioning.Engine {
	t.Helper()
	e := newEngine(t, cfg)
	s, err := f.Snapshot(e)
	require.NoError(t, err)
	require.NoError(t, e.Restore(s))
	return e
}
