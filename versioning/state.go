package versioning

import "fmt"

// State is where a registered version is in its life.
type State int

// The states of a version. Active and Failed versions are loaded; a Failed
// version may also have been unloaded by GC, and it stays Failed (it is not
// chosen as a rollback target) until it is loaded or reloaded by hand.
const (
	// StateUnloaded: registered, not loaded.
	StateUnloaded State = iota + 1
	// StateLoading: a load or reload is running the version's callbacks.
	StateLoading
	// StateActive: loaded and healthy; it may hold entities and traffic.
	StateActive
	// StateDraining: loaded and healthy, with no traffic but still holding
	// entities (pinned ones, or ones waiting to move).
	StateDraining
	// StateIdle: loaded and healthy, with no traffic and no entities; GC
	// unloads it after the module's threshold.
	StateIdle
	// StateFailed: its step failed; it gets no traffic until it is loaded
	// or reloaded by hand.
	StateFailed
)

func (s State) String() string {
	switch s {
	case StateUnloaded:
		return "unloaded"
	case StateLoading:
		return "loading"
	case StateActive:
		return "active"
	case StateDraining:
		return "draining"
	case StateIdle:
		return "idle"
	case StateFailed:
		return "failed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}
