package help

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/tui/keys"
)

func TestPaneKeysFirstThenGlobal(t *testing.T) {
	pk := []key.Binding{
		key.NewBinding(key.WithKeys("j"), key.WithHelp("j/k", "move")),
		key.NewBinding(key.WithKeys("k"), key.WithHelp("j/k", "move")), // shown once
		key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "re-pin")),
	}
	v := Render(120, 60, 0, "Drift keys", pk, keys.Default().Entries())
	iPane, iGlobal := strings.Index(v, "re-pin"), strings.Index(v, "Global")
	if iPane < 0 || iGlobal < 0 || iPane > iGlobal && strings.Count(v[:iGlobal], "\n") >= strings.Count(v[:iPane], "\n") {
		t.Fatalf("pane keys should come first:\n%s", v)
	}
	if strings.Count(v, "move") != 1 {
		t.Fatalf("duplicate binding shown twice:\n%s", v)
	}
	w0 := lipgloss.Width(strings.Split(v, "\n")[0])
	for _, l := range strings.Split(v, "\n") {
		if lw := lipgloss.Width(l); lw != w0 || lw > 120 {
			t.Fatalf("line width %d (first %d, room 120)", lw, w0)
		}
	}
}

// TestNothingCut: with room, every description reads in full (the help
// cut its own lines even at 200 columns).
func TestNothingCut(t *testing.T) {
	g := keys.Default().Entries()
	for _, w := range []int{200, 120} {
		v := Render(w, 60, 0, "Pane keys", nil, g)
		if strings.Contains(v, "…") {
			t.Errorf("%d columns: a line is cut:\n%s", w, v)
		}
		for _, e := range g {
			if !strings.Contains(v, e.Desc) {
				t.Errorf("%d columns: %q missing", w, e.Desc)
			}
		}
	}
}

// TestModelOwnsItsKeys: the overlay scrolls with its own keys and the
// wheel, stops at its ends, and closes on the global help, back and quit.
func TestModelOwnsItsKeys(t *testing.T) {
	km := keys.Default()
	m := New()
	m.SetSize(40, 10)
	m.SetContent("Pane", nil, km.Entries())
	m.Open()
	press := func(k string) {
		t.Helper()
		msg := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		switch k {
		case "esc":
			msg = tea.KeyMsg{Type: tea.KeyEsc}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		}
		m.Update(msg, km)
	}
	press("j")
	press("down")
	if !strings.Contains(m.View(), "scroll 3–") {
		t.Fatalf("j, down: %s", m.View())
	}
	m.Update(tea.MouseMsg{Button: tea.MouseButtonWheelUp}, km)
	if !strings.Contains(m.View(), "scroll 2–") {
		t.Fatalf("wheel up: %s", m.View())
	}
	press("G")
	end := m.View()
	press("j")
	press("j")
	if m.View() != end {
		t.Fatal("scrolled past the end")
	}
	press("k")
	if m.View() == end {
		t.Fatal("k at the end did not move back at once")
	}
	press("g")
	if !strings.Contains(m.View(), "scroll 1–") {
		t.Fatalf("g: %s", m.View())
	}
	press("esc")
	if m.Active() {
		t.Fatal("esc did not close")
	}
}

func TestScrolls(t *testing.T) {
	g := keys.Default().Entries()
	top := Render(40, 10, 0, "Pane keys", nil, g)
	down := Render(40, 10, 5, "Pane keys", nil, g)
	if top == down || !strings.Contains(top, "scroll 1–8/") || !strings.Contains(down, "scroll 6–13/") {
		t.Fatalf("no scrolling:\n%s\n%s", top, down)
	}
	end := Render(40, 10, 1000, "Pane keys", nil, g)
	if !strings.Contains(end, "copy the selected") {
		t.Fatalf("offset past the end should clamp to the last page:\n%s", end)
	}
}
