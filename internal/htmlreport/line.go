package htmlreport

import (
	"math"
	"sort"
)

// runs splits a series into the runs of samples a line joins: sorted by
// time, inside dom, broken at every non-finite Y (the sample is skipped)
// and, when maxGap is positive, between samples more than maxGap apart.
// Samples with a non-finite X are dropped.
func runs(pts []Point, dom Range, maxGap float64) [][]Point {
	sorted := make([]Point, 0, len(pts))
	for _, p := range pts {
		if isFinite(p.X) && p.X >= dom.Min && p.X <= dom.Max {
			sorted = append(sorted, p)
		}
	}
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].X < sorted[j].X })
	var out [][]Point
	var cur []Point
	flush := func() {
		if len(cur) > 0 {
			out = append(out, cur)
		}
		cur = nil
	}
	for _, p := range sorted {
		if !isFinite(p.Y) {
			flush()
			continue
		}
		if maxGap > 0 && len(cur) > 0 && p.X-cur[len(cur)-1].X > maxGap {
			flush()
		}
		cur = append(cur, p)
	}
	flush()
	return out
}

// downsampleRuns shares a budget of maxPoints among the runs in proportion
// to their lengths (at least two points each) and reduces each run with
// Downsample.
func downsampleRuns(rs [][]Point, maxPoints int) [][]Point {
	total := 0
	for _, r := range rs {
		total += len(r)
	}
	if total <= maxPoints {
		return rs
	}
	out := make([][]Point, len(rs))
	for i, r := range rs {
		n := max(2, int(math.Floor(float64(maxPoints)*float64(len(r))/float64(total))))
		out[i] = Downsample(r, n)
	}
	return out
}

// line writes a multi-series line chart.
func (rd *renderer) line(b *builder, c LineChart, id string) {
	lo, hi := math.Inf(1), math.Inf(-1)
	all := make([][][]Point, len(c.Series))
	for s, se := range c.Series {
		rs := runs(se.Points, rd.dom, c.MaxGap)
		for _, r := range rs {
			for _, p := range r {
				lo, hi = min(lo, p.Y), max(hi, p.Y)
			}
		}
		all[s] = downsampleRuns(rs, rd.o.maxPoints)
	}
	empty := !(hi >= lo)
	if empty {
		lo, hi = 0, 1
	}
	lo, hi = min(lo, 0), max(hi, 0)
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
	rd.legend(b, items, true, withLabels && len(rd.labels) > 0)

	svgOpen(b, KindLine, id, c.Title, height)
	rd.timeGrid(b, top, bottom)
	valueAxis(b, ys, lo, hi, step, c.YLabel)
	if empty {
		noData(b, top, bottom)
	}
	b.raw("<g class=\"series-layer\" fill=\"none\" stroke-width=\"1.6\" stroke-linejoin=\"round\" stroke-linecap=\"round\">\n")
	for s, se := range c.Series {
		var p pathBuf
		for _, r := range all[s] {
			for i, pt := range r {
				if i == 0 {
					p.move(rd.xs.at(pt.X), ys.at(pt.Y))
				} else {
					p.lineTo(rd.xs.at(pt.X), ys.at(pt.Y))
				}
			}
			if len(r) == 1 { // a lone sample shows as a dot (round cap)
				p.d = append(p.d, "h0"...)
			}
		}
		b.raw("<path class=\"series\"")
		b.attr("data-series", se.Name)
		if len(p.d) > 0 {
			b.attr("d", string(p.d))
		}
		b.attr("stroke", items[s].color)
		b.raw("><title>")
		b.text(se.Name)
		b.raw("</title></path>\n")
	}
	b.raw("</g>\n")
	if !c.HideEvents {
		rd.markers(b, top, bottom, true)
	}
	rd.timeAxis(b, bottom)
	b.raw("</svg>\n")
}
