package latencypane

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
	"github.com/vigil-dev/vigil/tui/svclist"
)

var bounds = []float64{0.01, 0.05, 0.1, 0.5, 1, math.Inf(1)}

// store with one service whose requests all fall in (0.05, 0.1]: every
// quantile lies in that bucket.
func fixture() (*sources.Store, time.Time) { return fixtureOf(sources.SvcLatency) }

// fixtureOf is fixture with the same histogram under every signal in sigs
// (an LLM stack: latency, TTFT and ITL).
func fixtureOf(sigs ...string) (*sources.Store, time.Time) {
	st := sources.NewStore(sources.StoreOptions{})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	var sers []sources.Series
	for _, sig := range sigs {
		sers = append(sers, sources.NewSeries(sig, sources.Counter, "host", "h", "service", "api", "stack", "http"))
	}
	var n float64
	at := t0
	for i := 0; i <= 120; i++ {
		at = t0.Add(time.Duration(i) * 5 * time.Second)
		n += 100
		bs := make([]sources.Bucket, len(bounds))
		for k, b := range bounds {
			if b >= 0.1 {
				bs[k] = sources.Bucket{UpperBound: b, Count: n}
			} else {
				bs[k] = sources.Bucket{UpperBound: b}
			}
		}
		var hs []sources.Histogram
		for _, ser := range sers {
			hs = append(hs, sources.Histogram{Series: ser, At: at, Buckets: bs, Count: n, Sum: n * 0.07})
		}
		st.Ingest(sources.Frame{At: at, Histograms: hs})
	}
	return st, at
}

func TestSparklineAndFigures(t *testing.T) {
	st, end := fixture()
	env := pane.Env{Store: st, Now: end, Zoom: 10 * time.Minute}
	env.Overview = view.Evaluate(st, end, view.Options{})
	m := New()
	m.SetSize(80, 10)
	m.Refresh(env)
	v := m.View()
	if !strings.Contains(v, "api") || !strings.Contains(v, "p99") {
		t.Fatalf("view:\n%s", v)
	}
	c := m.compute(env.Overview.Services[0], 40)
	for i, q := range c.p99 {
		if math.IsNaN(q) || q <= 0.05 || q > 0.1 {
			t.Fatalf("column %d p99 = %v, want in (0.05, 0.1]", i, q)
		}
	}
	// The cursor shows figures at its instant and its time in the note.
	env.Cursor = end.Add(-5 * time.Minute)
	m.Refresh(env)
	if !strings.Contains(m.Note(), "@12:05:00") {
		t.Fatalf("note without cursor: %q", m.Note())
	}
	// Drill-down and back.
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !used || !strings.Contains(m.Title(), "api") {
		t.Fatalf("enter did not open the detail: %q", m.Title())
	}
	if !m.Escape() || m.Escape() {
		t.Fatal("escape should leave the detail once")
	}
}

func TestNoDataIsNA(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	m := New()
	m.SetSize(80, 10)
	m.Refresh(pane.Env{Store: st, Now: now, Zoom: time.Minute, Overview: view.Overview{Services: []view.Service{
		{Host: "h", Name: "quiet", Stack: "x", Latency: view.Quantiles{Count: view.Some(0), Basis: view.BasisWindow}},
	}}})
	v := m.View()
	if !strings.Contains(v, "n/a") || strings.Contains(v, "0s") {
		t.Fatalf("missing latency must read n/a:\n%s", v)
	}
	m.Refresh(pane.Env{Store: st, Now: now, Zoom: time.Minute})
	if !strings.Contains(m.View(), "no services yet") {
		t.Fatalf("empty: %q", m.View())
	}
}

// TestColumnCacheMatchesFresh checks that cached final columns equal a fresh
// computation after time moves on.
func TestColumnCacheMatchesFresh(t *testing.T) {
	st, end := fixture()
	a := New()
	a.SetSize(80, 10)
	for _, at := range []time.Time{end.Add(-3 * time.Minute), end.Add(-2 * time.Minute), end} {
		env := pane.Env{Store: st, Now: at, Zoom: 5 * time.Minute}
		env.Overview = view.Evaluate(st, at, view.Options{})
		a.Refresh(env)
	}
	b := New()
	b.SetSize(80, 10)
	env := pane.Env{Store: st, Now: end, Zoom: 5 * time.Minute}
	env.Overview = view.Evaluate(st, end, view.Options{})
	b.Refresh(env)
	if a.View() != b.View() {
		t.Fatalf("cached view differs from fresh:\n%s\n---\n%s", a.View(), b.View())
	}
	if a.cols.Cached() == 0 {
		t.Fatal("nothing was cached")
	}
}

