package promql

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/prom"
)

// series is one raw Prometheus series: labels (with __name__) and a value.
type series struct {
	ls map[string]string
	v  float64
}

// flatten turns an exposition into the raw series Prometheus would store
// after scraping it as job/instance (colliding target labels renamed).
func flatten(t *testing.T, body []byte, job, instance string) []series {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("parse fixture: %v", err)
	}
	var out []series
	add := func(name string, m *dto.Metric, extra map[string]string, v float64) {
		ls := map[string]string{"__name__": name, "job": job, "instance": instance}
		for _, l := range m.GetLabel() {
			n := l.GetName()
			if n == "job" || n == "instance" {
				n = "exported_" + n
			}
			ls[n] = l.GetValue()
		}
		for k, x := range extra {
			ls[k] = x
		}
		out = append(out, series{ls, v})
	}
	for name, f := range fams {
		if strings.HasSuffix(name, "_created") {
			continue
		}
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				for _, b := range h.GetBucket() {
					add(name+"_bucket", m, map[string]string{"le": strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)}, float64(b.GetCumulativeCount()))
				}
				add(name+"_bucket", m, map[string]string{"le": "+Inf"}, float64(h.GetSampleCount()))
				add(name+"_sum", m, nil, h.GetSampleSum())
				add(name+"_count", m, nil, float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, m, map[string]string{"quantile": strconv.FormatFloat(q.GetQuantile(), 'g', -1, 64)}, q.GetValue())
				}
				add(name+"_sum", m, nil, s.GetSampleSum())
				add(name+"_count", m, nil, float64(s.GetSampleCount()))
			case dto.MetricType_COUNTER:
				add(name, m, nil, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m, nil, m.GetGauge().GetValue())
			default:
				add(name, m, nil, m.GetUntyped().GetValue())
			}
		}
	}
	return out
}

var selRE = regexp.MustCompile(`__name__=~"([^"]*)"`)

// fakeProm serves /api/v1/query over a mutable set of raw series, selecting
// by the __name__ regex of the query (or a user panel answered by panels).
type fakeProm struct {
	data    atomic.Pointer[[]series]
	at      atomic.Int64 // sample time, unix ms
	panels  map[string][]series
	queries atomic.Int64
	status  atomic.Int64 // when non-zero, answer with this HTTP status
	auth    string       // required Authorization header, if set
}

func (fp *fakeProm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fp.queries.Add(1)
	if fp.auth != "" && r.Header.Get("Authorization") != fp.auth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if st := fp.status.Load(); st != 0 {
		w.WriteHeader(int(st))
		fmt.Fprint(w, `{"status":"error","errorType":"internal","error":"boom"}`)
		return
	}
	if r.URL.Path == "/api/v1/query_exemplars" {
		fmt.Fprint(w, `{"status":"success","data":[{"seriesLabels":{"__name__":"vllm:e2e_request_latency_seconds_bucket","instance":"10.0.0.1:8000","le":"2.5","model_name":"m"},`+
			`"exemplars":[{"labels":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","user":"x"},"value":"1.75","timestamp":1700000000.123}]}]}`)
		return
	}
	if r.URL.Path == "/api/v1/query_range" {
		fp.queryRange(w, r)
		return
	}
	if r.URL.Path != "/api/v1/query" {
		http.NotFound(w, r)
		return
	}
	_ = r.ParseForm()
	q := r.Form.Get("query")
	var sel []series
	if m := selRE.FindStringSubmatch(q); m != nil {
		re := regexp.MustCompile("^(?:" + m[1] + ")$")
		for _, s := range *fp.data.Load() {
			if re.MatchString(s.ls["__name__"]) {
				sel = append(sel, s)
			}
		}
	} else {
		sel = fp.panels[q]
	}
	ts := float64(fp.at.Load()) / 1000
	type res struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	out := []res{}
	for _, s := range sel {
		out = append(out, res{s.ls, [2]any{ts, strconv.FormatFloat(s.v, 'g', -1, 64)}})
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "vector", "result": out}})
}

type sig struct {
	v      float64
	counts []float64
}

func frameMap(f sources.Frame) map[string]sig {
	m := map[string]sig{}
	for _, p := range f.Points {
		m[p.Series.Key()] = sig{v: p.Value}
	}
	for _, h := range f.Histograms {
		var cs []float64
		for _, b := range h.Buckets {
			cs = append(cs, b.UpperBound, b.Count)
		}
		m[h.Series.Key()] = sig{v: h.Sum, counts: append(cs, h.Count)}
	}
	return m
}

