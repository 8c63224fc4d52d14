package alerts

import (
	"context"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
)

// poll runs the engine as the hub does: Poll, then the frame into the store.
func poll(t *testing.T, e *Engine, st *sources.Store, at time.Time) []sources.Event {
	t.Helper()
	f, err := e.Poll(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	st.Ingest(f)
	return f.Events
}

func keys(as []Alert) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Name+"{"+labelsKey(a.Labels)[1:]+"}="+a.State+"/"+a.Source)
	}
	sort.Strings(out)
	return strings.ReplaceAll(strings.Join(out, " "), "\x00", ",")
}

// TestSourceDownKeptApart is the console seen in the field: a scrape target
// killed while watched, beside a receiver whose health flickers (pending →
// inactive every few seconds). Each source's SourceDown is its own alert
// (keyed by its full label set): the receiver's inactive transitions never
// end the scrape target's firing alert, in the store's events as in the
// engine.
func TestSourceDownKeptApart(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	e := New(st, Options{NoDefault: true, Rules: []Rule{DefaultRules(false)[7]}})
	if e.Rules()[0].Name != RuleSourceDown {
		t.Fatalf("rule %s", e.Rules()[0].Name)
	}
	scrape, otlp := "scrape 127.0.0.1:39551", "otlp 127.0.0.1:4318"
	var lastOTLP time.Time
	inactive := 0
	for i := 1; i <= 200; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		h := &sources.Health{Source: scrape, Kind: "scrape", State: sources.HealthOK, LastOK: at, At: at, Interval: time.Second}
		if i > 20 { // killed at 20 s
			h.State, h.Err, h.LastOK = sources.HealthError, "connect: connection refused", t0.Add(20*time.Second)
		}
		st.Ingest(sources.Frame{At: at, Health: h})
		if i%7 == 1 { // a stream reporting every 7 s: stale between reports
			lastOTLP = at
			st.Ingest(sources.Frame{At: at, Health: &sources.Health{Source: otlp, Kind: "traces", State: sources.HealthOK, LastOK: at, At: at}})
		}
		for _, ev := range poll(t, e, st, at) {
			if sources.LabelValue(ev.Labels, sources.LabelSourceName) == otlp && sources.AlertState(ev.Labels) == StateInactive {
				inactive++
			}
		}
		active := ActiveIn(st, at)
		if got, want := keys(active), keys(e.Active()); got != want {
			t.Fatalf("at %ds the events say %s, the engine %s", i, got, want)
		}
		if i > 80 { // fired at 80 s (for: 1m)
			fs := Firing(active)
			if len(fs) != 1 || fs[0].Subject() != scrape || fs[0].Text != "down: connect: connection refused" {
				t.Fatalf("at %ds (receiver last reported %s ago): firing %s", i, at.Sub(lastOTLP), keys(active))
			}
		}
	}
	if inactive < 10 {
		t.Fatalf("the receiver went back to inactive %d times: the case is not exercised", inactive)
	}
}

// TestIdleSourceIsUp: a receiver that is listening with nobody sending
// reports idle; it never raises SourceDown and never goes stale.
func TestIdleSourceIsUp(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	e := New(st, Options{})
	for i := 1; i <= 600; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		if i%5 == 1 {
			st.Ingest(sources.Frame{At: at, Health: &sources.Health{Source: "otlp 127.0.0.1:4318", Kind: "traces", State: sources.HealthIdle, LastOK: at, At: at}})
		}
		if evs := poll(t, e, st, at); len(evs) != 0 {
			t.Fatalf("at %ds: %+v", i, evs)
		}
		if hs := view.Health(st, at); len(hs) != 2 || hs[1].Source != "otlp 127.0.0.1:4318" || hs[1].State != "idle" {
			t.Fatalf("at %ds: health %+v", i, hs)
		}
	}
	// The same receiver in error is down.
	at := t0.Add(601 * time.Second)
	st.Ingest(sources.Frame{At: at, Health: &sources.Health{Source: "otlp 127.0.0.1:4318", Kind: "traces", State: sources.HealthError, Err: "listen tcp 127.0.0.1:4318: bind: address already in use", At: at}})
	if evs := poll(t, e, st, at); len(evs) != 1 || sources.AlertState(evs[0].Labels) != StatePending {
		t.Fatalf("a receiver in error: %+v", evs)
	}
}