// detailModel opens the fixture service's detail in a w×h pane.
func detailModel(t testing.TB, w, h int, cursor time.Time, sigs ...string) (*Model, pane.Env) {
	t.Helper()
	st, end := fixtureOf(append([]string{sources.SvcLatency}, sigs...)...)
	env := pane.NewEnv(st, end, 10*time.Minute, cursor, "LIVE", view.Options{})
	m := New()
	m.SetSize(w, h)
	m.Refresh(env)
	m.Focus()
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyEnter}); !used {
		t.Fatal("enter did not open the detail")
	}
	return m, env
}

func TestDetailChart(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m, env := detailModel(t, 100, 30, time.Time{})
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) > 30 {
		t.Fatalf("%d lines in a 30-row pane", len(lines))
	}
	// Every quantile lies in (50ms, 100ms]: the axis tops at 100ms.
	for _, want := range []string{"━ p50", "━ p95", "━ p99", " 100ms│", "    0s└", "12:05:00", "12:10:00"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 100 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
	// The chart is braille, and its columns start after the gutter.
	if !strings.ContainsAny(v, "⠀⠁⠂⠃⠄⠅⠆⠇⡀⢀⣀⠉⠒⠤") {
		t.Errorf("no braille line:\n%s", v)
	}
	// The cursor draws a marker column in the chart.
	env.Cursor = env.Now.Add(-5 * time.Minute)
	m.Refresh(env)
	if n := strings.Count(m.View(), "┃"); n < 5 {
		t.Errorf("cursor column: %d marker cells, want one per plot row:\n%s", n, m.View())
	}
}

// TestDetailLLMCharts: an LLM stack's detail adds TTFT and ITL charts on
// the latency chart's columns when the pane has room, and only then.
func TestDetailLLMCharts(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	m, _ := detailModel(t, 100, 40, time.Time{}, sources.SvcTTFT, sources.SvcITL)
	v := m.View()
	if strings.Count(v, "    0s└") != 3 || !strings.Contains(v, "━ ttft p50") || !strings.Contains(v, "━ itl p50") {
		t.Fatalf("want three charts (latency, TTFT, ITL):\n%s", v)
	}
	// The time labels are under the bottom chart only, and the charts'
	// columns line up (one axis corner column for all).
	if strings.Count(v, "12:10:00") != 1 || !strings.HasSuffix(strings.TrimRight(v, " "), "12:10:00") {
		t.Errorf("time labels not at the bottom:\n%s", v)
	}
	// At the cursor, the legends give the figures of that moment: here
	// before the first scrape, so n/a.
	m, env := detailModel(t, 100, 40, time.Time{}, sources.SvcTTFT, sources.SvcITL)
	env = pane.NewEnv(env.Store, env.Now, env.Zoom, env.Now.Add(-10*time.Minute-time.Second), "LIVE", view.Options{})
	m.Refresh(env)
	if v := m.View(); !strings.Contains(v, "━ ttft p50    n/a") && !strings.Contains(v, "━ ttft p50 n/a") {
		t.Errorf("TTFT legend at a cursor with no data:\n%s", v)
	}
	m, _ = detailModel(t, 100, 20, time.Time{}, sources.SvcTTFT, sources.SvcITL)
	if v := m.View(); strings.Count(v, "└") != 1 || strings.Contains(v, "━ ttft") {
		t.Errorf("a 20-row pane should keep one chart:\n%s", v)
	}
}

// TestDetailSmallPanes: the detail degrades to sparklines, never panics,
// never overflows.
func TestDetailSmallPanes(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	for _, sz := range [][2]int{{78, 22}, {60, 8}, {40, 5}, {30, 4}, {20, 3}, {12, 2}, {10, 1}, {5, 5}} {
		m, _ := detailModel(t, sz[0], sz[1], time.Time{})
		lines := strings.Split(m.View(), "\n")
		if len(lines) > sz[1] {
			t.Errorf("%v: %d lines", sz, len(lines))
		}
		if sz == [2]int{40, 5} && !strings.Contains(m.View(), "p99") {
			t.Errorf("%v: no p99 sparkline:\n%s", sz, m.View())
		}
	}
}

