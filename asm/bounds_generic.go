package asm

// boundsGeneric is the reference for [Bounds]; the caller has checked
// len(p) >= 2*len(flags).
func boundsGeneric(flags []bool, p []float32, min, max float32) {
	p = p[:2*len(flags)]
	for i := range flags {
		x, y := p[2*i], p[2*i+1]
		flags[i] = !(x >= min && x <= max && y >= min && y <= max)
	}
}
