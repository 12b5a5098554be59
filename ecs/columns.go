package ecs

import (
	"hash/crc32"
	"math"
	"slices"
	"unsafe"
)

// Columns is entity state laid out by column: row i of every present column
// belongs to the entity Keys[i]. Mask says which component columns are
// present; the others are ignored (and usually nil).
//
// A Columns returned by [World.Columns] is a view that aliases the world's
// memory until the world's next structural change. Every other Columns is an
// owned buffer: the version-independent encoding of entities that the engine
// migrates between versions and keeps as backups.
type Columns struct {
	Mask     Mask
	Keys     []Key
	Position []Position
	Velocity []Velocity
	Collided []Collided
	Mass     []Mass
}

// Len is the number of rows.
func (c *Columns) Len() int { return len(c.Keys) }

// Reset empties the buffer and sets its mask, keeping the allocated memory.
func (c *Columns) Reset(mask Mask) {
	c.Mask = mask
	c.Keys = c.Keys[:0]
	c.Position = c.Position[:0]
	c.Velocity = c.Velocity[:0]
	c.Collided = c.Collided[:0]
	c.Mass = c.Mass[:0]
}

// Clone returns an owned deep copy of c (of its present columns).
func (c *Columns) Clone() Columns {
	var out Columns
	out.Reset(c.Mask)
	out.AppendAll(c)
	return out
}

// AppendAll appends every row of src to c, for the columns in c.Mask. src must
// hold every column of c.Mask; missing columns are appended as zero values.
func (c *Columns) AppendAll(src *Columns) {
	n := src.Len()
	c.Keys = append(c.Keys, src.Keys...)
	c.Position = appendCol(c.Position, src.Position, n, c.Mask.Has(MaskPosition) && src.Mask.Has(MaskPosition), c.Mask.Has(MaskPosition))
	c.Velocity = appendCol(c.Velocity, src.Velocity, n, c.Mask.Has(MaskVelocity) && src.Mask.Has(MaskVelocity), c.Mask.Has(MaskVelocity))
	c.Collided = appendCol(c.Collided, src.Collided, n, c.Mask.Has(MaskCollided) && src.Mask.Has(MaskCollided), c.Mask.Has(MaskCollided))
	c.Mass = appendCol(c.Mass, src.Mass, n, c.Mask.Has(MaskMass) && src.Mask.Has(MaskMass), c.Mask.Has(MaskMass))
}

func appendCol[T any](dst, src []T, n int, copyIt, want bool) []T {
	switch {
	case copyIt:
		return append(dst, src[:n]...)
	case want:
		var zero T
		dst = slices.Grow(dst, n)
		for range n {
			dst = append(dst, zero)
		}
	}
	return dst
}

// AppendRows appends the given rows of src to c, for the columns in c.Mask,
// which src must hold.
func (c *Columns) AppendRows(src *Columns, rows []int32) {
	c.Keys = gather(c.Keys, src.Keys, rows, true)
	c.Position = gather(c.Position, src.Position, rows, c.Mask.Has(MaskPosition))
	c.Velocity = gather(c.Velocity, src.Velocity, rows, c.Mask.Has(MaskVelocity))
	c.Collided = gather(c.Collided, src.Collided, rows, c.Mask.Has(MaskCollided))
	c.Mass = gather(c.Mass, src.Mass, rows, c.Mask.Has(MaskMass))
}

// gather appends src[r] for every r in rows. Runs of consecutive rows are
// copied as blocks, so moving a contiguous tail costs a memmove.
func gather[T any](dst, src []T, rows []int32, want bool) []T {
	if !want {
		return dst
	}
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

// Bytes is the memory the buffer's allocated columns occupy.
func (c *Columns) Bytes() int {
	return cap(c.Keys)*8 + cap(c.Position)*8 + cap(c.Velocity)*8 + cap(c.Collided) + cap(c.Mass)*4
}

// Equal reports whether a and b hold the same keys and, bit for bit, the same
// values in the columns of mask (which both must hold).
func Equal(a, b *Columns, mask Mask) bool {
	if !slices.Equal(a.Keys, b.Keys) {
		return false
	}
	if mask.Has(MaskPosition) && !bitsEqual(Floats(a.Position), Floats(b.Position)) {
		return false
	}
	if mask.Has(MaskVelocity) && !bitsEqual(Floats(a.Velocity), Floats(b.Velocity)) {
		return false
	}
	if mask.Has(MaskCollided) && !slices.Equal(a.Collided, b.Collided) {
		return false
	}
	if mask.Has(MaskMass) && !bitsEqual(MassFloats(a.Mass), MassFloats(b.Mass)) {
		return false
	}
	return true
}

func bitsEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checksum is a CRC-32C over the keys and the columns of c.Mask, in row
// order. The engine uses it to prove that stepping one world left another
// world's data untouched.
func (c *Columns) Checksum() uint32 {
	h := crc32.Update(0, castagnoli, bytesOf(c.Keys))
	if c.Mask.Has(MaskPosition) {
		h = crc32.Update(h, castagnoli, bytesOf(c.Position))
	}
	if c.Mask.Has(MaskVelocity) {
		h = crc32.Update(h, castagnoli, bytesOf(c.Velocity))
	}
	if c.Mask.Has(MaskCollided) {
		h = crc32.Update(h, castagnoli, bytesOf(c.Collided))
	}
	if c.Mask.Has(MaskMass) {
		h = crc32.Update(h, castagnoli, bytesOf(c.Mass))
	}
	return h
}

func bytesOf[T any](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*int(unsafe.Sizeof(s[0])))
}
