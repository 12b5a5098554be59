package versioning

import (
	"fmt"
	"maps"
	"slices"

	"github.com/grove-engine/grove/ecs"
)

// Spawn adds entities to a module. c holds them in the layout of version
// layout (that version's components, as [ecs.MakeColumns] builds them;
// layout must be registered but need not be loaded). c's keys are ignored:
// the engine assigns them, and returns them in row order. The new entities
// are routed by the current split and migrated where needed.
//
// It fails, and nothing changes, if the module has no version with traffic
// ([ErrNotLoaded]), if c is nil, not in the version's layout or ragged, or
// holds a non-finite value in a checked float field ([ErrBadColumns]), or if
// a migration fails ([ErrMigration]).
func (e *Engine) Spawn(module string, layout int, c *ecs.Columns) ([]ecs.Key, error) {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	vr, ok := m.versions[layout]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, layout)
	}
	if err := e.checkSpawn(vr, c); err != nil {
		return nil, fmt.Errorf("%w: spawning into %s as v%d: %w", ErrBadColumns, module, layout, err)
	}
	if len(m.weights) == 0 {
		return nil, fmt.Errorf("%w: %s has no version with traffic", ErrNotLoaded, module)
	}
	if c.Len() == 0 {
		return []ecs.Key{}, nil
	}
	// The caller's columns with the keys the entities will get: moved
	// straight into the target worlds, never copied in between.
	in := *c
	in.Keys = m.keys.peek(c.Len())
	m.presize(in.Len())
	if err := e.rebalance(m, m.weights, &spawnBatch{layout: layout, cols: &in}); err != nil {
		return nil, err
	}
	if e.recording() {
		e.record(Op{Kind: OpSpawn, Module: module, Version: layout, Columns: &in, Keys: in.Keys})
	}
	return in.Keys, nil
}

// presize replaces the empty worlds of versions with traffic by worlds
// sized for their share of n new entities, so a large spawn into fresh
// worlds is one batch creation with no growth copies.
func (m *module) presize(n int) {
	const least = 4096 // below this, growing costs nothing worth a new world
	for v, w := range m.weights {
		l := m.versions[v].l
		need := int(w*float64(n)) + 1
		if l.world.Len() > 0 || need < least {
			continue
		}
		if nw, err := ecs.NewWorld(l.world.Layout(), need); err == nil {
			nw.SetRunner(l.world.View().Runner())
			l.world = nw
			l.backup.Clear()
		}
	}
}

func (e *Engine) checkSpawn(vr *version, c *ecs.Columns) error {
	if c == nil {
		return fmt.Errorf("nil columns")
	}
	if !c.Layout().Same(vr.layout) {
		return fmt.Errorf("layout %v, want %v", c.Layout(), vr.layout)
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if e.cfg.checks {
		if row, field := c.FirstNonFinite(); row >= 0 {
			return fmt.Errorf("%w: row %d %s", ErrNonFinite, row, field)
		}
	}
	return nil
}

// Despawn removes entities from a module. Every key must be live and listed
// once; otherwise the error wraps [ErrUnknownEntity] and nothing changes.
// The split is re-applied to the remaining entities.
func (e *Engine) Despawn(module string, keys ...ecs.Key) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	rows := map[int][]int32{}
	seen := make(map[ecs.Key]bool, len(keys))
	for _, k := range keys {
		v, row, err := m.keys.lookup(module, k)
		if err != nil {
			return err
		}
		if seen[k] {
			return fmt.Errorf("%w: key %#x listed twice", ErrUnknownEntity, uint64(k))
		}
		seen[k] = true
		rows[v] = append(rows[v], int32(row))
	}
	for _, v := range slices.Sorted(maps.Keys(rows)) {
		rs := rows[v]
		slices.Sort(rs)
		w := m.versions[v].l.world
		rebuilt, err := w.RemoveRows(rs)
		if err != nil {
			panic("versioning: internal error: " + err.Error())
		}
		m.keys.afterRemove(w.Columns().Keys, v, rs, rebuilt)
	}
	for _, k := range keys {
		m.keys.release(k)
		delete(m.pins, k)
	}
	if e.recording() {
		e.record(Op{Kind: OpDespawn, Module: module, Keys: keys})
	}
	if err := e.rebalance(m, m.weights, nil); err != nil {
		m.dirty = true // retried at the next frame boundary
		e.emit(Event{Kind: EventError, Module: module, Err: err})
	}
	return nil
}

// Pin keeps an entity on a version whatever the split says, moving it there
// now. The version must be loaded and not failed. Pinned entities are not
// counted in the split's N. Pins to a version are dropped when it fails or
// is unloaded. On error nothing changes.
func (e *Engine) Pin(module string, key ecs.Key, version int) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, _, err := m.keys.lookup(module, key); err != nil {
		return err
	}
	vr, ok := m.versions[version]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, version)
	case vr.l == nil:
		return fmt.Errorf("%w: %s v%d", ErrNotLoaded, module, version)
	case vr.failed != nil:
		return fmt.Errorf("%w: %s v%d", ErrVersionFailed, module, version)
	}
	old, had := m.pins[key]
	m.pins[key] = version
	if err := e.rebalance(m, m.weights, nil); err != nil {
		if had {
			m.pins[key] = old
		} else {
			delete(m.pins, key)
		}
		return err
	}
	e.record(Op{Kind: OpPin, Module: module, Version: version, Keys: e.oneKey(key)})
	return nil
}

