package htmlreport

import "sort"

// stack is an area chart's data on a common time grid: xs the grid,
// tops[s][i] the top of layer s at xs[i] (the sum of layers 0..s).
type stack struct {
	xs   []float64
	tops [][]float64
}

// buildStack puts the series on the union of their finite sample times
// inside dom (a missing sample counts as 0), drops the samples where no
// layer changes, and reduces what is left to at most maxPoints grid points
// with a multi-series largest-triangle-three-buckets over the layer tops.
func buildStack(series []Series, dom Range, maxPoints int) stack {
	type sample struct{ x, y float64 }
	per := make([][]sample, len(series))
	var grid []float64
	for s, se := range series {
		for _, p := range se.Points {
			if isFinite(p.X) && isFinite(p.Y) && p.X >= dom.Min && p.X <= dom.Max {
				per[s] = append(per[s], sample{p.X, p.Y})
				grid = append(grid, p.X)
			}
		}
		// sort by time; for equal times the last sample wins below
		sort.SliceStable(per[s], func(i, j int) bool { return per[s][i].x < per[s][j].x })
	}
	sort.Float64s(grid)
	grid = uniq(grid)
	vals := make([][]float64, len(series))
	for s := range series {
		v := make([]float64, len(grid))
		k := 0
		for _, sm := range per[s] {
			for grid[k] < sm.x {
				k++
			}
			v[k] = sm.y
		}
		vals[s] = v
	}
	idx := dropFlat(vals)
	if len(idx) > maxPoints {
		xs := pick(grid, idx)
		tops := make([][]float64, len(series))
		for s := range series {
			tops[s] = pick(vals[s], idx)
			if s > 0 {
				for i := range tops[s] {
					tops[s][i] += tops[s-1][i]
				}
			}
		}
		sub := lttbIndices(xs, tops, maxPoints)
		for i, j := range sub {
			sub[i] = idx[j]
		}
		idx = sub
	}
	st := stack{xs: pick(grid, idx), tops: make([][]float64, len(series))}
	for s := range series {
		st.tops[s] = pick(vals[s], idx)
		if s > 0 {
			for i := range st.tops[s] {
				st.tops[s][i] += st.tops[s-1][i]
			}
		}
	}
	return st
}

// uniq removes adjacent duplicates from a sorted slice, in place.
func uniq(xs []float64) []float64 {
	if len(xs) == 0 {
		return xs
	}
	out := xs[:1]
	for _, x := range xs[1:] {
		if x != out[len(out)-1] {
			out = append(out, x)
		}
	}
	return out
}

// pick returns vs[i] for each i of idx.
func pick(vs []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for k, i := range idx {
		out[k] = vs[i]
	}
	return out
}

// area writes a stacked area chart.
func (rd *renderer) area(b *builder, c AreaChart, id string) {
	st := buildStack(c.Series, rd.dom, rd.o.maxPoints)
	lo, hi := 0.0, 0.0
	for _, top := range st.tops {
		for _, v := range top {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	// the bottom layer's base is 0, so lower tops than 0 only happen with
	// negative values; keep 0 in the domain either way
	lo, hi, step := niceDomain(lo, hi, 5)

	withLabels := !c.HideEvents
	top := rd.plotTop(withLabels)
	bottom := top + plotHeight
	height := bottom + axisBottom
	ys := scale{lo, hi, bottom, top}

	items := make([]legendItem, len(c.Series))
	for i, se := range c.Series {
		items[i] = legendItem{se.Name, rd.colors.of(se.Name, se.Color)}
	}
	rd.legend(b, items, false, withLabels && len(rd.labels) > 0)

	svgOpen(b, KindArea, id, c.Title, height)
	rd.timeGrid(b, top, bottom)
	valueAxis(b, ys, lo, hi, step, c.YLabel)
	if len(st.xs) == 0 {
		noData(b, top, bottom)
	}
	b.raw("<g class=\"series-layer\">\n")
	edges := make([][]byte, len(c.Series))
	for s, se := range c.Series {
		col := items[s].color
		base := func(i int) float64 {
			if s == 0 {
				return 0
			}
			return st.tops[s-1][i]
		}
		var p, e pathBuf
		edgeOpen := false
		for i, x := range st.xs {
			px, py := rd.xs.at(x), ys.at(st.tops[s][i])
			if i == 0 {
				p.move(px, py)
			} else {
				p.lineTo(px, py)
			}
			// the edge shows only where the layer has some thickness, so
			// an empty layer does not paint over the one below
			thick := st.tops[s][i] != base(i)
			next := i+1 < len(st.xs) && st.tops[s][i+1] != base(i+1)
			switch {
			case edgeOpen:
				e.lineTo(px, py)
				edgeOpen = thick || next
			case thick || next:
				e.move(px, py)
				edgeOpen = true
			}
		}
		for i := len(st.xs) - 1; i >= 0; i-- {
			p.lineTo(rd.xs.at(st.xs[i]), ys.at(base(i)))
		}
		if len(st.xs) > 0 {
			p.close()
		}
		edges[s] = e.d
		b.raw("<path class=\"series\"")
		b.attr("data-series", se.Name)
		if len(p.d) > 0 {
			b.attr("d", string(p.d))
		}
		b.attr("fill", col)
		b.raw(" fill-opacity=\"0.5\" stroke=\"none\"><title>")
		b.text(se.Name)
		b.raw("</title></path>\n")
	}
	for s, se := range c.Series {
		if len(edges[s]) == 0 {
			continue
		}
		b.raw("<path class=\"edge\"")
		b.attr("data-series", se.Name)
		b.attr("d", string(edges[s]))
		b.attr("stroke", items[s].color)
		b.raw(" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" />\n")
	}
	b.raw("</g>\n")
	if !c.HideEvents {
		rd.markers(b, top, bottom, true)
	}
	rd.timeAxis(b, bottom)
	b.raw("</svg>\n")
}
