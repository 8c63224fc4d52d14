package demo

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-dev/vigil/sources"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// startManual starts a service on a manual clock at t0.
func startManual(t testing.TB, o Options) (*Service, *sources.ManualClock) {
	t.Helper()
	clk := sources.NewManualClock(t0)
	o.Clock = clk
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s, clk
}

func get(t testing.TB, url, accept string) ([]byte, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("get %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get %s: %s", url, resp.Status)
	}
	return b, resp.Header.Get("Content-Type")
}

const textAccept = "text/plain;version=0.0.4"

// scrape fetches /metrics as Prometheus text and parses it the way the
// console does.
func scrape(t testing.TB, s *Service) map[string]*dto.MetricFamily {
	t.Helper()
	b, _ := get(t, s.MetricsURL(), textAccept)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mfs
}

func labelsOf(m *dto.Metric) map[string]string {
	out := map[string]string{}
	for _, l := range m.GetLabel() {
		out[l.GetName()] = l.GetValue()
	}
	return out
}

// find returns the metric of family name whose labels include match.
func find(mfs map[string]*dto.MetricFamily, name string, match ...string) *dto.Metric {
	mf := mfs[name]
	if mf == nil {
		return nil
	}
next:
	for _, m := range mf.GetMetric() {
		ls := labelsOf(m)
		for i := 0; i < len(match); i += 2 {
			if ls[match[i]] != match[i+1] {
				continue next
			}
		}
		return m
	}
	return nil
}

func counter(t testing.TB, mfs map[string]*dto.MetricFamily, name string, match ...string) float64 {
	t.Helper()
	m := find(mfs, name, match...)
	if m == nil || m.Counter == nil {
		t.Fatalf("no counter %s%v", name, match)
	}
	return m.GetCounter().GetValue()
}

func TestFirstScrapeHasTraffic(t *testing.T) {
	s, _ := startManual(t, Options{Seed: 7})
	mfs := scrape(t, s) // the clock has not moved: only the warm-up ran
	if m := find(mfs, "vllm:e2e_request_latency_seconds"); m == nil || m.GetHistogram().GetSampleCount() < 50 {
		t.Errorf("first scrape: LLM latency histogram %v", m)
	}
	if v := counter(t, mfs, "http_requests_total", "service", "recsys", "code", "200"); v < 500 {
		t.Errorf("first scrape: %v recsys requests", v)
	}
	if g := readGPU(t, s.NVML(), 0); g.temp < 50 || g.util < 20 {
		t.Errorf("first read: GPU 0 not warm: %+v", g)
	}
}

