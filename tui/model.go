// Package tui is vigil's console: a root Bubble Tea model that routes keys,
// messages and sizes to the panes (one package each), owns the one time every
// pane shares (live, paused or replay instant, zoom window, cursor), and lays
// the screens out with tui/layout. Heavy work happens in Update on refresh;
// View only assembles prepared strings.
package tui

import (
	"sort"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/keys"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/palette"
	"github.com/vigil-dev/vigil/tui/pane"
)

func init() {
	// Never ask the terminal for its background colour (an OSC 11 query
	// can hang over SSH and tmux); vigil's palette assumes a dark one.
	lipgloss.SetHasDarkBackground(true)
}

// Model is the root tea.Model. Copies share state: Bubble Tea keeps only the
// model Update returns, so the console mutates one state behind a pointer.
type Model struct{ s *state }

type state struct {
	o    Options
	keys keys.Map

	w, h  int
	sized bool
	plan  layout.Plan

	t           timeState
	started     bool // a first clock reading arrived
	dirty       bool // data arrived since the last refresh
	lastRefresh time.Time
	env         pane.Env
	envGen      uint64
	overview    view.Overview // the last evaluation, at evalAt with store generation evalGen
	evalAt      time.Time
	evalGen     uint64
	seen        map[pane.Pane]uint64 // envGen each pane was last refreshed with
	boxes       map[pane.Pane]boxEntry
	sizes       map[pane.Pane][2]int // the size each pane was last given
	statusLine  string               // prepared in Update
	alerts      []string             // firing alerts, one line each

	screens []*screen
	cur     int // index into screens

	lastKey     tea.KeyMsg // the key being routed (for pane-first actions)
	help        bool
	helpOffset  int
	sourcesOpen bool      // the sources overlay (S, :sources)
	notice      string    // terminal notification bytes for the next frame
	noticeAt    time.Time // when it arrived
	palette     palette.Model
	filter      palette.Model

	fl fleetState // history and detail asked of a query engine (fleethook.go)

	msg      string
	msgErr   bool
	msgUntil time.Time
	quitting bool
}

// Messages.
type (
	// tickMsg carries the clock's time, read inside the command.
	tickMsg struct{ at time.Time }
	// dataMsg says the hub ingested frames.
	dataMsg struct{ at time.Time }
)

// New returns the console's root model.
func New(o Options) Model {
	o = o.withDefaults()
	s := &state{o: o, seen: map[pane.Pane]uint64{}, boxes: map[pane.Pane]boxEntry{}, sizes: map[pane.Pane][2]int{}}
	km, err := keys.New(o.Keys)
	s.keys = km
	if err != nil {
		s.msg, s.msgErr = err.Error(), true
	}
	s.t.window = o.Window
	if o.Store != nil {
		s.t.retention = o.Store.Options().Retention
		if s.t.window > s.t.retention {
			s.t.window = s.t.retention
		}
	}
	s.screens = buildScreens(o)
	s.palette = palette.New(":", s.completeCommand)
	s.filter = palette.New("/", nil)
	s.focusChanged(nil)
	return Model{s: s}
}

// tick schedules the next refresh, reading the clock when it fires.
func tick(d time.Duration, clock sources.Clock) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return tickMsg{at: clock.Now()} })
}

// readClock delivers the clock's time at once.
func readClock(clock sources.Clock) tea.Cmd {
	return func() tea.Msg { return tickMsg{at: clock.Now()} }
}

// noticeMsg carries terminal notification bytes (bell, OSC 9/777) to show
// in exactly one frame.
type noticeMsg struct {
	seq string
	at  time.Time
}

// waitForNotice blocks until a notification is due.
func waitForNotice(ch <-chan string, clock sources.Clock) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		seq, ok := <-ch
		if !ok {
			return nil
		}
		return noticeMsg{seq: seq, at: clock.Now()}
	}
}

