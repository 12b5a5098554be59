package versioning

import (
	"context"
	"log/slog"
)

// WithLogger sends every event to l as a structured record (nil: no
// logging, and nothing is built for it). Levels: Info for the lifecycle
// (load, unload, migration, GC, a rollback by hand), Warn for failures that
// were recovered (a rollback whose entities were served, a tolerated
// failure), Error for the ones that were not (entities left unserved, an
// isolation violation, an [EventError]).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = l
		return nil
	}
}

// eventLevel is the level an event is logged at.
func eventLevel(ev *Event) slog.Level {
	switch ev.Kind {
	case EventRollback:
		switch {
		case ev.Err == nil:
			return slog.LevelInfo
		case ev.Served && ev.Lost == 0:
			return slog.LevelWarn
		}
		return slog.LevelError
	case EventIsolation, EventError:
		return slog.LevelError
	}
	return slog.LevelInfo
}

// logEvent writes one event to the logger, with typed attributes for the
// fields the event's kind uses.
func logEvent(l *slog.Logger, ev *Event) {
	level := eventLevel(ev)
	ctx := context.Background()
	if !l.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("event", ev.Kind.String()),
		slog.String("module", ev.Module),
		slog.Uint64("frame", ev.Frame),
		slog.Duration("sim_time", ev.SimTime),
	}
	add := func(cond bool, a slog.Attr) {
		if cond {
			attrs = append(attrs, a)
		}
	}
	add(ev.Version != 0, slog.Int("version", ev.Version))
	add(ev.From != 0, slog.Int("from", ev.From))
	add(ev.To != 0, slog.Int("to", ev.To))
	add(ev.Entities != 0 || ev.Kind == EventMigration || ev.Kind == EventRollback, slog.Int("entities", ev.Entities))
	add(ev.Duration != 0, slog.Duration("duration", ev.Duration))
	add(ev.Kind == EventRollback, slog.Duration("downtime", ev.Downtime))
	add(ev.Kind == EventRollback, slog.Bool("served", ev.Served))
	add(ev.Reloaded, slog.Bool("reloaded", true))
	add(ev.Tolerated, slog.Bool("tolerated", true))
	add(ev.Lost != 0, slog.Int("lost", ev.Lost))
	add(ev.Kind == EventGC, slog.Duration("idle_for", ev.IdleFor))
	add(ev.Kind == EventGC, slog.Int64("memory_bytes", ev.MemoryBytes))
	add(ev.Kind == EventGC, slog.Int64("freed_bytes", ev.Freed))
	add(ev.Err != nil, slog.String("error", errString(ev.Err)))
	l.LogAttrs(ctx, level, "grove: "+ev.Kind.String(), attrs...)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
