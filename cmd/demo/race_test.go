//go:build race

package main

// raceDetector reports whether the tests run with -race, which slows the
// deployment scenario down some fifty times.
const raceDetector = true