// waitForUpdate blocks until the hub has ingested frames.
func waitForUpdate(ch <-chan struct{}, clock sources.Clock) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		if _, ok := <-ch; !ok {
			return nil
		}
		return dataMsg{at: clock.Now()}
	}
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd {
	s := m.s
	cmds := []tea.Cmd{readClock(s.o.Clock)}
	if s.o.Hub != nil {
		cmds = append(cmds, waitForUpdate(s.o.Hub.Updates(), s.o.Clock))
	}
	cmds = append(cmds, waitForNotice(s.o.Notices, s.o.Clock))
	if s.o.Timeline != nil {
		if i, ok := s.o.Timeline.(interface{ Init() tea.Cmd }); ok {
			cmds = append(cmds, i.Init())
		}
	}
	return tea.Batch(cmds...)
}

// Update implements tea.Model.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	s := m.s
	var cmd tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		s.w, s.h, s.sized = max(msg.Width, 0), max(msg.Height, 0), true
	case noticeMsg:
		// Written with the next frame (the renderer flushes every 50 ms)
		// and taken out at the first tick 200 ms on: a changed line is
		// written once, so the bell rings once.
		s.notice, s.noticeAt = msg.seq, msg.at
		cmd = waitForNotice(s.o.Notices, s.o.Clock)
	case tickMsg:
		if s.notice != "" && msg.at.Sub(s.noticeAt) >= 200*time.Millisecond {
			s.notice = ""
		}
		first := !s.started
		s.observe(msg.at)
		// While paused the shown instant is fixed: nothing to recompute.
		if !s.t.paused || first {
			s.refresh()
		}
		cmd = tick(s.o.Refresh, s.o.Clock)
	case dataMsg:
		s.observe(msg.at)
		s.dirty = true
		if s.started && !s.t.paused && msg.at.Sub(s.lastRefresh) >= s.o.Refresh {
			s.refresh()
		}
		if s.o.Hub != nil {
			cmd = waitForUpdate(s.o.Hub.Updates(), s.o.Clock)
		}
	case tea.KeyMsg:
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste {
			// Bubble Tea v1 delivers keys typed in a burst (or sent by
			// tmux, or a slow link) as one message: each is a key press.
			cmds := make([]tea.Cmd, 0, len(msg.Runes))
			for _, r := range msg.Runes {
				cmds = append(cmds, s.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
			}
			cmd = tea.Batch(cmds...)
			break
		}
		cmd = s.handleKey(msg)
	case tea.MouseMsg:
		cmd = s.handleMouse(msg)
	case pane.JumpMsg:
		cmd = s.jump(msg)
	case pane.CursorMsg:
		s.t.setCursor(msg.At)
		s.refresh()
	case pane.StatusMsg:
		s.setMessage(msg.Text, msg.Error)
	case historyMsg:
		s.refresh()
	default:
		cmd = s.broadcast(msg)
	}
	if s.quitting {
		return m, tea.Quit
	}
	s.relayout()
	if r := s.plan.Status; !r.Empty() && s.plan.Mode != layout.TooSmall {
		s.statusLine = s.statusBar(r.W)
	}
	if fc := s.fleetCmd(); fc != nil {
		cmd = tea.Batch(cmd, fc)
	}
	return m, cmd
}

// observe takes a clock reading. The clock may go back (a replay seek), so
// the newest reading always wins.
func (s *state) observe(at time.Time) {
	s.t.now = at
	s.started = true
	if s.msg != "" && !s.msgUntil.IsZero() && !s.t.now.Before(s.msgUntil) {
		s.msg, s.msgErr, s.msgUntil = "", false, time.Time{}
	}
	if s.msg != "" && s.msgUntil.IsZero() {
		s.msgUntil = s.t.now.Add(MessageTTL)
	}
}

func (s *state) setMessage(text string, isErr bool) {
	s.msg, s.msgErr = sources.OneLine(sources.Sanitize(text)), isErr
	s.msgUntil = time.Time{}
	if s.started {
		s.msgUntil = s.t.now.Add(MessageTTL)
	}
}

// mode is LIVE, PAUSED or REPLAY.
func (s *state) mode() string {
	switch {
	case s.t.paused:
		return "PAUSED"
	case s.o.Timeline != nil:
		return "REPLAY"
	}
	return "LIVE"
}

