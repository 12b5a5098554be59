package ecs

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	arche "github.com/mlange-42/arche/ecs"
)

// epochs hands out structural-change counters that are unique across all
// worlds, so a [Backup] can tell both "another world" and "changed since".
var epochs atomic.Uint64

// softMu guards every world's soft-error count: reports are rare, and may
// come from parallel chunks.
var softMu sync.Mutex

// World is one version's entity storage: an arche world whose entities all
// have the [Key] plus the components of the world's [Layout], so they live in
// a single archetype with dense columns.
//
// A World is not safe for concurrent use. Structural changes ([World.Append],
// [World.RemoveRows], [World.RemoveAll]) invalidate earlier [World.Columns]
// views; the engine makes them only at frame boundaries. Systems see the
// world through a [View], which cannot make them.
type World struct {
	w       arche.World
	layout  *Layout
	ids     []arche.ID // the key's, then aid's
	aid     []arche.ID // parallel to layout.comps
	byID    *[MaxComponents]slotID
	keyID   arche.ID
	filter  arche.CachedFilter
	epoch   uint64
	n       int
	cols    Columns // cached view
	colsAt  uint64  // epoch of cols
	open    []arche.Query
	runner  Runner
	soft    int // soft errors reported through the view since the last take
	copy    copier
	scan    scanner
	sys     View
	scratch Columns        // survivors while rebuilding in RemoveRows
	rows    []int32        // complement rows while rebuilding
	ents    []arche.Entity // entities to remove one by one
}

// slotID is what Get needs of a component the world holds.
type slotID struct {
	comp *Component
	aid  arche.ID
}

// NewWorld creates a world holding the components of layout l. capacity
// pre-sizes its storage (values below arche's default of 128 use the
// default); pre-sizing a world that is about to receive many entities avoids
// growth copies.
func NewWorld(l *Layout, capacity int) (*World, error) {
	if l == nil {
		return nil, fmt.Errorf("%w: nil layout", ErrBadLayout)
	}
	// arche reserves entity 0 and grows its entity index when it would
	// become full, so n entities need a capacity of n+2; with less, the last
	// entity doubles the (pointerful) index: 32 MB more for a million.
	w := &World{layout: l, w: arche.NewWorld(max(capacity, 126) + 2)}
	w.keyID = arche.ComponentID[Key](&w.w)
	w.ids = append(w.ids, w.keyID)
	w.byID = new([MaxComponents]slotID)
	for _, c := range l.comps {
		id := arche.TypeID(&w.w, c.store)
		w.aid = append(w.aid, id)
		w.ids = append(w.ids, id)
		w.byID[c.id] = slotID{comp: c, aid: id}
	}
	f := arche.All(w.ids...).Exclusive()
	w.filter = w.w.Cache().Register(&f)
	w.epoch = epochs.Add(1)
	w.sys.w = w
	return w, nil
}

// Layout is the world's layout.
func (w *World) Layout() *Layout { return w.layout }

// Epoch changes on every structural change; two worlds never share an epoch.
func (w *World) Epoch() uint64 { return w.epoch }

// Len is the number of entities.
func (w *World) Len() int { return w.n }

// SetRunner gives the world a [Runner] for [View.For] (nil: serial).
func (w *World) SetRunner(r Runner) { w.runner = r }

// View is the world as its systems see it: columns and queries, no
// structural changes. It stays valid as long as the world.
func (w *World) View() *View { return &w.sys }

// Columns returns views of the world's columns (see [Columns]). Writing
// through them changes the world. They stay valid until the next structural
// change; re-fetch them every frame. It allocates nothing between
// structural changes.
func (w *World) Columns() Columns {
	if w.colsAt != w.epoch || w.cols.layout == nil {
		w.refresh()
	}
	return w.cols
}

