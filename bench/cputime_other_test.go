//go:build !unix

package bench

// cpuTime is not measured on this platform; the CPU metrics are skipped.
func cpuTime() int64 { return 0 }