func TestMetricsFamilies(t *testing.T) {
	s, clk := startManual(t, Options{Seed: 7})
	clk.Advance(20 * time.Second)
	mfs := scrape(t, s)
	want := map[string]dto.MetricType{
		"vllm:e2e_request_latency_seconds": dto.MetricType_HISTOGRAM,
		"vllm:time_to_first_token_seconds": dto.MetricType_HISTOGRAM,
		"vllm:inter_token_latency_seconds": dto.MetricType_HISTOGRAM,
		"vllm:request_success_total":       dto.MetricType_COUNTER,
		"vllm:prompt_tokens_total":         dto.MetricType_COUNTER,
		"vllm:generation_tokens_total":     dto.MetricType_COUNTER,
		"vllm:num_requests_waiting":        dto.MetricType_GAUGE,
		"vllm:num_requests_running":        dto.MetricType_GAUGE,
		"vllm:kv_cache_usage_perc":         dto.MetricType_GAUGE,
		"http_requests_total":              dto.MetricType_COUNTER,
		"http_request_duration_seconds":    dto.MetricType_HISTOGRAM,
	}
	for name, typ := range want {
		mf := mfs[name]
		if mf == nil {
			t.Errorf("family %s missing", name)
			continue
		}
		if mf.GetType() != typ {
			t.Errorf("%s: type %v, want %v", name, mf.GetType(), typ)
		}
	}
	// vLLM's bucket layouts.
	for name, b := range map[string][]float64{
		"vllm:e2e_request_latency_seconds": vllmE2EBuckets,
		"vllm:time_to_first_token_seconds": vllmTTFTBuckets,
		"vllm:inter_token_latency_seconds": vllmITLBuckets,
	} {
		m := find(mfs, name, "model_name", "llama-3.1-8b")
		if m == nil {
			t.Fatalf("%s: no series for llama-3.1-8b", name)
		}
		var got []float64
		for _, bk := range m.GetHistogram().GetBucket() {
			if !math.IsInf(bk.GetUpperBound(), 1) {
				got = append(got, bk.GetUpperBound())
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(b) {
			t.Errorf("%s buckets %v, want %v", name, got, b)
		}
		if m.GetHistogram().GetSampleCount() == 0 {
			t.Errorf("%s: no observations after 20 s", name)
		}
	}
	for _, r := range []string{"stop", "length", "abort", "error"} {
		counter(t, mfs, "vllm:request_success_total", "finished_reason", r, "model_name", "llama-3.1-8b")
	}
	if v := counter(t, mfs, "vllm:request_success_total", "finished_reason", "stop"); v < 50 {
		t.Errorf("only %v finished LLM requests after 20 s", v)
	}
	for _, st := range []string{"2xx", "4xx", "5xx"} {
		counter(t, mfs, "http_requests_total", "status", st, "model_name", "llama-3.1-8b")
	}
	for _, c := range []string{"200", "500", "503"} {
		counter(t, mfs, "http_requests_total", "service", "recsys", "code", c)
	}
	if v := counter(t, mfs, "http_requests_total", "service", "recsys", "code", "200"); v < 500 {
		t.Errorf("only %v recsys 200s after 20 s", v)
	}
	if m := find(mfs, "http_request_duration_seconds", "service", "recsys"); m == nil || m.GetHistogram().GetSampleCount() < 500 {
		t.Errorf("recsys duration histogram missing or empty: %v", m)
	}
	if m := find(mfs, "vllm:kv_cache_usage_perc"); m == nil || m.GetGauge().GetValue() <= 0 || m.GetGauge().GetValue() >= 1 {
		t.Errorf("kv cache usage %v, want in (0,1)", m)
	}
	if m := find(mfs, "vllm:num_requests_running"); m == nil || m.GetGauge().GetValue() < 5 {
		t.Errorf("running %v, want a busy engine", m)
	}
}

func TestOpenMetricsExemplarsMatchLogs(t *testing.T) {
	s, clk := startManual(t, Options{Seed: 3})
	clk.Advance(15 * time.Second)
	b, ct := get(t, s.MetricsURL(), "application/openmetrics-text;version=1.0.0")
	if !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("content type %q, want OpenMetrics", ct)
	}
	if !bytes.HasSuffix(b, []byte("# EOF\n")) {
		t.Errorf("OpenMetrics body does not end in # EOF")
	}
	// The OpenMetrics decoder must read it too.
	dec := expfmt.NewDecoder(bytes.NewReader(b), expfmt.ResponseFormat(http.Header{"Content-Type": {ct}}))
	n := 0
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode OpenMetrics: %v", err)
		}
		n++
	}
	if n < 10 {
		t.Errorf("decoded %d families from OpenMetrics", n)
	}
	re := regexp.MustCompile(`trace_id="([0-9a-f]{32})"`)
	ex := re.FindAllSubmatch(b, -1)
	if len(ex) < 5 {
		t.Fatalf("%d exemplars with trace ids, want several", len(ex))
	}
	s.Step()
	logged := map[string]bool{}
	for _, l := range readLog(t, s.LogPath()) {
		if id, _ := l["trace_id"].(string); id != "" {
			logged[id] = true
		}
	}
	for _, m := range ex {
		if !logged[string(m[1])] {
			t.Errorf("exemplar trace %s has no log line", m[1])
		}
	}
}

