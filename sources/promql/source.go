package promql

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"net"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/prom"
)

// Signals the query-mode source emits besides the canonical ones.
const (
	// PanelSignal is a user panel's value; labels panel (its name), unit and
	// the result's own labels.
	PanelSignal = "promql_panel"
	// PanelMoreSignal counts a panel's series left out by top-k ("+N more");
	// label panel.
	PanelMoreSignal = "promql_panel_more"
	// TargetUp is the engine's up{} per scrape target (sources.TargetUp).
	TargetUp = sources.TargetUp
)

// Panel is a user panel defined by PromQL in the config.
type Panel struct {
	Name string `yaml:"name"` // shown as the panel's title
	Expr string `yaml:"expr"` // an instant PromQL expression
	Unit string `yaml:"unit"` // display unit ("s", "bytes", "ratio", "req/s", ...)
}

// ExemplarQuery selects the latency histograms whose exemplars link to traces.
const ExemplarQuery = `{__name__=~"vllm:e2e_request_latency_seconds_bucket|vllm:time_to_first_token_seconds_bucket|sglang:e2e_request_latency_seconds_bucket|tgi_request_duration_bucket|http_request_duration_seconds_bucket|ray_serve_http_request_latency_ms_bucket|gen_ai_(server_request|client_operation)_duration_seconds_bucket"}`

// Queries of the targets themselves, besides the presets' figures.
const (
	// targetsQuery is every scrape target with the time of its newest
	// scrape, 0 when it is down (up == 0).
	targetsQuery = `timestamp(up) * up`
	// tailProbe tells how far a range answer's data reaches (an engine that
	// repeats old values near now, as VictoriaMetrics does within its
	// latency offset).
	tailProbe = `max(timestamp(up))`
)

// FocusTTL is how long a host drilled into keeps its detail in the polls
// after the last time it was asked for.
const FocusTTL = 10 * time.Minute

// Source is the query-mode poller: every interval it runs the presets'
// summary queries for the whole fleet (and the detail queries of the hosts
// drilled into, or of every host in a small fleet) and the user's panels,
// and emits canonical figures keyed by host.
type Source struct {
	c       *Client
	name    string
	summary []prom.Query
	detail  []prom.Query

	mu        sync.Mutex
	focus     map[string]time.Time // host → until when its detail is polled
	shards    map[string]int       // query name → parts it is split into (narrowed for size)
	instances map[string][]string  // host → its instances, as of the last poll
	hosts     int                  // hosts in the last poll
	hostOf    func(string) string
	polls     int                        // polls so far (queries that run every n-th poll)
	gpuIdent  map[string][]sources.Label // GPU identities, as of the last identity query
	identOf   map[string]bool            // instances the engine had at the last identity query
	known     map[string]string          // instance → machine name, as learned
	named     bool                       // a poll has named the machines (hostOf is its)
	cache     *prom.SeriesCache          // the polls' GPU and host series, kept between them
	several   []string                   // instances serving several services, as of the last poll
	nodes     []Result                   // the last answer naming the machines (node_uname_info)
	nodeInsts map[string]bool            // the instances the engine had when it came
}

// nodesEvery: the node names are asked every nodesEvery-th poll (and
// when instances are new).
const nodesEvery = 8

// New returns the query-mode source for cfg.
func New(cfg Config) (*Source, error) {
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	name := cfg.Name
	if name == "" {
		name = "prom " + c.base.Host
	}
	return &Source{c: c, name: name, summary: prom.Queries(cfg.Stacks, prom.TierSummary), detail: prom.Queries(cfg.Stacks, prom.TierDetail),
		focus: map[string]time.Time{}, shards: map[string]int{}, instances: map[string][]string{}, hostOf: prom.NewTranslation().HostOf,
		known: map[string]string{}, cache: prom.NewSeriesCache()}, nil
}

// Client is the source's API client (for alerts, rules, exemplars).
func (s *Source) Client() *Client { return s.c }

// Name is the source's name in health reports.
func (s *Source) Name() string { return s.name }

// lookback is how far back VictoriaMetrics looks for a gauge in a poll:
// twice the figures' window (scrape intervals are shorter than rate
// windows), at least a minute.
func (s *Source) lookback() time.Duration { return max(2*s.c.cfg.RateWindow, time.Minute) }

// Interval is how often the source polls.
func (s *Source) Interval() time.Duration { return s.c.cfg.Interval }

// Window is the figures' rate window.
func (s *Source) Window() time.Duration { return s.c.cfg.RateWindow }

// Timeout bounds one poll: two rounds of requests, each with its tries and
// backoff.
func (s *Source) Timeout() time.Duration {
	n := time.Duration(s.c.cfg.Retries + 1)
	return 2 * (n*s.c.cfg.Timeout + (1<<n)*s.c.cfg.Backoff)
}

