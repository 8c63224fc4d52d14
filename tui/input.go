package tui

import (
	"encoding/base64"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/keys"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/palette"
	"github.com/vigil-dev/vigil/tui/pane"
)

// selector is implemented by panes that can say what is selected, for the
// L / X / M jumps.
type selector interface {
	Selection() (pane.JumpMsg, bool)
}

// handleKey routes a key: prompts and capturing panes first, then the replay
// timeline, the cursor, the global bindings, and last the focused pane.
func (s *state) handleKey(msg tea.KeyMsg) tea.Cmd {
	if s.keys.Is(msg, keys.ForceQuit) {
		s.quitting = true
		return nil
	}
	if s.palette.Active() {
		if r, cmd := s.palette.Update(msg); r == palette.Submitted {
			return tea.Batch(cmd, s.runCommand(s.palette.Value()))
		} else {
			return cmd
		}
	}
	if s.filter.Active() {
		r, cmd := s.filter.Update(msg)
		if r == palette.Submitted {
			s.applyFilter(s.filter.Value())
		}
		return cmd
	}
	focused := s.screen().focused()
	if c, ok := focused.(pane.Capturer); ok && c.Capturing() {
		if used, cmd := focused.HandleKey(msg); used {
			return s.owned(focused, cmd)
		}
	}
	action := s.keys.Action(msg)
	s.lastKey = msg
	s.touched = true
	if s.help.Active() {
		s.help.Update(msg, s.keys)
		return nil
	}
	if s.sourcesOpen {
		if action == keys.Sources || action == keys.Back || action == keys.Quit {
			s.sourcesOpen = false
		}
		return nil
	}
	// n/N belong to the timeline (alerts and markers) in replay, except
	// while the focused pane has a filter: then they move between matches.
	filtering := false
	if f, ok := focused.(pane.Filterer); ok && f.Filter() != "" {
		filtering = action == keys.NextMatch || action == keys.PrevMatch
	}
	if s.o.Timeline != nil && !filtering {
		if used, cmd := s.o.Timeline.HandleKey(msg); used {
			return s.owned(s.o.Timeline, cmd)
		}
	}
	if !s.t.Cursor.IsZero() {
		switch action {
		case keys.CursorLeft:
			s.t.MoveCursor(-1)
			s.refresh()
			return nil
		case keys.CursorRight:
			s.t.MoveCursor(1)
			s.refresh()
			return nil
		case keys.Open:
			from, to := s.t.Around()
			return jumpCmd(pane.JumpMsg{Target: pane.TargetLogs, From: from, To: to})
		}
	}
	if cmd, done := s.global(action, focused); done {
		return cmd
	}
	if focused != nil {
		_, cmd := focused.HandleKey(msg)
		return s.owned(focused, cmd)
	}
	return nil
}

func jumpCmd(j pane.JumpMsg) tea.Cmd { return func() tea.Msg { return j } }

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// copyCmd puts text on the clipboard with OSC 52 (the terminal, or tmux with
// set-clipboard on, does the rest) and reports it.
func copyCmd(w io.Writer, text string) tea.Cmd {
	seq := "\x1b]52;c;" + base64.StdEncoding.EncodeToString([]byte(text)) + "\a"
	return func() tea.Msg {
		if _, err := io.WriteString(w, seq); err != nil {
			return pane.StatusMsg{Text: fmt.Sprintf("copy: %v", err), Error: true}
		}
		return pane.StatusMsg{Text: "copied " + sources.OneLine(text)}
	}
}

