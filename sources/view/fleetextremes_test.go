package view

import (
	"testing"
	"time"
)

// TestFleetExtremes: the hottest GPU, deepest queue, highest error ratio and
// slowest p99, graded by the limits the fleet ranks hosts with; keep
// narrows them to some hosts; ties go to the first host by name.
func TestFleetExtremes(t *testing.T) {
	ov := Overview{
		GPUs: []GPU{
			{Host: "b", Index: "0", Temp: Some(80)},
			{Host: "a", Index: "3", Temp: Some(80)},
			{Host: "c", Index: "1", Temp: Some(90)},
			{Host: "d", Index: "2"},
		},
		Services: []Service{
			{Host: "a", Name: "api", ErrorRate: Some(0.006), ErrorTarget: 0.01, QueueDepth: Some(12), Latency: Quantiles{P99: Some(1.7)}},
			{Host: "b", Name: "chat", ErrorRate: Some(0.02), ErrorTarget: 0.01, QueueDepth: Some(40), Latency: Quantiles{P99: Some(3)}},
			{Host: "c", Name: "embed", ErrorRate: Some(0.001), QueueDepth: Some(1)},
		},
	}
	o := Options{LatencySLO: map[string]time.Duration{"api": 2 * time.Second}}
	e := EvaluateFleetExtremes(ov, o, nil)
	check := func(what string, x FleetExtreme, host, name string, v float64, sev string) {
		t.Helper()
		if !x.Value.OK || x.Host != host || x.What != name || x.Value.V != v || x.Severity != sev {
			t.Errorf("%s: %+v, want %s %s %v %s", what, x, host, name, v, sev)
		}
	}
	check("hottest", e.Temp, "c", "GPU 1", 90, SevCritical)
	check("queue", e.Queue, "b", "chat", 40, SevCritical)
	check("errors", e.Errors, "b", "chat", 0.02, SevCritical)
	check("p99", e.P99, "b", "chat", 3, SevNA) // chat has no SLO

	keep := func(h string) bool { return h != "b" && h != "c" }
	e = EvaluateFleetExtremes(ov, o, keep)
	check("hottest of a", e.Temp, "a", "GPU 3", 80, SevWarning)
	check("queue of a", e.Queue, "a", "api", 12, SevWarning)
	check("errors of a", e.Errors, "a", "api", 0.006, SevWarning)
	check("p99 of a", e.P99, "a", "api", 1.7, SevWarning) // above 80 % of its 2 s SLO

	// Ties go to the first host by name, whatever the order.
	e = EvaluateFleetExtremes(ov, o, func(h string) bool { return h != "c" })
	check("tie", e.Temp, "a", "GPU 3", 80, SevWarning)

	if e := EvaluateFleetExtremes(Overview{}, o, nil); e.Temp.Value.OK || e.Queue.Value.OK || e.Errors.Value.OK || e.P99.Value.OK {
		t.Errorf("an empty fleet has extremes: %+v", e)
	}
	if s := GPUTempSeverity(74.9, Options{}); s != SevOK {
		t.Errorf("74.9 °C: %s", s)
	}
	if s := GPUTempSeverity(85, Options{}); s != SevCritical {
		t.Errorf("85 °C: %s", s)
	}
}
