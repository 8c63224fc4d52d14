package traces

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// jaegerTraceJSON is shaped like Jaeger 1.x query service's answer to
// GET /api/traces/{id} (HotROD's frontend → driver), including a span whose
// id lost its leading zeros and a process tag.
const jaegerTraceJSON = `{"data":[{"traceID":"7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6","spans":[
{"traceID":"7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6","spanID":"1a2b3c4d5e6f7081","flags":1,"operationName":"HTTP GET /dispatch","references":[],
 "startTime":1700000000000000,"duration":730000,
 "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.status_code","type":"int64","value":500},{"key":"error","type":"bool","value":true},{"key":"otel.status_description","type":"string","value":"driver timed out"}],
 "logs":[{"timestamp":1700000000100000,"fields":[{"key":"event","type":"string","value":"retry"},{"key":"attempt","type":"int64","value":2}]}],
 "processID":"p1","warnings":null},
{"traceID":"7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6","spanID":"2b3c4d5e6f708","flags":1,"operationName":"/driver.DriverService/FindNearest \u001b]0;pwned\u0007",
 "references":[{"refType":"CHILD_OF","traceID":"7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6","spanID":"1a2b3c4d5e6f7081"}],
 "startTime":1700000000050000,"duration":600000,"tags":[{"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"weird","type":"float64","value":{"nested":[1,2]}}],
 "logs":[],"processID":"p2","warnings":null}],
"processes":{"p1":{"serviceName":"frontend","tags":[{"key":"hostname","type":"string","value":"gpu-01"}]},"p2":{"serviceName":"driver","tags":[]}},"warnings":null}],
"total":0,"limit":0,"offset":0,"errors":null}`

const jaegerNotFound = `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}`

func TestJaegerTrace(t *testing.T) {
	var gotPath string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath = r.URL.Path
		if r.Header.Get("Authorization") != "Bearer s3cret" {
			w.WriteHeader(401)
			return
		}
		if strings.HasSuffix(r.URL.Path, "/7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6") {
			_, _ = w.Write([]byte(jaegerTraceJSON))
			return
		}
		w.WriteHeader(404)
		_, _ = w.Write([]byte(jaegerNotFound))
	}))
	defer srv.Close()
	j, err := NewJaeger(ClientOptions{URL: srv.URL + "/", Header: http.Header{"Authorization": {"Bearer s3cret"}}})
	if err != nil {
		t.Fatal(err)
	}
	spans, err := j.Trace(context.Background(), "7BE2A4D4D0B2C5F1E4C2B1A0F9E8D7C6")
	if err != nil {
		t.Fatal(err)
	}
	if gotPath != "/api/traces/7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6" {
		t.Errorf("path %q", gotPath)
	}
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	root, child := spans[0], spans[1]
	if root.Service != "frontend" || root.Name != "HTTP GET /dispatch" || root.ParentID != "" || root.Status != sources.SpanError {
		t.Errorf("root = %+v", root)
	}
	if root.Start != time.UnixMicro(1700000000000000) || root.End.Sub(root.Start) != 730*time.Millisecond {
		t.Errorf("root times %v %v", root.Start, root.End)
	}
	if root.Attrs["http.status_code"] != "500" || root.Attrs[AttrStatusMessage] != "driver timed out" || root.Attrs["resource.hostname"] != "gpu-01" {
		t.Errorf("root attrs %v", root.Attrs)
	}
	if len(root.Events) != 1 || root.Events[0].Name != "retry" || root.Events[0].Attrs["attempt"] != "2" {
		t.Errorf("root events %+v", root.Events)
	}
	if child.SpanID != "0002b3c4d5e6f708" || child.ParentID != "1a2b3c4d5e6f7081" || child.Service != "driver" || child.Status != sources.SpanError {
		t.Errorf("child = %+v", child)
	}
	if child.Name != "/driver.DriverService/FindNearest" {
		t.Errorf("child name not sanitized: %q", child.Name)
	}
	if child.Attrs["weird"] != `{"nested":[1,2]}` {
		t.Errorf("unexpected-type tag: %q", child.Attrs["weird"])
	}
	_, err = j.Trace(context.Background(), "00000000000000000000000000000001")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("missing trace: %v", err)
	}
	if _, err := j.Trace(context.Background(), "not-an-id"); err == nil {
		t.Error("bad id accepted")
	}
}

