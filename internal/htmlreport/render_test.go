package htmlreport

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.html")

// pathVertices counts the M and L commands of a path's d attribute.
func pathVertices(d string) int {
	return strings.Count(d, "M") + strings.Count(d, "L")
}

func TestSampleStructure(t *testing.T) {
	r := sampleReport(60)
	page := render(t, r)
	root := parsePage(t, page)

	// the page is plain XML too: no HTML auto-closing, no named entities
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "strict XML")
	}

	html := root.find("html", "")
	require.Len(t, html, 1)
	assert.Equal(t, r.Title, strings.TrimSpace(root.find("title", "")[0].text.String()))
	assert.Empty(t, root.find("script", ""), "no script at all")

	sections := root.find("section", "")
	require.Len(t, sections, len(r.Sections))
	charts := 0
	for i, s := range sections {
		sec := deref(r.Sections[i])
		id, _, _ := sec.head()
		kind := sec.Kind().String()
		assert.Equal(t, id, s.attrs["id"])
		assert.Equal(t, kind, s.attrs["data-kind"])
		svgs := s.find("svg", "chart")
		switch sec.(type) {
		case AreaChart, LineChart, Timeline:
			charts++
			require.Len(t, svgs, 1, "one chart in section %s", id)
			svg := svgs[0]
			assert.Equal(t, kind, svg.attrs["data-kind"])
			assert.NotEmpty(t, svg.attrs["aria-label"])
			assert.Equal(t, "img", svg.attrs["role"])
			require.NotEmpty(t, svg.children)
			assert.Equal(t, "title", svg.children[0].name, "a chart's first child is its <title>")
			assert.Len(t, svg.find("g", "marker"), len(r.Events), "every event is marked in %s", id)
		default:
			assert.Empty(t, svgs, "no chart in section %s", id)
		}
	}
	assert.Len(t, root.find("svg", "chart"), charts)

	area := root.byID("entities")
	require.NotNil(t, area)
	series := area.find("path", "series")
	require.Len(t, series, 3)
	for i, p := range series {
		assert.Equal(t, "v"+itoa(i+1), p.attrs["data-series"])
		assert.Equal(t, palette[i], p.attrs["fill"], "versions keep their palette colour")
	}

	line := root.byID("step-time")
	require.NotNil(t, line)
	series = line.find("path", "series")
	require.Len(t, series, 3)
	for i, p := range series {
		assert.Equal(t, palette[i], p.attrs["stroke"])
	}

	tl := root.byID("deployments")
	require.NotNil(t, tl)
	assert.Len(t, tl.find("g", "lane"), 3)
	assert.Len(t, tl.find("g", "decision"), 10)
	assert.Len(t, tl.find("g", "verdict"), 3)
	// the lanes take the colour of their version
	weights := tl.find("path", "weight")
	require.Len(t, weights, 3)
	assert.Equal(t, palette[1], weights[0].attrs["fill"])
	assert.Equal(t, palette[2], weights[2].attrs["fill"])
	// the decisions table follows the chart
	assert.Len(t, tl.find("tbody", "")[0].find("tr", ""), 10)

	events := root.byID("events")
	rows := events.find("tbody", "")[0].find("tr", "")
	require.Len(t, rows, len(r.Events))
	for i, row := range rows {
		assert.Equal(t, r.Events[i].Kind.String(), row.attrs["data-kind"])
	}

	assertions := root.byID("assertions")
	assert.Len(t, assertions.find("span", "pass"), 6)
	assert.Empty(t, assertions.find("span", "fail"))
}

func TestSampleSizeBound(t *testing.T) {
	// 150 s at 60 fps: 9,000 frames of samples for 3 versions
	r := sampleReport(60)
	frames := 0
	for _, s := range r.Sections[0].(*AreaChart).Series {
		frames = max(frames, len(s.Points))
	}
	require.GreaterOrEqual(t, frames, 8000)
	require.GreaterOrEqual(t, len(r.Sections[1].(*LineChart).Series[0].Points), 8000)
	page := render(t, r)
	t.Logf("page: %d bytes", len(page))
	assert.Less(t, len(page), 500<<10)

	root := parsePage(t, page)
	for _, p := range root.byID("entities").find("path", "series") {
		// the top edge forward and the base backward
		assert.LessOrEqual(t, pathVertices(p.attrs["d"]), 2*DefaultMaxPoints)
	}
	for _, p := range root.byID("step-time").find("path", "series") {
		n := pathVertices(p.attrs["d"])
		assert.LessOrEqual(t, n, DefaultMaxPoints)
		assert.Greater(t, n, DefaultMaxPoints/2, "the budget is used, not wasted")
	}

	// a smaller budget gives a smaller page
	small := render(t, r, WithMaxPoints(100))
	assert.Less(t, len(small), len(page))
	for _, p := range parsePage(t, small).byID("step-time").find("path", "series") {
		assert.LessOrEqual(t, pathVertices(p.attrs["d"]), 100)
	}
}

