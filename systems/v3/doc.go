// Package v3 is version 3 of Grove's GameLogic module, the optimised one:
// gravity (vy += 9.8·dt before moving), mass, and collision detection that
// flags an entity when it leaves the world's bounds (as in v2) or overlaps
// another entity.
//
// Its systems run over whole archetype columns rather than entity by entity:
// movement and the bounds test are the SIMD kernels of
// [github.com/grove-engine/grove/asm] (AVX2 or AVX-512 chosen at run time),
// run in chunks on the engine's workers ([ecs.View.For]), and entity-entity
// contacts use the uniform-grid broad phase of
// [github.com/grove-engine/grove/spatial], rebuilt every frame.
//
// [New] builds a [Version] from [Option] values ([WithRadius],
// [WithGravity], [WithContacts]); [Version.Migrations] declares v1→v3,
// v2→v3 (collided starts false and mass at 1) and the downgrades v3→v2 and
// v3→v1. A [Logic] is one loaded instance; it keeps the grid's buffers
// between frames and reports the number of overlapping pairs through
// [Logic.ReportMetrics].
//
// The package imports ecs, asm, spatial and the scenario's components
// (systems/scenario); there are no build tags.
package v3
