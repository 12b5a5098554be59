package versioning

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
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
	ErrBadVersion      = errors.New("versioning: bad version")
	ErrLayoutMismatch  = errors.New("versioning: component layouts differ")
	ErrBadColumns      = errors.New("versioning: bad entity columns")
	ErrBadDelta        = errors.New("versioning: bad time step")
	ErrLoad            = errors.New("versioning: loading failed")
	ErrMigration       = errors.New("versioning: migration failed")
	ErrNoMigrationPath = errors.New("versioning: no migration path")
	ErrStep            = errors.New("versioning: step failed")
	ErrPanic           = errors.New("versioning: panic")
	ErrNonFinite       = errors.New("versioning: non-finite state")
	ErrKeysChanged     = errors.New("versioning: a system changed entity keys")
	ErrFrameBudget     = errors.New("versioning: frame-time budget exceeded")
	ErrOpenQuery       = errors.New("versioning: system left a query open")
	ErrNoRollback      = errors.New("versioning: no version to roll back to")
	ErrListener        = errors.New("versioning: listener panicked")
)

// MigrationError tells which conversion failed. It wraps [ErrMigration] and
// the cause.
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
// returned error, a panic ([ErrPanic]), non-finite state ([ErrNonFinite]),
// changed keys ([ErrKeysChanged]), an open query ([ErrOpenQuery]) or an
// exceeded budget ([ErrFrameBudget]). It wraps [ErrStep] and the cause.
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

// DependentsError names the modules that depend on a module that cannot be
// removed or reloaded. It wraps [ErrDependents].
type DependentsError struct {
	Module     string
	Dependents []string
}

func (e *DependentsError) Error() string {
	return fmt.Sprintf("versioning: %q is needed by %s", e.Module, strings.Join(e.Dependents, ", "))
}

// Unwrap returns ErrDependents.
func (e *DependentsError) Unwrap() error { return ErrDependents }

// PanicError is a recovered panic: the value and the stack of the goroutine
// that panicked. It wraps [ErrPanic] (and the value, if it is an error).
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string { return fmt.Sprintf("versioning: panic: %v", e.Value) }

// Unwrap returns ErrPanic and, if the value is an error, the value.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}

// protect runs f, turning a panic into a *PanicError.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &PanicError{Value: r, Stack: debug.Stack()}
		}
	}()
	return f()
}
