package help

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/key"
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
	for _, l := range strings.Split(v, "\n") {
		if lipgloss.Width(l) != 120 {
			t.Fatalf("line width %d", lipgloss.Width(l))
		}
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
