package deploy

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// Defaults of the stepped strategies.
const (
	// DefaultInterval is the minimum time at each step of a Canary or a
	// Rolling rollout.
	DefaultInterval = 10 * time.Second
	// DefaultObservation is how long a canary must have been observed, with
	// passing analysis, before it is promoted to all the traffic.
	DefaultObservation = 30 * time.Second
	// DefaultProgressDeadline is how long a rollout may go without progress
	// (an advance, the start, a resume) before it fails. Paused time does
	// not count.
	DefaultProgressDeadline = 10 * time.Minute
)

// DefaultWeights are a Canary's steps when none are given.
var DefaultWeights = []float64{10, 30, 50, 80, 100}

// Step is one step of a [Canary]: the candidate's weight, and how long and
// on what it waits before the next.
type Step struct {
	// Weight is the candidate's share of the traffic, in percent (0, 100].
	Weight float64
	// Interval is the minimum time at this step (0: the canary's Interval).
	Interval time.Duration
	// Pause pauses the rollout for this long on entering the step.
	Pause time.Duration
	// Manual pauses the rollout on entering the step until a person
	// resumes or promotes it.
	Manual bool
}

// Canary moves traffic to the candidate in steps. At each step it waits
// for the step's interval, then advances if the analysis passes (the
// analysis gate), pauses for a person if it is inconclusive (zero traffic
// included), and rolls back as soon as a gating metric fails or the
// circuit breaker trips (checked every frame). The last step gives the
// candidate all the traffic; it is taken only after the observation period
// and, with ManualPromotion, only when a person promotes.
//
// The steps are Steps, or Weights, or Initial, Initial+Increment, ... up to
// Max (then 100); at most one of the three may be set, and by default they
// are [DefaultWeights]. Weights must increase strictly and lie in (0, 100];
// 100 is appended if the last is lower.
type Canary struct {
	Steps                   []Step
	Weights                 []float64
	Initial, Increment, Max float64
	// Interval is the minimum time at each step (default
	// [DefaultInterval]).
	Interval time.Duration
	// Observation is the minimum time since the start before full promotion
	// (default [DefaultObservation]).
	Observation time.Duration
	// ManualPromotion pauses before the last step until a person promotes.
	ManualPromotion bool
	// ProgressDeadline fails a rollout that made no progress for this long
	// (default [DefaultProgressDeadline]).
	ProgressDeadline time.Duration
}

// Name returns "canary".
func (Canary) Name() string { return "canary" }

// Description summarises the strategy.
func (Canary) Description() string {
	return "steps of traffic (10,30,50,80,100% by default) gated by analysis; auto-promotion after the observation period"
}

// steps returns the canary's steps, ending at 100%.
func (c Canary) steps() ([]Step, error) {
	set := 0
	for _, b := range []bool{len(c.Steps) > 0, len(c.Weights) > 0, c.Initial != 0 || c.Increment != 0 || c.Max != 0} {
		if b {
			set++
		}
	}
	if set > 1 {
		return nil, fmt.Errorf("%w: canary: give Steps, Weights or Initial/Increment/Max, not several", ErrBadConfig)
	}
	steps := c.Steps
	switch {
	case len(c.Weights) > 0:
		steps = weightSteps(c.Weights)
	case set == 1 && len(c.Steps) == 0:
		if !(c.Initial > 0 && c.Initial <= 100) || !(c.Increment > 0) || !(c.Max >= c.Initial && c.Max <= 100) {
			return nil, fmt.Errorf("%w: canary initial %v, increment %v, max %v", ErrBadConfig, c.Initial, c.Increment, c.Max)
		}
		var ws []float64
		for w := c.Initial; w <= c.Max+1e-9 && len(ws) < 1000; w += c.Increment {
			ws = append(ws, w)
		}
		steps = weightSteps(ws)
	case set == 0:
		steps = weightSteps(DefaultWeights)
	}
	prev := 0.0
	for i, s := range steps {
		if math.IsNaN(s.Weight) || s.Weight <= 0 || s.Weight > 100 {
			return nil, fmt.Errorf("%w: canary step %d weight %v outside (0, 100]", ErrBadConfig, i, s.Weight)
		}
		if s.Weight <= prev {
			return nil, fmt.Errorf("%w: canary step %d weight %v does not increase (previous %v)", ErrBadConfig, i, s.Weight, prev)
		}
		if s.Interval < 0 || s.Pause < 0 { // named only then: Next checks the steps every frame
			return nil, nonNegative(fmt.Sprintf("canary step %d", i), s.Interval, s.Pause)
		}
		prev = s.Weight
	}
	if prev < 100 {
		steps = append(append([]Step(nil), steps...), Step{Weight: 100})
	}
	return steps, nil
}

