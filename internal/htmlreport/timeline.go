package htmlreport

import (
	"sort"
	"strings"
)

// Timeline lane geometry, in SVG user units.
const (
	laneHeight = 74.0 // one deployment lane
	laneGap    = 14.0 // between lanes
	laneStrip  = 22.0 // the decision markers' strip at the top of a lane
	markerR    = 8.0  // decision marker radius
)

// numberedDecision is a decision with its deployment and its number in the
// decisions table.
type numberedDecision struct {
	Decision
	n    int
	dep  string
	lane int
}

// timeline writes a deployment timeline: one lane per deployment, then the
// table of decisions.
func (rd *renderer) timeline(b *builder, t Timeline, id string) {
	top := 16.0
	n := len(t.Deployments)
	bottom := top + float64(n)*laneHeight + float64(max(n-1, 0))*laneGap
	if n == 0 {
		bottom = top + laneHeight
	}
	height := bottom + axisBottom

	items := make([]legendItem, 0, n)
	seen := map[string]bool{}
	for _, d := range t.Deployments {
		k := d.colorKey()
		if !seen[k] {
			seen[k] = true
			items = append(items, legendItem{k, rd.colors.of(k, "")})
		}
	}
	rd.legend(b, items, false, !t.HideEvents && len(rd.labels) > 0)

	svgOpen(b, KindTimeline, id, t.Title, height)
	rd.timeGrid(b, top, bottom)
	if n == 0 {
		noData(b, top, bottom)
	}

	var decisions []numberedDecision
	for i, d := range t.Deployments {
		ds := make([]Decision, 0, len(d.Decisions))
		for _, dc := range d.Decisions {
			if isFinite(dc.At) {
				ds = append(ds, dc)
			}
		}
		sort.SliceStable(ds, func(a, b int) bool { return ds[a].At < ds[b].At })
		for _, dc := range ds {
			decisions = append(decisions, numberedDecision{dc, len(decisions) + 1, d.Name, i})
		}
	}

	// lane backgrounds, then the event markers, then the lanes' content,
	// so that markers show across lanes but never over a decision
	for i := range t.Deployments {
		laneBackground(b, top+float64(i)*(laneHeight+laneGap))
	}
	if !t.HideEvents {
		rd.markers(b, top, bottom, false)
	}
	next := 0
	for i, d := range t.Deployments {
		laneTop := top + float64(i)*(laneHeight+laneGap)
		var mine []numberedDecision
		for next < len(decisions) && decisions[next].lane == i {
			mine = append(mine, decisions[next])
			next++
		}
		rd.lane(b, d, laneTop, mine)
	}
	rd.timeAxis(b, bottom)
	b.raw("</svg>\n")

	if len(decisions) > 0 {
		tab := Table{Columns: []Column{{Title: "#", Numeric: true}, {Title: "deployment"},
			{Title: "t (s)", Numeric: true}, {Title: "action"}, {Title: "reason"}}}
		for _, dc := range decisions {
			tab.Rows = append(tab.Rows, []Cell{Text(itoa(dc.n)), Text(dc.dep),
				Text(formatSeconds(dc.At)), {Text: dc.Action, Status: dc.Status}, Text(dc.Reason)})
		}
		b.raw("<h3 class=\"sub\">Decisions</h3>\n")
		table(b, tab)
	}
}

