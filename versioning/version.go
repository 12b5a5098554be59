package versioning

import "github.com/grove-engine/grove/ecs"

// Version describes one version of a module to the engine. Implementations
// live in their own packages (Grove's are systems/v1, v2 and v3); the engine
// knows them only through this interface. Go cannot unload code, so versions
// are compiled in and registered; loading one creates its world and a fresh
// [ecs.Logic], unloading drops both.
type Version interface {
	// Number identifies the version within its module (> 0).
	Number() int
	// Components is the set of columns the version's world holds; it must
	// include position.
	Components() ecs.Mask
	// Migrations lists the conversions this version provides, into it from
	// older versions and out of it to older ones. The engine chains declared
	// migrations of all registered versions of a module to find a path.
	Migrations() []ecs.Migration
	// NewLogic creates a fresh instance for a load. An error or a panic makes
	// the load fail and leaves the engine unchanged.
	NewLogic() (ecs.Logic, error)
}

// Initializer is implemented by logic that prepares its world after a load.
// An error or panic makes the load fail and leaves the engine unchanged.
type Initializer interface {
	Init(w *ecs.World) error
}

// Closer is implemented by logic that releases resources on unload.
type Closer interface {
	Close()
}

// MetricsReporter is implemented by logic that reports metrics of its own
// (for example v3's overlapping pairs); they appear in
// [VersionMetrics].Custom.
type MetricsReporter interface {
	Metrics() map[string]float64
}

// MemoryReporter is implemented by logic that holds buffers of its own, so
// that the version's memory accounting includes them.
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
