package report

import (
	"bufio"
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

// TestWriteJSONAsEncoder: the JSON report is byte for byte what
// json.Encoder with a two-space indent writes (strings with escapes,
// brackets and colons inside them, empty objects and arrays).
func TestWriteJSONAsEncoder(t *testing.T) {
	r := sample()
	r.Notes = append(r.Notes, `a "quoted" {note}: [with], \ and <html> & `+"\u2028")
	var got, want bytes.Buffer
	if err := Write(&got, r, "json"); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&want)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("differs from json.Encoder:\n%s\nwant\n%s", got.String(), want.String())
	}
	for _, v := range []any{map[string]any{}, []int{}, map[string]any{"a": []any{}, "b": map[string]any{}, "c": []any{1, "x,y", map[string]any{}}}} {
		got.Reset()
		want.Reset()
		b, _ := json.Marshal(v)
		bw := bufio.NewWriter(&got)
		indentJSON(bw, b)
		bw.Flush()
		if err := json.Indent(&want, b, "", "  "); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() {
			t.Errorf("%s: %s, want %s", b, got.String(), want.String())
		}
	}
}