// TestSelectorsCoverPresets: for every fixture of package prom, the series
// the preset query selects, rendered back, translate exactly as the whole
// exposition scraped directly does.
func TestSelectorsCoverPresets(t *testing.T) {
	files, _ := filepath.Glob("../prom/testdata/*.prom")
	if len(files) < 8 {
		t.Fatalf("found %d fixtures in ../prom/testdata", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			body, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(1_700_000_000, 0)
			inst := "10.1.2.3:8000"
			want, _, err := prom.Parse(body, "text/plain; version=0.0.4", prom.Target{URL: "http://" + inst + "/metrics"}, now)
			if err != nil {
				t.Fatalf("direct parse: %v", err)
			}
			fp := &fakeProm{}
			d := flatten(t, body, "job1", inst)
			fp.data.Store(&d)
			fp.at.Store(now.UnixMilli())
			srv := httptest.NewServer(fp)
			defer srv.Close()
			src, err := New(Config{URL: srv.URL})
			if err != nil {
				t.Fatal(err)
			}
			got, err := src.Poll(context.Background(), now)
			if err != nil {
				t.Fatalf("poll: %v", err)
			}
			wm, gm := frameMap(want), frameMap(got)
			if len(wm) == 0 {
				t.Fatal("fixture gives no signals")
			}
			for k, w := range wm {
				g, ok := gm[k]
				if !ok {
					t.Errorf("query mode lacks %s", k)
					continue
				}
				if !near(g.v, w.v) || len(g.counts) != len(w.counts) {
					t.Errorf("%s: query mode %v %v, scrape mode %v %v", k, g.v, g.counts, w.v, w.counts)
					continue
				}
				for i := range g.counts {
					if !near(g.counts[i], w.counts[i]) {
						t.Errorf("%s: bucket data %v, want %v", k, g.counts, w.counts)
						break
					}
				}
			}
			for k := range gm {
				if _, ok := wm[k]; !ok && !strings.HasPrefix(k, TargetUp) {
					t.Errorf("query mode has extra %s", k)
				}
			}
			for _, p := range got.Points {
				if !p.At.Equal(now) {
					t.Fatalf("point stamped %v, want the sample time %v", p.At, now)
				}
			}
			// Same sample time again: nothing is re-emitted.
			again, err := src.Poll(context.Background(), now.Add(time.Second))
			if err != nil {
				t.Fatal(err)
			}
			if n := len(again.Points) + len(again.Histograms); n != 0 {
				t.Errorf("an unchanged target emitted %d signals again", n)
			}
		})
	}
}

