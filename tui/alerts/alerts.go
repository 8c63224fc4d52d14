// Package alerts is the alerts pane: the firing and pending alerts at the
// instant shown (live, paused or replayed), with severity, state, age,
// value and source, and below them the last transitions. It reads only the
// store's "alert" events (which the rule engine, the Prometheus and
// Alertmanager readers and recordings all write), so it shows the same in
// live mode and in replay. Enter on an alert puts the shared time cursor
// where the alert began, so every other pane shows that moment.
package alerts

import (
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Defaults.
const (
	// DefaultHistory is how many transitions the history lists.
	DefaultHistory = 50
	// Lookback is how far back events are read to rebuild the alert states.
	Lookback  = 24 * time.Hour
	maxEvents = 20000
)

// KeyMap is the pane's bindings.
type KeyMap struct {
	Up, Down, Top, Bottom, Jump key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("j/k", "move")),
		Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/k", "move")),
		Top:    key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/G", "top/bottom")),
		Bottom: key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Jump:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "cursor to where it began")),
	}
}

// Row is one alert as the pane shows it.
type Row struct {
	Key      string
	Name     string
	Severity sources.Severity
	State    string // firing, pending (active rows); the transition's state (history rows)
	Start    time.Time
	At       time.Time // the event's time
	Text     string
	Source   string
	Labels   []sources.Label // without alertname, state, severity, source
}

// Model is the alerts pane.
type Model struct {
	w, h    int
	focused bool
	keys    KeyMap
	histN   int

	env     pane.Env
	filter  styles.Filter
	active  []Row
	history []Row
	sel     int
	selKey  string
	out     string
	stamp   struct {
		now   time.Time
		gen   uint64
		size  [2]int
		scope string
	}
}

// New returns the pane; history is how many transitions to list (0: DefaultHistory).
func New(history int) *Model {
	if history <= 0 {
		history = DefaultHistory
	}
	return &Model{keys: DefaultKeyMap(), histN: history}
}

// Title is the pane's title.
func (m *Model) Title() string {
	f, p := m.Counts()
	if f+p == 0 {
		return "alerts"
	}
	return "alerts " + itoa(f) + " firing" + map[bool]string{true: ", " + itoa(p) + " pending", false: ""}[p > 0]
}

// Counts returns how many alerts fire and how many are pending.
func (m *Model) Counts() (firing, pending int) {
	for _, r := range m.active {
		if r.State == "firing" {
			firing++
		} else {
			pending++
		}
	}
	return firing, pending
}

// Active returns the active rows (firing first, then by severity and age).
func (m *Model) Active() []Row { return m.active }

// History returns the transitions listed, newest first.
func (m *Model) History() []Row { return m.history }

// SetSize sets the inner size.
func (m *Model) SetSize(w, h int) { m.w, m.h = w, h; m.render() }

// Focus shows the selection.
func (m *Model) Focus() { m.focused = true; m.render() }

// Blur hides the selection.
func (m *Model) Blur() { m.focused = false; m.render() }

// Keys lists the pane's bindings.
func (m *Model) Keys() []key.Binding { return []key.Binding{m.keys.Down, m.keys.Jump, m.keys.Top} }

// View returns what Refresh prepared.
func (m *Model) View() string { return m.out }

// Refresh rebuilds the alert states from the store's events up to the
// instant the screen claims (env.At: the cursor when on).
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	if env.Store != nil {
		gen := env.Store.Generation()
		at := env.EvalAt()
		if !(at.Equal(m.stamp.now) && gen == m.stamp.gen && env.Scope == m.stamp.scope) {
			m.stamp.now, m.stamp.gen, m.stamp.scope = at, gen, env.Scope
			evs := inScope(env.Store.Events(at.Add(-Lookback), at, maxEvents), env.Scope)
			m.active, m.history = Build(evs, m.histN)
		}
	}
	m.keepSelection()
	m.render()
}

