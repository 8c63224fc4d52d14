package errorspane

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
	"github.com/vigil-dev/vigil/tui/svclist"
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
	m.Refresh(pane.Env{Store: st, Now: at, Zoom: 15 * time.Minute, Overview: view.Overview{Services: svcs}})
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
	m.Refresh(pane.Env{Store: st, Now: at, Zoom: time.Minute, Overview: view.Overview{Services: []view.Service{a, b}}})
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("j")}) // select b (second, lower rate)
	if j, _ := m.Selection(); j.Service != "b" {
		t.Fatalf("selected %q", j.Service)
	}
	b.ErrorRate = view.Some(0.5) // b now sorts first
	m.Refresh(pane.Env{Store: st, Now: at.Add(time.Second), Zoom: time.Minute, Overview: view.Overview{Services: []view.Service{a, b}}})
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

// TestDetailChart: the detail draws the ratio against the target line on an
// axis in percent, with a gap where no requests were seen.
func TestDetailChart(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m, env := detailFixture(t, 80, 24)
	v := m.View()
	if testing.Verbose() {
		t.Log("\n" + v)
	}
	for _, want := range []string{"━ error rate", "━ target", "│", "    0%└", "12:10:00"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	lines := strings.Split(v, "\n")
	if len(lines) != 24 {
		t.Errorf("%d lines, want the pane's 24", len(lines))
	}
	// A 2% ratio against a 1% target (the default): the axis tops at 2%.
	if env.Overview.Services[0].ErrorTarget == 0.01 && !strings.Contains(v, "    2%│") {
		t.Errorf("no 2%% top label:\n%s", v)
	}
	// The gap: a run of plot columns where only the target line is drawn,
	// i.e. every plot row but the target's is blank there.
	blank := 0
	for _, l := range lines {
		r := []rune(l)
		if len(r) > styles.ChartGutter+40 && r[styles.ChartGutter-1] == '│' && strings.TrimSpace(string(r[styles.ChartGutter+25:styles.ChartGutter+35])) == "" {
			blank++
		}
	}
	if blank < 5 {
		t.Errorf("no gap where the target was down (%d blank rows there):\n%s", blank, v)
	}
}

// detailFixture opens the detail of a service with a 2% error ratio and a
// gap (its scrape target down for a while) in a w×h pane.
func detailFixture(t testing.TB, w, h int) (*Model, pane.Env) {
	t.Helper()
	m, env := listFixture(t, w, h)
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !used {
		t.Fatal("enter did not open the detail")
	}
	return m, env
}

// listFixture is the focused pane listing that service in a w×h pane.
func listFixture(t testing.TB, w, h int) (*Model, pane.Env) {
	t.Helper()
	st := sources.NewStore(sources.StoreOptions{})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	okS := sources.NewSeries(sources.SvcRequests, sources.Counter, "host", "h", "service", "api", "stack", "http", "outcome", "ok")
	errS := sources.NewSeries(sources.SvcRequests, sources.Counter, "host", "h", "service", "api", "stack", "http", "outcome", "error")
	var at time.Time
	for i := 0; i <= 120; i++ {
		if i > 40 && i < 70 {
			continue // the scrape target was down: no data, a gap
		}
		at = t0.Add(time.Duration(i) * 5 * time.Second)
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{
			{Series: okS, At: at, Value: float64(98 * i)},
			{Series: errS, At: at, Value: float64(2 * i)},
		}})
	}
	env := pane.Env{Store: st, Now: at, Zoom: 10 * time.Minute}
	env.Overview = view.Evaluate(st, at, view.Options{})
	if len(env.Overview.Services) != 1 {
		t.Fatalf("services: %+v", env.Overview.Services)
	}
	m := New()
	m.SetSize(w, h)
	m.Refresh(env)
	m.Focus()
	return m, env
}

// BenchmarkDetailRender draws a service's error detail (ratio against the
// target, figures) at 118x38 in 256 colours, as a key press does.
func BenchmarkDetailRender(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m, _ := detailFixture(b, 118, 38)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.render()
	}
}

