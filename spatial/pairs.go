package spatial

import (
	"fmt"
	"slices"
)

// Pairs appends to dst every pair {A, B}, A < B, of entities binned by the
// last [Grid.Build] whose circles of the given radius overlap, each pair once,
// and returns dst. The predicate is that of [BrutePairs]:
//
//	dx := float64(xa) - float64(xb)
//	dy := float64(ya) - float64(yb)
//	float64(dx*dx)+float64(dy*dy) <= (2*float64(radius))*(2*float64(radius))
//
// so the set of pairs is exactly BrutePairs' on the same positions. The
// order is unspecified (sort the result to compare with BrutePairs), but it
// is the same for the same Build input and radius whatever the [Runner]. A
// and B are indices into the slice given to Build.
//
// Any positive finite radius works. When 2*radius <= the cell side given to
// Build, only the 3×3 cells around each entity are searched; a larger radius
// searches ceil(2*radius/cell) cells on each side, correctly but more slowly.
// If radius is not positive and finite, Pairs returns dst unchanged and an
// error wrapping [ErrInvalidRadius]. With a Runner and 32768 entities or
// more, Pairs searches in parts run in parallel. Should it panic (a bug) or
// the runner fail, it returns dst unchanged and a [*PanicError] or an error
// wrapping [ErrRunner]; the grid is left empty if that happened while
// re-binning a hashed layout (below).
//
// Pairs writes only within dst's new length. It keeps scratch buffers in the
// grid that grow to the largest result seen; once they and dst have the
// capacity, Pairs allocates nothing, except that on a grid in the hashed
// layout (see [Grid.Build]) a radius above cell/2 re-bins the entities and
// may allocate that scratch once. It must not run concurrently with any
// other method of the same Grid.
func (g *Grid) Pairs(dst []Pair, radius float32) ([]Pair, error) {
	if !validLength(radius) {
		return dst, fmt.Errorf("%w: %v", ErrInvalidRadius, radius)
	}
	if g.binned < 2 {
		return dst, nil
	}
	out, err := g.pairs(dst, radius)
	g.work.dst = nil // do not keep the caller's slice
	if err != nil {
		if g.work.rebin { // the layout is half re-binned
			g.work.rebin = false
			g.binned, g.nx, g.ny, g.hashed = 0, 0, 0, false
		}
		return dst, err
	}
	return out, nil
}

// pairs is Pairs after validation.
func (g *Grid) pairs(dst []Pair, radius float32) (_ []Pair, err error) {
	defer recovered("search", &err)
	w := &g.work
	g.setParts(g.partsFor(g.binned))
	w.lim = pairLimit(radius)
	if g.hashed {
		if div := g.hashReach(2 * float64(radius)); div != g.hdiv {
			w.rebin = true
			if err := g.rehash(div); err != nil {
				return dst, err
			}
			w.rebin = false
		}
	} else {
		w.reach = g.reach(2 * float64(radius))
	}
	if err := g.each("pairs", (*Grid).pairsPart); err != nil {
		return dst, err
	}

	// Concatenate the parts' pairs in part order: the order one part
	// would have found them in.
	parts := g.parts[:w.parts]
	total := 0
	for p := range parts {
		parts[p].off = total
		total += parts[p].found
	}
	base := len(dst)
	dst = slices.Grow(dst, total)[:base+total]
	if len(parts) == 1 {
		copy(dst[base:], parts[0].buf[:parts[0].found])
		return dst, nil
	}
	w.dst = dst[base:]
	if err := g.each("copy", (*Grid).copyPart); err != nil {
		return dst[:base], err
	}
	return dst, nil
}

// pairsPart finds the pairs whose first entity, in cell order, is in part p
// of the entities, into its buffer.
func (g *Grid) pairsPart(p int) {
	w := &g.work
	lo, hi := span(p, w.parts, g.binned)
	st := &g.parts[p]
	switch {
	case g.hashed:
		st.buf, st.found, st.cand = g.pairsHashed(st.buf, w.lim, lo, hi)
	case w.reach == 1:
		st.buf, st.found, st.cand = g.pairs1(st.buf, w.lim, lo, hi)
	default:
		st.buf, st.found, st.cand = g.pairsR(st.buf, w.lim, w.reach, lo, hi)
	}
}

// copyPart copies the pairs of part p to their place in the result.
func (g *Grid) copyPart(p int) {
	st := &g.parts[p]
	copy(g.work.dst[st.off:], st.buf[:st.found])
}

// candidates returns the number of candidate pairs the last Pairs compared.
func (g *Grid) candidates() int {
	c := 0
	for _, st := range g.parts[:g.work.parts] {
		c += st.cand
	}
	return c
}

// grown returns buf with room for need more pairs after the first k, which
// it keeps. It is the rare path of the loops below, kept out of line so that
// they keep their registers.
//
//go:noinline
func grown(buf []Pair, k, need int) []Pair {
	if k+need <= len(buf) {
		return buf
	}
	b := make([]Pair, max(2*len(buf), k+need, 1024))
	copy(b, buf[:k])
	return b
}

// pairs1 writes to buf the overlapping pairs, one cell apart at most, whose
// first entity is in [lo, hi), and returns buf, how many it wrote and how
// many candidates it compared.
//
// Each pair of cells at most one apart in both directions is visited once: a
// cell is paired with itself, with the next cell of its row, and with the
// three cells below it. Cells are stored row by row, so the rest of an
// entity's cell plus the next cell is one contiguous run of entities, and so
// are the three cells below; the padding column and row keep both runs in
// bounds and empty where they leave the grid. Candidates are written
// unconditionally and kept by advancing the count, which spares a branch the
// predictor cannot learn.
func (g *Grid) pairs1(buf []Pair, lim float64, lo, hi int) ([]Pair, int, int) {
	below := g.stride - 1
	start := g.start[:g.stride*(g.ny+1)+1]
	ents := g.ents[:g.binned]
	k, cand := 0, 0
	for i := lo; i < hi; i++ {
		e := ents[i]
		c := int(e.cell)
		sameEnd := int(start[c+2])
		b0 := int(start[c+below])
		b1 := int(start[c+below+3])
		need := sameEnd - i - 1 + b1 - b0
		if len(buf)-k < need {
			buf = grown(buf, k, need)
		}
		cand += need
		for _, f := range ents[i+1 : sameEnd] {
			buf[k] = Pair{A: min(e.id, f.id), B: max(e.id, f.id)}
			if dist2(e.x, e.y, f.x, f.y) <= lim {
				k++
			}
		}
		for _, f := range ents[b0:b1] {
			buf[k] = Pair{A: min(e.id, f.id), B: max(e.id, f.id)}
			if dist2(e.x, e.y, f.x, f.y) <= lim {
				k++
			}
		}
	}
	return buf, k, cand
}

// pairsR is pairs1 for pairs up to r cells apart: a cell is paired with
// itself, with the next r cells of its row, and with the 2r+1 cells around
// its column in each of the next r rows, clamped to the grid.
func (g *Grid) pairsR(buf []Pair, lim float64, r, lo, hi int) ([]Pair, int, int) {
	nx, ny, stride := g.nx, g.ny, g.stride
	start := g.start[:stride*(ny+1)+1]
	ents := g.ents[:g.binned]
	k, cand := 0, 0
	for i := lo; i < hi; i++ {
		e := ents[i]
		c := int(e.cell)
		cy, cx := c/stride, c%stride
		x0 := max(cx-r, 0)
		x1 := min(cx+r, nx-1) + 1 // exclusive
		lastRow := min(cy+r, ny-1)
		sameEnd := int(start[cy*stride+x1])
		buf = grown(buf, k, sameEnd-i-1)
		cand += sameEnd - i - 1
		for _, f := range ents[i+1 : sameEnd] {
			if dist2(e.x, e.y, f.x, f.y) <= lim {
				buf[k] = Pair{A: min(e.id, f.id), B: max(e.id, f.id)}
				k++
			}
		}
		for ry := cy + 1; ry <= lastRow; ry++ {
			b := ry * stride
			run := ents[start[b+x0]:start[b+x1]]
			buf = grown(buf, k, len(run))
			cand += len(run)
			for _, f := range run {
				if dist2(e.x, e.y, f.x, f.y) <= lim {
					buf[k] = Pair{A: min(e.id, f.id), B: max(e.id, f.id)}
					k++
				}
			}
		}
	}
	return buf, k, cand
}
