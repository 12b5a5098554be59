package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grove-engine/grove/internal/htmlreport"
	"github.com/grove-engine/grove/internal/telemetry"
	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
)

// viewOptions are the flags of the picture of a run, shared by both
// scenarios: -report writes the HTML report at the end, -http serves it
// live with /status and /metrics while the demo runs.
type viewOptions struct {
	report string
	http   string
}

// register adds -report and -http to a flag set.
func (v *viewOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&v.report, "report", "", "write a self-contained HTML report of the run to this file")
	fs.StringVar(&v.http, "http", "", "serve the live report, /status and /metrics on this address (e.g. 127.0.0.1:8080) while the demo runs")
}

// observer samples one module of an engine once per frame (cheaply: the
// frame's [versioning.Engine.LastFrame] and the split) and collects the
// events, for the HTML report and the live view. The game loop calls
// frame after every Tick; the live view's handlers read from other
// goroutines, so the samples are guarded by mu, which the game loop holds
// only to append and a handler only to copy.
type observer struct {
	e      *versioning.Engine
	module string
	title  string
	rec    *telemetry.Recorder
	// progress, if set, gets a one-line progress indicator rewritten in
	// place (-realtime on a terminal).
	progress io.Writer
	// onFrame, if set, is called after each observed frame with no lock
	// held (tests hit the live view from it).
	onFrame func()

	mu          sync.Mutex
	phase       string
	entities    map[int][]htmlreport.Point
	step        map[int][]htmlreport.Point // ns per entity, one median per window
	pending     map[int][]float64          // this window's ns per entity
	window      int64                      // index of the current window
	events      []htmlreport.Event
	split       map[int]float64
	prevNow     float64 // simulated time of the previous frame, in seconds
	deployments *deploy.Orchestrator
	rollouts    []*htmlreport.Deployment
	candidates  map[string]int
	final       []htmlreport.Section // set when the run ends
	verdict     htmlreport.Cell
	meta        []htmlreport.Field
	running     bool
	shown       bool      // a progress line is on screen
	lastShown   time.Time // wall time it was last drawn
}

// newObserver starts observing module of e: it subscribes to the engine's
// events and publishes telemetry snapshots every 100ms of simulated time.
func newObserver(e *versioning.Engine, module, title string) (*observer, error) {
	o := &observer{e: e, module: module, title: title, entities: map[int][]htmlreport.Point{},
		step: map[int][]htmlreport.Point{}, pending: map[int][]float64{}, candidates: map[string]int{}, running: true}
	rec, err := telemetry.NewRecorder(e, telemetry.Config{Modules: []string{module}, Every: 100 * time.Millisecond, Deployments: o})
	if err != nil {
		return nil, err
	}
	o.rec = rec
	e.Subscribe(o.onEvent)
	o.split, _ = e.Split(module)
	return o, nil
}

// Statuses is the deployments' status for the telemetry snapshots (none
// unless watchDeployments was called).
func (o *observer) Statuses() []deploy.Status {
	o.mu.Lock()
	d := o.deployments
	o.mu.Unlock()
	if d == nil {
		return nil
	}
	return d.Statuses()
}

// watchDeployments adds a deployment orchestrator: each of its records
// becomes a decision marker and a step of its rollout's timeline, and its
// status goes to /status and /metrics. Call it before the first Deploy.
func (o *observer) watchDeployments(d *deploy.Orchestrator) {
	o.mu.Lock()
	o.deployments = d
	o.mu.Unlock()
	d.Subscribe(o.onRecord)
}

// setPhase names what the scenario is doing now.
func (o *observer) setPhase(p string) {
	o.mu.Lock()
	o.phase = p
	o.mu.Unlock()
}

