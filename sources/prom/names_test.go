package prom

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

func TestUniqueNames(t *testing.T) {
	cases := []struct {
		what string
		cfgs []ScrapeConfig
		want []string
	}{
		{"one target per host:port keeps the short name",
			[]ScrapeConfig{{URL: "http://a:1/metrics"}, {URL: "http://b:1/other"}},
			[]string{"scrape a:1", "scrape b:1"}},
		{"two paths on one host:port",
			[]ScrapeConfig{{URL: "http://h:9/metrics"}, {URL: "http://h:9/other"}, {URL: "http://g:9"}},
			[]string{"scrape h:9/metrics", "scrape h:9/other", "scrape g:9"}},
		{"the default path counts as /metrics",
			[]ScrapeConfig{{URL: "http://h:9"}, {URL: "http://h:9/federate"}},
			[]string{"scrape h:9/metrics", "scrape h:9/federate"}},
		{"the same URL twice is numbered",
			[]ScrapeConfig{{URL: "http://h:9/metrics"}, {URL: "http://h:9/metrics"}, {URL: "http://h:9/metrics"}},
			[]string{"scrape h:9/metrics", "scrape h:9/metrics #2", "scrape h:9/metrics #3"}},
		{"queries are never shown, and numbered apart",
			[]ScrapeConfig{{URL: "http://h:9/probe?target=a&token=s3cret"}, {URL: "http://h:9/probe?target=b&token=s3cret"}},
			[]string{"scrape h:9/probe?…", "scrape h:9/probe?… #2"}},
		{"a name the config gave is kept; a default equal to it is numbered",
			[]ScrapeConfig{{URL: "http://h:9/metrics", Name: "scrape x:1"}, {URL: "http://x:1/metrics"}},
			[]string{"scrape x:1", "scrape x:1/metrics"}},
	}
	for _, c := range cases {
		var ss []*Scraper
		for _, cfg := range c.cfgs {
			ss = append(ss, NewScraper(cfg))
		}
		UniqueNames(ss)
		seen := map[string]bool{}
		for i, s := range ss {
			if s.Name() != c.want[i] {
				t.Errorf("%s: target %d named %q, want %q", c.what, i, s.Name(), c.want[i])
			}
			if seen[s.Name()] {
				t.Errorf("%s: %q twice", c.what, s.Name())
			}
			seen[s.Name()] = true
			if strings.Contains(s.Name(), "s3cret") {
				t.Errorf("%s: a token in the name %q", c.what, s.Name())
			}
		}
	}
}

// Two targets on one host:port, one failing: each has its own name and its
// own health, at every poll.
func TestTargetsOnOneHostPortHaveTheirOwnHealth(t *testing.T) {
	body := readFixture(t, "vllm.prom")
	port := listenOn(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.Error(w, "no such exporter", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", textCT)
		w.Write(body)
	})
	base := "http://127.0.0.1:" + itoa(port)
	ss := []*Scraper{NewScraper(ScrapeConfig{URL: base + "/metrics"}), NewScraper(ScrapeConfig{URL: base + "/other"})}
	UniqueNames(ss)
	st := sources.NewStore(sources.StoreOptions{})
	clock := sources.NewManualClock(t0)
	hub := sources.NewHub(st, clock)
	for _, s := range ss {
		hub.Add(s)
	}
	for range 5 {
		hub.PollOnce(context.Background())
		got := map[string]view.SourceHealth{}
		for _, h := range view.Health(st, clock.Now()) {
			got[h.Source] = h
		}
		ok, bad := got["scrape 127.0.0.1:"+itoa(port)+"/metrics"], got["scrape 127.0.0.1:"+itoa(port)+"/other"]
		if ok.State != "ok" || ok.Target != base+"/metrics" || ok.Series == 0 {
			t.Fatalf("/metrics: %+v (all: %+v)", ok, got)
		}
		if bad.State != "error" || bad.Target != base+"/other" || !strings.Contains(bad.Error, "500") {
			t.Fatalf("/other: %+v (all: %+v)", bad, got)
		}
		clock.Advance(1e9)
	}
}
