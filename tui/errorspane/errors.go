// Package errorspane is the error-rate pane: per service, the error ratio
// (errors / all requests over each column's window) as a line chart against
// the service's target when the pane has room for every service's, else as
// a sparkline, and the current figure coloured against the target (warning
// above half the target, critical above it), with request counts by outcome
// beside it. Rates are ratios 0..1, shown as percentages.
package errorspane

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/alertspane"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/status"
	"github.com/vigil-dev/vigil/tui/styles"
	"github.com/vigil-dev/vigil/tui/svclist"
)

// MinRateWindow is the shortest window a column's error ratio is computed over.
const MinRateWindow = 15 * time.Second

// KeyMap is the pane's bindings: the service list's.
type KeyMap = svclist.KeyMap

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap { return svclist.DefaultKeyMap() }

// Option configures the pane.
type Option func(*Model)

// WithTopK caps the rows listed before "+N more" (default 50).
func WithTopK(k int) Option { return func(m *Model) { m.topK = k } }

// WithLowBandwidth leaves the still-filling newest column undrawn.
func WithLowBandwidth(on bool) Option { return func(m *Model) { m.lowBW = on } }

// WithSLO gives each service's SLO, so a service's detail shows its error
// budget and burn rates (the alert engine's SLOOf).
func WithSLO(slo func(service string) alerts.SLO) Option { return func(m *Model) { m.slo = slo } }

