package logspane

import (
	"fmt"
	"testing"
)

// BenchmarkFoldNeedle is the case-insensitive literal search alone over
// 4,096 demo-shaped lines (cache-resident), per line.
func BenchmarkFoldNeedle(b *testing.B) {
	lines := make([]string, 4096)
	for n := range lines {
		lines[n] = fmt.Sprintf(`{"time":"2026-11-27T08:%02d:%02d.%03dZ","level":"info","service":"chat-api","msg":"request completed for tenant t%d","trace_id":"%032x","span_id":"%016x","latency_ms":%d,"status":200,"prediction":{"confidence":0.%02d},"predicted_class":"answer","features":{"prompt_tokens":%d}}`,
			n/6000%60, n/100%60, n%1000, n%50, n, n, 100+n%900, n%100, 100+n%500)
	}
	for _, needle := range []string{"timeout", "tenant t4"} {
		b.Run(needle, func(b *testing.B) {
			n := newFoldNeedle(needle)
			hits := 0
			for i := 0; i < b.N; i++ {
				if n.in(lines[i%len(lines)]) {
					hits++
				}
			}
			b.ReportMetric(float64(hits)/float64(b.N), "hits/op")
		})
	}
}
