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
	from   int     // source version; for new entities, the layout they came in
	to     int     // target version
	rows   []int32 // rows in the source world, ascending, or in the spawn batch (nil: lo..hi)
	lo, hi int32   // the rows when rows is nil: a contiguous range
	spawn  bool    // rows come from the spawn batch, not a world
	staged bool    // converted into a staging buffer (the path needs Convert or several steps)
	cols   *ecs.Columns
	took   time.Duration
}

// spawnBatch is a set of new entities waiting to be placed.
type spawnBatch struct {
	layout int
	cols   *ecs.Columns // keys already assigned
}

// plan is what a rebalance will do: the batches, and the rows leaving each
// world. A module keeps one plan and reuses its buffers, so that moving
// entities allocates nothing once warmed up.
type plan struct {
	weights map[int]float64
	nums    []int     // the loaded versions the plan routes over
	batches []batch   // in the order they are applied
	leaving [][]int32 // rows leaving nums[i]'s world
	tail    []int     // and a count of its last rows leaving as well
	current []int
	q       []int
	shares  []share
	scratch quotaScratch
	rowBufs [][]int32 // per source: surplus rows
}

// reset empties the plan for the module's loaded versions.
func (p *plan) reset(nums []int) {
	p.nums = nums
	p.batches = p.batches[:0]
	k := len(nums)
	p.leaving = growTo(p.leaving, k)
	p.rowBufs = growTo(p.rowBufs, k)
	for i := range k {
		p.leaving[i] = p.leaving[i][:0]
		p.rowBufs[i] = p.rowBufs[i][:0]
	}
	p.current = resize(p.current, k)
	p.shares = resize(p.shares, k)
	p.tail = resize(p.tail, k)
	clear(p.tail)
}

// count is the number of entities in the batch.
func (b *batch) count() int {
	if b.rows != nil {
		return len(b.rows)
	}
	return int(b.hi - b.lo)
}

// sourceRows is the batch's source columns, narrowed to a range when the
// batch is one, and the rows to take from them (nil: all).
func (b *batch) sourceRows(src *ecs.Columns) (*ecs.Columns, []int32) {
	if b.rows != nil {
		return src, b.rows
	}
	s := src.Slice(int(b.lo), int(b.hi))
	return &s, nil
}