// frame samples the frame that just ran. The game loop calls it after
// every Tick.
func (o *observer) frame() {
	stats, _ := o.e.LastFrame(o.module)
	split, _ := o.e.Split(o.module)
	now := o.e.Now().Seconds()
	o.mu.Lock()
	if w := int64(now / stepWindow); w != o.window {
		o.flushWindow()
		o.window = w
	}
	for _, st := range stats {
		if st.Failed {
			continue // its entities left it in this frame
		}
		o.entities[st.Version] = append(o.entities[st.Version], htmlreport.Point{X: now, Y: float64(st.Entities)})
		if st.Entities > 0 {
			ns := float64(st.Step.Nanoseconds()) / float64(st.Entities)
			o.pending[st.Version] = append(o.pending[st.Version], ns)
		}
	}
	if !maps.Equal(split, o.split) {
		// The split changed at the frame boundary before this frame.
		o.split = split
		o.events = append(o.events, htmlreport.Event{At: o.prevNow, Kind: htmlreport.EventStep, Label: "split " + splitText(split)})
	}
	o.prevNow = now
	o.mu.Unlock()
	o.rec.Observe()
	o.drawProgress(false)
	if o.onFrame != nil {
		o.onFrame()
	}
}

// stepWindow is the simulated time, in seconds, over which the step-time
// chart takes the median of the frames' step time per entity: one slow
// frame (a garbage collection of the Go runtime, a page fault) would
// otherwise flatten the chart.
const stepWindow = 0.5

// flushWindow adds the median of each version's pending step times to its
// line, at the window's end; o.mu is held.
func (o *observer) flushWindow() {
	at := float64(o.window+1) * stepWindow
	for v, xs := range o.pending {
		if len(xs) == 0 {
			continue
		}
		slices.Sort(xs)
		o.step[v] = append(o.step[v], htmlreport.Point{X: min(at, o.prevNow), Y: xs[len(xs)/2]})
		o.pending[v] = xs[:0]
	}
}

// onEvent turns the engine's notable events into markers.
func (o *observer) onEvent(ev versioning.Event) {
	at := ev.SimTime.Seconds()
	var add []htmlreport.Event
	switch ev.Kind {
	case versioning.EventAfterLoad:
		add = append(add, htmlreport.Event{At: at, Kind: htmlreport.EventInfo, Label: fmt.Sprintf("v%d loaded", ev.Version),
			Detail: fmt.Sprintf("in %v", ev.Duration)})
	case versioning.EventGC:
		add = append(add, htmlreport.Event{At: at, Kind: htmlreport.EventGC, Label: fmt.Sprintf("GC v%d", ev.Version),
			Detail: fmt.Sprintf("idle %.2fs, %d bytes accounted, %d freed", ev.IdleFor.Seconds(), ev.MemoryBytes, ev.Freed)})
	case versioning.EventRollback:
		if ev.Err != nil {
			add = append(add, htmlreport.Event{At: at, Kind: htmlreport.EventFailure, Label: fmt.Sprintf("v%d fails", ev.From),
				Detail: ev.Err.Error()})
		}
		to := fmt.Sprintf("v%d", ev.To)
		if ev.To == 0 {
			to = "nowhere"
		}
		add = append(add, htmlreport.Event{At: at, Kind: htmlreport.EventRollback, Label: fmt.Sprintf("rollback v%d→%s", ev.From, to),
			Detail: fmt.Sprintf("%d entities, served %v, tolerated %v, took %v", ev.Entities, ev.Served, ev.Tolerated, ev.Duration)})
	case versioning.EventIsolation, versioning.EventError:
		detail := ""
		if ev.Err != nil {
			detail = ev.Err.Error()
		}
		add = append(add, htmlreport.Event{At: at, Kind: htmlreport.EventFailure, Label: ev.Kind.String(), Detail: detail})
	}
	if len(add) == 0 {
		return
	}
	o.mu.Lock()
	o.events = append(o.events, add...)
	o.mu.Unlock()
}

