package ecs

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"slices"
	"unsafe"
)

// Columns is entity state laid out by column: row i of every column belongs
// to the entity Keys[i]. Its [Layout] says which components it holds; the
// columns are type-erased bytes, read and written through [Column] with a
// component handle, or as raw bytes ([Columns.Raw]) by generic code.
//
// A Columns returned by [World.Columns] or [View.Columns] is a view that
// aliases the world's memory until the world's next structural change;
// writing through it changes the world, and appending to it is not allowed.
// Every other Columns is an owned buffer: the version-independent encoding of
// entities that the engine migrates between versions and keeps as backups.
// The zero value is an empty buffer with no layout; [Columns.Reset] or
// [MakeColumns] give it one.
type Columns struct {
	Keys   []Key
	layout *Layout
	cols   [][]byte // parallel to layout.comps; len = rows·size
	view   bool
}

// MakeColumns returns an owned buffer of n rows in layout l, each holding
// the layout's default values, with zero keys (as [versioning.Engine.Spawn]
// expects: it assigns the keys).
func MakeColumns(l *Layout, n int) Columns {
	var c Columns
	c.Reset(l)
	c.AppendDefaults(n)
	return c
}

// Layout is the buffer's layout (nil for a zero Columns).
func (c *Columns) Layout() *Layout { return c.layout }

// Len is the number of rows.
func (c *Columns) Len() int { return len(c.Keys) }

// Reset empties the buffer and gives it layout l, keeping the allocated
// memory of an owned buffer for reuse. Reset of a view drops the view.
func (c *Columns) Reset(l *Layout) {
	if c.view {
		*c = Columns{}
	}
	c.layout = l
	c.Keys = c.Keys[:0]
	n := 0
	if l != nil {
		n = len(l.comps)
	}
	if cap(c.cols) < n {
		c.cols = append(c.cols[:cap(c.cols)], make([][]byte, n-cap(c.cols))...)
	}
	c.cols = c.cols[:n]
	for i := range c.cols {
		c.cols[i] = c.cols[i][:0]
	}
}

// Column returns the column of comp in c as a typed slice, without copying:
// writes go to c (to the world, for a view). It returns nil if c lacks comp
// or holds a component of that name with another layout. The slice is valid
// until c is appended to or reset (or, for a view, until the world's next
// structural change).
func Column[T any](c *Columns, comp Comp[T]) []T {
	i := c.index(comp.Component)
	if i < 0 {
		return nil
	}
	b := c.cols[i]
	if len(b) == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/comp.Size())
}

