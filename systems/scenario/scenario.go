package scenario

import "github.com/grove-engine/grove/ecs"

// Vec2 is a 2-D vector of float32: two consecutive float32, so a column of
// them is an interleaved x, y []float32 ([ecs.Float32s]).
type Vec2 struct{ X, Y float32 }

// The scenario's components, registered under their names.
var (
	// Position is an entity's position in world units.
	Position = ecs.MustRegister[Vec2]("position")
	// Velocity is an entity's velocity in world units per second.
	Velocity = ecs.MustRegister[Vec2]("velocity")
	// Collided is the collision flag that v2 and later set each frame.
	Collided = ecs.MustRegister[bool]("collided")
	// Mass is an entity's mass, introduced by v3.
	Mass = ecs.MustRegister[float32]("mass")
)
