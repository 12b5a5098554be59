package versioning

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/internal/pool"
)

// Tick advances simulated time by dt and runs one frame: for every module
// (in the order they were added, so dependencies first), every loaded version
// that holds entities backs up its state (per the backup cadence), runs its
// schedule, and is checked. A version fails when a system panics or returns
// an error, leaves a query open, changes entity keys, leaves NaN or
// infinite values in its state, or exceeds the frame budget. Its entities
// are then restored from the backup, moved to the rollback target (loaded
// again if GC had removed it) and served by the target in this same frame
// (see [Engine.Rollback] and the package documentation). After the frame,
// versions idle for longer than their module's GC threshold are unloaded.
//
// Tick returns an error, wrapping [ErrBadDelta], only for a negative dt or
// one that would overflow the simulated clock; it then changes nothing.
// Failures are reported through events and metrics.
func (e *Engine) Tick(dt time.Duration) error {
	if dt < 0 {
		return fmt.Errorf("%w: %v is negative", ErrBadDelta, dt)
	}
	e.begin()
	if dt > math.MaxInt64-e.now {
		e.end()
		return fmt.Errorf("%w: %v would overflow the simulated clock at %v", ErrBadDelta, dt, e.now)
	}
	e.record(Op{Kind: OpTick, Dt: dt})
	e.now += dt
	e.frame++
	sec := float32(dt.Seconds())
	for _, level := range e.levels() {
		e.stepLevel(level, sec)
	}
	e.recordChecksums()
	due := e.gcDue()
	e.end()
	for _, d := range due {
		e.collect(d)
	}
	return nil
}

// stepResult is what stepping one version in one frame produced.
type stepResult struct {
	n       int
	l       *loaded
	m       *module
	sys     string
	err     error
	started time.Duration // wall time the step started
	took    time.Duration
	backup  time.Duration // wall time of the backup, if one was taken
	backed  bool
	check   time.Duration // wall time of the state check
	checked bool
	memory  int
	soft    int   // soft errors its systems reported
	victims []int // versions whose data changed while this one stepped
}

// levels groups the modules by dependency depth, each level in the order
// the modules were added: a module's dependencies are all in earlier levels,
// so the modules of one level may step at the same time.
func (e *Engine) levels() [][]*module {
	if e.levelCache != nil {
		return e.levelCache
	}
	depth := map[string]int{}
	var out [][]*module
	for _, m := range e.order { // dependencies are added before their dependents
		d := 0
		for _, dep := range m.deps {
			d = max(d, depth[dep]+1)
		}
		depth[m.name] = d
		for len(out) <= d {
			out = append(out, nil)
		}
		out[d] = append(out[d], m)
	}
	e.levelCache = out
	return out
}

// stepLevel runs one frame of a level's modules: each applies its pending
// split and entity commands; then every version of every module that holds
// entities steps, in parallel on the engine's workers (serially, in order,
// with isolation checks on); then each module, in order, records the
// outcomes and recovers its failures (by version), exactly as serially.
func (e *Engine) stepLevel(level []*module, dt float32) {
	e.tasks = e.tasks[:0]
	for _, m := range level {
		if m.dirty {
			if err := e.rebalance(m, m.weights, nil); err != nil {
				e.emit(Event{Kind: EventError, Module: m.name, Err: err})
			}
		}
		e.applyCommands(m)
		e.prepare(m)
	}
	if len(e.tasks) > 1 {
		// Longest first (by the last frame's step): a long version that
		// starts last would keep the others waiting. Only the schedule
		// changes, not the results, which are recorded in version order.
		slices.SortStableFunc(e.tasks, func(a, b *stepResult) int { return cmp.Compare(b.l.lastStep, a.l.lastStep) })
	}
	if len(e.tasks) > 0 {
		e.stepDT = dt
		_ = e.user(func() error {
			if e.cfg.isolation || e.pool.Workers() == 1 || len(e.tasks) == 1 {
				for i := range e.tasks {
					e.stepTask(i)
				}
				return nil
			}
			return e.pool.Run(len(e.tasks), e.stepTaskFn)
		})
	}
	clear(e.tasks)
	for _, m := range level {
		e.finish(m, dt)
		m.inject = m.inject[:0]
		m.settle(e.now)
		m.measure()
	}
}