// BenchmarkDetailRender draws an LLM service's detail (latency, TTFT and
// ITL charts and figures) at 118x38 with the columns cached, as a key press
// or a cursor move does.
func BenchmarkDetailRender(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m, _ := detailModel(b, 118, 38, time.Time{}, sources.SvcTTFT, sources.SvcITL)
	if !strings.Contains(m.View(), "ttft p50") {
		b.Fatalf("no TTFT chart:\n%s", m.View())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.render()
	}
}

// BenchmarkDetailLiveRefresh is a live tick of an LLM service's detail at
// 198x46: time moves a second, so the newest columns' quantiles are
// recomputed before drawing.
func BenchmarkDetailLiveRefresh(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m, env := detailModel(b, 198, 46, time.Time{}, sources.SvcTTFT, sources.SvcITL)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env.Now = env.Now.Add(time.Second)
		m.Refresh(env)
	}
}

// svc is a service for the level choice: with a latency distribution or
// without, an LLM stack or not.
func svc(latency, llm bool) view.Service {
	s := view.Service{Host: "h", Name: "s"}
	if latency {
		s.Latency.Count = view.Some(10)
	}
	if llm {
		s.TTFT.Count = view.Some(10)
	}
	return s
}

func svcList(n int, latency, llm bool) []view.Service {
	out := make([]view.Service, n)
	for i := range out {
		out[i] = svc(latency, llm)
	}
	return out
}

// TestChooseLevel: pane size × services → detail level and chart height.
// The sizes are the console's: the overview's latency pane at 200x50
// (118x24), 120x40 (70x18) and 80x24 (38x9), the Latency screen at 80x24
// (78x21) and 200x50 (198x45).
func TestChooseLevel(t *testing.T) {
	demo := []view.Service{svc(true, true), svc(true, false), svc(false, false)} // llama, recsys, embedder
	cases := []struct {
		name    string
		w, room int
		list    []view.Service
		lvl, ch int
	}{
		{"overview 200x50, demo", 118, 24, demo, levelChart, 9},
		{"overview 120x40, demo", 70, 18, demo, levelChart, 7},
		{"overview 80x24, demo", 38, 9, demo, levelSpark, 0},
		{"screen 80x24, demo", 78, 21, demo, levelChart, 7},
		{"screen 200x50, demo: at most 13 rows", 198, 45, demo, levelChart, 13},
		{"overview 200x50, 16 services", 118, 24, svcList(16, true, false), levelSpark, 0},
		{"overview 200x50, 5 services: 3 rows each", 118, 24, svcList(5, true, false), levelSparks, 0},
		{"overview 200x50, 4 services: 5 rows each", 118, 24, svcList(4, true, false), levelChart, 5},
		{"overview 200x50, 8 LLM services", 118, 24, svcList(8, true, true), levelFigures, 0},
		{"one service, 10 rows: 9", 118, 10, svcList(1, true, false), levelChart, 9},
		{"one service, 12 rows: 9 (no blank headroom)", 118, 12, svcList(1, true, false), levelChart, 9},
		{"one service, 5 rows: too short", 118, 5, svcList(1, true, false), levelSparks, 0},
		{"one service, 6 rows: 5", 118, 6, svcList(1, true, false), levelChart, 5},
		{"39 wide: no charts", 39, 40, demo, levelSpark, 0},
		{"40 wide: charts", 40, 40, demo, levelChart, 13},
		{"no latency histograms: no charts", 118, 40, svcList(3, false, false), levelSparks, 0},
	}
	for _, c := range cases {
		lvl, ch := chooseLevel(c.w, c.room, c.list, svclist.ShapeOf)
		if lvl != c.lvl || ch != c.ch {
			t.Errorf("%s: %dx%d, %d services: level %d, chart %d rows; want %d, %d", c.name, c.w, c.room, len(c.list), lvl, ch, c.lvl, c.ch)
		}
		if lvl == levelChart {
			used := 0
			for _, s := range c.list {
				used += blockHeight(lvl, ch, svclist.ShapeOf(s))
			}
			if used > c.room {
				t.Errorf("%s: %d rows used of %d", c.name, used, c.room)
			}
		}
	}
}

