package prom

import (
	"hash/maphash"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// scrape is the state of translating one exposition.
type scrape struct {
	t       Target
	now     time.Time
	st      *Stats
	byName  map[string]*family // normalised name → family, duplicates removed
	prefix  map[string]bool    // stacks recognised by name prefix
	emitted map[string]bool    // stacks that produced a signal
	defHost string             // Target.Host, else the target's host:port
	defSvc  string             // Target.Service, else the target's host:port

	nodeHost  string // node_uname_info's nodename
	vllmModel string // the one model_name of the vllm: families ("" for none or several)
	vllmHTTP  bool   // vLLM's error basis is its HTTP status counts
	tsModel   string // TorchServe's one model_name ("" for none or several)

	serverSvcs map[string]bool // OpenTelemetry services with server-side durations

	accs  map[string]*acc
	order []*acc
	outs  map[string]*svcOuts // service identity → outcomes its request counters can produce
	souts []*svcOuts
	kb    []byte
	ls    []sources.Label
	ks    []sources.Label // sorted copy for keys
}

type svcOuts struct {
	labels []sources.Label // host, stack, service and, where the stack has one, operation
	outs   []string
}

// acc accumulates the source samples that land on one canonical series.
type acc struct {
	ser     sources.Series
	kind    sigKind
	agg     agg
	v       float64
	n       int
	invalid bool

	bounds, counts   []float64
	count, sum       float64
	hasCount, hasSum bool
	exemplars        []sources.Exemplar
}

var seed = maphash.MakeSeed()

func newScrape(fams []*family, t Target, now time.Time, st *Stats) *scrape {
	sc := &scrape{t: t, now: now, st: st, byName: make(map[string]*family, len(fams)),
		prefix: map[string]bool{}, emitted: map[string]bool{}, accs: map[string]*acc{}, outs: map[string]*svcOuts{}}
	sc.defHost = t.Host
	if sc.defHost == "" {
		sc.defHost = t.hostPort()
	}
	sc.defSvc = t.Service
	if sc.defSvc == "" {
		sc.defSvc = t.hostPort()
	}
	names := make(map[string]bool, len(fams))
	for _, mf := range fams {
		names[mf.name] = true
	}
	seen := map[uint64]int{}
	for _, mf := range fams {
		name := mf.name
		if base, ok := strings.CutSuffix(name, "_created"); ok && (names[base] || names[base+"_total"]) {
			st.Created++
			continue
		}
		st.Families++
		mf.metrics = dedupe(mf.metrics, seen, st)
		st.Series += len(mf.metrics)
		n := normName(name)
		if prev := sc.byName[n]; prev != nil {
			// The same family twice (dotted and underscored spellings): keep both.
			prev.metrics = append(prev.metrics, mf.metrics...)
			continue
		}
		sc.byName[n] = mf
		for _, p := range presets {
			if !sc.prefix[p.stack] && p.recognises(n) {
				sc.prefix[p.stack] = true
			}
		}
	}
	if mf := sc.byName["node_uname_info"]; mf != nil && len(mf.metrics) > 0 {
		sc.nodeHost = sources.Sanitize(label(mf.metrics[0], "nodename"))
	}
	sc.vllmModel = singleLabel(sc.byName, "vllm:", "model_name")
	if sc.prefix["vllm"] && sc.vllmModel != "" {
		if mf := sc.byName["http_requests_total"]; mf != nil {
			for _, m := range mf.metrics {
				if label(m, "service") == "" && !excludedHandler(m) {
					sc.vllmHTTP = true
					break
				}
			}
		}
	}
	if mf := sc.byName["ts_inference_requests_total"]; mf != nil {
		sc.tsModel = oneValue(mf.metrics, "model_name")
	}
	return sc
}

// dedupe keeps the last of samples with identical label sets.
func dedupe(ms []*metric, seen map[uint64]int, st *Stats) []*metric {
	if len(ms) < 2 {
		return ms
	}
	clear(seen)
	out := ms[:0]
	var h maphash.Hash
	for _, m := range ms {
		h.SetSeed(seed)
		for _, l := range m.labels {
			h.WriteString(l.name)
			h.WriteByte(0)
			h.WriteString(l.value)
			h.WriteByte(0)
		}
		k := h.Sum64()
		if i, dup := seen[k]; dup && sameLabels(out[i], m) {
			out[i] = m
			st.Dropped++
			continue
		}
		seen[k] = len(out)
		out = append(out, m)
	}
	return out
}

func sameLabels(a, b *metric) bool {
	return equalPairs(a.labels, b.labels)
}

// singleLabel is the one value of label across the families whose names
// start with prefix, or "" when there is none or more than one.
func singleLabel(byName map[string]*family, prefix, name string) string {
	v := ""
	for n, mf := range byName {
		if !strings.HasPrefix(n, prefix) {
			continue
		}
		for _, m := range mf.metrics {
			x := label(m, name)
			if x == "" {
				continue
			}
			if v != "" && x != v {
				return ""
			}
			v = x
		}
	}
	return sources.Sanitize(v)
}

func oneValue(ms []*metric, name string) string {
	v := ""
	for _, m := range ms {
		x := label(m, name)
		if x == "" {
			continue
		}
		if v != "" && x != v {
			return ""
		}
		v = x
	}
	return sources.Sanitize(v)
}

// translate runs every preset over the families and appends the canonical
// signals to f.
func (sc *scrape) translate(f *sources.Frame) {
	for _, p := range presets {
		for i := range p.rules {
			r := &p.rules[i]
			if r.when != nil && !r.when(sc) {
				continue
			}
			var mf *family
			for _, n := range r.from {
				if mf = sc.byName[n]; mf != nil {
					break
				}
			}
			if mf == nil {
				continue
			}
			for _, m := range mf.metrics {
				sc.apply(p, r, m)
			}
		}
	}
	sc.fillOutcomes()
	sc.emit(f)
	stacks := make([]string, 0, len(sc.prefix)+len(sc.emitted))
	for s := range sc.prefix {
		if s != "http" {
			stacks = append(stacks, s)
		}
	}
	for s := range sc.emitted {
		if !sc.prefix[s] || s == "http" {
			stacks = append(stacks, s)
		}
	}
	sort.Strings(stacks)
	sc.st.Stacks = stacks
}

func (sc *scrape) apply(p *preset, r *rule, m *metric) {
	if r.skip != nil && r.skip(sc, m) {
		return
	}
	get := func(n string) string { return label(m, n) }
	ls := sc.ls[:0]
	host := ""
	if r.scope == scopeHost {
		host = sc.nodeHost
	} else {
		host = firstLabel(m, p.hostLabels...)
	}
	if host == "" {
		host = sc.defHost
	}
	ls = append(ls, sources.Label{Name: sources.LabelHost, Value: sources.Sanitize(host)})
	switch r.scope {
	case scopeSvc:
		ls = append(ls, sources.Label{Name: sources.LabelStack, Value: p.stack})
		fn := p.service
		if r.service != nil {
			fn = r.service
		}
		ls = append(ls, sources.Label{Name: sources.LabelService, Value: sc.serviceOf(fn, m)})
		if names := operationLabels[p.stack]; names != nil {
			ls = appendLabel(ls, sources.LabelOperation, operationName(firstLabel(m, names...)))
		}
	case scopeGPU:
		ls = appendLabel(ls, sources.LabelGPU, firstLabel(m, "gpu", "DeviceId"))
		ls = appendLabel(ls, sources.LabelUUID, firstLabel(m, "UUID", "uuid", "gpu_uuid"))
		ls = appendLabel(ls, sources.LabelModel, firstLabel(m, "modelName", "model_name"))
		ls = appendLabel(ls, "mig", label(m, "GPU_I_ID"))
		ls = appendLabel(ls, "namespace", label(m, "namespace"))
		ls = appendLabel(ls, "pod", label(m, "pod"))
		ls = appendLabel(ls, "container", label(m, "container"))
	}
	idn := len(ls) // the labels that identify the service (or GPU, or host)
	for i := 0; i+1 < len(r.set); i += 2 {
		ls = append(ls, sources.Label{Name: r.set[i], Value: r.set[i+1]})
	}
	for i := 0; i+1 < len(r.keep); i += 2 {
		ls = appendLabel(ls, r.keep[i+1], get(r.keep[i]))
	}
	var out string
	if r.outcome != nil {
		out = r.outcome(m)
		if out == "" {
			sc.ls = ls
			return
		}
		ls = append(ls, sources.Label{Name: sources.LabelOutcome, Value: out})
	}
	if r.kindOf != nil {
		k := r.kindOf(m)
		if k == "" {
			sc.ls = ls
			return
		}
		ls = append(ls, sources.Label{Name: sources.LabelKind, Value: k})
	}
	scale := r.scale
	if scale == 0 {
		scale = 1
	}
	sc.emitted[p.stack] = true
	if r.outcome != nil {
		sc.declareOutcomes(ls[:idn], r.outs)
	}

	switch r.kind {
	case kGauge, kCounter:
		if !m.hasValue {
			sc.ls = ls
			return
		}
		v := m.value
		a := sc.accFor(r.to, r.kind, r.agg, ls)
		if m.ex != nil {
			a.exemplars = appendExemplar(a.exemplars, m.ex, sc.now)
		}
		if bad(v) || p.blank != nil && p.blank(r.kind, v) {
			sc.st.Dropped++
			if r.agg == aggSum {
				a.invalid = true
			}
			break
		}
		v *= scale
		if r.minus != "" {
			// The same samples are taken away from another outcome (Ray and
			// SGLang count all requests, and errors or aborts apart).
			ls2 := make([]sources.Label, len(ls))
			copy(ls2, ls)
			for i := range ls2 {
				if ls2[i].Name == sources.LabelOutcome {
					ls2[i].Value = r.minus
				}
			}
			b := sc.accFor(r.to, r.kind, aggSum, ls2)
			b.v -= v
			b.n++
		}
		a.add(v)
	case kHist, kHistSum, kHistCount:
		if m.summ != nil && r.kind == kHist {
			if r.summaryTo != "" {
				sc.summary(r, m, ls, scale)
			}
			break
		}
		h := m.hist
		if h == nil {
			break
		}
		count := h.count
		if !h.hasCount {
			count = math.NaN() // taken from the +Inf bucket
		}
		switch r.kind {
		case kHistSum:
			a := sc.accFor(r.to, kCounter, aggSum, ls)
			if !h.hasSum || bad(h.sum) {
				a.invalid = true
				break
			}
			a.add(h.sum * scale)
		case kHistCount:
			a := sc.accFor(r.to, kCounter, aggSum, ls)
			if bad(count) {
				a.invalid = true
				break
			}
			a.add(count)
		default:
			a := sc.accFor(r.to, kHist, aggSum, ls)
			sc.addHist(a, h, count, scale)
		}
	case kMeanSum, kMeanCount:
		v := m.value
		if !m.hasValue || bad(v) {
			sc.st.Dropped++
			break
		}
		a := sc.accFor(r.to, kHist, aggSum, ls)
		if r.kind == kMeanSum {
			a.sum += v * scale
			a.hasSum = true
		} else {
			a.count += v
			a.hasCount = true
		}
	}
	sc.ls = ls[:0]
}

// serviceOf names m's service with fn, falling back to the target.
func (sc *scrape) serviceOf(fn func(*scrape, *metric) string, m *metric) string {
	svc := ""
	if fn != nil {
		svc = fn(sc, m)
	}
	if svc == "" {
		svc = sc.defSvc
	}
	return sources.Sanitize(svc)
}

func appendLabel(ls []sources.Label, name, v string) []sources.Label {
	if v == "" {
		return ls
	}
	return append(ls, sources.Label{Name: name, Value: sources.Sanitize(v)})
}

func (a *acc) add(v float64) {
	switch {
	case a.n == 0:
		a.v = v
	case a.agg == aggMax:
		a.v = math.Max(a.v, v)
	default:
		a.v += v
	}
	a.n++
}

// accFor finds or creates the accumulator of the canonical series name{ls}.
func (sc *scrape) accFor(name string, kind sigKind, ag agg, ls []sources.Label) *acc {
	ks := append(sc.ks[:0], ls...)
	sortLabels(ks)
	sc.ks = ks
	kb := append(sc.kb[:0], name...)
	for _, l := range ks {
		kb = append(kb, 0)
		kb = append(kb, l.Name...)
		kb = append(kb, 0)
		kb = append(kb, l.Value...)
	}
	sc.kb = kb
	if a := sc.accs[string(kb)]; a != nil {
		return a
	}
	sk := sources.Gauge
	if kind == kCounter {
		sk = sources.Counter
	}
	a := &acc{ser: sources.SeriesOf(name, sk, append([]sources.Label(nil), ks...)), kind: kind, agg: ag}
	sc.accs[string(kb)] = a
	sc.order = append(sc.order, a)
	return a
}

func sortLabels(ls []sources.Label) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Name < ls[j-1].Name; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

func (sc *scrape) summary(r *rule, m *metric, ls []sources.Label, scale float64) {
	n := len(ls)
	for _, q := range m.summ.q {
		v := q.v
		if bad(v) || bad(q.q) {
			continue // an empty summary window reports NaN
		}
		ls = append(ls[:n], sources.Label{Name: sources.LabelQuantile, Value: strconv.FormatFloat(q.q, 'g', -1, 64)})
		a := sc.accFor(r.summaryTo, kGauge, aggMax, ls)
		a.add(v * scale)
	}
}

// addHist adds a cumulative histogram into a, scaling its bounds and sum.
func (sc *scrape) addHist(a *acc, h *histo, count, scale float64) {
	tmp := make([]bucket, 0, len(h.buckets)+1)
	for _, b := range h.buckets {
		ub := b.ub
		if math.IsNaN(ub) || bad(b.c) || b.c < 0 {
			sc.st.Dropped++
			a.invalid = true
			return
		}
		if !math.IsInf(ub, 0) {
			ub *= scale
		}
		tmp = append(tmp, bucket{ub: ub, c: b.c})
		if b.ex != nil {
			a.exemplars = appendExemplar(a.exemplars, b.ex, sc.now)
		}
	}
	for _, e := range h.ex {
		a.exemplars = appendExemplar(a.exemplars, e, sc.now)
	}
	if !sort.SliceIsSorted(tmp, func(i, j int) bool { return tmp[i].ub < tmp[j].ub }) {
		sort.SliceStable(tmp, func(i, j int) bool { return tmp[i].ub < tmp[j].ub })
	}
	// Duplicate bounds (a series repeated in the exposition): keep the last.
	w := 0
	for i := range tmp {
		if w > 0 && tmp[w-1].ub == tmp[i].ub {
			tmp[w-1] = tmp[i]
			continue
		}
		tmp[w] = tmp[i]
		w++
	}
	tmp = tmp[:w]
	if len(tmp) == 0 && bad(count) {
		a.invalid = true
		return
	}
	if len(tmp) == 0 || !math.IsInf(tmp[len(tmp)-1].ub, 1) {
		// No +Inf bucket: the count is its population.
		c := count
		if bad(c) {
			c = tmp[len(tmp)-1].c
		}
		tmp = append(tmp, bucket{ub: math.Inf(1), c: c})
	}
	if bad(count) {
		count = tmp[len(tmp)-1].c
	}
	sum := h.sum * scale
	if a.bounds == nil && !a.hasCount {
		a.bounds = make([]float64, len(tmp))
		a.counts = make([]float64, len(tmp))
		prev := 0.0
		for i, b := range tmp {
			a.bounds[i] = b.ub
			a.counts[i] = math.Max(b.c, prev) // cumulative counts never decrease
			prev = a.counts[i]
		}
		a.count, a.sum, a.hasCount, a.hasSum = count, sum, true, true
		return
	}
	if len(a.bounds) != len(tmp) {
		sc.st.Conflicts++
		return
	}
	for i, b := range tmp {
		if a.bounds[i] != b.ub {
			sc.st.Conflicts++
			return
		}
	}
	prev := 0.0
	for i, b := range tmp {
		c := math.Max(b.c, prev)
		prev = c
		a.counts[i] += c
	}
	a.count += count
	a.sum += sum
}

func appendExemplar(dst []sources.Exemplar, e *exemplar, now time.Time) []sources.Exemplar {
	x := sources.Exemplar{At: now, Value: e.value}
	if !e.at.IsZero() {
		x.At = e.at
	}
	for _, l := range e.labels {
		v := sources.Sanitize(l.value)
		switch l.name {
		case "trace_id", "traceID", "traceId", "trace.id":
			x.TraceID = v
		case "span_id", "spanID", "spanId", "span.id":
			x.SpanID = v
		default:
			x.Labels = append(x.Labels, sources.Label{Name: sources.Sanitize(l.name), Value: v})
		}
	}
	return append(dst, x)
}

// declareOutcomes notes which outcomes a service's request counters can
// produce, so that each is emitted (as 0 when the exporter printed none):
// an absent 5xx series means no 5xx yet, and the error rate needs it as 0.
func (sc *scrape) declareOutcomes(id []sources.Label, outs []string) {
	kb := sc.kb[:0]
	for _, l := range id {
		kb = append(kb, l.Name...)
		kb = append(kb, 0)
		kb = append(kb, l.Value...)
		kb = append(kb, 0)
	}
	sc.kb = kb
	so := sc.outs[string(kb)]
	if so == nil {
		so = &svcOuts{labels: append([]sources.Label(nil), id...)}
		sc.outs[string(kb)] = so
		sc.souts = append(sc.souts, so)
	}
	for _, o := range outs {
		found := false
		for _, x := range so.outs {
			if x == o {
				found = true
				break
			}
		}
		if !found {
			so.outs = append(so.outs, o)
		}
	}
}

func (sc *scrape) fillOutcomes() {
	for _, so := range sc.souts {
		for _, o := range so.outs {
			ls := append(append(sc.ls[:0], so.labels...), sources.Label{Name: sources.LabelOutcome, Value: o})
			a := sc.accFor(sources.SvcRequests, kCounter, aggSum, ls)
			if a.n == 0 {
				a.n = 1 // present, zero
			}
			sc.ls = ls[:0]
		}
	}
}

func (sc *scrape) emit(f *sources.Frame) {
	for _, a := range sc.order {
		if a.invalid {
			continue
		}
		switch a.kind {
		case kGauge, kCounter:
			if a.n == 0 {
				continue
			}
			v := a.v
			if a.kind == kCounter && v < 0 {
				v = 0 // a difference of two counters read a moment apart
			}
			f.Points = append(f.Points, sources.Point{Series: a.ser, At: sc.now, Value: v})
		case kHist:
			if !a.hasCount || !a.hasSum {
				continue
			}
			h := sources.Histogram{Series: a.ser, At: sc.now, Count: a.count, Sum: a.sum}
			if a.bounds == nil {
				// Only a sum and a count (Triton, TorchServe): the mean is
				// all there is; one +Inf bucket keeps quantiles n/a.
				h.Buckets = []sources.Bucket{{UpperBound: math.Inf(1), Count: a.count}}
			} else {
				h.Buckets = make([]sources.Bucket, len(a.bounds))
				for i := range a.bounds {
					h.Buckets[i] = sources.Bucket{UpperBound: a.bounds[i], Count: a.counts[i]}
				}
			}
			f.Histograms = append(f.Histograms, h)
		}
		for _, e := range a.exemplars {
			e.Series = a.ser
			f.Exemplars = append(f.Exemplars, e)
		}
	}
}
