package logspane

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/tui/styles"
)

// chartLabel is the width of a chart row's label ("err ") and count.
const (
	chartLabel = 4
	chartCount = 6
)

// chart counts the shown lines per level group and time bucket over the
// shared window.
func (m *Model) chart() {
	cols := max(0, m.w-chartLabel-chartCount)
	for g := range m.counts {
		if cap(m.counts[g]) >= cols {
			m.counts[g] = m.counts[g][:cols]
			clear(m.counts[g])
		} else {
			m.counts[g] = make([]float64, cols)
		}
		m.totals[g] = 0
	}
	m.services = false
	if cols == 0 || m.env.Zoom <= 0 {
		return
	}
	from, to := m.env.From().UnixNano(), m.env.Now.UnixNano()
	span := to - from
	older := 0
	for i := len(m.lines) - 1; i >= 0 && older < 4096; i-- {
		e := &m.lines[i]
		if e.at < from {
			older++ // arrival order is nearly time order: stop after a long run of older lines
			continue
		}
		if e.at > to {
			continue
		}
		older = 0
		b := int((e.at - from) * int64(cols) / span)
		b = min(max(b, 0), cols-1)
		m.counts[2][b]++
		m.totals[2]++
		switch {
		case e.level >= sources.LevelError:
			m.counts[0][b]++
			m.totals[0]++
		case e.level == sources.LevelWarn:
			m.counts[1][b]++
			m.totals[1]++
		}
	}
}

// cursorCol is the chart column of the time cursor, or -1.
func (m *Model) cursorCol(cols int) int {
	c := m.env.Cursor
	if c.IsZero() || cols == 0 || m.env.Zoom <= 0 {
		return -1
	}
	from := m.env.From()
	if c.Before(from) || c.After(m.env.Now) {
		return -1
	}
	return min(int(int64(c.Sub(from))*int64(cols)/int64(m.env.Zoom)), cols-1)
}

// render prepares View's string.
func (m *Model) render() {
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	rows := make([]string, 0, m.h)
	if m.pretty != nil {
		rows = append(rows, styles.Fit(styles.Bold.Render("pretty")+styles.Dim.Render(" · "+m.prettyTitle+" · P or esc closes"), m.w))
		for i := m.prettyTop; i < len(m.pretty) && len(rows) < m.h; i++ {
			rows = append(rows, styles.Fit(m.pretty[i], m.w))
		}
		m.out = finish(rows, m.w, m.h)
		return
	}
	bh := m.bodyHeight()
	var body []string
	var lay layout
	if len(m.lines) > 0 && bh > 0 {
		body, lay = m.body(bh)
	}
	rows = append(rows, styles.Fit(m.header(lay), m.w))
	if n := m.chartRows(); n > 0 {
		rows = append(rows, m.chartLines(n)...)
	}
	if len(m.lines) == 0 {
		msg := m.opts.Hint
		switch {
		case m.env.Store == nil:
			msg = "no store"
		case m.filter.active() || m.jump != nil || m.minLevel != sources.LevelUnknown:
			msg = "no line matches"
		}
		if bh > 0 {
			rows = append(rows, styles.Fit(styles.Dim.Render(msg), m.w))
		}
		m.out = finish(rows, m.w, m.h)
		return
	}
	rows = append(rows, body...)
	m.out = finish(rows, m.w, m.h)
}

// layout is the columns of the rows on screen.
type layout struct {
	readMark bool // a cell before the time marks lines stamped with the read time
	tsW      int  // the time column: the time, or the date and the time
	srcW     int  // the source column, 0 when all lines come from one source
	svcW     int  // the service column, 0 when no line has a service
	textW    int  // what is left for the message and fields
}

// prefixW is the cells before the text: the selection mark, the time, the
// level, the source and the service, each followed by a space.
func (l layout) prefixW() int {
	n := 1 + l.tsW + 1 + 3 + 1
	if l.readMark {
		n++
	}
	if l.srcW > 0 {
		n += l.srcW + 1
	}
	if l.svcW > 0 {
		n += l.svcW + 1
	}
	return n
}

