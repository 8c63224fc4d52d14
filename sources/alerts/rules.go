package alerts

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// Comparison operators of a rule.
const (
	OpGT = ">"
	OpGE = ">="
	OpLT = "<"
	OpLE = "<="
)

// DefaultHysteresis is the release margin of threshold rules without an
// explicit clear level: 10 % of the threshold back on the safe side.
const DefaultHysteresis = 0.10

// Value is one instance of a rule at one evaluation: what it is about and
// its value. A NaN value is n/a: the instance is inactive.
type Value struct {
	Labels       []sources.Label // sorted
	V            float64
	Threshold    float64 // this instance's own threshold (a service's target), when HasThreshold
	HasThreshold bool
	Clear        float64 // this instance's own release level, when HasClear
	HasClear     bool
	Gate         float64 // when HasGate, must also cross the threshold for the alert to start (not to stay)
	HasGate      bool
	Note         string // extra text for the alert line
	key          string // the labels' identity when the evaluator knows it cheaply
}

// Rule is one alert rule.
type Rule struct {
	Name        string
	Severity    sources.Severity
	For         time.Duration
	Op          string  // >, >=, <, <=
	Threshold   float64 // the rule's threshold (instances may carry their own)
	Clear       float64 // release level; NaN: DefaultHysteresis away from the threshold
	Labels      map[string]string
	Annotations map[string]string
	Expr        string // the expression, for display
	Unit        string // for the alert line: "ratio" prints as %, "s", "°C", ...

	eval func(c *evalCtx) []Value
	say  func(v Value, thr float64, ph phase) string // a built-in rule's own words; nil: the generic line
	err  string                                      // a configuration problem reported as the engine's health
}

// phase is where an alert stands, for its text: active, or why it ended.
type phase uint8

const (
	phaseActive  phase = iota
	phaseCleared       // the value came back past the release level
	phaseNoData        // the value was n/a for StaleAfter
	phaseGone          // the rule no longer reports the instance (a service gone)
)

// crosses reports whether v is over the line: the threshold when the alert
// is not active, the release level when it is (hysteresis).
func (r *Rule) crosses(v, thr float64, active bool) bool {
	if math.IsNaN(v) {
		return false
	}
	line := thr
	if active {
		line = r.clearFor(thr)
	}
	switch r.Op {
	case OpGE:
		return v >= line
	case OpLT:
		return v < line
	case OpLE:
		return v <= line
	}
	return v > line
}

func (r *Rule) clearFor(thr float64) float64 {
	if !math.IsNaN(r.Clear) && thr == r.Threshold {
		return r.Clear
	}
	m := math.Abs(thr) * DefaultHysteresis
	switch r.Op {
	case OpLT, OpLE:
		return thr + m
	}
	return thr - m
}

// text is the alert's line: what is wrong while it is active ("p99 97.1s >
// 60s"), and once it ends, that it ended and why ("p99 19.8s, back under
// 60s"). It never names the subject (host, service, GPU): the labels do,
// and the screens put the subject first.
func (r *Rule) text(v Value, thr float64, ph phase) string {
	if r.say != nil {
		if t := r.say(v, thr, ph); t != "" {
			return sources.OneLine(t)
		}
	}
	switch ph {
	case phaseGone:
		return "no longer reported"
	case phaseNoData:
		return r.valueName() + " n/a: no data"
	case phaseCleared:
		return fmt.Sprintf("%s %s, back %s %s", r.valueName(), formatUnit(v.V, r.Unit), r.backWord(), formatUnit(thr, r.Unit))
	}
	if s := r.Annotations["summary"]; s != "" {
		t := expand(s, v, thr)
		if v.Note != "" {
			t += " (" + v.Note + ")"
		}
		return sources.OneLine(t)
	}
	t := fmt.Sprintf("%s %s %s %s", r.valueName(), formatUnit(v.V, r.Unit), r.Op, formatUnit(thr, r.Unit))
	if v.Note != "" {
		t += " (" + v.Note + ")"
	}
	return t
}

// backWord is the side a value returns to when the alert ends.
func (r *Rule) backWord() string {
	switch r.Op {
	case OpLT, OpLE:
		return "over"
	}
	return "under"
}

func (r *Rule) valueName() string {
	if r.Expr != "" {
		return r.Expr
	}
	return "value"
}

