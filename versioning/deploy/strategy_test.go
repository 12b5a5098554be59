package deploy

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// The strategies are pure: these tests feed observations and check
// decisions, with no engine.

var (
	passing      = Result{Verdict: stats.Pass, Ready: true, Samples: 30, BaselineSamples: 30, Looks: 1}
	collecting   = Result{Verdict: stats.Inconclusive, Samples: 5}
	inconclusive = Result{Verdict: stats.Inconclusive, Ready: true, Samples: 30, Looks: 1,
		Metrics: []MetricResult{{Metric: MetricStepTime, Gating: true, Verdict: stats.Inconclusive, P: math.NaN()}}}
	zeroTraffic = Result{Verdict: stats.Inconclusive, ZeroTraffic: true}
	failing     = Result{Verdict: stats.Fail, Ready: true,
		Metrics: []MetricResult{{Metric: MetricStepTime, Version: 2, Baseline: 1, Value: 100, BaselineValue: 50, Ratio: 2,
			Limit: 60, P: 1e-9, Method: MethodRankSum, Gating: true, Verdict: stats.Fail}}}
	tripped = Result{Verdict: stats.Fail, Breaker: true,
		Metrics: []MetricResult{{Metric: MetricErrorRate, Version: 2, Value: 0.1, Limit: 0.05, P: math.NaN(), Method: MethodThreshold,
			Gating: true, Verdict: stats.Fail}}}
)

// at builds an observation of a rollout of v2 over v1 at step, t into the
// step (which started at 100s, the rollout at 0).
func at(step int, t time.Duration, r Result) Observation {
	return Observation{Module: mod, Now: 100*time.Second + t, Phase: PhaseProgressing, Baseline: 1, Candidate: 2,
		Versions: []int{2}, Initial: map[int]float64{1: 1}, Weights: map[int]float64{1: 0.9, 2: 0.1}, Step: step,
		StepStart: 100 * time.Second, Progress: 100 * time.Second, Analysis: r}
}

func TestCanaryLifecycle(t *testing.T) {
	c := Canary{Weights: []float64{10, 30, 50, 80}, Interval: 5 * time.Second}
	start := at(-1, 0, Result{})
	start.Now = 0
	d := c.Next(start)
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, 0, d.Step)
	assert.Equal(t, map[int]float64{1: 0.9, 2: 0.1}, d.Weights)

	assert.Equal(t, Hold, c.Next(at(0, 4*time.Second, passing)).Action, "interval not over")
	assert.Equal(t, Hold, c.Next(at(0, 6*time.Second, collecting)).Action, "collecting samples")
	d = c.Next(at(0, 6*time.Second, passing))
	require.Equal(t, Advance, d.Action, d.Reason)
	assert.Equal(t, 1, d.Step)
	assert.InDelta(t, 0.3, d.Weights[2], 1e-12)
	assert.InDelta(t, 0.7, d.Weights[1], 1e-12)
	assert.Contains(t, d.Reason, "analysis passed")

	// 100 is appended to 10,30,50,80: step 4 is full promotion, taken only
	// after the observation period.
	o := at(3, 6*time.Second, passing)
	o.Start = 90 * time.Second
	assert.Equal(t, Hold, c.Next(o).Action, "observation period")
	assert.Contains(t, c.Next(o).Reason, "observation period")
	o.Start = 0
	d = c.Next(o)
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, 4, d.Step)
	assert.Equal(t, map[int]float64{2: 1}, d.Weights)
	assert.Contains(t, d.Reason, "auto-promotion")
	d = c.Next(at(4, 0, passing))
	assert.Equal(t, Complete, d.Action)

	// Failures roll back at once, whatever the step's clock says.
	d = c.Next(at(1, time.Second, failing))
	require.Equal(t, RollBack, d.Action)
	assert.Contains(t, d.Reason, "analysis failed at step 1")
	assert.Contains(t, d.Reason, MetricStepTime)
	assert.NotEmpty(t, d.Metrics)
	d = c.Next(at(2, time.Second, tripped))
	require.Equal(t, RollBack, d.Action)
	assert.Contains(t, d.Reason, "circuit breaker")

	// Inconclusive pauses for a person; zero traffic too; never a rollback.
	d = c.Next(at(1, 6*time.Second, inconclusive))
	assert.Equal(t, Pause, d.Action)
	assert.Zero(t, d.Until)
	assert.Contains(t, d.Reason, "inconclusive")
	d = c.Next(at(1, 6*time.Second, zeroTraffic))
	assert.Equal(t, Pause, d.Action)
	assert.Contains(t, d.Reason, "zero traffic")
	o = at(1, 6*time.Second, zeroTraffic)
	o.PausedInStep = true
	assert.Equal(t, Hold, c.Next(o).Action, "after a resume: hold, the deadline decides")
}

