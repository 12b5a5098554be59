package deploy

import "errors"

// Sentinel errors. Every error the package returns wraps one of them (and,
// where the engine refused something, the engine's error too); match with
// errors.Is. A call that returns an error has started or changed nothing.
var (
	// ErrBadConfig: a strategy, analysis, gate or notifier setting is out of
	// its domain (steps not increasing, a weight outside 0..100, a negative
	// duration, ...), or the module is not in a state the rollout can start
	// from (no version with traffic, a candidate that already has traffic).
	ErrBadConfig = errors.New("deploy: bad configuration")
	// ErrUnknownVersion: a version the spec names is not registered in the
	// module.
	ErrUnknownVersion = errors.New("deploy: unknown version")
	// ErrRolloutActive: the module already has a rollout that has not
	// finished.
	ErrRolloutActive = errors.New("deploy: module already has a rollout in progress")
	// ErrNoRollout: the module has no rollout (or none in progress, for a
	// command).
	ErrNoRollout = errors.New("deploy: no rollout")
	// ErrNoMigrationPath: a shadow candidate cannot receive copies of the
	// live versions' entities because no migration path leads to it.
	ErrNoMigrationPath = errors.New("deploy: no migration path")
	// ErrUnknownStrategy: no strategy is registered under the name.
	ErrUnknownStrategy = errors.New("deploy: unknown strategy")
	// ErrStrategyExists: a strategy is already registered under the name.
	ErrStrategyExists = errors.New("deploy: strategy already registered")
	// ErrClosed: the orchestrator or notifier was closed.
	ErrClosed = errors.New("deploy: closed")
)
