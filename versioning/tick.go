package versioning

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// Tick advances simulated time by dt and runs one frame: for every module
// (in the order they were added, so dependencies first), every loaded version
// that holds entities backs up its state (per the backup cadence), runs its
// schedule, and is checked. A version fails when a system panics or returns
// an error, when its step exceeds the frame budget, or when it leaves NaN or
// infinite values in its state. Its entities are then restored from the
// backup, moved to the rollback target (loaded again if GC had removed it)
// and stepped by the target in this same frame. After the frame, versions
// idle for longer than their module's GC threshold are unloaded.
//
// Tick returns an error only for a negative dt ([ErrBadDelta]); failures are
// reported through events and metrics.
func (e *Engine) Tick(dt time.Duration) error {
	if dt < 0 {
		return fmt.Errorf("%w: %v", ErrBadDelta, dt)
	}
	e.mu.Lock()
	e.now += dt
	e.frame++
	sec := float32(dt.Seconds())
	for _, m := range e.order {
		if m.dirty {
			if err := e.rebalance(m, m.weights, nil); err != nil {
				e.emit(Event{Kind: EventError, Module: m.name, Err: err})
			}
		}
		e.stepModule(m, sec)
		m.refreshIdle(e.now)
	}
	due := e.gcDue()
	e.unlock()
	for _, d := range due {
		e.collect(d)
	}
	return nil
}

type failure struct {
	l       *loaded
	err     error
	started time.Duration // wall time the failing step started
}

func (e *Engine) stepModule(m *module, dt float32) {
	m.frames++
	nums := m.sorted()
	if e.cfg.isolation {
		for _, n := range nums {
			m.loaded[n].checksum = checksum(m.loaded[n].world)
		}
	}
	var failures []failure
	for _, n := range nums {
		l := m.loaded[n]
		if l.world.Len() == 0 {
			continue
		}
		e.backupIfDue(l)
		t0 := e.cfg.clock()
		sys, err := runSchedule(l.sched, l.world, dt)
		took := e.cfg.clock() - t0
		if err == nil && e.cfg.budget > 0 && took > e.cfg.budget {
			err, sys = fmt.Errorf("%w: step took %v, budget %v", ErrFrameBudget, took, e.cfg.budget), ""
		}
		if err == nil && e.cfg.checks {
			err = e.checkState(l)
		}
		if e.cfg.isolation {
			e.checkIsolation(m, l, nums)
		}
		if err != nil {
			l.stats.errors++
			failures = append(failures, failure{l: l, started: t0,
				err: &StepError{Module: m.name, Version: n, System: sys, Err: err}})
			continue
		}
		l.stats.record(took)
	}
	// Mark every failing version first, so none is chosen as another's
	// rollback target.
	for _, f := range failures {
		f.l.failed = f.err
	}
	missed := false
	for _, f := range failures {
		if !e.recoverFailure(m, f, dt) {
			missed = true
		}
	}
	if missed {
		m.missed++
	}
	if len(failures) > 0 {
		// Re-apply the split once every failure is recovered (never in
		// between: moving entities into a version still to be recovered
		// would invalidate its backup). Targets now carry the failed
		// versions' weight, and rounding may call for a move or two.
		if err := e.rebalance(m, m.weights, nil); err != nil {
			m.dirty = true
			e.emit(Event{Kind: EventError, Module: m.name, Err: err})
		}
	}
}

// runSchedule runs every system in order, stopping at the first that fails;
// it returns that system's name and error. A system that panics inside a
// per-entity query, or returns without finishing or closing one, leaves the
// world locked: the query is closed here, and leaving one open is itself a
// failure ([ErrOpenQuery]).
func runSchedule(s ecs.Schedule, w *ecs.World, dt float32) (string, error) {
	for _, sys := range s {
		err := protect(func() error { return sys.Run(w, dt) })
		if n := w.Unlock(); n > 0 && err == nil {
			err = fmt.Errorf("%w: %d", ErrOpenQuery, n)
		}
		if err != nil {
			return sys.Name, err
		}
	}
	return "", nil
}

func (e *Engine) backupIfDue(l *loaded) {
	if e.cfg.backupEvery == 0 {
		return
	}
	if l.backup.Valid(l.world) && l.sinceBak+1 < e.cfg.backupEvery {
		l.sinceBak++
		return
	}
	t0 := e.cfg.clock()
	l.backup.Take(l.world, l.writes)
	l.stats.backupTime += e.cfg.clock() - t0
	l.stats.backups++
	l.sinceBak = 0
}

func (e *Engine) checkState(l *loaded) error {
	t0 := e.cfg.clock()
	c := l.world.Columns()
	row, col := c.FirstNonFinite()
	l.stats.checkTime += e.cfg.clock() - t0
	l.stats.checks++
	if row >= 0 {
		return fmt.Errorf("%w: entity %#x %v", ErrNonFinite, uint64(c.Keys[row]), col)
	}
	return nil
}

