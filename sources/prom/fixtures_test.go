package prom

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

var t0 = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

const textCT = "text/plain; version=0.0.4; charset=utf-8"

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ingest parses each file in turn, scrapes step apart, into one store.
func ingest(t testing.TB, target Target, step time.Duration, files ...string) (*sources.Store, time.Time) {
	t.Helper()
	st := sources.NewStore(sources.StoreOptions{})
	at := t0
	for i, f := range files {
		at = t0.Add(time.Duration(i) * step)
		fr, _, err := Parse(readFixture(t, f), textCT, target, at)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fr.Source = "scrape test"
		st.Ingest(fr)
	}
	return st, at
}

func near(t testing.TB, what string, got view.Num, want float64) {
	t.Helper()
	if !got.OK {
		t.Errorf("%s: n/a, want %g", what, want)
		return
	}
	if want == 0 {
		if got.V != 0 {
			t.Errorf("%s = %g, want 0", what, got.V)
		}
		return
	}
	if math.Abs(got.V-want)/math.Abs(want) > 1e-3 {
		t.Errorf("%s = %g, want %g (rel. tol. 1e-3)", what, got.V, want)
	}
}

func na(t testing.TB, what string, got view.Num) {
	t.Helper()
	if got.OK {
		t.Errorf("%s = %g, want n/a", what, got.V)
	}
}

func oneService(t testing.TB, ov view.Overview) view.Service {
	t.Helper()
	if len(ov.Services) != 1 {
		t.Fatalf("services: got %d, want 1: %+v", len(ov.Services), ov.Services)
	}
	return ov.Services[0]
}