// lane writes one deployment's lane: name and verdict in the left gutter,
// the weight step chart, weight labels and decision markers.
func (rd *renderer) lane(b *builder, d Deployment, laneTop float64, decisions []numberedDecision) {
	col := rd.colors.of(d.colorKey(), "")
	laneBottom := laneTop + laneHeight
	ws := laneScale(laneTop)
	left, right := plotLeft, chartWidth-plotRight

	b.raw("<g class=\"lane\"")
	b.attr("data-deployment", d.Name)
	b.raw(">\n")

	// name and verdict in the gutter
	b.raw("<text class=\"lane-name\" x=\"8\"")
	b.attrNum("y", laneTop+18)
	b.raw(">")
	b.text(clip(d.Name, plotLeft-16, 12.5))
	b.raw("<title>")
	b.text(d.Name)
	b.raw("</title></text>\n")
	if d.Verdict != (Cell{}) {
		svgBadge(b, d.Verdict, 8, laneTop+28)
	}

	// the weight as a step function
	var pts []Point
	for _, p := range d.Weight {
		if isFinite(p.X) && isFinite(p.Y) {
			pts = append(pts, Point{p.X, min(max(p.Y, 0), 100)})
		}
	}
	sort.SliceStable(pts, func(i, j int) bool { return pts[i].X < pts[j].X })
	if len(pts) > 0 {
		clampX := func(x float64) float64 { return rd.xs.at(min(max(x, rd.dom.Min), rd.dom.Max)) }
		var area, edge pathBuf
		base := ws.at(0)
		area.move(left, base)
		prev := 0.0
		for _, p := range pts {
			x := clampX(p.X)
			area.lineTo(x, ws.at(prev))
			area.lineTo(x, ws.at(p.Y))
			if len(edge.d) == 0 {
				edge.move(x, ws.at(prev))
			} else {
				edge.lineTo(x, ws.at(prev))
			}
			edge.lineTo(x, ws.at(p.Y))
			prev = p.Y
		}
		area.lineTo(right, ws.at(prev))
		area.lineTo(right, base)
		area.close()
		edge.lineTo(right, ws.at(prev))
		b.raw("<path class=\"weight\"")
		b.attr("d", string(area.d))
		b.attr("fill", col)
		b.raw(" fill-opacity=\"0.3\" stroke=\"none\" />\n<path class=\"weight-edge\"")
		b.attr("d", string(edge.d))
		b.attr("stroke", col)
		b.raw(" fill=\"none\" stroke-width=\"1.8\" stroke-linejoin=\"round\" />\n")

		// a label at each change of weight, where there is room
		lastEnd := -1e9
		prev = 0
		for i, p := range pts {
			if p.Y == prev && i > 0 {
				continue
			}
			prev = p.Y
			x := clampX(p.X)
			label := trimFloat(p.Y) + "%"
			w := textWidth(label, 10.5)
			nextX := right
			for _, q := range pts[i+1:] {
				if q.Y != p.Y {
					nextX = clampX(q.X)
					break
				}
			}
			if x+4 < lastEnd || x+4+w > nextX-2 || x+4+w > right {
				continue
			}
			b.raw("<text class=\"weight-label\"")
			b.attrNum("x", x+4)
			b.attrNum("y", laneBottom-5)
			b.raw(">")
			b.text(label)
			b.raw("</text>\n")
			lastEnd = x + 4 + w
		}
	}

	// decision markers; markers that would overlap shift right
	lastX := -1e9
	for _, dc := range decisions {
		if dc.At < rd.dom.Min || dc.At > rd.dom.Max {
			continue
		}
		x := max(rd.xs.at(dc.At), lastX+2*markerR+2)
		lastX = x
		cy := laneTop + laneStrip/2
		b.raw("<g class=\"decision\"")
		b.attr("data-status", dc.Status.String())
		b.raw("><title>")
		title := "#" + itoa(dc.n) + " · " + formatSeconds(dc.At) + " s · " + dc.Action
		if dc.Reason != "" {
			title += ": " + dc.Reason
		}
		b.text(title)
		b.raw("</title><line")
		b.attrNum("x1", rd.xs.at(dc.At))
		b.attrNum("x2", rd.xs.at(dc.At))
		b.attrNum("y1", cy)
		b.attrNum("y2", laneBottom)
		b.attr("stroke", statusColor(dc.Status))
		b.raw(" stroke-width=\"1\" stroke-opacity=\"0.5\" /><circle")
		b.attrNum("cx", x)
		b.attrNum("cy", cy)
		b.attrNum("r", markerR)
		b.attr("fill", statusColor(dc.Status))
		b.raw(" /><text class=\"decision-n\"")
		b.attrNum("x", x)
		b.attrNum("y", cy+3.5)
		b.raw(" text-anchor=\"middle\">")
		b.raw(itoa(dc.n))
		b.raw("</text></g>\n")
	}
	b.raw("</g>\n")
}

