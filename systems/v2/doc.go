// Package v2 is version 2 of Grove's GameLogic module: v1's movement plus
// collision detection against the world's bounds. An entity's collided flag is
// set each frame when it is outside [0, 1000]² (x < 0 || x > 1000 || y < 0 ||
// y > 1000).
//
// [Version] describes it to the engine and declares the migrations v1→v2
// (collided starts false) and v2→v1 (the flag is dropped). [Logic] is one
// loaded instance. Its systems use the per-entity [ecs.Query] (arche's
// query).
//
// The package imports only [github.com/grove-engine/grove/ecs] and the
// scenario's components, [github.com/grove-engine/grove/systems/scenario];
// there are no build tags.
package v2
