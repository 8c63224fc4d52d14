package prom

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

func svcByDisplay(t *testing.T, ov view.Overview, name string) view.Service {
	t.Helper()
	for _, s := range ov.Services {
		if s.DisplayName() == name {
			return s
		}
	}
	var have []string
	for _, s := range ov.Services {
		have = append(have, s.DisplayName())
	}
	t.Fatalf("no row %q in %q", name, have)
	return view.Service{}
}

// tokens is a service's token counter total of one kind at at.
func tokens(st *sources.Store, sv view.Service, kind string, at time.Time) view.Num {
	return view.SumLast(st, sources.SvcTokens, append(sv.Match(), sources.Label{Name: sources.LabelKind, Value: kind}), at)
}

// Each model × operation is its own row: chat and embeddings never share a
// latency distribution or an error ratio (otel_genai_ops.prom; figures in
// testdata/README.md).
func TestOTelGenAIOperations(t *testing.T) {
	st, ov, at := evalFiles(t, "http://127.0.0.1:8889/metrics", 0, "otel_genai_ops.prom")
	var rows []string
	for _, s := range ov.Services {
		rows = append(rows, s.DisplayName())
		if s.Stack != StackOTelGenAI || s.Operation == "" {
			t.Errorf("row %+v: stack %q operation %q", s.DisplayName(), s.Stack, s.Operation)
		}
	}
	if len(ov.Services) != 5 {
		t.Fatalf("rows %q, want 5", rows)
	}
	chat := svcByDisplay(t, ov, "gpt-4o · chat")
	emb := svcByDisplay(t, ov, "text-embedding-3-small · embeddings")
	near(t, "gpt-4o chat error rate", chat.ErrorRate, 4.0/104)
	near(t, "gpt-4o chat errors", chat.Outcomes["error"], 4)
	near(t, "gpt-4o chat p50", chat.Latency.P50, 1.216)
	near(t, "gpt-4o chat mean", chat.Latency.Mean, 120.4/104)
	near(t, "gpt-4o chat count", chat.Latency.Count, 104)
	near(t, "embeddings error rate", emb.ErrorRate, 1.0/201)
	near(t, "embeddings p50", emb.Latency.P50, 0.0268)
	near(t, "embeddings mean", emb.Latency.Mean, 20.5/201)
	mini := svcByDisplay(t, ov, "gpt-4o-mini · chat")
	near(t, "gpt-4o-mini error rate (no error series = 0)", mini.ErrorRate, 0)
	near(t, "gpt-4o-mini count", mini.Latency.Count, 50)
	// A custom operation name is its own row; a series without a model is
	// named as any HTTP service (its job).
	near(t, "rerank count", svcByDisplay(t, ov, "cohere-rerank-v3 · rerank").Latency.Count, 10)
	near(t, "no-model count", svcByDisplay(t, ov, "assistant · chat").Latency.Count, 7)

	// Token totals from the first scrape, for cost; rates need a second.
	near(t, "gpt-4o input tokens", tokens(st, chat, "prompt", at), 52000)
	near(t, "gpt-4o output tokens", tokens(st, chat, "generation", at), 21000)
	near(t, "embedding input tokens", tokens(st, emb, "prompt", at), 48000)
	na(t, "embedding output tokens", tokens(st, emb, "generation", at))
	near(t, "gpt-4o-mini input tokens", tokens(st, mini, "prompt", at), 9000)
	na(t, "input tok/s on one scrape", chat.PromptTPS)
	na(t, "req/s on one scrape", chat.Throughput)
	if chat.ErrorBasis != view.BasisLifetime {
		t.Errorf("error basis %q on one scrape", chat.ErrorBasis)
	}
}

func TestOTelGenAIOperationsWindowed(t *testing.T) {
	_, ov, _ := evalFiles(t, "http://127.0.0.1:8889/metrics", 15*time.Second, "otel_genai_ops.prom", "otel_genai_ops_t15s.prom")
	chat := svcByDisplay(t, ov, "gpt-4o · chat")
	emb := svcByDisplay(t, ov, "text-embedding-3-small · embeddings")
	near(t, "gpt-4o req/s", chat.Throughput, 30.0/15)
	near(t, "gpt-4o windowed error rate", chat.ErrorRate, 2.0/30)
	near(t, "gpt-4o windowed p50", chat.Latency.P50, 1.24)
	near(t, "gpt-4o input tok/s", chat.PromptTPS, 15600.0/15)
	near(t, "gpt-4o output tok/s", chat.GenTPS, 6300.0/15)
	near(t, "embeddings req/s", emb.Throughput, 60.0/15)
	near(t, "embeddings windowed error rate", emb.ErrorRate, 0)
	near(t, "embedding input tok/s", emb.PromptTPS, 14400.0/15)
	na(t, "embedding output tok/s", emb.GenTPS)
	if chat.ErrorBasis != view.BasisWindow {
		t.Errorf("error basis %q on two scrapes", chat.ErrorBasis)
	}
	// An idle row served nothing in the window.
	near(t, "gpt-4o-mini req/s", svcByDisplay(t, ov, "gpt-4o-mini · chat").Throughput, 0)
}

