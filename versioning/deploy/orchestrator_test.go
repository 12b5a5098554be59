package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/ecs"
	v3 "github.com/grove-engine/grove/systems/v3"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/deploytest"
)

func candidate(num int, cost, soft, fail float64) func(c *deploytest.Clock) versioning.Version {
	return func(c *deploytest.Clock) versioning.Version { return modelled(c, num, cost, soft, fail) }
}

var gc = []versioning.ModuleOption{versioning.AutoGC(5 * time.Second)}

func fastCanary() Canary {
	return Canary{Weights: []float64{10, 30, 50, 80, 100}, Interval: time.Second, Observation: 5 * time.Second}
}

// decisions is the history as comparable lines.
func (w *world) decisions() []string {
	var out []string
	for _, r := range w.o.History(mod) {
		out = append(out, fmt.Sprintf("%d %v %d %v %s", r.Frame, r.Action, r.Step, r.Weights, r.Reason))
	}
	return out
}

func TestCanaryCompletesAndBaselineIsCollected(t *testing.T) {
	w := newWorld(t, 2000, gc, standard(candidate(4, 52, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	s, err := w.o.Status(mod)
	require.NoError(t, err)
	assert.Equal(t, PhasePending, s.Phase)
	w.until(60*60, terminal)
	s, _ = w.o.Status(mod)
	require.Equal(t, PhaseCompleted, s.Phase, s.Reason)
	assert.Equal(t, 100.0, s.MaxWeight)
	assert.Equal(t, map[int]float64{4: 1}, s.Weights)
	assert.Equal(t, []Action{Start, Advance, Advance, Advance, Advance, Advance, Complete}, w.actions())
	roles := map[int]Role{}
	for _, v := range s.Versions {
		roles[v.Version] = v.Role
	}
	assert.Equal(t, map[int]Role{2: RoleDeprecated, 4: RoleActive}, roles)
	w.tick(6 * 60)
	loaded, _ := w.e.Loaded(mod)
	assert.Equal(t, []int{4}, loaded, "the replaced baseline is collected by the module's GC")
	assert.Equal(t, Retire, w.actions()[len(w.actions())-1])
	s, _ = w.o.Status(mod)
	assert.Equal(t, RoleRetired, s.Versions[0].Role)
}

func TestDecisionsAreDeterministic(t *testing.T) {
	run := func() []string {
		w := newWorld(t, 3000, gc, standard(candidate(4, 60, 0.01, 0)))
		spec := Spec{Module: mod, Candidate: 4, Strategy: fastCanary(),
			Analysis: Analysis{P99StepTime: Check{Ratio: 1.5}, StepTime: Check{Ratio: 1.5}, MaxErrorRatio: 2, Seed: 7}}
		require.NoError(t, w.o.Deploy(spec))
		w.until(60*60, terminal)
		w.tick(6 * 60)
		return w.decisions()
	}
	a, b := run(), run()
	require.NotEmpty(t, a)
	assert.Equal(t, a, b)
}

func TestRegressionIsRolledBackAndCollected(t *testing.T) {
	w := newWorld(t, 3000, gc, standard(candidate(4, 100, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	frames := w.until(600, terminal)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhaseFailed, s.Phase)
	assert.Equal(t, 10.0, s.MaxWeight)
	t.Logf("2× step time rolled back %d frames after the deploy (first step at frame 1)", frames)
	assert.LessOrEqual(t, frames, 1+30, "at the first look")
	h := w.o.History(mod)
	last := h[len(h)-1]
	assert.Equal(t, RollBack, last.Action)
	assert.Equal(t, 0, last.Step)
	assert.Contains(t, last.Reason, "at step 0")
	assert.Contains(t, last.Reason, MetricStepTime)
	assert.NotEmpty(t, last.Metrics)
	mm, _ := w.e.Metrics(mod)
	for _, v := range mm.Versions {
		if v.Version == 4 {
			assert.Zero(t, v.Entities)
			assert.Zero(t, v.Traffic)
		}
	}
	w.tick(6 * 60)
	loaded, _ := w.e.Loaded(mod)
	assert.Equal(t, []int{2}, loaded, "nothing left running: the candidate is collected")
}

func TestCircuitBreakerWithToleratedFailures(t *testing.T) {
	tolerate := append(gc, versioning.Tolerate(versioning.FailurePolicy{MaxRate: 0.5, MaxConsecutive: 10}))
	w := newWorld(t, 5000, tolerate, standard(candidate(4, 50, 0, 0.15)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary(), Analysis: Analysis{MaxErrorRatio: 1e6}}))
	w.until(600, terminal)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhaseFailed, s.Phase)
	assert.Contains(t, s.Reason, "circuit breaker")
	st, _ := w.e.State(mod, 4)
	assert.NotEqual(t, versioning.StateFailed, st, "the engine tolerated the failures: the breaker decided")

	// Without the policy the engine fails the candidate at its first
	// failure, and the rollout follows.
	w = newWorld(t, 5000, gc, standard(candidate(4, 50, 0, 0.15)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.until(600, terminal)
	s, _ = w.o.Status(mod)
	require.Equal(t, PhaseFailed, s.Phase)
	assert.Contains(t, s.Reason, MetricEngine)
}

func TestCommands(t *testing.T) {
	w := newWorld(t, 2000, gc, standard(candidate(4, 50, 0, 0)))
	require.ErrorIs(t, w.o.Pause(mod), ErrNoRollout)
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.tick(2)
	require.NoError(t, w.o.Pause(mod))
	w.tick(1)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhasePaused, s.Phase)
	w.tick(10 * 60)
	s, _ = w.o.Status(mod)
	assert.Equal(t, 0, s.Step, "paused: no advance")
	require.NoError(t, w.o.Resume(mod))
	w.tick(1)
	s, _ = w.o.Status(mod)
	assert.Equal(t, PhaseProgressing, s.Phase)
	require.NoError(t, w.o.Promote(mod))
	w.tick(1)
	s, _ = w.o.Status(mod)
	assert.Equal(t, 1, s.Step)
	require.NoError(t, w.o.PromoteFull(mod))
	w.tick(1)
	s, _ = w.o.Status(mod)
	assert.Equal(t, PhasePromoting, s.Phase)
	assert.Equal(t, map[int]float64{4: 1}, s.Weights)
	w.tick(1)
	s, _ = w.o.Status(mod)
	assert.Equal(t, PhaseCompleted, s.Phase)
	var cmds []Command
	for _, r := range w.o.History(mod) {
		if r.Command != NoCommand {
			cmds = append(cmds, r.Command)
		}
	}
	assert.Equal(t, []Command{CmdPause, CmdResume, CmdPromote, CmdPromoteFull}, cmds)
}

func TestAbortLeavesNothingRunning(t *testing.T) {
	w := newWorld(t, 2000, nil, standard(candidate(4, 50, 0, 0))) // no GC policy
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.tick(90)
	require.NoError(t, w.o.Abort(mod))
	w.tick(1)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhaseAborted, s.Phase)
	assert.Equal(t, map[int]float64{2: 1}, s.Weights)
	loaded, _ := w.e.Loaded(mod)
	assert.Equal(t, []int{2}, loaded, "with no GC policy the orchestrator unloads the candidate itself")
	require.ErrorIs(t, w.o.Abort(mod), ErrNoRollout)
}

func TestZeroTrafficPausesNeverSticks(t *testing.T) {
	w := newWorld(t, 0, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.tick(70)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhasePaused, s.Phase)
	assert.Contains(t, s.Reason, "zero traffic")
	require.NoError(t, w.o.PromoteFull(mod))
	w.tick(2)
	s, _ = w.o.Status(mod)
	assert.Equal(t, PhaseCompleted, s.Phase)
}

func TestProgressDeadline(t *testing.T) {
	w := newWorld(t, 100, gc, standard(candidate(4, 50, 0, 0)))
	c := fastCanary()
	c.ProgressDeadline = 2 * time.Second
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: c, Gates: Gates{ConfirmRollout: refuse{}}}))
	frames := w.until(10*60, terminal)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhaseFailed, s.Phase)
	assert.Contains(t, s.Reason, "progress deadline")
	assert.InDelta(t, 2*60, frames, 3)
	assert.Equal(t, map[int]float64{2: 1}, s.Weights)
}