// laneBackground writes a lane's background with its 50% and 100% guides.
func laneBackground(b *builder, laneTop float64) {
	left, right := plotLeft, chartWidth-plotRight
	ws := laneScale(laneTop)
	b.raw("<g class=\"lane-bg\"><rect")
	b.attrNum("x", left)
	b.attrNum("y", laneTop)
	b.attrNum("width", right-left)
	b.attrNum("height", laneHeight)
	b.raw(" rx=\"4\" />\n")
	for _, v := range []float64{50, 100} {
		b.raw("<line class=\"lane-guide\"")
		b.attrNum("x1", left)
		b.attrNum("x2", right)
		b.attrNum("y1", ws.at(v))
		b.attrNum("y2", ws.at(v))
		b.raw(" /><text class=\"lane-tick\"")
		b.attrNum("x", right+4)
		b.attrNum("y", ws.at(v)+3)
		b.raw(">")
		b.raw(itoa(int(v)))
		b.raw("%</text>\n")
	}
	b.raw("</g>\n")
}

// laneScale maps a weight in percent to y inside the lane at laneTop.
func laneScale(laneTop float64) scale {
	return scale{0, 100, laneTop + laneHeight - 1, laneTop + laneStrip + 2}
}

// svgBadge writes a status badge inside an SVG at (x, y), its top-left
// corner, clipped to the timeline's left gutter.
func svgBadge(b *builder, c Cell, x, y float64) {
	text := c.Text
	if text == "" {
		text = c.Status.String()
	}
	if icon := statusIcon(c.Status); icon != "" {
		text = icon + " " + text
	}
	full := text
	text = clip(text, plotLeft-x-22, 11)
	w := textWidth(text, 11) + 12
	col := statusColor(c.Status)
	b.raw("<g class=\"verdict\"")
	b.attr("data-status", c.Status.String())
	b.raw("><title>")
	b.text(full)
	b.raw("</title><rect")
	b.attrNum("x", x)
	b.attrNum("y", y)
	b.attrNum("width", w)
	b.raw(" height=\"19\" rx=\"9.5\"")
	b.attr("fill", badgeFill(c.Status))
	b.attr("stroke", col)
	b.raw(" stroke-opacity=\"0.35\" /><text class=\"verdict-text\"")
	b.attrNum("x", x+w/2)
	b.attrNum("y", y+13.5)
	b.attr("fill", col)
	b.raw(" text-anchor=\"middle\">")
	b.text(text)
	b.raw("</text></g>\n")
}

// badgeFill returns a badge's background colour.
func badgeFill(s Status) string {
	switch s {
	case StatusPass:
		return "#dcfce7"
	case StatusFail:
		return "#fee2e2"
	case StatusWarn:
		return "#fef3c7"
	}
	return "#f1f5f9"
}

// clip shortens s with an ellipsis so that it fits width pixels at the
// given font size (by the estimate of textWidth).
func clip(s string, width, size float64) string {
	if textWidth(s, size) <= width {
		return s
	}
	r := []rune(s)
	n := max(int(width/(size*0.6))-1, 1)
	if n >= len(r) {
		return s
	}
	return strings.TrimSpace(string(r[:n])) + "…"
}

// trimFloat formats a percentage with at most one decimal.
func trimFloat(f float64) string {
	s := formatSeconds(f)
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s) > i+2 {
		s = s[:i+2]
	}
	return s
}