// Float32s returns the column of comp as float32 values, without copying,
// if comp is made only of float32 fields (a Vec2 position becomes x0, y0,
// x1, y1, ...); else, or if c lacks comp, nil. The SIMD kernels run over
// such views.
func Float32s(c *Columns, comp Spec) []float32 {
	cc := comp.spec().c
	i := c.index(cc)
	if i < 0 || !cc.allF32 {
		return nil
	}
	b := c.cols[i]
	if len(b) == 0 {
		return []float32{}
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// Raw returns the bytes of the column of the component with the given ID
// (rows × size, row-major), or nil if c lacks it. Writes go to c.
func (c *Columns) Raw(id ID) []byte {
	if c.layout == nil {
		return nil
	}
	if i := c.layout.index[id]; i >= 0 {
		return c.cols[i]
	}
	return nil
}

// index is the position of comp's column, or -1 if c lacks it (or holds
// the name with another layout).
func (c *Columns) index(comp *Component) int {
	if c.layout == nil || comp == nil {
		return -1
	}
	i := c.layout.index[comp.id]
	if i < 0 || !c.layout.comps[i].SameLayout(comp) {
		return -1
	}
	return int(i)
}

// Validate checks that c has a layout and that every column has len(Keys)
// rows. Errors wrap [ErrMissingColumns] or [ErrColumnLength].
func (c *Columns) Validate() error {
	if c.layout == nil {
		return fmt.Errorf("%w: no layout", ErrMissingColumns)
	}
	n := len(c.Keys)
	for i, comp := range c.layout.comps {
		if len(c.cols[i]) != n*comp.Size() {
			return fmt.Errorf("%w: %s has %d rows, keys %d", ErrColumnLength, comp.Name(), len(c.cols[i])/comp.Size(), n)
		}
	}
	return nil
}

// AppendDefaults appends n rows holding the layout's default values, with
// zero keys.
func (c *Columns) AppendDefaults(n int) {
	c.mustOwn()
	c.Keys = slices.Grow(c.Keys, n)[:len(c.Keys)+n]
	clear(c.Keys[len(c.Keys)-n:])
	for i := range c.cols {
		c.fillDefault(i, n)
	}
}

// AppendAll appends every row of src to c. Components c's layout holds are
// copied from src where src holds them with the same layout, and set to
// c's default values otherwise; src's other components are ignored.
func (c *Columns) AppendAll(src *Columns) {
	c.mustOwn()
	n := src.Len()
	c.Keys = append(c.Keys, src.Keys...)
	for i, comp := range c.layout.comps {
		if j := src.index(comp); j >= 0 {
			c.cols[i] = appendBytes(c.cols[i], src.cols[j][:n*comp.Size()])
		} else {
			c.fillDefault(i, n)
		}
	}
}

// AppendRows appends the given rows of src to c, like [Columns.AppendAll]
// for a subset. Rows must be valid indexes of src. Runs of consecutive rows
// are copied as blocks, so moving a contiguous tail costs a memmove.
func (c *Columns) AppendRows(src *Columns, rows []int32) {
	c.mustOwn()
	c.Keys = gather(c.Keys, src.Keys, rows)
	for i, comp := range c.layout.comps {
		if j := src.index(comp); j >= 0 {
			c.cols[i] = gatherBytes(c.cols[i], src.cols[j], comp.Size(), rows)
		} else {
			c.fillDefault(i, len(rows))
		}
	}
}

func (c *Columns) mustOwn() {
	if c.view {
		panic("ecs: appending to a view of a world")
	}
	if c.layout == nil {
		panic("ecs: Columns has no layout; call Reset or MakeColumns first")
	}
}

// fillDefault appends n default values to column i.
func (c *Columns) fillDefault(i, n int) {
	size := c.layout.comps[i].Size()
	b := growBytes(c.cols[i], n*size)
	tail := b[len(c.cols[i]):]
	if c.layout.zero {
		clear(tail)
	} else {
		fillPattern(tail, c.layout.defs[i])
	}
	c.cols[i] = b
}

// fillPattern repeats pat over dst by doubling copies.
func fillPattern(dst, pat []byte) {
	if len(dst) == 0 {
		return
	}
	k := copy(dst, pat)
	for k < len(dst) {
		k += copy(dst[k:], dst[:k])
	}
}

// grow appends n rows whose content is unspecified, to be overwritten.
func (c *Columns) grow(n int) {
	c.Keys = slices.Grow(c.Keys, n)[:len(c.Keys)+n]
	for i, comp := range c.layout.comps {
		c.cols[i] = growBytes(c.cols[i], n*comp.Size())
	}
}

// Truncate drops every row from n on (0 ≤ n ≤ Len), keeping the memory.
func (c *Columns) Truncate(n int) { c.truncate(n) }

// truncate drops every row from n on.
func (c *Columns) truncate(n int) {
	c.Keys = c.Keys[:n]
	for i, comp := range c.layout.comps {
		c.cols[i] = c.cols[i][:n*comp.Size()]
	}
}

// Slice returns a view of rows [lo, hi) of c: it shares c's memory, so
// writes go to c, and it cannot be appended to.
func (c *Columns) Slice(lo, hi int) Columns {
	out := Columns{Keys: c.Keys[lo:hi:hi], layout: c.layout, cols: make([][]byte, len(c.cols)), view: true}
	for i, comp := range c.layout.comps {
		s := comp.Size()
		out.cols[i] = c.cols[i][lo*s : hi*s : hi*s]
	}
	return out
}

// SliceInto makes dst a view of rows [lo, hi) of c, like [Columns.Slice],
// reusing dst's table of columns: no allocation once dst has held a view of
// as many components.
func (c *Columns) SliceInto(dst *Columns, lo, hi int) {
	cols := dst.cols[:0]
	if cap(cols) < len(c.cols) {
		cols = make([][]byte, 0, len(c.cols))
	}
	for i, comp := range c.layout.comps {
		s := comp.Size()
		cols = append(cols, c.cols[i][lo*s:hi*s:hi*s])
	}
	*dst = Columns{Keys: c.Keys[lo:hi:hi], layout: c.layout, cols: cols, view: true}
}

// Clone returns an owned deep copy of c.
func (c *Columns) Clone() Columns {
	var out Columns
	out.Reset(c.layout)
	if c.layout != nil {
		out.AppendAll(c)
	}
	return out
}

// MemoryBytes is the memory the buffer's allocated columns occupy (0 for a
// view).
func (c *Columns) MemoryBytes() int {
	if c.view {
		return 0
	}
	n := cap(c.Keys) * 8
	for _, b := range c.cols {
		n += cap(b)
	}
	return n
}

// Equal reports whether a and b hold the same layout, the same keys in the
// same order and, bit for bit, the same values.
func Equal(a, b *Columns) bool {
	if !a.layout.Same(b.layout) || !slices.Equal(a.Keys, b.Keys) {
		return false
	}
	for i := range a.cols {
		if !bytes.Equal(a.cols[i], b.cols[i]) {
			return false
		}
	}
	return true
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is a CRC-32C over the keys and every column, in row order. The
// engine uses it to prove that stepping one world left another world's data
// untouched.
func (c *Columns) Checksum() uint32 {
	h := crc32.Update(0, castagnoli, bytesOf(c.Keys))
	for _, b := range c.cols {
		h = crc32.Update(h, castagnoli, b)
	}
	return h
}

// KeyBytes views a key slice as its little-endian bytes, without copying.
func KeyBytes(keys []Key) []byte { return bytesOf(keys) }

func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}

// growBytes extends b by n bytes (their content unspecified), reallocating
// with 8-byte alignment when the capacity is short.
func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	c := max(2*cap(b), len(b)+n, 64)
	w := make([]uint64, (c+7)/8)
	nb := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(w))), len(w)*8)
	copy(nb, b)
	return nb[:len(b)+n]
}

