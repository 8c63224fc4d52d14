package fleet

import (
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// extreme is the fleet's worst figure of one kind and where it is.
type extreme struct {
	host, what string  // the host, and what on it ("GPU 3", a service)
	v          float64 // the figure
	level      int     // its styles level
	ok         bool
}

// extremes are the fleet's worst figures, shown on top whatever the grid's
// order: the hottest GPU, the deepest queue, the highest error ratio, the
// slowest p99.
type extremes struct {
	temp, queue, errs, p99 extreme
}

// extremesOf finds the extremes among the evaluated GPUs and services of
// the hosts keep keeps (nil: all); ties go to the first host by name.
func extremesOf(ov view.Overview, o view.Options, keep map[string]bool) extremes {
	var e extremes
	better := func(x extreme, v float64, host string) bool {
		return !x.ok || v > x.v || v == x.v && host < x.host
	}
	tw, tc := orDefault(o.GPUTempWarn, view.DefaultGPUTempWarn), orDefault(o.GPUTempCrit, view.DefaultGPUTempCrit)
	qw, qc := orDefault(o.QueueWarn, view.DefaultQueueWarn), orDefault(o.QueueCrit, view.DefaultQueueCrit)
	for _, g := range ov.GPUs {
		if keep != nil && !keep[g.Host] {
			continue
		}
		if g.Temp.OK && better(e.temp, g.Temp.V, g.Host) {
			e.temp = extreme{host: g.Host, what: "GPU " + g.Index, v: g.Temp.V, level: level(g.Temp.V, tw, tc), ok: true}
		}
	}
	for _, s := range ov.Services {
		if keep != nil && !keep[s.Host] {
			continue
		}
		if q := s.QueueDepth; q.OK && better(e.queue, q.V, s.Host) {
			e.queue = extreme{host: s.Host, what: s.DisplayName(), v: q.V, level: level(q.V, qw, qc), ok: true}
		}
		if r := s.ErrorRate; r.OK && better(e.errs, r.V, s.Host) {
			lv := styles.LevelOK
			if s.ErrorTarget > 0 {
				lv = level(r.V, s.ErrorTarget/2, s.ErrorTarget)
				if r.V == s.ErrorTarget/2 {
					lv = styles.LevelOK
				}
			}
			e.errs = extreme{host: s.Host, what: s.DisplayName(), v: r.V, level: lv, ok: true}
		}
		if p := s.Latency.P99; p.OK && better(e.p99, p.V, s.Host) {
			e.p99 = extreme{host: s.Host, what: s.DisplayName(), v: p.V, level: styles.LevelNone, ok: true}
		}
	}
	return e
}

func orDefault(v, d float64) float64 {
	if v > 0 {
		return v
	}
	return d
}

// level grades v against a warning and a critical threshold (at or above).
func level(v, warn, crit float64) int {
	switch {
	case v >= crit:
		return styles.LevelCrit
	case v >= warn:
		return styles.LevelWarn
	}
	return styles.LevelOK
}

func (m *Model) render() {
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	g := m.geo
	lines := make([]string, 0, m.h)
	if m.env.Store == nil || len(m.fl.Hosts) == 0 {
		lines = append(lines, styles.PDim.Paint(styles.Trunc("no hosts yet: vigil --prom URL watches a fleet through its engine; several --scrape targets work too", m.w)))
		m.out = styles.Block(strings.Join(lines, "\n"), m.w, m.h)
		return
	}
	head := []string{m.legend(), m.extremesLine(), m.selectionLine()}
	switch g.head {
	case 1:
		head = head[2:] // the selection (its severity is its legend)
	case 2:
		head = []string{head[0], head[2]}
	case 3:
	default:
		head = nil
	}
	for _, l := range head {
		lines = append(lines, styles.Fit(l, m.w))
	}
	grid := m.gridLines()
	var gpus, svcs []string
	if g.gpuH > 0 {
		gpus = m.gpuLines(g.gpuH, m.listWidth())
	}
	if g.svcH > 0 {
		svcs = m.svcLines(g.svcH, m.listWidth())
	}
	body := make([]string, max(m.h-len(lines), 0))
	for i := range body {
		var b strings.Builder
		switch {
		case g.side:
			b.WriteString(at(grid, i, g.gridW))
			b.WriteString(" ")
			if i < g.gpuH {
				b.WriteString(at(gpus, i, g.listW))
			} else {
				b.WriteString(at(svcs, i-g.gpuH, g.listW))
			}
		case i < g.gridH:
			b.WriteString(at(grid, i, m.w))
		case g.pair:
			j := i - g.gridH
			lw := m.listWidth()
			b.WriteString(at(gpus, j, lw))
			b.WriteString(" ")
			b.WriteString(at(svcs, j, m.w-lw-1))
		default:
			j := i - g.gridH
			if j < g.gpuH {
				b.WriteString(at(gpus, j, m.w))
			} else {
				b.WriteString(at(svcs, j-g.gpuH, m.w))
			}
		}
		body[i] = b.String()
	}
	lines = append(lines, body...)
	m.out = strings.Join(lines, "\n")
}

// listWidth is each list's width.
func (m *Model) listWidth() int {
	g := m.geo
	if g.pair {
		return (m.w - 1) / 2
	}
	if g.side {
		return g.listW
	}
	return m.w
}

// at is line i of ls fitted to w cells (blank past the end).
func at(ls []string, i, w int) string {
	if i < 0 || i >= len(ls) {
		return styles.Pad(w)
	}
	return styles.Fit(ls[i], w)
}

// legend is the count of hosts of each severity, with its glyph.
func (m *Model) legend() string {
	count := map[string]int{}
	for _, gr := range m.groups {
		for s, n := range gr.count {
			count[s] += n
		}
	}
	build := func(short bool) string {
		parts := make([]string, 0, len(severities))
		for _, s := range severities {
			n := count[s]
			p := strconv.Itoa(n) + " " + word(s, short)
			if n == 0 {
				parts = append(parts, styles.PDim.Paint(Glyph(s)+" "+p))
			} else {
				parts = append(parts, paint(s, Glyph(s))+" "+p)
			}
		}
		return strings.Join(parts, "  ")
	}
	if l := build(false); styles.Width(l) <= m.w {
		return l
	}
	return build(true)
}

// extremesLine names the hottest GPU, the deepest queue, the highest error
// ratio and the slowest p99, each with its host: the hottest GPU and the
// deepest queue stay whatever the width.
func (m *Model) extremesLine() string {
	e := m.ext
	host := func(x extreme) string { return styles.PBold.Paint(sources.OneLine(x.host)) }
	var parts []styles.Part
	if e.temp.ok {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("hottest ") + host(e.temp) + " " + sources.OneLine(e.temp.what) + " " +
			styles.PaintLevel(e.temp.level, strconv.FormatFloat(e.temp.v, 'f', 0, 64)+"°C")})
	}
	if e.queue.ok {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("deepest queue ") + host(e.queue) + " " +
			styles.PaintLevel(e.queue.level, styles.Count(e.queue.v)), Rank: 0})
	}
	if e.errs.ok {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("errors ") + host(e.errs) + " " +
			styles.PaintLevel(e.errs.level, styles.Percent(e.errs.v)), Rank: 1})
	}
	if e.p99.ok {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("slowest p99 ") + host(e.p99) + " " + styles.Seconds(e.p99.v), Rank: 2})
	}
	if len(parts) == 0 {
		return styles.PDim.Paint("no GPU or service figures at this instant")
	}
	return styles.Parts(m.w, styles.PDim.Paint(" · "), parts...)
}

