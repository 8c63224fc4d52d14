package sources

import (
	"fmt"
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func gauge(name string, at time.Time, v float64, kv ...string) Point {
	return Point{Series: NewSeries(name, Gauge, kv...), At: at, Value: v}
}

func counter(name string, at time.Time, v float64, kv ...string) Point {
	return Point{Series: NewSeries(name, Counter, kv...), At: at, Value: v}
}

func TestSeriesKeySortsLabels(t *testing.T) {
	a := NewSeries("m", Gauge, "b", "2", "a", "1", "empty", "")
	b := NewSeries("m", Gauge, "a", "1", "b", "2")
	if a.Key() != b.Key() || a.Key() != `m{a="1",b="2"}` {
		t.Fatalf("keys %q %q", a.Key(), b.Key())
	}
	if a.Label("b") != "2" || a.Label("zz") != "" {
		t.Fatal("Label lookup")
	}
}

func TestRateAcrossCounterReset(t *testing.T) {
	st := NewStore(StoreOptions{})
	// 100 → 130 → (restart) 10 → 40: increase 30 + 10 + 30 = 70 over 30 s.
	for i, v := range []float64{100, 130, 10, 40} {
		st.Ingest(Frame{Points: []Point{counter("c", t0.Add(time.Duration(i)*10*time.Second), v)}})
	}
	key := NewSeries("c", Counter).Key()
	inc, span, ok := st.Increase(key, time.Minute, t0.Add(30*time.Second))
	if !ok || inc != 70 || span != 30*time.Second {
		t.Fatalf("increase = %v over %v (%v), want 70 over 30s", inc, span, ok)
	}
	r, ok := st.Rate(key, time.Minute, t0.Add(30*time.Second))
	if !ok || math.Abs(r-70.0/30) > 1e-12 {
		t.Fatalf("rate = %v, want %v", r, 70.0/30)
	}
	// One sample in the window: n/a, never 0.
	if _, ok := st.Rate(key, 5*time.Second, t0.Add(30*time.Second)); ok {
		t.Fatal("rate with one sample in the window must be n/a")
	}
	if _, ok := st.Rate("nope", time.Minute, t0); ok {
		t.Fatal("rate of an unknown series must be n/a")
	}
}

func TestLastHonoursLookbackAndTime(t *testing.T) {
	st := NewStore(StoreOptions{Lookback: time.Minute})
	st.Ingest(Frame{Points: []Point{gauge("g", t0, 1)}})
	st.Ingest(Frame{Points: []Point{gauge("g", t0.Add(10*time.Second), 2)}})
	key := NewSeries("g", Gauge).Key()
	if s, ok := st.Last(key, t0.Add(5*time.Second)); !ok || s.V != 1 {
		t.Fatalf("Last at +5s = %v %v, want 1", s, ok)
	}
	if s, ok := st.Last(key, t0.Add(30*time.Second)); !ok || s.V != 2 {
		t.Fatalf("Last at +30s = %v %v, want 2", s, ok)
	}
	if _, ok := st.Last(key, t0.Add(2*time.Minute)); ok {
		t.Fatal("a value older than the lookback must be n/a")
	}
	if _, ok := st.Last(key, t0.Add(-time.Second)); ok {
		t.Fatal("nothing before the first sample")
	}
}

func TestOutOfOrderSamplesAreCounted(t *testing.T) {
	st := NewStore(StoreOptions{})
	st.Ingest(Frame{Points: []Point{gauge("g", t0.Add(time.Minute), 1)}})
	st.Ingest(Frame{Points: []Point{gauge("g", t0, 2)}})
	if st.Drops().OutOfOrder != 1 {
		t.Fatalf("drops = %+v", st.Drops())
	}
}

// hist builds a cumulative histogram snapshot from bounds and cumulative counts.
func hist(name string, at time.Time, bounds, cum []float64, sum float64) Histogram {
	h := Histogram{Series: NewSeries(name, Counter), At: at, Sum: sum}
	for i := range bounds {
		h.Buckets = append(h.Buckets, Bucket{UpperBound: bounds[i], Count: cum[i]})
	}
	h.Count = cum[len(cum)-1]
	return h
}

var inf = math.Inf(1)

func TestQuantileMatchesHistogramQuantile(t *testing.T) {
	// Worked by hand with PromQL's rules: count 100, rank(0.5)=50 falls in
	// (0.1, 0.5] holding 40 of which 30 are below → 0.1 + 0.4*(50-30)/40 = 0.3.
	d := HistDelta{Bounds: []float64{0.1, 0.5, 1, inf}, Counts: []float64{30, 70, 95, 100}, Count: 100, Sum: 40}
	cases := []struct{ q, want float64 }{
		{0.5, 0.3},
		{0.1, 0.1 * 10 / 30},
		{0.9, 0.5 + 0.5*(90-70)/25},
		{0.99, 1}, // rank in +Inf bucket → largest finite bound
		{0, 0},
	}
	for _, c := range cases {
		if got := d.Quantile(c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("q%v = %v, want %v", c.q, got, c.want)
		}
	}
	if !math.IsNaN((HistDelta{Bounds: []float64{1, inf}, Counts: []float64{0, 0}}).Quantile(0.5)) {
		t.Error("empty histogram must give NaN")
	}
	if d.Mean() != 0.4 {
		t.Errorf("mean %v", d.Mean())
	}
}

func TestHistogramDeltaWindowResetAndLayout(t *testing.T) {
	b := []float64{0.1, 0.5, 1, inf}
	st := NewStore(StoreOptions{})
	key := NewSeries("h", Counter).Key()
	st.Ingest(Frame{Histograms: []Histogram{hist("h", t0, b, []float64{10, 20, 30, 40}, 10)}})
	// Single snapshot → lifetime.
	d, ok := st.HistogramDelta(key, time.Minute, t0)
	if !ok || !d.Lifetime || d.Count != 40 {
		t.Fatalf("single snapshot: %+v %v", d, ok)
	}
	st.Ingest(Frame{Histograms: []Histogram{hist("h", t0.Add(15*time.Second), b, []float64{15, 30, 45, 60}, 16)}})
	d, ok = st.HistogramDelta(key, time.Minute, t0.Add(15*time.Second))
	if !ok || d.Lifetime || d.Count != 20 || d.Counts[0] != 5 || d.Counts[3] != 20 || d.Sum != 6 {
		t.Fatalf("delta: %+v", d)
	}
	// Reset: the newest snapshot counts everything since the restart.
	st.Ingest(Frame{Histograms: []Histogram{hist("h", t0.Add(30*time.Second), b, []float64{1, 2, 3, 4}, 1)}})
	d, ok = st.HistogramDelta(key, time.Minute, t0.Add(30*time.Second))
	if !ok || !d.Reset || d.Count != 4 || d.Counts[0] != 1 {
		t.Fatalf("reset: %+v", d)
	}
	// Layout change: never subtracted across it.
	b2 := []float64{0.2, 1, inf}
	st.Ingest(Frame{Histograms: []Histogram{hist("h", t0.Add(45*time.Second), b2, []float64{3, 5, 6}, 2)}})
	d, ok = st.HistogramDelta(key, time.Minute, t0.Add(45*time.Second))
	if !ok || len(d.Bounds) != 3 || d.Count != 6 {
		t.Fatalf("layout: %+v", d)
	}
	st.Ingest(Frame{Histograms: []Histogram{hist("h", t0.Add(60*time.Second), b2, []float64{4, 8, 10}, 3)}})
	d, ok = st.HistogramDelta(key, 2*time.Minute, t0.Add(60*time.Second))
	if !ok || !d.Layout || d.Count != 4 || d.Counts[0] != 1 {
		t.Fatalf("after layout change: %+v", d)
	}
}

func TestBuffersCountDrops(t *testing.T) {
	st := NewStore(StoreOptions{MaxLogs: 3, MaxSpans: 2, MaxEvents: 1})
	var f Frame
	for i := 0; i < 5; i++ {
		f.Logs = append(f.Logs, LogRecord{At: t0.Add(time.Duration(i) * time.Second), Msg: fmt.Sprint(i)})
		f.Spans = append(f.Spans, Span{SpanID: fmt.Sprint(i)})
		f.Events = append(f.Events, Event{At: t0, Text: fmt.Sprint(i)})
	}
	st.Ingest(f)
	d := st.Drops()
	if d.Logs != 2 || d.Spans != 3 || d.Events != 4 {
		t.Fatalf("drops %+v", d)
	}
	logs := st.Logs(t0, t0.Add(time.Hour), 0, nil)
	if len(logs) != 3 || logs[0].Msg != "2" || logs[2].Msg != "4" {
		t.Fatalf("logs %v", logs)
	}
	if got := st.Logs(t0, t0.Add(time.Hour), 1, nil); len(got) != 1 || got[0].Msg != "4" {
		t.Fatalf("limit keeps the newest: %v", got)
	}
}

// TestMemoryFlatOverTenRetentions feeds 10 hours of 1 s frames into a store
// with the default 1 h retention and checks that no ring outgrows it, that
// series which stop reporting are evicted and log records a retention old go.
func TestMemoryFlatOverTenRetentions(t *testing.T) {
	if testing.Short() {
		t.Skip("feeds 36,000 frames")
	}
	st := NewStore(StoreOptions{})
	const seconds = 10 * 3600
	b := []float64{0.1, 1, inf}
	for i := 0; i < seconds; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		f := Frame{At: at}
		for s := 0; s < 20; s++ {
			f.Points = append(f.Points, gauge("g", at, float64(i), "s", fmt.Sprint(s)))
		}
		// A churning label: a new series every 10 minutes.
		f.Points = append(f.Points, gauge("churn", at, 1, "pod", fmt.Sprint(i/600)))
		f.Histograms = append(f.Histograms, hist("h", at, b, []float64{float64(i), float64(2 * i), float64(3 * i)}, 0))
		f.Logs = append(f.Logs, LogRecord{At: at}, LogRecord{At: at}, LogRecord{At: at}, LogRecord{At: at})
		st.Ingest(f)
	}
	series, hists, logs, _, _, maxRing := st.Sizes()
	if maxRing != 3600 {
		t.Errorf("largest ring holds %d samples, want 3600 (1 h at 1 s)", maxRing)
	}
	if series > 20+8 || hists != 1 {
		t.Errorf("series %d hists %d: churned series were not evicted", series, hists)
	}
	// Log records go after a retention (swept every tenth of one), and
	// that is not a drop.
	if logs < 4*3600 || logs > 4*3600+4*360+4 || st.Drops().Logs != 0 {
		t.Errorf("logs %d dropped %d", logs, st.Drops().Logs)
	}
}