// onRecord turns a deployment record into a decision marker and a step of
// its rollout's timeline.
func (o *observer) onRecord(r deploy.Record) {
	cand := 0
	if r.Action == deploy.Start {
		if st, err := o.deploymentsStatus(r.Module); err == nil && st.Name == r.Rollout {
			cand = st.Candidate
		}
	}
	at := r.SimTime.Seconds()
	o.mu.Lock()
	defer o.mu.Unlock()
	if cand != 0 {
		o.candidates[r.Rollout] = cand
	}
	var d *htmlreport.Deployment
	for _, x := range o.rollouts {
		if x.Name == r.Rollout {
			d = x
		}
	}
	if d == nil {
		d = &htmlreport.Deployment{Name: r.Rollout}
		if c := o.candidates[r.Rollout]; c != 0 {
			d.Version = fmt.Sprintf("v%d", c)
		}
		o.rollouts = append(o.rollouts, d)
	}
	if c := o.candidates[r.Rollout]; c != 0 {
		d.Weight = append(d.Weight, htmlreport.Point{X: at, Y: 100 * r.Weights[c]})
	}
	status := htmlreport.StatusNone
	switch r.Action {
	case deploy.Advance, deploy.Complete:
		status = htmlreport.StatusPass
	case deploy.RollBack, deploy.Abort:
		status = htmlreport.StatusFail
	}
	d.Decisions = append(d.Decisions, htmlreport.Decision{At: at, Action: r.Action.String(), Reason: r.Reason, Status: status})
	d.Verdict = phaseCell(r.Phase)
	o.events = append(o.events, htmlreport.Event{At: at, Kind: htmlreport.EventDecision,
		Label: r.Rollout + ": " + r.Action.String(), Detail: r.Reason})
}

func (o *observer) deploymentsStatus(module string) (deploy.Status, error) {
	o.mu.Lock()
	d := o.deployments
	o.mu.Unlock()
	return d.Status(module)
}

// phaseCell is a rollout's verdict badge for its phase.
func phaseCell(p deploy.Phase) htmlreport.Cell {
	switch p {
	case deploy.PhaseCompleted:
		return htmlreport.Pass(p.String())
	case deploy.PhaseFailed, deploy.PhaseAborted:
		return htmlreport.Fail(p.String())
	}
	return htmlreport.Cell{Text: p.String(), Status: htmlreport.StatusWarn}
}