// TestEverySourceDownInTheConsole: a scrape target killed while a hub polls
// it raises SourceDown from the store's events (what the console shows)
// and in Settle (what --once prints): one rule, one identity.
func TestEverySourceDownInTheConsole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("# TYPE up gauge\nup 1\n"))
	}))
	clock := sources.NewManualClock(time.Now())
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, clock)
	scr := prom.NewScraper(prom.ScrapeConfig{URL: srv.URL + "/metrics", Interval: time.Second})
	hub.Add(scr)
	e := New(st, Options{ForScale: 0.01})
	hub.Add(e)
	ctx := context.Background()
	step := func() time.Time {
		clock.Advance(time.Second)
		hub.PollOnce(ctx)
		return clock.Now()
	}
	for range 3 {
		step()
	}
	if as := ActiveIn(st, clock.Now()); len(as) != 0 {
		t.Fatalf("before the kill: %s", keys(as))
	}
	srv.Close() // killed
	var fired []Alert
	for i := 0; i < 10 && len(fired) == 0; i++ {
		fired = Firing(ActiveIn(st, step()))
	}
	if len(fired) != 1 || fired[0].Name != RuleSourceDown || fired[0].Subject() != scr.Name() || !strings.HasPrefix(fired[0].Text, "down: ") {
		t.Fatalf("console: %s", keys(fired))
	}
	once := e.Settle(clock.Now())
	if len(once) != 1 || once[0].Key() != fired[0].Key() || once[0].State != StateFiring {
		t.Fatalf("--once: %s, console: %s", keys(once), keys(fired))
	}
}

// TestLifetimeFiguresRaiseNothing: an exporter that has served slow
// requests in its past shows, at the first scrape, a lifetime p99 of ~98 s
// and a lifetime error ratio of 50 %, while the present is fast and clean.
// No rule — built-in or configured — alerts on those figures. Later, a
// present that is really slow does alert (the rules are live).
func TestLifetimeFiguresRaiseNothing(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	sim := newSvcSim(st)
	sim.stk = "vllm" // p99 objective 60 s
	// The past: 10,000 requests, 5 % of them at 100 s, half of them failed.
	for i, b := range sim.bounds {
		if b >= 1 {
			sim.buckets[i] += 9500
		}
		if b >= 100 {
			sim.buckets[i] += 500
		}
	}
	sim.count, sim.sum, sim.ok, sim.errs = 10000, 9500+500*100, 5000, 5000
	sim.latency = 21
	var rules []Rule
	for _, rc := range []RuleConfig{
		{Alert: "P99Configured", Expr: `latency_p99{service="api"} > 30`},
		{Alert: "QuantileConfigured", Expr: `quantile(0.99, svc_request_latency_seconds[1m]) > 30`},
		{Alert: "ErrorsConfigured", Expr: `error_rate > 0.1`},
	} {
		r, err := rc.Rule()
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, r)
	}
	e := New(st, Options{Rules: rules})
	sim.step(t0)
	first := view.Services(st, t0, view.Options{})
	if len(first) != 1 || first[0].Latency.Basis != view.BasisLifetime || first[0].Latency.P99.V < 60 || first[0].ErrorBasis != view.BasisLifetime || first[0].ErrorRate.V < 0.4 {
		t.Fatalf("the first scrape should show lifetime figures over the lines: %+v", first)
	}
	if ts := e.Eval(t0); len(ts) != 0 {
		t.Fatalf("first scrape: %s", describe(ts, t0))
	}
	ts := run(e, t0, 300, func(at time.Time, i int) { sim.step(at) })
	if len(ts) != 0 {
		t.Fatalf("a fast, clean present raised %s", describe(ts, t0))
	}
	// A slow present is judged.
	sim.latency = 98
	ts = run(e, t0.Add(300*time.Second), 30, func(at time.Time, i int) { sim.step(at) })
	var names []string
	for _, tr := range ts {
		names = append(names, tr.Alert.Name)
	}
	sort.Strings(names)
	if got := strings.Join(names, " "); got != "LatencySLOBreach LatencySLOBreachSustained P99Configured QuantileConfigured" {
		t.Fatalf("a slow present: %s", got)
	}
}

