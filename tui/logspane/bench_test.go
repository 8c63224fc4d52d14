package logspane

import (
	"fmt"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/pane"
)

// bufferOf100k is a store holding 100,000 parsed demo-shaped lines.
func bufferOf100k(b *testing.B) *sources.Store {
	p := newParser(b, nil)
	st := sources.NewStore(sources.StoreOptions{})
	for i := 0; i < 100_000; i += 1000 {
		batch := make([]sources.LogRecord, 1000)
		for j := range batch {
			n := i + j
			lvl := "info"
			if n%97 == 0 {
				lvl = "error"
			}
			batch[j] = p.Parse([]byte(fmt.Sprintf(`{"time":"2026-11-27T08:%02d:%02d.%03dZ","level":%q,"service":"chat-api","msg":"request completed for tenant t%d","trace_id":"%032x","span_id":"%016x","latency_ms":%d,"status":200,"prediction":{"confidence":0.%02d},"predicted_class":"answer","features":{"prompt_tokens":%d}}`,
				n/6000%60, n/100%60, n%1000, lvl, n%50, n, n, 100+n%900, n%100, 100+n%500)), t0)
		}
		st.Ingest(sources.Frame{Logs: batch})
	}
	return st
}

// BenchmarkFilter100k applies a filter to a full 100,000-line buffer, as
// pressing Enter on `/` does: the pane rescans the store. Target ≤ 100 ms.
func BenchmarkFilter100k(b *testing.B) {
	st := bufferOf100k(b)
	m := New(Options{Location: time.UTC})
	m.SetSize(120, 40)
	m.Refresh(pane100k(st))
	for _, expr := range []string{`tenant t4[27]\b`, `timeout`, `level>=warn service=chat-api`} {
		b.Run(expr, func(b *testing.B) {
			b.ReportAllocs()
			defer cputime.Report(b, cputime.Now())
			for i := 0; i < b.N; i++ {
				if err := m.SetFilter(expr); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(m.Lines()), "lines")
		})
	}
}

// BenchmarkRefreshFollow is one refresh while following with 1,000 new
// lines in the store, as happens a few times a second under load.
func BenchmarkRefreshFollow(b *testing.B) {
	st := bufferOf100k(b)
	m := New(Options{Location: time.UTC})
	m.SetSize(120, 40)
	m.Refresh(pane100k(st))
	batch := st.Logs(time.Time{}, t0.Add(time.Hour), 1000, nil)
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	for i := 0; i < b.N; i++ {
		st.Ingest(sources.Frame{Logs: batch})
		m.Refresh(pane100k(st))
	}
}

func pane100k(st *sources.Store) pane.Env { return env(st) }

// floodLines are n parsed lines shaped like a flood's (JSON, a few fields).
func floodLines(b *testing.B, n int) []sources.LogRecord {
	p := newParser(b, nil)
	out := make([]sources.LogRecord, n)
	for i := range out {
		out[i] = p.Parse([]byte(fmt.Sprintf(`{"time":"2026-11-27T08:59:%02d.%03dZ","level":"info","service":"api-0","msg":"request completed for tenant t%d","latency_ms":%d,"status":200,"trace_id":"%032x","path":"/v1/chat/completions"}`,
			i/1000%60, i%1000, i%50, 20+i%900, i)), t0)
		out[i].Source = "file /var/log/flood.log"
	}
	return out
}

// BenchmarkRefreshUnderFlood is the refresh the console makes once a
// second while 50,000 lines a second arrive into a full store: the pane
// reads what is new and lets go of what the store let go of. This is the
// work that starved the UI (it copied every new record, twice).
func BenchmarkRefreshUnderFlood(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	second := floodLines(b, 50_000)
	for i := 0; i < 3; i++ { // full: 100,000 held, the rest let go
		for j := 0; j < len(second); j += 1024 {
			st.Ingest(sources.Frame{Logs: second[j:min(j+1024, len(second))]})
		}
	}
	m := New(Options{Location: time.UTC})
	m.SetSize(120, 40)
	m.Focus()
	m.Refresh(pane100k(st))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := 0; j < len(second); j += 1024 {
			st.Ingest(sources.Frame{Logs: second[j:min(j+1024, len(second))]})
		}
		b.StartTimer()
		m.Refresh(pane100k(st))
	}
	b.ReportMetric(float64(m.Lines()), "lines")
}

// BenchmarkKeyUnderFlood is a key press (follow off and on) and the frame it
// draws while the store is full of a flood: what a key costs the UI.
func BenchmarkKeyUnderFlood(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	lines := floodLines(b, 100_000)
	for j := 0; j < len(lines); j += 1024 {
		st.Ingest(sources.Frame{Logs: lines[j:min(j+1024, len(lines))]})
	}
	m := New(Options{Location: time.UTC})
	m.SetSize(120, 40)
	m.Focus()
	m.Refresh(pane100k(st))
	s := tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("s")}
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	for i := 0; i < b.N; i++ {
		m.HandleKey(s)
		_ = m.View()
	}
}
