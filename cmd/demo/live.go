package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/grove-engine/grove/internal/htmlreport"
	"github.com/grove-engine/grove/internal/telemetry"
	"github.com/grove-engine/grove/versioning/deploy"
)

// liveRefresh is how often the live page reloads itself.
const liveRefresh = 2 * time.Second

// liveView serves an observer over HTTP while the demo runs:
//
//	/         the report, reloading itself every 2 s (htmlreport.WithRefresh)
//	/status   JSON: phase, simulated time, split, per-version metrics, deployments
//	/metrics  the Prometheus text exposition, the families of internal/telemetry
//
// The core module does not depend on client_golang, so /metrics is written
// by telemetry.WriteText from the same definitions contrib/prometheus's
// collector uses. Handlers read only the observer's samples (under its
// mutex, copied) and the recorder's latest snapshot (an atomic load): they
// never call the engine, so a request never waits for a frame.
type liveView struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// startLive binds exactly addr (host:port; port 0 picks a free one) and
// serves o in the background.
func startLive(addr string, o *observer) (*liveView, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		var buf bytes.Buffer
		if err := htmlreport.Render(&buf, o.report(), htmlreport.WithRefresh(liveRefresh)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(buf.Bytes())
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(o.status())
	})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", telemetry.ContentType)
		_ = telemetry.WriteText(w, telemetry.Families(o.rec.Snapshot()))
	})
	v := &liveView{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}, ln: ln, done: make(chan error, 1)}
	go func() { v.done <- v.srv.Serve(ln) }()
	return v, nil
}

// URL is the live view's address.
func (v *liveView) URL() string { return "http://" + v.ln.Addr().String() + "/" }

// close shuts the server down cleanly: no new connections, the requests in
// flight finish (for at most 5 s).
func (v *liveView) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := v.srv.Shutdown(ctx)
	if serr := <-v.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// liveStatus is /status.
type liveStatus struct {
	Title   string             `json:"title"`
	Running bool               `json:"running"`
	Phase   string             `json:"phase"`
	SimTime float64            `json:"sim_time_s"`
	Frame   uint64             `json:"frame"`
	Split   map[string]float64 `json:"split"`
	// Module is the scenario's module, from the latest telemetry snapshot
	// (at most 100ms of simulated time old).
	Module      *moduleStatus   `json:"module,omitempty"`
	Deployments []deploy.Status `json:"deployments,omitempty"`
}

type moduleStatus struct {
	Name          string          `json:"name"`
	Entities      int             `json:"entities"`
	Frames        uint64          `json:"frames"`
	FramesMissed  uint64          `json:"frames_missed"`
	Lost          uint64          `json:"lost"`
	OverheadBytes int             `json:"overhead_bytes"`
	Versions      []versionStatus `json:"versions"`
}

type versionStatus struct {
	Version             int                `json:"version"`
	State               string             `json:"state"`
	Traffic             float64            `json:"traffic"`
	Entities            int                `json:"entities"`
	Frames              uint64             `json:"frames"`
	MeanStepSeconds     float64            `json:"mean_step_s"`
	P99StepSeconds      float64            `json:"p99_step_s"`
	MemoryBytes         int                `json:"memory_bytes"`
	UptimeSeconds       float64            `json:"uptime_s"`
	LoadSeconds         float64            `json:"load_s"`
	Errors              int                `json:"errors"`
	Failed              bool               `json:"failed"`
	MeanBackupSeconds   float64            `json:"mean_backup_s"`
	MeanCheckSeconds    float64            `json:"mean_check_s"`
	IsolationViolations int                `json:"isolation_violations"`
	SoftErrors          uint64             `json:"soft_errors"`
	EntitySteps         uint64             `json:"entity_steps"`
	Custom              map[string]float64 `json:"custom,omitempty"`
}

// status is what /status answers.
func (o *observer) status() liveStatus {
	o.mu.Lock()
	st := liveStatus{Title: o.title, Running: o.running, Phase: o.phase, SimTime: o.prevNow, Split: map[string]float64{}}
	for _, v := range slices.Sorted(maps.Keys(o.split)) {
		st.Split["v"+strconv.Itoa(v)] = o.split[v]
	}
	o.mu.Unlock()
	snap := o.rec.Snapshot()
	if snap == nil {
		return st
	}
	st.Frame = snap.Frame
	st.Deployments = snap.Deployments
	for _, mm := range snap.Modules {
		ms := &moduleStatus{Name: mm.Module, Entities: mm.Entities, Frames: mm.Frames, FramesMissed: mm.FramesMissed,
			Lost: mm.Lost, OverheadBytes: mm.OverheadBytes}
		for _, vm := range mm.Versions {
			ms.Versions = append(ms.Versions, versionStatus{Version: vm.Version, State: vm.State.String(), Traffic: vm.Traffic,
				Entities: vm.Entities, Frames: vm.Frames, MeanStepSeconds: vm.MeanStep.Seconds(), P99StepSeconds: vm.P99Step.Seconds(),
				MemoryBytes: vm.MemoryBytes, UptimeSeconds: vm.Uptime.Seconds(), LoadSeconds: vm.LoadTime.Seconds(),
				Errors: vm.Errors, Failed: vm.Failed, MeanBackupSeconds: vm.MeanBackup.Seconds(), MeanCheckSeconds: vm.MeanCheck.Seconds(),
				IsolationViolations: vm.IsolationViolations, SoftErrors: vm.SoftErrors, EntitySteps: vm.EntitySteps, Custom: vm.Custom})
		}
		st.Module = ms
	}
	return st
}