// job is one request of a poll or a history fill.
type job struct {
	q       prom.Query
	expr    string
	rs      []Result
	ws      Warnings
	err     error
	parts   int  // >1: narrowed into this many parts
	leftOut int  // parts the engine refused even narrowed
	scoped  bool // already narrowed to some instances (a host's detail): not split further
	// several, in a poll after the first: the instances serving several
	// services as of the last (a regular expression, "" for none), for
	// prom.Query.PollExprIn; nil outside polls.
	several *string
}

// exprWith is the job's query with extra matchers (a shard, a part).
func (j *job) exprWith(d prom.Dialect, w time.Duration, matchers string) string {
	if j.several != nil {
		return j.q.PollExprIn(d, w, matchers, *j.several)
	}
	return j.q.ExprIn(d, w, matchers)
}

// poll is what one round of instant queries brought.
type poll struct {
	evalAt   time.Time // on the engine's clock
	skew     time.Duration
	up       []Result
	scraped  map[string]time.Time // instance → newest scrape, engine clock
	nodes    []Result
	jobs     []*job
	warnings []string
	errs     []string
	series   int
}

// Poll runs the figure queries and the panels once.
func (s *Source) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	start := time.Now()
	wire0, _ := s.c.Bytes()
	h := &sources.Health{Source: s.name, Kind: "prom", Target: s.c.target, Interval: s.c.cfg.Interval}
	f := sources.Frame{Source: s.name, At: now, Health: h}
	skew := s.c.Skew()
	// Whole seconds: every timestamp of the answers is then four bytes
	// shorter (a fleet's poll is some 100,000 of them).
	p := &poll{evalAt: now.Add(skew), skew: skew, scraped: map[string]time.Time{}}

	// Round 1: the targets (up, their newest scrapes).
	var wg sync.WaitGroup
	var upErr error
	var ws Warnings
	p.up, ws, upErr = s.c.QueryWith(ctx, targetsQuery, p.evalAt, QueryOptions{NoCache: true})
	p.addWarnings("up", ws)
	if upErr != nil && ctx.Err() != nil {
		h.Duration = time.Since(start)
		return f, upErr
	}
	for _, r := range p.up {
		if len(r.Samples) == 0 {
			continue
		}
		inst := r.Labels.Get(sources.LabelInstance)
		if t := unixSeconds(r.Samples[0].Value); r.Samples[0].Value > 0 && t.After(p.scraped[inst]) {
			p.scraped[inst] = t
		}
	}
	insts := instancesOf(p.up)

	// Round 2: the figures, and the panels.
	s.mu.Lock()
	// The fleet's size: hosts as of the last poll, else targets (at least
	// as many).
	size := s.hosts
	if size == 0 {
		size = len(insts)
	}
	small := s.c.cfg.DetailAll > 0 && size <= s.c.cfg.DetailAll
	poll := s.polls
	s.polls++
	// A query that runs every n-th poll still runs at least every two
	// minutes: its figures must outlive the store's lookback.
	// Such queries are spread over the polls by their phase.
	due := func(q prom.Query) bool {
		n := min(q.Every(), max(1, int(2*time.Minute/s.c.cfg.Interval)))
		return poll == 0 || poll%n == q.Phase()%n
	}
	idents := s.gpuIdent
	// After the first poll, the instances that serve one service answer
	// without its labels (prom.Query.PollExprIn).
	var several *string
	if poll > 0 {
		re := ""
		if len(s.several) > 0 {
			re = matcherRegex(s.several)
		}
		several = &re
	}
	// Instances new since the last identity query bring theirs now: the
	// figures between identity polls name neither the GPU nor its machine.
	newInsts := false
	for _, i := range insts {
		if !s.identOf[i] {
			newInsts = true
			break
		}
	}
	// Node names barely change: asked every nodesEvery-th poll, and when
	// the engine has an instance the last answer did not know of.
	nodesDue := poll%nodesEvery == 0 || s.nodes == nil
	for _, i := range insts {
		if nodesDue {
			break
		}
		nodesDue = !s.nodeInsts[i]
	}
	p.nodes = s.nodes
	var focusInsts []string
	for host, until := range s.focus {
		if now.After(until) {
			delete(s.focus, host)
			continue
		}
		focusInsts = append(focusInsts, s.instances[host]...)
	}
	s.mu.Unlock()
	identPoll := false
	var identShard map[string]bool // the instances of a sharded identity poll
	for _, q := range s.summary {
		full := q.Identity() && (idents == nil || newInsts)
		// A sharded query runs on every poll for a slice of the instances,
		// each instance once every n polls: the poll that would carry the
		// whole of it carries a slice.
		if n := min(q.Every(), max(1, int(2*time.Minute/s.c.cfg.Interval))); q.Sharded() && n > 1 && poll > 0 && !full && len(insts) >= shardMin {
			part := shardOf(insts, poll%n, n)
			if len(part) == 0 {
				continue
			}
			// Each selector carries the matcher: the query stays under
			// the engine's length limit however many it has.
			reps := max(1, strings.Count(q.ExprIn(s.c.Dialect(), s.c.cfg.RateWindow, "\x00"), "\x00"))
			for _, c := range matcherChunks(part, min(maxMatcher, maxMatchers/reps)) {
				j := &job{q: q, scoped: true, several: several}
				j.expr = j.exprWith(s.c.Dialect(), s.c.cfg.RateWindow, instanceMatcher(c))
				p.jobs = append(p.jobs, j)
			}
			if q.Identity() {
				identShard = make(map[string]bool, len(part))
				for _, i := range part {
					identShard[i] = true
				}
			}
			continue
		}
		if due(q) || full {
			p.jobs = append(p.jobs, &job{q: q, several: several})
			identPoll = identPoll || q.Identity()
		}
	}
	switch {
	case small:
		for _, q := range s.detail {
			if due(q) {
				p.jobs = append(p.jobs, &job{q: q, several: several})
			}
		}
	case len(focusInsts) > 0:
		for _, q := range s.detail {
			if due(q) {
				j := &job{q: q, scoped: true, several: several}
				j.expr = j.exprWith(s.c.Dialect(), s.c.cfg.RateWindow, instanceMatcher(focusInsts))
				p.jobs = append(p.jobs, j)
			}
		}
	}
	type panelRes struct {
		rs  []Result
		err error
	}
	panels := make([]panelRes, len(s.c.cfg.Panels))
	if nodesDue {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if rs, _, err := s.c.QueryWith(ctx, prom.NodeQuery, p.evalAt, QueryOptions{NoCache: true}); err == nil {
				p.nodes = rs
				s.mu.Lock()
				s.nodes = rs
				s.nodeInsts = make(map[string]bool, len(insts))
				for _, i := range insts {
					s.nodeInsts[i] = true
				}
				s.mu.Unlock()
			}
		}()
	}
	var exs []sources.Exemplar
	for i, pn := range s.c.cfg.Panels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, _, err := s.c.QueryWith(ctx, pn.Expr, p.evalAt, QueryOptions{NoCache: true})
			panels[i] = panelRes{rs, err}
		}()
	}
	if s.c.cfg.Exemplars && (small || len(focusInsts) > 0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := ExemplarQuery
			if !small {
				q = strings.Replace(q, "{", "{"+instanceMatcher(focusInsts)+", ", 1)
			}
			// Best effort: a server without exemplar storage answers empty.
			exs, _ = s.c.QueryExemplars(ctx, q, now.Add(skew-s.c.cfg.Interval), p.evalAt)
		}()
	}
	s.runJobs(ctx, p.jobs, insts, func(j *job) ([]Result, Warnings, error) {
		return s.c.QueryWith(ctx, j.expr, p.evalAt, QueryOptions{NoCache: true, Lookback: s.lookback()})
	})
	wg.Wait()

	// Figures, stamped with the time of the newest scrape of their target
	// (on vigil's clock): data the engine answers late with is never
	// shown as now.
	tr := prom.NewTranslation()
	tr.Cache = s.cache
	tr.AddNodes(answersAt(p.nodes, skew))
	// GPU identities last between their polls; an identity poll the engine
	// answered replaces them (GPUs gone leave). One it refused keeps them
	// (a copy: a partial answer adds to it), or each GPU's figures would
	// arrive without its UUID, as a GPU of their own.
	tr.GPUs = idents
	switch {
	case identPoll && identOK(p.jobs) || tr.GPUs == nil:
		tr.GPUs = map[string][]sources.Label{}
	case identPoll:
		tr.GPUs = maps.Clone(idents)
	case identShard != nil && identOK(p.jobs):
		// A slice's identities replace those of its instances only.
		tr.GPUs = make(map[string][]sources.Label, len(idents))
		for k, v := range idents {
			if !identShard[prom.GPUKeyInstance(k)] {
				tr.GPUs[k] = v
			}
		}
	}
	s.mu.Lock()
	if len(s.known) > 1<<17 { // fleet churn: forget, the next polls relearn
		s.known = map[string]string{}
	}
	// A copy: the last poll's names (s.hostOf reads s.known) serve history
	// fills that may run while this poll adds to its own.
	tr.Known = maps.Clone(s.known)
	s.mu.Unlock()
	tr.Stamp = func(inst string, at time.Time) time.Time {
		if t, ok := p.scraped[inst]; ok && t.Before(at) {
			at = t
		}
		at = at.Add(-skew)
		if at.After(now) {
			at = now
		}
		return at
	}
	// Up alone is not a poll that worked when every figure query failed (an
	// engine too slow to answer them): that is an error, the targets kept.
	ok := upErr == nil && len(p.jobs) == 0
	for _, j := range p.jobs {
		p.series += len(j.rs)
		p.addWarnings(j.q.Name, j.ws)
		switch {
		case j.err != nil:
			p.errs = append(p.errs, j.q.Name+": "+sources.OneLine(j.err.Error()))
		default:
			ok = true
		}
		if j.parts > 1 {
			note := fmt.Sprintf("%s: refused by the engine for size, split into %d parts by instance", j.q.Name, j.parts)
			if j.leftOut > 0 {
				note += fmt.Sprintf(" (%d still refused: their hosts are left out)", j.leftOut)
			}
			p.warnings = append(p.warnings, note)
		}
		if j.err != nil || j.leftOut > 0 {
			tr.AddPartial(j.q, answersAt(j.rs, 0))
		} else {
			tr.Add(j.q, answersAt(j.rs, 0))
		}
	}
	f.Points = tr.Points()
	s.mu.Lock()
	s.several = tr.Several()
	s.gpuIdent = tr.GPUs
	s.known = tr.Known
	if identPoll && identOK(p.jobs) {
		s.identOf = make(map[string]bool, len(insts))
		for _, i := range insts {
			s.identOf[i] = true
		}
	}
	s.mu.Unlock()
	s.targets(&f, p, tr, now)
	for _, pn := range panels {
		p.series += len(pn.rs)
	}
	var perr []string
	for i, pn := range s.c.cfg.Panels {
		if panels[i].err != nil {
			perr = append(perr, fmt.Sprintf("panel %s: %v", sources.OneLine(pn.Name), panels[i].err))
			continue
		}
		PanelPoints(&f, pn, panels[i].rs, s.c.cfg.TopK, now)
	}
	for i := range exs {
		if inst := exs[i].Series.Label(sources.LabelInstance); inst != "" {
			exs[i].Labels = append(exs[i].Labels, sources.Label{Name: sources.LabelHost, Value: tr.HostOf(inst)})
		}
	}
	f.Exemplars = append(f.Exemplars, exs...)

	wire1, _ := s.c.Bytes()
	h.Duration = time.Since(start)
	h.Series = p.series
	h.Bytes = int(wire1 - wire0)
	h.Detail = strings.Join(tr.Stacks(), ",")
	var newest time.Time
	for _, t := range p.scraped {
		if t.After(newest) {
			newest = t
		}
	}
	if !newest.IsZero() {
		h.DataAt = newest.Add(-skew)
		if lag := now.Sub(h.DataAt); lag > 2*s.c.cfg.Interval {
			h.Detail += fmt.Sprintf("; data %s old", lag.Round(time.Second))
		}
	}
	if skew.Abs() >= 2*time.Second {
		h.Detail += fmt.Sprintf("; engine clock %+.0fs off ours (compensated)", skew.Seconds())
	}
	h.Warnings = append(p.warnings, p.errs...)
	if len(perr) > 0 {
		h.Warnings = append(h.Warnings, perr...)
	}
	if !ok {
		err := upErr
		if err == nil && len(p.errs) > 0 {
			err = errors.New(p.errs[0])
		}
		return f, err
	}
	return f, nil
}

