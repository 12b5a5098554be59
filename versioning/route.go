package versioning

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// move is one batch of entities going from one version to another.
type move struct {
	from  int     // source version; for new entities, the layout they came in
	to    int     // target version
	rows  []int32 // rows in the source world, ascending (nil for new entities)
	spawn bool    // rows come from the spawn batch, not a world
	cols  *ecs.Columns
	took  time.Duration
}

// spawnBatch is a set of new entities waiting to be placed.
type spawnBatch struct {
	layout int
	cols   *ecs.Columns // keys already assigned
}

// migrationPath finds the chain of declared migrations from one version to
// another, over every registered version of the module (breadth first, so
// the shortest chain; ties go to the lower intermediate version).
func (m *module) migrationPath(from, to int) ([]ecs.Migration, error) {
	if from == to {
		return nil, nil
	}
	edges := map[int][]ecs.Migration{}
	for _, n := range slices.Sorted(maps.Keys(m.registry)) {
		var migs []ecs.Migration
		if err := protect(func() error { migs = m.registry[n].Migrations(); return nil }); err != nil {
			return nil, &MigrationError{Module: m.name, From: from, To: to, Err: err}
		}
		for _, mg := range migs {
			if _, ok := m.registry[mg.From]; !ok || mg.Apply == nil {
				continue
			}
			if _, ok := m.registry[mg.To]; !ok {
				continue
			}
			edges[mg.From] = append(edges[mg.From], mg)
		}
	}
	prev := map[int]ecs.Migration{}
	seen := map[int]bool{from: true}
	queue := []int{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		out := edges[cur]
		slices.SortStableFunc(out, func(a, b ecs.Migration) int { return a.To - b.To })
		for _, mg := range out {
			if seen[mg.To] {
				continue
			}
			seen[mg.To] = true
			prev[mg.To] = mg
			if mg.To == to {
				var path []ecs.Migration
				for at := to; at != from; at = prev[at].From {
					path = append(path, prev[at])
				}
				slices.Reverse(path)
				return path, nil
			}
			queue = append(queue, mg.To)
		}
	}
	return nil, fmt.Errorf("%w: %s v%d→v%d", ErrNoMigrationPath, m.name, from, to)
}

// migrate converts c, which holds version from's columns, to version to's
// layout in place. On error c is left in an unspecified layout; callers
// migrate staging copies only.
func (m *module) migrate(c *ecs.Columns, from, to int) error {
	path, err := m.migrationPath(from, to)
	if err != nil {
		return err
	}
	for _, mg := range path {
		n := c.Len()
		keys := c.Keys
		if c.Mask != m.registry[mg.From].Components() {
			return &MigrationError{Module: m.name, From: mg.From, To: mg.To,
				Err: fmt.Errorf("%w: input has %v", ecs.ErrMissingColumns, c.Mask)}
		}
		err := protect(func() error { return mg.Apply(c) })
		if err == nil {
			want := m.registry[mg.To].Components()
			switch {
			case c.Mask != want:
				err = fmt.Errorf("%w: output has %v, want %v", ecs.ErrMissingColumns, c.Mask, want)
			case c.Len() != n || (n > 0 && &c.Keys[0] != &keys[0]):
				err = fmt.Errorf("migration changed the rows")
			default:
				err = ecs.Validate(c, want)
			}
		}
		if err != nil {
			return &MigrationError{Module: m.name, From: mg.From, To: mg.To, Err: err}
		}
	}
	return nil
}

// stageBuf returns the i-th reusable staging buffer, emptied.
func (m *module) stageBuf(i int, mask ecs.Mask) *ecs.Columns {
	for len(m.stage) <= i {
		m.stage = append(m.stage, &ecs.Columns{})
	}
	c := m.stage[i]
	c.Reset(mask)
	return c
}

