package gpupane

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// detailData is what the detail view shows besides the row: histories,
// processes and the health log, prepared in Refresh and on key presses.
type detailData struct {
	hist  map[string][]sources.Sample // by signal name
	extra map[string]view.Num         // signals view.GPU does not carry, by name or name{label}
	procs []sources.GPUProcess
	log   []logEntry // newest first
}

type logEntry struct {
	at    time.Time
	text  string
	level int
}

// detailCharts are the history charts, in order.
var detailCharts = []struct {
	name, label string
	top         float64 // 0: scale to the largest value, -1: the GPU's total/limit
}{
	{sources.GPUUtilization, "util", 1},
	{sources.GPUMemoryUsed, "mem", -1},
	{sources.GPUTemperature, "temp", 100},
	{sources.GPUPower, "power", -1},
}

func (m *Model) loadDetail() {
	r := m.selected()
	if r == nil || m.env.Store == nil {
		m.dtl = detailData{}
		return
	}
	g := r.g
	match := []sources.Label{{Name: sources.LabelHost, Value: g.Host}, {Name: sources.LabelGPU, Value: g.Index}, {Name: sources.LabelUUID, Value: g.UUID}}
	match = nonEmpty(match)
	st := m.env.Store
	from, to := m.env.From(), m.env.Now
	d := detailData{hist: map[string][]sources.Sample{}}
	for _, c := range detailCharts {
		if ss := st.Select(c.name, match...); len(ss) > 0 {
			d.hist[c.name] = st.Range(ss[0].Key(), from, to)
		}
	}
	// Signals the overview does not carry, at the pane's instant.
	d.extra = map[string]view.Num{}
	for _, name := range []string{sources.GPURemappedRows, sources.GPUEnergy, sources.GPUSMClockMax, sources.GPUMemClockMax, sources.GPUPCIeTx, sources.GPUPCIeRx} {
		for _, s := range st.Select(name, match...) {
			if smp, ok := st.Last(s.Key(), m.env.EvalAt()); ok {
				k := name
				if v := s.Label("state"); v != "" {
					k += "{" + v + "}"
				}
				d.extra[k] = view.Some(smp.V)
			}
		}
	}
	// Health log: XID events for this GPU, then ECC, replay and remap
	// counter increases seen in the window.
	for _, e := range st.Events(from, to, 500) {
		if e.Kind != "xid" || !eventFor(e, g.Host, g.Index, g.UUID) {
			continue
		}
		d.log = append(d.log, logEntry{e.At, sources.OneLine(e.Text), styles.LevelCrit})
	}
	counters := []struct {
		name, what string
		level      int
	}{
		{sources.GPUECCErrors, "ECC", styles.LevelWarn},
		{sources.GPUPCIeReplay, "PCIe replays", styles.LevelWarn},
		{sources.GPURemappedRows, "remapped rows", styles.LevelWarn},
	}
	for _, c := range counters {
		for _, s := range st.Select(c.name, match...) {
			smp := st.Range(s.Key(), from, to)
			for i := 1; i < len(smp); i++ {
				if smp[i].V > smp[i-1].V {
					what := c.what
					if t := s.Label("type"); t != "" {
						what += " " + t
					}
					if t := s.Label("state"); t != "" {
						what += " " + t
					}
					lvl := c.level
					if strings.Contains(what, "uncorrect") || strings.Contains(what, "failed") || strings.Contains(what, "pending") {
						lvl = styles.LevelCrit
					}
					d.log = append(d.log, logEntry{time.Unix(0, smp[i].T), what + " +" + strconv.FormatFloat(smp[i].V-smp[i-1].V, 'f', -1, 64) + " (total " + strconv.FormatFloat(smp[i].V, 'f', -1, 64) + ")", lvl})
				}
			}
		}
	}
	sort.SliceStable(d.log, func(i, j int) bool { return d.log[i].at.After(d.log[j].at) })
	for _, p := range m.procs {
		if p.Host != g.Host || !(p.UUID == g.UUID || p.UUID == "" && p.GPU == g.Index) {
			continue
		}
		if m.detail && !m.filter.Keep(strconv.Itoa(int(p.PID))+" "+p.User+" "+p.Container+" "+p.Pod+" "+p.Command) {
			continue
		}
		d.procs = append(d.procs, p)
	}
	sortProcs(d.procs, m.procSort, m.procRev)
	m.dtl = d
}

func nonEmpty(ls []sources.Label) []sources.Label {
	out := ls[:0]
	for _, l := range ls {
		if l.Value != "" {
			out = append(out, l)
		}
	}
	return out
}

