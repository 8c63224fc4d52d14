// Package latencypane is the latency pane: per service, the p50, p95 and p99
// request latency over the shared window (histogram_quantile on bucket
// deltas, evaluated at one point per column) as one line chart when the
// pane has room for every service's, else as sparklines, the current figures,
// time-to-first-token and inter-token latency for LLM stacks, throughput and
// queue depth. Figures are in seconds, shown in ms/s.
package latencypane

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/alertspane"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
	"github.com/vigil-dev/vigil/tui/svclist"
)

// MinQuantileWindow is the shortest window a sparkline column's quantile is
// computed over, so a column narrower than the scrape interval is not empty.
const MinQuantileWindow = 15 * time.Second

// KeyMap is the pane's bindings: the service list's, and Sort.
type KeyMap struct {
	svclist.KeyMap
	Sort key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		KeyMap: svclist.DefaultKeyMap(),
		Sort:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort p99/name/req/s")),
	}
}

// Option configures the pane.
type Option func(*Model)

// WithTopK caps the rows shown before "+N more" (default 50; rows that do not
// fit are counted too).
func WithTopK(k int) Option { return func(m *Model) { m.topK = k } }

// WithLowBandwidth stops the newest, still-filling column from being drawn so
// sparklines only move when a column completes.
func WithLowBandwidth(on bool) Option { return func(m *Model) { m.lowBW = on } }

// WithKeyMap sets the bindings.
func WithKeyMap(k KeyMap) Option { return func(m *Model) { m.keys = k } }

const (
	sortP99 = iota
	sortName
	sortRPS
	nSorts
)

var sortNames = [...]string{"p99", "name", "req/s"}

// Model is the latency pane.
type Model struct {
	w, h    int
	focused bool
	topK    int
	lowBW   bool
	keys    KeyMap

	env    pane.Env
	sortBy int
	svc    svclist.List // filtered and sorted, with the selection and detail

	cache    map[string]*series
	shapes   map[svclist.Key]svclist.Shape // by service key, at store generation shapeGen
	shapeGen uint64
	multi    bool                 // the services run on several hosts: rows name theirs
	llm      map[string]*llmCache // the detail's TTFT and ITL, by service
	stamp    stamp
	cols     view.Columns // closed columns kept
	out      string
	note     string
}

type stamp struct {
	now, cursor time.Time
	window      time.Duration
	cols        int
	gen         uint64
}

// series is one service's quantiles per column, in seconds (NaN: no data).
type series struct {
	p50, p95, p99 []float64
	axis          layout.Axis
}

// New returns the pane.
func New(opts ...Option) *Model {
	m := &Model{topK: 50, keys: DefaultKeyMap(), cache: map[string]*series{}, llm: map[string]*llmCache{}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Title implements pane.Pane.
func (m *Model) Title() string {
	if s, ok := m.svc.Detail(); ok {
		return "Latency › " + sources.Sanitize(s.DisplayName())
	}
	return "Latency"
}

// Note is shown in the top-right of the pane's border.
func (m *Model) Note() string { return m.note }

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	if w == m.w && h == m.h {
		return
	}
	m.w, m.h = max(w, 0), max(h, 0)
	m.render()
}

// Focus implements pane.Focuser.
func (m *Model) Focus() { m.focused = true; m.render() }

// Blur implements pane.Focuser.
func (m *Model) Blur() { m.focused = false; m.render() }

// Refresh implements pane.Pane.
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	if st := env.Store; st != nil && (m.shapes == nil || st.Generation() != m.shapeGen) {
		m.shapes, m.shapeGen = svclist.Shapes(st), st.Generation()
	}
	m.render()
}

// View implements pane.Pane.
func (m *Model) View() string { return m.out }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	return []key.Binding{m.keys.Down, m.keys.Open, m.keys.Sort, m.keys.Top}
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Sort):
		m.sortBy = (m.sortBy + 1) % nSorts
	case !m.svc.HandleKey(msg, m.keys.KeyMap):
		return false, nil
	}
	m.render()
	return true, nil
}

// Escape implements pane.Escaper: it leaves the service detail.
func (m *Model) Escape() bool {
	if !m.svc.Escape() {
		return false
	}
	m.render()
	return true
}

