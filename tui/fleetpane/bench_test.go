package fleetpane

import (
	"runtime"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// cpuPerOp reports the process' CPU time per operation (GC included) from
// c0, the CPU time when the timer started.
func cpuPerOp(b *testing.B, c0 int64) {
	b.ReportMetric(float64(int64(cputime.Now())-c0)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkRefreshView is one refresh of the fleet screen (view.EvaluateFleet
// over the root's evaluation, grouping, layout) and its View, at 200x50,
// for 1,000 and 5,000 simulated hosts (8 GPUs and a vLLM server each):
// "data" after new data arrived (the store changed), "tick" a second
// later with none (a live console refreshes every second; polls come
// every few). The root's own evaluation (view.Evaluate, view.Hosts) is
// done once, outside the timer.
func BenchmarkRefreshView(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		for _, data := range []bool{true, false} {
			name := itoa(n) + "hosts/tick"
			if data {
				name = itoa(n) + "hosts/data"
			}
			b.Run(name, func(b *testing.B) {
				env := fleetEnv(b, n)
				m := newPane(env, 198, 47)
				runtime.GC()
				b.ReportAllocs()
				b.ResetTimer()
				c0 := int64(cputime.Now())
				for i := range b.N {
					e := env
					if data {
						env.Store.Ingest(sources.Frame{At: env.Now}) // a poll: the store changes
					} else {
						e.Now = env.Now.Add(time.Duration(i+1) * time.Second)
						e.At = e.Now
					}
					m.Refresh(e)
					if len(m.View()) == 0 {
						b.Fatal("empty view")
					}
				}
				cpuPerOp(b, c0)
			})
		}
	}
}

// BenchmarkEvaluateFleet is view.EvaluateFleet alone over 1,000 hosts (the
// larger part of a refresh).
func BenchmarkEvaluateFleet(b *testing.B) {
	env := fleetEnv(b, 1000)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	c0 := int64(cputime.Now())
	for range b.N {
		env.Store.Ingest(sources.Frame{At: env.Now}) // a poll: the store changes
		view.EvaluateFleet(env.Store, env.Overview, env.Hosts, env.EvalAt(), env.Options)
	}
	cpuPerOp(b, c0)
}
