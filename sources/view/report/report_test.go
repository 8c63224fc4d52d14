package report

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
)

func sample() Report {
	at := time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)
	return Report{
		Overview: view.Overview{At: at, RateWindow: "1m0s", Services: []view.Service{{Name: "api", Stack: "vllm", Host: "gpu-7",
			Latency: view.Quantiles{P99: view.Some(0.25)}}}},
		Drift:      []DriftRow{DriftRowOf(drift.Row{Feature: "price"}, false)},
		Discovered: []Discovered{{URL: "http://127.0.0.1:8000/metrics", Stacks: []string{"vllm"}}},
		Notes:      []string{},
		Alerts: []Alert{AlertOf(alerts.Alert{Name: "HighErrors", Severity: sources.SevCritical, State: alerts.StateFiring,
			Source: "vigil", Value: math.NaN(), Threshold: 0.05, Labels: []sources.Label{{Name: "service", Value: "api"}}, ActiveAt: at.Add(-time.Minute), Text: "errors\\x1b[31m high"})},
	}
}

// TestWriteText: what no source gives is n/a, and each section has its
// header.
func TestWriteText(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sample(), "text"); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"vigil at 2026-11-25 14:02:00Z, window 1m0s", "SERVICE", "api", "250.0ms", "n/a",
		"DRIFT", "baselining", "ALERT", "HighErrors", "critical", "firing", "DISCOVERED", "vllm"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q:\n%s", want, out)
		}
	}
}

// TestWriteJSON: unknown figures are null, never 0, and the alert keeps
// its labels.
func TestWriteJSON(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, sample(), "json"); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	lat := m["services"].([]any)[0].(map[string]any)["latency_seconds"].(map[string]any)
	if lat["p50"] != nil || lat["p99"] != 0.25 {
		t.Errorf("latency = %v", lat)
	}
	a := m["alerts"].([]any)[0].(map[string]any)
	if a["alertname"] != "HighErrors" || a["labels"].(map[string]any)["service"] != "api" || a["value"] != nil || a["threshold"] != 0.05 {
		t.Errorf("alert = %v", a)
	}
	if d := m["drift"].([]any)[0].(map[string]any); d["level"] != "baselining" || d["ks_d"] != nil {
		t.Errorf("drift = %v", d)
	}
}
