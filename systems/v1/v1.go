package v1

import (
	"github.com/grove-engine/grove/ecs"
	"github.com/grove-engine/grove/systems/scenario"
)

// Number is this version's number.
const Number = 1

// Layout is v1's world layout: position and velocity.
var Layout = ecs.MustLayout(scenario.Position, scenario.Velocity)

// Version describes v1 to the engine. The zero value is ready to use.
type Version struct{}

// Number returns 1.
func (Version) Number() int { return Number }

// Components returns [Layout].
func (Version) Components() *ecs.Layout { return Layout }

// Migrations returns none: v2 and v3 declare the conversions to and from v1.
func (Version) Migrations() []ecs.Migration { return nil }

// NewLogic returns a fresh v1 instance.
func (Version) NewLogic() (ecs.Logic, error) { return Logic{}, nil }

// Logic is a loaded v1 instance. It holds no state.
type Logic struct{}

// Schedule is v1's single system, "move".
func (Logic) Schedule() ecs.Schedule {
	return ecs.Schedule{{
		Name:   "move",
		Reads:  ecs.SetOf(scenario.Position, scenario.Velocity),
		Writes: ecs.SetOf(scenario.Position),
		Run:    Move,
	}}
}

// Move advances every entity by its velocity: p += float32(v·dt). The
// explicit conversion keeps the product rounded on its own (never fused into
// an FMA), so every platform and the SIMD kernels compute the same bits.
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
