package versioning

import (
	"fmt"
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
	// split that could not be re-applied after a despawn, or a listener that
	// panicked ([ErrListener]); Err says what.
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
	// Tolerated (rollback) reports that the module's FailurePolicy tolerated
	// the failure: the version keeps its traffic, and its entities return to
	// it at the next frame boundary.
	Tolerated bool
	// Lost (rollback) is how many of the entities were removed from the
	// module because their state could not be restored (non-finite, with no
	// backup to restore it from).
	Lost int
	// IdleFor (GC) is the simulated time the version had been idle.
	IdleFor time.Duration
	// MemoryBytes (GC) is the memory accounted to the version; Freed the heap
	// bytes the collection released (runtime.ReadMemStats around
	// runtime.GC), or 0 when GC measurement is off.
	MemoryBytes int64
	Freed       int64
	// SimTime is the simulated time of the event, Frame the frame number.
	SimTime time.Duration
	Frame   uint64
	Err     error
}

// Listener receives events. Listeners run on the goroutine that made the call
// (or Tick), after the engine's locks are released, so they may call any
// engine method. Events of one call arrive in order, and each listener sees
// them in the order listeners subscribed; calls from different goroutines
// may interleave. A listener that panics is recovered: the other listeners
// still get the event, and they then get an [EventError] wrapping
// [ErrListener] (a panic while handling that is dropped).
type Listener func(Event)

type listener struct {
	id int
	fn Listener
}

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
	e.listeners = append(e.listeners, listener{id, l})
	e.nlisteners.Store(int32(len(e.listeners)))
	return func() {
		e.lmu.Lock()
		defer e.lmu.Unlock()
		e.listeners = slices.DeleteFunc(e.listeners, func(x listener) bool { return x.id == id })
		e.nlisteners.Store(int32(len(e.listeners)))
	}
}

func (e *Engine) dispatch(evs []Event) {
	if len(evs) == 0 {
		return
	}
	if lg := e.cfg.logger; lg != nil {
		for i := range evs {
			logEvent(lg, &evs[i])
		}
	}
	e.lmu.Lock()
	ls := slices.Clone(e.listeners)
	e.lmu.Unlock()
	var panics []Event
	for _, ev := range evs {
		for _, l := range ls {
			if err := protect(func() error { l.fn(ev); return nil }); err != nil {
				panics = append(panics, Event{Kind: EventError, Module: ev.Module, Version: ev.Version,
					SimTime: ev.SimTime, Frame: ev.Frame,
					Err: fmt.Errorf("%w: on %v: %w", ErrListener, ev.Kind, err)})
			}
		}
	}
	for _, ev := range panics {
		if lg := e.cfg.logger; lg != nil {
			logEvent(lg, &ev)
		}
		for _, l := range ls {
			_ = protect(func() error { l.fn(ev); return nil })
		}
	}
}
