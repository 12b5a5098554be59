package spatial

import "math/bits"

// defaultBandTarget is the number of entities per band of rows that
// sortBanded aims for: few enough that a band's cells, entities and output
// stay in a core's L2 cache. Below 8× as many entities, one direct counting
// sort is quicker.
const defaultBandTarget = 4096

// bands returns how to split the rows for sortBanded: count bands of
// 1<<shift rows each. count is 1 when m entities are few enough for
// sortDirect. count never exceeds 2*m/target + 1.
func (g *Grid) bands(m int) (shift, count int) {
	target := g.target()
	if m <= 8*target {
		return 0, 1
	}
	// Rows per band: the largest power of two with about target entities
	// in a band, (m<<shift)/ny <= target, or 1.
	for shift < 30 && m<<(shift+1) <= target*g.ny {
		shift++
	}
	return shift, (g.ny-1)>>shift + 1
}

func (g *Grid) target() int {
	if g.bandTarget > 0 {
		return g.bandTarget
	}
	return defaultBandTarget
}

// sortDirect counting-sorts the entities of pos by cell in one pass: quick
// while the cells and entities fit in cache.
func (g *Grid) sortDirect(pos []float32) {
	m, stride := g.binned, g.stride
	ncells := stride * (g.ny + 1)
	start := g.start[:ncells+1]
	clear(start)
	for i := 0; i < len(pos)/2; i++ {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		cx, cy := g.cellOf(x, y)
		start[cy*stride+cx]++
	}

	prefixEnds(start) // start[c] is now the end of cell c

	// Scatter from the back, moving each cell's end down to its beginning;
	// within a cell, entities keep their input order.
	ents := g.ents[:m]
	for i := len(pos)/2 - 1; i >= 0; i-- {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		cx, cy := g.cellOf(x, y)
		c := cy*stride + cx
		p := start[c] - 1
		start[c] = p
		ents[p] = entity{x: x, y: y, id: int32(i), cell: int32(c)}
	}
}

// hashBands is bands for the hashed layout: count bands of 1<<shift buckets
// each, count the largest power of two <= m/target, or 1 when that is below
// 2. count never exceeds m/target.
func (g *Grid) hashBands(m int) (shift, count int) {
	q := m / g.target()
	if q < 2 {
		return 0, 1
	}
	lb := min(bits.Len(uint(q))-1, int(g.hbits))
	return int(g.hbits) - lb, 1 << lb
}

// sortBanded counting-sorts the entities by cell (dense layout) or by bucket
// (hashed) in two levels, so that no pass scatters at random over more
// memory than a cache holds: first by band of 1<<shift rows or buckets into
// g.tmp (one output stream per band), then each band by cell or bucket,
// within the band's own stretch of the cell and entity arrays. Cells and
// buckets are numbered band by band, so sorting by band then by cell is
// sorting by cell.
//
// The input is g.work.pos or, with src set (a rehash), the entities in
// g.ents. Each level runs in g.work.parts parts: the first over parts of
// the input, each counting and then moving its own entities, the second
// over runs of whole bands. Within a band, the entities of part 0 come
// first, then those of part 1, and so on, so the entities of a cell keep
// their input order and the result is the same, to the bit, as sortDirect's
// or sortHashed's whatever the number of parts.
func (g *Grid) sortBanded(src bool, shift, bands int) error {
	m, k := g.binned, g.work.parts
	w := &g.work
	w.src, w.shift, w.bands = src, shift, bands
	if cap(g.tmp) < m {
		g.tmp = make([]entity, cap(g.ents))
	}
	if need := (k+1)*bands + 1; cap(g.band) < need {
		g.band = make([]int32, max(need, (k+1)*(2*cap(g.ents)/g.target()+1)+1))
	}
	if cap(g.split) < k+1 {
		g.split = make([]int, k+1)
	}

	if err := g.each("count", (*Grid).countBands); err != nil {
		return err
	}

	// Band b starts at bandStart[b]; within it come part 0's entities, then
	// part 1's, and so on. The counts become each part's cursors.
	bandStart := g.band[:bands+1]
	cursors := g.band[bands+1 : (k+1)*bands+1]
	var sum int32
	for b := range bands {
		bandStart[b] = sum
		for c := b; c < len(cursors); c += bands {
			cnt := cursors[c]
			cursors[c] = sum
			sum += cnt
		}
	}
	bandStart[bands] = sum

	// The parts of the second level: runs of bands holding about m/k
	// entities each.
	split := g.split[:k+1]
	b := 0
	for p := range k {
		for b < bands && int(bandStart[b])*k < p*m {
			b++
		}
		split[p] = b
	}
	split[k] = bands

	if err := g.each("distribute", (*Grid).distribute); err != nil {
		return err
	}
	if err := g.each("sort", (*Grid).sortBands); err != nil {
		return err
	}

	if g.hashed {
		g.start[1<<g.hbits] = int32(m)
		return nil
	}
	// The padding row after the last.
	stride, ny := g.stride, g.ny
	start := g.start[:stride*(ny+1)+1]
	for c := ny * stride; c < len(start); c++ {
		start[c] = int32(m)
	}
	return nil
}

