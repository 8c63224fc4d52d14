package alertspane

import (
	"testing"
	"time"

	"github.com/vigil-dev/vigil/tui/pane"
)

// TestScopedToAHost: scoped to a host, the pane keeps that host's alerts
// and those that name no host; another host's go, and come back unscoped.
func TestScopedToAHost(t *testing.T) {
	st := store()
	m := New(10)
	m.SetSize(100, 12)
	env := pane.Env{Store: st, Now: t0.Add(200 * time.Second), Zoom: 5 * time.Minute, Scope: "g2"}
	m.Refresh(env)
	for _, r := range m.Active() {
		if r.Name == "GPUTemperatureHigh" {
			t.Errorf("scoped to g2, g1's alert is active: %+v", r)
		}
	}
	if len(m.Active()) != 2 {
		t.Errorf("scoped to g2: %d active, want the 2 that name no host", len(m.Active()))
	}
	env.Scope = "g1"
	m.Refresh(env)
	if len(m.Active()) != 3 {
		t.Errorf("scoped to g1: %d active, want 3", len(m.Active()))
	}
	env.Scope = ""
	m.Refresh(env)
	if len(m.Active()) != 3 {
		t.Errorf("unscoped: %d active, want 3", len(m.Active()))
	}
}
