package asm

// integrateGeneric is the reference for [Integrate]; the caller has checked
// len(v) >= len(p).
func integrateGeneric(p, v []float32, dt float32) {
	v = v[:len(p)]
	for i := range p {
		p[i] += float32(v[i] * dt)
	}
}
