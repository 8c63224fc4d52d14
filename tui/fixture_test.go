package tui

import (
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
)

// t0 is the fixture's start; frames run every 5 s for fixtureSpan.
var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

const fixtureSpan = 20 * time.Minute

var latBounds = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, math.Inf(1)}

// normal quantiles for n evenly spread probabilities, deterministic.
func zs(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		p := (float64(i) + 0.5) / float64(n)
		out[i] = math.Sqrt2 * math.Erfinv(2*p-1)
	}
	return out
}

var z40 = zs(40)

type histAcc struct {
	counts []float64
	count  float64
	sum    float64
}

func (h *histAcc) observe(median, sigma float64) {
	if h.counts == nil {
		h.counts = make([]float64, len(latBounds))
	}
	for _, z := range z40 {
		v := median * math.Exp(sigma*z)
		for i, b := range latBounds {
			if v <= b {
				h.counts[i]++
			}
		}
		h.count++
		h.sum += v
	}
}

func (h *histAcc) hist(s sources.Series, at time.Time) sources.Histogram {
	bs := make([]sources.Bucket, len(latBounds))
	for i, b := range latBounds {
		bs[i] = sources.Bucket{UpperBound: b, Count: h.counts[i]}
	}
	return sources.Histogram{Series: s, At: at, Buckets: bs, Count: h.count, Sum: h.sum}
}

type fakeService struct {
	host, name, stack string
	llm               bool
	lat, ttft, itl    histAcc
	ok, errs, abort   float64
	prompt, gen       float64
}

// fixtureStore builds a store of two busy services (one an LLM stack with a
// latency spike and an error burst from minute 12 to 15), an idle service
// with no traffic, source health in every state, and a drift monitor with a
// feature that shifts at minute 12.
// The UI only reads the store and monitor, so tests share one fixture.
func fixtureStore() (*sources.Store, *drift.Monitor, time.Time) {
	fixtureOnce.Do(func() { fixSt, fixMon, fixEnd = buildFixture() })
	return fixSt, fixMon, fixEnd
}

var (
	fixtureOnce sync.Once
	fixSt       *sources.Store
	fixMon      *drift.Monitor
	fixEnd      time.Time
)