// selectionLine is the selected host (or list row's host) and its worst
// signal, its group, its counts and the age of its data.
func (m *Model) selectionLine() string {
	if len(m.order) == 0 {
		if m.filter.Active() {
			return styles.PDim.Paint("no host matches /" + sources.OneLine(m.filterStr))
		}
		return styles.PDim.Paint("no hosts")
	}
	h, _ := m.selected()
	mark := "  "
	if m.focused && m.area == AreaGrid {
		mark = styles.PFocus.Paint("▸ ")
	}
	parts := []styles.Part{
		{Text: mark + styles.PBold.Paint(sources.OneLine(h.Host)) + " " + paint(h.Severity, Glyph(h.Severity)+" "+h.Severity)},
	}
	if h.Worst != "" {
		parts = append(parts, styles.Part{Text: paint(h.Severity, sources.OneLine(h.Worst)), Rank: 1})
	}
	if label := m.Group(); label != GroupNone && h.Groups[label] != "" {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint(label+" ") + sources.OneLine(h.Groups[label]), Rank: 3})
	}
	parts = append(parts, styles.Part{Text: styles.PDim.Paint(plural(h.GPUs, "GPU") + " · " + plural(h.Services, "service")), Rank: 4})
	if h.Targets > 0 {
		up := styles.PDim.Paint(strconv.Itoa(h.Targets-h.TargetsDown) + "/" + strconv.Itoa(h.Targets) + " targets up")
		if h.TargetsDown > 0 {
			up = styles.PCrit.Paint(strconv.Itoa(h.Targets-h.TargetsDown) + "/" + strconv.Itoa(h.Targets) + " targets up")
		}
		parts = append(parts, styles.Part{Text: up, Rank: 5})
	}
	parts = append(parts, styles.Part{Text: styles.PDim.Paint("data " + styles.NumPlain(h.Age, styles.Duration) + " old"), Rank: 2})
	// Two spaces apart: " · " would read as an ok host's glyph.
	return styles.Parts(m.w, "  ", parts...)
}

