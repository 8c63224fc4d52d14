package alerts

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// svcSim feeds a service's counters and latency histogram second by second.
type svcSim struct {
	st              *sources.Store
	host, svc, stk  string
	op              string // the operation label, "" for none
	ok, errs        float64
	buckets         []float64 // cumulative counts per bound
	bounds          []float64
	count, sum      float64
	reqPerSec       float64
	errShare        float64 // share of requests that fail
	latency         float64 // every request's latency this second, s
	latencyBoundsOf func(float64) int
}

func newSvcSim(st *sources.Store) *svcSim {
	b := []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, math.Inf(1)}
	return &svcSim{st: st, host: "h1", svc: "api", stk: "http", reqPerSec: 100, latency: 0.05, bounds: b, buckets: make([]float64, len(b))}
}

func (s *svcSim) step(at time.Time) {
	n := s.reqPerSec
	e := n * s.errShare
	s.ok += n - e
	s.errs += e
	for i, b := range s.bounds {
		if s.latency <= b {
			s.buckets[i] += n
		}
	}
	s.count += n
	s.sum += n * s.latency
	id := []string{"host", s.host, "service", s.svc, "stack", s.stk}
	if s.op != "" {
		id = append(id, "operation", s.op)
	}
	f := sources.Frame{At: at}
	f.Points = append(f.Points,
		sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter, append(id, "outcome", "ok")...), At: at, Value: s.ok},
		sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter, append(id, "outcome", "error")...), At: at, Value: s.errs})
	h := sources.Histogram{Series: sources.NewSeries(sources.SvcLatency, sources.Counter, id...), At: at, Count: s.count, Sum: s.sum}
	for i, b := range s.bounds {
		h.Buckets = append(h.Buckets, sources.Bucket{UpperBound: b, Count: s.buckets[i]})
	}
	f.Histograms = append(f.Histograms, h)
	s.st.Ingest(f)
}

// run advances second by second from..to (exclusive of from), feeding
// then evaluating, and returns every transition with its time.
func run(e *Engine, from time.Time, secs int, feed func(at time.Time, i int)) []Transition {
	var out []Transition
	for i := 1; i <= secs; i++ {
		at := from.Add(time.Duration(i) * time.Second)
		feed(at, i)
		out = append(out, e.Eval(at)...)
	}
	return out
}

func only(ts []Transition, rule string) []Transition {
	var out []Transition
	for _, t := range ts {
		if t.Alert.Name == rule {
			out = append(out, t)
		}
	}
	return out
}

func describe(ts []Transition, base time.Time) string {
	var b []string
	for _, t := range ts {
		b = append(b, fmt.Sprintf("%s→%s@%s", t.Alert.Name, t.To, t.At.Sub(base)))
	}
	return strings.Join(b, " ")
}

func TestErrorRateForAndResolve(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	sim := newSvcSim(st)
	e := New(st, Options{})
	// 60 s calm, 5 min at 5 % errors, then calm again.
	ts := run(e, t0, 900, func(at time.Time, i int) {
		sim.errShare = 0
		if i > 60 && i <= 360 {
			sim.errShare = 0.05
		}
		sim.step(at)
	})
	got := only(ts, RuleErrorRate)
	if len(got) != 3 || got[0].To != StatePending || got[1].To != StateFiring || got[2].To != StateResolved {
		t.Fatalf("transitions %s", describe(got, t0))
	}
	// Errors start at 61 s. The 1-minute window's ratio passes 1 % at
	// ~73 s, but the alert starts only once the ratio is over the target
	// beyond sampling noise (Wilson lower bound > 1 %): at 75 s the window
	// holds 75 errors in 5,900 requests (1.27 %, lower bound ~1.0 %).
	if d := got[0].At.Sub(t0); d < 74*time.Second || d > 77*time.Second {
		t.Errorf("pending at %s, want ~75 s", d)
	}
	if d := got[1].At.Sub(got[0].At); d != 2*time.Minute {
		t.Errorf("fired %s after pending, want exactly the 2 min for:", d)
	}
	// Errors stop after 360 s; the ratio falls under the release level
	// (0.9 %) when less than 0.9/5 of the window still has errors:
	// 360 + 60·(1 − 0.18) ≈ 409 s.
	if d := got[2].At.Sub(t0); d < 405*time.Second || d > 412*time.Second {
		t.Errorf("resolved at %s, want ~409 s", d)
	}
	if got[1].Alert.ActiveAt != got[0].At {
		t.Errorf("firing alert's start %v, want the pending start %v", got[1].Alert.ActiveAt, got[0].At)
	}
	ev := got[1].Event()
	if ev.Kind != "alert" || ev.Severity != sources.SevCritical || labelOf(ev.Labels, sources.LabelAlertState) != "firing" || labelOf(ev.Labels, "service") != "api" || labelOf(ev.Labels, "alertname") != RuleErrorRate {
		t.Errorf("event %+v", ev)
	}
	if len(e.Active()) != 0 {
		t.Errorf("active after resolve: %+v", e.Active())
	}
	if h := e.History(); len(h) < 3 {
		t.Errorf("history %d", len(h))
	}
}