// layoutOf sizes the columns for the records on screen.
func (m *Model) layoutOf(recs []sources.LogRecord, ok []bool) layout {
	l := layout{tsW: len(timeLayout)}
	multi := m.srcs.count() > 1
	for i := range recs {
		if !ok[i] {
			continue
		}
		r := &recs[i]
		if !m.env.Now.IsZero() && !sameDay(r.At, m.env.Now, m.opts.Location) {
			l.tsW = len(dateLayout)
		}
		l.readMark = l.readMark || r.TimeRead
		if multi {
			l.srcW = max(l.srcW, ansi.StringWidth(oneLine(m.srcs.shortOf(r.Source))))
		}
		l.svcW = max(l.svcW, ansi.StringWidth(oneLine(r.Service)))
	}
	l.srcW, l.svcW = min(l.srcW, 16), min(l.svcW, 14)
	l.textW = max(1, m.w-l.prefixW())
	return l
}

// body renders the rows of the lines on screen, moving the view so that
// the selected line is on it.
func (m *Model) body(bh int) ([]string, layout) {
	if !m.wrap {
		end := min(len(m.lines), m.top+bh)
		recs, ok := m.records(m.top, end)
		lay := m.layoutOf(recs, ok)
		if m.hoff > 0 {
			// Scrolled no further than the widest line on screen needs.
			widest := 0
			for i := range recs {
				if ok[i] {
					widest = max(widest, ansi.StringWidth(m.text(&recs[i], m.hoff+lay.textW+1)))
				}
			}
			if widest < m.hoff+lay.textW {
				m.hoff = max(0, widest-lay.textW+1)
			}
		}
		rows := make([]string, 0, bh)
		for i := range recs {
			rows = append(rows, m.line(m.top+i, &recs[i], ok[i], lay, 1)...)
		}
		return rows, lay
	}
	// Wrapped: a line takes as many rows as it needs, at most the body.
	n := len(m.lines)
	lo := max(0, min(m.top, m.sel-bh+1))
	hi := min(n, max(m.top, m.sel)+bh)
	recs, ok := m.records(lo, hi)
	lay := m.layoutOf(recs, ok)
	rowsOf := make([][]string, hi-lo)
	get := func(i int) []string {
		if rowsOf[i-lo] == nil {
			rowsOf[i-lo] = m.line(i, &recs[i-lo], ok[i-lo], lay, bh)
		}
		return rowsOf[i-lo]
	}
	top := min(max(m.top, lo), m.sel)
	used := func(from, to int) int { // rows of lines [from, to]
		t := 0
		for i := from; i <= to && t <= bh; i++ {
			t += len(get(i))
		}
		return t
	}
	for top < m.sel && used(top, m.sel) > bh {
		top++
	}
	for total := used(top, hi-1); top > lo && total+len(get(top-1)) <= bh; {
		top--
		total += len(get(top))
	}
	m.top = top
	rows := make([]string, 0, bh)
	for i := top; i < hi && len(rows) < bh; i++ {
		rows = append(rows, get(i)...)
	}
	if len(rows) > bh {
		rows = rows[:bh]
	}
	return rows, lay
}

// finish pads the rows to h lines of width w.
func finish(rows []string, w, h int) string {
	for len(rows) < h {
		rows = append(rows, styles.Pad(w))
	}
	return strings.Join(rows[:h], "\n")
}

