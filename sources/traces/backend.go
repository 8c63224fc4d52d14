package traces

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Backend is somewhere traces can be looked up: the local store (spans the
// receiver got), Jaeger or Tempo.
type Backend interface {
	// Name identifies the backend in messages ("local", "jaeger http://...").
	Name() string
	// Trace returns every span of the trace with this id (32 hex digits),
	// sorted by start time, or an error wrapping ErrNotFound.
	Trace(ctx context.Context, id string) ([]sources.Span, error)
	// Search lists traces matching q.
	Search(ctx context.Context, q Query) ([]Summary, error)
}

// Order says how a search sorts its results.
type Order uint8

// Orders.
const (
	OrderRecent  Order = iota // newest start first
	OrderWorst                // failed first, then slowest
	OrderSlowest              // longest duration first
)

// Query narrows a trace search. Zero fields do not narrow.
type Query struct {
	Service     string        // a span of the trace belongs to this service
	From, To    time.Time     // the trace overlaps [From, To]
	MinDuration time.Duration // the trace lasts at least this long
	ErrorsOnly  bool          // the trace has an error span
	Limit       int           // at most this many results; 0 means 20
	Order       Order
}

func (q Query) limit() int {
	if q.Limit <= 0 {
		return 20
	}
	return q.Limit
}

// Summary is one line of a trace list.
type Summary struct {
	TraceID  string
	Service  string // the root span's service
	Name     string // the root span's name
	Start    time.Time
	Duration time.Duration
	Spans    int  // spans seen; 0 when the backend did not say
	Errors   int  // spans with error status
	Partial  bool // no root span was seen (it has not arrived or was dropped)
	Services []string

	// Exemplar is set when an exemplar pointed at this trace; ExemplarValue
	// is the exemplar's value (seconds for latency histograms).
	Exemplar      bool
	ExemplarValue float64
}

// End is Start + Duration.
func (s Summary) End() time.Time { return s.Start.Add(s.Duration) }

// Failed reports whether any span of the trace failed.
func (s Summary) Failed() bool { return s.Errors > 0 }

// aggregator builds summaries from spans seen one at a time.
type aggregator struct {
	by     map[string]int32 // trace id → index into traces
	traces []aggTrace
	match  func(*sources.Span) bool
}

type aggTrace struct {
	sum     Summary
	end     time.Time
	root    bool
	matched bool
}

func newAggregator(match func(*sources.Span) bool) *aggregator {
	return &aggregator{by: make(map[string]int32), match: match}
}

func (a *aggregator) add(s *sources.Span) {
	i, ok := a.by[s.TraceID]
	if !ok {
		i = int32(len(a.traces))
		a.traces = append(a.traces, aggTrace{sum: Summary{TraceID: s.TraceID, Service: s.Service, Name: s.Name, Start: s.Start}, end: s.End})
		a.by[s.TraceID] = i
	}
	t := &a.traces[i]
	t.sum.Spans++
	if s.Status == sources.SpanError {
		t.sum.Errors++
	}
	// A trace has few services: a slice beats a map.
	known := false
	for _, x := range t.sum.Services {
		if x == s.Service {
			known = true
			break
		}
	}
	if !known {
		t.sum.Services = append(t.sum.Services, s.Service)
	}
	if s.Start.Before(t.sum.Start) {
		t.sum.Start = s.Start
		if !t.root {
			t.sum.Service, t.sum.Name = s.Service, s.Name
		}
	}
	if s.End.After(t.end) {
		t.end = s.End
	}
	if s.ParentID == "" && !t.root {
		t.root = true
		t.sum.Service, t.sum.Name = s.Service, s.Name
	}
	if !t.matched && (a.match == nil || a.match(s)) {
		t.matched = true
	}
}

// summaries returns the matched traces, unsorted.
func (a *aggregator) summaries() []Summary {
	out := make([]Summary, 0, len(a.traces))
	for i := range a.traces {
		t := &a.traces[i]
		if !t.matched {
			continue
		}
		s := t.sum
		s.Duration = t.end.Sub(s.Start)
		s.Partial = !t.root
		sort.Strings(s.Services)
		out = append(out, s)
	}
	return out
}

// Summarize groups spans into traces, newest first.
func Summarize(spans []sources.Span) []Summary {
	a := newAggregator(nil)
	for i := range spans {
		a.add(&spans[i])
	}
	out := a.summaries()
	SortSummaries(out, OrderRecent)
	return out
}

// SortSummaries sorts in place; ties break on trace id so the order is stable.
func SortSummaries(s []Summary, o Order) {
	sort.Slice(s, func(i, j int) bool {
		a, b := s[i], s[j]
		switch o {
		case OrderWorst:
			if a.Failed() != b.Failed() {
				return a.Failed()
			}
			if a.Duration != b.Duration {
				return a.Duration > b.Duration
			}
		case OrderSlowest:
			if a.Duration != b.Duration {
				return a.Duration > b.Duration
			}
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.After(b.Start)
		}
		return a.TraceID < b.TraceID
	})
}

// filter keeps the summaries that q asks for, sorts them and cuts to the limit.
func (q Query) filter(in []Summary) []Summary {
	out := in[:0]
	for _, s := range in {
		if !q.From.IsZero() && s.End().Before(q.From) || !q.To.IsZero() && s.Start.After(q.To) {
			continue
		}
		if s.Duration < q.MinDuration || q.ErrorsOnly && !s.Failed() {
			continue
		}
		out = append(out, s)
	}
	SortSummaries(out, q.Order)
	if len(out) > q.limit() {
		out = out[:q.limit()]
	}
	return out
}

// StoreBackend looks traces up in the store's span buffer (what the OTLP
// receiver and the trace pollers brought in).
type StoreBackend struct {
	Store *sources.Store
}

// Name is "local".
func (StoreBackend) Name() string { return "local" }

// Trace returns the trace's spans held in the store.
func (b StoreBackend) Trace(_ context.Context, id string) ([]sources.Span, error) {
	nid, ok := NormalizeID(id)
	if !ok {
		return nil, fmt.Errorf("local: %q is not a trace id", sources.OneLine(id))
	}
	spans := b.Store.Spans(0, func(s *sources.Span) bool { return s.TraceID == nid })
	if len(spans) == 0 {
		return nil, fmt.Errorf("local: %s: %w", nid, ErrNotFound)
	}
	SortSpans(spans)
	return spans, nil
}

// Search scans the store's spans.
func (b StoreBackend) Search(_ context.Context, q Query) ([]Summary, error) {
	return q.filter(StoreSummaries(b.Store, q.match())), nil
}

// match is the span predicate of the query's service and window: a trace is
// listed when one of its spans is of the service and overlaps the window.
func (q Query) match() func(*sources.Span) bool {
	if q.Service == "" && q.From.IsZero() && q.To.IsZero() {
		return nil
	}
	return func(s *sources.Span) bool {
		if q.Service != "" && s.Service != q.Service {
			return false
		}
		if !q.From.IsZero() && s.End.Before(q.From) || !q.To.IsZero() && s.Start.After(q.To) {
			return false
		}
		return true
	}
}

// StoreSummaries summarises every trace in the store that has at least one
// span match keeps (nil keeps all), without copying the span buffer.
func StoreSummaries(st *sources.Store, match func(*sources.Span) bool) []Summary {
	a := newAggregator(match)
	st.Spans(0, func(s *sources.Span) bool {
		a.add(s)
		return false
	})
	return a.summaries()
}

// Multi asks several backends: Trace returns the first that has the trace,
// Search merges their answers (a trace listed by two is listed once, with
// the larger span count).
type Multi []Backend

// Name joins the backends' names.
func (m Multi) Name() string {
	names := make([]string, len(m))
	for i, b := range m {
		names[i] = b.Name()
	}
	return strings.Join(names, " + ")
}

// Trace tries each backend in turn.
func (m Multi) Trace(ctx context.Context, id string) ([]sources.Span, error) {
	var errs []error
	for _, b := range m {
		spans, err := b.Trace(ctx, id)
		if err == nil && len(spans) > 0 {
			return spans, nil
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return nil, fmt.Errorf("%s: %w", m.Name(), ErrNotFound)
}

// Search merges every backend's results; it fails only when all fail.
func (m Multi) Search(ctx context.Context, q Query) ([]Summary, error) {
	by := map[string]int{}
	var out []Summary
	var errs []error
	for _, b := range m {
		sums, err := b.Search(ctx, q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range sums {
			if i, ok := by[s.TraceID]; ok {
				if s.Spans > out[i].Spans {
					out[i] = s
				}
				continue
			}
			by[s.TraceID] = len(out)
			out = append(out, s)
		}
	}
	if len(errs) == len(m) && len(m) > 0 {
		return nil, errors.Join(errs...)
	}
	return q.filter(out), nil
}
