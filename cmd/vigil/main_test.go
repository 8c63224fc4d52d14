package main

import (
	"bytes"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCLI runs vigil in-process with a private config and state directory.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("XDG_STATE_HOME", filepath.Join(dir, "state"))
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestFlagAndConfigErrorsAreOneLine(t *testing.T) {
	cases := [][]string{
		{"--output", "yaml", "--once"},
		{"--fail-on", "sometimes"},
		{"--config", "/nonexistent/vigil.yaml"},
		{"bogus-command"},
		{"demo", "--speed", "-1"},
		{"demo", "--fleet", "3"},
		{"demo", "--serve"},
		{"demo", "--fleet", "-2", "--serve"},
	}
	for _, args := range cases {
		code, _, stderr := runCLI(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if n := strings.Count(strings.TrimSpace(stderr), "\n"); n != 0 || stderr == "" {
			t.Errorf("%v: want one line on stderr, got %q", args, stderr)
		}
	}
}

func TestConfigUnknownKeyIsAnError(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("scrape:\n  - url: http://x/metrics\nrefersh: 1s\n"), 0o644)
	code, _, stderr := runCLI(t, "--config", p, "--once")
	if code != 2 || !strings.Contains(stderr, "refersh") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	os.WriteFile(p, []byte("window: soon\n"), 0o644)
	code, _, stderr = runCLI(t, "--config", p, "--once")
	if code != 2 || !strings.Contains(stderr, "not a duration") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := runCLI(t, "version"); code != 0 || !strings.HasPrefix(out, "vigil ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "--help"); code != 0 || !strings.Contains(out, "demo") {
		t.Fatalf("--help: %d %q", code, out)
	}
}

func TestNothingToWatchSuggestsDemo(t *testing.T) {
	code, _, stderr := runCLI(t, "--no-discover", "--no-nvml", "--otlp-listen", "off", "--once")
	if code != 1 || !strings.Contains(stderr, "vigil demo") || !strings.Contains(stderr, "Looked for") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestReceiverAloneIsSomethingToWatch: --otlp-listen alone starts (the
// receiver is a source) and --once reports its state: idle while it
// listens, error with the reason while its port is taken.
func TestReceiverAloneIsSomethingToWatch(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct{ listen, state, text string }{
		{"127.0.0.1:0", "idle", "listening, no exports yet"},
		{busy.Addr().String(), "error", "address already in use"},
	} {
		code, out, stderr := runCLI(t, "--no-discover", "--no-nvml", "--otlp-listen", tc.listen, "--once", "--output", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.listen, code, stderr)
		}
		var r struct {
			Sources []struct {
				Source, Kind, State, Error, Detail string
			} `json:"sources"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, s := range r.Sources {
			if s.Kind == "traces" && strings.HasPrefix(s.Source, "otlp 127.0.0.1:") {
				found = true
				if s.State != tc.state || !strings.Contains(s.Error+s.Detail, tc.text) {
					t.Errorf("%s: receiver %+v", tc.listen, s)
				}
			}
		}
		if !found {
			t.Errorf("%s: no receiver among the sources: %s", tc.listen, out)
		}
	}
}

// TestScrapeFixtureOnce serves the vLLM and DCGM fixtures and checks the
// --once JSON against the values in the fixtures' README.
func TestScrapeFixtureOnce(t *testing.T) {
	files := map[string]string{"/vllm": "vllm.prom", "/dcgm": "dcgm.prom", "/node": "node.prom"}
	mux := http.NewServeMux()
	for path, file := range files {
		body, err := os.ReadFile(filepath.Join("..", "..", "sources", "prom", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			w.Write(body)
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	code, out, stderr := runCLI(t, "--scrape", srv.URL+"/vllm", "--scrape", srv.URL+"/dcgm", "--scrape", srv.URL+"/node",
		"--no-discover", "--no-nvml", "--otlp-listen", "off", "--once", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Services []struct {
			Stack   string `json:"stack"`
			Latency struct {
				P50, P95, P99 *float64
				Basis         string
			} `json:"latency_seconds"`
			TTFT struct {
				P50 *float64 `json:"p50"`
			} `json:"ttft_seconds"`
			ErrorRate  *float64 `json:"error_rate"`
			Throughput *float64 `json:"requests_per_second"`
			Queue      *float64 `json:"queue_depth"`
			KV         *float64 `json:"kv_cache_ratio"`
		} `json:"services"`
		GPUs []struct {
			Index  string   `json:"gpu"`
			Util   *float64 `json:"utilization_ratio"`
			Temp   *float64 `json:"temperature_celsius"`
			Power  *float64 `json:"power_watts"`
			MemUse *float64 `json:"memory_used_bytes"`
			XID    *float64 `json:"xid_last"`
		} `json:"gpus"`
		Hosts []struct {
			Load1 *float64 `json:"load1"`
			Mem   *float64 `json:"memory_used_ratio"`
		} `json:"hosts"`
		Sources []struct {
			State string `json:"state"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	near := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil {
			t.Errorf("%s = null, want %v", name, want)
			return
		}
		if math.Abs(*got-want) > 1e-3*math.Abs(want)+1e-12 {
			t.Errorf("%s = %v, want %v", name, *got, want)
		}
	}
	if len(r.Services) != 1 || r.Services[0].Stack != "vllm" {
		t.Fatalf("services: %+v", r.Services)
	}
	s := r.Services[0]
	near("p50", s.Latency.P50, 2.44066)
	near("p95", s.Latency.P95, 9.79211)
	near("p99", s.Latency.P99, 19.3643)
	near("ttft p50", s.TTFT.P50, 0.06799)
	near("error rate", s.ErrorRate, 6.0/2787)
	near("queue", s.Queue, 3)
	near("kv", s.KV, 0.4375)
	if s.Latency.Basis != "lifetime" || s.Throughput != nil {
		t.Errorf("one scrape: basis %q, throughput %v (want lifetime, null)", s.Latency.Basis, s.Throughput)
	}
	if len(r.GPUs) != 2 {
		t.Fatalf("gpus: %+v", r.GPUs)
	}
	near("gpu0 util", r.GPUs[0].Util, 0.97)
	near("gpu1 temp", r.GPUs[1].Temp, 38)
	near("gpu0 power", r.GPUs[0].Power, 612.418)
	near("gpu0 mem", r.GPUs[0].MemUse, 74112*(1<<20))
	near("gpu1 xid", r.GPUs[1].XID, 13)
	if len(r.Hosts) != 1 {
		t.Fatalf("hosts: %+v", r.Hosts)
	}
	near("load1", r.Hosts[0].Load1, 11.42)
	near("memory", r.Hosts[0].Mem, 0.2576)
	for _, src := range r.Sources {
		if src.State == "error" {
			t.Errorf("a source is in error: %+v", r.Sources)
		}
	}
}

// TestDemoOnceJSON runs the demo headless and checks that every documented
// field is there.
func TestDemoOnceJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the demo for 3 s")
	}
	code, out, stderr := runCLI(t, "demo", "--once", "--for", "3s", "--output", "json", "--speed", "5")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"at", "window", "services", "gpus", "hosts", "drift", "sources", "notes", "discovered"} {
		if _, ok := r[k]; !ok {
			t.Errorf("top-level field %q missing", k)
		}
	}
	svcs, _ := r["services"].([]any)
	if len(svcs) != 2 {
		t.Fatalf("want the LLM and the recsys service, got %d", len(svcs))
	}
	for _, sv := range svcs {
		m := sv.(map[string]any)
		for _, k := range []string{"host", "service", "stack", "latency_seconds", "ttft_seconds", "itl_seconds",
			"requests_per_second", "prompt_tokens_per_second", "generation_tokens_per_second", "error_rate",
			"error_target", "requests_by_outcome", "queue_depth", "running", "kv_cache_ratio"} {
			if _, ok := m[k]; !ok {
				t.Errorf("service field %q missing", k)
			}
		}
		if m["requests_per_second"] == nil {
			t.Errorf("%v: no throughput after 3 s of scrapes", m["service"])
		}
		lat := m["latency_seconds"].(map[string]any)
		if lat["p99"] == nil || lat["basis"] != "window" {
			t.Errorf("%v: latency %v", m["service"], lat)
		}
	}
	gpus, _ := r["gpus"].([]any)
	if len(gpus) != 8 {
		t.Fatalf("want 8 simulated GPUs, got %d", len(gpus))
	}
	for _, k := range []string{"gpu", "uuid", "model", "utilization_ratio", "memory_used_bytes", "memory_total_bytes",
		"temperature_celsius", "power_watts", "power_limit_watts", "sm_clock_hz", "throttle_reasons", "throttle_badges", "xid_last"} {
		g := gpus[0].(map[string]any)
		if v, ok := g[k]; !ok || v == nil {
			t.Errorf("gpu field %q missing or null", k)
		}
	}
	if d, _ := r["drift"].([]any); len(d) == 0 {
		t.Error("no drift rows")
	}
	for _, s := range r["sources"].([]any) {
		m := s.(map[string]any)
		if m["state"] == "error" {
			t.Errorf("source in error: %v", m)
		}
	}
}

