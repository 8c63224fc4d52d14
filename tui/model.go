// Package tui is vigil's console: a root Bubble Tea model that routes keys,
// messages and sizes to the panes (one package each), owns the one time every
// pane shares (live, paused or replay instant, zoom window, cursor), and lays
// the screens out with tui/layout. Heavy work happens in Update on refresh;
// View only assembles prepared strings.
//
// Files: model.go (state, Update's routing, refresh), route.go (messages
// addressed to the pane that asked), input.go (keys and mouse), commands.go
// (the palette's command table), screens.go (screens, what each shows,
// sizes), render.go (View and the status line), alertstrip.go. The shared
// time is tui/timectl; the help overlay tui/help; the sources overlay
// tui/health.
package tui

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/help"
	"github.com/vigil-dev/vigil/tui/keys"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/palette"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/timectl"
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

	t           timectl.State
	started     bool // a first clock reading arrived
	dirty       bool // data arrived since the last refresh
	lastRefresh time.Time
	kinds       uint64    // the store's Kinds at the last refresh
	fitFrom     time.Time // the oldest sample held when the window began to follow the data (FitWindow)
	env         pane.Env
	envGen      uint64
	overview    view.Overview // the last evaluation, at evalAt with store generation evalGen
	hosts       []view.Host   // hosts at evalAt
	evalAt      time.Time
	evalGen     uint64
	// evalUntil is when the figures evaluated last can change without new
	// data (view.Until; zero: never); until then a later instant ages
	// them (view.Advance). figures counts the evaluations (pane.Env).
	evalUntil  time.Time
	figures    uint64
	seen       map[pane.Pane]uint64 // envGen each pane was last refreshed with
	boxes      map[pane.Pane]boxEntry
	sizes      map[pane.Pane][2]int // the size each pane was last given
	statusLine string               // prepared in Update
	alerts     []alerts.Alert       // the firing alerts at the shown instant

	screens []*screen
	cur     int                // index into screens
	named   named              // the panes screens are composed of
	present map[pane.Pane]bool // panes that have had data (compose)

	panes []pane.Pane       // every pane, by id (route.go)
	ids   map[pane.Pane]int // each pane's id

	lastKey     tea.KeyMsg // the key being routed (for pane-first actions)
	help        help.Model
	sourcesOpen bool      // the sources overlay (S, :sources)
	notice      string    // terminal notification bytes for the next frame
	noticeAt    time.Time // when it arrived
	palette     palette.Model
	filter      palette.Model

	// Host scope (scope.go): every pane shows only this host ("" all).
	scope     string
	hostCount int  // machines watched, at the last evaluation
	touched   bool // a key was pressed (the fleet screen opens by itself only before)
	fleetOpen bool // it did

	fl fleetState // history and detail asked of a query engine (fleethook.go)

	msg      string
	msgErr   bool
	msgUntil time.Time // by the wall clock
	wall     time.Time // the newest wall clock reading
	quitting bool
	pacer    *pacer // set by NewProgram
}

// Messages.
type (
	// tickMsg carries the clock's time and the wall clock's, read inside
	// the command (the clock is the player's in replay: it stands still
	// while paused, and status messages expire by the wall clock).
	tickMsg struct{ at, wall time.Time }
	// dataMsg says the hub ingested frames.
	dataMsg struct{ at, wall time.Time }
)

// New returns the console's root model.
func New(o Options) Model {
	o = o.withDefaults()
	s := &state{o: o, seen: map[pane.Pane]uint64{}, boxes: map[pane.Pane]boxEntry{}, sizes: map[pane.Pane][2]int{},
		ids: map[pane.Pane]int{}, help: help.New()}
	km, err := keys.New(o.Keys)
	s.keys = km
	if err != nil {
		s.msg, s.msgErr = err.Error(), true
	}
	s.t.Zoom = o.Zoom
	s.t.Follow = o.FitWindow
	if o.Store != nil {
		s.t.Retention = o.Store.Options().Retention
		if s.t.Zoom > s.t.Retention {
			s.t.Zoom = s.t.Retention
		}
	}
	if from, to := s.recordingSpan(); !from.IsZero() && to.After(from) {
		s.t.Zoom = s.t.Fitted(to.Sub(from))
	}
	s.screens, s.named = buildScreens(o)
	s.present = map[pane.Pane]bool{}
	s.register(o.Timeline)
	for _, sc := range s.screens {
		for _, p := range sc.panes {
			s.register(p)
		}
	}
	s.register(s.named.hosts)
	s.register(s.named.logs)
	s.palette = palette.New(":", s.completeCommand)
	s.filter = palette.New("/", nil)
	s.focusChanged(nil)
	return Model{s: s}
}

