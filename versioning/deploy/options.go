package deploy

import (
	"fmt"
	"log/slog"
	"time"
)

// Option configures an [Orchestrator].
type Option func(*options) error

type options struct {
	logger    *slog.Logger
	notifiers []Notifier
	limit     int
	clock     func() time.Duration
}

func defaultOptions() options {
	start := time.Now()
	return options{limit: DefaultHistoryLimit, clock: func() time.Duration { return time.Since(start) }}
}

// WithLogger makes the orchestrator log every record ([slog.Logger]): Info
// for progress, Warn for rollbacks and aborts, Error when the engine
// refused an action.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: nil logger", ErrBadConfig)
		}
		o.logger = l
		return nil
	}
}

// WithNotifier adds a notifier ([Webhook], for one) that receives every
// record.
func WithNotifier(n Notifier) Option {
	return func(o *options) error {
		if n == nil {
			return fmt.Errorf("%w: nil notifier", ErrBadConfig)
		}
		o.notifiers = append(o.notifiers, n)
		return nil
	}
}

// WithHistoryLimit bounds the records kept (default
// [DefaultHistoryLimit]); the oldest go first.
func WithHistoryLimit(n int) Option {
	return func(o *options) error {
		if n <= 0 {
			return fmt.Errorf("%w: history limit %d", ErrBadConfig, n)
		}
		o.limit = n
		return nil
	}
}

// WithClock replaces the monotonic wall clock with which the orchestrator
// measures a shadow candidate's step (default: time since New). Decisions
// never read it: they use the engine's simulated time and the step times
// the engine measured. A deterministic clock makes shadow costs
// reproducible (the engine's own clock is set with
// [versioning.WithClock]).
func WithClock(now func() time.Duration) Option {
	return func(o *options) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrBadConfig)
		}
		o.clock = now
		return nil
	}
}
