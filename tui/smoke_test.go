package tui

import (
	"bytes"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/vigil-dev/vigil/sources"
)

// TestSmokeProgram runs the console as a real Bubble Tea program and walks
// the navigation: screens, maximise, pause, zoom, cursor, help, palette,
// filter, the Esc chain and quit.
func TestSmokeProgram(t *testing.T) {
	st, mon, end := fixtureStore()
	hub := sources.NewHub(st, sources.NewManualClock(end))
	m := New(Options{Store: st, Hub: hub, Clock: sources.NewManualClock(end), Drift: mon, Refresh: 20 * time.Millisecond})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	wait := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
			teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	key := func(k tea.KeyType) { tm.Send(tea.KeyMsg{Type: k}) }
	wait("recsys-api")
	tm.Type("3")
	wait("3:latency")
	tm.Type("1")
	tm.Type("f")
	wait("(maximised)")
	tm.Type("f")
	tm.Type("p")
	wait("PAUSED")
	tm.Type("+")
	wait("10m")
	tm.Type("i")
	wait("┃14:")
	tm.Type("?")
	wait("Global")
	key(tea.KeyEsc)
	tm.Type(":range 1h")
	key(tea.KeyEnter)
	wait(" 1h ")
	tm.Type("/llama")
	key(tea.KeyEnter)
	wait("/llama")
	key(tea.KeyEsc)
	wait("filter cleared")
	tm.Type("5")
	wait("5:drift")
	tm.Type("q")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	fm := tm.FinalModel(t).(Model)
	if !fm.s.quitting {
		t.Fatal("program ended without quitting")
	}
}