// TestChartHeight: pane size × services → the chart level's height (0:
// one sparkline row per service). The sizes are the console's: the
// overview's errors pane at 200x50 (78x20), 120x40 (46x16) and 80x24
// (38x9), the Errors screen at 80x24 (78x21).
func TestChartHeight(t *testing.T) {
	svc := func(req bool) view.Service {
		s := view.Service{Host: "h", Name: "s", ErrorTarget: 0.01, Outcomes: map[string]view.Num{}}
		if req {
			s.Outcomes[sources.OutcomeOK] = view.Some(10)
		}
		return s
	}
	list := func(n int, req bool) []view.Service {
		out := make([]view.Service, n)
		for i := range out {
			out[i] = svc(req)
		}
		return out
	}
	demo := []view.Service{svc(true), svc(true), svc(false)} // recsys, llama, embedder
	cases := []struct {
		name    string
		w, room int
		list    []view.Service
		want    int
	}{
		{"overview 200x50, demo", 78, 20, demo, 7},
		{"overview 120x40, demo", 46, 16, demo, 5},
		{"overview 80x24, demo", 38, 9, demo, 0},
		{"screen 80x24, demo", 78, 21, demo, 9},
		{"tall screen: at most 13", 198, 45, demo, 13},
		{"16 services", 118, 20, list(16, true), 0},
		{"3 services in 20 rows: 5", 78, 20, list(3, true), 5},
		{"4 services in 20 rows: 4 each, too short", 78, 20, list(4, true), 0},
		{"one service, 12 rows: 9 (no blank headroom)", 78, 12, list(1, true), 9},
		{"no request counters", 78, 40, list(3, false), 0},
	}
	for _, c := range cases {
		if got := chartHeight(c.w, c.room, c.list, func(s view.Service) bool { return svclist.ShapeOf(s).Requests }); got != c.want {
			t.Errorf("%s: %dx%d, %d services: chart %d rows, want %d", c.name, c.w, c.room, len(c.list), got, c.want)
		}
	}
}

// TestChartList: with room, the list gives the service its figures line
// and a chart of its ratio against the target; the gap stays blank; the
// cursor is a column through every plot row; a short pane keeps the
// sparkline row.
func TestChartList(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m, env := listFixture(t, 80, 20)
	v := m.View()
	lines := strings.Split(v, "\n")
	if !strings.HasPrefix(lines[0], "▸ api") || !strings.Contains(lines[0], "━ error rate   2.0%") || !strings.Contains(lines[0], "━ target 1.0%") {
		t.Errorf("figures line %q", lines[0])
	}
	var plot []int
	for i, l := range lines {
		if r := []rune(l); len(r) > styles.ChartGutter && r[styles.ChartGutter-1] == '│' {
			plot = append(plot, i)
		}
	}
	if len(plot) < 4 || !strings.Contains(v, "    2%│") || !strings.Contains(v, "    0%└") || !strings.Contains(v, "12:10:00") {
		t.Fatalf("no chart with its axis and time labels:\n%s", v)
	}
	c := m.compute(env.Overview.Services[0], 80-styles.ChartGutter)
	gap := 0
	for i, r := range c.ratio {
		if !math.IsNaN(r) {
			continue
		}
		gap++
		// Only the target line (1%: the top dots of the 1% label's row)
		// crosses the gap.
		for _, row := range plot {
			if cell := []rune(lines[row])[styles.ChartGutter+i]; cell != ' ' && !strings.Contains(lines[row], "    1%│") {
				t.Fatalf("gap column %d drawn in row %d (%q):\n%s", i, row, cell, v)
			}
		}
	}
	if gap < 10 {
		t.Errorf("%d columns without data, want the gap's", gap)
	}
	env.Cursor = env.Now.Add(-3 * time.Minute)
	m.Refresh(env)
	lines = strings.Split(m.View(), "\n")
	col := styles.ChartGutter + c.axis.Index(env.Cursor)
	for _, row := range plot {
		if cell := []rune(lines[row])[col]; cell != '┃' {
			t.Errorf("row %d, cursor column %d: %q:\n%s", row, col, cell, m.View())
		}
	}
	if n := strings.Count(m.View(), "┃"); n != len(plot) {
		t.Errorf("%d cursor cells, want %d", n, len(plot))
	}
	// Five rows: the one sparkline row of old.
	m, _ = listFixture(t, 80, 5)
	if v := m.View(); strings.Contains(v, "└") || !strings.Contains(v, "/1.0%") {
		t.Errorf("5 rows: want the sparkline row:\n%s", v)
	}
}

// BenchmarkChartList draws the list at 78x20 at the chart level, as a key
// press does.
func BenchmarkChartList(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m, _ := listFixture(b, 78, 20)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.render()
	}
}
