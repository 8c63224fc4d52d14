package gpupane

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// layout is the set of columns a row shows at a width.
type layout struct {
	idx    int // index column width
	us     int // utilisation sparkline cells (0: none)
	ms     int // memory sparkline cells (0: none)
	mem    bool
	temp   bool
	pwr    bool
	clk    bool
	model  int // model name cells (0: none)
	badges int // cells left for badges (0: none)
}

// Column widths of the fixed columns, separators excluded.
const (
	wPct  = 4 // "100%"
	wMem  = 7 // "62/80G", "141/141G"
	wTemp = 4 // "81°C"
	wPwr  = 9 // "512/700W"
	wClk  = 5 // "1755M"
)

// layoutFor chooses columns for width w: the utilisation sparkline and
// percentage first, then memory, temperature, power, the memory sparkline,
// the clock and badges; what is left widens the sparklines.
func layoutFor(w, idxw int) layout {
	l := layout{idx: idxw}
	left := w - (2 + idxw + 1) // marker, index, space
	take := func(n int) bool {
		if left >= n+1 {
			left -= n + 1
			return true
		}
		return false
	}
	if left >= wPct+1 {
		left -= wPct + 1
	}
	if take(4) {
		l.us = 4
	}
	l.mem = take(wMem)
	l.temp = take(wTemp)
	l.pwr = take(wPwr)
	if take(4) {
		l.ms = 4
	}
	l.clk = take(wClk)
	if left >= 6 {
		l.badges = left
		left = 0
	}
	// Widen: sparklines first (util up to 30, memory up to 16), then a
	// model column on wide panes; badges keep at least 16 cells.
	if l.badges > 16 {
		extra := l.badges - 16
		gu := min(extra*2/3, 30-l.us)
		if l.us == 0 {
			gu = 0
		}
		l.us += gu
		extra -= gu
		gm := min(extra, 16-l.ms)
		if l.ms == 0 {
			gm = 0
		}
		l.ms += gm
		extra -= gm
		if extra >= 12 {
			l.model = min(extra-1, 24)
			extra -= l.model + 1
		}
		l.badges = 16 + extra
	}
	return l
}

func utilLevel(v float64) int {
	switch {
	case v >= 0.9:
		return styles.LevelAccent
	case v >= 0.05:
		return styles.LevelOK
	}
	return styles.LevelNone
}

func memLevel(r float64) int {
	switch {
	case r >= 0.95:
		return styles.LevelCrit
	case r >= 0.85:
		return styles.LevelWarn
	}
	return styles.LevelOK
}

func tempLevel(c float64) int {
	switch {
	case c >= 85:
		return styles.LevelCrit
	case c >= 75:
		return styles.LevelWarn
	}
	return styles.LevelNone
}

// buckets spreads samples over n cells covering (from, to]; a cell holds the
// mean of the values that fell in it (scaled by div). A cell with no sample
// carries the previous sample forward while it is fresh (gauges read every
// few seconds stay valid until the next reading), else it is NaN (no data).
func buckets(s []sources.Sample, from, to time.Time, n int, div float64) []float64 {
	out := make([]float64, n)
	cnt := make([]int, n)
	for i := range out {
		out[i] = math.NaN()
	}
	if n <= 0 {
		return out
	}
	f, t := from.UnixNano(), to.UnixNano()
	span := float64(t - f)
	if span <= 0 {
		return out
	}
	for _, p := range s {
		if p.T <= f || p.T > t || math.IsNaN(p.V) {
			continue
		}
		i := int(float64(p.T-f) / span * float64(n))
		i = min(max(i, 0), n-1)
		if cnt[i] == 0 {
			out[i] = 0
		}
		out[i] += p.V / div
		cnt[i]++
	}
	for i, c := range cnt {
		if c > 1 {
			out[i] /= float64(c)
		}
	}
	cell := span / float64(n)
	fresh := max(int(math.Ceil(float64(carryFor)/cell)), 1)
	last, since := math.NaN(), 0
	for i := range out {
		if cnt[i] > 0 {
			last, since = out[i], 0
			continue
		}
		since++
		if !math.IsNaN(last) && since <= fresh {
			out[i] = last
		}
	}
	return out
}

