package prometheus_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	groveprom "github.com/grove-engine/grove/contrib/prometheus"
	"github.com/grove-engine/grove/ecs"
	v1 "github.com/grove-engine/grove/systems/v1"
	"github.com/grove-engine/grove/versioning"
)

// A game exposes its engine to Prometheus: the recorder observes each
// frame, and a scrape reads its latest snapshot without waiting for one.
func Example() {
	engine, _ := versioning.New(versioning.WithFrameBudget(0))
	_ = engine.AddModule("game")
	_ = engine.Register("game", v1.Version{})
	_ = engine.Load("game", 1)
	cols := ecs.MakeColumns(v1.Layout, 100)
	_, _ = engine.Spawn("game", 1, &cols)
	registry := prometheus.NewRegistry()
	mux := http.NewServeMux()
	dt := time.Second / 60

	// snippet:prometheus
	rec, err := groveprom.NewRecorder(engine) // groveprom.WithDeployments(orchestrator) adds rollouts
	if err != nil {
		panic(err)
	}
	registry.MustRegister(groveprom.NewCollector(rec))
	mux.Handle("/metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	for range 60 { // the game loop
		_ = engine.Tick(dt)
		rec.Observe() // once per frame, after Tick
	}
	// end snippet

	families, _ := registry.Gather()
	for _, f := range families {
		if f.GetName() == "grove_version_entities" {
			fmt.Println(f.GetName(), f.GetMetric()[0].GetGauge().GetValue())
		}
	}
	// Output: grove_version_entities 100
}
