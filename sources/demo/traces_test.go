package demo

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	coltrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// otlpSink is a minimal OTLP/HTTP traces receiver.
type otlpSink struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	svc   map[string]string // span id (hex) → service.name
	paths map[string]int
}

func (o *otlpSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var req coltrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(b, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.paths[r.URL.Path]++
	for _, rs := range req.GetResourceSpans() {
		name := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.GetKey() == "service.name" {
				name = a.GetValue().GetStringValue()
			}
		}
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				o.spans = append(o.spans, sp)
				o.svc[hex.EncodeToString(sp.GetSpanId())] = name
			}
		}
	}
	o.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-protobuf")
	out, _ := proto.Marshal(&coltrace.ExportTraceServiceResponse{})
	w.Write(out)
}

// exportAll sends every span emitted so far, however long it takes. The
// running demo flushes on each beat (a second's spans); these tests step
// many seconds at once, and Close's half a second for what is left is too
// short for thousands of spans on a loaded machine under -race.
func exportAll(t *testing.T, s *Service) {
	t.Helper()
	s.mu.RLock()
	tr := s.sim.tr
	s.mu.RUnlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := tr.llmTP.ForceFlush(ctx); err != nil {
		t.Fatalf("exporting the spans: %v", err)
	}
}

func TestTracesMatchLogs(t *testing.T) {
	sink := &otlpSink{svc: map[string]string{}, paths: map[string]int{}}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	s, clk := startManual(t, Options{Seed: 5, OTLPEndpoint: srv.URL})
	var eb Incident
	for _, in := range s.Timeline() {
		if in.Kind == ErrorBurst {
			eb = in
		}
	}
	// Ten seconds inside the error burst, so that failed requests are traced.
	clk.Set(t0.Add(eb.Start + 5*time.Second))
	s.Step()
	mark := len(readLog(t, s.LogPath()))
	clk.Set(t0.Add(eb.Start + 15*time.Second))
	s.Step()
	lines := readLog(t, s.LogPath())[mark:]
	exportAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	sink.mu.Lock()
	defer sink.mu.Unlock()
	if sink.paths["/v1/traces"] == 0 {
		t.Fatalf("no export to /v1/traces: %v", sink.paths)
	}
	type tr struct {
		root     *tracepb.Span
		children []string
	}
	traces := map[string]*tr{}
	for _, sp := range sink.spans {
		id := hex.EncodeToString(sp.GetTraceId())
		x := traces[id]
		if x == nil {
			x = &tr{}
			traces[id] = x
		}
		if len(sp.GetParentSpanId()) == 0 {
			x.root = sp
		} else {
			x.children = append(x.children, sp.GetName())
		}
	}
	t.Logf("spans %d traces %d lines %d paths %v", len(sink.spans), len(traces), len(lines), sink.paths)
	errLines := 0
	for _, l := range lines {
		tid, _ := l["trace_id"].(string)
		if tid == "" {
			continue
		}
		x := traces[tid]
		if x == nil || x.root == nil {
			t.Errorf("log line's trace %s was not exported: %v", tid, l["msg"])
			continue
		}
		if got := hex.EncodeToString(x.root.GetSpanId()); got != l["span_id"] {
			t.Errorf("trace %s: root span %s, log line says %v", tid, got, l["span_id"])
		}
		svc := sink.svc[hex.EncodeToString(x.root.GetSpanId())]
		if svc != l["service"] {
			t.Errorf("trace %s: service.name %q, log line %q", tid, svc, l["service"])
		}
		status, _ := l["status"].(float64)
		isErr := x.root.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR
		if (status >= 500) != isErr {
			t.Errorf("trace %s: status %v in the log, span error %v", tid, status, isErr)
		}
		if status >= 500 {
			errLines++
		}
		wantKids := map[string]string{recsysService: "feature-fetch", llmModelName: "queue,prefill,decode"}[svc]
		if status < 400 && strings.Join(x.children, ",") != wantKids && !(svc == recsysService && strings.Join(x.children, ",") == "feature-fetch,model,rank") {
			t.Errorf("trace %s (%s): children %v", tid, svc, x.children)
		}
		dur := time.Duration(x.root.GetEndTimeUnixNano() - x.root.GetStartTimeUnixNano())
		if ms, _ := l["latency_ms"].(float64); (dur.Seconds()*1000-ms) > 1 || (ms-dur.Seconds()*1000) > 1 {
			t.Errorf("trace %s: root lasts %v, log line says %v ms", tid, dur, ms)
		}
	}
	if errLines < 5 {
		t.Errorf("%d failed requests traced in 10 s of the error burst", errLines)
	}
	if len(traces) < 50 {
		t.Errorf("%d traces exported for 10 s", len(traces))
	}
}

// TestTracesNobodyListening checks that a dead OTLP endpoint neither blocks
// the service nor floods its log.
func TestTracesNobodyListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // now nothing listens there
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	s, clk := startManual(t, Options{Seed: 1, OTLPEndpoint: "http://" + addr, Logger: log})
	for range 30 {
		clk.Advance(time.Second)
		s.Step()
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if n := strings.Count(buf.String(), "trace export failed"); n > 1 {
		t.Errorf("%d export warnings, want at most one:\n%s", n, buf.String())
	}
	if n := s.sim.tr.exp.failures; n == 0 {
		t.Errorf("no export failure counted against a dead endpoint")
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTracesURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:4318":            "http://127.0.0.1:4318/v1/traces",
		"http://127.0.0.1:4318/":           "http://127.0.0.1:4318/v1/traces",
		"http://127.0.0.1:4318/otlp/v1/tr": "http://127.0.0.1:4318/otlp/v1/tr",
	} {
		if got, err := tracesURL(in); err != nil || got != want {
			t.Errorf("tracesURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"127.0.0.1:4318", "grpc://x:1", "http://"} {
		if _, err := tracesURL(bad); err == nil {
			t.Errorf("tracesURL(%q): no error", bad)
		}
	}
	if _, err := Start(context.Background(), Options{Dir: t.TempDir(), OTLPEndpoint: "localhost"}); err == nil {
		t.Errorf("Start with a bad OTLP endpoint: no error")
	}
}
