package alertspane

import (
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/pane"
)

// TestFromEngine: the rule engine's transition events, ingested by the
// store as the hub does, make the pane's rows; Enter puts the cursor where
// the alert went pending.
func TestFromEngine(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	e := alerts.New(st, alerts.Options{})
	temp := sources.NewSeries(sources.GPUTemperature, sources.Gauge, "host", "g1", "gpu", "2")
	for i := 1; i <= 120; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		v := 70.0
		if i > 30 {
			v = 90
		}
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: temp, At: at, Value: v}}})
		f, err := e.Poll(context.Background(), at)
		if err != nil {
			t.Fatal(err)
		}
		st.Ingest(f)
	}
	m := New(0)
	m.SetSize(100, 10)
	m.Focus()
	m.Refresh(pane.Env{Store: st, Now: t0.Add(120 * time.Second), Zoom: 5 * time.Minute})
	act := m.Active()
	if len(act) != 1 || act[0].Name != alerts.RuleGPUTemperature || act[0].State != "firing" || label(act[0].Labels, "gpu") != "2" {
		t.Fatalf("rows %+v", act)
	}
	_, cmd := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if msg := cmd().(pane.CursorMsg); !msg.At.Equal(t0.Add(31 * time.Second)) {
		t.Errorf("cursor at %v, want the pending start +31s", msg.At.Sub(t0))
	}
	if got := len(e.Active()); got != 1 {
		t.Errorf("engine active %d", got)
	}
}
