package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
)

// counterServer serves a generic HTTP service whose counters grow by 100
// requests per scrape, errShare of them 5xx.
func counterServer(errShare float64) *httptest.Server {
	var mu sync.Mutex
	var ok, bad float64
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ok += 100 * (1 - errShare)
		bad += 100 * errShare
		o, b := ok, bad
		mu.Unlock()
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE http_requests_total counter\nhttp_requests_total{service=\"api\",code=\"200\"} %g\nhttp_requests_total{service=\"api\",code=\"503\"} %g\n", o, b)
	}))
}

func runAlertsCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	base := []string{"--no-discover", "--no-nvml", "--otlp-listen", "off", "--log-file", filepath.Join(dir, "vigil.log")}
	var out, errb bytes.Buffer
	code := run(append(append([]string{"alerts"}, base...), args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestAlertsCommand(t *testing.T) {
	bad := counterServer(0.2)
	defer bad.Close()
	good := counterServer(0)
	defer good.Close()
	cfg := filepath.Join(t.TempDir(), "alerts.yaml")
	if err := os.WriteFile(cfg, []byte("rules:\n  - alert: ApiErrors\n    expr: error_rate{service=\"api\"} > 0.05\n    severity: warning\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The default error-rate rule's for: (2 min) scaled to 0.24 ms: the
	// two scrapes --for 1s gives are enough.
	code, out, errs := runAlertsCLI(t, "--scrape", bad.URL+"/metrics", "--for", "3s", "--for-scale", "0.000002",
		"--alerts-config", cfg, "--fail-on", "critical")
	if code != 3 {
		t.Fatalf("exit %d, want 3 (critical firing)\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	for _, want := range []string{"SEVERITY", "critical  firing", alerts.RuleErrorRate, "warning   firing", "ApiErrors", "service=api", "error rate 20%"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	// JSON, failing on warning too.
	code, out, errs = runAlertsCLI(t, "--scrape", bad.URL+"/metrics", "--for", "3s", "--for-scale", "0.000002",
		"--alerts-config", cfg, "--output", "json", "--fail-on", "warning", "--history")
	if code != 3 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var doc struct {
		Firing int
		Alerts []struct {
			Alertname, Severity, State, Source string
			Labels                             map[string]string
			Value, Threshold                   *float64
		}
		History []struct{ To string }
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if doc.Firing != 2 || len(doc.Alerts) != 2 || doc.Alerts[0].Alertname != alerts.RuleErrorRate || doc.Alerts[0].Severity != "critical" ||
		doc.Alerts[0].Labels["service"] != "api" || doc.Alerts[0].Value == nil || *doc.Alerts[0].Value != 0.2 || *doc.Alerts[0].Threshold != 0.01 {
		t.Errorf("json %+v", doc)
	}
	if len(doc.History) == 0 {
		t.Error("--history printed no transitions")
	}
	// A healthy service: nothing fires, exit 0.
	code, out, _ = runAlertsCLI(t, "--scrape", good.URL+"/metrics", "--for", "1s", "--for-scale", "0.000002", "--fail-on", "critical")
	if code != 0 || !strings.Contains(out, "no alert firing or pending") {
		t.Errorf("healthy: exit %d\n%s", code, out)
	}
	// A bad rules file is a usage error.
	badCfg := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(badCfg, []byte("rules: [{alert: X, expr: 'nope'}]\n"), 0o600)
	if code, _, errs := runAlertsCLI(t, "--scrape", good.URL+"/metrics", "--alerts-config", badCfg); code != 2 || !strings.Contains(errs, "expr") {
		t.Errorf("bad config: exit %d, %s", code, errs)
	}
}

func TestAlertsExit(t *testing.T) {
	crit := alerts.Alert{Severity: sources.SevCritical, State: alerts.StateFiring}
	warn := alerts.Alert{Severity: sources.SevWarning, State: alerts.StateFiring}
	pend := alerts.Alert{Severity: sources.SevCritical, State: alerts.StatePending}
	for _, c := range []struct {
		as     []alerts.Alert
		failOn string
		want   int
	}{
		{[]alerts.Alert{crit}, "critical", 3}, {[]alerts.Alert{crit}, "warning", 3}, {[]alerts.Alert{warn}, "critical", 0},
		{[]alerts.Alert{warn}, "warning", 3}, {[]alerts.Alert{pend}, "warning", 0}, {nil, "warning", 0}, {[]alerts.Alert{crit}, "", 0},
	} {
		if got := alertsExit(c.as, c.failOn); got != c.want {
			t.Errorf("%+v --fail-on %q: %d, want %d", c.as, c.failOn, got, c.want)
		}
	}
}

// TestOnceTextListsLabels: `--once --output text` names what each alert
// is about (its labels), not only the rule.
func TestOnceTextListsLabels(t *testing.T) {
	bad := counterServer(0.2)
	defer bad.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfg, []byte("alerts:\n  for_scale: 0.000002\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "--config", cfg, "--once", "--output", "text", "--for", "3s", "--scrape", bad.URL+"/metrics",
		"--no-discover", "--no-nvml", "--otlp-listen", "off", "--log-file", filepath.Join(dir, "vigil.log"))
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errs)
	}
	var header, row string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "ALERT") {
			header = l
		}
		if strings.HasPrefix(l, alerts.RuleErrorRate+" ") {
			row = l
		}
	}
	if !strings.Contains(header, "LABELS") || !strings.Contains(row, "service=api") || !strings.Contains(row, "host=") || strings.Contains(row, "source=vigil") {
		t.Fatalf("the alert's labels are not listed:\n%s", out)
	}
}

func TestFinishOnce(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	e := alerts.New(st, alerts.Options{})
	al := &alerting{Engine: e}
	ser := sources.NewSeries(sources.GPUXIDLast, sources.Gauge, "host", "h", "gpu", "0")
	now := time.Now()
	st.Ingest(sources.Frame{At: now, Points: []sources.Point{{Series: ser, At: now, Value: 0}}})
	if rows, code := al.finishOnce(now, "critical"); len(rows) != 0 || code != 0 {
		t.Fatalf("calm: %v %d", rows, code)
	}
	later := now.Add(time.Second)
	st.Ingest(sources.Frame{At: later, Points: []sources.Point{{Series: ser, At: later, Value: 79}}})
	rows, code := al.finishOnce(later, "critical")
	if code != 3 || len(rows) != 1 || rows[0].Name != alerts.RuleXID || rows[0].Severity != "critical" {
		t.Errorf("xid: %+v %d", rows, code)
	}
}

// TestAlertsCommandRealPrometheus: `vigil alerts --prom URL` reads the
// firing rule of Debian's Prometheus, with its source.
func TestAlertsCommandRealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server")
	}
	rules := "groups:\n  - name: t\n    rules:\n      - alert: DiskFull\n        expr: vector(1)\n        labels: {severity: critical}\n        annotations: {summary: disk full}\n"
	u := promtest.Prometheus(t, 500*time.Millisecond, nil, rules)
	promtest.Eventually(t, 15*time.Second, "the rule fires", func() bool {
		code, out, _ := runAlertsCLI(t, "--prom", u, "--output", "json", "--fail-on", "critical")
		return code == 3 && strings.Contains(out, `"alertname": "DiskFull"`) && strings.Contains(out, `"source": "prometheus"`) &&
			strings.Contains(out, `"text": "disk full"`)
	})
}

// TestAlertsBackfill: with --backfill, an error rate that has been over its
// target for longer than the (scaled) for: reads as firing at once; without
// it the fresh engine has seen it only now: pending.
func TestAlertsBackfill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real server")
	}
	bad := counterServer(0.2)
	defer bad.Close()
	u := strings.TrimPrefix(bad.URL, "http://")
	promURL := promtest.Prometheus(t, 500*time.Millisecond, []promtest.Job{{Name: "api", Targets: []string{u}}}, "")
	cfg := filepath.Join(t.TempDir(), "vigil.yaml")
	os.WriteFile(cfg, []byte("prom:\n  url: "+promURL+"\n  interval: 1s\n"), 0o600)
	pc, err := promql.NewClient(promql.Config{URL: promURL})
	if err != nil {
		t.Fatal(err)
	}
	// Wait until Prometheus holds 10 s of history of the target (20 scrapes).
	promtest.Eventually(t, 30*time.Second, "10 s of history", func() bool {
		rs, err := pc.Query(context.Background(), `count_over_time(up{job="api"}[30s]) >= 20`, time.Time{})
		return err == nil && len(rs) == 1
	})
	// for: 2 min × 0.05 = 6 s.
	code, out, errs := runAlertsCLI(t, "--config", cfg, "--for-scale", "0.05", "--fail-on", "critical")
	if code != 0 || !strings.Contains(out, "pending") {
		t.Errorf("without backfill: exit %d, want 0 with the alert pending\n%s\n%s", code, out, errs)
	}
	code, out, errs = runAlertsCLI(t, "--config", cfg, "--for-scale", "0.05", "--backfill", "10s", "--fail-on", "critical")
	if code != 3 || !strings.Contains(out, "critical  firing") || !strings.Contains(out, alerts.RuleErrorRate) {
		t.Errorf("with backfill: exit %d, want 3 with the alert firing\n%s\n%s", code, out, errs)
	}
}
