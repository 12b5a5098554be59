package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"image"
	"image/color"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/grove-engine/grove/internal/htmlreport"
	"github.com/grove-engine/grove/internal/reportcheck"
	"github.com/grove-engine/grove/versioning"
)

var writePNG = flag.Bool("png", false, "write docs/report.png, the README screenshot, from a real report (needs chromium)")

// element is a parsed element of a report page.
type element struct {
	name     string
	attrs    map[string]string
	children []*element
}

// parseReport parses a report with encoding/xml in strict mode (the
// renderer guarantees well-formed XML) and returns the root.
func parseReport(t *testing.T, page []byte) *element {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = true
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	root := &element{name: "#document"}
	stack := []*element{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the report must parse as XML")
		switch tok := tok.(type) {
		case xml.StartElement:
			el := &element{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				el.attrs[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, el)
			stack = append(stack, el)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	require.Len(t, stack, 1, "every element is closed")
	return root
}

// all returns the descendants of el that match.
func (el *element) all(match func(*element) bool) []*element {
	var out []*element
	for _, c := range el.children {
		if match(c) {
			out = append(out, c)
		}
		out = append(out, c.all(match)...)
	}
	return out
}

func hasClass(el *element, class string) bool {
	return slicesContains(strings.Fields(el.attrs["class"]), class)
}

func slicesContains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// checkSections checks that the page's sections are the given ids, in
// order, and that each chart section holds exactly one chart and every
// other none. It returns the sections by id.
func checkSections(t *testing.T, page []byte, ids ...string) map[string]*element {
	t.Helper()
	root := parseReport(t, page)
	sections := root.all(func(e *element) bool { return e.name == "section" })
	var got []string
	byID := map[string]*element{}
	for _, s := range sections {
		got = append(got, s.attrs["id"])
		byID[s.attrs["id"]] = s
		charts := s.all(func(e *element) bool { return e.name == "svg" && hasClass(e, "chart") })
		switch kind := s.attrs["data-kind"]; kind {
		case "area", "line", "timeline":
			require.Len(t, charts, 1, "section %s (%s) holds one chart", s.attrs["id"], kind)
			assert.Equal(t, kind, charts[0].attrs["data-kind"])
			if kind != "timeline" { // a timeline draws lanes (checked by TestDeployReport)
				assert.NotEmpty(t, charts[0].all(func(e *element) bool { return e.name == "path" && hasClass(e, "series") }),
					"section %s draws its series", s.attrs["id"])
			}
		default:
			assert.Empty(t, charts, "section %s (%s) holds no chart", s.attrs["id"], kind)
		}
	}
	require.Equal(t, ids, got)
	return byID
}

// rows returns a table section's body rows.
func rows(sec *element) []*element {
	var out []*element
	for _, tb := range sec.all(func(e *element) bool { return e.name == "tbody" }) {
		for _, c := range tb.children {
			if c.name == "tr" {
				out = append(out, c)
			}
		}
	}
	return out
}

// TestReportFile runs the scenario with -report and checks the page: it
// parses, has its sections in order with one chart per chart section, a
// marker on both time charts for every event, each load, GC and rollback
// the engine reported, and the ten assertions; and, where Chromium is
// installed, it renders with no console message and a painted chart. (It
// checks the page against what the engine did, not against the script: on
// a loaded machine a step may overrun the frame budget and change the run.)
func TestReportFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.html")
	var out, errOut bytes.Buffer
	r, err := newRunner(options{entities: 200, seed: 7, fault: "panic", view: viewOptions{report: path}}, &out)
	require.NoError(t, err)
	var events []versioning.Event
	r.e.Subscribe(func(ev versioning.Event) { events = append(events, ev) })
	require.NoError(t, r.attachView(&errOut))
	r.run()
	passed, err := r.report()
	require.NoError(t, err)
	require.NoError(t, r.finishView(passed))
	assert.Empty(t, errOut.String())

	page, err := os.ReadFile(path)
	require.NoError(t, err)
	secs := checkSections(t, page, "entities", "step-time", "events", "versions", "metrics", "assertions")
	assert.Len(t, rows(secs["assertions"]), 10)
	assert.NotEmpty(t, rows(secs["versions"]), "the loaded versions' metrics")
	text := string(page)
	var want []string
	for _, ev := range events {
		switch ev.Kind {
		case versioning.EventAfterLoad:
			want = append(want, fmt.Sprintf("v%d loaded", ev.Version))
		case versioning.EventGC:
			want = append(want, fmt.Sprintf("GC v%d", ev.Version))
		case versioning.EventRollback:
			want = append(want, fmt.Sprintf("rollback v%d→v%d", ev.From, ev.To), fmt.Sprintf("v%d fails", ev.From))
		}
	}
	require.NotEmpty(t, want)
	for _, w := range want {
		assert.Contains(t, text, w)
	}
	assert.Contains(t, text, "split v1 100%")
	if r.res.canary == 10 { // the canary's split took effect
		assert.Contains(t, text, "split v1 90% · v2 10%", "the canary's step")
	}
	rowsN := len(rows(secs["events"]))
	assert.GreaterOrEqual(t, rowsN, len(want))
	assert.Equal(t, 2*rowsN, strings.Count(text, `class="marker"`), "each event is marked on both time charts")

	reportcheck.NeedChromium(t)
	img := browserCheck(t, path, "1280,2400", "EXPECT_CHARTS=2")
	assertChartPainted(t, img)
}

// browserCheck runs scripts/check-report.sh on a page in a window of the
// given size and returns the screenshot.
func browserCheck(t *testing.T, html, window string, env ...string) image.Image {
	t.Helper()
	img, msg := reportcheck.Screenshot(t, html, append([]string{"WINDOW=" + window}, env...)...)
	t.Logf("%s", msg)
	return img
}

// assertChartPainted checks that the stacked area chart is drawn: the
// versions' fill colours (each palette colour at half opacity over white)
// cover a large area that spans most of the page's width.
func assertChartPainted(t *testing.T, img image.Image) {
	t.Helper()
	pal := htmlreport.Palette()
	b := img.Bounds()
	fills := make([]color.RGBA, 3)
	for v := range fills {
		fills[v] = reportcheck.OverWhite(reportcheck.Hex(t, pal[v]), 0.5)
	}
	n, minX, maxX := 0, b.Max.X, b.Min.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			for _, f := range fills {
				if reportcheck.Near(img.At(x, y), f, 8) {
					n++
					minX, maxX = min(minX, x), max(maxX, x)
					break
				}
			}
		}
	}
	t.Logf("area fill: %d px, x %d..%d", n, minX, maxX)
	assert.Greater(t, n, 100000, "the stacked areas fill their plot")
	assert.Greater(t, maxX-minX, b.Dx()/2, "and span the time axis")
}

