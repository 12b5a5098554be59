package pool

import (
	"errors"
	"fmt"
)

// ErrPanic is wrapped by the error [Pool.Run] and [Pool.For] return when a
// task panicked. Match it with [errors.Is]; [errors.As] with a [*PanicError]
// gives the details.
var ErrPanic = errors.New("pool: task panicked")

// errGoexit is the value recorded for a task that called runtime.Goexit.
var errGoexit = errors.New("pool: task called runtime.Goexit")

// PanicError reports the panic of the lowest-numbered task that panicked
// during one [Pool.Run] or [Pool.For]. It unwraps to [ErrPanic] and, when
// the recovered value is itself an error, to that error too.
type PanicError struct {
	// Task is the index of the task: for [Pool.For], of the chunk (the one
	// starting at Task*size, see [Pool.Chunks]).
	Task int
	// Value is what recover returned.
	Value any
	// Stack is the stack of the goroutine that panicked, as formatted by
	// runtime/debug.Stack, for logging.
	Stack []byte
}

// Error returns "pool: panic in task k: value", without the stack.
func (e *PanicError) Error() string {
	return fmt.Sprintf("pool: panic in task %d: %v", e.Task, e.Value)
}

// Unwrap returns [ErrPanic], and Value when it is an error.
func (e *PanicError) Unwrap() []error {
	if err, ok := e.Value.(error); ok {
		return []error{ErrPanic, err}
	}
	return []error{ErrPanic}
}