// carryFor is how long a gauge reading fills the cells after it.
const carryFor = 10 * time.Second

func pct(n view.Num) string {
	if !n.OK {
		return "n/a"
	}
	return itoa(int(math.Round(n.V*100))) + "%"
}

// gib formats bytes in GiB: "80", "8.5", "0".
func gib(b float64) string {
	g := b / (1 << 30)
	if g >= 9.95 || g == 0 {
		return itoa(int(math.Round(g)))
	}
	return strconv.FormatFloat(g, 'f', 1, 64)
}

func memText(g view.GPU) string {
	if !g.MemUsed.OK {
		return "n/a"
	}
	if !g.MemTotal.OK {
		return gib(g.MemUsed.V) + "G"
	}
	return gib(g.MemUsed.V) + "/" + gib(g.MemTotal.V) + "G"
}

func powerText(g view.GPU) string {
	if !g.Power.OK {
		return "n/a"
	}
	p := itoa(int(math.Round(g.Power.V)))
	if g.PowerLimit.OK {
		p += "/" + itoa(int(math.Round(g.PowerLimit.V)))
	}
	return p + "W"
}

func tempText(n view.Num) string {
	if !n.OK {
		return "n/a"
	}
	return itoa(int(math.Round(n.V))) + "°C"
}

func clockText(n view.Num) string {
	if !n.OK {
		return "n/a"
	}
	return itoa(int(math.Round(n.V/1e6))) + "M"
}

// badgeLevel colours a throttle badge: thermal and hardware slowdowns are
// critical, the power cap a warning, the benign reasons dim.
func badgeLevel(b string) int {
	switch b {
	case "HW-THERM", "SW-THERM", "HW-SLOW", "PWR-BRAKE":
		return styles.LevelCrit
	case "PWR-CAP":
		return styles.LevelWarn
	}
	return -1
}

type badge struct {
	text  string
	level int // -1 dim
}

// badgesOf lists a GPU's health and throttle badges, the alarming first:
// lost/error, XID, uncorrected ECC, MIG, then the clock-event reasons.
func badgesOf(r *row) []badge {
	var out []badge
	g := r.g
	if r.info != nil && r.info.State != "" && r.info.State != "ok" {
		out = append(out, badge{strings.ToUpper(r.info.State), styles.LevelCrit})
	}
	if g.XIDLast.OK && g.XIDLast.V != 0 {
		// An XID in the window is an alarm; an older one (the gauge keeps
		// the last code) is history.
		lvl := -1
		if r.xidRecent {
			lvl = styles.LevelCrit
		}
		out = append(out, badge{"XID" + itoa(int(g.XIDLast.V)), lvl})
	}
	if g.ECCUncorr.OK && g.ECCUncorr.V > 0 {
		out = append(out, badge{"ECC", styles.LevelCrit})
	}
	if r.info != nil && r.info.MIGEnabled {
		out = append(out, badge{"MIG", styles.LevelAccent})
	}
	for _, b := range g.Badges {
		out = append(out, badge{b, badgeLevel(b)})
	}
	return out
}

func renderBadges(bs []badge, w int) string {
	if w <= 0 || len(bs) == 0 {
		return ""
	}
	var b strings.Builder
	used := 0
	for i, x := range bs {
		n := len(x.text)
		sep := 0
		if i > 0 {
			sep = 1
		}
		if used+sep+n > w {
			if used+sep+2 <= w {
				if sep == 1 {
					b.WriteByte(' ')
				}
				b.WriteString(styles.Dim.Render("+" + itoa(len(bs)-i)))
			}
			break
		}
		if sep == 1 {
			b.WriteByte(' ')
		}
		if x.level < 0 {
			b.WriteString(styles.Dim.Render(x.text))
		} else {
			b.WriteString(styles.ForLevel(x.level).Render(x.text))
		}
		used += sep + n
	}
	return b.String()
}

