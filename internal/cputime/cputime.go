// Package cputime measures the CPU time vigil's own process has used, for
// benchmarks: on a shared machine wall time per operation measures the
// neighbours, CPU time per operation measures the code.
package cputime

import (
	"testing"
	"time"
)

// Report adds a cpu-ns/op metric to b: the CPU time used since start (a
// value of Now) over b.N. Nothing is reported where CPU time is not
// measured. Call it when the loop ends (`defer cputime.Report(b,
// cputime.Now())`).
func Report(b *testing.B, start time.Duration) {
	if d := Now() - start; d > 0 && b.N > 0 {
		b.ReportMetric(float64(d.Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}