// gapFixture is a store of two services, "api" and "web", whose requests
// fall in (0.05, 0.1] (web: (0.1, 0.5]); api's scrape target was down from
// 12:03:25 to 12:05:50 (no data: a gap).
func gapFixture(t testing.TB) (pane.Env, view.Service) {
	t.Helper()
	st := sources.NewStore(sources.StoreOptions{})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	api := sources.NewSeries(sources.SvcLatency, sources.Counter, "host", "h", "service", "api", "stack", "http")
	web := sources.NewSeries(sources.SvcLatency, sources.Counter, "host", "h", "service", "web", "stack", "http")
	hist := func(ser sources.Series, at time.Time, n, lo float64) sources.Histogram {
		bs := make([]sources.Bucket, len(bounds))
		for k, b := range bounds {
			bs[k] = sources.Bucket{UpperBound: b}
			if b >= lo {
				bs[k].Count = n
			}
		}
		return sources.Histogram{Series: ser, At: at, Buckets: bs, Count: n, Sum: n * lo * 0.7}
	}
	var at time.Time
	for i := 0; i <= 120; i++ {
		at = t0.Add(time.Duration(i) * 5 * time.Second)
		n := float64(100 * (i + 1))
		hs := []sources.Histogram{hist(web, at, n, 0.5)}
		if i <= 40 || i >= 70 {
			hs = append(hs, hist(api, at, n, 0.1))
		}
		st.Ingest(sources.Frame{At: at, Histograms: hs})
	}
	env := pane.Env{Store: st, Now: at, Zoom: 10 * time.Minute}
	env.Overview = view.Evaluate(st, at, view.Options{})
	if len(env.Overview.Services) != 2 {
		t.Fatalf("services: %+v", env.Overview.Services)
	}
	for _, s := range env.Overview.Services {
		if s.Name == "api" {
			return env, s
		}
	}
	t.Fatal("no api service")
	return env, view.Service{}
}

// plotRows returns, per chart, the indexes of its plot rows (the lines
// whose Y axis is drawn after the gutter's labels).
func plotRows(lines []string) [][]int {
	var charts [][]int
	var cur []int
	for i, l := range lines {
		r := []rune(l)
		if len(r) > styles.ChartGutter && r[styles.ChartGutter-1] == '│' {
			cur = append(cur, i)
			continue
		}
		if len(r) > styles.ChartGutter && r[styles.ChartGutter-1] == '└' && cur != nil {
			charts = append(charts, cur)
			cur = nil
		}
	}
	return charts
}