func eventFor(e sources.Event, host, idx, uuid string) bool {
	var h, i, u string
	for _, l := range e.Labels {
		switch l.Name {
		case sources.LabelHost:
			h = l.Value
		case sources.LabelGPU:
			i = l.Value
		case sources.LabelUUID:
			u = l.Value
		}
	}
	if uuid != "" && u != "" {
		return u == uuid
	}
	return h == host && i == idx
}

var procSortNames = []string{"memory", "SM", "PID", "user"}

func sortProcs(ps []sources.GPUProcess, by int, rev bool) {
	less := func(a, b sources.GPUProcess) bool {
		switch by {
		case 1:
			if a.SMUtil != b.SMUtil {
				return a.SMUtil > b.SMUtil
			}
		case 2:
			return a.PID < b.PID
		case 3:
			if a.User != b.User {
				return a.User < b.User
			}
		default:
			if a.MemBytes != b.MemBytes {
				return a.MemBytes > b.MemBytes
			}
		}
		return a.PID < b.PID
	}
	sort.SliceStable(ps, func(i, j int) bool {
		if rev {
			return less(ps[j], ps[i])
		}
		return less(ps[i], ps[j])
	})
}

func fmtNum(v float64, unit string) string {
	return strconv.Itoa(int(math.Round(v))) + unit
}

func (m *Model) renderDetail() []string {
	r := m.selected()
	g := r.g
	w := m.w
	var lines []string
	add := func(parts ...string) {
		var keep []string
		for _, p := range parts {
			if p != "" {
				keep = append(keep, p)
			}
		}
		lines = append(lines, strings.Join(keep, "  "))
	}
	// Identity.
	id := styles.Bold.Render("GPU "+g.Index) + " " + sources.OneLine(shortModel(g.Model))
	var facts []string
	if g.Host != "" {
		facts = append(facts, "host "+sources.OneLine(g.Host))
	}
	if r.info != nil {
		if r.info.BusID != "" {
			facts = append(facts, "bus "+r.info.BusID)
		}
		if r.info.Driver != "" {
			facts = append(facts, "driver "+r.info.Driver)
		}
		if r.info.CUDA != "" {
			facts = append(facts, "CUDA "+r.info.CUDA)
		}
		if r.info.PCIeGen > 0 {
			facts = append(facts, "PCIe gen"+strconv.Itoa(r.info.PCIeGen)+" x"+strconv.Itoa(r.info.PCIeWidth))
		}
	}
	add(id, styles.Dim.Render(strings.Join(facts, " · ")))
	if g.UUID != "" {
		add(styles.Dim.Render(sources.OneLine(g.UUID)))
	}
	if r.info != nil && r.info.State != "" && r.info.State != "ok" {
		var newest time.Time
		for _, f := range r.info.Fields {
			if f.At.After(newest) {
				newest = f.At
			}
		}
		msg := r.info.Err
		if rest, ok := strings.CutPrefix(msg, "GPU "+g.Index+": "); ok {
			msg = rest
		}
		add(styles.Crit.Render(strings.ToUpper(r.info.State)), styles.Crit.Render(sources.OneLine(msg)),
			styles.Dim.Render("last good reading "+m.age(newest)+" ago"))
	}
	// Gauges.
	util := "util " + styled(pct(g.Util), styles.LevelNone)
	if r.info != nil && r.info.MIGEnabled && !g.Util.OK {
		util = "util " + styles.Dim.Render("not reported under MIG")
	}
	mem := "mem " + styled(memText(g), styles.LevelNone)
	if mr := g.MemRatio(); mr.OK {
		mem += " (" + pct(mr) + ")"
	}
	add(util, mem, "mem-bw "+styled(pct(g.MemUtil), styles.LevelNone),
		"temp "+styled(tempText(g.Temp), tempLevelOf(g.Temp.OK, g.Temp.V))+" hbm "+styled(tempText(g.MemTemp), styles.LevelNone))
	pstate := "n/a"
	if g.PState.OK {
		pstate = "P" + strconv.Itoa(int(g.PState.V))
	}
	fan := pct(g.Fan)
	add("power "+styled(powerText(g), styles.LevelNone), "fan "+styled(fan, styles.LevelNone), "pstate "+styled(pstate, styles.LevelNone),
		"SM "+styled(clockText(g.SMClock), styles.LevelNone)+"Hz", "mem clk "+styled(clockText(g.MemClock), styles.LevelNone)+"Hz")
	add("XID "+xidText(g.XIDLast), "ECC corr "+numText(g.ECCCorr)+" uncorr "+numText(g.ECCUncorr), "PCIe replay "+numText(g.PCIeReplay))
	if more := m.extraLine(); more != "" {
		add(more)
	}
	var bs []badge
	for _, b := range g.Badges {
		bs = append(bs, badge{b, badgeLevel(b)})
	}
	if len(bs) == 0 {
		add("throttle " + styles.Dim.Render("none"))
	} else {
		add("throttle " + renderBadges(bs, w-9))
	}
	if r.info != nil {
		if na := naFields(r.info, m); na != "" {
			add(styles.Dim.Render(na))
		}
		if r.info.MIGEnabled {
			for _, d := range r.info.MIG {
				add(styles.Accent.Render("MIG"), "GI "+strconv.Itoa(d.GI)+" CI "+strconv.Itoa(d.CI), sources.OneLine(d.Profile),
					gib(float64(d.MemUsedBytes))+"/"+gib(float64(d.MemTotalBytes))+"G")
			}
		}
	}
	// Budget the rest: charts, processes, log.
	rest := m.h - len(lines)
	nproc := len(m.dtl.procs)
	procRows := 0
	if m.opts.Inspector != nil {
		procRows = 1 + max(1, min(nproc, 8))
		for _, p := range m.dtl.procs {
			if !p.Visible {
				procRows++
				break
			}
		}
	}
	logRows := min(len(m.dtl.log), 5)
	if logRows > 0 {
		logRows++
	}
	chartRows := rest - procRows - logRows
	lines = append(lines, m.renderCharts(r, chartRows)...)
	if procRows > 0 && len(lines) < m.h {
		lines = append(lines, m.renderProcs(m.h-len(lines))...)
	}
	if logRows > 0 && len(lines) < m.h {
		lines = append(lines, styles.Dim.Render("health log"))
		for _, e := range m.dtl.log {
			if len(lines) >= m.h {
				break
			}
			lines = append(lines, styles.Dim.Render(e.at.UTC().Format("15:04:05"))+" "+styles.ForLevel(e.level).Render(e.text))
		}
	}
	return lines
}