func readLog(t testing.TB, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %d is not JSON: %v: %s", len(out)+1, err, sc.Text())
		}
		out = append(out, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestLogLines(t *testing.T) {
	s, clk := startManual(t, Options{Seed: 11})
	const secs = 60
	for range secs {
		clk.Advance(time.Second)
		s.Step()
	}
	lines := readLog(t, s.LogPath())
	live := 0
	for _, l := range lines {
		if at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(l["time"])); !at.Before(t0) {
			live++
		}
	}
	if rate := float64(live) / secs; rate < 5 || rate > 20 {
		t.Errorf("%.1f log lines/s, want 5..20", rate)
	}
	hexID := regexp.MustCompile(`^[0-9a-f]{32}$`)
	var prev time.Time
	services := map[string]int{}
	withModel := 0
	for i, l := range lines {
		ts, _ := l["time"].(string)
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatalf("line %d: time %q: %v", i, ts, err)
		}
		if at.Before(prev) {
			t.Errorf("line %d: time %v before previous %v", i, at, prev)
		}
		prev = at
		if at.Before(t0.Add(-time.Minute)) || at.After(t0.Add(secs*time.Second)) {
			t.Errorf("line %d: time %v outside the run", i, at)
		}
		for _, k := range []string{"level", "service", "msg"} {
			if v, _ := l[k].(string); v == "" {
				t.Errorf("line %d: no %s: %v", i, k, l)
			}
		}
		svc := l["service"].(string)
		services[svc]++
		if svc == "gpu-agent" {
			continue
		}
		if !hexID.MatchString(fmt.Sprint(l["trace_id"])) {
			t.Errorf("line %d: trace_id %v", i, l["trace_id"])
		}
		if sid := fmt.Sprint(l["span_id"]); len(sid) != 16 {
			t.Errorf("line %d: span_id %v", i, l["span_id"])
		}
		if _, ok := l["latency_ms"].(float64); !ok {
			t.Errorf("line %d: latency_ms %v", i, l["latency_ms"])
		}
		if _, ok := l["status"].(float64); !ok {
			t.Errorf("line %d: status %v", i, l["status"])
		}
		if svc == recsysService && l["status"].(float64) == 200 {
			withModel++
			pred, _ := l["prediction"].(map[string]any)
			feat, _ := l["features"].(map[string]any)
			if c, ok := pred["confidence"].(float64); !ok || c <= 0 || c > 1 {
				t.Errorf("line %d: prediction.confidence %v", i, pred["confidence"])
			}
			if _, ok := l["predicted_class"].(string); !ok {
				t.Errorf("line %d: no predicted_class", i)
			}
			if _, ok := feat["price"].(float64); !ok {
				t.Errorf("line %d: no features.price", i)
			}
			if _, ok := feat["age"].(float64); !ok {
				t.Errorf("line %d: no features.age", i)
			}
		}
	}
	if services[recsysService] == 0 || services[llmModelName] == 0 {
		t.Errorf("services logged: %v", services)
	}
	if withModel < 100 {
		t.Errorf("%d recsys lines with model fields in 60 s", withModel)
	}
}

