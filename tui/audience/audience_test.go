package audience

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

// TestCostArithmetic: 8 H100 at 2.50/h and 2 A10G at 1.00/h plus 5.00/h
// fixed = 27.00/h, 648.00/day. At 50 req/s (180,000/h) 1,000 requests cost
// 27/180 = 0.15; at 5,000 tok/s (18 M/h) a million tokens cost 27/18 = 1.50.
func TestCostArithmetic(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	var gpus []view.GPU
	for i := range 8 {
		gpus = append(gpus, view.GPU{Index: strconv.Itoa(i), Model: "NVIDIA H100 80GB HBM3"})
	}
	gpus = append(gpus, view.GPU{Index: "8", Model: "NVIDIA A10G"}, view.GPU{Index: "9", Model: "NVIDIA A10G"})
	svcs := []view.Service{{Name: "llm", Throughput: view.Some(30), PromptTPS: view.Some(3000), GenTPS: view.Some(1500)},
		{Name: "api", Throughput: view.Some(20), PromptTPS: view.Some(500)}}
	o := ExecutiveOptions{GPUPrice: map[string]float64{"H100": 2.5, "a10g": 1, "T4": 9, "H100 80GB HBM3": 2.5}, FixedHourly: 5}
	f := Compute(st, t0, svcs, gpus, o)
	if !near(f.Hourly, 27) || !near(f.Daily, 648) || !near(f.Per1kRequests, 0.15) || !near(f.PerMTokens, 1.5) {
		t.Errorf("hourly %v daily %v per1k %v perM %v", f.Hourly, f.Daily, f.Per1kRequests, f.PerMTokens)
	}
	if f.GPUs["NVIDIA H100 80GB HBM3"] != 8 || f.Unpriced != 0 {
		t.Errorf("gpus %v unpriced %d", f.GPUs, f.Unpriced)
	}
	// An unpriced GPU makes the cost n/a, not an undercount.
	g := Compute(st, t0, svcs, append(gpus, view.GPU{Model: "Tesla T4"}), ExecutiveOptions{GPUPrice: map[string]float64{"H100": 2.5, "A10G": 1}})
	if !math.IsNaN(g.Hourly) || !math.IsNaN(g.Per1kRequests) || g.Unpriced != 1 {
		t.Errorf("unpriced: %+v", g)
	}
	// No traffic: per-request cost n/a.
	h := Compute(st, t0, nil, gpus[:1], ExecutiveOptions{DefaultGPUPrice: 3})
	if !near(h.Hourly, 3) || !math.IsNaN(h.Per1kRequests) || !math.IsNaN(h.PerMTokens) {
		t.Errorf("no traffic: %+v", h)
	}
}

// TestUptimeAndSatisfaction: one hour of 10 req/s with 1 error/s for the
// last 6 minutes: the 24 h window holds 3,599 one-second increments (the
// store's samples inside the window), 360 of them with one error each:
// availability = 1 − 360/35,990.
func TestUptimeAndSatisfaction(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{Retention: 2 * time.Hour})
	id := []string{"host", "h", "service", "api", "stack", "http"}
	okS := sources.NewSeries(sources.SvcRequests, sources.Counter, append(id, "outcome", "ok")...)
	errS := sources.NewSeries(sources.SvcRequests, sources.Counter, append(id, "outcome", "error")...)
	up := sources.NewSeries(FeedbackTotal, sources.Counter, "vote", "up")
	down := sources.NewSeries(FeedbackTotal, sources.Counter, "vote", "down")
	var ok, bad float64
	var at time.Time
	for i := 1; i <= 3600; i++ {
		at = t0.Add(time.Duration(i) * time.Second)
		if i > 3600-360 {
			bad++
			ok += 9
		} else {
			ok += 10
		}
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: okS, At: at, Value: ok}, {Series: errS, At: at, Value: bad},
			{Series: up, At: at, Value: float64(i) * 3}, {Series: down, At: at, Value: float64(i)}}})
	}
	svcs := view.Services(st, at, view.Options{})
	f := Compute(st, at, svcs, nil, ExecutiveOptions{})
	want := 1 - 360.0/35990
	if len(f.Uptime) != 3 || !near(f.Uptime[0].Availability, want) || f.Uptime[0].Covered != 3599*time.Second {
		t.Errorf("uptime %+v, want %v over 3599s", f.Uptime, want)
	}
	if !near(f.Satisfaction, 0.75) || !strings.HasPrefix(f.SatisfactionBy, FeedbackTotal) {
		t.Errorf("satisfaction %v by %q", f.Satisfaction, f.SatisfactionBy)
	}
	if !math.IsNaN(f.Hourly) {
		t.Errorf("no prices configured: cost %v, want n/a", f.Hourly)
	}
	e := NewExecutive(ExecutiveOptions{})
	e.SetSize(90, 20)
	e.Refresh(pane.Env{Store: st, Now: at, Zoom: time.Hour})
	v := ansi.Strip(e.View())
	for _, w := range []string{"per hour   n/a", "24h  99.000%", "data covers 59m59s", "75%  from user_feedback_total"} {
		if !strings.Contains(v, w) {
			t.Errorf("executive view lacks %q:\n%s", w, v)
		}
	}
	// Nothing at all: satisfaction and uptime n/a.
	empty := Compute(sources.NewStore(sources.StoreOptions{}), at, nil, nil, ExecutiveOptions{})
	if !math.IsNaN(empty.Satisfaction) || !math.IsNaN(empty.Uptime[0].Availability) {
		t.Errorf("empty: %+v", empty)
	}
}