// prepare lists the module's versions that hold entities as step tasks,
// in the module's reusable result buffer.
func (e *Engine) prepare(m *module) {
	m.frames++
	m.last = m.last[:0]
	res := m.results[:0]
	for _, n := range m.loadedNums() {
		if l := m.versions[n].l; l.world.Len() > 0 {
			res = append(res, stepResult{n: n, l: l, m: m})
		}
	}
	m.results = res
	if len(res) > 0 && e.cfg.isolation {
		for _, n := range m.loadedNums() {
			l := m.versions[n].l
			l.checksum = checksum(l.world)
		}
	}
	for i := range res {
		e.tasks = append(e.tasks, &res[i])
	}
}

// stepTask steps task i of the level: one version. It runs on any worker,
// with the read lock released, and recovers any panic into the version's
// failure, so no panic leaves a worker.
func (e *Engine) stepTask(i int) {
	r := e.tasks[i]
	if err := protect(func() error { e.stepVersion(r, e.stepDT); return nil }); err != nil && r.err == nil {
		r.err = err
	}
	if e.cfg.isolation {
		r.victims = isolation(r.m, r.l)
	}
}

// finish records the module's step outcomes, in version order, and
// recovers its failures.
func (e *Engine) finish(m *module, dt float32) {
	res := m.results
	defer func() {
		clear(res) // keep no unloaded version alive
		m.results = res[:0]
	}()
	var fails []failure
	for i := range res {
		r := &res[i]
		for _, o := range r.victims {
			r.l.stats.violations++
			e.emit(Event{Kind: EventIsolation, Module: m.name, Version: r.n, From: o})
		}
		if r.err == nil {
			r.err = m.injected(r.n, PhaseStep)
		}
		f := e.account(m, r)
		if r.err == nil {
			continue
		}
		f.err = &StepError{Module: m.name, Version: r.n, System: r.sys, Err: r.err}
		e.record(Op{Kind: OpFailure, Module: m.name, Version: r.n, Phase: PhaseStep, Cause: failureCause(r.err), Err: f.err})
		fails = append(fails, f)
	}
	if len(fails) > 0 {
		e.recoverFailures(m, fails, dt)
	}
}

// account records a step's costs, reports and outcome in the version's
// stats, the failure policy's log and the module's last-frame stats. For a
// failed step it returns the failure, with whether the policy tolerates it.
func (e *Engine) account(m *module, r *stepResult) failure {
	l := r.l
	l.stats.recordCosts(r)
	l.memLogic = r.memory
	l.soft += uint64(r.soft)
	st := FrameStat{Version: r.n, Entities: l.world.Len(), Step: r.took, SoftErrors: r.soft, Failed: r.err != nil}
	f := failure{n: r.n, started: r.started}
	l.steps.add(e.now, m.policy.withDefaults().Window, r.err != nil)
	if r.err != nil {
		l.stats.errors++
		f.tolerated = m.policy.tolerates(&l.steps)
		st.Tolerated = f.tolerated
	} else {
		l.custom, l.customNext = l.customNext, l.custom
		l.stats.record(r.took)
		l.lastStep = r.took
		l.served += uint64(st.Entities)
	}
	m.last = append(m.last, st)
	return f
}

// stepVersion backs up, steps and checks one version. It runs with the read
// lock released and touches only the version's world, logic and r.
func (e *Engine) stepVersion(r *stepResult, dt float32) {
	e.backupIfDue(r.l, r)
	e.stepOnly(r, dt, backupKeys(r.l))
	r.soft = r.l.world.TakeSoftErrors()
	if r.err == nil {
		r.err = report(r.l, &r.memory)
	}
}

