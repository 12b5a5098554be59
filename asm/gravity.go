package asm

// Gravity accelerates every entity by a = (ax, ay) over dt, then moves it by
// its new velocity. p and v are x,y-interleaved columns. It computes, bit for
// bit, the reference loop
//
//	gx, gy := float32(ax*dt), float32(ay*dt)
//	for i := 0; i < len(p); i += 2 {
//		v[i] += gx
//		v[i+1] += gy
//		p[i] += float32(v[i] * dt)
//		p[i+1] += float32(v[i+1] * dt)
//	}
//
// No level fuses a product and a sum into an FMA (the assembly uses VMULPS
// then VADDPS), so results equal the reference's exactly (difference bound
// 0); a NaN in gives a NaN out, possibly with another payload.
//
// Gravity panics if len(p) is odd or len(v) < len(p); v's tail past len(p) is
// left alone. p and v must not overlap.
func Gravity(p, v []float32, ax, ay, dt float32) {
	checkGravity(p, v)
	gravityBody(p, v, ax, ay, dt)
}

func checkGravity(p, v []float32) {
	if len(p)%2 != 0 {
		panic("asm: Gravity: len(p) is odd")
	}
	if len(v) < len(p) {
		panic("asm: Gravity: len(v) < len(p)")
	}
}
