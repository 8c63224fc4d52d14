package latency

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

var bounds = []float64{0.01, 0.05, 0.1, 0.5, 1, math.Inf(1)}

// store with one service whose requests all fall in (0.05, 0.1]: every
// quantile lies in that bucket.
func fixture() (*sources.Store, time.Time) {
	st := sources.NewStore(sources.StoreOptions{})
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ser := sources.NewSeries(sources.SvcLatency, sources.Counter, "host", "h", "service", "api", "stack", "http")
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
		st.Ingest(sources.Frame{At: at, Histograms: []sources.Histogram{{Series: ser, At: at, Buckets: bs, Count: n, Sum: n * 0.07}}})
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
