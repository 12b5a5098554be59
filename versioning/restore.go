package versioning

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/grove-engine/grove/ecs"
)

// Restore replaces the engine's state with a snapshot: simulated time,
// frame, and every module's split, pins, keys, versions and worlds. The
// engine must have the snapshot's modules, and each version the snapshot
// names must be registered with the same layout (the game registers its
// versions at start-up, then restores). Loaded versions get fresh logic
// instances; Stateful ones get their saved state back; Init is not called
// (the worlds are already initialised). Listeners get no events.
//
// Restore validates first and then changes the engine, so a snapshot that
// does not fit, or a logic that fails to restore its state, changes nothing;
// the error wraps [ErrBadSnapshot] (or [ErrLoad]). A restored engine
// continues bit-identically: after the same calls and ticks it holds the
// same states as the original. (One exception, at the default backup
// cadence of 1: a Rollback by hand before the first frame after Restore
// moves the entities as they are, since the snapshot holds no backup.)
func (e *Engine) Restore(s *Snapshot) error {
	if s == nil {
		return fmt.Errorf("%w: nil snapshot", ErrBadSnapshot)
	}
	e.begin()
	defer e.end()
	if err := e.checkSnapshot(s); err != nil {
		return err
	}
	built, err := e.buildSnapshot(s)
	if err != nil {
		return err
	}
	e.flushRecord() // the commands queued so far came before the restore
	e.now, e.frame = s.Now, s.Frame
	for i := range s.Modules {
		ms := &s.Modules[i]
		e.applyModule(e.modules[ms.Name], ms, built[i])
	}
	return nil
}

// checkSnapshot validates a snapshot against the engine.
func (e *Engine) checkSnapshot(s *Snapshot) error {
	if s.Now < 0 {
		return fmt.Errorf("%w: negative time %v", ErrBadSnapshot, s.Now)
	}
	if len(s.Modules) != len(e.order) {
		return fmt.Errorf("%w: %d modules, the engine has %d", ErrBadSnapshot, len(s.Modules), len(e.order))
	}
	for i := range s.Modules {
		ms := &s.Modules[i]
		m, ok := e.modules[ms.Name]
		if !ok {
			return fmt.Errorf("%w: unknown module %q", ErrBadSnapshot, ms.Name)
		}
		if err := checkModuleSnapshot(m, ms); err != nil {
			return fmt.Errorf("%w: module %q: %w", ErrBadSnapshot, ms.Name, err)
		}
	}
	return nil
}

func checkModuleSnapshot(m *module, ms *ModuleSnapshot) error {
	if err := ms.Policy.validate(); err != nil || ms.GCAfter < 0 || ms.Fallback < 0 {
		return fmt.Errorf("bad options (policy %+v, GC %v, fallback %d)", ms.Policy, ms.GCAfter, ms.Fallback)
	}
	if len(ms.Gens) > math.MaxInt32 {
		return fmt.Errorf("%d key slots", len(ms.Gens))
	}
	loaded, failed := map[int]bool{}, map[int]bool{}
	live := liveSet{gens: ms.Gens, used: make([]bool, len(ms.Gens))}
	for i := range ms.Versions {
		vs := &ms.Versions[i]
		vr, ok := m.versions[vs.Number]
		if !ok {
			return fmt.Errorf("v%d is not registered", vs.Number)
		}
		if i > 0 && vs.Number <= ms.Versions[i-1].Number {
			return fmt.Errorf("versions out of order")
		}
		if vs.Failed != "" {
			failed[vs.Number] = true
		}
		if !vs.Loaded {
			if vs.Failed == "" || vs.Columns.Len() > 0 {
				return fmt.Errorf("v%d is neither loaded nor failed, or holds entities unloaded", vs.Number)
			}
			continue
		}
		loaded[vs.Number] = true
		if err := checkColumns(vr, vs, &live); err != nil {
			return fmt.Errorf("v%d: %w", vs.Number, err)
		}
	}
	if err := checkFree(ms, &live); err != nil {
		return err
	}
	return checkRouting(ms, loaded, failed, &live)
}

