package versioning

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/grove-engine/grove/ecs"
)

// batch is one set of entities going from one version to another.
type batch struct {
	from  int     // source version; for new entities, the layout they came in
	to    int     // target version
	rows  []int32 // rows in the source world, ascending, or in the spawn batch
	spawn bool    // rows come from the spawn batch, not a world
	cols  *ecs.Columns
	took  time.Duration
}

// spawnBatch is a set of new entities waiting to be placed.
type spawnBatch struct {
	layout int
	cols   *ecs.Columns // keys already assigned
}

// plan is what a rebalance will do: the batches, and the rows leaving each
// world.
type plan struct {
	weights map[int]float64
	batches []*batch
	leaving map[int][]int32
}

// plan works out the moves that make every pin hold and the unpinned
// entities follow weights exactly (see quotas), placing the spawn batch if
// there is one. It changes nothing, and costs time linear in the versions,
// the pins and the entities that move, not in all entities.
func (m *module) plan(weights map[int]float64, spawn *spawnBatch) (*plan, error) {
	p := &plan{weights: weights, leaving: map[int][]int32{}}
	nums := m.loadedNums()
	current := make([]int, len(nums))
	at := map[int]int{}
	for i, n := range nums {
		current[i] = m.versions[n].l.world.Len()
		at[n] = i
	}
	pinMoves := map[[2]int][]int32{}
	for _, k := range slices.Sorted(maps.Keys(m.pins)) {
		to := m.pins[k]
		ver, row, err := m.keys.lookup(m.name, k)
		if err != nil {
			return nil, fmt.Errorf("versioning: internal error: pin of a dead entity: %w", err)
		}
		current[at[ver]]-- // pinned entities are not routable
		if ver != to {
			pinMoves[[2]int{ver, to}] = append(pinMoves[[2]int{ver, to}], int32(row))
			p.leaving[ver] = append(p.leaving[ver], int32(row))
		}
	}
	for _, ft := range slices.SortedFunc(maps.Keys(pinMoves), func(a, b [2]int) int {
		if a[0] != b[0] {
			return a[0] - b[0]
		}
		return a[1] - b[1]
	}) {
		rows := pinMoves[ft]
		slices.Sort(rows)
		p.batches = append(p.batches, &batch{from: ft[0], to: ft[1], rows: rows})
	}
	if len(weights) == 0 && spawn == nil {
		return p, nil // no version has traffic: only pins move
	}
	shares := make([]share, len(nums))
	total := 0
	for i, n := range nums {
		shares[i] = share{version: n, weight: weights[n], prev: m.weights[n]}
		total += current[i]
	}
	newCount := 0
	if spawn != nil {
		newCount = spawn.cols.Len()
	}
	q := quotas(shares, current, total+newCount)
	m.planRoutes(p, nums, current, q, spawn)
	return p, nil
}

// planRoutes adds the batches that move surplus entities (from the end of
// each world, skipping pinned ones) and new ones into the versions below
// their quota.
func (m *module) planRoutes(p *plan, nums, current, q []int, spawn *spawnBatch) {
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
		keys := m.versions[n].l.world.Columns().Keys
		rows := make([]int32, 0, s)
		for r := len(keys) - 1; r >= 0 && len(rows) < s; r-- {
			if len(m.pins) > 0 {
				if _, pinned := m.pins[keys[r]]; pinned {
					continue
				}
			}
			rows = append(rows, int32(r))
		}
		slices.Reverse(rows)
		sources = append(sources, source{from: n, rows: rows})
		p.leaving[n] = append(p.leaving[n], rows...)
	}
	if spawn != nil && spawn.cols.Len() > 0 {
		all := make([]int32, spawn.cols.Len())
		for r := range all {
			all[r] = int32(r)
		}
		sources = append(sources, source{from: spawn.layout, rows: all, spawn: true})
	}
	ti := 0
	for _, src := range sources {
		rows := src.rows
		for len(rows) > 0 && ti < len(nums) {
			if current[ti] >= q[ti] {
				ti++
				continue
			}
			k := min(len(rows), q[ti]-current[ti])
			p.batches = append(p.batches, &batch{from: src.from, to: nums[ti], rows: rows[:k], spawn: src.spawn})
			current[ti] += k
			rows = rows[k:]
		}
	}
}

