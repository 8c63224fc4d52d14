// Package driftpane is the drift heat-rows pane: one row per monitored feature,
// one cell per drift window, coloured by the drift level the drift package
// assigns (effect size gated by significance), with glyphs for the special
// states (no data, insufficient data, baselining, counter reset, layout
// change), a legend, and the statistics of the selected cell on Enter.
package driftpane

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/internal/pick"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Source is what the pane reads rows from; *drift.Monitor implements it.
type Source interface {
	Rows() []drift.Row
	Config() drift.Config
	Repin(feature string) error
}

// KeyMap is the pane's bindings.
type KeyMap struct {
	Up, Down, Top, Bottom, Open, Repin key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("j/k", "move")),
		Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/k", "move")),
		Top:    key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/G", "top/bottom")),
		Bottom: key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "cell statistics")),
		Repin:  key.NewBinding(key.WithKeys("b"), key.WithHelp("b", "re-pin reference")),
	}
}

// Option configures the pane.
type Option func(*Model)

// WithSource sets where rows come from.
func WithSource(s Source) Option { return func(m *Model) { m.src = s } }

// WithTopK caps the rows listed before "+N more" (default 100).
func WithTopK(k int) Option { return func(m *Model) { m.topK = k } }

// Model is the drift pane.
type Model struct {
	w, h    int
	focused bool
	topK    int
	keys    KeyMap
	src     Source
	cellW   time.Duration

	env    pane.Env
	filter styles.Filter
	sel    int
	offset int
	detail string

	rows   []drift.Row // all, from the source at the last refresh
	list   []drift.Row // filtered
	hidden int
	out    string
	note   string
}

// New returns the pane.
func New(opts ...Option) *Model {
	m := &Model{topK: 100, keys: DefaultKeyMap()}
	for _, o := range opts {
		o(m)
	}
	m.cellW = time.Minute
	if m.src != nil && m.src.Config().Cell > 0 {
		m.cellW = m.src.Config().Cell
	}
	return m
}

// Title implements pane.Pane.
func (m *Model) Title() string {
	if m.detail != "" {
		return "Drift › " + sources.Sanitize(m.detail)
	}
	return "Drift"
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

// Refresh implements pane.Pane: it reads the rows once and draws them.
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	if m.src != nil {
		m.rows = m.src.Rows()
	}
	m.render()
}

// View implements pane.Pane.
func (m *Model) View() string { return m.out }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	return []key.Binding{m.keys.Down, m.keys.Open, m.keys.Repin}
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, m.keys.Up):
		m.sel--
	case key.Matches(msg, m.keys.Down):
		m.sel++
	case key.Matches(msg, m.keys.Top):
		m.sel = 0
	case key.Matches(msg, m.keys.Bottom):
		m.sel = len(m.list) - 1
	case key.Matches(msg, m.keys.Open):
		if m.detail != "" || len(m.list) == 0 {
			return false, nil
		}
		m.detail = m.list[clamp(m.sel, 0, len(m.list)-1)].Feature
	case key.Matches(msg, m.keys.Repin):
		if m.src == nil || len(m.list) == 0 {
			return true, status("no drift row selected", false)
		}
		f := m.list[clamp(m.sel, 0, len(m.list)-1)].Feature
		if err := m.src.Repin(f); err != nil {
			return true, status(fmt.Sprintf("drift: re-pin %s: %v", sources.OneLine(f), err), true)
		}
		return true, status("drift: reference for "+sources.OneLine(f)+" re-pinned to the current window", false)
	default:
		return false, nil
	}
	m.render()
	return true, cmd
}

func status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return pane.StatusMsg{Text: text, Error: isErr} }
}

// Escape implements pane.Escaper.
func (m *Model) Escape() bool {
	if m.detail == "" {
		return false
	}
	m.detail = ""
	m.render()
	return true
}

// SetFilter implements pane.Filterer (feature names).
func (m *Model) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	m.filter = f
	m.sel, m.offset = 0, 0
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.filter.Expr }