func weightSteps(ws []float64) []Step {
	out := make([]Step, len(ws))
	for i, w := range ws {
		out[i] = Step{Weight: w}
	}
	return out
}

// Plan checks the settings.
func (c Canary) Plan(t Target) (Plan, error) {
	steps, err := c.steps()
	if err != nil {
		return Plan{}, err
	}
	if err := nonNegative("canary interval, observation or deadline", c.Interval, c.Observation, c.ProgressDeadline); err != nil {
		return Plan{}, err
	}
	if err := checkVersion(t, t.Candidate, "candidate"); err != nil {
		return Plan{}, err
	}
	return Plan{Steps: len(steps), Versions: []int{t.Candidate}}, nil
}

// Next decides the frame; see [Canary].
func (c Canary) Next(o Observation) Decision {
	steps, err := c.steps()
	if err != nil {
		return Decision{Action: Hold, Reason: err.Error()}
	}
	return stepped(o, steps, or(c.Interval, DefaultInterval), or(c.Observation, DefaultObservation),
		or(c.ProgressDeadline, DefaultProgressDeadline), c.ManualPromotion, true)
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}

// stepped is the decision logic of Canary (gate: advance on a passing
// analysis) and Rolling (no gate: advance after the interval unless the
// analysis fails).
func stepped(o Observation, steps []Step, interval, observation, deadline time.Duration, manual, gate bool) Decision {
	last := len(steps) - 1
	if d, ok := common(o, deadline); ok {
		return d
	}
	advance := func(i int, why string) Decision {
		d := Decision{Action: Advance, Step: i, Weights: Split(o.Initial, o.Candidate, steps[i].Weight)}
		if o.Step >= 0 {
			d.Metrics = o.Analysis.Metrics
		}
		d.Reason = fmt.Sprintf("step %d: v%d to %g%%: %s", i, o.Candidate, steps[i].Weight, why)
		return d
	}
	if o.Step < 0 {
		return advance(0, "rollout started")
	}
	switch o.Command {
	case CmdPromoteFull:
		if o.Step < last {
			return advance(last, "promoted in full by a person")
		}
	case CmdPromote:
		if o.Step < last {
			return advance(o.Step+1, "promoted by a person")
		}
	}
	if o.Step >= last {
		return Decision{Action: Complete, Weights: map[int]float64{o.Candidate: 1},
			Reason: fmt.Sprintf("v%d holds all the traffic; versions it replaced are left to the module's GC", o.Candidate)}
	}
	st := steps[o.Step]
	if !o.PausedInStep && (st.Pause > 0 || st.Manual) {
		d := Decision{Action: Pause, Reason: fmt.Sprintf("step %d: pause until a person promotes", o.Step)}
		if !st.Manual {
			d.Until = o.Now + st.Pause
			d.Reason = fmt.Sprintf("step %d: timed pause of %v", o.Step, ms(st.Pause))
		}
		return d
	}
	wait := st.Interval
	if wait == 0 {
		wait = interval
	}
	if o.Now-o.StepStart < wait {
		// Every frame holds here: a reason without formatting.
		return Decision{Action: Hold, Reason: "step " + strconv.Itoa(o.Step) + ": waiting for the step's interval"}
	}
	next := o.Step + 1
	if next == last {
		if manual {
			if !o.PausedInStep {
				return Decision{Action: Pause, Reason: "awaiting a person's promotion to 100%", Metrics: o.Analysis.Metrics}
			}
			return Decision{Action: Hold, Reason: "awaiting a person's promotion to 100%"}
		}
		if el := o.Now - o.Start; gate && el < observation {
			return Decision{Action: Hold, Reason: fmt.Sprintf("observation period: %v of %v", ms(el), ms(observation))}
		}
	}
	a := o.Analysis
	switch {
	case !gate:
		return advance(next, fmt.Sprintf("interval %v over", ms(wait)))
	case a.Verdict == stats.Pass:
		why := "analysis passed"
		if next == last {
			why = fmt.Sprintf("analysis passed after the %v observation period: auto-promotion", ms(observation))
		}
		return advance(next, why+": "+summary(a))
	case a.ZeroTraffic && !o.PausedInStep:
		return Decision{Action: Pause, Reason: fmt.Sprintf("step %d: zero traffic, analysis inconclusive: a person must decide", o.Step), Metrics: a.Metrics}
	case !a.Ready || o.PausedInStep:
		return Decision{Action: Hold, Reason: fmt.Sprintf("step %d: collecting samples (%d frames): %s", o.Step, a.Samples, a.pending())}
	}
	return Decision{Action: Pause, Reason: fmt.Sprintf("step %d: analysis inconclusive (%s): a person must decide", o.Step, a.pending()), Metrics: a.Metrics}
}