// Operation names from outside are sanitised and capped; the same name
// with and without control characters is one row, and a missing operation
// label gives a row without one.
func TestOTelGenAIOperationBadInput(t *testing.T) {
	long := strings.Repeat("x", 200)
	body := "# TYPE gen_ai_client_operation_duration_seconds histogram\n" +
		"gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name=\"chat\x1b[31m\",gen_ai_request_model=\"m\x1b]0;x\x071\",le=\"+Inf\"} 3\n" +
		"gen_ai_client_operation_duration_seconds_sum{gen_ai_operation_name=\"chat\x1b[31m\",gen_ai_request_model=\"m\x1b]0;x\x071\"} 3\n" +
		"gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name=\"chat\x1b[31m\",gen_ai_request_model=\"m\x1b]0;x\x071\"} 3\n" +
		"gen_ai_client_operation_duration_seconds_bucket{gen_ai_operation_name=\"" + long + "\",gen_ai_request_model=\"m1\",le=\"+Inf\"} 2\n" +
		"gen_ai_client_operation_duration_seconds_sum{gen_ai_operation_name=\"" + long + "\",gen_ai_request_model=\"m1\"} 2\n" +
		"gen_ai_client_operation_duration_seconds_count{gen_ai_operation_name=\"" + long + "\",gen_ai_request_model=\"m1\"} 2\n" +
		"gen_ai_client_operation_duration_seconds_bucket{gen_ai_request_model=\"m1\",le=\"+Inf\"} 1\n" +
		"gen_ai_client_operation_duration_seconds_sum{gen_ai_request_model=\"m1\"} 1\n" +
		"gen_ai_client_operation_duration_seconds_count{gen_ai_request_model=\"m1\"} 1\n"
	fr, _, err := Parse([]byte(body), textCT, Target{URL: "http://h:9/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	store := sources.NewStore(sources.StoreOptions{})
	store.Ingest(fr)
	ov := view.Evaluate(store, t0, view.Options{})
	if len(ov.Services) != 3 {
		t.Fatalf("rows %+v", ov.Services)
	}
	for _, s := range ov.Services {
		n := s.DisplayName()
		if sources.Sanitize(n) != n || strings.ContainsAny(n, "\x1b\x07") {
			t.Errorf("row name %q not sanitised", n)
		}
		if len([]rune(s.Operation)) > maxOperationLen {
			t.Errorf("operation of %d runes", len([]rune(s.Operation)))
		}
		if s.Name != "m1" {
			t.Errorf("row %q: the model's name is m1 once its OSC sequence is gone", n)
		}
	}
	near(t, "no-operation row", svcByDisplay(t, ov, "m1").Latency.Count, 1)
}

// A gateway's server durations and its own client calls to the same model
// and operation are the same requests: the server's are read. Another
// operation's client durations stay.
func TestOTelGenAIServerMeasured(t *testing.T) {
	row := func(fam, op string, n int) string {
		l := `{gen_ai_operation_name="` + op + `",gen_ai_request_model="llama"`
		return fam + "_bucket" + l + `,le="+Inf"} ` + itoa(n) + "\n" + fam + "_sum" + l + "} 1\n" + fam + "_count" + l + "} " + itoa(n) + "\n"
	}
	body := "# TYPE gen_ai_server_request_duration_seconds histogram\n" + row("gen_ai_server_request_duration_seconds", "chat", 10) +
		"# TYPE gen_ai_client_operation_duration_seconds histogram\n" + row("gen_ai_client_operation_duration_seconds", "chat", 10) +
		row("gen_ai_client_operation_duration_seconds", "embeddings", 4)
	fr, _, err := Parse([]byte(body), textCT, Target{URL: "http://h:9/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	store := sources.NewStore(sources.StoreOptions{})
	store.Ingest(fr)
	ov := view.Evaluate(store, t0, view.Options{})
	near(t, "llama chat (server only)", svcByDisplay(t, ov, "llama · chat").Latency.Count, 10)
	near(t, "llama embeddings (client)", svcByDisplay(t, ov, "llama · embeddings").Latency.Count, 4)
}