// shardMin is the fewest instances whose sharded queries are sharded:
// below, they run whole on their polls.
const shardMin = 64

// shardOf is slice k of n of the instances: each instance falls in one
// slice by a hash of its name, whatever others come and go.
func shardOf(insts []string, k, n int) []string {
	var out []string
	for _, i := range insts {
		h := fnv.New32a()
		h.Write([]byte(i))
		if int(h.Sum32()%uint32(n)) == k {
			out = append(out, i)
		}
	}
	return out
}

// maxMatcher bounds the instance matcher of one request of a sharded
// query: VictoriaMetrics refuses a query longer than 16 KiB
// (-search.maxQueryLen), and a selector may repeat the matcher.
const maxMatcher = 6000

// maxMatchers bounds the instance matchers of one request together (the
// rest of a query is well under 2 KiB).
const maxMatchers = 14000

// matcherChunks splits instances into runs whose instanceMatcher is at
// most max bytes long (one instance per run at least).
func matcherChunks(insts []string, max int) [][]string {
	var out [][]string
	lo, n := 0, len(`instance=~""`)
	for i, x := range insts {
		l := len(instanceMatcher([]string{x})) - len(`instance=~""`) + 1
		if i > lo && n+l > max {
			out = append(out, insts[lo:i])
			lo, n = i, len(`instance=~""`)
		}
		n += l
	}
	if lo < len(insts) {
		out = append(out, insts[lo:])
	}
	return out
}

