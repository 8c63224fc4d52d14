package alertspane

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func ev(sec int, name, state string, sev sources.Severity, text string, kv ...string) sources.Event {
	return evFrom(alerts.SourceVigil, sec, name, state, sev, text, kv...)
}

// evFrom is a transition event as the engine or the external reader writes
// it: origin is where the alert was read (vigil's own carry source=vigil).
func evFrom(origin string, sec int, name, state string, sev sources.Severity, text string, kv ...string) sources.Event {
	a := alerts.Alert{Name: name, Severity: sev, Source: origin, Text: text, Value: math.NaN(), Threshold: math.NaN()}
	if origin == alerts.SourceVigil {
		kv = append(kv, sources.LabelSource, alerts.SourceVigil)
	}
	a.Labels = sources.NewSeries("", sources.Gauge, kv...).Labels
	return alerts.Transition{At: t0.Add(time.Duration(sec) * time.Second), To: state, Alert: a}.Event()
}

func store() *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{At: t0, Events: []sources.Event{
		ev(10, "ErrorRateHigh", "pending", sources.SevCritical, "error rate 5% (> 1%)", "service", "api"),
		ev(20, "GPUTemperatureHigh", "pending", sources.SevWarning, "GPU temperature 88°C", "gpu", "3", "host", "g1"),
		ev(80, "GPUTemperatureHigh", "firing", sources.SevWarning, "GPU temperature 89°C", "gpu", "3", "host", "g1"),
		ev(130, "ErrorRateHigh", "firing", sources.SevCritical, "error rate 6% (> 1%)", "service", "api"),
		ev(140, "SourceDown", "pending", sources.SevWarning, "down: connection refused", sources.LabelSourceName, "x"),
		ev(150, "SourceDown", "inactive", sources.SevWarning, "back up", sources.LabelSourceName, "x"),
		evFrom(alerts.SourcePrometheus, 160, "PromSide", "firing", sources.SevCritical, "from prometheus", "instance", "a:1"),
		{At: t0.Add(170 * time.Second), Kind: "xid", Severity: sources.SevCritical, Text: "XID 79"},
	}})
	return st
}

func TestStatesAgesAndJump(t *testing.T) {
	st := store()
	m := New(10)
	m.SetSize(100, 12)
	m.Focus()
	m.Refresh(pane.Env{Store: st, Now: t0.Add(200 * time.Second), Zoom: 5 * time.Minute})
	act := m.Active()
	if len(act) != 3 {
		t.Fatalf("active %+v", act)
	}
	// Firing first, critical before warning, oldest first.
	if act[0].Name != "ErrorRateHigh" || act[1].Name != "PromSide" || act[2].Name != "GPUTemperatureHigh" {
		t.Errorf("order %s %s %s", act[0].Name, act[1].Name, act[2].Name)
	}
	if !act[0].Start.Equal(t0.Add(10*time.Second)) || Age(t0.Add(200*time.Second), act[0].Start) != "3m10s" {
		t.Errorf("start %v age %s: want the pending start and 3m10s", act[0].Start, Age(t0.Add(200*time.Second), act[0].Start))
	}
	if f, p := m.Counts(); f != 3 || p != 0 || m.Title() != "Alerts 3 firing" {
		t.Errorf("counts %d %d title %q", f, p, m.Title())
	}
	if len(m.History()) != 7 || m.History()[0].Name != "PromSide" {
		t.Errorf("history %+v", m.History())
	}
	var lines []string
	for _, l := range strings.Split(ansi.Strip(m.View()), "\n") {
		lines = append(lines, strings.TrimRight(l, " "))
	}
	view := strings.Join(lines, "\n") + "\n"
	for _, want := range []string{"CRIT firing  3m10s   api ErrorRateHigh error rate 6% (> 1%)\n", "WARN firing", "a:1 PromSide from prometheus [prometheus]\n", "── last transitions", "inactive"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	// Enter on the first alert: the cursor goes to where it began.
	used, cmd := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if !used || cmd == nil {
		t.Fatal("enter unused")
	}
	if msg, ok := cmd().(pane.CursorMsg); !ok || !msg.At.Equal(t0.Add(10*time.Second)) {
		t.Errorf("enter gave %#v, want the cursor at +10s", cmd())
	}
	// Down twice: the GPU alert; its cursor is its pending start (+20 s).
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")})
	_, cmd = m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if msg := cmd().(pane.CursorMsg); !msg.At.Equal(t0.Add(20 * time.Second)) {
		t.Errorf("GPU alert cursor %v", msg.At)
	}
	// Jump from the GPU pane selects that GPU's alert.
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("g")})
	m.Jump(pane.JumpMsg{Target: pane.TargetAlerts, GPU: "3"})
	if r, _ := m.Selected(); r.Name != "GPUTemperatureHigh" {
		t.Errorf("jump selected %q", r.Name)
	}
	// Back in time (replay, cursor): at +100 s the error alert was pending.
	m.Refresh(pane.Env{Store: st, Now: t0.Add(100 * time.Second), Zoom: 5 * time.Minute})
	if f, p := m.Counts(); f != 1 || p != 1 {
		t.Errorf("at +100s: %d firing %d pending", f, p)
	}
	if err := m.SetFilter("gpu"); err != nil || len(m.rows()) == 0 {
		t.Errorf("filter: %v", err)
	}
	for _, r := range m.rows() {
		if !strings.Contains(strings.ToLower(r.Name+r.Text+labelText(r.Labels)), "gpu") {
			t.Errorf("filter kept %+v", r)
		}
	}
}

