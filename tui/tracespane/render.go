package tracespane

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/tui/styles"
)

// View implements pane.Pane: the view Refresh, SetSize and keys prepared.
func (m *Model) View() string { return m.out }

// serviceColors colour bars by service, as otel-tui does.
var serviceColors = []lipgloss.AdaptiveColor{
	{Light: "25", Dark: "75"}, {Light: "28", Dark: "114"}, {Light: "91", Dark: "176"}, {Light: "130", Dark: "179"},
	{Light: "30", Dark: "80"}, {Light: "61", Dark: "147"}, {Light: "94", Dark: "180"}, {Light: "23", Dark: "109"},
}

func serviceStyle(svc string) lipgloss.Style {
	h := fnv.New32a()
	_, _ = h.Write([]byte(svc))
	return lipgloss.NewStyle().Foreground(serviceColors[h.Sum32()%uint32(len(serviceColors))])
}

// clean makes outside text one display line (it was sanitized on ingest;
// this also covers text that came another way).
func clean(s string) string {
	s = sources.Sanitize(s)
	if strings.ContainsAny(s, "\n\t\r") {
		s = strings.NewReplacer("\n", " ", "\t", " ", "\r", " ").Replace(s)
	}
	return s
}

func dur(d time.Duration) string { return styles.Seconds(d.Seconds()) }

func rightAlign(s string, w int) string {
	n := styles.Width(s)
	if n >= w {
		return styles.Trunc(s, w)
	}
	return styles.Pad(w-n) + s
}

func (m *Model) render() {
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	var lines []string
	if m.mode == modeWaterfall && m.wf != nil {
		lines = m.renderWaterfall()
	} else {
		lines = m.renderList()
	}
	if len(lines) > m.h {
		lines = lines[:m.h]
	}
	for i := range lines {
		lines[i] = styles.Fit(lines[i], m.w)
	}
	for len(lines) < m.h {
		lines = append(lines, styles.Pad(m.w))
	}
	m.out = strings.Join(lines, "\n")
}

// listHeader is the lines above the list rows: the title line, a note and
// the column heads.
func (m *Model) listHeader() []string {
	var head string
	if m.behind != nil {
		sp := m.behind
		svc := sp.Service
		if svc == "" {
			svc = "every service"
		}
		nEx := 0
		for _, s := range m.all {
			if s.Exemplar {
				nEx++
			}
		}
		head = styles.Title.Render("behind "+clean(svc)) + " " + styles.Dim.Render(sp.From.Format("15:04:05")+"–"+sp.To.Format("15:04:05")) +
			styles.Dim.Render(fmt.Sprintf(" · %d traces, %d by exemplar · failed, then slowest", len(m.all), nEx))
	} else {
		arrow := "↓"
		if m.rev {
			arrow = "↑"
		}
		head = styles.Title.Render(fmt.Sprintf("%d traces", len(m.all))) + styles.Dim.Render(" · by "+sortNames[m.sortBy]+" "+arrow)
	}
	if m.filter.Active() {
		head += styles.Dim.Render(fmt.Sprintf(" · filter %q: %d", m.filter.Expr, len(m.rows)))
	}
	out := []string{head}
	if m.behind != nil && m.widened {
		out = append(out, styles.Warn.Render("nothing of "+clean(m.behind.Service)+" in this window: all services shown"))
	}
	for _, n := range []string{m.note, m.behindNote} {
		if n != "" {
			out = append(out, styles.Warn.Render(clean(n)))
		}
	}
	for i, n := range m.srcNotes {
		if i == 2 {
			out = append(out, styles.Warn.Render(fmt.Sprintf("%d more notes on trace sources (sources: S)", len(m.srcNotes)-i)))
			break
		}
		if n.err {
			out = append(out, styles.Crit.Render("✖ "+clean(n.text)))
		} else {
			out = append(out, styles.Warn.Render("⚠ "+clean(n.text)))
		}
	}
	return out
}

type listCols struct {
	svc, name int
	spans     bool
}

func (m *Model) cols() listCols {
	c := listCols{svc: min(max(m.w/6, 8), 20), spans: m.w >= 56}
	// mark, time, service, name, duration (+ spans, errors)
	used := 2 + 9 + c.svc + 1 + 1 + 7
	if c.spans {
		used += 6 + 4
	}
	c.name = max(m.w-used, 4)
	return c
}

func (m *Model) listHeight() int {
	return max(m.h-len(m.listHeader())-1, 1)
}

