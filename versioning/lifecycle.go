package versioning

import (
	"errors"
	"fmt"
	"runtime"

	"github.com/grove-engine/grove/ecs"
)

// Load loads a registered version: a fresh world and a fresh logic instance.
// The first version loaded into a module receives all of its traffic; later
// ones start with none. Loading a version by hand clears a failure it had.
// If creating or initialising the version fails (error or panic) the engine
// is left exactly as it was and the error wraps [ErrLoad].
func (e *Engine) Load(module string, version int) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	vr, ok := m.versions[version]
	if !ok {
		return fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, version)
	}
	failed := vr.failed
	vr.failed = nil // loaded by hand: trusted again
	if _, err := e.load(m, version, 0); err != nil {
		vr.failed = failed
		return err
	}
	e.record(Op{Kind: OpLoad, Module: module, Version: version})
	return nil
}

// load instantiates and inserts a version; capacity pre-sizes its world. The
// version's callbacks run with the read lock released.
func (e *Engine) load(m *module, n, capacity int) (*loaded, error) {
	vr, ok := m.versions[n]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, m.name, n)
	}
	if vr.l != nil {
		return nil, fmt.Errorf("%w: %s v%d", ErrAlreadyLoaded, m.name, n)
	}
	t0 := e.cfg.clock()
	l := &loaded{custom: map[string]float64{}, customNext: map[string]float64{}}
	vr.loading = true
	err := e.user(func() error {
		var err error
		if l.logic, l.sched, err = instantiate(vr.v); err != nil {
			return err
		}
		if l.world, err = ecs.NewWorld(vr.layout, capacity); err != nil {
			return err
		}
		l.world.SetRunner(e.pool)
		return initialize(l.logic, l.world, e.cfg.checks)
	})
	vr.loading = false
	if err != nil {
		e.closeLogic(l.logic)
		return nil, fmt.Errorf("%w: %s v%d: %w", ErrLoad, m.name, n, err)
	}
	l.writes = l.sched.Writes()
	l.loadTime = e.cfg.clock() - t0
	l.loadedAt = e.now
	vr.l = l
	m.relist()
	m.measure()
	if len(m.weights) == 0 && vr.failed == nil {
		m.weights[n] = 1
		m.dirty = true
	}
	m.settle(e.now)
	e.emit(Event{Kind: EventAfterLoad, Module: m.name, Version: n, Duration: l.loadTime})
	return l, nil
}

// instantiate creates a fresh logic instance of v and reads its schedule.
func instantiate(v Version) (logic ecs.Logic, sched ecs.Schedule, err error) {
	err = protect(func() error {
		var err error
		if logic, err = v.NewLogic(); err != nil {
			return err
		}
		if logic == nil {
			return errors.New("NewLogic returned nil")
		}
		sched = logic.Schedule()
		for _, s := range sched {
			if s.Run == nil {
				return fmt.Errorf("system %q has no Run function", s.Name)
			}
		}
		return nil
	})
	return logic, sched, err
}

// initialize runs the logic's Init over w, if it has one. With state checks
// on, Init must leave the world's state finite.
//
// The finite check follows WithStateChecks like every other non-finite
// check (spawn, migrations, steps): with checks off a world may hold NaN
// legitimately (spawned, or left by a step), and checking here made every
// reload of such a world fail, blaming Init for values it did not write
// (found by the model test, TestModelRegressions/reload-with-checks-off).
func initialize(logic ecs.Logic, w *ecs.World, checks bool) error {
	in, ok := logic.(Initializer)
	if !ok {
		return nil
	}
	if err := protect(func() error { return in.Init(w.View()) }); err != nil {
		return err
	}
	if n := w.Unlock(); n > 0 {
		return fmt.Errorf("%w: Init left %d open", ErrOpenQuery, n)
	}
	if !checks {
		return nil
	}
	c := w.Columns()
	if row, field := c.FirstNonFinite(); row >= 0 {
		return fmt.Errorf("%w: Init left entity %#x %s non-finite", ErrNonFinite, uint64(c.Keys[row]), field)
	}
	return nil
}

// closeLogic calls a dropped instance's Close, if it has one, with the read
// lock released.
func (e *Engine) closeLogic(logic ecs.Logic) {
	if c, ok := logic.(Closer); ok {
		_ = e.user(func() error { c.Close(); return nil })
	}
}

