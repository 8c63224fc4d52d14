// Package logs is the console's logs screen: the log lines the store holds,
// newest at the bottom, in follow mode until the user scrolls up; a regex
// filter and field conditions (service=api level>=warn latency_ms>500); a
// minimum level; jumps between errors and warnings; a pretty-printed view of
// a JSON line; a per-level count chart over the shared time window; and the
// links to the trace of a line (X) and from a spike or a trace to its lines
// (Jump).
//
// The pane follows the store incrementally (Store.LogsSince): a refresh
// reads only what arrived since the last one, and the whole buffer is
// scanned again only when the filter, the minimum level or the jump changes.
package logs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	logsrc "github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/tui/pane"
)

// KeyMap is the pane's own bindings (KEYS.md, "logs").
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Follow                                  key.Binding // s
	MinLevel                                key.Binding // v
	NextError, PrevError                    key.Binding // e / E
	NextWarn, PrevWarn                      key.Binding // w / W
	Pretty                                  key.Binding // P, Enter
	Reveal                                  key.Binding // r: show one redacted line in full
	Trace                                   key.Binding // X (when the console leaves it to the pane)
}

// DefaultKeyMap returns the bindings of KEYS.md.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("k/↑", "up")),
		Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/↓", "down")),
		Top:       key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "oldest")),
		Bottom:    key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "newest, follow")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("PgUp", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("PgDn", "page down")),
		Follow:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "follow on/off")),
		MinLevel:  key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "minimum level")),
		NextError: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "next error")),
		PrevError: key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "previous error")),
		NextWarn:  key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "next warning")),
		PrevWarn:  key.NewBinding(key.WithKeys("W"), key.WithHelp("W", "previous warning")),
		Pretty:    key.NewBinding(key.WithKeys("P", "enter"), key.WithHelp("P", "pretty JSON")),
		Reveal:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reveal redacted")),
		Trace:     key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "trace of the line")),
	}
}

// Options configures the pane.
type Options struct {
	// Title is shown in the border; default "Logs".
	Title string
	// Keys are the pane's bindings; the zero value takes DefaultKeyMap.
	Keys *KeyMap
	// Vault holds the originals of redacted lines (the parser's); nil means
	// nothing can be revealed.
	Vault *logsrc.Vault
	// Location is the zone times are shown in; default time.Local.
	Location *time.Location
	// MaxLines bounds the lines the pane keeps after filtering; default the
	// store's MaxLogs.
	MaxLines int
	// Hint is shown when there are no lines at all.
	Hint string
}

// Model is the logs pane. Create it with New.
type Model struct {
	opts    Options
	keys    KeyMap
	w, h    int
	focused bool
	env     pane.Env

	// What is shown: the lines of the store that pass minLevel, the jump
	// and the filter, oldest first.
	lines   []sources.LogRecord
	seq     uint64 // next store sequence number to read
	lastGen uint64
	started bool
	stale   bool // the criteria changed: scan the store again
	frozen  bool // paused: a rescan read lines past the paused instant

	filter   *filter
	minLevel sources.Level
	jump     *pane.JumpMsg
	jumpNote string

	follow     bool
	sel, top   int
	newLines   int // arrived while not following
	lastCursor time.Time

	pretty      []string // the open pretty view, nil when closed
	prettyTop   int
	prettyTitle string

	// chart
	counts   [3][]float64 // error+fatal, warn, all; one cell per time bucket
	totals   [3]int
	dropped  uint64 // pushed out of the store
	lost     float64
	services bool // some shown line has a service: give it a column

	note string
	out  string
}

var (
	_ pane.Pane     = (*Model)(nil)
	_ pane.Focuser  = (*Model)(nil)
	_ pane.Filterer = (*Model)(nil)
	_ pane.Escaper  = (*Model)(nil)
	_ pane.Jumper   = (*Model)(nil)
)

// New returns a logs pane in follow mode.
func New(opts Options) *Model {
	if opts.Title == "" {
		opts.Title = "Logs"
	}
	if opts.Location == nil {
		opts.Location = time.Local
	}
	if opts.Hint == "" {
		opts.Hint = "no log lines yet: tail files with --log-file, run a command with --log-cmd, or pipe into vigil"
	}
	k := DefaultKeyMap()
	if opts.Keys != nil {
		k = *opts.Keys
	}
	return &Model{opts: opts, keys: k, follow: true, stale: true}
}

// levelCycle is the order `v` walks through.
var levelCycle = []sources.Level{sources.LevelUnknown, sources.LevelDebug, sources.LevelInfo, sources.LevelWarn, sources.LevelError}

