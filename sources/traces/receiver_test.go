package traces

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-dev/vigil/sources"
)

// collector runs a receiver on 127.0.0.1:0 and gathers what it emits.
type collector struct {
	r      *Receiver
	mu     sync.Mutex
	spans  []sources.Span
	health []sources.Health
	cancel context.CancelFunc
	done   chan error
}

func startReceiver(t testing.TB, opts ReceiverOptions) *collector {
	t.Helper()
	opts.Listen = "127.0.0.1:0"
	c := &collector{r: NewReceiver(opts), done: make(chan error, 1)}
	if err := c.r.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		c.done <- c.r.Run(ctx, func(f sources.Frame) {
			c.mu.Lock()
			defer c.mu.Unlock()
			c.spans = append(c.spans, f.Spans...)
			if f.Health != nil {
				c.health = append(c.health, *f.Health)
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-c.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Run did not return after cancel")
		}
	})
	return c
}

// waitSpans waits, with a deadline, until n spans have arrived.
func (c *collector) waitSpans(t testing.TB, n int) []sources.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		got := append([]sources.Span(nil), c.spans...)
		c.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d spans, want %d", len(got), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (c *collector) lastHealth() sources.Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.health) == 0 {
		return sources.Health{}
	}
	return c.health[len(c.health)-1]
}

// exportWithSDK sends a small trace through the real OpenTelemetry SDK and
// its OTLP/HTTP exporter and returns its trace id.
func exportWithSDK(t *testing.T, endpoint string, opts ...otlptracehttp.Option) (trace.TraceID, map[string]trace.SpanID) {
	t.Helper()
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, append([]otlptracehttp.Option{otlptracehttp.WithEndpointURL(endpoint)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "chat-api"), attribute.String("host.name", "gpu-01"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	tr := tp.Tracer("vigil.test/inference")
	root, rootSpan := tr.Start(ctx, "POST /v1/chat/completions", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.route", "/v1/chat/completions"), attribute.Int("http.status_code", 500),
			attribute.StringSlice("gen_ai.stop", []string{"a", "b"})))
	_, q := tr.Start(root, "queue")
	q.End()
	_, gen := tr.Start(root, "generate \x1b]52;c;aGk=\x07\x1b[2J", trace.WithAttributes(attribute.Float64("gen_ai.temperature", 0.7)))
	gen.AddEvent("first token", trace.WithAttributes(attribute.Int("tokens", 1)))
	gen.SetStatus(codes.Error, "CUDA out of memory")
	gen.End()
	rootSpan.SetStatus(codes.Error, "upstream failed")
	rootSpan.End()
	if err := tp.ForceFlush(ctx); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	return rootSpan.SpanContext().TraceID(), map[string]trace.SpanID{
		"root": rootSpan.SpanContext().SpanID(), "queue": q.SpanContext().SpanID(), "gen": gen.SpanContext().SpanID(),
	}
}

func TestReceiverOTelSDK(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []otlptracehttp.Option
	}{
		{"protobuf", nil},
		{"protobuf-gzip", []otlptracehttp.Option{otlptracehttp.WithCompression(otlptracehttp.GzipCompression)}},
		{"json", []otlptracehttp.Option{otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON)}},
		{"json-gzip", []otlptracehttp.Option{otlptracehttp.WithEncoding(otlptracehttp.EncodingJSON), otlptracehttp.WithCompression(otlptracehttp.GzipCompression)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := startReceiver(t, ReceiverOptions{})
			tid, ids := exportWithSDK(t, c.r.Endpoint(), tc.opts...)
			spans := c.waitSpans(t, 3)
			if len(spans) != 3 {
				t.Fatalf("got %d spans, want 3", len(spans))
			}
			by := map[string]sources.Span{}
			for _, s := range spans {
				if s.TraceID != tid.String() {
					t.Errorf("span %q trace id %s, want %s", s.Name, s.TraceID, tid)
				}
				if s.Service != "chat-api" {
					t.Errorf("span %q service %q", s.Name, s.Service)
				}
				by[s.SpanID] = s
			}
			root, ok := by[ids["root"].String()]
			if !ok {
				t.Fatalf("root span %s missing: %+v", ids["root"], spans)
			}
			if root.Name != "POST /v1/chat/completions" || root.ParentID != "" {
				t.Errorf("root = %q parent %q", root.Name, root.ParentID)
			}
			if root.Status != sources.SpanError || root.Attrs[AttrStatusMessage] != "upstream failed" {
				t.Errorf("root status %v %q", root.Status, root.Attrs[AttrStatusMessage])
			}
			for k, want := range map[string]string{
				"http.route": "/v1/chat/completions", "http.status_code": "500", "gen_ai.stop": "[a, b]",
				AttrSpanKind: "server", AttrScope: "vigil.test/inference", "resource.host.name": "gpu-01",
			} {
				if root.Attrs[k] != want {
					t.Errorf("root attr %s = %q, want %q", k, root.Attrs[k], want)
				}
			}
			if !root.End.After(root.Start) || root.Start.IsZero() {
				t.Errorf("root times %v..%v", root.Start, root.End)
			}
			q := by[ids["queue"].String()]
			if q.Name != "queue" || q.ParentID != root.SpanID || q.Status != sources.SpanUnset {
				t.Errorf("queue span = %+v", q)
			}
			g := by[ids["gen"].String()]
			if g.ParentID != root.SpanID || g.Status != sources.SpanError {
				t.Errorf("gen span = %+v", g)
			}
			if g.Name != "generate " || strings.ContainsAny(g.Name, "\x1b\x07") {
				t.Errorf("span name not sanitized: %q", g.Name)
			}
			if g.Attrs["gen_ai.temperature"] != "0.7" {
				t.Errorf("gen attrs = %v", g.Attrs)
			}
			if len(g.Events) != 1 || g.Events[0].Name != "first token" || g.Events[0].Attrs["tokens"] != "1" || g.Events[0].At.IsZero() {
				t.Errorf("gen events = %+v", g.Events)
			}
			st := c.r.Stats()
			if st.Spans != 3 || st.Rejected != 0 || st.Malformed != 0 {
				t.Errorf("stats = %+v", st)
			}
		})
	}
}

