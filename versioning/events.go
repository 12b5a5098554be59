package versioning

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// EventKind says what an [Event] reports.
type EventKind int

// The kinds of events.
const (
	// EventAfterLoad: Version was loaded (or reloaded); Duration is the load time.
	EventAfterLoad EventKind = iota + 1
	// EventBeforeUnload: Version is about to be unloaded (by Unload, Reload,
	// RemoveModule or GC). It is delivered outside the lock before the
	// unload; if a listener (or another goroutine) changes the version so
	// that the unload is no longer allowed, no EventAfterUnload follows.
	EventBeforeUnload
	// EventAfterUnload: Version was unloaded.
	EventAfterUnload
	// EventMigration: Entities moved From → To; Duration is the time to copy,
	// migrate, remove and append them.
	EventMigration
	// EventGC: Version was collected after IdleFor of simulated idleness;
	// Duration is the GC time, MemoryBytes what the version held, Freed the
	// heap the collection released.
	EventGC
	// EventRollback: Entities of From were restored from its backup and moved
	// to To. Err is the failure that caused it (nil when called by hand).
	EventRollback
	// EventIsolation: stepping Version changed another version's data (From).
	EventIsolation
	// EventError: something failed that no call could return, for example a
	// split that could not be re-applied after a despawn; Err says what.
	EventError
)

func (k EventKind) String() string {
	switch k {
	case EventAfterLoad:
		return "after-load"
	case EventBeforeUnload:
		return "before-unload"
	case EventAfterUnload:
		return "after-unload"
	case EventMigration:
		return "migration"
	case EventGC:
		return "gc"
	case EventRollback:
		return "rollback"
	case EventIsolation:
		return "isolation"
	case EventError:
		return "error"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports something the engine did. Fields that do not apply to a kind
// are zero.
type Event struct {
	Kind     EventKind
	Module   string
	Version  int
	From, To int
	Entities int
	// Duration is wall time: load, migration, rollback or GC time.
	Duration time.Duration
	// Downtime (rollback) is the wall time from the start of the failing
	// step until its entities had been served by the target version.
	Downtime time.Duration
	// Served (rollback) reports whether the restored entities were stepped by
	// the target version in the failing frame, so no frame went without
	// service.
	Served bool
	// Reloaded (rollback) reports whether the target had to be loaded again.
	Reloaded bool
	// IdleFor (GC) is the simulated time the version had been idle.
	IdleFor time.Duration
	// MemoryBytes (GC) is the memory accounted to the version; Freed the heap
	// bytes the collection released (runtime.ReadMemStats around
	// runtime.GC), or 0 when GC measurement is off.
	MemoryBytes int64
	Freed       int64
	// SimTime is the simulated time of the event.
	SimTime time.Duration
	Err     error
}

// Listener receives events. Listeners run on the goroutine that made the call
// (or Tick), after the engine's lock is released, so they may call the
// engine. Events of one call arrive in order; calls from different goroutines
// may interleave.
type Listener func(Event)

// Subscribe adds a listener and returns a function that removes it. A nil
// listener is ignored.
func (e *Engine) Subscribe(l Listener) (unsubscribe func()) {
	if l == nil {
		return func() {}
	}
	e.lmu.Lock()
	defer e.lmu.Unlock()
	id := e.nextID
	e.nextID++
	e.listeners[id] = l
	return func() {
		e.lmu.Lock()
		defer e.lmu.Unlock()
		delete(e.listeners, id)
	}
}

func (e *Engine) dispatch(evs []Event) {
	if len(evs) == 0 {
		return
	}
	e.lmu.Lock()
	ls := make([]Listener, 0, len(e.listeners))
	for _, id := range slices.Sorted(maps.Keys(e.listeners)) {
		ls = append(ls, e.listeners[id])
	}
	e.lmu.Unlock()
	for _, ev := range evs {
		for _, l := range ls {
			l(ev)
		}
	}
}
