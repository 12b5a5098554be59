package versioning

import "github.com/grove-engine/grove/ecs"

// Version describes one version of a module to the engine. Implementations
// live in their own packages (Grove's are systems/v1, v2 and v3); the engine
// knows them only through this interface. Go cannot unload code, so versions
// are compiled in and registered; loading one creates its world and a fresh
// [ecs.Logic], unloading drops both.
//
// [Engine.Register] calls Number, Components and Migrations once and keeps
// what they return.
type Version interface {
	// Number identifies the version within its module (> 0).
	Number() int
	// Components is the layout of the version's world: its components and
	// their default values.
	Components() *ecs.Layout
	// Migrations declares the moves this version provides, into it from
	// other versions and out of it to others (see [ecs.Migration]). The
	// engine chains the declared migrations of all registered versions of a
	// module to find a path.
	Migrations() []ecs.Migration
	// NewLogic creates a fresh instance for a load. An error or a panic makes
	// the load fail and leaves the engine unchanged.
	NewLogic() (ecs.Logic, error)
}

// The optional interfaces below are implemented by a version's logic. The
// engine calls every one of them with its lock released (so they may call
// the engine's read-only methods: Metrics, Split, Loaded, Locate, Pins,
// Now, State) and recovers their panics. They must not call the methods
// that change the engine, which would wait for the call in progress.

// Initializer is implemented by logic that prepares its world after a load
// or a reload. Init sees the world through a view, so it can write
// components but not create or remove entities. An error or panic makes the
// load or reload fail and leaves the engine unchanged: a reload's Init runs
// on a copy of the world, which replaces the world only if Init succeeds.
type Initializer interface {
	Init(v *ecs.View) error
}

// Closer is implemented by logic that releases resources when its instance
// is dropped: on unload, on reload (the old instance), on GC, and when a
// load or reload fails after the instance was created.
type Closer interface {
	Close()
}

// MetricsReporter is implemented by logic that reports metrics of its own
// (for example v3's overlapping pairs). The engine calls it after each of
// the version's successful steps with a map to fill (cleared before each
// call, so filling it allocates nothing once its keys exist); the values
// appear in [VersionMetrics].Custom.
type MetricsReporter interface {
	ReportMetrics(into map[string]float64)
}

// MemoryReporter is implemented by logic that holds buffers of its own, so
// that the version's memory accounting includes them. The engine calls it
// after each of the version's steps.
type MemoryReporter interface {
	MemoryBytes() int
}

// Stateful is implemented by logic that keeps state of its own beyond the
// world (counters, caches, learned parameters) and wants it to survive a hot
// reload. [Engine.Reload] saves the old instance's state and restores it into
// the new one; if either step fails or panics, the reload fails and the old
// instance stays.
type Stateful interface {
	SaveState() ([]byte, error)
	RestoreState([]byte) error
}
