package prom

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

func serve(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestScrapeGzipAndHealth(t *testing.T) {
	body := readFixture(t, "vllm.prom")
	var gotAccept, gotAuth string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		gotAccept, gotAuth = r.Header.Get("Accept"), r.Header.Get("Authorization")
		w.Header().Set("Content-Type", textCT)
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(body)
			zw.Close()
			return
		}
		w.Write(body)
	})
	s := NewScraper(ScrapeConfig{URL: srv.URL + "/metrics", Interval: time.Second, Headers: map[string]string{"Authorization": "Bearer tok"}})
	f, err := s.Poll(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(gotAccept, "text/plain;version=0.0.4") || gotAuth != "Bearer tok" {
		t.Errorf("request headers: Accept %q, Authorization %q", gotAccept, gotAuth)
	}
	h := f.Health
	if h == nil || h.Kind != "scrape" || h.Detail != "vllm" || h.Bytes != len(body) || h.Series == 0 || h.Duration <= 0 || h.Target != srv.URL+"/metrics" {
		t.Fatalf("health: %+v", h)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(f)
	sv := oneService(t, view.Evaluate(st, t0, view.Options{}))
	near(t, "p99", sv.Latency.P99, 19.3643)
	if sv.Host != strings.TrimPrefix(srv.URL, "http://") {
		t.Errorf("host %q", sv.Host)
	}
}

func TestScrapeBadInputs(t *testing.T) {
	big := bytes.Repeat([]byte("# filler comment line to make the body large, 64 bytes long...\n"), 50<<20/64)
	cases := []struct {
		name    string
		handler http.HandlerFunc
		cfg     func(*ScrapeConfig)
		want    string
	}{
		{"garbage", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("\x00\x01{{{ not metrics\n")) }, nil, "parse"},
		{"html with 200", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!doctype html><title>Sign in</title>"))
		}, nil, "HTML page"},
		{"html without content type", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte("\n  <html><body>502 Bad Gateway</body></html>"))
		}, nil, "HTML page"},
		{"truncated", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Write([]byte("vllm:num_requests_running 1\nvllm:num_req"))
		}, nil, "truncated"},
		// The limit, not the clock, must stop it: a race-instrumented read
		// of 16 MiB on a loaded machine can take more than 5 s.
		{"50 MB body", func(w http.ResponseWriter, _ *http.Request) { w.Write(big) },
			func(c *ScrapeConfig) { c.Timeout = time.Minute }, "body larger than the 16 MiB limit"},
		{"small cap", func(w http.ResponseWriter, _ *http.Request) { w.Write(readFixture(t, "vllm.prom")) },
			func(c *ScrapeConfig) { c.MaxBodyBytes = 1000 }, "body larger than the 1000 bytes limit"},
		{"401", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(401)
			w.Write([]byte("bad token s3cret-token"))
		},
			func(c *ScrapeConfig) { c.Headers = map[string]string{"Authorization": "Bearer s3cret-token"} }, "authentication failed (HTTP 401)"},
		{"403", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(403) }, nil, "authentication failed (HTTP 403)"},
		{"500", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) }, nil, "HTTP 500 Internal Server Error"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := serve(t, c.handler)
			cfg := ScrapeConfig{URL: srv.URL + "/metrics?token=s3cret-token", Interval: time.Second, Timeout: 5 * time.Second}
			if c.cfg != nil {
				c.cfg(&cfg)
			}
			s := NewScraper(cfg)
			f, err := s.Poll(context.Background(), t0)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if strings.Contains(err.Error(), "s3cret") || strings.Contains(f.Health.Target, "s3cret") || strings.Contains(s.Name(), "s3cret") {
				t.Errorf("credential echoed: %v / %q", err, f.Health.Target)
			}
			if f.Health == nil || f.Health.Kind != "scrape" {
				t.Errorf("health missing: %+v", f.Health)
			}
			if c.name == "truncated" && len(f.Points) != 0 {
				t.Errorf("truncated body gave points")
			}
		})
	}
}

func TestScrapeNeverAnswers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { <-done; c.Close() }() // accept, read nothing, answer nothing
		}
	}()
	s := NewScraper(ScrapeConfig{URL: "http://" + ln.Addr().String() + "/metrics", Timeout: 200 * time.Millisecond})
	start := time.Now()
	_, err = s.Poll(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "timed out after 200ms") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	// The caller's context wins when it is shorter.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	s2 := NewScraper(ScrapeConfig{URL: "http://" + ln.Addr().String() + "/metrics", Timeout: time.Minute})
	if _, err := s2.Poll(ctx, t0); err == nil {
		t.Fatal("no error past the caller's deadline")
	}
}

