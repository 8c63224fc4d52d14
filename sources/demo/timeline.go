package demo

import (
	"math/rand/v2"
	"time"
)

// IncidentKind names a scripted incident.
type IncidentKind string

// The incidents the default timeline plays, once per loop.
const (
	// LatencySpike multiplies the LLM's time to first token and inter-token
	// latency (and so its end-to-end latency and p99) by about five.
	LatencySpike IncidentKind = "latency_spike"
	// ErrorBurst raises the recommendation API's 5xx share to about 8 %.
	ErrorBurst IncidentKind = "error_burst"
	// DriftOnset shifts one model input feature (features.price) by about one
	// standard deviation while the other features keep their distribution.
	DriftOnset IncidentKind = "drift"
	// ThermalThrottle heats one GPU past 88 °C: thermal throttle reason bits
	// set, SM clock and power down.
	ThermalThrottle IncidentKind = "thermal_throttle"
	// XIDEvent reports an XID error on one GPU; the GPU's work stops for a
	// few seconds while the engine restarts.
	XIDEvent IncidentKind = "xid"
)

// Incident is one scripted incident of the first loop of the timeline.
// The timeline repeats every Service.Loop(), with the same incidents shifted
// by whole loops. Start and End are wall-clock offsets from the service's
// start (scripted time divided by Options.Speed).
type Incident struct {
	Kind    IncidentKind
	Service string        // the service it hits ("" for a GPU incident)
	GPU     int           // the GPU index it hits, -1 for a service incident
	Feature string        // the drifting feature, for DriftOnset ("price")
	XID     int           // the XID code, for XIDEvent
	Start   time.Duration // wall-clock offset from start
	End     time.Duration // wall-clock offset from start
	Detail  string        // one line for humans
}

// Scripted timing of the default loop, in scripted seconds. Each incident's
// start is jittered by the seed by up to ±jitter seconds.
const (
	loopSeconds    = 600.0
	calmSeconds    = 60.0
	jitterSeconds  = 8.0
	rampSeconds    = 4.0  // how long a latency/error incident takes to reach full strength
	driftRampSecs  = 15.0 // how long the drift takes to reach its full shift
	llmModelName   = "llama-3.1-8b"
	recsysService  = "recsys"
	driftFeature   = "price"
	xidCode        = 13
	xidStallSecs   = 12.0 // how long the XID GPU does no work
	thermalTarget  = 93.0 // °C the throttled GPU heads for
	latencyFactor  = 5.0
	errorBurstRate = 0.08
	driftShiftSD   = 1.0
)

// window is one incident in scripted seconds within a loop.
type window struct {
	kind       IncidentKind
	start, end float64 // scripted seconds within the loop
	gpu        int
}

// script is the timeline of one loop, fixed at Start from the seed.
type script struct {
	windows []window
}

// newScript lays out the default loop. gpus is the number of GPUs (≥ 1).
func newScript(seed int64, gpus int) script {
	r := rand.New(rand.NewPCG(uint64(seed), 0x7469_6d65_6c69_6e65)) // "timeline"
	j := func() float64 { return (r.Float64()*2 - 1) * jitterSeconds }
	thermalGPU := r.IntN(gpus)
	xidGPU := r.IntN(gpus)
	if gpus > 1 && xidGPU == thermalGPU {
		xidGPU = (xidGPU + 1 + r.IntN(gpus-1)) % gpus
	}
	ls := 90 + j()
	es := 200 + j()
	ds := 270 + j()
	ts := 330 + j()
	xs := 450 + j()
	return script{windows: []window{
		{kind: LatencySpike, start: ls, end: ls + 60, gpu: -1},
		{kind: ErrorBurst, start: es, end: es + 45, gpu: -1},
		{kind: DriftOnset, start: ds, end: ds + 210, gpu: -1},
		{kind: ThermalThrottle, start: ts, end: ts + 90, gpu: thermalGPU},
		{kind: XIDEvent, start: xs, end: xs + 30, gpu: xidGPU},
	}}
}

// find returns the window of the given kind.
func (s script) find(k IncidentKind) window {
	for _, w := range s.windows {
		if w.kind == k {
			return w
		}
	}
	return window{kind: k, start: -1, end: -1, gpu: -1}
}

// level is how strongly incident k acts at loop phase p (scripted seconds,
// 0 ≤ p < loopSeconds): 0 outside its window, ramping linearly to 1 over
// ramp seconds at each edge.
func (w window) level(p, ramp float64) float64 {
	if p < w.start || p >= w.end {
		return 0
	}
	l := 1.0
	if ramp > 0 {
		if in := (p - w.start) / ramp; in < l {
			l = in
		}
		if out := (w.end - p) / ramp; out < l {
			l = out
		}
	}
	if l < 0 {
		return 0
	}
	return l
}

// active reports whether p lies in the window.
func (w window) active(p float64) bool { return p >= w.start && p < w.end }

// conditions is what the script asks of the simulation at one instant.
type conditions struct {
	latFactor  float64 // LLM latency multiplier, ≥ 1
	errRate    float64 // recsys 5xx share on top of the baseline
	priceShift float64 // in standard deviations
	thermalGPU int     // -1 when none is being heated
	xidGPU     int     // -1 when no XID is active
	xidPhase   float64 // scripted seconds since the XID fired
}

// at returns the conditions at loop phase p.
func (s script) at(p float64) conditions {
	c := conditions{latFactor: 1, thermalGPU: -1, xidGPU: -1}
	for _, w := range s.windows {
		switch w.kind {
		case LatencySpike:
			c.latFactor = 1 + (latencyFactor-1)*w.level(p, rampSeconds)
		case ErrorBurst:
			c.errRate = errorBurstRate * w.level(p, rampSeconds)
		case DriftOnset:
			c.priceShift = driftShiftSD * w.level(p, driftRampSecs)
		case ThermalThrottle:
			if w.active(p) {
				c.thermalGPU = w.gpu
			}
		case XIDEvent:
			if w.active(p) {
				c.xidGPU = w.gpu
				c.xidPhase = p - w.start
			}
		}
	}
	return c
}

// incidents converts the script to wall-clock incidents for the first loop.
func (s script) incidents(speed float64) []Incident {
	d := func(sec float64) time.Duration { return time.Duration(sec / speed * float64(time.Second)) }
	out := make([]Incident, 0, len(s.windows))
	for _, w := range s.windows {
		in := Incident{Kind: w.kind, GPU: -1, Start: d(w.start), End: d(w.end)}
		switch w.kind {
		case LatencySpike:
			in.Service = llmModelName
			in.Detail = "LLM time to first token and inter-token latency ×5 (p99 ×5)"
		case ErrorBurst:
			in.Service = recsysService
			in.Detail = "recsys 5xx share ~8 % (feature store timeouts)"
		case DriftOnset:
			in.Service = recsysService
			in.Feature = driftFeature
			in.Detail = "recsys input feature price shifts by +1σ; other features unchanged"
		case ThermalThrottle:
			in.GPU = w.gpu
			in.Detail = "cooling fault: temperature ≥ 88 °C, HW/SW thermal slowdown, SM clock down"
		case XIDEvent:
			in.GPU = w.gpu
			in.XID = xidCode
			in.Detail = "XID 13 graphics engine exception; engine on this GPU restarts"
		}
		out = append(out, in)
	}
	return out
}