func (m *Model) renderList() []string {
	lines := m.listHeader()
	if len(m.rows) == 0 {
		switch {
		case m.env.Store == nil:
			lines = append(lines, styles.Dim.Render("waiting for data"))
		case m.filter.Active() && len(m.all) > 0:
			lines = append(lines, styles.Dim.Render("no trace matches the filter"))
		case m.behind != nil:
			lines = append(lines, styles.Dim.Render("no exemplars and no spans of this service in this window"))
		case m.recvDown:
			lines = append(lines, styles.Dim.Render("no traces: the OTLP receiver cannot listen (above); it retries every few seconds"))
		default:
			lines = append(lines, styles.Dim.Render(m.opts.Hint))
		}
		return lines
	}
	c := m.cols()
	hd := "  " + styles.Fit("time", 8) + " " + styles.Fit("service", c.svc) + " " + styles.Fit("root span", c.name) + " " + rightAlign("dur", 7)
	if c.spans {
		hd += " " + rightAlign("spans", 5) + " " + rightAlign("err", 3)
	}
	lines = append(lines, styles.Dim.Render(hd))
	n := m.listHeight()
	m.top = scroll(m.top, m.sel, n, len(m.rows))
	for i := m.top; i < len(m.rows) && i < m.top+n; i++ {
		lines = append(lines, m.listRow(m.rows[i], i == m.sel, c))
	}
	return lines
}

// scroll keeps sel inside the window [top, top+n).
func scroll(top, sel, n, total int) int {
	if sel < top {
		top = sel
	}
	if sel >= top+n {
		top = sel - n + 1
	}
	return min(max(top, 0), max(total-n, 0))
}

func (m *Model) listRow(s traces.Summary, selected bool, c listCols) string {
	mark := " "
	if selected {
		mark = ">"
	}
	ex := " "
	if s.Exemplar {
		ex = "◆"
	}
	at := styles.Fit("", 8)
	if !s.Start.IsZero() {
		at = s.Start.Format("15:04:05")
	}
	name := clean(s.Name)
	if s.Partial && name == "" {
		name = "(root not received)"
	}
	if s.Partial && s.Name != "" {
		name += " …"
	}
	d := "?"
	if s.Duration > 0 || s.Spans > 0 {
		d = dur(s.Duration)
	}
	svc := styles.Fit(clean(s.Service), c.svc)
	row := " " + styles.Fit(name, c.name) + " " + rightAlign(d, 7)
	spans, errs := "", ""
	if c.spans {
		spans = "?"
		if s.Spans > 0 {
			spans = strconv.Itoa(s.Spans)
		}
		if s.Errors > 0 {
			errs = strconv.Itoa(s.Errors)
		}
		spans, errs = " "+rightAlign(spans, 5), " "+rightAlign(errs, 3)
	}
	// A selected row is styled whole: inner styles would cut its reverse video.
	switch {
	case selected && m.focused:
		return mark + styles.Reverse.Render(ex+at+" "+svc+row+spans+errs)
	case selected:
		return mark + styles.Bold.Render(ex+at+" "+svc+row+spans+errs)
	}
	if s.Exemplar {
		ex = styles.Accent.Render(ex)
	}
	if s.Failed() {
		at, errs = styles.Crit.Render(at), styles.Crit.Render(errs)
	}
	return mark + ex + at + " " + serviceStyle(s.Service).Render(svc) + row + spans + errs
}

// treeHeight is how many span rows the waterfall shows.
func (m *Model) treeHeight() int {
	avail := m.h - 3 // header, axis, separator
	if m.wf == nil || avail < 4 {
		return max(avail, 1)
	}
	want := len(m.wf.vis)
	return min(max(want, 3), max(avail*3/5, 3))
}

