package tracespane

import (
	"context"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/tui/pane"
)

// otlpRoad is the road a trace takes to the pane: an OTLP/HTTP receiver on
// a free loopback port, run by a hub into a fresh store until the test ends,
// and an SDK tracer provider for resource res exporting to it.
func otlpRoad(t *testing.T, res *resource.Resource) (*sources.Store, *sdktrace.TracerProvider, context.Context) {
	t.Helper()
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, sources.WallClock{})
	r := traces.NewReceiver(traces.ReceiverOptions{Listen: "127.0.0.1:0"})
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	hub.Add(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(r.Endpoint()))
	if err != nil {
		t.Fatal(err)
	}
	return st, sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)), ctx
}

// waitSpans waits, 10 s at most, until the store holds n spans.
func waitSpans(t *testing.T, st *sources.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(st.Spans(0, nil)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d spans reached the store in 10 s", len(st.Spans(0, nil)), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestReceiverToWaterfall runs the whole road: the OpenTelemetry SDK exports
// over OTLP/HTTP to the receiver, the hub ingests its frames into the store,
// and the pane lists the trace and draws its waterfall.
func TestReceiverToWaterfall(t *testing.T) {
	st, tp, ctx := otlpRoad(t, resource.NewSchemaless(attribute.String("service.name", "demo-llm")))
	tr := tp.Tracer("demo")
	c, root := tr.Start(ctx, "POST /v1/completions")
	_, gen := tr.Start(c, "generate")
	gen.SetStatus(codes.Error, "KV cache exhausted")
	gen.End()
	root.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	tid := root.SpanContext().TraceID().String()
	waitSpans(t, st, 2)
	var health *sources.Health
	for _, h := range st.Health() {
		if h.Kind == "traces" {
			health = &h
		}
	}
	if health == nil || health.State != sources.HealthOK {
		t.Errorf("receiver health %+v", health)
	}

	m := New(Options{})
	m.SetSize(120, 40)
	m.Focus()
	m.Refresh(pane.Env{Store: st, Now: time.Now().Add(time.Second), Zoom: 5 * time.Minute, Mode: "LIVE"})
	if len(m.rows) != 1 || m.rows[0].TraceID != tid || m.rows[0].Spans != 2 || m.rows[0].Errors != 1 || m.rows[0].Service != "demo-llm" {
		t.Fatalf("list %+v", m.rows)
	}
	m.Jump(pane.JumpMsg{Target: pane.TargetTraces, TraceID: tid})
	v := m.View()
	for _, s := range []string{"POST /v1/completions", "! generate", tid} {
		if !strings.Contains(v, s) {
			t.Errorf("waterfall lacks %q:\n%s", s, v)
		}
	}
	press(m, "e")
	if !strings.Contains(m.View(), "KV cache exhausted") {
		t.Errorf("error span detail:\n%s", m.View())
	}
}

// TestHostileSpanToScreen sends a span built to attack the terminal and
// leak credentials through the SDK, the receiver, the hub and the store to
// the pane's list, waterfall and span detail: no escape sequence, C1
// control or bidirectional override reaches the rendered view, and
// credential attributes show as redacted.
func TestHostileSpanToScreen(t *testing.T) {
	st, tp, ctx := otlpRoad(t, resource.NewSchemaless(attribute.String("service.name", "chat\u2066-api\u2069"),
		attribute.String("deployment.api_key", "sk-live-resource")))
	tr := tp.Tracer("hostile")
	_, root := tr.Start(ctx, "invoice\u202egpj.exe \x1b]52;c;ZXZpbA==\x07\x1b[2J\u009b31m\u200fdone",
		oteltrace.WithAttributes(
			attribute.StringSlice("http.request.header.authorization", []string{"Bearer s3cr3t-token"}),
			attribute.String("api_key", "sk-live-123"),
			attribute.String("http.request.header.X-Api-Key", "xk-456"),
			attribute.String("note\x1b[31m", "left\u202eright\u2067x\u061c"),
			attribute.String("user.id", "u-42"),
		))
	root.AddEvent("retry", oteltrace.WithAttributes(attribute.String("cookie", "session=abcdef")))
	root.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	waitSpans(t, st, 1)
	m := New(Options{})
	m.SetSize(200, 50)
	m.Focus()
	m.Refresh(pane.Env{Store: st, Now: time.Now().Add(time.Second), Zoom: 5 * time.Minute, Mode: "LIVE"})
	views := map[string]string{"list": m.View()}
	m.Jump(pane.JumpMsg{Target: pane.TargetTraces, TraceID: root.SpanContext().TraceID().String()})
	views["waterfall"] = m.View()
	for name, v := range views {
		for _, r := range v {
			if r == 0x1b || r >= 0x80 && r <= 0x9f || sources.IsBidiControl(r) || r < 0x20 && r != '\n' {
				t.Errorf("%s: %U reached the screen:\n%q", name, r, v)
			}
		}
		for _, secret := range []string{"s3cr3t", "sk-live", "xk-456", "abcdef", "ZXZpbA"} {
			if strings.Contains(v, secret) {
				t.Errorf("%s: %q reached the screen:\n%s", name, secret, v)
			}
		}
	}
	w := views["waterfall"]
	for _, want := range []string{"invoicegpj.exe", "chat-api", "user.id", "u-42", "leftrightx",
		"http.request.header.authorization", "api_key", traces.Redacted} {
		if !strings.Contains(w, want) {
			t.Errorf("waterfall lacks %q:\n%s", want, w)
		}
	}
	// The event's cookie is redacted in the store, where every pane reads it.
	sp := st.Spans(0, nil)[0]
	if len(sp.Events) != 1 || sp.Events[0].Attrs["cookie"] != traces.Redacted || sp.Attrs["resource.deployment.api_key"] != traces.Redacted {
		t.Errorf("stored span %+v", sp)
	}
}

// TestReceiverDownShown: a trace source in error is named with its reason
// above the list, and with the receiver down the empty list says so
// instead of telling the user to send traces to it.
func TestReceiverDownShown(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{Health: &sources.Health{Source: "otlp 127.0.0.1:4318", Kind: "traces", State: sources.HealthError,
		Err: "otlp receiver: listen tcp 127.0.0.1:4318: bind: address already in use"}})
	m := New(Options{Hint: "no traces yet: send OTLP/HTTP to http://127.0.0.1:4318/v1/traces", Receiver: "otlp 127.0.0.1:4318"})
	m.SetSize(120, 20)
	m.Refresh(pane.Env{Store: st, Now: t0, Zoom: 5 * time.Minute, Mode: "LIVE"})
	v := m.View()
	for _, want := range []string{"✖ otlp 127.0.0.1:4318: otlp receiver: listen tcp 127.0.0.1:4318: bind: address already in use", "receiver cannot listen"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "send OTLP/HTTP to") {
		t.Errorf("the hint points at a receiver that is not listening:\n%s", v)
	}
	// A backend's poller held back by its caps says so too.
	st.Ingest(sources.Frame{Health: &sources.Health{Source: "jaeger http://127.0.0.1:16686", Kind: "traces", State: sources.HealthOK,
		Detail: "100 new traces (200 spans) from 5 services in 60 requests; " + traces.DetailBehind + "still to search: chat-api 2m0s; cap hit: 60 requests a poll"}})
	m.Refresh(pane.Env{Store: st, Now: t0.Add(time.Second), Zoom: 5 * time.Minute, Mode: "LIVE"})
	if v := m.View(); !strings.Contains(v, "⚠ jaeger http://127.0.0.1:16686: behind: still to search: chat-api 2m0s; cap hit: 60 requests a poll") {
		t.Errorf("poller behind not shown:\n%s", v)
	}
	// Listening again (idle): the hint is back, the error gone.
	st.Ingest(sources.Frame{Health: &sources.Health{Source: "otlp 127.0.0.1:4318", Kind: "traces", State: sources.HealthIdle}})
	m.Refresh(pane.Env{Store: st, Now: t0.Add(2 * time.Second), Zoom: 5 * time.Minute, Mode: "LIVE"})
	if v := m.View(); !strings.Contains(v, "send OTLP/HTTP to") || strings.Contains(v, "address already in use") {
		t.Errorf("after recovery:\n%s", v)
	}
}
