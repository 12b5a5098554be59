package v2

import (
	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// Number is this version's number.
const Number = 2

// Layout is v2's world layout: position, velocity and collided (false by
// default).
var Layout = ecs.MustLayout(scenario.Position, scenario.Velocity, scenario.Collided)

// The world bounds outside which an entity counts as collided.
const (
	Min = 0
	Max = 1000
)

// Version describes v2 to the engine. The zero value is ready to use.
type Version struct{}

// Number returns 2.
func (Version) Number() int { return Number }

// Components returns [Layout].
func (Version) Components() *ecs.Layout { return Layout }

// Migrations declares v1→v2 (collided starts false, v2's default) and
// v2→v1 (collided is dropped). Both steps are derived from the layouts.
func (Version) Migrations() []ecs.Migration {
	return []ecs.Migration{{From: 1, To: Number}, {From: Number, To: 1}}
}

// NewLogic returns a fresh v2 instance.
func (Version) NewLogic() (ecs.Logic, error) { return Logic{}, nil }

// Logic is a loaded v2 instance. It holds no state.
type Logic struct{}

// Schedule is "move" then "collide".
func (Logic) Schedule() ecs.Schedule {
	return ecs.Schedule{
		{Name: "move", Reads: ecs.SetOf(scenario.Position, scenario.Velocity), Writes: ecs.SetOf(scenario.Position), Run: Move},
		{Name: "collide", Reads: ecs.SetOf(scenario.Position), Writes: ecs.SetOf(scenario.Collided), Run: Collide},
	}
}

// Move advances every entity by its velocity, exactly as v1 does.
func Move(v *ecs.View, dt float32) error {
	pos, velo := ecs.Access(v, scenario.Position), ecs.Access(v, scenario.Velocity)
	q := v.Query()
	for q.Next() {
		p, vel := pos.Get(&q), velo.Get(&q)
		p.X += float32(vel.X * dt)
		p.Y += float32(vel.Y * dt)
	}
	return nil
}

// Collide sets each entity's collided flag when it is outside [Min, Max]².
func Collide(v *ecs.View, _ float32) error {
	pos, col := ecs.Access(v, scenario.Position), ecs.Access(v, scenario.Collided)
	q := v.Query()
	for q.Next() {
		p := pos.Get(&q)
		*col.Get(&q) = p.X < Min || p.X > Max || p.Y < Min || p.Y > Max
	}
	return nil
}