// SetFilter implements pane.Filterer; it matches service, host and stack.
func (m *Model) SetFilter(expr string) error {
	if err := m.svc.SetFilter(expr); err != nil {
		return err
	}
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.svc.Filter() }

// NextMatch implements pane.Filterer: every listed row matches, so it moves
// the selection down (up with back), wrapping.
func (m *Model) NextMatch(back bool) {
	m.svc.NextMatch(back)
	m.render()
}

// Jump implements pane.Jumper: a metrics jump for a service opens its
// detail (any filter that would hide it is cleared).
func (m *Model) Jump(j pane.JumpMsg) tea.Cmd {
	if j.Service == "" {
		return nil
	}
	if !m.svc.Jump(j, m.env.Overview.Services) {
		return func() tea.Msg { return pane.StatusMsg{Text: "no service " + sources.OneLine(j.Service), Error: true} }
	}
	m.render()
	return nil
}

// Selection returns the selected service as a jump (target left to the caller).
func (m *Model) Selection() (pane.JumpMsg, bool) { return m.svc.Selection() }

// Services lists the service names the pane knows (for palette completion).
func (m *Model) Services() []string {
	out := make([]string, 0, len(m.env.Overview.Services))
	for _, s := range m.env.Overview.Services {
		out = append(out, s.Name)
	}
	return out
}

// less returns the row order for the sort key: nil keeps the evaluation's
// order (by name).
func (m *Model) less() func(a, b *view.Service) bool {
	switch m.sortBy {
	case sortP99:
		return func(a, b *view.Service) bool { return numGreater(a.Latency.P99, b.Latency.P99) }
	case sortRPS:
		return func(a, b *view.Service) bool { return numGreater(a.Throughput, b.Throughput) }
	}
	return nil
}

// numGreater orders present values before n/a, larger first.
func numGreater(a, b view.Num) bool {
	if a.OK != b.OK {
		return a.OK
	}
	return a.OK && a.V > b.V
}

// compute returns the service's columns, from the cache when nothing moved.
func (m *Model) compute(s view.Service, cols int) *series {
	st := m.env.Store
	if st == nil || cols <= 0 {
		return &series{}
	}
	stp := stamp{now: m.env.Now, cursor: m.env.Cursor, window: m.env.Zoom, cols: cols, gen: st.Generation()}
	if stp != m.stamp {
		m.stamp = stp
		clear(m.cache)
		clear(m.llm)
	}
	sk := s.Key()
	if c := m.cache[sk]; c != nil {
		return c
	}
	ax := layout.NewAxis(m.env.Now, m.env.Zoom, cols)
	win := max(ax.Step, MinQuantileWindow)
	c := &series{axis: ax}
	c.p50, c.p95, c.p99 = m.cols.Quantiles(st, s, sources.SvcLatency, ax, win, m.lowBW)
	m.cache[sk] = c
	return c
}

// llmSeries are an LLM service's time-to-first-token and inter-token
// latency quantiles per column (seconds; NaN: no data).
type llmSeries struct {
	ttft50, ttft99, itl50, itl99 []float64
}

// computeLLM returns the service's TTFT and ITL columns on axis ax (the
// detail's), cached like compute's.
func (m *Model) computeLLM(s view.Service, ax layout.Axis) *llmSeries {
	sk := s.Key() + "\x00llm"
	if c := m.llm[sk]; c != nil && c.axis == ax {
		return c.v
	}
	win := max(ax.Step, MinQuantileWindow)
	var l llmSeries
	st := m.env.Store
	l.ttft50, _, l.ttft99 = m.cols.Quantiles(st, s, sources.SvcTTFT, ax, win, m.lowBW)
	l.itl50, _, l.itl99 = m.cols.Quantiles(st, s, sources.SvcITL, ax, win, m.lowBW)
	m.llm[sk] = &llmCache{axis: ax, v: &l}
	return &l
}

type llmCache struct {
	axis layout.Axis
	v    *llmSeries
}

// figures are the quantiles and request rate shown in a row: the
// service's, evaluated at the instant the screen claims (env.At).
func (m *Model) figures(s view.Service, _ *series) (view.Quantiles, view.Num) {
	return s.Latency, s.Throughput
}

