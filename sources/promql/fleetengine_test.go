package promql

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo/fleet"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
)

// importToOpenMetrics turns VictoriaMetrics import lines (name{labels} value
// ms) into OpenMetrics for promtool: every name one family of unknown type,
// each series' samples together and in time order, timestamps in seconds.
func importToOpenMetrics(t testing.TB, imp []byte) []byte {
	t.Helper()
	type line struct {
		series string
		rest   string
		ts     int64
	}
	byName := map[string][]line{}
	sc := bufio.NewScanner(bytes.NewReader(imp))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		sp := strings.LastIndexByte(l, ' ')
		vs := strings.LastIndexByte(l[:sp], ' ')
		if sp < 0 || vs < 0 {
			t.Fatalf("import line %q", l)
		}
		ms, err := strconv.ParseInt(l[sp+1:], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		name := l[:vs]
		if i := strings.IndexByte(name, '{'); i >= 0 {
			name = name[:i]
		}
		byName[name] = append(byName[name], line{series: l[:vs], rest: l[vs+1 : sp], ts: ms})
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, n := range names {
		ls := byName[n]
		sort.SliceStable(ls, func(i, j int) bool {
			if ls[i].series != ls[j].series {
				return ls[i].series < ls[j].series
			}
			return ls[i].ts < ls[j].ts
		})
		b.WriteString("# TYPE " + n + " unknown\n")
		for _, l := range ls {
			b.WriteString(l.series + " " + l.rest + " " + strconv.FormatFloat(float64(l.ts)/1000, 'f', 3, 64) + "\n")
		}
	}
	b.WriteString("# EOF\n")
	return b.Bytes()
}

// TestFleetEngines loads a generated fleet (package demo/fleet: vLLM, eight
// or two GPUs behind dcgm-exporter and node-exporter per host, with its
// incidents) into real VictoriaMetrics and real Prometheus, polls it in
// query mode and checks what the fleet screen and --once rest on: every
// host, GPU and service there, each naming its host; the incidents' hosts
// first; history that fills a chart; one host's detail.
func TestFleetEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real engines")
	}
	start := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	for _, c := range []struct {
		engine      string
		hosts, gpus int
	}{{"victoriametrics", 50, 2}, {"prometheus", 30, 2}} {
		t.Run(c.engine, func(t *testing.T) {
			fl, err := fleet.New(fleet.Config{Hosts: c.hosts, GPUsPerHost: c.gpus, Seed: 3, Start: start})
			if err != nil {
				t.Fatal(err)
			}
			at := start.Add(4 * time.Minute)
			var imp bytes.Buffer
			if _, err := fl.WriteHistory(&imp, at.Add(-150*time.Second), at, 15*time.Second); err != nil {
				t.Fatal(err)
			}
			// The same vLLM target under a second job: counted once.
			dup := fl.Hosts()[1].Addr + ":8000"
			for _, l := range strings.SplitAfter(imp.String(), "\n") {
				if strings.Contains(l, `instance="`+dup+`",job="vllm"`) && strings.HasPrefix(l, "vllm:") {
					imp.WriteString(strings.Replace(l, `job="vllm"`, `job="vllm-again"`, 1))
				}
			}
			var u string
			if c.engine == "victoriametrics" {
				u = promtest.VictoriaMetrics(t)
				promtest.ImportVM(t, u, imp.Bytes())
			} else {
				u = promtest.PrometheusWithData(t, importToOpenMetrics(t, imp.Bytes()))
			}
			src, err := New(Config{URL: u, Timeout: 20 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			st := sources.NewStore(sources.StoreOptions{})
			var f sources.Frame
			promtest.Eventually(t, 30*time.Second, "the engine answers for every host", func() bool {
				f, err = src.Poll(context.Background(), at)
				if err != nil {
					t.Logf("poll: %v", err)
					return false
				}
				return len(f.Points) > 0 && len(view.GPUs(storeOf(f), at)) == c.hosts*c.gpus
			})
			st.Ingest(f)
			ov := view.Evaluate(st, at, view.Options{})
			hosts := view.Hosts(st, at, view.Options{})
			fv := view.EvaluateFleet(st, ov, hosts, at, view.Options{})
			if len(ov.Services) != c.hosts || len(ov.GPUs) != c.hosts*c.gpus || len(hosts) != c.hosts || len(fv.Hosts) != c.hosts {
				t.Fatalf("%d services, %d GPUs, %d hosts, fleet %d; want %d hosts", len(ov.Services), len(ov.GPUs), len(hosts), len(fv.Hosts), c.hosts)
			}
			names := map[string]bool{}
			for _, h := range fl.Hosts() {
				names[h.Name] = true
			}
			for _, s := range ov.Services {
				if !names[s.Host] || !s.Latency.P99.OK || !s.ErrorRate.OK {
					t.Fatalf("service %+v", s)
				}
				if s.Host == fl.Hosts()[1].Name && s.Throughput.V > 2*ov.Services[0].Throughput.V+50 {
					t.Errorf("the target under two jobs counted twice: %v req/s", s.Throughput)
				}
			}
			for _, g := range ov.GPUs {
				if !names[g.Host] || g.UUID == "" || !g.Temp.OK || !g.MemTotal.OK {
					t.Fatalf("GPU %+v", g)
				}
			}
			// Worst first; the incidents' hosts critical, each for its reason
			// (the error burst is between bursts at the instant polled).
			for i := 1; i < len(fv.Hosts); i++ {
				if view.Worse(fv.Hosts[i].Severity, fv.Hosts[i-1].Severity) {
					t.Fatalf("host %d %+v ranked below a better one", i, fv.Hosts[i])
				}
			}
			why := map[fleet.IncidentKind]string{fleet.HotGPU: "throttled HW-THERM", fleet.XID: "XID 13", fleet.DeepQueue: "queue"}
			for _, in := range fl.Incidents() {
				if in.Kind == fleet.ErrorBurst {
					continue
				}
				for _, h := range fv.Hosts {
					if h.Host == in.HostName && (h.Severity != view.SevCritical || !strings.Contains(h.Worst, why[in.Kind])) {
						t.Errorf("incident %s on %s: %s %q", in.Kind, in.HostName, h.Severity, h.Worst)
					}
				}
			}
			if g := fv.WorstGPUs[0]; g.Severity != view.SevCritical || !names[g.Host] {
				t.Errorf("worst GPU %+v", g)
			}
			if h := fv.Hosts[len(fv.Hosts)-1]; h.Groups["cluster"] == "" || h.Groups["job"] != "dcgm,node,vllm" {
				t.Errorf("groups %+v", h.Groups)
			}
			t.Logf("%s, %d hosts: poll %v, %d series, %d bytes on the wire", c.engine, c.hosts, f.Health.Duration, f.Health.Series, f.Health.Bytes)

			// History fills the latency chart of every service.
			if err := src.FillHistory(context.Background(), at.Add(-90*time.Second), at, 15*time.Second, st.Ingest); err != nil {
				t.Fatal(err)
			}
			ax := view.NewAxis(at, 90*time.Second, 6)
			var cols view.Columns
			for _, s := range ov.Services[:5] {
				_, _, p99 := cols.Quantiles(st, s, sources.SvcLatency, ax, 15*time.Second, false)
				er := cols.ErrorRatio(st, s, ax, 15*time.Second, false)
				n := 0
				for i := range p99 {
					if !math.IsNaN(p99[i]) && !math.IsNaN(er[i]) {
						n++
					}
				}
				if n < 6 {
					t.Errorf("%s: %d of 6 columns filled: p99 %v errors %v", s.Key(), n, p99, er)
				}
			}
			// One host's detail: its GPUs' clocks, TTFT, history.
			h := fl.Hosts()[5].Name
			if err := src.FetchDetail(context.Background(), h, at.Add(-90*time.Second), at, 15*time.Second, st.Ingest); err != nil {
				t.Fatal(err)
			}
			if f, err = src.Poll(context.Background(), at); err != nil {
				t.Fatal(err)
			}
			st.Ingest(f)
			clocks := st.Select(sources.GPUSMClock)
			if len(clocks) != c.gpus {
				t.Errorf("SM clocks of %d GPUs, want the drilled host's %d", len(clocks), c.gpus)
			}
			for _, s := range view.Services(st, at, view.Options{}) {
				if s.TTFT.P99.OK != (s.Host == h) {
					t.Errorf("%s TTFT %v: want it for %s only", s.Host, s.TTFT.P99, h)
				}
			}
		})
	}
}

func storeOf(f sources.Frame) *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(f)
	return st
}