func BenchmarkIngest500Points(b *testing.B) {
	st := NewStore(StoreOptions{})
	ser := make([]Series, 500)
	for i := range ser {
		ser[i] = NewSeries("vllm_metric", Gauge, "service", "svc", "host", "h1", "i", fmt.Sprint(i))
	}
	f := Frame{Points: make([]Point, 500)}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		at := t0.Add(time.Duration(n) * time.Second)
		for i := range f.Points {
			f.Points[i] = Point{Series: ser[i], At: at, Value: float64(n)}
		}
		st.Ingest(f)
	}
}

func TestResetEmptiesAndStaysUsable(t *testing.T) {
	st := NewStore(StoreOptions{})
	st.Ingest(Frame{Points: []Point{gauge("g", t0, 1)}, Logs: []LogRecord{{At: t0}}})
	gen := st.Generation()
	st.Reset()
	if st.Generation() <= gen {
		t.Fatal("Reset must bump the generation")
	}
	if n, _, logs, _, _, _ := st.Sizes(); n != 0 || logs != 0 || len(st.Names()) != 0 {
		t.Fatalf("after Reset: %d series, %d logs, names %v", n, logs, st.Names())
	}
	st.Ingest(Frame{Points: []Point{gauge("g", t0, 2)}})
	if s, ok := st.Last(NewSeries("g", Gauge).Key(), t0); !ok || s.V != 2 {
		t.Fatalf("store unusable after Reset: %v %v", s, ok)
	}
}

