package versioning

import (
	"bytes"
	"fmt"
	"math"
	"time"

	"github.com/grove-engine/grove/ecs"
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
	for _, m := range e.order {
		if m.dirty {
			if err := e.rebalance(m, m.weights, nil); err != nil {
				e.emit(Event{Kind: EventError, Module: m.name, Err: err})
			}
		}
		e.applyCommands(m)
		e.stepModule(m, sec)
		m.inject = m.inject[:0]
		m.settle(e.now)
		m.measure()
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

// stepModule steps every loaded version of m that holds entities, then
// recovers the failures.
func (e *Engine) stepModule(m *module, dt float32) {
	m.frames++
	m.last = m.last[:0]
	// The results go in the module's reusable buffer, so that a frame
	// allocates nothing once warmed up; it is cleared on the way out so
	// that it keeps no unloaded version alive.
	res := m.results[:0]
	for _, n := range m.loadedNums() {
		if l := m.versions[n].l; l.world.Len() > 0 {
			res = append(res, stepResult{n: n, l: l})
		}
	}
	defer func() {
		clear(res)
		m.results = res[:0]
	}()
	if len(res) == 0 {
		return
	}
	if e.cfg.isolation {
		for _, n := range m.loadedNums() {
			l := m.versions[n].l
			l.checksum = checksum(l.world)
		}
	}
	_ = e.user(func() error {
		for i := range res {
			e.stepVersion(&res[i], dt)
			if e.cfg.isolation {
				res[i].victims = isolation(m, res[i].l)
			}
		}
		return nil
	})
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
	if row, field := c.FirstNonFinite(); row >= 0 {
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
