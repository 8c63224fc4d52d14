package traces

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
)

func strAttr(k, v string) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: v}}}
}

func intAttr(k string, v int64) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: k, Value: &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: v}}}
}

// typicalBatch is what an SDK batch span processor sends: 512 spans of an
// inference service, 8 attributes each, one event on a tenth of them.
func typicalBatch() *coltracepb.ExportTraceServiceRequest {
	ss := &tracepb.ScopeSpans{}
	for i := 0; i < 512; i++ {
		tid := []byte(fmt.Sprintf("%016d", i/4))
		sp := &tracepb.Span{
			TraceId: tid, SpanId: []byte(fmt.Sprintf("%08d", i)), Name: "POST /v1/chat/completions",
			Kind: tracepb.Span_SPAN_KIND_SERVER, StartTimeUnixNano: 1.7e18 + uint64(i)*1e6, EndTimeUnixNano: 1.7e18 + uint64(i)*1e6 + 2.5e8,
			Attributes: []*commonpb.KeyValue{
				strAttr("http.request.method", "POST"), strAttr("http.route", "/v1/chat/completions"), intAttr("http.response.status_code", 200),
				strAttr("gen_ai.request.model", "llama-3-70b"), intAttr("gen_ai.usage.input_tokens", 812), intAttr("gen_ai.usage.output_tokens", 256),
				strAttr("server.address", "10.0.0.12"), strAttr("user_agent.original", "openai-python/1.30.1"),
			},
			Status: &tracepb.Status{Code: tracepb.Status_STATUS_CODE_OK},
		}
		if i%4 != 0 {
			sp.ParentSpanId = []byte(fmt.Sprintf("%08d", i-i%4))
		}
		if i%10 == 0 {
			sp.Events = []*tracepb.Span_Event{{TimeUnixNano: 1.7e18 + uint64(i)*1e6 + 1e7, Name: "first_token", Attributes: []*commonpb.KeyValue{intAttr("tokens", 1)}}}
		}
		ss.Spans = append(ss.Spans, sp)
	}
	ss.Scope = &commonpb.InstrumentationScope{Name: "opentelemetry.instrumentation.fastapi"}
	rs := &tracepb.ResourceSpans{Resource: &resourcepb.Resource{Attributes: []*commonpb.KeyValue{strAttr("service.name", "chat-api"), strAttr("host.name", "gpu-01")}},
		ScopeSpans: []*tracepb.ScopeSpans{ss}}
	return &coltracepb.ExportTraceServiceRequest{ResourceSpans: []*tracepb.ResourceSpans{rs}}
}

// benchReceiver measures decode + convert + emit of one batch per
// iteration through the receiver's HTTP handler (no network), with Run
// draining the queue into an emit that counts spans.
func benchReceiver(b *testing.B, ctype string, body []byte) {
	r := NewReceiver(ReceiverOptions{Listen: "127.0.0.1:0", Queue: 1024})
	var got atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.Run(ctx, func(f sources.Frame) { got.Add(int64(len(f.Spans))) })
	}()
	h := r.Handler()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	cpu0 := cputime.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req, _ := http.NewRequest(http.MethodPost, TracesPath, bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		w := &recorder{h: http.Header{}}
		h.ServeHTTP(w, req)
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
	for got.Load() < int64(b.N)*512 {
		if ctx.Err() != nil {
			break
		}
		runtimeGosched()
	}
	b.StopTimer()
	cpu := cputime.Now() - cpu0
	b.ReportMetric(float64(b.N)*512/b.Elapsed().Seconds(), "spans/s")
	// The machine may be shared: spans per second of this process' CPU
	// time is the one-core figure (run with -cpu 1).
	if cpu > 0 {
		b.ReportMetric(float64(b.N)*512/cpu.Seconds(), "spans/cpu-s")
	}
	cancel()
	<-done
}

func BenchmarkReceiverProtobuf(b *testing.B) {
	body, err := proto.Marshal(typicalBatch())
	if err != nil {
		b.Fatal(err)
	}
	benchReceiver(b, "application/x-protobuf", body)
}

func BenchmarkReceiverJSON(b *testing.B) {
	body, err := protojson.Marshal(typicalBatch())
	if err != nil {
		b.Fatal(err)
	}
	benchReceiver(b, "application/json", body)
}

func BenchmarkStoreSummaries(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	req := typicalBatch()
	for i := 0; i < 100; i++ { // 51,200 spans, a full default buffer
		spans, _, _ := Convert(req.ResourceSpans, Limits{})
		for j := range spans {
			spans[j].TraceID = fmt.Sprintf("%08d%s", i, spans[j].TraceID[8:])
		}
		st.Ingest(sources.Frame{Spans: spans})
	}
	b.ReportAllocs()
	cpu0 := cputime.Now()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if n := len(StoreSummaries(st, nil)); n == 0 {
			b.Fatal("no traces")
		}
	}
	b.StopTimer()
	b.ReportMetric(float64((cputime.Now()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func runtimeGosched() { runtime.Gosched() }