// TestJitteryPollsKeepEverySample: samples 1 s apart with jitter must all be
// kept (a sample replaced later would change what the past looked like).
func TestJitteryPollsKeepEverySample(t *testing.T) {
	st := NewStore(StoreOptions{})
	base := t0.Add(880 * time.Millisecond)
	offsets := []time.Duration{0, 999 * time.Millisecond, 2 * time.Second, 2999 * time.Millisecond}
	for i, off := range offsets {
		st.Ingest(Frame{Points: []Point{gauge("g", base.Add(off), float64(i))}})
	}
	got := st.Range(NewSeries("g", Gauge).Key(), t0, t0.Add(time.Minute))
	if len(got) != 4 {
		t.Fatalf("kept %d of 4 samples: %v", len(got), got)
	}
	// Two samples in one slot: the newer wins.
	st.Ingest(Frame{Points: []Point{gauge("g", base.Add(2999*time.Millisecond+50*time.Millisecond), 9)}})
	got = st.Range(NewSeries("g", Gauge).Key(), t0, t0.Add(time.Minute))
	if len(got) != 4 || got[3].V != 9 {
		t.Fatalf("same-slot sample must replace: %v", got)
	}
}

// TestSamplesIngestLikePoints: the column form of a frame's points lands in
// the store exactly as the same Points would, with per-sample times or the
// frame's, and AllPoints gives them back.
func TestSamplesIngestLikePoints(t *testing.T) {
	cat := []Series{NewSeries("a", Gauge), NewSeries("b", Gauge, "gpu", "0"), NewSeries("c", Counter)}
	frames := []Frame{
		{At: t0, Samples: &Samples{Series: cat, IDs: []uint32{2, 0}, Values: []float64{5, 1}}},
		{At: t0.Add(time.Second), Points: []Point{gauge("a", t0.Add(time.Second), 2)},
			Samples: &Samples{Series: cat, IDs: []uint32{1}, Values: []float64{7}, At: []int64{t0.Add(1500 * time.Millisecond).UnixNano()}}},
	}
	viaSamples, viaPoints := NewStore(StoreOptions{}), NewStore(StoreOptions{})
	for _, f := range frames {
		viaSamples.Ingest(f)
		g := f
		g.Points, g.Samples = f.AllPoints(), nil
		if g.NumPoints() != f.NumPoints() {
			t.Fatalf("NumPoints %d, AllPoints %d", f.NumPoints(), g.NumPoints())
		}
		viaPoints.Ingest(g)
	}
	if got := frames[1].AllPoints(); len(got) != 2 || got[1].Series.Key() != cat[1].Key() || !got[1].At.Equal(t0.Add(1500*time.Millisecond)) || got[1].Value != 7 {
		t.Fatalf("AllPoints = %+v", got)
	}
	for _, s := range cat {
		a := viaSamples.Range(s.Key(), t0.Add(-time.Minute), t0.Add(time.Minute))
		b := viaPoints.Range(s.Key(), t0.Add(-time.Minute), t0.Add(time.Minute))
		if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("%s: samples %v, points %v", s.Key(), a, b)
		}
	}
	if s, ok := viaSamples.Last(cat[0].Key(), t0.Add(time.Second)); !ok || s.V != 2 {
		t.Fatalf("a at +1s = %v %v, want 2 (the Point after the sample)", s, ok)
	}
}