func TestScrapeTLS(t *testing.T) {
	body := readFixture(t, "node.prom")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(body) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	_, err := NewScraper(ScrapeConfig{URL: srv.URL + "/metrics"}).Poll(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "TLS certificate rejected") {
		t.Fatalf("untrusted cert: %v", err)
	}
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := NewScraper(ScrapeConfig{URL: srv.URL + "/metrics", CAFile: ca}).Poll(context.Background(), t0)
	if err != nil || f.Health.Detail != "node" {
		t.Fatalf("with CA: %v %+v", err, f.Health)
	}
	if _, err := NewScraper(ScrapeConfig{URL: srv.URL + "/metrics", InsecureSkipVerify: true}).Poll(context.Background(), t0); err != nil {
		t.Fatalf("insecure: %v", err)
	}
	plain := serve(t, func(w http.ResponseWriter, _ *http.Request) { w.Write(body) })
	_, err = NewScraper(ScrapeConfig{URL: strings.Replace(plain.URL, "http://", "https://", 1) + "/metrics"}).Poll(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "TLS handshake failed") {
		t.Fatalf("https to plain http: %v", err)
	}
	_, err = NewScraper(ScrapeConfig{URL: srv.URL, CAFile: filepath.Join(t.TempDir(), "missing.pem")}).Poll(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "CA file") {
		t.Fatalf("missing CA file: %v", err)
	}
}

func TestScrapeConfigErrorsAndBearerFile(t *testing.T) {
	for _, u := range []string{"ftp://x/metrics", "::", "localhost:9100"} {
		if _, err := NewScraper(ScrapeConfig{URL: u}).Poll(context.Background(), t0); err == nil {
			t.Errorf("%q: no error", u)
		}
	}
	var auth string
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		if r.URL.Path != "/metrics" {
			w.WriteHeader(404)
		}
	})
	tok := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tok, []byte("abc\n"), 0o600)
	f, err := NewScraper(ScrapeConfig{URL: srv.URL, BearerTokenFile: tok}).Poll(context.Background(), t0)
	if err != nil || auth != "Bearer abc" || f.Health.Detail != "empty" {
		t.Fatalf("bearer file: %v %q %+v", err, auth, f.Health)
	}
	t.Setenv("VIGIL_TEST_TOKEN", "xyz")
	if _, err := NewScraper(ScrapeConfig{URL: srv.URL, BearerTokenEnv: "VIGIL_TEST_TOKEN"}).Poll(context.Background(), t0); err != nil || auth != "Bearer xyz" {
		t.Fatalf("bearer env: %v %q", err, auth)
	}
	_, err = NewScraper(ScrapeConfig{URL: srv.URL, BearerTokenEnv: "VIGIL_TEST_UNSET"}).Poll(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "VIGIL_TEST_UNSET is empty") {
		t.Fatalf("unset env: %v", err)
	}
}

// TestOneBadTargetLeavesOthers runs a good and a dead target through the hub.
func TestOneBadTargetLeavesOthers(t *testing.T) {
	good := serve(t, func(w http.ResponseWriter, _ *http.Request) { w.Write(readFixture(t, "dcgm.prom")) })
	bad := serve(t, func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(401) })
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, sources.NewManualClock(t0))
	hub.Add(NewScraper(ScrapeConfig{URL: good.URL + "/metrics", Name: "dcgm"}))
	hub.Add(NewScraper(ScrapeConfig{URL: bad.URL + "/metrics", Name: "secured"}))
	hub.PollOnce(context.Background())
	ov := view.Evaluate(st, t0, view.Options{})
	if len(ov.GPUs) != 2 {
		t.Errorf("GPUs from the good target: %d", len(ov.GPUs))
	}
	if len(ov.Sources) != 2 {
		t.Fatalf("sources: %+v", ov.Sources)
	}
	for _, s := range ov.Sources {
		switch s.Source {
		case "dcgm":
			if s.State != "ok" || s.Detail != "dcgm" || s.Series == 0 || s.Bytes == 0 {
				t.Errorf("good target health: %+v", s)
			}
		case "secured":
			if s.State != "error" || s.Error != "authentication failed (HTTP 401)" {
				t.Errorf("bad target health: %+v", s)
			}
		}
	}
}