// expand replaces {{ $value }}, {{ $threshold }} and {{ $labels.x }} (also
// {{ .x }}) in an annotation.
func expand(s string, v Value, thr float64) string {
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			return s
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			return s
		}
		key := strings.TrimSpace(s[i+2 : i+j])
		rep := ""
		switch {
		case key == "$value":
			rep = FormatValue(v.V)
		case key == "$threshold":
			rep = FormatValue(thr)
		default:
			name := strings.TrimPrefix(strings.TrimPrefix(key, "$labels."), ".")
			for _, l := range v.Labels {
				if l.Name == name {
					rep = l.Value
				}
			}
		}
		s = s[:i] + rep + s[i+j+2:]
	}
}

func formatUnit(v float64, unit string) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch unit {
	case "ratio":
		return strconv.FormatFloat(v*100, 'g', 3, 64) + "%"
	case "s":
		return strconv.FormatFloat(v, 'g', 3, 64) + "s"
	case "°C":
		return strconv.FormatFloat(v, 'f', 0, 64) + "°C"
	case "x":
		return strconv.FormatFloat(v, 'g', 3, 64) + "x"
	case "":
		return FormatValue(v)
	}
	return FormatValue(v) + " " + unit
}

// evalCtx caches what several rules read at one evaluation.
type evalCtx struct {
	e  *Engine
	st *sources.Store
	at time.Time

	svcs   []view.Service
	gpus   []view.GPU
	health []view.SourceHealth
	done   uint8

	svcLs   [][]sources.Label // labels of svcs[i]
	svcKeys []string
	gpuLs   [][]sources.Label // labels of gpus[i]
	gpuKeys []string
	counts  map[countKey]Counts
	sel     map[string][]sources.Series
	incs    map[countKey]incResult
	hists   map[countKey]histResult
}

type incResult struct {
	inc  float64
	span time.Duration
	ok   bool
}

type histResult struct {
	d  sources.HistDelta
	ok bool
}

// increase is Store.Increase, once per series and window per evaluation.
func (c *evalCtx) increase(key string, w time.Duration) (float64, time.Duration, bool) {
	k := countKey{key, w}
	if r, ok := c.incs[k]; ok {
		return r.inc, r.span, r.ok
	}
	if c.incs == nil {
		c.incs = map[countKey]incResult{}
	}
	inc, span, ok := c.st.Increase(key, w, c.at)
	c.incs[k] = incResult{inc, span, ok}
	return inc, span, ok
}

// histDelta is Store.HistogramDelta, once per series and window per evaluation.
func (c *evalCtx) histDelta(key string, w time.Duration) (sources.HistDelta, bool) {
	k := countKey{key, w}
	if r, ok := c.hists[k]; ok {
		return r.d, r.ok
	}
	if c.hists == nil {
		c.hists = map[countKey]histResult{}
	}
	d, ok := c.st.HistogramDelta(key, w, c.at)
	c.hists[k] = histResult{d, ok}
	return d, ok
}

// selectSeries is Store.Select, once per name and matchers per evaluation.
func (c *evalCtx) selectSeries(key, name string, m []sources.Label) []sources.Series {
	if v, ok := c.sel[key]; ok {
		return v
	}
	if c.sel == nil {
		c.sel = map[string][]sources.Series{}
	}
	v := c.st.Select(name, m...)
	c.sel[key] = v
	return v
}

type countKey struct {
	svc    string
	window time.Duration
}

// requestCounts is RequestCounts, computed once per service and window per
// evaluation.
func (c *evalCtx) requestCounts(s view.Service, w time.Duration) Counts {
	k := countKey{s.Key(), w}
	if v, ok := c.counts[k]; ok {
		return v
	}
	if c.counts == nil {
		c.counts = map[countKey]Counts{}
	}
	m := s.Match()
	series := c.selectSeries("\x02"+s.Key(), sources.SvcRequests, m)
	v := requestCounts(series, func(key string) (float64, time.Duration, bool) { return c.increase(key, w) })
	c.counts[k] = v
	return v
}

// burnRates is BurnRates over the memoised counts.
func (c *evalCtx) burnRates(s view.Service, slo SLO, long, short time.Duration) float64 {
	return burnRatesOf(s, slo, short, func(w time.Duration) Counts { return c.requestCounts(s, w) }, long)
}