// rebalance applies a plan: it copies and migrates every batch into staging
// buffers (the only step that can fail, and the only one that runs user
// code: migrations' Convert functions, with the read lock released), and
// only then removes the entities from their sources and appends them to
// their targets. It is all or nothing. On success m.weights becomes
// weights.
func (e *Engine) rebalance(m *module, weights map[int]float64, spawn *spawnBatch) error {
	p, err := m.plan(weights, spawn)
	if err != nil {
		return err
	}
	if err := e.stage(m, p, spawn); err != nil {
		return err
	}
	e.commit(m, p, spawn)
	return nil
}

// stage copies and migrates every batch. Nothing in the engine changes.
func (e *Engine) stage(m *module, p *plan, spawn *spawnBatch) error {
	tmp := len(p.batches)
	return e.user(func() error {
		for i, b := range p.batches {
			t0 := e.cfg.clock()
			var src ecs.Columns
			if b.spawn {
				src = *spawn.cols
			} else {
				src = m.versions[b.from].l.world.Columns()
			}
			b.cols = m.stageBuf(i, m.versions[b.to].layout)
			if err := m.moveRows(b.cols, &src, b.rows, b.from, b.to, tmp, e.cfg.checks); err != nil {
				return err
			}
			b.took = e.cfg.clock() - t0
		}
		return nil
	})
}

// moveRows appends the given rows of src (in version from's layout) to dst
// (in version to's layout), converted. A one-step path with no Convert
// function gathers the rows straight into dst's layout; longer paths go
// through staging buffers from index tmp on.
func (m *module) moveRows(dst, src *ecs.Columns, rows []int32, from, to, tmp int, check bool) error {
	path, err := m.migrationPath(from, to)
	if err != nil {
		return err
	}
	if len(path) == 0 || (len(path) == 1 && path[0].convert == nil) {
		dst.AppendRows(src, rows)
		return nil
	}
	in := m.stageBuf(tmp, m.versions[from].layout)
	in.AppendRows(src, rows)
	return m.migrateInto(dst, in, from, to, tmp+1, check)
}

// commit removes the staged entities from their sources and appends them to
// their targets. Nothing here can fail.
func (e *Engine) commit(m *module, p *plan, spawn *spawnBatch) {
	for _, n := range slices.Sorted(maps.Keys(p.leaving)) {
		rows := p.leaving[n]
		if len(rows) == 0 {
			continue
		}
		slices.Sort(rows)
		w := m.versions[n].l.world
		t0 := e.cfg.clock()
		rebuilt, err := w.RemoveRows(rows)
		if err != nil {
			panic("versioning: internal error: " + err.Error())
		}
		m.keys.afterRemove(w.Columns().Keys, n, rows, rebuilt)
		took := e.cfg.clock() - t0
		for _, b := range p.batches {
			if !b.spawn && b.from == n {
				b.took += took * time.Duration(len(b.rows)) / time.Duration(len(rows))
			}
		}
	}
	if spawn != nil {
		m.keys.take(spawn.cols.Keys)
	}
	for _, b := range p.batches {
		t0 := e.cfg.clock()
		w := m.versions[b.to].l.world
		first := w.Len()
		if err := w.Append(b.cols); err != nil {
			panic("versioning: internal error: " + err.Error())
		}
		m.keys.place(b.cols.Keys, b.to, first)
		b.took += e.cfg.clock() - t0
		if !b.spawn {
			e.emit(Event{Kind: EventMigration, Module: m.name, From: b.from, To: b.to, Entities: len(b.rows), Duration: b.took})
		}
		b.cols.Reset(b.cols.Layout())
	}
	m.weights = p.weights
	m.dirty = false
	m.settle(e.now)
}

