package sources

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// memFrames feeds st n seconds of a service's data: 200 gauges, 20
// histograms of 12 buckets, 5 log lines with fields, 4 spans with
// attributes and an exemplar a second.
func memFeed(st *Store, from time.Time, n int) {
	bounds := []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, inf}
	ser := make([]Series, 200)
	for i := range ser {
		ser[i] = NewSeries("vllm:metric_"+strconv.Itoa(i%20), Gauge, "service", "recsys", "host", "box", "i", strconv.Itoa(i))
	}
	for s := range n {
		at := from.Add(time.Duration(s) * time.Second)
		f := Frame{At: at}
		for i := range ser {
			f.Points = append(f.Points, Point{Series: ser[i], At: at, Value: float64(s * i)})
		}
		for i := range 20 {
			cum := make([]float64, len(bounds))
			for j := range cum {
				cum[j] = float64(s*(j+1) + i)
			}
			f.Histograms = append(f.Histograms, hist("lat", at, bounds, cum, float64(s)))
			f.Histograms[i].Series = NewSeries("lat", Counter, "i", strconv.Itoa(i))
		}
		for i := range 5 {
			raw := fmt.Sprintf(`{"ts":%d,"level":"info","msg":"request done","route":"/v1/recommend","latency_ms":%d,"n":%d}`, at.Unix(), s%900, i)
			f.Logs = append(f.Logs, LogRecord{At: at, Source: "demo", Level: LevelInfo, Msg: raw[40:52], Raw: raw,
				Fields: MakeFields(Field{"route", raw[61:74]}, Field{"latency_ms", strconv.Itoa(s % 900)})})
		}
		for i := range 4 {
			id := fmt.Sprintf("%032x", s*4+i)
			f.Spans = append(f.Spans, Span{TraceID: id, SpanID: id[16:], Service: "recsys", Name: "POST /v1/recommend", Start: at, End: at.Add(time.Millisecond),
				Attrs: map[string]string{"http.route": "/v1/recommend", "http.response.status_code": "200", "features.price": strconv.Itoa(s % 5000)}})
		}
		f.Exemplars = append(f.Exemplars, Exemplar{Series: ser[0], At: at, Value: 1, TraceID: fmt.Sprintf("%032x", s), SpanID: fmt.Sprintf("%016x", s)})
		st.Ingest(f)
	}
}

func heapNow() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestMemoryAccounting holds the store's own count of its bytes against
// the heap the runtime reports it keeps alive.
func TestMemoryAccounting(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a store of tens of megabytes")
	}
	before := heapNow()
	st := NewStore(StoreOptions{Retention: 20 * time.Minute, MaxLogs: 4000, MaxSpans: 3000, MaxExemplars: 500})
	memFeed(st, t0, 1500)
	heap := heapNow() - before
	u := st.Memory()
	runtime.KeepAlive(st)
	t.Logf("heap %d, counted %+v", heap, u)
	if r := float64(u.Total) / float64(heap); r < 0.85 || r > 1.15 {
		t.Fatalf("the store counts %d bytes, the heap grew by %d (ratio %.2f)", u.Total, heap, r)
	}
	parts := u.Series + u.Histograms + u.Logs + u.Spans + u.Events + u.Exemplars
	if parts != u.Total || u.Series == 0 || u.Histograms == 0 || u.Logs == 0 || u.Spans == 0 || u.Exemplars == 0 {
		t.Fatalf("parts %+v", u)
	}
	if u.NumSeries != 200 || u.NumHists != 20 || u.NumLogs != 4000 || u.NumSpans != 3000 || u.NumExempl != 500 {
		t.Fatalf("counts %+v", u)
	}
	st.Reset()
	if u := st.Memory(); u.Total != 0 {
		t.Fatalf("after Reset: %+v", u)
	}
}