func (c *evalCtx) services() []view.Service {
	if c.done&1 == 0 {
		c.svcs = view.Services(c.st, c.at, c.e.o.View)
		c.svcLs = make([][]sources.Label, len(c.svcs))
		c.svcKeys = make([]string, len(c.svcs))
		for i, s := range c.svcs {
			c.svcLs[i] = svcLabels(s)
			c.svcKeys[i] = labelsKey(c.svcLs[i])
		}
		c.done |= 1
	}
	return c.svcs
}

func (c *evalCtx) gpuList() []view.GPU {
	if c.done&2 == 0 {
		c.gpus = view.GPUs(c.st, c.at)
		c.gpuLs = make([][]sources.Label, len(c.gpus))
		c.gpuKeys = make([]string, len(c.gpus))
		for i, g := range c.gpus {
			c.gpuLs[i] = gpuLabels(g)
			c.gpuKeys[i] = labelsKey(c.gpuLs[i])
		}
		c.done |= 2
	}
	return c.gpus
}

func (c *evalCtx) sourceHealth() []view.SourceHealth {
	if c.done&4 == 0 {
		c.health = view.Health(c.st, c.at)
		c.done |= 4
	}
	return c.health
}

// svcLabels are host, operation, service, stack (in name order, empty ones
// left out): a model's chat and embeddings rows alert apart.
func svcLabels(s view.Service) []sources.Label {
	return inOrder(sources.LabelHost, s.Host, sources.LabelOperation, s.Operation, sources.LabelService, s.Name, sources.LabelStack, s.Stack)
}

// gpuLabels are gpu, host, model, uuid (in name order, empty ones left out).
func gpuLabels(g view.GPU) []sources.Label {
	return inOrder(sources.LabelGPU, g.Index, sources.LabelHost, g.Host, sources.LabelModel, g.Model, sources.LabelUUID, g.UUID)
}

// inOrder builds labels from pairs already sorted by name.
func inOrder(kv ...string) []sources.Label {
	out := make([]sources.Label, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != "" {
			out = append(out, sources.Label{Name: kv[i], Value: kv[i+1]})
		}
	}
	return out
}

func sortedLabels(kv ...string) []sources.Label {
	return sources.NewSeries("", sources.Gauge, kv...).Labels
}

func num(n view.Num) float64 {
	if !n.OK {
		return math.NaN()
	}
	return n.V
}

// windowed is a figure a rule may judge: n/a when it was computed over the
// exporter's lifetime (a single scrape: view.BasisLifetime). Rules judge
// the present, and a lifetime p99 or error ratio says nothing about it:
// alerts come only from windowed figures (or figures a query engine
// computed over its own window).
func windowed(n view.Num, basis string) float64 {
	if basis == view.BasisLifetime {
		return math.NaN()
	}
	return num(n)
}

// words is a rule's text from fixed phrases: while active, once it ended
// (cleared or gone), and when it ended for want of data ("" for the
// generic line).
func words(active, ended, noData string) func(Value, float64, phase) string {
	return func(v Value, _ float64, ph phase) string {
		switch ph {
		case phaseActive:
			if v.Note != "" {
				return active + " (" + v.Note + ")"
			}
			return active
		case phaseNoData:
			return noData
		}
		return ended
	}
}

// sourceDownValues: 1 for each source in error or stale, 0 for each one up
// (ok, or idle: up with nothing to bring, like a receiver nobody sends to).
// Sources that are off or not yet heard from are not judged. The same
// states as the sources overlay and the status bar show.
func sourceDownValues(c *evalCtx) []Value {
	var out []Value
	for _, h := range c.sourceHealth() {
		if h.Source == c.e.Name() {
			continue
		}
		v, note := 0.0, ""
		switch h.State {
		case sources.HealthError.String():
			v, note = 1, h.Error
		case view.StateStale:
			v, note = 1, "no report"
			if h.AgeSeconds.OK {
				note += " for " + (time.Duration(h.AgeSeconds.V) * time.Second).String()
			}
		case sources.HealthOK.String(), sources.HealthIdle.String():
		default: // disabled, unknown
			continue
		}
		out = append(out, Value{Labels: []sources.Label{{Name: sources.LabelSourceName, Value: sources.Sanitize(h.Source)}}, V: v, Note: note})
	}
	return out
}