func appendBytes(dst, src []byte) []byte {
	b := growBytes(dst, len(src))
	copy(b[len(dst):], src)
	return b
}

// gather appends src[r] for every r in rows, copying runs as blocks.
func gather[T any](dst, src []T, rows []int32) []T {
	dst = slices.Grow(dst, len(rows))
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && rows[j] == rows[j-1]+1 {
			j++
		}
		dst = append(dst, src[rows[i]:rows[j-1]+1]...)
		i = j
	}
	return dst
}

// gatherBytes appends rows of size-byte elements of src to dst.
func gatherBytes(dst, src []byte, size int, rows []int32) []byte {
	start := len(dst)
	dst = growBytes(dst, len(rows)*size)
	gatherBytesInto(dst[start:], src, size, rows)
	return dst
}

// gatherBytesInto sets element i of out to element rows[i] of src, for
// size-byte elements.
func gatherBytesInto(out, src []byte, size int, rows []int32) {
	switch size {
	case 1:
		gatherInto(out, src, rows)
	case 4:
		gatherInto(as[uint32](out), as[uint32](src), rows)
	case 8:
		gatherInto(as[uint64](out), as[uint64](src), rows)
	case 16:
		gatherInto(as[[2]uint64](out), as[[2]uint64](src), rows)
	default:
		k := 0
		for i := 0; i < len(rows); {
			j := i + 1
			for j < len(rows) && rows[j] == rows[j-1]+1 {
				j++
			}
			k += copy(out[k:], src[int(rows[i])*size:(int(rows[j-1])+1)*size])
			i = j
		}
	}
}

// gatherInto sets out[i] = src[rows[i]], copying runs of consecutive rows
// as blocks.
func gatherInto[T any](out, src []T, rows []int32) {
	k := 0
	for i := 0; i < len(rows); {
		r := rows[i]
		j := i + 1
		for j < len(rows) && rows[j] == r+int32(j-i) {
			j++
		}
		if j-i == 1 {
			out[k] = src[r]
			k++
		} else {
			k += copy(out[k:], src[r:int(r)+j-i])
		}
		i = j
	}
}

// as views 8-byte-aligned bytes as a slice of T.
func as[T any](b []byte) []T {
	if len(b) == 0 {
		return nil
	}
	var z T
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/int(unsafe.Sizeof(z)))
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
