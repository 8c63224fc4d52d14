package tui

import (
	"context"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/fleetpane/fleettest"
)

// fakeEngine records what the console asks a query engine for.
type fakeEngine struct {
	mu      sync.Mutex
	history [][2]time.Time
	steps   []time.Duration
	details []string
}

func (f *fakeEngine) FillHistory(_ context.Context, from, to time.Time, step time.Duration, emit func(sources.Frame)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.history = append(f.history, [2]time.Time{from, to})
	f.steps = append(f.steps, step)
	emit(sources.Frame{Backfill: true})
	return nil
}

func (f *fakeEngine) FetchDetail(_ context.Context, host string, _, _ time.Time, _ time.Duration, _ func(sources.Frame)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.details = append(f.details, host)
	return nil
}

// runAll runs a command and the commands a batch holds, feeding their
// messages back; it returns them.
func runAll(m Model, cmd tea.Cmd) (Model, []tea.Msg) {
	if cmd == nil {
		return m, nil
	}
	var out []tea.Msg
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			var more []tea.Msg
			m, more = runAll(m, c)
			out = append(out, more...)
		}
		return m, out
	}
	if _, ok := msg.(tickMsg); ok { // the next tick: not part of what the test drives
		return m, nil
	}
	if msg != nil {
		nm, _ := m.Update(msg)
		m = nm.(Model)
		out = append(out, msg)
	}
	return m, out
}

// TestFleetHook: the console asks the engine for the window's history on
// start and when the window zooms, with one point per column, and for a
// host's detail when a pane opens the detail of a service on it.
func TestFleetHook(t *testing.T) {
	st, mon, end := fixtureStore()
	fe := &fakeEngine{}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, View: view.Options{}, History: fe, Detail: fe})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	nm, cmd := m.Update(tickMsg{at: end})
	m = nm.(Model)
	m, msgs := runAll(m, cmd)
	if len(fe.history) != 1 || !fe.history[0][1].Equal(end) || fe.history[0][1].Sub(fe.history[0][0]) != DefaultWindow || fe.steps[0] != DefaultWindow/112 {
		t.Fatalf("history asked %v step %v, want the 15m window to %v at one step a column", fe.history, fe.steps, end)
	}
	found := false
	for _, msg := range msgs {
		if _, ok := msg.(historyMsg); ok {
			found = true
		}
	}
	if !found {
		t.Errorf("no refresh after the history landed: %v", msgs)
	}
	// A tick at the same instant asks nothing more; a zoom asks again.
	if _, cmd := m.Update(tickMsg{at: end}); cmd != nil {
		if _, msgs := runAll(m, cmd); len(msgs) > 0 || len(fe.history) != 1 {
			t.Errorf("a tick asked again: %v", fe.history)
		}
	}
	nm, cmd = m.Update(keyMsg("-"))
	m = nm.(Model)
	m, _ = runAll(m, cmd)
	if len(fe.history) != 2 || fe.history[1][1].Sub(fe.history[1][0]) != 30*time.Minute {
		t.Fatalf("zoom out: history %v", fe.history)
	}
	// Enter on the latency pane opens a service's detail: its host's
	// detail is asked for, once.
	nm, cmd = m.Update(keyMsg("enter"))
	m = nm.(Model)
	m, _ = runAll(m, cmd)
	if len(fe.details) != 1 || fe.details[0] == "" {
		t.Fatalf("details asked %v", fe.details)
	}
	nm, cmd = m.Update(keyMsg("j"))
	m = nm.(Model)
	runAll(m, cmd)
	if len(fe.details) != 1 {
		t.Errorf("the same host's detail asked twice: %v", fe.details)
	}
}

// TestFleetHoldsHistory: before the first poll lands the console asks no
// history; a fleet, which opens on the fleet screen (no charts), asks none
// there, and asks once the user goes to a screen with charts.
func TestFleetHoldsHistory(t *testing.T) {
	fe := &fakeEngine{}
	st := sources.NewStore(sources.StoreOptions{})
	m := New(Options{Store: st, Clock: sources.NewManualClock(fleettest.At), History: fe, Detail: fe})
	m = run(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: fleettest.At})
	if len(fe.history) != 0 {
		t.Fatalf("history asked before any poll: %v", fe.history)
	}
	fl := fleetStore(t, 100)
	m = New(Options{Store: fl, Clock: sources.NewManualClock(fleettest.At), History: fe, Detail: fe})
	m = run(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: fleettest.At}, tickMsg{at: fleettest.At.Add(time.Second)})
	if n := m.s.screen().num; n != ScreenFleet {
		t.Fatalf("opened on screen %d", n)
	}
	if len(fe.history) != 0 {
		t.Fatalf("history asked on the fleet screen: %v", fe.history)
	}
	m = run(m, keyMsg("1"))
	if n := m.s.screen().num; n != ScreenOverview || len(fe.history) != 1 {
		t.Fatalf("on screen %d, history asked %v", n, fe.history)
	}
}

// hostEngine is a fakeEngine that can bring one host's history.
type hostEngine struct {
	fakeEngine
	hosts []string
}

func (f *hostEngine) FillHostHistory(_ context.Context, host string, _, _ time.Time, _ time.Duration, emit func(sources.Frame)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts = append(f.hosts, host)
	emit(sources.Frame{Backfill: true})
	return nil
}

// TestScopedHistory: a console scoped to a host asks an engine that can
// for that host's history alone, again for another host, and for the
// fleet's once it shows every host again.
func TestScopedHistory(t *testing.T) {
	fe := &hostEngine{}
	fl := fleetStore(t, 100)
	m := New(Options{Store: fl, Clock: sources.NewManualClock(fleettest.At), History: fe, Detail: fe})
	m = run(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: fleettest.At})
	m = run(m, keyMsg("enter"))
	first := m.s.scope
	if first == "" || len(fe.hosts) != 1 || fe.hosts[0] != first || len(fe.history) != 0 {
		t.Fatalf("scoped to %q: host history %v, fleet history %v", first, fe.hosts, fe.history)
	}
	m = run(m, keyMsg("esc"), keyMsg("j"), keyMsg("enter"))
	if m.s.scope == first || len(fe.hosts) != 2 || fe.hosts[1] != m.s.scope {
		t.Fatalf("scoped to %q after %q: host history %v", m.s.scope, first, fe.hosts)
	}
	m = run(m, keyMsg("esc"), keyMsg("1"))
	if m.s.scope != "" || len(fe.history) != 1 || len(fe.hosts) != 2 {
		t.Fatalf("the fleet's overview: host history %v, fleet history %v", fe.hosts, fe.history)
	}
}