// Names of the built-in rules.
const (
	RuleErrorRate        = "ErrorRateHigh"
	RuleLatencyWarning   = "LatencySLOBreach"
	RuleLatencyCritical  = "LatencySLOBreachSustained"
	RuleGPUTemperature   = "GPUTemperatureHigh"
	RuleGPUThrottle      = "GPUThermalThrottle"
	RuleXID              = "GPUXIDError"
	RuleECC              = "GPUUncorrectedECC"
	RuleSourceDown       = "SourceDown"
	RuleTargetDown       = "PrometheusTargetDown"
	RuleDrift            = "FeatureDrift"
	RuleBudgetFastBurn   = "ErrorBudgetFastBurn"
	RuleBudgetSlowBurn   = "ErrorBudgetSlowBurn"
	GPUTemperatureLimit  = 85.0 // °C
	GPUTemperatureClear  = 82.0 // °C: the hot alert clears below this
	XIDHold              = 5 * time.Minute
	FastBurnRate         = 14.4
	SlowBurnRate         = 6.0
	FastBurnLong         = time.Hour
	FastBurnShort        = 5 * time.Minute
	SlowBurnLong         = 6 * time.Hour
	SlowBurnShort        = 30 * time.Minute
	defaultRuleNamespace = "vigil"
)

