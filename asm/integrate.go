package asm

// Integrate moves every position by its velocity over dt. It computes, bit
// for bit, the reference loop
//
//	for i := range p {
//		p[i] += float32(v[i] * dt)
//	}
//
// The float32 conversion rounds the product before the sum, so no level may
// fuse them into an FMA: the assembly uses VMULPS then VADDPS, and its
// results equal the reference's exactly (difference bound 0), whatever the
// inputs; a NaN in gives a NaN out, possibly with another payload.
//
// p and v are usually x,y-interleaved columns, but any lengths work: v may be
// longer than p and its tail is ignored. Integrate panics if len(v) < len(p).
// p and v must not overlap unless they are the same slice.
func Integrate(p, v []float32, dt float32) {
	checkIntegrate(p, v)
	integrateBody(p, v, dt)
}

func checkIntegrate(p, v []float32) {
	if len(v) < len(p) {
		panic("asm: Integrate: len(v) < len(p)")
	}
}
