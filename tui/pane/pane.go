// Package pane is the contract between the console's root model and the pane
// packages (latency, gpu, errors, drift, logs, traces, alerts, ...). The root
// owns the clock, the shared window and cursor, focus and layout; a pane owns
// its content and its keys.
package pane

import (
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// Env is what every pane reads when it refreshes. It is built by the root in
// Update; panes never read the clock themselves.
//
// Two instants: Now ends the shared window (charts span From()..Now), and
// At is the instant every figure is evaluated at — the cursor when it is
// on, else Now. A pane's headers, legends and rows read Overview and Hosts
// (evaluated at At) and never a figure of their own at Now, so that every
// pane shows the same instant, the one `--once --at` would print; where
// nothing was known at At, n/a.
type Env struct {
	Store    *sources.Store
	Now      time.Time     // the end of the shared window: live now, the paused instant, or replay time
	At       time.Time     // the instant figures are evaluated at: Cursor when on, else Now
	Zoom     time.Duration // the shared time window (zoom)
	Cursor   time.Time     // the shared time cursor; zero when off
	Mode     string        // "LIVE", "PAUSED" or "REPLAY"
	Overview view.Overview // services and GPUs at At, source health at Now (shared so panes do not repeat it)
	Hosts    []view.Host   // hosts at At
	Options  view.Options
	// Scope is the host the console is scoped to ("" for every host): the
	// root has already narrowed Overview and Hosts to it; a pane that
	// reads the store itself leaves out every other host.
	Scope string
	// Figures changes whenever Overview and Hosts were evaluated afresh;
	// between two changes a live tick only aged them (view.Advance), so a
	// pane may age what it derived from them too.
	Figures uint64
}

// InScope reports whether host is shown under the env's scope.
func (e Env) InScope(host string) bool { return e.Scope == "" || host == e.Scope }

// From is the start of the shared window.
func (e Env) From() time.Time { return e.Now.Add(-e.Zoom) }

// Live reports whether At is the present: the console is live and the
// cursor is off. Only then may a pane show what no recording keeps and no
// store dates (a GPU's processes, a collector's field ages).
func (e Env) Live() bool { return e.Mode == "LIVE" && e.Cursor.IsZero() }

// EvalAt is At, or where a caller left it unset, the cursor or Now.
func (e Env) EvalAt() time.Time {
	if !e.At.IsZero() {
		return e.At
	}
	return Instant(e.Now, e.Cursor)
}

// Instant is the evaluation instant for cursor c (zero: off) in a window
// ending at now.
func Instant(now, c time.Time) time.Time {
	if c.IsZero() {
		return now
	}
	return c
}

// NewEnv evaluates an Env as the root does: figures at the cursor when on,
// else at now; source health at now. The root caches; tests and tools call
// this.
func NewEnv(st *sources.Store, now time.Time, window time.Duration, cursor time.Time, mode string, o view.Options) Env {
	at := Instant(now, cursor)
	ov := view.Evaluate(st, at, o)
	ov.Sources = view.Health(st, now)
	return Env{Store: st, Now: now, At: at, Zoom: window, Cursor: cursor, Mode: mode, Overview: ov,
		Hosts: view.Hosts(st, at, o), Options: o}
}

// Pane is one rectangle of the console.
type Pane interface {
	// Title is shown in the pane's border.
	Title() string
	// SetSize gives the pane its inner size (borders excluded). It may be 0x0.
	SetSize(width, height int)
	// Refresh recomputes the pane's content from env. It is called in Update
	// when data arrives or time moves, never from View; View returns what
	// Refresh prepared.
	Refresh(env Env)
	// HandleKey offers a key press to the focused pane. It reports whether
	// the pane used it; unused keys go on to the global bindings.
	HandleKey(msg tea.KeyMsg) (used bool, cmd tea.Cmd)
	// View renders the pane's inner area at its size.
	View() string
	// Keys lists the pane's bindings for the status bar and help.
	Keys() []key.Binding
}

// Focuser is implemented by panes that show focus (a selection highlight).
type Focuser interface {
	Focus()
	Blur()
}

// Capturer is implemented by panes that have a text input open: while
// Capturing is true, every key goes to the pane first, global keys included.
type Capturer interface {
	Capturing() bool
}

// Filterer is implemented by panes that take the global `/` filter.
// An empty expression clears it; n/N move between matches.
type Filterer interface {
	SetFilter(expr string) error
	Filter() string
	NextMatch(back bool)
}

// Escaper is implemented by panes with a drill-down: Esc steps back one level
// and reports whether there was a level to leave.
type Escaper interface {
	Escape() bool
}

// Receiver is implemented by panes that own asynchronous results (a trace
// fetched, a pretty-printed line). The root addresses the message of every
// command a pane returns (from HandleKey, Jump, Receive or Init) back to that
// pane, and delivers it to its Receive alone, focused or not; StatusMsg,
// JumpMsg, CursorMsg and ScopeMsg go to the root instead.
type Receiver interface {
	Receive(msg tea.Msg) tea.Cmd
}

// Target names where a jump goes.
type Target string

// Jump targets (KEYS.md: L / X / M, Enter on an alert, "around this moment").
const (
	TargetLogs    Target = "logs"
	TargetTraces  Target = "traces"
	TargetMetrics Target = "metrics"
	TargetGPU     Target = "gpu"
	TargetDrift   Target = "drift"
	TargetAlerts  Target = "alerts"
	TargetHost    Target = "host"
)

// JumpMsg asks the root to show Target narrowed to what the user selected.
// A pane returns it from a command; the root switches screen and hands it to
// the target pane's Jump.
type JumpMsg struct {
	Target  Target
	Service string
	Host    string
	GPU     string
	TraceID string
	SpanID  string
	Feature string
	From    time.Time // the window of interest; zero for "now"
	To      time.Time
}

// Jumper is implemented by panes that can be jumped into.
type Jumper interface {
	Jump(msg JumpMsg) tea.Cmd
}

// CursorMsg asks the root to put the shared time cursor at At (Enter on an
// alert jumps the cursor to where it began).
type CursorMsg struct {
	At time.Time
}

// ScopeMsg asks the root to scope the console to one host (the fleet
// screen's Enter): every pane then shows only that host, the status bar
// and the pane titles name it, and Esc (or :host with no argument) returns
// to the fleet. Host "" leaves the scope. Then, when its Target is set, is
// a jump made once scoped (a GPU's detail, a service's).
type ScopeMsg struct {
	Host string
	Then JumpMsg
}

// StatusMsg shows a short message in the status bar for a few seconds.
type StatusMsg struct {
	Text  string
	Error bool
}
