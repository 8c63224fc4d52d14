package palette

import (
	"reflect"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func TestParse(t *testing.T) {
	got := Parse(":logs level>=warn  svc=api")
	want := Command{Name: "logs", Args: []string{"level>=warn", "svc=api"}, Rest: "level>=warn  svc=api"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse = %+v, want %+v", got, want)
	}
	if c := Parse("Q"); c.Name != "q" || len(c.Args) != 0 {
		t.Errorf("Parse(Q) = %+v", c)
	}
}

func TestCompletionAndHistory(t *testing.T) {
	cmds := []string{"gpu", "gpus", "logs", "range", "svc", "q"}
	args := map[string][]string{"svc": {"api", "llama-8b"}, "range": {"1m", "15m", "1h"}}
	m := New(":", func(l string) []string { return CompleteWords(l, cmds, args) })
	m.Open("")
	typeText(&m, "sv")
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "svc " {
		t.Fatalf("after tab: %q", v)
	}
	typeText(&m, "l")
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "svc llama-8b" {
		t.Fatalf("after second tab: %q", v)
	}
	if r, _ := m.Update(tea.KeyMsg{Type: tea.KeyEnter}); r != Submitted || m.Value() != "svc llama-8b" {
		t.Fatalf("enter: %v %q", r, m.Value())
	}
	m.Open("")
	typeText(&m, "range 1h")
	m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	m.Open("")
	m.Update(tea.KeyMsg{Type: tea.KeyUp})
	m.Update(tea.KeyMsg{Type: tea.KeyUp})
	if v := m.input.Value(); v != "svc llama-8b" {
		t.Fatalf("history up twice: %q", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyDown})
	if v := m.input.Value(); v != "range 1h" {
		t.Fatalf("history down: %q", v)
	}
	if r, _ := m.Update(tea.KeyMsg{Type: tea.KeyEsc}); r != Cancelled || m.Active() {
		t.Fatalf("esc did not close")
	}
	// Ambiguous: tab fills the common prefix, then cycles.
	m.Open("")
	typeText(&m, "g")
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "gpu" {
		t.Fatalf("common prefix: %q", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "gpus" {
		t.Fatalf("cycle: %q", v)
	}
}

func TestSuggestionsAsYouType(t *testing.T) {
	m := New(":", func(l string) []string { return CompleteWords(l, []string{"gpu", "gpus", "logs"}, nil) })
	m.Open("")
	typeText(&m, "g")
	if v := m.View(60); !strings.Contains(v, "gpu  gpus") {
		t.Fatalf("no suggestions: %q", v)
	}
	typeText(&m, "pus")
	if v := m.View(60); strings.Contains(v, "(tab)") {
		t.Fatalf("a complete word still suggests: %q", v)
	}
}

// TestTabCompletesTheArgumentAfterTheCommand: Tab on ":sv" gives "svc ",
// the next Tab offers the services (it cycled "svc " again).
func TestTabCompletesTheArgumentAfterTheCommand(t *testing.T) {
	args := map[string][]string{"svc": {"llama-3.1-8b", "recsys"}}
	m := New(":", func(line string) []string { return CompleteWords(line, []string{"svc", "sources"}, args) })
	m.Open("")
	for _, r := range "sv" {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "svc " {
		t.Fatalf("after one tab: %q", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "svc llama-3.1-8b" && v != "svc " {
		t.Fatalf("after two tabs: %q", v)
	}
	m.Update(tea.KeyMsg{Type: tea.KeyTab})
	if v := m.input.Value(); v != "svc llama-3.1-8b" && v != "svc recsys" {
		t.Fatalf("the second tab offered no service: %q", v)
	}
}
