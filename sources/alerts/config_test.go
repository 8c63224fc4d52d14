package alerts

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

func TestBurnRateArithmetic(t *testing.T) {
	// 144 errors in 10,000 requests under 99.9 %: 1.44 % / 0.1 % = 14.4x.
	if b := BurnRate(144.0/10000, 0.999); math.Abs(b-14.4) > 1e-9 {
		t.Errorf("burn %v, want 14.4", b)
	}
	// 6x on 99 %: 6 % errors.
	if b := BurnRate(0.06, 0.99); math.Abs(b-6) > 1e-9 {
		t.Errorf("burn %v, want 6", b)
	}
	if !math.IsNaN(BurnRate(math.NaN(), 0.99)) {
		t.Error("no requests must be n/a")
	}
	// Budget: 30 errors of 100,000 under 99.9 % (100 allowed) leave 70 %;
	// 150 overspend it by half; none leave all of it.
	for _, c := range []struct{ e, n, want float64 }{{30, 100000, 0.7}, {150, 100000, -0.5}, {0, 5000, 1}} {
		if r := Remaining(c.e, c.n, 0.999); math.Abs(r-c.want) > 1e-9 {
			t.Errorf("Remaining(%v, %v) = %v, want %v", c.e, c.n, r, c.want)
		}
	}
	if !math.IsNaN(Remaining(0, 0, 0.999)) {
		t.Error("no requests: n/a")
	}
}

// TestBurnRatesFromStore: an hour at 100 req/s, 0.1 % errors for 55 min
// then 2 % for the last 5 min, under 99.9 %. The store's 1 h window holds
// 3,599 one-second increments (samples inside (at−1h, at]): 3,299 calm and
// 300 bad: (3299·0.1 + 300·2) / (3599·100) = 929.9 / 359,900 → 2.5837x.
// The 5 min window holds 299 bad increments: 2 % → 20x. The multi-window
// rate is the smaller: 2.5837x, under 14.4x: no fast burn, as intended for
// a spike that is real but has not yet spent much budget.
func TestBurnRatesFromStore(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{Retention: 2 * time.Hour})
	sim := newSvcSim(st)
	n := 3600
	for i := 1; i <= n; i++ {
		sim.errShare = 0.001
		if i > n-300 {
			sim.errShare = 0.02
		}
		sim.step(t0.Add(time.Duration(i) * time.Second))
	}
	at := t0.Add(time.Duration(n) * time.Second)
	svc := view.Services(st, at, view.Options{})[0]
	slo := SLO{Availability: 0.999}
	want := (3299*0.1 + 300*2) / (3599 * 100) / 0.001
	if b := BurnRates(st, svc, slo, at, time.Hour, 5*time.Minute); math.Abs(b-want) > 1e-9*want {
		t.Errorf("multi-window burn %v, want %v", b, want)
	}
	b := ErrorBudget(st, svc, SLO{Availability: 0.999, Window: time.Hour}, at)
	if math.Abs(b.Burn5m-20) > 1e-9 || b.Covered != 3599*time.Second || math.Abs(b.Requests-359900) > 1e-6 {
		t.Errorf("budget %+v", b)
	}
	if math.Abs(b.Remaining-(1-929.9/359.9)) > 1e-9 {
		t.Errorf("remaining %v, want %v", b.Remaining, 1-929.9/359.9)
	}
	// As a rule: burn_rate(1h, 5m) > 2 fires (for: 0), > 14.4 does not.
	r, err := RuleConfig{Alert: "Burn", Expr: "burn_rate(1h, 5m) > 2", Severity: "critical"}.Rule()
	if err != nil {
		t.Fatal(err)
	}
	e := New(st, Options{NoDefault: true, Rules: []Rule{r}, SLOs: map[string]SLO{"api": slo}})
	ts := e.Eval(at)
	if len(ts) != 1 || ts[0].To != StateFiring || ts[0].Alert.Severity != sources.SevCritical {
		t.Errorf("burn rule: %+v", ts)
	}
	fast := New(st, Options{SLOs: map[string]SLO{"api": slo}})
	for _, tr := range fast.Eval(at) {
		if tr.Alert.Name == RuleBudgetFastBurn {
			t.Errorf("fast burn fired at %v", tr.Alert.Value)
		}
	}
}

