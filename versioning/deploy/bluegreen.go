package deploy

import (
	"fmt"
	"time"
)

// DefaultScaleDownDelay is how long a blue-green switch keeps the old
// version warm.
const DefaultScaleDownDelay = 30 * time.Second

// BlueGreen switches all the traffic to the candidate at once, keeps the
// versions it replaced loaded ("warm": the controller holds the module's
// automatic GC) for ScaleDownDelay, then completes and unloads them.
// While they are warm, a failing analysis or the circuit breaker switches
// back at once, and so does a person's abort: the entities move back at that
// frame boundary, with no load. A promotion completes at once.
type BlueGreen struct {
	// ScaleDownDelay (default [DefaultScaleDownDelay]).
	ScaleDownDelay time.Duration
	// ProgressDeadline (default [DefaultProgressDeadline]); it must exceed
	// the delay.
	ProgressDeadline time.Duration
}

// Name returns "blue-green".
func (BlueGreen) Name() string { return "blue-green" }

// Description summarises the strategy.
func (BlueGreen) Description() string {
	return "instant switch; the old version stays warm for a scale-down delay, instant switch back until then"
}

// Plan checks the settings.
func (b BlueGreen) Plan(t Target) (Plan, error) {
	if err := nonNegative("blue-green delay or deadline", b.ScaleDownDelay, b.ProgressDeadline); err != nil {
		return Plan{}, err
	}
	if or(b.ProgressDeadline, DefaultProgressDeadline) <= or(b.ScaleDownDelay, DefaultScaleDownDelay) {
		return Plan{}, fmt.Errorf("%w: blue-green progress deadline %v must exceed the scale-down delay", ErrBadConfig, b.ProgressDeadline)
	}
	if err := checkVersion(t, t.Candidate, "candidate"); err != nil {
		return Plan{}, err
	}
	return Plan{Steps: 1, Versions: []int{t.Candidate}, KeepWarm: true}, nil
}

// Next decides the frame; see [BlueGreen].
func (b BlueGreen) Next(o Observation) Decision {
	delay := or(b.ScaleDownDelay, DefaultScaleDownDelay)
	if d, ok := common(o, or(b.ProgressDeadline, DefaultProgressDeadline)); ok {
		switch d.Action {
		case Abort:
			d.Reason = fmt.Sprintf("switched back to the warm version by a person after %v", ms(o.Now-o.StepStart))
		case RollBack:
			d.Reason = "switched back: " + d.Reason
		}
		return d
	}
	if o.Step < 0 {
		return Decision{Action: Advance, Step: 0, Weights: map[int]float64{o.Candidate: 1},
			Reason: fmt.Sprintf("switched to v%d; the old version stays warm for %v", o.Candidate, ms(delay))}
	}
	if o.Command == CmdPromote || o.Command == CmdPromoteFull {
		return Decision{Action: Complete, Reason: "promoted by a person: the old version is unloaded"}
	}
	if el := o.Now - o.StepStart; el < delay {
		return Decision{Action: Hold, Reason: fmt.Sprintf("old version warm: %v of %v", ms(el), ms(delay))}
	}
	return Decision{Action: Complete, Reason: fmt.Sprintf("scale-down delay of %v over: the old version is unloaded", ms(delay)),
		Metrics: o.Analysis.Metrics}
}