func (w *World) refresh() {
	// The column table is rewritten in place: views from before a
	// structural change are invalid anyway, and this keeps moves free of
	// allocations.
	cols := w.cols.cols
	if len(cols) != len(w.aid) {
		cols = make([][]byte, len(w.aid))
	}
	c := Columns{layout: w.layout, cols: cols, view: true}
	q := w.w.Query(&w.filter)
	if w.n > 0 && q.Next() {
		c.Keys = unsafe.Slice((*Key)(q.Get(w.keyID)), w.n)
		for i, comp := range w.layout.comps {
			size := w.n * comp.Size()
			c.cols[i] = unsafe.Slice((*byte)(q.Get(w.aid[i])), size)[:size:size]
		}
	} else {
		c.Keys = []Key{}
		for i := range c.cols {
			c.cols[i] = []byte{}
		}
	}
	q.Close()
	w.cols, w.colsAt = c, w.epoch
}

// Append creates one entity per row of src, in one arche batch, and copies
// the world's components from src (src's other components are ignored). It
// fails, and changes nothing, if src lacks a component of the world (or holds
// it with another layout) or its columns differ in length. Keys are not
// checked for uniqueness: that is the engine's job.
func (w *World) Append(src *Columns) error {
	if err := src.Validate(); err != nil {
		return err
	}
	idx := make([]int, len(w.layout.comps))
	for i, c := range w.layout.comps {
		if idx[i] = src.index(c); idx[i] < 0 {
			return fmt.Errorf("%w: have %v, need %v", ErrMissingColumns, src.layout, w.layout)
		}
	}
	n := src.Len()
	if n == 0 {
		return nil
	}
	old := w.grow(n)
	c := w.Columns()
	copy(c.Keys[old:], src.Keys)
	for i, comp := range w.layout.comps {
		copy(c.cols[i][old*comp.Size():], src.cols[idx[i]])
	}
	return nil
}

// AppendFrom creates one entity per given row of src (every row, in order,
// if rows is nil), in one arche batch, and fills their components straight
// from src: copied where src holds a component with the same layout, set to
// the world layout's defaults otherwise (the derived migration step of
// [MigrateRows], fused with the copy, so moving entities costs one pass). It
// returns the first new row. Rows must be valid indexes of src, and src must
// not be a view of this world. Keys are copied as they are.
func (w *World) AppendFrom(src *Columns, rows []int32) int {
	if rows == nil {
		return w.AppendRange(src, 0, src.Len())
	}
	if len(rows) == 0 {
		return w.n
	}
	old := w.grow(len(rows))
	w.fill(old, src, rows, 0, len(rows))
	return old
}

// AppendRange is [World.AppendFrom] for the rows lo..hi-1 of src.
func (w *World) AppendRange(src *Columns, lo, hi int) int {
	if hi <= lo {
		return w.n
	}
	old := w.grow(hi - lo)
	w.fill(old, src, nil, lo, hi)
	return old
}

// fill writes the given rows of src (or, with rows nil, its rows lo..hi-1)
// into the world's rows from first on, as AppendRows would append them.
func (w *World) fill(first int, src *Columns, rows []int32, lo, hi int) {
	n := hi - lo
	c := w.Columns()
	if rows == nil {
		copy(c.Keys[first:first+n], src.Keys[lo:hi])
	} else {
		gatherInto(c.Keys[first:first+n], src.Keys, rows)
	}
	for i, comp := range w.layout.comps {
		size := comp.Size()
		out := c.cols[i][first*size : (first+n)*size]
		j := src.index(comp)
		switch {
		case j < 0 && w.layout.zero:
			clear(out)
		case j < 0:
			fillPattern(out, w.layout.defs[i])
		case rows == nil:
			w.copy.add(out, src.cols[j][lo*size:hi*size])
		default:
			gatherBytesInto(out, src.cols[j], size, rows)
		}
	}
	w.copy.do(w.runner)
}

// FirstNonFinite is [Columns.FirstNonFinite] over the world, on its
// [Runner]'s workers when it is large: the same answer, the lowest row.
func (w *World) FirstNonFinite() (row int, field string) {
	w.scan.cols = w.Columns()
	row, field = w.scan.scan(w.runner)
	w.scan.cols = Columns{}
	return row, field
}

