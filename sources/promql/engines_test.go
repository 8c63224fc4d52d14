package promql

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
)

// fixtureSet is one exporter of package prom's fixtures, scraped twice dt
// apart: the second file, or the first again with its counters as a fresh
// exporter's (zero) at the first scrape.
type fixtureSet struct {
	files    []string
	dt       time.Duration
	job      string
	instance string
}

var fixtureSets = []fixtureSet{
	{[]string{"vllm.prom", "vllm_t15s.prom"}, 15 * time.Second, "vllm", "10.0.0.1:8000"},
	{[]string{"tgi.prom", "tgi_t10s.prom"}, 10 * time.Second, "tgi", "10.0.0.2:3000"},
	{[]string{"sglang.prom"}, 15 * time.Second, "sglang", "10.0.0.3:30000"},
	{[]string{"triton.prom"}, 15 * time.Second, "triton", "10.0.0.4:8002"},
	{[]string{"torchserve.prom"}, 15 * time.Second, "torchserve", "10.0.0.5:8082"},
	{[]string{"rayserve.prom"}, 15 * time.Second, "ray", "10.0.0.6:8080"},
	{[]string{"http.prom"}, 15 * time.Second, "api", "10.0.0.7:9000"},
	{[]string{"otel_genai.prom"}, 15 * time.Second, "otel", "10.0.0.8:9464"},
	{[]string{"dcgm.prom"}, 15 * time.Second, "dcgm", "10.0.0.9:9400"},
	{[]string{"node.prom"}, 15 * time.Second, "node", "10.0.0.9:9100"},
}

// parseFixture reads an exposition into families.
func parseFixture(t testing.TB, file string) map[string]*dto.MetricFamily {
	t.Helper()
	b, err := os.ReadFile("../prom/testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return fams
}

// fresh is the families as a newly started exporter shows them: counters,
// histograms and summary counts at zero, gauges as they are.
func fresh(fams map[string]*dto.MetricFamily) map[string]*dto.MetricFamily {
	out := map[string]*dto.MetricFamily{}
	for n, f := range fams {
		c := &dto.MetricFamily{Name: f.Name, Help: f.Help, Type: f.Type}
		for _, m := range f.GetMetric() {
			x := &dto.Metric{Label: m.Label, Gauge: m.Gauge, Untyped: m.Untyped}
			zero := 0.0
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				x.Counter = &dto.Counter{Value: &zero}
			case dto.MetricType_HISTOGRAM:
				h := &dto.Histogram{SampleCount: new(uint64), SampleSum: &zero}
				for _, b := range m.GetHistogram().GetBucket() {
					h.Bucket = append(h.Bucket, &dto.Bucket{UpperBound: b.UpperBound, CumulativeCount: new(uint64)})
				}
				x.Histogram = h
			case dto.MetricType_SUMMARY:
				x.Summary = &dto.Summary{SampleCount: new(uint64), SampleSum: &zero, Quantile: m.GetSummary().GetQuantile()}
			}
			c.Metric = append(c.Metric, x)
		}
		out[n] = c
	}
	return out
}

