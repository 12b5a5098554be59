package v2

import (
	"fmt"

	"github.com/grove-engine/grove/ecs"
)

// Number is this version's number.
const Number = 2

// Components is the set of columns a v2 world holds.
const Components = ecs.MaskPosition | ecs.MaskVelocity | ecs.MaskCollided

// The world bounds outside which an entity counts as collided.
const (
	Min = 0
	Max = 1000
)

// Version describes v2 to the engine. The zero value is ready to use.
type Version struct{}

// Number returns 2.
func (Version) Number() int { return Number }

// Components returns position, velocity and collided.
func (Version) Components() ecs.Mask { return Components }

// Migrations returns v1→v2 and v2→v1.
func (Version) Migrations() []ecs.Migration {
	return []ecs.Migration{
		{From: 1, To: Number, Apply: FromV1},
		{From: Number, To: 1, Apply: ToV1},
	}
}

// NewLogic returns a fresh v2 instance.
func (Version) NewLogic() (ecs.Logic, error) { return Logic{}, nil }

// FromV1 converts v1 rows to v2: the collided flag starts false.
func FromV1(c *ecs.Columns) error {
	if c.Mask != ecs.MaskPosition|ecs.MaskVelocity {
		return fmt.Errorf("v1→v2: %w: got %v", ecs.ErrMissingColumns, c.Mask)
	}
	c.AddColumn(ecs.MaskCollided)
	return nil
}

// ToV1 converts v2 rows to v1 by dropping the collided flag.
func ToV1(c *ecs.Columns) error {
	if c.Mask != Components {
		return fmt.Errorf("v2→v1: %w: got %v", ecs.ErrMissingColumns, c.Mask)
	}
	c.DropColumn(ecs.MaskCollided)
	return nil
}

// Logic is a loaded v2 instance. It holds no state.
type Logic struct{}

// Schedule is "move" then "collide".
func (Logic) Schedule() ecs.Schedule {
	return ecs.Schedule{
		{Name: "move", Reads: ecs.MaskPosition | ecs.MaskVelocity, Writes: ecs.MaskPosition, Run: Move},
		{Name: "collide", Reads: ecs.MaskPosition, Writes: ecs.MaskCollided, Run: Collide},
	}
}

// Move advances every entity by its velocity, exactly as v1 does.
func Move(w *ecs.World, dt float32) error {
	q := w.Query()
	for q.Next() {
		p, v := q.Position(), q.Velocity()
		p.X += float32(v.X * dt)
		p.Y += float32(v.Y * dt)
	}
	return nil
}

// Collide sets each entity's collided flag when it is outside [Min, Max]².
func Collide(w *ecs.World, _ float32) error {
	q := w.Query()
	for q.Next() {
		p := q.Position()
		*q.Collided() = p.X < Min || p.X > Max || p.Y < Min || p.Y > Max
	}
	return nil
}
