//go:build unix

package cputime

import (
	"flag"
	"testing"
	"time"
)

// TestNowCountsWork: busy work moves the clock forward by at least part of
// the wall time it took (the process may be descheduled, never credited
// with less than nothing).
func TestNowCountsWork(t *testing.T) {
	c0 := Now()
	if c0 <= 0 {
		t.Fatalf("Now() = %v before any work; getrusage failed?", c0)
	}
	deadline := time.Now().Add(10 * time.Second)
	x := 1.0
	for Now()-c0 < 20*time.Millisecond {
		for i := 0; i < 1e5; i++ {
			x = x*1.0000001 + 1e-9
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s of busy work added %v of CPU time (x=%v)", Now()-c0, x)
		}
	}
}

// TestReport: a benchmark that burns CPU reports a positive cpu-ns/op.
func TestReport(t *testing.T) {
	bt := flag.Lookup("test.benchtime")
	was := bt.Value.String()
	if err := bt.Value.Set("20x"); err != nil { // 20 ops, not a second's worth
		t.Fatal(err)
	}
	defer bt.Value.Set(was)
	var x float64
	r := testing.Benchmark(func(b *testing.B) {
		defer Report(b, Now())
		for range b.N {
			for i := 0; i < 1e4; i++ {
				x = x*1.0000001 + 1e-9
			}
		}
	})
	if got := r.Extra["cpu-ns/op"]; got <= 0 || r.N == 0 {
		t.Errorf("cpu-ns/op = %v over %d ops (x=%v), want > 0", got, r.N, x)
	}
}
