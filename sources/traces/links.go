package traces

import (
	"context"
	"math"
	"sort"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// ExemplarSource gives the exemplars recorded for a service in a window:
// OpenMetrics exemplars kept in the store (StoreExemplars), or Prometheus'
// /api/v1/query_exemplars through the prom package's client.
type ExemplarSource interface {
	Exemplars(ctx context.Context, service string, from, to time.Time) ([]sources.Exemplar, error)
}

// StoreExemplars reads the exemplars the store kept from scrapes.
type StoreExemplars struct {
	Store *sources.Store
	Limit int // most exemplars returned; default 1000
}

// Exemplars returns the store's exemplars in [from, to] whose series carry
// the service label (all when service is ""), with a trace id.
func (s StoreExemplars) Exemplars(_ context.Context, service string, from, to time.Time) ([]sources.Exemplar, error) {
	limit := s.Limit
	if limit <= 0 {
		limit = 1000
	}
	return s.Store.Exemplars(from, to, limit, func(e *sources.Exemplar) bool {
		return e.TraceID != "" && exemplarOf(e, service)
	}), nil
}

// exemplarOf reports whether an exemplar belongs to the service: by the
// canonical service label, or, for a series that has none (a raw scrape not
// mapped by a preset), by any label whose value is the service's name (vLLM's
// model_name, a job label).
func exemplarOf(e *sources.Exemplar, service string) bool {
	if service == "" {
		return true
	}
	if v := e.Series.Label(sources.LabelService); v != "" {
		return v == service
	}
	for _, l := range e.Series.Labels {
		if l.Value == service {
			return true
		}
	}
	return false
}

// Spike is a window of one service's metrics to explain: the time cursor or
// a selected point on a latency or error chart, widened to a window.
type Spike struct {
	Service  string // "" for every service
	From, To time.Time
}

// Behind lists the traces behind a spike: first the traces exemplars point
// at (highest exemplar value first; the store's summary when the trace is
// held, else what the exemplar says), then the traces whose spans of the
// service overlap the window, failed first, then slowest. Each trace is
// listed once; at most limit (≤0: 50).
func Behind(sp Spike, exemplars []sources.Exemplar, local []Summary, limit int) []Summary {
	if limit <= 0 {
		limit = 50
	}
	byID := make(map[string]int, len(local))
	for i, s := range local {
		byID[s.TraceID] = i
	}
	ex := make([]sources.Exemplar, 0, len(exemplars))
	for _, e := range exemplars {
		if e.TraceID == "" || e.At.Before(sp.From) || e.At.After(sp.To) {
			continue
		}
		if !exemplarOf(&e, sp.Service) {
			continue
		}
		ex = append(ex, e)
	}
	sort.SliceStable(ex, func(i, j int) bool {
		vi, vj := ex[i].Value, ex[j].Value
		if math.IsNaN(vj) && !math.IsNaN(vi) {
			return true
		}
		if vi != vj {
			return vi > vj
		}
		return ex[i].At.Before(ex[j].At)
	})
	seen := make(map[string]bool, len(ex)+len(local))
	var out []Summary
	for _, e := range ex {
		id, ok := NormalizeID(e.TraceID)
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		var s Summary
		if i, ok := byID[id]; ok {
			s = local[i]
		} else {
			s = Summary{TraceID: id, Service: e.Series.Label(sources.LabelService), Start: e.At, Partial: true}
			if s.Service == "" {
				s.Service = sp.Service
			}
			if e.Series.Name == sources.SvcLatency || e.Series.Name == sources.SvcTTFT {
				if !math.IsNaN(e.Value) && e.Value > 0 && e.Value < 1e6 {
					s.Duration = time.Duration(e.Value * float64(time.Second))
					s.Start = e.At.Add(-s.Duration)
				}
			}
		}
		s.Exemplar, s.ExemplarValue = true, e.Value
		out = append(out, s)
		if len(out) == limit {
			return out
		}
	}
	rest := make([]Summary, 0, len(local))
	for _, s := range local {
		if seen[s.TraceID] {
			continue
		}
		if s.End().Before(sp.From) || s.Start.After(sp.To) {
			continue
		}
		if sp.Service != "" && !hasService(s, sp.Service) {
			continue
		}
		rest = append(rest, s)
	}
	SortSummaries(rest, OrderWorst)
	for _, s := range rest {
		out = append(out, s)
		if len(out) == limit {
			break
		}
	}
	return out
}

func hasService(s Summary, svc string) bool {
	if s.Service == svc {
		return true
	}
	for _, x := range s.Services {
		if x == svc {
			return true
		}
	}
	return false
}

// BehindStore is Behind over the store (its exemplars and its spans of the
// service that overlap the window) plus exemplars and summaries from
// elsewhere (Prometheus, a Jaeger or Tempo search); the store's summary of a
// trace wins over another's.
func BehindStore(st *sources.Store, sp Spike, extra []sources.Exemplar, others []Summary, limit int) []Summary {
	ex, _ := StoreExemplars{Store: st}.Exemplars(context.Background(), sp.Service, sp.From, sp.To)
	ex = append(ex, extra...)
	local := StoreSummaries(st, Query{Service: sp.Service, From: sp.From, To: sp.To}.match())
	// Exemplar traces may lie partly outside the window; summarise them whole.
	want := make(map[string]bool, len(ex))
	for _, e := range ex {
		if id, ok := NormalizeID(e.TraceID); ok {
			want[id] = true
		}
	}
	have := make(map[string]bool, len(local))
	for _, s := range local {
		have[s.TraceID] = true
	}
	missing := false
	for id := range want {
		if !have[id] {
			missing = true
			break
		}
	}
	if missing {
		more := StoreSummaries(st, func(s *sources.Span) bool { return want[s.TraceID] && !have[s.TraceID] })
		for _, s := range more {
			have[s.TraceID] = true
		}
		local = append(local, more...)
	}
	for _, o := range others {
		if !have[o.TraceID] {
			have[o.TraceID] = true
			local = append(local, o)
		}
	}
	return Behind(sp, ex, local, limit)
}

// ExemplarFunc adapts a function to ExemplarSource, e.g. a closure over the
// prom package's query_exemplars client with the service's latency selector.
type ExemplarFunc func(ctx context.Context, service string, from, to time.Time) ([]sources.Exemplar, error)

// Exemplars calls f.
func (f ExemplarFunc) Exemplars(ctx context.Context, service string, from, to time.Time) ([]sources.Exemplar, error) {
	return f(ctx, service, from, to)
}