// checkWeights validates a split for the module and returns it without
// zero weights.
func (m *module) checkWeights(weights map[int]float64) (map[int]float64, error) {
	if !validWeights(weights) {
		return nil, fmt.Errorf("%w: %v (each finite and ≥ 0, summing to 1 within 1e-6)", ErrBadWeights, weights)
	}
	ws := make(map[int]float64, len(weights))
	for n, w := range weights {
		vr, ok := m.versions[n]
		switch {
		case !ok:
			return nil, fmt.Errorf("%w: %s v%d", ErrUnknownVersion, m.name, n)
		case vr.l == nil:
			return nil, fmt.Errorf("%w: %s v%d", ErrNotLoaded, m.name, n)
		case vr.failed != nil && w > 0:
			return nil, fmt.Errorf("%w: %s v%d: %w", ErrVersionFailed, m.name, n, vr.failed)
		}
		if w > 0 {
			ws[n] = w
		}
	}
	return ws, nil
}

// SetSplit sets the module's traffic weights and moves entities so that, of
// the N entities that are not pinned, each version holds ⌊w·N⌋ or ⌈w·N⌉ (see
// [Engine.PlanSplit] for which entities move). Moved entities are copied out
// of their world, migrated and appended to the target's world at this frame
// boundary.
//
// Weights must be finite, ≥ 0, name only loaded versions that have not
// failed (a failed version may be named with weight 0), and sum to 1 within
// 1e-6; otherwise the error wraps [ErrBadWeights] (or [ErrUnknownVersion],
// [ErrNotLoaded], [ErrVersionFailed]) and nothing changes. If a migration
// fails the error wraps [ErrMigration] and nothing changes.
func (e *Engine) SetSplit(module string, weights map[int]float64) error {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return err
	}
	ws, err := m.checkWeights(weights)
	if err != nil {
		return err
	}
	if err := e.rebalance(m, ws, nil); err != nil {
		return err
	}
	e.record(Op{Kind: OpSetSplit, Module: module, Weights: cloneWeights(weights)})
	return nil
}

// Plan is the dry run of a split ([Engine.PlanSplit]).
type Plan struct {
	Module  string
	Weights map[int]float64
	// Quota is how many entities each loaded version would hold (pinned
	// ones included).
	Quota map[int]int
	// Moves lists the batches that would move, in the order they would.
	Moves []PlannedMove
}

// PlannedMove is one batch of a [Plan].
type PlannedMove struct {
	From, To int
	Keys     []ecs.Key
}

// PlanSplit returns what [Engine.SetSplit] with these weights would do now:
// which entities would move from which version to which, and the count
// each version would hold. It changes nothing and runs no user code.
//
// The rules: every pinned entity goes to its pin; of the N unpinned
// entities each version gets ⌊w·N⌋ or ⌈w·N⌉ (exact when w·N is whole); the
// seats left after the floors go first to versions that already hold their
// ceiling and whose weight did not fall, then to versions whose weight
// rose, then by largest remainder. Only the entities that must move do,
// taken from the end of each world, so an entity moves only from a version
// holding more than its quota to one holding less, and when only one weight
// rises, only into that version.
func (e *Engine) PlanSplit(module string, weights map[int]float64) (Plan, error) {
	e.begin()
	defer e.end()
	m, err := e.module(module)
	if err != nil {
		return Plan{}, err
	}
	ws, err := m.checkWeights(weights)
	if err != nil {
		return Plan{}, err
	}
	p, err := m.plan(ws, nil)
	if err != nil {
		return Plan{}, err
	}
	out := Plan{Module: module, Weights: ws, Quota: map[int]int{}}
	for _, n := range m.loadedNums() {
		out.Quota[n] = m.versions[n].l.world.Len()
	}
	for _, b := range p.batches {
		keys := m.versions[b.from].l.world.Columns().Keys
		mv := PlannedMove{From: b.from, To: b.to, Keys: make([]ecs.Key, len(b.rows))}
		for i, r := range b.rows {
			mv.Keys[i] = keys[r]
		}
		out.Quota[b.from] -= len(b.rows)
		out.Quota[b.to] += len(b.rows)
		out.Moves = append(out.Moves, mv)
	}
	return out, nil
}