func TestNonFiniteSkipped(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	r := &Report{
		Title:  "non-finite",
		Events: []Event{{At: 2, Label: "ok"}, {At: nan, Label: "nan event"}, {At: inf, Label: "inf event"}},
		Sections: []Section{
			&LineChart{ID: "line", Series: []Series{
				{Name: "v1", Points: []Point{{0, 1}, {1, 2}, {2, nan}, {3, 4}, {4, inf}, {5, 5}, {nan, 3}, {6, -inf}}},
				{Name: "v2", Points: []Point{{0, nan}, {1, nan}}},
			}},
			&AreaChart{ID: "area", Series: []Series{
				{Name: "v1", Points: []Point{{0, 1}, {1, nan}, {2, 1}, {inf, 1}}},
			}},
			&Timeline{ID: "tl", Deployments: []Deployment{{Name: "d", Weight: []Point{{0, 10}, {1, nan}, {nan, 50}},
				Decisions: []Decision{{At: nan, Action: "lost"}, {At: 1, Action: "kept"}}}}},
		},
	}
	page := render(t, r)
	for _, bad := range []string{"NaN", "Inf", "nan event", "inf event", "lost"} {
		assert.NotContains(t, string(page), bad)
	}
	root := parsePage(t, page)

	line := root.byID("line").find("path", "series")
	require.Len(t, line, 2)
	d := line[0].attrs["d"]
	// runs: {0,1},{1,2} | {3,4} | {5,5}; the NaN X sample is dropped
	assert.Equal(t, 3, strings.Count(d, "M"), d)
	assert.Equal(t, 4, pathVertices(d), d)
	_, hasD := line[1].attrs["d"]
	assert.False(t, hasD, "a series without a finite sample draws nothing")

	// the area's non-finite samples are dropped: two samples on the grid
	area := root.byID("area").find("path", "series")
	require.Len(t, area, 1)
	assert.Equal(t, 4, pathVertices(area[0].attrs["d"]), area[0].attrs["d"])

	assert.Len(t, root.byID("line").find("g", "marker"), 1)
	assert.Len(t, root.byID("tl").find("g", "decision"), 1)
}

func TestLineMaxGap(t *testing.T) {
	pts := []Point{{0, 1}, {1, 1}, {2, 1}, {10, 1}, {11, 1}}
	for _, tc := range []struct {
		gap  float64
		runs int
	}{{0, 1}, {5, 2}, {0.5, 5}} {
		r := &Report{Sections: []Section{&LineChart{ID: "c", MaxGap: tc.gap, Series: []Series{{Name: "s", Points: pts}}}}}
		d := parsePage(t, render(t, r)).find("path", "series")[0].attrs["d"]
		assert.Equal(t, tc.runs, strings.Count(d, "M"), "MaxGap %v: %s", tc.gap, d)
	}
}