func TestBlueGreenKeepsWarmAndSwitchesBack(t *testing.T) {
	w := newWorld(t, 1000, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: BlueGreen{ScaleDownDelay: 8 * time.Second}}))
	w.tick(1)
	s, _ := w.o.Status(mod)
	require.Equal(t, map[int]float64{4: 1}, s.Weights)
	assert.Equal(t, PhasePromoting, s.Phase)
	w.tick(7 * 60) // past the module's 5s GC threshold
	st, _ := w.e.State(mod, 2)
	assert.Equal(t, versioning.StateIdle, st, "kept warm past the GC threshold")
	w.tick(62)
	s, _ = w.o.Status(mod)
	require.Equal(t, PhaseCompleted, s.Phase)
	st, _ = w.e.State(mod, 2)
	assert.Equal(t, versioning.StateUnloaded, st, "scaled down after the delay")
	th, _ := w.e.AutoGCThreshold(mod)
	assert.Equal(t, 5*time.Second, th, "the module's GC is restored")

	w = newWorld(t, 1000, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: BlueGreen{ScaleDownDelay: 8 * time.Second}}))
	w.tick(6 * 60)
	require.NoError(t, w.o.Rollback(mod))
	w.tick(1)
	s, _ = w.o.Status(mod)
	require.Equal(t, PhaseAborted, s.Phase)
	mm, _ := w.e.Metrics(mod)
	for _, v := range mm.Versions {
		want := map[int]int{2: 1000, 4: 0}[v.Version]
		assert.Equal(t, want, v.Entities, "v%d: switched back in one frame", v.Version)
	}
	th, _ = w.e.AutoGCThreshold(mod)
	assert.Equal(t, 5*time.Second, th)
}

