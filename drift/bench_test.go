package drift

import (
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

// BenchmarkKSExact1000: the exact p-value for n = m = 1000 at a D near the
// 5% critical value (a wide band, the slow case).
func BenchmarkKSExact1000(b *testing.B) {
	c0 := processCPU()
	for b.Loop() {
		KSExactPValue(0.06, 1000, 1000, TwoSided)
	}
	b.ReportMetric(float64((processCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkCloseColumn200: closing one heat column for 200 numeric series
// with pinned 10 000-value references and 1024-value window samples.
func BenchmarkCloseColumn200(b *testing.B) { benchCloseColumn(b, 2000, Pinned) }

// BenchmarkCloseColumn200Trailing: the same with trailing references, rebuilt
// from the ring of windows at every column.
func BenchmarkCloseColumn200Trailing(b *testing.B) { benchCloseColumn(b, 2000, Trailing) }

// BenchmarkCloseColumn200Small: the same with 60 values per window, where
// the KS p-value's cost depends on the exact/asymptotic cut.
func BenchmarkCloseColumn200Small(b *testing.B) { benchCloseColumn(b, 60, Pinned) }

func benchCloseColumn(b *testing.B, perWindow int, mode ReferenceMode) {
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
	vals := normals(rng, perWindow, 0.1)
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
	var cpu time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		minute++
		fill()
		runtime.GC()
		c0 := processCPU()
		b.StartTimer()
		m.Advance(t0.Add(time.Duration(minute+1) * time.Minute))
		b.StopTimer()
		cpu += processCPU() - c0
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkSteadyStateMemory reports heap bytes per drifting series.
func BenchmarkSteadyStateMemory(b *testing.B) {
	for b.Loop() {
		per := steadyStateBytes(b, 10, Pinned, 10000) / 10
		b.ReportMetric(float64(per), "B/series")
	}
}
