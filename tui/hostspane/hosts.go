// Package hostspane is the host pane: one row per machine that reports host
// figures (node-exporter, or any source of the host_* signals) — CPU busy,
// load, memory, the fullest filesystem, network and uptime, with CPU and
// memory sparklines over the shared window — and a detail view on Enter
// with every filesystem and CPU and memory charts.
//
// Figures are env.Hosts, evaluated by the root at the instant the screen
// claims (the cursor when on); the sparklines come from the
// store by view.Columns (HostCPUBusy, HostMemUsed), one value per column.
package hostspane

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/internal/pick"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// KeyMap is the pane's bindings.
type KeyMap struct {
	Up, Down, Top, Bottom, Open key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("j/k", "select host")),
		Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/k", "select host")),
		Top:    key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/G", "top/bottom")),
		Bottom: key.NewBinding(key.WithKeys("G", "end")),
		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "host detail")),
	}
}

// Model is the host pane.
type Model struct {
	keys    KeyMap
	w, h    int
	focused bool

	env    pane.Env
	all    []view.Host
	rows   []view.Host // after the filter
	filter styles.Filter
	sel    int
	selKey string
	top    int
	detail bool

	cols view.Columns // the CPU and memory charts' closed columns
	out  string
}

// New returns the pane.
func New() *Model { return &Model{keys: DefaultKeyMap()} }

var (
	_ pane.Pane     = (*Model)(nil)
	_ pane.Focuser  = (*Model)(nil)
	_ pane.Escaper  = (*Model)(nil)
	_ pane.Filterer = (*Model)(nil)
	_ pane.Jumper   = (*Model)(nil)
)

// Title implements pane.Pane: "Hosts", or the host in the detail view.
func (m *Model) Title() string {
	if h, ok := m.selected(); ok && m.detail {
		return "Host " + sources.OneLine(h.Host)
	}
	return "Hosts"
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
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
	m.all = env.Hosts
	m.applyFilter()
	m.render()
}

// View implements pane.Pane.
func (m *Model) View() string { return m.out }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	if m.detail {
		return []key.Binding{key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))}
	}
	return []key.Binding{m.keys.Down, m.keys.Open}
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	switch {
	case key.Matches(msg, m.keys.Down):
		m.move(1)
	case key.Matches(msg, m.keys.Up):
		m.move(-1)
	case key.Matches(msg, m.keys.Top):
		m.move(-len(m.rows))
	case key.Matches(msg, m.keys.Bottom):
		m.move(len(m.rows))
	case key.Matches(msg, m.keys.Open):
		if m.detail || len(m.rows) == 0 {
			return false, nil
		}
		m.detail = true
	default:
		return false, nil
	}
	m.render()
	return true, nil
}

// Escape implements pane.Escaper: it leaves the detail.
func (m *Model) Escape() bool {
	if !m.detail {
		return false
	}
	m.detail = false
	m.render()
	return true
}

// SetFilter implements pane.Filterer: a regex over the host names.
func (m *Model) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	m.filter = f
	m.applyFilter()
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.filter.Expr }

// NextMatch implements pane.Filterer: the filter hides what does not
// match, so n/N step through the rest.
func (m *Model) NextMatch(back bool) {
	if len(m.rows) == 0 {
		return
	}
	m.sel = pick.Step(m.sel, len(m.rows), back)
	m.selKey = m.rows[m.sel].Host
	m.render()
}

// Jump implements pane.Jumper: a jump naming a host opens its detail.
func (m *Model) Jump(j pane.JumpMsg) tea.Cmd {
	if j.Host == "" {
		return nil
	}
	for _, h := range m.all {
		if h.Host == j.Host {
			m.filter, m.selKey, m.detail = styles.Filter{}, h.Host, true
			m.applyFilter()
			m.render()
			return nil
		}
	}
	return func() tea.Msg { return pane.StatusMsg{Text: "no host " + sources.OneLine(j.Host), Error: true} }
}

