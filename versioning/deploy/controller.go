package deploy

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/grove-engine/grove/versioning"
)

// stepRollout samples the last frame for one rollout, takes its decision
// and applies it. It runs under ctl, without mu.
func (o *Orchestrator) stepRollout(r *rollout, past []*rollout) ([]Record, error) {
	e := o.e
	var recs []Record
	viewErr := e.ReadFrame(r.module, &r.view) // fails if the module is gone
	now, frame := r.view.Now, r.view.Frame
	if viewErr != nil {
		now, frame = e.Now(), e.Frame()
	}
	for _, ev := range o.takeEvents(r.module) {
		switch ev.Kind {
		case versioning.EventRollback:
			if ev.Err != nil && !ev.Tolerated {
				r.failures[ev.Version] = ev.Err.Error()
			}
		case versioning.EventGC:
			// The GC of a version a rollout replaced or rolled back ends
			// that rollout's story: record it there.
			owner := r
			if !r.involves(ev.Version) {
				owner = nil
				for i := len(past) - 1; i >= 0 && owner == nil; i-- {
					if past[i].involves(ev.Version) {
						owner = past[i]
					}
				}
			}
			if owner != nil {
				recs = append(recs, o.record(owner, Record{Action: Retire, SimTime: ev.SimTime, Frame: ev.Frame, Step: owner.step,
					Reason: fmt.Sprintf("v%d collected by the module's GC after %v idle (%d bytes)", ev.Version, ms(ev.IdleFor), ev.MemoryBytes)}))
			}
		}
	}
	if r.phase.Terminal() {
		return recs, nil
	}
	if viewErr != nil {
		return recs, viewErr
	}
	o.mu.Lock()
	var cmd Command
	if len(r.cmds) > 0 {
		cmd = r.cmds[0]
		r.cmds = r.cmds[1:]
	}
	o.mu.Unlock()
	if !r.started {
		r.started, r.start, r.progress, r.lastFrame = true, now, now, frame
	}
	var errs []error
	if frame != r.lastFrame {
		r.lastFrame = frame
		if r.step >= 0 {
			if err := o.sample(r, now, frame); err != nil {
				errs = append(errs, err)
			}
		}
	}
	r.res = r.an.evaluate()
	if r.shadow != nil {
		r.res.Shadow = r.shadow.report()
	}
	weights := r.view.Weights
	r.weights = weights
	obs := Observation{Module: r.module, Now: now, Frame: frame, Phase: r.phase, Start: r.start,
		Baseline: r.baseline, Candidate: r.cand, Versions: r.arms, Initial: r.initial,
		Weights: weights, Step: r.step, StepStart: r.stepStart, Progress: r.progress, Paused: r.paused,
		PauseUntil: r.pauseUntil, PausedInStep: r.pausedStep, Command: cmd, Analysis: r.res}
	var d Decision
	if err := guard(func() error { d = r.strat.Next(obs); return nil }); err != nil {
		d = Decision{Action: Hold, Reason: "strategy panicked: " + err.Error()}
		errs = append(errs, fmt.Errorf("deploy: %s: strategy %s: %w", r.name, r.strat.Name(), err))
	}
	d = o.gate(r, d, obs)
	if rec, ok, err := o.apply(r, d, obs); ok {
		r.weights, _ = e.Split(r.module) // the split may have changed
		rec.Command = cmd
		recs = append(recs, o.record(r, rec))
		if err != nil {
			errs = append(errs, err)
		}
	}
	return recs, errors.Join(errs...)
}

// involves reports whether the rollout concerns version v.
func (r *rollout) involves(v int) bool {
	return v == r.cand || v == r.baseline || slices.Contains(r.arms, v) || r.initial[v] > 0
}

// record fills a record's rollout fields.
func (o *Orchestrator) record(r *rollout, rec Record) Record {
	rec.Rollout, rec.Module, rec.Strategy = r.name, r.module, r.strat.Name()
	rec.Metrics = slices.Clone(rec.Metrics) // the analysis reuses its buffer
	if rec.Phase == 0 {
		rec.Phase = r.phase
	}
	if rec.Outcome == "" {
		rec.Outcome = "ok"
	}
	if rec.Weights == nil {
		rec.Weights, _ = o.e.Split(r.module)
	}
	if rec.SimTime == 0 {
		rec.SimTime, rec.Frame = o.e.Now(), o.e.Frame()
	}
	rec.Duration = rec.SimTime - r.lastRec
	r.lastRec = rec.SimTime
	return rec
}

