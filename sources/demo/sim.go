package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// Simulation grid: the service advances in fixed steps of scripted time, so
// its state is a pure function of the seed and the number of steps taken,
// whatever the sequence of ticks that asked for them.
const (
	stepSeconds = 0.1 // scripted seconds per step
	// maxCatchUpSteps bounds the work one advance does after a long stall
	// (a suspended laptop): older steps are skipped, not simulated.
	maxCatchUpSteps = 20 * 60 / stepSeconds
	// warmUpSteps are simulated at Start, before scripted time 0, so that the
	// first scrape already has traffic, histograms and warm GPUs. They are
	// always calm.
	warmUpSteps = 30 / stepSeconds

	llmBaseRate    = 6.0  // requests per scripted second
	recsysBaseRate = 45.0 // requests per scripted second
	llmMaxTokens   = 1024 // max_tokens requests ask for; longer answers stop with "length"

	// Log lines per real second at speed 1 (plus every error line). The
	// recommendation API's lines carry the model features the drift rows
	// watch, so their rate grows with the speed (up to 10x) to keep as many
	// values per scripted minute: a compressed timeline still fills its
	// drift reference before the drift begins.
	llmLogRate       = 3.0
	recsysLogRate    = 7.0
	recsysLogSpeedUp = 10.0

	priceMean = 49.9 // currency units
	priceSD   = 12.3
)

var (
	categories     = []string{"electronics", "books", "home", "fashion", "sports"}
	categoryWeight = []float64{0.30, 0.18, 0.22, 0.2, 0.1}
)

// sim is the simulated service. All of its fields are guarded by Service.mu.
type sim struct {
	speed float64
	start time.Time // wall time of scripted time 0
	next  int64     // the next step to run
	sc    script

	rTraffic *rand.Rand
	rGPU     *rand.Rand

	llm *llmMetrics
	rec *recsysMetrics
	log *logWriter
	tr  *tracing

	llmRunning, llmWaiting float64
	recRate                float64 // recsys requests per scripted second, smoothed

	gpus    []gpuSim
	busIDs  []string // each GPU's PCI bus id, as NVML gives it
	eccGPU  int
	xidGen  uint64 // counts the steps that changed a GPU's XID
	thermOn bool   // the thermal GPU is past hwThermalC (for the log line on change)
	xidOn   bool

	llmSampleP, recSampleP float64

	// traceCutoff: requests that ended before it are not traced. A long
	// catch-up (a stalled process, a clock jump) would otherwise flood the
	// exporter's queue with old spans and drop the recent ones.
	traceCutoff time.Time
}

// traceMaxAge is how far behind the clock a request may have ended and still
// be sent as spans.
const traceMaxAge = 30 * time.Second

func newSim(o Options, start time.Time, busIDs []string, llm *llmMetrics, rec *recsysMetrics, lw *logWriter, tr *tracing) *sim {
	seed := uint64(o.Seed)
	s := &sim{
		busIDs:   busIDs,
		speed:    o.Speed,
		start:    start,
		sc:       newScript(o.Seed, o.GPUs),
		rTraffic: rand.New(rand.NewPCG(seed, 0x7472_6166_6669_6300)), // "traffic"
		rGPU:     rand.New(rand.NewPCG(seed, 0x6770_7573_0000_0000)), // "gpus"
		llm:      llm,
		rec:      rec,
		log:      lw,
		tr:       tr,
		recRate:  recsysBaseRate,
	}
	s.next = -warmUpSteps
	s.gpus = newGPUs(o.GPUs, s.rGPU)
	s.eccGPU = s.rGPU.IntN(o.GPUs)
	s.llmSampleP = math.Min(1, llmLogRate/(llmBaseRate*o.Speed))
	s.recSampleP = math.Min(1, recsysLogRate*math.Min(o.Speed, recsysLogSpeedUp)/(recsysBaseRate*o.Speed))
	s.llm.running.Set(0)
	s.llm.waiting.Set(0)
	s.llm.kv.Set(0)
	return s
}

// wall returns the wall time of scripted second t.
func (s *sim) wall(t float64) time.Time {
	return s.start.Add(time.Duration(t / s.speed * float64(time.Second)))
}

