package prom

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

func queryNamed(t *testing.T, name string) Query {
	t.Helper()
	for _, tier := range []Tier{TierSummary, TierDetail} {
		for _, q := range Queries(nil, tier) {
			if q.Name == name {
				return q
			}
		}
	}
	t.Fatalf("no query %s", name)
	return Query{}
}

func ls(kv ...string) []sources.Label {
	var out []sources.Label
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, sources.Label{Name: kv[i], Value: kv[i+1]})
	}
	return out
}

// TestQueriesNeverGroupByBucket: every query's answer is reduced per
// service, GPU or host: le appears only inside histogram_quantile.
func TestQueriesNeverGroupByBucket(t *testing.T) {
	for _, tier := range []Tier{TierSummary, TierDetail} {
		for _, q := range Queries(nil, tier) {
			for _, d := range []Dialect{PromQL, MetricsQL} {
				e := q.ExprIn(d, time.Minute, `instance=~"a"`)
				if n := strings.Count(e, "by (le,"); n > 0 && !strings.Contains(e, "histogram_quantile") {
					t.Errorf("%s groups by le outside a quantile: %s", q.Name, e)
				}
				if strings.Count(e, "(") != strings.Count(e, ")") || strings.Contains(e, "{{") {
					t.Errorf("%s: malformed %s", q.Name, e)
				}
				if !strings.Contains(e, `instance=~"a"`) {
					t.Errorf("%s: the matchers are not in %s", q.Name, e)
				}
			}
		}
	}
}

// TestTranslation: machines named across exporters, the stack's outcome
// rule and its alternatives, outcomes a rule can produce filled with 0,
// GPU identities joined on, two instances of a service on one machine kept
// apart.
func TestTranslation(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	tr := NewTranslation()
	tr.AddNodes([]Answer{{Labels: ls("instance", "10.0.0.1:9100", "nodename", "gpu-a"), At: at, Value: 1}})
	tr.Add(queryNamed(t, "dcgm/identity"), []Answer{
		{Labels: ls("instance", "10.0.0.1:9400", "Hostname", "gpu-a", "gpu", "0", "UUID", "GPU-1", "modelName", "H100", "pod", "p"), At: at, Value: 60},
	})
	tr.Add(queryNamed(t, "dcgm/gpu_utilization_ratio"), []Answer{
		{Labels: ls("instance", "10.0.0.1:9400", "Hostname", "gpu-a", "gpu", "0"), At: at, Value: 97},
	})
	// vLLM on the same address: HTTP counts (rank 0) win over finished_reason.
	tr.Add(queryNamed(t, "vllm/svc_request_rate_per_second"), []Answer{
		{Labels: ls("instance", "10.0.0.1:8000", "status", "2xx"), At: at, Value: 9},
		{Labels: ls("instance", "10.0.0.1:8000", "status", "5xx"), At: at, Value: 1},
	})
	tr.Add(queryNamed(t, "vllm/svc_request_rate_per_second#1"), []Answer{
		{Labels: ls("instance", "10.0.0.1:8000", "model_name", "m", "finished_reason", "stop"), At: at, Value: 100},
		// Another machine without HTTP counts: finished_reason it is; no
		// abort seen, but the rule can produce one: 0.
		{Labels: ls("instance", "10.0.0.2:8000", "model_name", "m", "finished_reason", "error"), At: at, Value: 2},
		{Labels: ls("instance", "10.0.0.2:8000", "model_name", "m", "finished_reason", "length"), At: at, Value: 8},
	})
	tr.Add(queryNamed(t, "vllm/svc_queue_depth"), []Answer{
		{Labels: ls("instance", "10.0.0.1:8000", "model_name", "m"), At: at, Value: 3},
		{Labels: ls("instance", "10.0.0.2:8000", "model_name", "m"), At: at, Value: 4},
		// Two instances of m on one machine: each named by its port.
		{Labels: ls("instance", "10.0.0.3:8000", "model_name", "m"), At: at, Value: 5},
		{Labels: ls("instance", "10.0.0.3:8001", "model_name", "m"), At: at, Value: 6},
	})
	got := map[string]float64{}
	for _, p := range tr.Points() {
		got[p.Series.Key()] = p.Value
	}
	want := map[string]float64{
		`gpu_utilization_ratio{gpu="0",host="gpu-a",model="H100",pod="p",uuid="GPU-1"}`:             0.97,
		`svc_request_rate_per_second{host="gpu-a",outcome="ok",service="m",stack="vllm"}`:           9,
		`svc_request_rate_per_second{host="gpu-a",outcome="error",service="m",stack="vllm"}`:        1,
		`svc_request_rate_per_second{host="gpu-a",outcome="client_error",service="m",stack="vllm"}`: 0,
		`svc_request_rate_per_second{host="10.0.0.2",outcome="error",service="m",stack="vllm"}`:     2,
		`svc_request_rate_per_second{host="10.0.0.2",outcome="ok",service="m",stack="vllm"}`:        8,
		`svc_request_rate_per_second{host="10.0.0.2",outcome="abort",service="m",stack="vllm"}`:     0,
		`svc_queue_depth{host="gpu-a",service="m",stack="vllm"}`:                                    3,
		`svc_queue_depth{host="10.0.0.2",service="m",stack="vllm"}`:                                 4,
		`svc_queue_depth{host="10.0.0.3:8000",service="m",stack="vllm"}`:                            5,
		`svc_queue_depth{host="10.0.0.3:8001",service="m",stack="vllm"}`:                            6,
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected %s = %v", k, got[k])
		}
	}
	if tr.HostOf("10.0.0.1:8000") != "gpu-a" || tr.HostOf("10.0.0.3:8001") != "10.0.0.3:8001" {
		t.Errorf("hosts %q %q", tr.HostOf("10.0.0.1:8000"), tr.HostOf("10.0.0.3:8001"))
	}
}