// sample feeds the last frame to the analysis and the shadow run.
func (o *Orchestrator) sample(r *rollout, now time.Duration, frame uint64) error {
	e := o.e
	last := r.view.Last
	var mm *versioning.ModuleMetrics
	if r.an.needsMetrics(frame) {
		m, err := e.Metrics(r.module)
		if err != nil {
			return err
		}
		mm = &m
	}
	r.an.ingest(now, last, mm, r.view.States)
	if r.shadow != nil {
		r.shadow.frame(frame, now, last)
	}
	return nil
}

// gate holds a decision that needs a gate's approval until it has it.
func (o *Orchestrator) gate(r *rollout, d Decision, obs Observation) Decision {
	g := r.spec.Gates
	need := func(name string, gt Gate) bool {
		if gt == nil {
			return false
		}
		st := r.gates[name]
		if st == nil {
			st = &gateState{}
			r.gates[name] = st
		}
		req := GateRequest{Gate: name, Rollout: r.name, Module: r.module, Strategy: r.strat.Name(), Baseline: r.baseline,
			Candidate: r.cand, Step: d.Step, Weights: d.Weights, SimTime: obs.Now, Frame: obs.Frame, Reason: d.Reason}
		st.poll(gt, req, obs.Now, or(g.Retry, time.Second), or(g.Timeout, 5*time.Second))
		return !st.approved
	}
	hold := func(name string) Decision {
		why := fmt.Sprintf("awaiting %s", name)
		if st := r.gates[name]; st.last != "" {
			why += " (last answer: " + st.last + ")"
		}
		return Decision{Action: Hold, Reason: why + " before: " + d.Reason}
	}
	if d.Action == Advance && obs.Step < 0 && need(GateConfirmRollout, g.ConfirmRollout) {
		return hold(GateConfirmRollout)
	}
	if (d.Action == Advance || d.Action == Complete) && d.Weights[r.cand] >= 1 && obs.Weights[r.cand] < 1 &&
		need(GateConfirmPromotion, g.ConfirmPromotion) {
		return hold(GateConfirmPromotion)
	}
	return d
}

// apply carries a decision out. It returns the record (ok false for a
// hold) and the engine's error, if a call failed.
func (o *Orchestrator) apply(r *rollout, d Decision, obs Observation) (Record, bool, error) {
	e := o.e
	now := obs.Now
	if d.Reason != "" {
		r.reason = d.Reason
	}
	rec := Record{Action: d.Action, Reason: d.Reason, Metrics: d.Metrics, SimTime: now, Frame: obs.Frame}
	var err error
	switch d.Action {
	case Hold:
		return rec, false, nil
	case Advance:
		if r.plan.KeepWarm && !r.gcHeld {
			err = o.holdGC(r)
		}
		if err == nil && d.Weights != nil {
			err = e.SetSplit(r.module, d.Weights)
		}
		if err != nil {
			break
		}
		r.step, r.stepStart, r.progress = d.Step, now, now
		r.paused, r.pausedStep, r.pauseUntil = false, false, 0
		r.an.newStep()
		r.phase = PhaseProgressing
		if w := d.Weights[r.cand]; w >= 1 {
			r.phase = PhasePromoting
		}
		r.maxWeight = max(r.maxWeight, 100*d.Weights[r.cand])
	case Pause:
		r.paused, r.pausedStep, r.pauseUntil = true, true, d.Until
		r.phase = PhasePaused
	case Resume:
		r.paused, r.pauseUntil, r.progress = false, 0, now
		r.phase = PhaseProgressing
		if obs.Weights[r.cand] >= 1 {
			r.phase = PhasePromoting
		}
	case RollBack, Abort:
		r.phase = PhaseRollingBack
		if r.shadow == nil {
			err = o.restore(r, d.Weights)
		}
		r.phase = PhaseFailed
		if d.Action == Abort {
			r.phase = PhaseAborted
		}
		o.finish(r, now, &rec)
	case Complete:
		if d.Weights != nil {
			err = e.SetSplit(r.module, d.Weights)
		}
		if err != nil {
			break
		}
		if w := d.Weights[r.cand]; w > 0 {
			r.maxWeight = max(r.maxWeight, 100*w)
		}
		if r.an.compare {
			ab := r.an.verdict(r.arms)
			r.ab = &ab
			rec.Reason += "; verdict: " + ab.String()
			r.reason = rec.Reason
		}
		r.phase = PhaseCompleted
		o.finish(r, now, &rec)
	default:
		return rec, false, nil
	}
	if err != nil && !r.phase.Terminal() {
		// The engine refused an advance or a completion (a version failed
		// meanwhile, a migration failed): the rollout fails rather than
		// retrying every frame.
		rec.Reason = fmt.Sprintf("%s refused by the engine, rolled back: %v (decision: %s)", d.Action, err, d.Reason)
		r.reason = rec.Reason
		if r.shadow == nil {
			_ = o.restore(r, nil)
		}
		r.phase = PhaseFailed
		o.finish(r, now, &rec)
	}
	rec.Step, rec.Phase = r.step, r.phase
	if err != nil {
		rec.Outcome = err.Error()
		err = fmt.Errorf("deploy: %s: %v: %w", r.name, d.Action, err)
	}
	return rec, true, err
}