func tempLevelOf(ok bool, v float64) int {
	if !ok {
		return styles.LevelNone
	}
	return tempLevel(v)
}

func numText(n view.Num) string {
	if !n.OK {
		return styles.NAText()
	}
	return strconv.FormatFloat(n.V, 'f', -1, 64)
}

func xidText(n view.Num) string {
	switch {
	case !n.OK:
		return styles.NAText()
	case n.V == 0:
		return "none"
	}
	return styles.Crit.Render(strings.TrimSpace(numText(n) + " " + sources.XIDMeaning(int(n.V))))
}

// naFields lists the fields the collector cannot read and why, and the
// stale ones with their age.
func naFields(info *sources.GPUInfo, m *Model) string {
	var na, stale []string
	seen := map[string]bool{}
	for _, f := range info.Fields {
		switch {
		case f.NA != "":
			// One entry per signal: the labelled variants share the reason.
			n := f.Name
			if i := strings.IndexByte(n, '{'); i >= 0 {
				n = n[:i]
			}
			if seen[n+f.NA] {
				continue
			}
			seen[n+f.NA] = true
			na = append(na, fieldName(n)+" ("+f.NA+")")
		case f.Err != "":
			stale = append(stale, fieldName(f.Name)+" "+m.age(f.At)+" ("+sources.OneLine(f.Err)+")")
		}
	}
	var parts []string
	if len(na) > 0 {
		parts = append(parts, "n/a: "+strings.Join(na, ", "))
	}
	if len(stale) > 0 {
		parts = append(parts, "stale: "+strings.Join(stale, ", "))
	}
	return strings.Join(parts, "; ")
}

