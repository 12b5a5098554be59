package v3

import (
	"errors"
	"fmt"
	"math"

	"github.com/grove-engine/grove/asm"
	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/spatial"
	"github.com/grove-engine/grove/systems/scenario"
)

// Number is this version's number.
const Number = 3

// Layout is v3's world layout: position, velocity, collided (false by
// default) and mass (1 by default).
var Layout = ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided, ecs.Default(scenario.Mass, 1))

// The world bounds outside which an entity counts as collided, as in v2.
const (
	Min = 0
	Max = 1000
)

// DefaultRadius is the collision radius of an entity unless [WithRadius]
// says otherwise: two entities touch when their centres are at most
// 2·radius apart.
const DefaultRadius = 0.5

// ErrBadOption is returned by [New] for an option value out of range.
var ErrBadOption = errors.New("v3: bad option")

// Option configures a v3 [Version].
type Option func(*config) error

type config struct {
	radius   float32
	gravity  [2]float32
	contacts bool
}

// WithRadius sets the collision radius: > 0, and small enough that the
// grid's cells (2·radius) are finite float32 values.
func WithRadius(r float32) Option {
	return func(c *config) error {
		if !(r > 0) || math.IsInf(float64(2*r), 0) {
			return fmt.Errorf("%w: radius %v", ErrBadOption, r)
		}
		c.radius = r
		return nil
	}
}

// WithGravity sets the acceleration applied before moving (default (0, 9.8)).
func WithGravity(ax, ay float32) Option {
	return func(c *config) error {
		if math.IsNaN(float64(ax)) || math.IsNaN(float64(ay)) || math.IsInf(float64(ax), 0) || math.IsInf(float64(ay), 0) {
			return fmt.Errorf("%w: gravity (%v, %v)", ErrBadOption, ax, ay)
		}
		c.gravity = [2]float32{ax, ay}
		return nil
	}
}

// WithContacts turns the entity-entity contact pass on (the default) or off;
// with it off, collided means only "outside the bounds", as in v2.
func WithContacts(on bool) Option {
	return func(c *config) error {
		c.contacts = on
		return nil
	}
}

// Version describes a configured v3 to the engine. The zero value is v3 with
// the default options, like New().
type Version struct {
	cfg *config // nil: defaults
}

func defaults() config {
	return config{radius: DefaultRadius, gravity: [2]float32{0, 9.8}, contacts: true}
}

// New returns a v3 Version configured by opts, or an error wrapping
// [ErrBadOption].
func New(opts ...Option) (Version, error) {
	cfg := defaults()
	for _, o := range opts {
		if err := o(&cfg); err != nil {
			return Version{}, err
		}
	}
	return Version{cfg: &cfg}, nil
}

// Number returns 3.
func (Version) Number() int { return Number }

// Components returns [Layout].
func (Version) Components() *ecs.Layout { return Layout }

// Migrations declares v1→v3, v2→v3 (collided starts false and mass at 1,
// v3's defaults) and the downgrades v3→v2 and v3→v1 (the components the
// target lacks are dropped). Every step is derived from the layouts.
func (Version) Migrations() []ecs.Migration {
	return []ecs.Migration{
		{From: 1, To: Number},
		{From: 2, To: Number},
		{From: Number, To: 2},
		{From: Number, To: 1},
	}
}

// NewLogic returns a fresh v3 instance with its own grid buffers.
func (v Version) NewLogic() (ecs.Logic, error) {
	cfg := defaults()
	if v.cfg != nil {
		cfg = *v.cfg
	}
	return &Logic{cfg: cfg}, nil
}

// Logic is a loaded v3 instance. It keeps the broad phase's buffers, so it
// allocates nothing per frame once warmed up. Not safe for concurrent use.
type Logic struct {
	cfg   config
	grid  spatial.Grid
	pairs []spatial.Pair
	last  int // overlapping pairs found in the last frame
	// k is the running system's arguments for the parallel kernels' chunk
	// functions, which are built once, on first use: a closure built in
	// every call escapes through the view's runner and would allocate every
	// frame. k's slices are dropped when the system returns.
	k                         kernelArgs
	gravityChunk, boundsChunk func(lo, hi int)
}

// kernelArgs are the columns and time step a chunk function works on.
type kernelArgs struct {
	p, vel []float32
	col    []bool
	dt     float32
}

// Schedule is "gravity", "bounds" and, unless turned off, "contacts".
func (l *Logic) Schedule() ecs.Schedule {
	pos, vel, col := scenario.Position, scenario.Velocity, scenario.Collided
	s := ecs.Schedule{
		{Name: "gravity", Reads: ecs.SetOf(pos, vel), Writes: ecs.SetOf(pos, vel), Run: l.Gravity},
		{Name: "bounds", Reads: ecs.SetOf(pos), Writes: ecs.SetOf(col), Run: l.bounds},
	}
	if l.cfg.contacts {
		s = append(s, ecs.System{Name: "contacts", Reads: ecs.SetOf(pos, col), Writes: ecs.SetOf(col), Run: l.Contacts})
	}
	return s
}

// grain is the chunk granularity of the parallel kernels, in entities: 8
// entities are 64 bytes of a Vec2 column, one cache line.
const grain = 8