func TestEscaping(t *testing.T) {
	evil := `<script>alert("x")</script> & 'quotes' ]]> <!-- --> ` + "\x00\x01\x1b\ufffe\xff"
	r := &Report{
		Title:    evil,
		Subtitle: evil,
		Verdict:  Fail(evil),
		Meta:     []Field{{evil, evil}},
		Events:   []Event{{At: 1, Kind: EventFailure, Label: evil, Detail: evil}},
		Sections: []Section{
			&LineChart{Title: evil, Note: evil, YLabel: evil, Series: []Series{{Name: evil, Points: []Point{{0, 1}, {2, 3}}}}},
			&AreaChart{Title: evil, Series: []Series{{Name: evil, Points: []Point{{0, 1}}}}},
			&Table{Title: evil, Columns: []Column{{Title: evil}}, Rows: [][]Cell{{Pass(evil)}}},
			&EventTable{Title: evil},
			&Timeline{Title: evil, Deployments: []Deployment{{Name: evil, Verdict: Fail(evil),
				Weight: []Point{{0, 50}}, Decisions: []Decision{{At: 1, Action: evil, Reason: evil}}}}},
		},
	}
	page := render(t, r)
	s := string(page)
	assert.NotContains(t, s, "<script")
	assert.NotContains(t, s, "<!--")
	assert.NotContains(t, s, "]]>")
	assert.Contains(t, s, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")

	root := parsePage(t, page)
	assert.Empty(t, root.find("script", ""))
	want := `<script>alert("x")</script> & 'quotes' ]]> <!-- --> ` + "\ufffd"
	assert.Equal(t, want, root.find("title", "")[0].text.String(), "the text survives escaping, less what XML forbids")
	assert.Equal(t, want, root.find("h1", "")[0].text.String())
	assert.Equal(t, want, root.find("path", "series")[0].attrs["data-series"])
}

func TestDeterministic(t *testing.T) {
	a := render(t, sampleReport(60))
	b := render(t, sampleReport(60))
	assert.True(t, bytes.Equal(a, b), "same input, same bytes")

	// colours of names that are not versions follow their first
	// appearance, after the versions in use, whatever the map order
	r := &Report{Sections: []Section{
		&LineChart{ID: "a", Series: []Series{{Name: "zeta"}, {Name: "v2"}, {Name: "alpha"}, {Name: "mu"}}},
		&AreaChart{ID: "b", Series: []Series{{Name: "mu"}, {Name: "beta"}, {Name: "v1"}, {Name: "own", Color: "#123456"}}},
	}}
	first := render(t, r)
	for range 20 {
		require.True(t, bytes.Equal(first, render(t, r)))
	}
	c := newColors(r)
	assert.Equal(t, palette[2], c.of("zeta", ""))
	assert.Equal(t, palette[3], c.of("alpha", ""))
	assert.Equal(t, palette[4], c.of("mu", ""))
	assert.Equal(t, palette[5], c.of("beta", ""))
	assert.Equal(t, palette[0], c.of("v1", ""))
	assert.Equal(t, palette[1], c.of("v2", ""))
	assert.Equal(t, "#123456", c.of("own", "#123456"))
	assert.Equal(t, palette[1], newColors(&Report{Sections: []Section{&LineChart{Series: []Series{{Name: "v10"}}}}}).of("v10", ""),
		"v10 wraps around the palette")
}

func TestRefresh(t *testing.T) {
	r := &Report{Title: "live"}
	assert.NotContains(t, string(render(t, r)), "http-equiv=\"refresh\"")
	assert.Contains(t, string(render(t, r, WithRefresh(5*time.Second))), `<meta http-equiv="refresh" content="5" />`)
	assert.Contains(t, string(render(t, r, WithRefresh(1500*time.Millisecond))), `<meta http-equiv="refresh" content="2" />`)
	assert.Contains(t, string(render(t, r, WithRefresh(time.Millisecond))), `<meta http-equiv="refresh" content="1" />`)
	parsePage(t, render(t, r, WithRefresh(time.Second)))
}

func TestRenderErrors(t *testing.T) {
	ok := []Series{{Name: "v1", Points: []Point{{0, 1}}}}
	for _, tc := range []struct {
		name string
		r    *Report
		opts []Option
		err  error
	}{
		{"nil report", nil, nil, ErrNilReport},
		{"bad id", &Report{Sections: []Section{&Table{ID: "1st"}}}, nil, ErrInvalidID},
		{"id with space", &Report{Sections: []Section{&Table{ID: "a b"}}}, nil, ErrInvalidID},
		{"duplicate id", &Report{Sections: []Section{&Table{ID: "x"}, &EventTable{ID: "x"}}}, nil, ErrDuplicateID},
		{"generated id taken", &Report{Sections: []Section{&Table{ID: "section-2"}, &EventTable{}}}, nil, ErrDuplicateID},
		{"bad colour", &Report{Sections: []Section{&LineChart{Series: []Series{{Name: "v1", Color: "red"}}}}}, nil, ErrInvalidColor},
		{"colour injection", &Report{Sections: []Section{&AreaChart{Series: []Series{{Name: "v1", Color: `#fff" onload="x`}}}}}, nil, ErrInvalidColor},
		{"long row", &Report{Sections: []Section{&Table{Columns: []Column{{Title: "a"}}, Rows: [][]Cell{{Text("1"), Text("2")}}}}}, nil, ErrTableShape},
		{"negative refresh", &Report{}, []Option{WithRefresh(-time.Second)}, ErrInvalidOption},
		{"one point", &Report{Sections: []Section{&LineChart{Series: ok}}}, []Option{WithMaxPoints(1)}, ErrInvalidOption},
		{"unknown section", &Report{Sections: []Section{otherSection{}}}, nil, ErrUnknownSection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := Render(&buf, tc.r, tc.opts...)
			assert.ErrorIs(t, err, tc.err)
			assert.Zero(t, buf.Len(), "a failed call writes nothing")
		})
	}

	// a writer's error comes back as is
	werr := errors.New("disk full")
	assert.ErrorIs(t, Render(failWriter{werr}, &Report{}), werr)

	// nil sections, typed or not, are skipped; values work like pointers
	var nilTable *Table
	root := parsePage(t, render(t, &Report{Sections: []Section{nil, nilTable, Table{ID: "t"}, LineChart{Series: ok}}}))
	secs := root.find("section", "")
	require.Len(t, secs, 2)
	assert.Equal(t, "t", secs[0].attrs["id"])
	assert.Equal(t, "section-4", secs[1].attrs["id"])
}

