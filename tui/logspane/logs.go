// Package logspane is the console's logs screen: the log lines the store holds,
// newest at the bottom, in follow mode until the user scrolls up; a regex
// filter and field conditions (service=api level>=warn latency_ms>500
// source=dpkg.log); a minimum level; jumps between errors and warnings; a
// pretty-printed view of a line; long lines wrapped (Ctrl-W) or scrolled
// sideways (h/l, ←/→ while the time cursor is off), as lnav and less do; a
// source column when lines come from more than one source; the date on every
// line that is not from the day shown; a per-level count chart over the
// shared time window; and the links to the trace of a line (X) and from a
// spike or a trace to its lines (Jump).
//
// The pane follows the store incrementally and copies no record: it keeps,
// for each line it shows, the record's sequence number in the store with its
// time, level and source (24 bytes, no pointers), and reads the records of
// the rows on screen when it draws them. A refresh reads only what arrived
// since the last one (Store.ScanLogs), in chunks, so that neither a flood
// nor a rescan holds the store's lock for long; the whole buffer is scanned
// again only when the filter, the minimum level or the jump changes. The
// lines shown are those the store holds: what its byte and record bounds
// let go of leaves the pane too, and the header counts it. While paused the
// pane keeps the records of the rows it last drew, so that what is on screen
// stays readable when a flood pushes it out of the store.
package logspane

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
	"github.com/vigil-dev/vigil/sources/logs"
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
	Wrap                                    key.Binding // Ctrl-W: wrap long lines on/off
	Left, Right                             key.Binding // h / l (and ←/→ when the console leaves them): scroll sideways
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
		Pretty:    key.NewBinding(key.WithKeys("P", "enter"), key.WithHelp("P", "pretty / whole line")),
		Reveal:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reveal redacted")),
		Trace:     key.NewBinding(key.WithKeys("X"), key.WithHelp("X", "trace of the line")),
		Wrap:      key.NewBinding(key.WithKeys("ctrl+w"), key.WithHelp("ctrl+w", "wrap long lines on/off")),
		Left:      key.NewBinding(key.WithKeys("h", "left"), key.WithHelp("h/←", "scroll left")),
		Right:     key.NewBinding(key.WithKeys("l", "right"), key.WithHelp("l/→", "scroll right")),
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
	Vault *logs.Vault
	// Location is the zone times are shown in; default time.Local.
	Location *time.Location
	// MaxLines bounds the lines the pane shows after filtering; default the
	// store's MaxLogs.
	MaxLines int
	// Hint is shown when there are no lines at all.
	Hint string
}

// entry is one line the pane shows: where its record is in the store, and
// what the chart, the level jumps and the time cursor need without it.
type entry struct {
	seq   uint64 // the record's sequence number in the store
	at    int64  // its time, Unix nanoseconds
	level sources.Level
	src   uint16 // its source, an index into the pane's sourceNames
}

// scanChunk is how many records one read of the store visits: the store's
// lock is let go between chunks.
const scanChunk = 8192

