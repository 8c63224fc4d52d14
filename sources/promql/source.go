package promql

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
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
	// TargetUp is Prometheus' up{} per scrape target: 1 up, 0 down; labels
	// host (the instance) and job.
	TargetUp = "prom_target_up"
)

// Panel is a user panel defined by PromQL in the config.
type Panel struct {
	Name string `yaml:"name"` // shown as the panel's title
	Expr string `yaml:"expr"` // an instant PromQL expression
	Unit string `yaml:"unit"` // display unit ("s", "bytes", "ratio", "req/s", ...)
}

// stackSelectors are the metric-name regexes whose raw series each stack's
// preset in package prom reads (prom.presets' "from" families, with their
// _bucket/_sum/_count series). TestSelectorsCoverPresets checks, on every
// fixture of package prom, that the series they select translate exactly
// as the whole exposition does.
var stackSelectors = map[string]string{
	prom.StackVLLM:       `vllm:.+`,
	prom.StackTGI:        `tgi_.+`,
	prom.StackSGLang:     `sglang:.+`,
	prom.StackTriton:     `nv_(inference|trt_llm|gpu|energy)_.+`,
	prom.StackTorchServe: `ts_(inference|queue)_.+|Requests[245]XX(_total)?|GPUUtilization|GPUMemoryUsed|WorkerThreadTime|QueueTime`,
	prom.StackRayServe:   `ray_serve_.+`,
	prom.StackDCGM:       `DCGM_FI_.+`,
	prom.StackNode: `node_cpu_seconds_total|node_load(1|5|15)|node_memory_(MemTotal|MemAvailable)_bytes|node_filesystem_(size|avail)_bytes` +
		`|node_boot_time_seconds|node_time_seconds|node_network_(receive|transmit)_bytes_total|node_disk_(read|written)_bytes_total|node_uname_info`,
	prom.StackOTelGenAI: `gen_ai[._].+`,
	prom.StackHTTP:      `http_requests_total|http_request_duration_seconds_(bucket|sum|count)`,
}

// ExemplarQuery selects the latency histograms whose exemplars link to traces.
const ExemplarQuery = `{__name__=~"vllm:e2e_request_latency_seconds_bucket|vllm:time_to_first_token_seconds_bucket|sglang:e2e_request_latency_seconds_bucket|tgi_request_duration_bucket|http_request_duration_seconds_bucket|ray_serve_http_request_latency_ms_bucket|gen_ai_(server_request|client_operation)_duration_seconds_bucket"}`

// PresetQuery is the built-in PromQL that fetches the raw series of the
// given stacks (nil: every stack): one selector on the metric name, plus up.
func PresetQuery(stacks []string) string {
	if stacks == nil {
		stacks = prom.Stacks()
	}
	var parts []string
	for _, s := range stacks {
		if re, ok := stackSelectors[s]; ok {
			parts = append(parts, re)
		}
	}
	sort.Strings(parts)
	return `{__name__=~"` + strings.Join(append(parts, "up"), "|") + `"}`
}

// Source is the query-mode poller: every interval it runs the preset query
// and the user's panels and emits canonical signals, keyed by host (the
// instance label, or the Hostname the data names, as in scrape mode).
type Source struct {
	c     *Client
	name  string
	query string

	mu   sync.Mutex
	last map[string]time.Time // per job/instance: the newest sample time already emitted
}

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
	return &Source{c: c, name: name, query: PresetQuery(cfg.Stacks), last: map[string]time.Time{}}, nil
}

// Client is the source's API client (for alerts, rules, exemplars).
func (s *Source) Client() *Client { return s.c }

// Name is the source's name in health reports.
func (s *Source) Name() string { return s.name }

// Interval is how often the source polls.
func (s *Source) Interval() time.Duration { return s.c.cfg.Interval }

// Timeout bounds one poll: every try of every request, and the backoff.
func (s *Source) Timeout() time.Duration {
	n := time.Duration(s.c.cfg.Retries + 1)
	return n*s.c.cfg.Timeout + (1<<n)*s.c.cfg.Backoff
}