func (m *Model) cursorMark(c *series) int {
	if m.env.Cursor.IsZero() {
		return -1
	}
	return c.axis.Index(m.env.Cursor)
}

func (m *Model) render() {
	m.multi = svclist.MultiHost(m.env.Overview.Services)
	m.svc.Select(m.env.Overview.Services, m.topK, m.less())
	m.note = m.makeNote()
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	if m.env.Store == nil {
		m.out = styles.PDim.Paint("waiting for data…")
		return
	}
	if len(m.svc.Items()) == 0 {
		msg := "no services yet: scrape a serving stack (--scrape URL, --prom URL)"
		if f := m.svc.Filter(); f != "" {
			msg = "no service matches /" + f
		}
		m.out = styles.PDim.Paint(wrap(msg, m.w))
		return
	}
	if s, ok := m.svc.Detail(); ok {
		m.out = m.renderDetail(s)
		return
	}
	m.out = m.renderList()
}

func (m *Model) makeNote() string {
	var parts []string
	if f := m.svc.Filter(); f != "" {
		parts = append(parts, "/"+f)
	}
	if m.sortBy != sortP99 {
		parts = append(parts, "by "+sortNames[m.sortBy])
	}
	if !m.env.Cursor.IsZero() {
		parts = append(parts, "@"+m.env.Cursor.UTC().Format("15:04:05"))
	}
	return strings.Join(parts, " ")
}

