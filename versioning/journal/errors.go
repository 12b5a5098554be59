package journal

import (
	"errors"
	"fmt"
	"strings"

	"github.com/grove-engine/grove/versioning"
)

// Errors returned by this package. They are wrapped with details; match them
// with errors.Is, and use errors.As for the typed errors ([*CorruptError],
// [*DivergenceError]).
var (
	// ErrCorrupt: a journal file is damaged (a bad magic, header, length or
	// CRC-32C), or holds a record that cannot be decoded.
	ErrCorrupt = errors.New("journal: corrupt journal")
	// ErrTornTail: the last segment ends in a partial or damaged write, as a
	// crash during an append leaves it. Readers stop before it with a
	// warning, [Create] truncates it; a strict reader ([Strict]) reports it.
	ErrTornTail = errors.New("journal: torn tail")
	// ErrFormat: a journal written in a newer format than this Grove reads.
	ErrFormat = errors.New("journal: unsupported format version")
	// ErrDivergence: a replay did not reproduce the recorded run: a checksum,
	// a failure, an assigned key or a control call's outcome differs.
	ErrDivergence = errors.New("journal: replay diverged")
	// ErrIncomplete: the journal does not reach the requested frame, or
	// does not hold the position of the snapshot a replay starts from.
	ErrIncomplete = errors.New("journal: journal incomplete")
	// ErrEngine: the engine factory's engine does not fit the journal (a
	// module, version or command it lacks).
	ErrEngine = errors.New("journal: engine does not fit the journal")
	// ErrConfig: a configuration cannot be encoded or decoded (no codec is
	// registered for its type or name, or the codec failed).
	ErrConfig = errors.New("journal: config codec")
	// ErrRewind: the engine went back in time (a frame lower than the
	// journal's last one): a journal holds one timeline.
	ErrRewind = errors.New("journal: engine rewound")
	// ErrClosed: the writer is closed.
	ErrClosed = errors.New("journal: writer closed")
	// ErrNoSnapshot: a save directory holds no snapshot at or before the
	// requested frame.
	ErrNoSnapshot = errors.New("journal: no snapshot")
)

// CorruptError says where a journal is damaged. It wraps [ErrCorrupt] (or
// [ErrTornTail], or [ErrFormat]) and the cause.
type CorruptError struct {
	// File is the segment's path; Offset the byte offset of the damaged
	// block (or header) in it.
	File   string
	Offset int64
	// Frame is the frame of the last intact block before the damage (0 if
	// none).
	Frame uint64
	// What says what is wrong.
	What string
	// Kind is ErrCorrupt, ErrTornTail or ErrFormat.
	Kind error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%v: %s at offset %d (after frame %d): %s", e.Kind, e.File, e.Offset, e.Frame, e.What)
}

// Unwrap returns the kind of damage.
func (e *CorruptError) Unwrap() error { return e.Kind }

// DivergenceError names the first point where a replay differs from the
// recorded run. It wraps [ErrDivergence] and, if a call failed, its error.
type DivergenceError struct {
	// Frame is the first divergent frame; Module and Version where it
	// diverged (Version 0 when it is not about one version).
	Frame   uint64
	Module  string
	Version int
	// Op is the kind of the record being replayed.
	Op versioning.OpKind
	// What says what differs.
	What string
	Err  error
}

func (e *DivergenceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "journal: replay diverged at frame %d", e.Frame)
	if e.Module != "" {
		fmt.Fprintf(&b, ", module %s", e.Module)
	}
	if e.Version != 0 {
		fmt.Fprintf(&b, " v%d", e.Version)
	}
	if e.Op != 0 {
		fmt.Fprintf(&b, " (%v)", e.Op)
	}
	b.WriteString(": " + e.What)
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns ErrDivergence and the cause.
func (e *DivergenceError) Unwrap() []error { return []error{ErrDivergence, e.Err} }

// RecordedError is a failure read back from a journal: the cause the engine
// named ("budget", "panic", "nonfinite", ...) and the message. It matches
// the engine's sentinel for its cause with errors.Is (a "budget" failure is
// [versioning.ErrFrameBudget]), so a replay can re-inject it with
// [versioning.Engine.InjectFailure] and the engine records the same cause.
type RecordedError struct {
	Cause string
	Msg   string
}

func (e *RecordedError) Error() string { return e.Msg }

// causes maps the engine's failure causes to its sentinels.
var causes = map[string]error{
	"injected":  versioning.ErrInjected,
	"budget":    versioning.ErrFrameBudget,
	"nonfinite": versioning.ErrNonFinite,
	"keys":      versioning.ErrKeysChanged,
	"query":     versioning.ErrOpenQuery,
	"panic":     versioning.ErrPanic,
}

// Is reports whether target is the sentinel of the error's cause.
func (e *RecordedError) Is(target error) bool {
	s, ok := causes[e.Cause]
	return ok && target == s
}