func post(t *testing.T, url, ctype string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// A hand-written OTLP/JSON body as the specification's example shows it:
// hex ids, string-encoded 64-bit integers, enum numbers, unknown fields.
const specJSON = `{
 "resourceSpans": [{
  "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "ranker"}}]},
  "scopeSpans": [{
   "scope": {"name": "manual", "version": "1.0.0"},
   "spans": [{
     "traceId": "5B8EFFF798038103D269B633813FC60C",
     "spanId": "EEE19B7EC3C1B174",
     "parentSpanId": "EEE19B7EC3C1B173",
     "name": "rerank \u001b[31mred\u001b[0m",
     "startTimeUnixNano": "1544712660000000000",
     "endTimeUnixNano": 1544712661000000000,
     "kind": 2,
     "futureField": {"x": 1},
     "attributes": [
      {"key": "my.service.attr", "value": {"intValue": "42"}},
      {"key": "nested", "value": {"kvlistValue": {"values": [{"key": "a", "value": {"boolValue": true}}]}}},
      {"key": "blob", "value": {"bytesValue": "AQID"}}
     ],
     "status": {"code": "STATUS_CODE_ERROR", "message": "boom"}
   },
   {"traceId": "00000000000000000000000000000000", "spanId": "EEE19B7EC3C1B175", "name": "zero trace id"},
   {"traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EE", "name": "short span id"}]
  }]
 }]
}`

func TestReceiverJSONPartialSuccess(t *testing.T) {
	c := startReceiver(t, ReceiverOptions{})
	resp, body := post(t, c.r.Endpoint(), "application/json", []byte(specJSON))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var out coltracepb.ExportTraceServiceResponse
	if err := protojson.Unmarshal(body, &out); err != nil {
		t.Fatalf("response %q: %v", body, err)
	}
	if out.GetPartialSuccess().GetRejectedSpans() != 2 || out.GetPartialSuccess().GetErrorMessage() == "" {
		t.Errorf("partial success = %v", out.GetPartialSuccess())
	}
	spans := c.waitSpans(t, 1)
	s := spans[0]
	if s.TraceID != "5b8efff798038103d269b633813fc60c" || s.SpanID != "eee19b7ec3c1b174" || s.ParentID != "eee19b7ec3c1b173" {
		t.Errorf("ids = %s %s %s", s.TraceID, s.SpanID, s.ParentID)
	}
	if s.Service != "ranker" || s.Name != "rerank red" || s.Status != sources.SpanError {
		t.Errorf("span = %q %q %v", s.Service, s.Name, s.Status)
	}
	if s.Start != time.Unix(1544712660, 0) || s.End.Sub(s.Start) != time.Second {
		t.Errorf("times %v %v", s.Start, s.End)
	}
	for k, want := range map[string]string{"my.service.attr": "42", "nested.a": "true", "blob": "010203", AttrSpanKind: "server", AttrStatusMessage: "boom"} {
		if s.Attrs[k] != want {
			t.Errorf("attr %s = %q, want %q", k, s.Attrs[k], want)
		}
	}
	if st := c.r.Stats(); st.Rejected != 2 || st.Spans != 1 {
		t.Errorf("stats %+v", st)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(c.lastHealth().Detail, "1 spans received, 2 rejected") {
		if time.Now().After(deadline) {
			t.Fatalf("health = %+v", c.lastHealth())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if h := c.lastHealth(); h.Kind != "traces" || h.State != sources.HealthOK || h.Err != "" || !strings.Contains(h.Detail, "last refused: 2 spans rejected") {
		t.Errorf("health = %+v", h)
	}
}

func TestReceiverProtojsonBase64IDs(t *testing.T) {
	// protojson (and Tempo) write ids as base64; they must read the same.
	tid, _ := hex.DecodeString("0af7651916cd43dd8448eb211c80319c")
	sid, _ := hex.DecodeString("b7ad6b7169203331")
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{{
		ScopeSpans: []*tracepb.ScopeSpans{{Spans: []*tracepb.Span{{TraceId: tid, SpanId: sid, Name: "x", StartTimeUnixNano: 1, EndTimeUnixNano: 2}}}},
	}}}
	b, err := protojson.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	spans, rej, _ := Convert(got.ResourceSpans, Limits{})
	if rej != 0 || len(spans) != 1 || spans[0].TraceID != "0af7651916cd43dd8448eb211c80319c" || spans[0].SpanID != "b7ad6b7169203331" {
		t.Fatalf("spans %+v rejected %d", spans, rej)
	}
	if spans[0].Service != UnknownService {
		t.Errorf("service %q", spans[0].Service)
	}
}

func TestReceiverMalformed(t *testing.T) {
	c := startReceiver(t, ReceiverOptions{})
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("\xff\xff\xff garbage"))
	_ = zw.Close()
	for _, tc := range []struct {
		name, ctype string
		body        []byte
		hdr         []string
		want        int
	}{
		{"binary garbage", "application/x-protobuf", []byte("\xff\xff\xff\xff\x0f garbage"), nil, 400},
		{"truncated protobuf", "application/x-protobuf", []byte{0x0a, 0x10, 0x0a}, nil, 400},
		{"json not an object", "application/json", []byte(`[1,2,3]`), nil, 400},
		{"json wrong types", "application/json", []byte(`{"resourceSpans": {"x": 1}}`), nil, 400},
		{"invalid utf-8 json", "application/json", []byte("{\"resourceSpans\": [\xff]}"), nil, 400},
		{"gzip header lies", "application/x-protobuf", []byte("not gzip"), []string{"Content-Encoding", "gzip"}, 400},
		{"gzip of garbage", "application/x-protobuf", gz.Bytes(), []string{"Content-Encoding", "gzip"}, 400},
		{"unknown content type", "text/plain", []byte("hello"), nil, 415},
		{"unknown encoding", "application/json", []byte("{}"), []string{"Content-Encoding", "br"}, 415},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, c.r.Endpoint(), tc.ctype, tc.body, tc.hdr...)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, tc.want, body)
			}
			if tc.want == 400 {
				var st spb.Status
				var err error
				if tc.ctype == "application/json" {
					err = protojson.Unmarshal(body, &st)
				} else {
					err = proto.Unmarshal(body, &st)
				}
				if err != nil || st.Message == "" {
					t.Errorf("400 body is not a Status with a reason: %q (%v)", body, err)
				}
			}
		})
	}
	resp, err := http.Get(c.r.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	// The receiver still works after all that.
	exportWithSDK(t, c.r.Endpoint())
	c.waitSpans(t, 3)
}