// summary lists the gating metrics' values and p-values, for a reason.
func summary(r Result) string {
	s := ""
	for _, m := range r.Metrics {
		if !m.Gating {
			continue
		}
		if s != "" {
			s += "; "
		}
		s += m.String()
	}
	return s
}

// Rolling moves traffic to the candidate by Increment percent every
// Interval until it has all of it, without waiting for a passing analysis;
// it still rolls back as soon as a gating metric fails or the circuit
// breaker trips.
type Rolling struct {
	// Increment is the step in percent (default 20).
	Increment float64
	// Interval is the time between increments (default [DefaultInterval]).
	Interval time.Duration
	// ProgressDeadline (default [DefaultProgressDeadline]).
	ProgressDeadline time.Duration
}

// Name returns "rolling".
func (Rolling) Name() string { return "rolling" }

// Description summarises the strategy.
func (Rolling) Description() string {
	return "automatic increments every interval until 100%; rolls back on failure, no analysis gate"
}

func (r Rolling) steps() ([]Step, error) {
	inc := r.Increment
	if inc == 0 {
		inc = 20
	}
	if math.IsNaN(inc) || inc < 0 || inc > 100 {
		return nil, fmt.Errorf("%w: rolling increment %v outside (0, 100]", ErrBadConfig, r.Increment)
	}
	var ws []float64
	for w := inc; w < 100-1e-9; w += inc {
		ws = append(ws, w)
	}
	return append(weightSteps(ws), Step{Weight: 100}), nil
}

// Plan checks the settings.
func (r Rolling) Plan(t Target) (Plan, error) {
	steps, err := r.steps()
	if err != nil {
		return Plan{}, err
	}
	if err := nonNegative("rolling interval or deadline", r.Interval, r.ProgressDeadline); err != nil {
		return Plan{}, err
	}
	if err := checkVersion(t, t.Candidate, "candidate"); err != nil {
		return Plan{}, err
	}
	return Plan{Steps: len(steps), Versions: []int{t.Candidate}}, nil
}

// Next decides the frame; see [Rolling].
func (r Rolling) Next(o Observation) Decision {
	steps, err := r.steps()
	if err != nil {
		return Decision{Action: Hold, Reason: err.Error()}
	}
	return stepped(o, steps, or(r.Interval, DefaultInterval), 0, or(r.ProgressDeadline, DefaultProgressDeadline), false, false)
}
