package alertspane

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/pane"
)

// BenchmarkRefresh is the alerts screen's work at each new instant with the
// store's event buffer full: 10,000 transitions of 300 alerts.
func BenchmarkRefresh(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	states := []string{"pending", "firing", "resolved"}
	var at time.Time
	for i := range 10_000 {
		at = t0.Add(time.Duration(i) * 8 * time.Second)
		n := i % 300
		a := alerts.Alert{Name: "LatencySLOBreach", Severity: sources.SevWarning, Source: "vigil", Value: 97.1, Threshold: 60, Text: "p99 97.1s > 60s",
			Labels: sources.NewSeries("", sources.Gauge, "host", fmt.Sprintf("gpu-node-%d", n/10), "service", fmt.Sprintf("svc-%d", n%10), "source", "vigil", "stack", "vllm").Labels}
		st.Ingest(sources.Frame{At: at, Events: []sources.Event{alerts.Transition{At: at, To: states[(i/300)%3], Alert: a}.Event()}})
	}
	m := New(0)
	m.SetSize(118, 40)
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		m.Refresh(pane.Env{Store: st, Now: at.Add(time.Duration(i) * time.Millisecond), Zoom: 15 * time.Minute})
	}
	if len(m.Active()) == 0 {
		b.Fatal("nothing active")
	}
}