// NextMatch implements pane.Filterer.
func (m *Model) NextMatch(back bool) {
	if len(m.list) == 0 {
		return
	}
	m.sel = pick.Step(clamp(m.sel, 0, len(m.list)-1), len(m.list), back)
	m.render()
}

// Jump implements pane.Jumper: a drift jump selects the feature.
func (m *Model) Jump(j pane.JumpMsg) tea.Cmd {
	if j.Feature == "" {
		return nil
	}
	for i, r := range m.list {
		if r.Feature == j.Feature {
			m.sel = i
			m.render()
			return nil
		}
	}
	return nil
}

// Features lists the feature names (for palette completion).
func (m *Model) Features() []string {
	out := make([]string, len(m.rows))
	for i, r := range m.rows {
		out[i] = r.Feature
	}
	return out
}

func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

// Glyph returns the cell's glyph and severity level for l.
func Glyph(l drift.Level) (string, int) {
	switch l {
	case drift.LevelNoData:
		return " ", -1
	case drift.LevelBaselining:
		return "~", -1
	case drift.LevelInsufficient:
		return "·", -1
	case drift.LevelNone:
		return "░", styles.LevelOK
	case drift.LevelTiny:
		return "▒", styles.LevelNone
	case drift.LevelSmall:
		return "▒", styles.LevelWarn
	case drift.LevelModerate:
		return "▓", styles.LevelWarn
	case drift.LevelHigh:
		return "█", styles.LevelCrit
	case drift.LevelReset:
		return "↺", -1
	case drift.LevelLayoutChanged:
		return "≠", -1
	}
	return "?", -1
}

// Legend is the one-line key to the glyphs.
func Legend() string {
	parts := []struct {
		l    drift.Level
		name string
	}{
		{drift.LevelNone, "none"}, {drift.LevelTiny, "tiny"}, {drift.LevelSmall, "small"}, {drift.LevelModerate, "moderate"},
		{drift.LevelHigh, "high"}, {drift.LevelInsufficient, "n<min"}, {drift.LevelBaselining, "baselining"},
		{drift.LevelReset, "reset"}, {drift.LevelLayoutChanged, "layout"},
	}
	var b []string
	for _, p := range parts {
		g, lvl := Glyph(p.l)
		b = append(b, paint(g, lvl)+" "+styles.PDim.Paint(p.name))
	}
	return strings.Join(b, " ")
}

func paint(g string, lvl int) string {
	if lvl < 0 {
		return styles.PDim.Paint(g)
	}
	return styles.PaintLevel(lvl, g)
}

func (m *Model) selectList() {
	m.list = m.list[:0]
	for _, r := range m.rows {
		if m.filter.Keep(r.Feature) {
			m.list = append(m.list, r)
		}
	}
	m.hidden = len(m.rows) - len(m.list)
	if m.detail != "" {
		found := false
		for _, r := range m.list {
			if r.Feature == m.detail {
				m.list, found = []drift.Row{r}, true
				break
			}
		}
		if !found {
			m.detail = ""
		}
	}
	if m.topK > 0 && len(m.list) > m.topK {
		m.hidden += len(m.list) - m.topK
		m.list = m.list[:m.topK]
	}
	m.sel = clamp(m.sel, 0, len(m.list)-1)
}

// lastStart is the start of the newest closed column the rows end at: the
// monitor's newest closed cell, which the panes see shortly after a window
// ends (when the next observation or frame arrives). While the monitor is
// not advancing at all (nothing arrives for two cell lengths) the grid
// follows the clock, so the empty columns say that nothing was scored.
func (m *Model) lastStart() time.Time {
	w := m.cellW
	byClock := time.Unix(0, m.env.Now.UnixNano()/int64(w)*int64(w)).Add(-w)
	var newest time.Time
	for _, r := range m.rows {
		if n := len(r.Cells); n > 0 && r.Cells[n-1].Start.After(newest) {
			newest = r.Cells[n-1].Start
		}
	}
	if newest.IsZero() || byClock.Sub(newest) > w || newest.After(byClock) {
		return byClock
	}
	return newest
}