func rec(sec int, fields map[string]string) sources.LogRecord {
	return sources.LogRecord{At: t0.Add(time.Duration(sec) * time.Second), Fields: sources.FieldsFromMap(fields)}
}

func TestConfidenceAndAccuracy(t *testing.T) {
	var recs []sources.LogRecord
	// Column 0 (0-29 s): confidences 0.1..0.9; column 1 (30-59 s): 0.95 ×5.
	for i := 1; i <= 9; i++ {
		recs = append(recs, rec(i, map[string]string{"prediction.confidence": strconv.FormatFloat(float64(i)/10, 'f', 1, 64)}))
	}
	for i := range 5 {
		recs = append(recs, rec(40+i, map[string]string{"prediction.confidence": "0.95"}))
	}
	cs := ConfidenceOver(recs, "prediction.confidence", t0, t0.Add(time.Minute), 2)
	// Type-7 quantiles of 0.1..0.9: p10 = 0.18, p50 = 0.5, p90 = 0.82.
	if cs.Total != 14 || !near(cs.P10[0], 0.18) || !near(cs.P50[0], 0.5) || !near(cs.P90[0], 0.82) || !near(cs.P50[1], 0.95) || cs.N[1] != 5 {
		t.Errorf("confidence %+v", cs)
	}
	// Accuracy: 3 predictions; labels for two arrive in time (one right),
	// one arrives too late; one prediction still waits.
	acc := []sources.LogRecord{
		rec(0, map[string]string{"request_id": "a", "predicted_class": "cat"}),
		rec(1, map[string]string{"request_id": "b", "predicted_class": "dog"}),
		rec(2, map[string]string{"request_id": "c", "predicted_class": "cat"}),
		rec(100, map[string]string{"request_id": "a", "label": "cat"}),
		rec(200, map[string]string{"request_id": "b", "label": "cat"}),
		rec(5000, map[string]string{"request_id": "c", "label": "cat"}),
		rec(5001, map[string]string{"request_id": "d", "predicted_class": "cat"}),
	}
	a := AccuracyOf(acc, ScientistOptions{LabelField: "label", LabelDelay: time.Hour})
	if a.Joined != 2 || a.Correct != 1 || !near(a.Ratio(), 0.5) || a.Pending != 1 {
		t.Errorf("accuracy %+v", a)
	}
	if n := AccuracyOf(acc, ScientistOptions{}); n.Configured || !math.IsNaN(n.Ratio()) {
		t.Errorf("no label field: %+v", n)
	}

	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{At: t0.Add(time.Minute), Logs: recs})
	m := drift.NewMonitor(drift.Config{})
	s := NewScientist(ScientistOptions{Drift: m})
	s.SetSize(80, 20)
	s.Refresh(pane.Env{Store: st, Now: t0.Add(time.Minute), Zoom: time.Minute})
	v := ansi.Strip(s.View())
	for _, w := range []string{"Drift", "0 features", "Prediction confidence (14 predictions", "p50", "Accuracy", "n/a (no ground-truth label field configured)"} {
		if !strings.Contains(v, w) {
			t.Errorf("scientist view lacks %q:\n%s", w, v)
		}
	}
}
