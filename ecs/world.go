package ecs

import (
	"errors"
	"fmt"
	"sync/atomic"
	"unsafe"

	arche "github.com/mlange-42/arche/ecs"
)

// Errors returned by [World] methods. They are wrapped with details; match
// them with errors.Is.
var (
	// ErrMissingColumns: a Columns lacks a column the world or migration needs.
	ErrMissingColumns = errors.New("ecs: missing columns")
	// ErrColumnLength: a Columns' present columns do not all have len(Keys) rows.
	ErrColumnLength = errors.New("ecs: column length mismatch")
	// ErrBadRows: a row list is not strictly ascending or names a row out of range.
	ErrBadRows = errors.New("ecs: bad row list")
	// ErrBadMask: a mask names no known column or lacks position.
	ErrBadMask = errors.New("ecs: bad mask")
)

// epochs hands out structural-change counters that are unique across all
// worlds, so a [Backup] can tell both "another world" and "changed since".
var epochs atomic.Uint64

// World is one version's entity storage: an arche world whose entities all
// have the [Key] column plus the columns of the world's [Mask], so they live in
// a single archetype with dense columns.
//
// A World is not safe for concurrent use. Structural changes ([World.Append],
// [World.RemoveRows], [World.RemoveAll]) invalidate earlier [World.Columns]
// views; the engine makes them only at frame boundaries.
type World struct {
	w      arche.World
	mask   Mask
	ids    []arche.ID
	keyID  arche.ID
	posID  arche.ID
	velID  arche.ID
	colID  arche.ID
	massID arche.ID
	filter arche.CachedFilter
	epoch  uint64

	open    []arche.Query  // copies of the queries Query handed out, for Unlock
	scratch Columns        // survivors while rebuilding in RemoveRows
	rows    []int32        // complement rows while rebuilding
	ents    []arche.Entity // entities to remove one by one
}

// NewWorld creates a world holding the columns of mask, which must include
// [MaskPosition] and only known columns. capacity pre-sizes its storage
// (values below arche's default of 128 use the default); pre-sizing a world
// that is about to receive many entities avoids growth copies.
func NewWorld(mask Mask, capacity int) (*World, error) {
	if mask&^MaskAll != 0 || !mask.Has(MaskPosition) {
		return nil, fmt.Errorf("%w: %v", ErrBadMask, mask)
	}
	// arche reserves entity 0 and grows its entity index when it would
	// become full, so n entities need a capacity of n+2; with less, the last
	// entity doubles the (pointerful) index: 32 MB more for a million.
	w := &World{mask: mask, w: arche.NewWorld(max(capacity, 126) + 2)}
	w.keyID = arche.ComponentID[Key](&w.w)
	w.ids = append(w.ids, w.keyID)
	w.posID = arche.ComponentID[Position](&w.w)
	w.ids = append(w.ids, w.posID)
	if mask.Has(MaskVelocity) {
		w.velID = arche.ComponentID[Velocity](&w.w)
		w.ids = append(w.ids, w.velID)
	}
	if mask.Has(MaskCollided) {
		w.colID = arche.ComponentID[Collided](&w.w)
		w.ids = append(w.ids, w.colID)
	}
	if mask.Has(MaskMass) {
		w.massID = arche.ComponentID[Mass](&w.w)
		w.ids = append(w.ids, w.massID)
	}
	f := arche.All(w.ids...).Exclusive()
	w.filter = w.w.Cache().Register(&f)
	w.epoch = epochs.Add(1)
	return w, nil
}

// Mask is the set of columns the world holds.
func (w *World) Mask() Mask { return w.mask }

// Epoch changes on every structural change; two worlds never share an epoch.
func (w *World) Epoch() uint64 { return w.epoch }

// Len is the number of entities.
func (w *World) Len() int {
	q := w.w.Query(&w.filter)
	n := q.Count()
	q.Close()
	return n
}