// renderCharts draws the history charts in at most n rows: side by side in
// pairs when the pane is wide, else stacked, each with a label line.
func (m *Model) renderCharts(r *row, n int) []string {
	if n < 2 {
		return nil
	}
	cols := 1
	if m.w >= 100 {
		cols = 2
	}
	nc := len(detailCharts)
	perCol := (nc + cols - 1) / cols
	h := n/perCol - 1
	if h < 1 {
		// Not enough room for every chart: show as many one-row charts as fit.
		perCol = n / 2
		h = 1
	}
	h = min(h, 10)
	cw := (m.w - (cols-1)*2) / cols
	var out []string
	from, to := m.env.From(), m.env.Now
	for row := 0; row < perCol; row++ {
		block := make([]string, h+1)
		for c := 0; c < cols; c++ {
			i := row*cols + c
			if i >= nc {
				continue
			}
			ch := detailCharts[i]
			top := ch.top
			switch {
			case top == -1 && ch.name == sources.GPUMemoryUsed && r.g.MemTotal.OK:
				top = r.g.MemTotal.V
			case top == -1 && ch.name == sources.GPUPower && r.g.PowerLimit.OK:
				top = r.g.PowerLimit.V
			case top == -1:
				top = 0
			}
			label := ch.label + " " + nowText(ch.name, r) + styles.Dim.Render(" over "+styles.Seconds(m.env.Zoom.Seconds()))
			cell := []string{styles.Fit(label, cw)}
			if h >= minLineChartRows && cw-styles.ChartGutter >= 8 {
				// A line chart with its Y axis in the signal's unit; the
				// label line above it names the window.
				n := cw - styles.ChartGutter
				vals := buckets(m.dtl.hist[ch.name], from, to, n, 1)
				cell = append(cell, styles.LineChart(cw, h, []styles.LineSeries{{Name: ch.label, Values: vals, Paint: styles.PAccent}},
					styles.ChartOpts{Top: top, YLabel: axisFormat(ch.name), Mark: cursorColumn(m.env.Cursor, from, to, n), XLabel: timeLabels(from, to, n)})...)
			} else {
				vals := buckets(m.dtl.hist[ch.name], from, to, max(1, cw), 1)
				for _, l := range styles.Chart(vals, top, h, cursorColumn(m.env.Cursor, from, to, max(1, cw)), nil) {
					cell = append(cell, styles.Fit(l, cw))
				}
			}
			for k := range block {
				if c > 0 {
					block[k] += "  "
				}
				block[k] += cell[k]
			}
		}
		out = append(out, block...)
	}
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// minLineChartRows is the least chart height drawn as a line chart with
// axes (two plot rows, the X axis and its time labels); lower charts stay
// block sparklines.
const minLineChartRows = 4

// axisFormat formats a charted signal's axis values, in ASCII (the chart
// lays labels out by bytes): 50%, 40G, 80C, 700W.
func axisFormat(name string) func(float64) string {
	switch name {
	case sources.GPUUtilization:
		return styles.PercentAxis
	case sources.GPUMemoryUsed:
		return func(v float64) string { return gib(v) + "G" }
	case sources.GPUTemperature:
		// Axis labels are ASCII (the chart measures bytes): the ticks are
		// bare degrees, the chart's title says °C.
		return func(v float64) string { return itoa(int(math.Round(v))) }
	case sources.GPUPower:
		return func(v float64) string { return itoa(int(math.Round(v))) + "W" }
	}
	return styles.SI
}

// cursorColumn is the column of n spread evenly over [from, to] holding
// the time cursor at, or -1 when it is off or outside.
func cursorColumn(at, from, to time.Time, n int) int {
	if at.IsZero() || n <= 0 || !to.After(from) || at.Before(from) || at.After(to) {
		return -1
	}
	return min(int(float64(at.Sub(from))/float64(to.Sub(from))*float64(n)), n-1)
}

// timeLabels labels n columns spread evenly over [from, to] with clock times.
func timeLabels(from, to time.Time, n int) func(col int) string {
	return func(col int) string {
		t := from.Add(time.Duration(float64(to.Sub(from)) * float64(col) / float64(max(n, 1))))
		return t.UTC().Format("15:04:05")
	}
}

// nowText is the current value of a charted signal.
func nowText(name string, r *row) string {
	g := r.g
	switch name {
	case sources.GPUUtilization:
		return pct(g.Util)
	case sources.GPUMemoryUsed:
		return memText(g)
	case sources.GPUTemperature:
		return tempText(g.Temp)
	case sources.GPUPower:
		return powerText(g)
	}
	return styles.NA
}

var fieldNames = map[string]string{
	sources.GPUUtilization: "util", sources.GPUMemUtil: "mem-bw", sources.GPUMemoryUsed: "memory",
	sources.GPUMemoryTotal: "memory total", sources.GPUTemperature: "temp", sources.GPUMemTemp: "hbm temp",
	sources.GPUPower: "power", sources.GPUPowerLimit: "power limit", sources.GPUSMClock: "SM clock",
	sources.GPUMemClock: "mem clock", sources.GPUFan: "fan", sources.GPUPState: "pstate",
	sources.GPUThrottle: "throttle", sources.GPUXIDLast: "XID", sources.GPUECCErrors: "ECC",
	sources.GPUPCIeReplay: "PCIe replay", sources.GPUEnergy: "energy", sources.GPURemappedRows: "remapped rows",
	sources.GPUPCIeTx: "PCIe tx", sources.GPUPCIeRx: "PCIe rx",
}

// fieldName is a field's short name; a labelled field ("gpu_ecc_errors_total{type=corrected}")
// keeps its label value.
func fieldName(s string) string {
	base, lbl := s, ""
	if i := strings.IndexByte(s, '{'); i >= 0 {
		base = s[:i]
		lbl = strings.TrimSuffix(s[i+1:], "}")
		if j := strings.IndexByte(lbl, '='); j >= 0 {
			lbl = lbl[j+1:]
		}
	}
	if n, ok := fieldNames[base]; ok {
		base = n
	}
	if lbl != "" {
		return base + " " + lbl
	}
	return base
}

func (m *Model) renderProcs(n int) []string {
	if n <= 0 {
		return nil
	}
	ps := m.dtl.procs
	title := "(" + strconv.Itoa(len(ps)) + ", by " + procSortNames[m.procSort]
	if m.procRev {
		title += ", reversed"
	}
	title += ")"
	out := []string{styles.Dim.Render(lpad("PID", 7) + " " + styles.Fit("USER", 8) + " " + styles.Fit("CONTAINER", 12) + " " + lpad("GPU-MEM", 7) + " " + lpad("SM", 4) + " COMMAND " + title)}
	if len(ps) == 0 {
		msg := "no processes"
		if !m.live {
			msg = "processes are known only live (not at " + m.env.EvalAt().UTC().Format("15:04:05") + ")"
		}
		if m.filter.Active() {
			msg = "no process matches /" + m.filter.Expr
		}
		return append(out, styles.Dim.Render(msg))
	}
	hidden := 0
	for _, p := range ps {
		if !p.Visible {
			hidden++
		}
	}
	if hidden > 0 && len(out) < n {
		out = append(out, styles.Warn.Render(strconv.Itoa(hidden)+" PID(s) outside our PID namespace: run with --pid=host / hostPID"))
	}
	for _, p := range ps {
		if len(out) >= n {
			break
		}
		user := p.User
		if user == "" {
			user = "?"
		}
		ctr := p.Container
		if p.Pod != "" {
			ctr = "pod " + p.Pod
		}
		if ctr == "" && p.MIG != "" {
			ctr = p.MIG
		}
		if ctr == "" {
			ctr = "-"
		}
		sm := styles.NAText()
		if p.SMUtilOK {
			sm = fmtNum(p.SMUtil*100, "%")
		}
		cmd := sources.OneLine(p.Command)
		if !p.Visible {
			cmd = styles.Dim.Render("(not visible)")
		}
		line := lpad(strconv.Itoa(int(p.PID)), 7) + " " + styles.Fit(sources.OneLine(user), 8) + " " + styles.Fit(sources.OneLine(ctr), 12) + " " +
			lpad(gib(float64(p.MemBytes))+"G", 7) + " " + lpad(sm, 4) + " " + cmd
		out = append(out, line)
	}
	return out
}

// extraLine shows the signals beyond the overview: remapped rows, clock
// ceilings, energy and PCIe throughput, those that are present.
func (m *Model) extraLine() string {
	x := m.dtl.extra
	var parts []string
	if _, ok := x[sources.GPURemappedRows+"{pending}"]; ok {
		rr := "remapped rows"
		for _, st := range [][2]string{{"correctable", "corr"}, {"uncorrectable", "uncorr"}} {
			if v, ok := x[sources.GPURemappedRows+"{"+st[0]+"}"]; ok {
				rr += " " + st[1] + " " + numText(v)
			}
		}
		p, f := x[sources.GPURemappedRows+"{pending}"], x[sources.GPURemappedRows+"{failed}"]
		switch {
		case f.OK && f.V > 0:
			rr += " " + styles.Crit.Render("remap FAILED")
		case p.OK && p.V > 0:
			rr += " " + styles.Warn.Render("pending (reset needed)")
		}
		parts = append(parts, rr)
	}
	if v, ok := x[sources.GPUSMClockMax]; ok && v.OK {
		parts = append(parts, "SM max "+clockText(v)+"Hz")
	}
	if v, ok := x[sources.GPUEnergy]; ok && v.OK {
		parts = append(parts, "energy "+styles.SI(v.V)+"J")
	}
	if tx, ok := x[sources.GPUPCIeTx]; ok && tx.OK {
		parts = append(parts, "PCIe tx "+styles.SI(tx.V)+"B/s rx "+styles.SI(x[sources.GPUPCIeRx].V)+"B/s")
	}
	return strings.Join(parts, "  ")
}
