package driftpane

import (
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
)

type rows struct {
	r      []drift.Row
	pinned []string
}

func (s *rows) Rows() []drift.Row { return s.r }
func (s *rows) Config() drift.Config {
	return drift.Config{Cell: time.Minute, MinReference: 1000, Columns: 240}
}
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
	m.Refresh(pane.Env{Now: now, Zoom: 10 * time.Minute})
	v := m.View()
	lines := strings.Split(v, "\n")
	// One column per cell, ending at the newest closed cell (12:08; the
	// 12:09 window has not closed), earlier columns without data blank.
	want := "since 12:01:00 ░▒▒▓█·↺≠ ≠ layout-changed"
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
	m.Refresh(pane.Env{Now: now, Zoom: 10 * time.Minute, Cursor: last.Add(-4*time.Minute + 10*time.Second)})
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
	m.Refresh(pane.Env{Now: time.Unix(0, 0), Zoom: time.Minute})
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

func TestMain(m *testing.M) { panetest.Main(m) }

var gt0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

// goldenRows are four features at 14:00:20 with one-minute cells: the
// 13:59 window has not closed yet (the monitor closes it with the next
// observation), so every row ends at 13:58. A long name, a drifting row
// in alert, a low-cardinality row, and one still baselining.
func goldenRows() []drift.Row {
	mk := func(name string, n int, level func(i int) drift.Level, effect float64) drift.Row {
		r := drift.Row{Feature: name, Reference: drift.ReferenceInfo{Ready: true, N: 10000}}
		for i := range n {
			start := gt0.Add(-time.Duration(n+1-i) * time.Minute)
			r.Cells = append(r.Cells, drift.Cell{Start: start, Level: level(i), Stats: drift.Stats{Effect: effect, N: 900}})
		}
		return r
	}
	quiet := func(i int) drift.Level {
		if i%17 == 5 {
			return drift.LevelTiny
		}
		return drift.LevelNone
	}
	onset := func(i int) drift.Level {
		switch {
		case i > 230:
			return drift.LevelHigh
		case i > 225:
			return drift.LevelModerate
		case i%40 == 7:
			return drift.LevelNoData
		}
		return drift.LevelNone
	}
	a := mk("features.session_length_seconds", 240, quiet, 0.07)
	b := mk("prediction.confidence", 240, onset, 0.31)
	b.Alert = true
	c := mk("tokens", 90, func(i int) drift.Level {
		if i < 3 {
			return drift.LevelInsufficient
		}
		return drift.LevelSmall
	}, 0.06)
	d := drift.Row{Feature: "user.tier", Kind: drift.KindCategorical, Reference: drift.ReferenceInfo{N: 420}}
	for i := range 6 {
		d.Cells = append(d.Cells, drift.Cell{Start: gt0.Add(-time.Duration(7-i) * time.Minute), Level: drift.LevelBaselining})
	}
	return []drift.Row{a, b, c, d}
}

// TestRowsGolden: the drift screen's rows at the pane widths of 80-, 120-
// and 200-column terminals, with and without colour. Every row fills the
// width exactly (more cells when wider) and none is cut with "…"; the
// summary shows the newest closed cell.
func TestRowsGolden(t *testing.T) {
	for _, colour := range []bool{false, true} {
		if colour {
			lipgloss.SetColorProfile(termenv.ANSI256)
		} else {
			lipgloss.SetColorProfile(termenv.Ascii)
		}
		for _, w := range []int{78, 118, 198} {
			m := New(WithSource(&rows{r: goldenRows()}))
			m.SetSize(w, 8)
			m.Focus()
			m.Refresh(pane.Env{Now: gt0.Add(20 * time.Second), Zoom: 15 * time.Minute})
			v := m.View()
			lines := strings.Split(v, "\n")
			for i, l := range lines[:4] {
				if got := ansi.StringWidth(l); got != w {
					t.Errorf("w=%d colour=%v: row %d is %d wide: %q", w, colour, i, got, l)
				}
				if strings.HasSuffix(strings.TrimRight(ansi.Strip(l), " "), "…") {
					t.Errorf("w=%d colour=%v: row %d is cut: %q", w, colour, i, l)
				}
			}
			plain := ansi.Strip(v)
			for _, want := range []string{"░ none 0.07", "ALERT █ high 0.31", "▒ small 0.06", "baselining 420/1000"} {
				if !strings.Contains(plain, want) {
					t.Errorf("w=%d: no %q in\n%s", w, want, plain)
				}
			}
			name := "rows_" + strconv.Itoa(w+2)
			if colour {
				name += "_colour"
			}
			panetest.Golden(t, name, v)
		}
	}
	lipgloss.SetColorProfile(termenv.Ascii)
}