// refreshLag is how long after the process's beat (sources.Beat) the
// console refreshes: the sources polled on the beat (a scrape, the GPUs,
// the log tail) have handed in their frames by then, so the refresh shows
// this beat's data, and the console wakes once a second beside the beat's
// wake-up instead of at a phase of its own.
const refreshLag = 100 * time.Millisecond

// tick schedules the next refresh, every d at refreshLag after the beat,
// reading the clock when it fires.
func tick(d time.Duration, clock sources.Clock) tea.Cmd {
	wait := sources.UntilBeat(time.Now().Add(-refreshLag), d)
	return tea.Tick(wait, func(wall time.Time) tea.Msg { return tickMsg{at: clock.Now(), wall: wall} })
}

// readClock delivers the clock's time at once.
func readClock(clock sources.Clock) tea.Cmd {
	return func() tea.Msg { return tickMsg{at: clock.Now(), wall: time.Now()} }
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

// waitForUpdate blocks until the hub has ingested frames of a kind the
// store did not hold at kinds (the store's Kinds): more of the same waits
// for the refresh tick, without waking the console.
func waitForUpdate(ch <-chan struct{}, clock sources.Clock, st *sources.Store, kinds uint64) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		for {
			if _, ok := <-ch; !ok {
				return nil
			}
			if st == nil || st.Kinds() != kinds {
				return dataMsg{at: clock.Now(), wall: time.Now()}
			}
		}
	}
}

// Init implements tea.Model.
func (m Model) Init() tea.Cmd {
	s := m.s
	cmds := []tea.Cmd{readClock(s.o.Clock)}
	if s.o.Hub != nil {
		cmds = append(cmds, waitForUpdate(s.o.Hub.Updates(), s.o.Clock, s.o.Store, s.kinds))
	}
	cmds = append(cmds, waitForNotice(s.o.Notices, s.o.Clock))
	if s.o.Timeline != nil {
		if i, ok := s.o.Timeline.(interface{ Init() tea.Cmd }); ok {
			cmds = append(cmds, s.owned(s.o.Timeline, i.Init()))
		}
	}
	return tea.Batch(cmds...)
}

