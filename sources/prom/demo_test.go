package prom_test

import (
	"context"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/view"
)

// TestDemoService scrapes the embedded demo service twice, 15 s apart on its
// clock: its vLLM-shaped engine (with vLLM's HTTP status counts) and its
// recommendation API (generic HTTP names, service="recsys") must both map.
func TestDemoService(t *testing.T) {
	clk := sources.NewManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	svc, err := demo.Start(context.Background(), demo.Options{Seed: 1, Clock: clk, Dir: t.TempDir(), GPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	st := sources.NewStore(sources.StoreOptions{})
	text := prom.NewScraper(prom.ScrapeConfig{URL: svc.MetricsURL(), Name: "demo"})
	om := prom.NewScraper(prom.ScrapeConfig{URL: svc.MetricsURL(), Name: "demo-om", OpenMetrics: true})
	var exemplars int
	for i := 0; i < 2; i++ {
		if i > 0 {
			clk.Advance(15 * time.Second)
		}
		f, err := text.Poll(context.Background(), clk.Now())
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		if f.Health.Detail != "http,vllm" {
			t.Errorf("recognised %q", f.Health.Detail)
		}
		st.Ingest(f)
		g, err := om.Poll(context.Background(), clk.Now())
		if err != nil {
			t.Fatalf("openmetrics scrape %d: %v", i, err)
		}
		exemplars += len(g.Exemplars)
	}
	if exemplars == 0 {
		t.Error("no exemplars through OpenMetrics")
	}
	ov := view.Evaluate(st, clk.Now(), view.Options{RateWindow: time.Minute})
	if len(ov.Services) != 2 {
		t.Fatalf("services %+v", ov.Services)
	}
	for _, s := range ov.Services {
		switch s.Stack {
		case prom.StackVLLM, prom.StackHTTP:
		default:
			t.Errorf("unexpected stack %q", s.Stack)
		}
		if s.Stack == prom.StackHTTP && s.Name != "recsys" {
			t.Errorf("http service %q", s.Name)
		}
		if !s.Throughput.OK || s.Throughput.V <= 0 {
			t.Errorf("%s: throughput %v", s.Name, s.Throughput)
		}
		if !s.Latency.P50.OK || s.Latency.Basis != view.BasisWindow {
			t.Errorf("%s: latency %+v", s.Name, s.Latency)
		}
		if !s.ErrorRate.OK || s.ErrorBasis != view.BasisWindow {
			t.Errorf("%s: error rate %v (%s)", s.Name, s.ErrorRate, s.ErrorBasis)
		}
		if s.Stack == prom.StackVLLM {
			if _, ok := s.Outcomes["client_error"]; !ok {
				t.Errorf("vLLM error basis is not its HTTP status counts: %v", s.Outcomes)
			}
			if !s.TTFT.P50.OK || !s.KVCache.OK || !s.GenTPS.OK {
				t.Errorf("vLLM figures missing: %+v", s)
			}
		}
	}
}
