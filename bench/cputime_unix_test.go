//go:build unix

package bench

import "syscall"

// cpuTime is the CPU time (user and system, every thread) the process has
// used, in nanoseconds: a cost that does not grow when other processes
// compete for the CPUs, as wall time does.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
