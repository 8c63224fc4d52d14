// Package view evaluates what the panes show from the store at one instant.
// The console's panes and the headless --once output both call Evaluate, so
// a number printed by a script is the number on the screen.
//
// JSON field names are part of vigil's interface (documented in README.md);
// a value no source gives is null, never 0.
package view

import (
	"encoding/json"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Num is an optional number: OK false means n/a, encoded as JSON null.
type Num struct {
	V  float64
	OK bool
}

// Some returns a present number; NaN and ±Inf are n/a.
func Some(v float64) Num {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return Num{}
	}
	return Num{V: v, OK: true}
}

// MarshalJSON writes the number or null.
func (n Num) MarshalJSON() ([]byte, error) {
	if !n.OK {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, n.V, 'g', -1, 64), nil
}

// UnmarshalJSON reads a number or null.
func (n *Num) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*n = Num{}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = Num{V: v, OK: true}
	return nil
}

// Options says how to evaluate.
type Options struct {
	RateWindow   time.Duration      // rate and quantile window; default 1m
	ErrorTarget  float64            // default error-rate target, ratio; default 0.01
	Strict       map[string]bool    // services with the strict target
	StrictTarget float64            // default 0.001
	Targets      map[string]float64 // per-service error target, ratio

	// Fleet thresholds (EvaluateFleet); zero takes the default.
	LatencySLO  map[string]time.Duration // per-service p99 objective
	GPUTempWarn float64                  // °C; default 75
	GPUTempCrit float64                  // °C; default 85
	QueueWarn   float64                  // requests waiting; default 10
	QueueCrit   float64                  // default 30
	GoneAfter   time.Duration            // a host this far behind the fleet's newest data is gone; default 1m
	FleetWorstN int                      // GPUs and services in the fleet's worst lists; default 20
}

func (o Options) withDefaults() Options {
	if o.RateWindow <= 0 {
		o.RateWindow = time.Minute
	}
	if o.ErrorTarget <= 0 {
		o.ErrorTarget = 0.01
	}
	if o.StrictTarget <= 0 {
		o.StrictTarget = 0.001
	}
	if o.GPUTempWarn <= 0 {
		o.GPUTempWarn = DefaultGPUTempWarn
	}
	if o.GPUTempCrit <= 0 {
		o.GPUTempCrit = DefaultGPUTempCrit
	}
	if o.QueueWarn <= 0 {
		o.QueueWarn = DefaultQueueWarn
	}
	if o.QueueCrit <= 0 {
		o.QueueCrit = DefaultQueueCrit
	}
	if o.GoneAfter <= 0 {
		o.GoneAfter = DefaultGoneAfter
	}
	if o.FleetWorstN <= 0 {
		o.FleetWorstN = DefaultFleetWorstN
	}
	return o
}

// Basis says what a figure was computed over.
const (
	BasisWindow   = "window"   // deltas over the evaluation window
	BasisLifetime = "lifetime" // cumulative since the exporter started (one scrape only)
	BasisSummary  = "summary"  // an exporter's own quantiles (a Prometheus summary)
	BasisEngine   = "engine"   // a query engine computed it over the window (query mode); shown as it is
)

// Quantiles summarises a latency histogram, in seconds.
type Quantiles struct {
	P50   Num    `json:"p50"`
	P95   Num    `json:"p95"`
	P99   Num    `json:"p99"`
	Mean  Num    `json:"mean"`
	Count Num    `json:"count"` // observations the figures rest on
	Basis string `json:"basis,omitempty"`
	Reset bool   `json:"reset,omitempty"` // a counter reset inside the window
}

