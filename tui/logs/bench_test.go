package logs

import (
	"fmt"
	"testing"
	"time"

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
			defer reportCPU(b, processCPU())
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
	defer reportCPU(b, processCPU())
	for i := 0; i < b.N; i++ {
		st.Ingest(sources.Frame{Logs: batch})
		m.Refresh(pane100k(st))
	}
}

func pane100k(st *sources.Store) pane.Env { return env(st) }