// stepOnly runs a version's schedule with the budget and state checks (keys
// compared with keys), but no backup and no reports.
func (e *Engine) stepOnly(r *stepResult, dt float32, keys []ecs.Key) {
	r.started = e.cfg.clock()
	r.sys, r.err = runSchedule(r.l.sched, r.l.world, dt)
	r.took = e.cfg.clock() - r.started
	if r.err == nil && e.cfg.budget > 0 && r.took > e.cfg.budget {
		r.err = fmt.Errorf("%w: step took %v, budget %v", ErrFrameBudget, r.took, e.cfg.budget)
	}
	if r.err == nil && e.cfg.checks {
		t0 := e.cfg.clock()
		r.err = checkState(r.l.world, keys)
		r.check, r.checked = e.cfg.clock()-t0, true
	}
}

// report fills the logic's own metrics and memory after a step.
func report(l *loaded, memory *int) error {
	return protect(func() error {
		if rep, ok := l.logic.(MetricsReporter); ok {
			clear(l.customNext)
			rep.ReportMetrics(l.customNext)
		}
		if mr, ok := l.logic.(MemoryReporter); ok {
			*memory = mr.MemoryBytes()
		}
		return nil
	})
}

// runSchedule runs every system in order over the world's view, stopping at
// the first that fails; it returns that system's name and error. A system
// that panics inside a per-entity query, or returns without finishing or
// closing one, leaves the world locked: the query is closed here, and
// leaving one open is itself a failure ([ErrOpenQuery]).
func runSchedule(s ecs.Schedule, w *ecs.World, dt float32) (string, error) {
	v := w.View()
	for i := range s {
		sys := &s[i]
		err := protect(func() error { return sys.Run(v, dt) })
		if err != nil {
			err = poolPanic(err)
		}
		if n := w.Unlock(); n > 0 && err == nil {
			err = fmt.Errorf("%w: %d", ErrOpenQuery, n)
		}
		if err != nil {
			return sys.Name, err
		}
	}
	return "", nil
}

// backupIfDue takes the version's backup per the cadence.
func (e *Engine) backupIfDue(l *loaded, r *stepResult) {
	if e.cfg.backupEvery == 0 {
		return
	}
	if l.backup.Valid(l.world) && l.sinceBak+1 < e.cfg.backupEvery {
		l.sinceBak++
		return
	}
	t0 := e.cfg.clock()
	l.backup.Take(l.world, l.writes)
	r.backup, r.backed = e.cfg.clock()-t0, true
	l.sinceBak = 0
	l.bakFrame = e.frame
}

// checkState fails a version whose state holds a non-finite value, or whose
// keys differ from keys, their copy from before the step (systems must not
// write keys; nil skips that check).
func checkState(w *ecs.World, keys []ecs.Key) error {
	c := w.Columns()
	if row, field := w.FirstNonFinite(); row >= 0 {
		return fmt.Errorf("%w: entity %#x %s", ErrNonFinite, uint64(c.Keys[row]), field)
	}
	if keys != nil && !bytes.Equal(ecs.KeyBytes(c.Keys), ecs.KeyBytes(keys)) {
		return ErrKeysChanged
	}
	return nil
}

// backupKeys is the keys of l's backup if it is valid, else nil.
func backupKeys(l *loaded) []ecs.Key {
	if l.backup.Valid(l.world) {
		return l.backup.Columns().Keys
	}
	return nil
}

func checksum(w *ecs.World) uint32 {
	c := w.Columns()
	return c.Checksum()
}

// isolation verifies that stepping l changed no other version's data, and
// returns the versions whose data changed. It runs with the read lock
// released (the engine is not changed while ctl is held, so reading its
// bookkeeping is safe).
func isolation(m *module, l *loaded) []int {
	var victims []int
	for _, o := range m.loadedNums() {
		ol := m.versions[o].l
		if ol == l {
			continue
		}
		if sum := checksum(ol.world); sum != ol.checksum {
			victims = append(victims, o)
			ol.checksum = sum
		}
	}
	l.checksum = checksum(l.world)
	return victims
}

// poolPanic turns a panic in a chunk of View.For, on a worker, into the
// same failure as a panic on the caller's goroutine.
func poolPanic(err error) error {
	var pe *pool.PanicError
	if errors.As(err, &pe) && !errors.Is(err, ErrPanic) {
		return &PanicError{Value: err, Stack: pe.Stack}
	}
	return err
}
