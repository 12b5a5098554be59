// Package deploytest provides what tests, benchmarks and demos of
// deployments need to make a version behave in a chosen, reproducible way:
// a deterministic wall clock ([Clock]) and a wrapper ([Version]) that gives
// any version another number and a modelled step cost per entity, a rate of
// soft errors and a rate of failed steps.
//
// The engine measures step times with the clock given to
// [versioning.WithClock]. With a [Clock] there, the only time that passes
// during a step is the cost a wrapped version charges, so the analysis sees
// the same step times on any machine and a rollout makes the same decisions
// at the same frames in every run. The wrapped logic still runs for real.
// The clock is shared, so versions must step one at a time for each step to
// see only its own cost: create the engine with [versioning.WithWorkers](1).
//
// It imports versioning and ecs; there are no build tags.
package deploytest

import (
	"errors"
	"math"
	"sync/atomic"
	"time"

	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/versioning"
)

// Clock is a deterministic clock: it starts at 0 and moves only when
// Advance is called (by a wrapped version's step, charging its cost). Its
// Now method fits [versioning.WithClock]. It is safe for concurrent use.
type Clock struct{ ns atomic.Int64 }

// Now returns the time advanced so far.
func (c *Clock) Now() time.Duration { return time.Duration(c.ns.Load()) }

// Advance moves the clock forward by d (ignored if negative).
func (c *Clock) Advance(d time.Duration) {
	if d > 0 {
		c.ns.Add(int64(d))
	}
}

// ErrModelled is the error of a step that a [Version] fails on purpose.
var ErrModelled = errors.New("deploytest: modelled failure")

// Version wraps Inner under another number, with a modelled behaviour
// appended to its schedule as a last system, "model", that reads and
// writes nothing. Every frame it:
//   - charges n × CostNs × (1 ± Jitter) nanoseconds to Clock (if set),
//     where n is the number of entities stepped and the jitter is a
//     deterministic function of Seed and the instance's frame count;
//   - reports a soft error for each entity whose hash of (Seed, key,
//     frame count) falls below SoftRate;
//   - fails the step (returning [ErrModelled]) when the hash of (Seed,
//     frame count) falls below FailRate.
//
// Its layout is Inner's; its migrations are Inner's with Inner's number
// replaced by Num, plus derived moves between Inner's number and Num, so it
// can take Inner's place in a module where Inner is registered too.
type Version struct {
	Inner    versioning.Version
	Num      int
	Clock    *Clock
	CostNs   float64
	Jitter   float64
	SoftRate float64
	FailRate float64
	Seed     uint64
}

// Number returns Num, or Inner's number when Num is 0.
func (v Version) Number() int {
	if v.Num != 0 {
		return v.Num
	}
	return v.Inner.Number()
}

// Components returns Inner's layout.
func (v Version) Components() *ecs.Layout { return v.Inner.Components() }

// Migrations returns Inner's migrations renumbered, and the moves between
// Inner's number and Num.
func (v Version) Migrations() []ecs.Migration {
	in, n := v.Inner.Number(), v.Number()
	var out []ecs.Migration
	for _, m := range v.Inner.Migrations() {
		if m.From == in {
			m.From = n
		}
		if m.To == in {
			m.To = n
		}
		out = append(out, m)
	}
	if n != in {
		out = append(out, ecs.Migration{From: in, To: n}, ecs.Migration{From: n, To: in})
	}
	return out
}

// NewLogic returns a fresh instance of Inner's logic with the model
// appended.
func (v Version) NewLogic() (ecs.Logic, error) {
	l, err := v.Inner.NewLogic()
	if err != nil {
		return nil, err
	}
	return &Logic{inner: l, v: v}, nil
}

// Logic is a wrapped instance. It forwards [versioning.MetricsReporter],
// [versioning.MemoryReporter] and [versioning.Configurable] to the inner
// logic when it implements them.
type Logic struct {
	inner ecs.Logic
	v     Version
	frame uint64
}

// Schedule is the inner schedule followed by "model".
func (l *Logic) Schedule() ecs.Schedule {
	return append(l.inner.Schedule(), ecs.System{Name: "model", Run: l.model})
}

func (l *Logic) model(view *ecs.View, _ float32) error {
	l.frame++
	v := &l.v
	n := view.Len()
	if v.Clock != nil && v.CostNs > 0 {
		j := 1 + v.Jitter*(2*unit(mix(v.Seed, l.frame, 0x5eed))-1)
		v.Clock.Advance(time.Duration(math.Round(float64(n) * v.CostNs * j)))
	}
	if v.SoftRate > 0 {
		c := view.Columns()
		bad := 0
		for _, k := range c.Keys {
			if unit(mix(v.Seed, l.frame, uint64(k))) < v.SoftRate {
				bad++
			}
		}
		view.ReportSoftErrors(bad)
	}
	if v.FailRate > 0 && unit(mix(v.Seed^0xfa11, l.frame, 0)) < v.FailRate {
		return ErrModelled
	}
	return nil
}

// ReportMetrics forwards to the inner logic.
func (l *Logic) ReportMetrics(into map[string]float64) {
	if r, ok := l.inner.(versioning.MetricsReporter); ok {
		r.ReportMetrics(into)
	}
}

// MemoryBytes forwards to the inner logic.
func (l *Logic) MemoryBytes() int {
	if r, ok := l.inner.(versioning.MemoryReporter); ok {
		return r.MemoryBytes()
	}
	return 0
}

// ValidateConfig forwards to the inner logic, or fails with
// [versioning.ErrNotConfigurable].
func (l *Logic) ValidateConfig(cfg any) error {
	if c, ok := l.inner.(versioning.Configurable); ok {
		return c.ValidateConfig(cfg)
	}
	return versioning.ErrNotConfigurable
}

// ApplyConfig forwards to the inner logic.
func (l *Logic) ApplyConfig(cfg any) {
	if c, ok := l.inner.(versioning.Configurable); ok {
		c.ApplyConfig(cfg)
	}
}

// mix hashes three words: splitmix64's finaliser applied after folding
// in each word.
func mix(a, b, c uint64) uint64 {
	return fmix(fmix(fmix(a)^b) ^ c)
}

func fmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// unit maps a hash to [0, 1).
func unit(x uint64) float64 { return float64(x>>11) / (1 << 53) }