// TestTransitionTexts: an alert's line says what is wrong while active and
// reads as over once it ends, and never names its subject (which the
// screens put first).
func TestTransitionTexts(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	sim := newSvcSim(st)
	sim.stk = "vllm"
	e := New(st, Options{NoDefault: true, SLOs: map[string]SLO{"api": {Latency: 20}}, Rules: []Rule{latencyRule(RuleLatencyWarning, sources.SevWarning, 0)}})
	sim.latency = 45 // in the (30, 60] bucket: p99 59.7 s
	ts := run(e, t0, 5, func(at time.Time, _ int) { sim.step(at) })
	if len(ts) != 1 || ts[0].Alert.Text != "p99 59.7s > 20s" || ts[0].Alert.Subject() != "api@h1" {
		t.Fatalf("firing: %s %+v", describe(ts, t0), ts)
	}
	sim.latency = 4 // (2.5, 5]: p99 4.98 s
	ts = run(e, t0.Add(5*time.Second), 120, func(at time.Time, _ int) { sim.step(at) })
	if len(ts) != 1 || ts[0].To != StateResolved || ts[0].Alert.Text != "p99 4.97s, back under 20s" {
		t.Fatalf("resolved: %s %+v", describe(ts, t0), ts)
	}
	// A service that goes away is not "back under" anything.
	sim.latency = 45
	if ts := run(e, t0.Add(125*time.Second), 120, func(at time.Time, _ int) { sim.step(at) }); len(ts) != 1 || ts[0].To != StateFiring {
		t.Fatalf("again: %s", describe(ts, t0))
	}
	st.Reset()
	ts = e.Eval(t0.Add(246 * time.Second))
	if len(ts) != 1 || ts[0].To != StateResolved || ts[0].Alert.Text != "no longer reported" || !math.IsNaN(ts[0].Alert.Value) {
		t.Fatalf("gone: %+v", ts)
	}
	// The built-in rules with words of their own.
	for _, c := range []struct {
		rule       string
		v          Value
		ph         phase
		want       string
		wantActive bool
	}{
		{RuleSourceDown, Value{V: 1, Note: "connect: connection refused"}, phaseActive, "down: connect: connection refused", true},
		{RuleSourceDown, Value{V: 0}, phaseCleared, "back up", false},
		{RuleGPUThrottle, Value{V: 1}, phaseActive, "thermally throttled", true},
		{RuleGPUThrottle, Value{V: 0}, phaseCleared, "no longer throttled", false},
		{RuleXID, Value{V: 1, Note: "XID 79 at 12:00:20"}, phaseActive, "new XID 79 at 12:00:20", true},
		{RuleErrorRate, Value{V: 0.052}, phaseActive, "error rate 5.2% > 1%", true},
		{RuleErrorRate, Value{V: 0.004}, phaseCleared, "error rate 0.4%, back under 1%", false},
		{RuleErrorRate, Value{V: math.NaN()}, phaseNoData, "error rate n/a: no data", false},
		{RuleGPUTemperature, Value{V: 81}, phaseCleared, "temperature 81°C, back under 85°C", false},
	} {
		var r *Rule
		for _, d := range DefaultRules(true) {
			if d.Name == c.rule {
				r = &d
			}
		}
		thr := r.Threshold
		if c.rule == RuleErrorRate {
			thr = 0.01
		}
		if got := r.text(c.v, thr, c.ph); got != c.want {
			t.Errorf("%s %v: %q, want %q", c.rule, c.ph, got, c.want)
		}
	}
}

// TestActiveIdentity: the full label set is the identity — severity and a
// label called "state" included — and events recorded before the alertstate
// label read the same as new ones.
func TestActiveIdentity(t *testing.T) {
	ext := func(sec int, state string, sev sources.Severity, kv ...string) sources.Event {
		a := Alert{Name: "UnitFailed", Severity: sev, Source: SourcePrometheus, Value: math.NaN(), Threshold: math.NaN(), Text: "a unit failed",
			Labels: sortedLabels(kv...)}
		return Transition{At: t0.Add(time.Duration(sec) * time.Second), To: state, Alert: a}.Event()
	}
	evs := []sources.Event{
		ext(1, StateFiring, sources.SevWarning, "host", "a", "state", "failed"),
		ext(2, StateFiring, sources.SevCritical, "host", "a", "state", "failed"),
		ext(3, StateFiring, sources.SevWarning, "host", "a", "state", "activating"),
		ext(4, StateResolved, sources.SevWarning, "host", "a", "state", "activating"),
	}
	as := Active(evs)
	if len(as) != 2 || as[0].Severity != sources.SevCritical || as[1].Label("state") != "failed" || as[0].Source != SourcePrometheus {
		t.Fatalf("active %s", keys(as))
	}
	// A recording of the previous version: state and the origin in
	// "source", the origin repeated in the text.
	v1 := func(sec int, name, state, source, text string, kv ...string) sources.Event {
		ls := append(sortedLabels(kv...), sources.Label{Name: "alertname", Value: name}, sources.Label{Name: "state", Value: state},
			sources.Label{Name: "source", Value: source}, sources.Label{Name: "severity", Value: "warning"})
		return sources.Event{At: t0.Add(time.Duration(sec) * time.Second), Kind: "alert", Severity: sources.SevWarning, Labels: ls, Text: text}
	}
	old := Active([]sources.Event{
		v1(1, RuleGPUTemperature, "pending", "vigil", "GPU temperature 88°C (>= 85°C)", "gpu", "0", "host", "h"),
		v1(61, RuleGPUTemperature, "firing", "vigil", "GPU temperature 88°C (>= 85°C)", "gpu", "0", "host", "h"),
		v1(62, "KubeDown", "firing", "alertmanager", "kube is down [alertmanager]", "job", "kube"),
	})
	if len(old) != 2 || old[1].Name != "KubeDown" || old[1].Source != SourceAlertmanager || old[1].Text != "kube is down" || old[1].Label("source") != "" ||
		old[0].Source != SourceVigil || old[0].Label("source") != SourceVigil || !old[0].ActiveAt.Equal(t0.Add(time.Second)) || !old[0].FiredAt.Equal(t0.Add(61*time.Second)) {
		t.Fatalf("old recording: %+v", old)
	}
	// The value and threshold travel with the event.
	tr, _ := FromEvent(Transition{At: t0, To: StateFiring, Alert: Alert{Name: "X", Source: SourceVigil, Value: 97.1, Threshold: 60}}.Event())
	if tr.Alert.Value != 97.1 || tr.Alert.Threshold != 60 || tr.To != StateFiring {
		t.Fatalf("round trip %+v", tr)
	}
}

