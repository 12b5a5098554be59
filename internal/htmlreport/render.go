package htmlreport

import (
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"time"
)

// Errors returned by Render, wrapped with the details; test with errors.Is.
var (
	// ErrNilReport is returned for a nil *Report.
	ErrNilReport = errors.New("htmlreport: nil report")
	// ErrInvalidID is returned for a section id that is not a letter
	// followed by letters, digits, '-' or '_'.
	ErrInvalidID = errors.New("htmlreport: invalid section id")
	// ErrDuplicateID is returned when two sections share an id.
	ErrDuplicateID = errors.New("htmlreport: duplicate section id")
	// ErrInvalidColor is returned for a Series.Color that is not a CSS hex
	// colour such as "#0072b2" or "#07b".
	ErrInvalidColor = errors.New("htmlreport: invalid colour")
	// ErrTableShape is returned for a table row with more cells than the
	// table has columns.
	ErrTableShape = errors.New("htmlreport: table row longer than its header")
	// ErrInvalidOption is returned for a bad option value (a negative
	// refresh period, fewer than 2 points per series).
	ErrInvalidOption = errors.New("htmlreport: invalid option")
	// ErrUnknownSection is returned for a Section value of a type this
	// package does not know (a typed nil pointer is skipped, not an error).
	ErrUnknownSection = errors.New("htmlreport: unknown section type")
)

// Option configures Render.
type Option func(*options)

type options struct {
	refresh   time.Duration
	maxPoints int
}

// WithRefresh adds <meta http-equiv="refresh"> so that a browser reloads
// the page every period, rounded up to whole seconds (at least one). This
// is how a live view that re-serves the page stays current without any
// JavaScript. Zero means no refresh (the default); a negative period makes
// Render fail with ErrInvalidOption.
func WithRefresh(every time.Duration) Option {
	return func(o *options) { o.refresh = every }
}

// WithMaxPoints sets how many points per series each chart keeps at most
// (default DefaultMaxPoints); see Downsample. Below 2, Render fails with
// ErrInvalidOption.
func WithMaxPoints(n int) Option {
	return func(o *options) { o.maxPoints = n }
}

// Render writes r as one self-contained HTML page to w: inline CSS and SVG,
// no script, no external resource (a Content-Security-Policy meta tag
// forbids them), and markup that is also well-formed XML. The output
// depends only on r and the options, so the same input gives the same
// bytes.
//
// Render validates everything and builds the whole page in memory before it
// writes, in one Write call: when it returns an error other than w's,
// nothing has been written. It never modifies r, and is safe to call from
// several goroutines as long as r is not being modified.
func Render(w io.Writer, r *Report, opts ...Option) error {
	if r == nil {
		return ErrNilReport
	}
	o := options{maxPoints: DefaultMaxPoints}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if o.refresh < 0 {
		return fmt.Errorf("%w: refresh period %v", ErrInvalidOption, o.refresh)
	}
	if o.maxPoints < 2 {
		return fmt.Errorf("%w: max points %d", ErrInvalidOption, o.maxPoints)
	}
	secs, ids, err := validate(r)
	if err != nil {
		return err
	}
	rd := &renderer{r: r, o: o, colors: newColors(r), sections: secs, ids: ids}
	rd.prepare()
	b := &builder{}
	b.Grow(64 << 10)
	rd.page(b)
	_, err = w.Write(b.Bytes())
	return err
}

