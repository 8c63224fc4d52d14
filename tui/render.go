package tui

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/vigil-dev/vigil/sources/selfstat"
	"github.com/vigil-dev/vigil/tui/health"
	"github.com/vigil-dev/vigil/tui/keys"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/status"
	"github.com/vigil-dev/vigil/tui/styles"
)

// noter is implemented by panes with a note for the top-right of their border.
type noter interface{ Note() string }

// View implements tea.Model. It only assembles strings the panes prepared
// (and tells the frame pacer, when the console runs in a program made by
// NewProgram, that a frame is due).
func (m Model) View() string {
	v := m.view()
	m.s.pacer.frame(v)
	return v
}

func (m Model) view() string {
	s := m.s
	if s.quitting {
		return ""
	}
	if !s.sized {
		return "vigil: starting…"
	}
	if s.w <= 0 || s.h <= 0 {
		return ""
	}
	if s.plan.Mode == layout.TooSmall {
		return tooSmall(s.w, s.h)
	}
	rows := make([]string, 0, s.h)
	rows = append(rows, s.content()...)
	if r := s.plan.Alerts; !r.Empty() {
		rows = append(rows, s.alertStrip(r.W))
	}
	if r := s.plan.Timeline; !r.Empty() {
		rows = append(rows, strings.Split(styles.Block(s.o.Timeline.View(), r.W, r.H), "\n")...)
	}
	if r := s.plan.Prompt; !r.Empty() {
		if s.palette.Active() {
			rows = append(rows, s.palette.View(r.W))
		} else {
			rows = append(rows, s.filter.View(r.W))
		}
	}
	if r := s.plan.Status; !r.Empty() {
		// A notice (BEL, OSC 9/777) takes no cells: it rides on the status
		// line for the frames it is due in.
		rows = append(rows, s.notice+s.statusLine)
	}
	return strings.Join(rows, "\n")
}

// tooSmall is the notice shown below the minimum size, cut to fit.
func tooSmall(w, h int) string {
	lines := []string{
		"terminal too small",
		"need " + strconv.Itoa(layout.MinW) + "×" + strconv.Itoa(layout.MinH),
		"have " + strconv.Itoa(w) + "×" + strconv.Itoa(h),
	}
	if w >= 34 {
		lines = []string{"terminal too small: need " + strconv.Itoa(layout.MinW) + "×" + strconv.Itoa(layout.MinH), "(now " + strconv.Itoa(w) + "×" + strconv.Itoa(h) + ")"}
	}
	top := max(0, (h-len(lines))/2)
	out := make([]string, h)
	for i := range out {
		j := i - top
		if j >= 0 && j < len(lines) {
			l := styles.Trunc(lines[j], w)
			pad := max(0, (w-styles.Width(l))/2)
			out[i] = styles.Fit(styles.Pad(pad)+styles.PWarn.Paint(l), w)
		} else {
			out[i] = styles.Pad(w)
		}
	}
	return strings.Join(out, "\n")
}

// content draws the panes (or the help) into the content rectangle.
func (s *state) content() []string {
	c := s.plan.Content
	if c.Empty() {
		return nil
	}
	if s.help.Active() {
		return s.centred(s.help.View(), c)
	}
	if s.sourcesOpen {
		self := selfstat.Summary(s.env.Store, s.env.Now)
		if s.env.Store != nil {
			self = strings.TrimPrefix(self+"\n"+selfstat.StoreLine(s.env.Store), "\n")
		}
		box := health.View(s.env.Overview.Sources, self, c.W, c.H)
		return s.centred(box, c)
	}
	sc := s.screen()
	lines := make([]string, c.H)
	type placed struct {
		r     layout.Rect
		lines []string
	}
	var ps []placed
	for i, p := range sc.panes {
		r := s.plan.Panes[i]
		if r.Empty() {
			continue
		}
		note := ""
		if n, ok := p.(noter); ok {
			note = n.Note()
		}
		title := p.Title()
		if s.scope != "" && sc.num != ScreenFleet {
			title += " @ " + s.scope // the host every pane is scoped to
		}
		if len(sc.panes) > 1 && sc.max {
			title += " (maximised)"
		}
		ps = append(ps, placed{r, s.boxed(p, title, note, r, i == sc.focus)})
	}
	for y := 0; y < c.H; y++ {
		var b strings.Builder
		x := 0
		for _, p := range ps { // placed in reading order: left to right within a row
			if y < p.r.Y || y >= p.r.Y+p.r.H {
				continue
			}
			if p.r.X > x {
				b.WriteString(styles.Pad(p.r.X - x))
			}
			if l := y - p.r.Y; l < len(p.lines) {
				b.WriteString(p.lines[l])
			}
			x = p.r.X + p.r.W
		}
		if x < c.W {
			b.WriteString(styles.Pad(c.W - x))
		}
		lines[y] = b.String()
	}
	if r := s.plan.List; !r.Empty() {
		lines[r.Y] = s.paneList(r.W)
	}
	return lines
}

