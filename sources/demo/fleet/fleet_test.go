package fleet

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

var start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newFleet(t testing.TB, hosts int) *Fleet {
	t.Helper()
	f, err := New(Config{Hosts: hosts, Seed: 7, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func parse(t testing.TB, b []byte) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("exposition does not parse: %v", err)
	}
	return fams
}

func exposition(t testing.TB, f *Fleet, host int, e Exporter, at time.Time) map[string]*dto.MetricFamily {
	t.Helper()
	var b bytes.Buffer
	if err := f.WriteExporter(&b, host, e, at); err != nil {
		t.Fatal(err)
	}
	return parse(t, b.Bytes())
}

// sample is one flattened sample: a histogram gives _sum, _bucket and _count.
type sample struct {
	name, labels string // labels sorted, le included
	le           float64
	value        float64
	counter      bool // a counter, or any part of a histogram
}

func flatten(fams map[string]*dto.MetricFamily, drop ...string) []sample {
	var out []sample
	for name, mf := range fams {
		for _, m := range mf.GetMetric() {
			var ls []string
			le := math.NaN()
			for _, l := range m.GetLabel() {
				v := l.GetValue()
				if l.GetName() == "le" { // history's buckets are untyped samples
					le, _ = strconv.ParseFloat(v, 64)
					v = fmt.Sprintf("%g", le)
				}
				if !contains(drop, l.GetName()) {
					ls = append(ls, l.GetName()+"="+v)
				}
			}
			sort.Strings(ls)
			lbl := strings.Join(ls, ",")
			withLE := func(le float64) string {
				x := append(append([]string(nil), ls...), fmt.Sprintf("le=%g", le))
				sort.Strings(x)
				return strings.Join(x, ",")
			}
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				out = append(out, sample{name: name, labels: lbl, value: m.GetCounter().GetValue(), counter: true})
			case dto.MetricType_GAUGE:
				out = append(out, sample{name: name, labels: lbl, value: m.GetGauge().GetValue()})
			case dto.MetricType_UNTYPED:
				out = append(out, sample{name: name, labels: lbl, le: le, value: m.GetUntyped().GetValue()})
			case dto.MetricType_HISTOGRAM:
				h := m.GetHistogram()
				out = append(out, sample{name: name + "_sum", labels: lbl, value: h.GetSampleSum(), counter: true},
					sample{name: name + "_count", labels: lbl, value: float64(h.GetSampleCount()), counter: true})
				for _, b := range h.GetBucket() {
					out = append(out, sample{name: name + "_bucket", labels: withLE(b.GetUpperBound()),
						le: b.GetUpperBound(), value: float64(b.GetCumulativeCount()), counter: true})
				}
			}
		}
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func value(t testing.TB, fams map[string]*dto.MetricFamily, name string, match ...string) float64 {
	t.Helper()
	mf := fams[name]
	if mf == nil {
		t.Fatalf("no family %s", name)
	}
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(match); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == match[i] && l.GetValue() == match[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue()
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount())
		}
		return m.GetGauge().GetValue()
	}
	t.Fatalf("no series %s%v", name, match)
	return 0
}

func TestSeriesPerHost(t *testing.T) {
	f := newFleet(t, 5)
	at := start.Add(10 * time.Minute)
	for i := range 5 {
		n := 0
		for _, e := range Exporters {
			n += len(flatten(exposition(t, f, i, e, at)))
		}
		if n != f.SeriesPerHost() {
			t.Errorf("host %d: %d series, SeriesPerHost says %d", i, n, f.SeriesPerHost())
		}
	}
	if got := f.SeriesPerHost(); got != 298+224+98 {
		t.Errorf("SeriesPerHost = %d, want 620 with the defaults", got)
	}
}