// gridLines are the visible grid rows, each gridW cells.
func (m *Model) gridLines() []string {
	g := m.geo
	if g.gridH <= 0 || g.gridW <= 0 {
		return nil
	}
	out := make([]string, 0, g.gridH)
	end := min(m.top+g.visible, len(g.rows))
	for r := m.top; r < end; r++ {
		vr := g.rows[r]
		if vr.header {
			out = append(out, m.headerLine(m.groups[vr.group], g.gridW))
			continue
		}
		out = append(out, m.cellLine(vr, g))
	}
	if len(g.rows) > g.gridH {
		out = append(out, m.moreLine(end))
	}
	return out
}

// headerLine is a group's name, its hosts and its counts of each severity
// worse than ok.
func (m *Model) headerLine(gr group, w int) string {
	n := 0
	for _, c := range gr.count {
		n += c
	}
	s := styles.PBold.Paint(sources.OneLine(gr.name)) + styles.PDim.Paint(" "+plural(n, "host"))
	for _, sev := range severities {
		if sev == view.SevOK {
			break
		}
		if c := gr.count[sev]; c > 0 {
			s += " " + paint(sev, Glyph(sev)+" "+strconv.Itoa(c))
		}
	}
	return styles.Trunc(s, w)
}

// cellLine draws one row of hosts: runs of one severity are painted at
// once; the selected cell is reversed where the grid has the focus, and
// followed by ◂ where cells have a gap. Named cells show the host's name
// after its glyph.
func (m *Model) cellLine(vr vrow, g geometry) string {
	var b strings.Builder
	width := 0
	run, runSev := strings.Builder{}, ""
	flush := func() {
		if run.Len() > 0 {
			b.WriteString(paint(runSev, run.String()))
			run.Reset()
		}
	}
	gapW := g.gap(g.cw)
	if g.lead > 0 {
		label := ""
		if vr.label {
			label = sources.OneLine(m.groups[vr.group].name)
		}
		b.WriteString(styles.PBold.Paint(styles.Fit(label, g.lead-1)) + " ")
		width = g.lead
	}
	for i := 0; i < vr.n; i++ {
		oi := vr.first + i
		h := m.fl.Hosts[m.order[oi]]
		cell := Glyph(h.Severity)
		if g.named() {
			cell += " " + styles.Fit(sources.OneLine(h.Host), g.nameW)
		}
		cellW := g.cw - gapW
		gap, gw := "", 0
		if gapW > 0 && width+cellW+gapW <= g.gridW {
			gap, gw = styles.Pad(gapW), gapW
		}
		if oi == m.sel {
			flush()
			c := paint(h.Severity, cell)
			if m.focused && m.area == AreaGrid {
				c = styles.PReverse.Paint(c)
			}
			b.WriteString(c)
			if gap != "" {
				gap = styles.PFocus.Paint("◂") + gap[1:]
			}
			b.WriteString(gap)
			width += cellW + gw
			continue
		}
		if h.Severity != runSev {
			flush()
			runSev = h.Severity
		}
		run.WriteString(cell)
		run.WriteString(gap)
		width += cellW + gw
	}
	flush()
	if width < g.gridW {
		b.WriteString(styles.Pad(g.gridW - width))
	}
	return styles.Trunc(b.String(), g.gridW)
}