func TestJaegerSearch(t *testing.T) {
	var q map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/traces":
			q = map[string]string{}
			for k := range r.URL.Query() {
				q[k] = r.URL.Query().Get(k)
			}
			_, _ = w.Write([]byte(jaegerTraceJSON))
		case "/api/services":
			_, _ = w.Write([]byte(`{"data":["frontend","driver"],"total":2,"limit":0,"offset":0,"errors":null}`))
		default:
			w.WriteHeader(404)
		}
	}))
	defer srv.Close()
	j, _ := NewJaeger(ClientOptions{URL: srv.URL})
	from := time.Unix(1699999990, 0)
	sums, err := j.Search(context.Background(), Query{Service: "frontend", From: from, To: from.Add(time.Minute), Limit: 5, MinDuration: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if q["service"] != "frontend" || q["start"] != "1699999990000000" || q["end"] != "1700000050000000" || q["limit"] != "5" || q["minDuration"] != "100ms" {
		t.Errorf("query = %v", q)
	}
	if len(sums) != 1 {
		t.Fatalf("summaries %+v", sums)
	}
	s := sums[0]
	if s.TraceID != "7be2a4d4d0b2c5f1e4c2b1a0f9e8d7c6" || s.Service != "frontend" || s.Name != "HTTP GET /dispatch" || s.Spans != 2 || s.Errors != 2 || s.Duration != 730*time.Millisecond || s.Partial {
		t.Errorf("summary %+v", s)
	}
	if got := strings.Join(s.Services, ","); got != "driver,frontend" {
		t.Errorf("services %q", got)
	}
	if _, err := j.Search(context.Background(), Query{}); err == nil {
		t.Error("search without service accepted")
	}
	svcs, err := j.Services(context.Background())
	if err != nil || strings.Join(svcs, ",") != "frontend,driver" {
		t.Errorf("services %v %v", svcs, err)
	}
}

// tempoTraceJSON is shaped like Tempo 2.x's GET /api/traces/{id}: OTLP JSON
// under "batches", ids in base64.
const tempoTraceJSON = `{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"vllm"}},{"key":"k8s.pod.name","value":{"stringValue":"vllm-0"}}]},
"scopeSpans":[{"scope":{"name":"opentelemetry.instrumentation.fastapi"},"spans":[
{"traceId":"L+X2z6pOQl+bqkaJZ3SBKw==","spanId":"VtUJ9rE4h9I=","name":"POST /v1/completions","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000001250000000",
 "attributes":[{"key":"http.status_code","value":{"intValue":"200"}}],"status":{}},
{"traceId":"L+X2z6pOQl+bqkaJZ3SBKw==","spanId":"AQIDBAUGBwg=","parentSpanId":"VtUJ9rE4h9I=","name":"llm_request","kind":"SPAN_KIND_INTERNAL","startTimeUnixNano":"1700000000100000000","endTimeUnixNano":"1700000001200000000",
 "events":[{"timeUnixNano":"1700000000300000000","name":"first_token"}],"status":{"code":"STATUS_CODE_ERROR","message":"context length exceeded"}}]}]}]}`

// tempoOldJSON is the shape of Tempo 1.x: instrumentationLibrarySpans, hex ids.
const tempoOldJSON = `{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"old"}}]},
"instrumentationLibrarySpans":[{"instrumentationLibrary":{"name":"lib"},"spans":[
{"traceId":"2fe5f6cfaa4e425f9baa468967748 12b","spanId":"56d509f6b13887d2","name":"x","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`

const tempoSearchJSON = `{"traces":[
{"traceID":"2fe5f6cfaa4e425f9baa46896774812b","rootServiceName":"vllm","rootTraceName":"POST /v1/completions","startTimeUnixNano":"1700000000000000000","durationMs":1250,
 "spanSet":{"spans":[{"spanID":"56d509f6b13887d2","startTimeUnixNano":"1700000000000000000","durationNanos":"1250000000"}],"matched":1}},
{"traceID":"e2fd1bf9e0b3f9c1","rootServiceName":"vllm","rootTraceName":"GET /health","startTimeUnixNano":"1700000010000000000"}],
"metrics":{"inspectedTraces":2,"inspectedBytes":"1024"}}`

func TestTempo(t *testing.T) {
	var gotQuery string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/api/traces/2fe5f6cfaa4e425f9baa46896774812b":
			_, _ = w.Write([]byte(tempoTraceJSON))
		case r.URL.Path == "/api/traces/00000000000000000000000000000bad":
			_, _ = w.Write([]byte(`{"batches": [{"scopeSpans": [{"spans": [{"traceId": 12}]}]}]}`))
		case r.URL.Path == "/api/search":
			gotQuery = r.URL.RawQuery
			_, _ = w.Write([]byte(tempoSearchJSON))
		default:
			w.WriteHeader(404)
			_, _ = w.Write([]byte("trace not found"))
		}
	}))
	defer srv.Close()
	tp, err := NewTempo(ClientOptions{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	spans, err := tp.Trace(context.Background(), "2fe5f6cfaa4e425f9baa46896774812b")
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 2 {
		t.Fatalf("%d spans", len(spans))
	}
	root, llm := spans[0], spans[1]
	if root.TraceID != "2fe5f6cfaa4e425f9baa46896774812b" || root.SpanID != "56d509f6b13887d2" || root.Service != "vllm" || root.Attrs[AttrSpanKind] != "server" {
		t.Errorf("root %+v", root)
	}
	if root.Attrs["resource.k8s.pod.name"] != "vllm-0" || root.Attrs[AttrScope] != "opentelemetry.instrumentation.fastapi" {
		t.Errorf("root attrs %v", root.Attrs)
	}
	if llm.ParentID != root.SpanID || llm.SpanID != "0102030405060708" || llm.Status != sources.SpanError || llm.Attrs[AttrStatusMessage] != "context length exceeded" {
		t.Errorf("llm %+v", llm)
	}
	if len(llm.Events) != 1 || llm.Events[0].Name != "first_token" {
		t.Errorf("llm events %+v", llm.Events)
	}
	if _, err := tp.Trace(context.Background(), "0000000000000000000000000000beef"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing: %v", err)
	}
	if _, err := tp.Trace(context.Background(), "00000000000000000000000000000bad"); err == nil || !strings.Contains(err.Error(), "tempo") {
		t.Errorf("malformed trace: %v", err)
	}
	from := time.Unix(1699999990, 0)
	sums, err := tp.Search(context.Background(), Query{Service: "vllm", From: from, To: from.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(gotQuery, "tags=service.name%3D%22vllm%22") || !strings.Contains(gotQuery, "start=1699999990") || !strings.Contains(gotQuery, "end=1700000051") {
		t.Errorf("query %q", gotQuery)
	}
	if len(sums) != 2 || sums[0].TraceID != "0000000000000000e2fd1bf9e0b3f9c1" || sums[1].Duration != 1250*time.Millisecond || sums[1].Name != "POST /v1/completions" {
		t.Errorf("summaries %+v", sums)
	}
	_, _ = tp.Search(context.Background(), Query{Service: "vllm", ErrorsOnly: true})
	if !strings.Contains(gotQuery, "q=") || !strings.Contains(gotQuery, "status+%3D+error") {
		t.Errorf("errors-only query %q", gotQuery)
	}
}

func TestTempoOldShape(t *testing.T) {
	tp, _ := NewTempo(ClientOptions{URL: "http://127.0.0.1:1"})
	fixed := strings.Replace(tempoOldJSON, "748 12b", "74812b", 1)
	spans, err := tp.decodeTrace([]byte(fixed))
	if err != nil {
		t.Fatal(err)
	}
	if len(spans) != 1 || spans[0].Service != "old" || spans[0].Attrs[AttrScope] != "lib" || spans[0].TraceID != "2fe5f6cfaa4e425f9baa46896774812b" {
		t.Fatalf("spans %+v", spans)
	}
	// A trace id with a space is neither hex nor base64: the span is rejected.
	if spans, err := tp.decodeTrace([]byte(tempoOldJSON)); err != nil || len(spans) != 0 {
		t.Errorf("bad id accepted: %+v %v", spans, err)
	}
}

// TestBackendsTimeout: a server that accepts connections and never answers
// gives a clear error within the client's timeout, for both APIs.
func TestBackendsTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // read nothing, answer nothing
		}
	}()
	defer func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	}()
	opts := ClientOptions{URL: "http://" + ln.Addr().String(), Timeout: 150 * time.Millisecond}
	j, _ := NewJaeger(opts)
	tp, _ := NewTempo(opts)
	for _, b := range []Backend{j, tp} {
		start := time.Now()
		_, err := b.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c")
		if err == nil || !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "timed out after 150ms") {
			t.Errorf("%s: err = %v", b.Name(), err)
		}
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("%s: took %v", b.Name(), el)
		}
		_, err = b.Search(context.Background(), Query{Service: "x"})
		if err == nil || !strings.Contains(err.Error(), "no answer") {
			t.Errorf("%s search: err = %v", b.Name(), err)
		}
	}
	// A server that refuses connections says so.
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln2.Addr().String()
	ln2.Close()
	j2, _ := NewJaeger(ClientOptions{URL: "http://" + addr})
	if _, err := j2.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c"); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("refused: %v", err)
	}
}

