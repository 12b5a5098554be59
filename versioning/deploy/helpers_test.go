package deploy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
	v1 "github.com/grove-engine/grove/systems/v1"
	v2 "github.com/grove-engine/grove/systems/v2"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/deploytest"
)

const (
	mod   = "game"
	frame = time.Second / 60
)

// world is a test engine with a deterministic clock and an orchestrator.
type world struct {
	t     testing.TB
	e     *versioning.Engine
	o     *Orchestrator
	clock *deploytest.Clock
}

// modelled returns v2 renumbered as num with a modelled cost per entity
// (ns), soft-error rate and failure rate on clock.
func modelled(clock *deploytest.Clock, num int, cost, soft, fail float64) versioning.Version {
	return deploytest.Version{Inner: v2.Version{}, Num: num, Clock: clock, CostNs: cost, Jitter: 0.05,
		SoftRate: soft, FailRate: fail, Seed: uint64(num)}
}

// newWorld builds module "game" with the versions registered (the first
// loaded, holding n entities), and an orchestrator.
func newWorld(t testing.TB, n int, mopts []versioning.ModuleOption, build func(c *deploytest.Clock) []versioning.Version, opts ...Option) *world {
	t.Helper()
	clock := &deploytest.Clock{}
	e, err := versioning.New(versioning.WithClock(clock.Now), versioning.WithGCMeasurement(false), versioning.WithWorkers(1))
	require.NoError(t, err)
	require.NoError(t, e.AddModule(mod, mopts...))
	vs := build(clock)
	for _, v := range vs {
		require.NoError(t, e.Register(mod, v))
	}
	require.NoError(t, e.Load(mod, vs[0].Number()))
	if n > 0 {
		_, err = e.Spawn(mod, vs[0].Number(), entities(vs[0].Components(), n, 1))
		require.NoError(t, err)
	}
	o, err := New(e, append([]Option{WithClock(clock.Now)}, opts...)...)
	require.NoError(t, err)
	return &world{t: t, e: e, o: o, clock: clock}
}

// standard registers v1 (plain), v2 modelled at 50 ns/entity and the
// given candidates.
func standard(cands ...func(c *deploytest.Clock) versioning.Version) func(c *deploytest.Clock) []versioning.Version {
	return func(c *deploytest.Clock) []versioning.Version {
		vs := []versioning.Version{modelled(c, 2, 50, 0, 0), v1.Version{}}
		for _, f := range cands {
			vs = append(vs, f(c))
		}
		return vs
	}
}

func entities(l *ecs.Layout, n int, seed uint64) *ecs.Columns {
	rng := rand.New(rand.NewPCG(seed, 7))
	c := ecs.MakeColumns(l, n)
	pos, vel := ecs.Column(&c, scenario.Position), ecs.Column(&c, scenario.Velocity)
	for i := range n {
		pos[i] = scenario.Vec2{X: rng.Float32() * 1000, Y: rng.Float32() * 1000}
		vel[i] = scenario.Vec2{X: rng.Float32()*20 - 10, Y: rng.Float32()*20 - 10}
	}
	return &c
}

// tick runs frames engine frames, each followed by a Step.
func (w *world) tick(frames int) {
	w.t.Helper()
	for range frames {
		require.NoError(w.t, w.e.Tick(frame))
		require.NoError(w.t, w.o.Step())
	}
}

// until ticks until the rollout's phase is terminal or limit frames
// passed, and returns the frames ticked.
func (w *world) until(limit int, done func(Status) bool) int {
	w.t.Helper()
	for i := 1; i <= limit; i++ {
		w.tick(1)
		s, err := w.o.Status(mod)
		require.NoError(w.t, err)
		if done(s) {
			return i
		}
	}
	return limit
}

func terminal(s Status) bool { return s.Phase.Terminal() }

// actions lists the recorded actions of the module's rollouts.
func (w *world) actions() []Action {
	var out []Action
	for _, r := range w.o.History(mod) {
		out = append(out, r.Action)
	}
	return out
}

var _ = v3.Number