// Build replays alert events (oldest first) into the active alerts and the
// last n transitions (newest first).
func Build(evs []sources.Event, n int) (active, history []Row) {
	cur := map[string]*Row{}
	for _, e := range evs {
		if e.Kind != "alert" {
			continue
		}
		r := rowOf(e)
		history = append(history, r)
		switch r.State {
		case "pending":
			c := r
			c.Start = e.At
			cur[r.Key] = &c
		case "firing", "":
			c := r
			c.State = "firing"
			if p := cur[r.Key]; p != nil && !p.Start.IsZero() {
				c.Start = p.Start
			} else {
				c.Start = e.At
			}
			cur[r.Key] = &c
		case "suppressed":
			c := r
			c.Start = e.At
			if p := cur[r.Key]; p != nil {
				c.Start = p.Start
			}
			cur[r.Key] = &c
		default: // resolved, inactive
			delete(cur, r.Key)
		}
	}
	for _, r := range cur {
		active = append(active, *r)
	}
	sort.Slice(active, func(i, j int) bool {
		a, b := active[i], active[j]
		if (a.State == "firing") != (b.State == "firing") {
			return a.State == "firing"
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Key < b.Key
	})
	// Newest first, at most n.
	for i, j := 0, len(history)-1; i < j; i, j = i+1, j-1 {
		history[i], history[j] = history[j], history[i]
	}
	if len(history) > n {
		history = history[:n]
	}
	return active, history
}

func rowOf(e sources.Event) Row {
	r := Row{Severity: e.Severity, At: e.At, Text: sources.OneLine(sources.Sanitize(e.Text))}
	var b strings.Builder
	for _, l := range e.Labels {
		switch l.Name {
		case "alertname":
			r.Name = sources.Sanitize(l.Value)
		case "state":
			r.State = l.Value
		case "source":
			r.Source = sources.Sanitize(l.Value)
		case "severity":
		default:
			r.Labels = append(r.Labels, sources.Label{Name: sources.Sanitize(l.Name), Value: sources.Sanitize(l.Value)})
			b.WriteString("\x00" + l.Name + "=" + l.Value)
		}
	}
	if r.Name == "" {
		r.Name = r.Text
	}
	r.Key = r.Name + "\x00" + r.Source + b.String()
	return r
}

// HandleKey moves the selection; Enter jumps the cursor.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	n := len(m.rows())
	switch {
	case key.Matches(msg, m.keys.Down):
		m.sel = min(m.sel+1, max(n-1, 0))
	case key.Matches(msg, m.keys.Up):
		m.sel = max(m.sel-1, 0)
	case key.Matches(msg, m.keys.Top):
		m.sel = 0
	case key.Matches(msg, m.keys.Bottom):
		m.sel = max(n-1, 0)
	case key.Matches(msg, m.keys.Jump):
		r, ok := m.Selected()
		if !ok {
			return true, nil
		}
		at := r.Start
		if at.IsZero() {
			at = r.At
		}
		return true, func() tea.Msg { return pane.CursorMsg{At: at} }
	default:
		return false, nil
	}
	if rs := m.rows(); m.sel < len(rs) {
		m.selKey = rs[m.sel].Key + rs[m.sel].At.String()
	}
	m.render()
	return true, nil
}

// rows is what can be selected: active alerts, then history, filtered.
func (m *Model) rows() []Row {
	var out []Row
	for _, r := range m.active {
		if m.keep(r) {
			out = append(out, r)
		}
	}
	for _, r := range m.history {
		if m.keep(r) {
			h := r
			h.Start = time.Time{}
			if h.State == "pending" || h.State == "firing" {
				h.Start = r.At
			}
			out = append(out, h)
		}
	}
	return out
}

func (m *Model) keep(r Row) bool {
	if !m.filter.Active() {
		return true
	}
	return m.filter.Keep(r.Name + " " + r.Text + " " + labelText(r.Labels) + " " + r.Source + " " + r.Severity.String())
}

// Selected returns the selected row.
func (m *Model) Selected() (Row, bool) {
	rs := m.rows()
	if m.sel < 0 || m.sel >= len(rs) {
		return Row{}, false
	}
	return rs[m.sel], true
}

func (m *Model) keepSelection() {
	rs := m.rows()
	if m.selKey != "" {
		for i, r := range rs {
			if r.Key+r.At.String() == m.selKey {
				m.sel = i
				return
			}
		}
	}
	if m.sel >= len(rs) {
		m.sel = max(len(rs)-1, 0)
	}
}