func labelOf(ls []sources.Label, n string) string {
	for _, l := range ls {
		if l.Name == n {
			return l.Value
		}
	}
	return ""
}

// TestNoFlapping: a value oscillating ±5 % around the threshold every
// tick goes pending once and fires once, and never resolves while it does.
func TestNoFlapping(t *testing.T) {
	cases := []struct {
		name, expr string
		thr        float64
		series     string
	}{
		{"above", "gpu_temperature_celsius > 80", 80, sources.GPUTemperature},
		{"below", "gpu_utilization_ratio < 0.5", 0.5, sources.GPUUtilization},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st := sources.NewStore(sources.StoreOptions{})
			r, err := RuleConfig{Alert: "Osc", Expr: c.expr, For: "1m"}.Rule()
			if err != nil {
				t.Fatal(err)
			}
			e := New(st, Options{NoDefault: true, Rules: []Rule{r}})
			ser := sources.NewSeries(c.series, sources.Gauge, "host", "h", "gpu", "0")
			bad := 1.05
			if c.name == "below" {
				bad = 0.95
			}
			ts := run(e, t0, 600, func(at time.Time, i int) {
				v := c.thr * bad
				if i%2 == 0 {
					v = c.thr * (2 - bad)
				}
				st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: ser, At: at, Value: v}}})
			})
			if len(ts) != 2 || ts[0].To != StatePending || ts[1].To != StateFiring {
				t.Fatalf("oscillating ±5%%: %s", describe(ts, t0))
			}
			if d := ts[1].At.Sub(ts[0].At); d != time.Minute {
				t.Errorf("fired after %s, want 1m", d)
			}
			// Past the release level it resolves.
			more := run(e, t0.Add(600*time.Second), 3, func(at time.Time, i int) {
				v := c.thr * 0.85
				if c.name == "below" {
					v = c.thr * 1.15
				}
				st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: ser, At: at, Value: v}}})
			})
			if len(more) != 1 || more[0].To != StateResolved {
				t.Errorf("past the release level: %s", describe(more, t0))
			}
		})
	}
}

func TestGPURules(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	e := New(st, Options{})
	id := []string{"host", "g1", "gpu", "3", "uuid", "GPU-x", "model", "H100"}
	temp := sources.NewSeries(sources.GPUTemperature, sources.Gauge, id...)
	thr := sources.NewSeries(sources.GPUThrottle, sources.Gauge, id...)
	xid := sources.NewSeries(sources.GPUXIDLast, sources.Gauge, id...)
	ecc := sources.NewSeries(sources.GPUECCErrors, sources.Counter, append(id, "type", "uncorrected")...)
	ts := run(e, t0, 900, func(at time.Time, i int) {
		tv, mask, code, eccN := 70.0, 0.0, 0.0, 0.0
		if i > 100 && i <= 300 {
			tv = 88
			mask = view.ThrottleSWThermal
		}
		if i > 400 {
			code = 13 // XID at 401 s; DCGM keeps the last code
		}
		if i > 500 {
			eccN = 2 // an uncorrected ECC error at 501 s
		}
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{
			{Series: temp, At: at, Value: tv}, {Series: thr, At: at, Value: mask},
			{Series: xid, At: at, Value: code}, {Series: ecc, At: at, Value: eccN}}})
	})
	check := func(rule string, want ...string) {
		t.Helper()
		got := only(ts, rule)
		var s []string
		for _, g := range got {
			s = append(s, fmt.Sprintf("%s@%d", g.To, int(g.At.Sub(t0).Seconds())))
			if g.Alert.Label("gpu") != "3" || g.Alert.Label("host") != "g1" {
				t.Errorf("%s labels %v", rule, g.Alert.Labels)
			}
		}
		if strings.Join(s, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %v, want %v", rule, s, want)
		}
	}
	check(RuleGPUTemperature, "pending@101", "firing@161", "resolved@301")
	check(RuleGPUThrottle, "pending@101", "firing@161", "resolved@301")
	check(RuleXID, "firing@401", "resolved@701")
	check(RuleECC, "firing@501", "resolved@800")
}