var validID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]*$`)

// validate checks the report and returns its non-nil sections as values
// with their ids (explicit or generated).
func validate(r *Report) ([]Section, []string, error) {
	var secs []Section
	var ids []string
	seen := map[string]int{}
	for i, s := range r.Sections {
		if s == nil {
			continue
		}
		v := deref(s)
		if v == nil {
			if isTypedNil(s) {
				continue
			}
			return nil, nil, fmt.Errorf("%w: section %d is %T", ErrUnknownSection, i, s)
		}
		id, _, _ := v.head()
		if id == "" {
			id = "section-" + itoa(i+1)
		} else if !validID.MatchString(id) {
			return nil, nil, fmt.Errorf("%w: section %d: %q", ErrInvalidID, i, id)
		}
		if j, ok := seen[id]; ok {
			return nil, nil, fmt.Errorf("%w: sections %d and %d: %q", ErrDuplicateID, j, i, id)
		}
		seen[id] = i
		checkSeries := func(ss []Series) error {
			for _, se := range ss {
				if se.Color != "" && !hexColor.MatchString(se.Color) {
					return fmt.Errorf("%w: section %q series %q: %q", ErrInvalidColor, id, se.Name, se.Color)
				}
			}
			return nil
		}
		switch v := v.(type) {
		case AreaChart:
			if err := checkSeries(v.Series); err != nil {
				return nil, nil, err
			}
		case LineChart:
			if err := checkSeries(v.Series); err != nil {
				return nil, nil, err
			}
		case Table:
			for k, row := range v.Rows {
				if len(row) > len(v.Columns) {
					return nil, nil, fmt.Errorf("%w: section %q row %d has %d cells for %d columns",
						ErrTableShape, id, k, len(row), len(v.Columns))
				}
			}
		}
		secs = append(secs, v)
		ids = append(ids, id)
	}
	return secs, ids, nil
}

// deref returns a section by value, or nil for a nil pointer or an unknown
// type.
func deref(s Section) Section {
	switch s := s.(type) {
	case *AreaChart:
		if s != nil {
			return *s
		}
	case *LineChart:
		if s != nil {
			return *s
		}
	case *Table:
		if s != nil {
			return *s
		}
	case *EventTable:
		if s != nil {
			return *s
		}
	case *Timeline:
		if s != nil {
			return *s
		}
	case AreaChart, LineChart, Table, EventTable, Timeline:
		return s
	}
	return nil
}

// isTypedNil reports whether s is a nil pointer to one of the section types.
func isTypedNil(s Section) bool {
	switch s := s.(type) {
	case *AreaChart:
		return s == nil
	case *LineChart:
		return s == nil
	case *Table:
		return s == nil
	case *EventTable:
		return s == nil
	case *Timeline:
		return s == nil
	}
	return false
}

// renderer holds what every section needs: the options, colours, the
// shared time axis and the laid-out event markers.
type renderer struct {
	r        *Report
	o        options
	colors   *colors
	sections []Section
	ids      []string

	dom    Range   // shared time domain
	xs     scale   // time to pixels, shared by every time chart
	xStep  float64 // time tick step
	events []Event // finite events, sorted by time (stable)
	labels []eventLabel
	rows   int // label rows used above the plots
}

// prepare computes the shared time domain, scale and event label layout.
func (rd *renderer) prepare() {
	for _, e := range rd.r.Events {
		if isFinite(e.At) {
			rd.events = append(rd.events, e)
		}
	}
	sort.SliceStable(rd.events, func(i, j int) bool { return rd.events[i].At < rd.events[j].At })

	if rd.r.TimeRange.valid() {
		rd.dom = rd.r.TimeRange
	} else {
		rd.dom = rd.dataTimeRange()
	}
	rd.xs = scale{rd.dom.Min, rd.dom.Max, plotLeft, chartWidth - plotRight}
	rd.xStep = niceStep(rd.dom.Max-rd.dom.Min, int(math.Floor((chartWidth-plotLeft-plotRight)/64)))
	rd.labels, rd.rows = layoutEventLabels(rd.events, rd.dom, rd.xs)
}

// dataTimeRange returns the span of the time sections' finite samples and
// of the events, or [0, 1] when there is nothing.
func (rd *renderer) dataTimeRange() Range {
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(x float64) {
		if isFinite(x) {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	seeSeries := func(ss []Series) {
		for _, s := range ss {
			for _, p := range s.Points {
				if isFinite(p.Y) {
					see(p.X)
				}
			}
		}
	}
	for _, s := range rd.sections {
		switch s := s.(type) {
		case AreaChart:
			seeSeries(s.Series)
		case LineChart:
			seeSeries(s.Series)
		case Timeline:
			for _, d := range s.Deployments {
				for _, p := range d.Weight {
					if isFinite(p.Y) {
						see(p.X)
					}
				}
				for _, dc := range d.Decisions {
					see(dc.At)
				}
			}
		}
	}
	for _, e := range rd.events {
		see(e.At)
	}
	if !(hi >= lo) {
		return Range{0, 1}
	}
	if hi == lo {
		return Range{lo - 0.5, hi + 0.5}
	}
	return Range{lo, hi}
}

// timeLabel returns the x axis label.
func (rd *renderer) timeLabel() string {
	if rd.r.TimeLabel != "" {
		return rd.r.TimeLabel
	}
	return "simulated time (s)"
}

// page writes the whole document.
func (rd *renderer) page(b *builder) {
	r := rd.r
	b.raw("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\" />\n")
	b.raw("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n")
	b.raw("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src &#39;none&#39;; style-src &#39;unsafe-inline&#39;\" />\n")
	if rd.o.refresh > 0 {
		secs := max(1, int64(math.Ceil(rd.o.refresh.Seconds())))
		b.raw("<meta http-equiv=\"refresh\" content=\"")
		b.raw(fmt.Sprint(secs))
		b.raw("\" />\n")
	}
	b.raw("<meta name=\"generator\" content=\"grove internal/htmlreport\" />\n<title>")
	b.text(r.Title)
	b.raw("</title>\n<style>")
	b.raw(css)
	b.raw("</style>\n</head>\n<body>\n<header class=\"page-head\">\n<div class=\"wrap\">\n<div class=\"title-row\">\n<h1>")
	b.text(r.Title)
	b.raw("</h1>")
	if r.Verdict != (Cell{}) {
		badge(b, r.Verdict, "badge big")
	}
	b.raw("\n</div>\n")
	if r.Subtitle != "" {
		b.raw("<p class=\"subtitle\">")
		b.text(r.Subtitle)
		b.raw("</p>\n")
	}
	if len(r.Meta) > 0 {
		b.raw("<dl class=\"meta\">\n")
		for _, f := range r.Meta {
			b.raw("<div><dt>")
			b.text(f.Key)
			b.raw("</dt><dd>")
			b.text(f.Value)
			b.raw("</dd></div>\n")
		}
		b.raw("</dl>\n")
	}
	if len(rd.sections) > 1 {
		b.raw("<nav class=\"toc\" aria-label=\"sections\">\n")
		for i, s := range rd.sections {
			_, title, _ := s.head()
			if title == "" {
				title = s.Kind().String()
			}
			b.raw("<a")
			b.attr("href", "#"+rd.ids[i])
			b.raw(">")
			b.text(title)
			b.raw("</a>\n")
		}
		b.raw("</nav>\n")
	}
	b.raw("</div>\n</header>\n<main class=\"wrap\">\n")
	for i, s := range rd.sections {
		rd.section(b, s, rd.ids[i])
	}
	b.raw("</main>\n<footer class=\"wrap\">Self-contained report: inline SVG and CSS, no scripts, no network.</footer>\n</body>\n</html>\n")
}

// section writes one section card.
func (rd *renderer) section(b *builder, s Section, id string) {
	_, title, note := s.head()
	b.raw("<section class=\"card\"")
	b.attr("id", id)
	b.attr("data-kind", s.Kind().String())
	b.raw(">\n<div class=\"card-head\">")
	if title != "" {
		b.raw("<h2>")
		b.text(title)
		b.raw("</h2>")
	}
	if note != "" {
		b.raw("<p class=\"note\">")
		b.text(note)
		b.raw("</p>")
	}
	b.raw("</div>\n")
	switch s := s.(type) {
	case AreaChart:
		rd.area(b, s, id)
	case LineChart:
		rd.line(b, s, id)
	case Table:
		table(b, s)
	case EventTable:
		rd.eventTable(b)
	case Timeline:
		rd.timeline(b, s, id)
	}
	b.raw("</section>\n")
}

// badge writes a status badge: icon and text.
func badge(b *builder, c Cell, class string) {
	b.raw("<span")
	b.attr("class", class+" "+c.Status.String())
	b.raw(">")
	if icon := statusIcon(c.Status); icon != "" {
		b.raw("<span class=\"icon\" aria-hidden=\"true\">")
		b.raw(icon)
		b.raw("</span>")
	}
	text := c.Text
	if text == "" && c.Status != StatusNone {
		text = c.Status.String()
	}
	b.text(text)
	b.raw("</span>")
}
