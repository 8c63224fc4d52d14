package tui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
)

// TestTickAgesFigures: a live tick between polls ages the last figures
// instead of evaluating them again, and evaluates again as soon as a
// sample passes the lookback, so a GPU gone quiet still leaves the
// overview when its last sample is too old.
func TestTickAgesFigures(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{Lookback: 30 * time.Second})
	gpu := func(at time.Time, v float64) sources.Frame {
		return sources.Frame{At: at, Points: []sources.Point{{Series: sources.NewSeries(sources.GPUTemperature, sources.Gauge, sources.LabelHost, "h", sources.LabelGPU, "0"), At: at, Value: v}}}
	}
	st.Ingest(gpu(t0, 60))
	m := New(Options{Store: st, Clock: sources.NewManualClock(t0)})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: t0})
	figures := m.s.figures
	for i := 1; i < 30; i++ {
		m = drive(m, tickMsg{at: t0.Add(time.Duration(i) * time.Second)})
		gs := m.s.env.Overview.GPUs
		if len(gs) != 1 || !gs[0].Age.OK || gs[0].Age.V != float64(i) || gs[0].Temp.V != 60 {
			t.Fatalf("tick %d: GPUs %+v", i, gs)
		}
	}
	if m.s.figures != figures {
		t.Errorf("ticks without new data evaluated %d times", m.s.figures-figures)
	}
	// At the lookback's edge the figures may change: evaluated again.
	m = drive(m, tickMsg{at: t0.Add(30 * time.Second)})
	if gs := m.s.env.Overview.GPUs; len(gs) != 1 || gs[0].Age.V != 30 {
		t.Fatalf("at the lookback: %+v", gs)
	}
	m = drive(m, tickMsg{at: t0.Add(31 * time.Second)})
	if gs := m.s.env.Overview.GPUs; len(gs) != 0 {
		t.Fatalf("past the lookback the GPU is still shown: %+v", gs)
	}
	// A poll lands: evaluated at once.
	at := t0.Add(32 * time.Second)
	st.Ingest(gpu(at, 70))
	m = drive(m, tickMsg{at: at})
	if gs := m.s.env.Overview.GPUs; len(gs) != 1 || gs[0].Temp.V != 70 || gs[0].Age.V != 0 {
		t.Fatalf("after a poll: %+v", gs)
	}
}
