package sources

import (
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSpansRoundTrip: a span read back from the store is the span that
// went in, whatever its attributes, ids and times hold.
func TestSpansRoundTrip(t *testing.T) {
	st := NewStore(StoreOptions{})
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	long := string(make([]byte, 300))
	in := []Span{
		{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7", Service: "llama", Name: "chat",
			Start: at, End: at.Add(time.Second), Status: SpanOK,
			Attrs: map[string]string{"http.route": "/v1/chat", "gen_ai.usage.output_tokens": "231", "long": long, "": "empty key", "e": ""}},
		{TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "1", ParentID: "00f067aa0ba902b7", Service: "llama", Name: "decode",
			Start: at.Local(), End: at.Add(2 * time.Second).Local(), Status: SpanError},
		{TraceID: "not hex", SpanID: "x", Service: "σ", Name: "\u202e", Attrs: map[string]string{},
			Events: []SpanEvent{{At: at, Name: "retry", Attrs: map[string]string{"n": "2"}}}},
		{}, // nothing at all: zero times, no ids
	}
	st.Ingest(Frame{At: at, Spans: in})
	got := st.Spans(0, nil)
	want := in
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %#v\nwant %#v", got, want)
	}
	// keep sees each span, without its attributes; what it keeps has
	// them, its own.
	var seen int
	kept := st.Spans(0, func(sp *Span) bool { seen++; return sp.Service == "llama" && sp.Attrs == nil })
	if seen != 4 || len(kept) != 2 || !reflect.DeepEqual(kept, want[:2]) {
		t.Fatalf("keep: saw %d, kept %#v", seen, kept)
	}
	kept[0].Attrs["http.route"] = "changed"
	if again := st.Spans(0, nil); again[0].Attrs["http.route"] != "/v1/chat" {
		t.Fatal("a kept span's attributes are the store's")
	}
	if one := st.Spans(1, nil); len(one) != 1 || one[0].Name != "" {
		t.Fatalf("limit 1: %#v", one)
	}
}

// TestSpansStringTableFull: past the string table's capacity, values are
// held in place and still read back.
func TestSpansStringTableFull(t *testing.T) {
	st := NewStore(StoreOptions{MaxSpans: 10})
	at := time.Unix(1000, 0)
	for i := range maxStrings + 100 {
		v := strconv.Itoa(i)
		st.Ingest(Frame{At: at, Spans: []Span{{TraceID: v, SpanID: v, Service: "svc" + v, Name: "op", Start: at, End: at,
			Attrs: map[string]string{"k" + v: v}}}})
	}
	got := st.Spans(0, nil)
	if len(got) != 10 {
		t.Fatalf("%d spans held", len(got))
	}
	for i, sp := range got {
		v := strconv.Itoa(maxStrings + 90 + i)
		if sp.Service != "svc"+v || sp.Attrs["k"+v] != v || len(sp.Attrs) != 1 {
			t.Fatalf("span %d: %#v", i, sp)
		}
	}
	if d := st.Drops().Spans; d != maxStrings+90 {
		t.Fatalf("drops %d", d)
	}
}

// TestSpanScanAllocates: a scan that keeps nothing allocates nothing per
// span: a span's ids and the strings held in place are parts of its one
// string, not copies.
func TestSpanScanAllocates(t *testing.T) {
	st := NewStore(StoreOptions{})
	at := time.Unix(1000, 0)
	long := strings.Repeat("s", maxStringLen+1) // held in place, not in the table
	for i := range 1000 {
		st.Ingest(Frame{At: at, Spans: []Span{{TraceID: fmt.Sprintf("%032x", i), SpanID: fmt.Sprintf("%016x", i), ParentID: "00f067aa0ba902b7",
			Service: long, Name: long + "op", Start: at, End: at, Attrs: map[string]string{"k": long}}}})
	}
	n := 0
	allocs := testing.AllocsPerRun(5, func() {
		st.Spans(0, func(sp *Span) bool { n += len(sp.TraceID) + len(sp.Service); return false })
	})
	if allocs > 2 || n == 0 {
		t.Fatalf("a scan of 1,000 spans allocated %.0f times", allocs)
	}
}

func BenchmarkSpanScan(b *testing.B) {
	st := NewStore(StoreOptions{})
	at := time.Unix(1000, 0)
	for i := range 50_000 {
		st.Ingest(Frame{At: at, Spans: []Span{{TraceID: fmt.Sprintf("%032x", i/5), SpanID: fmt.Sprintf("%016x", i), Service: "recsys", Name: "POST /v1/recommend",
			Start: at, End: at.Add(time.Millisecond), Attrs: map[string]string{"http.route": "/v1/recommend", "http.response.status_code": "200",
				"model.name": "ranker-v7", "features.price": strconv.Itoa(i % 5000), "host.name": "box", "service.namespace": "demo"}}}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n := 0
		st.Spans(0, func(sp *Span) bool { n++; return false })
		if n != 50_000 {
			b.Fatal(n)
		}
	}
}

// BenchmarkSpanHeldBytes reports the heap a held span costs, the store's
// own count of it, and what reading them all back allocates: 50,000 spans
// shaped like the demo's (a root with its request's attributes and three
// children with the resource's), what the store holds at its default cap.
func BenchmarkSpanHeldBytes(b *testing.B) {
	const n = 50_000
	at := time.Date(2026, 12, 7, 12, 0, 0, 0, time.Local)
	res := func(m map[string]string) map[string]string {
		m["service.name"], m["service.namespace"], m["host.name"] = "recsys", "vigil-demo", "demo-box"
		m["otel.scope.name"] = "github.com/vigil-dev/vigil/sources/demo"
		return m
	}
	// A batch as the receiver delivers it: strings of its own, gone once
	// the store has what it keeps.
	batch := func(from int) []Span {
		var spans []Span
		for i := from; len(spans) < 500; i++ {
			trace, root := fmt.Sprintf("%032x", i*7919), fmt.Sprintf("%016x", i*4)
			spans = append(spans, Span{TraceID: trace, SpanID: root, Service: "recsys", Name: "POST /v1/recommend",
				Start: at, End: at.Add(30 * time.Millisecond), Attrs: res(map[string]string{"span.kind": "server",
					"http.request.method": "POST", "http.route": "/v1/recommend", "http.response.status_code": "200",
					"model.name": "ranker-v7", "features.price": strconv.FormatFloat(float64(i%5000)*1.37, 'f', -1, 64),
					"predicted_class": "c" + strconv.Itoa(i%7)})})
			for j, name := range []string{"feature-fetch", "model", "rank"} {
				spans = append(spans, Span{TraceID: strings.Clone(trace), SpanID: fmt.Sprintf("%016x", i*4+j+1), ParentID: strings.Clone(root),
					Service: "recsys", Name: name, Start: at, End: at.Add(10 * time.Millisecond), Attrs: res(map[string]string{"span.kind": "internal"})})
			}
		}
		return spans
	}
	var per, count float64
	for range b.N {
		before := heapNow()
		st := NewStore(StoreOptions{MaxSpans: n})
		for i := 0; i < n; i += 500 {
			st.Ingest(Frame{At: at, Spans: batch(i / 4)})
		}
		per = float64(heapNow()-before) / n
		count = float64(st.Memory().Spans) / n
		runtime.KeepAlive(st)
	}
	b.ReportMetric(per, "heap-B/span")
	b.ReportMetric(count, "counted-B/span")
}
