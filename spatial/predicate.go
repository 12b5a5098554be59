package spatial

import "math"

// finite reports whether v is neither NaN nor ±Inf.
func finite(v float32) bool {
	return math.Float32bits(v)&0x7f800000 != 0x7f800000
}

// validLength reports whether r is a usable radius or cell side: positive
// and finite.
func validLength(r float32) bool {
	return r > 0 && r <= math.MaxFloat32
}

// dist2 is the squared distance between (ax, ay) and (bx, by), computed in
// float64. It is the one place the overlap predicate is written: [Grid] and
// the brute-force references all call it, so they agree bit for bit. The
// explicit conversions forbid fusing the multiply and the add into an FMA, and
// dist2(a, b) == dist2(b, a) because negation is exact.
func dist2(ax, ay, bx, by float32) float64 {
	dx := float64(ax) - float64(bx)
	dy := float64(ay) - float64(by)
	return float64(dx*dx) + float64(dy*dy)
}

// pairLimit is the bound on dist2 for two circles of the given radius to
// overlap: (2*radius)², in float64.
func pairLimit(radius float32) float64 {
	d := 2 * float64(radius)
	return d * d
}

// pointLimit is the bound on dist2 for a point to lie within radius of a
// query point: radius², in float64.
func pointLimit(radius float32) float64 {
	r := float64(radius)
	return r * r
}
