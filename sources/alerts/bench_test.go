package alerts

import (
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
)

// benchStore holds 10 services (counters and a latency histogram each) and
// 16 GPUs (temperature, throttle, XID, ECC) with 10 minutes of 1 s samples.
func benchStore(b *testing.B) (*sources.Store, time.Time) {
	st := sources.NewStore(sources.StoreOptions{})
	var sims []*svcSim
	for i := range 10 {
		s := newSvcSim(st)
		s.svc = fmt.Sprintf("svc%d", i)
		s.errShare = 0.002 * float64(i)
		sims = append(sims, s)
	}
	at := t0
	for sec := 1; sec <= 600; sec++ {
		at = t0.Add(time.Duration(sec) * time.Second)
		for _, s := range sims {
			s.step(at)
		}
		var ps []sources.Point
		for g := range 16 {
			id := []string{"host", fmt.Sprintf("h%d", g/8), "gpu", fmt.Sprint(g % 8)}
			ps = append(ps,
				sources.Point{Series: sources.NewSeries(sources.GPUTemperature, sources.Gauge, id...), At: at, Value: 60 + float64(g)},
				sources.Point{Series: sources.NewSeries(sources.GPUThrottle, sources.Gauge, id...), At: at, Value: 0},
				sources.Point{Series: sources.NewSeries(sources.GPUXIDLast, sources.Gauge, id...), At: at, Value: 0},
				sources.Point{Series: sources.NewSeries(sources.GPUECCErrors, sources.Counter, append(id, "type", "uncorrected")...), At: at, Value: 0})
		}
		st.Ingest(sources.Frame{At: at, Points: ps})
	}
	return st, at
}

// BenchmarkEval200Rules evaluates the 12 built-in rules plus 188 config
// rules of every kind (gauges, rates, histogram quantiles, per-service
// figures, burn rates) over the store, once per op: one tick.
func BenchmarkEval200Rules(b *testing.B) {
	st, at := benchStore(b)
	exprs := []string{
		`gpu_temperature_celsius > %d`,
		`gpu_temperature_celsius{host="h1"} > %d`,
		`rate(svc_requests_total{outcome="error"}[1m]) > %d`,
		`quantile(0.99, svc_request_latency_seconds[1m]) > %d`,
		`error_rate{service=~"svc[0-4]"} > 0.0%d`,
		`latency_p99 > %d`,
		`burn_rate(1h, 5m) > %d`,
		`increase(gpu_ecc_errors_total[5m]) > %d`,
	}
	var rules []Rule
	for i := 0; len(rules) < 200-len(DefaultRules(false)); i++ {
		rc := RuleConfig{Alert: fmt.Sprintf("R%d", i), Expr: fmt.Sprintf(exprs[i%len(exprs)], 1+i%7), For: "1m"}
		r, err := rc.Rule()
		if err != nil {
			b.Fatal(err)
		}
		rules = append(rules, r)
	}
	e := New(st, Options{Rules: rules})
	if n := len(e.Rules()); n != 200 {
		b.Fatalf("%d rules", n)
	}
	e.Eval(at)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	for i := 0; i < b.N; i++ {
		e.Eval(at.Add(time.Duration(i%2) * time.Millisecond))
	}
	// The machine is shared: CPU time per op (user+system of the process,
	// GC included) is the figure to hold against the 2 ms budget.
	cputime.Report(b, cpu0)
}