// untilFirst is how long until the open window closes: the first cell of a
// row that has none.
func (m *Model) untilFirst() time.Duration {
	w := int64(m.cellW)
	end := (m.env.Now.UnixNano()/w + 1) * w
	return time.Duration(end - m.env.Now.UnixNano())
}

func (m *Model) render() {
	m.selectList()
	var parts []string
	if m.filter.Active() {
		parts = append(parts, "/"+m.filter.Expr)
	}
	parts = append(parts, "cell "+shortDur(m.cellW))
	if !m.env.Cursor.IsZero() {
		parts = append(parts, "@"+m.env.Cursor.UTC().Format("15:04:05"))
	}
	m.note = strings.Join(parts, " ")
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	switch {
	case m.src == nil:
		m.out = styles.PDim.Paint("no drift monitor: drift rows come from model fields in logs (--log) or histograms")
		m.out = wrap(m.out, m.w)
		return
	case len(m.list) == 0 && m.filter.Active():
		m.out = styles.PDim.Paint(styles.Trunc("no feature matches /"+m.filter.Expr, m.w))
		return
	case len(m.list) == 0:
		m.out = styles.PDim.Paint(styles.Trunc("no drift features observed yet", m.w))
		return
	}
	if m.detail != "" {
		m.out = m.renderDetail(m.list[0])
		return
	}
	m.out = m.renderRows()
}

func wrap(s string, w int) string {
	return lipglossWrap(s, w)
}

