package deploy

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// Orchestrator runs rollouts on an engine's modules, at most one at a time
// per module. The game loop calls [Orchestrator.Step] once per frame after
// [versioning.Engine.Tick] (or [Orchestrator.Tick], which does both); each
// Step samples the last frame, asks every rollout's [Strategy] for a
// decision and applies it through the engine's public API. Strategies are
// registered by name ([Orchestrator.Register]); the built-in ones are
// canary, rolling, blue-green, ab-test and shadow.
//
// Every method is safe for concurrent use. Step, Deploy and Register are
// serialised; the commands (Pause, Resume, Promote, PromoteFull, Abort,
// Rollback) only queue an instruction for the next Step, and the read-only
// methods (Status, History, Strategies) never wait for a Step. Listeners,
// the logger and notifiers run after the locks are released. An engine
// listener must not call Step or Deploy (the engine delivers its events
// inside those calls).
type Orchestrator struct {
	e     *versioning.Engine
	opt   options
	unsub func()

	ctl sync.Mutex // serialises Step, Deploy, Register, Close
	mu  sync.Mutex // guards what the read-only methods and commands touch

	strategies map[string]Strategy
	rollouts   map[string]*rollout
	modules    []string              // the keys of rollouts, sorted
	past       map[string][]*rollout // finished rollouts replaced by a newer one, newest last
	nextID     int
	stepping   []*rollout // Step's list of rollouts, reused (under ctl)
	hist       history
	closed     bool

	lmu       sync.Mutex
	listeners []listenerEntry
	nextL     int

	emu    sync.Mutex
	events map[string][]versioning.Event // per module: rollbacks and GCs since the last Step
}

type listenerEntry struct {
	id int
	fn Listener
}

// New returns an orchestrator over e, with the built-in strategies
// registered under their names with their default settings.
func New(e *versioning.Engine, opts ...Option) (*Orchestrator, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil engine", ErrBadConfig)
	}
	opt := defaultOptions()
	for _, f := range opts {
		if f == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadConfig)
		}
		if err := f(&opt); err != nil {
			return nil, err
		}
	}
	o := &Orchestrator{e: e, opt: opt, strategies: map[string]Strategy{}, rollouts: map[string]*rollout{}, past: map[string][]*rollout{},
		hist: history{limit: opt.limit}, events: map[string][]versioning.Event{}}
	for _, s := range []Strategy{Canary{}, Rolling{}, BlueGreen{}, ABTest{}, Shadow{}} {
		o.strategies[s.Name()] = s
	}
	o.unsub = e.Subscribe(o.onEngineEvent)
	return o, nil
}

// onEngineEvent keeps the engine's rollbacks and GCs for the next Step.
func (o *Orchestrator) onEngineEvent(ev versioning.Event) {
	if ev.Kind != versioning.EventRollback && ev.Kind != versioning.EventGC {
		return
	}
	o.emu.Lock()
	defer o.emu.Unlock()
	if len(o.events[ev.Module]) < 4096 {
		o.events[ev.Module] = append(o.events[ev.Module], ev)
	}
}

func (o *Orchestrator) takeEvents(module string) []versioning.Event {
	o.emu.Lock()
	defer o.emu.Unlock()
	evs := o.events[module]
	delete(o.events, module)
	return evs
}

// Close detaches the orchestrator from the engine. Rollouts in progress
// stay as they are; Step and Deploy then fail with [ErrClosed].
func (o *Orchestrator) Close() error {
	o.ctl.Lock()
	defer o.ctl.Unlock()
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return ErrClosed
	}
	o.closed = true
	o.unsub()
	return nil
}

