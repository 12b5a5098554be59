package asm

// gravityGeneric is the reference for [Gravity]; the caller has checked that
// len(p) is even and len(v) >= len(p).
func gravityGeneric(p, v []float32, ax, ay, dt float32) {
	gx, gy := float32(ax*dt), float32(ay*dt)
	v = v[:len(p)]
	for i := 0; i+1 < len(p); i += 2 {
		v[i] += gx
		v[i+1] += gy
		p[i] += float32(v[i] * dt)
		p[i+1] += float32(v[i+1] * dt)
	}
}