// Update implements tea.Model. It routes: sizes and time to the root, keys
// and the mouse through input.go, a pane's own results to that pane.
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
		s.observe(msg.at, msg.wall)
		// While paused the shown instant is fixed: nothing to recompute.
		if !s.t.Paused || first {
			s.refresh()
		}
		cmd = tick(s.o.Refresh, s.o.Clock)
	case dataMsg:
		s.observe(msg.at, msg.wall)
		s.dirty = true
		// At most one refresh per Refresh interval, except when data of a
		// new kind arrived (the first frames of each source at start, a
		// source that comes up later): that draws at once, so the first
		// populated frame does not wait for the tick. waitForUpdate lets
		// only those through: more of the same does not wake the console.
		if s.started && !s.t.Paused && (msg.at.Sub(s.lastRefresh) >= s.o.Refresh || s.newKind()) {
			s.refresh()
		}
		if s.o.Hub != nil {
			// Wait for a kind the screen does not show yet; while paused,
			// for one the store did not hold now (the tick draws it).
			kinds := s.kinds
			if s.t.Paused && s.o.Store != nil {
				kinds = s.o.Store.Kinds()
			}
			cmd = waitForUpdate(s.o.Hub.Updates(), s.o.Clock, s.o.Store, kinds)
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
		s.t.SetCursor(msg.At)
		s.refresh()
	case pane.StatusMsg:
		s.setMessage(msg.Text, msg.Error)
	case pane.ScopeMsg:
		cmd = s.scopeTo(msg)
	case paneMsg:
		cmd = s.deliver(msg)
	case historyMsg:
		s.fitFrom = time.Time{} // the data held reaches further back now
		s.refresh()
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

// observe takes a clock reading and the wall clock's. The clock may go
// back (a replay seek), so the newest reading always wins. A status
// message lasts MessageTTL of wall time, whatever the clock does.
func (s *state) observe(at, wall time.Time) {
	s.t.Now = at
	s.started = true
	if wall.IsZero() {
		wall = at
	}
	s.wall = wall
	if s.msg != "" && !s.msgUntil.IsZero() && !s.wall.Before(s.msgUntil) {
		s.msg, s.msgErr, s.msgUntil = "", false, time.Time{}
	}
	if s.msg != "" && s.msgUntil.IsZero() {
		s.msgUntil = s.wall.Add(MessageTTL)
	}
}

func (s *state) setMessage(text string, isErr bool) {
	s.msg, s.msgErr = sources.OneLine(sources.Sanitize(text)), isErr
	s.msgUntil = time.Time{}
	if s.started {
		s.msgUntil = s.wall.Add(MessageTTL)
	}
}

// recordingSpan is the replayed recording's span, when the timeline says.
func (s *state) recordingSpan() (from, to time.Time) {
	if sp, ok := s.o.Timeline.(interface{ Span() (time.Time, time.Time) }); ok {
		return sp.Span()
	}
	return time.Time{}, time.Time{}
}

// dataSpan is the span of the data the console holds: the recording's in
// replay, else the store's oldest to newest sample.
func (s *state) dataSpan() (from, to time.Time) {
	if from, to = s.recordingSpan(); !from.IsZero() {
		return from, to
	}
	if s.o.Store == nil {
		return time.Time{}, time.Time{}
	}
	return s.o.Store.Oldest(), s.o.Store.Newest()
}

// newKind reports whether the store holds a kind of data it did not hold
// at the last refresh (sources.Store.Kinds).
func (s *state) newKind() bool {
	return s.o.Store != nil && s.o.Store.Kinds() != s.kinds
}

// mode is LIVE, PAUSED or REPLAY.
func (s *state) mode() string {
	switch {
	case s.t.Paused:
		return "PAUSED"
	case s.o.Timeline != nil:
		return "REPLAY"
	}
	return "LIVE"
}

// refresh evaluates every figure once, at the instant the screen claims
// (the cursor when on, else the shown instant: live now, the paused
// instant or the replay position), and hands it to the visible panes
// (others catch up when they become visible). The sources' health is
// theirs at the shown instant: the store keeps no history of it.
func (s *state) refresh() {
	if s.o.Store == nil || !s.started {
		return
	}
	end := s.t.Shown()
	s.t.ClampCursor()
	at := pane.Instant(end, s.t.Cursor)
	// The figures depend only on the instant and the data: a zoom, or a
	// pause at the instant the cursor marks, reuses them.
	gen := s.o.Store.Generation()
	if s.t.Follow {
		// The window is the data held until that reaches the window
		// asked for (or the user zooms).
		if s.fitFrom.IsZero() {
			s.fitFrom = s.o.Store.Oldest()
		}
		if !s.fitFrom.IsZero() {
			s.t.Zoom = min(s.t.Fitted(s.o.Store.Newest().Sub(s.fitFrom)), s.o.Zoom)
			s.t.Follow = s.t.Zoom < s.o.Zoom
		}
	}
	switch {
	case s.evalAt.Equal(at) && s.evalGen == gen && s.envGen != 0:
	case s.evalGen == gen && s.envGen != 0 && at.After(s.evalAt) && (s.evalUntil.IsZero() || at.Before(s.evalUntil)):
		// A live tick between polls: the same figures, older.
		view.Advance(s.o.Store, &s.overview, s.hosts, at)
		s.evalAt = at
	default:
		s.overview = view.Evaluate(s.o.Store, at, s.o.View)
		s.hosts = view.Hosts(s.o.Store, at, s.o.View)
		s.evalAt, s.evalGen = at, gen
		s.evalUntil = view.Until(s.o.Store, at, s.o.View)
		s.figures++
		s.hostCount = s.machines()
	}
	ov, hosts := s.overview, s.hosts
	if !at.Equal(end) {
		ov.Sources = view.Health(s.o.Store, end)
	}
	if s.scope != "" {
		ov, hosts = narrow(ov, hosts, s.scope)
	}
	s.env = pane.Env{
		Store:    s.o.Store,
		Now:      end,
		At:       at,
		Zoom:     s.t.Zoom,
		Cursor:   s.t.Cursor,
		Mode:     s.mode(),
		Overview: ov,
		Hosts:    hosts,
		Options:  s.o.View,
		Scope:    s.scope,
		Figures:  s.figures,
	}
	s.envGen++
	s.kinds = s.o.Store.Kinds()
	s.compose()
	if s.multiHost() && !s.fleetOpen && !s.touched && s.screen().num == ScreenOverview && s.scope == "" {
		// More than one host: the console opens on the fleet.
		s.fleetOpen = true
		s.switchTo(ScreenFleet)
	}
	s.dirty = false
	s.lastRefresh = s.t.Now
	s.alerts = firingAlerts(s.o.Store, at)
	if s.o.Timeline != nil {
		s.o.Timeline.Refresh(s.env)
		s.seen[s.o.Timeline] = s.envGen
	}
}