// Title implements pane.Pane: the minimum level shows in it.
func (m *Model) Title() string {
	t := m.opts.Title
	if m.minLevel != sources.LevelUnknown {
		t += " ≥" + m.minLevel.String()
	}
	if m.jump != nil {
		t += " (jump)"
	}
	return t
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(0, w), max(0, h)
	m.clamp()
	m.chart()
	m.render()
}

// Focus implements pane.Focuser.
func (m *Model) Focus() { m.focused = true; m.render() }

// Blur implements pane.Focuser.
func (m *Model) Blur() { m.focused = false; m.render() }

// Following reports whether the pane is in follow mode.
func (m *Model) Following() bool { return m.follow }

// Lines returns how many lines the pane shows (after filtering).
func (m *Model) Lines() int { return len(m.lines) }

// Refresh implements pane.Pane. It reads what the store received since the
// last refresh; while paused it reads nothing new, so the pane stays on the
// paused instant.
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	st := env.Store
	if st == nil {
		m.render()
		return
	}
	paused := env.Mode == "PAUSED"
	if m.frozen && !paused {
		m.stale = true
	}
	if m.stale {
		m.rescan()
	} else if !paused {
		m.pull()
	}
	if !env.Cursor.IsZero() && !env.Cursor.Equal(m.lastCursor) {
		m.selectAt(env.Cursor)
	}
	m.lastCursor = env.Cursor
	d := st.Drops()
	m.dropped = d.Logs
	m.lost = 0
	for _, s := range st.Select(logsrc.DroppedTotal) {
		if v, ok := st.Last(s.Key(), st.Newest()); ok {
			m.lost += v.V
		}
	}
	m.chart()
	m.render()
}

// keepFunc is the filter the store applies while reading.
func (m *Model) keepFunc() func(*sources.LogRecord) bool {
	min := m.minLevel
	f := m.filter
	j := m.jump
	cut := time.Time{}
	if m.env.Mode == "PAUSED" {
		cut = m.env.Now
	}
	return func(r *sources.LogRecord) bool {
		if min != sources.LevelUnknown && effLevel(r.Level) < min {
			return false
		}
		if !cut.IsZero() && r.At.After(cut) {
			return false
		}
		if j != nil && !jumpKeeps(j, r) {
			return false
		}
		return f.keep(r)
	}
}

// jumpKeeps applies a jump: the trace's lines when it names a trace, else
// the service's lines in the window.
func jumpKeeps(j *pane.JumpMsg, r *sources.LogRecord) bool {
	if j.TraceID != "" {
		return strings.EqualFold(r.TraceID, j.TraceID)
	}
	if j.Service != "" && r.Service != j.Service {
		return false
	}
	if !j.From.IsZero() && r.At.Before(j.From) {
		return false
	}
	if !j.To.IsZero() && r.At.After(j.To) {
		return false
	}
	return true
}

// rescan reads the whole store again under the current criteria.
func (m *Model) rescan() {
	st := m.env.Store
	if st == nil {
		return
	}
	var selAt time.Time
	if !m.follow && m.sel < len(m.lines) {
		selAt = m.lines[m.sel].At
	}
	m.lastGen = st.Generation()
	m.lines, m.seq = st.LogsSince(0, m.keepFunc())
	if m.jump != nil && m.jump.TraceID != "" && len(m.lines) == 0 && (m.jump.Service != "" || !m.jump.From.IsZero()) {
		// No line carries the trace id: fall back to the service in the
		// trace's window, as Tempo's trace-to-logs does.
		fb := *m.jump
		fb.TraceID = ""
		m.jump = &fb
		m.jumpNote = "no line carries that trace id; showing " + jumpText(&fb)
		m.lines, m.seq = st.LogsSince(0, m.keepFunc())
	}
	m.trim()
	m.stale, m.started = false, true
	m.frozen = m.env.Mode == "PAUSED"
	m.newLines = 0
	if m.follow {
		m.sel = len(m.lines) - 1
	} else if !selAt.IsZero() {
		m.selectAt(selAt)
	}
	m.clamp()
}

// pull appends what arrived since the last read.
func (m *Model) pull() {
	st := m.env.Store
	gen := st.Generation()
	if m.started && gen == m.lastGen {
		return
	}
	m.lastGen = gen
	recs, next := st.LogsSince(m.seq, m.keepFunc())
	if next < m.seq {
		m.stale = true // the store was reset (replay seeking back)
		m.rescan()
		return
	}
	m.seq = next
	if len(recs) == 0 {
		return
	}
	m.lines = append(m.lines, recs...)
	if !m.follow {
		m.newLines += len(recs)
	}
	m.trim()
	if m.follow {
		m.sel = len(m.lines) - 1
	}
	m.clamp()
}