// stepsDue returns how many steps are complete at wall time now.
func (s *sim) stepsDue(now time.Time) int64 {
	el := now.Sub(s.start)
	if el <= 0 {
		return 0
	}
	// The epsilon keeps a clock set exactly on a step boundary (0.3 s) from
	// landing a hair short of it in floating point.
	return int64(el.Seconds()*s.speed/stepSeconds + 1e-6)
}

// advance runs every step that is complete at now and reports whether any ran.
func (s *sim) advance(now time.Time) bool {
	due := s.stepsDue(now)
	if due <= s.next {
		return false
	}
	if due-s.next > maxCatchUpSteps {
		s.next = due - maxCatchUpSteps
	}
	s.traceCutoff = now.Add(-traceMaxAge)
	for ; s.next < due; s.next++ {
		s.step(s.next)
	}
	return true
}

// step simulates scripted interval [k·dt, (k+1)·dt).
func (s *sim) step(k int64) {
	t := float64(k) * stepSeconds
	c := conditions{latFactor: 1, thermalGPU: -1, xidGPU: -1}
	if t >= 0 {
		c = s.sc.at(math.Mod(t, loopSeconds))
	}
	r := s.rTraffic

	// Load varies slowly over the loop (a compressed "day") with some noise.
	mult := 1 + 0.12*math.Sin(2*math.Pi*t/loopSeconds) + 0.04*r.NormFloat64()

	// LLM engine: Little's law gives the batch the arrival rate asks for;
	// what does not fit waits.
	lam := llmBaseRate * mult
	meanE2E := (0.06 + 230*0.022) * c.latFactor
	want := lam * meanE2E
	s.llmRunning += (math.Min(want, llmMaxRunning) - s.llmRunning) * 0.15
	s.llmWaiting += (math.Max(0, want-llmMaxRunning) - s.llmWaiting) * 0.15
	running := math.Max(0, math.Round(s.llmRunning+1.5*r.NormFloat64()))
	waiting := math.Max(0, math.Round(s.llmWaiting+0.8*r.NormFloat64()*math.Min(1, s.llmWaiting)))
	s.llm.running.Set(running)
	s.llm.waiting.Set(waiting)
	s.llm.kv.Set(clamp(0.04+0.9*running/llmMaxRunning+0.01*r.NormFloat64()+0.04*math.Min(1, waiting/20), 0, 0.995))
	queueDelay := waiting / lam

	for n := poisson(r, lam*stepSeconds); n > 0; n-- {
		s.llmRequest(t, c, queueDelay)
	}

	s.recRate += (recsysBaseRate*mult - s.recRate) * 0.2
	for n := poisson(r, s.recRate*stepSeconds); n > 0; n-- {
		s.recsysRequest(t, c)
	}

	s.stepGPUs(c, stepSeconds)
	s.gpuLogs(t, c)
	s.log.endStep()
}

// beforeStart reports a request that ended at end after lasting d seconds
// but began before the service started (in the warm-up): it is counted in
// the metrics, and leaves no log line, span or exemplar, so that nothing the
// demo shows predates its start.
func (s *sim) beforeStart(end time.Time, d float64) bool {
	return end.Add(-secs(d)).Before(s.start)
}