// The vLLM exposition has the fixture's families, types and label names; the
// dcgm and node ones have the fixtures' (a real exporter's) families and
// labels, dcgm also the clock-event reasons and ECC counters.
func TestShapesMatchFixtures(t *testing.T) {
	f := newFleet(t, 4)
	at := start.Add(5 * time.Minute)
	for _, c := range []struct {
		e       Exporter
		fixture string
		exact   bool
		skip    []string // fixture families the simulation leaves out
	}{
		{VLLM, "vllm.prom", true, nil},
		// PCIE_{TX,RX}_THROUGHPUT are not in dcgm-exporter's current default
		// counters; the PROF_PCIE byte rates are.
		{DCGM, "dcgm.prom", false, []string{"DCGM_FI_DEV_PCIE_TX_THROUGHPUT", "DCGM_FI_DEV_PCIE_RX_THROUGHPUT"}},
		{Node, "node.prom", false, nil},
	} {
		b, err := os.ReadFile(filepath.Join("..", "..", "prom", "testdata", c.fixture))
		if err != nil {
			t.Fatal(err)
		}
		want := parse(t, b)
		got := exposition(t, f, 1, c.e, at)
		for name, wf := range want {
			if contains(c.skip, name) {
				continue
			}
			gf := got[name]
			if gf == nil {
				t.Errorf("%s: family %s missing", c.e.Job(), name)
				continue
			}
			if gf.GetType() != wf.GetType() {
				t.Errorf("%s: %s is %s, the fixture's %s", c.e.Job(), name, gf.GetType(), wf.GetType())
			}
			if wl, gl := labelNames(wf), labelNames(gf); !subset(wl, gl) {
				t.Errorf("%s: %s labels %v, the fixture has %v", c.e.Job(), name, gl, wl)
			}
		}
		if c.exact {
			for name := range got {
				if want[name] == nil {
					t.Errorf("%s: family %s is not in the fixture", c.e.Job(), name)
				}
			}
			if g, w := len(flatten(got)), len(flatten(want)); g != w {
				t.Errorf("%s: %d series, the fixture %d", c.e.Job(), g, w)
			}
		}
	}
	d := exposition(t, f, 1, DCGM, at)
	for _, n := range []string{"DCGM_FI_DEV_CLOCKS_EVENT_REASONS", "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", "DCGM_FI_DEV_FB_RESERVED"} {
		if d[n] == nil {
			t.Errorf("dcgm: no %s", n)
		}
	}
	for _, m := range d["DCGM_FI_DEV_GPU_TEMP"].GetMetric() {
		ls := map[string]string{}
		for _, l := range m.GetLabel() {
			ls[l.GetName()] = l.GetValue()
		}
		for _, n := range []string{"gpu", "UUID", "pci_bus_id", "device", "modelName", "Hostname"} {
			if ls[n] == "" {
				t.Errorf("dcgm GPU %s: no %s label", ls["gpu"], n)
			}
		}
		if ls["Hostname"] != f.Hosts()[1].Name {
			t.Errorf("Hostname %q, want %q", ls["Hostname"], f.Hosts()[1].Name)
		}
	}
}

func labelNames(mf *dto.MetricFamily) []string {
	seen := map[string]bool{}
	for _, m := range mf.GetMetric() {
		for _, l := range m.GetLabel() {
			seen[l.GetName()] = true
		}
	}
	var out []string
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !contains(b, x) {
			return false
		}
	}
	return true
}