func TestXIDEventAndSourceDownAndDrift(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	drifting := map[string]bool{}
	e := New(st, Options{Drift: func(time.Time) []string {
		var out []string
		for f, on := range drifting {
			if on {
				out = append(out, f)
			}
		}
		return out
	}})
	ts := run(e, t0, 400, func(at time.Time, i int) {
		h := &sources.Health{Source: "scrape a", Kind: "scrape", State: sources.HealthOK, LastOK: at, At: at, Interval: time.Second}
		if i > 50 && i <= 200 {
			h.State, h.Err, h.LastOK = sources.HealthError, "connection refused", t0.Add(50*time.Second)
		}
		f := sources.Frame{At: at, Health: h}
		if i == 20 {
			f.Events = append(f.Events, sources.Event{At: at, Kind: "xid", Severity: sources.SevCritical,
				Labels: []sources.Label{{Name: "gpu", Value: "1"}, {Name: "host", Value: "local"}, {Name: "xid", Value: "79"}}, Text: "XID 79"})
		}
		drifting["price"] = i > 250 && i <= 300
		st.Ingest(f)
	})
	x := only(ts, RuleXID)
	if len(x) != 2 || x[0].At.Sub(t0) != 20*time.Second || x[1].At.Sub(t0) != 320*time.Second || !strings.Contains(x[0].Alert.Text, "XID 79") {
		t.Errorf("xid: %s %v", describe(x, t0), x)
	}
	sd := only(ts, RuleSourceDown)
	if len(sd) != 3 || sd[0].At.Sub(t0) != 51*time.Second || sd[1].At.Sub(t0) != 111*time.Second || sd[2].At.Sub(t0) != 201*time.Second {
		t.Errorf("source down: %s", describe(sd, t0))
	} else if sd[1].Alert.Label(sources.LabelSourceName) != "scrape a" || sd[1].Alert.Subject() != "scrape a" || sd[1].Alert.Text != "down: connection refused" {
		t.Errorf("source down alert %+v", sd[1].Alert)
	}
	dr := only(ts, RuleDrift)
	if len(dr) != 2 || dr[0].At.Sub(t0) != 251*time.Second || dr[1].At.Sub(t0) != 301*time.Second || dr[0].Alert.Label("feature") != "price" {
		t.Errorf("drift: %s", describe(dr, t0))
	}
}

func TestLatencySLO(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	sim := newSvcSim(st)
	e := New(st, Options{SLOs: map[string]SLO{"api": {Latency: 0.5}}})
	ts := run(e, t0, 1200, func(at time.Time, i int) {
		sim.latency = 0.05
		if i > 60 && i <= 800 {
			sim.latency = 2 // p99 in (1, 2.5]
		}
		sim.step(at)
	})
	w, c := only(ts, RuleLatencyWarning), only(ts, RuleLatencyCritical)
	if len(w) != 3 || len(c) != 3 {
		t.Fatalf("warning %s; critical %s", describe(w, t0), describe(c, t0))
	}
	if w[1].At.Sub(w[0].At) != 5*time.Minute || c[1].At.Sub(c[0].At) != 10*time.Minute {
		t.Errorf("for: warning %s critical %s", w[1].At.Sub(w[0].At), c[1].At.Sub(c[0].At))
	}
	if w[1].Alert.Severity != sources.SevWarning || c[1].Alert.Severity != sources.SevCritical {
		t.Error("severities")
	}
	if w[2].At.Before(t0.Add(800*time.Second)) || w[2].At.After(t0.Add(860*time.Second)) {
		t.Errorf("resolved at %s, want within the minute after 800 s", w[2].At.Sub(t0))
	}
}

