package deploy

import (
	"fmt"
	"math"
	"time"
)

// Check is the threshold of one metric of the canary. The zero value means
// the metric's documented default. Max is absolute, in the metric's unit;
// Ratio is relative to the baseline version (1.2: at most 20% worse). With
// both, both apply. Off makes the metric report-only: it is measured and
// shown, but never fails, holds or pauses a rollout.
type Check struct {
	Max   float64
	Ratio float64
	Off   bool
}

func (c Check) set() bool { return c.Max != 0 || c.Ratio != 0 || c.Off }

func (c Check) validate(name string) error {
	if math.IsNaN(c.Max) || math.IsInf(c.Max, 0) || c.Max < 0 || math.IsNaN(c.Ratio) || math.IsInf(c.Ratio, 0) || c.Ratio < 0 {
		return fmt.Errorf("%w: %s threshold %+v", ErrBadConfig, name, c)
	}
	return nil
}

// gating reports whether the check can fail or hold a rollout.
func (c Check) gating() bool { return !c.Off && (c.Max > 0 || c.Ratio > 0) }

// CustomCheck judges a metric the version's logic reports itself
// ([versioning.MetricsReporter]), by name. Its samples are the value after
// each frame; Check says the threshold (no default: a zero Check is report
// only). HigherIsBetter flips the direction (by default a larger value is
// worse).
type CustomCheck struct {
	Name           string
	Check          Check
	HigherIsBetter bool
}

// Analysis says how a rollout judges its candidate. The zero value is the
// documented defaults; [Orchestrator.Deploy] rejects anything outside a
// setting's domain with [ErrBadConfig].
//
// Every frame the controller samples, per version, what the engine reports
// for the last frame ([versioning.Engine.LastFrame]: entities stepped, step
// wall time, soft errors, failed or tolerated) and its metrics (memory, the
// logic's own metrics).
type Analysis struct {
	// Window is the sliding window, in simulated time, of the error rate,
	// the failure limit and the health score (default 10s).
	Window time.Duration
	// MinSamples is how many frames each compared version must have
	// stepped in the current step before its continuous metrics are tested
	// (default 30). Tests are then repeated each time the sample doubles.
	MinSamples int
	// MaxSamples is how many of the most recent per-frame samples per
	// version and step the tests use (default 128).
	MaxSamples int
	// MinEntitySteps is how many entity-steps the canary must have served in
	// the window before its error rate is judged (default 1000).
	MinEntitySteps int
	// Alpha is the false-alarm level of the whole rollout (default 0.05):
	// half of it goes to the sequential error test, half to the continuous
	// metrics, split evenly over steps and gating metrics, and over the
	// looks within a step (α/2, α/4, ...).
	Alpha float64
	// MaxErrorRate is the circuit breaker: the canary is rolled back as soon
	// as its error rate over the window, (soft errors + entity-steps of
	// failed steps) / entity-steps, exceeds it (default 0.05).
	MaxErrorRate float64
	// MaxErrorRatio is the null hypothesis of the sequential error test:
	// the canary's rate of error events per entity is at most this multiple
	// of the baseline's (default 1: no worse). The test fails the canary
	// when that is rejected at level α/2.
	MaxErrorRatio float64
	// FailureLimit, when positive, rolls back a canary with more than this
	// many failed steps in the window. The default, 0, sets no limit of its
	// own: the breaker judges the rate.
	FailureLimit int
	// ConsecutiveLimit rolls back a canary whose steps failed this many
	// frames in a row (default 3).
	ConsecutiveLimit int
	// StepTime is the mean step time per entity, in nanoseconds, tested with
	// the rank-sum test (default: Ratio 1.2).
	StepTime Check
	// P99StepTime is the 99th percentile over frames of the step time per
	// entity, in nanoseconds, tested with a permutation test of the
	// difference of p99s (default: report only). The test runs once per
	// step, at its first look, on the last 64 frames of each version; the
	// p99 of 64 values is their maximum, whose permutation test is exact
	// and takes microseconds ([stats.MaxDiffTest]).
	P99StepTime Check
	// Memory is the memory per entity, in bytes: a deterministic measurement,
	// compared with its threshold without a test (default: report only).
	Memory Check
	// Custom judges the logic's own metrics.
	Custom []CustomCheck
	// Seed seeds the permutation tests that draw random splits (a p99 over
	// more than 100 frames), so that the same inputs give the same
	// decisions.
	Seed uint64
}

func (a Analysis) withDefaults() Analysis {
	if a.Window == 0 {
		a.Window = 10 * time.Second
	}
	if a.MinSamples == 0 {
		a.MinSamples = 30
	}
	if a.MaxSamples == 0 {
		a.MaxSamples = 128
	}
	if a.MinEntitySteps == 0 {
		a.MinEntitySteps = 1000
	}
	if a.Alpha == 0 {
		a.Alpha = 0.05
	}
	if a.MaxErrorRate == 0 {
		a.MaxErrorRate = 0.05
	}
	if a.MaxErrorRatio == 0 {
		a.MaxErrorRatio = 1
	}
	if a.ConsecutiveLimit == 0 {
		a.ConsecutiveLimit = 3
	}
	if !a.StepTime.set() {
		a.StepTime = Check{Ratio: 1.2}
	}
	if !a.P99StepTime.set() {
		a.P99StepTime = Check{Off: true}
	}
	if !a.Memory.set() {
		a.Memory = Check{Off: true}
	}
	return a
}

func (a Analysis) validate() error {
	bad := func(what string, v any) error { return fmt.Errorf("%w: analysis %s %v", ErrBadConfig, what, v) }
	switch {
	case a.Window < 0:
		return bad("window", a.Window)
	case a.MinSamples < 0:
		return bad("min samples", a.MinSamples)
	case a.MaxSamples < 0 || (a.MaxSamples > 0 && a.MaxSamples < max(a.MinSamples, 2)):
		return bad("max samples", a.MaxSamples)
	case a.MinEntitySteps < 0:
		return bad("min entity-steps", a.MinEntitySteps)
	case math.IsNaN(a.Alpha) || a.Alpha < 0 || a.Alpha >= 1:
		return bad("alpha", a.Alpha)
	case math.IsNaN(a.MaxErrorRate) || a.MaxErrorRate < 0 || a.MaxErrorRate > 1:
		return bad("max error rate", a.MaxErrorRate)
	case math.IsNaN(a.MaxErrorRatio) || math.IsInf(a.MaxErrorRatio, 0) || a.MaxErrorRatio < 0 || (a.MaxErrorRatio > 0 && a.MaxErrorRatio < 1):
		return bad("max error ratio (≥ 1)", a.MaxErrorRatio)
	case a.FailureLimit < 0:
		return bad("failure limit", a.FailureLimit)
	case a.ConsecutiveLimit < 0:
		return bad("consecutive limit", a.ConsecutiveLimit)
	}
	for _, c := range []struct {
		n string
		c Check
	}{{"step time", a.StepTime}, {"p99 step time", a.P99StepTime}, {"memory", a.Memory}} {
		if err := c.c.validate(c.n); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, c := range a.Custom {
		if c.Name == "" || seen[c.Name] {
			return bad("custom metric name", fmt.Sprintf("%q", c.Name))
		}
		seen[c.Name] = true
		if err := c.Check.validate("custom " + c.Name); err != nil {
			return err
		}
	}
	return nil
}