// moreLine says which rows are shown and counts the hosts of each severity
// worse than ok in the rows below.
func (m *Model) moreLine(end int) string {
	g := m.geo
	count := map[string]int{}
	for _, vr := range g.rows[end:] {
		for i := 0; i < vr.n; i++ {
			count[m.fl.Hosts[m.order[vr.first+i]].Severity]++
		}
	}
	s := styles.PDim.Paint("rows " + strconv.Itoa(m.top+1) + "–" + strconv.Itoa(end) + " of " + strconv.Itoa(len(g.rows)))
	if end < len(g.rows) {
		below := ""
		for _, sev := range severities {
			if sev == view.SevOK {
				break
			}
			if c := count[sev]; c > 0 {
				below += " " + paint(sev, Glyph(sev)+" "+strconv.Itoa(c))
			}
		}
		if below == "" {
			below = styles.PDim.Paint(" all ok")
		}
		s += styles.PDim.Paint(" · below:") + below
	}
	return styles.Trunc(s, g.gridW)
}

// listTitle is a list's title: bold, marked when the list has the focus,
// with what it is out of and a hint where they fit.
func (m *Model) listTitle(title, of string, area, w int) string {
	mark := "  "
	if m.focused && m.area == area {
		mark = styles.PFocus.Paint("▸ ")
	}
	return styles.Parts(w, "", styles.Part{Text: mark + styles.PBold.Paint(title)},
		styles.Part{Text: styles.PDim.Paint(" of " + of), Rank: 1},
		styles.Part{Text: styles.PDim.Paint(" · enter: scope to its host"), Rank: 2})
}

// listRow is a list's row: the fixed columns, then the rest, cut to fit.
func listRow(w int, fixed, rest string) string {
	fw := styles.Width(fixed)
	if rest == "" || fw+1 >= w {
		return styles.Trunc(fixed, w)
	}
	return fixed + " " + styles.Trunc(rest, w-fw-1)
}

// gpuLines are the worst GPUs list: title, then one row per GPU naming its
// host (glyph, host, GPU, temperature, what makes it bad or its
// utilisation), worst first, scrolled to the selection.
func (m *Model) gpuLines(h, w int) []string {
	out := []string{m.listTitle("Worst GPUs", plural(len(m.env.Overview.GPUs), "GPU"), AreaGPUs, w)}
	if len(m.gpus) == 0 {
		return append(out, styles.PDim.Paint("  no GPUs"))
	}
	hw, iw := 0, 0
	for _, g := range m.gpus {
		hw = max(hw, styles.Width(sources.OneLine(g.Host)))
		iw = max(iw, styles.Width(sources.OneLine(g.GPU)))
	}
	hw = min(hw, max(w/3, 8))
	off := offset(m.gpuSel, len(m.gpus), h-1)
	for i := off; i < len(m.gpus) && len(out) < h; i++ {
		g := m.gpus[i]
		mark := "  "
		if i == m.gpuSel && m.area == AreaGPUs {
			mark = styles.PFocus.Paint("▸ ")
		}
		fixed := mark + paint(g.Severity, Glyph(g.Severity)) + " " + styles.Fit(sources.OneLine(g.Host), hw) + " " +
			styles.PDim.Paint("GPU ") + styles.Fit(sources.OneLine(g.GPU), iw) + " " +
			styles.PaintLevel(tempLevel(g, m.env.Options), styles.Fit(styles.NumPlain(g.Temp, celsius), 4))
		var rest []string
		if reason := strings.TrimPrefix(g.Reason, "GPU "+g.GPU+" "); reason != "" && !strings.HasPrefix(reason, "at ") {
			rest = append(rest, paint(g.Severity, sources.OneLine(reason)))
		}
		rest = append(rest, styles.PDim.Paint("util ")+styles.NumPlain(g.Util, styles.Percent))
		out = append(out, listRow(w, fixed, strings.Join(rest, "  ")))
	}
	return out
}