// identOK reports whether the identity queries among jobs were answered.
func identOK(jobs []*job) bool {
	for _, j := range jobs {
		if j.q.Identity() && j.err != nil {
			return false
		}
	}
	return true
}

func (p *poll) addWarnings(what string, ws Warnings) {
	for _, w := range ws {
		p.warnings = append(p.warnings, what+": partial answer: "+w)
	}
}

// unixSeconds reads a timestamp() value.
func unixSeconds(v float64) time.Time {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return time.Time{}
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6)
}

// targets adds the engine's targets: up per target and how old each one's
// newest scrape was, keyed by the machine (host), instance and job; and it
// remembers which instances make each host, for the detail of one host.
func (s *Source) targets(f *sources.Frame, p *poll, tr *prom.Translation, now time.Time) {
	byHost := map[string][]string{}
	for _, r := range p.up {
		if len(r.Samples) == 0 {
			continue
		}
		inst, job := r.Labels.Get(sources.LabelInstance), r.Labels.Get(sources.LabelJob)
		host := tr.HostOf(inst)
		if inst == "" {
			host = job
		}
		at := r.Samples[0].At.Add(-p.skew)
		if t, ok := p.scraped[inst]; ok {
			at = t.Add(-p.skew)
		}
		if at.After(now) {
			at = now
		}
		ls := []string{sources.LabelHost, sources.Sanitize(host), sources.LabelInstance, sources.Sanitize(inst), sources.LabelJob, sources.Sanitize(job)}
		for _, g := range GroupLabels {
			if v := r.Labels.Get(g); v != "" && g != sources.LabelJob {
				ls = append(ls, g, sources.Sanitize(v))
			}
		}
		f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(sources.TargetUp, sources.Gauge, ls...), At: at, Value: r.Samples[0].Value})
		if t, ok := p.scraped[inst]; ok {
			f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(sources.TargetScrapeAge, sources.Gauge, ls[:6]...), At: at,
				Value: math.Max(0, p.evalAt.Sub(t).Seconds())})
		}
		if inst != "" && !contains(byHost[host], inst) {
			byHost[host] = append(byHost[host], inst)
		}
	}
	s.mu.Lock()
	s.instances = byHost
	s.hosts = len(byHost)
	s.hostOf = tr.HostOf
	s.named = true
	s.mu.Unlock()
}