// Service is one serving endpoint's figures.
type Service struct {
	Host        string         `json:"host"`
	Name        string         `json:"service"`
	Stack       string         `json:"stack"`
	Operation   string         `json:"operation,omitempty"` // the kind of call (OTel GenAI: chat, embeddings, ...); "" for one kind
	Latency     Quantiles      `json:"latency_seconds"`
	TTFT        Quantiles      `json:"ttft_seconds"`
	ITL         Quantiles      `json:"itl_seconds"`
	Throughput  Num            `json:"requests_per_second"`
	PromptTPS   Num            `json:"prompt_tokens_per_second"`
	GenTPS      Num            `json:"generation_tokens_per_second"`
	ErrorRate   Num            `json:"error_rate"` // ratio 0..1
	ErrorBasis  string         `json:"error_rate_basis,omitempty"`
	ErrorTarget float64        `json:"error_target"`
	Outcomes    map[string]Num `json:"requests_by_outcome"` // increase over the window (or lifetime totals)
	QueueDepth  Num            `json:"queue_depth"`
	Running     Num            `json:"running"`
	KVCache     Num            `json:"kv_cache_ratio"`
	// Age is how old the newest sample the figures rest on is at the
	// evaluation instant, seconds: an engine that answers late, or a
	// service gone quiet, shows here.
	Age Num `json:"age_seconds"`
}

// Key identifies the service in the store: host/service/stack, and
// /operation where the stack serves several kinds of call.
func (s Service) Key() string {
	k := s.Host + "/" + s.Name + "/" + s.Stack
	if s.Operation != "" {
		k += "/" + s.Operation
	}
	return k
}

// DisplayName is how panes name the service's row: its name, and its
// operation where it has one ("gpt-4o · chat"). Not sanitised.
func (s Service) DisplayName() string {
	if s.Operation == "" {
		return s.Name
	}
	return s.Name + " · " + s.Operation
}

// Match is the label matchers that select this service's series in the
// store, and no other's: an empty operation matches only series without one.
func (s Service) Match() []sources.Label {
	return []sources.Label{{Name: sources.LabelHost, Value: s.Host}, {Name: sources.LabelService, Value: s.Name},
		{Name: sources.LabelStack, Value: s.Stack}, {Name: sources.LabelOperation, Value: s.Operation}}
}

// GPU is one GPU's gauges.
type GPU struct {
	Host       string   `json:"host"`
	Index      string   `json:"gpu"`
	UUID       string   `json:"uuid"`
	Model      string   `json:"model"`
	Util       Num      `json:"utilization_ratio"`
	MemUtil    Num      `json:"memory_utilization_ratio"`
	MemUsed    Num      `json:"memory_used_bytes"`
	MemTotal   Num      `json:"memory_total_bytes"`
	Temp       Num      `json:"temperature_celsius"`
	MemTemp    Num      `json:"memory_temperature_celsius"`
	Power      Num      `json:"power_watts"`
	PowerLimit Num      `json:"power_limit_watts"`
	SMClock    Num      `json:"sm_clock_hz"`
	MemClock   Num      `json:"memory_clock_hz"`
	Fan        Num      `json:"fan_ratio"`
	PState     Num      `json:"pstate"`
	Throttle   Num      `json:"throttle_reasons"`
	Badges     []string `json:"throttle_badges"`
	XIDLast    Num      `json:"xid_last"`
	ECCCorr    Num      `json:"ecc_corrected_total"`
	ECCUncorr  Num      `json:"ecc_uncorrected_total"`
	PCIeReplay Num      `json:"pcie_replay_total"`
	Age        Num      `json:"age_seconds"` // of the newest sample the gauges rest on, seconds
}

// MemRatio is used/total, n/a when either is missing.
func (g GPU) MemRatio() Num {
	if !g.MemUsed.OK || !g.MemTotal.OK || g.MemTotal.V <= 0 {
		return Num{}
	}
	return Some(g.MemUsed.V / g.MemTotal.V)
}

// StateStale is the SourceHealth state of a source whose last good poll is
// older than three of its intervals (at least 5 s): it says nothing new.
// The other states are sources.HealthState's names (ok, error, disabled,
// idle, unknown).
const StateStale = "stale"

