package asm

import "math"

// expMask selects a float32's exponent bits; they are all set exactly for
// NaN and ±Inf.
const expMask = 0x7f800000

// firstNonFiniteGeneric is the reference for [FirstNonFinite].
func firstNonFiniteGeneric(x []float32) int {
	for i, f := range x {
		if math.Float32bits(f)&expMask == expMask {
			return i
		}
	}
	return -1
}
