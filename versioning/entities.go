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
	own := c.Clone()
	copy(own.Keys, m.keys.peek(own.Len()))
	if err := e.rebalance(m, m.weights, &spawnBatch{layout: layout, cols: &own}); err != nil {
		return nil, err
	}
	keys := slices.Clone(own.Keys)
	if e.recording() {
		e.record(Op{Kind: OpSpawn, Module: module, Version: layout, Columns: &own, Keys: slices.Clone(keys)})
	}
	return keys, nil
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
	e.record(Op{Kind: OpDespawn, Module: module, Keys: slices.Clone(keys)})
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
	e.record(Op{Kind: OpPin, Module: module, Version: version, Keys: []ecs.Key{key}})
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
	e.record(Op{Kind: OpUnpin, Module: module, Keys: []ecs.Key{key}})
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
	if vr.l == nil {
		failed := vr.failed
		vr.failed = nil
		if _, err = e.load(m, target, m.keys.live); err != nil {
			vr.failed = failed
			return err
		}
		reloaded = true
	}
	staged := map[int]*ecs.Columns{}
	err = e.user(func() error {
		for _, n := range m.loadedNums() {
			l := m.versions[n].l
			if n == target || l.world.Len() == 0 {
				continue
			}
			src := l.world.Columns()
			if l.backup.Valid(l.world) {
				src = *l.backup.Columns()
			}
			c := &ecs.Columns{}
			c.Reset(vr.layout)
			if err := m.migrateInto(c, &src, n, target, 0, e.cfg.checks); err != nil {
				return err
			}
			staged[n] = c
		}
		return nil
	})
	if err != nil {
		if reloaded {
			e.drop(m, target)
			e.pending = e.pending[:mark]
		}
		return err
	}
	for _, n := range slices.Sorted(maps.Keys(staged)) {
		c := staged[n]
		l := m.versions[n].l
		l.world.RemoveAll()
		l.backup.Clear()
		first := vr.l.world.Len()
		_ = vr.l.world.Append(c)
		m.keys.place(c.Keys, target, first)
		e.emit(Event{Kind: EventRollback, Module: module, Version: n, From: n, To: target,
			Entities: c.Len(), Reloaded: reloaded, Duration: e.cfg.clock() - t0})
		c.Reset(c.Layout())
	}
	for k, p := range m.pins {
		if p != target {
			delete(m.pins, k)
		}
	}
	m.weights = map[int]float64{target: 1}
	m.dirty = false
	m.settle(e.now)
	e.record(Op{Kind: OpRollback, Module: module, Version: target})
	return nil
}