// Selection returns the selected host as a jump (target left to the caller).
func (m *Model) Selection() (pane.JumpMsg, bool) {
	h, ok := m.selected()
	if !ok {
		return pane.JumpMsg{}, false
	}
	return pane.JumpMsg{Host: h.Host}, true
}

// Hosts lists the host names (for palette completion).
func (m *Model) Hosts() []string {
	out := make([]string, 0, len(m.all))
	for _, h := range m.all {
		out = append(out, h.Host)
	}
	return out
}

func (m *Model) applyFilter() {
	keep := func(h *view.Host) bool { return m.filter.Keep(h.Host) }
	m.rows, m.sel = pick.Filter(m.rows[:0], m.all, keep, func(h *view.Host) string { return h.Host }, m.selKey)
	if len(m.rows) > 0 {
		m.selKey = m.rows[m.sel].Host
	} else {
		m.detail = false
	}
}

func (m *Model) move(d int) {
	if len(m.rows) == 0 {
		return
	}
	m.sel = pick.Move(m.sel, d, len(m.rows))
	m.selKey = m.rows[m.sel].Host
}

func (m *Model) selected() (view.Host, bool) {
	if m.sel < 0 || m.sel >= len(m.rows) {
		return view.Host{}, false
	}
	return m.rows[m.sel], true
}

func (m *Model) render() {
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	var lines []string
	switch {
	case len(m.all) == 0:
		lines = []string{styles.PDim.Paint(styles.Trunc("no host figures: scrape a node-exporter (--scrape http://HOST:9100/metrics)", m.w))}
	case len(m.rows) == 0:
		lines = []string{styles.PDim.Paint(styles.Trunc("no host matches /"+m.filter.Expr, m.w))}
	case m.detail:
		lines = m.renderDetail(m.rows[m.sel], m.h)
	default:
		lines = m.renderList()
		// Room to spare under the rows: the selected host's detail.
		if rest := m.h - len(lines) - 1; rest >= previewMin {
			h := m.rows[m.sel]
			rule := "── " + sources.OneLine(h.Host) + " · enter for its detail "
			lines = append(lines, styles.PDim.Paint(rule+strings.Repeat("─", max(0, m.w-styles.Width(rule)))))
			lines = append(lines, m.renderDetail(h, rest)...)
		}
	}
	m.out = styles.Block(strings.Join(lines, "\n"), m.w, m.h)
}

// Column widths of the fixed figures.
const (
	wPct   = 4 // "100%", "5.0%", "n/a"
	wLoad  = 5 // "12.34"
	wSpark = 8
)

// columns is what a row shows at a width: the figures in priority order,
// then sparklines where room is left.
type columns struct {
	name                       int
	load, disk, net, up, total bool
	spark                      int // cells of each sparkline (0: none)
}

func columnsFor(w, nameW int) columns {
	c := columns{name: nameW}
	left := w - 2 - nameW - (2 + 3 + 1 + wPct) - (2 + 3 + 1 + wPct) // marker, name, cpu, mem
	take := func(n int) bool {
		if left >= n {
			left -= n
			return true
		}
		return false
	}
	c.load = take(2 + 4 + 1 + wLoad)
	c.disk = take(2 + 4 + 1 + 12)
	c.total = take(1 + 9)
	c.net = take(2 + 4 + 1 + 10 + 2 + 10)
	c.up = take(2 + 2 + 1 + 6)
	if left >= 2*(1+4) {
		c.spark = min(wSpark, left/2-1)
	}
	return c
}

// fullest is the filesystem with the highest fill ratio.
func fullest(h view.Host) (view.Filesystem, bool) {
	var best view.Filesystem
	ok := false
	for _, fs := range h.Filesystems {
		if fs.UsedRatio.OK && (!ok || fs.UsedRatio.V > best.UsedRatio.V) {
			best, ok = fs, true
		}
	}
	return best, ok
}

