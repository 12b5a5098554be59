package deploy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy/stats"
)

// Status is a rollout's state, JSON-serialisable.
type Status struct {
	Name      string `json:"name"`
	Module    string `json:"module"`
	Strategy  string `json:"strategy"`
	Phase     Phase  `json:"phase"`
	Reason    string `json:"reason"`
	Baseline  int    `json:"baseline"`
	Candidate int    `json:"candidate"`
	// Step is the current step (-1 before the first), Steps how many the
	// plan has, StepStart when the step was entered (simulated).
	Step      int           `json:"step"`
	Steps     int           `json:"steps"`
	StepStart time.Duration `json:"step_start_ns"`
	// Weights is the module's split (fractions); MaxWeight the candidate's
	// highest weight so far, in percent.
	Weights   map[int]float64 `json:"weights"`
	MaxWeight float64         `json:"max_weight"`
	// Paused reports a pause, PauseUntil its end (0: until a person acts).
	Paused     bool          `json:"paused"`
	PauseUntil time.Duration `json:"pause_until_ns,omitempty"`
	// Started, Updated and Ended are simulated times; Frame the frame of
	// the last update.
	Started time.Duration `json:"started_ns"`
	Updated time.Duration `json:"updated_ns"`
	Ended   time.Duration `json:"ended_ns,omitempty"`
	Frame   uint64        `json:"frame"`
	// Verdict is the analysis' overall verdict, Metrics every metric's.
	Verdict stats.Verdict  `json:"-"`
	Metrics []MetricResult `json:"metrics"`
	// Health is the candidate's health score (the seed's, 0..100) over the
	// analysis window.
	Health float64 `json:"-"`
	// Versions is each version's part in the rollout.
	Versions []VersionStatus `json:"versions"`
	// AB is an A/B test's verdict, once it ended; Shadow a shadow run's
	// report.
	AB     *ABVerdict    `json:"ab,omitempty"`
	Shadow *ShadowReport `json:"shadow,omitempty"`
}

// MarshalJSON adds the verdict as a string and the health score (null when
// unknown).
func (s Status) MarshalJSON() ([]byte, error) {
	type plain Status
	return json.Marshal(struct {
		plain
		Verdict string `json:"verdict"`
		Health  any    `json:"health"`
	}{plain(s), s.Verdict.String(), finite(s.Health)})
}

// VersionStatus is one version's part in a rollout.
type VersionStatus struct {
	Version int `json:"version"`
	// Role is active, canary, deprecated, failed or retired.
	Role Role `json:"role"`
	// State is the engine's state of the version.
	State    string  `json:"state"`
	Weight   float64 `json:"weight"`
	Entities int     `json:"entities"`
}

// snapshot is the rollout's status as of now, without the versions (which
// Status reads from the engine when asked). It runs under mu and reuses
// the previous snapshot's metrics buffer, which Status copies out.
func (o *Orchestrator) snapshot(r *rollout) Status {
	if r.pubWeights == nil {
		r.pubWeights = map[int]float64{}
	}
	w := r.weights
	if w == nil {
		w, _ = o.e.Split(r.module)
	}
	// The published map is the rollout's own (Status copies it under mu):
	// r.weights may be the view that the next Step refills.
	clear(r.pubWeights)
	maps.Copy(r.pubWeights, w)
	w = r.pubWeights
	s := Status{Name: r.name, Module: r.module, Strategy: r.strat.Name(), Phase: r.phase, Reason: r.reason,
		Baseline: r.baseline, Candidate: r.cand, Step: r.step, Steps: r.plan.Steps, StepStart: r.stepStart, Weights: w, MaxWeight: r.maxWeight,
		Paused: r.paused, PauseUntil: r.pauseUntil, Started: r.start, Updated: o.e.Now(), Ended: r.ended,
		Frame: r.lastFrame, Verdict: r.res.Verdict, Metrics: append(r.pub.Metrics[:0], r.res.Metrics...), Health: r.an.health(r.cand),
		AB: r.ab, Shadow: r.res.Shadow}
	if r.shadowRep != nil {
		s.Shadow = r.shadowRep
	}
	return s
}

// Status returns the module's latest rollout's status (in progress or
// finished), with each involved version's role read from the engine now.
func (o *Orchestrator) Status(module string) (Status, error) {
	o.mu.Lock()
	r := o.rollouts[module]
	if r == nil {
		o.mu.Unlock()
		return Status{}, fmt.Errorf("%w: on %q", ErrNoRollout, module)
	}
	s := r.pub
	s.Weights = maps.Clone(s.Weights)
	s.Metrics = slices.Clone(s.Metrics)
	involved := map[int]bool{r.cand: true, r.baseline: true}
	for _, v := range r.arms {
		involved[v] = true
	}
	for v, w := range r.initial {
		if w > 0 {
			involved[v] = true
		}
	}
	arms, shadow, baseline := slices.Clone(r.arms), r.plan.ShadowSample > 0, r.baseline
	o.mu.Unlock()
	mm, _ := o.e.Metrics(module)
	entities := map[int]int{}
	for _, vm := range mm.Versions {
		entities[vm.Version] = vm.Entities
	}
	split, _ := o.e.Split(module)
	for _, v := range slices.Sorted(maps.Keys(involved)) {
		st, err := o.e.State(module, v)
		if err != nil {
			continue
		}
		vs := VersionStatus{Version: v, State: st.String(), Weight: split[v], Entities: entities[v]}
		testing := v != baseline && slices.Contains(arms, v)
		switch {
		case testing && !s.Phase.Terminal() && (st != versioning.StateFailed):
			vs.Role = RoleCanary
			if st == versioning.StateUnloaded && !shadow {
				vs.Role = RoleRetired
			}
		case st == versioning.StateUnloaded:
			vs.Role = RoleRetired
		case st == versioning.StateFailed:
			vs.Role = RoleFailed
		case testing && s.Phase == PhaseFailed && split[v] == 0:
			vs.Role = RoleFailed
		case split[v] > 0:
			vs.Role = RoleActive
		default:
			vs.Role = RoleDeprecated
		}
		s.Versions = append(s.Versions, vs)
	}
	return s, nil
}

// Statuses returns the status of every module's latest rollout, by
// module name.
func (o *Orchestrator) Statuses() []Status {
	o.mu.Lock()
	mods := slices.Sorted(maps.Keys(o.rollouts))
	o.mu.Unlock()
	var out []Status
	for _, m := range mods {
		if s, err := o.Status(m); err == nil {
			out = append(out, s)
		}
	}
	return out
}

// History returns the records kept (see [WithHistoryLimit]), oldest first:
// all of them for module "", else the module's.
func (o *Orchestrator) History(module string) []Record {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hist.all(func(r *Record) bool { return module == "" || r.Module == module })
}