// TestChartLevel: at 118x30 two services get a chart each under their
// figures line; api's gap stays blank; the selection keeps its marker; the
// time labels are under the last chart only; the cursor is a column
// through every plot row of both charts.
func TestChartLevel(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	env, api := gapFixture(t)
	m := New(WithKeyMap(DefaultKeyMap()))
	m.SetSize(118, 30)
	m.Refresh(env)
	m.Focus()
	v := m.View()
	lines := strings.Split(v, "\n")
	if len(lines) > 30 {
		t.Fatalf("%d lines in 30 rows", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 118 {
			t.Errorf("line %d is %d wide", i, w)
		}
	}
	charts := plotRows(lines)
	if len(charts) != 2 {
		t.Fatalf("%d charts, want 2:\n%s", len(charts), v)
	}
	// web (p99 ≤ 500ms) sorts first by p99 and is selected.
	if !strings.HasPrefix(lines[0], "▸ web") || !strings.HasPrefix(lines[charts[0][len(charts[0])-1]+2], "  api") {
		t.Errorf("figures lines: %q, %q:\n%s", lines[0], lines[charts[0][len(charts[0])-1]+2], v)
	}
	for _, want := range []string{"p50", "p95", "p99", " 600ms│", " 100ms│", "    0s└"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	if strings.Count(v, "12:10:00") != 1 || !strings.HasSuffix(strings.TrimRight(lines[len(lines)-1], " "), "12:10:00") {
		t.Errorf("time labels not once under the last chart:\n%s", v)
	}
	// The gap: api's quantiles are NaN there, and its plot columns blank.
	c := m.compute(api, 118-styles.ChartGutter)
	gap := 0
	for i, q := range c.p99 {
		if !math.IsNaN(q) {
			continue
		}
		gap++
		for _, r := range charts[1] {
			if cell := []rune(lines[r])[styles.ChartGutter+i]; cell != ' ' {
				t.Fatalf("gap column %d drawn in row %d (%q):\n%s", i, r, cell, v)
			}
		}
	}
	if gap < 15 {
		t.Errorf("api has %d columns without data, want the gap's ~20", gap)
	}
	// The time cursor: one marker per plot row, in the same column.
	env.Cursor = env.Now.Add(-2 * time.Minute)
	m.Refresh(env)
	lines = strings.Split(m.View(), "\n")
	col := styles.ChartGutter + m.cursorMark(c)
	rows := 0
	for _, ch := range plotRows(lines) {
		for _, r := range ch {
			rows++
			if cell := []rune(lines[r])[col]; cell != '┃' {
				t.Errorf("row %d, cursor column %d: %q:\n%s", r, col, cell, m.View())
			}
		}
	}
	if n := strings.Count(m.View(), "┃"); rows == 0 || n != rows {
		t.Errorf("%d cursor cells, want %d (one per plot row)", n, rows)
	}
}

// TestChartLevelTopKAndFallback: a top-k cut keeps the charts and says
// "+N more"; too many services for charts fall back to the sparklines.
func TestChartLevelTopKAndFallback(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	env, _ := gapFixture(t)
	m := New(WithTopK(1))
	m.SetSize(118, 30)
	m.Refresh(env)
	v := m.View()
	if len(plotRows(strings.Split(v, "\n"))) != 1 || !strings.Contains(v, "+1 more") {
		t.Errorf("top-1: want one chart and +1 more:\n%s", v)
	}
	// The same two services in 9 rows: the sparkline blocks of today.
	m = New()
	m.SetSize(118, 9)
	m.Refresh(env)
	v = m.View()
	if strings.Contains(v, "└") || strings.Count(v, "\n  p95 ") != 2 {
		t.Errorf("9 rows: want p99/p95/p50 sparklines:\n%s", v)
	}
}

// BenchmarkChartLevel draws the latency pane at 118x30 with two services
// at the chart level, columns cached, as a key press or a refresh with no
// new data does.
func BenchmarkChartLevel(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	env, _ := gapFixture(b)
	m := New()
	m.SetSize(118, 30)
	m.Refresh(env)
	if len(plotRows(strings.Split(ansi.Strip(m.View()), "\n"))) != 2 {
		b.Fatalf("not the chart level:\n%s", m.View())
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.render()
	}
}

// BenchmarkChartLevelLiveRefresh is a live tick of the same pane: the
// instant shown moves (a second at a time, within the last minute of data,
// so there is always data to draw), and each service's columns newer than
// FinalLag are recomputed.
func BenchmarkChartLevelLiveRefresh(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	env, _ := gapFixture(b)
	end := env.Now
	m := New()
	m.SetSize(118, 30)
	m.Refresh(env)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		env.Now = end.Add(-time.Duration(i%60) * time.Second)
		m.Refresh(env)
	}
}

// TestScrollThenGrow: a list scrolled in a short pane shows from its first
// service again once the pane grows to the chart level.
func TestScrollThenGrow(t *testing.T) {
	lipgloss.SetColorProfile(termenv.Ascii)
	var svcs []view.Service
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		s := svc(true, false)
		s.Name = n
		svcs = append(svcs, s)
	}
	m := New()
	m.SetSize(118, 3)
	m.Refresh(pane.Env{Store: sources.NewStore(sources.StoreOptions{}), Now: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), Zoom: time.Minute, Overview: view.Overview{Services: svcs}})
	m.Focus()
	m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("G")})
	if v := m.View(); !strings.Contains(v, "▸ e") || strings.Contains(v, "  a ") {
		t.Fatalf("3 rows, at the bottom:\n%s", v)
	}
	m.SetSize(118, 40)
	v := m.View()
	if !strings.HasPrefix(v, "  a ") || !strings.Contains(v, "▸ e") || strings.Contains(v, "more") || len(plotRows(strings.Split(v, "\n"))) != 5 {
		t.Errorf("40 rows: want all five charts from a:\n%s", v)
	}
}