// run is the observable output of a service after a given sequence of clock
// moves: the /metrics text, the log file and every GPU reading.
func run(t *testing.T, seed int64, moves []time.Duration) (metrics, logs, gpus string) {
	s, clk := startManual(t, Options{Seed: seed, GPUs: 4})
	for _, d := range moves {
		clk.Advance(d)
		s.Step()
	}
	b, _ := get(t, s.MetricsURL(), textAccept)
	s.Step()
	l, err := os.ReadFile(s.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	return string(b), string(l), nvmlDump(t, s.NVML())
}

func nvmlDump(t *testing.T, lib nvml.Interface) string {
	t.Helper()
	var b strings.Builder
	n, r := lib.DeviceGetCount()
	if r != nvml.SUCCESS {
		t.Fatalf("DeviceGetCount: %v", r)
	}
	for i := range n {
		d, r := lib.DeviceGetHandleByIndex(i)
		if r != nvml.SUCCESS {
			t.Fatalf("DeviceGetHandleByIndex(%d): %v", i, r)
		}
		u, _ := d.GetUtilizationRates()
		m, _ := d.GetMemoryInfo()
		tc, _ := d.GetTemperature(nvml.TEMPERATURE_GPU)
		p, _ := d.GetPowerUsage()
		sm, _ := d.GetClockInfo(nvml.CLOCK_SM)
		th, _ := d.GetCurrentClocksEventReasons()
		fmt.Fprintf(&b, "%d util=%d mem=%d temp=%d power=%d sm=%d throttle=%#x\n", i, u.Gpu, m.Used, tc, p, sm, th)
	}
	return b.String()
}

func TestDeterministicUnderSeed(t *testing.T) {
	// The same 120 s reached through different tick sequences.
	var a, b []time.Duration
	for range 120 {
		a = append(a, time.Second)
	}
	for left := 120 * time.Second; left > 0; {
		d := min(7300*time.Millisecond, left)
		b = append(b, d)
		left -= d
	}
	m1, l1, g1 := run(t, 42, a)
	m2, l2, g2 := run(t, 42, b)
	if m1 != m2 {
		t.Errorf("same seed, different /metrics:\n%s", firstDiff(m1, m2))
	}
	if l1 != l2 {
		t.Errorf("same seed, different log files:\n%s", firstDiff(l1, l2))
	}
	if g1 != g2 {
		t.Errorf("same seed, different GPU readings:\n%s\n%s", g1, g2)
	}
	if strings.Count(l1, "\n") < 600 {
		t.Errorf("only %d log lines in 120 s", strings.Count(l1, "\n"))
	}
	m3, l3, _ := run(t, 43, a)
	if m3 == m1 || l3 == l1 {
		t.Errorf("different seeds gave the same output")
	}
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range min(len(la), len(lb)) {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d lines", len(la), len(lb))
}

func TestTimelineDeterministicAndScripted(t *testing.T) {
	a := newScript(5, 8).incidents(1)
	b := newScript(5, 8).incidents(1)
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different timelines")
	}
	kinds := map[IncidentKind]Incident{}
	for _, in := range a {
		kinds[in.Kind] = in
		if in.End <= in.Start {
			t.Errorf("%s: end %v not after start %v", in.Kind, in.End, in.Start)
		}
		if in.Start < 60*time.Second {
			t.Errorf("%s starts at %v, inside the calm first minute", in.Kind, in.Start)
		}
		if in.End > 600*time.Second {
			t.Errorf("%s ends at %v, after the loop", in.Kind, in.End)
		}
	}
	for _, k := range []IncidentKind{LatencySpike, ErrorBurst, DriftOnset, ThermalThrottle, XIDEvent} {
		if _, ok := kinds[k]; !ok {
			t.Errorf("no %s incident", k)
		}
	}
	if d := kinds[LatencySpike].End - kinds[LatencySpike].Start; d != 60*time.Second {
		t.Errorf("latency spike lasts %v", d)
	}
	if d := kinds[ErrorBurst].End - kinds[ErrorBurst].Start; d != 45*time.Second {
		t.Errorf("error burst lasts %v", d)
	}
	if kinds[ThermalThrottle].GPU == kinds[XIDEvent].GPU {
		t.Errorf("thermal and XID on the same GPU %d", kinds[XIDEvent].GPU)
	}
	fast := newScript(5, 8).incidents(10)
	for i := range fast {
		if fast[i].Start != a[i].Start/10 || fast[i].End != a[i].End/10 {
			t.Errorf("speed 10: %s at %v..%v, want %v..%v", fast[i].Kind, fast[i].Start, fast[i].End, a[i].Start/10, a[i].End/10)
		}
	}
}

// snap is a scrape taken at an offset from the start.
type snap struct {
	at  time.Duration
	mfs map[string]*dto.MetricFamily
}

// histDelta returns the cumulative bucket counts of h2 minus h1.
func histDelta(h1, h2 *dto.Histogram) (bounds, counts []float64) {
	for i, b := range h2.GetBucket() {
		c := float64(b.GetCumulativeCount())
		if h1 != nil {
			c -= float64(h1.GetBucket()[i].GetCumulativeCount())
		}
		bounds = append(bounds, b.GetUpperBound())
		counts = append(counts, c)
	}
	if len(bounds) == 0 || !math.IsInf(bounds[len(bounds)-1], 1) {
		bounds = append(bounds, math.Inf(1))
		tot := float64(h2.GetSampleCount())
		if h1 != nil {
			tot -= float64(h1.GetSampleCount())
		}
		counts = append(counts, tot)
	}
	return bounds, counts
}

// quantile is PromQL's histogram_quantile on cumulative counts.
func quantile(q float64, bounds, counts []float64) float64 {
	n := counts[len(counts)-1]
	if n == 0 {
		return math.NaN()
	}
	rank := q * n
	i := sort.SearchFloat64s(counts, rank)
	if i == len(bounds)-1 {
		return bounds[len(bounds)-2]
	}
	lo, clo := 0.0, 0.0
	if i > 0 {
		lo, clo = bounds[i-1], counts[i-1]
	}
	return lo + (bounds[i]-lo)*(rank-clo)/(counts[i]-clo)
}

func nearest(snaps []snap, at time.Duration) snap {
	best := snaps[0]
	for _, s := range snaps {
		if (s.at - at).Abs() < (best.at - at).Abs() {
			best = s
		}
	}
	return best
}

func p99(t *testing.T, snaps []snap, from, to time.Duration) float64 {
	a, b := nearest(snaps, from), nearest(snaps, to)
	ma := find(a.mfs, "vllm:e2e_request_latency_seconds")
	mb := find(b.mfs, "vllm:e2e_request_latency_seconds")
	bounds, counts := histDelta(ma.GetHistogram(), mb.GetHistogram())
	return quantile(0.99, bounds, counts)
}

func errShare(t *testing.T, snaps []snap, from, to time.Duration) float64 {
	a, b := nearest(snaps, from), nearest(snaps, to)
	var errs, all float64
	for _, c := range []string{"200", "400", "404", "500", "503"} {
		d := counter(t, b.mfs, "http_requests_total", "service", "recsys", "code", c) -
			counter(t, a.mfs, "http_requests_total", "service", "recsys", "code", c)
		all += d
		if c[0] == '5' {
			errs += d
		}
	}
	return errs / all
}

type gpuRead struct {
	temp     uint32
	sm       uint32
	throttle uint64
	util     uint32
}

func readGPU(t *testing.T, lib nvml.Interface, i int) gpuRead {
	t.Helper()
	d, r := lib.DeviceGetHandleByIndex(i)
	if r != nvml.SUCCESS {
		t.Fatalf("gpu %d: %v", i, r)
	}
	var g gpuRead
	g.temp, _ = d.GetTemperature(nvml.TEMPERATURE_GPU)
	g.sm, _ = d.GetClockInfo(nvml.CLOCK_SM)
	g.throttle, _ = d.GetCurrentClocksEventReasons()
	u, _ := d.GetUtilizationRates()
	g.util = u.Gpu
	return g
}

const thermalBits = throttleHwThermal | throttleSwThermal

// TestIncidentsAtScriptedTimes plays one loop on a manual clock and checks
// that each incident shows in the numbers inside its window and not before.
func TestIncidentsAtScriptedTimes(t *testing.T) {
	s, clk := startManual(t, Options{Seed: 2024})
	tl := map[IncidentKind]Incident{}
	for _, in := range s.Timeline() {
		tl[in.Kind] = in
	}
	th, xid := tl[ThermalThrottle], tl[XIDEvent]
	lib := s.NVML()
	set, r := lib.EventSetCreate()
	if r != nvml.SUCCESS {
		t.Fatalf("EventSetCreate: %v", r)
	}
	for i := range 8 {
		d, _ := lib.DeviceGetHandleByIndex(i)
		if r := d.RegisterEvents(nvml.EventTypeXidCriticalError, set); r != nvml.SUCCESS {
			t.Fatalf("RegisterEvents: %v", r)
		}
	}
	snaps := []snap{{0, scrape(t, s)}}
	var xidSeen []nvml.EventData
	checked := map[string]bool{}
	for at := time.Second; at <= s.Loop(); at += time.Second {
		clk.Set(t0.Add(at))
		if at%(5*time.Second) == 0 {
			snaps = append(snaps, snap{at, scrape(t, s)})
		}
		// XID events as the collector sees them (Wait with no timeout).
		for {
			ev, r := set.Wait(0)
			if r != nvml.SUCCESS {
				break
			}
			xidSeen = append(xidSeen, ev)
			if at < xid.Start || at > xid.Start+2*time.Second {
				t.Errorf("XID event at %v, scripted at %v", at, xid.Start)
			}
		}
		switch {
		case !checked["calm"] && at >= th.Start-5*time.Second:
			checked["calm"] = true
			g := readGPU(t, lib, th.GPU)
			if g.temp >= 85 || g.throttle&thermalBits != 0 || g.sm < 1900 {
				t.Errorf("GPU %d before the thermal incident: %+v", th.GPU, g)
			}
		case !checked["hot"] && at >= th.Start+40*time.Second:
			checked["hot"] = true
			g := readGPU(t, lib, th.GPU)
			if g.temp < 88 || g.throttle&thermalBits != thermalBits || g.sm > 1300 {
				t.Errorf("GPU %d 40 s into the thermal incident: %+v", th.GPU, g)
			}
			other := readGPU(t, lib, (th.GPU+1)%8)
			if other.temp >= 85 || other.throttle&thermalBits != 0 {
				t.Errorf("GPU %d heats along: %+v", (th.GPU+1)%8, other)
			}
		case !checked["cool"] && at >= th.End+60*time.Second:
			checked["cool"] = true
			if g := readGPU(t, lib, th.GPU); g.temp >= 85 || g.throttle&thermalBits != 0 {
				t.Errorf("GPU %d a minute after the thermal incident: %+v", th.GPU, g)
			}
		case !checked["stall"] && at >= xid.Start+3*time.Second:
			checked["stall"] = true
			if g := readGPU(t, lib, xid.GPU); g.util != 0 {
				t.Errorf("GPU %d busy (%d %%) right after its XID", xid.GPU, g.util)
			}
		}
	}
	set.Free()
	if len(checked) != 4 {
		t.Errorf("GPU checks run: %v", checked)
	}
	if len(xidSeen) != 1 || xidSeen[0].EventData != xidCode {
		t.Errorf("XID events %+v, want one XID %d", xidSeen, xidCode)
	} else if i, _ := xidSeen[0].Device.GetIndex(); i != xid.GPU {
		t.Errorf("XID on GPU %d, scripted on %d", i, xid.GPU)
	}

	ls := tl[LatencySpike]
	calm := p99(t, snaps, 10*time.Second, 60*time.Second)
	before := p99(t, snaps, ls.Start-40*time.Second, ls.Start-5*time.Second)
	during := p99(t, snaps, ls.Start+15*time.Second, ls.End-5*time.Second)
	t.Logf("LLM e2e p99: calm %.1f s, before spike %.1f s, during %.1f s", calm, before, during)
	if during < 3*calm || before > 1.6*calm {
		t.Errorf("latency spike: p99 calm %.1f, before %.1f, during %.1f", calm, before, during)
	}

	eb := tl[ErrorBurst]
	eCalm := errShare(t, snaps, eb.Start-60*time.Second, eb.Start-5*time.Second)
	eDuring := errShare(t, snaps, eb.Start+5*time.Second, eb.End-5*time.Second)
	t.Logf("recsys 5xx share: before %.3f, during %.3f", eCalm, eDuring)
	if eCalm > 0.01 || eDuring < 0.06 || eDuring > 0.10 {
		t.Errorf("error burst: 5xx share before %.3f, during %.3f", eCalm, eDuring)
	}

	// Drift, from the log lines as the console's drift pane reads them.
	dr := tl[DriftOnset]
	s.Step()
	var refP, curP, refA, curA []float64
	for _, l := range readLog(t, s.LogPath()) {
		f, ok := l["features"].(map[string]any)
		if !ok {
			continue
		}
		at, _ := time.Parse(time.RFC3339Nano, l["time"].(string))
		off := at.Sub(t0)
		switch {
		case off < dr.Start-5*time.Second:
			refP = append(refP, f["price"].(float64))
			refA = append(refA, f["age"].(float64))
		case off > dr.Start+20*time.Second && off < dr.End:
			curP = append(curP, f["price"].(float64))
			curA = append(curA, f["age"].(float64))
		}
	}
	dp := (mean(curP) - mean(refP)) / priceSD
	da := (mean(curA) - mean(refA)) / 11
	t.Logf("drift: price shift %.2fσ (n=%d/%d), age shift %.2fσ", dp, len(refP), len(curP), da)
	if dp < 0.75 || dp > 1.25 || math.Abs(da) > 0.15 {
		t.Errorf("drift: price shift %.2fσ, age shift %.2fσ; want ~1σ and ~0", dp, da)
	}
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

func TestSpeedCompressesTimeline(t *testing.T) {
	s, clk := startManual(t, Options{Seed: 9, Speed: 10})
	var th Incident
	for _, in := range s.Timeline() {
		if in.Kind == ThermalThrottle {
			th = in
		}
	}
	if s.Loop() != 60*time.Second {
		t.Errorf("loop at speed 10 is %v", s.Loop())
	}
	clk.Set(t0.Add(th.Start + 4*time.Second)) // 40 scripted seconds in
	if g := readGPU(t, s.NVML(), th.GPU); g.temp < 88 || g.throttle&thermalBits == 0 {
		t.Errorf("speed 10: GPU %d 4 s into the thermal incident: %+v", th.GPU, g)
	}
	// A whole loop later it happens again.
	clk.Set(t0.Add(th.Start - 2*time.Second + s.Loop()))
	if g := readGPU(t, s.NVML(), th.GPU); g.throttle&thermalBits != 0 {
		t.Errorf("speed 10: GPU %d hot before the second loop's incident: %+v", th.GPU, g)
	}
	clk.Set(t0.Add(th.Start + 4*time.Second + s.Loop()))
	if g := readGPU(t, s.NVML(), th.GPU); g.temp < 88 {
		t.Errorf("speed 10: second loop: GPU %d at %d °C", th.GPU, g.temp)
	}
}

func TestStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(s.MetricsURL())
		if err != nil {
			break // the server is gone
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("service still answering 5 s after its context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Errorf("close after context end: %v", err)
	}
}

func TestTempDirRemovedOnClose(t *testing.T) {
	s, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	p := s.LogPath()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("log file: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Errorf("temporary log file left behind: %v", err)
	}
}

func BenchmarkStart(b *testing.B) {
	dir := b.TempDir()
	for b.Loop() {
		s, err := Start(context.Background(), Options{Dir: dir})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkSimulateSecond is the CPU one second of the service costs at
// speed 1 (ten steps: about 50 requests, 10 log lines, 8 GPUs).
func BenchmarkSimulateSecond(b *testing.B) {
	s, clk := startManual(b, Options{Seed: 1})
	for b.Loop() {
		clk.Advance(time.Second)
		s.Step()
	}
}

// BenchmarkScrape is one /metrics scrape over HTTP, Prometheus text.
func BenchmarkScrape(b *testing.B) {
	s, clk := startManual(b, Options{Seed: 1})
	clk.Advance(time.Minute)
	for b.Loop() {
		get(b, s.MetricsURL(), textAccept)
	}
}

func TestLogRotates(t *testing.T) {
	s, clk := startManual(t, Options{Seed: 1})
	s.mu.Lock()
	s.sim.log.max = 20 << 10
	s.mu.Unlock()
	for range 30 {
		clk.Advance(time.Second)
		s.Step()
	}
	old := readLog(t, s.LogPath()+".1")
	cur := readLog(t, s.LogPath())
	if len(old) == 0 || len(cur) == 0 {
		t.Fatalf("rotation: %d lines in .1, %d in the current file", len(old), len(cur))
	}
	for _, p := range []string{s.LogPath(), s.LogPath() + ".1"} {
		if st, err := os.Stat(p); err != nil || st.Size() > 20<<10 {
			t.Errorf("%s: %v, size over the cap", p, err)
		}
	}
	if o, c := old[len(old)-1]["time"].(string), cur[0]["time"].(string); o > c {
		t.Errorf("rotated file ends at %s after the new one starts at %s", o, c)
	}
}

func TestStepsDueOnBoundaries(t *testing.T) {
	s := &sim{speed: 1, start: t0}
	for ms, want := range map[int]int64{0: 0, 99: 0, 100: 1, 300: 3, 700: 7, 2900: 29, 60000: 600} {
		if got := s.stepsDue(t0.Add(time.Duration(ms) * time.Millisecond)); got != want {
			t.Errorf("stepsDue(%d ms) = %d, want %d", ms, got, want)
		}
	}
	s.speed = 3
	if got := s.stepsDue(t0.Add(100 * time.Millisecond)); got != 3 {
		t.Errorf("speed 3: stepsDue(100 ms) = %d, want 3", got)
	}
}
