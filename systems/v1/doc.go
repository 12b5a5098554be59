// Package v1 is version 1 of Grove's GameLogic module, the baseline: every
// entity moves by its velocity each frame (x += vx·dt, y += vy·dt), with no
// collision detection.
//
// [Version] describes it to the engine (number, [Layout], migrations) and
// [Logic] is one loaded instance with its [Logic.Schedule]. v1 declares no
// migrations: later versions declare how to convert to and from it. Its system
// uses the per-entity [ecs.Query] (arche's query), the idiomatic ECS loop; v3
// is the version that runs whole columns through SIMD kernels.
//
// The package imports only [github.com/grove-engine/grove/ecs] and the
// scenario's components, [github.com/grove-engine/grove/systems/scenario];
// there are no build tags.
package v1