func exposition(t testing.TB, fams map[string]*dto.MetricFamily) []byte {
	t.Helper()
	names := make([]string, 0, len(fams))
	for n := range fams {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		if _, err := expfmt.MetricFamilyToText(&b, fams[n]); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// rawSeries is the families as an engine stores them after a scrape of job
// and instance with honor_labels (an exposition's own job wins).
func rawSeries(fams map[string]*dto.MetricFamily, job, instance string) []series {
	var out []series
	add := func(name string, m *dto.Metric, extra map[string]string, v float64) {
		ls := map[string]string{"__name__": name, "job": job, "instance": instance}
		for _, l := range m.GetLabel() {
			ls[l.GetName()] = l.GetValue()
		}
		for k, x := range extra {
			ls[k] = x
		}
		out = append(out, series{ls, v})
	}
	for name, f := range fams {
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

// timed is a raw series' samples.
type timed struct {
	ls  map[string]string
	at  []time.Time
	val []float64
}

// history is every engine sample of a test, by series.
type history struct {
	order []string
	m     map[string]*timed
}

func (h *history) add(ss []series, at time.Time) {
	if h.m == nil {
		h.m = map[string]*timed{}
	}
	for _, s := range ss {
		k := labelKey(labelsOf(s.ls))
		x := h.m[k]
		if x == nil {
			x = &timed{ls: s.ls}
			h.m[k] = x
			h.order = append(h.order, k)
		}
		x.at = append(x.at, at)
		x.val = append(x.val, s.v)
	}
}

func writeLabels(b *strings.Builder, ls map[string]string) {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		if k != "__name__" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	b.WriteString(ls["__name__"])
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + `="` + escaper.Replace(ls[k]) + `"`)
	}
	b.WriteByte('}')
}

var escaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func fmtValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// vmText is the history in Prometheus text with millisecond timestamps,
// for VictoriaMetrics' import.
func (h *history) vmText() []byte {
	var b strings.Builder
	for _, k := range h.order {
		x := h.m[k]
		for i := range x.at {
			writeLabels(&b, x.ls)
			b.WriteString(" " + fmtValue(x.val[i]) + " " + strconv.FormatInt(x.at[i].UnixMilli(), 10) + "\n")
		}
	}
	return []byte(b.String())
}

// openMetrics is the history as OpenMetrics with timestamps (seconds), for
// promtool's backfill: every name one family of unknown type.
func (h *history) openMetrics() []byte {
	byName := map[string][]string{}
	var names []string
	for _, k := range h.order {
		n := h.m[k].ls["__name__"]
		if _, ok := byName[n]; !ok {
			names = append(names, n)
		}
		byName[n] = append(byName[n], k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString("# TYPE " + n + " unknown\n")
		for _, k := range byName[n] {
			x := h.m[k]
			for i := range x.at {
				writeLabels(&b, x.ls)
				b.WriteString(" " + fmtValue(x.val[i]) + " " + strconv.FormatFloat(float64(x.at[i].UnixMilli())/1000, 'f', 3, 64) + "\n")
			}
		}
	}
	b.WriteString("# EOF\n")
	return []byte(b.String())
}

// engineFixtures writes every fixture set twice, ending at t1, into the
// engine history and the scrape-mode stores (one per set's dt).
func engineFixtures(t testing.TB, t1 time.Time) (*history, map[time.Duration]*sources.Store) {
	h := &history{}
	stores := map[time.Duration]*sources.Store{}
	for _, fs := range fixtureSets {
		t0 := t1.Add(-fs.dt)
		second := parseFixture(t, fs.files[0])
		first := fresh(second)
		if len(fs.files) > 1 {
			first, second = second, parseFixture(t, fs.files[1])
		}
		st := stores[fs.dt]
		if st == nil {
			st = sources.NewStore(sources.StoreOptions{Resolution: time.Millisecond})
			stores[fs.dt] = st
		}
		for i, fams := range []map[string]*dto.MetricFamily{first, second} {
			at := []time.Time{t0, t1}[i]
			tg := prom.Target{URL: "http://" + fs.instance + "/metrics"}
			f, _, err := prom.Parse(exposition(t, fams), "text/plain; version=0.0.4", tg, at)
			if err != nil {
				t.Fatal(err)
			}
			st.Ingest(f)
			h.add(rawSeries(fams, fs.job, fs.instance), at)
			h.add([]series{{map[string]string{"__name__": "up", "job": fs.job, "instance": fs.instance}, 1}}, at)
		}
	}
	return h, stores
}

// TestFiguresMatchScrapeMode loads every fixture exporter, scraped twice,
// into real VictoriaMetrics and real Prometheus (history with timestamps),
// polls them in query mode at the second scrape with the rate window set to
// the time between the scrapes, and holds every figure to what scrape mode
// computes from the same two scrapes: within 1 %, n/a where scrape mode says
// n/a. The presets' queries and their scrape translation are one table;
// this is what keeps them one.
func TestFiguresMatchScrapeMode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real engines")
	}
	t1 := time.Now().Add(-10 * time.Minute).Truncate(time.Second)
	h, stores := engineFixtures(t, t1)
	engines := map[string]func(t *testing.T) string{
		"victoriametrics": func(t *testing.T) string {
			u := promtest.VictoriaMetrics(t)
			promtest.ImportVM(t, u, h.vmText())
			return u
		},
		"prometheus": func(t *testing.T) string { return promtest.PrometheusWithData(t, h.openMetrics()) },
	}
	for name, start := range engines {
		t.Run(name, func(t *testing.T) {
			u := start(t)
			var ns, ng, nh int
			for dt, sst := range stores {
				src, err := New(Config{URL: u, RateWindow: dt, DetailAll: 100, Timeout: 10 * time.Second})
				if err != nil {
					t.Fatal(err)
				}
				qst := sources.NewStore(sources.StoreOptions{Resolution: time.Millisecond})
				promtest.Eventually(t, 20*time.Second, "the engine answers with the fixtures", func() bool {
					f, err := src.Poll(context.Background(), t1)
					if err != nil {
						t.Logf("poll: %v", err)
						return false
					}
					qst.Ingest(f)
					return len(qst.Select(sources.TargetUp)) >= len(fixtureSets)
				})
				// The first poll learned the fleet is small: the second
				// carries every host's detail too.
				f, err := src.Poll(context.Background(), t1)
				if err != nil {
					t.Fatal(err)
				}
				if len(f.Health.Warnings) > 0 {
					t.Errorf("warnings %v", f.Health.Warnings)
				}
				qst.Ingest(f)
				a, b, c := compareFigures(t, fmt.Sprintf("%s window %s", name, dt), sst, qst, t1, dt)
				ns, ng, nh = ns+a, ng+b, nh+c
			}
			// Every fixture's services, dcgm.prom's and triton.prom's GPUs,
			// node.prom's host.
			if ns < 11 || ng < 4 || nh != 1 {
				t.Errorf("compared %d services, %d GPUs, %d hosts", ns, ng, nh)
			}
		})
	}
}

// compareFigures holds the engine's figures (q) to scrape mode's (s). The
// windows are aligned: the engine's rate window is the time between the
// two scrapes, and scrape mode's takes the same two scrapes (its window
// leaves out a sample on its start, so it is a second longer).
func compareFigures(t *testing.T, what string, s, q *sources.Store, at time.Time, window time.Duration) (services, gpus, hosts int) {
	t.Helper()
	o := view.Options{RateWindow: window}
	so := view.Options{RateWindow: window + time.Second}
	// Scrape mode names a service's host by its target (address and port);
	// query mode by its machine: services compare by name and stack. A
	// service named after its target in scrape mode (no service label, no
	// job in the exposition) is its job in an engine.
	jobOf := map[string]string{}
	for _, fs := range fixtureSets {
		jobOf[fs.instance] = fs.job
	}
	qs := map[string]view.Service{}
	for _, x := range view.Services(q, at, o) {
		qs[x.Name+"/"+x.Stack] = x
	}
	n := 0
	for _, x := range view.Services(s, at, so) {
		if !x.Throughput.OK && !x.QueueDepth.OK && !x.Latency.Count.OK {
			continue
		}
		if j, ok := jobOf[x.Name]; ok {
			x.Name = j
		}
		y, ok := qs[x.Name+"/"+x.Stack]
		if !ok {
			t.Errorf("%s: query mode lacks service %s/%s (has %v)", what, x.Name, x.Stack, keysOf(qs))
			continue
		}
		n++
		k := x.Name + "/" + x.Stack
		for _, c := range []struct {
			name string
			s, q view.Quantiles
		}{{"latency", x.Latency, y.Latency}, {"ttft", x.TTFT, y.TTFT}, {"itl", x.ITL, y.ITL}} {
			same(t, what, k+" "+c.name+" p50", c.s.P50, c.q.P50)
			same(t, what, k+" "+c.name+" p95", c.s.P95, c.q.P95)
			same(t, what, k+" "+c.name+" p99", c.s.P99, c.q.P99)
			same(t, what, k+" "+c.name+" mean", c.s.Mean, c.q.Mean)
			if c.s.Basis == view.BasisWindow {
				same(t, what, k+" "+c.name+" count", c.s.Count, c.q.Count)
			}
		}
		same(t, what, k+" req/s", x.Throughput, y.Throughput)
		same(t, what, k+" error rate", x.ErrorRate, y.ErrorRate)
		for oc, v := range x.Outcomes {
			same(t, what, k+" outcome "+oc, v, y.Outcomes[oc])
		}
		same(t, what, k+" prompt tok/s", x.PromptTPS, y.PromptTPS)
		same(t, what, k+" generation tok/s", x.GenTPS, y.GenTPS)
		same(t, what, k+" queue", x.QueueDepth, y.QueueDepth)
		same(t, what, k+" running", x.Running, y.Running)
		same(t, what, k+" kv cache", x.KVCache, y.KVCache)
	}
	// GPUs by host, index and uuid: DCGM names the host in both modes.
	qg := map[string]view.GPU{}
	for _, g := range view.GPUs(q, at) {
		qg[g.Index+"/"+g.UUID] = g
	}
	ng := 0
	for _, g := range view.GPUs(s, at) {
		named := !strings.Contains(g.Host, ":") // by the exporter's Hostname, not the target
		y, ok := qg[g.Index+"/"+g.UUID]
		if !ok {
			t.Errorf("%s: query mode lacks GPU %s/%s of %s", what, g.Index, g.UUID, g.Host)
			continue
		}
		ng++
		k := "gpu " + g.Host + "/" + g.Index
		if g.Model != y.Model {
			t.Errorf("%s: %s model %q, query mode %q", what, k, g.Model, y.Model)
		}
		for _, f := range []struct {
			name string
			s, q view.Num
		}{{"util", g.Util, y.Util}, {"mem util", g.MemUtil, y.MemUtil}, {"mem used", g.MemUsed, y.MemUsed}, {"mem total", g.MemTotal, y.MemTotal},
			{"temp", g.Temp, y.Temp}, {"mem temp", g.MemTemp, y.MemTemp}, {"power", g.Power, y.Power}, {"power limit", g.PowerLimit, y.PowerLimit},
			{"sm clock", g.SMClock, y.SMClock}, {"mem clock", g.MemClock, y.MemClock}, {"fan", g.Fan, y.Fan}, {"pstate", g.PState, y.PState},
			{"throttle", g.Throttle, y.Throttle}, {"xid", g.XIDLast, y.XIDLast}, {"ecc corrected", g.ECCCorr, y.ECCCorr},
			{"ecc uncorrected", g.ECCUncorr, y.ECCUncorr}, {"pcie replay", g.PCIeReplay, y.PCIeReplay}} {
			same(t, what, k+" "+f.name, f.s, f.q)
		}
		if named && g.Host != y.Host {
			t.Errorf("%s: %s host %q, query mode %q", what, k, g.Host, y.Host)
		}
	}
	qh := map[string]view.Host{}
	for _, x := range view.Hosts(q, at, o) {
		qh[x.Host] = x
	}
	nh := 0
	for _, x := range view.Hosts(s, at, so) {
		y, ok := qh[x.Host]
		if !ok {
			t.Errorf("%s: query mode lacks host %s (has %v)", what, x.Host, qh)
			continue
		}
		nh++
		k := "host " + x.Host
		same(t, what, k+" cpus", x.CPUCount, y.CPUCount)
		same(t, what, k+" cpu busy", x.CPUBusy, y.CPUBusy)
		same(t, what, k+" load1", x.Load1, y.Load1)
		same(t, what, k+" memory used", x.MemUsedRatio, y.MemUsedRatio)
		same(t, what, k+" memory total", x.MemTotal, y.MemTotal)
		same(t, what, k+" uptime", x.Uptime, y.Uptime)
		same(t, what, k+" net rx", x.NetRx, y.NetRx)
		same(t, what, k+" net tx", x.NetTx, y.NetTx)
		if fmt.Sprint(x.Filesystems) != fmt.Sprint(y.Filesystems) {
			t.Errorf("%s: %s filesystems %v, query mode %v", what, k, x.Filesystems, y.Filesystems)
		}
	}
	return n, ng, nh
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// same: both n/a, or within 1 %.
func same(t *testing.T, what, name string, s, q view.Num) {
	t.Helper()
	if s.OK != q.OK {
		t.Errorf("%s: %s: scrape mode %s, query mode %s", what, name, numText(s), numText(q))
		return
	}
	if s.OK && math.Abs(s.V-q.V) > 0.01*math.Max(math.Abs(s.V), math.Abs(q.V))+1e-9 {
		t.Errorf("%s: %s: scrape mode %v, query mode %v (%.2f %% apart)", what, name, s.V, q.V, 100*math.Abs(s.V-q.V)/math.Max(math.Abs(s.V), math.Abs(q.V)))
	}
}

func numText(n view.Num) string {
	if !n.OK {
		return "n/a"
	}
	return strconv.FormatFloat(n.V, 'g', -1, 64)
}

func labelsOf(m map[string]string) Labels {
	out := make(Labels, 0, len(m))
	for k, v := range m {
		out = append(out, sources.Label{Name: k, Value: v})
	}
	return out
}