// drop forgets a loaded version so its memory can be reclaimed. Its pins
// are dropped too.
func (e *Engine) drop(m *module, n int) {
	vr := m.versions[n]
	l := vr.l
	vr.l = nil
	m.relist()
	delete(m.weights, n)
	for k, p := range m.pins {
		if p == n {
			delete(m.pins, k)
		}
	}
	e.closeLogic(l.logic)
	*l = loaded{}
}

// unloadHandshake delivers [EventBeforeUnload] for the versions check
// names, with no lock held, then checks again (listeners may have changed
// the engine) and, if the check still passes, applies the removal and
// delivers [EventAfterUnload] for the same versions. Unload, RemoveModule
// and GC all go through it.
func (e *Engine) unloadHandshake(module string, check func() ([]int, error), apply func() []Event) error {
	e.begin()
	nums, err := check()
	for _, n := range nums {
		if err == nil {
			e.emit(Event{Kind: EventBeforeUnload, Module: module, Version: n})
		}
	}
	e.end()
	if err != nil {
		return err
	}
	e.begin()
	defer e.end()
	again, err := check()
	if err != nil {
		return err
	}
	extra := apply()
	for _, n := range again {
		e.emit(Event{Kind: EventAfterUnload, Module: module, Version: n})
	}
	for _, ev := range extra {
		e.emit(ev)
	}
	return nil
}

// Unload drops a loaded version. It fails with [ErrVersionInUse] while the
// version has entities or traffic, and with a [*DependentsError] if it is
// the module's last loaded version and other modules depend on the module.
//
// Listeners get [EventBeforeUnload] before the version is dropped and
// [EventAfterUnload] after; if a listener makes the unload impossible, the
// call fails and no EventAfterUnload follows.
func (e *Engine) Unload(module string, version int) error {
	return e.unloadHandshake(module, func() ([]int, error) {
		_, err := e.unloadable(module, version)
		return []int{version}, err
	}, func() []Event {
		e.drop(e.modules[module], version)
		e.record(Op{Kind: OpUnload, Module: module, Version: version})
		return nil
	})
}

// unloadable checks that a version may be unloaded now.
func (e *Engine) unloadable(name string, version int) (*module, error) {
	m, err := e.module(name)
	if err != nil {
		return nil, err
	}
	vr, ok := m.versions[version]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, name, version)
	}
	if vr.l == nil {
		return nil, fmt.Errorf("%w: %s v%d", ErrNotLoaded, name, version)
	}
	if n := vr.l.world.Len(); n > 0 || m.weights[version] > 0 {
		return nil, fmt.Errorf("%w: %s v%d has %d entities, weight %v", ErrVersionInUse, name, version, n, m.weights[version])
	}
	if len(m.loadedNums()) == 1 {
		if err := e.checkDependents(name); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Reload replaces a loaded version's logic with a fresh instance while
// keeping its world, so entity state is preserved (a hot reload), and
// clears the version's failure. Logic that implements [Stateful] has its own
// state carried over; logic that implements [Initializer] runs Init on a
// copy of the world, which replaces the world only if everything succeeds.
//
// It fails with a [*DependentsError] while other modules depend on the
// module. If creating or initialising the new instance fails (error or
// panic), the old instance and the world stay exactly as they were, the new
// instance is closed, and the error wraps [ErrLoad].
//
// Listeners get [EventBeforeUnload] first, then [EventAfterUnload] and
// [EventAfterLoad] once the new instance is in place; a reload that fails
// after EventBeforeUnload delivers nothing more.
func (e *Engine) Reload(module string, version int) error {
	check := func() (*mod, *ver, error) {
		m, err := e.module(module)
		if err != nil {
			return nil, nil, err
		}
		if err := e.checkDependents(module); err != nil {
			return nil, nil, err
		}
		vr, ok := m.versions[version]
		if !ok {
			return nil, nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, version)
		}
		if vr.l == nil {
			return nil, nil, fmt.Errorf("%w: %s v%d", ErrNotLoaded, module, version)
		}
		return m, vr, nil
	}
	e.begin()
	_, _, err := check()
	if err == nil {
		e.emit(Event{Kind: EventBeforeUnload, Module: module, Version: version})
	}
	e.end()
	if err != nil {
		return err
	}
	e.begin()
	defer e.end()
	m, vr, err := check()
	if err != nil {
		return err
	}
	if err := e.reload(m, vr); err != nil {
		return err
	}
	e.record(Op{Kind: OpReload, Module: module, Version: version})
	return nil
}

