package persist

import (
	"errors"
	"fmt"
)

// The package's sentinel errors. Match them with [errors.Is]; [errors.As]
// with a [*FormatError] or a [*TextError] gives the position.
var (
	// ErrCorrupt: a binary file, delta or manifest is damaged, truncated,
	// or not a Grove file at all.
	ErrCorrupt = errors.New("persist: corrupt file")
	// ErrVersion: the file was written in a newer format than this reader
	// knows.
	ErrVersion = errors.New("persist: unsupported format version")
	// ErrSchemaMismatch: a file's components or versions do not match the
	// layouts registered in the engine it is bound to.
	ErrSchemaMismatch = errors.New("persist: schema mismatch")
	// ErrText: a text form (XML or JSON) is malformed or does not fit its
	// own schema.
	ErrText = errors.New("persist: bad text")
	// ErrBase: a delta's base is missing or is not the save it was computed
	// from (its checksum differs), or a delta was used where a full file is
	// needed.
	ErrBase = errors.New("persist: delta base mismatch")
	// ErrNotFound: no save at or before the requested frame.
	ErrNotFound = errors.New("persist: no such save")
	// ErrBusy: a [Saver] already has its maximum of saves in flight.
	ErrBusy = errors.New("persist: too many saves in flight")
	// ErrClosed: the [Saver] is closed.
	ErrClosed = errors.New("persist: saver closed")
	// ErrPanic: a background save panicked; the panic was recovered.
	ErrPanic = errors.New("persist: panic in background save")
	// ErrBadOption: an option out of range.
	ErrBadOption = errors.New("persist: bad option")
)

// FormatError reports where a binary file is damaged. It unwraps to
// [ErrCorrupt] or [ErrVersion].
type FormatError struct {
	// Offset is the byte offset in the file where decoding failed.
	Offset int64
	// What says what was expected there.
	What string
	// Err is ErrCorrupt or ErrVersion.
	Err error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%v at byte %d: %s", e.Err, e.Offset, e.What)
}

func (e *FormatError) Unwrap() error { return e.Err }

// corruptAt returns a *FormatError wrapping ErrCorrupt.
func corruptAt(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, What: fmt.Sprintf(format, args...), Err: ErrCorrupt}
}

// TextError reports a problem in a text form: its line and column (1-based;
// 0 when unknown) and the path of the value (for example
// `module "game" v2 world row 3 (key 5:1) position.x`). It unwraps to
// [ErrText], and to Err if set (ErrVersion for a newer format).
type TextError struct {
	Line, Column int
	Path         string
	Msg          string
	Err          error
}

func (e *TextError) Error() string {
	s := "persist: bad text"
	if e.Line > 0 {
		s += fmt.Sprintf(" at line %d column %d", e.Line, e.Column)
	}
	if e.Path != "" {
		s += ": " + e.Path
	}
	return s + ": " + e.Msg
}

func (e *TextError) Unwrap() []error {
	if e.Err != nil {
		return []error{ErrText, e.Err}
	}
	return []error{ErrText}
}
