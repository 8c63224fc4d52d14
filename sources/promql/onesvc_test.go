package promql

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
)

// TestOneServicePerInstanceRealVM: after the first poll, vLLM's figures of
// an instance serving one model travel without model_name (the model
// named by num_requests_running's answer); an instance serving two keeps
// them apart, and one that comes to serve a second model between polls is
// left out of that poll (n/a), never merged, and apart on the next. The
// figures equal the first poll's, which asks everything by model. Against
// Debian's VictoriaMetrics.
func TestOneServicePerInstanceRealVM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real engine")
	}
	now := time.Now().Truncate(time.Second)
	type svc struct {
		inst, model string
		queue       float64
	}
	lines := func(from, to time.Time, svcs ...svc) string {
		var b strings.Builder
		for at := from; !at.After(to); at = at.Add(15 * time.Second) {
			ms := at.UnixMilli()
			k := float64(at.Sub(from) / (15 * time.Second))
			seen := map[string]bool{}
			for _, s := range svcs {
				if !seen[s.inst] {
					seen[s.inst] = true
					fmt.Fprintf(&b, "up{job=\"vllm\",instance=%q} 1 %d\n", s.inst, ms)
				}
				ls := fmt.Sprintf(`job="vllm",instance=%q,model_name=%q`, s.inst, s.model)
				fmt.Fprintf(&b, "vllm:num_requests_running{%s} 2 %d\n", ls, ms)
				fmt.Fprintf(&b, "vllm:num_requests_waiting{%s} %g %d\n", ls, s.queue, ms)
				fmt.Fprintf(&b, "vllm:kv_cache_usage_perc{%s} %g %d\n", ls, s.queue/100, ms)
				fmt.Fprintf(&b, "vllm:prompt_tokens_total{%s} %g %d\n", ls, k*15*s.queue, ms)
				fmt.Fprintf(&b, "vllm:generation_tokens_total{%s} %g %d\n", ls, k*30*s.queue, ms)
				n := k * 15 * s.queue // requests so far
				for _, le := range []string{"0.5", "2", "+Inf"} {
					f := map[string]float64{"0.5": 0.3, "2": 0.8, "+Inf": 1}[le]
					fmt.Fprintf(&b, "vllm:e2e_request_latency_seconds_bucket{%s,le=%q} %g %d\n", ls, le, n*f, ms)
				}
				fmt.Fprintf(&b, "vllm:e2e_request_latency_seconds_sum{%s} %g %d\n", ls, n*0.9, ms)
				fmt.Fprintf(&b, "vllm:e2e_request_latency_seconds_count{%s} %g %d\n", ls, n, ms)
			}
		}
		return b.String()
	}
	a, b1, b2 := svc{"10.0.0.1:8000", "m1", 3}, svc{"10.0.0.2:8000", "m1", 5}, svc{"10.0.0.2:8000", "m2", 7}
	c1, c2 := svc{"10.0.0.3:8000", "m1", 11}, svc{"10.0.0.3:8000", "m2", 13}
	first := now.Add(-90 * time.Second)
	u := promtest.VictoriaMetrics(t)
	promtest.ImportVM(t, u, []byte(lines(first, now.Add(-15*time.Second), a, b1, b2, c1)))
	src, err := New(Config{URL: u, Timeout: 20 * time.Second, DetailAll: -1})
	if err != nil {
		t.Fatal(err)
	}
	figures := func(f sources.Frame) map[string]float64 {
		out := map[string]float64{}
		for _, p := range f.Points {
			if strings.HasPrefix(p.Series.Name, "svc_") {
				out[p.Series.Key()] = p.Value
			}
		}
		return out
	}
	queue := func(f sources.Frame, host, model string) (float64, bool) {
		for _, p := range f.Points {
			if p.Series.Name == sources.SvcQueueDepth && p.Series.Label(sources.LabelHost) == host && p.Series.Label(sources.LabelService) == model {
				return p.Value, true
			}
		}
		return 0, false
	}
	var f1 sources.Frame
	promtest.Eventually(t, 30*time.Second, "every service's queue", func() bool {
		if f1, err = src.Poll(context.Background(), now); err != nil {
			t.Logf("poll: %v", err)
			return false
		}
		_, ok := queue(f1, "10.0.0.3", "m1")
		return ok
	})
	want := figures(f1)
	// The next polls ask without model_name but for 10.0.0.2.
	f2, err := src.Poll(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	got := figures(f2)
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s: %v (present %v) after the first poll, want %v", k, g, ok, v)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: not in the first poll", k)
		}
	}
	// 10.0.0.3 starts serving m2 too: left out, then apart.
	promtest.ImportVM(t, u, []byte(lines(now, now, a, b1, b2, c1, c2)))
	later := now.Add(time.Second)
	promtest.Eventually(t, 30*time.Second, "10.0.0.3's second model", func() bool {
		f, err := src.Poll(context.Background(), later)
		if err != nil {
			t.Logf("poll: %v", err)
			return false
		}
		q1, ok1 := queue(f, "10.0.0.3", "m1")
		q2, ok2 := queue(f, "10.0.0.3", "m2")
		if ok1 && q1 != 11 || ok2 && q2 != 13 {
			t.Fatalf("10.0.0.3 merged: m1 %v (%v), m2 %v (%v), want 11 and 13 or n/a", q1, ok1, q2, ok2)
		}
		return ok1 && ok2
	})
	if q, ok := queue(f2, "10.0.0.2", "m2"); !ok || q != 7 {
		t.Errorf("10.0.0.2's m2 queue %v (present %v), want 7", q, ok)
	}
}
