package asm

// Bounds flags every entity whose position leaves the square [min, max]²;
// p is an x,y-interleaved column. It computes the reference loop
//
//	for i := range flags {
//		x, y := p[2*i], p[2*i+1]
//		flags[i] = !(x >= min && x <= max && y >= min && y <= max)
//	}
//
// A position exactly on an edge is inside; a NaN coordinate (or a NaN min or
// max) is outside. Bounds panics if len(p) < 2*len(flags); p's tail past
// 2*len(flags) is ignored.
func Bounds(flags []bool, p []float32, min, max float32) {
	checkBounds(flags, p)
	boundsBody(flags, p, min, max)
}

func checkBounds(flags []bool, p []float32) {
	if len(p)/2 < len(flags) {
		panic("asm: Bounds: len(p) < 2*len(flags)")
	}
}