// GroupLabels are the target labels the fleet groups hosts by, kept on
// TargetUp when the engine's up carries them.
var GroupLabels = []string{"cluster", "namespace", "region", "zone", sources.LabelJob, "env", "environment"}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func instancesOf(up []Result) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range up {
		if i := r.Labels.Get(sources.LabelInstance); i != "" && !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	sort.Strings(out)
	return out
}

// instanceMatcher selects the given instances.
func instanceMatcher(insts []string) string {
	return `instance=~"` + matcherRegex(insts) + `"`
}

// matcherRegex is the regular expression of the given instances, quoted
// for a PromQL string.
func matcherRegex(insts []string) string {
	q := make([]string, len(insts))
	for i, x := range insts {
		q[i] = regexp.QuoteMeta(x)
	}
	re := strings.ReplaceAll(strings.Join(q, "|"), `\`, `\\`)
	return strings.ReplaceAll(re, `"`, `\"`)
}

// answersAt turns results into answers, one per sample, moved onto vigil's
// clock by skew (0 keeps them on the engine's: a Stamp moves them).
func answersAt(rs []Result, skew time.Duration) []prom.Answer {
	n := 0
	for _, r := range rs {
		n += len(r.Samples)
	}
	out := make([]prom.Answer, 0, n)
	for _, r := range rs {
		for _, smp := range r.Samples {
			out = append(out, prom.Answer{Labels: r.Labels, At: smp.At.Add(-skew), Value: smp.Value})
		}
	}
	return out
}

// runJobs runs the jobs with the client's bounded concurrency. A query the
// engine refuses for size is narrowed: split by instance into 4, 16, 64...
// parts until the engine answers each (remembered for the next polls), the
// parts it still refuses left out and said so.
func (s *Source) runJobs(ctx context.Context, jobs []*job, insts []string, run func(*job) ([]Result, Warnings, error)) {
	var wg sync.WaitGroup
	for _, j := range jobs {
		if j.expr == "" {
			j.expr = j.exprWith(s.c.Dialect(), s.c.cfg.RateWindow, "")
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.mu.Lock()
			parts := s.shards[j.q.Name]
			s.mu.Unlock()
			if parts <= 1 {
				j.rs, j.ws, j.err = run(j)
				if j.err == nil || !errors.Is(j.err, ErrTooBig) || len(insts) < 2 || j.scoped {
					return
				}
				parts = 4
			}
			s.narrow(ctx, j, insts, parts, run)
		}()
	}
	wg.Wait()
}

// narrow runs j in parts by instance, more parts while the engine refuses.
func (s *Source) narrow(ctx context.Context, j *job, insts []string, parts int, run func(*job) ([]Result, Warnings, error)) {
	for {
		parts = min(parts, len(insts))
		var rs []Result
		var ws Warnings
		refused := 0
		var firstErr error
		var mu sync.Mutex
		var wg sync.WaitGroup
		for k := 0; k < parts; k++ {
			lo, hi := k*len(insts)/parts, (k+1)*len(insts)/parts
			if lo == hi {
				continue
			}
			part := &job{q: j.q, expr: j.exprWith(s.c.Dialect(), s.c.cfg.RateWindow, instanceMatcher(insts[lo:hi]))}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, w, err := run(part)
				mu.Lock()
				defer mu.Unlock()
				ws = append(ws, w...)
				if err != nil {
					if errors.Is(err, ErrTooBig) {
						refused++
					}
					if firstErr == nil {
						firstErr = err
					}
					return
				}
				rs = append(rs, r...)
			}()
		}
		wg.Wait()
		if refused == 0 || parts >= len(insts) || ctx.Err() != nil {
			j.rs, j.ws, j.parts, j.leftOut = rs, ws, parts, refused
			j.err = nil
			if len(rs) == 0 && firstErr != nil {
				j.err = firstErr
			}
			s.mu.Lock()
			s.shards[j.q.Name] = parts
			s.mu.Unlock()
			return
		}
		parts *= 4
	}
}