// SourceHealth is a source's state as of the evaluation instant.
type SourceHealth struct {
	Source string `json:"source"`
	Kind   string `json:"kind,omitempty"`
	Target string `json:"target,omitempty"`
	State  string `json:"state"` // ok, idle, stale, error, disabled, unknown
	Error  string `json:"error,omitempty"`
	// AgeSeconds is how old what the source shows is: the time since its
	// last good poll, or the age of the data that poll returned when that is
	// older (a query engine answering late).
	AgeSeconds Num `json:"age_seconds"`
	// DataAgeSeconds is the age of the newest data of the last good poll,
	// when the source knows it (query mode: the engine's newest scrape).
	DataAgeSeconds Num      `json:"data_age_seconds"`
	DurationMS     float64  `json:"last_duration_ms"`
	Bytes          int      `json:"last_bytes"`
	Series         int      `json:"series"`
	Detail         string   `json:"detail,omitempty"`
	Warnings       []string `json:"warnings,omitempty"` // a partial or narrowed answer, one line each
}

// Overview is everything the overview panes show at one instant.
type Overview struct {
	At         time.Time      `json:"at"`
	RateWindow string         `json:"window"`
	Services   []Service      `json:"services"`
	GPUs       []GPU          `json:"gpus"`
	Sources    []SourceHealth `json:"sources"`
	Drops      sources.Drops  `json:"-"`
}

// Evaluate computes the overview at instant at.
func Evaluate(st *sources.Store, at time.Time, o Options) Overview {
	o = o.withDefaults()
	ov := Overview{At: at.UTC(), RateWindow: o.RateWindow.String(), Services: []Service{}, GPUs: []GPU{}, Sources: []SourceHealth{}}
	ov.Services = Services(st, at, o)
	ov.GPUs = GPUs(st, at)
	ov.Sources = Health(st, at)
	ov.Drops = st.Drops()
	return ov
}

type svcID struct{ host, name, stack, op string }

func svcOf(s sources.Series) svcID {
	return svcID{s.Label(sources.LabelHost), s.Label(sources.LabelService), s.Label(sources.LabelStack), s.Label(sources.LabelOperation)}
}

// svcSignals are the series names a service's figures come from.
var svcSignals = []string{sources.SvcRequests, sources.SvcLatency, sources.SvcTTFT, sources.SvcITL, sources.SvcTokens,
	sources.SvcQueueDepth, sources.SvcRunning, sources.SvcKVCache, sources.SvcLatencyQuant,
	sources.SvcLatencyMean, sources.SvcLatencyObs, sources.SvcTTFTQuant, sources.SvcTTFTMean, sources.SvcTTFTObs,
	sources.SvcITLQuant, sources.SvcITLMean, sources.SvcITLObs, sources.SvcRequestRate, sources.SvcTokenRate}

// svcIndex holds, per signal name, each service's series: one pass over the
// store instead of one per service and signal, so a fleet of a thousand
// services costs what its series cost.
// It is kept while the store's series stay the same, with the services it
// lists (ids).
type svcIndex map[string]map[svcID][]sources.Series

type svcShape struct {
	x   svcIndex
	ids []svcID
}

var svcMemo seriesMemo[*svcShape]

func indexServices(st *sources.Store) *svcShape {
	return svcMemo.get(st, func() *svcShape {
		x := buildSvcIndex(st)
		ids := map[svcID]bool{}
		for _, name := range svcSignals {
			for id := range x[name] {
				ids[id] = true
			}
		}
		sh := &svcShape{x: x, ids: make([]svcID, 0, len(ids))}
		for id := range ids {
			sh.ids = append(sh.ids, id)
		}
		return sh
	})
}

func buildSvcIndex(st *sources.Store) svcIndex {
	x := svcIndex{}
	for _, name := range svcSignals {
		m := map[svcID][]sources.Series{}
		for _, s := range st.Select(name) {
			id := svcOf(s)
			m[id] = append(m[id], s)
		}
		x[name] = m
	}
	return x
}

// of returns the service's series of a signal that carry every extra label.
func (x svcIndex) of(name string, id svcID, extra ...sources.Label) []sources.Series {
	return withLabels(x[name][id], extra)
}