func TestClientErrors(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(502)
		_, _ = w.Write([]byte("bad gateway \x1b[2J\n upstream"))
	}))
	defer srv.Close()
	j, _ := NewJaeger(ClientOptions{URL: srv.URL})
	_, err := j.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c")
	if err == nil || !strings.Contains(err.Error(), "HTTP 502: bad gateway upstream") {
		t.Errorf("err = %v", err)
	}
	if _, err := NewJaeger(ClientOptions{URL: "ftp://x"}); err == nil {
		t.Error("ftp accepted")
	}
	if _, err := NewTempo(ClientOptions{URL: "http://user:pw@host:3200"}); err != nil {
		t.Error(err)
	} else if tp, _ := NewTempo(ClientOptions{URL: "http://user:pw@host:3200"}); strings.Contains(tp.Name(), "pw") {
		t.Errorf("name leaks credentials: %s", tp.Name())
	}
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("\x00\xff not json"))
	}))
	defer garbage.Close()
	j, _ = NewJaeger(ClientOptions{URL: garbage.URL})
	if _, err := j.Trace(context.Background(), "0af7651916cd43dd8448eb211c80319c"); err == nil || !strings.Contains(err.Error(), "decoding") {
		t.Errorf("garbage: %v", err)
	}
}

func TestPollers(t *testing.T) {
	var searches int
	jsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/services":
			_, _ = w.Write([]byte(`{"data":["frontend"],"total":1,"limit":0,"offset":0,"errors":null}`))
		case "/api/traces":
			searches++
			_, _ = w.Write([]byte(jaegerTraceJSON))
		default:
			w.WriteHeader(404)
		}
	}))
	defer jsrv.Close()
	j, _ := NewJaeger(ClientOptions{URL: jsrv.URL})
	now := time.UnixMicro(1700000060000000)
	p := NewPoller(j, PollerOptions{})
	f, err := p.Poll(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Spans) != 2 || f.Health == nil || f.Health.Kind != "traces" || f.Health.Target != jsrv.URL || !strings.Contains(f.Health.Detail, "1 new traces (2 spans)") {
		t.Fatalf("frame %+v health %+v", f.Spans, f.Health)
	}
	f, err = p.Poll(context.Background(), now.Add(15*time.Second))
	if err != nil || len(f.Spans) != 0 || searches != 2 {
		t.Errorf("second poll imported again: %d spans, %v", len(f.Spans), err)
	}
	// Tempo: search, then one fetch per new trace.
	fetches := 0
	tsrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/search":
			_, _ = w.Write([]byte(tempoSearchJSON))
		case "/api/traces/2fe5f6cfaa4e425f9baa46896774812b":
			fetches++
			_, _ = w.Write([]byte(tempoTraceJSON))
		default:
			w.WriteHeader(404)
		}
	}))
	defer tsrv.Close()
	tp, _ := NewTempo(ClientOptions{URL: tsrv.URL})
	p = NewPoller(tp, PollerOptions{})
	f, err = p.Poll(context.Background(), time.Unix(1700000030, 0))
	if err != nil || len(f.Spans) != 2 || fetches != 1 {
		t.Fatalf("tempo poll: %d spans, %d fetches, %v", len(f.Spans), fetches, err)
	}
	f, _ = p.Poll(context.Background(), time.Unix(1700000045, 0))
	if len(f.Spans) != 0 || fetches != 1 {
		t.Errorf("tempo re-imported: %d spans, %d fetches", len(f.Spans), fetches)
	}
	// A dead backend is an error the hub turns into health.
	dead, _ := NewJaeger(ClientOptions{URL: "http://127.0.0.1:1", Timeout: 100 * time.Millisecond})
	if _, err := NewPoller(dead, PollerOptions{}).Poll(context.Background(), now); err == nil {
		t.Error("dead backend polled fine")
	}
}
