package stats

import "errors"

// Sentinel errors. Every error the package returns wraps one of them; match
// with errors.Is. A call that returns an error has changed nothing.
var (
	// ErrBadInput reports an argument or setting outside its documented
	// domain: a share or level outside (0, 1), a negative count, more canary
	// events than events, an empty sample, a NaN or infinite value, a nil
	// random source, or a count that would overflow.
	ErrBadInput = errors.New("stats: bad input")

	// ErrNotConfigured reports a method call on a zero [SeqBinomial], one
	// that was not built by [NewSeqBinomial].
	ErrNotConfigured = errors.New("stats: SeqBinomial not built by NewSeqBinomial")
)
