package ecs

import (
	"math"
	"unsafe"

	"github.com/grove-engine/grove/asm"
)

// FirstNonFinite finds the first entity (the lowest row) holding a NaN or an
// infinity in any float32 or float64 field of any component, except fields
// exempted with [AllowNonFinite] or the `grove:",nonfinite"` tag. It returns
// the row and the field ("velocity.y"; the component's name alone for a
// scalar), or -1 and "" when every value is finite. Components made only of
// float32 fields are scanned as one dense column by the SIMD kernel
// [asm.FirstNonFinite]; the others field by field.
func (c *Columns) FirstNonFinite() (row int, field string) {
	return c.firstNonFinite(0, c.Len())
}

// firstNonFinite scans rows [lo, hi).
func (c *Columns) firstNonFinite(lo, hi int) (row int, field string) {
	row = -1
	if c.layout == nil {
		return row, ""
	}
	for i, comp := range c.layout.comps {
		if len(comp.checked) == 0 || lo >= hi {
			continue
		}
		end := hi
		if row >= 0 {
			end = row // only an earlier row can improve on it
		}
		if r, f := scanComponent(comp, c.cols[i], lo, end); r >= 0 {
			row, field = r, f
		}
	}
	return row, field
}

func scanComponent(comp *Component, col []byte, lo, hi int) (int, string) {
	size := comp.Size()
	if lo >= hi {
		return -1, ""
	}
	if comp.allF32 {
		per := size / 4
		fs := unsafe.Slice((*float32)(unsafe.Pointer(&col[lo*size])), (hi-lo)*per)
		if i := asm.FirstNonFinite(fs); i >= 0 {
			return lo + i/per, fieldAt(comp, (i%per)*4)
		}
		return -1, ""
	}
	for r := lo; r < hi; r++ {
		base := unsafe.Pointer(&col[r*size])
		for _, f := range comp.checked {
			for k := range f.Count {
				if !finiteAt(unsafe.Add(base, f.Offset+k*f.Kind.Size()), f.Kind) {
					return r, fieldLabel(comp, f)
				}
			}
		}
	}
	return -1, ""
}

func finiteAt(p unsafe.Pointer, k Kind) bool {
	if k == KindFloat32 {
		return !math.IsNaN(float64(*(*float32)(p))) && !math.IsInf(float64(*(*float32)(p)), 0)
	}
	x := *(*float64)(p)
	return !math.IsNaN(x) && !math.IsInf(x, 0)
}

// fieldAt names the field at a byte offset of the component.
func fieldAt(comp *Component, off int) string {
	for _, f := range comp.schema.Fields {
		if off >= f.Offset && off < f.Offset+f.Count*f.Kind.Size() {
			return fieldLabel(comp, f)
		}
	}
	return comp.Name()
}

func fieldLabel(comp *Component, f Field) string {
	if f.Path == "" {
		return comp.Name()
	}
	return comp.Name() + "." + f.Path
}
