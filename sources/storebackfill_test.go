package sources

import (
	"testing"
	"time"
)

// TestBackfillMerges: history older than a series' newest sample is merged
// in time order (ordinary ingest drops it), a live sample keeps its slot,
// and the readers see the merged series.
func TestBackfillMerges(t *testing.T) {
	st := NewStore(StoreOptions{Retention: 10 * time.Second, Resolution: time.Second})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ser := NewSeries("x", Gauge, "host", "h")
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st.Ingest(Frame{Points: []Point{{Series: ser, At: at(5), Value: 5}, {Series: ser, At: at(8), Value: 8}}})
	// Ordinary ingest of an older sample: dropped.
	st.Ingest(Frame{Points: []Point{{Series: ser, At: at(3), Value: 3}}})
	if got := st.Range(ser.Key(), t0, at(10)); len(got) != 2 || st.Drops().OutOfOrder != 1 {
		t.Fatalf("ordinary ingest: %v drops %+v", got, st.Drops())
	}
	gen := st.BackfillGeneration()
	hist := []Point{{Series: ser, At: at(1), Value: 1}, {Series: ser, At: at(6), Value: 6},
		{Series: ser, At: at(5).Add(300 * time.Millisecond), Value: -1}, {Series: ser, At: at(3), Value: 3}, {Series: ser, At: at(9), Value: 9}}
	st.Ingest(Frame{Backfill: true, Points: hist})
	got := st.Range(ser.Key(), t0, at(10))
	want := []float64{1, 3, 5, 6, 8, 9}
	if len(got) != len(want) {
		t.Fatalf("merged %v, want values %v", got, want)
	}
	for i, s := range got {
		if s.V != want[i] {
			t.Fatalf("merged %v, want values %v (the live sample keeps its slot)", got, want)
		}
	}
	if st.BackfillGeneration() == gen {
		t.Error("backfill generation did not move")
	}
	if s, ok := st.Last(ser.Key(), at(7)); !ok || s.V != 6 {
		t.Errorf("Last at 7 s = %v %v, want 6", s, ok)
	}
	// Live samples go on after the merge; the ring keeps its newest 10.
	for i := 10; i < 20; i++ {
		st.Ingest(Frame{Points: []Point{{Series: ser, At: at(i), Value: float64(i)}}})
	}
	got = st.Range(ser.Key(), t0, at(30))
	if len(got) != 10 || got[0].V != 10 || got[9].V != 19 {
		t.Errorf("after live samples: %v", got)
	}
	// A new series from history alone, and LastSeen past the lookback.
	other := NewSeries("y", Gauge)
	st.Ingest(Frame{Backfill: true, Points: []Point{{Series: other, At: at(2), Value: 2}}})
	if s, ok := st.LastSeen(other.Key(), at(2).Add(time.Hour)); !ok || s.V != 2 {
		t.Errorf("LastSeen = %v %v", s, ok)
	}
	if _, ok := st.Last(other.Key(), at(2).Add(time.Hour)); ok {
		t.Error("Last past the lookback")
	}
}