// StrategyInfo names and describes a registered strategy.
type StrategyInfo struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Register adds a strategy under its Name; Deploy then finds it through
// Spec.StrategyName. It fails with [ErrStrategyExists] if the name is
// taken, and [ErrBadConfig] for a nil strategy or an empty name.
func (o *Orchestrator) Register(s Strategy) error {
	if s == nil {
		return fmt.Errorf("%w: nil strategy", ErrBadConfig)
	}
	var name string
	if err := guard(func() error { name = s.Name(); return nil }); err != nil || name == "" {
		return fmt.Errorf("%w: strategy without a name", ErrBadConfig)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.strategies[name]; ok {
		return fmt.Errorf("%w: %q", ErrStrategyExists, name)
	}
	o.strategies[name] = s
	return nil
}

// Strategies lists the registered strategies by name, with their
// descriptions (the seed's available strategies).
func (o *Orchestrator) Strategies() []StrategyInfo {
	o.mu.Lock()
	ss := maps.Clone(o.strategies)
	o.mu.Unlock()
	var out []StrategyInfo
	for _, n := range slices.Sorted(maps.Keys(ss)) {
		var d string
		_ = guard(func() error { d = ss[n].Description(); return nil })
		out = append(out, StrategyInfo{Name: n, Description: d})
	}
	return out
}

// Strategy returns the strategy registered under name.
func (o *Orchestrator) Strategy(name string) (Strategy, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.strategies[name]
	return s, ok
}

// Subscribe adds a listener and returns a function that removes it. A nil
// listener is ignored.
func (o *Orchestrator) Subscribe(l Listener) (unsubscribe func()) {
	if l == nil {
		return func() {}
	}
	o.lmu.Lock()
	defer o.lmu.Unlock()
	id := o.nextL
	o.nextL++
	o.listeners = append(o.listeners, listenerEntry{id, l})
	return func() {
		o.lmu.Lock()
		defer o.lmu.Unlock()
		o.listeners = slices.DeleteFunc(o.listeners, func(x listenerEntry) bool { return x.id == id })
	}
}

// deliver hands records to the listeners, the logger and the notifiers. It
// runs with no lock held.
func (o *Orchestrator) deliver(recs []Record) {
	if len(recs) == 0 {
		return
	}
	o.lmu.Lock()
	ls := slices.Clone(o.listeners)
	o.lmu.Unlock()
	for i := range recs {
		r := &recs[i]
		for _, l := range ls {
			_ = guard(func() error { l.fn(*r); return nil })
		}
		if o.opt.logger != nil {
			logRecord(o.opt.logger, r)
		}
		for _, n := range o.opt.notifiers {
			_ = guard(func() error { n.Notify(*r); return nil })
		}
	}
}

// Spec says what to roll out, where and how.
type Spec struct {
	// Name labels the rollout in history and status (default
	// "<strategy>-v<candidate>").
	Name string
	// Module is the engine module.
	Module string
	// Candidate is the version rolled out (for an A/B test it may be 0: the
	// first arm that is not the baseline).
	Candidate int
	// Baseline is the stable version the candidate is compared with; 0
	// means the version with the largest weight now.
	Baseline int
	// Strategy is the strategy to run; if nil, the one registered as
	// StrategyName.
	Strategy     Strategy
	StrategyName string
	// Analysis says how the candidate is judged (zero value: defaults).
	Analysis Analysis
	// Gates are approval points (none by default).
	Gates Gates
}

// rollout is one rollout's state. The controller (Step, under ctl) owns
// it; pub and cmds are guarded by mu.
type rollout struct {
	id                 int
	name               string
	module             string
	spec               Spec
	strat              Strategy
	plan               Plan
	baseline, cand     int
	arms               []int // versions under test, ascending
	initial            map[int]float64
	phase              Phase
	step               int
	started            bool
	start, stepStart   time.Duration
	progress, lastRec  time.Duration
	paused, pausedStep bool
	pauseUntil         time.Duration
	an                 *analyzer
	shadow             *shadowRun
	lastFrame          uint64
	res                Result
	reason             string
	maxWeight          float64
	gcHeld             bool
	gcRestore          time.Duration
	gates              map[string]*gateState
	ab                 *ABVerdict
	shadowRep          *ShadowReport
	failures           map[int]string // the engine's failure of a version, for reasons
	ended              time.Duration
	// view is the engine's state read at each Step, reused; weights is the
	// split as of the last Step (view's map, or a fresh one after a move),
	// copied into pubWeights for the published status.
	view       versioning.FrameView
	weights    map[int]float64
	pubWeights map[int]float64

	cmds []Command // guarded by mu
	pub  Status    // guarded by mu
}

// Deploy validates spec and starts a rollout on its module. On any error
// nothing has started and nothing changed; errors wrap [ErrBadConfig],
// [ErrUnknownVersion], [ErrUnknownStrategy], [ErrRolloutActive],
// [ErrNoMigrationPath] (and the engine's error where the engine refused),
// or [ErrClosed]. The rollout is pending until the next Step, which takes
// its first decision. Versions under test that are not loaded are loaded
// now (a shadow candidate is not).
func (o *Orchestrator) Deploy(spec Spec) error {
	o.ctl.Lock()
	r, rec, err := o.deploy(spec)
	if err == nil {
		o.mu.Lock()
		if old := o.rollouts[r.module]; old != nil {
			p := append(o.past[r.module], old)
			o.past[r.module] = p[max(0, len(p)-8):]
		}
		if o.rollouts[r.module] == nil {
			o.modules = append(o.modules, r.module)
			slices.Sort(o.modules)
		}
		o.rollouts[r.module] = r
		rec = o.hist.add(rec)
		r.pub = o.snapshot(r)
		o.mu.Unlock()
	}
	o.ctl.Unlock()
	if err != nil {
		return err
	}
	o.deliver([]Record{rec})
	return nil
}

func (o *Orchestrator) deploy(spec Spec) (*rollout, Record, error) {
	o.mu.Lock()
	closed, strat, active := o.closed, spec.Strategy, o.rollouts[spec.Module]
	if strat == nil {
		strat = o.strategies[spec.StrategyName]
	}
	o.mu.Unlock()
	switch {
	case closed:
		return nil, Record{}, ErrClosed
	case strat == nil:
		return nil, Record{}, fmt.Errorf("%w: %q", ErrUnknownStrategy, spec.StrategyName)
	case active != nil && !active.phase.Terminal():
		return nil, Record{}, fmt.Errorf("%w: %q runs %q", ErrRolloutActive, spec.Module, active.name)
	}
	if err := spec.Analysis.validate(); err != nil {
		return nil, Record{}, err
	}
	if err := spec.Gates.validate(); err != nil {
		return nil, Record{}, err
	}
	e := o.e
	registered, err := e.Registered(spec.Module)
	if err != nil {
		return nil, Record{}, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	split, err := e.Split(spec.Module)
	if err != nil {
		return nil, Record{}, fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	if spec.Candidate != 0 && !slices.Contains(registered, spec.Candidate) {
		return nil, Record{}, fmt.Errorf("%w: candidate v%d in %q", ErrUnknownVersion, spec.Candidate, spec.Module)
	}
	if spec.Baseline != 0 && !slices.Contains(registered, spec.Baseline) {
		return nil, Record{}, fmt.Errorf("%w: baseline v%d in %q", ErrUnknownVersion, spec.Baseline, spec.Module)
	}
	baseline := spec.Baseline
	if baseline == 0 {
		best := 0.0
		for _, v := range sortedKeys(split) {
			if v != spec.Candidate && split[v] > best {
				baseline, best = v, split[v]
			}
		}
	}
	if baseline == 0 {
		return nil, Record{}, fmt.Errorf("%w: %q has no version with traffic (split %v)", ErrBadConfig, spec.Module, split)
	}
	t := Target{Module: spec.Module, Baseline: baseline, Candidate: spec.Candidate, Registered: registered, Split: maps.Clone(split)}
	plan := Plan{Steps: 1, Versions: []int{spec.Candidate}}
	if p, ok := strat.(Planner); ok {
		if err := guard(func() error { var err error; plan, err = p.Plan(t); return err }); err != nil {
			return nil, Record{}, err
		}
	}
	plan.Steps = max(plan.Steps, 1)
	cand := spec.Candidate
	if cand == 0 {
		for _, v := range plan.Versions {
			if v != baseline {
				cand = v
				break
			}
		}
	}
	arms := slices.Sorted(slices.Values(plan.Versions))
	arms = slices.Compact(arms)
	if cand == 0 || !slices.Contains(registered, cand) {
		return nil, Record{}, fmt.Errorf("%w: no candidate version (spec %d, plan %v)", ErrUnknownVersion, spec.Candidate, plan.Versions)
	}
	if cand == baseline {
		return nil, Record{}, fmt.Errorf("%w: candidate and baseline are both v%d", ErrBadConfig, cand)
	}
	for _, v := range arms {
		if !slices.Contains(registered, v) {
			return nil, Record{}, fmt.Errorf("%w: v%d in %q", ErrUnknownVersion, v, spec.Module)
		}
	}
	if split[baseline] == 0 && !slices.Contains(arms, baseline) {
		return nil, Record{}, fmt.Errorf("%w: baseline v%d has no traffic (split %v)", ErrBadConfig, baseline, split)
	}
	compare := len(arms) > 1 || slices.Contains(arms, baseline)
	if compare && spec.Baseline == 0 && !slices.Contains(arms, baseline) {
		// An experiment between versions that do not include the live
		// one: the arms are compared with one of their own.
		for _, v := range arms {
			if v != cand {
				baseline = v
				break
			}
		}
	}
	if !compare && split[cand] > 0 {
		return nil, Record{}, fmt.Errorf("%w: candidate v%d already has traffic (%v)", ErrBadConfig, cand, split[cand])
	}
	r := &rollout{name: spec.Name, module: spec.Module, spec: spec, strat: strat, plan: plan, baseline: baseline, cand: cand,
		arms: arms, initial: maps.Clone(split), phase: PhasePending, step: -1, gates: map[string]*gateState{},
		failures: map[int]string{}}
	if r.name == "" {
		r.name = fmt.Sprintf("%s-v%d", strat.Name(), cand)
	}
	cfg := spec.Analysis.withDefaults()
	if compare {
		// An experiment: the arms are compared in the verdict, not judged
		// against the baseline; only the safety checks gate.
		cfg.StepTime.Off, cfg.P99StepTime.Off, cfg.Memory.Off = true, true, true
		for i := range cfg.Custom {
			cfg.Custom[i].Check.Off = true
		}
	}
	r.an = newAnalyzer(cfg, baseline, arms, plan.Steps)
	r.an.compare = compare
	if plan.ShadowSample > 0 {
		if err := o.checkShadow(spec.Module, cand, split); err != nil {
			return nil, Record{}, err
		}
		sh, err := newShadowRun(e, spec.Module, cand, plan.ShadowSample, plan.ShadowSeed, o.opt.clock)
		if err != nil {
			return nil, Record{}, err
		}
		r.shadow = sh
	} else if err := o.loadArms(r); err != nil {
		return nil, Record{}, err
	}
	o.mu.Lock()
	o.nextID++
	r.id = o.nextID
	o.mu.Unlock()
	now := e.Now()
	r.lastRec = now
	rec := Record{Rollout: r.name, Module: r.module, Strategy: strat.Name(), Action: Start, Step: -1, Weights: split,
		Phase: PhasePending, SimTime: now, Frame: e.Frame(), Outcome: "ok",
		Reason: fmt.Sprintf("%s of v%d over v%d (%d steps, versions %v)", strat.Name(), cand, baseline, plan.Steps, arms)}
	r.reason = rec.Reason
	return r, rec, nil
}

// checkShadow checks that a migration path leads from every live version
// to the candidate, and that the candidate has no traffic.
func (o *Orchestrator) checkShadow(module string, cand int, split map[int]float64) error {
	for _, v := range sortedKeys(split) {
		if split[v] == 0 || v == cand {
			continue
		}
		l, err := o.e.LayoutOf(module, v)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrUnknownVersion, err)
		}
		empty := ecs.MakeColumns(l, 0)
		if _, err := o.e.Convert(module, v, cand, &empty); err != nil {
			if errors.Is(err, versioning.ErrNoMigrationPath) {
				return fmt.Errorf("%w: shadow v%d from live v%d: %w", ErrNoMigrationPath, cand, v, err)
			}
			return fmt.Errorf("%w: shadow v%d from live v%d: %w", ErrBadConfig, cand, v, err)
		}
	}
	return nil
}

// loadArms loads the versions under test that are not loaded (a loaded
// version the engine failed is reloaded); if one fails, the ones it loaded
// are unloaded again.
func (o *Orchestrator) loadArms(r *rollout) error {
	var loaded []int
	undo := func() {
		for _, v := range loaded {
			_ = o.e.Unload(r.module, v)
		}
	}
	for _, v := range r.arms {
		st, err := o.e.State(r.module, v)
		if err != nil {
			undo()
			return fmt.Errorf("%w: %w", ErrUnknownVersion, err)
		}
		switch st {
		case versioning.StateUnloaded:
			if err := o.e.Load(r.module, v); err != nil {
				undo()
				return fmt.Errorf("%w: loading v%d: %w", ErrBadConfig, v, err)
			}
			loaded = append(loaded, v)
		case versioning.StateFailed:
			if err := o.e.Reload(r.module, v); err != nil {
				undo()
				return fmt.Errorf("%w: reloading failed v%d: %w", ErrBadConfig, v, err)
			}
		}
	}
	return nil
}

// command queues a person's command for the module's rollout.
func (o *Orchestrator) command(module string, c Command) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	r := o.rollouts[module]
	if r == nil || r.pub.Phase.Terminal() {
		return fmt.Errorf("%w: in progress on %q", ErrNoRollout, module)
	}
	r.cmds = append(r.cmds, c)
	return nil
}

