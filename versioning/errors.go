package versioning

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error the engine returns wraps one of them; match
// with errors.Is. A call that returns an error has changed nothing.
var (
	ErrUnknownModule   = errors.New("versioning: unknown module")
	ErrModuleExists    = errors.New("versioning: module already exists")
	ErrUnknownVersion  = errors.New("versioning: unknown version")
	ErrVersionExists   = errors.New("versioning: version already registered")
	ErrAlreadyLoaded   = errors.New("versioning: version already loaded")
	ErrNotLoaded       = errors.New("versioning: version not loaded")
	ErrVersionInUse    = errors.New("versioning: version still has entities or traffic")
	ErrVersionFailed   = errors.New("versioning: version has failed")
	ErrBadWeights      = errors.New("versioning: bad traffic weights")
	ErrDependents      = errors.New("versioning: other modules depend on this module")
	ErrUnknownEntity   = errors.New("versioning: unknown entity")
	ErrBadOption       = errors.New("versioning: bad option")
	ErrBadDelta        = errors.New("versioning: bad time step")
	ErrLoad            = errors.New("versioning: loading failed")
	ErrMigration       = errors.New("versioning: migration failed")
	ErrNoMigrationPath = errors.New("versioning: no migration path")
	ErrStep            = errors.New("versioning: step failed")
	ErrPanic           = errors.New("versioning: panic")
	ErrNonFinite       = errors.New("versioning: non-finite state")
	ErrFrameBudget     = errors.New("versioning: frame-time budget exceeded")
	ErrOpenQuery       = errors.New("versioning: system left a query open")
	ErrNoRollback      = errors.New("versioning: no version to roll back to")
)

// MigrationError tells which conversion failed. It wraps [ErrMigration] and
// the migration's own error.
type MigrationError struct {
	Module   string
	From, To int
	Err      error
}

func (e *MigrationError) Error() string {
	return fmt.Sprintf("versioning: migrating %s v%d→v%d: %v", e.Module, e.From, e.To, e.Err)
}

// Unwrap returns ErrMigration and the cause.
func (e *MigrationError) Unwrap() []error { return []error{ErrMigration, e.Err} }

// StepError tells which version and system failed during a frame, and why: a
// returned error, a panic ([ErrPanic]), non-finite state ([ErrNonFinite]) or
// an exceeded budget ([ErrFrameBudget]). It wraps [ErrStep] and the cause.
type StepError struct {
	Module  string
	Version int
	System  string
	Err     error
}

func (e *StepError) Error() string {
	if e.System != "" {
		return fmt.Sprintf("versioning: %s v%d system %q: %v", e.Module, e.Version, e.System, e.Err)
	}
	return fmt.Sprintf("versioning: %s v%d: %v", e.Module, e.Version, e.Err)
}

// Unwrap returns ErrStep and the cause.
func (e *StepError) Unwrap() []error { return []error{ErrStep, e.Err} }

// panicError turns a recovered value into an error wrapping ErrPanic.
func panicError(r any) error {
	if err, ok := r.(error); ok {
		return fmt.Errorf("%w: %w", ErrPanic, err)
	}
	return fmt.Errorf("%w: %v", ErrPanic, r)
}

// protect runs f, turning a panic into an error wrapping ErrPanic.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	return f()
}