func checksum(w *ecs.World) uint32 {
	c := w.Columns()
	return c.Checksum()
}

// checkIsolation verifies that stepping l changed no other version's data.
func (e *Engine) checkIsolation(m *module, l *loaded, nums []int) {
	for _, n := range nums {
		o := m.loaded[n]
		if o == l {
			continue
		}
		if sum := checksum(o.world); sum != o.checksum {
			l.stats.violations++
			o.checksum = sum
			e.emit(Event{Kind: EventIsolation, Module: m.name, Version: l.number, From: n})
		}
	}
	l.checksum = checksum(l.world)
}

// fallbackFor picks the version a failing version's entities go to.
func (m *module) fallbackFor(failed int) int {
	ok := func(n int) bool {
		if _, reg := m.registry[n]; !reg || n == failed {
			return false
		}
		if _, bad := m.bad[n]; bad {
			return false
		}
		l, isLoaded := m.loaded[n]
		return !isLoaded || l.failed == nil
	}
	if m.fallback != 0 && ok(m.fallback) {
		return m.fallback
	}
	best := 0
	for n := range m.registry {
		if n < failed && n > best && ok(n) {
			best = n
		}
	}
	if best != 0 {
		return best
	}
	for n := range m.registry {
		if n > failed && (best == 0 || n < best) && ok(n) {
			best = n
		}
	}
	return best
}

// recoverFailure restores a failed version's entities from its backup, moves
// them to the rollback target and serves them there in this frame. It
// reports whether the entities were served.
func (e *Engine) recoverFailure(m *module, f failure, dt float32) bool {
	l := f.l
	t0 := e.cfg.clock()
	ev := Event{Kind: EventRollback, Module: m.name, Version: l.number, From: l.number, Err: f.err}
	src := m.stageBuf(0, l.world.Mask())
	if l.backup.Valid(l.world) {
		src.AppendAll(l.backup.Columns())
	} else {
		c := l.world.Columns()
		src.AppendAll(&c)
	}
	ev.Entities = src.Len()
	target := m.fallbackFor(l.number)
	var tl *loaded
	err := error(nil)
	if target == 0 {
		err = fmt.Errorf("%w: %s v%d", ErrNoRollback, m.name, l.number)
	} else if tl = m.loaded[target]; tl == nil {
		tl, err = e.load(m, target, src.Len())
		ev.Reloaded = err == nil
	}
	if err == nil {
		err = m.migrate(src, l.number, target)
	}
	if err != nil {
		// Nowhere to go: put the backed-up state back in place. The
		// version keeps its entities and traffic and is stepped again next
		// frame; this frame went without service for them.
		ev.Err = errors.Join(f.err, err)
		if l.backup.Valid(l.world) {
			src.Reset(l.world.Mask())
			src.AppendAll(l.backup.Columns())
			l.world.RemoveAll()
			_ = l.world.Append(src)
		}
		src.Reset(src.Mask)
		l.failed = nil
		ev.Duration = e.cfg.clock() - t0
		e.emit(ev)
		return false
	}
	ev.To = target
	served := e.serve(m, tl, src, dt)
	for _, k := range src.Keys {
		m.slots[k.Index()].ver = int32(target)
	}
	l.world.RemoveAll()
	l.backup.Clear()
	l.failed = f.err
	m.weights[target] += m.weights[l.number]
	delete(m.weights, l.number)
	for k, p := range m.pins {
		if p == l.number {
			delete(m.pins, k)
		}
	}
	src.Reset(src.Mask)
	m.bad[l.number] = f.err
	now := e.cfg.clock()
	ev.Duration, ev.Downtime, ev.Served = now-t0, now-f.started, served
	e.emit(ev)
	return served
}

// serve appends restored entities to the target version and steps them once,
// with the same state check as any step. An empty target steps them in its
// own world; otherwise they are stepped in a scratch world first, so the
// target's own entities are not stepped twice. If that step fails, the
// entities keep their restored state (src) unstepped and serve reports false:
// this frame went without service for them.
func (e *Engine) serve(m *module, tl *loaded, src *ecs.Columns, dt float32) bool {
	stepped := func(w *ecs.World) bool {
		if _, err := runSchedule(tl.sched, w, dt); err != nil {
			return false
		}
		if !e.cfg.checks {
			return true
		}
		c := w.Columns()
		row, _ := c.FirstNonFinite()
		return row < 0
	}
	if tl.world.Len() == 0 {
		_ = tl.world.Append(src)
		if stepped(tl.world) {
			return true
		}
		tl.world.RemoveAll()
		_ = tl.world.Append(src)
		return false
	}
	sw := m.scratch[tl.world.Mask()]
	if sw == nil {
		var err error
		if sw, err = ecs.NewWorld(tl.world.Mask(), src.Len()); err != nil {
			_ = tl.world.Append(src)
			return false
		}
		m.scratch[tl.world.Mask()] = sw
	}
	_ = sw.Append(src)
	ok := stepped(sw)
	if ok {
		c := sw.Columns()
		_ = tl.world.Append(&c)
	} else {
		_ = tl.world.Append(src)
	}
	sw.RemoveAll()
	return ok
}

