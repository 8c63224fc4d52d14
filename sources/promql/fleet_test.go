package promql

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources/prom"
)

// fakeFleet is a fleet of n hosts, each a vLLM server, gpus GPUs behind
// dcgm-exporter and a node-exporter, as an engine answers the presets'
// queries about it: figures already reduced per service, GPU and host. Host
// 7's GPU 3 runs at 89 °C, host 42's queue is 40 deep, host 13's GPU 0
// reports XID 79, host 21 has 5 % errors.
type fakeFleet struct {
	n, gpus int
	at      time.Time // evaluation time of the canned answers
	window  time.Duration
	bodies  map[string]string // expression → result list
	series  map[string][]series
	mu      sync.Mutex
	sliced  map[string]string // sharded expressions' result lists, as answered
	skip    map[string]bool   // hosts left out of every answer (gone)
	lag     time.Duration     // how old the newest scrape is at the evaluation (default 5 s)
}

func hostName(i int) string { return fmt.Sprintf("host-%04d", i) }

// instance is a host's exporter address.
func instance(i int, port int) string {
	return fmt.Sprintf("10.%d.%d.%d:%d", i/65536, i/256%256, i%256, port)
}

func newFakeFleet(n, gpus int, at time.Time, window time.Duration) *fakeFleet {
	ff := &fakeFleet{n: n, gpus: gpus, at: at, window: window, skip: map[string]bool{}}
	ff.build()
	return ff
}

func (ff *fakeFleet) build() {
	ff.bodies = map[string]string{}
	ff.series = map[string][]series{}
	ff.sliced = map[string]string{}
	model := "meta-llama/Llama-3.1-8B-Instruct"
	type gen func(i int) []series
	per := map[string]gen{}
	vllm := func(i int) map[string]string {
		return map[string]string{"instance": instance(i, 8000), "model_name": model}
	}
	per["vllm/svc_request_latency_quantile_seconds"] = func(i int) []series {
		var out []series
		for _, f := range []struct {
			tag string
			v   float64
		}{{"p50", 0.8}, {"p95", 2.1}, {"p99", 3.4}, {"mean", 1.0}, {"obs", 600}} {
			ls := vllm(i)
			ls[prom.FigureLabel] = f.tag
			out = append(out, series{ls, f.v * (1 + float64(i%7)/10)})
		}
		return out
	}
	per["vllm/svc_request_rate_per_second"] = func(i int) []series {
		errs := 0.05
		if i != 21 {
			errs = 0.001
		}
		var out []series
		for _, st := range []struct {
			s string
			v float64
		}{{"2xx", 10 * (1 - errs)}, {"4xx", 0.1}, {"5xx", 10 * errs}} {
			out = append(out, series{map[string]string{"instance": instance(i, 8000), "status": st.s}, st.v})
		}
		return out
	}
	per["vllm/svc_token_rate_per_second"] = func(i int) []series { return []series{{vllm(i), 2000}} }
	per["vllm/svc_token_rate_per_second#1"] = func(i int) []series { return []series{{vllm(i), 700}} }
	per["vllm/svc_queue_depth"] = func(i int) []series {
		v := float64(i % 4)
		if i == 42 {
			v = 40
		}
		return []series{{vllm(i), v}}
	}
	per["vllm/svc_running"] = func(i int) []series { return []series{{vllm(i), 24}} }
	per["vllm/svc_kv_cache_ratio"] = func(i int) []series { return []series{{vllm(i), 0.4}} }
	gpu := func(i, g int, ident bool) map[string]string {
		// The figures group by instance and index: the identity names
		// the machine and the GPU.
		ls := map[string]string{"instance": instance(i, 9400), "gpu": strconv.Itoa(g)}
		if ident {
			ls["Hostname"] = hostName(i)
			ls["UUID"] = fmt.Sprintf("GPU-%08x-%04x", i, g)
			ls["modelName"] = "NVIDIA H100 80GB HBM3"
		}
		return ls
	}
	gpuField := func(ident bool, v func(i, g int) float64) gen {
		return func(i int) []series {
			out := make([]series, 0, ff.gpus)
			for g := 0; g < ff.gpus; g++ {
				out = append(out, series{gpu(i, g, ident), v(i, g)})
			}
			return out
		}
	}
	temp := func(i, g int) float64 {
		if i == 7 && g == 3 {
			return 89
		}
		return float64(55 + (i+g)%15)
	}
	// The identities, valued by each GPU's presence mask: it exports
	// throttle reasons (1), XID (2) and uncorrected ECC errors (4), asked
	// where not 0 only.
	per["dcgm/identity"] = gpuField(true, func(i, g int) float64 { return 7 })
	per["dcgm/gpu_temperature_celsius"] = gpuField(false, temp)
	per["dcgm/gpu_utilization_ratio"] = gpuField(false, func(i, g int) float64 { return float64(60 + (i*g)%40) })
	per["dcgm/gpu_memory_used_bytes"] = gpuField(false, func(i, g int) float64 { return 40000 + float64(g*100) })
	per["dcgm/gpu_memory_total_bytes#1"] = gpuField(false, func(i, g int) float64 { return 81559 })
	per["dcgm/gpu_power_watts"] = gpuField(false, func(i, g int) float64 { return 400 + float64(g) })
	per["dcgm/gpu_throttle_reasons"] = func(i int) []series { return nil }
	per["dcgm/gpu_xid_last"] = func(i int) []series {
		if i == 13 {
			return []series{{gpu(i, 0, false), 79}}
		}
		return nil
	}
	per["dcgm/gpu_ecc_errors_total"] = func(i int) []series { return nil }
	node := func(v float64) gen {
		return func(i int) []series { return []series{{map[string]string{"instance": instance(i, 9100)}, v}} }
	}
	// CPU busy: the idle modes' rates and the others', per host.
	per["node/host_cpu_busy_ratio"] = func(i int) []series {
		return []series{{map[string]string{"instance": instance(i, 9100), prom.FigureLabel: "idle"}, 0.65 * 96},
			{map[string]string{"instance": instance(i, 9100)}, 0.35 * 96}}
	}
	per["node/host_cpu_count"] = node(96)
	per["node/host_load1"] = node(12.5)
	per["node/host_memory_total_bytes"] = node(2 << 40)
	per["node/host_memory_available_bytes"] = node(1 << 40)
	per["node/host_filesystem_size_bytes"] = func(i int) []series {
		return []series{{map[string]string{"instance": instance(i, 9100), "mountpoint": "/"}, 1 << 40}}
	}
	per["node/host_filesystem_avail_bytes"] = func(i int) []series {
		return []series{{map[string]string{"instance": instance(i, 9100), "mountpoint": "/"}, 1 << 39}}
	}
	per["node/host_boot_time_seconds"] = node(float64(ff.at.Unix() - 86400*30))
	per["node/host_time_seconds"] = node(float64(ff.at.Unix()))
	per["node/host_network_receive_bytes_per_second"] = node(1.5e8)
	per["node/host_network_transmit_bytes_per_second"] = node(0.8e8)
	targets := func(v func(i int) float64) gen {
		return func(i int) []series {
			var out []series
			for _, t := range []struct {
				job  string
				port int
			}{{"vllm", 8000}, {"dcgm", 9400}, {"node", 9100}} {
				out = append(out, series{map[string]string{"job": t.job, "instance": instance(i, t.port), "cluster": fmt.Sprintf("c%d", i%3)}, v(i)})
			}
			return out
		}
	}

	lag := ff.lag
	if lag == 0 {
		lag = 5 * time.Second
	}
	per[targetsQuery] = targets(func(int) float64 { return float64(ff.at.Add(-lag).UnixMilli()) / 1000 })
	per[prom.NodeQuery] = func(i int) []series {
		return []series{{map[string]string{"instance": instance(i, 9100), "nodename": hostName(i)}, 1}}
	}
	exprs := map[string]string{targetsQuery: targetsQuery, prom.NodeQuery: prom.NodeQuery}
	for _, q := range prom.Queries(nil, prom.TierSummary) {
		exprs[q.Name] = q.Expr(ff.window, "")
	}
	for name, g := range per {
		e, ok := exprs[name]
		if !ok {
			panic("fake fleet: no query " + name)
		}
		var ss []series
		for i := 0; i < ff.n; i++ {
			if ff.skip[hostName(i)] {
				continue
			}
			ss = append(ss, g(i)...)
		}
		ff.bodies[e] = vector(ss, ff.at)
		ff.series[e] = ss
		// After the first poll, queries of an instance's one model ask
		// without model_name (each host here serves one).
		if one := onePollExpr(name, ff.window); one != "" && one != e {
			var os []series
			for _, x := range ss {
				ls := map[string]string{}
				for k, v := range x.ls {
					if k != "model_name" {
						ls[k] = v
					}
				}
				os = append(os, series{ls, x.v})
			}
			ff.bodies[one] = vector(os, ff.at)
			ff.series[one] = os
		}
	}
}

