package telemetry

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grove-engine/grove/versioning"
	"github.com/grove-engine/grove/versioning/deploy"
)

// ErrBadConfig is returned by [NewRecorder] for an invalid [Config].
var ErrBadConfig = errors.New("telemetry: bad config")

// DeploymentSource is where a recorder reads the rollouts' status from; a
// *deploy.Orchestrator is one.
type DeploymentSource interface {
	Statuses() []deploy.Status
}

// Config configures a [Recorder]. The zero value is valid.
type Config struct {
	// Modules are the modules observed; nil means every module of the
	// engine, as [versioning.Engine.Modules] lists them when a snapshot is
	// taken.
	Modules []string
	// Buckets are the upper bounds, in seconds, of the step-time-per-
	// entity histogram, strictly increasing, finite and positive; nil means
	// [DefaultBuckets].
	Buckets []float64
	// Every is the simulated time between two snapshots (0: a snapshot
	// after every observed frame).
	Every time.Duration
	// Deployments, if set, adds the rollouts' status to each snapshot.
	Deployments DeploymentSource
}

// Recorder samples an engine from the game loop and publishes snapshots
// that scrapers read without touching the engine. See the package
// documentation.
type Recorder struct {
	e   *versioning.Engine
	cfg Config

	mu       sync.Mutex // serialises Observe and Refresh
	hists    map[histKey]*hist
	frame    uint64 // the last frame observed
	observed bool
	next     time.Duration // simulated time of the next snapshot

	snap atomic.Pointer[Snapshot]
}

type histKey struct {
	module  string
	version int
}

// hist is one version's step-time-per-entity histogram: counts per bucket
// (not cumulative; the last one is above every bound), their sum, and the
// sum of the observations.
type hist struct {
	counts []uint64
	sum    float64
}

// Snapshot is what a recorder published: the engine's metrics as of one
// frame. It is never modified once published, so any goroutine may read it.
type Snapshot struct {
	// SimTime and Frame are the engine's simulated time and frame count.
	SimTime time.Duration
	Frame   uint64
	// Modules holds each observed module's metrics.
	Modules []versioning.ModuleMetrics
	// Steps holds the step-time-per-entity histograms, by module (in the
	// order of Modules) and ascending version.
	Steps []StepHistogram
	// Deployments holds the rollouts' status, if the recorder has a
	// deployment source.
	Deployments []deploy.Status
}

// StepHistogram is one version's histogram of step time per entity, in
// seconds: one observation per frame the recorder observed in which the
// version stepped entities without failing.
type StepHistogram struct {
	Module  string
	Version int
	// Bounds are the buckets' upper bounds; Cumulative[i] counts the
	// observations ≤ Bounds[i]. Count counts them all, Sum adds them up.
	Bounds     []float64
	Cumulative []uint64
	Count      uint64
	Sum        float64
}

// NewRecorder returns a recorder of e. It fails with [ErrBadConfig] for a
// nil engine, bad buckets or a negative interval.
func NewRecorder(e *versioning.Engine, cfg Config) (*Recorder, error) {
	if e == nil {
		return nil, fmt.Errorf("%w: nil engine", ErrBadConfig)
	}
	if cfg.Every < 0 {
		return nil, fmt.Errorf("%w: interval %v", ErrBadConfig, cfg.Every)
	}
	if cfg.Buckets == nil {
		cfg.Buckets = DefaultBuckets
	}
	if len(cfg.Buckets) == 0 {
		return nil, fmt.Errorf("%w: no buckets", ErrBadConfig)
	}
	for i, b := range cfg.Buckets {
		if !(b > 0) || math.IsInf(b, 0) || (i > 0 && b <= cfg.Buckets[i-1]) {
			return nil, fmt.Errorf("%w: buckets %v: want finite, positive, strictly increasing bounds", ErrBadConfig, cfg.Buckets)
		}
	}
	cfg.Buckets = slices.Clone(cfg.Buckets)
	cfg.Modules = slices.Clone(cfg.Modules)
	return &Recorder{e: e, cfg: cfg, hists: map[histKey]*hist{}}, nil
}

// Observe samples the engine's last frame. Call it from the game loop once
// per frame, after Tick (a frame already observed is not counted again;
// frames not observed are missing from the histogram). It adds each
// version's step time per entity to its histogram, and publishes a new
// snapshot when the previous one is Config.Every of simulated time old.
// It is safe to call from several goroutines, but meant for the one that
// ticks.
func (r *Recorder) Observe() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f := r.e.Frame(); !r.observed || f != r.frame {
		r.observed, r.frame = true, f
		for _, m := range r.modules() {
			stats, err := r.e.LastFrame(m)
			if err != nil {
				continue
			}
			for _, st := range stats {
				if st.Failed || st.Entities == 0 {
					continue
				}
				r.histOf(m, st.Version).observe(r.cfg.Buckets, st.Step.Seconds()/float64(st.Entities))
			}
		}
	}
	if now := r.e.Now(); r.snap.Load() == nil || now >= r.next {
		r.publish(now)
	}
}

// Refresh publishes a snapshot now, whatever Config.Every says (at the end
// of a run, for example).
func (r *Recorder) Refresh() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.publish(r.e.Now())
}

// Snapshot returns the latest snapshot, or nil before the first Observe or
// Refresh. It never blocks.
func (r *Recorder) Snapshot() *Snapshot { return r.snap.Load() }

// Buckets returns the histogram's bucket bounds, in seconds.
func (r *Recorder) Buckets() []float64 { return slices.Clone(r.cfg.Buckets) }

func (r *Recorder) modules() []string {
	if r.cfg.Modules != nil {
		return r.cfg.Modules
	}
	return r.e.Modules()
}

func (r *Recorder) histOf(module string, version int) *hist {
	k := histKey{module, version}
	h := r.hists[k]
	if h == nil {
		h = &hist{counts: make([]uint64, len(r.cfg.Buckets)+1)}
		r.hists[k] = h
	}
	return h
}

func (h *hist) observe(bounds []float64, x float64) {
	i, _ := slices.BinarySearch(bounds, x) // the first bound ≥ x
	h.counts[i]++
	h.sum += x
}

// publish takes and stores a snapshot; r.mu is held.
func (r *Recorder) publish(now time.Duration) {
	s := &Snapshot{SimTime: now, Frame: r.e.Frame()}
	for _, m := range r.modules() {
		mm, err := r.e.Metrics(m)
		if err != nil {
			continue
		}
		s.Modules = append(s.Modules, mm)
		var versions []int
		for k := range r.hists {
			if k.module == m {
				versions = append(versions, k.version)
			}
		}
		slices.Sort(versions)
		for _, v := range versions {
			h := r.hists[histKey{m, v}]
			sh := StepHistogram{Module: m, Version: v, Bounds: r.cfg.Buckets, Cumulative: make([]uint64, len(r.cfg.Buckets)), Sum: h.sum}
			for i, c := range h.counts {
				sh.Count += c
				if i < len(sh.Cumulative) {
					sh.Cumulative[i] = sh.Count
				}
			}
			s.Steps = append(s.Steps, sh)
		}
	}
	if r.cfg.Deployments != nil {
		s.Deployments = r.cfg.Deployments.Statuses()
	}
	r.snap.Store(s)
	r.next = now + r.cfg.Every
}
