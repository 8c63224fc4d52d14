package errors

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

func TestLevelAgainstTarget(t *testing.T) {
	cases := []struct {
		ratio, target float64
		want          int
	}{
		{0, 0.01, styles.LevelOK}, {0.005, 0.01, styles.LevelOK}, {0.0051, 0.01, styles.LevelWarn},
		{0.01, 0.01, styles.LevelWarn}, {0.0101, 0.01, styles.LevelCrit}, {0.0006, 0.001, styles.LevelWarn},
		{0.002, 0.001, styles.LevelCrit},
	}
	for _, c := range cases {
		if got := Level(c.ratio, c.target); got != c.want {
			t.Errorf("Level(%v, %v) = %d, want %d", c.ratio, c.target, got, c.want)
		}
	}
}

// TestTopKAndNA checks the cardinality guard and that a missing rate reads
// n/a, never 0.
func TestTopKAndNA(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var svcs []view.Service
	for i := 0; i < 30; i++ {
		svcs = append(svcs, view.Service{Host: "h", Name: "svc" + string(rune('a'+i%26)) + strings.Repeat("x", i/26), ErrorTarget: 0.01})
	}
	m := New(WithTopK(10))
	m.SetSize(60, 20)
	m.Refresh(pane.Env{Store: st, Now: at, Window: 15 * time.Minute, Overview: view.Overview{Services: svcs}})
	v := m.View()
	if !strings.Contains(v, "+20 more") {
		t.Fatalf("no +20 more:\n%s", v)
	}
	if !strings.Contains(v, "n/a") || strings.Contains(v, " 0%") {
		t.Fatalf("missing rates must read n/a:\n%s", v)
	}
	if err := m.SetFilter("svcz|svcax"); err != nil {
		t.Fatal(err)
	}
	v = m.View()
	if !strings.Contains(v, "svcz") || !strings.Contains(v, "svcax") || !strings.Contains(v, "+28 more") {
		t.Fatalf("filter should reach rows beyond the top-k:\n%s", v)
	}
	if err := m.SetFilter("("); err == nil {
		t.Fatal("bad regex accepted")
	}
}

// TestSelectionFollowsService checks the selection stays on its service when
// a refresh re-sorts the rows.
func TestSelectionFollowsService(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := view.Service{Host: "h", Name: "a", ErrorTarget: 0.01, ErrorRate: view.Some(0.05)}
	b := view.Service{Host: "h", Name: "b", ErrorTarget: 0.01, ErrorRate: view.Some(0.001)}
	m := New()
	m.SetSize(60, 10)
	m.Refresh(pane.Env{Store: st, Now: at, Window: time.Minute, Overview: view.Overview{Services: []view.Service{a, b}}})
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}) // select b (second, lower rate)
	if j, _ := m.Selection(); j.Service != "b" {
		t.Fatalf("selected %q", j.Service)
	}
	b.ErrorRate = view.Some(0.5) // b now sorts first
	m.Refresh(pane.Env{Store: st, Now: at.Add(time.Second), Window: time.Minute, Overview: view.Overview{Services: []view.Service{a, b}}})
	if j, _ := m.Selection(); j.Service != "b" {
		t.Fatalf("selection moved to %q after re-sorting", j.Service)
	}
}

func TestBudgetLine(t *testing.T) {
	b := alerts.Budget{Availability: 0.99, Window: 30 * 24 * time.Hour, Covered: 27*time.Second + 400*time.Millisecond,
		Remaining: 0.55, Burn1h: 20, Burn5m: 16, Burn6h: 0.5, Burn30m: 0.4}
	got := budgetLine(b)
	for _, want := range []string{"budget 55% left", "over 30d", "data covers 27s", "1h 20.0x", "6h 0.5x"} {
		if !strings.Contains(got, want) {
			t.Errorf("budget line %q lacks %q", got, want)
		}
	}
	if b.Remaining = math.NaN(); !strings.Contains(budgetLine(b), "n/a") {
		t.Errorf("no requests: %q", budgetLine(b))
	}
}
