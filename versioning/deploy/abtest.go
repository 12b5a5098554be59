package deploy

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// DefaultTestDuration is how long an A/B test runs.
const DefaultTestDuration = 60 * time.Second

// ABTest runs a fixed split between two or more versions (A/B, A/B/C, ...)
// for Duration, and then until each arm has the analysis' minimum samples.
// It ends with a verdict that names the best version on each metric, with
// the statistical evidence ([ABVerdict], in the rollout's [Status]). A
// failing arm (the circuit breaker, a gating metric against the baseline)
// rolls the test back; an arm with no traffic pauses it for a person.
type ABTest struct {
	// Weights is the split in percent, by version; it must sum to 100 and
	// name at least two registered versions.
	Weights map[int]float64
	// Duration (default [DefaultTestDuration]).
	Duration time.Duration
	// After is the split in percent to apply when the test ends; nil
	// restores the split from before the test.
	After map[int]float64
	// ProgressDeadline (default [DefaultProgressDeadline]); it must exceed
	// the duration.
	ProgressDeadline time.Duration
}

// Name returns "ab-test".
func (ABTest) Name() string { return "ab-test" }

// Description summarises the strategy.
func (ABTest) Description() string {
	return "fixed split between versions for a duration; verdict names the best version per metric with p-values"
}

func checkSplit(t Target, ws map[int]float64, what string) error {
	var sum float64
	for v, w := range ws {
		if err := checkVersion(t, v, what); err != nil {
			return err
		}
		if math.IsNaN(w) || w < 0 || w > 100 {
			return fmt.Errorf("%w: %s weight %v of v%d outside 0..100", ErrBadConfig, what, w, v)
		}
		sum += w
	}
	if math.Abs(sum-100) > 1e-6 {
		return fmt.Errorf("%w: %s weights sum to %v, not 100", ErrBadConfig, what, sum)
	}
	return nil
}

// Plan checks the settings.
func (a ABTest) Plan(t Target) (Plan, error) {
	if err := checkSplit(t, a.Weights, "A/B test"); err != nil {
		return Plan{}, err
	}
	var arms []int
	for _, v := range sortedKeys(a.Weights) {
		if a.Weights[v] > 0 {
			arms = append(arms, v)
		}
	}
	if len(arms) < 2 {
		return Plan{}, fmt.Errorf("%w: an A/B test needs two versions with traffic, got %v", ErrBadConfig, arms)
	}
	if a.After != nil {
		if err := checkSplit(t, a.After, "A/B test's after"); err != nil {
			return Plan{}, err
		}
		for v, w := range a.After {
			if w > 0 && !slices.Contains(arms, v) && t.Split[v] == 0 {
				return Plan{}, fmt.Errorf("%w: A/B test's after split gives v%d traffic but it is in neither the test nor the current split", ErrBadConfig, v)
			}
		}
	}
	if err := nonNegative("A/B test duration or deadline", a.Duration, a.ProgressDeadline); err != nil {
		return Plan{}, err
	}
	if or(a.ProgressDeadline, DefaultProgressDeadline) <= or(a.Duration, DefaultTestDuration) {
		return Plan{}, fmt.Errorf("%w: A/B test progress deadline %v must exceed the duration", ErrBadConfig, a.ProgressDeadline)
	}
	return Plan{Steps: 1, Versions: arms}, nil
}

// Next decides the frame; see [ABTest].
func (a ABTest) Next(o Observation) Decision {
	if d, ok := common(o, or(a.ProgressDeadline, DefaultProgressDeadline)); ok {
		return d
	}
	after := percents(a.After)
	if a.After == nil {
		after = o.Initial
	}
	if o.Step < 0 {
		return Decision{Action: Advance, Step: 0, Weights: percents(a.Weights), Reason: fmt.Sprintf("test split %s", pct(a.Weights))}
	}
	if o.Command == CmdPromote || o.Command == CmdPromoteFull {
		return Decision{Action: Complete, Weights: after, Reason: "ended by a person", Metrics: o.Analysis.Metrics}
	}
	dur := or(a.Duration, DefaultTestDuration)
	if el := o.Now - o.StepStart; el < dur {
		return Decision{Action: Hold, Reason: fmt.Sprintf("testing: %v of %v", ms(el), ms(dur))}
	}
	switch {
	case o.Analysis.ZeroTraffic && !o.PausedInStep:
		return Decision{Action: Pause, Reason: "an arm has zero traffic: inconclusive, a person must decide", Metrics: o.Analysis.Metrics}
	case o.Analysis.Samples < 1 || !o.Analysis.Ready:
		return Decision{Action: Hold, Reason: fmt.Sprintf("duration over, collecting samples: %s", o.Analysis.pending())}
	}
	return Decision{Action: Complete, Weights: after, Reason: fmt.Sprintf("test over after %v", ms(o.Now-o.StepStart)), Metrics: o.Analysis.Metrics}
}

// pct formats a split in percent, by ascending version.
func pct(ws map[int]float64) string {
	s := ""
	for _, v := range sortedKeys(ws) {
		if s != "" {
			s += "/"
		}
		s += fmt.Sprintf("v%d:%g%%", v, ws[v])
	}
	return s
}
