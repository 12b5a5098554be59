package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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

// The test game: module "game" with v1, a v2 whose "move" system carries a
// fault that a journaled configuration arms, and v3; an entity command;
// a scripted run that uses every kind of control call.

const mod = "game"

const dt = time.Second / 60

// arm is the configuration that arms the fault.
type arm struct{ Kind string }

// testConfigs holds the test's configuration codecs.
var testConfigs = func() *Configs {
	c := NewConfigs()
	if err := RegisterJSON[arm](c, "test.arm"); err != nil {
		panic(err)
	}
	return c
}()

// fakeClock is a wall clock the test drives: every reading advances it a
// microsecond, and the lag fault jumps it a second.
type fakeClock struct{ now atomic.Int64 }

func (c *fakeClock) read() time.Duration { return time.Duration(c.now.Add(int64(time.Microsecond))) }

type fault struct {
	kind  string
	armed bool
	fired int
	clock *fakeClock
}

type faultyVersion struct {
	versioning.Version
	f *fault
}

func (v faultyVersion) NewLogic() (ecs.Logic, error) {
	l, err := v.Version.NewLogic()
	if err != nil {
		return nil, err
	}
	return &faultyLogic{l, v.f}, nil
}

type faultyLogic struct {
	ecs.Logic
	f *fault
}

var errBoom = errors.New("boom")

func (l *faultyLogic) Schedule() ecs.Schedule {
	s := l.Logic.Schedule()
	for i := range s {
		if s[i].Name != "move" {
			continue
		}
		run, f := s[i].Run, l.f
		s[i].Run = func(v *ecs.View, dt float32) error {
			if err := run(v, dt); err != nil || !f.armed {
				return err
			}
			f.armed = false
			f.fired++
			switch f.kind {
			case "panic":
				panic(errBoom)
			case "nan":
				c := v.Columns()
				pos := ecs.Column(&c, scenario.Position)
				pos[len(pos)/2].X = float32(math.NaN())
			case "lag":
				if f.clock != nil {
					f.clock.now.Add(int64(time.Second))
				}
			}
			return nil
		}
	}
	return s
}

func (l *faultyLogic) ValidateConfig(cfg any) error {
	if _, ok := cfg.(arm); !ok {
		return fmt.Errorf("want an arm config, got %T", cfg)
	}
	return nil
}

func (l *faultyLogic) ApplyConfig(cfg any) {
	l.f.kind = cfg.(arm).Kind
	l.f.armed = true
}

// push adds the payload's two float32 to the entity's velocity.
func push(row *ecs.Columns, payload []byte) error {
	if len(payload) != 8 {
		return fmt.Errorf("payload of %d bytes", len(payload))
	}
	vel := ecs.Column(row, scenario.Velocity)
	vel[0].X += math.Float32frombits(binary.LittleEndian.Uint32(payload))
	vel[0].Y += math.Float32frombits(binary.LittleEndian.Uint32(payload[4:]))
	return nil
}

// game builds engines: the live one and the replays' (through factory).
type game struct {
	clock  *fakeClock
	fault  *fault
	budget time.Duration
}

func newGame() *game {
	c := &fakeClock{}
	return &game{clock: c, fault: &fault{clock: c}, budget: 100 * time.Millisecond}
}

// factory is the engine factory a replay gets: a fresh fault, the game's
// options, then the replay's.
func (g *game) factory() Factory {
	return func(opts ...versioning.Option) (*versioning.Engine, error) {
		return g.build(&fault{}, opts...)
	}
}

func (g *game) build(f *fault, opts ...versioning.Option) (*versioning.Engine, error) {
	base := []versioning.Option{versioning.WithChecksumEvery(10), versioning.WithGCMeasurement(false)}
	e, err := versioning.New(append(base, opts...)...)
	if err != nil {
		return nil, err
	}
	if err := e.AddModule(mod, versioning.AutoGC(time.Second)); err != nil {
		return nil, err
	}
	three, err := v3.New()
	if err != nil {
		return nil, err
	}
	for _, v := range []versioning.Version{v1.Version{}, faultyVersion{v2.Version{}, f}, three} {
		if err := e.Register(mod, v); err != nil {
			return nil, err
		}
	}
	return e, e.RegisterCommand(mod, "push", push)
}

// run is one live run of the script, with what the tests compare against.
type run struct {
	// states is the live state right after every Tick, by frame.
	states map[uint64]*versioning.Snapshot
	// snaps are the snapshots taken at the checkpoints, by frame.
	snaps map[uint64]*versioning.Snapshot
	final *versioning.Snapshot
	first uint64
}