// restore gives the traffic back: the decision's weights, else the split
// from before the rollout without versions that have failed since; if the
// engine refuses that, everything to the baseline.
func (o *Orchestrator) restore(r *rollout, ws map[int]float64) error {
	if ws == nil {
		ws = map[int]float64{}
		var sum float64
		for v, w := range r.initial {
			if st, err := o.e.State(r.module, v); err == nil && st != versioning.StateFailed && st != versioning.StateUnloaded {
				ws[v] = w
				sum += w
			}
		}
		if sum == 0 {
			ws = map[int]float64{r.baseline: 1}
		}
		for v := range ws {
			ws[v] /= max(sum, ws[v])
		}
	}
	err := o.e.SetSplit(r.module, ws)
	if err != nil {
		if err2 := o.e.SetSplit(r.module, map[int]float64{r.baseline: 1}); err2 == nil {
			return nil
		}
	}
	return err
}

// finish ends a rollout: the GC hold is lifted, the versions it took
// traffic from (a completed blue-green switch) or gave none to any more
// (a rolled-back candidate, when the module has no GC of its own) are
// unloaded, and a shadow instance is closed.
func (o *Orchestrator) finish(r *rollout, now time.Duration, rec *Record) {
	r.ended = now
	if r.shadow != nil {
		r.shadowRep = r.shadow.report()
		r.res.Shadow = r.shadowRep
		r.shadow.close()
		r.shadow = nil
		return
	}
	gc, _ := o.e.AutoGCThreshold(r.module)
	warm := r.gcHeld
	if r.gcHeld {
		gc = r.gcRestore
		if gc > 0 {
			_ = o.e.EnableAutoGC(r.module, gc)
		}
		r.gcHeld = false
	}
	var retire []int
	split, _ := o.e.Split(r.module)
	switch {
	case r.phase == PhaseCompleted && warm:
		for v, w := range r.initial {
			if w > 0 && split[v] == 0 {
				retire = append(retire, v)
			}
		}
	case gc == 0:
		for _, v := range append(slices.Clone(r.arms), sortedKeys(r.initial)...) {
			if split[v] == 0 && !slices.Contains(retire, v) {
				retire = append(retire, v)
			}
		}
	}
	slices.Sort(retire)
	var gone []string
	for _, v := range retire {
		if err := o.e.Unload(r.module, v); err == nil {
			gone = append(gone, fmt.Sprintf("v%d", v))
		}
	}
	if len(gone) > 0 {
		rec.Reason += fmt.Sprintf("; unloaded %v", gone)
	}
}

// holdGC turns the module's automatic GC off until the rollout ends, so
// that the versions it replaces stay warm.
func (o *Orchestrator) holdGC(r *rollout) error {
	gc, err := o.e.AutoGCThreshold(r.module)
	if err != nil {
		return err
	}
	if gc > 0 {
		if err := o.e.DisableAutoGC(r.module); err != nil {
			return err
		}
	}
	r.gcHeld, r.gcRestore = true, gc
	return nil
}
