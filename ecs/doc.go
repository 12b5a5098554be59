// Package ecs is Grove's vocabulary over the arche ECS, and the only package
// of the project that imports arche.
//
// # Components
//
// A game registers its own components: [Register] takes any fixed-size Go
// type without pointers (bool, sized integers, floats, and arrays and structs
// of them) under a name, and derives its [Schema] by reflection: size,
// alignment, and every field with its dotted path, [Kind] and offset. The
// name is the component's identity across versions: two versions may declare
// their own Go types under one name, and they are the same component when
// their layouts match ([Component.SameLayout]). This package declares no game
// components.
//
// A version's world holds a [Layout]: a set of components ([Set], a 256-bit
// bitset) with a default value for each ([Default]).
//
// # Worlds and columns
//
// Every loaded version of a module keeps its state in its own [World], a thin
// wrapper over one arche world whose entities all share one archetype: the
// stable [Key] plus the layout's components. One archetype means every
// component is one dense column, which [World.Columns] hands out as a
// type-erased [Columns]; [Column] gives a typed zero-copy slice of one
// component, [Float32s] a flat float32 view for SIMD kernels, and [Get] (or,
// resolved once per system for arche's own speed, an [Accessor]) a typed
// pointer inside a per-entity [Query].
//
// [Columns] is also the version-independent encoding of entity state: the
// engine copies rows out of one world ([World.CopyRows]), converts them
// ([MigrateRows], driven by a declared [Migration]) and appends them to
// another ([World.Append]). Everything that moves data works on whole
// columns of bytes, for any component set: append, row gather, row removal,
// [Backup] (which between structural changes re-copies only the components
// the version's systems write), [Columns.Checksum], [Equal] and the
// non-finite check ([Columns.FirstNonFinite]).
//
// # Logic
//
// A version's logic is a [Logic]: an ordered [Schedule] of [System] values,
// each declaring what it reads and writes and running over a [View] of its
// world, which offers columns, queries and a parallel-for ([View.For]) but
// no structural changes: the engine makes those at frame boundaries only.
//
// There are no build tags.
package ecs
