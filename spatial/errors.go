package spatial

import (
	"errors"
	"fmt"
)

// Sentinel errors. The methods of [Grid] wrap them with %w and add the
// offending value; match them with [errors.Is].
var (
	// ErrInvalidCell reports a cell side that is not a positive finite number.
	ErrInvalidCell = errors.New("spatial: invalid cell size")
	// ErrInvalidRadius reports a radius that is not a positive finite number.
	ErrInvalidRadius = errors.New("spatial: invalid radius")
	// ErrTooMany reports more entities than an int32 index can name
	// (len(pos)/2 > math.MaxInt32).
	ErrTooMany = errors.New("spatial: too many entities")
	// ErrPanic reports a panic inside [Grid.Build] or [Grid.Pairs] (a bug),
	// recovered and returned as a [*PanicError].
	ErrPanic = errors.New("spatial: panic")
	// ErrRunner reports that the grid's [Runner] returned an error, or
	// returned without running every task it was given.
	ErrRunner = errors.New("spatial: runner failed")
)

// PanicError is the error [Grid.Build] and [Grid.Pairs] return when their
// code panicked: on the caller or, with a [Runner], on whichever goroutine
// ran the part. It unwraps to [ErrPanic] and, when the recovered value is an
// error, to that error too. When several parts of a step panic, it reports
// the lowest-numbered one, whatever the runner.
type PanicError struct {
	// Step names the stage that panicked: "bounds", "count", "distribute"
	// or "sort" for Build's (the last three also run when Pairs re-bins a
	// hashed layout), "pairs" or "copy" for Pairs', and "build" or
	// "search" for the code of Build or Pairs outside the parts.
	Step string
	// Part is the index of the part, or -1 outside the parts.
	Part int
	// Value is what recover returned.
	Value any
	// Stack is the panicking goroutine's stack, as runtime/debug.Stack
	// formats it, for logging.
	Stack []byte
}

// Error returns "spatial: panic in step part k: value", without the stack.
func (e *PanicError) Error() string {
	if e.Part < 0 {
		return fmt.Sprintf("spatial: panic in %s: %v", e.Step, e.Value)
	}
	return fmt.Sprintf("spatial: panic in %s part %d: %v", e.Step, e.Part, e.Value)
}

// Unwrap returns [ErrPanic], and Value when it is an error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}
