package sources

import (
	"fmt"
	"testing"
	"time"
)

// TestSelectByHost: a host matcher reads the host index, which follows
// ingest, the retention sweep and Reset, and agrees with a scan.
func TestSelectByHost(t *testing.T) {
	st := NewStore(StoreOptions{Retention: time.Minute})
	var ps []Point
	for h := 0; h < 3; h++ {
		for g := 0; g < 2; g++ {
			ps = append(ps, gauge("temp", t0, float64(h*10+g), "host", fmt.Sprintf("h%d", h), "gpu", fmt.Sprint(g)))
		}
	}
	ps = append(ps, gauge("temp", t0, 99, "gpu", "0")) // no host label
	st.Ingest(Frame{At: t0, Points: ps})
	got := st.Select("temp", Label{Name: "host", Value: "h1"})
	if len(got) != 2 || got[0].Label("gpu") != "0" || got[1].Label("gpu") != "1" || got[0].Label("host") != "h1" {
		t.Fatalf("h1: %v", got)
	}
	if got := st.Select("temp", Label{Name: "gpu", Value: "1"}, Label{Name: "host", Value: "h2"}); len(got) != 1 || got[0].Label("host") != "h2" {
		t.Fatalf("h2 gpu 1: %v", got)
	}
	if got := st.Select("temp", Label{Name: "host", Value: "nope"}); len(got) != 0 {
		t.Fatalf("unknown host: %v", got)
	}
	if got := st.Select("temp", Label{Name: "host", Value: ""}); len(got) != 1 || got[0].Label("gpu") != "0" {
		t.Fatalf("host \"\" is the series without one: %v", got)
	}
	if len(st.Select("temp")) != 7 {
		t.Fatalf("all: %v", st.Select("temp"))
	}
	// h0 keeps reporting; the others stop and the sweep lets them go.
	for i := 1; i <= 20; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		st.Ingest(Frame{At: at, Points: []Point{gauge("temp", at, 1, "host", "h0", "gpu", "0")}})
	}
	if got := st.Select("temp", Label{Name: "host", Value: "h1"}); len(got) != 0 {
		t.Fatalf("h1 after the sweep: %v", got)
	}
	if got := st.Select("temp", Label{Name: "host", Value: "h0"}); len(got) != 1 {
		t.Fatalf("h0 after the sweep: %v", got)
	}
	st.mu.RLock()
	hosts := len(st.byName["temp"].hosts)
	st.mu.RUnlock()
	if hosts != 1 {
		t.Fatalf("the index keeps %d hosts of temp after the sweep, want 1", hosts)
	}
	st.Reset()
	if got := st.Select("temp", Label{Name: "host", Value: "h0"}); len(got) != 0 {
		t.Fatalf("after Reset: %v", got)
	}
}

// BenchmarkSelectHost selects one host's CPU series among a fleet's (1,000
// hosts × 64 node_cpu series), as view.Hosts does for every host.
func BenchmarkSelectHost(b *testing.B) {
	st := NewStore(StoreOptions{})
	var ps []Point
	for h := 0; h < 1000; h++ {
		for c := 0; c < 64; c++ {
			ps = append(ps, counter("cpu", t0, 1, "host", fmt.Sprintf("h%04d", h), "cpu", fmt.Sprint(c)))
		}
	}
	st.Ingest(Frame{At: t0, Points: ps})
	b.ResetTimer()
	for i := range b.N {
		if len(st.Select("cpu", Label{Name: "host", Value: fmt.Sprintf("h%04d", i%1000)})) != 64 {
			b.Fatal("wrong count")
		}
	}
}

// TestNewestByHost agrees with LastSeen over each host's series, at the
// newest instant (answered again from memory until the next ingest) and at
// an earlier one; histograms count; hostless series do not.
func TestNewestByHost(t *testing.T) {
	st := NewStore(StoreOptions{})
	for i := 0; i < 3; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		ps := []Point{gauge("up", at, 1, "host", "a"), gauge("up", at, 1)}
		if i < 2 {
			ps = append(ps, gauge("temp", at.Add(time.Second), 60, "host", "b", "gpu", "0"))
		}
		st.Ingest(Frame{At: at, Points: ps, Histograms: []Histogram{{Series: NewSeries("lat", Counter, "host", "c"), At: at.Add(2 * time.Second),
			Buckets: []Bucket{{UpperBound: 1, Count: 1}}, Count: 1}}})
	}
	want := func(at time.Time) map[string]int64 {
		out := map[string]int64{}
		for _, n := range []string{"up", "temp", "lat"} {
			for _, s := range st.Select(n) {
				h := s.Label("host")
				if h == "" {
					continue
				}
				if smp, ok := st.LastSeen(s.Key(), at); ok && smp.T > out[h] {
					out[h] = smp.T
				}
			}
		}
		return out
	}
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(15 * time.Second), t0.Add(5 * time.Second), t0.Add(-time.Second)} {
		for range 2 { // the second answer comes from memory at the newest instant
			got := st.NewestByHost(at, "up", "temp", "lat")
			if fmt.Sprint(got) != fmt.Sprint(want(at)) {
				t.Errorf("at %v: %v, want %v", at.Sub(t0), got, want(at))
			}
			got["a"] = 0 // the caller's map: the next answer is not changed
		}
	}
	// New data: the memory is dropped.
	late := t0.Add(time.Hour)
	st.Ingest(Frame{At: late, Points: []Point{gauge("temp", late, 61, "host", "b", "gpu", "0")}})
	if got := st.NewestByHost(late, "up", "temp", "lat"); got["b"] != late.UnixNano() {
		t.Errorf("after an ingest: b at %v, want %v", time.Unix(0, got["b"]), late)
	}
	if got := st.NewestByHost(late, "up"); len(got) != 1 || got["a"] == 0 {
		t.Errorf("other names: %v", got)
	}
}
