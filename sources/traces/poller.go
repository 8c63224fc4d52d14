package traces

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// PollerOptions configures a Poller. Zero fields take the defaults.
type PollerOptions struct {
	Interval time.Duration // between polls; default 15 s
	Lookback time.Duration // how far back the first poll looks; default 5 m
	Services []string      // services to follow; default: Jaeger's /api/services (first 20), every service for Tempo
	PerPoll  int           // most new traces imported per poll; default 50
	Timeout  time.Duration // per poll; default 10 s
}

// spanSearcher is a backend whose search answers with whole traces (Jaeger),
// so a poll needs no request per trace.
type spanSearcher interface {
	SearchSpans(ctx context.Context, q Query) ([]sources.Span, error)
}

// serviceLister is a backend that can list its services (Jaeger).
type serviceLister interface {
	Services(ctx context.Context) ([]string, error)
}

// Poller is a sources.Poller that imports recent traces from a Backend
// (Jaeger or Tempo) into the store, so that the traces screen lists them
// and the spike links find them like the receiver's, and reports the
// backend's health like any source.
type Poller struct {
	b    Backend
	opts PollerOptions

	mu   sync.Mutex
	last time.Time            // end of the previous poll's window
	seen map[string]time.Time // trace id → when imported
}

// NewPoller returns a poller over b.
func NewPoller(b Backend, opts PollerOptions) *Poller {
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Second
	}
	if opts.Lookback <= 0 {
		opts.Lookback = 5 * time.Minute
	}
	if opts.PerPoll <= 0 {
		opts.PerPoll = 50
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Poller{b: b, opts: opts, seen: make(map[string]time.Time)}
}

// Name is the backend's name.
func (p *Poller) Name() string { return p.b.Name() }

// Interval is how often the hub polls.
func (p *Poller) Interval() time.Duration { return p.opts.Interval }

// Timeout bounds one poll (the hub reads it).
func (p *Poller) Timeout() time.Duration { return p.opts.Timeout }

// Poll imports the traces that began since the last poll (with an overlap
// of one interval, for spans that arrive late at the backend).
func (p *Poller) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	p.mu.Lock()
	from := p.last.Add(-p.opts.Interval)
	if p.last.IsZero() {
		from = now.Add(-p.opts.Lookback)
	}
	p.mu.Unlock()
	f := sources.Frame{At: now, Health: &sources.Health{Source: p.Name(), Kind: "traces", Target: p.target()}}
	services := p.opts.Services
	if len(services) == 0 {
		if sl, ok := p.b.(serviceLister); ok {
			all, err := sl.Services(ctx)
			if err != nil {
				return f, err
			}
			sort.Strings(all)
			services = all[:min(len(all), 20)]
		} else {
			services = []string{""}
		}
	}
	var errs []error
	imported := 0
	for _, svc := range services {
		if imported >= p.opts.PerPoll {
			break
		}
		q := Query{Service: svc, From: from, To: now, Limit: p.opts.PerPoll, Order: OrderRecent}
		if ss, ok := p.b.(spanSearcher); ok {
			spans, err := ss.SearchSpans(ctx, q)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			byTrace := map[string][]sources.Span{}
			var order []string
			for _, s := range spans {
				if _, ok := byTrace[s.TraceID]; !ok {
					order = append(order, s.TraceID)
				}
				byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
			}
			for _, id := range order {
				if imported < p.opts.PerPoll && p.mark(id, now) {
					f.Spans = append(f.Spans, byTrace[id]...)
					imported++
				}
			}
			continue
		}
		sums, err := p.b.Search(ctx, q)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, s := range sums {
			if imported >= p.opts.PerPoll || ctx.Err() != nil {
				break
			}
			if !p.unseen(s.TraceID) {
				continue
			}
			spans, err := p.b.Trace(ctx, s.TraceID)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					p.mark(s.TraceID, now) // listed but gone: do not ask again
				} else {
					errs = append(errs, err)
				}
				continue
			}
			p.mark(s.TraceID, now)
			f.Spans = append(f.Spans, spans...)
			imported++
		}
	}
	p.mu.Lock()
	p.last = now
	p.prune(now)
	p.mu.Unlock()
	f.Health.Series = imported
	f.Health.Detail = fmt.Sprintf("%d new traces (%d spans) from %d services", imported, len(f.Spans), len(services))
	if len(errs) > 0 {
		return f, errors.Join(errs...)
	}
	return f, nil
}

func (p *Poller) target() string {
	switch b := p.b.(type) {
	case *Jaeger:
		return b.c.target()
	case *Tempo:
		return b.c.target()
	}
	return ""
}

func (p *Poller) unseen(id string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.seen[id]
	return !ok
}

// mark records id as imported and reports whether it was new.
func (p *Poller) mark(id string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.seen[id]; ok {
		return false
	}
	p.seen[id] = now
	return true
}

// prune forgets traces imported longer ago than the window a poll can see.
func (p *Poller) prune(now time.Time) {
	cut := now.Add(-2*p.opts.Interval - p.opts.Lookback)
	for id, at := range p.seen {
		if at.Before(cut) {
			delete(p.seen, id)
		}
	}
}
