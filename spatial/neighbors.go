package spatial

import "fmt"

// queryMargin widens the query box of [Grid.Neighbors] by a relative 2⁻²⁰, more
// than the rounding of the float64 predicate, so no qualifying entity lies
// outside it.
const queryMargin = 1.0 / (1 << 20)

// Neighbors appends to dst the index of every entity binned by the last
// [Grid.Build] that lies within distance radius of (x, y), and returns dst.
// The predicate is that of [BruteNeighbors]:
//
//	dx := float64(xi) - float64(x)
//	dy := float64(yi) - float64(y)
//	float64(dx*dx)+float64(dy*dy) <= float64(radius)*float64(radius)
//
// so the set of indices is exactly BruteNeighbors'; the order is unspecified.
// Indices refer to the slice given to Build. A NaN or infinite x or y matches
// nothing. Any positive finite radius works; the cost grows with the number
// of cells the query circle's bounding box covers.
//
// If radius is not positive and finite, Neighbors returns dst unchanged and an
// error wrapping [ErrInvalidRadius]. Neighbors only appends to dst: with
// enough capacity it allocates nothing. Like every method of Grid, it must not
// run concurrently with another call on the same Grid.
func (g *Grid) Neighbors(dst []int32, x, y, radius float32) ([]int32, error) {
	if !validLength(radius) {
		return dst, fmt.Errorf("%w: %v", ErrInvalidRadius, radius)
	}
	if g.binned == 0 || !finite(x) || !finite(y) {
		return dst, nil
	}
	lim := pointLimit(radius)
	// A qualifying entity lies truly within radius*(1+1e-15) of (x, y) on
	// each axis, hence within the rounded bounds below; col and row are
	// monotone and give binned entities their own cells, so its cell is in
	// the box [x0, x1] × [y0, y1].
	w := float64(radius) * (1 + queryMargin)
	if g.hashed {
		return g.neighborsHashed(dst, x, y, w, lim), nil
	}
	fx, fy := float64(x), float64(y)
	x0, x1 := g.col(fx-w), g.col(fx+w)
	y0, y1 := g.row(fy-w), g.row(fy+w)

	stride := g.stride
	start := g.start[:stride*(g.ny+1)+1]
	ents := g.ents[:g.binned]
	for ry := y0; ry <= y1; ry++ {
		b := ry * stride
		for _, e := range ents[start[b+x0]:start[b+x1+1]] {
			if dist2(e.x, e.y, x, y) <= lim {
				dst = append(dst, e.id)
			}
		}
	}
	return dst, nil
}
