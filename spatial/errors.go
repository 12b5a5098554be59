package spatial

import "errors"

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
)
