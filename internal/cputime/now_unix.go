//go:build unix

package cputime

import (
	"syscall"
	"time"
)

// Now is the CPU time the process has used so far: user plus system, all
// threads, the garbage collector included; 0 if it cannot be read.
func Now() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
