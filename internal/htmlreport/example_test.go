package htmlreport_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/grove-engine/grove/internal/htmlreport"
)

// A report with an entities chart, a step-time chart, the events and the
// assertions, rendered for a live view that reloads every 2 seconds.
func Example() {
	entities := []htmlreport.Series{
		{Name: "v1", Points: []htmlreport.Point{{X: 0, Y: 100}, {X: 10, Y: 90}, {X: 20, Y: 90}}},
		{Name: "v2", Points: []htmlreport.Point{{X: 10, Y: 10}, {X: 20, Y: 10}}}, // loaded at 10 s
	}
	stepTime := []htmlreport.Series{
		{Name: "v1", Points: []htmlreport.Point{{X: 0, Y: 41}, {X: 10, Y: 42}, {X: 20, Y: 40}}},
		{Name: "v2", Points: []htmlreport.Point{{X: 10, Y: 27}, {X: 20, Y: 26}}},
	}
	r := &htmlreport.Report{
		Title: "Grove run",
		Meta:  []htmlreport.Field{{Key: "entities", Value: "100"}, {Key: "seed", Value: "42"}},
		Events: []htmlreport.Event{
			{At: 10, Kind: htmlreport.EventStep, Label: "canary 10%", Detail: "v2 loaded"},
		},
		Sections: []htmlreport.Section{
			&htmlreport.AreaChart{ID: "entities", Title: "Entities per version", YLabel: "entities", Series: entities},
			&htmlreport.LineChart{ID: "step", Title: "Step time", YLabel: "step time (ns/entity)", Series: stepTime},
			&htmlreport.EventTable{ID: "events", Title: "Events"},
			&htmlreport.Table{ID: "assertions", Title: "Assertions",
				Columns: []htmlreport.Column{{Title: "assertion"}, {Title: "result"}},
				Rows: [][]htmlreport.Cell{
					{htmlreport.Text("canary_deployment_accurate"), htmlreport.Pass("")},
					{htmlreport.Text("total_entities_constant"), htmlreport.Check(false, "99 ≠ 100")},
				}},
		},
	}
	var page bytes.Buffer
	if err := htmlreport.Render(&page, r, htmlreport.WithRefresh(2*time.Second)); err != nil {
		fmt.Println(err)
		return
	}
	out := page.String()
	fmt.Println("charts:", strings.Count(out, `class="chart"`))
	fmt.Println("series:", strings.Count(out, `class="series"`))
	fmt.Println("markers:", strings.Count(out, `class="marker"`))
	fmt.Println("refresh:", strings.Contains(out, `<meta http-equiv="refresh" content="2" />`))
	// Output:
	// charts: 2
	// series: 4
	// markers: 2
	// refresh: true
}

// Downsample keeps the shape of a long series in a few points.
func ExampleDownsample() {
	pts := make([]htmlreport.Point, 9000)
	for i := range pts {
		pts[i] = htmlreport.Point{X: float64(i) / 60, Y: 40}
	}
	pts[4500].Y = 90 // one slow frame
	small := htmlreport.Downsample(pts, 600)
	peak := 0.0
	for _, p := range small {
		peak = max(peak, p.Y)
	}
	fmt.Println(len(small), peak)
	// Output: 600 90
}
