package svclist

import (
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// Shape says which kinds of series a service has in the store at all,
// whatever their figures at the instant shown: a row keeps its layout when
// the cursor stands where it had no data yet (its figures then read n/a),
// instead of collapsing to "no latency histogram".
type Shape struct {
	Latency  bool // a request latency histogram or summary
	LLM      bool // time-to-first-token or inter-token latency histograms
	Requests bool // request counters
}

// Key identifies a service without building a string (view.Service.Key
// does): the lookups run once per row per frame.
type Key struct{ host, name, stack, op string }

// KeyOf is the service's key.
func KeyOf(s view.Service) Key { return Key{s.Host, s.Name, s.Stack, s.Operation} }

// Shapes indexes the store's services by key.
func Shapes(st *sources.Store) map[Key]Shape {
	out := map[Key]Shape{}
	if st == nil {
		return out
	}
	mark := func(name string, set func(*Shape)) {
		for _, s := range st.Select(name) {
			k := Key{s.Label(sources.LabelHost), s.Label(sources.LabelService), s.Label(sources.LabelStack), s.Label(sources.LabelOperation)}
			sh := out[k]
			set(&sh)
			out[k] = sh
		}
	}
	mark(sources.SvcLatency, func(s *Shape) { s.Latency = true })
	mark(sources.SvcLatencyQuant, func(s *Shape) { s.Latency = true })
	mark(sources.SvcTTFT, func(s *Shape) { s.LLM = true })
	mark(sources.SvcITL, func(s *Shape) { s.LLM = true })
	mark(sources.SvcRequests, func(s *Shape) { s.Requests = true })
	return out
}

// ShapeOf is a service's shape from its figures alone (for a pane given
// figures without a store): what reports a figure has the series.
func ShapeOf(s view.Service) Shape {
	return Shape{
		Latency:  s.Latency.Count.OK || s.Latency.P50.OK,
		LLM:      s.TTFT.Count.OK || s.ITL.Count.OK,
		Requests: len(s.Outcomes) > 0 || s.ErrorRate.OK,
	}
}

// MultiHost reports whether the services run on more than one host: then
// every row names its host.
func MultiHost(svcs []view.Service) bool {
	first := ""
	for i, s := range svcs {
		if i == 0 {
			first = s.Host
		} else if s.Host != first {
			return true
		}
	}
	return false
}

// Label is how a row names a service: its display name ("gpt-4o · chat"),
// and its host when multi (several hosts shown), sanitised.
func Label(s view.Service, multi bool) string {
	if multi && s.Host != "" {
		return sources.Sanitize(s.DisplayName() + "@" + s.Host)
	}
	return sources.Sanitize(s.DisplayName())
}
