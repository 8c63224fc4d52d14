package prom

import (
	"bytes"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// The expected values below are worked out by hand in testdata/README.md.

func evalFiles(t *testing.T, url string, step time.Duration, files ...string) (*sources.Store, view.Overview, time.Time) {
	t.Helper()
	st, at := ingest(t, Target{URL: url}, step, files...)
	return st, view.Evaluate(st, at, view.Options{RateWindow: time.Minute}), at
}

func svcByName(t *testing.T, ov view.Overview, name string) view.Service {
	t.Helper()
	for _, s := range ov.Services {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no service %q in %+v", name, ov.Services)
	return view.Service{}
}

func TestTGI(t *testing.T) {
	_, ov, _ := evalFiles(t, "http://127.0.0.1:3000/metrics", 0, "tgi.prom")
	sv := oneService(t, ov)
	if sv.Stack != "tgi" || sv.Name != "127.0.0.1:3000" || sv.Host != "127.0.0.1:3000" {
		t.Errorf("identity %q %q %q", sv.Host, sv.Name, sv.Stack)
	}
	near(t, "p50", sv.Latency.P50, 1.2)
	near(t, "p95", sv.Latency.P95, 3.6)
	near(t, "p99", sv.Latency.P99, 6.08)
	near(t, "mean", sv.Latency.Mean, 1.5)
	na(t, "ttft p50 (TGI has none)", sv.TTFT.P50)
	near(t, "itl proxy p50", sv.ITL.P50, 0.0272)
	near(t, "itl proxy mean", sv.ITL.Mean, 0.03)
	near(t, "error rate", sv.ErrorRate, 0.04)
	near(t, "ok", sv.Outcomes["ok"], 960)
	near(t, "error", sv.Outcomes["error"], 40)
	near(t, "queue", sv.QueueDepth, 7)
	near(t, "running", sv.Running, 24)
	na(t, "kv", sv.KVCache)
	na(t, "throughput", sv.Throughput)

	_, ov, _ = evalFiles(t, "http://127.0.0.1:3000/metrics", 10*time.Second, "tgi.prom", "tgi_t10s.prom")
	sv = oneService(t, ov)
	near(t, "req/s", sv.Throughput, 5.2)
	near(t, "prompt tok/s", sv.PromptTPS, 2400)
	near(t, "gen tok/s", sv.GenTPS, 1000)
	near(t, "windowed p50", sv.Latency.P50, 1.25)
	near(t, "windowed p99", sv.Latency.P99, 3.9)
	near(t, "windowed error rate", sv.ErrorRate, 2.0/52)
	near(t, "queue", sv.QueueDepth, 2)
}

func TestSGLang(t *testing.T) {
	st, ov, at := evalFiles(t, "http://127.0.0.1:30000/metrics", 0, "sglang.prom")
	sv := oneService(t, ov)
	if sv.Stack != "sglang" || sv.Name != "Qwen/Qwen2.5-7B-Instruct" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "queue (max over tp ranks)", sv.QueueDepth, 5)
	near(t, "running (max over tp ranks)", sv.Running, 16)
	near(t, "kv (max over tp ranks)", sv.KVCache, 0.62)
	near(t, "ttft p50", sv.TTFT.P50, 0.165333)
	near(t, "ttft p95", sv.TTFT.P95, 0.662)
	near(t, "ttft p99", sv.TTFT.P99, 1.208)
	near(t, "ttft mean", sv.TTFT.Mean, 0.2)
	near(t, "e2e p50", sv.Latency.P50, 2.96)
	near(t, "e2e p95", sv.Latency.P95, 9.7625)
	near(t, "e2e p99", sv.Latency.P99, 17.525)
	near(t, "e2e mean", sv.Latency.Mean, 5)
	near(t, "itl p50", sv.ITL.P50, 0.016)
	near(t, "ok", sv.Outcomes["ok"], 3960)
	near(t, "abort", sv.Outcomes["abort"], 40)
	if _, ok := sv.Outcomes["error"]; ok {
		t.Errorf("SGLang has no error counter, yet an error outcome: %v", sv.Outcomes)
	}
	if n := len(st.Select(sources.SvcRequests, sources.Label{Name: sources.LabelOutcome, Value: sources.OutcomeError})); n != 0 {
		t.Errorf("error series emitted for SGLang")
	}
	m := []sources.Label{{Name: sources.LabelKind, Value: "prompt"}}
	near(t, "prompt tokens", view.SumLast(st, sources.SvcTokens, m, at), 2.5e6)
	near(t, "cached tokens", view.SumLast(st, sources.SvcTokens, []sources.Label{{Name: sources.LabelKind, Value: KindCached}}, at), 1e6)
}

func TestTriton(t *testing.T) {
	st, ov, at := evalFiles(t, "http://127.0.0.1:8002/metrics", 0, "triton.prom")
	if len(ov.Services) != 3 {
		t.Fatalf("services: %+v", ov.Services)
	}
	trt := svcByName(t, ov, "tensorrt_llm")
	ens := svcByName(t, ov, "llama_ensemble")
	pre := svcByName(t, ov, "preprocessing")
	// Ensembles are services of their own, never summed with their parts.
	near(t, "trt error rate", trt.ErrorRate, 15.0/1015)
	near(t, "trt ok", trt.Outcomes["ok"], 1000)
	near(t, "trt error", trt.Outcomes["error"], 15)
	near(t, "ensemble error rate", ens.ErrorRate, 10.0/1010)
	near(t, "preprocessing error rate", pre.ErrorRate, 0)
	// The opt-in summary gives quantiles; µs → s.
	near(t, "trt p50", trt.Latency.P50, 2.1)
	near(t, "trt p95", trt.Latency.P95, 4.4)
	near(t, "trt p99", trt.Latency.P99, 6.0)
	// Without a summary only the mean: cumulative µs / successes. (Read
	// through HistQuantiles: view.service drops the mean when it falls back
	// to summaries and finds none; reported to the lead.)
	ensQ := view.HistQuantiles(st, sources.SvcLatency, []sources.Label{{Name: sources.LabelService, Value: "llama_ensemble"}}, time.Minute, at)
	near(t, "ensemble mean", ensQ.Mean, 2.6)
	na(t, "ensemble p50", ensQ.P50)
	na(t, "ensemble p50 (view)", ens.Latency.P50)
	preQ := view.HistQuantiles(st, sources.SvcLatency, []sources.Label{{Name: sources.LabelService, Value: "preprocessing"}}, time.Minute, at)
	near(t, "preprocessing mean", preQ.Mean, 0.005)
	near(t, "preprocessing count", preQ.Count, 1000)
	_ = pre
	qt := view.HistQuantiles(st, sources.SvcQueueTime, []sources.Label{{Name: sources.LabelService, Value: "tensorrt_llm"}}, time.Minute, at)
	near(t, "trt queue time mean", qt.Mean, 0.12)
	// The first-response histogram (ms) is TTFT.
	near(t, "ttft p50", trt.TTFT.P50, 0.0714286)
	near(t, "ttft p95", trt.TTFT.P95, 0.5)
	near(t, "ttft p99", trt.TTFT.P99, 1.7)
	near(t, "ttft mean", trt.TTFT.Mean, 0.09)
	near(t, "queue", trt.QueueDepth, 6)
	near(t, "running", trt.Running, 12)
	near(t, "kv", trt.KVCache, 0.35)
	gs := view.GPUs(st, at)
	if len(gs) != 1 {
		t.Fatalf("gpus: %+v", gs)
	}
	g := gs[0]
	if g.UUID != "GPU-7d9e0c4a-1b2c-4d3e-8f90-a1b2c3d4e5f6" || g.Host != "127.0.0.1:8002" {
		t.Errorf("gpu identity %+v", g)
	}
	near(t, "util", g.Util, 0.83)
	near(t, "mem ratio", g.MemRatio(), 0.8)
	near(t, "power", g.Power, 410.5)
	near(t, "power limit", g.PowerLimit, 700)
	near(t, "energy kWh", view.Some(view.SumLast(st, sources.GPUEnergy, nil, at).V/3.6e6), 1)
}

func TestTorchServe(t *testing.T) {
	st, ov, at := evalFiles(t, "http://127.0.0.1:8082/metrics", 0, "torchserve.prom")
	sv := oneService(t, ov)
	if sv.Name != "resnet-18" || sv.Host != "ts-host-1" || sv.Stack != "torchserve" {
		t.Errorf("identity %q %q %q", sv.Host, sv.Name, sv.Stack)
	}
	near(t, "error rate (5XX absent = 0)", sv.ErrorRate, 0)
	near(t, "ok", sv.Outcomes["ok"], 490)
	near(t, "client_error", sv.Outcomes["client_error"], 10)
	near(t, "error", sv.Outcomes["error"], 0)
	lat := view.HistQuantiles(st, sources.SvcLatency, nil, time.Minute, at) // see TestTriton
	near(t, "mean latency", lat.Mean, 0.045)
	na(t, "p50 (mean only)", lat.P50)
	near(t, "count", lat.Count, 500)
	na(t, "ttft", sv.TTFT.P50)
	na(t, "kv", sv.KVCache)
	qt := view.HistQuantiles(st, sources.SvcQueueTime, nil, time.Minute, at)
	near(t, "queue time mean", qt.Mean, 0.002)
	gs := view.GPUs(st, at)
	if len(gs) != 1 || gs[0].Host != "ts-host-1" || gs[0].Index != "0" {
		t.Fatalf("gpus: %+v", gs)
	}
	near(t, "gpu util", gs[0].Util, 0.45)
	near(t, "gpu mem", gs[0].MemUsed, 2048*mib)
}

func TestRayServe(t *testing.T) {
	_, ov, _ := evalFiles(t, "http://127.0.0.1:8080/metrics", 0, "rayserve.prom")
	sv := oneService(t, ov)
	if sv.Name != "llm" || sv.Stack != "rayserve" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "ok", sv.Outcomes["ok"], 1900)
	near(t, "error", sv.Outcomes["error"], 100)
	near(t, "error rate", sv.ErrorRate, 0.05)
	near(t, "p50", sv.Latency.P50, 0.311538)
	near(t, "p95", sv.Latency.P95, 1.0)
	near(t, "p99", sv.Latency.P99, 4.2)
	near(t, "mean", sv.Latency.Mean, 0.2942)
	near(t, "queue", sv.QueueDepth, 4)
	near(t, "running", sv.Running, 14)
}