// llmRequest simulates one chat completion finishing within the step at t.
func (s *sim) llmRequest(t float64, c conditions, queueDelay float64) {
	r := s.rTraffic
	end := s.wall(t + r.Float64()*stepSeconds)
	sampled := r.Float64() < s.llmSampleP

	// 4xx: rejected before the engine sees it.
	if r.Float64() < 0.004 {
		s.llm.statuses["4xx"].Inc()
		if sampled {
			lat := 0.002 + 0.003*r.Float64()
			id := s.newIDs()
			if s.beforeStart(end, lat) {
				return
			}
			s.log.add(end, &logLine{Level: "warn", Service: llmModelName,
				Msg: "invalid request: max_tokens exceeds context length", TraceID: id.traceHex(), SpanID: id.spanHex(),
				LatencyMS: round(lat*1000, 1), Status: 400, Route: "/v1/chat/completions", Model: llmModelName})
			s.emit(s.traceLLM(), id, "POST /v1/chat/completions", end.Add(-secs(lat)), end,
				[]attribute.KeyValue{attribute.String("http.request.method", "POST"), attribute.Int("http.response.status_code", 400)},
				nil, "")
		}
		return
	}

	prompt := int(clamp(lognormal(r, 380, 0.8), 8, 7800))
	gen := int(lognormal(r, 190, 0.75))
	reason := "stop"
	if gen >= llmMaxTokens {
		gen, reason = llmMaxTokens, "length"
	}
	if gen < 1 {
		gen = 1
	}
	switch u := r.Float64(); {
	case u < 0.012:
		reason = "abort"
		gen = 1 + int(float64(gen)*r.Float64())
	case u < 0.012+0.004:
		reason = "error"
		gen = 1 + int(float64(gen)*r.Float64()*0.5)
	}

	prefill := (0.025 + float64(prompt)/24000) * lognormal(r, 1, 0.25) * c.latFactor
	ttft := queueDelay*(0.7+0.6*r.Float64()) + prefill
	itl := 0.022 * lognormal(r, 1, 0.12) * c.latFactor
	decode := 0.0
	for i := 1; i < gen; i++ {
		d := itl * (0.9 + 0.2*r.Float64())
		decode += d
		s.llm.itl.Observe(d)
	}
	e2e := ttft + decode

	var id *ids
	if sampled || reason == "error" {
		id = s.newIDs()
	}
	if s.beforeStart(end, e2e) {
		id = nil
	}
	tid, sid := "", ""
	if id != nil {
		tid, sid = id.traceHex(), id.spanHex()
	}
	observe(s.llm.e2e, e2e, tid, sid)
	observe(s.llm.ttft, ttft, tid, sid)
	s.llm.reasons[reason].Inc()
	s.llm.prompt.Add(float64(prompt))
	s.llm.gen.Add(float64(gen))
	status, code := "2xx", 200
	if reason == "error" {
		status, code = "5xx", 500
	}
	s.llm.statuses[status].Inc()

	if id == nil {
		return
	}
	level, msg, errMsg := "info", "chat completion finished", ""
	switch {
	case reason == "error":
		level, msg, errMsg = "error", "engine error: CUDA out of memory while allocating KV blocks", "engine error"
	case reason == "abort":
		msg = "client disconnected; request aborted"
	case e2e > 30:
		level, msg = "warn", "slow request: e2e latency above 30 s SLO"
	}
	start := end.Add(-secs(e2e))
	s.log.add(end, &logLine{Level: level, Service: llmModelName, Msg: msg,
		TraceID: tid, SpanID: sid, LatencyMS: round(e2e*1000, 1), Status: code,
		Route: "/v1/chat/completions", Model: llmModelName,
		PromptTokens: prompt, GenerationTokens: gen, TTFTMS: round(ttft*1000, 1), FinishReason: reason,
		Error: errMsg})
	q := start.Add(secs(ttft - prefill))
	first := start.Add(secs(ttft))
	decodeErr := ""
	if reason == "error" {
		decodeErr = "CUDA out of memory"
	}
	s.emit(s.traceLLM(), id, "POST /v1/chat/completions", start, end,
		[]attribute.KeyValue{
			attribute.String("http.request.method", "POST"),
			attribute.String("http.route", "/v1/chat/completions"),
			attribute.Int("http.response.status_code", code),
			attribute.String("gen_ai.request.model", llmModelName),
			attribute.Int("gen_ai.usage.input_tokens", prompt),
			attribute.Int("gen_ai.usage.output_tokens", gen),
			attribute.String("gen_ai.response.finish_reasons", reason),
		},
		[]phase{{name: "queue", start: start, end: q}, {name: "prefill", start: q, end: first},
			{name: "decode", start: first, end: end, err: decodeErr}},
		errMsg)
}