// Columns returns views of the world's columns (see [Columns]). Writing
// through them changes the world. They stay valid until the next structural
// change; re-fetch them every frame.
func (w *World) Columns() Columns {
	c := Columns{Mask: w.mask}
	q := w.w.Query(&w.filter)
	n := q.Count()
	if n == 0 || !q.Next() {
		q.Close()
		return c
	}
	c.Keys = unsafe.Slice((*Key)(q.Get(w.keyID)), n)
	c.Position = unsafe.Slice((*Position)(q.Get(w.posID)), n)
	if w.mask.Has(MaskVelocity) {
		c.Velocity = unsafe.Slice((*Velocity)(q.Get(w.velID)), n)
	}
	if w.mask.Has(MaskCollided) {
		c.Collided = unsafe.Slice((*Collided)(q.Get(w.colID)), n)
	}
	if w.mask.Has(MaskMass) {
		c.Mass = unsafe.Slice((*Mass)(q.Get(w.massID)), n)
	}
	q.Close()
	return c
}

// Validate checks that src holds every column of need with len(src.Keys) rows.
func Validate(src *Columns, need Mask) error {
	if !src.Mask.Has(need) {
		return fmt.Errorf("%w: have %v, need %v", ErrMissingColumns, src.Mask, need)
	}
	n := len(src.Keys)
	for _, c := range []struct {
		bit Mask
		l   int
	}{{MaskPosition, len(src.Position)}, {MaskVelocity, len(src.Velocity)}, {MaskCollided, len(src.Collided)}, {MaskMass, len(src.Mass)}} {
		if src.Mask.Has(c.bit) && c.l != n {
			return fmt.Errorf("%w: %v has %d rows, keys %d", ErrColumnLength, c.bit, c.l, n)
		}
	}
	return nil
}

// Append creates one entity per row of src, in one arche batch, and copies the
// world's columns from src (extra columns in src are ignored). It fails, and
// changes nothing, if src lacks a column of the world or its columns differ in
// length. Keys are not checked for uniqueness: that is the engine's job.
func (w *World) Append(src *Columns) error {
	if err := Validate(src, w.mask); err != nil {
		return err
	}
	n := src.Len()
	if n == 0 {
		return nil
	}
	old := w.Len()
	q := w.w.Batch().NewQ(n, w.ids...)
	q.Close()
	w.epoch = epochs.Add(1)
	c := w.Columns()
	copy(c.Keys[old:], src.Keys)
	copy(c.Position[old:], src.Position)
	if w.mask.Has(MaskVelocity) {
		copy(c.Velocity[old:], src.Velocity)
	}
	if w.mask.Has(MaskCollided) {
		copy(c.Collided[old:], src.Collided)
	}
	if w.mask.Has(MaskMass) {
		copy(c.Mass[old:], src.Mass)
	}
	return nil
}

// CopyRows appends the given rows of the world to dst (whose mask must be the
// world's or a subset of it). Rows must be valid indexes.
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
// changes nothing). The order of the remaining rows is not preserved.
//
// Removing a few entities removes them one by one; removing most of a world
// rebuilds it with two batch operations, which is cheaper per entity.
func (w *World) RemoveRows(rows []int32) error {
	n := w.Len()
	if err := CheckRows(rows, n); err != nil {
		return err
	}
	k := len(rows)
	switch {
	case k == 0:
		return nil
	case k == n:
		w.RemoveAll()
		return nil
	case costRemoveOne*k <= costRemoveAll*n+costRecreate*(n-k):
		w.removeOneByOne(rows)
	default:
		w.rebuildWithout(rows, n)
	}
	w.epoch = epochs.Add(1)
	return nil
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
	w.scratch.Reset(w.mask)
	w.CopyRows(&w.scratch, w.rows)
	w.RemoveAll()
	// Cannot fail: scratch has exactly the world's columns.
	_ = w.Append(&w.scratch)
	w.scratch.Reset(w.mask)
}

// RemoveAll removes every entity in one batch operation.
func (w *World) RemoveAll() {
	w.w.Batch().RemoveEntities(&w.filter)
	w.epoch = epochs.Add(1)
}

// MemoryBytes is the memory the world holds: arche's own accounting of its
// entities and component storage, the fixed cost of a world that arche does
// not report ([WorldOverhead]), and this wrapper's scratch buffers.
func (w *World) MemoryBytes() int {
	return w.w.Stats().Memory + WorldOverhead() + w.scratch.Bytes() + cap(w.rows)*4 + cap(w.ents)*8
}