// Jump selects the first active alert about the jump's service, host or GPU.
func (m *Model) Jump(msg pane.JumpMsg) tea.Cmd {
	for i, r := range m.rows() {
		if msg.Service != "" && label(r.Labels, sources.LabelService) != msg.Service {
			continue
		}
		if msg.Host != "" && label(r.Labels, sources.LabelHost) != msg.Host {
			continue
		}
		if msg.GPU != "" && label(r.Labels, sources.LabelGPU) != msg.GPU {
			continue
		}
		m.sel = i
		m.selKey = r.Key + r.At.String()
		break
	}
	m.render()
	return nil
}

// SetFilter filters the rows by a regular expression over name, text, labels and source.
func (m *Model) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	m.filter = f
	m.sel = 0
	m.render()
	return nil
}

// Filter is the current filter expression.
func (m *Model) Filter() string { return m.filter.Expr }

// NextMatch moves to the next (or previous) row.
func (m *Model) NextMatch(back bool) {
	n := len(m.rows())
	if n == 0 {
		return
	}
	if back {
		m.sel = (m.sel - 1 + n) % n
	} else {
		m.sel = (m.sel + 1) % n
	}
	m.render()
}

func label(ls []sources.Label, n string) string {
	for _, l := range ls {
		if l.Name == n {
			return l.Value
		}
	}
	return ""
}

func labelText(ls []sources.Label) string {
	var b []string
	for _, l := range ls {
		b = append(b, l.Name+"="+l.Value)
	}
	return strings.Join(b, " ")
}

func sevLevel(s sources.Severity) int {
	switch s {
	case sources.SevCritical:
		return styles.LevelCrit
	case sources.SevWarning:
		return styles.LevelWarn
	}
	return styles.LevelAccent
}

func sevShort(s sources.Severity) string {
	switch s {
	case sources.SevCritical:
		return "CRIT"
	case sources.SevWarning:
		return "WARN"
	}
	return "INFO"
}