// DefaultRules are the rules that work with zero configuration. drift says
// whether the drift rule is included (it needs Options.Drift).
func DefaultRules(drift bool) []Rule {
	nan := math.NaN()
	rs := []Rule{
		{Name: RuleErrorRate, Severity: sources.SevCritical, For: 2 * time.Minute, Op: OpGT, Clear: nan, Unit: "ratio",
			Expr: "error rate", Annotations: map[string]string{"description": "error rate above the service's target"},
			eval: func(c *evalCtx) []Value {
				svcs := c.services()
				out := make([]Value, 0, len(svcs))
				for i, s := range svcs {
					v := Value{Labels: c.svcLs[i], key: c.svcKeys[i], V: windowed(s.ErrorRate, s.ErrorBasis), Threshold: s.ErrorTarget, HasThreshold: true}
					// To start, the ratio must be over the target beyond
					// sampling noise: 3 errors in 300 requests are not
					// evidence of a 1 % problem, 300 in 30,000 are.
					var all float64
					for _, n := range s.Outcomes {
						all += n.V
					}
					v.Gate, v.HasGate = WilsonLower(s.Outcomes[sources.OutcomeError].V, all), true
					out = append(out, v)
				}
				return out
			}},
		latencyRule(RuleLatencyWarning, sources.SevWarning, 5*time.Minute),
		latencyRule(RuleLatencyCritical, sources.SevCritical, 10*time.Minute),
		{Name: RuleGPUTemperature, Severity: sources.SevWarning, For: time.Minute, Op: OpGE, Threshold: GPUTemperatureLimit, Clear: GPUTemperatureClear,
			Unit: "°C", Expr: "temperature",
			eval: func(c *evalCtx) []Value {
				gs := c.gpuList()
				out := make([]Value, 0, len(gs))
				for i, g := range gs {
					out = append(out, Value{Labels: c.gpuLs[i], key: c.gpuKeys[i], V: num(g.Temp)})
				}
				return out
			}},
		{Name: RuleGPUThrottle, Severity: sources.SevWarning, For: time.Minute, Op: OpGE, Threshold: 1, Clear: 1, Expr: "thermal throttle",
			say: words("thermally throttled", "no longer throttled", "throttle reasons n/a: no data"),
			eval: func(c *evalCtx) []Value {
				gs := c.gpuList()
				out := make([]Value, 0, len(gs))
				for i, g := range gs {
					v := math.NaN()
					if g.Throttle.OK {
						v = 0
						if uint64(g.Throttle.V)&(view.ThrottleHWThermal|view.ThrottleSWThermal) != 0 {
							v = 1
						}
					}
					out = append(out, Value{Labels: c.gpuLs[i], key: c.gpuKeys[i], V: v})
				}
				return out
			}},
		{Name: RuleXID, Severity: sources.SevCritical, Op: OpGE, Threshold: 1, Clear: 1, Expr: "XID",
			say: func(v Value, _ float64, ph phase) string {
				if ph == phaseActive {
					return "new " + v.Note
				}
				return "no new XID"
			},
			eval: func(c *evalCtx) []Value { return c.xidValues() }},
		{Name: RuleECC, Severity: sources.SevCritical, Op: OpGT, Threshold: 0, Clear: 0, Expr: "uncorrected ECC errors (increase)",
			say: func(v Value, _ float64, ph phase) string {
				if ph == phaseActive {
					return FormatValue(v.V) + " uncorrected ECC errors"
				}
				return "no new uncorrected ECC error"
			},
			eval: func(c *evalCtx) []Value {
				var out []Value
				hold := time.Duration(float64(XIDHold) * c.e.o.ForScale)
				for _, s := range c.st.Select(sources.GPUECCErrors, sources.Label{Name: "type", Value: "uncorrected"}) {
					inc, _, ok := c.increase(s.Key(), hold)
					if !ok {
						continue
					}
					out = append(out, Value{Labels: gpuSeriesLabels(s), V: inc})
				}
				return out
			}},
		{Name: RuleSourceDown, Severity: sources.SevWarning, For: time.Minute, Op: OpGE, Threshold: 1, Clear: 1, Expr: "source down",
			say: func(v Value, _ float64, ph phase) string {
				if ph != phaseActive {
					return "back up"
				}
				if v.Note != "" {
					return "down: " + v.Note
				}
				return "down"
			},
			eval: func(c *evalCtx) []Value { return sourceDownValues(c) }},
		{Name: RuleTargetDown, Severity: sources.SevWarning, For: time.Minute, Op: OpLT, Threshold: 1, Clear: 1, Expr: "up",
			say: words("Prometheus target down (up = 0)", "target back up", "up n/a: no data"),
			eval: func(c *evalCtx) []Value {
				var out []Value
				for _, s := range c.st.Select("prom_target_up") {
					smp, ok := c.st.Last(s.Key(), c.at)
					if !ok {
						continue
					}
					out = append(out, Value{Labels: s.Labels, V: smp.V})
				}
				return out
			}},
		burnRule(RuleBudgetFastBurn, sources.SevCritical, FastBurnRate, FastBurnLong, FastBurnShort),
		burnRule(RuleBudgetSlowBurn, sources.SevWarning, SlowBurnRate, SlowBurnLong, SlowBurnShort),
	}
	if drift {
		rs = append(rs, Rule{Name: RuleDrift, Severity: sources.SevWarning, Op: OpGE, Threshold: 1, Clear: 1, Expr: "drift",
			say: words("drifted from its reference", "back within its reference", ""),
			eval: func(c *evalCtx) []Value {
				var out []Value
				seen := map[string]bool{}
				for _, f := range c.e.o.Drift(c.at) {
					if seen[f] {
						continue
					}
					seen[f] = true
					out = append(out, Value{Labels: sortedLabels(sources.LabelFeature, sources.Sanitize(f)), V: 1})
				}
				return out
			}})
	}
	return rs
}

func latencyRule(name string, sev sources.Severity, forDur time.Duration) Rule {
	return Rule{Name: name, Severity: sev, For: forDur, Op: OpGT, Clear: math.NaN(), Unit: "s", Expr: "p99",
		Annotations: map[string]string{"description": "p99 latency above the service's latency SLO"},
		eval: func(c *evalCtx) []Value {
			svcs := c.services()
			out := make([]Value, 0, len(svcs))
			for i, s := range svcs {
				slo := c.e.SLOOf(s.Name)
				lim := slo.latencyFor(s.Stack)
				out = append(out, Value{Labels: c.svcLs[i], key: c.svcKeys[i], V: windowed(s.Latency.P99, s.Latency.Basis), Threshold: lim, HasThreshold: true})
			}
			return out
		}}
}