// svcLines are the worst services list: title, then one row per service
// naming its host (glyph, host, service, the figure that makes it bad,
// then its queue, error ratio and p99), worst first, scrolled to the
// selection.
func (m *Model) svcLines(h, w int) []string {
	out := []string{m.listTitle("Worst services", plural(len(m.env.Overview.Services), "service"), AreaServices, w)}
	if len(m.svcs) == 0 {
		return append(out, styles.PDim.Paint("  no services"))
	}
	hw, nw := 0, 0
	for _, s := range m.svcs {
		hw = max(hw, styles.Width(sources.OneLine(s.Host)))
		nw = max(nw, styles.Width(sources.OneLine(s.Service)))
	}
	hw = min(hw, max(w/3, 8))
	nw = min(nw, max(w-hw-20, 8))
	off := offset(m.svcSel, len(m.svcs), h-1)
	for i := off; i < len(m.svcs) && len(out) < h; i++ {
		s := m.svcs[i]
		mark := "  "
		if i == m.svcSel && m.area == AreaServices {
			mark = styles.PFocus.Paint("▸ ")
		}
		fixed := mark + paint(s.Severity, Glyph(s.Severity)) + " " + styles.Fit(sources.OneLine(s.Host), hw) + " " +
			styles.Fit(sources.OneLine(s.Service), nw)
		figs := []struct{ tag, v string }{
			{"q", styles.NumPlain(s.QueueDepth, styles.Count)},
			{"err", styles.NumPlain(s.ErrorRate, styles.Percent)},
			{"p99", styles.NumPlain(s.P99, styles.Seconds)},
		}
		// The figure that makes it bad comes first, in its colour.
		worst := -1
		switch reason := strings.TrimPrefix(s.Reason, s.Service+" "); {
		case strings.HasPrefix(reason, "queue"):
			worst = 0
		case strings.HasPrefix(reason, "errors"):
			worst = 1
		case strings.HasPrefix(reason, "p99"):
			worst = 2
		}
		var rest []string
		if worst >= 0 {
			rest = append(rest, paint(s.Severity, figs[worst].tag+" "+figs[worst].v))
		}
		for j, f := range figs {
			if j != worst {
				rest = append(rest, styles.PDim.Paint(f.tag+" ")+f.v)
			}
		}
		out = append(out, listRow(w, fixed, strings.Join(rest, "  ")))
	}
	return out
}

func celsius(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + "°C" }

func tempLevel(g view.FleetGPU, o view.Options) int {
	if !g.Temp.OK {
		return styles.LevelNone
	}
	return level(g.Temp.V, orDefault(o.GPUTempWarn, view.DefaultGPUTempWarn), orDefault(o.GPUTempCrit, view.DefaultGPUTempCrit))
}

// offset is the first row shown of a list of n rows, room rows tall, so
// that sel is in view.
func offset(sel, n, room int) int {
	if room <= 0 || n <= room {
		return 0
	}
	return min(max(sel-room+1, 0), n-room)
}
