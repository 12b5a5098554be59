package ecs

import (
	"strings"
	"unsafe"
)

// Key is an entity's stable identity. Unlike arche's Entity it survives moving
// between worlds: the engine assigns it once and every world stores it in a
// column. Its low 32 bits are an index that may be recycled after the entity
// is despawned; the high 32 bits are a generation that tells the reuses apart.
type Key uint64

// NewKey packs an index and a generation into a Key.
func NewKey(index, gen uint32) Key { return Key(uint64(gen)<<32 | uint64(index)) }

// Index is the recyclable slot of the key.
func (k Key) Index() uint32 { return uint32(k) }

// Gen is the generation of the key's slot.
func (k Key) Gen() uint32 { return uint32(k >> 32) }

// Position is an entity's position in world units. Its layout is two
// consecutive float32, so a column of positions is an interleaved x, y
// []float32 (see [Floats]).
type Position struct{ X, Y float32 }

// Velocity is an entity's velocity in world units per second, laid out like
// [Position].
type Velocity struct{ X, Y float32 }

// Collided is the collision flag that v2 and later set each frame.
type Collided bool

// Mass is an entity's mass, introduced by v3.
type Mass float32

// Mask is a set of component columns. The [Key] column is always present and
// is not part of any mask.
type Mask uint8

// The component columns a world can hold.
const (
	MaskPosition Mask = 1 << iota
	MaskVelocity
	MaskCollided
	MaskMass

	// MaskAll is every column this package knows.
	MaskAll = MaskPosition | MaskVelocity | MaskCollided | MaskMass
)

// Has reports whether every column of o is in m.
func (m Mask) Has(o Mask) bool { return m&o == o }

// String lists the mask's columns, for example "position|velocity".
func (m Mask) String() string {
	var parts []string
	for _, c := range []struct {
		bit  Mask
		name string
	}{{MaskPosition, "position"}, {MaskVelocity, "velocity"}, {MaskCollided, "collided"}, {MaskMass, "mass"}} {
		if m&c.bit != 0 {
			parts = append(parts, c.name)
		}
	}
	if m&^MaskAll != 0 {
		parts = append(parts, "unknown")
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, "|")
}

// Floats views a column of positions or velocities as interleaved x, y
// float32 values, without copying. The result aliases the input.
func Floats[T Position | Velocity](col []T) []float32 {
	if len(col) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&col[0])), 2*len(col))
}

// MassFloats views a mass column as float32 values, without copying.
func MassFloats(col []Mass) []float32 {
	if len(col) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&col[0])), len(col))
}

// Flags views a collided column as bools, without copying.
func Flags(col []Collided) []bool {
	if len(col) == 0 {
		return nil
	}
	return unsafe.Slice((*bool)(unsafe.Pointer(&col[0])), len(col))
}