// Model is the logs pane. Create it with New.
type Model struct {
	opts    Options
	keys    KeyMap
	w, h    int
	focused bool
	env     pane.Env
	store   *sources.Store // the store the lines refer to

	// What is shown: the lines of the store that pass minLevel, the jump
	// and the filter, oldest first.
	lines   []entry
	seq     uint64 // next store sequence number to read
	lastGen uint64
	started bool
	stale   bool // the criteria changed: scan the store again
	frozen  bool // paused: a rescan read lines past the paused instant
	srcs    sourceNames

	// held are the records of the rows last drawn, by sequence number: a
	// paused pane shows them when the store has let them go.
	held map[uint64]sources.LogRecord

	filter   *filter
	minLevel sources.Level
	jump     *pane.JumpMsg
	jumpNote string

	follow     bool
	sel, top   int
	newLines   int // arrived while not following
	lastCursor time.Time
	wrap       bool // long lines take as many rows as they need
	hoff       int  // sideways scroll of the text column, in cells

	pretty      []string // the open pretty view, nil when closed
	prettyTop   int
	prettyTitle string
	prettyRaw   string // what the pretty view shows, re-wrapped on resize
	prettyRec   sources.LogRecord

	// chart
	counts   [3][]float64 // error+fatal, warn, all; one cell per time bucket
	totals   [3]int
	usage    sources.LogUsage // the store's log buffer
	lost     float64          // lines the sources could not keep (cut or dropped before parsing)
	loading  []string         // whole-file loads in progress, "name 45%"
	services bool             // some shown line has a service: give it a column

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
		opts.Hint = "no log lines yet: tail files with --log PATH, run a command with --log-cmd, or pipe into vigil (--log -)"
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
	if m.pretty != nil {
		m.pretty = prettyLines(m.prettyRaw, &m.prettyRec, m.w)
	}
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
	if st != m.store {
		m.store, m.stale = st, true
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
	m.usage = st.LogUsage()
	m.lost = 0
	for _, s := range st.Select(logs.DroppedTotal) {
		if v, ok := st.Last(s.Key(), st.Newest()); ok {
			m.lost += v.V
		}
	}
	m.loading = m.loading[:0]
	for _, s := range st.Select(logs.LoadRatio) {
		if v, ok := st.Last(s.Key(), st.Newest()); ok && v.V < 1 {
			m.loading = append(m.loading, fmt.Sprintf("%s %d%%", shortName(s.Label(logs.LabelSource)), int(v.V*100)))
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
	srcs := &m.srcs
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
		return f.keep(r, srcs)
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

// scan appends the lines from sequence number seq on that keep keeps, a
// chunk at a time, up to the end of the store as it was when the scan
// began. It returns the next sequence number to read, and false when the
// store has started again (Reset) since seq.
func (m *Model) scan(seq uint64, keep func(*sources.LogRecord) bool) (uint64, bool) {
	st := m.env.Store
	_, end := st.LogSpan()
	if seq > end {
		return end, false
	}
	add := func(q uint64, r *sources.LogRecord) bool {
		if keep(r) {
			m.lines = append(m.lines, entry{seq: q, at: r.At.UnixNano(), level: r.Level, src: m.srcs.index(r.Source)})
		}
		return true
	}
	for seq < end {
		next := st.ScanLogs(seq, int(min(end-seq, scanChunk)), add)
		if next < seq {
			return next, false
		}
		if next == seq {
			break
		}
		seq = next
	}
	return seq, true
}

// rescan reads the whole store again under the current criteria.
func (m *Model) rescan() {
	st := m.env.Store
	if st == nil {
		return
	}
	var selAt int64
	selSeq := uint64(0)
	hadSel := !m.follow && m.sel < len(m.lines)
	if hadSel {
		selAt, selSeq = m.lines[m.sel].at, m.lines[m.sel].seq
	}
	m.lastGen = st.Generation()
	m.lines = m.lines[:0]
	if cap(m.lines) > 4*st.Options().MaxLogs {
		m.lines = nil
	}
	keep := m.keepFunc()
	var ok bool
	if m.seq, ok = m.scan(0, keep); !ok {
		m.lines = m.lines[:0]
		m.seq, _ = m.scan(0, keep)
	}
	if m.jump != nil && m.jump.TraceID != "" && len(m.lines) == 0 && (m.jump.Service != "" || !m.jump.From.IsZero()) {
		// No line carries the trace id: fall back to the service in the
		// trace's window, as Tempo's trace-to-logs does.
		fb := *m.jump
		fb.TraceID = ""
		m.jump = &fb
		m.jumpNote = "no line carries that trace id; showing " + jumpText(&fb)
		m.seq, _ = m.scan(0, m.keepFunc())
	}
	m.trim()
	m.stale, m.started = false, true
	m.frozen = m.env.Mode == "PAUSED"
	m.newLines = 0
	if m.follow {
		m.sel = len(m.lines) - 1
	} else if hadSel {
		// The same line when it is still shown, else the one at its time.
		i := sort.Search(len(m.lines), func(i int) bool { return m.lines[i].seq >= selSeq })
		if i < len(m.lines) && m.lines[i].seq == selSeq {
			m.sel = i
		} else {
			m.selectAt(time.Unix(0, selAt))
		}
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
	// Let go of the lines the store no longer holds before reading on:
	// under a flood most of what the pane holds has gone since the last
	// refresh, and appending first grew the slice past the store's bound
	// every time (megabytes allocated on the console's goroutine, which
	// then paid for the collector's work on the flood's garbage).
	m.cut(false)
	m.reserve()
	before := len(m.lines)
	next, ok := m.scan(m.seq, m.keepFunc())
	if !ok {
		m.stale = true // the store was reset (replay seeking back)
		m.rescan()
		return
	}
	m.seq = next
	added := len(m.lines) - before
	if !m.follow {
		m.newLines += added
	}
	m.trim()
	if m.follow {
		m.sel = len(m.lines) - 1
	}
	m.clamp()
}

// reserve makes room at once for the lines a pull is about to read, when
// they are many (a flood): twice what is needed, up to the pane's bound,
// in one allocation instead of the many of an index doubling from a few
// lines to 100,000 on the console's goroutine, where an allocation made
// while the collector runs is paid for in marking work (a trace at the
// start of a 50,000 lines/s flood: a 75 ms assist inside one refresh).
func (m *Model) reserve() {
	st := m.env.Store
	first, end := st.LogSpan()
	pending := int(end - max(m.seq, first))
	need := len(m.lines) + pending
	if pending < scanChunk || need <= cap(m.lines) {
		return
	}
	limit := m.opts.MaxLines
	if limit <= 0 {
		limit = st.Options().MaxLogs
	}
	c := max(need, min(2*need, limit))
	m.lines = append(make([]entry, 0, c), m.lines...)
}

// trim lets go of the lines the store no longer holds (except while
// paused: the pane then shows what it last drew of them) and keeps the
// pane within MaxLines, shifting the selection with it.
func (m *Model) trim() { m.cut(true) }

// cut is trim; with shrink a mostly empty index is copied into a smaller
// one so that the rest of its memory goes back. pull cuts without
// shrinking before it reads on: the lines it reads next take the room.
func (m *Model) cut(shrink bool) {
	cut := 0
	if m.env.Mode != "PAUSED" && m.env.Store != nil {
		first, _ := m.env.Store.LogSpan()
		cut = sort.Search(len(m.lines), func(i int) bool { return m.lines[i].seq >= first })
	}
	limit := m.opts.MaxLines
	if limit <= 0 && m.env.Store != nil {
		limit = m.env.Store.Options().MaxLogs
	}
	if limit > 0 && len(m.lines)-cut > limit {
		cut = len(m.lines) - limit
	}
	if cut == 0 {
		return
	}
	if shrink && len(m.lines)-cut < cap(m.lines)/4 {
		// Mostly empty: copy into a smaller slice so the rest goes back.
		m.lines = append(make([]entry, 0, 2*(len(m.lines)-cut)+64), m.lines[cut:]...)
	} else {
		n := copy(m.lines, m.lines[cut:])
		m.lines = m.lines[:n]
	}
	m.sel -= cut
	m.top -= cut
	if m.newLines > len(m.lines) {
		m.newLines = len(m.lines)
	}
}

// record returns the record of line i: from the store, or from the rows
// last drawn when the store has let it go.
func (m *Model) record(i int) (sources.LogRecord, bool) {
	if i < 0 || i >= len(m.lines) {
		return sources.LogRecord{}, false
	}
	q := m.lines[i].seq
	var out sources.LogRecord
	found := false
	if st := m.env.Store; st != nil {
		st.LogsAt([]uint64{q}, func(_ int, r *sources.LogRecord) { out, found = *r, true })
	}
	if !found {
		out, found = m.held[q]
	}
	return out, found
}

// records returns the records of lines [from, to), with ok[i] false for a
// line the store has let go of and the pane did not keep; the rows drawn
// become the ones held.
func (m *Model) records(from, to int) ([]sources.LogRecord, []bool) {
	n := max(0, to-from)
	recs := make([]sources.LogRecord, n)
	ok := make([]bool, n)
	if n == 0 {
		return recs, ok
	}
	seqs := make([]uint64, n)
	for i := range seqs {
		seqs[i] = m.lines[from+i].seq
	}
	if st := m.env.Store; st != nil {
		st.LogsAt(seqs, func(i int, r *sources.LogRecord) { recs[i], ok[i] = *r, true })
	}
	held := make(map[uint64]sources.LogRecord, n)
	for i, q := range seqs {
		if !ok[i] {
			recs[i], ok[i] = m.held[q]
		}
		if ok[i] {
			held[q] = recs[i]
		}
	}
	m.held = held
	return recs, ok
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

// clamp keeps the selection inside the lines and the view around it (one
// row a line; with wrapping on, render fits the view to the rows the lines
// take).
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
	at := t.UnixNano()
	i := len(m.lines) - 1
	for i > 0 && m.lines[i].at > at {
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
		if match(m.lines[i].level) {
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
	return []key.Binding{k.Follow, k.MinLevel, k.NextError, k.PrevError, k.NextWarn, k.PrevWarn, k.Pretty, k.Wrap,
		k.Left, k.Right, k.Reveal, k.Trace, k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}
}

// hstep is how far h / l scroll: a quarter of the pane, as less scrolls
// half a screen and lnav a few columns.
func (m *Model) hstep() int { return max(8, m.w/4) }

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
	case key.Matches(msg, k.Wrap):
		m.wrap = !m.wrap
		m.hoff = 0
		m.clamp()
	case key.Matches(msg, k.Left):
		if m.wrap {
			m.note = "wrapped: nothing to scroll (ctrl+w unwraps)"
		}
		m.hoff = max(0, m.hoff-m.hstep())
	case key.Matches(msg, k.Right):
		if m.wrap {
			m.note = "wrapped: nothing to scroll (ctrl+w unwraps)"
		} else {
			m.hoff += m.hstep()
		}
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
	r, ok := m.record(m.sel)
	if !ok {
		return pane.JumpMsg{}, false
	}
	return pane.JumpMsg{TraceID: r.TraceID, SpanID: r.SpanID, Service: r.Service,
		From: r.At.Add(-30 * time.Second), To: r.At.Add(30 * time.Second)}, true
}

// CopyText is what `y` copies from the pane: the selected line as shown
// (redacted values stay redacted).
func (m *Model) CopyText() (string, bool) {
	r, ok := m.record(m.sel)
	if !ok {
		return "", false
	}
	return oneLine(r.Raw), true
}

// openPretty opens the selected line pretty-printed; with reveal, the
// original of a redacted line from the vault, and a command that records
// that it was revealed in vigil's own log.
func (m *Model) openPretty(reveal bool) tea.Cmd {
	r, ok := m.record(m.sel)
	if !ok {
		if m.sel >= 0 && m.sel < len(m.lines) {
			m.note = "that line is no longer held (the log buffer is bounded)"
		}
		return nil
	}
	raw := r.Raw
	title := "line at " + m.stamp(r.At, false)
	if r.TimeRead {
		title += " (read time)"
	}
	var cmd tea.Cmd
	if reveal {
		ref := r.Fields.Value(logs.RedactRefField)
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
	m.prettyRaw, m.prettyRec = raw, r
	m.pretty = prettyLines(raw, &r, m.w)
	m.prettyTop = 0
	m.prettyTitle = title
	return cmd
}

// prettyLines indents a JSON line; other lines show in full, wrapped at w,
// followed by their parsed fields.
func prettyLines(raw string, r *sources.LogRecord, w int) []string {
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
	out := wrapCells(oneLine(raw), max(1, w), 0)
	out = append(out, "")
	tm := "time     " + r.At.Format(time.RFC3339Nano)
	if r.TimeRead {
		tm += " (read time: the line carries no time)"
	}
	out = append(out, tm, "level    "+r.Level.String())
	for _, kv := range [][2]string{{"service", r.Service}, {"msg", r.Msg}, {"trace_id", r.TraceID}, {"span_id", r.SpanID}, {"source", r.Source}} {
		if kv[1] != "" {
			out = append(out, fmt.Sprintf("%-8s %s", kv[0], oneLine(kv[1])))
		}
	}
	for _, k := range sortedKeys(r.Fields) {
		out = append(out, fmt.Sprintf("%-8s %s", k, oneLine(r.Fields.Value(k))))
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
// msg=~timeout trace_id=4bf9… source=dpkg.log.
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

func sortedKeys(f sources.Fields) []string {
	keys := make([]string, 0, f.Len())
	for k := range f.All() {
		if k != logs.RedactRefField {
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