// TestDeployReport: the deployment scenario's report adds a timeline of
// every deployment, with decision markers and verdicts.
func TestDeployReport(t *testing.T) {
	if testing.Short() || raceDetector {
		t.Skip("runs the deployment scenario (seconds; minutes under -race, so make test checks it in the run without -race)")
	}
	path := filepath.Join(t.TempDir(), "deploy.html")
	var out, errOut bytes.Buffer
	code := run([]string{"-scenario", "deploy", "-entities", "1000", "-report", path}, &out, &errOut)
	require.Contains(t, []int{0, 1}, code, "stderr:\n%s", errOut.String())
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	secs := checkSections(t, page, "entities", "step-time", "deployments", "events", "versions", "outcomes")
	tl := secs["deployments"]
	lanes := tl.all(func(e *element) bool { return e.name == "g" && hasClass(e, "lane") })
	assert.Len(t, lanes, 7, "one lane per deployment")
	assert.Len(t, tl.all(func(e *element) bool { return e.name == "g" && hasClass(e, "verdict") }), 7)
	decisions := tl.all(func(e *element) bool { return e.name == "g" && hasClass(e, "decision") })
	assert.GreaterOrEqual(t, len(decisions), 7*2, "a start and an end at least per deployment")
	for _, name := range []string{"canary-healthy", "canary-regression", "blue-green", "abc-test", "shadow"} {
		assert.Contains(t, string(page), name)
	}
	assert.Contains(t, string(page), ": rollback", "a failing canary's rollback is marked")
	reportcheck.NeedChromium(t)
	browserCheck(t, path, "1280,2400", "EXPECT_CHARTS=3")
}

// TestLiveView runs the scenario with -http on a free port and, from the
// game loop at 50 s of simulated time, asks for /status, /metrics and the
// page: they answer while the run goes on. After the run the server is
// closed.
func TestLiveView(t *testing.T) {
	var out, errOut bytes.Buffer
	r, err := newRunner(options{entities: 100, seed: 2, fault: "nan", view: viewOptions{http: "127.0.0.1:0"}}, &out)
	require.NoError(t, err)
	require.NoError(t, r.attachView(&errOut))
	require.NotNil(t, r.view)
	url := r.view.live.URL()
	assert.Contains(t, errOut.String(), url)
	asked := false
	r.view.obs.onFrame = func() {
		if r.e.Frame() != 50*fps || asked {
			return
		}
		asked = true
		// The game loop is paused here: publish a snapshot of this frame,
		// and compare what the server says with the engine itself.
		r.view.obs.rec.Refresh()
		split, err := r.e.Split(module)
		require.NoError(t, err)
		mm, err := r.e.Metrics(module)
		require.NoError(t, err)

		var st liveStatus
		require.NoError(t, json.Unmarshal(get(t, url+"status", "application/json"), &st))
		assert.True(t, st.Running)
		assert.Contains(t, st.Phase, "Phase 1")
		assert.InDelta(t, 50, st.SimTime, 0.02)
		assert.Equal(t, uint64(50*fps), st.Frame)
		require.Len(t, st.Split, len(split))
		for v, w := range split {
			assert.Equal(t, w, st.Split["v"+strconv.Itoa(v)])
		}
		require.NotNil(t, st.Module)
		assert.Equal(t, 100, st.Module.Entities)
		require.Len(t, st.Module.Versions, len(mm.Versions))
		for i, vm := range mm.Versions {
			assert.Equal(t, vm.Entities, st.Module.Versions[i].Entities)
			assert.Equal(t, vm.State.String(), st.Module.Versions[i].State)
		}

		metrics := string(get(t, url+"metrics", "text/plain; version=0.0.4; charset=utf-8"))
		checkExposition(t, metrics)
		assert.Contains(t, metrics, "grove_frames_total 3000\n")
		for _, vm := range mm.Versions {
			assert.Contains(t, metrics, fmt.Sprintf("grove_version_entities{module=\"GameLogic\",version=\"%d\"} %d\n", vm.Version, vm.Entities))
			assert.Contains(t, metrics, fmt.Sprintf("grove_version_frames_total{module=\"GameLogic\",version=\"%d\"} %d\n", vm.Version, vm.Frames))
		}
		assert.Contains(t, metrics, "grove_version_step_per_entity_seconds_count{")

		page := get(t, url, "text/html; charset=utf-8")
		assert.Contains(t, string(page), `<meta http-equiv="refresh" content="2" />`)
		checkSections(t, page, "entities", "step-time", "events", "versions")
	}
	r.run()
	passed, err := r.report()
	require.NoError(t, err)
	require.NoError(t, r.finishView(passed))
	assert.True(t, asked, "the view was asked during the run")
	_, err = http.Get(url + "status")
	assert.Error(t, err, "the server is closed when the demo ends")
}

