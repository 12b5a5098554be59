//go:build race

package versioning_test

// raceEnabled: the race detector slows these tests about tenfold, so the
// heaviest ones run smaller.
const raceEnabled = true