// TestSummarySteadyAcrossBoundary: just after a window ends, before the
// monitor has closed it, and just after it has, the summary shows a value,
// never n/a; the grid ends at the newest closed cell either way.
func TestSummarySteadyAcrossBoundary(t *testing.T) {
	r := goldenRows()[0]
	src := &rows{r: []drift.Row{r}}
	m := New(WithSource(src))
	m.SetSize(78, 4)
	for _, now := range []time.Time{gt0.Add(-time.Second), gt0, gt0.Add(500 * time.Millisecond), gt0.Add(59 * time.Second)} {
		m.Refresh(pane.Env{Now: now, Zoom: 15 * time.Minute})
		if v := ansi.Strip(m.View()); !strings.Contains(v, "░ none 0.07") || strings.Contains(v, "n/a") {
			t.Errorf("at %s: %q", now.Format("15:04:05.000"), strings.Split(v, "\n")[0])
		}
	}
	// The monitor closes 13:59: the row gains a cell and shows it.
	r.Cells = append(r.Cells, drift.Cell{Start: gt0.Add(-time.Minute), Level: drift.LevelSmall, Stats: drift.Stats{Effect: 0.06}})
	src.r = []drift.Row{r}
	m.Refresh(pane.Env{Now: gt0.Add(time.Second), Zoom: 15 * time.Minute})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "▒ small 0.06") {
		t.Errorf("after the close: %q", strings.Split(v, "\n")[0])
	}
	// Nothing arrives for minutes: the grid follows the clock, the
	// summary still names the newest closed cell.
	m.Refresh(pane.Env{Now: gt0.Add(5 * time.Minute), Zoom: 15 * time.Minute})
	first := strings.Split(ansi.Strip(m.View()), "\n")[0]
	if !strings.Contains(first, "▒      ▒ small 0.06") {
		t.Errorf("stalled monitor: %q", first)
	}
}

// TestEnterOpensNewestClosedCell: Enter on a row opens its newest closed
// cell at any instant, and on a row without one says when the first closes.
func TestEnterOpensNewestClosedCell(t *testing.T) {
	src := &rows{r: goldenRows()[:1]}
	m := New(WithSource(src))
	m.SetSize(118, 20)
	m.Focus()
	m.Refresh(pane.Env{Now: gt0.Add(300 * time.Millisecond), Zoom: 15 * time.Minute})
	if ok, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !ok {
		t.Fatal("enter not handled")
	}
	v := ansi.Strip(m.View())
	if !strings.Contains(v, "cell 13:58:00 + 1m") || strings.Contains(v, "no closed cell") {
		t.Errorf("detail:\n%s", v)
	}
	panetest.Golden(t, "detail_120", m.View())
	m.Escape()
	src.r = []drift.Row{{Feature: "fresh", Reference: drift.ReferenceInfo{N: 12}}}
	m.Refresh(pane.Env{Now: gt0.Add(37 * time.Second), Zoom: 15 * time.Minute})
	m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	if v := ansi.Strip(m.View()); !strings.Contains(v, "no closed cell yet: the first closes in 23s") {
		t.Errorf("fresh row detail:\n%s", v)
	}
}

// TestCursorSummary: with a time cursor a row's summary is the cursor's
// cell, without the live alert or the live baselining count.
func TestCursorSummary(t *testing.T) {
	m := New(WithSource(&rows{r: goldenRows()}))
	m.SetSize(118, 8)
	m.Refresh(pane.Env{Now: gt0.Add(20 * time.Second), Zoom: 15 * time.Minute, Cursor: gt0.Add(-10*time.Minute + 5*time.Second)})
	v := ansi.Strip(m.View())
	if strings.Contains(v, "ALERT") || strings.Contains(v, "baselining 420") || !strings.Contains(v, "█ high 0.31") {
		t.Errorf("cursor at 13:50:05:\n%s", v)
	}
}