// trim keeps the pane's copy bounded, shifting the selection with it.
func (m *Model) trim() {
	limit := m.opts.MaxLines
	if limit <= 0 && m.env.Store != nil {
		limit = m.env.Store.Options().MaxLogs
	}
	if limit <= 0 || len(m.lines) <= limit {
		return
	}
	cut := len(m.lines) - limit
	// Copy down so the dropped records' strings can be collected.
	n := copy(m.lines, m.lines[cut:])
	clear(m.lines[n:])
	m.lines = m.lines[:n]
	m.sel -= cut
	m.top -= cut
}

// bodyHeight is the rows left for lines under the header and the chart.
func (m *Model) bodyHeight() int {
	return max(0, m.h-1-m.chartRows())
}

func (m *Model) chartRows() int {
	switch {
	case m.h >= 20:
		return 3
	case m.h >= 10:
		return 1
	}
	return 0
}

// clamp keeps the selection inside the lines and the view around it.
func (m *Model) clamp() {
	n := len(m.lines)
	if n == 0 {
		m.sel, m.top = 0, 0
		return
	}
	m.sel = min(max(m.sel, 0), n-1)
	bh := max(1, m.bodyHeight())
	if m.follow {
		m.sel = n - 1
	}
	if m.sel < m.top {
		m.top = m.sel
	}
	if m.sel >= m.top+bh {
		m.top = m.sel - bh + 1
	}
	m.top = min(max(m.top, 0), max(0, n-bh))
}

// move moves the selection by d lines; moving up leaves follow mode.
func (m *Model) move(d int) {
	if d < 0 {
		m.follow = false
	}
	m.sel += d
	m.clamp()
}

// selectAt selects the last line at or before t (the time cursor), leaving
// follow mode.
func (m *Model) selectAt(t time.Time) {
	if len(m.lines) == 0 {
		return
	}
	// Lines are in arrival order, which is nearly but not strictly time
	// order: take the newest line not after t.
	i := len(m.lines) - 1
	for i > 0 && m.lines[i].At.After(t) {
		i--
	}
	m.follow = false
	m.sel = i
	m.top = m.sel - m.bodyHeight()/2
	m.clamp()
}

// seek moves to the next (or previous) line whose level matches, and puts
// it in the middle of the view when it was out of sight.
func (m *Model) seek(back bool, match func(sources.Level) bool) bool {
	step := 1
	if back {
		step = -1
	}
	for i := m.sel + step; i >= 0 && i < len(m.lines); i += step {
		if match(m.lines[i].Level) {
			m.follow = false
			m.sel = i
			if bh := m.bodyHeight(); i < m.top || i >= m.top+bh {
				m.top = i - bh/2
			}
			m.clamp()
			return true
		}
	}
	return false
}

func isError(l sources.Level) bool { return l >= sources.LevelError }
func isWarn(l sources.Level) bool  { return l == sources.LevelWarn }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	k := m.keys
	return []key.Binding{k.Follow, k.MinLevel, k.NextError, k.PrevError, k.NextWarn, k.PrevWarn, k.Pretty, k.Reveal,
		k.Trace, k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}
}