func bigRequest(n int) *coltracepb.ExportTraceServiceRequest {
	tid, _ := hex.DecodeString("0af7651916cd43dd8448eb211c80319c")
	rs := &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{
		{Key: "service.name", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: "api"}}}}}}
	ss := &tracepb.ScopeSpans{}
	for i := 0; i < n; i++ {
		sid := []byte{1, 2, 3, 4, 5, 6, byte(i >> 8), byte(i)}
		ss.Spans = append(ss.Spans, &tracepb.Span{TraceId: tid, SpanId: sid, Name: "op", StartTimeUnixNano: 1e18, EndTimeUnixNano: 1e18 + 5e6,
			Attributes: []*commonpb.KeyValue{{Key: "k", Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: strings.Repeat("v", 100)}}}}})
	}
	rs.ScopeSpans = []*tracepb.ScopeSpans{ss}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{rs}}
}

func TestReceiverOversized(t *testing.T) {
	c := startReceiver(t, ReceiverOptions{MaxBodyBytes: 4096})
	b, err := proto.Marshal(bigRequest(100))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) <= 4096 {
		t.Fatalf("test body too small: %d", len(b))
	}
	resp, body := post(t, c.r.Endpoint(), "application/x-protobuf", b)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	// A small gzip body that inflates past the limit is refused too.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(b)
	_ = zw.Close()
	if gz.Len() > 4096 {
		t.Fatalf("compressed body too big for the test: %d", gz.Len())
	}
	resp, body = post(t, c.r.Endpoint(), "application/x-protobuf", gz.Bytes(), "Content-Encoding", "gzip")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("gzip bomb: status %d: %s", resp.StatusCode, body)
	}
	// And the real SDK, whose batches go over the limit, gets 413 as an error.
	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(c.r.Endpoint()), otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}))
	if err != nil {
		t.Fatal(err)
	}
	stubs := make([]sdktrace.ReadOnlySpan, 0, 200)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(&capture{spans: &stubs}))
	for i := 0; i < 200; i++ {
		_, s := tp.Tracer("t").Start(ctx, strings.Repeat("x", 50))
		s.End()
	}
	err = exp.ExportSpans(ctx, stubs)
	if err == nil || !strings.Contains(err.Error(), "413") {
		t.Errorf("SDK export over the limit: err = %v", err)
	}
	if st := c.r.Stats(); st.Oversized != 3 || st.Spans != 0 {
		t.Errorf("stats = %+v", st)
	}
}

