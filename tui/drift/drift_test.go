package drift

import (
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/tui/pane"
)

type rows struct {
	r      []drift.Row
	pinned []string
}

func (s *rows) Rows() []drift.Row    { return s.r }
func (s *rows) Config() drift.Config { return drift.Config{Window: time.Minute, MinReference: 1000} }
func (s *rows) Repin(f string) error { s.pinned = append(s.pinned, f); return nil }

func TestCellsAndGlyphs(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 10, 30, 0, time.UTC)
	last := time.Date(2026, 1, 1, 12, 9, 0, 0, time.UTC) // newest closed cell
	levels := []drift.Level{drift.LevelNone, drift.LevelTiny, drift.LevelSmall, drift.LevelModerate, drift.LevelHigh,
		drift.LevelInsufficient, drift.LevelReset, drift.LevelLayoutChanged}
	r := drift.Row{Feature: "f", Reference: drift.ReferenceInfo{Ready: true}}
	for i, l := range levels {
		// one missing window (no data) between the first and the rest
		r.Cells = append(r.Cells, drift.Cell{Start: last.Add(-time.Duration(len(levels)-i) * time.Minute), Level: l})
	}
	src := &rows{r: []drift.Row{r, {Feature: "young", Reference: drift.ReferenceInfo{N: 120}}}}
	m := New(WithSource(src))
	m.SetSize(60, 6) // 29 columns for 10 cells: each cell two wide
	m.Refresh(pane.Env{Now: now, Window: 10 * time.Minute})
	v := m.View()
	lines := strings.Split(v, "\n")
	// 10 columns ending at 12:09: 12:00 … 12:09; cells at 12:01..12:08, so
	// 12:00 and 12:09 have no data.
	want := "  ░░▒▒▒▒▓▓██··↺↺≠≠  "
	if !strings.Contains(lines[0], want) {
		t.Fatalf("row cells: got %q, want them to contain %q", lines[0], want)
	}
	if !strings.Contains(lines[1], "baselining 120/1000") {
		t.Fatalf("baselining row: %q", lines[1])
	}
	if !strings.Contains(v, "high") || !strings.Contains(v, "n<min") {
		t.Fatalf("legend missing:\n%s", v)
	}
	// The cursor marks its cell and the state shows that cell.
	m.Refresh(pane.Env{Now: now, Window: 10 * time.Minute, Cursor: last.Add(-4*time.Minute + 10*time.Second)})
	if !strings.Contains(m.View(), "moderate") {
		t.Fatalf("cursor cell state missing:\n%s", m.View())
	}
	if _, cmd := m.HandleKey(keyB()); cmd == nil || len(src.pinned) != 1 || src.pinned[0] != "f" {
		t.Fatalf("b did not re-pin: %v", src.pinned)
	}
}

func TestNoSource(t *testing.T) {
	m := New()
	m.SetSize(40, 5)
	m.Refresh(pane.Env{Now: time.Unix(0, 0), Window: time.Minute})
	if !strings.Contains(m.View(), "no drift monitor") {
		t.Fatalf("no-source text: %q", m.View())
	}
}

func TestShortDur(t *testing.T) {
	for d, want := range map[time.Duration]string{10 * time.Second: "10s", time.Minute: "1m", 90 * time.Second: "1m30s", 2 * time.Hour: "2h"} {
		if got := shortDur(d); got != want {
			t.Errorf("shortDur(%v) = %q, want %q", d, got, want)
		}
	}
}
