// Package ecs is Grove's shared vocabulary over the arche ECS, and the only
// package of the project that imports arche.
//
// Every loaded version of a module keeps its state in its own [World], a thin
// wrapper over one arche world whose entities all share one archetype: the
// stable [Key] plus the components the version declares in its [Mask]
// ([Position], [Velocity], [Collided], [Mass]). One archetype means every
// component is one dense column, which [World.Columns] hands out as plain Go
// slices so that systems and SIMD kernels run over whole columns.
//
// [Columns] is also the version-independent encoding of entity state: the
// engine copies rows out of one world ([World.CopyRows]), converts them with a
// [Migration], and appends them to another ([World.Append]). [Backup] keeps a
// copy of a world from before a frame, cheaply: between structural changes it
// re-copies only the columns the version's systems write.
//
// A version's logic is a [Logic]: an ordered [Schedule] of [System] values,
// each declaring what it reads and writes.
//
// Structural changes (appending or removing entities) are made by the engine
// at frame boundaries only; a [Columns] view from [World.Columns] stays valid
// until the next structural change of that world.
//
// There are no build tags.
package ecs