// refresh evaluates the overview once at the shown instant and hands it to
// the visible panes (others catch up when they become visible).
func (s *state) refresh() {
	if s.o.Store == nil || !s.started {
		return
	}
	at := s.t.shown()
	s.t.clampCursor()
	// The overview depends only on the instant and the data: a zoom or a
	// cursor move at the same instant reuses it.
	gen := s.o.Store.Generation()
	if !s.evalAt.Equal(at) || s.evalGen != gen || s.envGen == 0 {
		s.overview = view.Evaluate(s.o.Store, at, s.o.View)
		s.evalAt, s.evalGen = at, gen
	}
	s.env = pane.Env{
		Store:    s.o.Store,
		Now:      at,
		Window:   s.t.window,
		Cursor:   s.t.cursor,
		Mode:     s.mode(),
		Overview: s.overview,
		Options:  s.o.View,
	}
	s.envGen++
	s.dirty = false
	s.lastRefresh = s.t.now
	s.alerts = firingAlerts(s.o.Store, at, s.t.maxWindow())
	if s.o.Timeline != nil {
		s.o.Timeline.Refresh(s.env)
		s.seen[s.o.Timeline] = s.envGen
	}
}

// broadcast offers a message to every Receiver (focused or not) and the timeline.
func (s *state) broadcast(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	done := map[pane.Pane]bool{}
	offer := func(p pane.Pane) {
		if p == nil || done[p] {
			return
		}
		done[p] = true
		if r, ok := p.(pane.Receiver); ok {
			cmds = append(cmds, r.Receive(msg))
		}
	}
	offer(s.o.Timeline)
	for _, sc := range s.screens {
		for _, p := range sc.panes {
			offer(p)
		}
	}
	return tea.Batch(cmds...)
}

// firingAlerts lists alerts whose newest event in the store's retention is
// not a resolution, newest first.
// alertIdentity joins an alert's labels, state left out, in label order.
func alertIdentity(ls []sources.Label, name string) string {
	var b strings.Builder
	b.WriteString(name)
	for _, l := range ls {
		if l.Name == "state" || l.Name == "alertname" {
			continue
		}
		b.WriteByte(0)
		b.WriteString(l.Name)
		b.WriteByte('=')
		b.WriteString(l.Value)
	}
	return b.String()
}

func firingAlerts(st *sources.Store, at time.Time, span time.Duration) []string {
	evs := st.Events(at.Add(-span), at, 2000)
	type state struct {
		name   string
		id     string
		ev     sources.Event
		firing bool
	}
	last := map[string]state{}
	for _, e := range evs {
		if e.Kind != "alert" {
			continue
		}
		name := sources.LabelValue(e.Labels, "alertname")
		if name == "" {
			name = e.Text
		}
		st := sources.LabelValue(e.Labels, "state")
		// One alert is its name and every label but its state: the same
		// rule firing on two GPUs is two alerts.
		id := alertIdentity(e.Labels, name)
		prev, ok := last[id]
		if ok && prev.ev.At.After(e.At) {
			continue
		}
		last[id] = state{name: name, id: id, ev: e, firing: st == "" || st == "firing"}
	}
	var firing []state
	for _, v := range last {
		if v.firing {
			firing = append(firing, v)
		}
	}
	// Worst, then newest, then by name: an order that never depends on the map.
	sort.Slice(firing, func(i, j int) bool {
		a, b := firing[i].ev, firing[j].ev
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if !a.At.Equal(b.At) {
			return a.At.After(b.At)
		}
		return firing[i].id < firing[j].id
	})
	out := make([]string, 0, len(firing))
	for _, f := range firing {
		out = append(out, alertLine(f.ev))
	}
	return out
}

func alertLine(e sources.Event) string {
	text := e.Text
	if n := sources.LabelValue(e.Labels, "alertname"); n != "" && n != text {
		text = n + ": " + text
	}
	for _, k := range []string{sources.LabelService, sources.LabelHost, sources.LabelGPU} {
		if v := sources.LabelValue(e.Labels, k); v != "" {
			text += " " + k + "=" + v
		}
	}
	return e.Severity.String() + " " + sources.OneLine(sources.Sanitize(text)) + " since " + e.At.UTC().Format("15:04:05")
}