func (m *Model) renderList() []string {
	nameW := 4
	for _, h := range m.rows {
		nameW = max(nameW, styles.Width(sources.OneLine(h.Host)))
	}
	nameW = min(nameW, max(8, min(28, m.w/4)))
	c := columnsFor(m.w, nameW)
	room := m.h
	if len(m.rows) > room {
		room = m.h - 1 // "+N more"
	}
	if m.sel < m.top {
		m.top = m.sel
	}
	if room > 0 && m.sel >= m.top+room {
		m.top = m.sel - room + 1
	}
	m.top = min(max(m.top, 0), max(0, len(m.rows)-room))
	var lines []string
	for i := m.top; i < len(m.rows) && len(lines) < room; i++ {
		lines = append(lines, m.row(m.rows[i], i == m.sel, c))
	}
	if more := len(m.rows) - len(lines); more > 0 {
		lines = append(lines, styles.PDim.Paint("+"+strconv.Itoa(more)+" more · / to filter"))
	}
	return lines
}

func pct(n view.Num) string { return styles.NumPlain(n, styles.Percent) }

func fig(label, v string, w int) string {
	pad := styles.Pad(max(0, w-styles.Width(v)))
	if v == styles.NA {
		return styles.PDim.Paint(label) + " " + pad + styles.NAText()
	}
	return styles.PDim.Paint(label) + " " + pad + v
}

func level(v view.Num, warn, crit float64) int {
	switch {
	case !v.OK:
		return styles.LevelNone
	case v.V >= crit:
		return styles.LevelCrit
	case v.V >= warn:
		return styles.LevelWarn
	}
	return styles.LevelNone
}

func paint(v view.Num, s string, warn, crit float64) string {
	if !v.OK {
		return s
	}
	return styles.PaintLevel(level(v, warn, crit), s)
}

// row is one host: name, cpu, mem, load, fullest disk, network, uptime.
func (m *Model) row(h view.Host, sel bool, c columns) string {
	var b strings.Builder
	name := styles.Fit(sources.OneLine(h.Host), c.name)
	switch {
	case sel && m.focused:
		b.WriteString(styles.PFocus.Paint("▸ ") + styles.PBold.Paint(name))
	case sel:
		b.WriteString("› " + name)
	default:
		b.WriteString("  " + name)
	}
	b.WriteString("  " + fig("cpu", paint(h.CPUBusy, pct(h.CPUBusy), 0.85, 0.95), wPct))
	if c.spark > 0 {
		b.WriteString(" " + m.spark(h.Host, c.spark, true))
	}
	b.WriteString("  " + fig("mem", paint(h.MemUsedRatio, pct(h.MemUsedRatio), 0.85, 0.95), wPct))
	if c.spark > 0 {
		b.WriteString(" " + m.spark(h.Host, c.spark, false))
	}
	if c.total && h.MemTotal.OK {
		b.WriteString(styles.PDim.Paint(" of ") + styles.Fit(styles.Bytes(h.MemTotal.V), 6))
	} else if c.total {
		b.WriteString(styles.Pad(10))
	}
	if c.load {
		b.WriteString("  " + fig("load", styles.NumPlain(h.Load1, loadText), wLoad))
	}
	if c.disk {
		if fs, ok := fullest(h); ok {
			b.WriteString("  " + styles.PDim.Paint("disk ") + styles.Fit(sources.OneLine(fs.Mountpoint), 7) + " " +
				paint(fs.UsedRatio, styles.Fit(pct(fs.UsedRatio), wPct), 0.85, 0.95))
		} else {
			b.WriteString("  " + fig("disk", styles.NA, 12))
		}
	}
	if c.net {
		b.WriteString("  " + styles.PDim.Paint("net ") + netText(h))
	}
	if c.up {
		b.WriteString("  " + fig("up", styles.NumPlain(h.Uptime, styles.Duration), 6))
	}
	return b.String()
}