// capture is a span processor that keeps ended spans.
type capture struct{ spans *[]sdktrace.ReadOnlySpan }

func (c *capture) OnStart(context.Context, sdktrace.ReadWriteSpan) {}
func (c *capture) OnEnd(s sdktrace.ReadOnlySpan)                   { *c.spans = append(*c.spans, s) }
func (c *capture) Shutdown(context.Context) error                  { return nil }
func (c *capture) ForceFlush(context.Context) error                { return nil }

func TestReceiverThrottles(t *testing.T) {
	// No Run: nothing drains the queue, so the second request finds it full.
	r := NewReceiver(ReceiverOptions{Queue: 1})
	b, _ := proto.Marshal(bigRequest(2))
	codes := []int{}
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodPost, TracesPath, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/x-protobuf")
		w := &recorder{h: http.Header{}}
		r.Handler().ServeHTTP(w, req)
		codes = append(codes, w.code)
		if i == 1 && w.h.Get("Retry-After") == "" {
			t.Error("503 without Retry-After")
		}
	}
	if codes[0] != 200 || codes[1] != 503 {
		t.Errorf("codes = %v", codes)
	}
}

type recorder struct {
	h    http.Header
	code int
	n    int
}

func (r *recorder) Header() http.Header { return r.h }
func (r *recorder) Write(b []byte) (int, error) {
	r.n += len(b)
	return len(b), nil
}
func (r *recorder) WriteHeader(c int) { r.code = c }

