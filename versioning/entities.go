package versioning

import (
	"fmt"
	"maps"

	"github.com/grove-engine/grove/ecs"
)

// peekKeys returns the keys the next n spawned entities will get, without
// taking them.
func (m *module) peekKeys(n int) []ecs.Key {
	keys := make([]ecs.Key, 0, n)
	for i := len(m.free) - 1; i >= 0 && len(keys) < n; i-- {
		idx := m.free[i]
		keys = append(keys, ecs.NewKey(idx, m.slots[idx].gen))
	}
	for next := len(m.slots); len(keys) < n; next++ {
		keys = append(keys, ecs.NewKey(uint32(next), 1))
	}
	return keys
}

// commitKeys takes the keys peekKeys returned.
func (m *module) commitKeys(keys []ecs.Key) {
	for _, k := range keys {
		idx := k.Index()
		if int(idx) < len(m.slots) {
			m.free = m.free[:len(m.free)-1]
		} else {
			m.slots = append(m.slots, slot{gen: k.Gen()})
		}
	}
	m.live += len(keys)
}

// lookup returns the version an entity lives in, or an error.
func (m *module) lookup(k ecs.Key) (int, error) {
	idx := k.Index()
	if int(idx) >= len(m.slots) || m.slots[idx].gen != k.Gen() || m.slots[idx].ver == 0 {
		return 0, fmt.Errorf("%w: %s key %#x", ErrUnknownEntity, m.name, uint64(k))
	}
	return int(m.slots[idx].ver), nil
}

// Spawn adds entities to a module. c holds them in the layout of version
// layout (exactly that version's columns; layout must be registered but need
// not be loaded); keys in c are ignored and assigned by the engine. The new
// entities are routed by the current split, migrated where needed, and
// their keys returned in row order. The module must have a loaded version
// with traffic. On error nothing changes.
func (e *Engine) Spawn(module string, layout int, c *ecs.Columns) ([]ecs.Key, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	v, ok := m.registry[layout]
	if !ok {
		return nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, module, layout)
	}
	if c == nil {
		return nil, fmt.Errorf("spawning into %s: %w: nil columns", module, ecs.ErrMissingColumns)
	}
	n := len(c.Keys)
	if c.Keys == nil && c.Position != nil {
		n = len(c.Position)
	}
	in := ecs.Columns{Mask: c.Mask, Keys: m.peekKeys(n), Position: c.Position, Velocity: c.Velocity, Collided: c.Collided, Mass: c.Mass}
	if err := ecs.Validate(&in, v.Components()); err != nil {
		return nil, fmt.Errorf("spawning into %s as v%d: %w", module, layout, err)
	}
	if len(m.weights) == 0 {
		return nil, fmt.Errorf("%w: %s has no version with traffic", ErrNotLoaded, module)
	}
	if n == 0 {
		return nil, nil
	}
	var own ecs.Columns
	own.Reset(v.Components())
	own.AppendAll(&in)
	if err := e.rebalance(m, m.weights, &spawnBatch{layout: layout, cols: &own}); err != nil {
		return nil, err
	}
	return own.Keys, nil
}

// Despawn removes entities from a module. Every key must be live and listed
// once; otherwise the error wraps [ErrUnknownEntity] and nothing changes.
// The split is re-applied to the remaining entities.
func (e *Engine) Despawn(module string, keys ...ecs.Key) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	byVersion := map[int]map[ecs.Key]bool{}
	for _, k := range keys {
		v, err := m.lookup(k)
		if err != nil {
			return err
		}
		if byVersion[v] == nil {
			byVersion[v] = map[ecs.Key]bool{}
		}
		if byVersion[v][k] {
			return fmt.Errorf("%w: key %#x listed twice", ErrUnknownEntity, uint64(k))
		}
		byVersion[v][k] = true
	}
	for v, set := range byVersion {
		w := m.loaded[v].world
		cols := w.Columns()
		rows := make([]int32, 0, len(set))
		for r, k := range cols.Keys {
			if set[k] {
				rows = append(rows, int32(r))
			}
		}
		if err := w.RemoveRows(rows); err != nil {
			panic("versioning: internal error: " + err.Error())
		}
	}
	for _, k := range keys {
		s := &m.slots[k.Index()]
		s.ver = 0
		s.gen++
		m.free = append(m.free, k.Index())
		delete(m.pins, k)
	}
	m.live -= len(keys)
	if err := e.rebalance(m, m.weights, nil); err != nil {
		m.dirty = true // retried at the next frame boundary
		e.emit(Event{Kind: EventError, Module: module, Err: err})
	}
	return nil
}

// Pin keeps an entity on a version whatever the split says, moving it there
// now. The version must be loaded and not failed. Pinned entities are not
// counted in the split's N. On error nothing changes.
func (e *Engine) Pin(module string, key ecs.Key, version int) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, err := m.lookup(key); err != nil {
		return err
	}
	l, ok := m.loaded[version]
	if !ok {
		return fmt.Errorf("%w: %s v%d", ErrNotLoaded, module, version)
	}
	if l.failed != nil {
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
	return nil
}

// Unpin lets the split route an entity again.
func (e *Engine) Unpin(module string, key ecs.Key) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if _, err := m.lookup(key); err != nil {
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
	return nil
}

// Locate returns the version an entity lives in.
func (e *Engine) Locate(module string, key ecs.Key) (int, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return 0, err
	}
	return m.lookup(key)
}

// Pins returns a copy of the module's pins.
func (e *Engine) Pins(module string) (map[ecs.Key]int, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	return maps.Clone(m.pins), nil
}

// Export returns an owned copy of every loaded version's entity state, by
// version number.
func (e *Engine) Export(module string) (map[int]ecs.Columns, error) {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return nil, err
	}
	out := make(map[int]ecs.Columns, len(m.loaded))
	for n, l := range m.loaded {
		c := l.world.Columns()
		out[n] = c.Clone()
	}
	return out, nil
}