// rebalance moves entities so that every pin holds and the unpinned entities
// follow weights exactly (see quotas), placing the spawn batch if there is
// one. It is all or nothing: it plans the moves, copies and migrates every
// batch into staging buffers (the only step that can fail), and only then
// removes the entities from their sources and appends them to their targets.
// On success m.weights becomes weights.
func (e *Engine) rebalance(m *module, weights map[int]float64, spawn *spawnBatch) error {
	nums := m.sorted()
	idx := map[int]int{}
	shares := make([]share, len(nums))
	for i, n := range nums {
		idx[n] = i
		shares[i] = share{version: n, weight: weights[n]}
	}
	var moves []*move
	current := make([]int, len(nums))
	leaving := make([][]int32, len(nums)) // rows already leaving each world (pins)
	for i, n := range nums {
		l := m.loaded[n]
		current[i] = l.world.Len()
		if len(m.pins) == 0 || current[i] == 0 {
			continue
		}
		byTarget := map[int][]int32{}
		cols := l.world.Columns()
		for r, k := range cols.Keys {
			p, ok := m.pins[k]
			if !ok {
				continue
			}
			current[i]-- // pinned entities are not routable
			if p != n {
				byTarget[p] = append(byTarget[p], int32(r))
				leaving[i] = append(leaving[i], int32(r))
			}
		}
		for _, to := range slices.Sorted(maps.Keys(byTarget)) {
			moves = append(moves, &move{from: n, to: to, rows: byTarget[to]})
		}
	}
	total := 0
	for _, c := range current {
		total += c
	}
	newCount := 0
	if spawn != nil {
		newCount = spawn.cols.Len()
	}
	q := quotas(shares, current, total+newCount)

	// Surplus rows leave from the end of each world, skipping pinned ones.
	type source struct {
		from  int
		rows  []int32
		spawn bool
	}
	var sources []source
	for i, n := range nums {
		s := current[i] - q[i]
		if s <= 0 {
			continue
		}
		cols := m.loaded[n].world.Columns()
		rows := make([]int32, 0, s)
		for r := len(cols.Keys) - 1; r >= 0 && len(rows) < s; r-- {
			if _, pinned := m.pins[cols.Keys[r]]; pinned {
				continue
			}
			rows = append(rows, int32(r))
		}
		slices.Reverse(rows)
		sources = append(sources, source{from: n, rows: rows})
		leaving[i] = append(leaving[i], rows...)
	}
	if newCount > 0 {
		all := make([]int32, newCount)
		for r := range all {
			all[r] = int32(r)
		}
		sources = append(sources, source{from: spawn.layout, rows: all, spawn: true})
	}
	ti := 0
	for _, src := range sources {
		rows := src.rows
		for len(rows) > 0 {
			for ti < len(nums) && current[ti] >= q[ti] {
				ti++
			}
			if ti == len(nums) {
				return fmt.Errorf("versioning: internal error: routing plan does not balance")
			}
			k := min(len(rows), q[ti]-current[ti])
			moves = append(moves, &move{from: src.from, to: nums[ti], rows: rows[:k], spawn: src.spawn})
			current[ti] += k
			rows = rows[k:]
		}
	}
	if len(moves) == 0 {
		m.weights = weights
		m.dirty = false
		m.refreshIdle(e.now)
		return nil
	}

	// Stage: copy and migrate. Nothing in the engine changes here.
	for i, mv := range moves {
		t0 := e.cfg.clock()
		if mv.spawn {
			mv.cols = e.stageSpawn(m, i, spawn, mv.rows)
		} else {
			l := m.loaded[mv.from]
			mv.cols = m.stageBuf(i, l.world.Mask())
			l.world.CopyRows(mv.cols, mv.rows)
		}
		if err := m.migrate(mv.cols, mv.from, mv.to); err != nil {
			return err
		}
		mv.took = e.cfg.clock() - t0
	}

	// Commit: nothing below can fail.
	for i, n := range nums {
		if len(leaving[i]) == 0 {
			continue
		}
		rows := leaving[i]
		slices.Sort(rows)
		t0 := e.cfg.clock()
		if err := m.loaded[n].world.RemoveRows(rows); err != nil {
			panic("versioning: internal error: " + err.Error())
		}
		took := e.cfg.clock() - t0
		for _, mv := range moves {
			if !mv.spawn && mv.from == n {
				mv.took += took * time.Duration(len(mv.rows)) / time.Duration(len(rows))
			}
		}
	}
	if spawn != nil {
		m.commitKeys(spawn.cols.Keys)
	}
	for _, mv := range moves {
		t0 := e.cfg.clock()
		if err := m.loaded[mv.to].world.Append(mv.cols); err != nil {
			panic("versioning: internal error: " + err.Error())
		}
		for _, k := range mv.cols.Keys {
			m.slots[k.Index()].ver = int32(mv.to)
		}
		mv.took += e.cfg.clock() - t0
		if !mv.spawn {
			e.emit(Event{Kind: EventMigration, Module: m.name, From: mv.from, To: mv.to, Entities: len(mv.rows), Duration: mv.took})
		}
		mv.cols.Reset(mv.cols.Mask)
	}
	m.weights = weights
	m.dirty = false
	m.refreshIdle(e.now)
	return nil
}

func (e *Engine) stageSpawn(m *module, i int, spawn *spawnBatch, rows []int32) *ecs.Columns {
	c := m.stageBuf(i, spawn.cols.Mask)
	c.AppendRows(spawn.cols, rows)
	return c
}

// SetSplit sets the module's traffic weights and moves entities so that, of
// the N entities that are not pinned, each version holds its exact quota
// (largest-remainder rounding of w·N). Only entities that must move do
// (sticky), and raising one version's weight only moves entities into it
// (monotone). Moved entities are copied out of their world, migrated and
// appended to the target's world at this frame boundary.
//
// Weights must be finite, ≥ 0, name only loaded versions that have not
// failed, and sum to 1 within 1e-6; otherwise the error wraps
// [ErrBadWeights] (or [ErrNotLoaded], [ErrVersionFailed]) and nothing
// changes. If a migration fails the error wraps [ErrMigration] and nothing
// changes.
func (e *Engine) SetSplit(module string, weights map[int]float64) error {
	e.mu.Lock()
	defer e.unlock()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	if !validWeights(weights) {
		return fmt.Errorf("%w: %v", ErrBadWeights, weights)
	}
	ws := make(map[int]float64, len(weights))
	for n, w := range weights {
		l, ok := m.loaded[n]
		if !ok {
			return fmt.Errorf("%w: %s v%d", ErrNotLoaded, module, n)
		}
		if l.failed != nil {
			return fmt.Errorf("%w: %s v%d: %w", ErrVersionFailed, module, n, l.failed)
		}
		if w > 0 {
			ws[n] = w
		}
	}
	return e.rebalance(m, ws, nil)
}