func (m *Model) header(lay layout) string {
	var parts []string
	if m.follow {
		parts = append(parts, styles.OK.Render("FOLLOW"))
	} else {
		s := styles.Warn.Render("SCROLL")
		if m.newLines > 0 {
			s += styles.Accent.Render(" +" + styles.Count(float64(m.newLines)) + " new")
		}
		parts = append(parts, s)
	}
	if m.env.Mode == "PAUSED" {
		parts = append(parts, styles.Warn.Render("PAUSED"))
	}
	if len(m.lines) == 1 {
		parts = append(parts, "1 line")
	} else {
		parts = append(parts, count(len(m.lines))+" lines")
	}
	if m.minLevel != sources.LevelUnknown {
		parts = append(parts, "≥"+m.minLevel.String())
	}
	if m.filter.active() {
		parts = append(parts, "/"+oneLine(m.filter.expr))
	}
	if m.jump != nil {
		parts = append(parts, "jump: "+jumpText(m.jump))
	}
	for _, l := range m.loading {
		parts = append(parts, styles.Accent.Render("loading "+oneLine(l)))
	}
	if m.wrap {
		parts = append(parts, "wrap")
	} else if m.hoff > 0 {
		parts = append(parts, "→col "+itoa(m.hoff+1))
	}
	if lay.readMark {
		parts = append(parts, styles.Dim.Render("~ read time"))
	}
	if u := m.usage; u.Dropped > 0 {
		parts = append(parts, styles.Dim.Render("dropped "+styles.Count(float64(u.Dropped))+" (bound "+mib(u.MaxBytes)+")"))
	}
	if m.lost > 0 {
		parts = append(parts, styles.Warn.Render("lost "+styles.Count(m.lost)+" unparsed"))
	}
	if m.note != "" {
		parts = append(parts, styles.Accent.Render(m.note))
	} else if m.jumpNote != "" {
		parts = append(parts, styles.Dim.Render(m.jumpNote))
	}
	return strings.Join(parts, styles.Dim.Render(" · "))
}

// mib writes a byte count in MB (2^20 bytes), as the config sets it.
func mib(n int64) string {
	return strconv.FormatInt((n+1<<19)>>20, 10) + " MB"
}

