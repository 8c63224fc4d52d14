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
