//go:build race

package deploy

// raceDetector reports whether the tests run with -race, which slows the
// long statistical tests down tenfold.
const raceDetector = true