func TestOTelGenAI(t *testing.T) {
	st, ov, at := evalFiles(t, "http://127.0.0.1:8889/metrics", 0, "otel_genai.prom")
	if len(ov.Services) != 2 {
		t.Fatalf("services: %+v", ov.Services)
	}
	// Rows are model × operation: the chatbot's client calls to
	// gpt-4o-mini, the gateway's llama-3.1-8b.
	cb := svcByName(t, ov, "gpt-4o-mini")
	if cb.Stack != "otel-genai" || cb.Operation != "chat" || cb.DisplayName() != "gpt-4o-mini · chat" {
		t.Errorf("stack %q operation %q display %q", cb.Stack, cb.Operation, cb.DisplayName())
	}
	near(t, "chatbot ok", cb.Outcomes["ok"], 200)
	near(t, "chatbot error", cb.Outcomes["error"], 5)
	near(t, "chatbot error rate", cb.ErrorRate, 5.0/205)
	near(t, "chatbot p50", cb.Latency.P50, 1.14)
	near(t, "chatbot p95", cb.Latency.P95, 5.077333)
	near(t, "chatbot p99", cb.Latency.P99, 5.12)
	near(t, "chatbot mean", cb.Latency.Mean, 320.0/205)
	m := cb.Match()
	near(t, "prompt tokens", view.SumLast(st, sources.SvcTokens, append(m, sources.Label{Name: sources.LabelKind, Value: "prompt"}), at), 120000)
	near(t, "generation tokens", view.SumLast(st, sources.SvcTokens, append(m, sources.Label{Name: sources.LabelKind, Value: "generation"}), at), 40000)

	gw := svcByName(t, ov, "llama-3.1-8b")
	near(t, "gateway p50", gw.Latency.P50, 0.64)
	near(t, "gateway mean", gw.Latency.Mean, 0.7)
	near(t, "gateway ttft p50", gw.TTFT.P50, 0.083333)
	near(t, "gateway ttft mean", gw.TTFT.Mean, 0.12)
	near(t, "gateway itl p50", gw.ITL.P50, 0.035)
	near(t, "gateway itl mean", gw.ITL.Mean, 0.045)
	near(t, "gateway error rate", gw.ErrorRate, 0)
}