// cursors returns the band counters of part p.
func (g *Grid) cursors(p int) []int32 {
	b := g.work.bands
	return g.band[b+1+p*b : b+1+(p+1)*b]
}

// countBands counts the entities of each band in part p of the input.
func (g *Grid) countBands(p int) {
	w := &g.work
	shift, hb := w.shift, g.hbits
	cnt := g.cursors(p)
	clear(cnt)
	if w.src {
		lo, hi := span(p, w.parts, g.binned)
		for _, e := range g.ents[lo:hi] {
			k := g.key(float64(e.x), float64(e.y))
			cnt[bucketOf(k.x, k.y, hb)>>shift]++
		}
		return
	}
	pos := w.pos
	lo, hi := span(p, w.parts, len(pos)/2)
	if g.hashed {
		for i := lo; i < hi; i++ {
			x, y := pos[2*i], pos[2*i+1]
			if !finite(x) || !finite(y) {
				continue
			}
			k := g.key(float64(x), float64(y))
			cnt[bucketOf(k.x, k.y, hb)>>shift]++
		}
		return
	}
	for i := lo; i < hi; i++ {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		_, cy := g.cellOf(x, y)
		cnt[cy>>shift]++
	}
}

// distribute copies the entities of part p of the input to their bands in
// g.tmp, in input order, with their cell (dense) or bucket (hashed).
func (g *Grid) distribute(p int) {
	w := &g.work
	shift, stride, hb := w.shift, g.stride, g.hbits
	next := g.cursors(p)
	tmp := g.tmp[:g.binned]
	if w.src {
		lo, hi := span(p, w.parts, g.binned)
		for _, e := range g.ents[lo:hi] {
			k := g.key(float64(e.x), float64(e.y))
			bk := bucketOf(k.x, k.y, hb)
			q := next[bk>>shift]
			next[bk>>shift] = q + 1
			e.cell = int32(bk)
			tmp[q] = e
		}
		return
	}
	pos := w.pos
	lo, hi := span(p, w.parts, len(pos)/2)
	if g.hashed {
		for i := lo; i < hi; i++ {
			x, y := pos[2*i], pos[2*i+1]
			if !finite(x) || !finite(y) {
				continue
			}
			k := g.key(float64(x), float64(y))
			bk := bucketOf(k.x, k.y, hb)
			q := next[bk>>shift]
			next[bk>>shift] = q + 1
			tmp[q] = entity{x: x, y: y, id: int32(i), cell: int32(bk)}
		}
		return
	}
	for i := lo; i < hi; i++ {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		cx, cy := g.cellOf(x, y)
		b := cy >> shift
		q := next[b]
		next[b] = q + 1
		tmp[q] = entity{x: x, y: y, id: int32(i), cell: int32(cy*stride + cx)}
	}
}

// sortBands sorts the bands of part p by cell, as sortDirect does, each
// within its own stretch of the cell and entity arrays; in the hashed
// layout, by bucket, also writing each entity's cell to g.keys. The two
// layouts share the counting (bandEnds) and keep a scatter loop each, so
// that the dense loop does no per-entity work for the keys.
func (g *Grid) sortBands(p int) {
	w := &g.work
	shift, stride, ny := w.shift, g.stride, g.ny
	b0, b1 := g.split[p], g.split[p+1]
	m := g.binned
	bandStart := g.band[:w.bands+1]
	tmp := g.tmp[:m]
	ents := g.ents[:m]
	if g.hashed {
		start := g.start[:1<<g.hbits+1]
		keys := g.keys[:m]
		for b := b0; b < b1; b++ {
			band := tmp[bandStart[b]:bandStart[b+1]]
			bandEnds(start, start[b<<shift:(b+1)<<shift], band, bandStart[b])
			for k := len(band) - 1; k >= 0; k-- {
				e := band[k]
				q := start[e.cell] - 1
				start[e.cell] = q
				ents[q] = e
				keys[q] = g.key(float64(e.x), float64(e.y))
			}
		}
		return
	}
	start := g.start[:stride*(ny+1)+1]
	for b := b0; b < b1; b++ {
		band := tmp[bandStart[b]:bandStart[b+1]]
		bandEnds(start, start[(b<<shift)*stride:min((b+1)<<shift, ny)*stride], band, bandStart[b])
		for k := len(band) - 1; k >= 0; k-- {
			e := band[k]
			q := start[e.cell] - 1
			start[e.cell] = q
			ents[q] = e
		}
	}
}

// bandEnds counts the entities of one band by cell (or bucket) into cnt, the
// band's stretch of start, which e.cell indexes, and turns the counts into
// the ends of the cells' runs in the entity arrays, where the band begins
// at base. The band's scatter then moves each end down to its cell's start.
func bandEnds(start, cnt []int32, band []entity, base int32) {
	clear(cnt)
	for _, e := range band {
		start[e.cell]++
	}
	end := base
	for c, k := range cnt {
		end += k
		cnt[c] = end
	}
}