// Poll runs the preset query and the panels once.
func (s *Source) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	start := time.Now()
	h := &sources.Health{Source: s.name, Kind: "prom", Target: s.c.target, Interval: s.c.cfg.Interval}
	f := sources.Frame{Source: s.name, At: now, Health: h}
	type panelRes struct {
		rs  []Result
		err error
	}
	panels := make([]panelRes, len(s.c.cfg.Panels))
	var wg sync.WaitGroup
	for i, p := range s.c.cfg.Panels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rs, err := s.c.Query(ctx, p.Expr, time.Time{})
			panels[i] = panelRes{rs, err}
		}()
	}
	var exs []sources.Exemplar
	if s.c.cfg.Exemplars {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Best effort: a server without exemplar storage answers empty.
			exs, _ = s.c.QueryExemplars(ctx, ExemplarQuery, now.Add(-s.c.cfg.Interval), now)
		}()
	}
	rs, err := s.c.Query(ctx, s.query, time.Time{})
	wg.Wait()
	for i := range exs {
		if inst := exs[i].Series.Label("instance"); inst != "" {
			exs[i].Labels = append(exs[i].Labels, sources.Label{Name: sources.LabelHost, Value: inst})
		}
	}
	f.Exemplars = append(f.Exemplars, exs...)
	h.Duration = time.Since(start)
	if err != nil {
		return f, err
	}
	stacks := s.translate(&f, rs)
	h.Series = len(rs)
	h.Detail = strings.Join(stacks, ",")
	var perr []string
	for i, p := range s.c.cfg.Panels {
		if panels[i].err != nil {
			perr = append(perr, fmt.Sprintf("panel %s: %v", sources.OneLine(p.Name), panels[i].err))
			continue
		}
		PanelPoints(&f, p, panels[i].rs, s.c.cfg.TopK, now)
	}
	if len(perr) > 0 {
		return f, fmt.Errorf("%s", strings.Join(perr, "; "))
	}
	return f, nil
}

// group is the raw series of one scrape target (job, instance).
type group struct {
	job, instance string
	at            time.Time
	rs            []Result
}