// boxKey is what a pane's boxed lines depend on.
type boxKey struct {
	view, title, note string
	w, h              int
	focused           bool
}

type boxEntry struct {
	key   boxKey
	lines []string
}

// boxed returns the pane's view in its border, split into lines, reusing the
// last result while nothing it depends on changed (string comparison of an
// unchanged view is a pointer check).
func (s *state) boxed(p pane.Pane, title, note string, r layout.Rect, focused bool) []string {
	k := boxKey{p.View(), title, note, r.W, r.H, focused}
	if e, ok := s.boxes[p]; ok && e.key == k {
		return e.lines
	}
	lines := strings.Split(styles.Box(title, note, k.view, r.W, r.H, focused), "\n")
	s.boxes[p] = boxEntry{k, lines}
	return lines
}

// paneList is the Single-mode list of the screen's panes under the one
// shown, each entry where the layout placed it.
func (s *state) paneList(w int) string {
	sc := s.screen()
	var b strings.Builder
	x := 0
	for i, p := range sc.panes {
		if i >= len(s.plan.ListItems) || s.plan.ListItems[i].Empty() {
			break
		}
		r := s.plan.ListItems[i]
		b.WriteString(styles.Pad(r.X - x))
		if i == sc.focus {
			b.WriteString(styles.PFocus.Paint("▸" + p.Title()))
		} else {
			b.WriteString(styles.PDim.Paint(" " + p.Title()))
		}
		x = r.X + r.W
	}
	return styles.Fit(b.String()+styles.PDim.Paint("   tab next"), w)
}

// centred places a box in the middle of the content rectangle.
func (s *state) centred(box string, c layout.Rect) []string {
	return strings.Split(styles.Block(indent(box, (c.W-styles.Width(box))/2), c.W, c.H), "\n")
}

func indent(s string, n int) string {
	if n <= 0 {
		return s
	}
	pad := styles.Pad(n)
	return pad + strings.ReplaceAll(s, "\n", "\n"+pad)
}

// hint is the action's binding with a short description.
func (s *state) hint(action, desc string) key.Binding {
	b := s.keys.Binding(action)
	if !b.Enabled() {
		return b
	}
	label := keys.Label(b.Keys()[:1])
	if action == keys.CursorLeft {
		if r := s.keys.Binding(keys.CursorRight); r.Enabled() {
			label += "/" + keys.Label(r.Keys()[:1])
		}
	}
	return key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(label, desc))
}

// shortHints are the global keys the status bar shows after the pane's, with
// short descriptions (the help has the long ones). Help comes first of all
// but the time controls: the bar keeps whole hints from the left, and ?
// leads to the rest.
var shortHints = []struct{ action, desc string }{
	{keys.Palette, "cmd"}, {keys.Filter, "filter"}, {keys.Maximise, "max"},
	{keys.Pause, "pause"}, {keys.Cursor, "cursor"}, {keys.Quit, "quit"},
}

// statusBar builds the status line from the shown instant, the sources'
// health and the focused pane's keys.
func (s *state) statusBar(w int) string {
	p := s.screen().focused()
	var hints []key.Binding
	// The time controls in force come first: they change what other keys do.
	if !s.t.Cursor.IsZero() {
		hints = append(hints, s.hint(keys.CursorLeft, "cursor"), s.hint(keys.Open, "around this moment"), s.hint(keys.Cursor, "cursor off"))
	}
	if s.t.Paused {
		hints = append(hints, s.hint(keys.Pause, "resume"), s.hint(keys.PanForward, "forward"))
	}
	if b := s.keys.Binding(keys.Help); b.Enabled() {
		hints = append(hints, key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(keys.Label(b.Keys()[:1]), "help")))
	}
	if p != nil {
		hints = append(hints, p.Keys()...)
	}
	for _, a := range shortHints {
		b := s.keys.Binding(a.action)
		if b.Enabled() {
			hints = append(hints, key.NewBinding(key.WithKeys(b.Keys()...), key.WithHelp(keys.Label(b.Keys()[:1]), a.desc)))
		}
	}
	var flags []string
	if s.o.LowBandwidth {
		flags = append(flags, "LOW-BW")
	}
	switch sc := s.screen(); {
	case sc.num == ScreenFleet:
		if b := s.keys.Binding(keys.ScreenFleet); b.Enabled() {
			flags = append(flags, keys.Label(b.Keys()[:1])+":"+sc.name)
		} else {
			flags = append(flags, sc.name)
		}
	case sc.num != ScreenOverview:
		flags = append(flags, strconv.Itoa(sc.num)+":"+sc.name)
	}
	return status.Render(w, status.Bar{
		Mode:    s.mode(),
		At:      s.t.Shown(),
		Zoom:    s.t.Zoom,
		Cursor:  s.t.Cursor,
		Sources: s.env.Overview.Sources,
		Hints:   hints,
		Message: s.msg,
		Error:   s.msgErr,
		Flags:   flags,
		Scope:   s.scope,
	})
}

var _ pane.Pane = (*notice)(nil)
