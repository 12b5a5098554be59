package deploy

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Defaults of the Shadow strategy.
const (
	DefaultShadowDuration = 30 * time.Second
	DefaultShadowSample   = 256
)

// Shadow runs the candidate beside the live versions without giving it any
// traffic: each frame the controller copies a sample of entities
// ([versioning.Engine.Peek], before and after the frame), converts the
// copies into the candidate's layout ([versioning.Engine.Convert]) and steps
// them with a fresh instance of the candidate's logic on a private world.
// Which versions hold the entities is unchanged and their state untouched;
// the candidate is not even loaded. It then compares the candidate's output
// with the live versions' on the same input, component by component, and its
// step cost per entity with theirs, for Duration. The report
// ([ShadowReport]) is in the rollout's [Status].
//
// A sample sees only the interactions inside the sample (v3's contacts, for
// one): for logic that couples entities, sample all of them.
type Shadow struct {
	// Duration (default [DefaultShadowDuration]).
	Duration time.Duration
	// Sample is how many entities are copied each frame (default
	// [DefaultShadowSample]); all of them if the module has fewer.
	Sample int
	// Seed picks the sample.
	Seed uint64
	// MaxDivergence, when positive, fails the run if a component's fraction
	// of differing values exceeds it; 0 only reports.
	MaxDivergence float64
	// ProgressDeadline (default [DefaultProgressDeadline]); it must exceed
	// the duration.
	ProgressDeadline time.Duration
}

// Name returns "shadow".
func (Shadow) Name() string { return "shadow" }

// Description summarises the strategy.
func (Shadow) Description() string {
	return "candidate steps copies of sampled entities on a private world; divergence per component and cost ratio, no traffic"
}

// Plan checks the settings. The controller also checks that a migration
// path leads from every live version to the candidate.
func (s Shadow) Plan(t Target) (Plan, error) {
	if err := nonNegative("shadow duration or deadline", s.Duration, s.ProgressDeadline); err != nil {
		return Plan{}, err
	}
	if s.Sample < 0 || math.IsNaN(s.MaxDivergence) || s.MaxDivergence < 0 || s.MaxDivergence > 1 {
		return Plan{}, fmt.Errorf("%w: shadow sample %d, max divergence %v", ErrBadConfig, s.Sample, s.MaxDivergence)
	}
	if or(s.ProgressDeadline, DefaultProgressDeadline) <= or(s.Duration, DefaultShadowDuration) {
		return Plan{}, fmt.Errorf("%w: shadow progress deadline %v must exceed the duration", ErrBadConfig, s.ProgressDeadline)
	}
	if err := checkVersion(t, t.Candidate, "candidate"); err != nil {
		return Plan{}, err
	}
	n := s.Sample
	if n == 0 {
		n = DefaultShadowSample
	}
	return Plan{Steps: 1, Versions: []int{t.Candidate}, ShadowSample: n, ShadowSeed: s.Seed}, nil
}

// Next decides the frame; see [Shadow].
func (s Shadow) Next(o Observation) Decision {
	if d, ok := common(o, or(s.ProgressDeadline, DefaultProgressDeadline)); ok {
		if d.Action == Abort {
			d.Reason = "shadow run aborted by a person"
		}
		return d
	}
	if o.Step < 0 {
		return Decision{Action: Advance, Step: 0, Reason: fmt.Sprintf("shadowing v%d (no traffic, copies only)", o.Candidate)}
	}
	r := o.Analysis.Shadow
	done := o.Command == CmdPromote || o.Command == CmdPromoteFull
	dur := or(s.Duration, DefaultShadowDuration)
	if el := o.Now - o.StepStart; el < dur && !done {
		return Decision{Action: Hold, Reason: fmt.Sprintf("shadowing: %v of %v", ms(el), ms(dur))}
	}
	if r == nil || r.Frames == 0 {
		if !o.PausedInStep {
			return Decision{Action: Pause, Reason: "shadow compared no frame (zero traffic): inconclusive, a person must decide"}
		}
		return Decision{Action: Hold, Reason: "shadow compared no frame yet"}
	}
	if s.MaxDivergence > 0 && r.Divergence() > s.MaxDivergence {
		return Decision{Action: RollBack, Reason: fmt.Sprintf("shadow diverged beyond %g: %s", s.MaxDivergence, r)}
	}
	return Decision{Action: Complete, Reason: "shadow run over: " + r.String()}
}

// ComponentDivergence is how one component of the candidate's output
// differed from the live versions' over a shadow run.
type ComponentDivergence struct {
	Component string `json:"component"`
	// Values is the number of scalar values compared; Differing how many
	// were not bit-identical.
	Values    int64 `json:"values"`
	Differing int64 `json:"differing"`
	// MeanAbs and MaxAbs are the mean and largest absolute difference of
	// its floating-point values (0 for a component without any).
	MeanAbs float64 `json:"mean_abs"`
	MaxAbs  float64 `json:"max_abs"`
	sumAbs  float64
	floats  int64
}

// Fraction is Differing / Values.
func (c ComponentDivergence) Fraction() float64 {
	if c.Values == 0 {
		return 0
	}
	return float64(c.Differing) / float64(c.Values)
}

// ShadowReport is a shadow run's outcome so far.
type ShadowReport struct {
	Candidate int   `json:"candidate"`
	Live      []int `json:"live"`
	// Frames is how many frames were compared; Entities the sample size.
	Frames   int `json:"frames"`
	Entities int `json:"entities"`
	// Components lists the components both sides hold, by name.
	Components []ComponentDivergence `json:"components"`
	// CandidateNsPerEntity and LiveNsPerEntity are the mean step times per
	// entity (the candidate on the sample, the live versions on their whole
	// worlds); CostRatio is the first over the second (0 when unknown).
	CandidateNsPerEntity float64 `json:"candidate_ns_per_entity"`
	LiveNsPerEntity      float64 `json:"live_ns_per_entity"`
	CostRatio            float64 `json:"cost_ratio"`
	// Errors counts frames in which the candidate's step failed (it then
	// compares nothing); SoftErrors the soft errors it reported.
	Errors     int    `json:"errors"`
	SoftErrors int64  `json:"soft_errors"`
	LastError  string `json:"last_error,omitempty"`
}

// Divergence is the largest fraction of differing values over the
// components.
func (r *ShadowReport) Divergence() float64 {
	var d float64
	for _, c := range r.Components {
		d = max(d, c.Fraction())
	}
	return d
}

// String summarises the report.
func (r *ShadowReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "v%d vs live %v over %d frames × %d entities: ", r.Candidate, r.Live, r.Frames, r.Entities)
	for i, c := range r.Components {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %.1f%% differ", c.Component, 100*c.Fraction())
		if c.floats > 0 {
			fmt.Fprintf(&b, " (mean |Δ| %.3g, max %.3g)", c.MeanAbs, c.MaxAbs)
		}
	}
	fmt.Fprintf(&b, "; cost %.1f vs %.1f ns/entity (×%.2f)", r.CandidateNsPerEntity, r.LiveNsPerEntity, r.CostRatio)
	if r.Errors > 0 {
		fmt.Fprintf(&b, "; %d failed frames (%s)", r.Errors, r.LastError)
	}
	return b.String()
}