// splitText is "v1 90% · v2 10%".
func splitText(split map[int]float64) string {
	var parts []string
	for _, v := range slices.Sorted(maps.Keys(split)) {
		parts = append(parts, fmt.Sprintf("v%d %.0f%%", v, 100*split[v]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " · ")
}

// finish ends the run: the snapshot is refreshed, the progress line
// cleared, and the final tables (metrics, assertions) and verdict kept
// for the report.
func (o *observer) finish(verdict htmlreport.Cell, meta []htmlreport.Field, tables ...htmlreport.Section) {
	o.rec.Refresh()
	o.drawProgress(true)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushWindow()
	o.running = false
	o.verdict, o.meta, o.final = verdict, meta, tables
	o.phase = "done"
}

// report builds the page from what was observed so far: the entities and
// step-time charts, the deployments' timelines (if any), the events, the
// engine's metrics per version and, once the run ended, its tables.
func (o *observer) report() *htmlreport.Report {
	o.mu.Lock()
	defer o.mu.Unlock()
	series := func(m map[int][]htmlreport.Point) []htmlreport.Series {
		var out []htmlreport.Series
		for _, v := range slices.Sorted(maps.Keys(m)) {
			out = append(out, htmlreport.Series{Name: fmt.Sprintf("v%d", v), Points: slices.Clone(m[v])})
		}
		return out
	}
	r := &htmlreport.Report{Title: o.title, Meta: slices.Clone(o.meta), Events: slices.Clone(o.events), Verdict: o.verdict}
	if o.running {
		r.Subtitle = fmt.Sprintf("running: %s, t=%.1fs, split %s", o.phase, o.prevNow, splitText(o.split))
		r.Verdict = htmlreport.Cell{Text: "running", Status: htmlreport.StatusWarn}
	}
	r.Sections = append(r.Sections,
		&htmlreport.AreaChart{ID: "entities", Title: "Entities per version", YLabel: "entities", Series: series(o.entities)},
		&htmlreport.LineChart{ID: "step-time", Title: "Step time per entity", YLabel: "step time (ns/entity)",
			Note: fmt.Sprintf("median over each %.1f s of simulated time", stepWindow), Series: series(o.step), MaxGap: 2 * stepWindow},
	)
	if len(o.rollouts) > 0 {
		var ds []htmlreport.Deployment
		for _, d := range o.rollouts {
			c := *d
			c.Weight, c.Decisions = slices.Clone(d.Weight), slices.Clone(d.Decisions)
			ds = append(ds, c)
		}
		r.Sections = append(r.Sections, &htmlreport.Timeline{ID: "deployments", Title: "Deployments",
			Note: "the candidate's weight, each decision and the verdict", Deployments: ds})
	}
	r.Sections = append(r.Sections, &htmlreport.EventTable{ID: "events", Title: "Events"})
	r.Sections = append(r.Sections, versionTable(o.rec.Snapshot()))
	r.Sections = append(r.Sections, o.final...)
	return r
}

// versionTable is the engine's metrics of each version, from a telemetry
// snapshot.
func versionTable(s *telemetry.Snapshot) *htmlreport.Table {
	t := &htmlreport.Table{ID: "versions", Title: "Engine metrics per version",
		Columns: []htmlreport.Column{{Title: "version"}, {Title: "state"}, {Title: "traffic", Numeric: true},
			{Title: "entities", Numeric: true}, {Title: "frames", Numeric: true}, {Title: "mean step", Numeric: true},
			{Title: "p99 step", Numeric: true}, {Title: "memory", Numeric: true}, {Title: "errors", Numeric: true},
			{Title: "soft errors", Numeric: true}}}
	if s == nil {
		return t
	}
	for _, mm := range s.Modules {
		for _, vm := range mm.Versions {
			state := htmlreport.Text(vm.State.String())
			if vm.Failed {
				state = htmlreport.Fail(vm.State.String())
			}
			t.Rows = append(t.Rows, []htmlreport.Cell{
				htmlreport.Text(fmt.Sprintf("v%d", vm.Version)), state,
				htmlreport.Text(fmt.Sprintf("%.1f%%", 100*vm.Traffic)),
				htmlreport.Text(fmt.Sprint(vm.Entities)), htmlreport.Text(fmt.Sprint(vm.Frames)),
				htmlreport.Text(vm.MeanStep.String()), htmlreport.Text(vm.P99Step.String()),
				htmlreport.Text(fmt.Sprintf("%.2f MB", float64(vm.MemoryBytes)/1e6)),
				htmlreport.Text(fmt.Sprint(vm.Errors)), htmlreport.Text(fmt.Sprint(vm.SoftErrors)),
			})
		}
	}
	return t
}

// writeReport renders the final report to path.
func (o *observer) writeReport(path string) error {
	var buf bytes.Buffer
	if err := htmlreport.Render(&buf, o.report()); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// tap returns a writer that passes the scenario's text on to w, and first
// clears the progress line if one is shown. A line "=== NAME ===" names
// the phase.
func (o *observer) tap(w io.Writer) io.Writer { return &tapWriter{o: o, w: w} }

type tapWriter struct {
	o *observer
	w io.Writer
}

func (t *tapWriter) Write(p []byte) (int, error) {
	o := t.o
	o.mu.Lock()
	wipe := o.shown && o.progress != nil
	o.shown = false
	o.mu.Unlock()
	if wipe {
		fmt.Fprint(o.progress, "\r\x1b[K")
	}
	for _, line := range strings.Split(string(p), "\n") {
		if strings.HasPrefix(line, "=== ") && strings.HasSuffix(line, " ===") {
			o.setPhase(strings.TrimSuffix(strings.TrimPrefix(line, "=== "), " ==="))
		}
	}
	return t.w.Write(p)
}

// drawProgress rewrites the progress line (at most ten times a second of
// wall time, unless final, which clears it for good).
func (o *observer) drawProgress(final bool) {
	if o.progress == nil {
		return
	}
	o.mu.Lock()
	if final {
		shown := o.shown
		o.shown = false
		o.mu.Unlock()
		if shown {
			fmt.Fprint(o.progress, "\r\x1b[K")
		}
		return
	}
	if time.Since(o.lastShown) < 100*time.Millisecond {
		o.mu.Unlock()
		return
	}
	o.lastShown = time.Now()
	o.shown = true
	line := fmt.Sprintf("\r\x1b[K▶ %s | t=%.1fs | split %s", o.phase, o.prevNow, splitText(o.split))
	o.mu.Unlock()
	fmt.Fprint(o.progress, line)
}

// isTerminal reports whether w is a character device (a terminal), where a
// line rewritten with \r makes sense.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
