package v3

import (
	"errors"
	"fmt"
	"math"

	"github.com/grove-engine/grove/asm"
	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/spatial"
)

// Number is this version's number.
const Number = 3

// Components is the set of columns a v3 world holds.
const Components = ecs.MaskAll

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

// Components returns position, velocity, collided and mass.
func (Version) Components() ecs.Mask { return Components }

// Migrations returns v1→v3, v2→v3, v3→v2 and v3→v1.
func (Version) Migrations() []ecs.Migration {
	return []ecs.Migration{
		{From: 1, To: Number, Apply: FromV1},
		{From: 2, To: Number, Apply: FromV2},
		{From: Number, To: 2, Apply: ToV2},
		{From: Number, To: 1, Apply: ToV1},
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

const (
	v1Mask = ecs.MaskPosition | ecs.MaskVelocity
	v2Mask = v1Mask | ecs.MaskCollided
)

func expect(c *ecs.Columns, m ecs.Mask, name string) error {
	if c.Mask != m {
		return fmt.Errorf("%s: %w: got %v, want %v", name, ecs.ErrMissingColumns, c.Mask, m)
	}
	return nil
}

// FromV1 converts v1 rows to v3: collided starts false, mass at 1.
func FromV1(c *ecs.Columns) error {
	if err := expect(c, v1Mask, "v1→v3"); err != nil {
		return err
	}
	c.AddColumn(ecs.MaskCollided | ecs.MaskMass)
	c.FillMass(1)
	return nil
}

// FromV2 converts v2 rows to v3: mass starts at 1.
func FromV2(c *ecs.Columns) error {
	if err := expect(c, v2Mask, "v2→v3"); err != nil {
		return err
	}
	c.AddColumn(ecs.MaskMass)
	c.FillMass(1)
	return nil
}

// ToV2 converts v3 rows to v2 by dropping mass.
func ToV2(c *ecs.Columns) error {
	if err := expect(c, Components, "v3→v2"); err != nil {
		return err
	}
	c.DropColumn(ecs.MaskMass)
	return nil
}

// ToV1 converts v3 rows to v1 by dropping collided and mass.
func ToV1(c *ecs.Columns) error {
	if err := expect(c, Components, "v3→v1"); err != nil {
		return err
	}
	c.DropColumn(ecs.MaskCollided | ecs.MaskMass)
	return nil
}

// Logic is a loaded v3 instance. It keeps the broad phase's buffers, so it
// allocates nothing per frame once warmed up. Not safe for concurrent use.
type Logic struct {
	cfg   config
	grid  spatial.Grid
	pairs []spatial.Pair
	last  int // overlapping pairs found in the last frame
}

// Schedule is "gravity", "bounds" and, unless turned off, "contacts".
func (l *Logic) Schedule() ecs.Schedule {
	s := ecs.Schedule{
		{Name: "gravity", Reads: ecs.MaskPosition | ecs.MaskVelocity, Writes: ecs.MaskPosition | ecs.MaskVelocity, Run: l.Gravity},
		{Name: "bounds", Reads: ecs.MaskPosition, Writes: ecs.MaskCollided, Run: Bounds},
	}
	if l.cfg.contacts {
		s = append(s, ecs.System{Name: "contacts", Reads: ecs.MaskPosition | ecs.MaskCollided, Writes: ecs.MaskCollided, Run: l.Contacts})
	}
	return s
}

// Gravity applies v += g·dt then p += v·dt over the whole columns with the
// SIMD kernel [asm.Gravity].
func (l *Logic) Gravity(w *ecs.World, dt float32) error {
	c := w.Columns()
	asm.Gravity(ecs.Floats(c.Position), ecs.Floats(c.Velocity), l.cfg.gravity[0], l.cfg.gravity[1], dt)
	return nil
}

// Bounds sets collided = outside [Min, Max]² (NaN counts as outside) with the
// SIMD kernel [asm.Bounds].
func Bounds(w *ecs.World, _ float32) error {
	c := w.Columns()
	asm.Bounds(ecs.Flags(c.Collided), ecs.Floats(c.Position), Min, Max)
	return nil
}

// Contacts also sets collided for every entity that overlaps another: the
// grid (cells of side 2·radius) finds all pairs whose centres are at most
// 2·radius apart.
func (l *Logic) Contacts(w *ecs.World, _ float32) error {
	c := w.Columns()
	if err := l.grid.Build(ecs.Floats(c.Position), 2*l.cfg.radius); err != nil {
		return err
	}
	var err error
	l.pairs, err = l.grid.Pairs(l.pairs[:0], l.cfg.radius)
	if err != nil {
		return err
	}
	for _, p := range l.pairs {
		c.Collided[p.A] = true
		c.Collided[p.B] = true
	}
	l.last = len(l.pairs)
	return nil
}

// Metrics reports "pairs", the overlapping pairs found in the last frame.
func (l *Logic) Metrics() map[string]float64 {
	return map[string]float64{"pairs": float64(l.last)}
}
