package demo

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// ids is a request's trace and span ids, drawn from the simulation's seeded
// generator so that logs, exemplars and spans agree and repeat under a seed.
type ids struct {
	trace trace.TraceID
	spans [4]trace.SpanID // root, then the three children in order
}

func (i *ids) traceHex() string { return hex.EncodeToString(i.trace[:]) }
func (i *ids) spanHex() string  { return hex.EncodeToString(i.spans[0][:]) }

type idsKey struct{}

// plan hands out the pre-drawn ids in the order spans are started.
type plan struct {
	ids  *ids
	next int
}

// seededIDs is an sdktrace.IDGenerator that takes ids from the plan in the
// context. Without one (never, in this package) it counts.
type seededIDs struct{ fallback atomic.Uint64 }

func (g *seededIDs) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	if p, ok := ctx.Value(idsKey{}).(*plan); ok {
		return p.ids.trace, g.NewSpanID(ctx, p.ids.trace)
	}
	var t trace.TraceID
	binary.BigEndian.PutUint64(t[8:], g.fallback.Add(1))
	return t, g.NewSpanID(ctx, t)
}

func (g *seededIDs) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if p, ok := ctx.Value(idsKey{}).(*plan); ok && p.next < len(p.ids.spans) {
		s := p.ids.spans[p.next]
		p.next++
		return s
	}
	var s trace.SpanID
	binary.BigEndian.PutUint64(s[:], g.fallback.Add(1)|1<<63)
	return s
}

// quietExporter wraps the OTLP exporter: failures (nobody listening) are
// logged at most once a minute and never returned, so the SDK neither
// prints to stderr through otel.Handle nor blocks the simulation.
type quietExporter struct {
	inner    sdktrace.SpanExporter
	log      *slog.Logger
	mu       sync.Mutex
	lastWarn time.Time
	failures int64
	exported atomic.Int64
	users    atomic.Int32 // tracer providers sharing it; the last Shutdown shuts the inner exporter
}

func (q *quietExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	if err := q.inner.ExportSpans(ctx, spans); err != nil {
		q.mu.Lock()
		q.failures++
		n := q.failures
		warn := time.Since(q.lastWarn) >= time.Minute
		if warn {
			q.lastWarn = time.Now()
		}
		q.mu.Unlock()
		if warn && q.log != nil {
			q.log.Warn("demo: trace export failed", "err", err, "failures", n)
		}
		return nil
	}
	q.exported.Add(int64(len(spans)))
	return nil
}

func (q *quietExporter) Shutdown(ctx context.Context) error {
	if q.users.Add(-1) != 0 {
		return nil
	}
	return q.inner.Shutdown(ctx)
}

// tracing emits the sampled requests' spans over OTLP/HTTP.
type tracing struct {
	exp    *quietExporter
	llmTP  *sdktrace.TracerProvider
	recTP  *sdktrace.TracerProvider
	llm    trace.Tracer
	recsys trace.Tracer
	// pending counts the spans emitted since the last flush: the demo's
	// step on the beat flushes them (flush), so the batcher's own timer
	// (batchSafety) does not wake the process at a phase of its own.
	pending atomic.Int64
}

// batchSafety is the batcher's own timeout: spans are sent by flush on the
// demo's beat; this only bounds how long spans wait if flush is not called.
const batchSafety = 30 * time.Second

// tracesURL turns "http://host:4318" into the OTLP/HTTP traces URL.
func tracesURL(endpoint string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("demo: otlp endpoint: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return "", fmt.Errorf("demo: otlp endpoint %q: want http://host:port", endpoint)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/traces"
	}
	return u.String(), nil
}

func newTracing(ctx context.Context, endpoint, host string, log *slog.Logger) (*tracing, error) {
	u, err := tracesURL(endpoint)
	if err != nil {
		return nil, err
	}
	inner, err := otlptracehttp.New(ctx,
		otlptracehttp.WithEndpointURL(u),
		otlptracehttp.WithTimeout(2*time.Second),
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
	)
	if err != nil {
		return nil, fmt.Errorf("demo: otlp exporter: %w", err)
	}
	t := &tracing{exp: &quietExporter{inner: inner, log: log}}
	// One batcher for both services: a flush sends both services' spans
	// in one request (grouped by resource, as OTLP carries them), one
	// round trip a second instead of two. The first provider's Shutdown
	// shuts it and the exporter; the second's finds it shut.
	t.exp.users.Store(1)
	bsp := sdktrace.NewBatchSpanProcessor(t.exp,
		sdktrace.WithBatchTimeout(batchSafety),
		sdktrace.WithExportTimeout(3*time.Second),
		sdktrace.WithMaxQueueSize(8192))
	gen := &seededIDs{}
	tp := func(service string) *sdktrace.TracerProvider {
		res := resource.NewSchemaless(
			attribute.String("service.name", service),
			attribute.String("service.namespace", "vigil-demo"),
			attribute.String("host.name", host),
		)
		return sdktrace.NewTracerProvider(
			sdktrace.WithResource(res),
			sdktrace.WithIDGenerator(gen),
			sdktrace.WithSampler(sdktrace.AlwaysSample()),
			sdktrace.WithSpanProcessor(bsp),
		)
	}
	t.llmTP = tp(llmModelName)
	t.recTP = tp(recsysService)
	t.llm = t.llmTP.Tracer("github.com/vigil-dev/vigil/sources/demo")
	t.recsys = t.recTP.Tracer("github.com/vigil-dev/vigil/sources/demo")
	return t, nil
}

// phase is one child span: name, start and end, and whether it failed.
type phase struct {
	name       string
	start, end time.Time
	err        string
}

// emit records one request as a root span with children.
func (t *tracing) emit(tr trace.Tracer, id *ids, name string, start, end time.Time,
	attrs []attribute.KeyValue, phases []phase, errMsg string) {
	if t == nil {
		return
	}
	t.pending.Add(1)
	ctx := context.WithValue(context.Background(), idsKey{}, &plan{ids: id})
	ctx, root := tr.Start(ctx, name,
		trace.WithTimestamp(start), trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
	for _, p := range phases {
		_, c := tr.Start(ctx, p.name, trace.WithTimestamp(p.start), trace.WithSpanKind(trace.SpanKindInternal))
		if p.err != "" {
			c.SetStatus(codes.Error, p.err)
		}
		c.End(trace.WithTimestamp(p.end))
	}
	if errMsg != "" {
		root.SetStatus(codes.Error, errMsg)
	}
	root.End(trace.WithTimestamp(end))
}

// flush sends the spans emitted since the last flush in one export,
// waiting at most 3 s for it, less once ctx is done.
func (t *tracing) flush(ctx context.Context) {
	if t == nil {
		return
	}
	if t.pending.Swap(0) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_ = t.llmTP.ForceFlush(ctx) // the batcher both providers share; failures are the exporter's to report (quietExporter)
}

func (t *tracing) shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	e1 := t.llmTP.Shutdown(ctx)
	e2 := t.recTP.Shutdown(ctx)
	if e1 != nil {
		return fmt.Errorf("demo: traces shutdown: %w", e1)
	}
	if e2 != nil {
		return fmt.Errorf("demo: traces shutdown: %w", e2)
	}
	return nil
}

// traceTracer is the tracer a service's spans go through.
type traceTracer = trace.Tracer
