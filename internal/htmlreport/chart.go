package htmlreport

import "strings"

// Chart geometry in SVG user units. Every time chart shares the same width
// and horizontal margins, so their time axes line up on the page.
const (
	chartWidth  = 1180.0
	plotLeft    = 124.0 // y tick labels, the y axis label, timeline lane names
	plotRight   = 44.0
	plotHeight  = 280.0
	axisBottom  = 50.0 // x tick labels and the x axis label
	labelRowH   = 15.0 // one row of event labels above a plot
	maxRows     = 3    // rows of event labels before labels are left out
	labelFont   = 11.0
	tickFont    = 11.0
	markerDash  = "5 4"
	gridColor   = "#e5e7eb"
	axisColor   = "#9ca3af"
	minTopSpace = 12.0
)

// eventLabel is an event placed above the plots: its x position, label row
// (-1 when there was no room for the label) and text anchor.
type eventLabel struct {
	ev    Event
	x     float64
	row   int
	end   bool // anchor the label's end at the marker instead of its start
	label string
}

// layoutEventLabels places the labels of the events inside dom greedily, in
// time order, in the first of maxRows rows where they do not overlap an
// earlier label. It returns the placed labels and the number of rows used.
func layoutEventLabels(events []Event, dom Range, xs scale) ([]eventLabel, int) {
	type span struct{ lo, hi float64 }
	rowSpans := make([][]span, maxRows)
	var out []eventLabel
	rows := 0
	right := chartWidth - plotRight
	for _, e := range events {
		if e.At < dom.Min || e.At > dom.Max {
			continue
		}
		l := eventLabel{ev: e, x: xs.at(e.At), row: -1, label: e.Label}
		if l.label == "" {
			l.label = e.Kind.String()
		}
		w := textWidth(l.label, labelFont)
		s := span{l.x + 3, l.x + 5 + w}
		if s.hi > right+plotRight-4 {
			l.end = true
			s = span{l.x - 5 - w, l.x - 3}
		}
	rowLoop:
		for r := 0; r < maxRows; r++ {
			for _, o := range rowSpans[r] {
				if s.lo < o.hi+6 && o.lo < s.hi+6 {
					continue rowLoop
				}
			}
			rowSpans[r] = append(rowSpans[r], s)
			l.row = r
			rows = max(rows, r+1)
			break
		}
		out = append(out, l)
	}
	return out, rows
}

// plotTop returns the y of the top of a plot whose chart shows event labels
// (or not).
func (rd *renderer) plotTop(labels bool) float64 {
	if labels && rd.rows > 0 {
		return float64(rd.rows)*labelRowH + 10
	}
	return minTopSpace
}

// svgOpen writes the opening <svg> tag of a chart with its title.
func svgOpen(b *builder, kind SectionKind, id, title string, height float64) {
	if title == "" {
		title = kind.String() + " chart"
	}
	b.raw("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\"")
	b.attr("data-kind", kind.String())
	b.attr("id", id+"-chart")
	b.raw(" viewBox=\"0 0 ")
	b.num(chartWidth)
	b.raw(" ")
	b.num(height)
	b.raw("\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\"")
	b.attr("aria-label", title)
	b.raw(">\n<title>")
	b.text(title)
	b.raw("</title>\n")
}

// timeGrid writes the vertical grid lines at the time ticks, from top to
// bottom.
func (rd *renderer) timeGrid(b *builder, top, bottom float64) {
	b.raw("<g class=\"grid\"")
	b.attr("stroke", gridColor)
	b.raw(" stroke-width=\"1\">\n")
	for _, t := range ticks(rd.dom.Min, rd.dom.Max, rd.xStep) {
		x := rd.xs.at(t)
		b.raw("<line")
		b.attrNum("x1", x)
		b.attrNum("x2", x)
		b.attrNum("y1", top)
		b.attrNum("y2", bottom)
		b.raw(" />\n")
	}
	b.raw("</g>\n")
}

// timeAxis writes the x axis line at y, its tick labels and its label.
func (rd *renderer) timeAxis(b *builder, y float64) {
	maxAbs := max(abs(rd.dom.Min), abs(rd.dom.Max))
	format := tickFormatter(rd.xStep, maxAbs)
	b.raw("<g class=\"axis x-axis\">\n<line")
	b.attrNum("x1", plotLeft)
	b.attrNum("x2", chartWidth-plotRight)
	b.attrNum("y1", y)
	b.attrNum("y2", y)
	b.attr("stroke", axisColor)
	b.raw(" />\n")
	for _, t := range ticks(rd.dom.Min, rd.dom.Max, rd.xStep) {
		x := rd.xs.at(t)
		b.raw("<line")
		b.attrNum("x1", x)
		b.attrNum("x2", x)
		b.attrNum("y1", y)
		b.attrNum("y2", y+5)
		b.attr("stroke", axisColor)
		b.raw(" /><text class=\"tick\"")
		b.attrNum("x", x)
		b.attrNum("y", y+18)
		b.raw(" text-anchor=\"middle\">")
		b.text(format(t))
		b.raw("</text>\n")
	}
	b.raw("<text class=\"axis-label\"")
	b.attrNum("x", plotLeft+(chartWidth-plotRight-plotLeft)/2)
	b.attrNum("y", y+40)
	b.raw(" text-anchor=\"middle\">")
	b.text(rd.timeLabel())
	b.raw("</text>\n</g>\n")
}

