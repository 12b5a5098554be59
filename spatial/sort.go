package spatial

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

	// Inclusive prefix sum: start[c] is now the end of cell c.
	var sum int32
	for c, k := range start[:ncells] {
		sum += k
		start[c] = sum
	}
	start[ncells] = sum

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

// sortBanded counting-sorts the entities of pos by cell in two levels, so
// that no pass scatters at random over more memory than a cache holds: first
// by band of 1<<shift rows into g.tmp (one output stream per band), then each
// band by cell, within the band's own stretch of the cell and entity arrays.
// Cells are numbered row by row, so sorting by band then by cell is sorting
// by cell. Each level runs in two halves, on two cores when worthwhile; the
// result is the same as sortDirect's either way.
func (g *Grid) sortBanded(pos []float32, shift, bands int) {
	m := g.binned
	if cap(g.tmp) < m {
		g.tmp = make([]entity, cap(g.ents))
	}
	if need := 3*bands + 1; cap(g.band) < need {
		g.band = make([]int32, max(need, 3*(2*cap(g.ents)/g.target()+1)+1))
	}
	w := &g.work
	w.pos, w.shift, w.bands = pos, shift, bands
	defer func() { w.pos = nil }() // do not keep the caller's slice
	par := g.parallel(m)

	g.both((*Grid).countBands, par)

	// Band b starts at bandStart[b]; within it, the first half's entities
	// come first. The counts become each half's cursors.
	bandStart := g.band[:bands+1]
	c0, c1 := g.cursors(0), g.cursors(1)
	var sum int32
	w.split = bands
	for b := range bands {
		bandStart[b] = sum
		if 2*int(sum) >= m && w.split == bands {
			w.split = b
		}
		k0, k1 := c0[b], c1[b]
		c0[b], c1[b] = sum, sum+k0
		sum += k0 + k1
	}
	bandStart[bands] = sum

	g.both((*Grid).distribute, par)
	g.both((*Grid).sortBands, par)

	// The padding row after the last.
	stride, ny := g.stride, g.ny
	start := g.start[:stride*(ny+1)+1]
	for c := ny * stride; c < len(start); c++ {
		start[c] = int32(m)
	}
}

// cursors returns the band counters of half part.
func (g *Grid) cursors(part int) []int32 {
	b := g.work.bands
	return g.band[b+1+part*b : b+1+(part+1)*b]
}

// inputHalf returns the range of input entities of half part.
func (g *Grid) inputHalf(part int) (lo, hi int) {
	n := len(g.work.pos) / 2
	if part == 0 {
		return 0, n / 2
	}
	return n / 2, n
}

// countBands counts the entities of each band in half part of the input.
func (g *Grid) countBands(part int) {
	w := &g.work
	pos, shift := w.pos, w.shift
	cnt := g.cursors(part)
	clear(cnt)
	lo, hi := g.inputHalf(part)
	for i := lo; i < hi; i++ {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		_, cy := g.cellOf(x, y)
		cnt[cy>>shift]++
	}
}

// distribute copies the entities of half part of the input to their bands in
// g.tmp, in input order.
func (g *Grid) distribute(part int) {
	w := &g.work
	pos, shift, stride := w.pos, w.shift, g.stride
	next := g.cursors(part)
	tmp := g.tmp[:g.binned]
	lo, hi := g.inputHalf(part)
	for i := lo; i < hi; i++ {
		x, y := pos[2*i], pos[2*i+1]
		if !finite(x) || !finite(y) {
			continue
		}
		cx, cy := g.cellOf(x, y)
		b := cy >> shift
		p := next[b]
		next[b] = p + 1
		tmp[p] = entity{x: x, y: y, id: int32(i), cell: int32(cy*stride + cx)}
	}
}

// sortBands sorts the bands of half part by cell, as sortDirect does, each
// within its own stretch of the cell and entity arrays.
func (g *Grid) sortBands(part int) {
	w := &g.work
	shift, stride, ny := w.shift, g.stride, g.ny
	b0, b1 := 0, w.split
	if part == 1 {
		b0, b1 = w.split, w.bands
	}
	m := g.binned
	start := g.start[:stride*(ny+1)+1]
	bandStart := g.band[:w.bands+1]
	tmp := g.tmp[:m]
	ents := g.ents[:m]
	for b := b0; b < b1; b++ {
		cnt := start[(b<<shift)*stride : min((b+1)<<shift, ny)*stride]
		clear(cnt)
		band := tmp[bandStart[b]:bandStart[b+1]]
		for _, e := range band {
			start[e.cell]++
		}
		end := bandStart[b]
		for c, k := range cnt {
			end += k
			cnt[c] = end
		}
		for k := len(band) - 1; k >= 0; k-- {
			e := band[k]
			p := start[e.cell] - 1
			start[e.cell] = p
			ents[p] = e
		}
	}
}