// liveSet is the set of live keys of a snapshot, by slot: a key is live if
// its slot is used and its generation is the slot's.
type liveSet struct {
	gens []uint32
	used []bool
	n    int
}

// add adds k, reporting false if it is dead or already there.
func (s *liveSet) add(k ecs.Key) bool {
	i := int(k.Index())
	if i >= len(s.gens) || s.gens[i] != k.Gen() || s.used[i] {
		return false
	}
	s.used[i] = true
	s.n++
	return true
}

// has reports whether k is live.
func (s *liveSet) has(k ecs.Key) bool {
	i := int(k.Index())
	return i < len(s.gens) && s.gens[i] == k.Gen() && s.used[i]
}

// checkColumns validates a loaded version's world and collects its keys.
func checkColumns(vr *version, vs *VersionSnapshot, live *liveSet) error {
	c := &vs.Columns
	if !c.Layout().Same(vr.layout) {
		return fmt.Errorf("layout %v, registered %v", c.Layout(), vr.layout)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if vs.Backup != nil && (!vs.Backup.Layout().Same(vr.layout) || vs.Backup.Validate() != nil || !slices.Equal(vs.Backup.Keys, c.Keys)) {
		return fmt.Errorf("backup does not match the world")
	}
	if len(vs.StepTimes) != len(vs.StepFailed) || vs.SinceBackup < 0 || vs.Consecutive < 0 {
		return fmt.Errorf("bad failure-policy log or backup counter")
	}
	for _, k := range c.Keys {
		if !live.add(k) {
			return fmt.Errorf("key %#x is dead or duplicated", uint64(k))
		}
	}
	return nil
}

// checkFree checks that the free slots are exactly the slots with no live
// key, each listed once.
func checkFree(ms *ModuleSnapshot, live *liveSet) error {
	if len(ms.Free)+live.n != len(ms.Gens) {
		return fmt.Errorf("%d free slots and %d live keys for %d slots", len(ms.Free), live.n, len(ms.Gens))
	}
	used := slices.Clone(live.used)
	for _, f := range ms.Free {
		if int(f) >= len(used) || used[f] {
			return fmt.Errorf("free slot %d is in use or out of range", f)
		}
		used[f] = true
	}
	return nil
}

// checkRouting validates weights, pins and commands.
func checkRouting(ms *ModuleSnapshot, loaded, failed map[int]bool, live *liveSet) error {
	if len(ms.Weights) > 0 && !validWeights(ms.Weights) {
		return fmt.Errorf("weights %v", ms.Weights)
	}
	for n, w := range ms.Weights {
		if !loaded[n] || failed[n] || w <= 0 {
			return fmt.Errorf("weight %v for v%d (loaded %v, failed %v)", w, n, loaded[n], failed[n])
		}
	}
	for k, n := range ms.Pins {
		if !live.has(k) || !loaded[n] || failed[n] {
			return fmt.Errorf("pin of %#x to v%d", uint64(k), n)
		}
	}
	for _, c := range ms.Commands {
		if !live.has(c.Key) || (c.Component == "") == (c.Name == "") {
			return fmt.Errorf("command for %#x", uint64(c.Key))
		}
	}
	return nil
}

// restoredFailure is a version's failure read back from a snapshot: its
// message, unchanged, wrapping ErrVersionFailed.
type restoredFailure struct{ msg string }

func (f *restoredFailure) Error() string { return f.msg }

// Unwrap returns ErrVersionFailed.
func (f *restoredFailure) Unwrap() error { return ErrVersionFailed }

// builtVersion is a loaded version rebuilt from a snapshot, not yet in the
// engine.
type builtVersion struct {
	num   int
	l     *loaded
	err   error
	state *VersionSnapshot
}

// buildSnapshot creates the worlds and logic instances of every loaded
// version, restoring Stateful state, without touching the engine. On error
// every instance created is closed.
func (e *Engine) buildSnapshot(s *Snapshot) ([][]builtVersion, error) {
	out := make([][]builtVersion, len(s.Modules))
	var err error
	for i := range s.Modules {
		ms := &s.Modules[i]
		m := e.modules[ms.Name]
		for j := range ms.Versions {
			vs := &ms.Versions[j]
			b := builtVersion{num: vs.Number, state: vs}
			if vs.Loaded {
				b.l, err = e.buildLoaded(m, vs)
			}
			if vs.Failed != "" {
				b.err = &restoredFailure{vs.Failed}
			}
			out[i] = append(out[i], b)
			if err != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	if err != nil {
		for _, mod := range out {
			for _, b := range mod {
				if b.l != nil {
					e.closeLogic(b.l.logic)
				}
			}
		}
		return nil, err
	}
	return out, nil
}

func (e *Engine) buildLoaded(m *module, vs *VersionSnapshot) (*loaded, error) {
	vr := m.versions[vs.Number]
	l := &loaded{custom: map[string]float64{}, customNext: map[string]float64{},
		loadedAt: vs.LoadedAt, idleFrom: vs.IdleFrom, idle: vs.Idle, sinceBak: vs.SinceBackup}
	l.steps = stepLog{at: slices.Clone(vs.StepTimes), failed: slices.Clone(vs.StepFailed), consecutive: vs.Consecutive}
	err := e.user(func() error {
		var err error
		if l.logic, l.sched, err = instantiate(vr.v); err != nil {
			return err
		}
		if l.world, err = ecs.NewWorld(vr.layout, vs.Columns.Len()); err != nil {
			return err
		}
		l.world.SetRunner(e.pool)
		if err := l.world.Append(&vs.Columns); err != nil {
			return err
		}
		if vs.Backup != nil {
			l.backup.Take(l.world, l.sched.Writes())
			b := l.backup.Columns()
			for _, c := range vr.layout.Components() {
				copy(b.Raw(c.ID()), vs.Backup.Raw(c.ID()))
			}
		}
		if vs.HasLogicState {
			st, ok := l.logic.(Stateful)
			if !ok {
				return errors.New("the snapshot holds logic state but the logic is not Stateful")
			}
			return st.RestoreState(vs.LogicState)
		}
		return nil
	})
	if err != nil {
		e.closeLogic(l.logic)
		return nil, fmt.Errorf("%w: %s v%d: %w", ErrLoad, m.name, vs.Number, err)
	}
	l.writes = l.sched.Writes()
	return l, nil
}

// applyModule swaps a module's state for the snapshot's. Nothing here can
// fail.
func (e *Engine) applyModule(m *module, ms *ModuleSnapshot, built []builtVersion) {
	for _, n := range slices.Clone(m.loadedNums()) {
		e.drop(m, n)
	}
	for _, vr := range m.versions {
		vr.failed, vr.l = nil, nil
	}
	m.deps, m.gcAfter, m.fallback, m.policy = slices.Clone(ms.Deps), ms.GCAfter, ms.Fallback, ms.Policy
	m.weights = map[int]float64{}
	for n, w := range ms.Weights {
		m.weights[n] = w
	}
	m.pins = map[ecs.Key]int{}
	for k, n := range ms.Pins {
		m.pins[k] = n
	}
	m.keys.reset(ms.Gens, ms.Free)
	for _, b := range built {
		vr := m.versions[b.num]
		vr.failed, vr.l = b.err, b.l
		if b.l != nil {
			keys := b.l.world.Columns().Keys
			m.keys.place(keys, b.num, 0)
			m.keys.live += len(keys)
		}
	}
	m.relist()
	m.cmds, m.payloads = nil, nil
	for _, c := range ms.Commands {
		m.queue(c.Key, c.Component, c.Name, c.Payload)
	}
	m.inject = nil
	m.dirty, m.frames, m.missed, m.lost = ms.Dirty, ms.Frames, ms.Missed, ms.Lost
	m.settle(e.now)
}
