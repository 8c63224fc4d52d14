package fleet

import (
	"io"
	"testing"
	"time"
)

// countWriter counts what it is given.
type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// BenchmarkFleetInstant renders what 1,000 hosts' 3,000 exporters serve at
// one instant (what an engine scraping the whole fleet pulls once).
func BenchmarkFleetInstant(b *testing.B) {
	f := newFleet(b, 1000)
	at := start.Add(10 * time.Minute)
	var w countWriter
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i := range 1000 {
			for _, e := range Exporters {
				if err := f.WriteExporter(&w, i, e, at); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.ReportMetric(float64(w.n)/float64(b.N)/1e6, "MB/instant")
	b.ReportMetric(float64(1000*f.SeriesPerHost()), "series/instant")
}

// BenchmarkFleetHistory writes 1,000 hosts at 15 s steps over 5 minutes
// (21 instants) in import format; the per-sample cost scales to any range.
func BenchmarkFleetHistory(b *testing.B) {
	f := newFleet(b, 1000)
	from := start.Add(time.Minute)
	var samples int64
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		n, err := f.WriteHistory(io.Discard, from, from.Add(5*time.Minute), 15*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		samples = n
	}
	b.ReportMetric(float64(samples), "samples/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(int64(b.N)*samples), "ns/sample")
}