// otherSection satisfies Section from inside the package but is not one
// of the known types.
type otherSection struct{}

func (otherSection) Kind() SectionKind              { return KindTable }
func (otherSection) head() (string, string, string) { return "", "", "" }

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }

func TestTableCells(t *testing.T) {
	r := &Report{Sections: []Section{&Table{ID: "t",
		Columns: []Column{{Title: "name"}, {Title: "n", Numeric: true}, {Title: "result"}},
		Rows: [][]Cell{
			{Text("a"), Text("1"), Pass("")},
			{Text("b"), Text("2"), Fail("too slow")},
			{Text("c"), Text("3"), Check(true, "ok")},
			{Text("short row")},
			{Text("d"), Text("4"), {Text: "maybe", Status: StatusWarn}},
		}}}}
	root := parsePage(t, render(t, r))
	tab := root.byID("t")
	assert.Len(t, tab.find("th", ""), 3)
	rows := tab.find("tbody", "")[0].find("tr", "")
	require.Len(t, rows, 5)
	for _, row := range rows {
		assert.Len(t, row.find("td", ""), 3, "short rows are padded")
	}
	assert.Len(t, tab.find("span", "pass"), 2)
	fails := tab.find("span", "fail")
	require.Len(t, fails, 1)
	assert.Equal(t, "✗too slow", fails[0].text.String())
	assert.Equal(t, "✓pass", tab.find("span", "pass")[0].text.String(), "an empty badge says its status")
	assert.Len(t, tab.find("span", "warn"), 1)
	assert.True(t, rows[0].find("td", "")[1].hasClass("num"))
}

func TestEventTableSorted(t *testing.T) {
	r := &Report{
		Events: []Event{
			{At: 30, Kind: EventGC, Label: "c"},
			{At: 10, Kind: EventFailure, Label: "a"},
			{At: 10, Kind: EventRollback, Label: "b"},
			{At: 20, Kind: EventDecision, Label: "x"},
		},
		Sections: []Section{&EventTable{ID: "e"}},
	}
	rows := parsePage(t, render(t, r)).byID("e").find("tbody", "")[0].find("tr", "")
	require.Len(t, rows, 4)
	var got []string
	for _, row := range rows {
		got = append(got, row.find("td", "")[2].text.String())
	}
	assert.Equal(t, []string{"a", "b", "x", "c"}, got, "by time, ties in input order")
	assert.Equal(t, []Event{{30, EventGC, "c", ""}, {10, EventFailure, "a", ""}, {10, EventRollback, "b", ""}, {20, EventDecision, "x", ""}},
		r.Events, "Render does not modify the report")
}

func TestTimeRange(t *testing.T) {
	pts := []Point{{0, 1}, {50, 2}, {100, 3}}
	r := &Report{
		TimeRange: Range{40, 60},
		Events:    []Event{{At: 10}, {At: 45}, {At: 90}},
		Sections:  []Section{&LineChart{ID: "c", Series: []Series{{Name: "v1", Points: pts}}}},
	}
	root := parsePage(t, render(t, r))
	c := root.byID("c")
	assert.Len(t, c.find("g", "marker"), 1, "only events inside the range are marked")
	assert.Equal(t, 1, pathVertices(c.find("path", "series")[0].attrs["d"]))
	var labels []string
	for _, tx := range c.find("g", "x-axis")[0].find("text", "tick") {
		labels = append(labels, tx.text.String())
	}
	assert.Equal(t, []string{"40", "42", "44", "46", "48", "50", "52", "54", "56", "58", "60"}, labels)
}

