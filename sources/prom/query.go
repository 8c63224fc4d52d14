package prom

import (
	"math"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Query mode: each preset names, beside the rules that translate its
// families when scraped, the PromQL an engine evaluates for it (its queries).
// An answer is already reduced per service, GPU or host, so its size grows
// with services and GPUs, never with histogram buckets; the answer is then
// mapped onto the same canonical labels, with the same service, outcome and
// kind rules, as a scrape of the same data.

// Tier says when a query runs.
type Tier uint8

const (
	// TierSummary runs on every poll, for the whole fleet.
	TierSummary Tier = iota
	// TierDetail runs for one host or service the user drilled into (and on
	// every poll when the fleet is small).
	TierDetail
)

type qkind uint8

const (
	qDist  qkind = iota // a histogram family: p50, p95, p99, mean and observations over the window
	qMean               // a bucketless family: mean (sum counter / count counter) and observations
	qRate               // a counter's per-second rate over the window
	qGauge              // a gauge (or a counter's value, shown as a total)
	qExpr               // a whole expression
	qIdent              // a GPU's or a host's identity labels (joined onto the other answers)
	qBusy               // qExpr whose answer is, per group, the rates of its idle part (tagged FigureLabel=tagIdle) and of the rest: the figure is 1 − idle/all

	qDistQuantiles // qDist's quantiles alone (range queries)
)

// query is one figure of a preset in query mode.
type query struct {
	to      string // canonical signal (qDist, qMean: the family's quantile figure)
	kind    qkind
	from    []string // families; the first present per group wins (PromQL or)
	sumFrom string   // qMean: the counter of summed durations (from: the count counter)
	by      []string // source labels kept besides the identity, read by outcome, kindOf or keep
	match   string   // PromQL matchers for what the rule's skip leaves out
	agg     agg      // qGauge: sum (default) or max across the group's series
	scale   float64  // unit conversion, as the rule's; 0 means 1
	set     []string // static labels: name, value, ...
	keep    []string // source labels kept: source name, canonical name, ...
	expr    string   // qExpr: {W} the window, {G} the identity labels, {M} the extra matchers after others (", a=b"), {S} as a whole selector ("{a=b}")
	filter  string   // appended comparison that keeps only notable series (e.g. "> 0")
	// unless leaves out, at the engine, answers the translation would
	// drop (`unless on (...) (...)`, with {W}, {M} and {S} as in expr, of
	// the matchers added only): they
	// would travel for nothing.
	unless string
	tier   Tier
	scope  scope
	alt    string // queries of one alt group are alternatives per service: the lowest rank answering wins
	rank   int
	every  int // run on every every-th poll only (figures that barely change: identities, totals); 0 every poll
	// phase spreads the queries run every n-th poll over the polls: one
	// runs on the polls whose number modulo n is phase modulo n (and on
	// the first), so that no poll carries all of them. Alternatives of
	// one group share it (they are resolved within a poll).
	phase int
	// shard: with every, the query runs on every poll for one n-th of
	// the instances (by a hash of each), not on every n-th poll for all:
	// a heavy query (a host's CPUs × modes, the GPUs' identities) costs
	// every poll a slice instead of one poll the whole.
	shard bool
	// oneSvc: in a poll, instances that served one service (of a preset
	// whose service falls back to the instance's one, as vLLM's model)
	// answer without the service labels; the preset's other answers
	// (num_requests_running) name it. A thousand-host poll's model_name
	// values were a tenth of its bytes.
	oneSvc bool
	// has, on a GPU gauge nearly always 0 (XID, throttle reasons): the
	// engine answers only where it is not 0 (filter "!= 0"), and the
	// preset's identity query records, per GPU, whether the GPU exports
	// the family at all (bit has of its presence mask). A GPU that does
	// and has no answer is 0 at the instant its other figures are for;
	// one that does not is n/a.
	has uint8

	outcome func(m *metric) string
	outs    []string
	minus   string
	kindOf  func(m *metric) string
	skip    func(c *answerCtx, m *metric) bool
	// service overrides the preset's service (vLLM's HTTP counts belong to
	// the target's one model).
	service func(c *answerCtx, m *metric) string
}

// hostCandidates are the labels naming the machine in query mode, besides a
// preset's own host labels: a node label relabelled from service discovery.
var hostCandidates = []string{"node", "kubernetes_node"}

// gpuIdent are the labels of a GPU's identity answer, joined onto its other
// answers by host and index.
var gpuIdent = []string{"UUID", "uuid", "gpu_uuid", "modelName", "model_name", "namespace", "pod", "container"}

// gpuKey are the labels that tell a GPU's answers apart, unless the
// preset names its own (gpuBy).
var gpuKey = []string{"gpu", "DeviceId", "GPU_I_ID"}

// hasIdent reports whether the preset has a GPU identity query.
func (p *preset) hasIdent() bool { return withIdent[p] }

// withIdent are the presets with a GPU identity query; withSparse those
// whose identity answers a presence mask (query.has).
var withIdent, withSparse = map[*preset]bool{}, map[*preset]bool{}

func init() {
	for _, p := range presets {
		for i := range p.queries {
			if q := &p.queries[i]; q.kind == qIdent && q.to == "" && q.scope == scopeGPU {
				withIdent[p] = true
			}
			if q := &p.queries[i]; q.has != 0 && q.tier == TierSummary {
				withSparse[p] = true
			}
		}
	}
}

func (p *preset) gpuLabels() []string {
	if p.gpuBy != nil {
		return p.gpuBy
	}
	return gpuKey
}

// Query is one PromQL expression of query mode and how its answer maps onto
// canonical signals.
type Query struct {
	Name  string // stack/signal[#n], unique
	Stack string
	Tier  Tier
	p     *preset
	q     *query
	one   bool // grouped without the service labels (PollExprIn)
}

// Queries lists query mode's queries for the stacks (nil: every stack) of
// the tier, in table order.
func Queries(stacks []string, tier Tier) []Query {
	want := map[string]bool{}
	for _, s := range stacks {
		want[s] = true
	}
	var out []Query
	seen := map[string]int{}
	for _, p := range presets {
		if stacks != nil && !want[p.stack] {
			continue
		}
		for i := range p.queries {
			q := &p.queries[i]
			if q.tier != tier {
				continue
			}
			to := q.to
			if to == "" {
				to = "identity"
			}
			name := p.stack + "/" + to
			if n := seen[name]; n > 0 {
				seen[name]++
				name += "#" + strconv.Itoa(n)
			} else {
				seen[name] = 1
			}
			out = append(out, Query{Name: name, Stack: p.stack, Tier: tier, p: p, q: q})
		}
	}
	return out
}

// Figure tags of a packed answer (label FigureLabel).
const (
	FigureLabel = "vigil_figure"
	tagP50      = "p50"
	tagP95      = "p95"
	tagP99      = "p99"
	tagMean     = "mean"
	tagObs      = "obs"
	tagIdle     = "idle"
)

// hasLabel holds a GPU's presence mask (the value of its identity
// answer, where the preset has sparse figures) among its identity's labels.
const hasLabel = "vigil_has"

// famOf maps a quantile figure to its mean and observation figures.
var famOf = map[string][2]string{
	sources.SvcLatencyQuant: {sources.SvcLatencyMean, sources.SvcLatencyObs},
	sources.SvcTTFTQuant:    {sources.SvcTTFTMean, sources.SvcTTFTObs},
	sources.SvcITLQuant:     {sources.SvcITLMean, sources.SvcITLObs},
}

// identity is the grouping labels of the query's answers.
func (q Query) identity() []string {
	var g []string
	add := func(ls ...string) {
		for _, l := range ls {
			if !hasName(g, l) {
				g = append(g, l)
			}
		}
	}
	add(sources.LabelInstance)
	switch q.q.scope {
	case scopeSvc:
		add(q.p.hostLabels...)
		add(hostCandidates...)
		if !q.one {
			add(q.p.svcBy...)
		}
	case scopeGPU:
		// A GPU's figures group by instance and index only where the
		// preset's identity answer brings the machine's name and the
		// GPU's identity (joined on by instance and index): a poll's
		// answers carry no label they would repeat every time.
		if q.q.kind == qIdent || !q.p.hasIdent() {
			add(q.p.hostLabels...)
		}
		add(q.p.gpuLabels()...)
		if q.q.kind == qIdent {
			add(gpuIdent...)
		}
	case scopeHost:
		add(hostCandidates...)
	}
	add(q.q.by...)
	for i := 0; i+1 < len(q.q.keep); i += 2 {
		add(q.q.keep[i])
	}
	return g
}

// dedupe reports whether the query collapses series that differ only by
// job (the same target under two jobs); a preset whose service is the job
// keeps them apart.
func (q Query) dedupe() bool { return !hasName(q.p.svcBy, sources.LabelJob) }

func hasName(ls []string, s string) bool {
	for _, x := range ls {
		if x == s {
			return true
		}
	}
	return false
}

// Dialect is the query language an engine speaks beyond PromQL.
type Dialect string

// Dialects.
const (
	PromQL    Dialect = ""
	MetricsQL Dialect = "metricsql" // VictoriaMetrics: histogram_quantiles computes several quantiles in one pass
)

// Expr is the query's PromQL with rate window w and, when matchers is not
// empty (e.g. `instance=~"10\\.0\\.0\\.1:.*"`), those matchers added to
// every selector: the detail of one host or service, or a shard of a query
// narrowed for size.
func (q Query) Expr(w time.Duration, matchers string) string { return q.ExprIn(PromQL, w, matchers) }

// ExprIn is Expr in an engine's dialect.
func (q Query) ExprIn(d Dialect, w time.Duration, matchers string) string {
	win := promDuration(w)
	g := strings.Join(q.identity(), ", ")
	m := q.q.match
	if matchers != "" {
		if m != "" {
			m += ", "
		}
		m += matchers
	}
	sel := func(name string) string {
		if m == "" {
			return name
		}
		return name + "{" + m + "}"
	}
	dd := func(x string) string {
		if q.dedupe() {
			return "max without (job) (" + x + ")"
		}
		return x
	}
	rate := func(name string) string { return dd("rate(" + sel(name) + "[" + win + "])") }
	alts := func(f func(name string) string) string {
		parts := make([]string, 0, len(q.q.from))
		for _, n := range q.q.from {
			parts = append(parts, f(n))
		}
		return strings.Join(parts, " or ")
	}
	var e string
	switch q.q.kind {
	case qDist:
		buckets := "(" + alts(func(n string) string { return "sum by (le, " + g + ") (" + rate(n+"_bucket") + ")" }) + ")"
		mean := alts(func(n string) string {
			return "sum by (" + g + ") (" + rate(n+"_sum") + ") / (sum by (" + g + ") (" + rate(n+"_count") + ") > 0)"
		})
		obs := alts(func(n string) string {
			return "sum by (" + g + ") (" + dd("increase("+sel(n+"_count")+"["+win+"])") + ")"
		})
		e = quantiles(d, buckets) + " or " + tag("("+mean+")", tagMean) + " or " + tag("("+obs+")", tagObs)
	case qDistQuantiles:
		buckets := "(" + alts(func(n string) string { return "sum by (le, " + g + ") (" + rate(n+"_bucket") + ")" }) + ")"
		e = quantiles(d, buckets)
	case qMean:
		count := q.q.from[0]
		mean := "sum by (" + g + ") (" + rate(q.q.sumFrom) + ") / (sum by (" + g + ") (" + rate(count) + ") > 0)"
		obs := "sum by (" + g + ") (" + dd("increase("+sel(count)+"["+win+"])") + ")"
		e = tag(mean, tagMean) + " or " + tag(obs, tagObs)
	case qRate:
		e = alts(func(n string) string { return "sum by (" + g + ") (" + rate(n) + ")" })
	case qGauge, qIdent:
		if q.Identity() && q.q.scope == scopeGPU {
			if pr, k := q.presence(sel); pr != "" {
				// The value is the GPU's presence mask (0: none).
				id := "(" + alts(func(n string) string { return "group by (" + g + ") (" + sel(n) + ")" }) + ")"
				e = id + " * on (" + k + ") group_left () " + pr + " or " + id + " * 0"
				break
			}
			e = alts(func(n string) string { return "max by (" + g + ") (" + sel(n) + ")" })
			break
		}
		if q.q.agg == aggMax || q.q.scope != scopeSvc {
			// A GPU's or a host's gauge is one value wherever it is
			// repeated (the same target under two jobs, say).
			e = alts(func(n string) string { return "max by (" + g + ") (" + sel(n) + ")" })
		} else {
			e = alts(func(n string) string { return "sum by (" + g + ") (" + dd(sel(n)) + ")" })
		}
	case qExpr, qBusy:
		mm, ss := "", ""
		if m != "" {
			mm, ss = ", "+m, "{"+m+"}"
		}
		e = strings.NewReplacer("{W}", win, "{G}", g, "{M}", mm, "{S}", ss).Replace(q.q.expr)
	}
	if q.q.filter != "" {
		e = "(" + e + ") " + q.q.filter
	}
	if q.q.unless != "" {
		mm, ss := "", ""
		if matchers != "" {
			mm, ss = ", "+matchers, "{"+matchers+"}"
		}
		e = "(" + e + ") unless " + strings.NewReplacer("{W}", win, "{M}", mm, "{S}", ss).Replace(q.q.unless)
	}
	return e
}

// PollExprIn is ExprIn for a poll that knows which instances serve
// several services (several: a regular expression of them, "" for none):
// a query marked so answers the others without the service labels, which
// the translation reads from the instance's one service (Translation's
// Several lists them after a poll). An instance that has come to serve a
// second service since is left out of that poll (its answers name no
// service), not merged.
func (q Query) PollExprIn(d Dialect, w time.Duration, matchers, several string) string {
	if !q.q.oneSvc {
		return q.ExprIn(d, w, matchers)
	}
	and := func(m, x string) string {
		if m == "" {
			return x
		}
		return m + ", " + x
	}
	one := q
	one.one = true
	if several == "" {
		return one.ExprIn(d, w, matchers)
	}
	return "(" + one.ExprIn(d, w, and(matchers, `instance!~"`+several+`"`)) + ") or (" +
		q.ExprIn(d, w, and(matchers, `instance=~"`+several+`"`)) + ")"
}

// Several lists, after Points, the instances whose answers named several
// services of one stack, sorted: PollExprIn asks for their services apart.
func (t *Translation) Several() []string {
	if t.last == nil {
		return nil
	}
	var out []string
	for _, m := range t.last.models {
		for inst, svc := range m {
			if svc == "" && !slices.Contains(out, inst) {
				out = append(out, inst)
			}
		}
	}
	sort.Strings(out)
	return out
}

// presence is, per GPU (instance and index: the labels k), the mask of the
// sparse figures' families it exports (query.has); "" when the preset has
// none.
func (q Query) presence(sel func(string) string) (e, k string) {
	k = strings.Join(append([]string{sources.LabelInstance}, q.p.gpuLabels()...), ", ")
	var parts []string
	for i := range q.p.queries {
		x := &q.p.queries[i]
		if x.has == 0 || x.tier != TierSummary {
			continue
		}
		var fs []string
		for _, n := range x.from {
			fs = append(fs, sel(n))
		}
		parts = append(parts, `label_replace(`+strconv.Itoa(int(x.has))+` * group by (`+k+`) (`+strings.Join(fs, " or ")+
			`), "`+FigureLabel+`", "`+strconv.Itoa(int(x.has))+`", "", "")`)
	}
	if len(parts) == 0 {
		return "", ""
	}
	return "sum by (" + k + ") (" + strings.Join(parts, " or ") + ")", k
}

// RangeExpr is Expr for a range query: a distribution's quantiles only
// (the charts draw them; the mean and observations are the poll's).
func (q Query) RangeExpr(w time.Duration, matchers string) string {
	return q.RangeExprIn(PromQL, w, matchers)
}

// RangeExprIn is RangeExpr in an engine's dialect.
func (q Query) RangeExprIn(d Dialect, w time.Duration, matchers string) string {
	if q.q.kind != qDist {
		return q.ExprIn(d, w, matchers)
	}
	qq := *q.q
	qq.kind = qDistQuantiles
	q.q = &qq
	return q.ExprIn(d, w, matchers)
}

// Every is how often the query runs: on every Every-th poll (the first
// included); 1 for every poll.
func (q Query) Every() int { return max(q.q.every, 1) }

// Phase is the poll, modulo Every, the query runs on (the first poll
// runs every query).
func (q Query) Phase() int { return q.q.phase }

// Sharded reports whether the query, run every Every-th poll, runs
// instead on every poll for one Every-th of the instances.
func (q Query) Sharded() bool { return q.q.shard }

// GPUKeyInstance is the instance of a GPU identity's key
// (Translation.GPUs).
func GPUKeyInstance(k string) string {
	_, rest, _ := strings.Cut(k, "\x00")
	inst, _, _ := strings.Cut(rest, "\x00")
	return inst
}

// Identity reports whether the query brings identities (a GPU's UUID,
// model, pod) rather than figures: they last between its polls.
func (q Query) Identity() bool { return q.q.kind == qIdent && q.q.to == "" }

// Names reports whether the query's answers name machines (a GPU figure
// carries dcgm-exporter's Hostname): one of them, with node names, is
// enough to name a fleet's hosts.
func (q Query) Names() bool {
	return q.q.scope == scopeGPU && len(q.p.hostLabels) > 0 && (q.Identity() || !q.p.hasIdent() && q.q.to == sources.GPUTemperature)
}

// Charted reports whether the console's fleet-wide charts draw the
// query's figure (a service's latency quantiles and request rates): their
// history is filled for every host, the rest only for hosts drilled into.
func (q Query) Charted() bool {
	return q.q.scope == scopeSvc && (q.q.kind == qDist && q.q.to == sources.SvcLatencyQuant || q.q.to == sources.SvcRequestRate)
}

// quantiles is the p50, p95 and p99 of buckets, tagged: in MetricsQL one
// histogram_quantiles (the buckets' rates computed once), else three
// histogram_quantile.
func quantiles(d Dialect, buckets string) string {
	if d == MetricsQL {
		return `histogram_quantiles("` + FigureLabel + `", 0.5, 0.95, 0.99, ` + buckets + `)`
	}
	return tag("histogram_quantile(0.5, "+buckets+")", tagP50) + " or " + tag("histogram_quantile(0.95, "+buckets+")", tagP95) +
		" or " + tag("histogram_quantile(0.99, "+buckets+")", tagP99)
}

// tag labels every series of e with its figure, so that several figures
// travel in one answer.
func tag(e, v string) string {
	return `label_replace(` + e + `, "` + FigureLabel + `", "` + v + `", "", "")`
}

// promDuration writes d as a PromQL duration (whole milliseconds).
func promDuration(d time.Duration) string {
	ms := d.Milliseconds()
	if ms <= 0 {
		ms = 1
	}
	if ms%1000 == 0 {
		return strconv.FormatInt(ms/1000, 10) + "s"
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// Answer is one series of an engine's answer at one instant.
type Answer struct {
	Labels []sources.Label // a few: read by a linear scan
	At     time.Time
	Value  float64
}

// Translation maps engine answers onto canonical points. Add every answer
// of a poll (or of one step of a range query) first; Points then resolves
// hosts (one name per machine, whichever exporter names it), alternatives
// and outcomes across all of them, as a scrape's translation does across
// one exposition.
type Translation struct {
	// Stamp, when set, gives the time a figure is true for, from the
	// answer's instance and evaluation time (the engine's newest scrape of
	// that instance, say); nil keeps the evaluation time.
	Stamp func(instance string, at time.Time) time.Time
	// Names, when set, names the machine behind an instance as an earlier
	// translation did (HostOf): a range answer of a few figures carries no
	// node names or GPU identities of its own.
	Names func(instance string) string
	// GPUs, when set, holds GPU identities between translations: Points
	// joins them onto the GPUs' figures and adds those its answers bring.
	GPUs map[string][]sources.Label
	// Known, when set, holds the machine names instances were given
	// between translations: an answer set that lacks an exporter naming the
	// machine (its first scrape not in yet) keeps the name, so a host is
	// not split in two. Points adds the names it learns.
	Known map[string]string
	// Cache, when set, keeps the canonical series of GPU and host figures
	// between translations (a poll's): a figure whose GPU or host reads
	// the same as last time reuses its series instead of building labels
	// and a key again (most of a thousand-host poll's translation).
	Cache *SeriesCache

	adds   []added
	direct []sources.Point // points that need no accumulation (one answer each)
	busy   map[string]*busyAcc
	nodes  map[string]string // instance → node_uname_info nodename
	stacks []string
	last   *answerCtx
}

type added struct {
	q       Query
	as      []Answer
	ms      []*metric // the answers as metrics, for the rules' functions (service scope)
	partial bool      // some answers may be missing (an error, a part refused): no zeros inferred
}

// metric is answer i as the rules' functions read it, built once.
func (ad *added) metric(i int) *metric {
	if ad.ms == nil {
		ad.ms = make([]*metric, len(ad.as))
	}
	if ad.ms[i] == nil {
		ad.ms[i] = metricOf(ad.as[i].Labels)
	}
	return ad.ms[i]
}

// NewTranslation returns an empty translation.
func NewTranslation() *Translation { return &Translation{nodes: map[string]string{}} }

// busyAcc is one qBusy figure being summed: its idle part and the whole.
type busyAcc struct {
	ser       sources.Series
	at        time.Time
	idle, all float64
}

// Add takes the answers of query q.
func (t *Translation) Add(q Query, as []Answer) { t.adds = append(t.adds, added{q: q, as: as}) }

// AddPartial takes answers of query q that may lack some series (the query
// failed, or a part of it was refused): a figure asked where not 0 only
// is then not taken for 0 where it has no answer.
func (t *Translation) AddPartial(q Query, as []Answer) {
	t.adds = append(t.adds, added{q: q, as: as, partial: true})
}

// AddNodes takes node_uname_info answers (labels instance and nodename):
// they name the machine behind an instance.
func (t *Translation) AddNodes(as []Answer) {
	for _, a := range as {
		if n := sources.LabelValue(a.Labels, "nodename"); n != "" {
			t.nodes[sources.LabelValue(a.Labels, sources.LabelInstance)] = n
		}
	}
}

// Stacks lists the stacks that produced a signal in the last Points, sorted.
func (t *Translation) Stacks() []string { return t.stacks }

// NodeQuery names the machine behind each node-exporter instance.
const NodeQuery = `max by (instance, nodename) (node_uname_info)`

// answerCtx is what the translation of one answer may consult about the
// others: each instance's one service per stack, machine names, GPU
// identities, instances that share a machine and a service.
type answerCtx struct {
	names  func(string) string          // an earlier translation's names, when set
	sc     scrape                       // reused by svcName
	models map[string]map[string]string // stack → instance → its one service ("" for several)
	alias  map[string]string            // instance host part → machine name (when unique)
	nodes  map[string]string            // instance → nodename
	gpus   map[string][]sources.Label   // GPU key → identity labels
	split  map[string]bool              // instances whose service shares its machine with another instance's
	hosts  map[string]string            // instance → host, as resolved (memo)
	known  map[string]string            // instance → machine name learned earlier (Translation.Known)
	// With sparse figures (query.has) among the answers: each GPU's
	// first other answer per instant (where its zeros are dated), and the
	// sparse figures that did answer.
	sparse bool
	anchor map[gpuAt]anchor
	got    map[gotKey]bool
	// inferring: the answers being translated are the zeros inferred,
	// not the engine's (they need no record of having answered).
	inferring bool
	cache     *SeriesCache // nil: none, or another translation holds it
	kb        []byte       // a key being built
	// memos: what this translation read of each GPU (by its key), the
	// cache's when there is one (kept between translations, read again
	// when gen is not theirs).
	memos map[string]*gpuMemo
	gen   uint32
}

// gpuMemo is what a translation reads of one GPU, looked up once per
// answer: its key, identity answer and canonical identity labels; with a
// cache, it outlives the translation and holds the series of the GPU's
// figures (for its host and identity as they read then).
type gpuMemo struct {
	gk        string
	gen       uint32
	ident     []sources.Label // its identity answer's labels (nil: none)
	identHost string          // the machine they name
	idl       []sources.Label
	anchorAt  int64 // the instant it was anchored for (zeros), when anchored
	anchored  bool
	sers      []qSeries
}

type qSeries struct {
	q    *query
	host string
	ser  sources.Series
}

// sameSlice reports whether a and b are the same slice (the identity kept
// between polls), not merely equal.
func sameSlice(a, b []sources.Label) bool {
	return len(a) == len(b) && len(a) > 0 && &a[0] == &b[0]
}

// memo is the GPU of an answer with labels ls.
func (c *answerCtx) memo(p *preset, ls []sources.Label) *gpuMemo {
	c.kb = appendGPUIndexKey(c.kb[:0], p, ls)
	m := c.memos[string(c.kb)]
	if m == nil {
		m = &gpuMemo{gk: string(c.kb)}
		c.memos[m.gk] = m
	} else if m.gen == c.gen {
		return m
	}
	ident := c.gpus[m.gk]
	if ident == nil || !sameSlice(ident, m.ident) {
		own := ident
		if own == nil {
			own = ls // a stack whose GPUs carry their identity
		}
		idl := identLabels(own)
		if !slices.Equal(idl, m.idl) {
			m.sers = nil
		}
		m.ident, m.identHost, m.idl = ident, firstOf(ident, p.hostLabels), idl
	}
	m.gen, m.anchored = c.gen, false
	if c.cache != nil {
		c.cache.usedGPUs++
	}
	return m
}

// anchor is a GPU's first answer at an instant (where its zeros are dated).
type anchor struct {
	a Answer
	m *gpuMemo
}

type gpuAt struct {
	gk string
	at int64
}

type gotKey struct {
	gpuAt
	has uint8
}

// hostOf is the machine behind an instance: its node_uname_info nodename,
// else the one machine name the other exporters on the same address give,
// else the address without its port.
func (c *answerCtx) hostOf(instance string) string {
	if h, ok := c.hosts[instance]; ok {
		return h
	}
	h := c.resolve(instance)
	if c.hosts != nil {
		c.hosts[instance] = h
	}
	return h
}

func (c *answerCtx) resolve(instance string) string {
	if c.names != nil {
		return c.names(instance)
	}
	if c.split[instance] {
		return instance
	}
	if n := c.nodes[instance]; n != "" {
		return n
	}
	h := hostPart(instance)
	if n := c.alias[h]; n != "" {
		return n
	}
	if n := c.known[instance]; n != "" {
		return n // named by an earlier answer: a poll that lacks the name keeps it
	}
	return h
}

func hostPart(instance string) string {
	if h, _, err := net.SplitHostPort(instance); err == nil {
		return h
	}
	return instance
}

// single is the instance's one service of the stack ("" for none or several).
func (c *answerCtx) single(stack, instance string) string { return c.models[stack][instance] }

// owns reports whether the instance has answers of the stack.
func (c *answerCtx) owns(stack, instance string) bool {
	_, ok := c.models[stack][instance]
	return ok
}

func metricOf(ls []sources.Label) *metric {
	m := &metric{labels: make([]lpair, len(ls))}
	for i, l := range ls {
		m.labels[i] = lpair{l.Name, l.Value}
	}
	return m
}

func gpuIndexKey(p *preset, ls []sources.Label) string {
	return string(appendGPUIndexKey(nil, p, ls))
}

func appendGPUIndexKey(b []byte, p *preset, ls []sources.Label) []byte {
	b = append(b, p.stack...)
	b = append(b, 0)
	b = append(b, sources.LabelValue(ls, sources.LabelInstance)...)
	if !p.hasIdent() {
		for _, n := range p.hostLabels {
			b = append(b, 0)
			b = append(b, sources.LabelValue(ls, n)...)
		}
	}
	for _, n := range p.gpuLabels() {
		b = append(b, 0)
		b = append(b, sources.LabelValue(ls, n)...)
	}
	return b
}

// gpuHost is the machine an answer's own host labels name, else (a GPU
// figure grouped by instance and index) its GPU identity's.
func (c *answerCtx) gpuHost(p *preset, ls []sources.Label) string {
	if h := firstOf(ls, p.hostLabels); h != "" || !p.hasIdent() {
		return h
	}
	return firstOf(c.gpus[gpuIndexKey(p, ls)], p.hostLabels)
}

// svcName is the service an answer of a service query belongs to, "" when
// the query's own rule says it is not its.
func (c *answerCtx) svcName(p *preset, q *query, m *metric) string {
	if q.service != nil {
		return q.service(c, m)
	}
	inst := label(m, sources.LabelInstance)
	sc := &c.sc
	sc.defSvc, sc.vllmModel, sc.tsModel = inst, c.single(StackVLLM, inst), c.single(StackTorchServe, inst)
	if sc.defSvc == "" {
		sc.defSvc = label(m, sources.LabelJob)
	}
	return sc.serviceOf(p.service, m)
}

// out is one canonical point being built.
type out struct {
	ser  sources.Series
	at   time.Time
	v    float64
	n    int
	agg  agg
	id   string // host/service/stack, for alternatives
	alt  string
	rank int
}

// decl is the outcomes one service's request rates can produce.
type decl struct {
	labels    []sources.Label
	at        time.Time
	outs      []string
	id, alt   string
	rank      int
	seenLabel string
}

// Points resolves every answer added and returns the canonical points.
func (t *Translation) Points() []sources.Point {
	c := &answerCtx{models: map[string]map[string]string{}, alias: map[string]string{}, nodes: t.nodes,
		gpus: t.GPUs, split: map[string]bool{}, names: t.Names, known: t.Known}
	if t.Cache != nil && t.Cache.mu.TryLock() {
		c.cache = t.Cache
		c.memos, c.gen = c.cache.gpus, c.cache.gen
		defer c.cache.done()
	} else {
		c.memos, c.gen = map[string]*gpuMemo{}, 1
	}
	if c.gpus == nil {
		c.gpus = map[string][]sources.Label{}
	}
	// Pass 1: machine names, GPU identities, each instance's services.
	names := map[string]map[string]bool{}
	note := func(inst, name string) {
		if inst == "" || name == "" {
			return
		}
		h := hostPart(inst)
		if names[h] == nil {
			names[h] = map[string]bool{}
		}
		names[h][name] = true
	}
	for inst, n := range t.nodes {
		note(inst, n)
	}
	var empty scrape
	noted := map[string]bool{}   // GPU instances named through their identities
	var masks map[string]float64 // GPU key → presence mask, from identity answers
	for k := range t.adds {
		ad := &t.adds[k]
		p, q := ad.q.p, ad.q.q
		for i, a := range ad.as {
			inst := sources.LabelValue(a.Labels, sources.LabelInstance)
			switch q.scope {
			case scopeGPU:
				if q.kind == qIdent {
					k := gpuIndexKey(p, a.Labels)
					c.gpus[k] = a.Labels
					if withSparse[p] {
						if masks == nil {
							masks = map[string]float64{}
						}
						masks[k] = a.Value
					}
				} else if p.hasIdent() && firstOf(a.Labels, p.hostLabels) == "" {
					// Named by its identity: once per instance is enough.
					if noted[inst] {
						continue
					}
					h := c.gpuHost(p, a.Labels)
					noted[inst] = h != ""
					note(inst, h)
					continue
				}
				note(inst, c.gpuHost(p, a.Labels))
			case scopeSvc:
				if q.service != nil {
					continue
				}
				svc := p.service(&empty, ad.metric(i))
				if svc == "" {
					continue
				}
				if c.models[p.stack] == nil {
					c.models[p.stack] = map[string]string{}
				}
				if prev, ok := c.models[p.stack][inst]; !ok {
					c.models[p.stack][inst] = svc
				} else if prev != svc {
					c.models[p.stack][inst] = ""
				}
			}
		}
	}
	// A GPU's presence mask rides among its identity's labels, kept with
	// them between identity polls.
	for k, m := range masks {
		ls := c.gpus[k]
		if ls == nil {
			continue
		}
		ls = slices.Clip(slices.DeleteFunc(slices.Clone(ls), func(l sources.Label) bool { return l.Name == hasLabel }))
		c.gpus[k] = append(ls, sources.Label{Name: hasLabel, Value: strconv.Itoa(int(m))})
	}
	for h, ns := range names {
		if len(ns) == 1 {
			for n := range ns {
				c.alias[h] = n
			}
		}
	}
	// Two instances on one machine serving the same service stay apart:
	// each is named by its address and port.
	byID := map[string]string{}
	for k := range t.adds {
		ad := &t.adds[k]
		p, q := ad.q.p, ad.q.q
		if q.scope != scopeSvc {
			continue
		}
		for i, a := range ad.as {
			inst := sources.LabelValue(a.Labels, sources.LabelInstance)
			if inst == "" || c.gpuHost(p, a.Labels) != "" || firstOf(a.Labels, hostCandidates) != "" {
				continue
			}
			svc := c.svcName(p, q, ad.metric(i))
			if svc == "" {
				continue
			}
			id := c.hostOf(inst) + "\x00" + svc + "\x00" + p.stack
			if prev, ok := byID[id]; !ok {
				byID[id] = inst
			} else if prev != inst {
				c.split[prev], c.split[inst] = true, true
			}
		}
	}
	// Names learned are kept (an instance's machine named by its alias or
	// node name, not by its bare address).
	if t.Known != nil && t.Names == nil {
		for _, ad := range t.adds {
			for _, a := range ad.as {
				inst := sources.LabelValue(a.Labels, sources.LabelInstance)
				if inst == "" || c.split[inst] {
					continue
				}
				if n := c.resolve(inst); n != hostPart(inst) {
					t.Known[inst] = n
				}
			}
		}
		for inst, n := range t.nodes {
			t.Known[inst] = n
		}
	}
	// Pass 2: canonical points (host names final from here on).
	n, nsvc, nsparse := 0, 0, 0
	for k := range t.adds {
		ad := &t.adds[k]
		n += len(ad.as)
		switch {
		case ad.q.q.scope == scopeSvc:
			nsvc += len(ad.as)
		case ad.q.q.has != 0:
			nsparse++
		}
	}
	c.hosts = make(map[string]string, len(t.nodes))
	type outKey struct {
		series string
		at     int64
		alt    string
		rank   int
	}
	outs := make(map[outKey]*out, nsvc)
	var order []*out
	decls := map[string]*decl{}
	var declOrder []*decl
	stacks := map[string]bool{}
	// Alternatives accumulate apart (one point each) until one is chosen.
	get := func(name string, ls []sources.Label, at time.Time, ag agg, id, alt string, rank int) *out {
		ser := sources.SeriesOf(name, sources.Gauge, ls)
		k := outKey{ser.Key(), at.UnixNano(), alt, rank}
		if o := outs[k]; o != nil {
			return o
		}
		o := &out{ser: ser, at: at, agg: ag, id: id, alt: alt, rank: rank}
		outs[k] = o
		order = append(order, o)
		return o
	}
	if nsparse > 0 {
		// The zeros inferred are points too: a GPU's each.
		n += nsparse * len(c.gpus)
		c.sparse = true
		c.anchor = make(map[gpuAt]anchor, len(c.gpus))
		c.got = map[gotKey]bool{}
	}
	// Room for the accumulated points too: the direct ones are not copied.
	t.direct = make([]sources.Point, 0, n+nsvc/2)
	for k := range t.adds {
		ad := &t.adds[k]
		for i := range ad.as {
			t.translate(c, ad, i, get, decls, &declOrder, stacks)
		}
	}
	if c.sparse {
		t.zeros(c, get, decls, &declOrder, stacks)
	}
	// Outcomes a stack's rule can produce are emitted as 0 where none was
	// counted (an absent error series is no error yet, not n/a).
	for _, d := range declOrder {
		for _, oc := range d.outs {
			ls := append(append([]sources.Label(nil), d.labels...), sources.Label{Name: sources.LabelOutcome, Value: oc})
			o := get(sources.SvcRequestRate, ls, d.at, aggSum, d.id, d.alt, d.rank)
			if o.n == 0 {
				o.n = 1
			}
		}
	}
	// Alternatives: per service and group, the lowest rank that answered.
	best := map[string]int{}
	for _, o := range order {
		if o.alt == "" || o.n == 0 {
			continue
		}
		k := o.alt + "\x00" + o.id
		if r, ok := best[k]; !ok || o.rank < r {
			best[k] = o.rank
		}
	}
	pts := slices.Grow(t.direct, len(order)+len(t.busy))
	t.direct = nil
	for _, b := range t.busy {
		if b.all > 0 && !bad(b.idle) && !bad(b.all) {
			pts = append(pts, sources.Point{Series: b.ser, At: b.at, Value: 1 - b.idle/b.all})
		}
	}
	t.busy = nil
	for _, o := range order {
		if o.n == 0 || bad(o.v) {
			continue
		}
		if o.alt != "" && best[o.alt+"\x00"+o.id] != o.rank {
			continue
		}
		v := o.v
		if o.ser.Name == sources.SvcRequestRate && v < 0 {
			v = 0 // a difference of two rates read a moment apart
		}
		pts = append(pts, sources.Point{Series: o.ser, At: o.at, Value: v})
	}
	t.stacks = t.stacks[:0]
	for s := range stacks {
		t.stacks = append(t.stacks, s)
	}
	sort.Strings(t.stacks)
	t.adds = nil
	t.last = c
	return pts
}

// HostOf is the host label the last Points gave what instance exports
// (the machine behind it); the address without its port before any Points.
// It is safe for concurrent use once Points has returned.
func (t *Translation) HostOf(instance string) string {
	if t.last == nil {
		return hostPart(instance)
	}
	return t.last.resolve(instance)
}

func firstOf(ls []sources.Label, names []string) string {
	for _, n := range names {
		if v := sources.LabelValue(ls, n); v != "" {
			return v
		}
	}
	return ""
}

var quantileOf = map[string]string{tagP50: "0.5", tagP95: "0.95", tagP99: "0.99", "0.5": "0.5", "0.95": "0.95", "0.99": "0.99"}

// translate maps one answer onto the point it adds to.
func (t *Translation) translate(c *answerCtx, ad *added, i int, get func(string, []sources.Label, time.Time, agg, string, string, int) *out,
	decls map[string]*decl, declOrder *[]*decl, stacks map[string]bool) {
	p, q := ad.q.p, ad.q.q
	a := ad.as[i]
	if q.kind == qIdent && q.to == "" {
		return
	}
	if c.sparse && q.has != 0 && q.scope == scopeGPU && !c.inferring {
		// Answered (a blank placeholder too): not taken for 0.
		gk := c.memo(p, a.Labels).gk
		c.got[gotKey{gpuAt{gk, a.At.UnixNano()}, q.has}] = true
		if c.cache != nil {
			c.cache.zs[zeroKey{gk, q.has}] = zeroNot
		}
	}
	v := a.Value
	if bad(v) || p.blank != nil && p.blank(kGauge, v) {
		return
	}
	var m *metric
	if q.skip != nil || q.scope == scopeSvc || q.outcome != nil || q.kindOf != nil {
		m = ad.metric(i)
	}
	if q.skip != nil && q.skip(c, m) {
		return
	}
	inst := sources.LabelValue(a.Labels, sources.LabelInstance)
	at := a.At
	if t.Stamp != nil {
		at = t.Stamp(inst, at)
	}
	var gk string // a GPU's key, its identity's
	var gm *gpuMemo
	var host string
	switch q.scope {
	case scopeGPU:
		gm = c.memo(p, a.Labels)
		gk = gm.gk
		if c.sparse && q.has == 0 {
			if at0 := a.At.UnixNano(); !gm.anchored || gm.anchorAt != at0 {
				if k := (gpuAt{gk, at0}); c.anchor[k].m == nil {
					c.anchor[k] = anchor{a, gm}
				}
				gm.anchored, gm.anchorAt = true, at0
			}
		}
		if host = firstOf(a.Labels, p.hostLabels); host == "" && p.hasIdent() {
			host = gm.identHost
		}
	case scopeSvc:
		host = firstOf(a.Labels, p.hostLabels)
	}
	if host == "" && q.scope != scopeGPU {
		host = firstOf(a.Labels, hostCandidates)
	}
	if host == "" {
		host = c.hostOf(inst)
	}
	if host == "" {
		host = sources.LabelValue(a.Labels, sources.LabelJob)
	}
	host = sources.Sanitize(host)
	// A GPU's or a host's gauge: the engine grouped by the labels that
	// make its canonical series, so the answer is the point, its series
	// as last time when its host and identity read the same.
	direct := q.scope != scopeSvc && q.alt == "" && (q.kind == qGauge || q.kind == qExpr)
	var idl []sources.Label
	var ck []byte
	if gm != nil {
		idl = gm.idl
	}
	if direct && c.cache != nil && gm != nil && len(q.keep) == 0 && p.gpuBy == nil {
		// The GPU's key holds its index labels: its figures' series
		// differ by query and host only.
		for _, x := range gm.sers {
			if x.q == q && x.host == host {
				t.direct = append(t.direct, sources.Point{Series: x.ser, At: at, Value: v * scaleOf(q)})
				stacks[p.stack] = true
				return
			}
		}
		ck = []byte{} // not nil: keep the series built below
	} else if direct && c.cache != nil {
		ck = c.cacheKey(q, gk, inst, a.Labels)
		if e := c.cache.m[string(ck)]; e != nil && e.host == host && slices.Equal(e.idl, idl) {
			e.gen = c.cache.gen
			c.cache.used++
			t.direct = append(t.direct, sources.Point{Series: e.ser, At: at, Value: v * scaleOf(q)})
			stacks[p.stack] = true
			return
		}
	}
	nl := 3 + len(q.set)/2 + len(q.keep)/2 // host; stack and service, or GPU and mig; outcome, kind or quantile
	if q.scope == scopeGPU {
		nl += 5 // its identity
	}
	ls := make([]sources.Label, 0, nl)
	ls = append(ls, sources.Label{Name: sources.LabelHost, Value: host})
	id := host
	switch q.scope {
	case scopeSvc:
		svc := c.svcName(p, q, m)
		if svc == "" {
			return
		}
		svc = sources.Sanitize(svc)
		ls = append(ls, sources.Label{Name: sources.LabelStack, Value: p.stack}, sources.Label{Name: sources.LabelService, Value: svc})
		id = host + "\x00" + svc + "\x00" + p.stack
		if names := operationLabels[p.stack]; names != nil {
			// The kind of call is part of the service's identity.
			op := operationName(firstOf(a.Labels, names))
			ls = appendLabel(ls, sources.LabelOperation, op)
			id += "\x00" + op
		}
	case scopeGPU:
		ls = appendLabel(ls, sources.LabelGPU, firstOf(a.Labels, gpuIndexLabels))
		ls = appendLabel(ls, "mig", sources.LabelValue(a.Labels, "GPU_I_ID"))
		if q.kind == qIdent {
			ls = append(ls, identLabels(a.Labels)...)
			break
		}
		// The identity comes from the GPU's identity answer: the other
		// answers group by host and index only, to stay small.
		ls = append(ls, idl...)
	}
	for i := 0; i+1 < len(q.set); i += 2 {
		ls = append(ls, sources.Label{Name: q.set[i], Value: q.set[i+1]})
	}
	for i := 0; i+1 < len(q.keep); i += 2 {
		ls = appendLabel(ls, q.keep[i+1], sources.LabelValue(a.Labels, q.keep[i]))
	}
	scale := q.scale
	if scale == 0 {
		scale = 1
	}
	stacks[p.stack] = true
	name := q.to
	ag := q.agg
	switch q.kind {
	case qDist, qMean, qDistQuantiles:
		fam := famOf[q.to]
		switch tg := sources.LabelValue(a.Labels, FigureLabel); tg {
		case tagP50, tagP95, tagP99, "0.5", "0.95", "0.99":
			ls = append(ls, sources.Label{Name: sources.LabelQuantile, Value: quantileOf[tg]})
			v *= scale
		case tagMean:
			name = fam[0]
			v *= scale
		case tagObs:
			name = fam[1]
		default:
			return
		}
		get(name, ls, at, aggMax, id, q.alt, q.rank).add(v)
		return
	case qRate:
		ag = aggSum
		if q.outcome != nil {
			oc := q.outcome(m)
			if oc == "" {
				return
			}
			key := q.alt + "\x00" + strconv.Itoa(q.rank) + "\x00" + id + "\x00" + strconv.FormatInt(at.UnixNano(), 10)
			d := decls[key]
			if d == nil {
				d = &decl{labels: append([]sources.Label(nil), ls...), at: at, id: id, alt: q.alt, rank: q.rank}
				decls[key] = d
				*declOrder = append(*declOrder, d)
			}
			for _, x := range q.outs {
				if !hasName(d.outs, x) {
					d.outs = append(d.outs, x)
				}
			}
			ls = append(ls, sources.Label{Name: sources.LabelOutcome, Value: oc})
			if q.minus != "" {
				ls2 := append([]sources.Label(nil), ls...)
				ls2[len(ls2)-1].Value = q.minus
				o := get(name, ls2, at, aggSum, id, q.alt, q.rank)
				o.v -= v * scale
				o.n++
			}
		}
		if q.kindOf != nil {
			k := q.kindOf(m)
			if k == "" {
				return
			}
			ls = append(ls, sources.Label{Name: sources.LabelKind, Value: k})
		}
	case qBusy:
		ser := sources.SeriesOf(name, sources.Gauge, ls)
		k := ser.Key() + "\x00" + strconv.FormatInt(at.UnixNano(), 10)
		if t.busy == nil {
			t.busy = map[string]*busyAcc{}
		}
		b := t.busy[k]
		if b == nil {
			b = &busyAcc{ser: ser, at: at}
			t.busy[k] = b
		}
		if sources.LabelValue(a.Labels, FigureLabel) == tagIdle {
			b.idle += v
		}
		b.all += v
		return
	case qGauge, qIdent, qExpr:
		if q.scope != scopeSvc {
			ag = aggMax
			if q.alt == "" {
				// A GPU's or a host's gauge: the engine grouped by the
				// labels that make its canonical series, so the answer is
				// the point.
				ser := sources.SeriesOf(name, sources.Gauge, ls)
				switch {
				case ck == nil:
				case len(ck) == 0: // a GPU's, kept with it
					gm.sers = slices.DeleteFunc(gm.sers, func(x qSeries) bool { return x.q == q })
					gm.sers = append(gm.sers, qSeries{q, host, ser})
				default:
					c.cache.put(ck, host, idl, ser)
				}
				t.direct = append(t.direct, sources.Point{Series: ser, At: at, Value: v * scale})
				return
			}
		}
	}
	get(name, ls, at, ag, id, q.alt, q.rank).add(v * scale)
}

// zeros adds the sparse figures (query.has) that did not answer: 0 for a
// GPU whose identity says it exports the family, at each instant another
// figure of the GPU is for; nothing (n/a) for a GPU that does not export
// it, and nothing where the sparse query's answer may be incomplete.
func (t *Translation) zeros(c *answerCtx, get func(string, []sources.Label, time.Time, agg, string, string, int) *out,
	decls map[string]*decl, declOrder *[]*decl, stacks map[string]bool) {
	var sparse []*added
	for k := range t.adds {
		if ad := &t.adds[k]; ad.q.q.has != 0 && !ad.partial {
			sparse = append(sparse, ad)
		}
	}
	if len(sparse) == 0 {
		return
	}
	zs := make([][]Answer, len(sparse))
	zc := c.cache
	if zc != nil && len(zc.zs) > 4*len(sparse)*len(c.anchor)+4096 {
		clear(zc.zs) // GPUs gone: their zeros are due again, no harm
	}
	for k, an := range c.anchor {
		a := an.a
		mask, err := strconv.Atoi(sources.LabelValue(an.m.ident, hasLabel))
		if err != nil || mask == 0 {
			continue
		}
		shard := -1
		for i, ad := range sparse {
			q := ad.q.q
			if mask&int(q.has) == 0 || c.got[gotKey{k, q.has}] || !strings.HasPrefix(k.gk, ad.q.p.stack+"\x00") {
				continue
			}
			if zc != nil {
				// Between polls a zero stays a zero: each GPU's is
				// translated again every zeroEvery-th poll, and at once
				// on its first and after a figure that was not 0.
				zk := zeroKey{k.gk, q.has}
				if st, ok := zc.zs[zk]; ok && st == zeroSent {
					if shard < 0 {
						shard = int(fnv32(k.gk) % zeroEvery)
					}
					if shard != int(zc.gen%zeroEvery) {
						continue
					}
				}
				zc.zs[zk] = zeroSent
			}
			zs[i] = append(zs[i], Answer{Labels: a.Labels, At: a.At})
		}
	}
	for i, ad := range sparse {
		if len(zs[i]) == 0 {
			continue
		}
		z := &added{q: ad.q, as: zs[i]}
		c.inferring = true
		for j := range z.as {
			t.translate(c, z, j, get, decls, declOrder, stacks)
		}
		c.inferring = false
	}
}

var gpuIndexLabels = []string{"gpu", "DeviceId"}

func scaleOf(q *query) float64 {
	if q.scale == 0 {
		return 1
	}
	return q.scale
}

// SeriesCache keeps the canonical series of GPU and host figures between
// the translations of a source's polls (Translation.Cache). It is safe
// for concurrent use: a translation that finds it in use goes without.
type SeriesCache struct {
	mu       sync.Mutex
	m        map[string]*cachedSeries // host figures' series, by query, instance and labels kept
	gpus     map[string]*gpuMemo      // GPUs by key, with their figures' series
	gen      uint32
	used     int
	usedGPUs int
	zs       map[zeroKey]uint8 // sparse figures: zeroSent or zeroNot
}

// zeroEvery: a sparse figure's zero (query.has) is translated for each
// GPU every zeroEvery-th poll of a cached translation (a share of the GPUs
// each poll), the poll after it was not 0, and on the GPU's first poll;
// the store shows the last one meanwhile (its lookback is minutes), as it
// does the GPU memory figures sharded over four polls.
const zeroEvery = 4

type zeroKey struct {
	gk  string
	has uint8
}

// States of a sparse figure in SeriesCache.zs.
const (
	zeroSent uint8 = iota + 1 // its last point was an inferred 0
	zeroNot                   // its last answer was not 0
)

func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

type cachedSeries struct {
	host string
	idl  []sources.Label
	ser  sources.Series
	gen  uint32
}

// NewSeriesCache returns an empty cache.
func NewSeriesCache() *SeriesCache {
	return &SeriesCache{m: map[string]*cachedSeries{}, gpus: map[string]*gpuMemo{}, zs: map[zeroKey]uint8{}}
}

func (sc *SeriesCache) put(k []byte, host string, idl []sources.Label, ser sources.Series) {
	sc.m[string(k)] = &cachedSeries{host: host, idl: idl, ser: ser, gen: sc.gen}
	sc.used++
}

// done ends a translation's use: series no figure used in the last few
// translations go once they outnumber those used.
func (sc *SeriesCache) done() {
	if len(sc.m) > 2*sc.used+4096 {
		for k, e := range sc.m {
			if sc.gen-e.gen > 8 {
				delete(sc.m, k)
			}
		}
	}
	if len(sc.gpus) > 2*sc.usedGPUs+1024 {
		for k, m := range sc.gpus {
			if sc.gen-m.gen > 8 {
				delete(sc.gpus, k)
			}
		}
	}
	sc.gen++
	sc.used, sc.usedGPUs = 0, 0
	sc.mu.Unlock()
}

// queryIDs number the presets' queries, for the cache's keys.
var queryIDs = map[*query]int{}

func init() {
	for _, p := range presets {
		for i := range p.queries {
			queryIDs[&p.queries[i]] = len(queryIDs)
		}
	}
}

// cacheKey is what a GPU or host figure's canonical series depends on
// besides its host and identity: the query, the GPU's key or the
// instance, the GPU's index labels, the labels kept.
func (c *answerCtx) cacheKey(q *query, gk, inst string, ls []sources.Label) []byte {
	b := strconv.AppendInt(c.kb[:0], int64(queryIDs[q]), 10)
	b = append(b, 0)
	if gk != "" {
		b = append(b, gk...)
		for _, n := range gpuIndexLabels {
			b = append(b, 0)
			b = append(b, sources.LabelValue(ls, n)...)
		}
		b = append(b, 0)
		b = append(b, sources.LabelValue(ls, "GPU_I_ID")...)
	} else {
		b = append(b, inst...)
	}
	for i := 0; i+1 < len(q.keep); i += 2 {
		b = append(b, 0)
		b = append(b, sources.LabelValue(ls, q.keep[i])...)
	}
	c.kb = b
	return b
}

// identLabels are the canonical labels of a GPU's identity.
func identLabels(ident []sources.Label) []sources.Label {
	var ls []sources.Label
	ls = appendLabel(ls, sources.LabelUUID, firstOf(ident, []string{"UUID", "uuid", "gpu_uuid"}))
	ls = appendLabel(ls, sources.LabelModel, firstOf(ident, []string{"modelName", "model_name"}))
	ls = appendLabel(ls, "namespace", sources.LabelValue(ident, "namespace"))
	ls = appendLabel(ls, "pod", sources.LabelValue(ident, "pod"))
	ls = appendLabel(ls, "container", sources.LabelValue(ident, "container"))
	return ls
}

func (o *out) add(v float64) {
	switch {
	case o.n == 0:
		o.v = v
	case o.agg == aggMax:
		o.v = math.Max(o.v, v)
	default:
		o.v += v
	}
	o.n++
}
