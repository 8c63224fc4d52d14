package logs

import (
	"strings"

	"github.com/vigil-dev/vigil/sources"
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
	if cols == 0 || m.env.Window <= 0 {
		return
	}
	from, to := m.env.From(), m.env.Now
	span := to.Sub(from)
	older := 0
	for i := len(m.lines) - 1; i >= 0 && older < 4096; i-- {
		r := &m.lines[i]
		if r.At.Before(from) {
			older++ // arrival order is nearly time order: stop after a long run of older lines
			continue
		}
		if r.At.After(to) {
			continue
		}
		older = 0
		b := int(int64(r.At.Sub(from)) * int64(cols) / int64(span))
		b = min(max(b, 0), cols-1)
		m.counts[2][b]++
		m.totals[2]++
		switch {
		case r.Level >= sources.LevelError:
			m.counts[0][b]++
			m.totals[0]++
		case r.Level == sources.LevelWarn:
			m.counts[1][b]++
			m.totals[1]++
		}
	}
}

// cursorCol is the chart column of the time cursor, or -1.
func (m *Model) cursorCol(cols int) int {
	c := m.env.Cursor
	if c.IsZero() || cols == 0 || m.env.Window <= 0 {
		return -1
	}
	from := m.env.From()
	if c.Before(from) || c.After(m.env.Now) {
		return -1
	}
	return min(int(int64(c.Sub(from))*int64(cols)/int64(m.env.Window)), cols-1)
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
	rows = append(rows, styles.Fit(m.header(), m.w))
	if n := m.chartRows(); n > 0 {
		rows = append(rows, m.chartLines(n)...)
	}
	bh := m.bodyHeight()
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
	end := min(len(m.lines), m.top+bh)
	svcW := 0
	for i := m.top; i < end; i++ {
		svcW = max(svcW, len([]rune(m.lines[i].Service)))
	}
	svcW = min(svcW, 14)
	for i := m.top; i < end; i++ {
		rows = append(rows, m.line(&m.lines[i], svcW, i == m.sel))
	}
	m.out = finish(rows, m.w, m.h)
}

// finish pads the rows to h lines of width w.
func finish(rows []string, w, h int) string {
	for len(rows) < h {
		rows = append(rows, styles.Pad(w))
	}
	return strings.Join(rows[:h], "\n")
}

func (m *Model) header() string {
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
	if m.dropped > 0 {
		parts = append(parts, styles.Dim.Render("dropped "+styles.Count(float64(m.dropped))))
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

// line renders one log line: a selection mark (readable without colour),
// time, level, service, message and fields. The selected line is reversed
// while the pane has focus.
func (m *Model) line(r *sources.LogRecord, svcW int, selected bool) string {
	w := m.w - 1
	mark := " "
	if selected {
		mark = ">"
	}
	ts := r.At.In(m.opts.Location).Format("15:04:05.000")
	tag, ok := levelTags[r.Level]
	if !ok {
		tag = "   "
	}
	svc := ""
	if svcW > 0 {
		svc = styles.Fit(oneLine(r.Service), svcW) + " "
	}
	text := m.text(r)
	if selected && m.focused {
		return mark + styles.Reverse.Render(styles.Fit(ts+" "+tag+" "+svc+text, w))
	}
	var lvl string
	switch {
	case r.Level >= sources.LevelError:
		lvl = styles.Crit.Render(tag)
	case r.Level == sources.LevelWarn:
		lvl = styles.Warn.Render(tag)
	case r.Level == sources.LevelInfo:
		lvl = styles.OK.Render(tag)
	default:
		lvl = styles.Dim.Render(tag)
	}
	return mark + styles.Fit(styles.Dim.Render(ts)+" "+lvl+" "+styles.Accent.Render(svc)+m.highlight(text), w)
}

// text is a line's message followed by its fields (key=value, sorted) and
// its trace id, all on one line; a line without a message shows as read.
func (m *Model) text(r *sources.LogRecord) string {
	if r.Msg == "" && len(r.Fields) == 0 {
		return oneLine(r.Raw)
	}
	var b strings.Builder
	if r.Msg != "" {
		b.WriteString(oneLine(r.Msg))
	} else if len(r.Fields) == 0 {
		b.WriteString(oneLine(r.Raw))
	}
	room := m.w * 2 // enough to fill the row; the rest is cut anyway
	field := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(oneLine(k))
		b.WriteByte('=')
		b.WriteString(oneLine(v))
	}
	// What a reader looks for first: the outcome, the latency, the trace.
	for _, k := range leadKeys {
		if v, ok := r.Fields[k]; ok {
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
		if isLeadKey(k) {
			continue
		}
		field(k, r.Fields[k])
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