// Gravity applies v += g·dt then p += v·dt over the whole columns with the
// SIMD kernel [asm.Gravity], in chunks on the engine's workers.
func (l *Logic) Gravity(v *ecs.View, dt float32) error {
	c := v.Columns()
	if l.gravityChunk == nil {
		l.gravityChunk = func(lo, hi int) {
			k := &l.k
			asm.Gravity(k.p[2*lo:2*hi], k.vel[2*lo:2*hi], l.cfg.gravity[0], l.cfg.gravity[1], k.dt)
		}
	}
	l.k = kernelArgs{p: ecs.Float32s(&c, scenario.Position), vel: ecs.Float32s(&c, scenario.Velocity), dt: dt}
	err := v.For(c.Len(), grain, l.gravityChunk)
	l.k = kernelArgs{}
	return err
}

// Bounds sets collided = outside [Min, Max]² (NaN counts as outside) with the
// SIMD kernel [asm.Bounds], in chunks on the engine's workers.
func Bounds(v *ecs.View, _ float32) error {
	c := v.Columns()
	p, col := ecs.Float32s(&c, scenario.Position), ecs.Column(&c, scenario.Collided)
	return v.For(c.Len(), grain, func(lo, hi int) {
		asm.Bounds(col[lo:hi], p[2*lo:2*hi], Min, Max)
	})
}

// bounds is [Bounds] with the logic's chunk function, which allocates
// nothing per frame: the "bounds" system of the schedule.
func (l *Logic) bounds(v *ecs.View, _ float32) error {
	c := v.Columns()
	if l.boundsChunk == nil {
		l.boundsChunk = func(lo, hi int) {
			k := &l.k
			asm.Bounds(k.col[lo:hi], k.p[2*lo:2*hi], Min, Max)
		}
	}
	l.k = kernelArgs{p: ecs.Float32s(&c, scenario.Position), col: ecs.Column(&c, scenario.Collided)}
	err := v.For(c.Len(), grain, l.boundsChunk)
	l.k = kernelArgs{}
	return err
}

// Contacts also sets collided for every entity that overlaps another: the
// grid (cells of side 2·radius) finds all pairs whose centres are at most
// 2·radius apart.
func (l *Logic) Contacts(v *ecs.View, _ float32) error {
	c := v.Columns()
	l.grid.SetRunner(v.Runner()) // the engine's workers (nil: serial)
	if err := l.grid.Build(ecs.Float32s(&c, scenario.Position), 2*l.cfg.radius); err != nil {
		return err
	}
	var err error
	l.pairs, err = l.grid.Pairs(l.pairs[:0], l.cfg.radius)
	if err != nil {
		return err
	}
	col := ecs.Column(&c, scenario.Collided)
	for _, p := range l.pairs {
		col[p.A] = true
		col[p.B] = true
	}
	l.last = len(l.pairs)
	return nil
}

// ReportMetrics reports "pairs", the overlapping pairs found in the last
// frame (the engine's MetricsReporter).
func (l *Logic) ReportMetrics(into map[string]float64) {
	into["pairs"] = float64(l.last)
}

// Config is v3's configuration as a value, for hot patches through
// [versioning.Engine.Configure] (Logic implements versioning.Configurable):
// the engine checks it with [Logic.ValidateConfig], applies it with
// [Logic.ApplyConfig] at a frame boundary and then reads the schedule
// again, so Contacts adds or removes the "contacts" system.
type Config struct {
	// Radius is the collision radius, as for [WithRadius].
	Radius float32
	// GravityX and GravityY are the acceleration, as for [WithGravity].
	GravityX, GravityY float32
	// Contacts turns the contact pass on or off, as [WithContacts].
	Contacts bool
}

// Config returns the instance's current configuration.
func (l *Logic) Config() Config {
	return Config{Radius: l.cfg.radius, GravityX: l.cfg.gravity[0], GravityY: l.cfg.gravity[1], Contacts: l.cfg.contacts}
}

// configOf validates cfg, a Config or a non-nil *Config, completely.
func configOf(cfg any) (config, error) {
	var c Config
	switch v := cfg.(type) {
	case Config:
		c = v
	case *Config:
		if v == nil {
			return config{}, fmt.Errorf("%w: nil *v3.Config", ErrBadOption)
		}
		c = *v
	default:
		return config{}, fmt.Errorf("%w: config of type %T, want v3.Config", ErrBadOption, cfg)
	}
	out := defaults()
	for _, o := range []Option{WithRadius(c.Radius), WithGravity(c.GravityX, c.GravityY), WithContacts(c.Contacts)} {
		if err := o(&out); err != nil {
			return config{}, err
		}
	}
	return out, nil
}

// ValidateConfig checks that cfg is a Config (or *Config) whose every
// value New would accept; errors wrap [ErrBadOption]. It changes nothing.
func (l *Logic) ValidateConfig(cfg any) error {
	_, err := configOf(cfg)
	return err
}

// ApplyConfig applies a configuration ValidateConfig accepted; it ignores
// one it would reject.
func (l *Logic) ApplyConfig(cfg any) {
	if c, err := configOf(cfg); err == nil {
		l.cfg = c
	}
}