// TestReceiverPortInUse: a receiver whose port is taken reports itself in
// error with the reason, keeps trying, and listens once the port is free.
func TestReceiverPortInUse(t *testing.T) {
	a := NewReceiver(ReceiverOptions{Listen: "127.0.0.1:0"})
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	b := NewReceiver(ReceiverOptions{Listen: a.Addr(), HealthEvery: 20 * time.Millisecond})
	if err := b.Listen(); err == nil || !strings.Contains(err.Error(), "otlp receiver") || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("Listen on a used port: %v", err)
	}
	var mu sync.Mutex
	var hs []sources.Health
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- b.Run(ctx, func(f sources.Frame) {
			mu.Lock()
			defer mu.Unlock()
			if f.Health != nil {
				hs = append(hs, *f.Health)
			}
		})
	}()
	last := func() sources.Health {
		mu.Lock()
		defer mu.Unlock()
		if len(hs) == 0 {
			return sources.Health{}
		}
		return hs[len(hs)-1]
	}
	waitFor(t, "an error report", func() bool { return last().State == sources.HealthError })
	h := last()
	if h.Source != "otlp "+a.Addr() || h.Kind != "traces" || !strings.Contains(h.Err, "address already in use") ||
		!strings.Contains(h.Detail, "trying again") || !h.LastOK.IsZero() {
		t.Errorf("health while the port is taken: %+v", h)
	}
	// The port comes free: the receiver takes it and reports idle (listening, nobody sending).
	a.ln.Close()
	waitFor(t, "listening after the port came free", func() bool { return last().State == sources.HealthIdle })
	if h := last(); h.Err != "" || b.Endpoint() == "" || !strings.Contains(h.Detail, "no exports yet") {
		t.Errorf("health once listening: %+v", h)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFastJSONMatchesProtojson: the encoding/json decoder reads what
// protojson reads, for hex and base64 ids, numbers as strings and enums as names.
func TestFastJSONMatchesProtojson(t *testing.T) {
	pj, err := protojson.Marshal(bigRequest(3))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := protojson.Marshal(typicalBatch())
	if err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string][]byte{"spec": []byte(specJSON), "protojson": pj, "typical": tb} {
		a, err1 := decodeProtoJSON(body)
		b, err2 := DecodeJSON(body)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: %v / %v", name, err1, err2)
		}
		sa, ra, _ := Convert(a.ResourceSpans, Limits{})
		sb, rb, _ := Convert(b.ResourceSpans, Limits{})
		if ra != rb || len(sa) != len(sb) {
			t.Fatalf("%s: %d/%d spans, %d/%d rejected", name, len(sa), len(sb), ra, rb)
		}
		for i := range sa {
			if fmt.Sprint(sa[i]) != fmt.Sprint(sb[i]) {
				t.Errorf("%s span %d:\nprotojson %+v\nfast      %+v", name, i, sa[i], sb[i])
			}
		}
	}
}

func TestReceiverConcurrentClients(t *testing.T) {
	c := startReceiver(t, ReceiverOptions{Concurrent: 2, Queue: 256})
	b, _ := proto.Marshal(bigRequest(10))
	var wg sync.WaitGroup
	errs := make(chan string, 32)
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Post(c.r.Endpoint(), "application/x-protobuf", bytes.NewReader(b))
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- resp.Status
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	c.waitSpans(t, 320)
}
