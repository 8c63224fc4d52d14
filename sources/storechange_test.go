package sources

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"
)

// TestNextChange: between an instant and NextChange, the store unchanged,
// Last, LastSeen, Increase, Rate and HistogramDelta answer at every later
// instant what they answered at the first; NextChange is never later than
// the first instant at which an answer differs.
func TestNextChange(t *testing.T) {
	const window = 30 * time.Second
	st := NewStore(StoreOptions{Retention: 10 * time.Minute, Lookback: time.Minute})
	rng := rand.New(rand.NewSource(7))
	var keys []string
	var hists []string
	// Three series on their own jittered scrapes, one histogram, a gap.
	for i := range 3 {
		at := t0.Add(time.Duration(i) * 700 * time.Millisecond)
		v := 0.0
		for at.Before(t0.Add(3 * time.Minute)) {
			if at.Sub(t0) < 90*time.Second || at.Sub(t0) > 150*time.Second {
				v += float64(rng.Intn(10))
				st.Ingest(Frame{At: at, Points: []Point{counter("c", at, v, "i", fmt.Sprint(i))}})
			}
			at = at.Add(time.Duration(5000+rng.Intn(10000)) * time.Millisecond)
		}
		keys = append(keys, NewSeries("c", Counter, "i", fmt.Sprint(i)).Key())
	}
	h := NewSeries("h", Counter, "i", "h")
	for k := range 6 {
		at := t0.Add(time.Duration(k) * 20 * time.Second)
		st.Ingest(Frame{At: at, Histograms: []Histogram{{Series: h, At: at, Count: float64(k), Sum: float64(k), Buckets: []Bucket{{UpperBound: 1, Count: float64(k)}, {UpperBound: math.Inf(1), Count: float64(k)}}}}})
	}
	hists = append(hists, h.Key())
	answers := func(at time.Time) string {
		out := ""
		for _, k := range keys {
			l, ok := st.Last(k, at)
			ls, ok2 := st.LastSeen(k, at)
			inc, span, ok3 := st.Increase(k, window, at)
			r, ok4 := st.Rate(k, window, at)
			out += fmt.Sprint(l, ok, ls, ok2, inc, span, ok3, r, ok4, ";")
		}
		for _, k := range hists {
			d, ok := st.HistogramDelta(k, window, at)
			out += fmt.Sprint(d.Counts, d.Count, d.Sum, d.Lifetime, ok, ";")
		}
		return out
	}
	checked := 0
	for from := t0.Add(-10 * time.Second); from.Before(t0.Add(6 * time.Minute)); from = from.Add(3300 * time.Millisecond) {
		next := st.NextChange(from, window)
		want := answers(from)
		end := next
		if end.IsZero() {
			end = from.Add(10 * time.Minute)
		}
		if !end.After(from) {
			t.Fatalf("NextChange(%v) = %v, not after it", from.Sub(t0), end.Sub(t0))
		}
		for at := from; at.Before(end); at = at.Add(100 * time.Millisecond) {
			if got := answers(at); got != want {
				t.Fatalf("from %v: answers changed at %v, NextChange said %v", from.Sub(t0), at.Sub(t0), next.Sub(t0))
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d instants checked", checked)
	}
	// Past every sample's lookback and windows: nothing changes any more.
	if got := st.NextChange(t0.Add(time.Hour), window); !got.IsZero() {
		t.Errorf("an hour after the last sample: %v", got.Sub(t0))
	}
}
