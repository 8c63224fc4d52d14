package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Two --scrape targets on one host:port are two sources in --once, each
// with its own name and state (issue: both were "scrape H:P", one shown at
// random, so a failing target could read as ok).
func TestScrapeTargetsOnOneHostPort(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("..", "..", "sources", "prom", "testdata", "vllm.prom"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(body)
	}))
	defer srv.Close()
	hp := strings.TrimPrefix(srv.URL, "http://")
	for range 3 {
		code, out, stderr := runCLI(t, "--scrape", srv.URL+"/metrics", "--scrape", srv.URL+"/other", "--no-discover", "--no-nvml",
			"--otlp-listen", "off", "--once", "--output", "json")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var r struct {
			Sources []struct{ Source, State, Target string } `json:"sources"`
		}
		if err := json.Unmarshal([]byte(out), &r); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		states := map[string]string{}
		for _, s := range r.Sources {
			states[s.Source] = s.State
		}
		if states["scrape "+hp+"/metrics"] != "ok" || states["scrape "+hp+"/other"] != "error" {
			t.Fatalf("sources %+v", r.Sources)
		}
	}
}