func buildFixture() (*sources.Store, *drift.Monitor, time.Time) {
	st := sources.NewStore(sources.StoreOptions{Retention: time.Hour})
	mon := drift.NewMonitor(drift.Config{Cell: time.Minute, Baseline: 5 * time.Minute, MinReference: 300, Seed: 7})
	svcs := []*fakeService{
		{host: "gpu-node-1", name: "llama-8b", stack: "vllm", llm: true},
		{host: "api-1", name: "recsys-api", stack: "fastapi"},
	}
	idle := sources.NewSeries(sources.SvcQueueDepth, sources.Gauge, "host", "api-2", "service", "embedder", "stack", "tei")
	end := t0.Add(fixtureSpan)
	step := 0
	for at := t0; !at.After(end); at = at.Add(5 * time.Second) {
		min := at.Sub(t0).Minutes()
		spike := min >= 12 && min < 15
		f := sources.Frame{Source: "scrape", At: at}
		for i, sv := range svcs {
			med := 0.04 + 0.01*math.Sin(float64(step)/7+float64(i))
			if i == 1 {
				med = 0.012 + 0.002*math.Cos(float64(step)/5)
			}
			if spike && sv.llm {
				med *= 6
			}
			sv.lat.observe(med, 0.6)
			if sv.llm {
				sv.ttft.observe(med/3, 0.5)
				sv.itl.observe(0.018, 0.3)
				sv.prompt += 2100
				sv.gen += 850
			}
			sv.ok += 40
			switch {
			case spike && sv.llm:
				sv.errs += 3
			case step%9 == 0:
				sv.errs++
			}
			if sv.llm && step%13 == 0 {
				sv.abort++
			}
			kv := []string{"host", sv.host, "service", sv.name, "stack", sv.stack}
			ser := func(name string, kind sources.Kind, extra ...string) sources.Series {
				return sources.NewSeries(name, kind, append(append([]string{}, kv...), extra...)...)
			}
			f.Histograms = append(f.Histograms, sv.lat.hist(ser(sources.SvcLatency, sources.Counter), at))
			f.Points = append(f.Points,
				sources.Point{Series: ser(sources.SvcRequests, sources.Counter, "outcome", "ok"), At: at, Value: sv.ok},
				sources.Point{Series: ser(sources.SvcRequests, sources.Counter, "outcome", "error"), At: at, Value: sv.errs},
				sources.Point{Series: ser(sources.SvcQueueDepth, sources.Gauge), At: at, Value: float64(step % 4)},
			)
			if sv.llm {
				f.Histograms = append(f.Histograms, sv.ttft.hist(ser(sources.SvcTTFT, sources.Counter), at), sv.itl.hist(ser(sources.SvcITL, sources.Counter), at))
				f.Points = append(f.Points,
					sources.Point{Series: ser(sources.SvcRequests, sources.Counter, "outcome", "abort"), At: at, Value: sv.abort},
					sources.Point{Series: ser(sources.SvcTokens, sources.Counter, "kind", "prompt"), At: at, Value: sv.prompt},
					sources.Point{Series: ser(sources.SvcTokens, sources.Counter, "kind", "generation"), At: at, Value: sv.gen},
					sources.Point{Series: ser(sources.SvcKVCache, sources.Gauge), At: at, Value: 0.42},
					sources.Point{Series: ser(sources.SvcRunning, sources.Gauge), At: at, Value: 12},
				)
			}
		}
		f.Points = append(f.Points, sources.Point{Series: idle, At: at, Value: 0})
		for g := 0; g < 4; g++ {
			kv := []string{"host", "gpu-node-1", "gpu", strconv.Itoa(g), "uuid", "GPU-0000" + strconv.Itoa(g), "model", "NVIDIA H100 80GB HBM3"}
			gp := func(name string, v float64) sources.Point {
				return sources.Point{Series: sources.NewSeries(name, sources.Gauge, kv...), At: at, Value: v}
			}
			util := 0.55 + 0.1*float64(g) + 0.05*math.Sin(float64(step)/9+float64(g))
			temp := 58 + 4*float64(g)
			throttle := 0.0
			if g == 3 && spike {
				temp, throttle = 91, 0x20
			}
			f.Points = append(f.Points, gp(sources.GPUUtilization, util), gp(sources.GPUMemoryUsed, 40e9+5e9*float64(g)), gp(sources.GPUMemoryTotal, 80e9),
				gp(sources.GPUTemperature, temp), gp(sources.GPUPower, 300+50*float64(g)), gp(sources.GPUPowerLimit, 700),
				gp(sources.GPUSMClock, 1.98e9), gp(sources.GPUThrottle, throttle))
		}
		st.Ingest(f)
		// Drift observations: 40 values per 5 s per feature.
		for k, z := range z40 {
			shift := 0.0
			if min >= 12 {
				shift = 0.8
			}
			_ = mon.ObserveValue("prompt_len", at, 900*math.Exp(0.3*(z+shift)))
			_ = mon.ObserveValue("confidence", at, 0.8+0.05*z)
			_ = mon.ObserveCategory("country", at, []string{"de", "fr", "us", "jp"}[k%4])
			if k == 0 && step%3 == 0 {
				_ = mon.ObserveValue("temperature", at, 0.7+0.01*z)
			}
		}
		step++
	}
	mon.Advance(end)
	st.Ingest(sources.Frame{Source: "scrape vllm", At: end, Health: &sources.Health{Source: "scrape vllm", Kind: "scrape", Target: "http://127.0.0.1:8000/metrics", State: sources.HealthOK, LastOK: end, At: end, Interval: 5 * time.Second, Series: 40}})
	st.Ingest(sources.Frame{Source: "scrape recsys", At: end, Health: &sources.Health{Source: "scrape recsys", Kind: "scrape", State: sources.HealthOK, LastOK: end.Add(-42 * time.Second), At: end.Add(-42 * time.Second), Interval: 5 * time.Second}})
	st.Ingest(sources.Frame{Source: "nvml", At: end, Health: &sources.Health{Source: "nvml", Kind: "nvml", State: sources.HealthOK, LastOK: end, At: end, Interval: time.Second, Series: 32}})
	st.Ingest(sources.Frame{Source: "prom", At: end, Health: &sources.Health{Source: "prom", Kind: "prom", Target: "http://127.0.0.1:9090", State: sources.HealthError, Err: "connect: connection refused", At: end}})
	st.Ingest(sources.Frame{Source: "alerts", At: end, Events: []sources.Event{
		{At: t0.Add(12*time.Minute + 30*time.Second), Kind: "alert", Severity: sources.SevCritical, Labels: []sources.Label{{Name: "alertname", Value: "HighLatencyP99"}, {Name: "service", Value: "llama-8b"}, {Name: "state", Value: "firing"}}, Text: "p99 above 1s"},
	}})
	return st, mon, end
}