func TestCanaryCommands(t *testing.T) {
	c := Canary{Weights: []float64{10, 30, 50, 80, 100}}
	cmd := func(o Observation, c Command) Observation { o.Command = c; return o }
	d := c.Next(cmd(at(1, time.Second, passing), CmdPause))
	assert.Equal(t, Pause, d.Action)
	assert.Contains(t, d.Reason, "by a person")

	paused := at(1, time.Hour, passing)
	paused.Paused = true
	assert.Equal(t, Hold, c.Next(paused).Action, "paused: no progress, no deadline")
	assert.Equal(t, Resume, c.Next(cmd(paused, CmdResume)).Action)
	timed := paused
	timed.PauseUntil = paused.Now - time.Second
	assert.Equal(t, Resume, c.Next(timed).Action, "timed pause over")
	// A failure still rolls back while paused.
	pf := paused
	pf.Analysis = failing
	assert.Equal(t, RollBack, c.Next(pf).Action)

	d = c.Next(cmd(paused, CmdPromote))
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, 2, d.Step)
	d = c.Next(cmd(at(0, 0, collecting), CmdPromoteFull))
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, 4, d.Step)
	assert.Equal(t, map[int]float64{2: 1}, d.Weights)
	d = c.Next(cmd(at(2, 0, passing), CmdAbort))
	assert.Equal(t, Abort, d.Action)
	assert.Nil(t, d.Weights, "abort restores the split from before the rollout")
}

func TestCanaryProgressDeadline(t *testing.T) {
	c := Canary{ProgressDeadline: time.Minute}
	o := at(1, 2*time.Minute, collecting)
	d := c.Next(o)
	require.Equal(t, RollBack, d.Action)
	assert.Contains(t, d.Reason, "progress deadline")
	o.Paused = true
	assert.Equal(t, Hold, c.Next(o).Action, "a pause is not a lack of progress")
	o = at(1, 59*time.Second, collecting)
	assert.Equal(t, Hold, c.Next(o).Action)
}

func TestCanaryStepPausesAndManualPromotion(t *testing.T) {
	c := Canary{Steps: []Step{{Weight: 10, Pause: 3 * time.Second}, {Weight: 50, Manual: true}}, ManualPromotion: true}
	d := c.Next(at(0, 0, passing))
	require.Equal(t, Pause, d.Action)
	assert.Equal(t, 100*time.Second+3*time.Second, d.Until)
	o := at(1, 0, passing)
	d = c.Next(o)
	require.Equal(t, Pause, d.Action)
	assert.Zero(t, d.Until, "a manual step waits for a person")
	o.PausedInStep = true
	o.Now += DefaultInterval
	o.Start = 0
	d = c.Next(o)
	assert.Equal(t, Hold, d.Action, "manual promotion: never to 100% on its own")
	o.Command = CmdPromote
	d = c.Next(o)
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, 2, d.Step)
}

func TestRollingIgnoresInconclusive(t *testing.T) {
	r := Rolling{Increment: 25, Interval: time.Second}
	d := r.Next(at(0, 2*time.Second, inconclusive))
	require.Equal(t, Advance, d.Action)
	assert.InDelta(t, 0.5, d.Weights[2], 1e-12)
	assert.Equal(t, RollBack, r.Next(at(0, 0, tripped)).Action)
	d = r.Next(at(3, 0, collecting))
	assert.Equal(t, Complete, d.Action)
}

