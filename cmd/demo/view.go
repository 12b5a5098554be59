package main

import (
	"fmt"
	"io"
	"time"

	"github.com/grove-engine/grove/internal/htmlreport"
)

// view is a scenario's observer with what was asked of it: a report file,
// a live view, a progress line. A nil *view does nothing.
type view struct {
	obs  *observer
	opt  viewOptions
	live *liveView
}

// startView wraps an observer in a view and starts the live view if -http
// asks for it. The scenarios' attachView call it only when something is
// asked (viewOptions.wanted); otherwise their view stays nil and they run
// exactly as without it.
func startView(o *observer, opt viewOptions, stderr io.Writer) (*view, error) {
	v := &view{obs: o, opt: opt}
	if opt.http != "" {
		live, err := startLive(opt.http, o)
		if err != nil {
			return nil, fmt.Errorf("-http %s: %w", opt.http, err)
		}
		v.live = live
		fmt.Fprintf(stderr, "demo: live view on %s (/status, /metrics)\n", live.URL())
	}
	return v, nil
}

// wanted reports whether the options (and the terminal) ask for an
// observer.
func (opt viewOptions) wanted(realtime bool, out io.Writer) bool {
	return opt.report != "" || opt.http != "" || (realtime && isTerminal(out))
}

// finish records the verdict and tables, writes the report file and shuts
// the live view down.
func (v *view) finish(verdict htmlreport.Cell, meta []htmlreport.Field, tables ...htmlreport.Section) error {
	if v == nil {
		return nil
	}
	v.obs.finish(verdict, meta, tables...)
	var err error
	if v.opt.report != "" {
		err = v.obs.writeReport(v.opt.report)
	}
	if v.live != nil {
		if cerr := v.live.close(); err == nil {
			err = cerr
		}
	}
	return err
}

// frame samples a frame, if observed.
func (v *view) frame() {
	if v != nil {
		v.obs.frame()
	}
}

// attachView sets up the default scenario's view (see startView): the
// observer samples every frame through runner.tick, and the scenario's
// text goes through its tap, which names the phases.
func (r *runner) attachView(stderr io.Writer) error {
	opt := r.opt.view
	if !opt.wanted(r.opt.realtime, r.out) {
		return nil
	}
	o, err := newObserver(r.e, module, "Grove: multi-version coexistence")
	if err != nil {
		return err
	}
	if r.opt.realtime && isTerminal(r.out) {
		o.progress = r.out
	}
	v, err := startView(o, opt, stderr)
	if err != nil {
		return err
	}
	r.out = o.tap(r.out)
	r.view = v
	return nil
}

// finishView ends the default scenario's view with its metrics and
// assertions.
func (r *runner) finishView(passed bool) error {
	if r.view == nil {
		return nil
	}
	asserts := r.assertions()
	ok := 0
	rows := [][]htmlreport.Cell{}
	for _, a := range asserts {
		if a.ok {
			ok++
		}
		rows = append(rows, []htmlreport.Cell{htmlreport.Text(a.key), htmlreport.Check(a.ok, a.detail)})
	}
	verdict := htmlreport.Check(passed, fmt.Sprintf("%d/%d assertions", ok, len(asserts)))
	meta := []htmlreport.Field{{Key: "entities", Value: fmt.Sprint(r.opt.entities)}, {Key: "seed", Value: fmt.Sprint(r.opt.seed)},
		{Key: "fault", Value: r.opt.fault}, {Key: "frames", Value: fmt.Sprintf("%d at %d fps", r.frame, fps)},
		{Key: "wall time", Value: time.Since(r.start).Round(time.Millisecond).String()}}
	return r.view.finish(verdict, meta, r.metricsTable(),
		&htmlreport.Table{ID: "assertions", Title: "Assertions",
			Columns: []htmlreport.Column{{Title: "assertion"}, {Title: "result"}}, Rows: rows})
}