func TestABCTestVerdict(t *testing.T) {
	w := newWorld(t, 3000, gc, func(c *deploytest.Clock) []versioning.Version {
		return []versioning.Version{modelled(c, 2, 60, 0.02, 0), modelled(c, 4, 45, 0.02, 0), modelled(c, 5, 80, 0.02, 0)}
	})
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4,
		Strategy: ABTest{Weights: map[int]float64{2: 20, 4: 30, 5: 50}, Duration: 5 * time.Second}}))
	w.tick(2)
	mm, _ := w.e.Metrics(mod)
	for _, v := range mm.Versions {
		assert.Equal(t, map[int]int{2: 600, 4: 900, 5: 1500}[v.Version], v.Entities, "exact split")
	}
	w.until(20*60, terminal)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhaseCompleted, s.Phase, s.Reason)
	require.NotNil(t, s.AB)
	best := map[string]ABMetric{}
	for _, m := range s.AB.Metrics {
		best[m.Metric] = m
	}
	assert.Equal(t, 4, best[MetricStepTime].Best)
	assert.True(t, best[MetricStepTime].Significant)
	assert.False(t, best[MetricErrorRate].Significant, "equal error rates: %s", s.AB)
	assert.Equal(t, map[int]float64{2: 1}, s.Weights, "the split from before the test")
	assert.Contains(t, s.Reason, "verdict")
}