// Rollback moves every entity of the module to target by hand: each other
// version's entities are restored from its last backup (their state before
// the last frame; the current state if backups are off), migrated, and
// appended to target, which is loaded if needed and receives all traffic.
// Pins to other versions are dropped. If loading or a migration fails,
// nothing changes.
func (e *Engine) Rollback(module string, target int) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, ok := m.registry[target]; !ok {
		return fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, target)
	}
	tl := m.loaded[target]
	if tl != nil && tl.failed != nil {
		return fmt.Errorf("%w: %s v%d", ErrVersionFailed, module, target)
	}
	t0 := e.cfg.clock()
	mark := len(e.pending)
	reloaded := false
	if tl == nil {
		if tl, err = e.load(m, target, m.live); err != nil {
			return err
		}
		reloaded = true
	}
	type part struct {
		l    *loaded
		cols *ecs.Columns
	}
	var parts []part
	for i, n := range m.sorted() {
		l := m.loaded[n]
		if n == target || l.world.Len() == 0 {
			continue
		}
		c := m.stageBuf(i, l.world.Mask())
		if l.backup.Valid(l.world) {
			c.AppendAll(l.backup.Columns())
		} else {
			cur := l.world.Columns()
			c.AppendAll(&cur)
		}
		if err := m.migrate(c, n, target); err != nil {
			if reloaded {
				e.drop(m, target)
				e.pending = e.pending[:mark]
			}
			return err
		}
		parts = append(parts, part{l, c})
	}
	for _, p := range parts {
		p.l.world.RemoveAll()
		p.l.backup.Clear()
		_ = tl.world.Append(p.cols)
		for _, k := range p.cols.Keys {
			m.slots[k.Index()].ver = int32(target)
		}
		e.emit(Event{Kind: EventRollback, Module: module, Version: p.l.number, From: p.l.number, To: target,
			Entities: p.cols.Len(), Reloaded: reloaded, Duration: e.cfg.clock() - t0})
		p.cols.Reset(p.cols.Mask)
	}
	for k, p := range m.pins {
		if p != target {
			delete(m.pins, k)
		}
	}
	m.weights = map[int]float64{target: 1}
	m.dirty = false
	m.refreshIdle(e.now)
	return nil
}

// gcItem is a version due for collection.
type gcItem struct {
	module  string
	version int
}

func (e *Engine) gcDue() []gcItem {
	var out []gcItem
	for _, m := range e.order {
		if m.gcAfter <= 0 {
			continue
		}
		for _, n := range m.sorted() {
			l := m.loaded[n]
			if l.idle && e.now-l.idleFrom >= m.gcAfter {
				out = append(out, gcItem{m.name, n})
			}
		}
	}
	return out
}

// collect unloads one idle version: before-unload is delivered first, then
// the version is re-checked and dropped under the lock.
func (e *Engine) collect(d gcItem) {
	e.mu.Lock()
	_, err := e.gcCheck(d)
	e.mu.Unlock()
	if err != nil {
		return
	}
	e.dispatch([]Event{{Kind: EventBeforeUnload, Module: d.module, Version: d.version, SimTime: e.Now()}})
	e.mu.Lock()
	defer e.unlock()
	m, err := e.gcCheck(d)
	if err != nil {
		return
	}
	l := m.loaded[d.version]
	t0 := e.cfg.clock()
	idle := e.now - l.idleFrom
	held := int64(l.memoryBytes())
	var before, after runtime.MemStats
	if e.cfg.measureGC {
		runtime.GC()
		runtime.ReadMemStats(&before)
	}
	e.drop(m, d.version)
	l = nil
	var freed int64
	if e.cfg.measureGC {
		runtime.GC()
		runtime.ReadMemStats(&after)
		freed = int64(before.HeapAlloc) - int64(after.HeapAlloc)
	}
	took := e.cfg.clock() - t0
	e.emit(Event{Kind: EventAfterUnload, Module: d.module, Version: d.version})
	e.emit(Event{Kind: EventGC, Module: d.module, Version: d.version, IdleFor: idle, Duration: took,
		MemoryBytes: held, Freed: freed})
}

// gcCheck re-checks that a version is still due for collection. The caller
// holds the lock.
func (e *Engine) gcCheck(d gcItem) (*module, error) {
	m, ok := e.modules[d.module]
	if !ok {
		return nil, ErrUnknownModule
	}
	l, ok := m.loaded[d.version]
	if !ok || !l.idle || m.gcAfter <= 0 || e.now-l.idleFrom < m.gcAfter || l.world.Len() > 0 || m.weights[d.version] > 0 {
		return nil, ErrVersionInUse
	}
	if len(m.loaded) == 1 && len(e.dependents(d.module)) > 0 {
		return nil, ErrDependents
	}
	return m, nil
}