// historySteps caps a range query at the 11,000 points per series
// Prometheus accepts.
const historySteps = 11000

// HistoryStep is the step of a range query for chart columns step wide over
// [from, to]: whole seconds (at least one), no more than 11,000 points.
func HistoryStep(from, to time.Time, step time.Duration) time.Duration {
	step = max(step, to.Sub(from)/historySteps, time.Second)
	return step.Round(time.Second)
}

// FillHistory implements sources.HistoryFiller: range queries of the
// summary figures of the charts (the services' latency quantiles and
// request rates) for the whole fleet, and of every figure for the hosts
// drilled into (every host in a small fleet), over [from, to] every step.
// start and end are rounded down to a multiple of step (as Grafana does, so
// an engine's cache serves them), the rate window is the step or the
// figures' window, whichever is longer, and points the engine filled in
// near now with older values (VictoriaMetrics within its latency offset)
// are left out.
func (s *Source) FillHistory(ctx context.Context, from, to time.Time, step time.Duration, emit func(sources.Frame)) error {
	s.mu.Lock()
	size := s.hosts
	s.mu.Unlock()
	if size == 0 {
		size = s.countHosts(ctx) // asked before the first poll: a fleet's every detail is not
	}
	s.mu.Lock()
	small := s.c.cfg.DetailAll > 0 && size > 0 && size <= s.c.cfg.DetailAll
	var focusInsts []string
	for host := range s.focus {
		focusInsts = append(focusInsts, s.instances[host]...)
	}
	s.mu.Unlock()
	var jobs []*job
	win := max(HistoryStep(from, to, step), s.c.cfg.RateWindow)
	for _, q := range s.summary {
		if small || q.Charted() {
			jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, "")})
		}
	}
	if small {
		for _, q := range s.detail {
			jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, "")})
		}
	} else if len(focusInsts) > 0 {
		m := instanceMatcher(focusInsts)
		for _, q := range s.summary {
			if !q.Charted() {
				jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, m)})
			}
		}
		for _, q := range s.detail {
			jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, m)})
		}
	}
	return s.fill(ctx, jobs, from, to, step, emit)
}

// FillHostHistory implements sources.HostHistoryFiller: FillHistory's
// charted summary figures for the host's instances only (FetchDetail
// brings the rest of its history). A host whose instances are not known
// yet gets the fleet's.
func (s *Source) FillHostHistory(ctx context.Context, host string, from, to time.Time, step time.Duration, emit func(sources.Frame)) error {
	s.mu.Lock()
	insts := append([]string(nil), s.instances[host]...)
	if len(insts) == 0 {
		for h, is := range s.instances {
			for _, i := range is {
				if i == host || s.hostOf(i) == host || h == host {
					insts = append(insts, i)
				}
			}
		}
	}
	s.mu.Unlock()
	if len(insts) == 0 {
		return s.FillHistory(ctx, from, to, step, emit)
	}
	m := instanceMatcher(insts)
	win := max(HistoryStep(from, to, step), s.c.cfg.RateWindow)
	var jobs []*job
	for _, q := range s.summary {
		if q.Charted() {
			jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, m)})
		}
	}
	return s.fill(ctx, jobs, from, to, step, emit)
}