// shortDur formats a cell length: 10s, 1m, 1m30s, 2h.
func shortDur(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

func (m *Model) renderRows() string {
	n := len(m.list)
	legend := m.h >= 4
	room := m.h
	if legend {
		room--
	}
	if m.hidden > 0 || n > room {
		room--
	}
	room = max(room, 0)
	if m.sel < m.offset {
		m.offset = m.sel
	}
	if room > 0 && m.sel >= m.offset+room {
		m.offset = m.sel - room + 1
	}
	m.offset = clamp(m.offset, 0, max(n-room, 0))
	shown := min(room, n-m.offset)
	cols, nw, stW := m.rowLayout()
	last := m.lastStart()
	cur := -1
	if !m.env.Cursor.IsZero() && cols > 0 {
		d := last.Sub(m.env.Cursor.Truncate(m.cellW))
		if k := int(d / m.cellW); d >= 0 && k < cols {
			cur = cols - 1 - k
		}
	}
	var lines []string
	for i := m.offset; i < m.offset+shown; i++ {
		r := m.list[i]
		name := styles.Fit(leftTrunc(sources.Sanitize(r.Feature), nw), nw)
		prefix := "  "
		if i == m.sel && m.focused {
			prefix, name = styles.PFocus.Paint("▸ "), styles.PBold.Paint(name)
		} else if i == m.sel {
			prefix = "› "
		}
		lead := m.since(r, last, cols, cur)
		line := prefix + name + " " + lead + m.cellsFrom(r, last, cols, cur, 1, ansi.StringWidth(lead))
		if stW > 0 {
			line += " " + styles.Fit(m.state(r), stW)
		}
		lines = append(lines, line)
	}
	if more := n - shown + m.hidden; more > 0 {
		lines = append(lines, styles.PDim.Paint(styles.Trunc("+"+strconv.Itoa(more)+" more · / to filter", m.w)))
	}
	if legend {
		for len(lines) < m.h-1 {
			lines = append(lines, "")
		}
		lines = append(lines, styles.Trunc(Legend(), m.w))
	}
	return strings.Join(lines, "\n")
}

// stateWidth is the width of a row's right-hand summary ("▓ moderate 0.14",
// "ALERT █ high 0.31", "baselining 1200/1000").
const stateWidth = 22

// rowLayout splits the pane's width between a row's parts: the prefix (2),
// the name (nw), a space, one column per cell (cols), and, from 60 columns
// on, a space and the summary (stW). They add up to the width exactly: the
// cells take whatever the name and the summary leave, so a wider pane shows
// more history. Names get what they need up to a third of the width, and
// never so much that fewer than a dozen cells remain.
func (m *Model) rowLayout() (cols, nw, stW int) {
	if m.w >= 60 {
		stW = stateWidth
	}
	fixed := 2 + 1
	if stW > 0 {
		fixed += 1 + stW
	}
	nw = 6
	for _, r := range m.list {
		nw = max(nw, ansi.StringWidth(sources.Sanitize(r.Feature)))
	}
	nw = min(nw, max(8, m.w/3), max(1, m.w-fixed-12))
	cols = max(m.w-fixed-nw, 0)
	return cols, nw, stW
}

// cells draws the row's cells ending at last, one column per cell window.
func (m *Model) cells(r drift.Row, last time.Time, cols, cur, cw int) string {
	return m.cellsFrom(r, last, cols, cur, cw, 0)
}

// cellsFrom is cells without its first skip columns. It runs on every
// refresh for every row shown, so it allocates little: the row's cells are
// oldest first (drift.Row), as the columns are, and are walked once beside
// them; a run of one level is built in one buffer and painted once.
func (m *Model) cellsFrom(r drift.Row, last time.Time, cols, cur, cw, skip int) string {
	if cols <= 0 {
		return ""
	}
	var b strings.Builder
	runLvl, run := -9, make([]byte, 0, 64)
	flush := func() {
		if len(run) == 0 {
			return
		}
		if runLvl == -3 {
			b.WriteString(styles.Mark(string(run)))
		} else {
			b.WriteString(paint(string(run), runLvl))
		}
		run = run[:0]
	}
	next := 0 // the first of r.Cells not before this column's start
	for j := skip; j < cols; j++ {
		start := last.Add(-time.Duration(cols-1-j) * m.cellW).UnixNano()
		for next < len(r.Cells) && r.Cells[next].Start.UnixNano() < start {
			next++
		}
		g, lvl := " ", -1
		if next < len(r.Cells) && r.Cells[next].Start.UnixNano() == start {
			g, lvl = Glyph(r.Cells[next].Level)
		}
		if j == cur {
			lvl = -3
		}
		if lvl != runLvl {
			flush()
			runLvl = lvl
		}
		for range cw {
			run = append(run, g...)
		}
	}
	flush()
	return b.String()
}

// since labels the empty columns before a young row's first cell, "since
// 10:57:52", so a wide pane's blank history reads as what it is. It
// returns "" when the row's cells reach the grid's left edge, when the
// monitor's ring is full (earlier cells were dropped, not absent), when
// the gap is too narrow, or when the cursor stands in it.
func (m *Model) since(r drift.Row, last time.Time, cols, cur int) string {
	if len(r.Cells) == 0 || (m.src != nil && len(r.Cells) >= m.src.Config().Columns) {
		return ""
	}
	first := r.Cells[0].Start
	gap := int(last.Sub(first)/m.cellW) + 1 // columns from first to last
	gap = cols - gap                        // empty columns on the left
	label := "since " + first.UTC().Format("15:04:05") + " "
	if gap < len(label)+2 || (cur >= 0 && cur < gap) {
		return ""
	}
	return styles.PDim.Paint(strings.Repeat(" ", gap-len(label)) + label)
}

// cellAt returns the cell starting at start.
func cellAt(r drift.Row, start time.Time) (drift.Cell, bool) {
	for i := len(r.Cells) - 1; i >= 0; i-- {
		if r.Cells[i].Start.Equal(start) {
			return r.Cells[i], true
		}
	}
	return drift.Cell{}, false
}

// focusCell is the cell a row's summary and its detail describe: with a
// time cursor, the cell holding the cursor if it has closed; without one,
// the row's newest closed cell.
func (m *Model) focusCell(r drift.Row) (drift.Cell, bool) {
	if !m.env.Cursor.IsZero() {
		return cellAt(r, time.Unix(0, m.env.Cursor.UnixNano()/int64(m.cellW)*int64(m.cellW)))
	}
	if len(r.Cells) == 0 {
		return drift.Cell{}, false
	}
	return r.Cells[len(r.Cells)-1], true
}

// state is the row's right-hand summary: the shown cell's level and effect
// (focusCell), "baselining n/N" or ALERT. With a time cursor it describes
// the cursor's cell only: the live reference count and alert state are not
// figures of that instant.
func (m *Model) state(r drift.Row) string {
	live := m.env.Cursor.IsZero()
	if live && !r.Reference.Ready {
		minRef := 0
		if m.src != nil {
			minRef = m.src.Config().MinReference
		}
		return styles.PDim.Paint(fmt.Sprintf("baselining %d/%d", r.Reference.N, minRef))
	}
	c, ok := m.focusCell(r)
	if !ok {
		return styles.NAText()
	}
	g, lvl := Glyph(c.Level)
	s := paint(g, lvl) + " " + c.Level.String()
	if c.Level.Heat() >= 0 && !math.IsNaN(c.Stats.Effect) {
		s += " " + strconv.FormatFloat(c.Stats.Effect, 'f', 2, 64)
	}
	if r.Alert && live {
		return styles.PCrit.Paint("ALERT ") + s
	}
	return s
}

// waitText is a short wait: "23s", "1m05s".
func waitText(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return strconv.Itoa(int(d/time.Second)) + "s"
	}
	return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}

