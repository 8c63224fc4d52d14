package replay

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// refLoad generates the reference load of the issue: 8 GPUs x 20 metrics
// polled every second, 200 Prometheus series scraped every second and 10
// log lines per second, as the frames the hub would see.
type refLoad struct {
	rng      *rand.Rand
	gpu      []sources.Series
	prom     []sources.Series
	gpuVal   []float64
	promVal  []float64
	t        time.Time
	logs     bool
	numbers  bool
	reqs     int
	logLines int
}

func newRefLoad(start time.Time, seed uint64) *refLoad {
	g := &refLoad{rng: rand.New(rand.NewPCG(seed, 1)), t: start, logs: true, numbers: true}
	names := []string{sources.GPUUtilization, sources.GPUMemUtil, sources.GPUMemoryUsed, sources.GPUMemoryTotal,
		sources.GPUTemperature, sources.GPUMemTemp, sources.GPUPower, sources.GPUPowerLimit, sources.GPUSMClock,
		sources.GPUMemClock, sources.GPUFan, sources.GPUPState, sources.GPUThrottle, sources.GPUXIDLast,
		sources.GPUECCErrors, sources.GPUPCIeReplay, sources.GPUEnergy, sources.GPURemappedRows,
		"gpu_sm_active_ratio", "gpu_tensor_active_ratio"}
	for i := 0; i < 8; i++ {
		for j, n := range names {
			kind := sources.Gauge
			if j == 14 || j == 15 || j == 16 {
				kind = sources.Counter
			}
			g.gpu = append(g.gpu, sources.NewSeries(n, kind, "host", "gpu-box-07", "gpu", fmt.Sprint(i),
				"uuid", fmt.Sprintf("GPU-%08x-1c2d-4e5f", i*7919), "model", "NVIDIA H100 80GB HBM3"))
			g.gpuVal = append(g.gpuVal, float64(j*10+i))
		}
	}
	for i := 0; i < 200; i++ {
		kind := sources.Gauge
		if i%10 < 7 {
			kind = sources.Counter
		}
		g.prom = append(g.prom, sources.NewSeries(fmt.Sprintf("vllm:metric_%d", i/10), kind,
			"host", "gpu-box-07", "service", "llama-3-70b", "stack", "vllm", "le", fmt.Sprint(i%10)))
		g.promVal = append(g.promVal, float64(i*13))
	}
	return g
}

var templates = []string{
	"INFO %s metrics.py:455] Avg prompt throughput: %.1f tokens/s, Avg generation throughput: %.1f tokens/s, Running: %d reqs, Swapped: 0 reqs, Pending: %d reqs",
	"INFO %s engine.py:268] Added request cmpl-%016x, prompt tokens %d, max tokens %d, sampling temperature %.2f top_p 0.95",
	"INFO %s api_server.py:211] 10.0.3.%d:5%04d - \"POST /v1/chat/completions HTTP/1.1\" 200 OK latency_ms=%d ttft_ms=%d",
	"WARNING %s scheduler.py:1089] Sequence group cmpl-%016x is preempted by PreemptionMode.RECOMPUTE because not enough KV cache space, total_num_cumulative_preemption=%d",
}

// second returns the frames of one second and advances the clock.
func (g *refLoad) second() []sources.Frame {
	var out []sources.Frame
	jit := func() time.Duration { return time.Duration(g.rng.IntN(3_000_000)) }
	if g.numbers {
		at := g.t.Add(jit())
		pts := make([]sources.Point, len(g.gpu))
		for i := range g.gpu {
			j := i % 20
			v := &g.gpuVal[i]
			switch {
			case j == 3 || j == 7 || j == 9 || j == 11 || j == 13 || j == 17: // constants
			case j == 4 || j == 5 || j == 8 || j == 10 || j == 2: // slow integers
				if g.rng.IntN(10) == 0 {
					*v += float64(g.rng.IntN(3) - 1)
				}
			case j == 0 || j == 1 || j == 12: // noisy integer percentages
				*v = float64(g.rng.IntN(100)) / 100
			case j == 14 || j == 15 || j == 16: // integer counters
				*v += float64(g.rng.IntN(400))
			case j == 6: // power in W, mW resolution
				*v = math.Round((300+g.rng.Float64()*100)*1000) / 1000
			default: // random-walk ratios
				*v = math.Min(1, math.Max(0, *v/100+g.rng.NormFloat64()*0.01))
			}
			pts[i] = sources.Point{Series: g.gpu[i], At: at, Value: *v}
		}
		out = append(out, sources.Frame{Source: "nvml", At: at, Points: pts,
			Health: &sources.Health{Source: "nvml", Kind: "nvml", State: sources.HealthOK, At: at, LastOK: at, Duration: 3 * time.Millisecond, Interval: time.Second, Series: 160}})
		at = g.t.Add(400*time.Millisecond + jit())
		pp := make([]sources.Point, len(g.prom))
		for i := range g.prom {
			v := &g.promVal[i]
			switch i % 10 {
			case 0, 1, 2, 3, 4: // integer counters, buckets
				*v += float64(g.rng.IntN(20))
			case 5, 6: // float sums
				*v += g.rng.Float64() * 3
			case 7, 8: // slow gauges
				if g.rng.IntN(5) == 0 {
					*v = float64(g.rng.IntN(64))
				}
			}
			pp[i] = sources.Point{Series: g.prom[i], At: at, Value: *v}
		}
		out = append(out, sources.Frame{Source: "scrape 127.0.0.1:8000", At: at, Points: pp,
			Health: &sources.Health{Source: "scrape 127.0.0.1:8000", Kind: "scrape", Target: "http://127.0.0.1:8000/metrics", State: sources.HealthOK, At: at, LastOK: at, Duration: 8 * time.Millisecond, Interval: time.Second, Bytes: 48213, Series: 200, Detail: "vllm"}})
	}
	if g.logs {
		for k := 0; k < 10; k++ {
			at := g.t.Add(time.Duration(k)*100*time.Millisecond + jit())
			ts := at.UTC().Format("01-02 15:04:05")
			var line string
			lvl := sources.LevelInfo
			switch n := g.rng.IntN(20); {
			case n < 6:
				line = fmt.Sprintf(templates[0], ts, g.rng.Float64()*3000, g.rng.Float64()*900, g.rng.IntN(64), g.rng.IntN(10))
			case n < 12:
				line = fmt.Sprintf(templates[1], ts, g.rng.Uint64(), g.rng.IntN(4000), g.rng.IntN(2048), g.rng.Float64())
			case n < 19:
				line = fmt.Sprintf(templates[2], ts, g.rng.IntN(255), g.rng.IntN(9999), g.rng.IntN(3000), g.rng.IntN(400))
			default:
				lvl = sources.LevelWarn
				line = fmt.Sprintf(templates[3], ts, g.rng.Uint64(), g.rng.IntN(100))
			}
			msg := line[strings.Index(line, "] ")+2:]
			g.logLines++
			out = append(out, sources.Frame{Source: "logs vllm", At: at, Logs: []sources.LogRecord{{
				At: at, Source: "/var/log/vllm.log", Level: lvl, Service: "llama-3-70b", Msg: msg, Raw: line}}})
		}
	}
	g.t = g.t.Add(time.Second)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out
}
