//go:build unix

package fleetpane

import (
	"syscall"
	"time"
)

// cpuTime is the process' CPU time so far (user and system): benchmarks
// report it per operation beside the wall time, which a shared machine
// stretches.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