// Age formats how long ago start was, as of now: 45s, 3m05s, 2h10m.
func Age(now, start time.Time) string {
	if start.IsZero() {
		return styles.NA
	}
	d := now.Sub(start)
	if d < 0 {
		d = 0
	}
	s := int(d.Seconds())
	switch {
	case s < 60:
		return itoa(s) + "s"
	case s < 3600:
		return itoa(s/60) + "m" + pad2(s%60) + "s"
	case s < 86400:
		return itoa(s/3600) + "h" + pad2(s/60%60) + "m"
	}
	return itoa(s/86400) + "d" + pad2(s/3600%24) + "h"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

func pad2(n int) string {
	if n < 10 {
		return "0" + itoa(n)
	}
	return itoa(n)
}

func (m *Model) render() {
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	if m.env.Store == nil {
		m.out = styles.PDim.Paint("waiting for data…")
		return
	}
	rows := m.rows()
	nActive := 0
	for _, r := range m.active {
		if m.keep(r) {
			nActive++
		}
	}
	var lines []string
	if nActive == 0 {
		msg := "no alert firing or pending"
		if m.filter.Active() {
			msg += " matching /" + m.filter.Expr
		}
		lines = append(lines, styles.POK.Paint(styles.Trunc(msg, m.w)))
	}
	line := func(i int, r Row, hist bool) string {
		var b strings.Builder
		sev := styles.PaintLevel(sevLevel(r.Severity), sevShort(r.Severity))
		if hist {
			b.WriteString(styles.PDim.Paint(r.At.UTC().Format("15:04:05")) + " ")
			b.WriteString(sev + " " + styles.Fit(stateText(r.State), 8) + " ")
		} else {
			b.WriteString(sev + " " + styles.Fit(stateText(r.State), 7) + " " + styles.Fit(Age(m.env.EvalAt(), r.Start), 7) + " ")
		}
		b.WriteString(styles.PTitle.Paint(r.Name) + " " + r.Text)
		if lt := labelText(r.Labels); lt != "" {
			b.WriteString(" " + styles.PDim.Paint(lt))
		}
		if r.Source != "" && r.Source != "vigil" {
			b.WriteString(" " + styles.PAccent.Paint("["+r.Source+"]"))
		}
		s := styles.Fit(b.String(), m.w)
		if m.focused && i == m.sel {
			s = styles.PReverse.Paint(styles.Fit(ansi.Strip(s), m.w))
		}
		return s
	}
	for i := 0; i < nActive; i++ {
		lines = append(lines, line(i, rows[i], false))
	}
	if len(rows) > nActive {
		lines = append(lines, styles.PDim.Paint(styles.Fit("── last transitions ", m.w)))
		for i := nActive; i < len(rows); i++ {
			lines = append(lines, line(i, rows[i], true))
		}
	}
	// Keep the selection in view.
	start := 0
	selLine := m.sel
	if nActive == 0 {
		selLine++
	}
	if m.sel >= nActive {
		selLine++
	}
	if selLine >= m.h {
		start = selLine - m.h + 1
	}
	if start > len(lines) {
		start = len(lines)
	}
	lines = lines[start:]
	if len(lines) > m.h {
		lines = lines[:m.h]
	}
	m.out = strings.Join(lines, "\n")
}

func stateText(s string) string {
	switch s {
	case "firing":
		return styles.PCrit.Paint("firing")
	case "pending":
		return styles.PWarn.Paint("pending")
	case "resolved":
		return styles.POK.Paint("resolved")
	}
	return styles.PDim.Paint(s)
}

// Band is a span of time during which an alert fired, for shading the time
// axis of the charts.
type Band struct {
	Start, End time.Time // End is zero while it still fires
	Severity   sources.Severity
	Name       string
	Labels     []sources.Label // the firing event's labels (service, gpu, ...)
}

// Label returns the value of the band's label, or "".
func (b Band) Label(name string) string {
	for _, l := range b.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// ServiceBandRow is BandRow of the alerts of one service over the axis's
// window (the row under a service's latency or error chart).
func ServiceBandRow(st *sources.Store, service string, ax layout.Axis) string {
	if st == nil || ax.N <= 0 {
		return ""
	}
	var mine []Band
	for _, b := range Bands(st, ax.At(0).Add(-ax.Step), ax.End) {
		if b.Label(sources.LabelService) == service {
			mine = append(mine, b)
		}
	}
	return BandRow(mine, ax)
}

// BandRow draws bands under a chart with axis ax: one cell per column, "▀"
// coloured by the worst severity firing in that column, blank elsewhere.
func BandRow(bands []Band, ax layout.Axis) string {
	if ax.N <= 0 || len(bands) == 0 {
		return ""
	}
	worst := make([]int, ax.N) // 0 none, 1 warning, 2 critical
	for _, b := range bands {
		lvl := 1
		if b.Severity >= sources.SevCritical {
			lvl = 2
		}
		for i := 0; i < ax.N; i++ {
			// Column i covers (At(i-1), At(i)], as Axis.Index reads it.
			colEnd, colStart := ax.At(i), ax.At(i).Add(-ax.Step)
			if i > 0 {
				colStart = ax.At(i - 1)
			}
			if b.Start.After(colEnd) || !b.End.IsZero() && b.End.Before(colStart) {
				continue
			}
			worst[i] = max(worst[i], lvl)
		}
	}
	var sb strings.Builder
	any := false
	for _, w := range worst {
		switch w {
		case 2:
			sb.WriteString(styles.PCrit.Paint("▀"))
			any = true
		case 1:
			sb.WriteString(styles.PWarn.Paint("▀"))
			any = true
		default:
			sb.WriteByte(' ')
		}
	}
	if !any {
		return ""
	}
	return sb.String()
}

// Bands returns the firing spans that overlap [from, to], from the store's
// alert events (oldest first): a span opens at a firing event and closes at
// the alert's next resolved event.
func Bands(st *sources.Store, from, to time.Time) []Band {
	evs := st.Events(from.Add(-Lookback), to, maxEvents)
	open := map[string]int{}
	var out []Band
	for _, e := range evs {
		if e.Kind != "alert" {
			continue
		}
		r := rowOf(e)
		switch r.State {
		case "firing", "":
			if _, ok := open[r.Key]; !ok {
				open[r.Key] = len(out)
				out = append(out, Band{Start: e.At, Severity: e.Severity, Name: r.Name, Labels: e.Labels})
			}
		case "resolved", "inactive":
			if i, ok := open[r.Key]; ok {
				out[i].End = e.At
				delete(open, r.Key)
			}
		}
	}
	kept := out[:0]
	for _, b := range out {
		if b.Start.After(to) || !b.End.IsZero() && b.End.Before(from) {
			continue
		}
		kept = append(kept, b)
	}
	return kept
}
