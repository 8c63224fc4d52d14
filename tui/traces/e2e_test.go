package traces

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

	"github.com/vigil-dev/vigil/sources"
	tsrc "github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/tui/pane"
)

// TestReceiverToWaterfall runs the whole road: the OpenTelemetry SDK exports
// over OTLP/HTTP to the receiver, the hub ingests its frames into the store,
// and the pane lists the trace and draws its waterfall.
func TestReceiverToWaterfall(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, sources.WallClock{})
	r := tsrc.NewReceiver(tsrc.ReceiverOptions{Listen: "127.0.0.1:0"})
	if err := r.Listen(); err != nil {
		t.Fatal(err)
	}
	hub.Add(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(r.Endpoint()))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attribute.String("service.name", "demo-llm"))))
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
	deadline := time.Now().Add(10 * time.Second)
	for len(st.Spans(0, nil)) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("spans did not reach the store: %d", len(st.Spans(0, nil)))
		}
		time.Sleep(5 * time.Millisecond)
	}
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
	m.Refresh(pane.Env{Store: st, Now: time.Now().Add(time.Second), Window: 5 * time.Minute, Mode: "LIVE"})
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