// TestNarrowingRealVM: a VictoriaMetrics whose -search.maxUniqueTimeseries
// is below what the fleet's figure queries match refuses them for size
// (422); the poll narrows them by instance until each part is answered,
// every host, GPU and service is still there, and the source's health says
// which queries were narrowed.
func TestNarrowingRealVM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real engine")
	}
	const hosts, gpus = 12, 2
	start := time.Now().Add(-20 * time.Minute).Truncate(time.Minute)
	fl, err := fleet.New(fleet.Config{Hosts: hosts, GPUsPerHost: gpus, Seed: 5, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	at := start.Add(4 * time.Minute)
	var imp bytes.Buffer
	if _, err := fl.WriteHistory(&imp, at.Add(-150*time.Second), at, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	// A limit above one host's series (and the fleet's targets), below
	// what the fleet's larger figure queries match.
	limit := fl.SeriesPerHost() / 2
	u := promtest.VictoriaMetrics(t, "-search.maxUniqueTimeseries="+strconv.Itoa(limit))
	promtest.ImportVM(t, u, imp.Bytes())
	// The limit bites: the raw series of every stack are refused.
	c, err := NewClient(Config{URL: u, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	promtest.Eventually(t, 30*time.Second, "the import is searchable", func() bool {
		rs, err := c.Query(context.Background(), "count(up)", at)
		return err == nil && len(rs) == 1 && rs[0].Samples[0].Value == 3*hosts
	})
	if _, err := c.Query(context.Background(), `count({__name__=~"vllm:.+|DCGM_FI_.+|node_.+"})`, at); !errors.Is(err, ErrTooBig) {
		t.Fatalf("raw series under a limit of %d: %v, want refused for size", limit, err)
	}
	src, err := New(Config{URL: u, Timeout: 20 * time.Second, DetailAll: -1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := src.Poll(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	st := storeOf(f)
	ov := view.Evaluate(st, at, view.Options{})
	if len(ov.Services) != hosts || len(ov.GPUs) != hosts*gpus {
		t.Fatalf("narrowed: %d services, %d GPUs; want %d and %d (warnings %q)", len(ov.Services), len(ov.GPUs), hosts, hosts*gpus, f.Health.Warnings)
	}
	for _, s := range ov.Services {
		if !s.Latency.P99.OK || !s.ErrorRate.OK {
			t.Errorf("service %s on %s: p99 %v errors %v", s.Key(), s.Host, s.Latency.P99, s.ErrorRate)
		}
	}
	narrowed := 0
	for _, w := range f.Health.Warnings {
		if strings.Contains(w, "refused by the engine for size, split into") {
			narrowed++
		}
	}
	if narrowed == 0 {
		t.Fatalf("no narrowing said: warnings %q", f.Health.Warnings)
	}
	hs := view.Health(st, at)
	if len(hs) != 1 || len(hs[0].Warnings) == 0 {
		t.Errorf("health %+v", hs)
	}
	t.Logf("limit %d series: %d queries narrowed: %q", limit, narrowed, f.Health.Warnings)
	// The next poll starts from the parts learned: no refusal is asked again.
	f2, err := src.Poll(context.Background(), at)
	if err != nil || len(view.GPUs(storeOf(f2), at)) != hosts*gpus {
		t.Fatalf("second poll: %v, %d GPUs", err, len(view.GPUs(storeOf(f2), at)))
	}
}

// TestVMLatencyOffset: Debian's VictoriaMetrics with its default
// -search.latencyOffset (30 s) holds a fleet whose newest samples are 5 s
// old. Polled at now, every GPU's temperature is the newest sample's value,
// stamped with the newest sample's time: neither the value VictoriaMetrics
// would answer as of now−30 s nor a figure dated now.
func TestVMLatencyOffset(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real engine")
	}
	const hosts, gpus = 3, 2
	now := time.Now().Truncate(time.Second)
	last := now.Add(-5 * time.Second)
	fl, err := fleet.New(fleet.Config{Hosts: hosts, GPUsPerHost: gpus, Seed: 7, Start: now.Add(-20 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var imp bytes.Buffer
	if _, err := fl.WriteHistory(&imp, last.Add(-150*time.Second), last, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	// The temperatures at the last instant and 30 s before, as imported.
	temps := func(at time.Time) []float64 {
		var out []float64
		suffix := " " + strconv.FormatInt(at.UnixMilli(), 10)
		for _, l := range strings.Split(imp.String(), "\n") {
			if strings.HasPrefix(l, "DCGM_FI_DEV_GPU_TEMP{") && strings.HasSuffix(l, suffix) {
				f := strings.Fields(l[strings.LastIndexByte(l, '}')+1:])
				v, err := strconv.ParseFloat(f[0], 64)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, v)
			}
		}
		sort.Float64s(out)
		return out
	}
	want, old := temps(last), temps(last.Add(-30*time.Second))
	if len(want) != hosts*gpus || slices.Equal(want, old) {
		t.Fatalf("fixture: temperatures %v now and %v 30 s before must differ", want, old)
	}
	u := promtest.VictoriaMetrics(t)
	promtest.ImportVM(t, u, imp.Bytes())
	src, err := New(Config{URL: u, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var got []float64
	var f sources.Frame
	promtest.Eventually(t, 30*time.Second, "every GPU's newest temperature", func() bool {
		if f, err = src.Poll(context.Background(), time.Now()); err != nil {
			t.Logf("poll: %v", err)
			return false
		}
		got = got[:0]
		for _, p := range f.Points {
			if p.Series.Name != sources.GPUTemperature {
				continue
			}
			got = append(got, p.Value)
			if !p.At.Equal(last) {
				t.Fatalf("temperature stamped %v, want the newest sample's time %v", p.At, last)
			}
		}
		sort.Float64s(got)
		return len(got) == hosts*gpus
	})
	if !slices.Equal(got, want) {
		t.Errorf("temperatures %v, want the newest samples' %v (30 s before: %v)", got, want, old)
	}
	if !f.Health.DataAt.Equal(last) {
		t.Errorf("data at %v, want %v", f.Health.DataAt, last)
	}
}