// CopyColumns copies the components of ids (and the keys, with keys set)
// from src to dst, which must have the same layout and length, on r's
// workers when the copy is large (nil: serially). It returns the number of
// bytes copied.
func CopyColumns(dst, src *Columns, ids Set, keys bool, r Runner) int {
	var cp copier
	return copyColumns(&cp, dst, src, ids, keys, r)
}

func copyColumns(cp *copier, dst, src *Columns, ids Set, keys bool, r Runner) int {
	n := 0
	if keys {
		cp.add(KeyBytes(dst.Keys), KeyBytes(src.Keys))
		n += 8 * len(src.Keys)
	}
	for i, comp := range dst.layout.comps {
		if ids.Has(comp.id) {
			cp.add(dst.cols[i], src.cols[i])
			n += len(src.cols[i])
		}
	}
	cp.do(r)
	return n
}

// grow creates n entities in one batch and returns the first new row.
func (w *World) grow(n int) int {
	old := w.n
	q := w.w.Batch().NewQ(n, w.ids...)
	q.Close()
	w.n += n
	w.epoch = epochs.Add(1)
	return old
}

// CopyRows appends the given rows of the world to dst (see
// [Columns.AppendRows]). Rows must be valid indexes.
func (w *World) CopyRows(dst *Columns, rows []int32) {
	c := w.Columns()
	dst.AppendRows(&c, rows)
}

// CheckRows reports whether rows is strictly ascending and within [0, n).
func CheckRows(rows []int32, n int) error {
	for i, r := range rows {
		if r < 0 || int(r) >= n || (i > 0 && r <= rows[i-1]) {
			return fmt.Errorf("%w: row %d at position %d (world has %d)", ErrBadRows, r, i, n)
		}
	}
	return nil
}

// Per-entity costs measured on arche v0.15.3 (x86-64, 1M entities): removing
// one entity ≈ 25 ns; batch-removing a whole archetype ≈ 5 ns; batch-creating
// into a warm world ≈ 10 ns. RemoveRows picks the cheaper plan from these.
const (
	costRemoveOne = 25
	costRemoveAll = 5
	costRecreate  = 10
)

// RemoveRows removes the entities at the given rows, which must be strictly
// ascending and in range (else it returns an error wrapping [ErrBadRows] and
// changes nothing).
//
// Removing a few entities removes them one by one, each hole filled by the
// entity that was last at the time: afterwards every removed row below the
// new length holds an entity from the old tail, and every other row is
// unchanged. Removing most of a world rebuilds it with two batch operations,
// which is cheaper per entity; then the survivors keep their relative order
// but may all have moved, and rebuilt reports true.
func (w *World) RemoveRows(rows []int32) (rebuilt bool, err error) {
	n := w.n
	if err := CheckRows(rows, n); err != nil {
		return false, err
	}
	k := len(rows)
	switch {
	case k == 0:
		return false, nil
	case k == n:
		w.RemoveAll()
		return false, nil
	case costRemoveOne*k <= costRemoveAll*n+costRecreate*(n-k):
		w.removeOneByOne(rows)
	default:
		w.rebuildWithout(rows, n)
		rebuilt = true
	}
	w.epoch = epochs.Add(1)
	return rebuilt, nil
}

func (w *World) removeOneByOne(rows []int32) {
	w.ents = w.ents[:0]
	q := w.w.Query(&w.filter)
	for _, r := range rows {
		w.ents = append(w.ents, q.EntityAt(int(r)))
	}
	q.Close()
	// Descending: each removal swaps the current last entity into the hole,
	// and that entity is never one still to be removed.
	for i := len(w.ents) - 1; i >= 0; i-- {
		w.w.RemoveEntity(w.ents[i])
	}
	w.n -= len(rows)
}

func (w *World) rebuildWithout(rows []int32, n int) {
	w.rows = w.rows[:0]
	next := 0
	for r := range int32(n) {
		if next < len(rows) && rows[next] == r {
			next++
			continue
		}
		w.rows = append(w.rows, r)
	}
	w.scratch.Reset(w.layout)
	w.CopyRows(&w.scratch, w.rows)
	w.RemoveAll()
	// Cannot fail: scratch has exactly the world's columns.
	_ = w.Append(&w.scratch)
	w.scratch.Reset(w.layout)
}

