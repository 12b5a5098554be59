package deploy

import (
	"context"
	"log/slog"
)

// Listener receives every record, in order, on the goroutine that called
// [Orchestrator.Step] (or Deploy), after the orchestrator's locks are
// released: it may call any orchestrator method. A listener that panics is
// recovered; the others still get the record.
type Listener func(Record)

// Notifier receives every record too. Notify must not block the frame: a
// notifier that does I/O queues the record and sends it from its own
// goroutine ([Webhook]).
type Notifier interface {
	Notify(Record)
}

// logRecord writes a record to the logger: Info for progress, Warn for a
// rollback or abort, Error when applying it failed.
func logRecord(l *slog.Logger, r *Record) {
	level := slog.LevelInfo
	switch {
	case r.Outcome != "ok":
		level = slog.LevelError
	case r.Action == RollBack || r.Action == Abort:
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{
		slog.String("rollout", r.Rollout), slog.String("module", r.Module), slog.String("strategy", r.Strategy),
		slog.String("action", r.Action.String()), slog.Int("step", r.Step), slog.String("phase", r.Phase.String()),
		slog.Duration("sim_time", r.SimTime), slog.Uint64("frame", r.Frame), slog.String("reason", r.Reason),
	}
	if r.Command != NoCommand {
		attrs = append(attrs, slog.String("command", r.Command.String()))
	}
	if r.Outcome != "ok" {
		attrs = append(attrs, slog.String("outcome", r.Outcome))
	}
	l.LogAttrs(context.Background(), level, "deploy: "+r.Action.String(), attrs...)
}
