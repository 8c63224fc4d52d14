package alerts

import (
	"math"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// SLO is a service's objectives.
type SLO struct {
	// Latency is the p99 latency objective, in seconds; 0 takes the stack's
	// default (DefaultLatencyLLM for LLM engines, DefaultLatencyHTTP else).
	Latency float64 `yaml:"latency_p99" json:"latency_p99_seconds"`
	// Availability is the share of requests that must not fail (0.999);
	// 0 means 1 − the service's error target (view.ErrorTarget).
	Availability float64 `yaml:"availability" json:"availability"`
	// Window is the SLO window the error budget is counted over; default
	// 30 days (the store holds less: the budget says what it covers).
	Window time.Duration `yaml:"window" json:"window"`
}

// Default latency objectives (p99, seconds).
const (
	DefaultLatencyLLM  = 60.0 // whole generations: end-to-end p99 of an LLM engine
	DefaultLatencyHTTP = 1.0  // request/response services
)

// DefaultSLO is the SLO of a service the config does not name.
var DefaultSLO = SLO{Window: 30 * 24 * time.Hour}

func (s SLO) withDefaults(d SLO) SLO {
	if s.Latency <= 0 {
		s.Latency = d.Latency
	}
	if s.Availability <= 0 || s.Availability >= 1 {
		s.Availability = d.Availability
	}
	if s.Window <= 0 {
		s.Window = d.Window
	}
	if s.Window <= 0 {
		s.Window = DefaultSLO.Window
	}
	return s
}

// llmStacks are the stacks whose latency is a whole generation.
var llmStacks = map[string]bool{"vllm": true, "tgi": true, "sglang": true, "triton": true, "otel-genai": true}

func (s SLO) latencyFor(stack string) float64 {
	if s.Latency > 0 {
		return s.Latency
	}
	if llmStacks[stack] {
		return DefaultLatencyLLM
	}
	return DefaultLatencyHTTP
}

// LatencyFor is the p99 objective of a service of the given stack, seconds.
func (s SLO) LatencyFor(stack string) float64 { return s.latencyFor(stack) }

// availabilityFor is the availability objective, from the error target when
// the SLO names none.
func (s SLO) availabilityFor(errorTarget float64) float64 {
	if s.Availability > 0 && s.Availability < 1 {
		return s.Availability
	}
	if errorTarget > 0 && errorTarget < 1 {
		return 1 - errorTarget
	}
	return 0.99
}

// AvailabilityFor is the availability objective of a service whose error
// target is errorTarget (ratio).
func (s SLO) AvailabilityFor(errorTarget float64) float64 { return s.availabilityFor(errorTarget) }

// Counts are a service's requests over a window.
type Counts struct {
	Requests float64       // all outcomes
	Errors   float64       // outcome error
	Covered  time.Duration // the span the store's samples cover (≤ the window)
	OK       bool          // at least one counter had two samples in the window
}

// Ratio is Errors/Requests, NaN without requests.
func (c Counts) Ratio() float64 {
	if !c.OK || c.Requests <= 0 {
		return math.NaN()
	}
	return c.Errors / c.Requests
}

// RequestCounts sums a service's request counters' increases over the
// window ending at at.
func RequestCounts(st *sources.Store, s view.Service, window time.Duration, at time.Time) Counts {
	m := s.Match()
	return requestCounts(st.Select(sources.SvcRequests, m...), func(k string) (float64, time.Duration, bool) { return st.Increase(k, window, at) })
}

func requestCounts(series []sources.Series, increase func(key string) (float64, time.Duration, bool)) Counts {
	var c Counts
	for _, ser := range series {
		inc, span, ok := increase(ser.Key())
		if !ok {
			continue
		}
		c.OK = true
		c.Requests += inc
		if ser.Label(sources.LabelOutcome) == sources.OutcomeError {
			c.Errors += inc
		}
		if span > c.Covered {
			c.Covered = span
		}
	}
	return c
}

// BurnRate is how fast a window's errors spend the budget: the error ratio
// over the allowed ratio (1 − availability). 1 spends it exactly over the
// SLO window; 14.4 spends 2 % of a 30-day budget in one hour. NaN without
// requests.
func BurnRate(errorRatio, availability float64) float64 {
	allowed := 1 - availability
	if math.IsNaN(errorRatio) || allowed <= 0 {
		return math.NaN()
	}
	return errorRatio / allowed
}

// BurnRates is the multi-window burn rate of a service: the smaller of the
// long and short windows' burn rates, so that it is over a line only when
// both are (the long window proves it is significant, the short one that it
// is still happening). NaN when either is n/a.
func BurnRates(st *sources.Store, s view.Service, slo SLO, at time.Time, long, short time.Duration) float64 {
	return burnRatesOf(s, slo, short, func(w time.Duration) Counts { return RequestCounts(st, s, w, at) }, long)
}

func burnRatesOf(s view.Service, slo SLO, short time.Duration, counts func(time.Duration) Counts, long time.Duration) float64 {
	av := slo.availabilityFor(s.ErrorTarget)
	cs := counts(short)
	if cs.Covered < short*8/10 {
		// Less data than the short window: the long window would only
		// repeat it, proving nothing. n/a until the store holds enough.
		return math.NaN()
	}
	bl := BurnRate(counts(long).Ratio(), av)
	bs := BurnRate(cs.Ratio(), av)
	if math.IsNaN(bl) || math.IsNaN(bs) {
		return math.NaN()
	}
	return math.Min(bl, bs)
}

// Budget is a service's error budget over its SLO window.
type Budget struct {
	Service      string        `json:"service"`
	Host         string        `json:"host"`
	Availability float64       `json:"availability"`
	Window       time.Duration `json:"window"`
	Covered      time.Duration `json:"covered"` // what the store's data covers of the window
	Requests     float64       `json:"requests"`
	Errors       float64       `json:"errors"`
	// Remaining is the budget left: 1 − errors / (allowed share × requests).
	// 1 is untouched, 0 spent, negative overspent; NaN without requests.
	Remaining float64 `json:"remaining"`
	// Burn rates over 1 h, 5 min, 6 h and 30 min.
	Burn1h, Burn5m, Burn6h, Burn30m float64
}

// ErrorBudget computes a service's error budget and burn rates at at.
func ErrorBudget(st *sources.Store, s view.Service, slo SLO, at time.Time) Budget {
	slo = slo.withDefaults(DefaultSLO)
	av := slo.availabilityFor(s.ErrorTarget)
	c := RequestCounts(st, s, slo.Window, at)
	b := Budget{Service: s.Name, Host: s.Host, Availability: av, Window: slo.Window, Covered: c.Covered,
		Requests: c.Requests, Errors: c.Errors, Remaining: Remaining(c.Errors, c.Requests, av)}
	burn := func(w time.Duration) float64 { return BurnRate(RequestCounts(st, s, w, at).Ratio(), av) }
	b.Burn1h, b.Burn5m, b.Burn6h, b.Burn30m = burn(time.Hour), burn(5*time.Minute), burn(6*time.Hour), burn(30*time.Minute)
	return b
}

// Remaining is the share of the error budget left after errors out of
// requests under the availability objective: 1 − errors/((1−availability)·requests).
func Remaining(errors, requests, availability float64) float64 {
	allowed := (1 - availability) * requests
	if requests <= 0 || allowed <= 0 {
		return math.NaN()
	}
	return 1 - errors/allowed
}
