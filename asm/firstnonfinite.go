package asm

// FirstNonFinite returns the index of the first NaN or ±Inf in x, or -1 if
// every element is finite (zeros and denormals are finite). It computes the
// reference loop
//
//	for i, f := range x {
//		if math.Float32bits(f)&0x7f800000 == 0x7f800000 {
//			return i
//		}
//	}
//	return -1
//
// It never panics.
func FirstNonFinite(x []float32) int {
	return firstNonFiniteBody(x)
}
