package tui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
)

// benchModel is the benchmark console: 16 services, 8 GPUs, 32 drift
// rows and a status bar with several sources, in 256 colours.
func benchModel(b *testing.B, w, h int) Model {
	b.Helper()
	st, end := bigStore()
	for i := 0; i < 6; i++ {
		state := sources.HealthOK
		last := end
		if i == 4 {
			last = end.Add(-time.Minute)
		}
		if i == 5 {
			state = sources.HealthError
		}
		st.Ingest(sources.Frame{Source: "s" + strconv.Itoa(i), At: end, Health: &sources.Health{Source: "source-" + strconv.Itoa(i), State: state, LastOK: last, At: end, Interval: 5 * time.Second}})
	}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: manyDriftRows(32, end)})
	m = drive(m, tea.WindowSizeMsg{Width: w, Height: h}, tickMsg{at: end})
	m.s.setMessage("", false)
	return m
}

// reportCPU starts the CPU clock; call the result when the loop ends.
func reportCPU(b *testing.B) func() {
	start := cputime.Now()
	return func() {
		b.ReportMetric(float64(cputime.Now()-start)/float64(b.N), "cpu-ns/op")
	}
}

func withColour(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	b.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
}

func benchView(b *testing.B, w, h int) {
	withColour(b)
	m := benchModel(b, w, h)
	if len(m.View()) == 0 {
		b.Fatal("empty view")
	}
	b.ReportAllocs()
	b.ResetTimer()
	done := reportCPU(b)
	for i := 0; i < b.N; i++ {
		_ = m.View()
	}
	done()
}

func BenchmarkOverviewView200x50(b *testing.B) { benchView(b, 200, 50) }
func BenchmarkOverviewView80x24(b *testing.B)  { benchView(b, 80, 24) }

// BenchmarkKeyToFrame is a navigation key (selection move) through Update
// and the next View.
func BenchmarkKeyToFrame(b *testing.B) {
	withColour(b)
	m := benchModel(b, 200, 50)
	keys := []tea.Msg{keyMsg("j"), keyMsg("k")}
	b.ReportAllocs()
	b.ResetTimer()
	done := reportCPU(b)
	for i := 0; i < b.N; i++ {
		nm, _ := m.Update(keys[i%2])
		m = nm.(Model)
		_ = m.View()
	}
	done()
}

// BenchmarkZoomKeyToFrame is the costliest key: a zoom re-evaluates the
// overview and recomputes every visible sparkline before the next View.
func BenchmarkZoomKeyToFrame(b *testing.B) {
	withColour(b)
	m := benchModel(b, 200, 50)
	keys := []tea.Msg{keyMsg("+"), keyMsg("-")}
	b.ReportAllocs()
	b.ResetTimer()
	done := reportCPU(b)
	for i := 0; i < b.N; i++ {
		nm, _ := m.Update(keys[i%2])
		m = nm.(Model)
		_ = m.View()
	}
	done()
}

// BenchmarkRefresh is one live refresh tick at 200x50 (evaluation and panes).
func BenchmarkRefresh(b *testing.B) {
	withColour(b)
	m := benchModel(b, 200, 50)
	at := m.s.t.Now
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		at = at.Add(time.Second)
		nm, _ := m.Update(tickMsg{at: at})
		m = nm.(Model)
	}
}

// BenchmarkRefresh1000Services is one refresh at 200x50 over 1,000 services:
// the panes draw only the rows that fit (top-k), so the cost is the
// evaluation of the overview, not the drawing.
func BenchmarkRefresh1000Services(b *testing.B) {
	withColour(b)
	st := sources.NewStore(sources.StoreOptions{Retention: time.Hour})
	end := t0.Add(5 * time.Minute)
	acc := make([]histAcc, 1000)
	okc := make([]float64, 1000)
	for at := t0; !at.After(end); at = at.Add(15 * time.Second) {
		f := sources.Frame{At: at}
		for i := range acc {
			acc[i].observe(0.01+0.0001*float64(i), 0.5)
			okc[i] += 10
			kv := []string{"host", "h" + strconv.Itoa(i/100), "service", "svc-" + strconv.Itoa(i), "stack", "http"}
			f.Histograms = append(f.Histograms, acc[i].hist(sources.NewSeries(sources.SvcLatency, sources.Counter, kv...), at))
			f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter, append(kv, "outcome", "ok")...), At: at, Value: okc[i]})
		}
		st.Ingest(f)
	}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end)})
	m = drive(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: end})
	if !strings.Contains(m.View(), "more") {
		b.Fatal("no +N more with 1,000 services")
	}
	at := end
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b)()
	for i := 0; i < b.N; i++ {
		at = at.Add(time.Second)
		nm, _ := m.Update(tickMsg{at: at})
		m = nm.(Model)
		_ = m.View()
	}
}