// global runs a global action; done is false when the key should go on to
// the focused pane.
func (s *state) global(action string, focused pane.Pane) (cmd tea.Cmd, done bool) {
	sc := s.screen()
	switch action {
	case "":
		return nil, false
	case keys.Help:
		s.openHelp()
	case keys.Palette:
		s.palette.Open("")
	case keys.Filter:
		f, ok := focused.(pane.Filterer)
		if !ok {
			s.setMessage(titleOf(focused)+" has no filter", false)
			return nil, true
		}
		s.filter.Open(f.Filter())
	case keys.NextMatch, keys.PrevMatch:
		f, ok := focused.(pane.Filterer)
		if !ok || f.Filter() == "" {
			return nil, false
		}
		f.NextMatch(action == keys.PrevMatch)
	case keys.Back:
		s.escape(focused)
	case keys.Quit:
		s.back(focused)
	case keys.Screen1, keys.Screen2, keys.Screen3, keys.Screen4, keys.Screen5, keys.Screen6, keys.Screen7,
		keys.Screen8, keys.Screen9, keys.Screen10:
		n := action2screen[action]
		s.switchTo(n)
	case keys.ScreenFleet:
		s.showFleet()
	case keys.NextPane, keys.PrevPane:
		if len(sc.panes) < 2 {
			return nil, false // one pane: its own areas, if it has any
		}
		d := 1
		if action == keys.PrevPane {
			d = -1
		}
		s.setFocus(sc.focus + d)
	case keys.FocusLeft, keys.FocusRight, keys.FocusUp, keys.FocusDown:
		d := focusDirs[action]
		dx, dy := d[0], d[1]
		if s.plan.Mode == layout.Single || sc.max {
			s.setFocus(sc.focus + dx + dy)
		} else {
			s.setFocus(layout.Neighbour(s.plan.Panes, sc.focus, dx, dy))
		}
	case keys.Maximise:
		if len(sc.panes) > 1 {
			sc.max = !sc.max
		}
	case keys.Pause:
		if s.t.Paused {
			s.t.Resume()
			s.setMessage("live", false)
		} else {
			s.t.Pause()
			s.setMessage("paused at "+s.t.At.UTC().Format("15:04:05"), false)
		}
		s.refresh()
	case keys.ZoomIn, keys.ZoomOut:
		dir := -1
		if action == keys.ZoomOut {
			dir = 1
		}
		if !s.t.ZoomStep(dir) {
			s.setMessage("window "+windowText(s.t.Zoom)+" is the limit", false)
		}
		s.refresh()
	case keys.PanBack, keys.PanForward:
		dir := -1
		if action == keys.PanForward {
			dir = 1
		}
		if note := s.t.Pan(dir); note != "" {
			s.setMessage(note, false)
		}
		s.refresh()
	case keys.Cursor:
		s.t.ToggleCursor()
		s.refresh()
	case keys.Refresh:
		if s.o.Hub == nil {
			s.setMessage("no hub to poll", false)
			return nil, true
		}
		hub := s.o.Hub
		s.setMessage("polling every source", false)
		return func() tea.Msg { hub.PollNow(); return nil }, true
	case keys.Marker:
		s.palette.Open("mark ")
	case keys.Sources:
		s.sourcesOpen = true
	case keys.Snapshot:
		if s.o.Snapshot == nil {
			s.setMessage("snapshots need a recorder (vigil --record FILE)", false)
			return nil, true
		}
		s.setMessage("saving a snapshot…", false)
		return s.o.Snapshot(s.t.Shown(), s.t.Zoom), true
	case keys.Copy:
		if used, cmd := focused.HandleKey(s.lastKey); used {
			return s.owned(focused, cmd), true
		}
		sel, ok := focused.(selector)
		if !ok {
			return nil, false
		}
		j, ok := sel.Selection()
		text := firstOf(j.TraceID, j.SpanID, j.Feature, j.GPU, j.Service)
		if !ok || text == "" {
			s.setMessage("nothing selected to copy", false)
			return nil, true
		}
		return copyCmd(s.o.Clipboard, text), true
	case keys.JumpLogs, keys.JumpTraces, keys.JumpMetrics:
		// A pane with its own meaning for the key (logs: X = this line's
		// trace) gets it first.
		if used, cmd := focused.HandleKey(s.lastKey); used {
			return s.owned(focused, cmd), true
		}
		sel, ok := focused.(selector)
		if !ok {
			return nil, false
		}
		j, ok := sel.Selection()
		if !ok {
			s.setMessage("nothing selected", false)
			return nil, true
		}
		j.Target = map[string]pane.Target{keys.JumpLogs: pane.TargetLogs, keys.JumpTraces: pane.TargetTraces, keys.JumpMetrics: pane.TargetMetrics}[action]
		if j.From.IsZero() {
			if !s.t.Cursor.IsZero() {
				j.From, j.To = s.t.Around()
			} else {
				j.From, j.To = s.t.Shown().Add(-s.t.Zoom), s.t.Shown()
			}
		}
		return jumpCmd(j), true
	default:
		// Cursor keys and Enter with the cursor off belong to the pane.
		return nil, false
	}
	return nil, true
}

var focusDirs = map[string][2]int{keys.FocusLeft: {-1, 0}, keys.FocusRight: {1, 0}, keys.FocusUp: {0, -1}, keys.FocusDown: {0, 1}}

var action2screen = map[string]int{
	keys.Screen1: ScreenOverview, keys.Screen2: ScreenGPUs, keys.Screen3: ScreenLatency, keys.Screen4: ScreenErrors,
	keys.Screen5: ScreenDrift, keys.Screen6: ScreenLogs, keys.Screen7: ScreenTraces,
	keys.Screen8: 8, keys.Screen9: 9, keys.Screen10: 10,
}

func titleOf(p pane.Pane) string {
	if p == nil {
		return "this screen"
	}
	return p.Title()
}

