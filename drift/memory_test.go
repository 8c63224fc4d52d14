package drift

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// TestReservoirError measures the error a bounded sample introduces: the KS
// D between a 10 000-value reservoir and the 200 000-value stream it was
// drawn from, and the D between two sets of drifted data computed on
// reservoirs versus on the full data.
func TestReservoirError(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	full := normals(rng, 200000, 0)
	r := NewReservoir(10000, 1)
	for _, v := range full {
		r.Add(v)
	}
	if r.Len() != 10000 || r.Seen() != 200000 {
		t.Fatalf("len %d seen %d", r.Len(), r.Seen())
	}
	sample := slices.Clone(r.Values())
	slices.Sort(sample)
	sorted := slices.Clone(full)
	slices.Sort(sorted)
	d := KS(sample, sorted)
	// D between a uniform subsample and its population is about
	// 0.87/√k·√(1−k/N); its 99.9% point is 1.95/√k ≈ 0.0195.
	t.Logf("reservoir (k=10000) vs stream (200000): D = %.5f", d)
	if d > 0.0195 {
		t.Errorf("reservoir D = %v, beyond the 99.9%% bound 0.0195", d)
	}
	// The same cell statistic on a 1024-value window sample against the
	// reference reservoir, versus the exact D of the full data.
	cur := normals(rng, 20000, 0.25)
	cs := NewReservoir(1024, 2)
	for _, v := range cur {
		cs.Add(v)
	}
	cur2 := slices.Clone(cs.Values())
	slices.Sort(cur2)
	slices.Sort(cur)
	exact := KS(sorted, cur)
	approx := KS(sample, cur2)
	t.Logf("0.25σ shift: exact D %.5f, from reservoirs %.5f", exact, approx)
	// Bound: 1.95·√(1/10000 + 1/1024) ≈ 0.064 at 99.9%.
	if math.Abs(exact-approx) > 0.064 {
		t.Errorf("reservoir D error %v beyond bound", math.Abs(exact-approx))
	}
}

// TestMemoryPerSeries measures the heap held per drifting numeric series at
// steady state (every ring full): pinned with the default settings, and
// trailing with MaxReference 5000. With the default 10 000 a trailing series
// holds about 160 kB (logged): its ring of window subsamples is 8·MaxReference
// bytes, and the reference a cell was scored against is kept compactly.
func TestMemoryPerSeries(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	for _, c := range []struct {
		mode   ReferenceMode
		maxRef int
		check  bool
	}{{Pinned, 10000, true}, {Trailing, 5000, true}, {Trailing, 10000, false}} {
		nSeries := 10
		if raceBuild {
			nSeries = 2 // 260 columns of 10 series take minutes under the race detector
		}
		per := steadyStateBytes(t, nSeries, c.mode, c.maxRef) / uint64(nSeries)
		t.Logf("%v, MaxReference %d: heap per drifting series: %d bytes (%.1f kB)", c.mode, c.maxRef, per, float64(per)/1024)
		if c.check && !raceBuild && per > 128*1024 { // two series do not amortise the fixed part
			t.Errorf("%v: per-series memory %d bytes > 128 kB", c.mode, per)
		}
	}
}

func steadyStateBytes(t testing.TB, nSeries int, mode ReferenceMode, maxRef int) uint64 {
	b, _ := steadyState(t, nSeries, mode, maxRef)
	return b
}

// steadyState drives a monitor to steady state and returns the heap it holds.
func steadyState(t testing.TB, nSeries int, mode ReferenceMode, maxRef int) (uint64, *Monitor) {
	// Memory does not depend on how p-values are computed; the exact
	// ones would make this minutes under the race detector.
	exactCells = false
	defer func() { exactCells = true }()
	cfg := DefaultConfig()
	cfg.Seed = 3
	cfg.Mode = mode
	cfg.MaxReference = maxRef
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m := NewMonitor(cfg)
	rng := rand.New(rand.NewPCG(31, 32))
	names := make([]string, nSeries)
	for i := range names {
		names[i] = "series-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	// Baseline 15 min, then drift, until each ring of 240 cells is full.
	minutes := 15 + cfg.Columns + 5
	for minute := range minutes {
		mu := 0.0
		if minute >= 15 {
			mu = 0.3 + 0.001*float64(minute)
		}
		for _, name := range names {
			for k := range 1500 {
				at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(k)*time.Millisecond*30)
				m.ObserveValue(name, at, mu+rng.NormFloat64())
			}
		}
	}
	m.Advance(t0.Add(time.Duration(minutes) * time.Minute))
	runtime.GC()
	runtime.ReadMemStats(&after)
	r, _ := m.Row(names[0])
	wantHeat := 2
	if mode == Trailing {
		wantHeat = 0 // the reference follows the slow drift
	}
	if len(r.Cells) != cfg.Columns || !r.Reference.Ready || r.Cells[len(r.Cells)-1].Level.Heat() < wantHeat {
		t.Fatalf("not at steady drifting state: %d cells, ready %v, last %v", len(r.Cells), r.Reference.Ready, r.Cells[len(r.Cells)-1].Level)
	}
	runtime.KeepAlive(m)
	return after.HeapAlloc - before.HeapAlloc, m
}

func TestSortedReservoir(t *testing.T) {
	rng := rand.New(rand.NewPCG(50, 51))
	r := newSortedReservoir(100, 5)
	var all []float64
	for i := range 5000 {
		v := float64(rng.IntN(300))
		all = append(all, v)
		r.add(v)
		if !slices.IsSorted(r.values()) || len(r.values()) != min(i+1, 100) {
			t.Fatalf("after %d adds: not sorted or wrong length %d", i+1, len(r.values()))
		}
	}
	// Uniformity: over many runs every stream position is kept with
	// probability k/N; check the mean kept value against the stream mean.
	var sum, n float64
	for seed := range 200 {
		r := newSortedReservoir(100, uint64(seed))
		for i := range 5000 {
			r.add(float64(i))
		}
		for _, v := range r.values() {
			sum += v
			n++
		}
	}
	// Mean of positions 0..4999 is 2499.5; sd of the mean of 20 000 draws
	// is about 1443/√20000 ≈ 10.
	if mean := sum / n; math.Abs(mean-2499.5) > 50 {
		t.Errorf("kept positions have mean %v, want about 2499.5", mean)
	}
}
