package latency

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
	env := pane.Env{Store: st, Now: end, Window: 10 * time.Minute}
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
	m.Refresh(pane.Env{Store: st, Now: now, Window: time.Minute, Overview: view.Overview{Services: []view.Service{
		{Host: "h", Name: "quiet", Stack: "x", Latency: view.Quantiles{Count: view.Some(0), Basis: view.BasisWindow}},
	}}})
	v := m.View()
	if !strings.Contains(v, "n/a") || strings.Contains(v, "0s") {
		t.Fatalf("missing latency must read n/a:\n%s", v)
	}
	m.Refresh(pane.Env{Store: st, Now: now, Window: time.Minute})
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
		env := pane.Env{Store: st, Now: at, Window: 5 * time.Minute}
		env.Overview = view.Evaluate(st, at, view.Options{})
		a.Refresh(env)
	}
	b := New()
	b.SetSize(80, 10)
	env := pane.Env{Store: st, Now: end, Window: 5 * time.Minute}
	env.Overview = view.Evaluate(st, end, view.Options{})
	b.Refresh(env)
	if a.View() != b.View() {
		t.Fatalf("cached view differs from fresh:\n%s\n---\n%s", a.View(), b.View())
	}
	if len(a.cols.m) == 0 {
		t.Fatal("nothing was cached")
	}
}

// detailModel opens the fixture service's detail in a w×h pane.
func detailModel(t testing.TB, w, h int, cursor time.Time, sigs ...string) (*Model, pane.Env) {
	t.Helper()
	st, end := fixtureOf(append([]string{sources.SvcLatency}, sigs...)...)
	env := pane.Env{Store: st, Now: end, Window: 10 * time.Minute, Cursor: cursor}
	env.Overview = view.Evaluate(st, end, view.Options{})
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
	// At the cursor, the legends give the figures of that moment: here a
	// column with no data yet (before the first scrape), so n/a.
	m, env := detailModel(t, 100, 40, time.Time{}, sources.SvcTTFT, sources.SvcITL)
	env.Cursor = env.Now.Add(-10*time.Minute + time.Second)
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