func growTo[T any](s [][]T, n int) [][]T {
	for len(s) < n {
		s = append(s, nil)
	}
	return s[:n]
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// index is the position of version n in p.nums.
func (p *plan) index(n int) int {
	for i, v := range p.nums {
		if v == n {
			return i
		}
	}
	return -1
}

// plan works out the moves that make every pin hold and the unpinned
// entities follow weights exactly (see quotas), placing the spawn batch if
// there is one. It changes nothing, and costs time linear in the versions,
// the pins and the entities that move, not in all entities. The plan it
// returns is the module's own, valid until the next call.
func (m *module) plan(weights map[int]float64, spawn *spawnBatch) (*plan, error) {
	if m.pl == nil {
		m.pl = &plan{}
	}
	p := m.pl
	p.weights = weights
	p.reset(m.loadedNums())
	for i, n := range p.nums {
		p.current[i] = m.versions[n].l.world.Len()
	}
	if err := m.planPins(p); err != nil {
		return nil, err
	}
	if len(weights) == 0 && spawn == nil {
		return p, nil // no version has traffic: only pins move
	}
	total := 0
	for i, n := range p.nums {
		p.shares[i] = share{version: n, weight: weights[n], prev: m.weights[n]}
		total += p.current[i]
	}
	newCount := 0
	if spawn != nil {
		newCount = spawn.cols.Len()
	}
	p.q = quotasInto(&p.scratch, p.q, p.shares, p.current, total+newCount)
	m.planRoutes(p, spawn)
	return p, nil
}

// planPins adds a batch for every pinned entity that is not on its pin, and
// takes pinned entities out of the routable counts.
func (m *module) planPins(p *plan) error {
	if len(m.pins) == 0 {
		return nil
	}
	pinMoves := map[[2]int][]int32{}
	for _, k := range slices.Sorted(maps.Keys(m.pins)) {
		to := m.pins[k]
		ver, row, err := m.keys.lookup(m.name, k)
		if err != nil {
			return fmt.Errorf("versioning: internal error: pin of a dead entity: %w", err)
		}
		i := p.index(ver)
		p.current[i]-- // pinned entities are not routable
		if ver != to {
			pinMoves[[2]int{ver, to}] = append(pinMoves[[2]int{ver, to}], int32(row))
			p.leaving[i] = append(p.leaving[i], int32(row))
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
		p.batches = append(p.batches, batch{from: ft[0], to: ft[1], rows: rows})
	}
	return nil
}

// planRoutes adds the batches that move surplus entities (from the end of
// each world, skipping pinned ones) and new ones into the versions below
// their quota.
func (m *module) planRoutes(p *plan, spawn *spawnBatch) {
	type source struct {
		from   int
		rows   []int32 // nil: lo..hi
		lo, hi int32
		spawn  bool
	}
	var sources [8]source
	srcs := sources[:0]
	for i, n := range p.nums {
		s := p.current[i] - p.q[i]
		if s <= 0 {
			continue
		}
		keys := m.versions[n].l.world.Columns().Keys
		if len(m.pins) == 0 {
			// The surplus is the world's tail: a range, not a list.
			srcs = append(srcs, source{from: n, lo: int32(len(keys) - s), hi: int32(len(keys))})
			p.tail[i] = s
			continue
		}
		rows := p.rowBufs[i][:0]
		for r := len(keys) - 1; r >= 0 && len(rows) < s; r-- {
			if len(m.pins) > 0 {
				if _, pinned := m.pins[keys[r]]; pinned {
					continue
				}
			}
			rows = append(rows, int32(r))
		}
		slices.Reverse(rows)
		p.rowBufs[i] = rows
		srcs = append(srcs, source{from: n, rows: rows})
		p.leaving[i] = append(p.leaving[i], rows...)
	}
	if spawn != nil && spawn.cols.Len() > 0 {
		srcs = append(srcs, source{from: spawn.layout, hi: int32(spawn.cols.Len()), spawn: true})
	}
	ti := 0
	for _, src := range srcs {
		left := int(src.hi - src.lo)
		if src.rows != nil {
			left = len(src.rows)
		}
		for left > 0 && ti < len(p.nums) {
			if p.current[ti] >= p.q[ti] {
				ti++
				continue
			}
			k := min(left, p.q[ti]-p.current[ti])
			b := batch{from: src.from, to: p.nums[ti], spawn: src.spawn}
			if src.rows != nil {
				b.rows, src.rows = src.rows[:k], src.rows[k:]
			} else {
				b.lo, b.hi = src.lo, src.lo+int32(k)
				src.lo += int32(k)
			}
			p.batches = append(p.batches, b)
			p.current[ti] += k
			left -= k
		}
	}
}

// rebalance applies a plan: it converts, into staging buffers, every batch
// whose migration path has a Convert function or several steps (the only
// step that can fail, and the only one that runs user code, with the read
// lock released), and only then moves the entities: each target world
// receives its batches (straight from the source world for one-step derived
// paths, so a move is one pass over the data), then the sources lose them.
// It is all or nothing. On success m.weights becomes weights.
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

// stage converts the batches that need it. Nothing in the engine changes.
func (e *Engine) stage(m *module, p *plan, spawn *spawnBatch) error {
	need := false
	for i := range p.batches {
		b := &p.batches[i]
		path, err := m.migrationPath(b.from, b.to)
		if err != nil {
			return err
		}
		b.staged = len(path) > 1 || (len(path) == 1 && path[0].convert != nil)
		need = need || b.staged
	}
	if !need {
		return nil
	}
	tmp := len(p.batches)
	return e.user(func() error {
		for i := range p.batches {
			b := &p.batches[i]
			if !b.staged {
				continue
			}
			t0 := e.cfg.clock()
			all := m.source(b, spawn)
			src, rows := b.sourceRows(&all)
			b.cols = m.stageBuf(i, m.versions[b.to].layout)
			in := m.stageBuf(tmp, m.versions[b.from].layout)
			if rows == nil {
				in.AppendAll(src)
			} else {
				in.AppendRows(src, rows)
			}
			if err := m.migrateInto(b.cols, in, b.from, b.to, tmp+1, e.cfg.checks); err != nil {
				return err
			}
			b.took = e.cfg.clock() - t0
		}
		return nil
	})
}

// source is the columns a batch's rows index.
func (m *module) source(b *batch, spawn *spawnBatch) ecs.Columns {
	if b.spawn {
		return *spawn.cols
	}
	return m.versions[b.from].l.world.Columns()
}

// commit moves the entities: every batch into its target, then the rows out
// of their sources. Nothing here can fail.
func (e *Engine) commit(m *module, p *plan, spawn *spawnBatch) {
	if spawn != nil {
		m.keys.take(spawn.cols.Keys)
	}
	for i := range p.batches {
		b := &p.batches[i]
		t0 := e.cfg.clock()
		w := m.versions[b.to].l.world
		var first int
		if b.staged {
			first = w.Len()
			if err := w.Append(b.cols); err != nil {
				panic("versioning: internal error: " + err.Error())
			}
			b.cols.Reset(b.cols.Layout())
		} else {
			src := m.source(b, spawn)
			if b.rows != nil {
				first = w.AppendFrom(&src, b.rows)
			} else {
				first = w.AppendRange(&src, int(b.lo), int(b.hi))
			}
		}
		m.keys.place(w.Columns().Keys[first:first+b.count()], b.to, first)
		b.took += e.cfg.clock() - t0
	}
	for i, n := range p.nums {
		w := m.versions[n].l.world
		leaving := len(p.leaving[i]) + p.tail[i]
		if leaving == 0 {
			continue
		}
		t0 := e.cfg.clock()
		switch {
		case leaving == w.Len():
			w.RemoveAll() // every entity leaves: one batch operation
		case len(p.leaving[i]) == 0:
			// Only the tail leaves: the other rows keep their places.
			if err := w.RemoveTail(p.tail[i]); err != nil {
				panic("versioning: internal error: " + err.Error())
			}
		default:
			rows := p.leaving[i]
			for r := w.Len() - p.tail[i]; r < w.Len(); r++ {
				rows = append(rows, int32(r))
			}
			slices.Sort(rows)
			p.leaving[i] = rows
			rebuilt, err := w.RemoveRows(rows)
			if err != nil {
				panic("versioning: internal error: " + err.Error())
			}
			m.keys.afterRemove(w.Columns().Keys, n, rows, rebuilt)
		}
		took := e.cfg.clock() - t0
		for j := range p.batches {
			if b := &p.batches[j]; !b.spawn && b.from == n {
				b.took += took * time.Duration(b.count()) / time.Duration(leaving)
			}
		}
	}
	for i := range p.batches {
		if b := &p.batches[i]; !b.spawn {
			e.emit(Event{Kind: EventMigration, Module: m.name, From: b.from, To: b.to, Entities: b.count(), Duration: b.took})
		}
	}
	m.setWeights(p.weights)
	m.dirty = false
	m.settle(e.now)
}

// setWeights makes weights the module's split, reusing the spare map.
func (m *module) setWeights(weights map[int]float64) {
	if sameWeights(m.weights, weights) {
		return
	}
	if m.spare == nil {
		m.spare = map[int]float64{}
	}
	clear(m.spare)
	for n, w := range weights {
		m.spare[n] = w
	}
	m.weights, m.spare = m.spare, m.weights
}

func sameWeights(a, b map[int]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for n, w := range a {
		if bw, ok := b[n]; !ok || bw != w {
			return false
		}
	}
	return true
}

// checkWeights validates a split for the module and returns it without
// zero weights.
func (m *module) checkWeights(weights map[int]float64) (map[int]float64, error) {
	if !validWeights(weights) {
		return nil, fmt.Errorf("%w: %v (each finite and ≥ 0, summing to 1 within 1e-6)", ErrBadWeights, weights)
	}
	if m.next == nil {
		m.next = map[int]float64{}
	}
	ws := m.next
	clear(ws)
	for _, n := range slices.Sorted(maps.Keys(weights)) { // the lowest bad version is reported
		w := weights[n]
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
	if e.recording() {
		e.record(Op{Kind: OpSetSplit, Module: module, Weights: weights})
	}
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
// ceiling (those whose weight did not fall first), then to versions whose
// weight rose, then by largest remainder. Only the entities that must move do,
// taken from the end of each world, so an entity moves only from a version
// holding more than its quota to one holding less. A version whose weight
// rises never loses an entity; when only one weight rises, entities move
// into another version only when exactness leaves no choice (the rising
// one already holds its ceiling), and then one at most.
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
		all := m.versions[b.from].l.world.Columns()
		src, rows := b.sourceRows(&all)
		mv := PlannedMove{From: b.from, To: b.to, Keys: slices.Clone(src.Keys)}
		if rows != nil {
			mv.Keys = make([]ecs.Key, len(rows))
			for i, r := range rows {
				mv.Keys[i] = src.Keys[r]
			}
		}
		out.Quota[b.from] -= b.count()
		out.Quota[b.to] += b.count()
		out.Moves = append(out.Moves, mv)
	}
	return out, nil
}