// bigStore builds the benchmark's store: 16 services, 8 GPUs.
func bigStore() (*sources.Store, time.Time) {
	st := sources.NewStore(sources.StoreOptions{Retention: time.Hour})
	end := t0.Add(15 * time.Minute)
	accs := make([]histAcc, 16)
	var okc, errc [16]float64
	step := 0
	for at := t0; !at.After(end); at = at.Add(5 * time.Second) {
		f := sources.Frame{Source: "scrape", At: at}
		for i := range accs {
			accs[i].observe(0.02*float64(i+1), 0.5)
			okc[i] += 30
			if step%(i+2) == 0 {
				errc[i]++
			}
			kv := []string{"host", "node-" + strconv.Itoa(i/4), "service", "svc-" + strconv.Itoa(i), "stack", "vllm"}
			f.Histograms = append(f.Histograms, accs[i].hist(sources.NewSeries(sources.SvcLatency, sources.Counter, kv...), at))
			f.Points = append(f.Points,
				sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter, append(kv, "outcome", "ok")...), At: at, Value: okc[i]},
				sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter, append(kv, "outcome", "error")...), At: at, Value: errc[i]},
			)
		}
		for g := 0; g < 8; g++ {
			kv := []string{"host", "node-0", "gpu", strconv.Itoa(g), "uuid", "GPU-" + strconv.Itoa(g), "model", "H100"}
			f.Points = append(f.Points,
				sources.Point{Series: sources.NewSeries(sources.GPUUtilization, sources.Gauge, kv...), At: at, Value: 0.5 + 0.05*float64(g)},
				sources.Point{Series: sources.NewSeries(sources.GPUTemperature, sources.Gauge, kv...), At: at, Value: 60 + float64(g)},
				sources.Point{Series: sources.NewSeries(sources.GPUPower, sources.Gauge, kv...), At: at, Value: 400},
			)
		}
		st.Ingest(f)
		step++
	}
	return st, end
}

// driftRows is a fixed drift source with many rows.
type driftRows struct {
	rows []drift.Row
}

func (d driftRows) Rows() []drift.Row { return d.rows }
func (d driftRows) Config() drift.Config {
	return drift.Config{Cell: time.Minute, MinReference: 1000}
}
func (d driftRows) Repin(string) error { return nil }

func manyDriftRows(n int, end time.Time) driftRows {
	var d driftRows
	for i := 0; i < n; i++ {
		r := drift.Row{Feature: "feature_" + strconv.Itoa(i), Reference: drift.ReferenceInfo{Ready: true, N: 1000}}
		for c := 0; c < 60; c++ {
			r.Cells = append(r.Cells, drift.Cell{Start: end.Truncate(time.Minute).Add(-time.Duration(60-c) * time.Minute), Level: drift.Level((i + c) % 10), Stats: drift.Stats{Effect: 0.1}})
		}
		d.rows = append(d.rows, r)
	}
	return d
}