// metricsTable is the scenario's measured figures, as the text summary
// prints them.
func (r *runner) metricsTable() *htmlreport.Table {
	res := &r.res
	var maxLoad, rbTime, rbDown, gcTime time.Duration
	for _, d := range res.loadTimes {
		maxLoad = max(maxLoad, d)
	}
	if res.rollback != nil {
		rbTime, rbDown = res.rollback.Duration, res.rollback.Downtime
	}
	if res.gc != nil {
		gcTime = res.gc.Duration
	}
	row := func(name, value, target string) []htmlreport.Cell {
		return []htmlreport.Cell{htmlreport.Text(name), htmlreport.Text(value), htmlreport.Text(target)}
	}
	return &htmlreport.Table{ID: "metrics", Title: "Scenario metrics",
		Columns: []htmlreport.Column{{Title: "metric"}, {Title: "value", Numeric: true}, {Title: "target"}},
		Rows: [][]htmlreport.Cell{
			row("version load time (max)", fmt.Sprintf("%.2f ms", ms(maxLoad)), "< 200 ms"),
			row("canary accuracy", fmt.Sprintf("%.1f%%", res.canary), "10% ± 2"),
			row("traffic split accuracy", fmt.Sprintf("±%.3f points", res.maxDeviation), "± 2 points"),
			row("state migration time (max step)", fmt.Sprintf("%.3f ms", ms(res.migrationMax)), "< 500 ms"),
			row("rollback time", fmt.Sprintf("%.2f ms", ms(rbTime)), "< 200 ms"),
			row("rollback downtime", fmt.Sprintf("%.2f ms, %d frames missed", ms(rbDown), res.framesMissed), "< 1000 ms, 0 missed"),
			row("memory isolation", r.isolation(), "100%"),
			row("GC trigger time", fmt.Sprintf("%.2f s", res.gcTrigger.Seconds()), "10 s"),
			row("GC efficiency", fmt.Sprintf("%.1f%%", r.gcEfficiency()), "> 95%"),
			row("GC time", fmt.Sprintf("%.2f ms", ms(gcTime)), "< 100 ms"),
			row("versions with entities at once", fmt.Sprint(res.maxPopulated), "3"),
			row("total entities", fmt.Sprint(r.opt.entities), "constant"),
		}}
}

// attachView sets up the deployment scenario's view: as the default
// scenario's, plus the orchestrator's records as decision markers and
// timelines, and its status in /status and /metrics.
func (d *deployDemo) attachView(opt viewOptions, stderr io.Writer) error {
	if !opt.wanted(false, d.out) {
		return nil
	}
	o, err := newObserver(d.e, module, "Grove: automated deployments")
	if err != nil {
		return err
	}
	o.watchDeployments(d.o)
	v, err := startView(o, opt, stderr)
	if err != nil {
		return err
	}
	d.out = o.tap(d.out)
	d.view = v
	return nil
}

// finishView ends the deployment scenario's view with each deployment's
// outcome and checks.
func (d *deployDemo) finishView(passed bool) error {
	if d.view == nil {
		return nil
	}
	var rows [][]htmlreport.Cell
	ok := 0
	for _, r := range d.results {
		p := r.passed()
		if p {
			ok++
		}
		rows = append(rows, []htmlreport.Cell{htmlreport.Text(r.Name), htmlreport.Text(r.Strategy),
			htmlreport.Check(p, r.Outcome), htmlreport.Text(r.expect),
			htmlreport.Text(fmt.Sprintf("%.0f%%", r.MaxWeight)), htmlreport.Text(fmt.Sprint(len(r.Decisions)))})
		for _, c := range r.checks {
			rows = append(rows, []htmlreport.Cell{htmlreport.Text(""), htmlreport.Text(""), htmlreport.Check(c.ok, c.what)})
		}
	}
	for _, p := range d.problems {
		rows = append(rows, []htmlreport.Cell{htmlreport.Text("problem"), htmlreport.Text(""), htmlreport.Fail(p)})
	}
	verdict := htmlreport.Check(passed, fmt.Sprintf("%d/%d deployments as expected", ok, len(d.results)))
	meta := []htmlreport.Field{{Key: "entities", Value: fmt.Sprint(d.opt.entities)}, {Key: "seed", Value: fmt.Sprint(d.opt.seed)}}
	return d.view.finish(verdict, meta, &htmlreport.Table{ID: "outcomes", Title: "Deployments and checks",
		Columns: []htmlreport.Column{{Title: "deployment"}, {Title: "strategy"}, {Title: "outcome"}, {Title: "expected"},
			{Title: "max weight", Numeric: true}, {Title: "decisions", Numeric: true}},
		Rows: rows})
}