func rpad(s string, w int) string { return styles.Fit(s, w) }
func lpad(s string, w int) string {
	n := styles.Width(s)
	if n >= w {
		return s
	}
	return styles.Pad(w-n) + s
}

// styled renders text with a level, n/a dim.
func styled(text string, level int) string {
	if text == "n/a" {
		return styles.NAText()
	}
	if level == styles.LevelNone {
		return text
	}
	return styles.ForLevel(level).Render(text)
}

func (m *Model) renderRow(r *row, l layout, selected bool) string {
	g := r.g
	var b strings.Builder
	marker := " "
	if selected {
		marker = "▶"
		if m.focused {
			marker = styles.Focus.Render("▶")
		}
	}
	b.WriteString(marker)
	b.WriteByte(' ')
	idx := lpad(styles.Trunc(g.Index, l.idx), l.idx)
	if selected && m.focused {
		idx = styles.Reverse.Render(idx)
	}
	b.WriteString(idx)
	from, to := m.env.From(), m.env.Now
	mig := r.info != nil && r.info.MIGEnabled && !g.Util.OK
	if l.us > 0 {
		b.WriteByte(' ')
		if mig {
			b.WriteString(styles.Dim.Render(rpad("util n/a (MIG)", l.us+1+wPct)))
		} else {
			b.WriteString(styles.Spark(buckets(r.util, from, to, l.us, 1), 1, cursorColumn(m.env.Cursor, from, to, l.us), utilLevel))
		}
	}
	if !mig || l.us == 0 {
		b.WriteByte(' ')
		u := pct(g.Util)
		if mig {
			u = "MIG"
		}
		lvl := styles.LevelNone
		if g.Util.OK {
			lvl = utilLevel(g.Util.V)
		}
		b.WriteString(lpad(styled(u, lvl), wPct))
	}
	if l.ms > 0 {
		b.WriteByte(' ')
		div := 1.0
		if g.MemTotal.OK && g.MemTotal.V > 0 {
			div = g.MemTotal.V
		}
		mark := cursorColumn(m.env.Cursor, from, to, l.ms)
		if g.MemTotal.OK {
			b.WriteString(styles.Spark(buckets(r.mem, from, to, l.ms, div), 1, mark, memLevel))
		} else {
			b.WriteString(styles.Spark(buckets(r.mem, from, to, l.ms, div), 0, mark, nil))
		}
	}
	if l.mem {
		b.WriteByte(' ')
		lvl := styles.LevelNone
		if mr := g.MemRatio(); mr.OK {
			lvl = memLevel(mr.V)
			if lvl == styles.LevelOK {
				lvl = styles.LevelNone
			}
		}
		b.WriteString(lpad(styled(memText(g), lvl), wMem))
	}
	if l.temp {
		b.WriteByte(' ')
		lvl := styles.LevelNone
		if g.Temp.OK {
			lvl = tempLevel(g.Temp.V)
		}
		b.WriteString(lpad(styled(tempText(g.Temp), lvl), wTemp))
	}
	if l.pwr {
		b.WriteByte(' ')
		lvl := styles.LevelNone
		if g.Power.OK && g.PowerLimit.OK && g.PowerLimit.V > 0 && g.Power.V >= 0.95*g.PowerLimit.V {
			lvl = styles.LevelWarn
		}
		b.WriteString(lpad(styled(powerText(g), lvl), wPwr))
	}
	if l.clk {
		b.WriteByte(' ')
		b.WriteString(lpad(styled(clockText(g.SMClock), styles.LevelNone), wClk))
	}
	if l.model > 0 {
		b.WriteByte(' ')
		b.WriteString(styles.Dim.Render(rpad(shortModel(g.Model), l.model)))
	}
	if l.badges > 0 {
		if bs := badgesOf(r); len(bs) > 0 {
			b.WriteByte(' ')
			b.WriteString(renderBadges(bs, l.badges))
		}
	}
	return b.String()
}