// TestSamplesAfterSweepAndReset: a catalogue's series that the store let go
// (retention sweep, Reset) come back when the catalogue's samples do.
func TestSamplesAfterSweepAndReset(t *testing.T) {
	cat := []Series{NewSeries("a", Gauge), NewSeries("b", Gauge)}
	st := NewStore(StoreOptions{Retention: time.Minute})
	ingest := func(at time.Time, v float64) {
		st.Ingest(Frame{At: at, Samples: &Samples{Series: cat, IDs: []uint32{0, 1}, Values: []float64{v, v}}})
	}
	ingest(t0, 1)
	// Another series far later: the sweep lets a and b go.
	for i := 0; i < 20; i++ {
		st.Ingest(Frame{Points: []Point{gauge("other", t0.Add(time.Hour+time.Duration(i)*10*time.Second), 0)}})
	}
	if len(st.Select("a")) != 0 || st.Drops().Series != 2 {
		t.Fatalf("a kept past retention (drops %+v)", st.Drops())
	}
	later := t0.Add(time.Hour + 4*time.Minute)
	ingest(later, 2)
	if s, ok := st.Last(cat[0].Key(), later); !ok || s.V != 2 || len(st.Select("b")) != 1 {
		t.Fatalf("a after the sweep = %v %v, b %v", s, ok, st.Select("b"))
	}
	st.Reset()
	ingest(later, 3)
	if s, ok := st.Last(cat[1].Key(), later); !ok || s.V != 3 {
		t.Fatalf("b after Reset = %v %v", s, ok)
	}
}

func TestOldest(t *testing.T) {
	st := NewStore(StoreOptions{})
	if !st.Oldest().IsZero() {
		t.Fatal("an empty store has an oldest sample")
	}
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	g := NewSeries("g", Gauge, "host", "a")
	h := NewSeries("h", Counter, "host", "a")
	st.Ingest(Frame{At: at, Points: []Point{{Series: g, At: at.Add(time.Minute), Value: 1}},
		Histograms: []Histogram{{Series: h, At: at, Buckets: []Bucket{{UpperBound: 1, Count: 1}}, Count: 1}}})
	st.Ingest(Frame{At: at, Points: []Point{{Series: g, At: at.Add(2 * time.Minute), Value: 1}}})
	if got := st.Oldest(); !got.Equal(at) {
		t.Fatalf("oldest %v, want %v (the histogram's)", got, at)
	}
}
