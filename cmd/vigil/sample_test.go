package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sample is the recording of the demo's incident timeline named in the README.
var sample = filepath.Join("..", "..", "testdata", "demo-incident.vrec")

// TestSampleRecording replays the committed recording headless: its info
// lists the incidents' alerts, and --once inside the error burst shows the
// burst, the critical alert, and --fail-on critical exits 3; before the
// incidents it exits 0.
func TestSampleRecording(t *testing.T) {
	code, out, errOut := runCLI(t, "replay", sample, "--info", "--output", "json")
	if code != 0 {
		t.Fatalf("--info: exit %d: %s", code, errOut)
	}
	var info struct {
		From    time.Time `json:"from"`
		Markers []struct {
			At   time.Time `json:"at"`
			Text string    `json:"text"`
		} `json:"markers"`
	}
	if err := json.Unmarshal([]byte(out), &info); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	var burst time.Time
	for _, m := range info.Markers {
		for _, k := range []string{"p99 latency", "error rate", "drifted", "temperature", "XID"} {
			if strings.Contains(m.Text, k) {
				kinds[k] = true
			}
		}
		if burst.IsZero() && strings.Contains(m.Text, "error rate") {
			burst = m.At
		}
	}
	if len(kinds) != 5 {
		t.Fatalf("want alerts for every scripted incident, got %v", kinds)
	}
	at := burst.Add(3 * time.Second).Format(time.RFC3339Nano)
	code, out, errOut = runCLI(t, "replay", sample, "--once", "--at", at, "--output", "json", "--fail-on", "critical")
	if code != 3 {
		t.Fatalf("--once in the error burst: exit %d, want 3: %s", code, errOut)
	}
	var r struct {
		Services []struct {
			Name      string   `json:"service"`
			ErrorRate *float64 `json:"error_rate"`
		} `json:"services"`
		Alerts []struct {
			Name     string `json:"alertname"`
			Severity string `json:"severity"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(bytes.NewReader([]byte(out))).Decode(&r); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, s := range r.Services {
		if s.Name == "recsys" && s.ErrorRate != nil && *s.ErrorRate > 0.02 {
			found = true
		}
	}
	if !found {
		t.Errorf("recsys error rate in the burst: %+v", r.Services)
	}
	crit := false
	for _, a := range r.Alerts {
		crit = crit || a.Name == "ErrorRateHigh" && a.Severity == "critical"
	}
	if !crit {
		t.Errorf("alerts in the burst: %+v", r.Alerts)
	}
	code, _, errOut = runCLI(t, "replay", sample, "--once", "--at", info.From.Add(5*time.Second).Format(time.RFC3339Nano), "--fail-on", "critical")
	if code != 0 {
		t.Fatalf("--once before the incidents: exit %d: %s", code, errOut)
	}
}
