package traces

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// PollerOptions configures a Poller. Zero fields take the defaults.
type PollerOptions struct {
	Interval time.Duration // between polls; default 15 s
	Lookback time.Duration // how far back the first poll looks, and the most a lagging service's overlap grows to; default 5 m
	Services []string      // services to follow; default: every one Jaeger's /api/services lists (up to MaxServices); Tempo is searched whole
	PageSize int           // traces asked for by one search request; default 100 for Jaeger (whole traces), 500 for Tempo (summaries)
	MaxPages int           // search requests per poll, all services together; default 60
	PerPoll  int           // most new traces imported per poll; default 1000
	// MaxBehind is how long after its end a window not yet searched (the
	// caps stopped the poll before it) is still searched; older ones are
	// given up and the health detail says which. Default 10 m.
	MaxBehind   time.Duration
	MaxServices int           // services followed; default 200
	Timeout     time.Duration // per poll; default 12 s (under the interval)
}

func (o PollerOptions) withDefaults() PollerOptions {
	if o.Interval <= 0 {
		o.Interval = 15 * time.Second
	}
	if o.Lookback <= 0 {
		o.Lookback = 5 * time.Minute
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 60
	}
	if o.PerPoll <= 0 {
		o.PerPoll = 1000
	}
	if o.MaxBehind <= 0 {
		o.MaxBehind = 10 * time.Minute
	}
	if o.MaxServices <= 0 {
		o.MaxServices = 200
	}
	if o.Timeout <= 0 {
		o.Timeout = 12 * time.Second
	}
	return o
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

// rawSearcher is a backend whose poll search returns what the backend
// answered, uncut and unsorted, so that a full answer can be told (Tempo).
type rawSearcher interface {
	searchRaw(ctx context.Context, q Query) ([]Summary, error)
}

// resolver is a backend whose search times have a coarser grain than a
// microsecond (Tempo: seconds): a window narrower than two grains is not split.
type resolver interface {
	resolution() time.Duration
}

// DetailBehind starts the part of a poller's health detail that says the
// caps held it back: windows still to search, traces found but not yet
// fetched, or given up ("left behind"). The traces pane shows that part.
const DetailBehind = "behind: "

// Poller is a sources.Poller that imports the traces a Backend (Jaeger or
// Tempo) holds into the store, so that the traces screen lists them and
// the spike links find them like the receiver's, and reports the
// backend's health like any source.
//
// It loses no trace to a burst. Each service has a cursor: the windows of
// time still to search, oldest first. A poll adds the window since the
// last one, reaching back an overlap (one interval for spans that arrive
// late, plus how far behind the poller's clock the service's newest
// traces run, so that a service whose clock is minutes slow is followed).
// A search that comes back full (PageSize traces, or more) may have left
// some out, whatever order the backend answers in: its window is split in
// two and both halves are searched, down to the search's grain. Services
// take turns, one request each, so a burst in one does not starve the
// others; when a poll's caps (MaxPages requests, PerPoll traces, the
// timeout) are reached, the windows left wait for the next poll, and the
// health detail says how far behind each service is. A trace seen twice
// (in two windows, in the overlap) is imported once; spans of it that
// arrived late are added.
type Poller struct {
	b    Backend
	opts PollerOptions
	res  time.Duration // the search's time grain

	mu   sync.Mutex
	svcs map[string]*follow    // by service ("" for a backend searched whole)
	turn int                   // which service goes first this poll
	seen map[string]*seenTrace // trace id → what was imported of it
	// found is the traces a summary search (Tempo) listed and the poll has
	// yet to fetch, by root service, oldest first.
	found map[string][]Summary
	nwait int // traces in found
}

// follow is one service's cursor.
type follow struct {
	hi   time.Time // the end of the newest window queued
	todo []window  // windows still to search, oldest first
	lags [4]time.Duration
	nlag int
}

type window struct{ from, to time.Time }

func (w window) String() string {
	return w.from.Format("15:04:05") + "–" + w.to.Format("15:04:05")
}

type seenTrace struct {
	at    time.Time
	spans map[string]struct{} // span ids imported (nil: fetched whole)
}

// NewPoller returns a poller over b.
func NewPoller(b Backend, opts PollerOptions) *Poller {
	p := &Poller{b: b, opts: opts.withDefaults(), res: time.Microsecond, svcs: map[string]*follow{},
		seen: map[string]*seenTrace{}, found: map[string][]Summary{}}
	if r, ok := b.(resolver); ok {
		p.res = r.resolution()
	}
	if p.opts.PageSize <= 0 {
		p.opts.PageSize = 100
		if _, ok := b.(rawSearcher); ok {
			// Summaries are small, and a search's grain of a second
			// cannot split a second that holds more than a page.
			p.opts.PageSize = 500
		}
	}
	return p
}

// Name is the backend's name.
func (p *Poller) Name() string { return p.b.Name() }

// Interval is how often the hub polls.
func (p *Poller) Interval() time.Duration { return p.opts.Interval }

// Timeout bounds one poll (the hub reads it).
func (p *Poller) Timeout() time.Duration { return p.opts.Timeout }

// pollStats is what one poll did, for its health detail.
type pollStats struct {
	traces, spans, late int
	pages               int
	overfull            int      // answers with more traces than asked
	unsure              []string // full windows too narrow to split
	left                []string // windows given up
	leftTraces          int      // traces found and given up (queue over its cap)
	capped              string   // which cap stopped the poll, if one did
}

// Poll searches each followed service's windows in turns and imports
// what is new.
func (p *Poller) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	f := sources.Frame{At: now, Health: &sources.Health{Source: p.Name(), Kind: "traces", Target: p.target()}}
	services, more, err := p.services(ctx)
	if err != nil {
		return f, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var st pollStats
	order := p.queue(services, now, &st)
	_, searcher := p.b.(spanSearcher)
	var errs []error
	failed := map[string]bool{}
	budget := func() bool {
		switch {
		case ctx.Err() != nil:
			st.capped = "the poll's time"
		case st.pages >= p.opts.MaxPages:
			st.capped = fmt.Sprintf("%d requests a poll", p.opts.MaxPages)
		case st.traces >= p.opts.PerPoll:
			st.capped = fmt.Sprintf("%d traces a poll", p.opts.PerPoll)
		case !searcher && p.nwait >= p.opts.PerPoll:
			return false // enough found to fetch this poll; search on next time
		default:
			return true
		}
		return false
	}
	for progress := true; progress; {
		progress = false
		for _, svc := range order {
			fl := p.svcs[svc]
			if len(fl.todo) == 0 || failed[svc] {
				continue
			}
			if !budget() {
				break
			}
			w := fl.todo[0]
			fl.todo = fl.todo[1:]
			st.pages++
			progress = true
			starts, lag, err := p.page(ctx, svc, w, now, &f, &st)
			if err != nil {
				fl.todo = append([]window{w}, fl.todo...) // searched again next poll
				failed[svc] = true
				if ctx.Err() == nil {
					errs = append(errs, err)
				} // else the poll's time ran out: a cap, said in the detail
				continue
			}
			if lag >= 0 && w.to.Equal(now) {
				// Only the window that reaches now tells how far behind
				// the service's newest traces run: older ones are catch-up.
				fl.lag(lag, p.opts.Lookback)
			}
			if n := len(starts); n >= p.opts.PageSize {
				if n > p.opts.PageSize {
					st.overfull++
				}
				if parts := p.split(w, starts); parts != nil {
					fl.todo = append(parts, fl.todo...)
				} else {
					st.unsure = append(st.unsure, svcName(svc)+" "+w.String())
				}
			}
		}
	}
	if !searcher {
		errs = append(errs, p.fetch(ctx, now, &f, &st)...)
	}
	p.prune(now)
	f.Health.Series = st.traces
	f.Health.Detail = p.detail(len(services), more, &st)
	if len(errs) > 0 {
		return f, errors.Join(errs...)
	}
	return f, nil
}

// services lists the services to follow: the configured ones, Jaeger's
// own list (sorted, at most MaxServices; more says how many were left
// out), or "" for a backend searched whole.
func (p *Poller) services(ctx context.Context) (svcs []string, more int, err error) {
	if len(p.opts.Services) > 0 {
		return p.opts.Services, 0, nil
	}
	sl, ok := p.b.(serviceLister)
	if !ok {
		return []string{""}, 0, nil
	}
	all, err := sl.Services(ctx)
	if err != nil {
		return nil, 0, err
	}
	sort.Strings(all)
	all = dedupe(all)
	if len(all) > p.opts.MaxServices {
		return all[:p.opts.MaxServices], len(all) - p.opts.MaxServices, nil
	}
	return all, 0, nil
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, x := range s {
		if x != "" && (i == 0 || x != s[i-1]) {
			out = append(out, x)
		}
	}
	return out
}

// queue adds to each service's cursor the window since the last poll, gives
// up windows older than MaxBehind, and returns the services in this poll's
// order (rotated each poll, so that none is always last).
func (p *Poller) queue(services []string, now time.Time, st *pollStats) []string {
	for _, svc := range services {
		fl := p.svcs[svc]
		if fl == nil {
			fl = &follow{hi: now.Add(-p.opts.Lookback)}
			p.svcs[svc] = fl
			fl.todo = append(fl.todo, window{fl.hi, now})
		} else {
			from := fl.hi.Add(-p.opts.Interval - fl.maxLag())
			if n := len(fl.todo); n > 0 && !fl.todo[n-1].to.Before(from) {
				fl.todo[n-1].to = now // the window still to search reaches on
			} else {
				fl.todo = append(fl.todo, window{from, now})
			}
		}
		fl.hi = now
		cut := now.Add(-p.opts.MaxBehind)
		keep := fl.todo[:0]
		for _, w := range fl.todo {
			switch {
			case !w.to.After(cut):
				st.left = append(st.left, svcName(svc)+" "+w.String())
			case w.from.Before(cut):
				st.left = append(st.left, svcName(svc)+" "+window{w.from, cut}.String())
				w.from = cut
				fallthrough
			default:
				keep = append(keep, w)
			}
		}
		fl.todo = keep
	}
	order := append([]string(nil), services...)
	if len(order) > 1 {
		k := p.turn % len(order)
		order = append(order[k:], order[:k]...)
	}
	p.turn++
	return order
}

// split divides a window whose search came back full so that every trace
// in it is in one of the parts, each narrower than w, oldest first, or
// returns nil when w is too narrow to split. starts are the returned
// traces' start times: the parts are before the oldest of them, the
// oldest to their median, the median to the newest, and after the newest.
// A backend that answers with the newest traces (Jaeger's stores, in the
// main) leaves out only traces before the oldest, and the parts that hold
// the ones it gave come back under the page size; one that answers in any
// order gets about a bisection. The parts share their edges: a trace at an
// edge is found twice and imported once.
func (p *Poller) split(w window, starts []time.Time) []window {
	if w.to.Sub(w.from) < 2*p.res {
		return nil
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	clamp := func(t time.Time) time.Time {
		t = t.Truncate(p.res)
		if t.Before(w.from) {
			return w.from
		}
		if t.After(w.to) {
			return w.to
		}
		return t
	}
	lo, mid, hi := clamp(starts[0]), clamp(starts[len(starts)/2]), clamp(starts[len(starts)-1])
	var parts []window
	for _, c := range []window{{w.from, lo}, {lo, mid}, {mid, hi}, {hi, w.to}} {
		if !c.to.After(c.from) || c.from.Equal(w.from) && c.to.Equal(w.to) {
			continue
		}
		parts = append(parts, c)
	}
	// Every part narrower than w, and the parts cover it: else halve.
	covered := w.from
	for _, c := range parts {
		if c.from.After(covered) {
			break
		}
		covered = c.to
	}
	if len(parts) < 2 || covered.Before(w.to) {
		m := w.from.Add(w.to.Sub(w.from) / 2).Truncate(p.res)
		if !m.After(w.from) || !m.Before(w.to) {
			return nil
		}
		parts = []window{{w.from, m}, {m, w.to}}
	}
	return parts
}

// lag records how far behind now a poll's newest new trace started.
func (fl *follow) lag(d, limit time.Duration) {
	fl.lags[fl.nlag%len(fl.lags)] = min(max(d, 0), limit)
	fl.nlag++
}

// maxLag is the largest of the recent lags: the overlap a service whose
// clock runs slow (or whose spans reach the backend late) needs.
func (fl *follow) maxLag() time.Duration {
	var m time.Duration
	for _, d := range fl.lags {
		m = max(m, d)
	}
	return m
}

func svcName(s string) string {
	if s == "" {
		return "all services"
	}
	return s
}

// page runs one search of svc over w. It returns the start of each trace
// the backend answered with (the earliest span of svc when it says), and
// how far behind now the newest new trace started (of the service that
// lags most, when the search spans every service), or -1 when none was new.
// Jaeger's answer carries the traces' spans, imported at once; Tempo's
// lists traces, queued in found for fetch.
func (p *Poller) page(ctx context.Context, svc string, w window, now time.Time, f *sources.Frame, st *pollStats) ([]time.Time, time.Duration, error) {
	q := Query{Service: svc, From: w.from, To: w.to, Limit: p.opts.PageSize, Order: OrderRecent}
	newest := map[string]time.Time{} // service → its newest new trace's start
	lag := func() time.Duration {
		d := time.Duration(-1)
		for _, t := range newest {
			d = max(d, now.Sub(t))
		}
		return d
	}
	if ss, ok := p.b.(spanSearcher); ok {
		spans, err := ss.SearchSpans(ctx, q)
		if err != nil {
			return nil, 0, err
		}
		byTrace := map[string][]sources.Span{}
		var order []string
		for _, s := range spans {
			if _, ok := byTrace[s.TraceID]; !ok {
				order = append(order, s.TraceID)
			}
			byTrace[s.TraceID] = append(byTrace[s.TraceID], s)
		}
		starts := make([]time.Time, 0, len(order))
		for _, id := range order {
			var at time.Time // the earliest span of svc: where the search found it
			for _, s := range byTrace[id] {
				if (svc == "" || s.Service == svc) && (at.IsZero() || s.Start.Before(at)) {
					at = s.Start
				}
			}
			if at.IsZero() {
				at = byTrace[id][0].Start
			}
			starts = append(starts, at)
			seen := p.seen[id]
			if seen == nil {
				seen = &seenTrace{at: now, spans: map[string]struct{}{}}
				p.seen[id] = seen
				st.traces++
				if at.After(newest[svc]) {
					newest[svc] = at
				}
			} else if seen.spans == nil {
				continue
			}
			for _, s := range byTrace[id] {
				if _, dup := seen.spans[s.SpanID]; dup {
					continue
				}
				seen.spans[s.SpanID] = struct{}{}
				f.Spans = append(f.Spans, s)
				st.spans++
				if seen.at.Before(now) {
					st.late++ // a span of a trace imported by an earlier poll
				}
			}
		}
		return starts, lag(), nil
	}
	var sums []Summary
	var err error
	if rs, ok := p.b.(rawSearcher); ok {
		sums, err = rs.searchRaw(ctx, q)
	} else {
		sums, err = p.b.Search(ctx, q)
	}
	if err != nil {
		return nil, 0, err
	}
	starts := make([]time.Time, 0, len(sums))
	maxQueue := 10 * p.opts.PerPoll
	for _, s := range sums {
		starts = append(starts, s.Start)
		if _, ok := p.seen[s.TraceID]; ok {
			continue
		}
		if p.nwait >= maxQueue {
			st.leftTraces++
			continue
		}
		p.seen[s.TraceID] = &seenTrace{at: now}
		root := s.Service
		p.found[root] = append(p.found[root], s)
		p.nwait++
		if s.Start.After(newest[root]) {
			newest[root] = s.Start
		}
	}
	return starts, lag(), nil
}

// fetch imports the traces a summary search found, up to PerPoll a poll,
// taking root services in turns and each one's oldest first. What is left
// waits for the next poll.
func (p *Poller) fetch(ctx context.Context, now time.Time, f *sources.Frame, st *pollStats) []error {
	roots := make([]string, 0, len(p.found))
	for r, list := range p.found {
		sort.Slice(list, func(i, j int) bool { return list[i].Start.Before(list[j].Start) })
		roots = append(roots, r)
	}
	sort.Strings(roots)
	var errs []error
	for progress := true; progress; {
		progress = false
		for _, r := range roots {
			list := p.found[r]
			if len(list) == 0 {
				continue
			}
			if ctx.Err() != nil || st.traces >= p.opts.PerPoll {
				if st.capped == "" {
					st.capped = fmt.Sprintf("%d traces a poll", p.opts.PerPoll)
					if ctx.Err() != nil {
						st.capped = "the poll's time"
					}
				}
				return errs
			}
			s := list[0]
			spans, err := p.b.Trace(ctx, s.TraceID)
			switch {
			case errors.Is(err, ErrNotFound):
				// listed but gone: not asked again
			case err != nil:
				// Kept for the next poll; a backend that fails now is
				// not asked for the rest this time.
				if ctx.Err() != nil {
					st.capped = "the poll's time"
					return errs
				}
				return append(errs, err)
			default:
				f.Spans = append(f.Spans, spans...)
				st.traces++
				st.spans += len(spans)
			}
			p.found[r] = list[1:]
			p.nwait--
			progress = true
		}
	}
	for r, list := range p.found {
		if len(list) == 0 {
			delete(p.found, r)
		}
	}
	return errs
}

// detail says what the poll did and, after DetailBehind, what the caps
// held back.
func (p *Poller) detail(nsvc, more int, st *pollStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d new traces (%d spans) from %d services in %d requests", st.traces, st.spans, nsvc, st.pages)
	if st.late > 0 {
		fmt.Fprintf(&b, ", %d late spans added", st.late)
	}
	if st.overfull > 0 {
		fmt.Fprintf(&b, "; %d answers held more traces than asked", st.overfull)
	}
	var behind []string
	if more > 0 {
		behind = append(behind, fmt.Sprintf("%d services not followed (over %d)", more, p.opts.MaxServices))
	}
	var waiting []string
	names := make([]string, 0, len(p.svcs))
	for svc := range p.svcs {
		names = append(names, svc)
	}
	sort.Strings(names)
	for _, svc := range names {
		fl := p.svcs[svc]
		if len(fl.todo) == 0 {
			continue
		}
		var d time.Duration
		for _, w := range fl.todo {
			d += w.to.Sub(w.from)
		}
		waiting = append(waiting, fmt.Sprintf("%s %s", svcName(svc), d.Round(time.Second)))
	}
	if len(waiting) > 0 {
		behind = append(behind, "still to search: "+joinSome(waiting, 4))
	}
	if p.nwait > 0 {
		behind = append(behind, fmt.Sprintf("%d traces found, to fetch", p.nwait))
	}
	if st.capped != "" && (len(waiting) > 0 || p.nwait > 0) {
		behind = append(behind, "cap hit: "+st.capped)
	}
	if len(st.left) > 0 {
		behind = append(behind, fmt.Sprintf("left behind (older than %s, never searched): %s", p.opts.MaxBehind, joinSome(st.left, 3)))
	}
	if st.leftTraces > 0 {
		behind = append(behind, fmt.Sprintf("left behind: %d traces found but over the %d waiting to be fetched", st.leftTraces, 10*p.opts.PerPoll))
	}
	if len(st.unsure) > 0 {
		behind = append(behind, fmt.Sprintf("%d windows held %d traces or more and are too narrow to split, some may be missing: %s",
			len(st.unsure), p.opts.PageSize, joinSome(st.unsure, 2)))
	}
	if len(behind) > 0 {
		b.WriteString("; " + DetailBehind + strings.Join(behind, "; "))
	}
	return b.String()
}

func joinSome(s []string, n int) string {
	if len(s) <= n {
		return strings.Join(s, ", ")
	}
	return strings.Join(s[:n], ", ") + fmt.Sprintf(" and %d more", len(s)-n)
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

// prune forgets traces imported longer ago than any window a poll can
// still search.
func (p *Poller) prune(now time.Time) {
	cut := now.Add(-p.opts.MaxBehind - 2*p.opts.Interval - p.opts.Lookback)
	for id, s := range p.seen {
		if s.at.Before(cut) {
			delete(p.seen, id)
		}
	}
}