// recsysRequest simulates one recommendation call finishing within the step at t.
func (s *sim) recsysRequest(t float64, c conditions) {
	r := s.rTraffic
	end := s.wall(t + r.Float64()*stepSeconds)
	sampled := r.Float64() < s.recSampleP

	f := features{
		Price:      math.Round(math.Max(0.99, priceMean+priceSD*(c.priceShift+r.NormFloat64()))*100) / 100,
		Age:        int(clamp(math.Round(38+11*r.NormFloat64()), 18, 85)),
		SessionLen: 1 + int(r.ExpFloat64()*5),
		Category:   categories[pick(r, categoryWeight)],
	}
	if r.Float64() < 0.64 {
		f.Device = "mobile"
	} else {
		f.Device = "desktop"
	}
	lat := lognormal(r, 0.031, 0.38)
	code := 200
	switch u := r.Float64(); {
	case u < 0.002+c.errRate:
		if r.Float64() < 0.6 {
			code = 503
		} else {
			code = 500
		}
		lat = 0.2 + 0.8*r.Float64()
	case u < 0.002+c.errRate+0.004:
		code = 400
		lat *= 0.1
	case u < 0.002+c.errRate+0.006:
		code = 404
		lat *= 0.1
	}
	conf := 0.5 + 0.49*(1-math.Pow(1-r.Float64(), 3)) - 0.1*c.priceShift*r.Float64()
	class := categories[pick(r, categoryWeight)]
	if r.Float64() < 0.55 {
		class = f.Category
	}
	score := math.Round(conf*(0.8+0.2*r.Float64())*1000) / 1000

	var id *ids
	if sampled || code >= 500 {
		id = s.newIDs()
	}
	if s.beforeStart(end, lat) {
		id = nil
	}
	tid, sid := "", ""
	if id != nil {
		tid, sid = id.traceHex(), id.spanHex()
	}
	observe(s.rec.duration, lat, tid, sid)
	s.rec.code(code).Inc()
	if id == nil {
		return
	}

	line := &logLine{Level: "info", Service: recsysService, Msg: "recommendation served",
		TraceID: tid, SpanID: sid, LatencyMS: round(lat*1000, 2), Status: code, Route: "/v1/recommend",
		Model: "ranker-v7", ModelVersion: "7.3.1"}
	errMsg := ""
	switch {
	case code >= 500:
		line.Level, line.Msg = "error", "feature store timeout"
		errMsg = "feature-store: context deadline exceeded"
		if code == 500 {
			line.Msg, errMsg = "ranking failed", "ranker: nil embedding for user"
		}
		line.Error = errMsg
	case code >= 400:
		line.Level, line.Msg = "warn", "bad request"
	default:
		line.Prediction = &prediction{Confidence: math.Round(conf*1000) / 1000, Score: score}
		line.PredictedClass = class
		line.Features = &f
		if lat > 0.25 {
			line.Level, line.Msg = "warn", "slow recommendation"
		}
	}
	s.log.add(end, line)

	start := end.Add(-secs(lat))
	ff := start.Add(secs(lat * 0.4))
	md := start.Add(secs(lat * 0.75))
	phases := []phase{{name: "feature-fetch", start: start, end: ff}, {name: "model", start: ff, end: md}, {name: "rank", start: md, end: end}}
	if code >= 500 {
		if code == 503 {
			phases = phases[:1]
			phases[0].end, phases[0].err = end, errMsg
		} else {
			phases[1].err = errMsg
		}
	}
	s.emit(s.traceRecsys(), id, "POST /v1/recommend", start, end,
		[]attribute.KeyValue{
			attribute.String("http.request.method", "POST"),
			attribute.String("http.route", "/v1/recommend"),
			attribute.Int("http.response.status_code", code),
			attribute.String("model.name", "ranker-v7"),
			attribute.Float64("features.price", f.Price),
			attribute.String("predicted_class", class),
		}, phases, errMsg)
}