// Services evaluates every service the store knows of, sorted by host and name.
func Services(st *sources.Store, at time.Time, o Options) []Service {
	o = o.withDefaults()
	sh := indexServices(st)
	out := make([]Service, 0, len(sh.ids))
	for _, id := range sh.ids {
		out = append(out, service(st, sh.x, id, at, o))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return out
}

func service(st *sources.Store, x svcIndex, id svcID, at time.Time, o Options) Service {
	sv := Service{Host: id.host, Name: id.name, Stack: id.stack, Operation: id.op, Outcomes: map[string]Num{}}
	sv.Latency = x.quantiles(st, famLatency, id, o.RateWindow, at)
	sv.TTFT = x.quantiles(st, famTTFT, id, o.RateWindow, at)
	sv.ITL = x.quantiles(st, famITL, id, o.RateWindow, at)
	if rates := x.of(sources.SvcRequestRate, id); len(rates) > 0 {
		// The engine's figures: requests per second by outcome.
		sv.Throughput = sumLast(st, rates, at)
		sv.ErrorRate, sv.ErrorBasis, sv.Outcomes = errorRateFigures(st, rates, o.RateWindow, at)
	} else {
		sv.Throughput = sumRate(st, x.of(sources.SvcRequests, id), o.RateWindow, at)
		sv.ErrorRate, sv.ErrorBasis, sv.Outcomes = errorRate(st, x.of(sources.SvcRequests, id), o.RateWindow, at)
	}
	sv.PromptTPS = x.tokens(st, id, "prompt", o.RateWindow, at)
	sv.GenTPS = x.tokens(st, id, "generation", o.RateWindow, at)
	sv.ErrorTarget = ErrorTarget(o, id.name)
	sv.QueueDepth = sumLast(st, x.of(sources.SvcQueueDepth, id), at)
	sv.Running = sumLast(st, x.of(sources.SvcRunning, id), at)
	sv.KVCache = maxLast(st, x.of(sources.SvcKVCache, id), at)
	var newest int64
	for _, name := range svcSignals {
		for _, s := range x[name][id] {
			if smp, ok := st.LastSeen(s.Key(), at); ok && smp.T > newest {
				newest = smp.T
			}
		}
	}
	sv.Age = ageOf(newest, at)
	return sv
}

// tokens is the service's token rate of one kind: the engine's figure, else
// the rate of its token counters.
func (x svcIndex) tokens(st *sources.Store, id svcID, kind string, window time.Duration, at time.Time) Num {
	k := sources.Label{Name: sources.LabelKind, Value: kind}
	if fs := x.of(sources.SvcTokenRate, id, k); len(fs) > 0 {
		return sumLast(st, fs, at)
	}
	return sumRate(st, x.of(sources.SvcTokens, id, k), window, at)
}

// ageOf is at − t (t in Unix ns), n/a for no sample.
func ageOf(t int64, at time.Time) Num {
	if t == 0 {
		return Num{}
	}
	return Some(math.Max(0, at.Sub(time.Unix(0, t)).Seconds()))
}

// ErrorTarget is the error-rate target for a service: its own, else the
// strict one if marked strict, else the default.
func ErrorTarget(o Options, service string) float64 {
	o = o.withDefaults()
	if t, ok := o.Targets[service]; ok && t > 0 {
		return t
	}
	if o.Strict[service] {
		return o.StrictTarget
	}
	return o.ErrorTarget
}

// HistQuantiles sums the histogram series called name that match m, bucket by
// bucket, over the window ending at at, and returns p50/p95/p99 and the mean.
func HistQuantiles(st *sources.Store, name string, m []sources.Label, window time.Duration, at time.Time) Quantiles {
	return quantilesOf(st, st.Select(name, m...), window, at)
}

func quantilesOf(st *sources.Store, series []sources.Series, window time.Duration, at time.Time) Quantiles {
	var sum sources.HistDelta
	for _, s := range series {
		d, ok := st.HistogramDelta(s.Key(), window, at)
		if !ok {
			continue
		}
		sum.Merge(d) // a series with another layout is left out rather than mixed
	}
	return QuantilesOf(sum)
}

// QuantilesOf summarises a distribution.
func QuantilesOf(d sources.HistDelta) Quantiles {
	if d.Bounds == nil {
		return Quantiles{}
	}
	q := Quantiles{Basis: BasisWindow, Reset: d.Reset}
	if d.Lifetime {
		q.Basis = BasisLifetime
	}
	q.Count = Some(d.Count)
	if d.Count > 0 {
		q.P50, q.P95, q.P99 = Some(d.Quantile(0.5)), Some(d.Quantile(0.95)), Some(d.Quantile(0.99))
		q.Mean = Some(d.Mean())
	}
	return q
}

func maxNum(a, b Num) Num {
	if !a.OK || b.OK && b.V > a.V {
		return b
	}
	return a
}

// SumRate is the sum of the per-second rates of the matching counters; n/a
// when none has two samples in the window.
func SumRate(st *sources.Store, name string, m []sources.Label, window time.Duration, at time.Time) Num {
	return sumRate(st, st.Select(name, m...), window, at)
}

func sumRate(st *sources.Store, series []sources.Series, window time.Duration, at time.Time) Num {
	var out Num
	for _, s := range series {
		if r, ok := st.Rate(s.Key(), window, at); ok {
			out = Num{V: out.V + r, OK: true}
		}
	}
	return out
}

// SumLast is the sum of the newest values of the matching gauges.
func SumLast(st *sources.Store, name string, m []sources.Label, at time.Time) Num {
	return sumLast(st, st.Select(name, m...), at)
}

func sumLast(st *sources.Store, series []sources.Series, at time.Time) Num {
	var out Num
	for _, s := range series {
		if smp, ok := st.Last(s.Key(), at); ok && !math.IsNaN(smp.V) {
			out = Num{V: out.V + smp.V, OK: true}
		}
	}
	return out
}

// MaxLast is the largest newest value of the matching gauges.
func MaxLast(st *sources.Store, name string, m []sources.Label, at time.Time) Num {
	return maxLast(st, st.Select(name, m...), at)
}

func maxLast(st *sources.Store, series []sources.Series, at time.Time) Num {
	var out Num
	for _, s := range series {
		if smp, ok := st.Last(s.Key(), at); ok {
			out = maxNum(out, Some(smp.V))
		}
	}
	return out
}

// errorRate is error / all outcomes over the window; with a single scrape it
// falls back to the lifetime totals, flagged as such.
func errorRate(st *sources.Store, series []sources.Series, window time.Duration, at time.Time) (Num, string, map[string]Num) {
	outcomes := map[string]Num{}
	if len(series) == 0 {
		return Num{}, "", outcomes
	}
	var all, errs float64
	windowed := true
	for _, s := range series {
		if _, _, ok := st.Increase(s.Key(), window, at); !ok {
			windowed = false
		}
	}
	for _, s := range series {
		var v float64
		if windowed {
			v, _, _ = st.Increase(s.Key(), window, at)
		} else {
			smp, ok := st.Last(s.Key(), at)
			if !ok {
				continue
			}
			v = smp.V
		}
		oc := s.Label(sources.LabelOutcome)
		prev := outcomes[oc]
		outcomes[oc] = Num{V: prev.V + v, OK: true}
		all += v
		if oc == sources.OutcomeError {
			errs += v
		}
	}
	basis := BasisWindow
	if !windowed {
		basis = BasisLifetime
	}
	if _, ok := outcomes[sources.OutcomeError]; !ok || all <= 0 {
		// A stack that counts no errors has no error rate (n/a, not 0 %);
		// neither has a window without requests.
		return Num{}, basis, outcomes
	}
	return Some(errs / all), basis, outcomes
}

type gpuID struct{ host, index, uuid string }

// GPUs evaluates every GPU the store knows of, sorted by host and index.
// Which series make up which GPU is worked out once per store generation
// (gpuShapeOf); each call then reads only each series' last sample.
func GPUs(st *sources.Store, at time.Time) []GPU {
	sh := gpuShapeOf(st)
	out := make([]GPU, 0, len(sh.gpus))
	for i, id := range sh.gpus {
		g := GPU{Host: id.host, Index: id.index, UUID: id.uuid, Badges: []string{}}
		var newest int64
		seen := false
		// A field's newest sample wins (of equal times, the later
		// series'): a GPU known by its index alone for a while (its
		// identity not yet, or not this time, known) reads as one GPU.
		var fieldT [2 * gpuFieldCount]int64
		for _, r := range sh.refs[i] {
			smp, ok := st.LastRef(r.ref, at)
			if !ok {
				continue
			}
			k := 2 * r.field
			if r.uncorr {
				k++
			}
			if smp.T < fieldT[k] {
				continue
			}
			fieldT[k] = smp.T
			seen = true
			gpuFields[r.field].set(&g, r.uncorr, Some(smp.V))
			newest = max(newest, smp.T)
			if g.Model == "" {
				g.Model = r.model
			}
		}
		if !seen {
			continue
		}
		if g.Throttle.OK {
			g.Badges = ThrottleBadges(uint64(g.Throttle.V))
		}
		g.Age = ageOf(newest, at)
		out = append(out, g)
	}
	return out
}

// gpuFieldCount is len(gpuFields).
const gpuFieldCount = 16

// gpuFields are the GPU signals and the field each sets.
var gpuFields = [gpuFieldCount]struct {
	name string
	set  func(g *GPU, uncorr bool, n Num)
}{
	{sources.GPUUtilization, func(g *GPU, _ bool, n Num) { g.Util = n }},
	{sources.GPUMemUtil, func(g *GPU, _ bool, n Num) { g.MemUtil = n }},
	{sources.GPUMemoryUsed, func(g *GPU, _ bool, n Num) { g.MemUsed = n }},
	{sources.GPUMemoryTotal, func(g *GPU, _ bool, n Num) { g.MemTotal = n }},
	{sources.GPUTemperature, func(g *GPU, _ bool, n Num) { g.Temp = n }},
	{sources.GPUMemTemp, func(g *GPU, _ bool, n Num) { g.MemTemp = n }},
	{sources.GPUPower, func(g *GPU, _ bool, n Num) { g.Power = n }},
	{sources.GPUPowerLimit, func(g *GPU, _ bool, n Num) { g.PowerLimit = n }},
	{sources.GPUSMClock, func(g *GPU, _ bool, n Num) { g.SMClock = n }},
	{sources.GPUMemClock, func(g *GPU, _ bool, n Num) { g.MemClock = n }},
	{sources.GPUFan, func(g *GPU, _ bool, n Num) { g.Fan = n }},
	{sources.GPUPState, func(g *GPU, _ bool, n Num) { g.PState = n }},
	{sources.GPUThrottle, func(g *GPU, _ bool, n Num) { g.Throttle = n }},
	{sources.GPUXIDLast, func(g *GPU, _ bool, n Num) { g.XIDLast = n }},
	{sources.GPUPCIeReplay, func(g *GPU, _ bool, n Num) { g.PCIeReplay = n }},
	{sources.GPUECCErrors, func(g *GPU, uncorr bool, n Num) {
		if uncorr {
			g.ECCUncorr = n
		} else {
			g.ECCCorr = n
		}
	}},
}

// gpuRef is one series of a GPU: the field it sets, in the order the
// fields are read (a later series of the same field wins).
type gpuRef struct {
	field  int
	ref    sources.Ref
	uncorr bool   // an ECC count of uncorrected errors
	model  string // its model label
}

// gpuShape is which series make up each GPU, sorted by host, index and UUID.
type gpuShape struct {
	gpus []gpuID
	refs [][]gpuRef
}

// gpuMemo keeps the last store's shape while its series stay the same: at
// 1,000 hosts the shape is 128,000 series to select, label and group.
var gpuMemo seriesMemo[*gpuShape]

func gpuShapeOf(st *sources.Store) *gpuShape {
	return gpuMemo.get(st, func() *gpuShape { return buildGPUShape(st) })
}

func buildGPUShape(st *sources.Store) *gpuShape {
	byID := map[gpuID]int{}
	sh := &gpuShape{}
	for fi, f := range gpuFields {
		for _, s := range st.Select(f.name) {
			id := gpuID{s.Label(sources.LabelHost), s.Label(sources.LabelGPU), s.Label(sources.LabelUUID)}
			i, ok := byID[id]
			if !ok {
				i = len(sh.gpus)
				byID[id] = i
				sh.gpus = append(sh.gpus, id)
				sh.refs = append(sh.refs, nil)
			}
			ref, ok := st.Ref(s.Key())
			if !ok {
				continue // gone since the Select
			}
			sh.refs[i] = append(sh.refs[i], gpuRef{field: fi, ref: ref, uncorr: s.Label("type") == "uncorrected", model: s.Label(sources.LabelModel)})
		}
	}
	// A GPU's series without its UUID (a query engine's figures from a
	// poll that did not know the GPUs' identities, as at its start) are
	// the GPU's of the same host and index that has one, when only one
	// has: they go before its own, which win at equal times.
	named := map[[2]string][]int{}
	for i, id := range sh.gpus {
		if id.uuid != "" && id.index != "" {
			k := [2]string{id.host, id.index}
			named[k] = append(named[k], i)
		}
	}
	idx := make([]int, 0, len(sh.gpus))
	for i, id := range sh.gpus {
		if id.uuid == "" && id.index != "" {
			if to := named[[2]string{id.host, id.index}]; len(to) == 1 {
				sh.refs[to[0]] = append(sh.refs[i], sh.refs[to[0]]...)
				continue
			}
		}
		idx = append(idx, i)
	}
	sort.Slice(idx, func(i, j int) bool {
		a, b := sh.gpus[idx[i]], sh.gpus[idx[j]]
		if a.host != b.host {
			return a.host < b.host
		}
		ai, _ := strconv.Atoi(a.index)
		bi, _ := strconv.Atoi(b.index)
		if ai != bi {
			return ai < bi
		}
		return a.uuid < b.uuid
	})
	sorted := &gpuShape{gpus: make([]gpuID, len(idx)), refs: make([][]gpuRef, len(idx))}
	for k, i := range idx {
		sorted.gpus[k], sorted.refs[k] = sh.gpus[i], sh.refs[i]
	}
	return sorted
}

// NVML clock-event (throttle) reason bits.
const (
	ThrottleGPUIdle       = 0x1
	ThrottleAppClocks     = 0x2
	ThrottleSWPowerCap    = 0x4
	ThrottleHWSlowdown    = 0x8
	ThrottleSyncBoost     = 0x10
	ThrottleSWThermal     = 0x20
	ThrottleHWThermal     = 0x40
	ThrottleHWPowerBrake  = 0x80
	ThrottleDisplayClocks = 0x100
)

var badgeNames = []struct {
	bit  uint64
	name string
}{
	{ThrottleSWPowerCap, "PWR-CAP"},
	{ThrottleHWThermal, "HW-THERM"},
	{ThrottleSWThermal, "SW-THERM"},
	{ThrottleHWSlowdown, "HW-SLOW"},
	{ThrottleHWPowerBrake, "PWR-BRAKE"},
	{ThrottleSyncBoost, "SYNC-BOOST"},
	{ThrottleGPUIdle, "IDLE"},
	{ThrottleAppClocks, "APP-CLK"},
	{ThrottleDisplayClocks, "DISP-CLK"},
}

// ThrottleBadges decodes a clock-event bitmask into short badges, the
// alarming ones first.
func ThrottleBadges(mask uint64) []string {
	out := []string{}
	for _, b := range badgeNames {
		if mask&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	return out
}

// Health reports every source's state at at. A source whose last good poll is
// older than three intervals (at least 5 s) is stale.
func Health(st *sources.Store, at time.Time) []SourceHealth {
	hs := st.Health()
	out := make([]SourceHealth, 0, len(hs))
	for _, h := range hs {
		sh := SourceHealth{Source: h.Source, Kind: h.Kind, Target: h.Target, State: h.State.String(), Error: h.Err,
			DurationMS: float64(h.Duration.Microseconds()) / 1000, Bytes: h.Bytes, Series: h.Series, Detail: h.Detail,
			Warnings: h.Warnings}
		if !h.LastOK.IsZero() {
			age := at.Sub(h.LastOK)
			if !h.DataAt.IsZero() {
				da := at.Sub(h.DataAt)
				sh.DataAgeSeconds = Some(math.Max(0, da.Seconds()))
				age = max(age, da)
			}
			sh.AgeSeconds = Some(math.Max(0, age.Seconds()))
			limit := max(3*h.Interval, 5*time.Second)
			if h.State == sources.HealthOK && age > limit {
				sh.State = StateStale
			}
		}
		out = append(out, sh)
	}
	return out
}