// shortModel drops the vendor prefix: "NVIDIA H100 80GB HBM3" → "H100 80GB HBM3".
func shortModel(s string) string {
	s = strings.TrimPrefix(s, "NVIDIA ")
	s = strings.TrimPrefix(s, "Mock NVIDIA ")
	return sources.OneLine(s)
}

func (m *Model) header(l layout) string {
	var b strings.Builder
	b.WriteString("  ")
	b.WriteString(lpad("#", l.idx))
	if l.us > 0 {
		b.WriteString(" " + rpad("util", l.us))
	}
	b.WriteString(" " + lpad("", wPct))
	if l.ms > 0 {
		b.WriteString(" " + rpad("mem", l.ms))
	}
	if l.mem {
		h := "used"
		if l.ms == 0 {
			h = "mem"
		}
		b.WriteString(" " + lpad(h, wMem))
	}
	if l.temp {
		b.WriteString(" " + lpad("temp", wTemp))
	}
	if l.pwr {
		b.WriteString(" " + lpad("power", wPwr))
	}
	if l.clk {
		b.WriteString(" " + lpad("SM", wClk))
	}
	if l.model > 0 {
		b.WriteString(" " + rpad("model", l.model))
	}
	if l.badges > 0 {
		b.WriteString(" " + "health")
	}
	return styles.Dim.Render(strings.TrimRight(b.String(), " "))
}

// summary is the min/avg/max line across the listed GPUs.
func (m *Model) summary() string {
	rows := m.rows
	n := len(rows)
	var umin, umax, usum float64
	un := 0
	var used, total, pw, pl float64
	tmin, tmax := math.Inf(1), math.Inf(-1)
	throttled, alarms := 0, 0
	for _, r := range rows {
		g := r.g
		if g.Util.OK {
			if un == 0 || g.Util.V < umin {
				umin = g.Util.V
			}
			if un == 0 || g.Util.V > umax {
				umax = g.Util.V
			}
			usum += g.Util.V
			un++
		}
		if g.MemUsed.OK && g.MemTotal.OK {
			used += g.MemUsed.V
			total += g.MemTotal.V
		}
		if g.Temp.OK {
			tmin, tmax = math.Min(tmin, g.Temp.V), math.Max(tmax, g.Temp.V)
		}
		if g.Power.OK {
			pw += g.Power.V
			if g.PowerLimit.OK {
				pl += g.PowerLimit.V
			}
		}
		for _, b := range badgesOf(&r) {
			if b.level == styles.LevelCrit {
				alarms++
				break
			}
		}
		for _, b := range g.Badges {
			if badgeLevel(b) >= styles.LevelWarn {
				throttled++
				break
			}
		}
	}
	// Parts in display order, each with a rank: when the line is too wide
	// the highest rank goes first, so alarms outlive the power total.
	type part struct {
		text string
		rank int
	}
	gpus := itoa(n) + " GPU"
	if n != 1 {
		gpus += "s"
	}
	parts := []part{{gpus, 0}}
	if un > 0 {
		parts = append(parts, part{"util " + itoa(int(math.Round(umin*100))) + "–" + itoa(int(math.Round(umax*100))) + "% avg " + itoa(int(math.Round(usum/float64(un)*100))) + "%", 1})
	}
	if total > 0 {
		parts = append(parts, part{"mem " + itoa(int(math.Round(used/total*100))) + "%", 4})
	}
	if !math.IsInf(tmin, 0) {
		parts = append(parts, part{itoa(int(math.Round(tmin))) + "–" + itoa(int(math.Round(tmax))) + "°C", 5})
	}
	if pw > 0 {
		p := styles.SI(pw)
		if pl > 0 {
			p += "/" + styles.SI(pl)
		}
		parts = append(parts, part{p + "W", 6})
	}
	if throttled > 0 {
		parts = append(parts, part{styles.Warn.Render(itoa(throttled) + " throttled"), 3})
	}
	if alarms > 0 {
		parts = append(parts, part{styles.Crit.Render(plural(alarms, "alarm")), 2})
	}
	join := func() string {
		texts := make([]string, len(parts))
		for i, p := range parts {
			texts[i] = p.text
		}
		return strings.Join(texts, "  ")
	}
	out := join()
	for styles.Width(out) > m.w && len(parts) > 1 {
		worst := 0
		for i, p := range parts {
			if p.rank > parts[worst].rank {
				worst = i
			}
		}
		parts = append(parts[:worst], parts[worst+1:]...)
		out = join()
	}
	return out
}

