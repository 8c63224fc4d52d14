package alertspane

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
)

func TestMain(m *testing.M) { panetest.Main(m) }

// incident is an on-call morning as the store holds it: vigil's own alerts
// (one echoed back by the Alertmanager its webhook feeds), Alertmanager's
// own, one silenced, and some that ended.
func incident() (*sources.Store, time.Time) {
	now := t0.Add(30 * time.Minute)
	at := func(min float64) time.Time { return now.Add(time.Duration(min * float64(time.Minute))) }
	tr := func(when float64, to, origin, name string, sev sources.Severity, text string, kv ...string) sources.Event {
		if origin == alerts.SourceVigil {
			kv = append(kv, sources.LabelSource, alerts.SourceVigil)
		}
		a := alerts.Alert{Name: name, Severity: sev, Source: origin, Text: text, Value: math.NaN(), Threshold: math.NaN(),
			Labels: sources.NewSeries("", sources.Gauge, kv...).Labels}
		return alerts.Transition{At: at(when), To: to, Alert: a}.Event()
	}
	llama := []string{"host", "gpu-node-17", "service", "llama-3-70b-instruct", "stack", "vllm"}
	small := []string{"host", "gpu-node-3", "service", "llama-8b", "stack", "vllm"}
	recsys := []string{"host", "cpu-node-2", "service", "recsys-api", "stack", "http"}
	echo := append(append([]string(nil), llama...), sources.LabelSource, alerts.SourceVigil)
	crit, warn := sources.SevCritical, sources.SevWarning
	evs := []sources.Event{
		tr(-25, "pending", "vigil", "LatencySLOBreach", warn, "p99 71.4s > 60s", small...),
		tr(-20, "firing", "vigil", "LatencySLOBreach", warn, "p99 75.0s > 60s", small...),
		tr(-14, "pending", "vigil", "LatencySLOBreachSustained", crit, "p99 88.0s > 60s", llama...),
		tr(-14, "pending", "vigil", "SourceDown", warn, "down: connect: connection refused", sources.LabelSourceName, "otlp 127.0.0.1:4318"),
		tr(-13.5, "inactive", "vigil", "SourceDown", warn, "back up", sources.LabelSourceName, "otlp 127.0.0.1:4318"),
		tr(-12, "firing", "alertmanager", "KubePodCrashLooping", crit, "Pod serving/vllm-0 is crash looping", "namespace", "serving", "pod", "vllm-0"),
		tr(-9, "pending", "vigil", "ErrorRateHigh", crit, "error rate 3.1% > 1%", recsys...),
		tr(-7, "pending", "vigil", "SourceDown", warn, "down: connect: connection refused", sources.LabelSourceName, "scrape 127.0.0.1:39551"),
		tr(-6, "firing", "vigil", "SourceDown", warn, "down: connect: connection refused", sources.LabelSourceName, "scrape 127.0.0.1:39551"),
		tr(-5, "resolved", "vigil", "LatencySLOBreach", warn, "p99 19.8s, back under 60s", small...),
		tr(-4, "firing", "vigil", "LatencySLOBreachSustained", crit, "p99 97.1s > 60s", llama...),
		tr(-14, "firing", "alertmanager", "LatencySLOBreachSustained", crit, "p99 97.1s > 60s", echo...),
		tr(-3, "suppressed", "alertmanager", "NodeFilesystemAlmostFull", warn, "Filesystem on /data has 4% space left", "host", "10.0.0.7:9100", "instance", "10.0.0.7:9100", "job", "node", "mountpoint", "/data"),
		tr(-7, "firing", "vigil", "ErrorRateHigh", crit, "error rate 5.2% > 1%", recsys...),
		tr(-1, "pending", "vigil", "GPUTemperatureHigh", warn, "temperature 88°C >= 85°C", "gpu", "3", "host", "gpu-node-17", "model", "H100", "uuid", "GPU-3f"),
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{At: now, Events: evs})
	return st, now
}

// TestGoldenAt80 is the alerts screen and the banner in an 80-column
// terminal: every line starts with what is alerting.
func TestGoldenAt80(t *testing.T) {
	st, now := incident()
	t.Run("screen8", func(t *testing.T) {
		m := New(0)
		m.SetSize(78, 20) // screen 8's pane inside an 80x24 console
		m.Refresh(pane.Env{Store: st, Now: now, Zoom: 15 * time.Minute})
		golden.RequireEqual(t, []byte(m.View()+"\n"))
	})
	t.Run("strip", func(t *testing.T) {
		golden.RequireEqual(t, []byte(Strip(alerts.Firing(alerts.ActiveIn(st, now)), 80)+"\n"))
	})
	t.Run("screen8_120", func(t *testing.T) {
		m := New(0)
		m.SetSize(118, 20)
		m.Refresh(pane.Env{Store: st, Now: now, Zoom: 15 * time.Minute})
		golden.RequireEqual(t, []byte(m.View()+"\n"))
	})
}

// TestAlertLines: at 80 columns each row shows its whole subject; an alert
// vigil raised and Alertmanager echoes is one row; wider, each alert from
// Alertmanager says so once.
func TestAlertLines(t *testing.T) {
	st, now := incident()
	for _, w := range []int{60, 78, 118, 198} {
		m := New(0)
		m.SetSize(w, 30)
		m.Refresh(pane.Env{Store: st, Now: now, Zoom: 15 * time.Minute})
		if got := len(m.Active()); got != 6 {
			t.Fatalf("%d active rows, want 6 (the echo is not one)", got)
		}
		lines := strings.Split(ansi.Strip(m.View()), "\n")
		for i, r := range m.Active() {
			if !strings.Contains(lines[i], " "+r.Subject+" ") {
				t.Errorf("at %d columns row %d lost its subject %q: %q", w, i, r.Subject, lines[i])
			}
			if n := strings.Count(lines[i], "[alertmanager]"); w >= 118 && r.Source == alerts.SourceAlertmanager && n != 1 {
				t.Errorf("at %d columns: %q says [alertmanager] %d times", w, lines[i], n)
			}
		}
		if s := ansi.Strip(Strip(alerts.Firing(alerts.ActiveIn(st, now)), w)); !strings.HasPrefix(s, "▲ 4 firing CRIT llama-3-70b-instruct@gpu-node-17 ") {
			t.Errorf("banner at %d: %q", w, s)
		}
	}
}
