package fleetpane

import (
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// levelOf is the styles level a fleet severity paints a figure with.
func levelOf(sev string) int {
	switch sev {
	case view.SevDown, view.SevCritical:
		return styles.LevelCrit
	case view.SevWarning:
		return styles.LevelWarn
	case view.SevOK:
		return styles.LevelOK
	}
	return styles.LevelNone
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
	host := func(x view.FleetExtreme) string { return styles.PBold.Paint(sources.OneLine(x.Host)) }
	var parts []styles.Part
	if x := e.Temp; x.Value.OK {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("hottest ") + host(x) + " " + sources.OneLine(x.What) + " " +
			styles.PaintLevel(levelOf(x.Severity), celsius(x.Value.V))})
	}
	if x := e.Queue; x.Value.OK {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("deepest queue ") + host(x) + " " +
			styles.PaintLevel(levelOf(x.Severity), styles.Count(x.Value.V)), Rank: 0})
	}
	if x := e.Errors; x.Value.OK {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("errors ") + host(x) + " " +
			styles.PaintLevel(levelOf(x.Severity), styles.Percent(x.Value.V)), Rank: 1})
	}
	if x := e.P99; x.Value.OK {
		parts = append(parts, styles.Part{Text: styles.PDim.Paint("slowest p99 ") + host(x) + " " +
			styles.PaintLevel(levelOf(x.Severity), styles.Seconds(x.Value.V)), Rank: 2})
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
	// The worst signal stays (cut as a last resort); where the line is
	// narrow the severity's word goes first, its glyph says it.
	first := mark + styles.PBold.Paint(sources.OneLine(h.Host)) + " " + paint(h.Severity, Glyph(h.Severity)+" "+h.Severity)
	worst := sources.OneLine(h.Worst)
	if worst != "" && styles.Width(first)+2+styles.Width(worst) > m.w {
		first = mark + styles.PBold.Paint(sources.OneLine(h.Host)) + " " + paint(h.Severity, Glyph(h.Severity))
	}
	parts := []styles.Part{{Text: first}}
	if worst != "" {
		parts = append(parts, styles.Part{Text: paint(h.Severity, worst)})
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
// naming its host (glyph, host, the figure that makes it bad — else its
// error ratio —, the service, its other figures among queue, error ratio
// and p99), worst first, scrolled to the selection.
func (m *Model) svcLines(h, w int) []string {
	out := []string{m.listTitle("Worst services", plural(len(m.env.Overview.Services), "service"), AreaServices, w)}
	if len(m.svcs) == 0 {
		return append(out, styles.PDim.Paint("  no services"))
	}
	type row struct {
		s     view.FleetService
		worst string // the figure that makes it bad (else its error ratio), tagged
		rest  string // the other figures
	}
	off := offset(m.svcSel, len(m.svcs), h-1)
	rows := make([]row, 0, h)
	hw, nw, fw := 0, 0, 0
	for i := off; i < len(m.svcs) && len(rows) < h-1; i++ {
		s := m.svcs[i]
		figs := []struct{ tag, v string }{
			{"q", styles.NumPlain(s.QueueDepth, styles.Count)},
			{"err", styles.NumPlain(s.ErrorRate, styles.Percent)},
			{"p99", styles.NumPlain(s.P99, styles.Seconds)},
		}
		worst := 1
		switch reason := strings.TrimPrefix(s.Reason, s.Service+" "); {
		case strings.HasPrefix(reason, "queue"):
			worst = 0
		case strings.HasPrefix(reason, "p99"):
			worst = 2
		}
		var rest []string
		for j, f := range figs {
			if j != worst {
				rest = append(rest, styles.PDim.Paint(f.tag+" ")+f.v)
			}
		}
		r := row{s: s, worst: figs[worst].tag + " " + figs[worst].v, rest: strings.Join(rest, "  ")}
		rows = append(rows, r)
		hw = max(hw, styles.Width(sources.OneLine(s.Host)))
		nw = max(nw, styles.Width(sources.OneLine(s.Service)))
		fw = max(fw, styles.Width(r.worst))
	}
	hw = min(hw, max(w/3, 8))
	fw = min(fw, 12)
	rw := 0 // the other figures' width
	for _, r := range rows {
		rw = max(rw, styles.Width(r.rest))
	}
	// The name takes what is left beside the other figures, else at least
	// 16 cells (or what there is): a name tells services apart before a
	// second figure does.
	room := max(w-2-2-hw-1-fw-1, 0)
	if nw+2+rw > room {
		nw = max(room-2-rw, min(16, room))
	}
	for k, r := range rows {
		s := r.s
		mark := "  "
		if off+k == m.svcSel && m.area == AreaServices {
			mark = styles.PFocus.Paint("▸ ")
		}
		// The figure that makes it bad comes right after the host, in its
		// colour, so a narrow list still shows it.
		fixed := mark + paint(s.Severity, Glyph(s.Severity)) + " " + styles.Fit(sources.OneLine(s.Host), hw) + " " +
			paint(s.Severity, styles.Fit(r.worst, fw))
		out = append(out, listRow(w, fixed, styles.Fit(sources.OneLine(s.Service), nw)+"  "+r.rest))
	}
	return out
}

func celsius(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + "°C" }

func tempLevel(g view.FleetGPU, o view.Options) int {
	if !g.Temp.OK {
		return styles.LevelNone
	}
	return levelOf(view.GPUTempSeverity(g.Temp.V, o))
}

// offset is the first row shown of a list of n rows, room rows tall, so
// that sel is in view.
func offset(sel, n, room int) int {
	if room <= 0 || n <= room {
		return 0
	}
	return min(max(sel-room+1, 0), n-room)
}