// TestOTelGenAIUTF8 reads the Prometheus 3 form with dotted, quoted names.
func TestOTelGenAIUTF8(t *testing.T) {
	body := `# TYPE "gen_ai.client.operation.duration_seconds" histogram
{"gen_ai.client.operation.duration_seconds_bucket","gen_ai.operation.name"="chat",job="bot",le="1"} 3
{"gen_ai.client.operation.duration_seconds_bucket","gen_ai.operation.name"="chat",job="bot",le="+Inf"} 4
{"gen_ai.client.operation.duration_seconds_sum","gen_ai.operation.name"="chat",job="bot"} 2
{"gen_ai.client.operation.duration_seconds_count","gen_ai.operation.name"="chat",job="bot"} 4
{"gen_ai.client.operation.duration_seconds_bucket","gen_ai.operation.name"="chat","error.type"="500",job="bot",le="1"} 0
{"gen_ai.client.operation.duration_seconds_bucket","gen_ai.operation.name"="chat","error.type"="500",job="bot",le="+Inf"} 1
{"gen_ai.client.operation.duration_seconds_sum","gen_ai.operation.name"="chat","error.type"="500",job="bot"} 3
{"gen_ai.client.operation.duration_seconds_count","gen_ai.operation.name"="chat","error.type"="500",job="bot"} 1
`
	fr, st, err := Parse([]byte(body), textCT, Target{URL: "http://h:9/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Stacks) != 1 || st.Stacks[0] != StackOTelGenAI {
		t.Errorf("stacks %v", st.Stacks)
	}
	store := sources.NewStore(sources.StoreOptions{})
	store.Ingest(fr)
	sv := oneService(t, view.Evaluate(store, t0, view.Options{}))
	near(t, "error rate", sv.ErrorRate, 0.2)
	near(t, "mean", sv.Latency.Mean, 1)
	near(t, "p50", sv.Latency.P50, 0.833333)
}

func TestGenericHTTP(t *testing.T) {
	_, ov, _ := evalFiles(t, "http://127.0.0.1:8080/metrics", 0, "http.prom")
	sv := oneService(t, ov)
	if sv.Name != "recsys" || sv.Stack != "http" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "ok (/metrics excluded)", sv.Outcomes["ok"], 9500)
	near(t, "client_error", sv.Outcomes["client_error"], 300)
	near(t, "error", sv.Outcomes["error"], 200)
	near(t, "error rate", sv.ErrorRate, 0.02)
	near(t, "p50", sv.Latency.P50, 0.01375)
	near(t, "p95", sv.Latency.P95, 0.05)
	near(t, "p99", sv.Latency.P99, 0.1)
	near(t, "mean", sv.Latency.Mean, 0.02)
	near(t, "count", sv.Latency.Count, 10000)

	// No service label: job; neither: the target.
	for _, c := range []struct{ from, to, want string }{
		{`service="recsys"`, `job="recsys-job"`, "recsys-job"},
		{`service="recsys",`, ``, "127.0.0.1:8080"},
	} {
		b := bytes.ReplaceAll(readFixture(t, "http.prom"), []byte(c.from), []byte(c.to))
		fr, _, err := Parse(b, textCT, Target{URL: "http://127.0.0.1:8080/metrics"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		st := sources.NewStore(sources.StoreOptions{})
		st.Ingest(fr)
		sv := oneService(t, view.Evaluate(st, t0, view.Options{}))
		if sv.Name != c.want {
			t.Errorf("service %q, want %q", sv.Name, c.want)
		}
		near(t, c.want+" error rate", sv.ErrorRate, 0.02)
	}
}

// TestDemoShape is the embedded demo's exposition: vLLM-style engine metrics
// and a recommendation API under the generic HTTP names, on one endpoint.
func TestDemoShape(t *testing.T) {
	body := append(dropLines(readFixture(t, "vllm.prom"), "http_request"), readFixture(t, "http.prom")...)
	fr, stats, err := Parse(body, textCT, Target{URL: "http://127.0.0.1:9999/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if got := stats.Stacks; len(got) != 2 || got[0] != "http" || got[1] != "vllm" {
		t.Errorf("stacks %v", got)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(fr)
	ov := view.Evaluate(st, t0, view.Options{})
	if len(ov.Services) != 2 {
		t.Fatalf("services %+v", ov.Services)
	}
	near(t, "recsys error rate", svcByName(t, ov, "recsys").ErrorRate, 0.02)
	v := svcByName(t, ov, "meta-llama/Llama-3.1-8B-Instruct")
	near(t, "vllm engine error rate", v.ErrorRate, 6.0/2756)
	near(t, "vllm p99", v.Latency.P99, 19.3643)
}

// TestVLLMOldNames reads a pre-0.11 vLLM: gpu_cache_usage_perc,
// time_per_output_token_seconds, gpu_prefix_cache_*.
func TestVLLMOldNames(t *testing.T) {
	b := readFixture(t, "vllm.prom")
	b = bytes.ReplaceAll(b, []byte("vllm:kv_cache_usage_perc"), []byte("vllm:gpu_cache_usage_perc"))
	b = bytes.ReplaceAll(b, []byte("vllm:inter_token_latency_seconds"), []byte("vllm:time_per_output_token_seconds"))
	b = bytes.ReplaceAll(b, []byte("vllm:prefix_cache_"), []byte("vllm:gpu_prefix_cache_"))
	fr, _, err := Parse(b, textCT, Target{URL: "http://127.0.0.1:8000/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(fr)
	sv := oneService(t, view.Evaluate(st, t0, view.Options{}))
	near(t, "kv", sv.KVCache, 0.4375)
	near(t, "itl p50", sv.ITL.P50, 0.019152)
	hits := view.SumLast(st, SvcPrefixCacheHits, nil, t0)
	near(t, "prefix hits", hits, 610944)

	// Both names at once (0.9 to 0.11 print the deprecated ones too): the new wins.
	both := append(readFixture(t, "vllm.prom"), []byte("# TYPE vllm:gpu_cache_usage_perc gauge\nvllm:gpu_cache_usage_perc{model_name=\"meta-llama/Llama-3.1-8B-Instruct\",engine=\"0\"} 0.99\n")...)
	fr, _, err = Parse(both, textCT, Target{URL: "http://127.0.0.1:8000/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	st = sources.NewStore(sources.StoreOptions{})
	st.Ingest(fr)
	near(t, "kv with both names", oneService(t, view.Evaluate(st, t0, view.Options{})).KVCache, 0.4375)
}

// TestDCGMVariants: lowercase labels, the throttle bitmask under either name,
// ECC counters, a blank field.
func TestDCGMVariants(t *testing.T) {
	for _, name := range []string{"DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", "DCGM_FI_DEV_CLOCKS_EVENT_REASONS"} {
		body := "# TYPE " + name + " gauge\n" + name + `{gpu="3",uuid="GPU-x",model_name="NVIDIA A100",hostname="n1"} 68` + "\n" +
			"# TYPE DCGM_FI_DEV_ECC_DBE_VOL_TOTAL counter\n" + `DCGM_FI_DEV_ECC_DBE_VOL_TOTAL{gpu="3",uuid="GPU-x",model_name="NVIDIA A100",hostname="n1"} 2` + "\n" +
			"# TYPE DCGM_FI_DEV_ECC_SBE_VOL_TOTAL counter\n" + `DCGM_FI_DEV_ECC_SBE_VOL_TOTAL{gpu="3",uuid="GPU-x",model_name="NVIDIA A100",hostname="n1"} 9223372036854775794` + "\n"
		fr, _, err := Parse([]byte(body), textCT, Target{URL: "http://127.0.0.1:9400/metrics"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		st := sources.NewStore(sources.StoreOptions{})
		st.Ingest(fr)
		gs := view.GPUs(st, t0)
		if len(gs) != 1 {
			t.Fatalf("%s: gpus %+v", name, gs)
		}
		g := gs[0]
		if g.Host != "n1" || g.UUID != "GPU-x" || g.Model != "NVIDIA A100" || g.Index != "3" {
			t.Errorf("identity %+v", g)
		}
		near(t, name, g.Throttle, 68)
		if len(g.Badges) != 2 || g.Badges[0] != "PWR-CAP" || g.Badges[1] != "HW-THERM" {
			t.Errorf("badges %v", g.Badges)
		}
		near(t, "ecc uncorrected", g.ECCUncorr, 2)
		na(t, "ecc corrected (blank)", g.ECCCorr)
	}
}

func parseOne(t *testing.T, body string, url string) (*sources.Store, view.Overview) {
	t.Helper()
	fr, _, err := Parse([]byte(body), textCT, Target{URL: url}, t0)
	if err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(fr)
	return st, view.Evaluate(st, t0, view.Options{})
}

func TestLlamaCpp(t *testing.T) {
	_, ov := parseOne(t, `# TYPE llamacpp:prompt_tokens_total counter
llamacpp:prompt_tokens_total 5000
# TYPE llamacpp:tokens_predicted_total counter
llamacpp:tokens_predicted_total 2000
# TYPE llamacpp:requests_processing gauge
llamacpp:requests_processing 2
# TYPE llamacpp:requests_deferred gauge
llamacpp:requests_deferred 1
# TYPE llamacpp:kv_cache_usage_ratio gauge
llamacpp:kv_cache_usage_ratio 0.25
`, "http://127.0.0.1:8081/metrics")
	sv := oneService(t, ov)
	if sv.Stack != "llamacpp" || sv.Name != "127.0.0.1:8081" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "running", sv.Running, 2)
	near(t, "queue", sv.QueueDepth, 1)
	near(t, "kv", sv.KVCache, 0.25)
	na(t, "latency", sv.Latency.P50)
	na(t, "error rate", sv.ErrorRate)
}

func TestKServe(t *testing.T) {
	_, ov := parseOne(t, `# TYPE request_predict_seconds histogram
request_predict_seconds_bucket{le="0.05",model_name="iris"} 60
request_predict_seconds_bucket{le="0.1",model_name="iris"} 90
request_predict_seconds_bucket{le="+Inf",model_name="iris"} 100
request_predict_seconds_sum{model_name="iris"} 4
request_predict_seconds_count{model_name="iris"} 100
`, "http://127.0.0.1:8080/metrics")
	sv := oneService(t, ov)
	if sv.Stack != "kserve" || sv.Name != "iris" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "p50 (0.05 × 50/60)", sv.Latency.P50, 0.0416667)
	near(t, "mean", sv.Latency.Mean, 0.04)
	near(t, "ok", sv.Outcomes["ok"], 100)
	if _, ok := sv.Outcomes["error"]; ok {
		t.Errorf("KServe counts no failures, yet an error outcome")
	}
}

func TestTRTLLMServe(t *testing.T) {
	_, ov := parseOne(t, `# TYPE trtllm_num_requests_running gauge
trtllm_num_requests_running{model_name="llama"} 3
# TYPE trtllm_num_requests_waiting gauge
trtllm_num_requests_waiting{model_name="llama"} 2
# TYPE trtllm_kv_cache_utilization gauge
trtllm_kv_cache_utilization{model_name="llama"} 0.5
# TYPE trtllm_request_success_total counter
trtllm_request_success_total{model_name="llama",finished_reason="stop"} 97
trtllm_request_success_total{model_name="llama",finished_reason="error"} 3
`, "http://127.0.0.1:8000/metrics")
	sv := oneService(t, ov)
	if sv.Stack != "trtllm" || sv.Name != "llama" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "running", sv.Running, 3)
	near(t, "queue", sv.QueueDepth, 2)
	near(t, "kv", sv.KVCache, 0.5)
	near(t, "error rate", sv.ErrorRate, 0.03)
}

// TestOTelHTTPServer reads OpenTelemetry's HTTP server histogram when the
// classic http_requests_total is absent.
func TestOTelHTTPServer(t *testing.T) {
	_, ov := parseOne(t, `# TYPE http_server_request_duration_seconds histogram
http_server_request_duration_seconds_bucket{job="api",http_response_status_code="200",le="0.1"} 80
http_server_request_duration_seconds_bucket{job="api",http_response_status_code="200",le="+Inf"} 90
http_server_request_duration_seconds_sum{job="api",http_response_status_code="200"} 5
http_server_request_duration_seconds_count{job="api",http_response_status_code="200"} 90
http_server_request_duration_seconds_bucket{job="api",http_response_status_code="502",le="0.1"} 0
http_server_request_duration_seconds_bucket{job="api",http_response_status_code="502",le="+Inf"} 10
http_server_request_duration_seconds_sum{job="api",http_response_status_code="502"} 5
http_server_request_duration_seconds_count{job="api",http_response_status_code="502"} 10
`, "http://127.0.0.1:9464/metrics")
	sv := oneService(t, ov)
	if sv.Stack != "http" || sv.Name != "api" {
		t.Errorf("identity %q %q", sv.Name, sv.Stack)
	}
	near(t, "error rate", sv.ErrorRate, 0.1)
	near(t, "p50 (0.1 × 50/80)", sv.Latency.P50, 0.0625)
	near(t, "mean", sv.Latency.Mean, 0.1)
}

// TestSGLangDataParallel: max over tensor-parallel ranks, sum over
// data-parallel ones.
func TestSGLangDataParallel(t *testing.T) {
	body := "# TYPE sglang:num_queue_reqs gauge\n"
	for _, x := range []struct{ dp, tp, v string }{{"0", "0", "5"}, {"0", "1", "5"}, {"1", "0", "3"}, {"1", "1", "2"}} {
		body += `sglang:num_queue_reqs{model_name="m",dp_rank="` + x.dp + `",tp_rank="` + x.tp + `"} ` + x.v + "\n"
	}
	_, ov := parseOne(t, body, "http://127.0.0.1:30000/metrics")
	near(t, "queue", oneService(t, ov).QueueDepth, 8)
}

// TestRayServeReplicaCounters: without the proxy's HTTP counts, the
// deployments' own counters and processing latency.
func TestRayServeReplicaCounters(t *testing.T) {
	_, ov := parseOne(t, `# TYPE ray_serve_deployment_request_counter_total counter
ray_serve_deployment_request_counter_total{application="app",deployment="D",replica="D#1",route="/"} 90
ray_serve_deployment_request_counter_total{application="app",deployment="D",replica="D#2",route="/"} 110
# TYPE ray_serve_deployment_error_counter_total counter
ray_serve_deployment_error_counter_total{application="app",deployment="D",replica="D#1",route="/"} 4
# TYPE ray_serve_deployment_processing_latency_ms histogram
ray_serve_deployment_processing_latency_ms_bucket{application="app",deployment="D",replica="D#1",route="/",le="100"} 150
ray_serve_deployment_processing_latency_ms_bucket{application="app",deployment="D",replica="D#1",route="/",le="+Inf"} 200
ray_serve_deployment_processing_latency_ms_sum{application="app",deployment="D",replica="D#1",route="/"} 20000
ray_serve_deployment_processing_latency_ms_count{application="app",deployment="D",replica="D#1",route="/"} 200
`, "http://127.0.0.1:8080/metrics")
	sv := oneService(t, ov)
	near(t, "error rate", sv.ErrorRate, 0.02)
	near(t, "ok", sv.Outcomes["ok"], 196)
	near(t, "mean", sv.Latency.Mean, 0.1)
	near(t, "p50 (0.1 × 100/150)", sv.Latency.P50, 0.0666667)
}

func TestFamilies(t *testing.T) {
	node := Families(StackNode)
	want := map[string]bool{"node_cpu_seconds_total": true, "node_uname_info": true, "node_filesystem_avail_bytes": true}
	n := 0
	for _, f := range node {
		if want[f] {
			n++
		}
	}
	if n != len(want) {
		t.Errorf("node families %v", node)
	}
	v := Families(StackVLLM)
	for _, f := range []string{"vllm:e2e_request_latency_seconds", "vllm:gpu_cache_usage_perc", "http_requests_total"} {
		found := false
		for _, x := range v {
			found = found || x == f
		}
		if !found {
			t.Errorf("vllm families lack %s: %v", f, v)
		}
	}
	if Families("nope") != nil {
		t.Error("unknown stack")
	}
	for _, s := range Stacks() {
		if s != StackPrometheus && len(Families(s)) == 0 {
			t.Errorf("stack %s reads no family", s)
		}
	}
}