func TestSubject(t *testing.T) {
	for _, c := range []struct {
		kv   []string
		want string
	}{
		{[]string{"host", "gpu-node-17", "service", "llama-3-70b", "stack", "vllm", "source", "vigil"}, "llama-3-70b@gpu-node-17"},
		{[]string{"host", "h", "service", "gpt", "operation", "chat"}, "gpt/chat@h"},
		{[]string{"gpu", "3", "host", "g1", "uuid", "GPU-x"}, "GPU 3@g1"},
		{[]string{"feature", "price", "source", "vigil"}, "feature price"},
		{[]string{"source_name", "scrape 127.0.0.1:9100", "source", "vigil"}, "scrape 127.0.0.1:9100"},
		{[]string{"instance", "10.0.0.7:9100", "host", "10.0.0.7:9100", "job", "node"}, "node@10.0.0.7:9100"},
		{[]string{"host", "h"}, "h"},
		{nil, ""},
	} {
		if got := Subject(sortedLabels(c.kv...)); got != c.want {
			t.Errorf("Subject(%v) = %q, want %q", c.kv, got, c.want)
		}
	}
}

// TestRealAlertmanagerEcho: vigil's webhook and its Alertmanager reader
// point at the same Debian Alertmanager. The alert vigil posted comes back
// (source="vigil") with the same identity and is shown once; after vigil
// resolves it, the echo that Alertmanager still lists until the next poll
// is not shown either.
func TestRealAlertmanagerEcho(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Alertmanager")
	}
	am := promtest.Alertmanager(t)
	st := sources.NewStore(sources.StoreOptions{})
	x, err := NewExternal(ExternalConfig{Alertmanager: am})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWebhook(am+"/api/v2/alerts", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	r, err := RuleConfig{Alert: "GPUHot", Expr: "gpu_temperature_celsius > 80", Severity: "critical"}.Rule()
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, Options{NoDefault: true, Rules: []Rule{r}, External: x.Alerts,
		OnEval: func(now time.Time, ts []Transition, active []Alert) { w.Offer(now, active, ts) }})
	temp := sources.NewSeries(sources.GPUTemperature, sources.Gauge, "host", "g1", "gpu", "0")
	feed := func(v float64) time.Time {
		now := time.Now()
		st.Ingest(sources.Frame{At: now, Points: []sources.Point{{Series: temp, At: now, Value: v}}})
		poll(t, e, st, now)
		return now
	}
	pollAM := func() {
		f, err := x.Poll(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st.Ingest(f)
	}
	feed(90)
	promtest.Eventually(t, 15*time.Second, "the posted alert is read back from Alertmanager", func() bool {
		pollAM()
		return len(x.Alerts()) == 1
	})
	echo, own := x.Alerts()[0], e.Active()[0]
	if echo.Source != SourceAlertmanager || echo.Key() != own.Key() || own.Source != SourceVigil {
		t.Fatalf("echo %s, own %s: one identity", keys([]Alert{echo}), keys([]Alert{own}))
	}
	now := time.Now()
	for name, as := range map[string][]Alert{"console": ActiveIn(st, now), "engine": e.Active(), "--once": e.Settle(now)} {
		if len(as) != 1 || as[0].Source != SourceVigil || as[0].State != StateFiring {
			t.Errorf("%s shows %s", name, keys(as))
		}
	}
	// vigil resolves it; Alertmanager's copy is still listed until the
	// next poll.
	now = feed(50)
	if len(x.Alerts()) != 1 {
		t.Fatal("the echo should outlive the original until the next poll")
	}
	for name, as := range map[string][]Alert{"console": ActiveIn(st, now), "engine": e.Active(), "--once": e.Settle(now)} {
		if len(as) != 0 {
			t.Errorf("after vigil resolved it, %s shows %s", name, keys(as))
		}
	}
	promtest.Eventually(t, 15*time.Second, "the resolved alert leaves Alertmanager", func() bool {
		pollAM()
		return len(x.Alerts()) == 0
	})
	if as := ActiveIn(st, time.Now()); len(as) != 0 {
		t.Errorf("at the end: %s", keys(as))
	}
}
