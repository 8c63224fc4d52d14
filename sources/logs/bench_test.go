package logs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
)

// benchLines are typical ~300-byte lines of the demo's shape.
func benchJSONLines(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`{"time":"2026-11-27T07:25:%02d.%03dZ","level":"info","service":"chat-api","msg":"request completed","trace_id":"4bf92f3577b34da6a3ce929d0e0e%04x","span_id":"00f067aa0ba9%04x","latency_ms":%d.5,"status":200,"prediction":{"confidence":0.9%d},"predicted_class":"answer","features":{"prompt_tokens":%d,"temperature":0.7}}`,
			i%60, i%1000, i%65536, i%65536, 100+i%900, i%10, 100+i%500))
	}
	return out
}

func benchLogfmtLines(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf(`time=2026-11-27T07:25:%02d.%03dZ level=info service=chat-api msg="request completed for tenant acme" trace_id=4bf92f3577b34da6a3ce929d0e0e%04x span_id=00f067aa0ba9%04x latency_ms=%d.5 status=200 confidence=0.9%d predicted_class=answer prompt_tokens=%d temperature=0.7 route=/v1/chat/completions`,
			i%60, i%1000, i%65536, i%65536, 100+i%900, i%10, 100+i%500))
	}
	return out
}

// BenchmarkParseIngestJSON is parse plus ingest into the store, per line.
// Target: ≤ 4 µs/line (250,000 lines/s on one core).
func BenchmarkParseIngestJSON(b *testing.B) {
	benchParseIngest(b, benchJSONLines(4096))
}

// BenchmarkParseIngestLogfmt: target ≤ 2.5 µs/line (400,000 lines/s).
func BenchmarkParseIngestLogfmt(b *testing.B) {
	benchParseIngest(b, benchLogfmtLines(4096))
}

func benchParseIngest(b *testing.B, lines [][]byte) {
	p := mustParser(b, ParseOptions{})
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	size := 0
	for _, l := range lines {
		size += len(l)
	}
	b.SetBytes(int64(size / len(lines)))
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	batch := make([]sources.LogRecord, 0, 1024)
	for i := 0; i < b.N; i++ {
		r := p.Parse(lines[i%len(lines)], at)
		r.Source = "bench"
		batch = append(batch, r)
		if len(batch) == cap(batch) {
			st.Ingest(sources.Frame{Source: "bench", At: at, Logs: batch})
			batch = make([]sources.LogRecord, 0, 1024)
		}
	}
	st.Ingest(sources.Frame{Source: "bench", At: at, Logs: batch})
}

// BenchmarkParsePlain is a plain text line with a timestamp and a level.
func BenchmarkParsePlain(b *testing.B) {
	p := mustParser(b, ParseOptions{})
	line := []byte(`2026-11-27 07:25:40,123 - app.worker - WARNING - task 1234 took 812ms on queue default trace_id=4bf92f3577b34da6a3ce929d0e0e4736`)
	b.ReportAllocs()
	defer cputime.Report(b, cputime.Now())
	for i := 0; i < b.N; i++ {
		p.Parse(line, readAt)
	}
}

// BenchmarkFilterRegex filters 100,000 buffered lines with a regex, as the
// logs pane does: target ≤ 100 ms per op.
func BenchmarkFilterRegex(b *testing.B) {
	p := mustParser(b, ParseOptions{})
	st := sources.NewStore(sources.StoreOptions{})
	lines := benchJSONLines(4096)
	at := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	for i := 0; i < 100_000; i += 1000 {
		batch := make([]sources.LogRecord, 1000)
		for j := range batch {
			batch[j] = p.Parse(lines[(i+j)%len(lines)], at)
		}
		st.Ingest(sources.Frame{Logs: batch})
	}
	re := regexp.MustCompile(`trace_id":"4bf92f3577b34da6a3ce929d0e0e0[0-9a-f]{2}f`)
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	n := 0
	for i := 0; i < b.N; i++ {
		got := st.Logs(at.Add(-time.Hour), at.Add(time.Hour), 0, func(r *sources.LogRecord) bool { return re.MatchString(r.Raw) })
		n = len(got)
	}
	b.ReportMetric(float64(n), "matches")
}

// BenchmarkParseJSON is the parser alone.
func BenchmarkParseJSON(b *testing.B) {
	p := mustParser(b, ParseOptions{})
	lines := benchJSONLines(4096)
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	for i := 0; i < b.N; i++ {
		p.Parse(lines[i%len(lines)], readAt)
	}
}

// BenchmarkStdlibJSONMap is the yardstick: encoding/json into a map, no
// flattening, no level or time detection.
func BenchmarkStdlibJSONMap(b *testing.B) {
	lines := benchJSONLines(4096)
	b.ReportAllocs()
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	for i := 0; i < b.N; i++ {
		var m map[string]any
		if err := json.Unmarshal(lines[i%len(lines)], &m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamPipeline is the whole path of a stream source per line:
// read, split, parse, batch and ingest into a store (the hub's part).
func BenchmarkStreamPipeline(b *testing.B) {
	lines := benchJSONLines(4096)
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Write(lines[i%len(lines)])
		buf.WriteByte('\n')
	}
	st := sources.NewStore(sources.StoreOptions{})
	done := make(chan struct{})
	var got int
	s := NewStdin(&buf, Options{MaxPending: 1 << 30, Parser: mustParser(b, ParseOptions{})})
	b.ReportAllocs()
	b.SetBytes(int64(buf.Len() / max(1, b.N)))
	b.ResetTimer()
	defer cputime.Report(b, cputime.Now())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, func(f sources.Frame) {
		st.Ingest(f)
		got += len(f.Logs)
		if f.Health != nil && f.Health.Detail == "ended (EOF)" {
			close(done)
		}
	})
	<-done
	if got != b.N {
		b.Fatalf("%d lines of %d", got, b.N)
	}
}

// BenchmarkHeldBytesJSON is what the store holds per parsed line of the
// bench shape (9 fields), as the heap measures it: the records of 20,000
// lines held in a store with the default bounds, divided by the lines.
func BenchmarkHeldBytesJSON(b *testing.B) {
	p := mustParser(b, ParseOptions{})
	lines := benchJSONLines(20_000)
	at := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	var per float64
	for i := 0; i < b.N; i++ {
		before := heapInUse()
		st := sources.NewStore(sources.StoreOptions{})
		for j := 0; j < len(lines); j += 500 {
			f := sources.Frame{Source: "bench", At: at}
			for _, l := range lines[j : j+500] {
				f.Logs = append(f.Logs, p.Parse(l, at))
			}
			st.Ingest(f)
		}
		per = float64(heapInUse()-before) / float64(len(lines))
		runtime.KeepAlive(st)
	}
	b.ReportMetric(per, "B/line")
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