func loadText(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

func netText(h view.Host) string {
	rate := func(n view.Num) string {
		if !n.OK {
			return styles.NAText()
		}
		return styles.Bytes(n.V) + "/s"
	}
	return "↓" + styles.Fit(rate(h.NetRx), 10) + " ↑" + styles.Fit(rate(h.NetTx), 10)
}

// spark is the host's CPU busy (cpu) or memory used ratio over the shared
// window in n cells, the cursor's column marked.
func (m *Model) spark(host string, n int, cpu bool) string {
	ax := layout.NewAxis(m.env.Now, m.env.Zoom, n)
	var v []float64
	if cpu {
		v = m.cols.HostCPUBusy(m.env.Store, host, ax)
	} else {
		v = m.cols.HostMemUsed(m.env.Store, host, ax)
	}
	return styles.Spark(v, 1, ax.Index(m.env.Cursor), func(x float64) int { return level(view.Some(x), 0.85, 0.95) })
}

// previewMin is the room (rows) under the list that earns a preview of
// the selected host.
const previewMin = 10

// renderDetail is the host's figures, filesystems and charts in rows rows.
func (m *Model) renderDetail(h view.Host, rows int) []string {
	lines := []string{
		styles.PBold.Paint(sources.OneLine(h.Host)) + styles.PDim.Paint("  "+styles.NumPlain(h.CPUCount, styles.Count)+" CPUs  up ") +
			styles.NumPlain(h.Uptime, styles.Duration),
		fig("cpu busy", paint(h.CPUBusy, pct(h.CPUBusy), 0.85, 0.95), 0) + "  " + fig("load", styles.NumPlain(h.Load1, loadText), 0) +
			"  " + fig("mem", paint(h.MemUsedRatio, pct(h.MemUsedRatio), 0.85, 0.95), 0) + styles.PDim.Paint(" of ") +
			styles.NumPlain(h.MemTotal, styles.Bytes) + "  " + styles.PDim.Paint("net ") + netText(h),
	}
	// Filesystems: as many per line as fit.
	var fsl []string
	for _, fs := range h.Filesystems {
		fsl = append(fsl, sources.OneLine(fs.Mountpoint)+" "+paint(fs.UsedRatio, pct(fs.UsedRatio), 0.85, 0.95)+
			styles.PDim.Paint(" of "+styles.NumPlain(fs.SizeBytes, styles.Bytes)))
	}
	line := styles.PDim.Paint("disk")
	for _, f := range fsl {
		if styles.Width(line)+3+styles.Width(f) > m.w && line != "" {
			lines = append(lines, line)
			line = "    "
		}
		line += "  " + f
	}
	if len(fsl) == 0 {
		line += " " + styles.NAText()
	}
	lines = append(lines, line)
	room := rows - len(lines)
	cols := m.w - styles.ChartGutter
	if room < 8 || cols < 8 {
		return lines
	}
	ax := layout.NewAxis(m.env.Now, m.env.Zoom, cols)
	each := room / 2
	for i, ch := range []struct {
		label string
		v     []float64
		n     view.Num
	}{{"cpu busy", m.cols.HostCPUBusy(m.env.Store, h.Host, ax), h.CPUBusy}, {"memory used", m.cols.HostMemUsed(m.env.Store, h.Host, ax), h.MemUsedRatio}} {
		hh := each
		opts := styles.ChartOpts{Top: 1, YLabel: styles.PercentAxis, Mark: ax.Index(m.env.Cursor)}
		if i == 1 {
			hh = room - each
			opts.XLabel = ax.ChartLabel
		}
		lines = append(lines, styles.PDim.Paint(ch.label+" ")+pct(ch.n)+styles.PDim.Paint(" over "+styles.Duration(m.env.Zoom.Seconds())))
		lines = append(lines, styles.LineChart(m.w, hh-1, []styles.LineSeries{{Name: ch.label, Values: ch.v}}, opts)...)
	}
	return lines
}