// translate groups the raw series by target, renders each target's series
// as an exposition and reads it with prom.Parse, stamped with the target's
// newest sample time. Targets whose data did not move since the last poll
// are skipped, so a slow Prometheus scrape never repeats a snapshot.
func (s *Source) translate(f *sources.Frame, rs []Result) []string {
	groups := map[string]*group{}
	var keys []string
	for _, r := range rs {
		if len(r.Samples) == 0 {
			continue
		}
		inst, job := r.Labels["instance"], r.Labels["job"]
		if r.Name() == "up" {
			f.Points = append(f.Points, sources.Point{
				Series: sources.NewSeries(TargetUp, sources.Gauge, sources.LabelHost, sources.Sanitize(inst), "job", sources.Sanitize(job)),
				At:     r.Samples[0].At, Value: r.Samples[0].Value})
			continue
		}
		k := job + "\x00" + inst
		g := groups[k]
		if g == nil {
			g = &group{job: job, instance: inst}
			groups[k] = g
			keys = append(keys, k)
		}
		g.rs = append(g.rs, r)
		if at := r.Samples[0].At; at.After(g.at) {
			g.at = at
		}
	}
	sort.Strings(keys)
	seen := map[string]bool{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range keys {
		g := groups[k]
		if !g.at.After(s.last[k]) {
			continue
		}
		s.last[k] = g.at
		body := Render(g.rs)
		t := prom.Target{URL: "http://" + g.instance + "/metrics"}
		if g.instance == "" {
			t = prom.Target{URL: "", Host: g.job, Service: g.job}
		}
		pf, st, _ := prom.Parse(body, "text/plain; version=0.0.4", t, g.at)
		f.Points = append(f.Points, pf.Points...)
		f.Histograms = append(f.Histograms, pf.Histograms...)
		f.Exemplars = append(f.Exemplars, pf.Exemplars...)
		for _, x := range st.Stacks {
			seen[x] = true
		}
	}
	// Forget targets gone for an hour, so that fleet churn cannot grow the map.
	var newest time.Time
	for _, t := range s.last {
		if t.After(newest) {
			newest = t
		}
	}
	for k, t := range s.last {
		if newest.Sub(t) > time.Hour {
			delete(s.last, k)
		}
	}
	out := make([]string, 0, len(seen))
	for x := range seen {
		out = append(out, x)
	}
	sort.Strings(out)
	return out
}

// Render writes raw series of one target as a text 0.0.4 exposition. The
// target labels Prometheus adds (job, instance) are dropped and the
// exported_ ones it renamed on collision are restored, so the exposition
// reads as the target served it. Histogram and summary families are typed
// from their le and quantile labels; everything else is untyped.
func Render(rs []Result) []byte {
	type fam struct {
		typ   string
		lines []string
	}
	base := map[string]string{} // series name → family name
	typ := map[string]string{}
	for _, r := range rs {
		n := r.Name()
		if b, ok := strings.CutSuffix(n, "_bucket"); ok && r.Labels["le"] != "" {
			typ[b] = "histogram"
			base[n] = b
		} else if r.Labels["quantile"] != "" {
			typ[n] = "summary"
		}
	}
	for _, r := range rs {
		n := r.Name()
		if _, ok := base[n]; ok {
			continue
		}
		base[n] = n
		for _, suf := range []string{"_sum", "_count"} {
			if b, ok := strings.CutSuffix(n, suf); ok && typ[b] != "" {
				base[n] = b
			}
		}
	}
	fams := map[string]*fam{}
	var names []string
	var sb strings.Builder
	for _, r := range rs {
		n := r.Name()
		if n == "" || len(r.Samples) == 0 {
			continue
		}
		b := base[n]
		fm := fams[b]
		if fm == nil {
			fm = &fam{typ: typ[b]}
			fams[b] = fm
			names = append(names, b)
		}
		sb.Reset()
		writeSeries(&sb, n, r.Labels)
		sb.WriteByte(' ')
		sb.WriteString(strconv.FormatFloat(r.Samples[len(r.Samples)-1].Value, 'g', -1, 64))
		fm.lines = append(fm.lines, sb.String())
	}
	sort.Strings(names)
	var out strings.Builder
	for _, n := range names {
		fm := fams[n]
		if fm.typ != "" {
			out.WriteString("# TYPE ")
			writeName(&out, n)
			out.WriteString(" " + fm.typ + "\n")
		}
		sort.Strings(fm.lines)
		for _, l := range fm.lines {
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	return []byte(out.String())
}

func legacyName(s string, label bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || (!label && c == ':') || i > 0 && c >= '0' && c <= '9'
		if !ok {
			return false
		}
	}
	return true
}

func writeName(b *strings.Builder, n string) {
	if legacyName(n, false) {
		b.WriteString(n)
		return
	}
	b.WriteString(strconv.Quote(n))
}

var escaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func writeSeries(b *strings.Builder, name string, ls map[string]string) {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		switch k {
		case "__name__", "job", "instance":
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	quotedName := !legacyName(name, false)
	if !quotedName {
		b.WriteString(name)
	}
	b.WriteByte('{')
	first := true
	if quotedName {
		b.WriteString(`"` + escaper.Replace(name) + `"`)
		first = false
	}
	for _, k := range keys {
		name := k
		if x, ok := strings.CutPrefix(k, "exported_"); ok && (x == "job" || x == "instance") {
			name = x
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		if legacyName(name, true) {
			b.WriteString(name)
		} else {
			b.WriteString(`"` + escaper.Replace(name) + `"`)
		}
		b.WriteString(`="`)
		b.WriteString(escaper.Replace(ls[k]))
		b.WriteByte('"')
	}
	b.WriteByte('}')
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
		for k, v := range x.r.Labels {
			if k == "panel" || k == "unit" {
				k = "exported_" + k
			}
			ls = append(ls, sources.Label{Name: sources.Sanitize(k), Value: sources.Sanitize(v)})
		}
		at := x.t
		if at.IsZero() {
			at = now
		}
		f.Points = append(f.Points, sources.Point{Series: sources.SeriesOf(PanelSignal, sources.Gauge, ls), At: at, Value: x.v})
	}
	f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(PanelMoreSignal, sources.Gauge, "panel", name), At: now, Value: float64(more)})
}

func labelKey(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + ls[k] + ",")
	}
	return b.String()
}

// Backfill fills the store with the preset series over (now-window, now] at
// step, through range queries, so the panes start with history. Each step is
// translated as a poll would be.
func (s *Source) Backfill(ctx context.Context, emit func(sources.Frame), now time.Time, window, step time.Duration) error {
	if window <= 0 || step <= 0 {
		return nil
	}
	rs, err := s.c.QueryRange(ctx, s.query, now.Add(-window), now, step)
	if err != nil {
		return err
	}
	byT := map[int64][]Result{}
	var ts []int64
	for _, r := range rs {
		for _, smp := range r.Samples {
			k := smp.At.UnixMilli()
			if _, ok := byT[k]; !ok {
				ts = append(ts, k)
			}
			byT[k] = append(byT[k], Result{Labels: r.Labels, Samples: []Sample{smp}})
		}
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	for _, k := range ts {
		f := sources.Frame{Source: s.name, At: time.UnixMilli(k)}
		s.translate(&f, byT[k])
		emit(f)
	}
	return nil
}