// live runs the script against an engine recording into rec, taking a
// snapshot and calling checkpoint every 60 frames.
func (g *game) live(t testing.TB, kind string, rec versioning.Recorder, checkpoint func(*versioning.Engine, *versioning.Snapshot) error) *run {
	t.Helper()
	// One worker: the lag fault jumps the shared test clock, which would
	// also stall a version stepping beside v2. (Replays use every worker:
	// results do not depend on the count.)
	e, err := g.build(g.fault, versioning.WithRecorder(rec), versioning.WithClock(g.clock.read), versioning.WithFrameBudget(g.budget),
		versioning.WithWorkers(1))
	require.NoError(t, err)
	r := &run{states: map[uint64]*versioning.Snapshot{}, snaps: map[uint64]*versioning.Snapshot{}}
	rng := rand.New(rand.NewPCG(7, 11))
	must := func(err error) { t.Helper(); require.NoError(t, err) }
	must(e.Load(mod, 1))
	spawn := func(n int) []ecs.Key {
		c := ecs.MakeColumns(v1.Layout, n)
		pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
		for i := range n {
			pos[i] = scenario.Vec2{X: rng.Float32() * 100, Y: rng.Float32() * 100}
			vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
		}
		keys, err := e.Spawn(mod, 1, &c)
		must(err)
		return keys
	}
	keys := spawn(200)
	save := func() {
		s, err := e.Capture()
		must(err)
		r.snaps[s.Frame] = s
		must(checkpoint(e, s))
	}
	save()
	r.first = 0
	pick := func() ecs.Key { return keys[rng.IntN(len(keys))] }
	for frame := uint64(0); frame < 420; frame++ {
		// Player input every frame.
		for range 3 {
			var p [8]byte
			binary.LittleEndian.PutUint32(p[:], math.Float32bits(rng.Float32()-0.5))
			binary.LittleEndian.PutUint32(p[4:], math.Float32bits(rng.Float32()-0.5))
			must(e.Command(mod, pick(), "push", p[:]))
		}
		if frame%7 == 0 {
			must(versioning.SetComponent(e, mod, pick(), scenario.Velocity, scenario.Vec2{X: 1, Y: -1}))
		}
		switch frame {
		case 20:
			must(e.Load(mod, 2))
			must(e.SetSplit(mod, map[int]float64{1: 0.7, 2: 0.3}))
		case 40:
			k := pick()
			must(e.Pin(mod, k, 2))
		case 50:
			keys = append(keys, spawn(17)...)
		case 70:
			must(e.Despawn(mod, keys[:5]...))
			keys = keys[5:]
		case 90:
			must(e.Configure(mod, 2, arm{Kind: kind})) // v2 fails next frame
		case 150:
			must(e.Load(mod, 3))
			must(e.SetSplit(mod, map[int]float64{1: 0.5, 3: 0.5}))
		case 200:
			if loaded, _ := e.Loaded(mod); !contains(loaded, 2) {
				must(e.Load(mod, 2))
			} else {
				must(e.Reload(mod, 2))
			}
			must(e.SetSplit(mod, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}))
		case 230:
			must(e.InjectFailure(mod, 3, versioning.PhaseStep, nil))
		case 260:
			must(e.DisableAutoGC(mod))
		case 280:
			must(e.EnableAutoGC(mod, 500*time.Millisecond))
		case 305:
			// Not at a snapshot's frame: a snapshot does not carry the
			// backup a rollback by hand restores from (backup cadence 1),
			// so a replay from a snapshot taken right before one differs.
			must(e.Rollback(mod, 1))
		case 330:
			must(e.Load(mod, 3))
			must(e.SetSplit(mod, map[int]float64{1: 0.4, 3: 0.6}))
		case 360:
			pins, _ := e.Pins(mod)
			for k := range pins {
				must(e.Unpin(mod, k))
			}
		}
		must(e.Tick(dt))
		s, err := e.Capture()
		must(err)
		r.states[s.Frame] = s
		if s.Frame%60 == 0 {
			save()
		}
	}
	var err2 error
	r.final, err2 = e.Capture()
	must(err2)
	require.Equal(t, 1, g.fault.fired, "the fault fired once")
	return r
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// equalSnapshots fails the test if two snapshots differ anywhere,
// failure messages included.
func equalSnapshots(t testing.TB, want, got *versioning.Snapshot) {
	t.Helper()
	if d := Compare(want, got); d != nil {
		t.Fatalf("frame %d: %s v%d: %s", want.Frame, d.Module, d.Version, d.What)
	}
	for i := range want.Modules {
		for j := range want.Modules[i].Versions {
			w, g := want.Modules[i].Versions[j], got.Modules[i].Versions[j]
			require.Equal(t, w.Failed, g.Failed, "frame %d: v%d's failure", want.Frame, w.Number)
		}
	}
}
