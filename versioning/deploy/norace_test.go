//go:build !race

package deploy

// raceDetector reports whether the tests run with -race.
const raceDetector = false
