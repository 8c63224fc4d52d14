package promql

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
)

// TestRealPrometheus starts Debian's Prometheus scraping node-exporter and
// two vigil demo services, reads them through query mode and compares the
// engine's figures with scrape mode reading the first demo directly.
//
// The demo runs on a manual clock, so its counters stand still between the
// two moments the test moves the clock. The windows are aligned: query mode
// evaluates at a scrape of Prometheus' after the move, over a window that
// starts exactly on one of its scrapes before it (Prometheus then has no
// edge to extrapolate to), and scrape mode reads the demo directly before
// and after the move: both see the same increase. Every figure must agree
// within 1 %, except rates (the same increase over Prometheus' scrape times
// and over ours).
func TestRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	promtest.Binary(t, "prometheus")
	node := promtest.NodeExporter(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := sources.NewManualClock(time.Now())
	svc, err := demo.Start(ctx, demo.Options{Seed: 1, Speed: 10, Clock: clock, GPUs: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	du, _ := url.Parse(svc.MetricsURL())
	// A second demo instance makes it a fleet of two hosts.
	svc2, err := demo.Start(ctx, demo.Options{Seed: 2, Speed: 10, GPUs: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer svc2.Close()
	du2, _ := url.Parse(svc2.MetricsURL())
	rules := "groups:\n  - name: vigil-test\n    rules:\n      - alert: VigilTestAlways\n        expr: vector(1)\n        labels: {severity: warning}\n        annotations: {summary: always firing}\n"
	promURL := promtest.Prometheus(t, 500*time.Millisecond, []promtest.Job{
		{Name: "demo", Targets: []string{du.Host, du2.Host}, Path: du.Path},
		{Name: "node", Targets: []string{node}},
	}, rules)

	src, err := New(Config{URL: promURL, Interval: time.Second, Timeout: 5 * time.Second, RateWindow: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	scr := prom.NewScraper(prom.ScrapeConfig{URL: svc.MetricsURL(), Interval: time.Second})
	qStore := sources.NewStore(sources.StoreOptions{Resolution: time.Millisecond})
	sStore := sources.NewStore(sources.StoreOptions{Resolution: time.Millisecond})
	host := du.Host

	scrapeOnce := func() {
		f, err := scr.Poll(ctx, time.Now())
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		sStore.Ingest(f)
	}
	c := src.Client()
	// lastScrape is Prometheus' newest scrape of the first demo.
	lastScrape := func() time.Time {
		rs, err := c.Query(ctx, `timestamp(up{instance="`+host+`"})`, time.Time{})
		if err != nil || len(rs) != 1 {
			return time.Time{}
		}
		return unixSeconds(rs[0].Samples[0].Value)
	}
	// Every target scraped (both demos: two instances of one service on one
	// machine keep their ports only when both are in the answer).
	promtest.Eventually(t, 30*time.Second, "Prometheus scraped every target", func() bool {
		rs, err := c.Query(ctx, `count(up == 1)`, time.Time{})
		return err == nil && len(rs) == 1 && rs[0].Samples[0].Value == 3
	})
	var first, before time.Time
	promtest.Eventually(t, 20*time.Second, "Prometheus scraped the demo twice", func() bool {
		before = lastScrape()
		if first.IsZero() {
			first = before
		}
		return before.After(first)
	})
	scrapeOnce()
	moved := time.Now()
	if before = lastScrape(); !before.Before(moved) {
		t.Fatalf("Prometheus' last scrape %v is not before the move %v", before, moved)
	}
	clock.Advance(20 * time.Second) // 200 scripted seconds at speed 10
	svc.Step()
	var after time.Time
	promtest.Eventually(t, 20*time.Second, "Prometheus scraped the demo after the move", func() bool {
		after = lastScrape()
		return after.After(moved.Add(time.Second))
	})
	scrapeOnce()
	// The window runs from Prometheus' last scrape before the move to its
	// newest after it: both ends on a sample, nothing to extrapolate.
	window := after.Sub(before)
	qsrc, err := New(Config{URL: promURL, Timeout: 5 * time.Second, RateWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	f, err := qsrc.Poll(ctx, after)
	if err != nil {
		t.Fatal(err)
	}
	qStore.Ingest(f)
	// The first poll learned that the fleet is small: the next brings
	// every host's detail (TTFT, ITL) too.
	if f, err = qsrc.Poll(ctx, after); err != nil {
		t.Fatal(err)
	}
	qStore.Ingest(f)

	qs := view.Services(qStore, after, view.Options{RateWindow: window})
	ss := view.Services(sStore, sStore.Newest(), view.Options{RateWindow: 10 * time.Minute})
	if len(ss) < 2 {
		t.Fatalf("scrape mode sees %d services, want the demo's two", len(ss))
	}
	byKey := map[string]view.Service{}
	for _, s := range qs {
		byKey[s.Key()] = s
	}
	for _, s := range ss {
		q, ok := byKey[s.Key()]
		if !ok {
			rs, _ := c.Query(ctx, `up`, after)
			t.Errorf("query mode lacks service %s (has %v; up %v)", s.Key(), keys(qs), rs)
			continue
		}
		within := map[string][2]view.Num{
			"latency p50": {q.Latency.P50, s.Latency.P50}, "latency p95": {q.Latency.P95, s.Latency.P95},
			"latency p99": {q.Latency.P99, s.Latency.P99}, "latency mean": {q.Latency.Mean, s.Latency.Mean},
			"latency count": {q.Latency.Count, s.Latency.Count}, "ttft p50": {q.TTFT.P50, s.TTFT.P50}, "ttft p99": {q.TTFT.P99, s.TTFT.P99},
			"itl p99": {q.ITL.P99, s.ITL.P99}, "error rate": {q.ErrorRate, s.ErrorRate}, "queue depth": {q.QueueDepth, s.QueueDepth},
		}
		for oc, n := range s.Outcomes {
			within["outcome "+oc] = [2]view.Num{q.Outcomes[oc], n}
		}
		for what, p := range within {
			if p[0].OK != p[1].OK || p[0].OK && math.Abs(p[0].V-p[1].V) > 0.01*math.Max(math.Abs(p[0].V), math.Abs(p[1].V))+1e-12 {
				t.Errorf("%s %s: query mode %+v, scrape mode %+v", s.Key(), what, p[0], p[1])
			}
		}
		if !s.Latency.Count.OK || s.Latency.Count.V <= 0 {
			t.Errorf("%s: no traffic between the two moments (%+v)", s.Key(), s.Latency)
		}
		if q.Latency.Basis != view.BasisEngine || q.ErrorBasis != view.BasisEngine {
			t.Errorf("%s: bases %q %q, want engine", s.Key(), q.Latency.Basis, q.ErrorBasis)
		}
		if q.Throughput.OK != s.Throughput.OK || s.Throughput.OK && math.Abs(q.Throughput.V/s.Throughput.V-1) > 0.9 {
			t.Errorf("%s throughput: query %+v scrape %+v", s.Key(), q.Throughput, s.Throughput)
		}
	}
	// node-exporter arrives as host figures, keyed by its uname nodename.
	promtest.Eventually(t, 30*time.Second, "node-exporter read through query mode", func() bool {
		f, err := src.Poll(ctx, time.Now())
		if err == nil {
			qStore.Ingest(f)
		}
		return len(qStore.Select(sources.HostLoad1)) > 0 && len(qStore.Select(sources.HostMemTotal)) > 0 &&
			len(qStore.Select(sources.HostCPUBusy)) > 0 && len(qStore.Select(TargetUp)) == 3
	})
	// The fleet: each demo instance's services under its own host (two
	// demos on one address serve the same services: each keeps its port).
	hosts := map[string]int{}
	for _, s := range view.Services(qStore, qStore.Newest(), view.Options{RateWindow: 10 * time.Second}) {
		hosts[s.Host]++
	}
	if hosts[host] != 2 || hosts[du2.Host] != 2 {
		t.Errorf("services by host %v, want two on each of %s and %s", hosts, host, du2.Host)
	}

	// The rest of the API against the real server.
	ls, err := c.Labels(ctx)
	if err != nil || !slices.Contains(ls, "instance") {
		t.Errorf("labels %v err %v", ls, err)
	}
	names, err := c.LabelValues(ctx, "__name__")
	if err != nil || !slices.Contains(names, "vllm:e2e_request_latency_seconds_bucket") || !slices.Contains(names, "node_load1") {
		t.Errorf("metric names (%d) err %v", len(names), err)
	}
	ser, err := c.Series(ctx, []string{`up{job="demo",instance="` + host + `"}`}, time.Now().Add(-time.Minute), time.Now())
	if err != nil || len(ser) != 1 || ser[0]["instance"] != host {
		t.Errorf("series %v err %v", ser, err)
	}
	rr, err := c.QueryRange(ctx, `up{job="node"}`, time.Now().Add(-2*time.Second), time.Now(), 500*time.Millisecond)
	if err != nil || len(rr) != 1 || len(rr[0].Samples) < 2 {
		t.Errorf("range %v err %v", rr, err)
	}
	if _, err := c.QueryExemplars(ctx, `vllm:e2e_request_latency_seconds_bucket`, time.Now().Add(-time.Minute), time.Now()); err != nil {
		t.Errorf("exemplars: %v", err)
	}
	if _, err := c.Query(ctx, `sum(rate(`, time.Time{}); err == nil || !strings.Contains(err.Error(), "bad_data") {
		t.Errorf("a bad query: %v", err)
	}
	promtest.Eventually(t, 10*time.Second, "the always-firing rule fires", func() bool {
		as, err := c.Alerts(ctx)
		return err == nil && len(as) == 1 && as[0].Labels["alertname"] == "VigilTestAlways" && as[0].State == "firing"
	})
	groups, err := c.Rules(ctx)
	if err != nil || len(groups) != 1 || len(groups[0].Rules) != 1 || groups[0].Rules[0].Type != "alerting" {
		t.Errorf("rules %+v err %v", groups, err)
	}
}

func keys(ss []view.Service) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Key())
	}
	return out
}