// TestOnceWithNoReadableSourceFails: a --once whose only source refuses
// connections says so and exits 1, even with --fail-on (it saw nothing, not
// nothing wrong).
func TestOnceWithNoReadableSourceFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/metrics"
	srv.Close() // refuses connections from now on
	for _, extra := range [][]string{nil, {"--fail-on", "warning"}, {"--for", "1500ms"}} {
		args := append([]string{"--scrape", url, "--no-discover", "--no-nvml", "--otlp-listen", "off", "--once"}, extra...)
		code, out, stderr := runCLI(t, args...)
		if code != exitFailure {
			t.Errorf("%v: exit %d, want 1; stderr %q", extra, code, stderr)
		}
		if !strings.Contains(stderr, "no source could be read") || !strings.Contains(stderr, "refused") || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: stderr %q", extra, stderr)
		}
		if !strings.Contains(out, "SOURCE") {
			t.Errorf("%v: the report is still printed, got %q", extra, out)
		}
	}
}

// TestDemoOnceStopsInOrder: the demo stops before vigil's OTLP receiver,
// so its last spans are taken and its log has no export failure.
func TestDemoOnceStopsInOrder(t *testing.T) {
	logFile := filepath.Join(t.TempDir(), "vigil.log")
	code, _, stderr := runCLI(t, "demo", "--once", "--for", "1500ms", "--output", "json", "--log-file", logFile)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "trace export failed") {
		t.Errorf("the demo's exporter outlived the receiver:\n%s", b)
	}
}
