package htmlreport

import (
	"math"
	"math/rand/v2"
)

// sampleEntities is the population of the sample run.
const sampleEntities = 1000

// sampleShares returns the target traffic shares (percent) of v1, v2, v3 at
// time t of the sample scenario, and whether each version is loaded.
func sampleShares(t float64) (share [3]float64, loaded [3]bool) {
	switch {
	case t < 10:
		return [3]float64{100, 0, 0}, [3]bool{true, false, false}
	case t < 50:
		return [3]float64{90, 10, 0}, [3]bool{true, true, false}
	case t < 60:
		return [3]float64{70, 30, 0}, [3]bool{true, true, false}
	case t < 70:
		return [3]float64{50, 50, 0}, [3]bool{true, true, false}
	case t < 80:
		return [3]float64{20, 80, 0}, [3]bool{true, true, false}
	case t < 90:
		return [3]float64{0, 100, 0}, [3]bool{true, true, false}
	case t < 100:
		return [3]float64{0, 100, 0}, [3]bool{false, true, false}
	case t < 120:
		return [3]float64{100, 0, 0}, [3]bool{true, true, false}
	default:
		return [3]float64{20, 30, 50}, [3]bool{true, true, true}
	}
}

// sampleReport builds the report of a realistic 150 s run of
// sampleEntities entities at fps frames per second: v1 alone, v2 canary at
// 10% from 10 s, 30/50/80/100% at 50/60/70/80 s (each step migrated over
// half a second), v1 unloaded by GC at 90 s, v2 failing at 100 s and rolled
// back to v1 at once, then v1/v2/v3 at 20/30/50 from 120 s. Step times are
// noisy (a fixed seed), and NaN where a version serves no entity or when v2
// fails, so the line chart has gaps.
func sampleReport(fps int) *Report {
	frames := 150 * fps
	rng := rand.New(rand.NewPCG(42, 7))
	counts := make([]Series, 3)
	steps := make([]Series, 3)
	for v := range counts {
		counts[v].Name = "v" + itoa(v+1)
		steps[v].Name = counts[v].Name
	}
	base := [3]float64{41.5, 26.8, 18.9}
	noise := [3]float64{2.2, 1.6, 1.1}
	var cur [3]float64
	cur[0] = sampleEntities
	ramp := 0.5 * float64(fps) // frames to migrate one step
	for f := 0; f <= frames; f++ {
		t := float64(f) / float64(fps)
		share, loaded := sampleShares(t)
		var target [3]float64
		for v := range target {
			target[v] = share[v] / 100 * sampleEntities
		}
		instant := t >= 100 && t < 100+1/float64(fps) // the rollback moves everything in one frame
		for v := range cur {
			d := target[v] - cur[v]
			maxMove := sampleEntities / ramp * 0.9
			if instant || math.Abs(d) <= maxMove {
				cur[v] = target[v]
			} else {
				cur[v] += math.Copysign(maxMove, d)
			}
		}
		// rounding may leave the total off by one during a ramp: give the
		// difference to the largest layer so the total stays constant
		sum := math.Round(cur[0]) + math.Round(cur[1]) + math.Round(cur[2])
		for v := range cur {
			if !loaded[v] {
				continue
			}
			n := math.Round(cur[v])
			if v == argmax(cur) {
				n += sampleEntities - sum
			}
			counts[v].Points = append(counts[v].Points, Point{t, n})
			y := math.NaN()
			if n > 0 {
				y = base[v] + 600/max(n, 20) + rng.NormFloat64()*noise[v]
				if v == 1 && t >= 99 && t < 100 { // v2 degrades before it fails
					y += (t - 99) * 60
				}
				if v == 1 && t >= 100 && t < 100.05 {
					y = math.NaN() // the failing frame
				}
			}
			steps[v].Points = append(steps[v].Points, Point{t, y})
		}
	}
	return &Report{
		Title:    "Grove run: canary, GC, rollback, three-way split",
		Subtitle: "Three versions of the movement logic over 150 s of simulated time",
		Verdict:  Pass("10/10 assertions passed"),
		Meta: []Field{
			{"machine", "linux/amd64, 2 cores"},
			{"date", "2025-06-01"},
			{"entities", "1,000"},
			{"frames", itoa(frames) + " @ " + itoa(fps) + " fps"},
			{"seed", "42"},
			{"go", "go1.26"},
		},
		Events: []Event{
			{At: 0, Kind: EventInfo, Label: "v1 loaded", Detail: "load 2.8 ms"},
			{At: 10, Kind: EventStep, Label: "canary 10%", Detail: "v2 loaded in 3.1 ms; 100 entities migrated"},
			{At: 30, Kind: EventDecision, Label: "analysis ok", Detail: "v2 26.8 ns/entity vs v1 41.5; 0 errors"},
			{At: 50, Kind: EventStep, Label: "30%", Detail: "200 entities migrated in 0.41 ms"},
			{At: 60, Kind: EventStep, Label: "50%", Detail: "200 entities migrated in 0.39 ms"},
			{At: 70, Kind: EventStep, Label: "80%", Detail: "300 entities migrated in 0.52 ms"},
			{At: 80, Kind: EventStep, Label: "100%", Detail: "200 entities migrated in 0.37 ms"},
			{At: 90, Kind: EventGC, Label: "v1 GC", Detail: "idle 10.0 s; unloaded in 0.8 ms, 96.4% reclaimed"},
			{At: 100, Kind: EventFailure, Label: "v2 failed", Detail: "NaN in 3 entities' positions"},
			{At: 100, Kind: EventRollback, Label: "rollback → v1", Detail: "1000 entities restored in 4.2 ms; 0 frames missed"},
			{At: 120, Kind: EventStep, Label: "split 20/30/50", Detail: "v1 20%, v2 30%, v3 50%"},
		},
		Sections: []Section{
			&AreaChart{ID: "entities", Title: "Entities per version", Note: "stacked; total constant at 1,000",
				YLabel: "entities", Series: counts},
			&LineChart{ID: "step-time", Title: "Step time per entity", Note: "gaps where a version serves no entity",
				YLabel: "step time (ns/entity)", Series: steps},
			&Timeline{ID: "deployments", Title: "Deployments", Deployments: []Deployment{
				{Name: "v2 canary", Version: "v2", Verdict: Fail("rolled back"),
					Weight: []Point{{10, 10}, {50, 30}, {60, 50}, {70, 80}, {80, 100}, {100, 0}},
					Decisions: []Decision{
						{At: 10, Action: "start", Reason: "canary at 10%"},
						{At: 50, Action: "advance", Reason: "26.8 ns/entity vs 41.5 baseline; 0 errors", Status: StatusPass},
						{At: 60, Action: "advance", Reason: "27.0 ns/entity; 0 errors", Status: StatusPass},
						{At: 70, Action: "advance", Reason: "26.9 ns/entity; 0 errors", Status: StatusPass},
						{At: 80, Action: "promote", Reason: "all checks passed for 30 s", Status: StatusPass},
						{At: 100, Action: "rollback", Reason: "NaN in 3 entities' positions", Status: StatusFail},
					}},
				{Name: "v2.1 fix", Version: "v2", Verdict: Pass("healthy"),
					Weight:    []Point{{120, 30}},
					Decisions: []Decision{{At: 120, Action: "start", Reason: "NaN guard added"}, {At: 140, Action: "hold", Reason: "within budget", Status: StatusPass}}},
				{Name: "v3 canary", Version: "v3", Verdict: Cell{"analysing", StatusWarn},
					Weight:    []Point{{120, 50}},
					Decisions: []Decision{{At: 120, Action: "start", Reason: "three-way split 20/30/50"}, {At: 140, Action: "hold", Reason: "18.9 ns/entity; 30 s of 60 s window"}}},
			}},
			&EventTable{ID: "events", Title: "Events"},
			&Table{ID: "metrics", Title: "Metrics", Columns: []Column{{Title: "metric"}, {Title: "value", Numeric: true}, {Title: "threshold"}, {Title: "result"}},
				Rows: [][]Cell{
					{Text("version load time"), Text("3.10 ms"), Text("< 200 ms"), Pass("")},
					{Text("canary accuracy"), Text("10.0%"), Text("10% ± 2%"), Pass("")},
					{Text("state migration time"), Text("0.520 ms"), Text("< 500 ms"), Pass("")},
					{Text("rollback time"), Text("4.20 ms"), Text("< 200 ms"), Pass("")},
					{Text("GC efficiency"), Text("96.4%"), Text("> 95%"), Pass("")},
					{Text("total entities"), Text("1000"), Text("constant"), Pass("")},
				}},
			&Table{ID: "assertions", Title: "Assertions", Columns: []Column{{Title: "assertion"}, {Title: "detail"}, {Title: "result"}},
				Rows: [][]Cell{
					{Text("multi_version_loading"), Text("3 versions loaded at once, each load < 200ms"), Pass("")},
					{Text("canary_deployment_accurate"), Text("canary 10.0% of 1000"), Pass("")},
					{Text("progressive_migration_no_loss"), Text("4 steps, max 0.520ms"), Pass("")},
					{Text("rollback_fast_and_safe"), Text(""), Pass("")},
					{Text("auto_gc_triggered"), Text(""), Pass("")},
					{Text("three_way_coexistence"), Text("3 versions with entities"), Pass("")},
				}},
		},
	}
}

// argmax returns the index of the largest value.
func argmax(v [3]float64) int {
	i := 0
	for j := range v {
		if v[j] > v[i] {
			i = j
		}
	}
	return i
}