// Counters and histogram parts never go down, at any instants asked for in
// any order of time; buckets never decrease along le and +Inf is the count;
// vLLM's counts agree with one another.
func TestCountersConsistent(t *testing.T) {
	f := newFleet(t, 6)
	hosts := map[int]bool{0: true}
	for _, in := range f.Incidents() {
		hosts[in.Host] = true
	}
	// An hour before Start to twenty minutes after, and densely through
	// the incidents' onsets.
	var times []time.Time
	for at := start.Add(-time.Hour); at.Before(start.Add(20 * time.Minute)); at = at.Add(121*time.Second + 311*time.Millisecond) {
		if at.Before(start) || at.After(start.Add(3*time.Minute)) {
			times = append(times, at)
			continue
		}
		for d := time.Duration(0); d < 121*time.Second; d += 3700 * time.Millisecond {
			times = append(times, at.Add(d))
		}
	}
	counters := map[string]bool{}
	for _, e := range Exporters {
		for name, mf := range exposition(t, f, 0, e, start) {
			switch mf.GetType() {
			case dto.MetricType_COUNTER:
				counters[name] = true
			case dto.MetricType_HISTOGRAM:
				counters[name+"_sum"], counters[name+"_bucket"], counters[name+"_count"] = true, true, true
			}
		}
	}
	var b bytes.Buffer
	for h := range hosts {
		prev := map[string]float64{}
		for k, at := range times {
			for _, e := range Exporters {
				b.Reset()
				if err := f.WriteExporter(&b, h, e, at); err != nil {
					t.Fatal(err)
				}
				// A light reading of the lines (expfmt is checked elsewhere):
				// buckets come in ascending le with le first.
				lastSeries, lastBucket := "", 0.0
				for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
					if line[0] == '#' {
						continue
					}
					i := strings.LastIndexByte(line, ' ')
					key := line[:i]
					v, err := strconv.ParseFloat(line[i+1:], 64)
					if err != nil {
						t.Fatalf("%q: %v", line, err)
					}
					name := key
					if j := strings.IndexByte(key, '{'); j >= 0 {
						name = key[:j]
					}
					if !counters[name] {
						continue
					}
					if p, ok := prev[key]; ok && v < p {
						t.Fatalf("host %d %s: %s went down at %s: %g → %g", h, e.Job(), key, at.Sub(start), p, v)
					}
					prev[key] = v
					if strings.HasSuffix(name, "_bucket") {
						series := name + key[strings.Index(key, `",`)+2:]
						if series == lastSeries && v < lastBucket {
							t.Fatalf("host %d at %s: %s below the bucket before it (%g < %g)", h, at.Sub(start), key, v, lastBucket)
						}
						lastSeries, lastBucket = series, v
					}
				}
				if e == VLLM && k%8 == 0 {
					checkVLLM(t, parse(t, b.Bytes()), h, at)
				}
			}
		}
	}
}

func checkVLLM(t *testing.T, fams map[string]*dto.MetricFamily, h int, at time.Time) {
	t.Helper()
	r := func(reason string) float64 {
		return value(t, fams, "vllm:request_success_total", "finished_reason", reason)
	}
	stop, length, abort, errs := r("stop"), r("length"), r("abort"), r("error")
	e2e := value(t, fams, "vllm:e2e_request_latency_seconds")
	for _, v := range []float64{stop, length, abort, errs, e2e} {
		if v != math.Trunc(v) {
			t.Fatalf("host %d at %s: a request count is not whole: %g", h, at.Sub(start), v)
		}
	}
	if stop+length+abort+errs != e2e {
		t.Fatalf("host %d at %s: finish reasons add to %g, e2e count %g", h, at.Sub(start), stop+length+abort+errs, e2e)
	}
	if got := value(t, fams, "http_requests_total", "status", "2xx"); got != stop+length+abort {
		t.Fatalf("host %d: 2xx %g, stop+length+abort %g", h, got, stop+length+abort)
	}
	if got := value(t, fams, "http_requests_total", "status", "5xx"); got != errs {
		t.Fatalf("host %d: 5xx %g, errors %g", h, got, errs)
	}
	prompt := value(t, fams, "vllm:prompt_tokens_total")
	if got := fams["vllm:request_prompt_tokens"].GetMetric()[0].GetHistogram().GetSampleSum(); got != prompt {
		t.Fatalf("host %d: request_prompt_tokens_sum %g, prompt_tokens_total %g", h, got, prompt)
	}
	for _, n := range []string{"vllm:time_to_first_token_seconds", "vllm:e2e_request_latency_seconds", "vllm:request_queue_time_seconds"} {
		hh := fams[n].GetMetric()[0].GetHistogram()
		bs := hh.GetBucket()
		if last := bs[len(bs)-1]; !math.IsInf(last.GetUpperBound(), 1) || last.GetCumulativeCount() != hh.GetSampleCount() {
			t.Fatalf("host %d %s: +Inf bucket %v, count %d", h, n, last, hh.GetSampleCount())
		}
	}
}