// Unpin lets the split route an entity again. Unpinning an entity that is
// not pinned does nothing.
func (e *Engine) Unpin(module string, key ecs.Key) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, _, err := m.keys.lookup(module, key); err != nil {
		return err
	}
	old, had := m.pins[key]
	if !had {
		return nil
	}
	delete(m.pins, key)
	if err := e.rebalance(m, m.weights, nil); err != nil {
		m.pins[key] = old
		return err
	}
	e.record(Op{Kind: OpUnpin, Module: module, Keys: e.oneKey(key)})
	return nil
}

// Locate returns the version an entity lives in.
func (e *Engine) Locate(module string, key ecs.Key) (int, error) {
	var v int
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			v, _, err = m.keys.lookup(module, key)
		}
	})
	return v, err
}

// Pins returns a copy of the module's pins.
func (e *Engine) Pins(module string) (map[ecs.Key]int, error) {
	var out map[ecs.Key]int
	var err error
	e.read(func() {
		var m *mod
		if m, err = e.module(module); err == nil {
			out = maps.Clone(m.pins)
		}
	})
	return out, err
}

// Export returns an owned copy of every loaded version's entity state, by
// version number.
func (e *Engine) Export(module string) (map[int]ecs.Columns, error) {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	out := map[int]ecs.Columns{}
	for _, n := range m.loadedNums() {
		c := m.versions[n].l.world.Columns()
		out[n] = c.Clone()
	}
	return out, nil
}

// Rollback moves every entity of the module to target by hand: each other
// version's entities are restored from its last backup (their state before
// the last frame; the current state if there is no valid backup), migrated,
// and appended to target, which is loaded if needed (and its failure
// cleared: rolling back to a version by hand trusts it) and receives all
// traffic. Pins to other versions are dropped. If loading or a migration
// fails, nothing changes.
func (e *Engine) Rollback(module string, target int) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	vr, ok := m.versions[target]
	if !ok {
		return fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, target)
	}
	if vr.l != nil && vr.failed != nil {
		return fmt.Errorf("%w: %s v%d", ErrVersionFailed, module, target)
	}
	t0 := e.cfg.clock()
	mark := len(e.pending)
	reloaded := false
	failed := vr.failed
	if vr.l == nil {
		vr.failed = nil
		if _, err = e.load(m, target, m.keys.live); err != nil {
			vr.failed = failed
			return err
		}
		reloaded = true
	}
	parts, err := e.stageRollback(m, vr, target)
	if err != nil {
		if reloaded {
			e.drop(m, target)
			e.pending = e.pending[:mark]
			// Fix (tests: TestManualRollbackToCollectedFailedVersionKeepsFailure):
			// a failed call changes nothing, so a target that had failed
			// (and been collected) stays failed.
			vr.failed = failed
		}
		return err
	}
	tw := vr.l.world
	for _, p := range parts {
		l := m.versions[p.n].l
		var first, count int
		if p.staged != nil {
			first, count = tw.Len(), p.staged.Len()
			_ = tw.Append(p.staged)
			p.staged.Reset(p.staged.Layout())
		} else {
			src := p.source(l)
			first, count = tw.AppendFrom(&src, nil), src.Len()
		}
		m.keys.place(tw.Columns().Keys[first:first+count], target, first)
		l.world.RemoveAll()
		l.backup.Clear()
		e.emit(Event{Kind: EventRollback, Module: module, Version: p.n, From: p.n, To: target,
			Entities: count, Reloaded: reloaded, Duration: e.cfg.clock() - t0})
	}
	for k, p := range m.pins {
		if p != target {
			delete(m.pins, k)
		}
	}
	if m.next == nil {
		m.next = map[int]float64{}
	}
	clear(m.next)
	m.next[target] = 1
	m.setWeights(m.next)
	m.dirty = false
	m.settle(e.now)
	e.record(Op{Kind: OpRollback, Module: module, Version: target})
	return nil
}

// rollbackPart is one version's entities in a rollback by hand: converted
// into a staging buffer when the path needs it, else moved straight from
// the backup (or the world) at commit.
type rollbackPart struct {
	n      int
	backup bool
	staged *ecs.Columns
}

// source is the state the part's entities are restored from.
func (p *rollbackPart) source(l *loaded) ecs.Columns {
	if p.backup {
		return *l.backup.Columns()
	}
	return l.world.Columns()
}

// stageRollback lists the versions whose entities go to target and converts
// those whose migration path needs a Convert function or several steps.
// Nothing in the engine changes.
func (e *Engine) stageRollback(m *module, vr *version, target int) ([]rollbackPart, error) {
	parts := m.parts[:0]
	defer func() { m.parts = parts[:0] }()
	for _, n := range m.loadedNums() {
		l := m.versions[n].l
		if n == target || l.world.Len() == 0 {
			continue
		}
		p := rollbackPart{n: n, backup: l.backup.Valid(l.world)}
		path, err := m.migrationPath(n, target)
		if err != nil {
			return nil, err
		}
		if len(path) > 1 || (len(path) == 1 && path[0].convert != nil) {
			p.staged = m.stageBuf(len(parts), vr.layout)
		}
		parts = append(parts, p)
	}
	return parts, e.user(func() error {
		for i := range parts {
			p := &parts[i]
			if p.staged == nil {
				continue
			}
			src := p.source(m.versions[p.n].l)
			if err := m.migrateInto(p.staged, &src, p.n, target, len(parts), e.cfg.checks); err != nil {
				return err
			}
		}
		return nil
	})
}
