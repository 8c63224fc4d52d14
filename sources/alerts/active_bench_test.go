//go:build unix

package alerts

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// BenchmarkActiveIn is the alert strip's and the alerts screen's work per
// refresh with the store's event buffer full (10,000 events, the default):
// 9,000 alert transitions of 300 alerts flapping over a day, and 1,000
// other events.
func BenchmarkActiveIn(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	states := []string{StatePending, StateFiring, StateResolved}
	var at time.Time
	for i := range 10_000 {
		at = t0.Add(time.Duration(i) * 8 * time.Second)
		var ev sources.Event
		if i%10 == 9 {
			ev = sources.Event{At: at, Kind: "xid", Severity: sources.SevCritical, Text: "XID 79"}
		} else {
			n := i % 300
			a := Alert{Name: RuleLatencyWarning, Severity: sources.SevWarning, Source: SourceVigil, Value: 97.1, Threshold: 60, Text: "p99 97.1s > 60s",
				Labels: ownLabels(sortedLabels("host", fmt.Sprintf("gpu-node-%d", n/10), "service", fmt.Sprintf("svc-%d", n%10), "stack", "vllm"), nil)}
			ev = Transition{At: at, To: states[(i/300)%3], Alert: a}.Event()
		}
		st.Ingest(sources.Frame{At: at, Events: []sources.Event{ev}})
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	n := 0
	for range b.N {
		n = len(ActiveIn(st, at))
	}
	// The machine is shared: CPU time per op is the figure to compare.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if n == 0 || math.IsNaN(float64(n)) {
		b.Fatal("nothing active")
	}
}