// countHosts is the number of machines among the engine's targets (by
// address), 0 when it does not answer.
func (s *Source) countHosts(ctx context.Context) int {
	rs, _, err := s.c.QueryWith(ctx, targetsQuery, time.Now().Add(s.c.Skew()), QueryOptions{NoCache: true})
	if err != nil {
		return 0
	}
	seen := map[string]bool{}
	for _, inst := range instancesOf(rs) {
		if h, _, err := net.SplitHostPort(inst); err == nil {
			inst = h
		}
		seen[inst] = true
	}
	return len(seen)
}

// FetchDetail implements sources.DetailFetcher: from now on the polls carry
// the host's detail (for FocusTTL after the last ask), and its detail's
// history over [from, to] is fetched at once.
func (s *Source) FetchDetail(ctx context.Context, host string, from, to time.Time, step time.Duration, emit func(sources.Frame)) error {
	s.mu.Lock()
	insts := s.instances[host]
	if len(insts) == 0 {
		// A host known by another name: the instances whose machine it is.
		for h, is := range s.instances {
			for _, i := range is {
				if i == host || s.hostOf(i) == host || h == host {
					insts = append(insts, i)
				}
			}
		}
	}
	s.focus[host] = time.Now().Add(FocusTTL)
	if len(insts) > 0 {
		s.instances[host] = insts
	}
	s.mu.Unlock()
	if len(insts) == 0 {
		return fmt.Errorf("promql: no targets known for host %s", sources.OneLine(host))
	}
	m := instanceMatcher(insts)
	win := max(HistoryStep(from, to, step), s.c.cfg.RateWindow)
	var jobs []*job
	for _, q := range s.summary {
		if !q.Charted() {
			jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, m)})
		}
	}
	for _, q := range s.detail {
		jobs = append(jobs, &job{q: q, expr: q.RangeExprIn(s.c.Dialect(), win, m)})
	}
	return s.fill(ctx, jobs, from, to, step, emit)
}

// fill runs range jobs over [from, to] and emits their figures as one
// backfill frame.
func (s *Source) fill(ctx context.Context, jobs []*job, from, to time.Time, step time.Duration, emit func(sources.Frame)) error {
	if len(jobs) == 0 || !to.After(from) {
		return nil
	}
	s.learnNames(ctx)
	skew := s.c.Skew()
	st := HistoryStep(from, to, step)
	start := from.Add(skew).Truncate(st)
	end := to.Add(skew).Truncate(st)
	if !end.After(start) {
		end = start.Add(st)
	}
	var probe []Result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		probe, _ = s.c.QueryRange(ctx, tailProbe, start, end, st)
	}()
	s.runJobs(ctx, jobs, nil, func(j *job) ([]Result, Warnings, error) {
		return s.c.QueryRangeWith(ctx, j.expr, start, end, st)
	})
	wg.Wait()
	cut := end
	if len(probe) == 1 && len(probe[0].Samples) > 1 {
		// The newest scrape the range answer saw: points after it repeat
		// older values.
		smps := probe[0].Samples
		last := unixSeconds(smps[len(smps)-1].Value)
		if !last.IsZero() && last.Before(smps[len(smps)-1].At.Add(-2*st)) {
			cut = last
		}
	}
	var errs []string
	ok := false
	var got []*job
	samples := 0
	for _, j := range jobs {
		if j.err != nil {
			errs = append(errs, j.q.Name+": "+sources.OneLine(j.err.Error()))
			continue
		}
		ok = true
		got = append(got, j)
		for _, r := range j.rs {
			samples += len(r.Samples)
		}
	}
	// The answers are translated and emitted a few steps at a time: a
	// fleet's history (every service's quantiles and rates, a point per
	// column) translated at once held every answer, its labels and its
	// canonical point together, hundreds of MB at 1,000 hosts.
	steps := max(int(end.Sub(start)/st)+1, 1)
	per := max(1, steps*historyChunk/max(samples, 1))
	cursors := make([][]int, len(got))
	for k, j := range got {
		cursors[k] = make([]int, len(j.rs))
	}
	for lo := 0; lo < steps; lo += per {
		hi := start.Add(time.Duration(lo+per) * st) // this chunk: before hi
		tr := prom.NewTranslation()
		s.mu.Lock()
		tr.Names = s.hostOf // as the last poll named them
		// The GPUs' identities as the last poll knew them: a range answer
		// groups GPU figures by instance and index only.
		tr.GPUs = maps.Clone(s.gpuIdent)
		s.mu.Unlock()
		for k, j := range got {
			var as []prom.Answer
			for i, r := range j.rs {
				c := cursors[k][i]
				for ; c < len(r.Samples) && r.Samples[c].At.Before(hi); c++ {
					at := r.Samples[c].At
					if !at.After(cut) {
						as = append(as, prom.Answer{Labels: r.Labels, At: at.Add(-skew), Value: r.Samples[c].Value})
					}
				}
				cursors[k][i] = c
			}
			switch {
			case j.leftOut > 0:
				tr.AddPartial(j.q, as)
			default:
				// Empty too: a figure asked where not 0 only is 0
				// where it has no answer.
				tr.Add(j.q, as)
			}
		}
		f := sources.Frame{Source: s.name, At: to, Backfill: true, Points: tr.Points()}
		if len(f.Points) > 0 {
			emit(f)
		}
	}
	if !ok && len(errs) > 0 {
		return fmt.Errorf("history: %s", errs[0])
	}
	return nil
}

