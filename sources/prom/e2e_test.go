package prom

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// TestEveryFixtureThroughTheHub serves every fixture on loopback, scrapes all
// of them twice 15 s apart (by the hub's clock) and checks one figure per
// stack, as `vigil --scrape URL --once` would compute it.
func TestEveryFixtureThroughTheHub(t *testing.T) {
	files := map[string][2]string{ // first scrape, second scrape
		"vllm": {"vllm.prom", "vllm_t15s.prom"}, "tgi": {"tgi.prom", "tgi_t10s.prom"},
		"sglang": {"sglang.prom", "sglang.prom"}, "triton": {"triton.prom", "triton.prom"},
		"torchserve": {"torchserve.prom", "torchserve.prom"}, "rayserve": {"rayserve.prom", "rayserve.prom"},
		"otel": {"otel_genai.prom", "otel_genai.prom"}, "http": {"http.prom", "http.prom"},
		"dcgm": {"dcgm.prom", "dcgm.prom"}, "node": {"node.prom", "node.prom"},
	}
	clock := sources.NewManualClock(t0)
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, clock)
	for name, fs := range files {
		bodies := [2][]byte{readFixture(t, fs[0]), readFixture(t, fs[1])}
		var n atomic.Int32
		port := listenOn(t, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", textCT)
			w.Write(bodies[min(int(n.Add(1))-1, 1)])
		})
		hub.Add(NewScraper(ScrapeConfig{URL: "http://127.0.0.1:" + itoa(port) + "/metrics", Name: name, Interval: time.Second}))
	}
	hub.PollOnce(context.Background())
	first := index(view.Evaluate(st, clock.Now(), view.Options{RateWindow: time.Minute}))
	clock.Advance(15 * time.Second)
	hub.PollOnce(context.Background())
	at := clock.Now()
	ov := view.Evaluate(st, at, view.Options{RateWindow: time.Minute})
	for _, s := range ov.Sources {
		if s.State != "ok" || s.Kind != "scrape" || s.Series == 0 {
			t.Errorf("source %+v", s)
		}
	}
	byStack := index(ov)
	get := func(k string) view.Service {
		s, ok := byStack[k]
		if !ok {
			t.Fatalf("no service %s in %v", k, byStack)
		}
		return s
	}
	// One scrape: lifetime figures.
	near(t, "vllm lifetime p99", first["vllm/meta-llama/Llama-3.1-8B-Instruct"].Latency.P99, 19.3643)
	near(t, "sglang queue", first["sglang/Qwen/Qwen2.5-7B-Instruct"].QueueDepth, 5)
	near(t, "triton ttft p99", first["triton/tensorrt_llm"].TTFT.P99, 1.7)
	near(t, "torchserve error rate", first["torchserve/resnet-18"].ErrorRate, 0)
	near(t, "ray error rate", first["rayserve/llm"].ErrorRate, 0.05)
	near(t, "otel error rate", first["otel-genai/gpt-4o-mini"].ErrorRate, 5.0/205)
	near(t, "http p50", first["http/recsys"].Latency.P50, 0.01375)
	// Two scrapes: windowed figures; where nothing moved, no traffic in the
	// window means n/a, not 0.
	near(t, "vllm req/s", get("vllm/meta-llama/Llama-3.1-8B-Instruct").Throughput, 3.0)
	near(t, "vllm windowed p99", get("vllm/meta-llama/Llama-3.1-8B-Instruct").Latency.P99, 13.875)
	// TGI's second file is 10 s of traffic, scraped 15 s later here.
	near(t, "tgi req/s", svcOf(byStack, "tgi").Throughput, 52.0/15)
	near(t, "sglang queue", get("sglang/Qwen/Qwen2.5-7B-Instruct").QueueDepth, 5)
	near(t, "http req/s", get("http/recsys").Throughput, 0)
	na(t, "http windowed p50", get("http/recsys").Latency.P50)
	na(t, "ray windowed error rate", get("rayserve/llm").ErrorRate)
	if len(ov.GPUs) != 4 { // 2 DCGM, 1 Triton, 1 TorchServe
		t.Errorf("gpus: %d", len(ov.GPUs))
	}
	hs := view.Hosts(st, at, view.Options{})
	if len(hs) != 1 || hs[0].Host != "gpu-node-07" {
		t.Fatalf("hosts %+v", hs)
	}
	na(t, "cpu busy (counters did not move)", hs[0].CPUBusy)
}

func index(ov view.Overview) map[string]view.Service {
	m := map[string]view.Service{}
	for _, s := range ov.Services {
		m[s.Stack+"/"+s.Name] = s
	}
	return m
}

func svcOf(m map[string]view.Service, stack string) view.Service {
	for _, s := range m {
		if s.Stack == stack {
			return s
		}
	}
	return view.Service{}
}