// count writes n with thousands separators.
func count(n int) string {
	s := itoa(n)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

var chartNames = [3]string{"err", "wrn", "all"}

func (m *Model) chartLines(n int) []string {
	cols := max(0, m.w-chartLabel-chartCount)
	groups := []int{2}
	if n >= 3 {
		groups = []int{0, 1, 2}
	}
	mark := m.cursorCol(cols)
	out := make([]string, 0, n)
	for _, g := range groups {
		st := func(v float64) int {
			switch {
			case v == 0:
				return styles.LevelNone
			case g == 0:
				return styles.LevelCrit
			case g == 1:
				return styles.LevelWarn
			}
			return styles.LevelAccent
		}
		row := styles.Dim.Render(chartNames[g]) + " "
		if cols > 0 {
			row += styles.Spark(m.counts[g][:cols], 0, mark, st)
		}
		c := styles.Count(float64(m.totals[g]))
		row += " " + styles.Pad(chartCount-1-len(c)) + c
		out = append(out, styles.Fit(row, m.w))
	}
	return out
}

var levelTags = map[sources.Level]string{
	sources.LevelTrace: "TRC", sources.LevelDebug: "DBG", sources.LevelInfo: "INF",
	sources.LevelWarn: "WRN", sources.LevelError: "ERR", sources.LevelFatal: "FTL",
}

// line renders one log line in at most rows rows (1 unless wrapping): a
// selection mark (readable without colour), the time (marked when it is the
// read time), level, source, service, message and fields. The selected line
// is reversed while the pane has focus. A line the store let go of, and
// that the pane did not keep, says so.
func (m *Model) line(i int, r *sources.LogRecord, ok bool, lay layout, rows int) []string {
	selected := i == m.sel
	mark := " "
	if selected {
		mark = ">"
	}
	e := m.lines[i]
	at := time.Unix(0, e.at)
	if ok {
		at = r.At
	}
	ts := m.stamp(at, false)
	if pad := lay.tsW - len(ts); pad > 0 {
		ts = styles.Pad(pad) + ts
	}
	if lay.readMark {
		if ok && r.TimeRead {
			ts = "~" + ts
		} else {
			ts = " " + ts
		}
	}
	lv := e.level
	tag, known := levelTags[lv]
	if !known {
		tag = "   "
	}
	var src, svc string
	if lay.srcW > 0 {
		name := ""
		if ok {
			name = m.srcs.shortOf(r.Source)
		}
		src = styles.Fit(oneLine(name), lay.srcW) + " "
	}
	if lay.svcW > 0 {
		name := ""
		if ok {
			name = r.Service
		}
		svc = styles.Fit(oneLine(name), lay.svcW) + " "
	}
	var text string
	switch {
	case !ok:
		text = "(no longer held: the log buffer let this line go)"
	case m.wrap:
		text = m.text(r, lay.textW*rows+1)
	default:
		text = m.text(r, m.hoff+lay.textW+1)
	}
	var parts []string
	switch {
	case m.wrap:
		parts = wrapCells(text, lay.textW, rows)
	case m.hoff > 0:
		if w := ansi.StringWidth(text); w > m.hoff {
			parts = []string{"…" + ansi.Cut(text, m.hoff+1, m.hoff+lay.textW)}
		} else {
			parts = []string{""}
		}
	default:
		parts = []string{text}
	}
	out := make([]string, 0, len(parts))
	cont := styles.Pad(lay.prefixW() - 1)
	for k, p := range parts {
		lead := ts + " " + tag + " " + src + svc
		if k > 0 {
			lead = cont
		}
		if k == 1 {
			mark = " "
		}
		if selected && m.focused {
			out = append(out, mark+styles.Reverse.Render(styles.Fit(lead+p, m.w-1)))
			continue
		}
		if k == 0 {
			var lvl string
			switch {
			case lv >= sources.LevelError:
				lvl = styles.Crit.Render(tag)
			case lv == sources.LevelWarn:
				lvl = styles.Warn.Render(tag)
			case lv == sources.LevelInfo:
				lvl = styles.OK.Render(tag)
			default:
				lvl = styles.Dim.Render(tag)
			}
			lead = styles.Dim.Render(ts) + " " + lvl + " " + styles.Dim.Render(src) + styles.Accent.Render(svc)
		}
		body := m.highlight(p)
		if !ok {
			body = styles.Dim.Render(p)
		}
		out = append(out, mark+styles.Fit(lead+body, m.w-1))
	}
	return out
}

// text is a line's message followed by its fields (key=value, sorted) and
// its trace id, all on one line, up to about room cells; a line without a
// message shows as read. A field the message already says (a plain-text
// line's pairs are read from it) is not repeated.
func (m *Model) text(r *sources.LogRecord, room int) string {
	if r.Msg == "" && r.Fields.Len() == 0 {
		return oneLine(r.Raw)
	}
	var b strings.Builder
	if r.Msg != "" {
		b.WriteString(oneLine(r.Msg))
	} else if r.Fields.Len() == 0 {
		b.WriteString(oneLine(r.Raw))
	}
	if c := r.Fields.Value(logs.CutField); c != "" {
		// Right after the message, where it cannot scroll out of sight.
		b.WriteString(" …[cut " + oneLine(c) + "]")
	}
	msg := r.Msg
	field := func(k, v string) {
		if inMsg(msg, k, v) {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(oneLine(k))
		b.WriteByte('=')
		b.WriteString(oneLine(v))
	}
	// What a reader looks for first: the outcome, the latency, the trace.
	for _, k := range leadKeys {
		if v, ok := r.Fields.Get(k); ok {
			field(k, v)
		}
	}
	if r.TraceID != "" {
		field("trace", short(oneLine(r.TraceID)))
	}
	for _, k := range sortedKeys(r.Fields) {
		if b.Len() > room {
			break
		}
		if isLeadKey(k) || k == logs.CutField {
			continue
		}
		field(k, r.Fields.Value(k))
	}
	return b.String()
}

// View implements pane.Pane: what Refresh, SetSize or a key prepared.
func (m *Model) View() string { return m.out }

// leadKeys are shown right after the message, in this order.
var leadKeys = []string{"status", "status_code", "http.status_code", "latency_ms", "duration_ms", "latency", "duration", "error", "err"}

func isLeadKey(k string) bool {
	for _, l := range leadKeys {
		if k == l {
			return true
		}
	}
	return false
}

// highlight marks what the filter's regex matches in a shown line (the
// first eight matches), so that the reason a line is shown is visible.
func (m *Model) highlight(text string) string {
	f := m.filter
	if f == nil || f.re == nil || f.invert {
		return text
	}
	locs := f.re.FindAllStringIndex(text, 8)
	if len(locs) == 0 {
		return text
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if l[0] < last || l[1] <= l[0] {
			continue
		}
		b.WriteString(text[last:l[0]])
		b.WriteString(styles.Reverse.Render(text[l[0]:l[1]]))
		last = l[1]
	}
	b.WriteString(text[last:])
	return b.String()
}