// HandleKey implements pane.Pane. Keys typed faster than the terminal is
// read arrive as one message with several runes ("vv"); they are taken one
// by one.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
		used := false
		var cmds []tea.Cmd
		for _, r := range msg.Runes {
			u, c := m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt})
			used = used || u
			if c != nil {
				cmds = append(cmds, c)
			}
		}
		return used, tea.Batch(cmds...)
	}
	k := m.keys
	if m.pretty != nil {
		return m.prettyKey(msg)
	}
	page := max(1, m.bodyHeight()-1)
	m.note = ""
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, k.Up):
		m.move(-1)
	case key.Matches(msg, k.Down):
		m.move(1)
	case key.Matches(msg, k.PageUp):
		m.move(-page)
	case key.Matches(msg, k.PageDown):
		m.move(page)
	case key.Matches(msg, k.Top):
		m.follow = false
		m.sel = 0
		m.clamp()
	case key.Matches(msg, k.Bottom):
		m.follow, m.newLines = true, 0
		m.clamp()
	case key.Matches(msg, k.Follow):
		m.follow = !m.follow
		if m.follow {
			m.newLines = 0
		}
		m.clamp()
	case key.Matches(msg, k.MinLevel):
		for i, l := range levelCycle {
			if l == m.minLevel {
				m.minLevel = levelCycle[(i+1)%len(levelCycle)]
				break
			}
		}
		m.stale = true
		m.rescan()
		m.chart()
	case key.Matches(msg, k.NextError), key.Matches(msg, k.PrevError):
		if !m.seek(key.Matches(msg, k.PrevError), isError) {
			m.note = "no further error"
		}
	case key.Matches(msg, k.NextWarn), key.Matches(msg, k.PrevWarn):
		if !m.seek(key.Matches(msg, k.PrevWarn), isWarn) {
			m.note = "no further warning"
		}
	case key.Matches(msg, k.Pretty):
		m.openPretty(false)
	case key.Matches(msg, k.Reveal):
		cmd = m.openPretty(true)
	case key.Matches(msg, k.Trace):
		j, ok := m.Selection()
		if !ok || j.TraceID == "" {
			// No trace id: leave X to the console, which looks for the
			// traces of the line's service around its time.
			return false, nil
		}
		j.Target = pane.TargetTraces
		cmd = func() tea.Msg { return j }
	default:
		return false, nil
	}
	m.render()
	return true, cmd
}

func (m *Model) prettyKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	k := m.keys
	page := max(1, m.h-2)
	switch {
	case key.Matches(msg, k.Up):
		m.prettyTop--
	case key.Matches(msg, k.Down):
		m.prettyTop++
	case key.Matches(msg, k.PageUp):
		m.prettyTop -= page
	case key.Matches(msg, k.PageDown):
		m.prettyTop += page
	case key.Matches(msg, k.Top):
		m.prettyTop = 0
	case key.Matches(msg, k.Bottom):
		m.prettyTop = len(m.pretty)
	case key.Matches(msg, k.Pretty):
		m.pretty = nil
	default:
		return false, nil
	}
	m.prettyTop = min(max(m.prettyTop, 0), max(0, len(m.pretty)-(m.h-1)))
	m.render()
	return true, nil
}

// Selection is the selected line, for the console's L / X / M jumps: its
// trace and span ids and service, and a minute around it.
func (m *Model) Selection() (pane.JumpMsg, bool) {
	if m.sel < 0 || m.sel >= len(m.lines) {
		return pane.JumpMsg{}, false
	}
	r := &m.lines[m.sel]
	return pane.JumpMsg{TraceID: r.TraceID, SpanID: r.SpanID, Service: r.Service,
		From: r.At.Add(-30 * time.Second), To: r.At.Add(30 * time.Second)}, true
}

// CopyText is what `y` copies from the pane: the selected line as shown
// (redacted values stay redacted).
func (m *Model) CopyText() (string, bool) {
	if m.sel < 0 || m.sel >= len(m.lines) {
		return "", false
	}
	return oneLine(m.lines[m.sel].Raw), true
}

// openPretty opens the selected line pretty-printed; with reveal, the
// original of a redacted line from the vault, and a command that records
// that it was revealed in vigil's own log.
func (m *Model) openPretty(reveal bool) tea.Cmd {
	if m.sel < 0 || m.sel >= len(m.lines) {
		return nil
	}
	r := &m.lines[m.sel]
	raw := r.Raw
	title := "line at " + r.At.In(m.opts.Location).Format("15:04:05.000")
	var cmd tea.Cmd
	if reveal {
		ref := r.Fields[logsrc.RedactRefField]
		if ref == "" {
			m.note = "nothing is redacted on this line"
			return nil
		}
		orig, ok := m.opts.Vault.Reveal(ref)
		if !ok {
			m.note = "the original of this line is no longer in memory"
			return nil
		}
		raw = orig
		title += " · REVEALED"
		src, at := r.Source, r.At
		cmd = func() tea.Msg {
			slog.Info("logs: redacted line revealed", "source", src, "at", at)
			return pane.StatusMsg{Text: "revealed one redacted line (logged)"}
		}
	}
	m.pretty = prettyLines(raw, r)
	m.prettyTop = 0
	m.prettyTitle = title
	return cmd
}