func TestShadowLeavesStateUntouched(t *testing.T) {
	build := func(c *deploytest.Clock) []versioning.Version {
		three, _ := v3.New()
		return []versioning.Version{modelled(c, 2, 60, 0, 0), modelled(c, 4, 60, 0, 0),
			deploytest.Version{Inner: three, Clock: c, CostNs: 40}}
	}
	shadowed := newWorld(t, 2000, gc, build)
	control := newWorld(t, 2000, gc, build)
	require.NoError(t, shadowed.o.Deploy(Spec{Module: mod, Candidate: 3, Strategy: Shadow{Duration: 2 * time.Second, Sample: 300}}))
	for range 150 {
		shadowed.tick(1)
		control.tick(1)
	}
	s, _ := shadowed.o.Status(mod)
	require.Equal(t, PhaseCompleted, s.Phase, s.Reason)
	a, _ := shadowed.e.Export(mod)
	b, _ := control.e.Export(mod)
	require.Equal(t, len(b), len(a))
	for v := range b {
		ca, cb := a[v], b[v]
		assert.True(t, ecs.Equal(&ca, &cb), "v%d's entities are untouched", v)
	}
	loaded, _ := shadowed.e.Loaded(mod)
	assert.Equal(t, []int{2}, loaded, "the shadow candidate is never loaded")
	require.NotNil(t, s.Shadow)
	assert.Equal(t, 300, s.Shadow.Entities)
	assert.Greater(t, s.Shadow.Frames, 100)
	div := map[string]ComponentDivergence{}
	for _, c := range s.Shadow.Components {
		div[c.Component] = c
	}
	assert.InDelta(t, 0.5, div["velocity"].Fraction(), 0.01, "v3's gravity changes vy, not vx")
	assert.InDelta(t, 40.0/60, s.Shadow.CostRatio, 0.01)

	// A candidate identical to the live logic does not diverge at all.
	same := newWorld(t, 2000, gc, build)
	require.NoError(t, same.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: Shadow{Duration: time.Second, MaxDivergence: 1e-9}}))
	same.until(3*60, terminal)
	s, _ = same.o.Status(mod)
	require.Equal(t, PhaseCompleted, s.Phase, s.Reason)
	assert.Zero(t, s.Shadow.Divergence())
}

func TestStatusIsJSON(t *testing.T) {
	w := newWorld(t, 500, gc, standard(candidate(4, 50, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.tick(40)
	s, err := w.o.Status(mod)
	require.NoError(t, err)
	raw, err := json.Marshal(s)
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	assert.Equal(t, "progressing", doc["phase"])
	assert.Contains(t, []any{"pass", "inconclusive"}, doc["verdict"])
	assert.NotEmpty(t, doc["metrics"])
	vs := doc["versions"].([]any)
	assert.Equal(t, "canary", vs[1].(map[string]any)["role"])
	raw, err = json.Marshal(w.o.History(mod))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"action":"advance"`)
}

// refuse is a gate that never approves.
type refuse struct{}

func (refuse) Confirm(context.Context, GateRequest) (bool, error) { return false, nil }

// An A/B test between versions that do not include the live one compares
// them with one of their own, and ends.
func TestABTestWithoutTheLiveVersion(t *testing.T) {
	w := newWorld(t, 2000, gc, standard(candidate(4, 50, 0, 0), candidate(5, 60, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: ABTest{Weights: map[int]float64{4: 50, 5: 50}, Duration: 2 * time.Second}}))
	w.until(20*60, terminal)
	s, _ := w.o.Status(mod)
	require.Equal(t, PhaseCompleted, s.Phase, s.Reason)
	assert.Equal(t, 5, s.Baseline)
	require.NotNil(t, s.AB)
	assert.Equal(t, 4, s.AB.Metrics[1].Best, "v4 is cheaper: %s", s.AB)
	assert.Equal(t, map[int]float64{2: 1}, s.Weights)
}

// TestTheModuleGoesAway: when the module of a rollout in progress is
// removed from the engine, every Step reports it (ErrUnknownModule), a
// command queued for it included; once the rollout has ended, the removal
// is nothing to report.
func TestTheModuleGoesAway(t *testing.T) {
	w := newWorld(t, 500, gc, standard(candidate(4, 52, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.tick(3)
	require.NoError(t, w.o.Pause(mod))
	require.NoError(t, w.e.RemoveModule(mod))
	require.NoError(t, w.e.Tick(frame))
	err := w.o.Step()
	require.ErrorIs(t, err, versioning.ErrUnknownModule)
	require.ErrorIs(t, w.o.Step(), versioning.ErrUnknownModule, "every Step, without a panic")

	w = newWorld(t, 500, gc, standard(candidate(4, 52, 0, 0)))
	require.NoError(t, w.o.Deploy(Spec{Module: mod, Candidate: 4, Strategy: fastCanary()}))
	w.until(60*60, terminal)
	require.NoError(t, w.e.RemoveModule(mod))
	require.NoError(t, w.e.Tick(frame))
	assert.NoError(t, w.o.Step(), "an ended rollout's module may go")
}