func TestPollEmitsEvents(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	e := New(st, Options{})
	ser := sources.NewSeries(sources.GPUXIDLast, sources.Gauge, "host", "h", "gpu", "0")
	st.Ingest(sources.Frame{At: t0, Points: []sources.Point{{Series: ser, At: t0, Value: 0}}})
	if _, err := e.Poll(context.Background(), t0); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(time.Second)
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: ser, At: at, Value: 48}}})
	f, err := e.Poll(context.Background(), at)
	if err != nil || len(f.Events) != 1 || f.Events[0].Kind != "alert" || f.Events[0].Severity != sources.SevCritical {
		t.Fatalf("frame %+v err %v", f, err)
	}
	st.Ingest(f)
	if evs := st.Events(t0, at, 10); len(evs) != 1 {
		t.Errorf("store events %v", evs)
	}
	sev, any := Worst(e.Active())
	if !any || sev != sources.SevCritical {
		t.Errorf("worst %v %v", sev, any)
	}
}

// TestNoDataHolds: a firing alert whose value goes n/a (the service's
// traffic stops) holds for StaleAfter, then resolves; data back in time
// keeps it firing without a new transition.
func TestNoDataHolds(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	sim := newSvcSim(st)
	e := New(st, Options{NoDefault: true, Rules: []Rule{DefaultRules(false)[0]}})
	ts := run(e, t0, 1200, func(at time.Time, i int) {
		sim.errShare = 0.05
		sim.reqPerSec = 100
		switch {
		case i > 300 && i <= 420: // 2 min without traffic: n/a
			sim.reqPerSec = 0
		case i > 600: // traffic stops for good
			sim.reqPerSec = 0
		}
		sim.step(at)
	})
	if len(ts) != 3 || ts[0].To != StatePending || ts[1].To != StateFiring || ts[2].To != StateResolved {
		t.Fatalf("%s", describe(ts, t0))
	}
	// The ratio goes n/a once the 1 min window holds no requests (660 s);
	// it resolves StaleAfter later.
	if d := ts[2].At.Sub(t0); d < 955*time.Second || d > 965*time.Second {
		t.Errorf("resolved at %s, want ~660 s + 5 min", d)
	}
}

func TestWilsonGate(t *testing.T) {
	// Worked values (z = 2): 3/300 → 0.334 %; 300/30,000 → 0.891 %.
	for _, c := range []struct{ k, n, want float64 }{{3, 300, 0.0033389}, {300, 30000, 0.0089146}, {0, 100, 0}} {
		if got := WilsonLower(c.k, c.n); math.Abs(got-c.want) > 1e-6 {
			t.Errorf("WilsonLower(%v, %v) = %v, want %v", c.k, c.n, got, c.want)
		}
	}
	if !math.IsNaN(WilsonLower(0, 0)) {
		t.Error("no trials: n/a")
	}
	// 5 req/s with 1.5 % errors (3 in a 200-request window now and then):
	// over the 1 % target as a point estimate, not beyond noise: no alert.
	st := sources.NewStore(sources.StoreOptions{})
	sim := newSvcSim(st)
	sim.reqPerSec = 5
	sim.errShare = 0.015
	e := New(st, Options{})
	if ts := only(run(e, t0, 600, func(at time.Time, i int) { sim.step(at) }), RuleErrorRate); len(ts) != 0 {
		t.Errorf("noise alerted: %s", describe(ts, t0))
	}
}

func TestEvalRange(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	ser := sources.NewSeries(sources.GPUTemperature, sources.Gauge, "host", "h", "gpu", "0")
	for i := 0; i <= 120; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: ser, At: at, Value: 90}}})
	}
	// A fresh engine at the end sees the heat only now: pending.
	if ts := New(st, Options{}).Eval(t0.Add(120 * time.Second)); len(ts) != 1 || ts[0].To != StatePending {
		t.Errorf("fresh: %s", describe(ts, t0))
	}
	// Over the history it went pending at 0 s and fired at 60 s.
	ts := New(st, Options{}).EvalRange(t0, t0.Add(120*time.Second), 5*time.Second)
	if len(ts) != 2 || ts[0].At != t0 || ts[1].To != StateFiring || ts[1].At != t0.Add(time.Minute) {
		t.Errorf("range: %s", describe(ts, t0))
	}
}