// gpuLogs writes the driver/agent lines that go with GPU incidents.
func (s *sim) gpuLogs(t float64, c conditions) {
	at := s.wall(t + stepSeconds)
	tw := s.sc.find(ThermalThrottle)
	if tw.gpu >= 0 && tw.gpu < len(s.gpus) {
		g := &s.gpus[tw.gpu]
		hot := g.temp >= hwThermalC
		if hot != s.thermOn {
			s.thermOn = hot
			gi := tw.gpu
			if hot {
				s.log.add(at, &logLine{Level: "warn", Service: "gpu-agent",
					Msg: fmt.Sprintf("GPU %d thermal slowdown: HW and SW thermal throttle active, SM clock %d MHz", gi, g.stateNow.SMClockMHz),
					GPU: &gi, TemperatureC: round(g.temp, 1)})
			} else {
				s.log.add(at, &logLine{Level: "info", Service: "gpu-agent",
					Msg: fmt.Sprintf("GPU %d thermal slowdown cleared", gi), GPU: &gi, TemperatureC: round(g.temp, 1)})
			}
		}
	}
	xid := c.xidGPU >= 0
	if xid != s.xidOn {
		s.xidOn = xid
		if xid {
			// The lines name what runs on that GPU: a vLLM engine worker,
			// or (on the last GPU) the recommendation model server.
			gi := c.xidGPU
			proc, svc, what := "vllm", llmModelName, "engine worker"
			if !llmGPU(gi, len(s.gpus)) {
				proc, svc, what = "recsys-server", recsysService, "model server"
			}
			s.log.add(at, &logLine{Level: "error", Service: "gpu-agent",
				Msg: fmt.Sprintf("NVRM: Xid (PCI:%s): %d, pid=%d, name=%s, Graphics Exception: ESR 0x404600=0x80000002",
					nvrmBus(s.busIDs, gi), xidCode, 4100+gi, proc),
				GPU: &gi, XID: xidCode})
			s.log.add(at, &logLine{Level: "error", Service: svc,
				Msg: fmt.Sprintf("%s on GPU %d died (XID %d); restarting", what, gi, xidCode), GPU: &gi, XID: xidCode})
		}
	}
}

// nvrmBus is GPU i's bus id as the driver's NVRM lines print it: the PCI
// bus id without its function ("0000:03:00.0" → "0000:03:00").
func nvrmBus(busIDs []string, i int) string {
	if i < 0 || i >= len(busIDs) || busIDs[i] == "" {
		return "?"
	}
	b := busIDs[i]
	if j := strings.LastIndexByte(b, '.'); j > 0 {
		b = b[:j]
	}
	return b
}

// emit sends a request's spans unless tracing is off or the request is too old.
func (s *sim) emit(tr traceTracer, id *ids, name string, start, end time.Time,
	attrs []attribute.KeyValue, phases []phase, errMsg string) {
	if s.tr == nil || end.Before(s.traceCutoff) {
		return
	}
	s.tr.emit(tr, id, name, start, end, attrs, phases, errMsg)
}

func (s *sim) newIDs() *ids {
	id := &ids{}
	r := s.rTraffic
	putU64(id.trace[:8], r.Uint64())
	putU64(id.trace[8:], r.Uint64())
	for i := range id.spans {
		putU64(id.spans[i][:], r.Uint64()|1) // never the invalid all-zero id
	}
	return id
}

func (s *sim) traceLLM() traceTracer {
	if s.tr == nil {
		return nil
	}
	return s.tr.llm
}

func (s *sim) traceRecsys() traceTracer {
	if s.tr == nil {
		return nil
	}
	return s.tr.recsys
}

func putU64(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

func secs(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }

// poisson draws a Poisson(λ) count by inversion; λ here is small (< 30).
func poisson(r *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	l := math.Exp(-lambda)
	k, p := 0, r.Float64()
	for cum := l; p > cum && k < 1000; {
		k++
		l *= lambda / float64(k)
		cum += l
	}
	return k
}

// lognormal draws from a log-normal with the given median and log-sd.
func lognormal(r *rand.Rand, median, sigma float64) float64 {
	return median * math.Exp(sigma*r.NormFloat64())
}

// pick draws an index with the given weights (summing to about 1).
func pick(r *rand.Rand, w []float64) int {
	u := r.Float64()
	for i, x := range w {
		if u < x {
			return i
		}
		u -= x
	}
	return len(w) - 1
}

func itoa(i int) string { return strconv.Itoa(i) }