func (m *Model) renderWaterfall() []string {
	w := m.wf
	var lines []string
	head := styles.Title.Render("trace "+w.traceID) + " "
	if len(w.spans) > 0 {
		root := w.spans[w.nodes[0].span]
		head += serviceStyle(root.Service).Render(clean(root.Service)) + " " + clean(root.Name) +
			styles.Dim.Render(fmt.Sprintf(" · %s · %d spans", dur(w.end.Sub(w.start)), len(w.spans)))
		if w.errors > 0 {
			head += styles.Crit.Render(fmt.Sprintf(" · %d failed", w.errors))
		}
		head += styles.Dim.Render(" · " + w.start.Format("15:04:05.000"))
	}
	lines = append(lines, head)
	switch {
	case w.loading != "":
		return append(lines, styles.Dim.Render(w.loading))
	case w.err != "":
		return append(lines, styles.Warn.Render(clean(w.err)), styles.Dim.Render("esc: back to the list"))
	case len(w.spans) == 0:
		return append(lines, styles.Dim.Render("no spans"))
	}
	if m.note != "" {
		lines[0] += styles.Warn.Render(" · " + m.note)
		m.note = ""
	}
	nameW := min(max(m.w*35/100, 14), 50)
	const durW = 7
	barW := m.w - nameW - durW - 2
	if barW < 8 {
		barW = 0
		nameW = m.w - durW - 1
	}
	axis := styles.Fit(styles.Dim.Render("  span"), nameW) + " " + rightAlign(styles.Dim.Render("dur"), durW)
	if barW > 0 {
		axis += " " + styles.Dim.Render(axisLine(w.end.Sub(w.start), barW))
	}
	lines = append(lines, axis)
	th := m.treeHeight()
	w.top = scroll(w.top, w.sel, th, len(w.vis))
	for vi := w.top; vi < len(w.vis) && vi < w.top+th; vi++ {
		lines = append(lines, m.spanRow(vi, nameW, durW, barW))
	}
	for len(lines) < th+2 {
		lines = append(lines, "")
	}
	rest := m.h - len(lines) - 1
	if rest <= 0 {
		return lines
	}
	sel := w.selected()
	logTitle := fmt.Sprintf(" logs of this trace (%d) ", len(w.logs))
	if m.w >= 100 {
		lw := m.w / 2
		rw := m.w - lw - 1
		lines = append(lines, styles.Dim.Render(fill("─ span ", lw, '─')+"┬"+fill("─"+logTitle, rw, '─')))
		left := m.spanDetail(sel, lw, rest)
		right := m.logLines(sel, rw, rest)
		for i := 0; i < rest; i++ {
			var l, r string
			if i < len(left) {
				l = left[i]
			}
			if i < len(right) {
				r = right[i]
			}
			lines = append(lines, styles.Fit(l, lw)+styles.Dim.Render("│")+r)
		}
		return lines
	}
	lines = append(lines, styles.Dim.Render(fill("─ span ", m.w, '─')))
	logH := 0
	if rest >= 6 {
		logH = max(rest/3, 3)
	}
	lines = append(lines, m.spanDetail(sel, m.w, rest-logH)...)
	for len(lines) < m.h-logH {
		lines = append(lines, "")
	}
	if logH > 0 {
		lines = append(lines, styles.Dim.Render(fill("─"+logTitle, m.w, '─')))
		lines = append(lines, m.logLines(sel, m.w, logH-1)...)
	}
	return lines
}

func fill(s string, w int, c rune) string {
	n := len([]rune(s))
	if n >= w {
		return string([]rune(s)[:w])
	}
	return s + strings.Repeat(string(c), w-n)
}

// axisLine labels the bar area with offsets from the trace's start, in
// human units, at about every 16 cells, the last one flush right.
func axisLine(total time.Duration, w int) string {
	b := []rune(strings.Repeat(" ", w))
	n := max(w/16, 1)
	put := func(pos int, s string) {
		r := []rune(s)
		for i := range r {
			if pos+i >= 0 && pos+i < w {
				b[pos+i] = r[i]
			}
		}
	}
	last := dur(total)
	put(w-len([]rune(last)), last)
	limit := w - len([]rune(last)) - 1
	for i := 0; i < n; i++ {
		pos := i * w / n
		s := "0"
		if i > 0 {
			s = dur(total * time.Duration(i) / time.Duration(n))
		}
		if pos+len([]rune(s)) >= limit {
			break
		}
		put(pos, s)
	}
	return string(b)
}

func (m *Model) spanRow(vi, nameW, durW, barW int) string {
	w := m.wf
	n := w.nodes[w.vis[vi]]
	s := &w.spans[n.span]
	selected := vi == w.sel
	mark := " "
	if selected {
		mark = ">"
	}
	fold := "─ "
	switch {
	case n.size > 0 && w.folded[s.SpanID]:
		fold = "▸ "
	case n.size > 0:
		fold = "▾ "
	case n.depth == 0:
		fold = "• "
	}
	name := clean(s.Name)
	if n.size > 0 && w.folded[s.SpanID] {
		name += fmt.Sprintf(" (+%d)", n.size)
	}
	label := n.prefix + fold
	errMark := ""
	if s.Status == sources.SpanError {
		errMark = "! "
	}
	var text string
	plain := mark + label + errMark + name
	switch {
	case selected && m.focused:
		text = styles.Reverse.Render(styles.Fit(plain, nameW))
	case selected:
		text = styles.Bold.Render(styles.Fit(plain, nameW))
	default:
		if errMark != "" {
			errMark = styles.Crit.Render(errMark)
		}
		text = styles.Fit(mark+styles.Dim.Render(label)+errMark+name, nameW)
	}
	d := s.End.Sub(s.Start)
	line := text + " " + rightAlign(dur(d), durW)
	if barW > 0 {
		st := serviceStyle(s.Service)
		if s.Status == sources.SpanError {
			st = styles.Crit
		}
		line += " " + st.Render(bar(s.Start.Sub(w.start), s.End.Sub(w.start), w.end.Sub(w.start), barW))
	}
	return line
}