func TestEmptyAndSanitized(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{At: t0, Events: []sources.Event{ev(1, "X\x1b[2J", "firing", sources.SevWarning, "evil\x1b]0;title\x07 text")}})
	m := New(0)
	m.SetSize(60, 5)
	m.Refresh(pane.Env{Store: sources.NewStore(sources.StoreOptions{}), Now: t0})
	if !strings.Contains(ansi.Strip(m.View()), "no alert firing or pending") {
		t.Errorf("empty view %q", m.View())
	}
	m.Refresh(pane.Env{Store: st, Now: t0.Add(time.Minute)})
	if v := m.View(); strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x1b]0;") {
		t.Errorf("escape sequences reach the screen: %q", v)
	}
	for _, l := range strings.Split(m.View(), "\n") {
		if ansi.StringWidth(l) > 60 {
			t.Errorf("line wider than the pane: %q", l)
		}
	}
}

func TestBands(t *testing.T) {
	st := store()
	st.Ingest(sources.Frame{At: t0.Add(300 * time.Second), Events: []sources.Event{
		ev(300, "GPUTemperatureHigh", "resolved", sources.SevWarning, "ok", "gpu", "3", "host", "g1")}})
	bs := alerts.Bands(st, t0, t0.Add(400*time.Second))
	if len(bs) != 3 {
		t.Fatalf("bands %+v", bs)
	}
	if bs[0].Name != "GPUTemperatureHigh" || !bs[0].Start.Equal(t0.Add(80*time.Second)) || !bs[0].End.Equal(t0.Add(300*time.Second)) {
		t.Errorf("GPU band %+v", bs[0])
	}
	if bs[1].Name != "ErrorRateHigh" || !bs[1].End.IsZero() || bs[1].Severity != sources.SevCritical {
		t.Errorf("error band %+v", bs[1])
	}
	if n := len(alerts.Bands(st, t0.Add(310*time.Second), t0.Add(400*time.Second))); n != 2 {
		t.Errorf("after the GPU band closed: %d bands, want 2", n)
	}
}

// TestBandRow: columns under a firing span are marked by the worst severity;
// an alert that resolved before the axis leaves no mark.
func TestBandRow(t *testing.T) {
	// Columns (1,2], (2,3], ... (9,10], (10,10.5].
	end := time.Date(2026, 11, 27, 12, 0, 10, 500_000_000, time.UTC)
	ax := layout.NewAxis(end, 10*time.Second, 10)
	bands := []Band{
		{Start: end.Add(-7200 * time.Millisecond), End: end.Add(-5800 * time.Millisecond), Severity: sources.SevCritical}, // 3.3–4.7
		{Start: end.Add(-1200 * time.Millisecond), Severity: sources.SevWarning},                                          // from 9.3, firing
		{Start: end.Add(-time.Hour), End: end.Add(-30 * time.Minute), Severity: sources.SevCritical},
	}
	row := ansi.Strip(BandRow(bands, ax))
	if got := []rune(row); len(got) != 10 {
		t.Fatalf("row %q has %d cells, want 10", row, len(got))
	}
	if row != "  ▀▀    ▀▀" {
		t.Fatalf("row %q", row)
	}
	if BandRow(bands[2:], ax) != "" {
		t.Fatal("a band before the axis must draw nothing")
	}
}