// escape steps back one rung: overlay → filter → drill-down → maximise → cursor.
func (s *state) escape(focused pane.Pane) {
	if f, ok := focused.(pane.Filterer); ok && f.Filter() != "" {
		_ = f.SetFilter("")
		s.setMessage("filter cleared", false)
		return
	}
	if e, ok := focused.(pane.Escaper); ok && e.Escape() {
		return
	}
	if sc := s.screen(); sc.max {
		sc.max = false
		return
	}
	if !s.t.Cursor.IsZero() {
		s.t.Cursor = time.Time{}
		s.refresh()
		return
	}
	if s.scope != "" {
		s.showFleet()
	}
}

// back is q: leave a drill-down, restore a maximised pane, return to the
// overview (a scoped console's), leave a host's scope for the fleet, and
// quit from the top (the fleet where more than one host is watched, else
// the overview).
func (s *state) back(focused pane.Pane) {
	if e, ok := focused.(pane.Escaper); ok && e.Escape() {
		return
	}
	sc := s.screen()
	if sc.max {
		sc.max = false
		return
	}
	if s.scope != "" {
		if sc.num != ScreenOverview {
			s.switchTo(ScreenOverview)
		} else {
			s.showFleet()
		}
		return
	}
	if home := s.home(); sc.num != home {
		s.switchTo(home)
		return
	}
	s.quitting = true
}

func (s *state) applyFilter(expr string) {
	f, ok := s.screen().focused().(pane.Filterer)
	if !ok {
		return
	}
	if err := f.SetFilter(expr); err != nil {
		s.setMessage(err.Error(), true)
		return
	}
	if expr == "" {
		s.setMessage("filter cleared", false)
	}
}

// openHelp shows the help for the focused pane (and the replay strip).
func (s *state) openHelp() {
	s.sourcesOpen = false
	s.help.Open()
	s.helpContent()
}

// helpContent gives the help the focused pane's keys and the global map.
func (s *state) helpContent() {
	p := s.screen().focused()
	title := "Pane"
	var pk []key.Binding
	if p != nil {
		pk, title = p.Keys(), p.Title()
	}
	if s.o.Timeline != nil {
		pk = append(pk, s.o.Timeline.Keys()...)
	}
	s.help.SetContent(title, pk, s.keys.Entries())
}

// handleMouse focuses the pane under a click and scrolls it with the wheel.
func (s *state) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if !s.o.Mouse || s.plan.Mode == layout.TooSmall {
		return nil
	}
	if s.help.Active() {
		s.help.Update(msg, s.keys)
		return nil
	}
	sc := s.screen()
	if s.plan.List.Contains(msg.X, msg.Y) {
		if msg.Button == tea.MouseButtonLeft && msg.Action == tea.MouseActionPress {
			for i, r := range s.plan.ListItems {
				if r.Contains(msg.X, msg.Y) {
					s.setFocus(i)
				}
			}
		}
		return nil
	}
	hit := -1
	for i, r := range s.plan.Panes {
		if r.Contains(msg.X, msg.Y) {
			hit = i
		}
	}
	if hit < 0 {
		return nil
	}
	switch msg.Button {
	case tea.MouseButtonLeft:
		if msg.Action == tea.MouseActionPress && hit != sc.focus {
			s.setFocus(hit)
		}
	case tea.MouseButtonWheelUp, tea.MouseButtonWheelDown:
		if hit != sc.focus {
			s.setFocus(hit)
		}
		k := tea.KeyMsg{Type: tea.KeyDown}
		if msg.Button == tea.MouseButtonWheelUp {
			k = tea.KeyMsg{Type: tea.KeyUp}
		}
		_, cmd := sc.focused().HandleKey(k)
		return s.owned(sc.focused(), cmd)
	}
	return nil
}

var target2screen = map[pane.Target]int{
	pane.TargetLogs: ScreenLogs, pane.TargetTraces: ScreenTraces, pane.TargetMetrics: ScreenLatency,
	pane.TargetGPU: ScreenGPUs, pane.TargetDrift: ScreenDrift, pane.TargetAlerts: ScreenOverview,
	pane.TargetHost: ScreenGPUs,
}

// jump shows the jump's target screen and hands it the jump.
func (s *state) jump(j pane.JumpMsg) tea.Cmd {
	n, ok := target2screen[j.Target]
	if !ok {
		s.setMessage(fmt.Sprintf("no screen for %q", j.Target), true)
		return nil
	}
	s.switchTo(n)
	if j.Target == pane.TargetHost {
		// The host rows share the GPU screen.
		for i, q := range s.screen().panes {
			if q == s.named.hosts {
				s.setFocus(i)
			}
		}
	}
	p := s.screen().focused()
	if _, isNotice := p.(*notice); isNotice {
		s.setMessage(strings.ToLower(p.Title())+": no source configured (see the screen for flags)", false)
		return nil
	}
	s.relayout() // the target gets its size and the newest evaluation first
	if jp, ok := p.(pane.Jumper); ok {
		return s.owned(p, jp.Jump(j))
	}
	return nil
}