// bar draws [from, to] of total over w cells with half-cell ends.
func bar(from, to, total time.Duration, w int) string {
	if total <= 0 {
		return styles.Fit("█", w)
	}
	fs := float64(from) / float64(total) * float64(w)
	fe := float64(to) / float64(total) * float64(w)
	fs, fe = min(max(fs, 0), float64(w)), min(max(fe, 0), float64(w))
	var b strings.Builder
	for i := 0; i < w; i++ {
		lo, hi := float64(i), float64(i+1)
		cov := min(hi, fe) - max(lo, fs)
		switch {
		case fe <= lo || fs >= hi:
			// A span shorter than a cell still shows where it is.
			if int(fs) == i && fe-fs < 1 && cov <= 0 {
				b.WriteRune('▏')
			} else {
				b.WriteByte(' ')
			}
		case cov >= 0.75:
			b.WriteRune('█')
		case fs > lo && fe < hi:
			b.WriteRune('▏')
		case fs > lo:
			b.WriteRune('▐')
		default:
			b.WriteRune('▌')
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// spanDetail is the selected span: name, service, duration, status, ids,
// attributes and events.
func (m *Model) spanDetail(s *sources.Span, w, h int) []string {
	if s == nil || h <= 0 {
		return nil
	}
	wf := m.wf
	var out []string
	first := styles.Title.Render(clean(s.Name)) + " " + serviceStyle(s.Service).Render(clean(s.Service)) +
		styles.Dim.Render(" · "+dur(s.End.Sub(s.Start))+" at +"+dur(s.Start.Sub(wf.start)))
	switch s.Status {
	case sources.SpanError:
		first += " " + styles.Crit.Render("ERROR")
	case sources.SpanOK:
		first += " " + styles.OK.Render("ok")
	}
	out = append(out, first)
	if msg := s.Attrs[traces.AttrStatusMessage]; msg != "" {
		out = append(out, styles.Crit.Render(clean(msg)))
	}
	ids := "span " + s.SpanID
	if s.ParentID != "" {
		ids += " · parent " + s.ParentID
	}
	out = append(out, styles.Dim.Render(ids))
	keys := sortedAttrs(s.Attrs)
	kw := 0
	for _, k := range keys {
		kw = max(kw, len([]rune(k)))
	}
	kw = min(kw, max(w/2, 8))
	var body []string
	for _, k := range keys {
		body = append(body, styles.Accent.Render(styles.Fit(clean(k), kw))+" "+clean(s.Attrs[k]))
	}
	for _, e := range s.Events {
		ev := styles.Dim.Render("+"+dur(e.At.Sub(wf.start))+" ") + "◆ " + clean(e.Name)
		ek := make([]string, 0, len(e.Attrs))
		for k := range e.Attrs {
			ek = append(ek, k)
		}
		sortStrings(ek)
		for _, k := range ek {
			ev += styles.Dim.Render(" " + clean(k) + "=" + clean(e.Attrs[k]))
		}
		body = append(body, ev)
	}
	room := h - len(out)
	if len(body) > room && room > 0 {
		// J/K scroll the body; the last line says what is left below.
		wf.dtop = min(wf.dtop, len(body)-room+1)
		if wf.dtop > 0 {
			body = body[wf.dtop:]
		}
		if len(body) > room {
			more := len(body) - room + 1
			body = append(body[:room-1:room-1], styles.Dim.Render(fmt.Sprintf("… %d more (J/K)", more)))
		}
	}
	out = append(out, body...)
	if len(out) > h {
		out = out[:h]
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// logLines are the trace's log lines, newest last; those of the selected
// span are marked.
func (m *Model) logLines(sel *sources.Span, w, h int) []string {
	logs := m.wf.logs
	if h <= 0 {
		return nil
	}
	if len(logs) == 0 {
		return []string{styles.Dim.Render(" no log lines carry this trace id")}
	}
	if len(logs) > h {
		logs = logs[len(logs)-h:]
	}
	out := make([]string, 0, len(logs))
	for _, l := range logs {
		mark := " "
		if sel != nil && l.SpanID != "" && strings.EqualFold(l.SpanID, sel.SpanID) {
			mark = styles.Accent.Render("*")
		}
		lvl := l.Level.String()
		lst := styles.Dim
		switch {
		case l.Level >= sources.LevelError:
			lst = styles.Crit
		case l.Level == sources.LevelWarn:
			lst = styles.Warn
		}
		msg := l.Msg
		if msg == "" {
			msg = l.Raw
		}
		out = append(out, mark+styles.Dim.Render(l.At.Format("15:04:05.000"))+" "+lst.Render(styles.Fit(lvl, 5))+" "+clean(msg))
	}
	_ = w
	return out
}