func wrap(s string, w int) string {
	if w <= 0 || len(s) <= w {
		return s
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		if line != "" && len(line)+1+len(word) > w {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// Detail levels of the service list, from the least room to the most.
const (
	levelSpark   = 1 // one row a service: name, p99 sparkline, figures
	levelFigures = 2 // the figures line and a p99 sparkline
	levelSparks  = 4 // the figures line(s) and p99, p95 and p50 sparklines
	levelChart   = 8 // the figures line(s) and a line chart of the three quantiles
)

// Chart level bounds: a chart (plot rows and X axis) is at least
// minChartRows high, at most maxChartRows, and the pane at least
// minChartWidth wide (33 plot columns after the Y axis labels).
const (
	minChartRows  = 5
	maxChartRows  = 13
	minChartWidth = 40
)

// blockHeight is the rows a service takes at a detail level; ch is the
// chart's height at levelChart.
func blockHeight(lvl, ch int, s svclist.Shape) int {
	if !s.Latency {
		return 1
	}
	switch lvl {
	case levelSpark:
		return 1
	case levelFigures:
		return 2
	case levelChart:
		return headLines(s) + ch
	}
	if s.LLM {
		return 5
	}
	return 4
}

// headLines are the figures lines above a service's chart: its figures,
// and an LLM stack's token figures.
func headLines(s svclist.Shape) int {
	if s.LLM {
		return 2
	}
	return 1
}

// chooseLevel picks the richest detail level at which every service of
// list fits room rows of a w-cell-wide pane, and at levelChart the
// charts' height (the same for all, so they read alike): the tallest of
// minChartRows..maxChartRows that leaves no blank headroom in the chart.
// When not all fit even one row each, it is levelSpark, scrolled.
func chooseLevel(w, room int, list []view.Service, shape func(view.Service) svclist.Shape) (lvl, ch int) {
	if w >= minChartWidth {
		heads, charts := 0, 0
		for _, sv := range list {
			if s := shape(sv); s.Latency {
				heads += headLines(s)
				charts++
			} else {
				heads++
			}
		}
		if charts > 0 {
			if ch := chartRows((room - heads) / charts); ch > 0 {
				return levelChart, ch
			}
		}
	}
	for _, l := range []int{levelSparks, levelFigures} {
		tot := 0
		for _, s := range list {
			tot += blockHeight(l, 0, shape(s))
		}
		if tot <= room && w >= 40 {
			return l, 0
		}
	}
	return levelSpark, 0
}

// chartRows is the tallest chart height of at most avail rows (and at
// most maxChartRows) whose plot fills it: LineChart's plot height is a
// multiple of its Y axis' divisions, and spare rows would be blank above
// the chart. 0 when avail < minChartRows.
func chartRows(avail int) int {
	for h := min(avail, maxChartRows); h >= minChartRows; h-- {
		if styles.LineChartHeadroom(h, styles.ChartOpts{}) == 0 {
			return h
		}
	}
	return 0
}

// shape says which series the service has at all (a service seen only
// through a gauge gets one line, not empty charts), whatever its figures
// at the instant shown.
func (m *Model) shape(s view.Service) svclist.Shape {
	if sh, ok := m.shapes[svclist.KeyOf(s)]; ok {
		return sh
	}
	return svclist.ShapeOf(s)
}

func (m *Model) hasLatency(s view.Service) bool { return m.shape(s).Latency }

func (m *Model) isLLM(s view.Service) bool { return m.shape(s).LLM }

func (m *Model) renderList() string {
	list, sel := m.svc.Items(), m.svc.Selected()
	n := len(list)
	room := m.h
	if m.svc.Hidden() > 0 {
		room-- // the "+N more" line
	}
	lvl, ch := chooseLevel(m.w, room, list, m.shape)
	// Rows that fit, scrolled so the selection shows.
	fit := func(from int) int {
		used, k := 0, 0
		for i := from; i < n; i++ {
			bh := blockHeight(lvl, ch, m.shape(list[i]))
			if used+bh > room {
				break
			}
			used += bh
			k++
		}
		return k
	}
	more := 0
	if lvl == levelSpark && n > room {
		room = m.h - 1 // "+N more" needs its line
	}
	off := min(max(m.svc.Offset, 0), n-1) // n > 0: render lists nothing when empty
	switch {
	case lvl != levelSpark:
		off = 0 // the richer levels show every service (an offset may be left from a smaller pane)
	case sel < off:
		off = sel
	}
	for off < sel && sel >= off+fit(off) {
		off++
	}
	m.svc.Offset = off
	shown := fit(off)
	more = n - shown + m.svc.Hidden()
	nw := 4
	for _, s := range list[off : off+shown] {
		nw = max(nw, styles.Width(svclist.Label(s, m.multi)))
	}
	// Names take what a six-cell sparkline and the figures leave.
	nw = min(nw, max(8, min(24, m.w-29)))
	// At levelChart, the time labels go under the last chart when a row
	// is spare.
	labelled := -1
	if lvl == levelChart {
		used := 0
		for i := off; i < off+shown; i++ {
			used += blockHeight(lvl, ch, m.shape(list[i]))
			if m.hasLatency(list[i]) {
				labelled = i
			}
		}
		if used >= room {
			labelled = -1
		}
	}
	var lines []string
	for i := off; i < off+shown; i++ {
		if lvl == levelChart {
			lines = append(lines, m.renderChartRow(list[i], i == sel, nw, ch, i == labelled)...)
			continue
		}
		lines = append(lines, m.renderRow(list[i], i == sel, lvl, nw)...)
	}
	if more > 0 {
		lines = append(lines, styles.PDim.Paint("+"+strconv.Itoa(more)+" more · / to filter"))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) name(s view.Service, sel bool, nw int) string {
	n := svclist.Name(s, m.multi, nw)
	prefix := "  "
	if sel && m.focused {
		prefix = styles.PFocus.Paint("▸ ")
		n = styles.PBold.Paint(n)
	} else if sel {
		prefix = "› "
	}
	return prefix + n
}

func fig(label string, n view.Num, w int, f func(float64) string) string {
	v := styles.NumPlain(n, f)
	pad := styles.Pad(max(0, w-len([]rune(v))))
	if !n.OK {
		return styles.PDim.Paint(label) + " " + pad + styles.NAText()
	}
	return styles.PDim.Paint(label) + " " + pad + v
}

// keyFig is fig for a quantile with its label in its chart line's colour.
func keyFig(label string, p *styles.Painter, n view.Num) string {
	v := styles.NumPlain(n, styles.Seconds)
	pad := styles.Pad(max(0, 6-len([]rune(v))))
	if !n.OK {
		v = styles.NAText()
	}
	return p.Paint(label) + " " + pad + v
}

func rate(v float64) string { return styles.SI(v) + "/s" }

func (m *Model) renderRow(s view.Service, sel bool, lvl, nw int) []string {
	q, rps := m.figures(s, nil)
	name := m.name(s, sel, nw)
	if lvl == levelSpark {
		// name ▁▂▃ p99 230ms 34/s
		tail := " " + fig("p99", q.P99, 6, styles.Seconds) + " " + fig("", rps, 7, rate)
		sw := m.w - 2 - nw - 1 - 20
		spark := ""
		if sw >= 4 {
			c := m.compute(s, sw)
			q, rps = m.figures(s, c)
			tail = " " + fig("p99", q.P99, 6, styles.Seconds) + " " + fig("", rps, 7, rate)
			spark = " " + styles.Spark(c.p99, 0, m.cursorMark(c), accent)
		}
		return []string{name + spark + tail}
	}
	if !m.hasLatency(s) {
		return []string{styles.Parts(m.w, "  ", append([]styles.Part{{Text: name}, {Text: styles.PDim.Paint("no latency histogram"), Rank: 1}}, m.tail(s)...)...)}
	}
	sw := m.w - 6 - 9
	var c *series
	if sw >= 4 {
		c = m.compute(s, sw)
		q, rps = m.figures(s, c)
	}
	parts := []styles.Part{{Text: name}, {Text: fig("p50", q.P50, 6, styles.Seconds), Rank: 2}, {Text: fig("p95", q.P95, 6, styles.Seconds), Rank: 3},
		{Text: fig("p99", q.P99, 6, styles.Seconds), Rank: 1}, {Text: fig("", rps, 7, rate), Rank: 3}}
	if m.isLLM(s) && lvl == levelFigures {
		parts = append(parts, styles.Part{Text: fig("ttft p99", s.TTFT.P99, 0, styles.Seconds), Rank: 5},
			styles.Part{Text: fig("itl p99", s.ITL.P99, 0, styles.Seconds), Rank: 5})
	}
	head := styles.Parts(m.w, "  ", append(parts, m.tail(s)...)...)
	lines := []string{head}
	if c == nil {
		return lines
	}
	top := maxOf(c.p99)
	mark := m.cursorMark(c)
	scale := styles.PDim.Paint(" " + styles.Seconds(top))
	if math.IsNaN(top) || top <= 0 {
		scale = " " + styles.NAText()
	}
	lines = append(lines, "  "+styles.PDim.Paint("p99 ")+styles.Spark(c.p99, top, mark, accent)+scale)
	if lvl >= levelSparks {
		lines = append(lines, "  "+styles.PDim.Paint("p95 ")+styles.Spark(c.p95, top, mark, accent))
		lines = append(lines, "  "+styles.PDim.Paint("p50 ")+styles.Spark(c.p50, top, mark, accent))
		if m.isLLM(s) {
			lines = append(lines, "  "+llmLine(s, m.w-2))
		}
	}
	return lines
}

// renderChartRow is a service's block at levelChart: its figures line, an
// LLM stack's token figures, and a chart ch rows high of its p50, p95 and
// p99 overlaid (the detail's colours, the figures line its legend), with
// the time labels under it (one more row) when labelled.
func (m *Model) renderChartRow(s view.Service, sel bool, nw, ch int, labelled bool) []string {
	if !m.hasLatency(s) {
		return m.renderRow(s, sel, levelSparks, nw)
	}
	name := m.name(s, sel, nw)
	c := m.compute(s, m.w-styles.ChartGutter) // one value per plot column
	q, rps := m.figures(s, c)
	// The figures are the chart's legend: each label in its line's colour
	// (the figures line keeps the sparkline levels' shape, shorter than
	// the detail's "━ p50" keys).
	head := styles.Parts(m.w, "  ", append([]styles.Part{{Text: name}, {Text: keyFig("p50", paintP50, q.P50), Rank: 2},
		{Text: keyFig("p95", paintP95, q.P95), Rank: 2}, {Text: keyFig("p99", paintP99, q.P99), Rank: 1},
		{Text: fig("", rps, 7, rate), Rank: 3}}, m.tail(s)...)...)
	lines := make([]string, 0, headLines(m.shape(s))+ch+1)
	lines = append(lines, head)
	if m.isLLM(s) {
		lines = append(lines, "  "+llmLine(s, m.w-2))
	}
	opts := styles.ChartOpts{YLabel: styles.SecondsAxis, Mark: m.cursorMark(c)}
	if labelled {
		opts.XLabel = c.axis.ChartLabel
		ch++
	}
	return append(lines, styles.LineChart(m.w, ch, []styles.LineSeries{
		{Name: "p50", Values: c.p50, Paint: paintP50},
		{Name: "p95", Values: c.p95, Paint: paintP95},
		{Name: "p99", Values: c.p99, Paint: paintP99},
	}, opts)...)
}

// llmLine is an LLM stack's token figures in w cells: TTFT, ITL, token
// rates and KV cache, the last ones left out first when narrow.
func llmLine(s view.Service, w int) string {
	return styles.Parts(w, "   ",
		styles.Part{Text: fig("ttft p50", s.TTFT.P50, 0, styles.Seconds) + "  " + fig("p99", s.TTFT.P99, 0, styles.Seconds)},
		styles.Part{Text: fig("itl p50", s.ITL.P50, 0, styles.Seconds) + "  " + fig("p99", s.ITL.P99, 0, styles.Seconds), Rank: 1},
		styles.Part{Text: fig("tok/s in", s.PromptTPS, 0, styles.SI) + "  " + fig("out", s.GenTPS, 0, styles.SI), Rank: 2},
		styles.Part{Text: fig("kv", s.KVCache, 0, styles.Percent), Rank: 3})
}

// tail is what follows a row's latency figures: the queue (an integer
// gauge), a lifetime basis, the stack; the stack goes first when narrow.
func (m *Model) tail(s view.Service) []styles.Part {
	var out []styles.Part
	if s.QueueDepth.OK {
		out = append(out, styles.Part{Text: fig("queue", s.QueueDepth, 0, styles.Count), Rank: 4})
	}
	if s.Latency.Basis == view.BasisLifetime {
		// One scrape so far: the distribution since the exporter began.
		out = append(out, styles.Part{Text: styles.PWarn.Paint("lifetime"), Rank: 2})
	}
	if s.Stack != "" {
		out = append(out, styles.Part{Text: styles.PDim.Paint(sources.Sanitize(s.Stack)), Rank: 6})
	}
	return out
}

func accent(float64) int { return styles.LevelAccent }

func maxOf(v []float64) float64 {
	top := math.NaN()
	for _, x := range v {
		if !math.IsNaN(x) && (math.IsNaN(top) || x > top) {
			top = x
		}
	}
	return top
}

// maxPlotRows caps the detail chart's height: 4 braille dots a row give it
// 80 levels, and a taller chart costs render time for nothing.
const maxPlotRows = 40

// Series painters of the detail chart's quantiles.
var (
	paintP50 = styles.PSeries1
	paintP95 = styles.PSeries2
	paintP99 = styles.PSeries3
)

// legendKey is a legend's line sample in a series' colour.
func legendKey(p *styles.Painter) string { return p.Paint("━") + " " }

func (m *Model) renderDetail(s view.Service) string {
	cols := m.w - styles.ChartGutter // the Y axis labels, then one column per plot cell
	if cols < 4 {
		return m.renderList()
	}
	c := m.compute(s, cols)
	q, rps := m.figures(s, c)
	lines := []string{
		styles.PBold.Paint(sources.Sanitize(s.DisplayName())) + "  " + styles.PDim.Paint(sources.Sanitize(s.Host+" "+s.Stack)),
		styles.Parts(m.w, "  ", styles.Part{Text: legendKey(paintP50) + fig("p50", q.P50, 6, styles.Seconds)},
			styles.Part{Text: legendKey(paintP95) + fig("p95", q.P95, 6, styles.Seconds)}, styles.Part{Text: legendKey(paintP99) + fig("p99", q.P99, 6, styles.Seconds)},
			styles.Part{Text: fig("mean", s.Latency.Mean, 6, styles.Seconds), Rank: 3}, styles.Part{Text: fig("req/s", rps, 6, styles.SI), Rank: 1},
			styles.Part{Text: fig("queue", s.QueueDepth, 0, styles.Count), Rank: 2}, styles.Part{Text: fig("running", s.Running, 0, styles.Count), Rank: 2}),
	}
	if m.isLLM(s) {
		lines = append(lines, llmLine(s, m.w))
	}
	room := m.h - len(lines)
	if room <= 0 {
		return strings.Join(lines[:m.h], "\n")
	}
	ax := c.axis
	opts := styles.ChartOpts{
		YLabel: styles.SecondsAxis,
		Mark:   m.cursorMark(c),
		XLabel: ax.ChartLabel,
		// This service's alert bands, under the chart's time axis.
		Band:      alertspane.ServiceBandRow(m.env.Store, s.Name, ax),
		BandLabel: "alerts",
	}
	extra := 2 // X axis and labels
	if opts.Band != "" {
		extra++
	}
	main := []styles.LineSeries{
		{Name: "p50", Values: c.p50, Paint: paintP50},
		{Name: "p95", Values: c.p95, Paint: paintP95},
		{Name: "p99", Values: c.p99, Paint: paintP99},
	}
	// An LLM stack with room for it gets time-to-first-token and
	// inter-token latency charts under the request latency, on the same
	// columns (the time labels move to the bottom chart).
	small := room / 5
	if !m.isLLM(s) || small < minLLMChartRows || room-2*small < 12 {
		lines = append(lines, styles.LineChart(m.w, min(room, maxPlotRows+extra), main, opts)...)
		return strings.Join(lines, "\n")
	}
	small = min(small, maxPlotRows/2)
	sub := styles.ChartOpts{YLabel: styles.SecondsAxis, Mark: opts.Mark}
	subX := sub
	subX.XLabel = opts.XLabel
	opts.XLabel = nil
	// Heights (legend included for the small charts) that leave the
	// fewest rows blank: a chart's plot is a multiple of its axis'
	// divisions, and the spare rows would be headroom.
	mh, th, ih, waste := 0, 0, 0, room
	for a := small; a <= small+3; a++ {
		for b := small; b <= small+3; b++ {
			h := min(room-a-b, maxPlotRows+extra-1)
			if h < 12 {
				continue
			}
			w := room - a - b - h + styles.LineChartHeadroom(h, opts) + styles.LineChartHeadroom(a-1, sub) + styles.LineChartHeadroom(b-1, subX)
			if w < waste {
				mh, th, ih, waste = h, a, b, w
			}
		}
	}
	if mh == 0 {
		mh, th, ih = room-2*small, small, small
	}
	lines = append(lines, styles.LineChart(m.w, mh, main, opts)...)
	l := m.computeLLM(s, ax)
	lines = append(lines, legendKey(paintP50)+fig("ttft p50", s.TTFT.P50, 0, styles.Seconds)+"  "+legendKey(paintP99)+fig("p99", s.TTFT.P99, 0, styles.Seconds))
	lines = append(lines, styles.LineChart(m.w, th-1, []styles.LineSeries{
		{Name: "p50", Values: l.ttft50, Paint: paintP50},
		{Name: "p99", Values: l.ttft99, Paint: paintP99},
	}, sub)...)
	lines = append(lines, legendKey(paintP50)+fig("itl p50", s.ITL.P50, 0, styles.Seconds)+"  "+legendKey(paintP99)+fig("p99", s.ITL.P99, 0, styles.Seconds))
	lines = append(lines, styles.LineChart(m.w, ih-1, []styles.LineSeries{
		{Name: "p50", Values: l.itl50, Paint: paintP50},
		{Name: "p99", Values: l.itl99, Paint: paintP99},
	}, subX)...)
	return strings.Join(lines, "\n")
}

// minLLMChartRows is the least height of the TTFT and ITL charts (legend,
// plot rows and axis).
const minLLMChartRows = 6

// DetailHost is the host of the service whose detail is open, "" when none
// is (the console then fetches that host's detail from a query engine).
func (m *Model) DetailHost() string {
	if s, ok := m.svc.Detail(); ok {
		return s.Host
	}
	return ""
}
