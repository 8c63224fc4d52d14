package fleetpane

import (
	"strconv"

	"github.com/vigil-dev/vigil/sources"

	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// severities, worst first, as the grid orders and counts them.
var severities = []string{view.SevDown, view.SevCritical, view.SevGone, view.SevWarning, view.SevOK, view.SevNA}

// Glyph is the cell of a host of severity sev: a shape per severity, so the
// grid reads without colour.
func Glyph(sev string) string {
	switch sev {
	case view.SevDown:
		return "✖"
	case view.SevCritical:
		return "█"
	case view.SevGone:
		return "○"
	case view.SevWarning:
		return "▒"
	case view.SevOK:
		return "·"
	}
	return "?"
}

// painter is the colour of severity sev.
func painter(sev string) *styles.Painter {
	switch sev {
	case view.SevDown, view.SevCritical:
		return styles.PCrit
	case view.SevWarning:
		return styles.PWarn
	case view.SevOK:
		return styles.POK
	}
	return styles.PDim
}

// paint is sev's glyph (or s) in sev's colour.
func paint(sev, s string) string { return painter(sev).Paint(s) }

// word is sev in a few letters, for narrow legends.
func word(sev string, short bool) string {
	if !short {
		return sev
	}
	switch sev {
	case view.SevCritical:
		return "crit"
	case view.SevWarning:
		return "warn"
	}
	return sev
}

// geometry is where the parts of the pane go, in the pane's cells.
type geometry struct {
	head                       int // header lines: legend, extremes, selection
	gridW, gridH               int // the grid's area, from (0, head)
	cw                         int // cell width: a name's (glyph, name, gap), 2 (glyph and gap) or 1
	nameW                      int // in named cells, the name's width
	lead                       int // inline group names: their width, left of the cells
	perRow                     int // cells per grid row
	rows                       []vrow
	visible                    int  // grid rows shown (the rest scroll)
	side                       bool // the lists are right of the grid, else under it
	listX, listY, listW, listH int  // the lists' area
	gpuH, svcH                 int  // each list's rows, title included
	pair                       bool // under the grid: the two lists side by side
}

// named reports cells that show the host's name.
func (g geometry) named() bool { return g.cw > 2 }

// vrow is one grid row: a group's header, or up to perRow of its hosts.
type vrow struct {
	group  int
	header bool
	label  bool // inline: the group's name leads this row
	first  int  // index into Model.order
	n      int
}

// Layout thresholds, in the pane's cells.
const (
	sideMinW     = 100 // from here the lists are right of the grid
	listMinW     = 40
	listMaxW     = 72
	pairMinW     = 70 // under the grid, the two lists side by side from here
	listMinBelow = 4  // rows the lists keep under the grid (title and three)
	listMaxBelow = 8  // rows they take from a grid that needs them
	maxNameW     = 24 // a named cell's name is cut here
	maxLabelW    = 16 // an inline group name is cut here
	nameGap      = 2  // cells between named cells
)

// layout computes the geometry for the pane's size and the groups shown:
// named cells where every host fits with its name, else two-cell, else
// one-cell cells, else one-cell cells scrolled; the lists take the rest.
func (m *Model) layout() {
	w, h := m.w, m.h
	g := geometry{}
	switch {
	case h >= 12:
		g.head = 3
	case h >= 6:
		g.head = 2
	case h >= 1:
		g.head = 1
	}
	body := max(h-g.head, 0)
	g.gridW, g.gridH = w, body
	lb := 0 // list rows under the grid
	if w >= sideMinW {
		g.side = true
		g.listW = min(max(w*2/5, listMinW), listMaxW)
		g.gridW = w - g.listW - 1
	} else if body >= 2*listMinBelow {
		lb = min(max(body/3, listMinBelow), listMaxBelow)
		g.gridH = body - lb
	}
	g.nameW = 0
	for _, i := range m.order {
		g.nameW = max(g.nameW, styles.Width(sources.OneLine(m.fl.Hosts[i].Host)))
	}
	g.nameW = min(g.nameW, maxNameW)
	grouped := m.Group() != GroupNone
	labelW := 0
	if grouped {
		for _, gr := range m.groups {
			labelW = max(labelW, styles.Width(sources.OneLine(gr.name)))
		}
		labelW = min(labelW, maxLabelW) + 1
	}
	// build lays the groups out in cells cw wide: each group under a header
	// line (its name and counts), or inline, its name left of its first row.
	build := func(cw int, inline bool) ([]vrow, int) {
		lead := 0
		if inline {
			lead = labelW
		}
		// n cells take n·cw − gap: the last cell's gap may fall outside.
		per := max((g.gridW-lead+g.gap(cw))/cw, 1)
		var rows []vrow
		first := 0
		for gi, gr := range m.groups {
			if grouped && !inline {
				rows = append(rows, vrow{group: gi, header: true, first: first})
			}
			for i := 0; i < len(gr.hosts); i += per {
				rows = append(rows, vrow{group: gi, first: first + i, n: min(per, len(gr.hosts)-i), label: inline && i == 0})
			}
			first += len(gr.hosts)
		}
		return rows, per
	}
	type choice struct {
		cw     int
		inline bool
	}
	choices := []choice{{g.nameW + 2 + nameGap, false}, {2, false}, {1, false}}
	if grouped {
		choices = append(choices, choice{2, true}, choice{1, true})
	}
	// The first that fits; where none does, the roomiest of those with the
	// fewest rows (the grid scrolls).
	best := -1
	for _, c := range choices {
		if c.cw > g.gridW || c.cw > 2 && g.nameW == 0 {
			continue
		}
		rows, per := build(c.cw, c.inline)
		if best < 0 || len(rows) < best {
			best = len(rows)
			g.cw, g.rows, g.perRow, g.lead = c.cw, rows, per, 0
			if c.inline {
				g.lead = labelW
			}
		}
		if len(rows) <= g.gridH {
			g.cw, g.rows, g.perRow, g.lead = c.cw, rows, per, 0
			if c.inline {
				g.lead = labelW
			}
			break
		}
	}
	if !g.side && lb > 0 && len(g.rows) < g.gridH {
		// A small fleet: the lists take what the grid does not need.
		lb += g.gridH - max(len(g.rows), 1)
		g.gridH = max(len(g.rows), 1)
	}
	if g.side {
		g.listX, g.listY, g.listH = g.gridW+1, g.head, body
		g.gpuH = min((body+1)/2, max(len(m.gpus)+1, 2))
		g.svcH = body - g.gpuH
	} else if lb > 0 {
		g.listX, g.listY, g.listW, g.listH = 0, g.head+g.gridH, w, lb
		if w >= pairMinW {
			g.pair = true
			g.gpuH, g.svcH = lb, lb
		} else {
			g.gpuH = min((lb+1)/2, max(len(m.gpus)+1, 2))
			g.svcH = lb - g.gpuH
		}
	}
	g.visible = g.gridH
	if len(g.rows) > g.gridH {
		g.visible = max(g.gridH-1, 0) // the last row says what is hidden
	}
	m.geo = g
	m.scrollTo()
}

// gap is the blank after a cell of width cw.
func (g geometry) gap(cw int) int {
	switch {
	case cw > 2:
		return nameGap
	case cw == 2:
		return 1
	}
	return 0
}

// rowOf is the grid row holding order index i, and its column.
func (m *Model) rowOf(i int) (row, col int) {
	for r, vr := range m.geo.rows {
		if !vr.header && i >= vr.first && i < vr.first+vr.n {
			return r, i - vr.first
		}
	}
	return 0, 0
}

// scrollTo keeps the selection's row in view, and its group's header when
// it is the group's first row.
func (m *Model) scrollTo() {
	g := &m.geo
	if g.visible <= 0 || len(g.rows) <= g.gridH {
		m.top = 0
		return
	}
	r, _ := m.rowOf(m.sel)
	if r > 0 && g.rows[r-1].header {
		r-- // the header with its first row
	}
	if r < m.top {
		m.top = r
	}
	last, _ := m.rowOf(m.sel)
	if last >= m.top+g.visible {
		m.top = last - g.visible + 1
	}
	m.top = min(max(m.top, 0), max(len(g.rows)-g.visible, 0))
}

// move moves the selection: in the grid by dx cells along the order or dy
// rows (keeping the column), in a list by dy rows.
func (m *Model) move(dx, dy int) {
	switch m.area {
	case AreaGPUs:
		m.gpuSel = min(max(m.gpuSel+dy, 0), max(len(m.gpus)-1, 0))
		return
	case AreaServices:
		m.svcSel = min(max(m.svcSel+dy, 0), max(len(m.svcs)-1, 0))
		return
	}
	if len(m.order) == 0 {
		return
	}
	if dx != 0 {
		m.setSel(m.sel + dx)
		return
	}
	r, c := m.rowOf(m.sel)
	step := 1
	if dy < 0 {
		step = -1
	}
	target := r
	for n := dy * step; n > 0; n-- {
		next := target + step
		for next >= 0 && next < len(m.geo.rows) && m.geo.rows[next].header {
			next += step
		}
		if next < 0 || next >= len(m.geo.rows) {
			break
		}
		target = next
	}
	if target == r {
		// Already on the first or last row: to its first or last cell.
		if step < 0 {
			m.setSel(0)
		} else {
			m.setSel(len(m.order) - 1)
		}
		return
	}
	vr := m.geo.rows[target]
	m.setSel(vr.first + min(c, vr.n-1))
}

// jumpEnd selects the first (the worst, which the selection then follows
// again) or the last.
func (m *Model) jumpEnd(last bool) {
	switch m.area {
	case AreaGPUs:
		m.gpuSel = 0
		if last {
			m.gpuSel = max(len(m.gpus)-1, 0)
		}
		return
	case AreaServices:
		m.svcSel = 0
		if last {
			m.svcSel = max(len(m.svcs)-1, 0)
		}
		return
	}
	if last {
		m.setSel(len(m.order) - 1)
		return
	}
	m.sel, m.moved, m.top = 0, false, 0
	if h, ok := m.selected(); ok {
		m.selHost = h.Host
	}
	m.scrollTo()
}

func plural(n int, what string) string {
	s := strconv.Itoa(n)
	switch {
	case what == "":
		return s
	case n == 1:
		return s + " " + what
	}
	return s + " " + what + "s"
}