// TestSeriesCache: translations that share a cache reuse a GPU's or a
// host's series while its host and identity read the same, and build new
// ones when either changes (a pod rescheduled, a machine named); a
// sparse figure's zero comes back at once after a figure that was not 0.
func TestSeriesCache(t *testing.T) {
	ident, temp, xid := queryNamed(t, "dcgm/identity"), queryNamed(t, "dcgm/gpu_temperature_celsius"), queryNamed(t, "dcgm/gpu_xid_last")
	load := queryNamed(t, "node/host_load1")
	cache := NewSeriesCache()
	gpus := map[string][]sources.Label{}
	poll := func(at time.Time, pod, node string, xids ...Answer) map[string]sources.Point {
		tr := NewTranslation()
		tr.Cache, tr.GPUs = cache, gpus
		tr.AddNodes([]Answer{{Labels: ls("instance", "10.0.0.1:9100", "nodename", node), At: at, Value: 1}})
		tr.Add(ident, []Answer{{Labels: ls("instance", "10.0.0.1:9400", "gpu", "0", "UUID", "GPU-0", "Hostname", node, "pod", pod), At: at, Value: 2}})
		tr.Add(temp, []Answer{{Labels: ls("instance", "10.0.0.1:9400", "gpu", "0"), At: at, Value: 61}})
		tr.Add(xid, xids)
		tr.Add(load, []Answer{{Labels: ls("instance", "10.0.0.1:9100"), At: at, Value: 0.5}})
		out := map[string]sources.Point{}
		for _, p := range tr.Points() {
			out[p.Series.Name] = p
		}
		gpus = tr.GPUs
		return out
	}
	at := time.Unix(1_700_000_000, 0)
	a := poll(at, "p1", "gpu-a")
	b := poll(at.Add(15*time.Second), "p1", "gpu-a")
	if a[sources.GPUTemperature].Series.Key() != b[sources.GPUTemperature].Series.Key() || b[sources.GPUTemperature].Value != 61 {
		t.Fatalf("the same GPU: %v then %v", a[sources.GPUTemperature], b[sources.GPUTemperature])
	}
	if x, ok := a[sources.GPUXIDLast]; !ok || x.Value != 0 {
		t.Fatalf("GPU 0's first XID: %+v (present %v), want 0", x, ok)
	}
	c := poll(at.Add(30*time.Second), "p2", "gpu-b", Answer{Labels: ls("instance", "10.0.0.1:9400", "gpu", "0"), At: at.Add(30 * time.Second), Value: 43})
	g, h := c[sources.GPUTemperature].Series, c[sources.HostLoad1].Series
	if g.Label("pod") != "p2" || g.Label(sources.LabelHost) != "gpu-b" || h.Label(sources.LabelHost) != "gpu-b" {
		t.Errorf("after the pod moved and the machine was renamed: %v, %v", g, h)
	}
	if x := c[sources.GPUXIDLast]; x.Value != 43 {
		t.Errorf("XID %+v, want 43", x)
	}
	d := poll(at.Add(45*time.Second), "p2", "gpu-b")
	if x, ok := d[sources.GPUXIDLast]; !ok || x.Value != 0 || !x.At.Equal(at.Add(45*time.Second)) {
		t.Errorf("XID back to 0: %+v (present %v), want 0 at once", x, ok)
	}
	// A zero that stays a zero is translated again within zeroEvery polls.
	seen := 0
	for i := 1; i <= zeroEvery; i++ {
		if _, ok := poll(at.Add(time.Duration(45+15*i)*time.Second), "p2", "gpu-b")[sources.GPUXIDLast]; ok {
			seen++
		}
	}
	if seen != 1 {
		t.Errorf("a steady zero translated %d times in %d polls, want once", seen, zeroEvery)
	}
}
