package spatial

import (
	"math"
	"math/bits"
)

// The hashed layout. When the bounding box is so stretched (a few far
// outliers, clusters far apart) that the dense layout had to coarsen its
// cells and would crowd entities together (see maxCrowding), Build keeps the
// requested cell
// side and gives each entity integer cell coordinates, hashed into a table of
// about 2m buckets and counting-sorted by bucket. Only occupied cells cost
// anything, so Build and Pairs stay O(n + pairs) however the entities spread.
//
// Cell coordinates. A coordinate v is mapped to t = (v-minX)*inv, as in the
// dense layout, then to the key floor(G(t)), where
//
//	G(t) = t                 for t < 2^keyBits
//	G(t) = 2^keyBits·k + t/2^k  for 2^keyBits·2^k <= t < 2^keyBits·2^(k+1)
//
// G is continuous, increasing and 1-Lipschitz: cells have the requested side
// up to 2^keyBits cells from the box's corner, then double in size every
// octave, staying below 2^-keyBits of the distance, finer than a float32's
// resolution. Keys are below 2^38 for any finite float32 input, so they
// neither overflow nor alias. G(t) is computed exactly from the rounded t
// (Frexp and scaling by powers of two are exact), so the only rounding is
// that of t, whose effect on G is below 2^-20 of a cell (G's slope times t
// times a few 2^-53). As for the dense layout (see [Grid.reach]), two
// entities that pass the predicate then have keys at most reach apart on each
// axis, and keys divided (floor) by reach at most 1 apart.

// keyBits is log2 of the cells per axis of uniform side: the dense layout's
// bound of 2^30 cells, for which the margin covers rounding.
const keyBits = 30

// maxCrowding is the mean number of entities an entity shares its cell with
// (Σ count² / n) above which a coarsened dense layout is abandoned for the
// hashed one. A coarsened layout over evenly spread entities still holds
// about one entity per cell and stays dense (it is 5-7× faster than the
// hashed search); outliers that stretch the box pile the rest into a few
// cells, and the hashed layout keeps the search linear.
const maxCrowding = 16

// hkey is an entity's cell in the hashed layout.
type hkey struct{ x, y uint64 }

// keyOf returns floor(G((v-lo)*inv)) for v >= lo; less than lo gives 0.
// It is monotone in v.
func keyOf(v, lo, inv float64) uint64 {
	t := (v - lo) * inv
	if !(t > 0) {
		return 0
	}
	if t < 1<<keyBits {
		return uint64(t)
	}
	// t = 2^keyBits · 2^k · (1+f): frac = 2m ∈ [1, 2), e = k+1.
	frac, e := math.Frexp(t * (1.0 / (1 << keyBits)))
	k := uint64(e - 1)
	return k<<keyBits + uint64((2*frac)*(1<<keyBits))
}

// bucketOf hashes a cell into a table of 1<<bits buckets.
func bucketOf(x, y uint64, bits uint) uint64 {
	h := (x*0x9E3779B97F4A7C15 ^ y) * 0xC2B2AE3D27D4EB4F
	return h >> (64 - bits)
}

// hashBits returns log2 of the bucket count for m entities: the smallest
// power of two >= 2m, at least 2. It is below maxCells(m).
func hashBits(m int) uint {
	return uint(max(bits.Len(uint(2*m-1)), 1))
}

// key returns the cell of the finite position (x, y) in the hashed layout,
// divided by the current divisor.
func (g *Grid) key(x, y float64) hkey {
	k := hkey{keyOf(x, g.minX, g.hinv), keyOf(y, g.minY, g.hinv)}
	if d := g.hdiv; d > 1 {
		k.x /= d
		k.y /= d
	}
	return k
}

// sortHashed counting-sorts the entities of pos by bucket into g.ents and
// g.keys (cells divided by g.hdiv), the entities of each bucket in input
// order. Entities with a non-finite coordinate are skipped.
func (g *Grid) sortHashed(pos []float32) {
	m, nb := g.binned, 1<<g.hbits
	start := g.start[:nb+1]
	clear(start)
	for i := 0; i < len(pos)/2; i++ {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		k := g.key(float64(x), float64(y))
		start[bucketOf(k.x, k.y, g.hbits)]++
	}
	prefixEnds(start)
	ents, keys := g.ents[:m], g.keys[:m]
	for i := len(pos)/2 - 1; i >= 0; i-- {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		k := g.key(float64(x), float64(y))
		b := bucketOf(k.x, k.y, g.hbits)
		p := start[b] - 1
		start[b] = p
		ents[p] = entity{x: x, y: y, id: int32(i), cell: int32(b)}
		keys[p] = k
	}
}

// prefixEnds turns the counts start[:len-1] into the ends of their runs, and
// sets the last element to the total.
func prefixEnds(start []int32) {
	var sum int32
	last := len(start) - 1
	for c, k := range start[:last] {
		sum += k
		start[c] = sum
	}
	start[last] = sum
}

// rehash re-bins the hashed layout with cells div times larger on each side,
// so that Pairs with a radius above the cell side searches only 3×3 cells.
// The entities keep their positions, so results do not change. With several
// parts it runs the banded sort on the entities themselves. It allocates
// scratch the first time it runs for a given size.
func (g *Grid) rehash(div uint64) error {
	g.hdiv = div
	if shift, bands := g.hashBands(g.binned); g.work.parts > 1 && bands > 1 {
		return g.sortBanded(true, shift, bands)
	}
	m := g.binned
	if cap(g.tmp) < m {
		g.tmp = make([]entity, cap(g.ents))
	}
	pos := g.tmp[:m]
	copy(pos, g.ents[:m])
	nb := 1 << g.hbits
	start := g.start[:nb+1]
	clear(start)
	for _, e := range pos {
		k := g.key(float64(e.x), float64(e.y))
		start[bucketOf(k.x, k.y, g.hbits)]++
	}
	prefixEnds(start)
	ents, keys := g.ents[:m], g.keys[:m]
	for i := len(pos) - 1; i >= 0; i-- {
		e := pos[i]
		k := g.key(float64(e.x), float64(e.y))
		b := bucketOf(k.x, k.y, g.hbits)
		p := start[b] - 1
		start[b] = p
		e.cell = int32(b)
		ents[p] = e
		keys[p] = k
	}
	return nil
}

// hashReach returns the divisor that makes the hashed cells at least d wide:
// reach computed as for the dense layout, at most 2^62 (which puts every
// entity in cell (0, 0)).
func (g *Grid) hashReach(d float64) uint64 {
	q := d / g.hbase
	switch {
	case q <= 1:
		return 1
	case q >= 1<<62:
		return 1 << 62
	}
	return uint64(math.Ceil(q))
}

// forward are the neighbour cells a cell is paired with, besides itself: the
// next one in its row and the three in the next row. Their opposites are not
// in the list, so each pair of adjacent cells is visited once. The -1 wraps
// around for column 0: no entity has that key.
var forward = [4][2]uint64{{1, 0}, {^uint64(0), 1}, {0, 1}, {1, 1}}

// pairsHashed writes to buf the overlapping pairs whose first entity, in
// bucket order, is in [lo, hi), and returns buf, how many it wrote and how
// many candidates it compared. The candidates of entity i are the later
// entities of its bucket in its own cell and every entity of the forward
// cells; the key check discards entities of other cells sharing a bucket.
func (g *Grid) pairsHashed(buf []Pair, lim float64, lo, hi int) ([]Pair, int, int) {
	m, hb := g.binned, g.hbits
	start := g.start[:1<<hb+1]
	ents, keys := g.ents[:m], g.keys[:m]
	k, cand := 0, 0
	for i := lo; i < hi; i++ {
		e, ke := ents[i], keys[i]
		end := int(start[e.cell+1])
		cand += end - i - 1
		for j := i + 1; j < end; j++ {
			f := ents[j]
			if keys[j] == ke && dist2(e.x, e.y, f.x, f.y) <= lim {
				buf = grown(buf, k, 1)
				buf[k] = Pair{A: min(e.id, f.id), B: max(e.id, f.id)}
				k++
			}
		}
		for _, off := range forward {
			kn := hkey{ke.x + off[0], ke.y + off[1]}
			b := bucketOf(kn.x, kn.y, hb)
			j0, j1 := int(start[b]), int(start[b+1])
			cand += j1 - j0
			for j := j0; j < j1; j++ {
				f := ents[j]
				if keys[j] == kn && dist2(e.x, e.y, f.x, f.y) <= lim {
					buf = grown(buf, k, 1)
					buf[k] = Pair{A: min(e.id, f.id), B: max(e.id, f.id)}
					k++
				}
			}
		}
	}
	return buf, k, cand
}

// neighborsHashed is Neighbors for the hashed layout: it visits the cells of
// the query box, or every entity when the box has more cells than that.
func (g *Grid) neighborsHashed(dst []int32, x, y float32, w, lim float64) []int32 {
	m := g.binned
	ents, keys := g.ents[:m], g.keys[:m]
	fx, fy := float64(x), float64(y)
	k0, k1 := g.key(fx-w, fy-w), g.key(fx+w, fy+w)
	sx, sy := k1.x-k0.x, k1.y-k0.y
	if sx >= uint64(m) || sy >= uint64(m) || (sx+1)*(sy+1) > uint64(m) {
		for _, e := range ents {
			if dist2(e.x, e.y, x, y) <= lim {
				dst = append(dst, e.id)
			}
		}
		return dst
	}
	start := g.start[:1<<g.hbits+1]
	for cy := k0.y; cy <= k1.y; cy++ {
		for cx := k0.x; cx <= k1.x; cx++ {
			b := bucketOf(cx, cy, g.hbits)
			for j := int(start[b]); j < int(start[b+1]); j++ {
				e := ents[j]
				if keys[j] == (hkey{cx, cy}) && dist2(e.x, e.y, x, y) <= lim {
					dst = append(dst, e.id)
				}
			}
		}
	}
	return dst
}