// History holds, for each instant, exactly what a scrape at that instant
// serves, with the target's labels added.
func TestHistoryMatchesLive(t *testing.T) {
	f := newFleet(t, 3)
	from, step := start.Add(40*time.Second), 15*time.Second
	to := from.Add(4 * step)
	var b bytes.Buffer
	n, err := f.WriteHistory(&b, from, to, step)
	if err != nil {
		t.Fatal(err)
	}
	perInstant := int64(3 * (f.SeriesPerHost() + 3))
	if n != 5*perInstant {
		t.Errorf("wrote %d samples, want %d", n, 5*perInstant)
	}
	if bytes.Contains(b.Bytes(), []byte("# ")) {
		t.Error("history carries # lines")
	}
	// Group the history's lines by timestamp, parse each group.
	groups := map[string]*bytes.Buffer{}
	for _, line := range bytes.Split(bytes.TrimSpace(b.Bytes()), []byte("\n")) {
		i := bytes.LastIndexByte(line, ' ')
		ts := string(line[i+1:])
		if groups[ts] == nil {
			groups[ts] = &bytes.Buffer{}
		}
		groups[ts].Write(line[:i])
		groups[ts].WriteByte('\n')
	}
	if len(groups) != 5 {
		t.Fatalf("%d instants in the history, want 5", len(groups))
	}
	for k := 0; k <= 4; k++ {
		at := from.Add(time.Duration(k) * step)
		g := groups[fmt.Sprint(at.UnixMilli())]
		if g == nil {
			t.Fatalf("no samples at %s", at)
		}
		hist := parse(t, g.Bytes())
		byInstance := map[string]map[string]float64{}
		for _, s := range flatten(hist) {
			inst := ""
			var rest []string
			vllmJob := strings.Contains(","+s.labels+",", ",job=vllm,")
			for _, l := range strings.Split(s.labels, ",") {
				switch {
				case strings.HasPrefix(l, "instance="):
					inst = strings.TrimPrefix(l, "instance=")
				case strings.HasPrefix(l, "job="), strings.HasPrefix(l, "cluster="):
				case strings.HasPrefix(l, "namespace=") && vllmJob: // a target label of vLLM's
				default:
					rest = append(rest, l)
				}
			}
			if byInstance[inst] == nil {
				byInstance[inst] = map[string]float64{}
			}
			byInstance[inst][s.name+"{"+strings.Join(rest, ",")+"}"] = s.value
		}
		for i, h := range f.Hosts() {
			for _, e := range Exporters {
				inst := f.Instance(i, e)
				got := byInstance[inst]
				if got == nil {
					t.Fatalf("no series of %s (%s) at %s", inst, h.Name, at)
				}
				if got["up{}"] != 1 {
					t.Errorf("%s: up %v", inst, got["up{}"])
				}
				live := flatten(exposition(t, f, i, e, at))
				for _, s := range live {
					k := s.name + "{" + s.labels + "}"
					if v, ok := got[k]; !ok || v != s.value {
						t.Fatalf("%s at %s: history %s = %v (%v), live %v", inst, at, k, v, ok, s.value)
					}
				}
				if len(got) != len(live)+1 {
					t.Errorf("%s: history %d series, live %d (+ up)", inst, len(got), len(live))
				}
			}
		}
	}
	if !bytes.Contains(b.Bytes(), []byte(`job="vllm",cluster="`)) || !bytes.Contains(b.Bytes(), []byte(`,namespace="`)) {
		t.Error("history lacks the group labels")
	}
}