// valueAxis writes horizontal grid lines, y tick labels and the rotated y
// axis label for the value scale ys over [lo, hi] with the given step.
func valueAxis(b *builder, ys scale, lo, hi, step float64, label string) {
	format := tickFormatter(step, max(abs(lo), abs(hi)))
	b.raw("<g class=\"axis y-axis\">\n")
	for _, v := range ticks(lo, hi, step) {
		y := ys.at(v)
		b.raw("<line")
		b.attrNum("x1", plotLeft)
		b.attrNum("x2", chartWidth-plotRight)
		b.attrNum("y1", y)
		b.attrNum("y2", y)
		b.attr("stroke", gridColor)
		b.raw(" /><text class=\"tick\"")
		b.attrNum("x", plotLeft-8)
		b.attrNum("y", y+4)
		b.raw(" text-anchor=\"end\">")
		b.text(format(v))
		b.raw("</text>\n")
	}
	if label != "" {
		mid := (ys.p0 + ys.p1) / 2
		b.raw("<text class=\"axis-label\" text-anchor=\"middle\"")
		b.raw(" transform=\"translate(")
		b.num(plotLeft - 58)
		b.raw(" ")
		b.num(mid)
		b.raw(") rotate(-90)\">")
		b.text(label)
		b.raw("</text>\n")
	}
	b.raw("</g>\n")
}

// markers writes the event markers from y1 (or from their label row when
// withLabels) down to y2.
func (rd *renderer) markers(b *builder, top, bottom float64, withLabels bool) {
	if len(rd.labels) == 0 {
		return
	}
	b.raw("<g class=\"markers\">\n")
	for _, l := range rd.labels {
		col := l.ev.Kind.color()
		b.raw("<g class=\"marker\"")
		b.attr("data-kind", l.ev.Kind.String())
		b.attr("data-t", formatSeconds(l.ev.At))
		b.raw("><title>")
		b.text(eventTitle(l.ev))
		b.raw("</title><line")
		y1 := top
		if withLabels && l.row >= 0 {
			y1 = top - float64(l.row)*labelRowH - labelRowH + 2
		}
		b.attrNum("x1", l.x)
		b.attrNum("x2", l.x)
		b.attrNum("y1", y1)
		b.attrNum("y2", bottom)
		b.attr("stroke", col)
		b.attr("stroke-dasharray", markerDash)
		b.raw(" stroke-width=\"1.3\" />")
		if withLabels && l.row >= 0 {
			b.raw("<text class=\"event-label\"")
			if l.end {
				b.attrNum("x", l.x-4)
				b.raw(" text-anchor=\"end\"")
			} else {
				b.attrNum("x", l.x+4)
			}
			b.attrNum("y", top-float64(l.row)*labelRowH-4)
			b.attr("fill", col)
			b.raw(">")
			b.text(l.label)
			b.raw("</text>")
		}
		b.raw("</g>\n")
	}
	b.raw("</g>\n")
}

// eventTitle is the tooltip of an event marker.
func eventTitle(e Event) string {
	var sb strings.Builder
	sb.WriteString(formatSeconds(e.At))
	sb.WriteString(" s · ")
	sb.WriteString(e.Kind.String())
	if e.Label != "" {
		sb.WriteString(" · ")
		sb.WriteString(e.Label)
	}
	if e.Detail != "" {
		sb.WriteString(" — ")
		sb.WriteString(e.Detail)
	}
	return sb.String()
}

// legendItem is one entry of a chart legend.
type legendItem struct {
	name, color string
}

// legend writes the HTML legend of a chart: a swatch per series, then a
// dashed swatch per event kind shown on the chart.
func (rd *renderer) legend(b *builder, items []legendItem, line, events bool) {
	b.raw("<ul class=\"legend\">")
	for _, it := range items {
		b.raw("<li><span")
		if line {
			b.attr("class", "swatch line")
		} else {
			b.attr("class", "swatch")
		}
		b.attr("style", "background:"+it.color)
		b.raw("></span>")
		b.text(it.name)
		b.raw("</li>")
	}
	if events {
		var seen [16]bool
		for _, l := range rd.labels {
			k := l.ev.Kind
			if k >= 0 && int(k) < len(seen) {
				if seen[k] {
					continue
				}
				seen[k] = true
			}
			b.raw("<li class=\"ev\"><span class=\"swatch dash\"")
			b.attr("style", "border-color:"+k.color())
			b.raw("></span>")
			b.text(k.String())
			b.raw("</li>")
		}
	}
	b.raw("</ul>\n")
}

// noData writes a centred "no data" note in a plot.
func noData(b *builder, top, bottom float64) {
	b.raw("<text class=\"no-data\" text-anchor=\"middle\"")
	b.attrNum("x", plotLeft+(chartWidth-plotRight-plotLeft)/2)
	b.attrNum("y", (top+bottom)/2)
	b.raw(">no data</text>\n")
}

// abs is math.Abs without the import in every file.
func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// pathBuf accumulates an SVG path's d attribute.
type pathBuf struct {
	d []byte
}

// move starts a subpath at (x, y).
func (p *pathBuf) move(x, y float64) { p.cmd('M', x, y) }

// lineTo draws a line to (x, y).
func (p *pathBuf) lineTo(x, y float64) { p.cmd('L', x, y) }

func (p *pathBuf) cmd(c byte, x, y float64) {
	p.d = append(p.d, c)
	p.d = appendCoord(p.d, x)
	p.d = append(p.d, ',')
	p.d = appendCoord(p.d, y)
}

// close closes the current subpath.
func (p *pathBuf) close() { p.d = append(p.d, 'Z') }