func TestEventLabelRows(t *testing.T) {
	// events at the same time stack their labels in rows; a fourth one
	// keeps its marker but has no room for a label
	r := &Report{
		Events: []Event{{At: 50, Label: "one"}, {At: 50, Label: "two"}, {At: 50, Label: "three"}, {At: 50, Label: "four"}, {At: 100, Label: "the very end"}},
		Sections: []Section{&AreaChart{ID: "a", Series: []Series{{Name: "v1", Points: []Point{{0, 1}, {100, 1}}}}},
			&AreaChart{ID: "b", HideEvents: true, Series: []Series{{Name: "v1", Points: []Point{{0, 1}, {100, 1}}}}}},
	}
	root := parsePage(t, render(t, r))
	a := root.byID("a")
	assert.Len(t, a.find("g", "marker"), 5)
	labels := a.find("text", "event-label")
	require.Len(t, labels, 4)
	ys := map[string]bool{}
	for _, l := range labels[:3] {
		ys[l.attrs["y"]] = true
	}
	assert.Len(t, ys, 3, "three rows")
	assert.Equal(t, "end", labels[3].attrs["text-anchor"], "a label at the right edge ends at its marker")
	assert.Empty(t, root.byID("b").find("g", "marker"))
}

func TestGolden(t *testing.T) {
	r := &Report{
		Title:    "Golden",
		Subtitle: "a small report",
		Verdict:  Pass("2/2"),
		Meta:     []Field{{"seed", "1"}},
		Events:   []Event{{At: 1, Kind: EventStep, Label: "canary 10%"}, {At: 3, Kind: EventGC, Label: "v1 GC", Detail: "idle"}},
		Sections: []Section{
			&AreaChart{ID: "area", Title: "Entities", YLabel: "entities", Series: []Series{
				{Name: "v1", Points: []Point{{0, 10}, {1, 9}, {2, 9}, {3, 0}}},
				{Name: "v2", Points: []Point{{1, 1}, {2, 1}, {3, 10}, {4, 10}}}}},
			&LineChart{ID: "line", Title: "Step time", YLabel: "ns/entity", Series: []Series{
				{Name: "v1", Points: []Point{{0, 40}, {1, 42}, {2, 41}, {3, math.NaN()}}},
				{Name: "v2", Points: []Point{{1, 25}, {2, 24.5}, {3, 26}, {4, 25}}}}},
			&Timeline{ID: "tl", Title: "Deployments", Deployments: []Deployment{{Name: "v2 canary", Version: "v2",
				Weight: []Point{{1, 10}, {3, 100}}, Verdict: Pass("promoted"),
				Decisions: []Decision{{At: 1, Action: "start"}, {At: 3, Action: "promote", Reason: "healthy", Status: StatusPass}}}}},
			&EventTable{ID: "events", Title: "Events"},
			&Table{ID: "checks", Title: "Checks", Columns: []Column{{Title: "check"}, {Title: "result"}},
				Rows: [][]Cell{{Text("conservation"), Pass("")}, {Text("rollback"), Pass("")}}},
		},
	}
	got := render(t, r, WithRefresh(2*time.Second))
	path := filepath.Join("testdata", "small.golden.html")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run TestGolden -update to create it")
	assert.Equal(t, string(want), string(got), "run go test -run TestGolden -update after a deliberate change")
	parsePage(t, got)
}

func TestSectionKindStrings(t *testing.T) {
	kinds := map[Section]string{&AreaChart{}: "area", &LineChart{}: "line", &Table{}: "table", &EventTable{}: "events", &Timeline{}: "timeline"}
	for s, want := range kinds {
		assert.Equal(t, want, s.Kind().String())
	}
	assert.Equal(t, "SectionKind(9)", SectionKind(9).String())
	assert.Equal(t, []string{"info", "step", "gc", "failure", "rollback", "decision", "EventKind(6)"},
		[]string{EventInfo.String(), EventStep.String(), EventGC.String(), EventFailure.String(), EventRollback.String(), EventDecision.String(), EventKind(6).String()})
	assert.Equal(t, []string{"none", "pass", "fail", "warn", "Status(4)"},
		[]string{StatusNone.String(), StatusPass.String(), StatusFail.String(), StatusWarn.String(), Status(4).String()})
}
