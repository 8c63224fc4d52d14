package nvml

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/nvml/nvmlmock"
)

// TestSoak is an accelerated soak of the collector: 8 mock GPUs polled at
// 1 s steps of a manual clock into a store of the default 1 h retention,
// for VIGIL_SOAK of polled time (default 3h, a second or two; 24h takes
// about 8 times as long). After the first hour the store holds a full retention and
// everything must stay flat: the live heap within ±10 % of the first
// hour's, the goroutines and the series held the same. CPU per poll is
// BenchmarkFastPoll8's and BenchmarkFullPoll8's to measure, and the whole
// process's is scripts/soak's.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("polls hours of simulated time")
	}
	span := 3 * time.Hour
	if s := os.Getenv("VIGIL_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 2*time.Hour {
			t.Fatalf("VIGIL_SOAK=%q: want a duration of at least 2h", s)
		}
		span = d
	}
	st := sources.NewStore(sources.StoreOptions{})
	c := newTest(t, nvmlmock.New(8, busy), nil)
	ctx := context.Background()
	at := t0
	type mark struct {
		heap       uint64
		goroutines int
		series     int
	}
	measure := func() mark {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return mark{ms.HeapAlloc, runtime.NumGoroutine(), st.Memory().NumSeries}
	}
	var first mark
	for s := 1; at.Sub(t0) < span; s++ {
		at = at.Add(time.Second)
		f, err := c.Poll(ctx, at)
		if err != nil {
			t.Fatalf("poll at %v: %v", at.Sub(t0), err)
		}
		st.Ingest(f)
		if s%3600 != 0 {
			continue
		}
		m := measure()
		if s == 3600 {
			first = m
			t.Logf("after 1h: heap %.1f MB, %d goroutines, %d series", float64(m.heap)/(1<<20), m.goroutines, m.series)
			continue
		}
		if r := float64(m.heap) / float64(first.heap); r < 0.9 || r > 1.1 {
			t.Fatalf("after %v: heap %.1f MB, %.0f %% of the first hour's %.1f MB", at.Sub(t0), float64(m.heap)/(1<<20), 100*r, float64(first.heap)/(1<<20))
		}
		if m.goroutines > first.goroutines || m.series != first.series {
			t.Fatalf("after %v: %d goroutines and %d series, after 1h %d and %d", at.Sub(t0), m.goroutines, m.series, first.goroutines, first.series)
		}
	}
	if first.series == 0 {
		t.Fatal("no series after the first hour")
	}
	m := measure()
	t.Logf("after %v: heap %.1f MB, %d goroutines, %d series", span, float64(m.heap)/(1<<20), m.goroutines, m.series)
}
