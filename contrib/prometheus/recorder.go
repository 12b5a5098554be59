package prometheus

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/grove-engine/grove/internal/telemetry"
	"github.com/grove-engine/grove/versioning"
)

// ErrBadOption is returned by [NewRecorder] for an invalid option.
var ErrBadOption = errors.New("prometheus: bad option")

// DeploymentSource is where a recorder reads rollouts from: a
// *deploy.Orchestrator (its Statuses method).
type DeploymentSource = telemetry.DeploymentSource

// Option configures a [Recorder].
type Option func(*telemetry.Config) error

// WithModules limits the recorder to the given modules (default: every
// module of the engine).
func WithModules(modules ...string) Option {
	return func(c *telemetry.Config) error {
		if len(modules) == 0 {
			return fmt.Errorf("%w: no modules", ErrBadOption)
		}
		c.Modules = slices.Clone(modules)
		return nil
	}
}

// WithBuckets sets the upper bounds, in seconds, of the step-time-per-
// entity histogram: finite, positive and strictly increasing (default
// [DefaultBuckets]).
func WithBuckets(bounds ...float64) Option {
	return func(c *telemetry.Config) error {
		if len(bounds) == 0 {
			return fmt.Errorf("%w: no buckets", ErrBadOption)
		}
		c.Buckets = slices.Clone(bounds)
		return nil
	}
}

// WithInterval sets how much simulated time passes between two snapshots
// of the engine's metrics (default 100ms; 0 means after every frame). The
// histogram counts every observed frame whatever the interval; the gauges
// and counters are as fresh as the last snapshot.
func WithInterval(d time.Duration) Option {
	return func(c *telemetry.Config) error {
		if d < 0 {
			return fmt.Errorf("%w: interval %v", ErrBadOption, d)
		}
		c.Every = d
		return nil
	}
}

// WithDeployments adds each rollout's status to the snapshots: pass the
// game's *deploy.Orchestrator.
func WithDeployments(src DeploymentSource) Option {
	return func(c *telemetry.Config) error {
		if src == nil {
			return fmt.Errorf("%w: nil deployment source", ErrBadOption)
		}
		c.Deployments = src
		return nil
	}
}

// DefaultInterval is the simulated time between snapshots unless
// [WithInterval] says otherwise.
const DefaultInterval = 100 * time.Millisecond

// DefaultBuckets are the histogram's default bounds, in seconds: 1, 2.5 and
// 5 times each power of ten from 1 ns to 100 µs per entity.
var DefaultBuckets = slices.Clone(telemetry.DefaultBuckets)

// Recorder samples an engine for a [Collector]. Its methods are safe for
// concurrent use.
type Recorder struct {
	r *telemetry.Recorder
}

// NewRecorder returns a recorder of e. Errors wrap [ErrBadOption].
func NewRecorder(e *versioning.Engine, opts ...Option) (*Recorder, error) {
	cfg := telemetry.Config{Every: DefaultInterval}
	for _, o := range opts {
		if o == nil {
			return nil, fmt.Errorf("%w: nil option", ErrBadOption)
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	r, err := telemetry.NewRecorder(e, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadOption, err)
	}
	return &Recorder{r}, nil
}

// Observe samples the engine's last frame: call it from the game loop once
// per frame, after Tick. Each version that stepped entities without failing
// adds its step time per entity to its histogram (a frame observed twice
// counts once; a frame not observed is missing). When the last snapshot is
// the interval old, Observe takes a new one (the engine's metrics, and the
// deployments' status): that cost is paid here, between two frames, never
// by a scrape.
func (r *Recorder) Observe() { r.r.Observe() }

// Refresh takes a snapshot now, whatever the interval.
func (r *Recorder) Refresh() { r.r.Refresh() }
