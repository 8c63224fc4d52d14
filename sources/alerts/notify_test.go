package alerts

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
)

func critical(name, text string) Alert {
	return Alert{Name: name, Severity: sources.SevCritical, State: StateFiring, Text: text, Source: SourceVigil,
		Labels: []sources.Label{{Name: "gpu", Value: "3"}, {Name: "host", Value: "g1"}}, ActiveAt: t0, Value: 1, Threshold: math.NaN()}
}

func TestTerminalNotice(t *testing.T) {
	ts := []Transition{
		{To: StateFiring, Alert: critical("GPUXIDError", "new XID; on GPU 3\x1b[31m red\x07")},
		{To: StateFiring, Alert: Alert{Name: "Warn", Severity: sources.SevWarning, Text: "w"}},
		{To: StateResolved, Alert: critical("Old", "o")},
		{To: StatePending, Alert: critical("Soon", "s")},
	}
	if b := TerminalNotice(ts, false, false); b != nil {
		t.Errorf("off by default: %q", b)
	}
	if b := string(TerminalNotice(ts, true, false)); b != "\a" {
		t.Errorf("bell: %q", b)
	}
	got := string(TerminalNotice(ts, false, true))
	want := "\x1b]9;vigil: GPUXIDError: new XID, on GPU 3 red\x1b\\" + "\x1b]777;notify;vigil: GPUXIDError;new XID, on GPU 3 red\x1b\\"
	if got != want {
		t.Errorf("desktop:\n%q\nwant\n%q", got, want)
	}
	if TerminalNotice(ts[1:], true, true) != nil {
		t.Error("only a new critical alert notifies")
	}
}

func TestWebhook(t *testing.T) {
	var mu sync.Mutex
	var got [][]PostableAlert
	done := make(chan struct{}, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var as []PostableAlert
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &as) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, as)
		mu.Unlock()
		done <- struct{}{}
	}))
	defer srv.Close()
	w, err := NewWebhook(srv.URL+"/api/v2/alerts", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.Run(ctx)
	a := critical("GPUXIDError", "new XID on GPU 3")
	a.Annotations = map[string]string{"description": "d"}
	w.Offer(t0.Add(time.Second), []Alert{a}, []Transition{{At: t0.Add(time.Second), To: StateFiring, Alert: a}, {To: StatePending, Alert: critical("P", "p")}})
	wait := func() {
		t.Helper()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the receiver got nothing within 5 s")
		}
	}
	wait()
	w.Offer(t0.Add(90*time.Second), nil, []Transition{{At: t0.Add(90 * time.Second), To: StateResolved, Alert: a}})
	wait()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || len(got[0]) != 1 || len(got[1]) != 1 {
		t.Fatalf("posts %+v", got)
	}
	f, r := got[0][0], got[1][0]
	if f.Labels["alertname"] != "GPUXIDError" || f.Labels["severity"] != "critical" || f.Labels["gpu"] != "3" || f.Labels["source"] != "vigil" ||
		f.Annotations["summary"] != "GPU 3@g1: new XID on GPU 3" || f.Annotations["description"] != "d" || !f.StartsAt.Equal(t0) || !f.EndsAt.IsZero() {
		t.Errorf("firing post %+v", f)
	}
	if !r.EndsAt.Equal(t0.Add(90 * time.Second)) {
		t.Errorf("resolved post ends at %v", r.EndsAt)
	}
	mu.Unlock()
	promtest.Eventually(t, 5*time.Second, "the webhook counts both posts", func() bool {
		n, err := w.Status()
		return n == 2 && err == nil
	})
	mu.Lock()
	if _, err := NewWebhook("ftp://x", 0); err == nil {
		t.Error("a non-HTTP URL must be refused")
	}
}

// TestRealAlertmanagerAndPrometheus: an alert posted to Debian's
// Alertmanager through the webhook (Alertmanager's own API format) appears
// in vigil with its source; Prometheus' firing rule does too; the posted
// alert resolved goes away with a resolved event.
func TestRealAlertmanagerAndPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real servers")
	}
	am := promtest.Alertmanager(t)
	rules := "groups:\n  - name: t\n    rules:\n      - alert: PromSide\n        expr: vector(1)\n        labels: {severity: critical}\n        annotations: {summary: from prometheus}\n"
	promURL := promtest.Prometheus(t, 500*time.Millisecond, nil, rules)
	pc, err := promql.NewClient(promql.Config{URL: promURL})
	if err != nil {
		t.Fatal(err)
	}
	x, err := NewExternal(ExternalConfig{Prometheus: pc, Alertmanager: am})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWebhook(am+"/api/v2/alerts", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a := critical("VigilPosted", "posted by vigil's webhook")
	if err := w.Post(ctx, []PostableAlert{Postable(a, time.Time{})}); err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	find := func(src, name string) *Alert {
		for _, al := range x.Alerts() {
			if al.Source == src && al.Name == name {
				return &al
			}
		}
		return nil
	}
	promtest.Eventually(t, 15*time.Second, "both alerts read", func() bool {
		f, err := x.Poll(ctx, time.Now())
		st.Ingest(f)
		return err == nil && find(SourceAlertmanager, "VigilPosted") != nil && find(SourcePrometheus, "PromSide") != nil &&
			find(SourcePrometheus, "PromSide").State == StateFiring
	})
	got := find(SourceAlertmanager, "VigilPosted")
	if got.Severity != sources.SevCritical || got.Label("gpu") != "3" || got.State != StateFiring || !strings.Contains(got.Text, "posted by vigil") {
		t.Errorf("alertmanager alert %+v", got)
	}
	if p := find(SourcePrometheus, "PromSide"); p.Severity != sources.SevCritical || p.Text != "from prometheus" {
		t.Errorf("prometheus alert %+v", p)
	}
	// In the store as events, and in the engine's Active through External.
	evs := st.Events(t0.Add(-time.Minute), time.Now(), 100) // the posted alert began at t0: its event is stamped there
	var names []string
	for _, ev := range evs {
		names = append(names, labelOf(ev.Labels, sources.LabelAlertName)+"/"+labelOf(ev.Labels, sources.LabelAlertOrigin))
	}
	if !strings.Contains(strings.Join(names, " "), "VigilPosted/alertmanager") {
		t.Errorf("events %v", names)
	}
	e := New(st, Options{NoDefault: true, External: x.Alerts})
	if len(e.Active()) < 2 {
		t.Errorf("engine active %+v", e.Active())
	}
	// Resolve it through the webhook: it leaves Alertmanager, then vigil.
	if err := w.Post(ctx, []PostableAlert{Postable(a, time.Now().Add(-time.Second))}); err != nil {
		t.Fatal(err)
	}
	resolved := false
	promtest.Eventually(t, 15*time.Second, "the resolved alert leaves", func() bool {
		f, _ := x.Poll(ctx, time.Now())
		for _, ev := range f.Events {
			if labelOf(ev.Labels, "alertname") == "VigilPosted" && labelOf(ev.Labels, sources.LabelAlertState) == StateResolved {
				resolved = true
			}
		}
		return find(SourceAlertmanager, "VigilPosted") == nil
	})
	if !resolved {
		t.Error("no resolved event")
	}
}