func TestDeterministic(t *testing.T) {
	at := start.Add(3 * time.Minute)
	render := func(seed int64) []byte {
		f, err := New(Config{Hosts: 5, Seed: seed, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		for i := range 5 {
			if err := f.WriteHost(&b, i, at); err != nil {
				t.Fatal(err)
			}
		}
		return b.Bytes()
	}
	a, b, c := render(1), render(1), render(2)
	if !bytes.Equal(a, b) {
		t.Error("the same seed renders differently")
	}
	if bytes.Equal(a, c) {
		t.Error("another seed renders the same")
	}
}

// Each incident shows where Incidents says, when it says, and nowhere else.
func TestIncidents(t *testing.T) {
	f := newFleet(t, 40)
	inc := map[IncidentKind]Incident{}
	hostsHit := map[int]bool{}
	for _, in := range f.Incidents() {
		inc[in.Kind] = in
		hostsHit[in.Host] = true
		if in.From.Before(start) || in.From.After(start.Add(2*time.Minute)) {
			t.Errorf("%s starts at %s, not within two minutes of Start", in.Kind, in.From.Sub(start))
		}
	}
	if len(inc) != 4 || len(hostsHit) != 4 {
		t.Fatalf("incidents %v on %d hosts; want 4 kinds on 4 hosts", inc, len(hostsHit))
	}

	// Ten minutes in, every incident but the burst acts; the burst acts
	// 30 s into its second round.
	at := start.Add(10 * time.Minute)
	hot := inc[HotGPU]
	worst, worstAt := 0.0, ""
	for i, h := range f.Hosts() {
		d := exposition(t, f, i, DCGM, at)
		for g := 0; g < h.GPUs; g++ {
			gs := fmt.Sprint(g)
			temp := value(t, d, "DCGM_FI_DEV_GPU_TEMP", "gpu", gs)
			reasons := value(t, d, "DCGM_FI_DEV_CLOCKS_EVENT_REASONS", "gpu", gs)
			if i == hot.Host && g == hot.GPU {
				if temp < 88 || temp > 91 {
					t.Errorf("hot GPU %s/%d at %g °C, want ~89", h.Name, g, temp)
				}
				if int(reasons)&throttleHWT == 0 {
					t.Errorf("hot GPU reasons %#x: no HW thermal slowdown", int(reasons))
				}
				if sm := value(t, d, "DCGM_FI_DEV_SM_CLOCK", "gpu", gs); sm > 1200 {
					t.Errorf("hot GPU SM clock %g MHz, want throttled", sm)
				}
				if uuid := value(t, d, "DCGM_FI_DEV_GPU_TEMP", "UUID", hot.UUID); uuid != temp {
					t.Errorf("the incident's UUID names another GPU")
				}
				continue
			}
			if temp > worst {
				worst, worstAt = temp, fmt.Sprintf("%s/%d", h.Name, g)
			}
			if int(reasons)&(throttleHWT|throttleSWT) != 0 {
				t.Errorf("%s/%d thermal throttles at %g °C (not the incident's GPU)", h.Name, g, temp)
			}
		}
		xid := inc[XID]
		for g := 0; g < h.GPUs; g++ {
			v := value(t, d, "DCGM_FI_DEV_XID_ERRORS", "gpu", fmt.Sprint(g))
			if want := (i == xid.Host && g == xid.GPU); want != (v == 13) {
				t.Errorf("%s/%d: XID %g (incident on %s/%d)", h.Name, g, v, xid.HostName, xid.GPU)
			}
		}
		v := exposition(t, f, i, VLLM, at)
		waiting := value(t, v, "vllm:num_requests_waiting")
		if i == inc[DeepQueue].Host {
			if waiting < 34 || waiting > 46 {
				t.Errorf("deep queue on %s: %g waiting, want ~40", h.Name, waiting)
			}
		} else if waiting > 5 {
			t.Errorf("%s: %g waiting (the deep queue is on %s)", h.Name, waiting, inc[DeepQueue].HostName)
		}
	}
	if worst >= 85 {
		t.Errorf("%s runs at %g °C: the hot GPU must stand out", worstAt, worst)
	}
	t.Logf("hot GPU %s/%d; the next hottest %s at %g °C", hot.HostName, hot.GPU, worstAt, worst)

	// The XID GPU's label carries the code and message.
	d := exposition(t, f, inc[XID].Host, DCGM, at)
	if v := value(t, d, "DCGM_FI_DEV_XID_ERRORS", "gpu", fmt.Sprint(inc[XID].GPU), "err_code", "13", "err_msg", "Graphics Engine Exception"); v != 13 {
		t.Errorf("XID series %g", v)
	}
	// During its stall the XID host serves nothing and its GPUs idle.
	stall := inc[XID].From.Add(10 * time.Second)
	if !inc[XID].Active(stall) {
		t.Fatal("XID not active in its stall")
	}
	d = exposition(t, f, inc[XID].Host, DCGM, stall)
	if u := value(t, d, "DCGM_FI_DEV_GPU_UTIL", "gpu", fmt.Sprint(inc[XID].GPU)); u != 0 {
		t.Errorf("GPU util %g during the XID stall", u)
	}
	a := value(t, exposition(t, f, inc[XID].Host, VLLM, stall), "vllm:e2e_request_latency_seconds")
	b := value(t, exposition(t, f, inc[XID].Host, VLLM, stall.Add(15*time.Second)), "vllm:e2e_request_latency_seconds")
	if a != b {
		t.Errorf("the stalled engine finished %g requests", b-a)
	}

	// Error ratio over a minute inside a burst, and outside.
	burst := inc[ErrorBurst]
	ratio := func(from time.Time) float64 {
		x := exposition(t, f, burst.Host, VLLM, from)
		y := exposition(t, f, burst.Host, VLLM, from.Add(time.Minute))
		e := value(t, y, "http_requests_total", "status", "5xx") - value(t, x, "http_requests_total", "status", "5xx")
		ok := value(t, y, "http_requests_total", "status", "2xx") - value(t, x, "http_requests_total", "status", "2xx")
		return e / (e + ok)
	}
	in := burst.From.Add(burst.Every + 10*time.Second)
	if !burst.Active(in) || burst.Active(in.Add(burst.For)) {
		t.Fatal("Active disagrees with the burst's window")
	}
	if r := ratio(in); r < 0.06 || r > 0.10 {
		t.Errorf("5xx ratio in a burst %.4f, want ~0.08", r)
	}
	if r := ratio(in.Add(burst.For)); r > 0.01 {
		t.Errorf("5xx ratio between bursts %.4f, want ~0.002", r)
	}

	// Before the incidents, the fleet is calm.
	early := start.Add(5 * time.Second)
	for _, k := range []IncidentKind{HotGPU, XID, DeepQueue, ErrorBurst} {
		if inc[k].Active(early) {
			t.Errorf("%s active 5 s after Start", k)
		}
	}
	d = exposition(t, f, hot.Host, DCGM, early)
	if v := value(t, d, "DCGM_FI_DEV_GPU_TEMP", "gpu", fmt.Sprint(hot.GPU)); v >= 85 {
		t.Errorf("hot GPU at %g °C before its incident", v)
	}
}

func TestGroupLabels(t *testing.T) {
	f := newFleet(t, 200)
	clusters, namespaces := map[string]int{}, map[string]int{}
	names := map[string]bool{}
	prev := ""
	for _, h := range f.Hosts() {
		clusters[h.Cluster]++
		namespaces[h.Namespace]++
		if names[h.Name] || names[h.Addr] {
			t.Fatalf("duplicate host %s %s", h.Name, h.Addr)
		}
		names[h.Name], names[h.Addr] = true, true
		if h.Name <= prev {
			t.Fatalf("host names do not sort in index order: %s after %s", h.Name, prev)
		}
		prev = h.Name
	}
	if len(clusters) < 4 || len(namespaces) < 3 {
		t.Errorf("200 hosts in %d clusters and %d namespaces: too few to group by", len(clusters), len(namespaces))
	}
	t.Logf("clusters %v, namespaces %v", clusters, namespaces)
}

func TestBadInput(t *testing.T) {
	for _, c := range []Config{{Hosts: 0}, {Hosts: -1}, {Hosts: MaxHosts + 1}, {Hosts: 1, GPUsPerHost: 65}, {Hosts: 1, CPUsPerHost: 2000}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		} else if strings.Contains(err.Error(), "\n") {
			t.Errorf("error on two lines: %q", err)
		}
	}
	f := newFleet(t, 2)
	if err := f.WriteExporter(&bytes.Buffer{}, 2, VLLM, start); err == nil {
		t.Error("host 2 of 2 written")
	}
	if err := f.WriteHost(&bytes.Buffer{}, -1, start); err == nil {
		t.Error("host -1 written")
	}
	if _, err := f.WriteHistory(&bytes.Buffer{}, start, start.Add(time.Minute), 0); err == nil {
		t.Error("step 0 accepted")
	}
	if _, err := f.WriteHistory(&bytes.Buffer{}, start.Add(time.Minute), start, time.Second); err == nil {
		t.Error("to before from accepted")
	}
	if _, err := f.WriteHistory(&bytes.Buffer{}, start, start.Add(365*24*time.Hour), time.Second); err == nil {
		t.Error("a year at 1 s accepted")
	}
	if _, err := f.WriteHistory(failWriter{}, start, start.Add(time.Hour), 15*time.Second); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("a failing writer: %v", err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }
