package spatial

import (
	"fmt"
	"math"
)

// Pair is one overlapping pair of entity indices, A < B.
type Pair struct{ A, B int32 }

// entity is a binned entity: its position, its index in the input and its
// cell. One entity fills a quarter of a cache line.
type entity struct {
	x, y     float32
	id, cell int32
}

// cellMargin inflates the effective cell side by a relative 2⁻¹². Rounding
// while mapping coordinates to cells, and while evaluating the overlap
// predicate, is below 10⁻⁶ of a cell, so with the margin two entities that
// pass the predicate are never more than reach cells apart. See [Grid.reach].
const cellMargin = 1.0 / 4096

// maxCellLimit caps the number of cells, so cell numbers fit an int32.
const maxCellLimit = 1 << 30

// Grid is a uniform-grid broad phase rebuilt every frame: [Grid.Build] bins
// the positions into square cells with a counting sort, then [Grid.Pairs] and
// [Grid.Neighbors] search only nearby cells. Results are exactly those of
// [BrutePairs] and [BruteNeighbors].
//
// The zero value is an empty grid, ready to use. Build copies the positions it
// bins, so the caller may change or reuse its slice afterwards, and Pairs and
// Neighbors report the positions of the last Build.
//
// A Grid is not safe for concurrent use: its methods must not run at the same
// time as each other (Pairs keeps scratch space in the grid). Different Grids
// may be used from different goroutines. Given a [Runner] ([Grid.SetRunner]),
// Build and Pairs split their work over 32768 or more entities into parts run
// in parallel; the result is the same as without, in the same order. A Grid
// starts no goroutine itself.
type Grid struct {
	// Layout of the last successful Build. Cell (cx, cy) is number
	// cy*stride+cx; a coordinate v falls in column floor((v-minX)*inv),
	// clamped to [0, nx-1], and likewise for rows. stride is nx+1: the last
	// column of each row, and one row after the last, are empty padding, so
	// the 3×3 search needs no bounds tests at the edges.
	minX, minY float64
	base       float64 // cell side before the margin: the requested side, or coarser
	inv        float64 // 1 / (base * (1+cellMargin))
	nx, ny     int     // columns and rows holding entities; 0 when nothing is binned
	stride     int     // nx+1
	binned     int
	skipped    int

	// The hashed layout (see hash.go), used instead when hashed is set:
	// cells of side hbase, inv hinv, divided by hdiv; 1<<hbits buckets,
	// the entities of bucket b being ents[start[b]:start[b+1]], their
	// cells keys[start[b]:start[b+1]]. The dense fields above still
	// describe the layout the dense grid would have used.
	hashed bool
	hbase  float64
	hinv   float64
	hbits  uint
	hdiv   uint64
	keys   []hkey

	start []int32  // len stride*(ny+1)+1: the entities of cell c are ents[start[c]:start[c+1]]
	ents  []entity // the binned entities, in cell order

	// Scratch for the banded sorts and Pairs, and the task in progress,
	// which its parts share (see each).
	tmp   []entity // entities sorted by band
	band  []int32  // band starts, then one set of band cursors per part
	split []int    // the first band of each part of the "sort" step, and the band count
	parts []part
	work  struct {
		step  string
		fn    func(g *Grid, part int)
		parts int
		pos   []float32 // Build's input
		src   bool      // rehash: the input is ents, not pos
		shift int       // rows (dense) or buckets (hashed) per band: 1<<shift
		bands int
		lim   float64
		reach int
		dst   []Pair // Pairs' result, for the "copy" step
		rebin bool   // Pairs is re-binning a hashed layout
	}

	runner Runner
	task   func(part int) // runs a part of the current step; see each
	taskOf *Grid          // the Grid task was made for

	// Tuning and testing; zero means the default. Tests lower them to
	// reach every path with few entities, and hook injects faults.
	bandTarget  int                      // entities per band
	parallelMin int                      // fewest entities worth splitting into parts
	hook        func(step string, p int) // called on the caller before a step (p = -1), then at the start of every part
}

// Len returns the number of entities binned by the last successful
// [Grid.Build]: those with finite coordinates.
func (g *Grid) Len() int { return g.binned }

// Skipped returns the number of entities the last successful [Grid.Build]
// left out because a coordinate was NaN or infinite.
func (g *Grid) Skipped() int { return g.skipped }

// maxCells is the most cells, padding included, a layout for m entities may
// use: a few per entity, so that clearing and summing them costs O(m).
func maxCells(m int) int {
	return min(4*m+64, maxCellLimit)
}

// Build bins the n = len(pos)/2 entities, entity i at (pos[2i], pos[2i+1]),
// into square cells of side cell, replacing what the grid held. A trailing
// odd element of pos is ignored.
//
// The grid covers the bounding box of the finite positions, whatever their
// magnitude. When that box would need more than about 4n cells of the given
// side (a few far outliers, clusters far apart), Build either uses a somewhat
// coarser cell or, when that would coarsen it more than twofold, keeps the
// cell and stores only the occupied cells, in a hash table of about 2n
// buckets; either way Build and Pairs cost O(n + pairs) for entities at a
// bounded density, and queries stay exact. Entities with a NaN or
// infinite coordinate are left out and counted by [Grid.Skipped]; they are
// never reported by [Grid.Pairs] or [Grid.Neighbors], in agreement with the
// predicate of [BrutePairs].
//
// For the fastest [Grid.Pairs], choose cell = 2*radius: each entity is then
// compared only with the 3×3 cells around its own.
//
// With a [Runner] (see [Grid.SetRunner]) and 32768 entities or more, Build
// splits its passes into parts run in parallel; the layout is the same.
//
// If cell is not positive and finite, Build returns an error wrapping
// [ErrInvalidCell]; if n exceeds math.MaxInt32, one wrapping [ErrTooMany]. A
// Build that fails this way leaves the grid unchanged. Should Build panic (a
// bug), or the runner fail, it returns a [*PanicError] (wrapping [ErrPanic])
// or an error wrapping [ErrRunner], and leaves the grid empty. Buffers are
// reused: once a Build has run for n entities, Builds for n or fewer
// allocate nothing.
func (g *Grid) Build(pos []float32, cell float32) error {
	if !validLength(cell) {
		return fmt.Errorf("%w: %v", ErrInvalidCell, cell)
	}
	n := len(pos) / 2
	if err := checkCount(n); err != nil {
		return err
	}
	g.work.pos = pos[:2*n]
	err := g.build(float64(cell))
	g.work.pos = nil // do not keep the caller's slice
	if err != nil {
		g.binned, g.nx, g.ny, g.hashed = 0, 0, 0, false
	}
	return err
}

// build is Build after validation, on g.work.pos.
func (g *Grid) build(cell float64) (err error) {
	defer recovered("build", &err)
	pos := g.work.pos
	n := len(pos) / 2

	// Bounding box of the finite positions, per part, then combined in
	// part order: the same box, bit for bit, as one pass would find.
	g.setParts(g.partsFor(n))
	if err := g.each("bounds", (*Grid).bounds); err != nil {
		return err
	}
	loX, loY := float32(math.MaxFloat32), float32(math.MaxFloat32)
	hiX, hiY := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	m := 0
	for _, st := range g.parts[:g.work.parts] {
		m += st.m
		if st.loX < loX {
			loX = st.loX
		}
		if st.hiX > hiX {
			hiX = st.hiX
		}
		if st.loY < loY {
			loY = st.loY
		}
		if st.hiY > hiY {
			hiY = st.hiY
		}
	}
	g.binned, g.skipped = m, n-m
	if m == 0 {
		g.nx, g.ny = 0, 0
		return nil
	}

	// Layout. ex and ey are at most 2*MaxFloat32: finite in float64.
	ex := float64(hiX) - float64(loX)
	ey := float64(hiY) - float64(loY)
	base := layoutCell(cell, ex, ey, float64(maxCells(m)))
	ecell := base * (1 + cellMargin)
	nx := int(ex/ecell) + 1
	ny := int(ey/ecell) + 1
	stride := nx + 1
	ncells := stride * (ny + 1)
	g.minX, g.minY = float64(loX), float64(loY)
	g.base, g.inv = base, 1/ecell
	g.nx, g.ny, g.stride = nx, ny, stride

	g.grow(n, ncells)
	g.hashed = base > cell && g.crowded(pos, ncells)
	g.setParts(g.partsFor(m))
	if g.hashed {
		g.hbase = cell
		g.hinv = 1 / (g.hbase * (1 + cellMargin))
		g.hbits, g.hdiv = hashBits(m), 1
		if shift, bands := g.hashBands(m); g.work.parts > 1 && bands > 1 {
			return g.sortBanded(false, shift, bands)
		}
		g.sortHashed(pos)
		return nil
	}
	if shift, bands := g.bands(m); bands > 1 {
		return g.sortBanded(false, shift, bands)
	}
	g.sortDirect(pos)
	return nil
}

// bounds finds the bounding box and the number of the finite positions in
// part p of the input.
func (g *Grid) bounds(p int) {
	pos := g.work.pos
	lo, hi := span(p, g.work.parts, len(pos)/2)
	pos = pos[2*lo : 2*hi]
	loX, loY := float32(math.MaxFloat32), float32(math.MaxFloat32)
	hiX, hiY := float32(-math.MaxFloat32), float32(-math.MaxFloat32)
	m := 0
	for k := 0; k+1 < len(pos); k += 2 {
		x, y := pos[k], pos[k+1]
		if !finite(x) || !finite(y) {
			continue
		}
		m++
		if x < loX {
			loX = x
		}
		if x > hiX {
			hiX = x
		}
		if y < loY {
			loY = y
		}
		if y > hiY {
			hiY = y
		}
	}
	st := &g.parts[p]
	st.loX, st.loY, st.hiX, st.hiY, st.m = loX, loY, hiX, hiY, m
}

// crowded reports whether the dense layout just computed would put entities
// together in few cells: Σ count² > maxCrowding·n over its cells. It is only
// asked when the layout had to coarsen, and leaves g.start cleared.
func (g *Grid) crowded(pos []float32, ncells int) bool {
	counts := g.start[:ncells]
	clear(counts)
	sum := 0
	for k := 0; k+1 < len(pos); k += 2 {
		x, y := pos[k], pos[k+1]
		if !finite(x) || !finite(y) {
			continue
		}
		cx, cy := g.cellOf(x, y)
		c := &counts[cy*g.stride+cx]
		sum += 2*int(*c) + 1 // (k+1)² - k²
		*c++
	}
	clear(counts)
	return sum > maxCrowding*g.binned
}

// checkCount returns an error wrapping ErrTooMany if n entities cannot all
// be named by an int32.
func checkCount(n int) error {
	if n > math.MaxInt32 {
		return fmt.Errorf("%w: %d", ErrTooMany, n)
	}
	return nil
}

// cellOf returns the cell of the finite position (x, y): column
// floor((x-minX)*inv) and row floor((y-minY)*inv), clamped to the grid.
// x >= minX, so the difference and the product are >= 0 and the conversion
// truncates towards the floor.
func (g *Grid) cellOf(x, y float32) (cx, cy int) {
	cx = int((float64(x) - g.minX) * g.inv)
	cy = int((float64(y) - g.minY) * g.inv)
	return min(cx, g.nx-1), min(cy, g.ny-1)
}

// grow makes sure the buffers hold n entities and the given number of cells.
// Cell storage is sized for the most cells n entities may ever need, so a
// later Build for n or fewer entities never allocates.
func (g *Grid) grow(n, ncells int) {
	if cap(g.ents) < n {
		g.ents = make([]entity, n)
		g.keys = make([]hkey, n)
	}
	if cap(g.start) < ncells+1 {
		g.start = make([]int32, max(ncells, maxCells(n))+1)
	}
	g.tmp = g.tmp[:cap(g.tmp)]
	g.ents = g.ents[:cap(g.ents)]
	g.start = g.start[:cap(g.start)]
}

// layoutCell returns the smallest convenient cell side, at least cell, for
// which a box of extent ex × ey needs at most limit cells, padding included.
func layoutCell(cell, ex, ey, limit float64) float64 {
	fits := func(b float64) bool {
		return (math.Floor(ex/b)+2)*(math.Floor(ey/b)+2) <= limit
	}
	if fits(cell) {
		return cell
	}
	// No smaller side can fit; 5× larger always does (limit >= 64), so the
	// loop runs at most 27 times.
	b := max(cell, math.Sqrt(ex*ey/limit), ex/limit, ey/limit)
	for !fits(b) {
		b *= 1.0625
	}
	return b
}

// col returns the column of coordinate v: floor((v-minX)*inv) clamped to
// [0, nx-1]. It is monotone in v and, for a binned x, equals the column
// Build gave that entity.
func (g *Grid) col(v float64) int {
	return clampCell((v-g.minX)*g.inv, g.nx)
}

// row is col for the y axis.
func (g *Grid) row(v float64) int {
	return clampCell((v-g.minY)*g.inv, g.ny)
}

func clampCell(t float64, n int) int {
	if !(t > 0) {
		return 0
	}
	if t >= float64(n-1) {
		return n - 1
	}
	return int(t)
}

// reach returns how many cells on each side of an entity's own must be
// searched to find everything within distance d of it: ceil(d/base), at
// least 1 and at most the grid's larger dimension.
//
// Why it is enough: Build maps v to (v-minX)/(base*(1+cellMargin)) with a
// relative rounding error of a few 1e-16, at most 2^30 cells. Two entities
// whose float64 predicate holds are truly within d*(1+1e-15) on each axis,
// so their unrounded cell coordinates differ by at most
// reach*(1+1e-15)/(1+2^-12), and the rounded ones by less than reach; their
// floors then differ by at most reach.
func (g *Grid) reach(d float64) int {
	q := d / g.base
	top := max(g.nx, g.ny)
	switch {
	case q <= 1:
		return 1
	case q >= float64(top):
		return top
	}
	return int(math.Ceil(q))
}
