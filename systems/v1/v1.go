package v1

import "github.com/grove-engine/grove/ecs"

// Number is this version's number.
const Number = 1

// Components is the set of columns a v1 world holds.
const Components = ecs.MaskPosition | ecs.MaskVelocity

// Version describes v1 to the engine. The zero value is ready to use.
type Version struct{}

// Number returns 1.
func (Version) Number() int { return Number }

// Components returns position and velocity.
func (Version) Components() ecs.Mask { return Components }

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
		Reads:  ecs.MaskPosition | ecs.MaskVelocity,
		Writes: ecs.MaskPosition,
		Run:    Move,
	}}
}

// Move advances every entity by its velocity: p += float32(v·dt). The
// explicit conversion keeps the product rounded on its own (never fused into
// an FMA), so every platform and the SIMD kernels compute the same bits.
func Move(w *ecs.World, dt float32) error {
	q := w.Query()
	for q.Next() {
		p, v := q.Position(), q.Velocity()
		p.X += float32(v.X * dt)
		p.Y += float32(v.Y * dt)
	}
	return nil
}