// Pause pauses the module's rollout at the next Step, until Resume or a
// promotion. The analysis and the circuit breaker keep running.
func (o *Orchestrator) Pause(module string) error { return o.command(module, CmdPause) }

// Resume ends a pause at the next Step.
func (o *Orchestrator) Resume(module string) error { return o.command(module, CmdResume) }

// Promote moves the rollout to its next step at the next Step, skipping
// the interval, the gate and any pause (it also ends an A/B test or a
// shadow run, and completes a blue-green switch).
func (o *Orchestrator) Promote(module string) error { return o.command(module, CmdPromote) }

// PromoteFull gives the candidate all the traffic at the next Step.
func (o *Orchestrator) PromoteFull(module string) error { return o.command(module, CmdPromoteFull) }

// Abort rolls the rollout back at the next Step: the split from before the
// rollout is restored (a blue-green rollout switches back to its warm
// version), the candidate holds no traffic and no entities, and the
// module's GC collects it (the orchestrator unloads it itself if the
// module has no GC).
func (o *Orchestrator) Abort(module string) error { return o.command(module, CmdAbort) }

// Rollback is Abort (the seed's name for it).
func (o *Orchestrator) Rollback(module string) error { return o.Abort(module) }

// Tick runs one engine frame and then Step.
func (o *Orchestrator) Tick(dt time.Duration) error {
	if err := o.e.Tick(dt); err != nil {
		return err
	}
	return o.Step()
}

// Step samples the frame the engine just ran, takes every rollout's
// decision and applies it. Call it once per frame, after Tick; calling it
// again in the same frame only handles new commands. It returns the errors
// of engine calls that failed (each also recorded), joined.
func (o *Orchestrator) Step() error {
	o.ctl.Lock()
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		o.ctl.Unlock()
		return ErrClosed
	}
	rs := o.stepping[:0]
	var past map[string][]*rollout // allocated only when a module has past rollouts
	for _, m := range o.modules {
		rs = append(rs, o.rollouts[m])
		if len(o.past[m]) > 0 {
			if past == nil {
				past = map[string][]*rollout{}
			}
			past[m] = slices.Clone(o.past[m])
		}
	}
	o.stepping = rs
	o.mu.Unlock()
	var recs []Record
	var errs []error
	for _, r := range rs {
		out, err := o.stepRollout(r, past[r.module])
		if err != nil {
			errs = append(errs, err)
		}
		o.mu.Lock()
		for i := range out {
			out[i] = o.hist.add(out[i])
		}
		r.pub = o.snapshot(r)
		o.mu.Unlock()
		recs = append(recs, out...)
	}
	o.ctl.Unlock()
	o.deliver(recs)
	return errors.Join(errs...)
}