// Model is the errors pane.
type Model struct {
	w, h    int
	focused bool
	topK    int
	lowBW   bool
	keys    KeyMap

	env pane.Env
	svc svclist.List // worst first, with the selection and detail
	slo func(service string) alerts.SLO

	cache    map[string]*series
	shapes   map[svclist.Key]svclist.Shape // by service key, at store generation shapeGen
	shapeGen uint64
	multi    bool // the services run on several hosts: rows name theirs
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

type series struct {
	ratio []float64 // per column, NaN when no requests
	axis  layout.Axis
}

// New returns the pane.
func New(opts ...Option) *Model {
	m := &Model{topK: 50, keys: DefaultKeyMap(), cache: map[string]*series{}}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Title implements pane.Pane.
func (m *Model) Title() string {
	if s, ok := m.svc.Detail(); ok {
		return "Errors › " + sources.Sanitize(s.DisplayName())
	}
	return "Errors"
}

// Note is shown in the top-right of the border.
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
func (m *Model) Keys() []key.Binding { return []key.Binding{m.keys.Down, m.keys.Open, m.keys.Top} }

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	if !m.svc.HandleKey(msg, m.keys) {
		return false, nil
	}
	m.render()
	return true, nil
}

// Escape implements pane.Escaper.
func (m *Model) Escape() bool {
	if !m.svc.Escape() {
		return false
	}
	m.render()
	return true
}

// SetFilter implements pane.Filterer (service, host and stack).
func (m *Model) SetFilter(expr string) error {
	if err := m.svc.SetFilter(expr); err != nil {
		return err
	}
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.svc.Filter() }

// NextMatch implements pane.Filterer.
func (m *Model) NextMatch(back bool) {
	m.svc.NextMatch(back)
	m.render()
}

// Selection returns the selected service.
func (m *Model) Selection() (pane.JumpMsg, bool) { return m.svc.Selection() }

// Level is the severity of an error ratio against a target: LevelOK at or
// below half the target, LevelWarn above half, LevelCrit above the target.
func Level(ratio, target float64) int {
	switch {
	case math.IsNaN(ratio):
		return styles.LevelNone
	case ratio > target:
		return styles.LevelCrit
	case ratio > target/2:
		return styles.LevelWarn
	}
	return styles.LevelOK
}

// worseFirst orders services by how far over its target each one's error
// ratio is, n/a last.
func worseFirst(a, b *view.Service) bool {
	if a.ErrorRate.OK != b.ErrorRate.OK {
		return a.ErrorRate.OK
	}
	return a.ErrorRate.OK && a.ErrorRate.V/a.ErrorTarget > b.ErrorRate.V/b.ErrorTarget
}

func (m *Model) compute(s view.Service, cols int) *series {
	st := m.env.Store
	if st == nil || cols <= 0 {
		return &series{}
	}
	stp := stamp{now: m.env.Now, cursor: m.env.Cursor, window: m.env.Zoom, cols: cols, gen: st.Generation()}
	if stp != m.stamp {
		m.stamp = stp
		clear(m.cache)
	}
	sk := s.Key()
	if c := m.cache[sk]; c != nil {
		return c
	}
	ax := layout.NewAxis(m.env.Now, m.env.Zoom, cols)
	win := max(ax.Step, MinRateWindow)
	c := &series{axis: ax}
	c.ratio = m.cols.ErrorRatio(st, s, ax, win, m.lowBW)
	m.cache[sk] = c
	return c
}

func (m *Model) render() {
	m.multi = svclist.MultiHost(m.env.Overview.Services)
	m.svc.Select(m.env.Overview.Services, m.topK, worseFirst)
	var parts []string
	if f := m.svc.Filter(); f != "" {
		parts = append(parts, "/"+f)
	}
	if !m.env.Cursor.IsZero() {
		parts = append(parts, "@"+m.env.Cursor.UTC().Format("15:04:05"))
	}
	m.note = strings.Join(parts, " ")
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	if m.env.Store == nil {
		m.out = styles.PDim.Paint("waiting for data…")
		return
	}
	if len(m.svc.Items()) == 0 {
		msg := "no request counters yet"
		if f := m.svc.Filter(); f != "" {
			msg = "no service matches /" + f
		}
		m.out = styles.PDim.Paint(styles.Trunc(msg, m.w))
		return
	}
	if s, ok := m.svc.Detail(); ok {
		m.out = m.renderDetail(s)
		return
	}
	m.out = m.renderList()
}

func (m *Model) rateStyle(target float64) func(float64) int {
	return func(v float64) int { return Level(v, target) }
}

// figure is the service's error rate at the instant the screen claims
// (env.At), coloured against its target.
func (m *Model) figure(s view.Service, _ *series) string {
	n := s.ErrorRate
	v := styles.NumPlain(n, styles.Percent)
	pad := styles.Pad(max(0, 6-len([]rune(v))))
	if !n.OK {
		return pad + styles.NAText()
	}
	return pad + styles.PaintLevel(Level(n.V, s.ErrorTarget), v)
}

// outcomeParts are the request counts by outcome (ok, err, abort, then the
// rest), parts of rank r and up: the errors stay longest, then ok.
func outcomeParts(s view.Service, r int) []styles.Part {
	names := outcomeNames(s)
	out := make([]styles.Part, 0, len(names))
	for i, k := range names {
		label, pr := sources.Sanitize(k), r+2+i
		switch k {
		case sources.OutcomeError:
			label, pr = "err", r
		case sources.OutcomeOK:
			pr = r + 1
		}
		out = append(out, styles.Part{Text: styles.PDim.Paint(label) + " " + styles.Num(s.Outcomes[k], styles.Count), Rank: pr})
	}
	return out
}

func outcomeNames(s view.Service) []string {
	names := make([]string, 0, len(s.Outcomes))
	for k := range s.Outcomes {
		names = append(names, k)
	}
	sort.Slice(names, func(i, j int) bool {
		return rank(names[i]) < rank(names[j]) || rank(names[i]) == rank(names[j]) && names[i] < names[j]
	})
	return names
}

func rank(o string) int {
	switch o {
	case sources.OutcomeOK:
		return 0
	case sources.OutcomeError:
		return 1
	case sources.OutcomeAbort:
		return 2
	}
	return 3
}

// Chart level bounds: when every service's chart can be at least
// minChartRows high (plot rows and X axis) in a pane at least minChartWidth
// wide, each service gets its figures line and a line chart of its ratio
// against its target, at most maxChartRows high; else one sparkline row each.
const (
	minChartRows  = 5
	maxChartRows  = 13
	minChartWidth = 40
)

// hasRequests reports whether the service has request counters at all (one
// without gets one line, not an empty chart), whatever their figures at the
// instant shown.
func (m *Model) hasRequests(s view.Service) bool {
	if sh, ok := m.shapes[svclist.KeyOf(s)]; ok {
		return sh.Requests
	}
	return svclist.ShapeOf(s).Requests
}

// chartHeight is the height of every service's chart when all of list fit
// room rows of a w-cell-wide pane with one (the tallest of minChartRows..
// maxChartRows that leaves no blank headroom in the chart), or 0 for the
// sparkline rows.
func chartHeight(w, room int, list []view.Service, hasRequests func(view.Service) bool) int {
	if w < minChartWidth {
		return 0
	}
	charts := 0
	for _, s := range list {
		if hasRequests(s) {
			charts++
		}
	}
	if charts == 0 {
		return 0
	}
	for h := min((room-len(list))/charts, maxChartRows); h >= minChartRows; h-- {
		if styles.LineChartHeadroom(h, styles.ChartOpts{}) == 0 {
			return h
		}
	}
	return 0
}

func (m *Model) renderList() string {
	list := m.svc.Items()
	room := m.h
	if m.svc.Hidden() > 0 {
		room--
	}
	if ch := chartHeight(m.w, room, list, m.hasRequests); ch > 0 {
		return m.renderCharts(ch, room)
	}
	return m.renderSparks()
}

// renderCharts lists every service (they all fit) as its figures line and,
// when it reports requests, a chart ch rows high of its error ratio
// against its target, as the detail draws it; the time labels go under
// the last chart when a row is spare.
func (m *Model) renderCharts(ch, room int) string {
	list, sel := m.svc.Items(), m.svc.Selected()
	m.svc.Offset = 0
	nw, used, last := 4, 0, -1
	for i, s := range list {
		nw = max(nw, styles.Width(svclist.Label(s, m.multi)))
		used++
		if m.hasRequests(s) {
			used += ch
			last = i
		}
	}
	nw = min(nw, 24)
	if used >= room {
		last = -1 // no row spare for the time labels
	}
	var lines []string
	for i, s := range list {
		name := m.name(s, i == sel, nw)
		if !m.hasRequests(s) {
			lines = append(lines, name+"  "+styles.PDim.Paint("no request counters"))
			continue
		}
		c := m.compute(s, m.w-styles.ChartGutter) // one value per plot column
		linePaint := levelPainter(Level(maxOf(c.ratio), s.ErrorTarget))
		lines = append(lines, styles.Parts(m.w, "  ", append([]styles.Part{{Text: name},
			{Text: linePaint.Paint("━") + styles.PDim.Paint(" error rate ") + m.figure(s, c), Rank: 1},
			{Text: styles.PDim.Paint("━ target " + styles.Percent(s.ErrorTarget)), Rank: 2}}, outcomeParts(s, 3)...)...))
		opts, series := m.chart(s, c, linePaint)
		h := ch
		if i == last {
			opts.XLabel = c.axis.ChartLabel
			h++
		}
		lines = append(lines, styles.LineChart(m.w, h, series, opts)...)
	}
	if more := m.svc.Hidden(); more > 0 {
		lines = append(lines, styles.PDim.Paint("+"+strconv.Itoa(more)+" more · / to filter"))
	}
	return strings.Join(lines, "\n")
}

// chart is the options and series of a service's error chart: the ratio
// painted linePaint against the target line (dim), the axis in percent
// topped at twice the target unless the data go higher, and the cursor.
func (m *Model) chart(s view.Service, c *series, linePaint *styles.Painter) (styles.ChartOpts, []styles.LineSeries) {
	opts := styles.ChartOpts{
		Top:    2 * s.ErrorTarget, // the target at mid-height unless the data go higher
		YLabel: styles.PercentAxis,
		Mark:   c.axis.Index(m.env.Cursor),
	}
	target := make([]float64, len(c.ratio))
	for i := range target {
		target[i] = s.ErrorTarget
	}
	lines := []styles.LineSeries{
		{Name: "target", Values: target, Paint: styles.PDim},
		{Name: "errors", Values: c.ratio, Paint: linePaint},
	}
	if !(s.ErrorTarget > 0) {
		lines = lines[1:]
	}
	return opts, lines
}

// maxOf is the largest value of v, NaN when none is present.
func maxOf(v []float64) float64 {
	top := math.NaN()
	for _, x := range v {
		if !math.IsNaN(x) && (math.IsNaN(top) || x > top) {
			top = x
		}
	}
	return top
}

// renderSparks lists the services one row each (name, sparkline, figure,
// target, counts by outcome), scrolled so the selection shows.
func (m *Model) renderSparks() string {
	list, sel := m.svc.Items(), m.svc.Selected()
	n := len(list)
	room := m.h
	if m.svc.Hidden() > 0 || n > m.h {
		room = m.h - 1
	}
	off := min(max(m.svc.Offset, 0), max(n-1, 0))
	if sel < off {
		off = sel
	}
	if room > 0 && sel >= off+room {
		off = sel - room + 1
	}
	m.svc.Offset = off
	shown := min(max(room, 0), n-off)
	nw := 4
	for _, s := range list[off : off+shown] {
		nw = max(nw, styles.Width(svclist.Label(s, m.multi)))
	}
	// name spark 1.2% /1% ok 1k err 3
	tgtW := 6
	outW := 0
	if m.w >= 70 {
		outW = min(32, m.w/3)
	}
	// Names take what a six-cell sparkline, the figures and the counts leave.
	nw = min(nw, max(8, min(24, m.w-18-outW-6)))
	sw := m.w - 2 - nw - 1 - 1 - 6 - 1 - tgtW - 1 - outW
	var lines []string
	for i := off; i < off+shown; i++ {
		s := list[i]
		var c *series
		spark := ""
		if sw >= 4 {
			c = m.compute(s, sw)
			spark = " " + styles.Spark(c.ratio, sparkTop(c.ratio, s.ErrorTarget), c.axis.Index(m.env.Cursor), m.rateStyle(s.ErrorTarget))
		}
		line := m.name(s, i == sel, nw) + spark + " " + m.figure(s, c) + " " + styles.PDim.Paint(styles.Fit("/"+styles.Percent(s.ErrorTarget), tgtW))
		if outW > 0 {
			line += " " + styles.Parts(outW, " ", outcomeParts(s, 0)...)
		}
		lines = append(lines, line)
	}
	if more := n - shown + m.svc.Hidden(); more > 0 {
		lines = append(lines, styles.PDim.Paint("+"+strconv.Itoa(more)+" more · / to filter"))
	}
	return strings.Join(lines, "\n")
}

// sparkTop scales a sparkline so the target sits at mid-height unless the
// data goes higher: a quiet service reads as low, not as noise blown up.
func sparkTop(v []float64, target float64) float64 {
	top := 2 * target
	for _, x := range v {
		if !math.IsNaN(x) && x > top {
			top = x
		}
	}
	return top
}

func (m *Model) name(s view.Service, sel bool, nw int) string {
	n := svclist.Name(s, m.multi, nw)
	if sel && m.focused {
		return styles.PFocus.Paint("▸ ") + styles.PBold.Paint(n)
	}
	if sel {
		return "› " + n
	}
	return "  " + n
}

// maxPlotRows caps the detail chart's height (4 braille dots a row).
const maxPlotRows = 40

// levelPainter paints a severity level.
func levelPainter(l int) *styles.Painter {
	switch l {
	case styles.LevelOK:
		return styles.POK
	case styles.LevelWarn:
		return styles.PWarn
	case styles.LevelCrit:
		return styles.PCrit
	}
	return styles.PText
}

func (m *Model) renderDetail(s view.Service) string {
	cols := m.w - styles.ChartGutter // the Y axis labels, then one column per plot cell
	if cols < 4 {
		return m.renderList()
	}
	c := m.compute(s, cols)
	// The line takes the colour of the worst column in the window.
	linePaint := levelPainter(Level(maxOf(c.ratio), s.ErrorTarget))
	lines := []string{
		styles.PBold.Paint(sources.Sanitize(s.DisplayName())) + "  " + styles.PDim.Paint(sources.Sanitize(s.Host+" "+s.Stack)),
		styles.Parts(m.w, "  ", styles.Part{Text: linePaint.Paint("━") + styles.PDim.Paint(" error rate ") + m.figure(s, c)},
			styles.Part{Text: styles.PDim.Paint("━ target " + styles.Percent(s.ErrorTarget)), Rank: 1},
			styles.Part{Text: styles.PDim.Paint("basis " + orNA(s.ErrorBasis)), Rank: 2}),
		styles.Parts(m.w, " ", outcomeParts(s, 0)...),
	}
	if m.slo != nil {
		lines = append(lines, budgetLine(alerts.ErrorBudget(m.env.Store, s, m.slo(s.Name), m.env.At)))
	}
	room := m.h - len(lines)
	if room <= 0 {
		return strings.Join(lines[:max(m.h, 0)], "\n")
	}
	ax := c.axis
	opts, series := m.chart(s, c, linePaint)
	opts.XLabel = ax.ChartLabel
	// This service's alert bands, under the chart's time axis.
	opts.Band, opts.BandLabel = alertspane.ServiceBandRow(m.env.Store, s.Name, ax), "alerts"
	extra := 2 // X axis and labels
	if opts.Band != "" {
		extra++
	}
	lines = append(lines, styles.LineChart(m.w, min(room, maxPlotRows+extra), series, opts)...)
	return strings.Join(lines, "\n")
}

// budgetLine is the SLO's error budget left over its window (saying how much
// of the window the data covers) and the multi-window burn rates, coloured
// against the 14.4x (page) and 6x (ticket) thresholds.
func budgetLine(b alerts.Budget) string {
	left := styles.NAText()
	if !math.IsNaN(b.Remaining) {
		lvl := styles.LevelOK
		switch {
		case b.Remaining < 0:
			lvl = styles.LevelCrit
		case b.Remaining < 0.25:
			lvl = styles.LevelWarn
		}
		left = styles.PaintLevel(lvl, styles.Percent(b.Remaining))
	}
	burn := func(v, page float64) string {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return styles.NAText()
		}
		t := strconv.FormatFloat(v, 'f', 1, 64) + "x"
		switch {
		case v >= page:
			return styles.PaintLevel(styles.LevelCrit, t)
		case v >= 1:
			return styles.PaintLevel(styles.LevelWarn, t)
		}
		return t
	}
	cover := ""
	if b.Covered < b.Window {
		cover = ", data covers " + spanText(b.Covered)
	}
	return styles.PDim.Paint("budget ") + left + styles.PDim.Paint(" left of "+styles.Percent(1-b.Availability)+" over "+spanText(b.Window)+cover) +
		styles.PDim.Paint("  burn 1h ") + burn(b.Burn1h, 14.4) + styles.PDim.Paint(" 5m ") + burn(b.Burn5m, 14.4) +
		styles.PDim.Paint(" 6h ") + burn(b.Burn6h, 6) + styles.PDim.Paint(" 30m ") + burn(b.Burn30m, 6)
}

// spanText is a duration to the second, in days when it is whole days.
func spanText(d time.Duration) string {
	d = d.Round(time.Second)
	if d >= 48*time.Hour && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return status.Window(d)
}

func orNA(s string) string {
	if s == "" {
		return styles.NA
	}
	return s
}

// DetailHost is the host of the service whose detail is open, "" when none
// is (the console then fetches that host's detail from a query engine).
func (m *Model) DetailHost() string {
	if s, ok := m.svc.Detail(); ok {
		return s.Host
	}
	return ""
}
