package deploy

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"
)

// Strategy decides a rollout, one frame at a time. Next is a pure function
// of the observation: the same observation gives the same decision, so a
// test can feed observations and check decisions without an engine. The
// controller ([Orchestrator]) builds the observation after each frame,
// calls Next and applies the decision.
//
// A custom strategy implements this interface (and [Planner], to check its
// settings and ask for versions, a shadow run or a warm old version) and is
// registered by name with [Orchestrator.Register].
type Strategy interface {
	// Name is the strategy's registry name, for example "canary".
	Name() string
	// Description is a one-line summary, listed by [Orchestrator.Strategies].
	Description() string
	// Next returns the decision for this frame.
	Next(obs Observation) Decision
}

// Planner is implemented by strategies that check their settings against
// the module before a rollout starts and tell the controller how to run
// them. Every built-in strategy implements it. An error makes
// [Orchestrator.Deploy] fail, and nothing starts.
type Planner interface {
	Plan(t Target) (Plan, error)
}

// Target is what a [Planner] checks its settings against.
type Target struct {
	Module string
	// Baseline is the stable version the candidate is compared with;
	// Candidate the version being rolled out.
	Baseline, Candidate int
	// Registered lists the module's registered versions, ascending.
	Registered []int
	// Split is the module's split now (fractions summing to 1).
	Split map[int]float64
}

// Plan is how the controller runs a strategy.
type Plan struct {
	// Steps is the number of analysed steps (at least 1): the analysis
	// splits its false-alarm budget over them.
	Steps int
	// Versions lists the versions under test besides the baseline (the
	// candidate by default; an A/B/C test's arms). The controller loads
	// those that are not loaded.
	Versions []int
	// KeepWarm makes the controller hold the module's automatic GC while the
	// rollout runs, so that the versions it replaces stay loaded until the
	// rollout completes (then it unloads them) or switches back.
	KeepWarm bool
	// ShadowSample, when positive, runs the candidate in shadow on copies of
	// that many sampled entities instead of giving it traffic; the
	// candidate is not loaded into the engine. ShadowSeed picks the sample.
	ShadowSample int
	ShadowSeed   uint64
}

// Observation is what a [Strategy] decides from: the rollout's state, the
// analysis of the last frame and any command a person gave. Times are
// simulated ([versioning.Engine.Now]). Its maps and slices are the
// strategy's to read during Next, not to modify or keep: they are the
// controller's own, valid for this call only.
type Observation struct {
	Module string
	// Now is the simulated time of the last frame, Frame its number.
	Now   time.Duration
	Frame uint64
	Phase Phase
	// Start is when the rollout started (its first Step).
	Start time.Duration
	// Baseline is the stable version, Candidate the version rolled out;
	// Versions every version under test (the candidate, or an A/B/C test's
	// arms), ascending.
	Baseline, Candidate int
	Versions            []int
	// Initial is the split before the rollout, Weights the split now
	// (fractions).
	Initial, Weights map[int]float64
	// Step is the current step's index, -1 before the first decision that
	// advanced; StepStart when it was entered.
	Step      int
	StepStart time.Duration
	// Progress is the last time the rollout made progress: its start, an
	// advance, or a resume.
	Progress time.Duration
	// Paused reports a pause; PauseUntil is its end (0: until a person
	// resumes or promotes); PausedInStep that the rollout has paused at
	// least once in this step.
	Paused       bool
	PauseUntil   time.Duration
	PausedInStep bool
	// Command is the command a person gave since the last frame.
	Command Command
	// Analysis is the analysis as of the last frame.
	Analysis Result
}

// Decision is what a [Strategy] tells the controller to do, and why.
type Decision struct {
	Action Action
	// Step is the step entered by an Advance.
	Step int
	// Weights is the split to apply (fractions) for Advance, Complete,
	// RollBack and Abort; nil leaves the split alone (for a rollback: the
	// split from before the rollout).
	Weights map[int]float64
	// Until ends a Pause (simulated time; 0: until a person acts).
	Until time.Duration
	// Reason says why, with the numbers behind it; Metrics holds them.
	Reason  string
	Metrics []MetricResult
}

// Split returns the split that gives candidate percent% of the traffic and
// shares the rest among the other versions of initial in proportion to
// their weights there. percent is in 0..100.
func Split(initial map[int]float64, candidate int, percent float64) map[int]float64 {
	w := percent / 100
	var rest float64
	for v, x := range initial {
		if v != candidate {
			rest += x
		}
	}
	out := map[int]float64{}
	if w > 0 {
		out[candidate] = w
	}
	for v, x := range initial {
		if v != candidate && x > 0 && rest > 0 && w < 1 {
			// Rounded to 1e-12 so that 1−0.8 reads 0.2 (the engine accepts
			// sums within 1e-6).
			out[v] = math.Round((1-w)*x/rest*1e12) / 1e12
		}
	}
	return out
}

// percents converts a split in percent to fractions.
func percents(ws map[int]float64) map[int]float64 {
	out := make(map[int]float64, len(ws))
	for v, w := range ws {
		if w > 0 {
			out[v] = w / 100
		}
	}
	return out
}

// common handles what every built-in strategy does the same way, in this
// order: an abort, a failing analysis (the circuit breaker and the gating
// metrics, checked every frame), a person's pause and resume, a timed
// pause running out, and the progress deadline.
func common(o Observation, deadline time.Duration) (Decision, bool) {
	if o.Command == CmdAbort {
		return Decision{Action: Abort, Reason: "aborted by a person: the split from before the rollout is restored"}, true
	}
	if f, failed := o.Analysis.Failure(); failed && o.Step >= 0 {
		why := "analysis failed"
		if o.Analysis.Breaker && f.Metric == MetricErrorRate {
			why = "circuit breaker"
		}
		return Decision{Action: RollBack, Reason: fmt.Sprintf("%s at step %d: %s", why, o.Step, f), Metrics: o.Analysis.Metrics}, true
	}
	if o.Paused {
		switch {
		case o.Command == CmdResume:
			return Decision{Action: Resume, Reason: "resumed by a person"}, true
		case o.Command == CmdPromote || o.Command == CmdPromoteFull:
			return Decision{}, false // the strategy promotes, which ends the pause
		case o.PauseUntil > 0 && o.Now >= o.PauseUntil:
			return Decision{Action: Resume, Reason: fmt.Sprintf("timed pause over at %v", ms(o.PauseUntil))}, true
		}
		return Decision{Action: Hold}, true // the pause's reason stands
	}
	if o.Command == CmdPause {
		return Decision{Action: Pause, Reason: "paused by a person"}, true
	}
	if deadline > 0 && o.Now-o.Progress > deadline {
		return Decision{Action: RollBack, Reason: fmt.Sprintf("progress deadline: no progress for %v (since %v)", ms(o.Now-o.Progress), ms(o.Progress))}, true
	}
	return Decision{}, false
}

// sortedKeys lists a split's versions in ascending order.
func sortedKeys(m map[int]float64) []int { return slices.Sorted(maps.Keys(m)) }

func nonNegative(what string, ds ...time.Duration) error {
	for _, d := range ds {
		if d < 0 {
			return fmt.Errorf("%w: %s %v is negative", ErrBadConfig, what, d)
		}
	}
	return nil
}

func checkVersion(t Target, v int, what string) error {
	if !slices.Contains(t.Registered, v) {
		return fmt.Errorf("%w: %s v%d is not registered in %q", ErrUnknownVersion, what, v, t.Module)
	}
	return nil
}

// ms rounds a duration to the millisecond, for reasons.
func ms(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
