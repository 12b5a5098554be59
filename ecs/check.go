package ecs

import "github.com/grove-engine/grove/asm"

// FirstNonFinite finds the first entity whose float columns (position,
// velocity, mass) hold a NaN or an infinity. It returns the entity's row and
// the column, or -1 and 0 when every value is finite. The scan runs the SIMD
// kernel [asm.FirstNonFinite] over whole columns.
func (c *Columns) FirstNonFinite() (row int, col Mask) {
	if i := asm.FirstNonFinite(Floats(c.Position)); i >= 0 {
		return i / 2, MaskPosition
	}
	if c.Mask.Has(MaskVelocity) {
		if i := asm.FirstNonFinite(Floats(c.Velocity)); i >= 0 {
			return i / 2, MaskVelocity
		}
	}
	if c.Mask.Has(MaskMass) {
		if i := asm.FirstNonFinite(MassFloats(c.Mass)); i >= 0 {
			return i, MaskMass
		}
	}
	return -1, 0
}