// TestMemoryBudget: a store with a budget stays within it after every
// ingest, sheds the oldest first, counts what it shed and says how far
// back its series now reach.
func TestMemoryBudget(t *testing.T) {
	const budget = 4 << 20
	st := NewStore(StoreOptions{Budget: budget})
	at := t0
	for m := range 30 {
		memFeed(st, at, 60)
		at = at.Add(time.Minute)
		if u := st.Memory(); u.Total > budget {
			t.Fatalf("minute %d: %d bytes held, over the budget of %d", m, u.Total, budget)
		}
	}
	u, d := st.Memory(), st.Drops()
	if u.Budget != budget || u.ShedBytes == 0 || d.Samples == 0 || d.Logs == 0 || d.Spans == 0 {
		t.Fatalf("memory %+v drops %+v", u, d)
	}
	if u.Holds >= u.Retention || u.Holds < Dur(2*time.Minute) {
		t.Fatalf("series hold %v of the %v asked for", time.Duration(u.Holds), time.Duration(u.Retention))
	}
	// The newest of everything is still there.
	newest := at.Add(-time.Second)
	key := NewSeries("vllm:metric_0", Gauge, "service", "recsys", "host", "box", "i", "0").Key()
	if s, ok := st.Last(key, newest); !ok || s.T != newest.UnixNano() {
		t.Fatalf("newest sample: %v %v", s, ok)
	}
	if l := st.Logs(t0, newest, 1, nil); len(l) != 1 || !l[0].At.Equal(newest) {
		t.Fatalf("newest log: %v", l)
	}
	if sp := st.Spans(1, nil); len(sp) != 1 || !sp[0].Start.Equal(newest) {
		t.Fatalf("newest span: %v", sp)
	}
	// The oldest sample held is as old as Holds says, not older.
	r := st.Range(key, t0, newest)
	if got := newest.Sub(time.Unix(0, r[0].T)); got > time.Duration(u.Holds) {
		t.Fatalf("oldest sample %v back, holds %v", got, time.Duration(u.Holds))
	}
}

// TestSlowSeriesKeepTheRetention: a series scraped less often than the
// store's resolution holds about its retention, not a ring's worth of
// samples (3600 of 10 s would be 10 hours and ten times the memory).
func TestSlowSeriesKeepTheRetention(t *testing.T) {
	st := NewStore(StoreOptions{})
	key := NewSeries("slow", Gauge).Key()
	var peak int64
	for i := range 5 * 360 { // 5 hours at 10 s
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		st.Ingest(Frame{Points: []Point{gauge("slow", at, float64(i))}})
		if i >= 360 {
			peak = max(peak, st.Memory().Series)
		}
	}
	newest := t0.Add((5*360 - 1) * 10 * time.Second)
	r := st.Range(key, t0, newest)
	if back := newest.Sub(time.Unix(0, r[0].T)); back < time.Hour || back > 90*time.Minute {
		t.Fatalf("the oldest sample held is %v old, want 1h to 1h30m", back)
	}
	if u := st.Memory(); peak > 2*u.Series || u.Series > 16<<10 {
		t.Fatalf("series bytes %d now, %d at the peak", u.Series, peak)
	}
}

// TestRetentionAppliesToRecords: log records, spans and exemplars go a
// retention after they arrived (not by the time they carry: old lines
// read now stay), without counting as drops; events stay.
func TestRetentionAppliesToRecords(t *testing.T) {
	st := NewStore(StoreOptions{Retention: 10 * time.Minute})
	old := t0.Add(-24 * time.Hour)
	// A record before the first sample arrives with the next ones.
	st.Ingest(Frame{Logs: []LogRecord{{At: t0, Msg: "first"}}})
	st.Ingest(Frame{Points: []Point{gauge("g", t0.Add(-time.Second), 1)}})
	if l := st.Logs(old, t0, 0, nil); len(l) != 1 {
		t.Fatalf("the record before the first sample went: %v", l)
	}
	for s := range 30 * 60 {
		at := t0.Add(time.Duration(s) * time.Second)
		f := Frame{Points: []Point{gauge("g", at, 1)}}
		if s%60 == 0 { // a minute's records, one of them carrying yesterday's time
			f.Logs = []LogRecord{{At: at, Msg: strconv.Itoa(s)}, {At: old, Msg: "old " + strconv.Itoa(s)}}
			f.Spans = []Span{{SpanID: strconv.Itoa(s), Start: at, End: at}}
			f.Exemplars = []Exemplar{{At: at, TraceID: strconv.Itoa(s)}}
			f.Events = []Event{{At: at, Kind: "marker", Text: strconv.Itoa(s)}}
		}
		st.Ingest(f)
	}
	u, d := st.Memory(), st.Drops()
	// Ten or eleven minutes' worth: the sweep runs every tenth of a retention.
	if u.NumLogs < 20 || u.NumLogs > 24 || u.NumSpans < 10 || u.NumSpans > 12 || u.NumExempl < 10 || u.NumExempl > 12 || u.NumEvents != 30 {
		t.Fatalf("held %+v", u)
	}
	if d.Logs != 0 || d.Spans != 0 || d.Exemplars != 0 {
		t.Fatalf("drops %+v", d)
	}
	held := map[string]bool{}
	for _, l := range st.Logs(old, t0.Add(time.Hour), 0, nil) {
		held[l.Msg] = true
	}
	if !held["1740"] || !held["old 1740"] || held["0"] || held["old 0"] {
		t.Fatalf("logs held %v", held)
	}
	if sp := st.Spans(0, nil); sp[len(sp)-1].SpanID != "1740" {
		t.Fatalf("newest span %v", sp[len(sp)-1])
	}
}