func (e *Engine) reload(m *module, vr *version) error {
	l := vr.l
	t0 := e.cfg.clock()
	var logic ecs.Logic
	var sched ecs.Schedule
	var world *ecs.World
	vr.loading = true
	err := e.user(func() error {
		var err error
		if logic, sched, err = instantiate(vr.v); err != nil {
			return err
		}
		if _, ok := logic.(Initializer); ok {
			// Init runs on a copy, so a failure leaves the world as it was.
			if world, err = ecs.NewWorld(vr.layout, l.world.Len()); err != nil {
				return err
			}
			cur := l.world.Columns()
			if err := world.Append(&cur); err != nil {
				return err
			}
			if err := initialize(logic, world, e.cfg.checks); err != nil {
				return err
			}
		}
		return carryState(l.logic, logic)
	})
	vr.loading = false
	if err != nil {
		e.closeLogic(logic)
		return fmt.Errorf("%w: %s v%d: %w", ErrLoad, m.name, vr.num, err)
	}
	old := l.logic
	l.logic, l.sched, l.writes = logic, sched, sched.Writes()
	if world != nil {
		world.SetRunner(l.world.View().Runner())
		l.world = world // a new epoch: the next backup copies everything
		l.backup.Clear()
	}
	vr.failed = nil
	l.loadTime = e.cfg.clock() - t0
	e.closeLogic(old)
	e.emit(Event{Kind: EventAfterUnload, Module: m.name, Version: vr.num})
	e.emit(Event{Kind: EventAfterLoad, Module: m.name, Version: vr.num, Duration: l.loadTime})
	return nil
}

// carryState moves a Stateful logic's own state from the old instance to the
// new one. It does nothing unless both implement Stateful.
func carryState(old, fresh ecs.Logic) error {
	from, ok1 := old.(Stateful)
	to, ok2 := fresh.(Stateful)
	if !ok1 || !ok2 {
		return nil
	}
	return protect(func() error {
		data, err := from.SaveState()
		if err != nil {
			return fmt.Errorf("state: %w", err)
		}
		if err := to.RestoreState(data); err != nil {
			return fmt.Errorf("state: %w", err)
		}
		return nil
	})
}

// gcItem is a version due for collection.
type gcItem struct {
	module  string
	version int
}

// gcDue lists the versions idle for longer than their module's threshold.
func (e *Engine) gcDue() []gcItem {
	var out []gcItem
	for _, m := range e.order {
		if m.gcAfter <= 0 {
			continue
		}
		for _, n := range m.loadedNums() {
			l := m.versions[n].l
			if l.idle && e.now-l.idleFrom >= m.gcAfter {
				out = append(out, gcItem{m.name, n})
			}
		}
	}
	return out
}

// collect unloads one idle version through the unload handshake, and
// measures what it frees.
func (e *Engine) collect(d gcItem) {
	_ = e.unloadHandshake(d.module, func() ([]int, error) {
		_, err := e.gcCheck(d)
		return []int{d.version}, err
	}, func() []Event {
		m := e.modules[d.module]
		l := m.versions[d.version].l
		t0 := e.cfg.clock()
		idle := e.now - l.idleFrom
		m.measure()
		held := int64(l.memoryBytes())
		var before, after runtime.MemStats
		if e.cfg.measureGC {
			runtime.GC()
			runtime.ReadMemStats(&before)
		}
		e.drop(m, d.version)
		e.record(Op{Kind: OpGC, Module: d.module, Version: d.version})
		l = nil
		var freed int64
		if e.cfg.measureGC {
			runtime.GC()
			runtime.ReadMemStats(&after)
			freed = int64(before.HeapAlloc) - int64(after.HeapAlloc)
		}
		return []Event{{Kind: EventGC, Module: d.module, Version: d.version, IdleFor: idle,
			Duration: e.cfg.clock() - t0, MemoryBytes: held, Freed: freed}}
	})
}

// gcCheck re-checks that a version is still due for collection.
func (e *Engine) gcCheck(d gcItem) (*module, error) {
	m, err := e.unloadable(d.module, d.version)
	if err != nil {
		return nil, err
	}
	l := m.versions[d.version].l
	if !l.idle || m.gcAfter <= 0 || e.now-l.idleFrom < m.gcAfter {
		return nil, fmt.Errorf("%w: %s v%d is not due for GC", ErrVersionInUse, d.module, d.version)
	}
	return m, nil
}
