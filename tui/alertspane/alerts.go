// Package alertspane is the alerts pane: the firing and pending alerts at the
// instant shown (live, paused or replayed), with severity, state, age,
// value and source, and below them the last transitions. It reads only the
// store's "alert" events (which the rule engine, the Prometheus and
// Alertmanager readers and recordings all write), so it shows the same in
// live mode and in replay. Enter on an alert puts the shared time cursor
// where the alert began, so every other pane shows that moment.
package alertspane

import (
	"sort"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Defaults.
const (
	// DefaultHistory is how many transitions the history lists.
	DefaultHistory = 50
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
	Key      string // the alert's identity (alerts.Key)
	Name     string
	Subject  string // what it is about (alerts.Subject): first on the line
	Severity sources.Severity
	State    string    // firing, pending, suppressed (active rows); the state entered (history rows)
	Start    time.Time // where it became active (active rows)
	At       time.Time // the event's time (history rows); where it began firing (active rows)
	Text     string
	Source   string          // the origin: vigil, prometheus, alertmanager
	Labels   []sources.Label // the alert's labels
	Shown    []sources.Label // those worth printing after the text (alerts.ShownLabels)
}

func rowOf(a alerts.Alert) Row {
	return Row{Key: a.Key(), Name: a.Name, Subject: a.Subject(), Severity: a.Severity, State: a.State, Start: a.ActiveAt,
		At: a.FiredAt, Text: a.Text, Source: a.Source, Labels: a.Labels, Shown: alerts.ShownLabels(a)}
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
		return "Alerts"
	}
	return "Alerts " + itoa(f) + " firing" + map[bool]string{true: ", " + itoa(p) + " pending", false: ""}[p > 0]
}

// Counts returns how many alerts fire and how many are pending.
func (m *Model) Counts() (firing, pending int) {
	for _, r := range m.active {
		switch r.State {
		case alerts.StateFiring:
			firing++
		case alerts.StatePending:
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
			m.active = activeRows(activeInScope(alerts.ActiveIn(env.Store, at), env.Scope))
			// The newest transitions, in a ring: no copy of the whole buffer.
			k := historyLookback(m.histN)
			ring, seen := make([]sources.Event, k), 0
			env.Store.EachEvent(sources.EventAlert, time.Time{}, at, func(e *sources.Event) {
				if !eventInScope(e.Labels, env.Scope) {
					return
				}
				ring[seen%k] = *e
				seen++
			})
			last := make([]sources.Event, 0, min(seen, k))
			for i := max(seen-k, 0); i < seen; i++ {
				last = append(last, ring[i%k])
			}
			m.history = historyRows(last, m.histN)
		}
	}
	m.keepSelection()
	m.render()
}

// Build reads alert events (oldest first) into the active alerts, as
// alerts.Active decides them for every reader, and the last n transitions
// (newest first).
func Build(evs []sources.Event, n int) (active, history []Row) {
	return activeRows(alerts.Active(evs)), historyRows(evs, n)
}

func activeRows(as []alerts.Alert) []Row {
	out := make([]Row, 0, len(as))
	for _, a := range as {
		out = append(out, rowOf(a))
	}
	return out
}

// historyLookback is how many of the newest transitions are read for the
// history: a reader that dates an alert by when its origin says it began
// adds it after later ones, so a few more than shown are read and sorted.
func historyLookback(n int) int { return max(4*n, 200) }

// historyRows is the last n transitions among evs (oldest first), newest
// first by when each happened. Transitions of an alert vigil raised, read
// back from an Alertmanager its webhook feeds, are left out, as they are
// out of the active list.
func historyRows(evs []sources.Event, n int) []Row {
	var ts []alerts.Transition
	own := map[string]bool{}
	for i := len(evs) - 1; i >= 0 && len(ts) < historyLookback(n); i-- {
		if t, ok := alerts.FromEvent(evs[i]); ok {
			ts = append(ts, t)
			if t.Alert.Source == alerts.SourceVigil {
				own[t.Alert.Key()] = true
			}
		}
	}
	sort.SliceStable(ts, func(i, j int) bool { return ts[i].At.After(ts[j].At) })
	var out []Row
	for _, t := range ts {
		if len(out) == n {
			break
		}
		if t.Alert.Source != alerts.SourceVigil && t.Alert.Label(sources.LabelSource) == alerts.SourceVigil && own[t.Alert.Key()] {
			continue // an echo
		}
		r := rowOf(t.Alert)
		r.State, r.Start, r.At = t.To, time.Time{}, t.At
		out = append(out, r)
	}
	return out
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
			if h.State == alerts.StatePending || h.State == alerts.StateFiring {
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
	return m.filter.Keep(r.Subject + " " + r.Name + " " + r.Text + " " + labelText(r.Labels) + " " + r.Source + " " + r.Severity.String())
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
		sev := styles.PaintLevel(sevLevel(r.Severity), sevShort(r.Severity))
		var head string
		if hist {
			head = styles.PDim.Paint(r.At.UTC().Format("15:04:05")) + " " + sev + " " + styles.Fit(stateText(r.State), 8) + " "
		} else {
			head = sev + " " + styles.Fit(stateText(r.State), 7) + " " + styles.Fit(Age(m.env.EvalAt(), r.Start), 7) + " "
		}
		s := Line(m.w, head, r.Subject, r.Name, r.Text, tail(r))
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
	case alerts.StateFiring:
		return styles.PCrit.Paint(s)
	case alerts.StatePending:
		return styles.PWarn.Paint(s)
	case alerts.StateResolved:
		return styles.POK.Paint(s)
	case alerts.StateSuppressed:
		return styles.PDim.Paint("muted") // Alertmanager: silenced or inhibited
	}
	return styles.PDim.Paint(s)
}

// Band is a span of time during which an alert fired (alerts.Band).
type Band = alerts.Band

// ServiceBandRow paints the alert band under a service's latency or error
// chart (alerts.ServiceBandColumns over the axis's window).
func ServiceBandRow(st *sources.Store, service string, ax layout.Axis) string {
	return paintBand(alerts.ServiceBandColumns(st, service, ax))
}

// BandRow draws bands under a chart with axis ax: one cell per column, "▀"
// coloured by the worst severity firing in that column (alerts.BandColumns),
// blank elsewhere; "" when none fired.
func BandRow(bands []Band, ax layout.Axis) string {
	return paintBand(alerts.BandColumns(bands, ax))
}

func paintBand(worst []sources.Severity) string {
	if worst == nil {
		return ""
	}
	var sb strings.Builder
	for _, w := range worst {
		switch {
		case w >= sources.SevCritical:
			sb.WriteString(styles.PCrit.Paint("▀"))
		case w > sources.SevInfo:
			sb.WriteString(styles.PWarn.Paint("▀"))
		default:
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}