func TestBlueGreenLifecycle(t *testing.T) {
	b := BlueGreen{ScaleDownDelay: 10 * time.Second}
	d := b.Next(at(-1, 0, Result{}))
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, map[int]float64{2: 1}, d.Weights)
	assert.Equal(t, Hold, b.Next(at(0, 9*time.Second, zeroTraffic)).Action, "warm; no baseline traffic is fine")
	assert.Equal(t, Complete, b.Next(at(0, 10*time.Second, zeroTraffic)).Action)
	d = b.Next(at(0, time.Second, tripped))
	require.Equal(t, RollBack, d.Action)
	assert.Contains(t, d.Reason, "switched back")
	o := at(0, time.Second, passing)
	o.Command = CmdAbort
	d = b.Next(o)
	assert.Equal(t, Abort, d.Action)
	assert.Contains(t, d.Reason, "switched back")
	o.Command = CmdPromote
	assert.Equal(t, Complete, b.Next(o).Action)
}

func TestABTestLifecycle(t *testing.T) {
	a := ABTest{Weights: map[int]float64{1: 20, 2: 30, 3: 50}, Duration: 10 * time.Second}
	d := a.Next(at(-1, 0, Result{}))
	require.Equal(t, Advance, d.Action)
	assert.Equal(t, map[int]float64{1: 0.2, 2: 0.3, 3: 0.5}, d.Weights)
	assert.Equal(t, Hold, a.Next(at(0, 9*time.Second, passing)).Action)
	d = a.Next(at(0, 10*time.Second, passing))
	require.Equal(t, Complete, d.Action)
	assert.Equal(t, map[int]float64{1: 1}, d.Weights, "restores the split from before")
	assert.Equal(t, Pause, a.Next(at(0, 10*time.Second, zeroTraffic)).Action)
	assert.Equal(t, Hold, a.Next(at(0, 10*time.Second, collecting)).Action)
	assert.Equal(t, RollBack, a.Next(at(0, time.Second, tripped)).Action)
	a.After = map[int]float64{3: 100}
	assert.Equal(t, map[int]float64{3: 1}, a.Next(at(0, 10*time.Second, passing)).Weights)
}

func TestShadowLifecycle(t *testing.T) {
	s := Shadow{Duration: 5 * time.Second, MaxDivergence: 0.5}
	d := s.Next(at(-1, 0, Result{}))
	require.Equal(t, Advance, d.Action)
	assert.Nil(t, d.Weights, "a shadow never changes the split")
	rep := &ShadowReport{Candidate: 2, Frames: 10, Components: []ComponentDivergence{{Component: "position", Values: 10, Differing: 2}}}
	assert.Equal(t, Hold, s.Next(at(0, time.Second, Result{Shadow: rep})).Action)
	assert.Equal(t, Complete, s.Next(at(0, 5*time.Second, Result{Shadow: rep})).Action)
	assert.Equal(t, Pause, s.Next(at(0, 5*time.Second, Result{Shadow: &ShadowReport{}})).Action, "no frame compared")
	bad := &ShadowReport{Candidate: 2, Frames: 10, Components: []ComponentDivergence{{Component: "position", Values: 10, Differing: 9}}}
	d = s.Next(at(0, 5*time.Second, Result{Shadow: bad}))
	assert.Equal(t, RollBack, d.Action)
	assert.True(t, strings.Contains(d.Reason, "diverged"))
}

func TestSplitKeepsOtherVersionsInProportion(t *testing.T) {
	got := Split(map[int]float64{1: 0.25, 2: 0.75}, 3, 20)
	assert.InDelta(t, 0.2, got[3], 1e-12)
	assert.InDelta(t, 0.2, got[1], 1e-12)
	assert.InDelta(t, 0.6, got[2], 1e-12)
	assert.Equal(t, map[int]float64{3: 1}, Split(map[int]float64{1: 1}, 3, 100))
}
