package versioning

import (
	"fmt"
	"log/slog"
	"time"
)

// Option configures an [Engine].
type Option func(*config) error

type config struct {
	backupEvery   int
	checks        bool
	budget        time.Duration
	clock         func() time.Duration
	measureGC     bool
	isolation     bool
	workers       int
	recorder      Recorder
	logger        *slog.Logger
	checksumEvery int
}

func defaultConfig() config {
	start := time.Now()
	return config{
		backupEvery: 1,
		checks:      true,
		budget:      100 * time.Millisecond,
		clock:       func() time.Duration { return time.Since(start) },
		measureGC:   true,
	}
}

// WithBackupEvery sets the backup cadence: before every n-th frame (and after
// every structural change) each version's state is copied so that a failing
// frame can be undone. 1, the default, means a failure loses no progress; n > 1
// rolls back up to n-1 frames further (and the rollback target serves the
// restored entities in a scratch world that frame, since its own state is
// not current in its backup; so does a target that already served other
// rolled-back entities in the same frame). 0 turns backups off: a failure then moves
// entities as the failing step left them, and an entity whose state the
// failing step left non-finite cannot be restored, so it is removed from the
// module and reported ([Event].Lost), which lets the rest recover.
func WithBackupEvery(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: backup cadence %d", ErrBadOption, n)
		}
		c.backupEvery = n
		return nil
	}
}

// WithWorkers sets how many goroutines step the versions of a frame and run
// their data-parallel kernels ([ecs.View.For]): the engine's worker pool,
// started once, with no allocation per frame. 0, the default, means
// runtime.GOMAXPROCS; 1 runs everything on the goroutine that calls Tick.
// Results are bit-identical at any worker count: versions share no memory,
// kernels split work into chunks whose bounds depend only on the entity
// count, and failures are recovered after the parallel phase in module,
// then version, order. With [WithIsolationCheck] on, versions step one at a
// time (the check needs the other worlds still).
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("%w: %d workers", ErrBadOption, n)
		}
		c.workers = n
		return nil
	}
}

// WithStateChecks turns the per-frame scan for NaN and infinities in every
// version's float columns on (the default) or off. A version that leaves a
// non-finite value fails like one that panics.
func WithStateChecks(on bool) Option {
	return func(c *config) error {
		c.checks = on
		return nil
	}
}

// WithFrameBudget sets the wall-time budget of one version's step in one
// frame (default 100ms); a step that takes longer fails the version. 0
// turns the budget off. The budget is the one decision the engine takes from
// wall time; a replay re-injects such failures rather than re-detecting them.
func WithFrameBudget(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: frame budget %v", ErrBadOption, d)
		}
		c.budget = d
		return nil
	}
}

// WithClock replaces the monotonic wall clock the engine measures durations
// with (load, step, migration, rollback and GC times, the frame budget).
// Tests use it to drive time; simulated time always comes from Tick.
func WithClock(now func() time.Duration) Option {
	return func(c *config) error {
		if now == nil {
			return fmt.Errorf("%w: nil clock", ErrBadOption)
		}
		c.clock = now
		return nil
	}
}

// WithGCMeasurement makes automatic GC run runtime.GC before and after
// dropping a version, so that the memory it freed is measured with
// runtime.ReadMemStats (the default). Off, GC only drops the version and
// reports the memory arche and the engine accounted to it.
func WithGCMeasurement(on bool) Option {
	return func(c *config) error {
		c.measureGC = on
		return nil
	}
}

// WithIsolationCheck makes every frame prove that stepping one version left
// every other version's data untouched: after each version's step the engine
// checksums the other worlds and compares. Violations are counted in
// [VersionMetrics].IsolationViolations and reported as [EventIsolation]. It
// costs a pass over all data per version per frame; off by default.
func WithIsolationCheck(on bool) Option {
	return func(c *config) error {
		c.isolation = on
		return nil
	}
}

// ModuleOption configures a module in [Engine.AddModule].
type ModuleOption func(*module) error

// DependsOn declares the modules this one depends on. They must already
// exist; while this module exists they cannot be reloaded or removed.
func DependsOn(modules ...string) ModuleOption {
	return func(m *module) error {
		m.deps = append(m.deps, modules...)
		return nil
	}
}

// AutoGC unloads a version automatically once it has had no entities and no
// traffic for at least threshold of simulated time (> 0). A version that
// failed is remembered after it is collected: it is not chosen as a rollback
// target again until it is loaded or reloaded by hand.
func AutoGC(threshold time.Duration) ModuleOption {
	return func(m *module) error {
		if threshold <= 0 {
			return fmt.Errorf("%w: GC threshold %v", ErrBadOption, threshold)
		}
		m.gcAfter = threshold
		return nil
	}
}

// RollbackTo sets the version a failing version's entities go to. By default
// it is the highest registered version below the failing one that has not
// failed, else the lowest above it.
func RollbackTo(version int) ModuleOption {
	return func(m *module) error {
		if version <= 0 {
			return fmt.Errorf("%w: rollback target %d", ErrBadOption, version)
		}
		m.fallback = version
		return nil
	}
}