// get GETs url and checks the status and content type.
func get(t *testing.T, url, contentType string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, url)
	assert.Equal(t, contentType, resp.Header.Get("Content-Type"), url)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return body
}

// checkExposition checks the text format line by line: HELP then TYPE per
// family, samples of the family just declared, parseable values, no
// repeated series. (contrib/prometheus's tests parse the same writer's
// output with client_golang's own parser.)
func checkExposition(t *testing.T, text string) {
	t.Helper()
	sample := regexp.MustCompile(`^([a-z_:][a-z0-9_:]*)(\{[a-z_]+="(?:[^"\\]|\\.)*"(?:,[a-z_]+="(?:[^"\\]|\\.)*")*\})? (\S+)$`)
	seen := map[string]bool{}
	family, typ := "", ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# HELP "):
			family = strings.Fields(l)[2]
		case strings.HasPrefix(l, "# TYPE "):
			f := strings.Fields(l)
			require.Equal(t, family, f[2])
			typ = f[3]
		default:
			m := sample.FindStringSubmatch(l)
			require.NotNil(t, m, "bad line %q", l)
			base := m[1]
			if typ == "histogram" {
				for _, s := range []string{"_bucket", "_sum", "_count"} {
					base = strings.TrimSuffix(base, s)
				}
			}
			require.Equal(t, family, base, l)
			_, err := strconv.ParseFloat(m[3], 64)
			require.NoError(t, err, l)
			require.False(t, seen[m[1]+m[2]], "repeated %s", l)
			seen[m[1]+m[2]] = true
		}
	}
	require.NotEmpty(t, seen)
}

// TestProgressLine: with a progress writer (as -realtime on a terminal
// gets), one line shows the phase, the simulated time and the split, and it
// is wiped before the scenario's own text.
func TestProgressLine(t *testing.T) {
	var out, progress bytes.Buffer
	r, err := newRunner(options{entities: 50, seed: 1, fault: "panic", view: viewOptions{report: filepath.Join(t.TempDir(), "r.html")}}, &out)
	require.NoError(t, err)
	require.NoError(t, r.attachView(io.Discard))
	r.view.obs.progress = &progress
	r.run()
	passed, _ := r.report()
	require.NoError(t, r.finishView(passed))
	p := progress.String()
	assert.Contains(t, p, "\r\x1b[K▶ Phase 0: Setup Baseline (10s) | t=")
	assert.Regexp(t, `\| split v1 100%`, p)
	assert.True(t, strings.HasSuffix(p, "\r\x1b[K"), "wiped at the end")
	assert.NotContains(t, out.String(), "▶", "the scenario's text stays clean")
}

func TestBadHTTPAddress(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"-entities", "10", "-http", "127.0.0.1:notaport"}, &out, &errOut)
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut.String(), "-http 127.0.0.1:notaport")
}

// TestWriteReportPNG writes docs/report.png, the README's screenshot of a
// real report (its two charts). It runs only with -png:
//
//	go test ./cmd/demo -run TestWriteReportPNG -png
func TestWriteReportPNG(t *testing.T) {
	if !*writePNG {
		t.Skip("run with -png to write docs/report.png")
	}
	path := filepath.Join(t.TempDir(), "report.html")
	var out, errOut bytes.Buffer
	require.Contains(t, []int{0, 1}, run([]string{"-entities", "1000", "-report", path}, &out, &errOut))
	img := browserCheck(t, path, "1280,1100")
	data := reportcheck.ShrinkPNG(t, img, 150<<10)
	require.NoError(t, os.MkdirAll(filepath.Join("..", "..", "docs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join("..", "..", "docs", "report.png"), data, 0o644))
	t.Logf("docs/report.png: %d bytes", len(data))
}