func TestParseConfig(t *testing.T) {
	y := `
for_scale: 0.5
disable: [SourceDown]
rules:
  - alert: QueueDeep
    expr: svc_queue_depth{service="api", host=~"h.*"} > 50
    for: 2m
    severity: critical
    clear: 40
    labels: {team: ml}
    annotations: {summary: "queue {{ $value }} on {{ $labels.service }}"}
  - alert: SlowTTFT
    expr: quantile(0.99, svc_ttft_seconds[5m]) > 2
  - alert: Errors
    expr: rate(svc_requests_total{outcome="error"}[1m]) >= 5
    for: 1d
  - alert: Burn
    expr: burn_rate(6h, 30m){service!="batch"} > 6
  - alert: P99
    expr: latency_p99{stack="vllm"} > 30
slos:
  default: {latency_p99: 2, availability: 0.99, window: 28d}
  services:
    api: {latency_p99: 0.5, availability: 0.999}
notify:
  bell: true
  webhook: {url: "http://127.0.0.1:9/hook", timeout: 3s}
alertmanager: http://127.0.0.1:9093
`
	c, err := ParseConfig([]byte(y))
	if err != nil {
		t.Fatal(err)
	}
	cc, err := c.Compile()
	if err != nil {
		t.Fatal(err)
	}
	o := cc.Options
	if o.ForScale != 0.5 || !o.Disabled[RuleSourceDown] || len(o.Rules) != 5 || o.Default.Window != 28*24*time.Hour || o.SLOs["api"].Latency != 0.5 {
		t.Errorf("options %+v", o)
	}
	q := o.Rules[0]
	if q.Severity != sources.SevCritical || q.For != 2*time.Minute || q.Clear != 40 || q.Threshold != 50 || q.Op != OpGT || q.Labels["team"] != "ml" {
		t.Errorf("rule %+v", q)
	}
	if o.Rules[2].For != 24*time.Hour || o.Rules[2].Op != OpGE || o.Rules[1].Severity != sources.SevWarning {
		t.Errorf("rules %+v %+v", o.Rules[1], o.Rules[2])
	}
	if !cc.Notify.Bell || cc.Notify.Webhook.URL == "" || c.Alertmanager == "" {
		t.Errorf("notify %+v", cc.Notify)
	}

	// The queue rule over a store: matchers, clear level, annotation.
	st := sources.NewStore(sources.StoreOptions{})
	e := New(st, Options{NoDefault: true, Rules: o.Rules[:1]})
	feed := func(i int, host, svc string, v float64) {
		at := t0.Add(time.Duration(i) * time.Second)
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: sources.NewSeries(sources.SvcQueueDepth, sources.Gauge, "host", host, "service", svc, "stack", "vllm"), At: at, Value: v}}})
	}
	var ts []Transition
	for i := 1; i <= 400; i++ {
		v := 60.0
		if i > 300 {
			v = 45 // above the clear level 40: still firing
		}
		if i > 350 {
			v = 39
		}
		feed(i, "h1", "api", v)
		feed(i, "x1", "api", 100) // host does not match h.*
		feed(i, "h1", "other", 100)
		ts = append(ts, e.Eval(t0.Add(time.Duration(i)*time.Second))...)
	}
	if len(ts) != 3 || ts[0].At.Sub(t0) != time.Second || ts[1].At.Sub(t0) != 121*time.Second || ts[2].At.Sub(t0) != 351*time.Second {
		t.Fatalf("queue rule: %s", describe(ts, t0))
	}
	if ts[1].Alert.Text != "queue 60 on api" || ts[1].Alert.Label("team") != "ml" || ts[1].Alert.Label("host") != "h1" {
		t.Errorf("alert %+v", ts[1].Alert)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []struct{ y, want string }{
		{"rules: [{alert: X, expr: 'gpu_temperature_celsius 90'}]", "comparison"},
		{"rules: [{alert: X, expr: 'rate(svc_requests_total[1x]) > 1'}]", "duration"},
		{"rules: [{alert: X, expr: 'gpu_temperature_celsius > hot'}]", "not a number"},
		{"rules: [{alert: X, expr: 'a > 1', severity: loud}]", "severity"},
		{"rules: [{expr: 'gpu_temperature_celsius > 1'}]", "name is required"},
		{"rules: [{alert: X, expr: 'gpu_temperature_celsius > 90', clear: 95}]", "wrong side"},
		{"rules: [{alert: X, expr: 'gpu_temperature_celsius{host=~\"(\"} > 90'}]", "bad regex"},
		{"rules: [{alert: X, expr: 'quantile(2, svc_ttft_seconds[5m]) > 1'}]", "quantile"},
		{"disable: [NoSuchRule]", "no built-in rule"},
		{"slos: {default: {availability: 99.9}}", "availability"},
		{"bogus: 1", "field bogus not found"},
	} {
		_, err := ParseConfig([]byte(c.y))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.y, err, c.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{"30s": 30 * time.Second, "5m": 5 * time.Minute, "1d": 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		if d, err := ParseDuration(s); err != nil || d != want {
			t.Errorf("%s: %v %v", s, d, err)
		}
	}
}