func near(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// TestFleetHosts: many instances become many hosts; DCGM's Hostname wins.
func TestFleetHosts(t *testing.T) {
	vllm, _ := os.ReadFile("../prom/testdata/vllm.prom")
	dcgm, _ := os.ReadFile("../prom/testdata/dcgm.prom")
	var all []series
	for i := range 50 {
		all = append(all, flatten(t, vllm, "vllm", fmt.Sprintf("10.0.0.%d:8000", i))...)
	}
	all = append(all, flatten(t, dcgm, "dcgm", "10.0.0.1:9400")...)
	all = append(all, series{map[string]string{"__name__": "up", "job": "vllm", "instance": "10.0.0.7:8000"}, 0})
	fp := &fakeProm{}
	fp.data.Store(&all)
	now := time.Unix(1_700_000_000, 0)
	fp.at.Store(now.UnixMilli())
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	f, err := src.Poll(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(f)
	hosts := map[string]bool{}
	for _, s := range st.Select(sources.SvcLatency) {
		hosts[s.Label(sources.LabelHost)] = true
	}
	if len(hosts) != 50 {
		t.Errorf("latency for %d hosts, want 50", len(hosts))
	}
	gpuHosts := map[string]bool{}
	for _, s := range st.Select(sources.GPUTemperature) {
		gpuHosts[s.Label(sources.LabelHost)] = true
	}
	if !gpuHosts["gpu-node-07"] || len(gpuHosts) != 1 {
		t.Errorf("GPU hosts %v, want the DCGM Hostname gpu-node-07", gpuHosts)
	}
	up := st.Select(TargetUp, sources.Label{Name: sources.LabelHost, Value: "10.0.0.7:8000"})
	if len(up) != 1 {
		t.Fatalf("up series %v", up)
	}
	if s, ok := st.Last(up[0].Key(), now); !ok || s.V != 0 {
		t.Errorf("up = %v %v, want 0", s, ok)
	}
	if !strings.Contains(f.Health.Detail, "vllm") || !strings.Contains(f.Health.Detail, "dcgm") {
		t.Errorf("health detail %q", f.Health.Detail)
	}
}

func TestPanelsTopK(t *testing.T) {
	var rs []series
	for i := range 30 {
		rs = append(rs, series{map[string]string{"instance": fmt.Sprintf("h%02d", i)}, float64(i)})
	}
	rs = append(rs, series{map[string]string{"instance": "nan"}, math.NaN()})
	fp := &fakeProm{panels: map[string][]series{"sum by (instance) (rate(x[1m]))": rs}}
	empty := []series{}
	fp.data.Store(&empty)
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL, TopK: 5, Panels: []Panel{{Name: "x rate", Expr: "sum by (instance) (rate(x[1m]))", Unit: "req/s"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	fp.at.Store(now.UnixMilli())
	f, err := src.Poll(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	more := -1.0
	for _, p := range f.Points {
		switch p.Series.Name {
		case PanelSignal:
			if p.Series.Label("panel") != "x rate" || p.Series.Label("unit") != "req/s" {
				t.Errorf("labels %v", p.Series.Labels)
			}
			vals = append(vals, p.Value)
		case PanelMoreSignal:
			more = p.Value
		}
	}
	sort.Float64s(vals)
	if fmt.Sprint(vals) != "[25 26 27 28 29]" || more != 25 {
		t.Errorf("top-5 %v, +%v more; want [25..29] +25 (NaN is n/a)", vals, more)
	}
}

func TestAuthAndRetries(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fp := &fakeProm{auth: "Bearer s3cret-token"}
	empty := []series{}
	fp.data.Store(&empty)
	srv := httptest.NewServer(fp)
	defer srv.Close()

	good, _ := NewClient(Config{URL: srv.URL, BearerTokenFile: tok})
	if _, err := good.Query(context.Background(), `{__name__=~"x"}`, time.Time{}); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	t.Setenv("VIGIL_TEST_TOKEN", "wrong-token")
	bad, _ := NewClient(Config{URL: srv.URL, BearerTokenEnv: "VIGIL_TEST_TOKEN", Retries: 3})
	before := fp.queries.Load()
	_, err := bad.Query(context.Background(), `{__name__=~"x"}`, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("err %v: want authentication failed without the token", err)
	}
	if n := fp.queries.Load() - before; n != 1 {
		t.Errorf("an auth failure was tried %d times, want 1", n)
	}
	src, _ := New(Config{URL: srv.URL, BearerTokenEnv: "VIGIL_TEST_TOKEN"})
	f, err := src.Poll(context.Background(), time.Now())
	if err == nil || strings.Contains(fmt.Sprint(f.Health, err, src.Name()), "wrong-token") {
		t.Fatalf("health or error leaks the token: %v %v", f.Health, err)
	}

	// 503 is retried with backoff, then reported.
	fp2 := &fakeProm{}
	fp2.data.Store(&empty)
	fp2.status.Store(503)
	srv2 := httptest.NewServer(fp2)
	defer srv2.Close()
	c, _ := NewClient(Config{URL: srv2.URL, Retries: 2, Backoff: time.Millisecond})
	var slept []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	_, err = c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("err %v", err)
	}
	if fp2.queries.Load() != 3 || fmt.Sprint(slept) != "[1ms 2ms]" {
		t.Errorf("%d tries, slept %v; want 3 tries, [1ms 2ms]", fp2.queries.Load(), slept)
	}
	// A password in the URL is never shown.
	c3, err := NewClient(Config{URL: "http://user:pw-in-url@127.0.0.1:1"})
	if err != nil || strings.Contains(c3.Target(), "pw-in-url") {
		t.Errorf("target %q err %v", c3.Target(), err)
	}
}

func TestServerThatNeverAnswers(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, _ := NewClient(Config{URL: srv.URL, Timeout: 50 * time.Millisecond, Retries: -1})
	_, err := c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("err %v", err)
	}
}

func TestRenderQuotesAndEscapes(t *testing.T) {
	rs := []Result{
		{Labels: map[string]string{"__name__": "gen_ai.server.request.duration_seconds_bucket", "le": "+Inf", "a": "x\"y\\z\nw"}, Samples: []Sample{{Value: 3}}},
		{Labels: map[string]string{"__name__": "gen_ai.server.request.duration_seconds_count", "a": "x\"y\\z\nw"}, Samples: []Sample{{Value: 3}}},
	}
	got := string(Render(rs))
	want := "# TYPE \"gen_ai.server.request.duration_seconds\" histogram\n" +
		"{\"gen_ai.server.request.duration_seconds_bucket\",a=\"x\\\"y\\\\z\\nw\",le=\"+Inf\"} 3\n" +
		"{\"gen_ai.server.request.duration_seconds_count\",a=\"x\\\"y\\\\z\\nw\"} 3\n"
	if got != want {
		t.Errorf("render:\n%s\nwant:\n%s", got, want)
	}
}

// queryRange answers with three samples per selected series at start,
// start+step and end, the values scaled by 1, 2, 3 (growing counters).
func (fp *fakeProm) queryRange(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	m := selRE.FindStringSubmatch(r.Form.Get("query"))
	start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
	step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
	type res struct {
		Metric map[string]string `json:"metric"`
		Values [][2]any          `json:"values"`
	}
	out := []res{}
	if m != nil {
		re := regexp.MustCompile("^(?:" + m[1] + ")$")
		for _, s := range *fp.data.Load() {
			if !re.MatchString(s.ls["__name__"]) {
				continue
			}
			x := res{Metric: s.ls}
			for k := range 3 {
				x.Values = append(x.Values, [2]any{start + float64(k)*step, strconv.FormatFloat(s.v*float64(k+1), 'g', -1, 64)})
			}
			out = append(out, x)
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "success", "data": map[string]any{"resultType": "matrix", "result": out}})
}

func TestBackfill(t *testing.T) {
	body, _ := os.ReadFile("../prom/testdata/vllm.prom")
	d := flatten(t, body, "vllm", "10.0.0.1:8000")
	fp := &fakeProm{}
	fp.data.Store(&d)
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	st := sources.NewStore(sources.StoreOptions{})
	frames := 0
	if err := src.Backfill(context.Background(), func(f sources.Frame) { frames++; st.Ingest(f) }, now, 30*time.Second, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	if frames != 3 {
		t.Fatalf("%d frames, want one per step (3)", frames)
	}
	ls := st.Select(sources.SvcLatency)
	if len(ls) != 1 {
		t.Fatalf("latency series %v", ls)
	}
	h, ok := st.HistogramDelta(ls[0].Key(), time.Minute, now)
	if !ok || h.Lifetime {
		t.Fatalf("backfilled history gives no window: %+v %v", h, ok)
	}
	// Counts scaled 1, 2, 3: the window's distribution is twice the
	// exposition's (3x − 1x), so the quantiles are the exposition's.
	full, _, _ := prom.Parse(body, "", prom.Target{URL: "http://10.0.0.1:8000/metrics"}, now)
	want := -1.0
	for _, x := range full.Histograms {
		if x.Series.Key() == ls[0].Key() {
			want = 2 * x.Count
		}
	}
	if want <= 0 || !near(h.Count, want) {
		t.Errorf("window count %v, want %v", h.Count, want)
	}
	// A poll right after does not repeat the newest backfilled sample.
	fp.at.Store(now.UnixMilli())
	f, err := src.Poll(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(f.Histograms); n != 0 {
		t.Errorf("a poll at the backfill's end re-emitted %d histograms", n)
	}
}

func TestExemplars(t *testing.T) {
	fp := &fakeProm{}
	empty := []series{}
	fp.data.Store(&empty)
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, _ := New(Config{URL: srv.URL, Exemplars: true})
	f, err := src.Poll(context.Background(), time.Unix(1_700_000_001, 0))
	if err != nil || len(f.Exemplars) != 1 {
		t.Fatalf("exemplars %+v err %v", f.Exemplars, err)
	}
	e := f.Exemplars[0]
	if e.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || e.SpanID != "00f067aa0ba902b7" || e.Value != 1.75 ||
		e.Series.Name != "vllm:e2e_request_latency_seconds" || e.Series.Label("model_name") != "m" || e.Series.Label("le") != "" ||
		!e.At.Equal(time.UnixMilli(1_700_000_000_123)) || fmt.Sprint(e.Labels) != "[{user x} {host 10.0.0.1:8000}]" {
		t.Errorf("exemplar %+v", e)
	}
}

func TestBasicAuthFromFile(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		got = fmt.Sprint(u, ":", p, ":", ok)
		if p != "hunter2" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL, BasicUser: "vigil", BasicPasswordFile: pw})
	if _, err := c.Query(context.Background(), "up", time.Time{}); err != nil || got != "vigil:hunter2:true" {
		t.Errorf("basic auth: %v (server saw %s)", err, got)
	}
	c, _ = NewClient(Config{URL: srv.URL, BasicUser: "vigil", BasicPasswordEnv: "VIGIL_NO_SUCH_VAR_X"})
	_, err := c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "VIGIL_NO_SUCH_VAR_X is not set") {
		t.Errorf("unset env: %v", err)
	}
	os.WriteFile(pw, []byte("wrong"), 0o600)
	c, _ = NewClient(Config{URL: srv.URL, BasicUser: "vigil", BasicPasswordFile: pw})
	_, err = c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "authentication failed (HTTP 403)") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("403: %v", err)
	}
}