func f2(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return styles.NAText()
	}
	if math.Abs(v) >= 1000 {
		return styles.SI(v)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func pval(v float64) string {
	if math.IsNaN(v) {
		return styles.NAText()
	}
	if v < 1e-12 {
		return "<1e-12"
	}
	return strconv.FormatFloat(v, 'g', 2, 64)
}

func (m *Model) renderDetail(r drift.Row) string {
	last := m.lastStart()
	lines := []string{
		styles.PBold.Paint(sources.Sanitize(r.Feature)) + "  " + styles.PDim.Paint(r.Kind.String()+"  reference "+r.Reference.Mode.String()),
	}
	cols := m.w - 2
	lines = append(lines, "  "+m.cells(r, last, min(cols, len(r.Cells)+1), -1, 1))
	c, ok := m.focusCell(r)
	if !ok {
		msg := "no closed cell yet: the first closes in " + waitText(m.untilFirst())
		if !m.env.Cursor.IsZero() {
			msg = "no closed cell holds " + m.env.Cursor.UTC().Format("15:04:05")
			if len(r.Cells) > 0 {
				msg += ": the first starts at " + r.Cells[0].Start.UTC().Format("15:04:05")
			}
		}
		lines = append(lines, styles.PDim.Paint(styles.Trunc(msg, m.w)))
		return strings.Join(lines, "\n")
	}
	st := c.Stats
	approx := ""
	if st.Approximate {
		approx = " ≈"
	}
	lines = append(lines,
		styles.PDim.Paint("cell ")+c.Start.UTC().Format("15:04:05")+styles.PDim.Paint(" + "+shortDur(m.cellW))+"  "+m.state(r),
		styles.PDim.Paint("n ")+strconv.FormatInt(st.N, 10)+styles.PDim.Paint("  invalid ")+strconv.FormatInt(st.Invalid, 10)+styles.PDim.Paint("  effect ")+f2(st.Effect)+styles.PDim.Paint("  p"+approx+" ")+pval(st.P)+styles.PDim.Paint("  q ")+pval(st.Q)+styles.PDim.Paint("  score ")+f2(st.Score),
		styles.PDim.Paint("KS D ")+f2(st.D)+styles.PDim.Paint("  PSI ")+f2(st.PSI)+styles.PDim.Paint("  JS₂ ")+f2(st.JS)+styles.PDim.Paint("  W1/σ ")+f2(st.W1Norm),
		styles.PDim.Paint("p5 ")+f2(st.P5)+styles.PDim.Paint("  p50 ")+f2(st.P50)+styles.PDim.Paint("  p95 ")+f2(st.P95)+styles.PDim.Paint("  mean ")+f2(st.Mean)+styles.PDim.Paint("  std ")+f2(st.Std)+styles.PDim.Paint("  outside ref ")+f2(st.Outside),
	)
	if d, ok := m.src.(Detailer); ok {
		if dt, ok := d.Detail(r.Feature, c.Start); ok {
			lines = append(lines, m.distribution(dt, m.h-len(lines)-2)...)
		}
	}
	if m.h > len(lines)+1 {
		lines = append(lines, "", styles.Trunc(Legend(), m.w))
	}
	return strings.Join(lines, "\n")
}

// Detailer is implemented by drift sources that explain a cell
// (*drift.Monitor does): the reference and current distributions side by side.
type Detailer interface {
	Detail(feature string, start time.Time) (drift.Detail, bool)
}

// distribution draws the reference and current shares of each bin as two
// bars, the bins that drive PSI, and new categories, in at most room lines.
func (m *Model) distribution(d drift.Detail, room int) []string {
	if room < 3 || len(d.Bins) == 0 {
		return nil
	}
	out := []string{""}
	head := styles.PDim.Paint("reference vs current")
	if !math.IsNaN(d.MeanShift) {
		head += styles.PDim.Paint("  mean shift ") + signed(d.MeanShift) + "σ" + styles.PDim.Paint("  std ratio ") + f2(d.StdRatio)
	}
	out = append(out, head)
	lw := 4
	for _, b := range d.Bins {
		lw = max(lw, len([]rune(sources.Sanitize(b.Label))))
	}
	lw = min(lw, max(8, m.w/4))
	bw := max(4, (m.w-lw-2-2*7-4)/2)
	top := 0.0
	for _, b := range d.Bins {
		top = math.Max(top, math.Max(b.Ref, b.Cur))
	}
	bins := d.Bins
	if len(bins) > room-2 {
		bins = bins[:max(room-3, 0)]
	}
	for _, b := range bins {
		out = append(out, styles.Fit(sources.Sanitize(b.Label), lw)+"  "+
			bar(b.Ref, top, bw, styles.PDim)+" "+styles.Fit(styles.Percent(b.Ref), 6)+"  "+
			bar(b.Cur, top, bw, barStyle(b))+" "+styles.Fit(styles.Percent(b.Cur), 6))
	}
	if len(bins) < len(d.Bins) {
		out = append(out, styles.PDim.Paint("+"+strconv.Itoa(len(d.Bins)-len(bins))+" more bins"))
	}
	if len(out) < room && len(d.Top) > 0 {
		var tops []string
		for _, b := range d.Top {
			if math.Abs(b.Cur-b.Ref) >= 0.005 { // under half a percent is noise
				tops = append(tops, sources.Sanitize(b.Label)+" "+signed(b.Cur-b.Ref))
			}
		}
		if len(tops) > 0 {
			out = append(out, styles.PDim.Paint("moved most: ")+strings.Join(tops, styles.PDim.Paint(" · ")))
		}
	}
	if len(out) < room && len(d.NewCategories) > 0 {
		var news []string
		for _, c := range d.NewCategories {
			news = append(news, sources.Sanitize(c.Name)+" "+strconv.FormatInt(c.Count, 10))
		}
		out = append(out, styles.PDim.Paint("new categories: ")+strings.Join(news, ", "))
	}
	return out
}

// barStyle colours a bin's current bar by how far it moved.
func barStyle(b drift.Bin) *styles.Painter {
	switch d := math.Abs(b.Cur - b.Ref); {
	case d >= 0.10:
		return styles.PCrit
	case d >= 0.05:
		return styles.PWarn
	}
	return styles.PAccent
}

func bar(v, top float64, w int, p *styles.Painter) string {
	n := 0
	if top > 0 && !math.IsNaN(v) {
		n = int(math.Round(v / top * float64(w)))
	}
	n = min(max(n, 0), w)
	return p.Paint(strings.Repeat("█", n)) + strings.Repeat(" ", w-n)
}

func signed(v float64) string {
	if math.IsNaN(v) {
		return styles.NA
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	if v >= 0 {
		s = "+" + s
	}
	return s
}

// leftTrunc keeps the end of a name, where feature paths differ
// ("features.session_len" → "…session_len").
func leftTrunc(s string, w int) string {
	r := []rune(s)
	if len(r) <= w || w < 2 {
		return s
	}
	return "…" + string(r[len(r)-w+1:])
}
