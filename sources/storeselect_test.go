package sources

import (
	"fmt"
	"testing"
	"time"
)

// TestSelectMemo: a bare Select answers from its memo while the store is
// unchanged, and follows ingest (a new series), the retention sweep and
// Reset; the caller owns each answer.
func TestSelectMemo(t *testing.T) {
	st := NewStore(StoreOptions{Retention: time.Minute})
	st.Ingest(Frame{At: t0, Points: []Point{gauge("temp", t0, 1, "host", "b"), gauge("temp", t0, 2, "host", "a")}})
	keys := func(ss []Series) string {
		out := ""
		for _, s := range ss {
			out += s.Label("host")
		}
		return out
	}
	first := st.Select("temp")
	if keys(first) != "ab" {
		t.Fatalf("first answer %q", keys(first))
	}
	first[0] = Series{} // the caller's copy
	first = append(first[:0], first[1])
	if got := keys(st.Select("temp")); got != "ab" {
		t.Fatalf("the memo changed with its caller's slice: %q", got)
	}
	at := t0.Add(10 * time.Second)
	st.Ingest(Frame{At: at, Points: []Point{gauge("temp", at, 3, "host", "c")}})
	if got := keys(st.Select("temp")); got != "abc" {
		t.Fatalf("after a new series: %q", got)
	}
	// Only c keeps reporting: the sweep lets a and b go.
	for i := 2; i <= 20; i++ {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		st.Ingest(Frame{At: at, Points: []Point{gauge("temp", at, 3, "host", "c")}})
	}
	if got := keys(st.Select("temp")); got != "c" {
		t.Fatalf("after the sweep: %q", got)
	}
	st.Reset()
	if got := st.Select("temp"); len(got) != 0 {
		t.Fatalf("after Reset: %v", got)
	}
	if got := st.Select("nothing"); len(got) != 0 {
		t.Fatalf("a name never seen: %v", got)
	}
}

// BenchmarkSelectBare selects every GPU temperature of a fleet (1,000 hosts
// × 8 GPUs) with the store unchanged between calls, as a live console's
// evaluation does every second between polls.
func BenchmarkSelectBare(b *testing.B) {
	st := NewStore(StoreOptions{})
	var ps []Point
	for h := 0; h < 1000; h++ {
		for g := 0; g < 8; g++ {
			ps = append(ps, gauge("temp", t0, 60, "host", fmt.Sprintf("h%04d", h), "gpu", fmt.Sprint(g)))
		}
	}
	st.Ingest(Frame{At: t0, Points: ps})
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if len(st.Select("temp")) != 8000 {
			b.Fatal("wrong count")
		}
	}
}