// historyChunk is about how many answers one history frame translates.
var historyChunk = 20000 // a var: tests make it small

// learnNames names the machines before the first poll has (history asked
// for at start): node names and the GPUs' hosts, so that history lands on
// the hosts the polls will use.
func (s *Source) learnNames(ctx context.Context) {
	s.mu.Lock()
	done := s.named
	s.mu.Unlock()
	if done {
		return
	}
	skew := s.c.Skew()
	at := time.Now().Add(skew)
	tr := prom.NewTranslation()
	if rs, _, err := s.c.QueryWith(ctx, prom.NodeQuery, at, QueryOptions{NoCache: true}); err == nil {
		tr.AddNodes(answersAt(rs, skew))
	}
	for _, q := range s.summary {
		if q.Names() {
			if rs, _, err := s.c.QueryWith(ctx, q.ExprIn(s.c.Dialect(), s.c.cfg.RateWindow, ""), at, QueryOptions{NoCache: true, Lookback: s.lookback()}); err == nil {
				tr.Add(q, answersAt(rs, skew))
			}
		}
	}
	learned := map[string]string{}
	tr.Known = learned
	tr.Points()
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.named { // a poll that ended meanwhile named them itself
		known := maps.Clone(s.known) // the last names' map stays as it is
		maps.Copy(known, learned)
		s.known = known
		s.hostOf = tr.HostOf
	}
}

// PanelPoints adds a panel's results to f: the topK largest values as
// PanelSignal points, and how many were left out as PanelMoreSignal. NaN
// and ±Inf values are left out (n/a).
func PanelPoints(f *sources.Frame, p Panel, rs []Result, topK int, now time.Time) {
	type kv struct {
		r Result
		v float64
		t time.Time
	}
	vals := make([]kv, 0, len(rs))
	for _, r := range rs {
		if len(r.Samples) == 0 {
			continue
		}
		smp := r.Samples[len(r.Samples)-1]
		if math.IsNaN(smp.Value) || math.IsInf(smp.Value, 0) {
			continue
		}
		vals = append(vals, kv{r, smp.Value, smp.At})
	}
	sort.SliceStable(vals, func(i, j int) bool {
		if vals[i].v != vals[j].v {
			return vals[i].v > vals[j].v
		}
		return labelKey(vals[i].r.Labels) < labelKey(vals[j].r.Labels)
	})
	more := 0
	if topK > 0 && len(vals) > topK {
		more = len(vals) - topK
		vals = vals[:topK]
	}
	name := sources.Sanitize(p.Name)
	for _, x := range vals {
		ls := []sources.Label{{Name: "panel", Value: name}}
		if p.Unit != "" {
			ls = append(ls, sources.Label{Name: "unit", Value: sources.Sanitize(p.Unit)})
		}
		for _, l := range x.r.Labels {
			k, v := l.Name, l.Value
			if k == "panel" || k == "unit" {
				k = "exported_" + k
			}
			ls = append(ls, sources.Label{Name: sources.Sanitize(k), Value: sources.Sanitize(v)})
		}
		at := x.t
		if at.IsZero() || at.After(now) {
			at = now
		}
		f.Points = append(f.Points, sources.Point{Series: sources.SeriesOf(PanelSignal, sources.Gauge, ls), At: at, Value: x.v})
	}
	f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(PanelMoreSignal, sources.Gauge, "panel", name), At: now, Value: float64(more)})
}

func labelKey(ls Labels) string {
	s := append(Labels(nil), ls...)
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	var b strings.Builder
	for _, l := range s {
		b.WriteString(l.Name + "=" + l.Value + ",")
	}
	return b.String()
}

// Backfill fills the store with the figures over (now-window, now] at step
// through range queries (vigil alerts --backfill): FillHistory for the
// whole window.
func (s *Source) Backfill(ctx context.Context, emit func(sources.Frame), now time.Time, window, step time.Duration) error {
	if window <= 0 || step <= 0 {
		return nil
	}
	return s.FillHistory(ctx, now.Add(-window), now, step, emit)
}

var (
	_ sources.Poller        = (*Source)(nil)
	_ sources.HistoryFiller = (*Source)(nil)
	_ sources.DetailFetcher = (*Source)(nil)
)