func TestVLLMSingleScrapeLifetime(t *testing.T) {
	st, at := ingest(t, Target{URL: "http://127.0.0.1:8000/metrics"}, 0, "vllm.prom")
	sv := oneService(t, view.Evaluate(st, at, view.Options{}))
	if sv.Name != "meta-llama/Llama-3.1-8B-Instruct" || sv.Stack != "vllm" || sv.Host != "127.0.0.1:8000" {
		t.Errorf("identity: %q %q %q", sv.Host, sv.Name, sv.Stack)
	}
	if sv.Latency.Basis != view.BasisLifetime {
		t.Errorf("latency basis %q, want lifetime", sv.Latency.Basis)
	}
	near(t, "latency count", sv.Latency.Count, 2756)
	near(t, "latency p50", sv.Latency.P50, 2.44066)
	near(t, "latency p95", sv.Latency.P95, 9.79211)
	near(t, "latency p99", sv.Latency.P99, 19.3643)
	near(t, "latency mean", sv.Latency.Mean, 3.83018)
	near(t, "ttft count", sv.TTFT.Count, 2750)
	near(t, "ttft p50", sv.TTFT.P50, 0.06799)
	near(t, "ttft p95", sv.TTFT.P95, 0.35826)
	near(t, "ttft p99", sv.TTFT.P99, 0.86184)
	near(t, "ttft mean", sv.TTFT.Mean, 0.11355)
	near(t, "itl count", sv.ITL.Count, 609730)
	near(t, "itl p50", sv.ITL.P50, 0.019152)
	near(t, "itl p95", sv.ITL.P95, 0.048258)
	near(t, "itl p99", sv.ITL.P99, 0.079858)
	near(t, "queue depth", sv.QueueDepth, 3)
	near(t, "running", sv.Running, 12)
	near(t, "kv cache", sv.KVCache, 0.4375)
	// HTTP 5xx share is preferred over the engine's error share.
	near(t, "error rate", sv.ErrorRate, 6.0/2787)
	if sv.ErrorBasis != view.BasisLifetime {
		t.Errorf("error basis %q", sv.ErrorBasis)
	}
	near(t, "ok", sv.Outcomes["ok"], 2750)
	near(t, "client_error", sv.Outcomes["client_error"], 31)
	near(t, "error", sv.Outcomes["error"], 6)
	na(t, "throughput", sv.Throughput)
	near(t, "aborts (not errors)", view.SumLast(st, SvcAborts, nil, at), 37)
	na(t, "prompt tok/s", sv.PromptTPS)
	na(t, "gen tok/s", sv.GenTPS)

	q := view.HistQuantiles(st, sources.SvcQueueTime, nil, time.Minute, at)
	near(t, "queue time mean", q.Mean, 0.04003)

	m := []sources.Label{{Name: sources.LabelStack, Value: "vllm"}}
	near(t, "prompt tokens", view.SumLast(st, sources.SvcTokens, append(m, sources.Label{Name: "kind", Value: "prompt"}), at), 1845210)
	near(t, "generation tokens", view.SumLast(st, sources.SvcTokens, append(m, sources.Label{Name: "kind", Value: "generation"}), at), 612480)
	near(t, "cached tokens", view.SumLast(st, sources.SvcTokens, append(m, sources.Label{Name: "kind", Value: KindCached}), at), 610944)
	hits := view.SumLast(st, SvcPrefixCacheHits, m, at)
	queries := view.SumLast(st, SvcPrefixCacheQueries, m, at)
	near(t, "prefix hit rate", view.Some(hits.V/queries.V), 0.3311)

	if n := len(view.GPUs(st, at)); n != 0 {
		t.Errorf("vLLM gave %d GPUs, want none", n)
	}
	for _, name := range st.Names() {
		if name != "" && (contains(name, "created") || contains(name, "vllm")) {
			t.Errorf("raw or _created series %q reached the store", name)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func TestVLLMEngineErrorRateWithoutHTTP(t *testing.T) {
	b := readFixture(t, "vllm.prom")
	b = dropLines(b, "http_request")
	fr, _, err := Parse(b, textCT, Target{URL: "http://127.0.0.1:8000/metrics"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(fr)
	sv := oneService(t, view.Evaluate(st, t0, view.Options{}))
	near(t, "engine error rate", sv.ErrorRate, 6.0/2756)
	near(t, "aborts", sv.Outcomes["abort"], 37)
	near(t, "abort share", view.Some(sv.Outcomes["abort"].V/2756), 0.013425)
	near(t, "ok", sv.Outcomes["ok"], 2301+412)
}

func dropLines(b []byte, sub string) []byte {
	var out []byte
	for len(b) > 0 {
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		line := b[:i]
		if i < len(b) {
			i++
		}
		if !contains(string(line), sub) {
			out = append(out, b[:i]...)
		}
		b = b[i:]
	}
	return out
}

func TestVLLMTwoScrapesWindowed(t *testing.T) {
	st, at := ingest(t, Target{URL: "http://127.0.0.1:8000/metrics"}, 15*time.Second, "vllm.prom", "vllm_t15s.prom")
	sv := oneService(t, view.Evaluate(st, at, view.Options{RateWindow: time.Minute}))
	near(t, "req/s", sv.Throughput, 3.0)
	near(t, "gen tok/s", sv.GenTPS, 668)
	near(t, "prompt tok/s", sv.PromptTPS, 2010)
	if sv.Latency.Basis != view.BasisWindow {
		t.Errorf("latency basis %q, want window", sv.Latency.Basis)
	}
	near(t, "latency p50", sv.Latency.P50, 2.58333)
	near(t, "latency p95", sv.Latency.P95, 9.79167)
	near(t, "latency p99", sv.Latency.P99, 13.875)
	near(t, "ttft p50", sv.TTFT.P50, 0.073)
	near(t, "ttft p95", sv.TTFT.P95, 0.39583)
	near(t, "ttft p99", sv.TTFT.P99, 0.6375)
	near(t, "itl p50", sv.ITL.P50, 0.019321)
	near(t, "itl p99", sv.ITL.P99, 0.069915)
	near(t, "error rate", sv.ErrorRate, 0)
	if sv.ErrorBasis != view.BasisWindow {
		t.Errorf("error basis %q, want window", sv.ErrorBasis)
	}
	near(t, "running", sv.Running, 14)
	near(t, "waiting", sv.QueueDepth, 0)
	near(t, "kv", sv.KVCache, 0.48125)
}

func TestDCGM(t *testing.T) {
	st, at := ingest(t, Target{URL: "http://127.0.0.1:9400/metrics"}, 0, "dcgm.prom")
	gs := view.GPUs(st, at)
	if len(gs) != 2 {
		t.Fatalf("got %d GPUs, want 2: %+v", len(gs), gs)
	}
	g0, g1 := gs[0], gs[1]
	if g0.Host != "gpu-node-07" || g0.Index != "0" || g0.UUID != "GPU-4f3b2a91-8c1e-5d7a-b2e6-0a9c3f1d7e55" || g0.Model != "NVIDIA H100 80GB HBM3" {
		t.Errorf("gpu 0 identity: %+v", g0)
	}
	if g1.Index != "1" || g1.UUID != "GPU-b81c7d20-2e4f-4a93-9c5d-6f8e1a2b3c4d" {
		t.Errorf("gpu 1 identity: %+v", g1)
	}
	near(t, "util 0", g0.Util, 0.97)
	near(t, "util 1", g1.Util, 0.12)
	near(t, "mem ratio 0", g0.MemRatio(), 74112.0/81032)
	near(t, "mem ratio 1", g1.MemRatio(), 21504.0/81032)
	near(t, "mem used 0", g0.MemUsed, 74112*mib)
	near(t, "mem total 0", g0.MemTotal, 81032*mib)
	near(t, "temp 0", g0.Temp, 61)
	near(t, "temp 1", g1.Temp, 38)
	near(t, "mem temp 0", g0.MemTemp, 52)
	near(t, "power 0", g0.Power, 612.418)
	near(t, "power 1", g1.Power, 118.25)
	near(t, "host power", view.Some(g0.Power.V+g1.Power.V), 730.668)
	near(t, "mean util", view.Some((g0.Util.V+g1.Util.V)/2), 0.545)
	near(t, "xid 0", g0.XIDLast, 0)
	near(t, "xid 1", g1.XIDLast, 13)
	near(t, "sm clock 0", g0.SMClock, 1980e6)
	near(t, "mem clock 1", g1.MemClock, 2619e6)
	near(t, "mem util 0", g0.MemUtil, 0.41)
	near(t, "pcie replay 0", g0.PCIeReplay, 0)
	m0 := []sources.Label{{Name: sources.LabelUUID, Value: g0.UUID}}
	m1 := []sources.Label{{Name: sources.LabelUUID, Value: g1.UUID}}
	near(t, "energy 0 kWh", view.Some(view.SumLast(st, sources.GPUEnergy, m0, at).V/3.6e6), 2.72565)
	near(t, "energy 1 kWh", view.Some(view.SumLast(st, sources.GPUEnergy, m1, at).V/3.6e6), 1.16973)
	pods := st.Select(sources.GPUUtilization, sources.Label{Name: "pod", Value: "vllm-llama3-8b-6d9f7c8b5-x2kqp"})
	if len(pods) != 1 || pods[0].Label("namespace") != "inference" || pods[0].Label(sources.LabelGPU) != "0" {
		t.Errorf("pod mapping: %+v", pods)
	}
	near(t, "sm active 1", view.MaxLast(st, GPUSMActive, m1, at), 0.08123)
	if n := len(view.Services(st, at, view.Options{})); n != 0 {
		t.Errorf("dcgm gave %d services", n)
	}
}

func TestNode(t *testing.T) {
	st, at := ingest(t, Target{URL: "http://127.0.0.1:9100/metrics"}, 0, "node.prom")
	hs := view.Hosts(st, at, view.Options{})
	if len(hs) != 1 {
		t.Fatalf("hosts: %+v", hs)
	}
	h := hs[0]
	if h.Host != "gpu-node-07" {
		t.Errorf("host %q, want the uname nodename", h.Host)
	}
	near(t, "cpu count", h.CPUCount, 4)
	na(t, "cpu busy (one scrape)", h.CPUBusy)
	near(t, "load1", h.Load1, 11.42)
	near(t, "mem used", h.MemUsedRatio, 0.2576)
	near(t, "mem total GiB", view.Some(h.MemTotal.V/(1<<30)), 1007.56)
	if len(h.Filesystems) != 2 {
		t.Fatalf("filesystems: %+v", h.Filesystems)
	}
	if h.Filesystems[0].Mountpoint != "/" || h.Filesystems[1].Mountpoint != "/data" {
		t.Errorf("mountpoints: %+v", h.Filesystems)
	}
	near(t, "/ used", h.Filesystems[0].UsedRatio, 0.3880)
	near(t, "/data used", h.Filesystems[1].UsedRatio, 0.6027)
	near(t, "uptime days", view.Some(h.Uptime.V/86400), 16.61)

	// The since-boot busy figure the README gives, from the same counters.
	var all, idle float64
	for _, s := range st.Select(sources.HostCPUSeconds) {
		smp, _ := st.Last(s.Key(), at)
		all += smp.V
		if md := s.Label("mode"); md == "idle" || md == "iowait" {
			idle += smp.V
		}
	}
	near(t, "busy since boot", view.Some(1-idle/all), 0.29375)
}
