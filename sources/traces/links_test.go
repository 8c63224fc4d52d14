package traces

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var t0 = time.Date(2026, 3, 14, 14, 2, 0, 0, time.UTC)

// traceSpans builds a two-span trace: a root of service svc lasting d, and
// a child that fails when failed is set.
func traceSpans(id int, svc string, start time.Time, d time.Duration, failed bool) []sources.Span {
	tid := fmt.Sprintf("%032x", id)
	root := sources.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", id*10), Service: svc, Name: "POST /v1/chat", Start: start, End: start.Add(d)}
	child := sources.Span{TraceID: tid, SpanID: fmt.Sprintf("%016x", id*10+1), ParentID: root.SpanID, Service: "engine", Name: "generate",
		Start: start.Add(d / 10), End: start.Add(d * 9 / 10)}
	if failed {
		child.Status = sources.SpanError
	}
	return []sources.Span{child, root} // children often arrive first
}

func storeWith(spans ...[]sources.Span) *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	for _, s := range spans {
		st.Ingest(sources.Frame{Spans: s})
	}
	return st
}

func TestStoreBackend(t *testing.T) {
	st := storeWith(
		traceSpans(1, "api", t0, 100*time.Millisecond, false),
		traceSpans(2, "api", t0.Add(time.Second), 900*time.Millisecond, true),
		traceSpans(3, "batch", t0.Add(2*time.Second), 2*time.Second, false),
		traceSpans(4, "api", t0.Add(-time.Hour), time.Second, true),
	)
	b := StoreBackend{Store: st}
	spans, err := b.Trace(context.Background(), "2")
	if err != nil || len(spans) != 2 || spans[0].ParentID != "" {
		t.Fatalf("trace 2: %v %+v", err, spans)
	}
	if _, err := b.Trace(context.Background(), "99"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	sums, err := b.Search(context.Background(), Query{Service: "api", From: t0, To: t0.Add(time.Minute), Order: OrderWorst})
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums[0].TraceID != fmt.Sprintf("%032x", 2) || sums[1].TraceID != fmt.Sprintf("%032x", 1) {
		t.Fatalf("search %+v", sums)
	}
	s := sums[0]
	if s.Service != "api" || s.Name != "POST /v1/chat" || s.Spans != 2 || s.Errors != 1 || s.Duration != 900*time.Millisecond || s.Partial {
		t.Errorf("summary %+v", s)
	}
	// The engine service is in every trace: a search by it finds all four.
	all, _ := b.Search(context.Background(), Query{Service: "engine", Limit: 10})
	if len(all) != 4 || all[0].TraceID != fmt.Sprintf("%032x", 3) {
		t.Errorf("engine search %+v", all)
	}
	slow, _ := b.Search(context.Background(), Query{MinDuration: time.Second, Order: OrderSlowest})
	if len(slow) != 2 || slow[0].Duration != 2*time.Second {
		t.Errorf("slow %+v", slow)
	}
	// A trace whose root has not arrived is partial, named after its earliest span.
	part := Summarize(traceSpans(5, "api", t0, time.Second, false)[:1])
	if len(part) != 1 || !part[0].Partial || part[0].Service != "engine" {
		t.Errorf("partial %+v", part)
	}
}

func TestBehind(t *testing.T) {
	st := storeWith(
		traceSpans(1, "api", t0, 100*time.Millisecond, false),
		traceSpans(2, "api", t0.Add(time.Second), 300*time.Millisecond, false),
		traceSpans(3, "api", t0.Add(2*time.Second), 200*time.Millisecond, true),
		traceSpans(4, "other", t0.Add(2*time.Second), 5*time.Second, true),
		traceSpans(5, "api", t0.Add(-10*time.Minute), 8*time.Second, false), // outside the window
	)
	lat := sources.NewSeries(sources.SvcLatency, sources.Gauge, "service", "api")
	st.Ingest(sources.Frame{Exemplars: []sources.Exemplar{
		{Series: lat, At: t0.Add(1300 * time.Millisecond), Value: 0.3, TraceID: fmt.Sprintf("%032x", 2)},
		{Series: lat, At: t0.Add(30 * time.Second), Value: 4.5, TraceID: "abcdef"}, // a trace vigil never saw
		{Series: lat, At: t0.Add(40 * time.Second), Value: 0.1},                    // no trace id
		{Series: sources.NewSeries(sources.SvcLatency, sources.Gauge, "service", "other"), At: t0.Add(time.Second), Value: 9, TraceID: fmt.Sprintf("%032x", 4)},
		// A raw series without the canonical service label, naming it in another label.
		{Series: sources.NewSeries("vllm:e2e_request_latency_seconds", sources.Gauge, "model_name", "other"), At: t0.Add(time.Second), Value: 7, TraceID: fmt.Sprintf("%032x", 4)},
		// An exemplar in the window pointing at a trace that started before it.
		{Series: lat, At: t0.Add(10 * time.Second), Value: 0.2, TraceID: fmt.Sprintf("%032x", 5)},
	}})
	got := BehindStore(st, Spike{Service: "api", From: t0, To: t0.Add(time.Minute)}, nil, nil, 0)
	want := []struct {
		id       string
		exemplar bool
	}{
		{fmt.Sprintf("%032x", 0xabcdef), true}, // highest exemplar value first
		{fmt.Sprintf("%032x", 2), true},
		{fmt.Sprintf("%032x", 5), true},
		{fmt.Sprintf("%032x", 3), false}, // then failed
		{fmt.Sprintf("%032x", 1), false}, // then slowest
	}
	if len(got) != len(want) {
		t.Fatalf("got %d: %+v", len(got), got)
	}
	for i, w := range want {
		if got[i].TraceID != w.id || got[i].Exemplar != w.exemplar {
			t.Errorf("%d: got %s exemplar=%v, want %s %v", i, got[i].TraceID, got[i].Exemplar, w.id, w.exemplar)
		}
	}
	// The unseen trace is described by its exemplar: a 4.5 s request ending at the exemplar.
	if u := got[0]; u.Duration != 4500*time.Millisecond || !u.Partial || u.Service != "api" || !u.End().Equal(t0.Add(30*time.Second)) {
		t.Errorf("unseen %+v", u)
	}
	// The held one carries the store's summary (span count) and the exemplar value.
	if h := got[2]; h.Spans != 2 || h.Duration != 8*time.Second || h.ExemplarValue != 0.2 {
		t.Errorf("held %+v", h)
	}
	// The raw series' exemplar counts for the service its label names.
	other := BehindStore(st, Spike{Service: "other", From: t0, To: t0.Add(time.Minute)}, nil, nil, 0)
	if len(other) == 0 || !other[0].Exemplar || other[0].TraceID != fmt.Sprintf("%032x", 4) || other[0].ExemplarValue != 9 {
		t.Errorf("other %+v", other)
	}
	// Without exemplars: failed first, then slowest.
	plain := Behind(Spike{Service: "api", From: t0, To: t0.Add(time.Minute)}, nil, StoreSummaries(st, nil), 2)
	if len(plain) != 2 || plain[0].TraceID != fmt.Sprintf("%032x", 3) || plain[1].TraceID != fmt.Sprintf("%032x", 2) {
		t.Errorf("plain %+v", plain)
	}
}

func TestMultiAndHelpers(t *testing.T) {
	a := StoreBackend{Store: storeWith(traceSpans(1, "api", t0, time.Second, false))}
	b := StoreBackend{Store: storeWith(traceSpans(2, "api", t0, 2*time.Second, true), traceSpans(1, "api", t0, time.Second, false))}
	m := Multi{a, b}
	if _, err := m.Trace(context.Background(), "2"); err != nil {
		t.Errorf("second backend not asked: %v", err)
	}
	if _, err := m.Trace(context.Background(), "3"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	sums, err := m.Search(context.Background(), Query{Service: "api", Order: OrderWorst})
	if err != nil || len(sums) != 2 || !sums[0].Failed() {
		t.Errorf("merged %+v %v", sums, err)
	}
	if m.Name() != "local + local" {
		t.Errorf("name %q", m.Name())
	}
	called := false
	var src ExemplarSource = ExemplarFunc(func(ctx context.Context, svc string, from, to time.Time) ([]sources.Exemplar, error) {
		called = svc == "api"
		return nil, nil
	})
	_, _ = src.Exemplars(context.Background(), "api", t0, t0)
	if !called {
		t.Error("ExemplarFunc")
	}
	for addr, want := range map[string]bool{"127.0.0.1:4318": true, "localhost:1": true, "[::1]:4318": true, "0.0.0.0:4318": false, ":4318": false, "10.0.0.1:4318": false} {
		if loopback(addr) != want {
			t.Errorf("loopback(%q) = %v", addr, !want)
		}
	}
	for in, want := range map[string]string{"ABC": "00000000000000000000000000000abc", "0af7651916cd43dd8448eb211c80319c": "0af7651916cd43dd8448eb211c80319c", "xyz": "", "": ""} {
		if got, _ := NormalizeID(in); got != want {
			t.Errorf("NormalizeID(%q) = %q", in, got)
		}
	}
}