// RemoveTail removes the last k entities (0 ≤ k ≤ Len; else it returns an
// error wrapping [ErrBadRows] and changes nothing). Every remaining entity
// keeps its row. It picks, like [World.RemoveRows], between removing the k
// one by one (no swaps: they are the tail) and rebuilding the world from its
// first Len−k rows, a contiguous block.
func (w *World) RemoveTail(k int) error {
	n := w.n
	switch {
	case k < 0 || k > n:
		return fmt.Errorf("%w: remove %d of %d", ErrBadRows, k, n)
	case k == 0:
		return nil
	case k == n:
		w.RemoveAll()
		return nil
	case costRemoveOne*k <= costRemoveAll*n+costRecreate*(n-k):
		w.ents = w.ents[:0]
		q := w.w.Query(&w.filter)
		for r := n - k; r < n; r++ {
			w.ents = append(w.ents, q.EntityAt(r))
		}
		q.Close()
		for i := len(w.ents) - 1; i >= 0; i-- {
			w.w.RemoveEntity(w.ents[i])
		}
		w.n -= k
	default:
		c := w.Columns()
		w.scratch.Reset(w.layout)
		keep := c.Slice(0, n-k)
		w.scratch.AppendAll(&keep)
		w.RemoveAll()
		_ = w.Append(&w.scratch)
		w.scratch.Reset(w.layout)
	}
	w.epoch = epochs.Add(1)
	return nil
}

// RemoveAll removes every entity in one batch operation.
func (w *World) RemoveAll() {
	w.w.Batch().RemoveEntities(&w.filter)
	w.n = 0
	w.epoch = epochs.Add(1)
}

// MemoryBytes is the memory the world holds: arche's own accounting of its
// entities and component storage, the fixed cost of a world that arche does
// not report ([WorldOverhead]), and this wrapper's scratch buffers.
func (w *World) MemoryBytes() int {
	return w.w.Stats().Memory + WorldOverhead() + w.scratch.MemoryBytes() + cap(w.rows)*4 + cap(w.ents)*8
}

// View is what a [System] sees of a world: its columns and per-entity
// queries, and a parallel-for. It has no way to create, move or remove
// entities.
type View struct{ w *World }

// Len is the number of entities.
func (v *View) Len() int { return v.w.n }

// Layout is the world's layout.
func (v *View) Layout() *Layout { return v.w.layout }

// Columns returns views of the world's columns, as [World.Columns].
func (v *View) Columns() Columns { return v.w.Columns() }

// Query starts a per-entity iteration, as [World.Query].
func (v *View) Query() Query { return v.w.Query() }

// Runner is the world's [Runner], or nil.
func (v *View) Runner() Runner { return v.w.runner }

// ReportSoftErrors records n soft errors: entities whose state a system
// rejects (an impossible value it clamped, an input it refused) without
// failing the step. The engine counts them per version; a deployment's
// analysis counts them in the version's error rate. It is safe to call from
// the chunks of [View.For].
func (v *View) ReportSoftErrors(n int) {
	if n > 0 {
		softMu.Lock()
		v.w.soft += n
		softMu.Unlock()
	}
}

// TakeSoftErrors returns the soft errors reported since the last call and
// resets the count.
func (w *World) TakeSoftErrors() int {
	softMu.Lock()
	defer softMu.Unlock()
	n := w.soft
	w.soft = 0
	return n
}

// For calls fn over [0, n) split into chunks whose bounds are multiples of
// grain, on the engine's workers when the world has a [Runner] and n is
// large enough, else as fn(0, n) on the caller. Chunks touch disjoint rows,
// so a kernel over whole columns gives the same bits at any worker count. A
// panic in a chunk comes back as an error.
func (v *View) For(n, grain int, fn func(lo, hi int)) error {
	if v.w.runner == nil || n == 0 {
		if n > 0 {
			fn(0, n)
		}
		return nil
	}
	return v.w.runner.For(n, grain, fn)
}