// onePollExpr is the named summary query as a poll after the first asks
// it of instances serving one service ("" for no such query).
func onePollExpr(name string, w time.Duration) string {
	for _, q := range prom.Queries(nil, prom.TierSummary) {
		if q.Name == name {
			return q.PollExprIn(prom.PromQL, w, "", "")
		}
	}
	return ""
}

var instanceMatch = regexp.MustCompile(`(, )?instance=~"([^"]*)"`)

// answer is the result list of expression q: a canned one, or one of a
// query narrowed to some instances (a shard), as an engine filters it.
func (ff *fakeFleet) answer(q string) (string, bool) {
	if b, ok := ff.bodies[q]; ok {
		return b, true
	}
	m := instanceMatch.FindStringSubmatch(q)
	if m == nil {
		return "", false
	}
	ff.mu.Lock()
	defer ff.mu.Unlock()
	if b, ok := ff.sliced[q]; ok {
		return b, true
	}
	base := strings.ReplaceAll(instanceMatch.ReplaceAllString(q, ""), "{}", "")
	ss, ok := ff.series[base]
	if !ok {
		return "", false
	}
	want := map[string]bool{}
	for _, i := range strings.Split(strings.ReplaceAll(m[2], `\\`, ""), "|") {
		want[i] = true
	}
	var out []series
	for _, x := range ss {
		if want[x.ls["instance"]] {
			out = append(out, x)
		}
	}
	b := vector(out, ff.at)
	ff.sliced[q] = b
	return b, true
}

// engine serves the fleet's canned answers.
func (ff *fakeFleet) engine() *fakeEngine {
	return &fakeEngine{answer: func(q string, _ time.Time) (string, bool) { return ff.answer(q) }}
}

// TestFakeFleetCoversSummary: the fake fleet answers every summary query of
// the stacks it runs, so the benchmark measures a whole poll.
func TestFakeFleetCoversSummary(t *testing.T) {
	ff := newFakeFleet(3, 2, time.Unix(1_700_000_000, 0), time.Minute)
	for _, q := range prom.Queries([]string{prom.StackVLLM, prom.StackDCGM, prom.StackNode}, prom.TierSummary) {
		if _, ok := ff.bodies[q.Expr(time.Minute, "")]; !ok && !strings.HasSuffix(q.Name, "#1") && q.Name != "dcgm/gpu_memory_total_bytes" {
			t.Errorf("no answer for %s", q.Name)
		}
	}
	srv := httptest.NewServer(ff.engine())
	defer srv.Close()
}