func burnRule(name string, sev sources.Severity, rate float64, long, short time.Duration) Rule {
	return Rule{Name: name, Severity: sev, Op: OpGT, Threshold: rate, Clear: math.NaN(), Unit: "x",
		Expr: fmt.Sprintf("burn rate %s/%s", shortDur(long), shortDur(short)),
		eval: func(c *evalCtx) []Value {
			svcs := c.services()
			out := make([]Value, 0, len(svcs))
			for i, s := range svcs {
				b := c.burnRates(s, c.e.SLOOf(s.Name), long, short)
				out = append(out, Value{Labels: c.svcLs[i], key: c.svcKeys[i], V: b})
			}
			return out
		}}
}

func shortDur(d time.Duration) string {
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	s = strings.TrimSuffix(s, "0m")
	return s
}

func gpuSeriesLabels(s sources.Series) []sources.Label {
	return sortedLabels(sources.LabelHost, s.Label(sources.LabelHost), sources.LabelGPU, s.Label(sources.LabelGPU),
		sources.LabelUUID, s.Label(sources.LabelUUID), sources.LabelModel, s.Label(sources.LabelModel))
}

// xidValues: a GPU is in alert for XIDHold after a new XID: an "xid" event
// in the store, or its last-XID gauge changing to a non-zero code while the
// engine watched (a code already there at the first look is old news).
func (c *evalCtx) xidValues() []Value {
	hold := time.Duration(float64(XIDHold) * c.e.o.ForScale)
	type hit struct {
		ls   []sources.Label
		code float64
		at   time.Time
	}
	hits := map[string]*hit{}
	var order []string
	note := func(ls []sources.Label, code float64, at time.Time) {
		k := labelsKey(ls)
		h := hits[k]
		if h == nil {
			h = &hit{ls: ls}
			hits[k] = h
			order = append(order, k)
		}
		if at.After(h.at) || h.at.IsZero() {
			h.at, h.code = at, code
		}
	}
	for _, s := range c.st.Select(sources.GPUXIDLast) {
		smp, ok := c.st.Last(s.Key(), c.at)
		if !ok {
			continue
		}
		ls := gpuSeriesLabels(s)
		k := s.Key()
		prev, seen := c.e.xid[k]
		switch {
		case !seen:
			c.e.xid[k] = xidSeen{code: smp.V}
		case smp.V != prev.code:
			x := xidSeen{code: smp.V, at: prev.at}
			if smp.V != 0 {
				x.at = smp.Time()
			}
			c.e.xid[k] = x
		}
		x := c.e.xid[k]
		if !x.at.IsZero() && c.at.Sub(x.at) < hold {
			note(ls, x.code, x.at)
		} else {
			note(ls, 0, time.Time{})
		}
	}
	for _, ev := range c.st.Events(c.at.Add(-hold), c.at, 1000) {
		if ev.Kind != "xid" || c.at.Sub(ev.At) >= hold {
			continue
		}
		var host, gpu, uuid, model string
		code := 1.0
		for _, l := range ev.Labels {
			switch l.Name {
			case sources.LabelHost:
				host = l.Value
			case sources.LabelGPU:
				gpu = l.Value
			case sources.LabelUUID:
				uuid = l.Value
			case sources.LabelModel:
				model = l.Value
			case "xid":
				if v, err := strconv.ParseFloat(l.Value, 64); err == nil && v > 0 {
					code = v
				}
			}
		}
		note(sortedLabels(sources.LabelHost, host, sources.LabelGPU, gpu, sources.LabelUUID, uuid, sources.LabelModel, model), code, ev.At)
	}
	out := make([]Value, 0, len(order))
	for _, k := range order {
		h := hits[k]
		v := Value{Labels: h.ls, V: 0}
		if !h.at.IsZero() {
			v.V = 1
			v.Note = "XID " + strconv.FormatFloat(h.code, 'f', 0, 64) + " at " + h.at.UTC().Format("15:04:05")
		}
		out = append(out, v)
	}
	return out
}

// WilsonZ is the z of WilsonLower: about a 97.7 % one-sided bound.
const WilsonZ = 2.0

// WilsonLower is the lower Wilson score bound of a ratio of k successes in
// n trials: the smallest true ratio the observation is consistent with.
// NaN for n ≤ 0.
func WilsonLower(k, n float64) float64 {
	if n <= 0 {
		return math.NaN()
	}
	p := k / n
	z2 := WilsonZ * WilsonZ
	centre := p + z2/(2*n)
	margin := WilsonZ * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	return math.Max(0, (centre-margin)/(1+z2/n))
}
