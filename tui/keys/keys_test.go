package keys

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func press(s string) tea.KeyMsg {
	switch s {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "f1":
		return tea.KeyMsg{Type: tea.KeyF1}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func TestDefaults(t *testing.T) {
	m := Default()
	cases := map[string]string{"?": Help, ":": Palette, "q": Quit, "ctrl+c": ForceQuit, "tab": NextPane, "+": ZoomIn, "=": ZoomIn, "p": Pause, "7": Screen7}
	for k, want := range cases {
		if got := m.Action(press(k)); got != want {
			t.Errorf("key %q → %q, want %q", k, got, want)
		}
	}
	if got := m.Action(press("z")); got != "" {
		t.Errorf("unbound key z → %q", got)
	}
}

func TestUserWins(t *testing.T) {
	m, err := New(map[string][]string{Help: {"f1", "h"}, Maximise: {"z", "q"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Action(press("f1")); got != Help {
		t.Errorf("f1 → %q", got)
	}
	if got := m.Action(press("?")); got != "" {
		t.Errorf("? still bound to %q after the user rebound help", got)
	}
	// q was Quit's default; the user gave it to Maximise.
	if got := m.Action(press("q")); got != Maximise {
		t.Errorf("q → %q, want maximise", got)
	}
	if m.Binding(Quit).Enabled() {
		t.Errorf("quit keeps a key: %v", m.Binding(Quit).Keys())
	}
	found := false
	for _, e := range m.Entries() {
		if e.Action == Help {
			found = e.Keys == "f1/h"
		}
		if e.Action == Quit {
			t.Errorf("unbound quit shown in help")
		}
	}
	if !found {
		t.Errorf("help entry does not show the user's keys")
	}
}

func TestBadConfig(t *testing.T) {
	m, err := New(map[string][]string{"fly": {"x"}, Pause: {}, ZoomIn: {"Z"}})
	if err == nil {
		t.Fatal("no error for an unknown action")
	}
	if got := m.Action(press("Z")); got != ZoomIn {
		t.Errorf("valid entry skipped: Z → %q", got)
	}
	if got := m.Action(press("p")); got != Pause {
		t.Errorf("empty list removed the default: p → %q", got)
	}
	_, err = New(map[string][]string{Pause: {"x"}, ZoomIn: {"x"}})
	if err == nil {
		t.Fatal("no error for a key bound twice")
	}
}