func TestScrapeOpenMetricsNegotiation(t *testing.T) {
	om := readFixture(t, "vllm_openmetrics.txt")
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.Header.Get("Accept"), "application/openmetrics-text") {
			w.Header().Set("Content-Type", omCT)
			w.Write(om)
			return
		}
		w.Header().Set("Content-Type", textCT)
		io.WriteString(w, "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"llama\"} 4\n")
	})
	f, err := NewScraper(ScrapeConfig{URL: srv.URL, OpenMetrics: true}).Poll(context.Background(), t0)
	if err != nil || len(f.Exemplars) != 2 {
		t.Fatalf("openmetrics: %v, %d exemplars", err, len(f.Exemplars))
	}
	f, err = NewScraper(ScrapeConfig{URL: srv.URL}).Poll(context.Background(), t0)
	if err != nil || len(f.Exemplars) != 0 || len(f.Points) != 1 {
		t.Fatalf("text: %v, %+v", err, f)
	}
}

// An exporter shows a bucket's latest exemplar on every scrape: the frame
// carries it once, and again only after it was replaced and came back.
func TestScrapeExemplarsOnce(t *testing.T) {
	var mu sync.Mutex
	trace := "aaaa"
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tr := trace
		mu.Unlock()
		w.Header().Set("Content-Type", omCT)
		fmt.Fprintf(w, "# TYPE vllm:e2e_request_latency_seconds histogram\n"+
			"vllm:e2e_request_latency_seconds_bucket{model_name=\"m\",le=\"1.0\"} 1 # {trace_id=\"%s\"} 0.5\n"+
			"vllm:e2e_request_latency_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 1\n"+
			"vllm:e2e_request_latency_seconds_count{model_name=\"m\"} 1\n"+
			"vllm:e2e_request_latency_seconds_sum{model_name=\"m\"} 0.5\n# EOF\n", tr)
	})
	sc := NewScraper(ScrapeConfig{URL: srv.URL, OpenMetrics: true})
	want := []string{"aaaa", "", "bbbb", "", "aaaa"}
	for i, w := range want {
		if i == 2 || i == 4 {
			mu.Lock()
			trace = w
			mu.Unlock()
		}
		f, err := sc.Poll(context.Background(), t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			t.Fatalf("scrape %d: %v", i, err)
		}
		got := ""
		for _, e := range f.Exemplars {
			got += e.TraceID
		}
		if got != w {
			t.Errorf("scrape %d: exemplars with trace ids %q, want %q", i, got, w)
		}
	}
}

func TestScrapeConfigYAML(t *testing.T) {
	var cfgs []ScrapeConfig
	err := yaml.Unmarshal([]byte(`
- url: http://127.0.0.1:8000/metrics
  interval: 2s
  timeout: 1500ms
  headers: {X-Scope-OrgID: team-a}
  openmetrics: true
- url: https://gpu-7:9400/metrics
  ca_file: /etc/vigil/ca.pem
  bearer_token_env: DCGM_TOKEN
  max_body_bytes: 1048576
`), &cfgs)
	if err != nil {
		t.Fatal(err)
	}
	want := []ScrapeConfig{
		{URL: "http://127.0.0.1:8000/metrics", Interval: 2 * time.Second, Timeout: 1500 * time.Millisecond, Headers: map[string]string{"X-Scope-OrgID": "team-a"}, OpenMetrics: true},
		{URL: "https://gpu-7:9400/metrics", CAFile: "/etc/vigil/ca.pem", BearerTokenEnv: "DCGM_TOKEN", MaxBodyBytes: 1 << 20},
	}
	if !reflect.DeepEqual(cfgs, want) {
		t.Errorf("got  %+v\nwant %+v", cfgs, want)
	}
}

// TestScrapeRedirects follows a redirect on the same host and refuses one to
// another host, which would carry the scrape's headers along.
func TestScrapeRedirects(t *testing.T) {
	var gotAuth string
	other := serve(t, func(w http.ResponseWriter, r *http.Request) { gotAuth = r.Header.Get("Authorization") })
	srv := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/metrics":
			http.Redirect(w, r, "/real-metrics", http.StatusFound)
		case "/real-metrics":
			w.Write(readFixture(t, "node.prom"))
		case "/away":
			http.Redirect(w, r, other.URL+"/metrics", http.StatusFound)
		}
	})
	f, err := NewScraper(ScrapeConfig{URL: srv.URL + "/metrics"}).Poll(context.Background(), t0)
	if err != nil || f.Health.Detail != "node" {
		t.Fatalf("same-host redirect: %v %+v", err, f.Health)
	}
	_, err = NewScraper(ScrapeConfig{URL: srv.URL + "/away", Headers: map[string]string{"Authorization": "Bearer t"}}).Poll(context.Background(), t0)
	if err == nil || !strings.Contains(err.Error(), "HTTP 302") || gotAuth != "" {
		t.Fatalf("cross-host redirect: %v, other saw %q", err, gotAuth)
	}
}