func (m *Model) emptyLines() []string {
	var out []string
	if m.filter.Active() && len(m.all) > 0 {
		return []string{styles.Dim.Render("no GPU matches /" + m.filter.Expr)}
	}
	if m.note != "" {
		out = append(out, styles.Dim.Render(sources.OneLine(m.note)))
	}
	for _, h := range m.health {
		line := h.Source + ": " + h.State
		if h.Error != "" {
			line += " — " + h.Error
		}
		out = append(out, styles.Dim.Render(sources.OneLine(line)))
	}
	if len(out) == 0 {
		out = append(out, styles.Dim.Render("no GPUs"))
	}
	return out
}

func (m *Model) renderList() []string {
	if len(m.rows) == 0 {
		return m.emptyLines()
	}
	l := layoutFor(m.w, idxWidth(m.rows))
	lines := []string{m.summary()}
	// Body: host headers (several hosts) and GPU rows; the header line
	// only when everything fits with it.
	type item struct {
		text string
		gpu  int // -1 for a host header
	}
	var body []item
	host := "\x00"
	for i := range m.rows {
		r := &m.rows[i]
		if m.multi && r.g.Host != host {
			host = r.g.Host
			h := host
			if h == "" {
				h = "(no host)"
			}
			body = append(body, item{styles.Accent.Render(sources.OneLine(h)), -1})
		}
		body = append(body, item{m.renderRow(r, l, i == m.sel), i})
	}
	avail := m.h - 1
	if avail >= len(body)+1 {
		lines = append(lines, m.header(l))
		avail--
	}
	if m.note != "" && avail >= len(body)+1 {
		lines = append(lines, styles.Dim.Render(sources.OneLine(m.note)))
		avail--
	}
	// Scroll so the selected row is visible.
	selAt := 0
	for i, it := range body {
		if it.gpu == m.sel {
			selAt = i
		}
	}
	if avail <= 0 {
		return lines[:max(1, m.h)]
	}
	if selAt < m.top {
		m.top = selAt
	}
	if selAt >= m.top+avail {
		m.top = selAt - avail + 1
	}
	m.top = min(max(m.top, 0), max(0, len(body)-avail))
	for i := m.top; i < len(body) && i < m.top+avail; i++ {
		lines = append(lines, body[i].text)
	}
	if m.preview() {
		lines = append(lines, m.renderPreview(m.h-len(lines))...)
	}
	return lines
}

// renderPreview shows the selected GPU's charts and processes under the
// list, in n rows.
func (m *Model) renderPreview(n int) []string {
	r := m.selected()
	if r == nil || n < 3 {
		return nil
	}
	id := "GPU " + r.g.Index
	if m.multi && r.g.Host != "" {
		id += " @ " + sources.OneLine(r.g.Host)
	}
	title := styles.Parts(m.w-4, " · ", styles.Part{Text: id}, styles.Part{Text: shortModel(r.g.Model), Rank: 2},
		styles.Part{Text: "enter for every field", Rank: 1})
	rule := "── " + title + " "
	lines := []string{styles.Dim.Render(rule + strings.Repeat("─", max(0, m.w-styles.Width(rule))))}
	procRows := 0
	if m.opts.Inspector != nil {
		procRows = min(2+len(m.dtl.procs), max(2, (n-1)/3))
	}
	lines = append(lines, m.renderCharts(r, n-1-procRows)...)
	if procRows > 0 {
		lines = append(lines, m.renderProcs(procRows)...)
	}
	return lines
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return itoa(n) + " " + word + "s"
}
