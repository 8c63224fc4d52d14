package drift

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkKS100k: statistic and p-value for 100 000 vs 100 000 sorted
// values (sorting is done once, as for a pinned reference).
func BenchmarkKS100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x, y := normals(rng, 100000, 0), normals(rng, 100000, 0.01)
	slices.Sort(x)
	slices.Sort(y)
	c0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		r := KSTest(x, y, TwoSided)
		if r.P < 0 {
			b.Fatal(r)
		}
	}
	b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkKS100kWithSort includes sorting both samples with Sort.
func BenchmarkKS100kWithSort(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x0, y0 := normals(rng, 100000, 0), normals(rng, 100000, 0.01)
	x, y := make([]float64, len(x0)), make([]float64, len(y0))
	c0 := processCPU()
	b.ResetTimer()
	for b.Loop() {
		copy(x, x0)
		copy(y, y0)
		Sort(x)
		Sort(y)
		KSTest(x, y, TwoSided)
	}
	b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkKSExact: the exact p-value at the sizes the monitor and drift
// compare meet, at a D near the 5% critical value and beyond. "monitor" is
// a cell against a full reference (10 000 × 1 024, the monitor's floor);
// 10000x10000 uses the reflection formula, 10000x9999 the lattice walk.
func BenchmarkKSExact(b *testing.B) {
	cases := []struct {
		name  string
		n, m  int
		d     float64
		floor float64
	}{
		{"monitor/D=0.02", 10000, 1024, 0.02, monitorFloor},
		{"monitor/D=0.045", 10000, 1024, 0.045, monitorFloor},
		{"monitor/D=0.1", 10000, 1024, 0.1, monitorFloor},
		{"monitor/D=0.3", 10000, 1024, 0.3, monitorFloor},
		{"10000x1024/D=0.3", 10000, 1024, 0.3, exactFloor},
		{"10000x10000/D=0.02", 10000, 10000, 0.02, exactFloor},
		{"10000x9999/D=0.02", 10000, 9999, 0.02, exactFloor},
		{"10000x9999/D=0.1", 10000, 9999, 0.1, exactFloor},
		{"1000x1000/D=0.06", 1000, 1000, 0.06, exactFloor},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			k := int64(math.Ceil(c.d * float64(c.n) * float64(c.m)))
			c0 := processCPU()
			for b.Loop() {
				ksExactNum(k, c.n, c.m, TwoSided, c.floor)
			}
			b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkCloseColumn200: closing one heat column for 200 numeric series
// with pinned 10 000-value references and 1024-value window samples, the
// windows shifted by 0.1σ (D about 0.04, near the 5 % critical value: every
// cell's exact p-value). Besides the time of the close it reports
// reader-wait-ns, the longest a pane's read of the monitor waited while the
// column closed: the part of the close that holds the lock.
func BenchmarkCloseColumn200(b *testing.B) { benchCloseColumn(b, 2000, 0.1, Pinned) }

// BenchmarkCloseColumn200Drifting: the same with every window shifted by 1σ
// (D about 0.38), the costliest exact p-values.
func BenchmarkCloseColumn200Drifting(b *testing.B) { benchCloseColumn(b, 2000, 1, Pinned) }

// BenchmarkCloseColumn200Trailing: the same with trailing references, rebuilt
// from the ring of windows at every column.
func BenchmarkCloseColumn200Trailing(b *testing.B) { benchCloseColumn(b, 2000, 0.1, Trailing) }

// BenchmarkCloseColumn200Small: the same with 60 values per window.
func BenchmarkCloseColumn200Small(b *testing.B) { benchCloseColumn(b, 60, 0.1, Pinned) }

func benchCloseColumn(b *testing.B, perWindow int, shift float64, mode ReferenceMode) {
	cfg := DefaultConfig()
	cfg.Mode = mode
	m := NewMonitor(cfg)
	rng := rand.New(rand.NewPCG(2, 2))
	names := make([]string, 200)
	for i := range names {
		names[i] = "s" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if mode == Pinned {
			if err := m.SetReference(names[i], normals(rng, 10000, 0)); err != nil {
				b.Fatal(err)
			}
		}
	}
	vals := normals(rng, perWindow, shift)
	minute := 0
	fill := func() {
		for _, name := range names {
			for k, v := range vals {
				m.ObserveValue(name, t0.Add(time.Duration(minute)*time.Minute+time.Duration(k)*time.Millisecond), v)
			}
		}
	}
	fill()
	if mode == Trailing { // fill the trailing range first
		for range trailSlots(&cfg) {
			minute++
			fill()
		}
	}
	// The build machine is shared, so wall time depends on its load; the
	// process CPU time spent closing columns is reported as cpu-ns/op.
	var cpu, wait time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		minute++
		fill()
		runtime.GC()
		done := make(chan time.Duration)
		stop := make(chan struct{})
		go func() { // a pane reading while the column closes
			var worst time.Duration
			for {
				select {
				case <-stop:
					done <- worst
					return
				default:
				}
				t := time.Now()
				m.LastClosed()
				worst = max(worst, time.Since(t))
				time.Sleep(100 * time.Microsecond)
			}
		}()
		c0 := processCPU()
		b.StartTimer()
		m.Advance(t0.Add(time.Duration(minute+1) * time.Minute))
		b.StopTimer()
		cpu += processCPU() - c0
		close(stop)
		wait = max(wait, <-done)
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(wait.Nanoseconds()), "reader-wait-ns")
}

// BenchmarkSteadyStateMemory reports heap bytes per drifting series.
func BenchmarkSteadyStateMemory(b *testing.B) {
	for b.Loop() {
		per := steadyStateBytes(b, 10, Pinned, 10000) / 10
		b.ReportMetric(float64(per), "B/series")
	}
}