// prettyLines indents a JSON line; other lines show their parsed fields.
func prettyLines(raw string, r *sources.LogRecord) []string {
	t := strings.TrimSpace(raw)
	if strings.HasPrefix(t, "{") {
		var b bytes.Buffer
		if err := json.Indent(&b, []byte(sources.Sanitize(t)), "", "  "); err == nil {
			out := strings.Split(sources.Sanitize(b.String()), "\n")
			for i, l := range out {
				if !isASCII(l) {
					out[i] = strings.Map(dropInvisible, l)
				}
			}
			return out
		}
	}
	out := []string{oneLine(raw), ""}
	out = append(out, "time     "+r.At.Format(time.RFC3339Nano), "level    "+r.Level.String())
	for _, kv := range [][2]string{{"service", r.Service}, {"msg", r.Msg}, {"trace_id", r.TraceID}, {"span_id", r.SpanID}, {"source", r.Source}} {
		if kv[1] != "" {
			out = append(out, fmt.Sprintf("%-8s %s", kv[0], oneLine(kv[1])))
		}
	}
	for _, k := range sortedKeys(r.Fields) {
		out = append(out, fmt.Sprintf("%-8s %s", k, oneLine(r.Fields[k])))
	}
	return out
}

// Escape implements pane.Escaper: pretty view → jump.
func (m *Model) Escape() bool {
	switch {
	case m.pretty != nil:
		m.pretty = nil
	case m.jump != nil:
		m.jump, m.jumpNote = nil, ""
		m.stale = true
		m.rescan()
		m.chart()
	default:
		return false
	}
	m.render()
	return true
}

// SetFilter implements pane.Filterer: a regex over the raw line ("!"
// inverts) and field conditions: service=api level>=warn latency_ms>500
// msg=~timeout trace_id=4bf9….
func (m *Model) SetFilter(expr string) error {
	expr = strings.TrimSpace(expr)
	f, err := compileFilter(expr)
	if err != nil {
		return err
	}
	if !f.active() {
		f = nil
	}
	m.filter = f
	m.stale = true
	m.rescan()
	m.chart()
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string {
	if m.filter == nil {
		return ""
	}
	return m.filter.expr
}

// NextMatch implements pane.Filterer: with a filter every shown line
// matches, so n / N step line by line; without one they step between
// errors and warnings.
func (m *Model) NextMatch(back bool) {
	if m.filter.active() {
		if back {
			m.move(-1)
		} else {
			m.move(1)
			m.follow = false
		}
	} else {
		m.seek(back, func(l sources.Level) bool { return l >= sources.LevelWarn })
	}
	m.render()
}

// Jump implements pane.Jumper: show the lines of a trace (by id, or the
// service in the trace's window when no line carries the id), or the lines
// of a service (or all) in a time window.
func (m *Model) Jump(j pane.JumpMsg) tea.Cmd {
	jc := j
	if jc.TraceID == "" && jc.Service == "" && jc.From.IsZero() && jc.To.IsZero() {
		m.jump = nil
	} else {
		m.jump = &jc
	}
	m.jumpNote, m.note = "", ""
	m.pretty = nil
	m.follow = false
	m.stale = true
	m.rescan()
	m.sel = len(m.lines) - 1
	if j.TraceID == "" && !j.From.IsZero() && !j.To.IsZero() {
		// Around a moment: start in the middle of the window.
		m.selectAt(j.From.Add(j.To.Sub(j.From) / 2))
	}
	m.clamp()
	m.chart()
	m.render()
	return nil
}

func jumpText(j *pane.JumpMsg) string {
	var parts []string
	if j.TraceID != "" {
		parts = append(parts, "trace "+short(j.TraceID))
	}
	if j.Service != "" {
		parts = append(parts, j.Service)
	}
	if !j.From.IsZero() || !j.To.IsZero() {
		parts = append(parts, j.From.Format("15:04:05")+"–"+j.To.Format("15:04:05"))
	}
	return strings.Join(parts, " ")
}

func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != logsrc.RedactRefField {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// oneLine makes text from outside safe and one display line: records that
// did not come through the parser (another source, a recording) are
// sanitized here too.
func oneLine(s string) string {
	s = sources.Sanitize(s)
	if !isASCII(s) {
		s = strings.Map(dropInvisible, s)
	}
	if strings.ContainsAny(s, "\n\t\r") {
		s = strings.NewReplacer("\n", " ", "\t", " ", "\r", " ").Replace(s)
	}
	return s
}

func itoa(n int) string { return strconv.Itoa(n) }

// dropInvisible removes the format characters that make a line read other
// than it is: bidirectional overrides and isolates ("Trojan Source"),
// zero-width characters and the byte-order mark.
func dropInvisible(r rune) rune {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r >= 0x200b && r <= 0x200f, r == 0xfeff, r == 0x061c:
		return -1
	}
	return r
}
