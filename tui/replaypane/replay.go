// Package replaypane is the console's timeline strip in replay mode: one or two
// lines above the status bar showing the replayed instant, play/pause and
// speed, the recording's extent with its gaps, and ticks where alerts and
// markers were. It takes the replay keys (KEYS.md, Replay) before the
// global bindings: Space, > and <, t and T, J (a jump prompt) and n / N.
package replaypane

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Controller is what the strip drives: *replay.Player implements it. Its
// methods must return at once (the player queues the work).
type Controller interface {
	State() replay.State
	Toggle()
	Faster()
	Slower()
	Step(n int)
	Seek(t time.Time)
	SeekNotable(back bool)
}

// KeyMap is the strip's bindings.
type KeyMap struct {
	PlayPause, Faster, Slower, StepFwd, StepBack, Jump, Next, Prev key.Binding
}

// DefaultKeyMap returns the bindings of KEYS.md.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		PlayPause: key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "play/pause")),
		Faster:    key.NewBinding(key.WithKeys(">"), key.WithHelp(">/<", "faster/slower")),
		Slower:    key.NewBinding(key.WithKeys("<"), key.WithHelp("<", "slower")),
		StepFwd:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t/T", "step a second")),
		StepBack:  key.NewBinding(key.WithKeys("T"), key.WithHelp("T", "step back a second")),
		Jump:      key.NewBinding(key.WithKeys("J"), key.WithHelp("J", "jump to time")),
		Next:      key.NewBinding(key.WithKeys("n"), key.WithHelp("n/N", "next/prev alert or marker")),
		Prev:      key.NewBinding(key.WithKeys("N"), key.WithHelp("N", "previous alert or marker")),
	}
}

// Model is the timeline strip. It implements pane.Pane and pane.Capturer
// (while the jump prompt is open).
type Model struct {
	ctl  Controller
	keys KeyMap
	loc  *time.Location

	w, h int
	st   replay.State
	pos  time.Time

	prompt  bool
	input   []rune
	promptE string // the last prompt error, shown until the next key
	lines   [2]string
}

// Option configures the strip.
type Option func(*Model)

// WithLocation shows times in loc (default time.Local).
func WithLocation(loc *time.Location) Option { return func(m *Model) { m.loc = loc } }

// WithKeyMap replaces the bindings.
func WithKeyMap(k KeyMap) Option { return func(m *Model) { m.keys = k } }

// New returns a strip driving ctl.
func New(ctl Controller, opts ...Option) *Model {
	m := &Model{ctl: ctl, keys: DefaultKeyMap(), loc: time.Local, h: 2}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Title implements pane.Pane.
func (m *Model) Title() string { return "Timeline" }

// Span is the recording's first and last frame times: the data the
// console holds (its window is fitted to it).
func (m *Model) Span() (from, to time.Time) {
	st := m.ctl.State()
	return st.From, st.To
}

// SetSize implements pane.Pane: width in cells, 1 or 2 rows.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.render()
}

// Refresh implements pane.Pane: it reads the player's state and the shown
// instant (env.Now, the player's clock).
func (m *Model) Refresh(env pane.Env) {
	m.st = m.ctl.State()
	m.pos = env.Now
	if m.pos.IsZero() {
		m.pos = m.st.Pos
	}
	m.render()
}

// Capturing implements pane.Capturer: true while the jump prompt is open.
func (m *Model) Capturing() bool { return m.prompt }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	k := m.keys
	return []key.Binding{k.PlayPause, k.Faster, k.StepFwd, k.Jump, k.Next}
}

// call runs fn off the Update path, as a command.
func call(fn func()) tea.Cmd {
	return func() tea.Msg {
		fn()
		return nil
	}
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	if m.prompt {
		return m.promptKey(msg)
	}
	ctl, k := m.ctl, m.keys
	var cmd tea.Cmd
	switch {
	case key.Matches(msg, k.PlayPause):
		cmd = call(ctl.Toggle)
	case key.Matches(msg, k.Faster):
		cmd = call(ctl.Faster)
	case key.Matches(msg, k.Slower):
		cmd = call(ctl.Slower)
	case key.Matches(msg, k.StepFwd):
		cmd = call(func() { ctl.Step(1) })
	case key.Matches(msg, k.StepBack):
		cmd = call(func() { ctl.Step(-1) })
	case key.Matches(msg, k.Next):
		cmd = call(func() { ctl.SeekNotable(false) })
	case key.Matches(msg, k.Prev):
		cmd = call(func() { ctl.SeekNotable(true) })
	case key.Matches(msg, k.Jump):
		m.prompt, m.input, m.promptE = true, m.input[:0], ""
		m.render()
		return true, nil
	default:
		return false, nil
	}
	return true, cmd
}

func (m *Model) promptKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	m.promptE = ""
	defer m.render()
	switch msg.Type {
	case tea.KeyCtrlC:
		return false, nil // the root quits
	case tea.KeyEsc:
		m.prompt = false
		return true, nil
	case tea.KeyBackspace:
		if len(m.input) > 0 {
			m.input = m.input[:len(m.input)-1]
		}
		return true, nil
	case tea.KeyCtrlU:
		m.input = m.input[:0]
		return true, nil
	case tea.KeyEnter:
		t, err := m.target(string(m.input))
		if err != nil {
			m.promptE = err.Error()
			return true, nil
		}
		m.prompt = false
		ctl := m.ctl
		return true, call(func() { ctl.Seek(t) })
	case tea.KeySpace:
		m.input = append(m.input, ' ')
	case tea.KeyRunes:
		if len(m.input) < 64 {
			m.input = append(m.input, msg.Runes...)
		}
	}
	return true, nil
}

// target reads the prompt: ParseAt's syntax relative to the shown instant,
// plus "start" and "end".
func (m *Model) target(s string) (time.Time, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "start", "begin":
		return m.st.From, nil
	case "end":
		return m.st.To, nil
	}
	t, err := replay.ParseAt(s, m.pos, m.loc)
	if err != nil {
		return t, err
	}
	if !m.st.From.IsZero() && (t.Before(m.st.From) || t.After(m.st.To)) {
		return t, fmt.Errorf("%s is outside the recording (%s – %s)", m.clock(t), m.clock(m.st.From), m.clock(m.st.To))
	}
	return t, nil
}

func (m *Model) clock(t time.Time) string {
	if t.IsZero() {
		return "--:--:--"
	}
	return t.In(m.loc).Format("15:04:05")
}

// View implements pane.Pane.
func (m *Model) View() string {
	switch {
	case m.h <= 0 || m.w <= 0:
		return ""
	case m.h == 1:
		return m.lines[0]
	}
	return m.lines[0] + "\n" + m.lines[1]
}

func speed(x float64) string {
	switch {
	case x == float64(int64(x)):
		return fmt.Sprintf("%dx", int64(x))
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".") + "x"
	}
}

func dur(d time.Duration) string {
	neg := d < 0
	if neg {
		d = -d
	}
	d = d.Truncate(time.Second)
	h, mi, s := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	out := fmt.Sprintf("%02d:%02d:%02d", h, mi, s)
	if neg {
		out = "-" + out
	}
	return out
}

// render prepares the two lines from the state (View only returns them).
func (m *Model) render() {
	w := m.w
	st := m.st
	if w <= 0 {
		m.lines = [2]string{}
		return
	}
	// Line 1: what is playing, where, and how fast.
	var l1 string
	if m.prompt {
		in := string(m.input)
		l1 = styles.PAccent.Paint("jump to: ") + styles.PText.Paint(in) + styles.PReverse.Paint(" ")
		if m.promptE != "" {
			l1 += "  " + styles.PCrit.Paint(m.promptE)
		} else {
			l1 += styles.PDim.Paint("  14:02 · -10m · 2026-11-25T14:02:00Z · epoch · start/end   enter go · esc cancel")
		}
	} else {
		state := styles.PWarn.Paint("❚❚ PAUSED")
		if st.Playing {
			state = styles.POK.Paint("▶ PLAYING")
		}
		if st.AtEnd && !st.To.IsZero() {
			if st.Playing {
				state = styles.POK.Paint("▶ FOLLOWING")
			} else {
				state = styles.PWarn.Paint("■ END")
			}
		}
		pos := "--"
		if !m.pos.IsZero() {
			pos = m.pos.In(m.loc).Format("2006-01-02 15:04:05 -07:00")
		}
		parts := []string{state, styles.PBold.Paint(speed(st.Speed)), styles.PText.Paint(pos)}
		if !st.From.IsZero() {
			// Whole seconds of the clock, so that the elapsed time moves
			// exactly as the clock beside it does.
			sec := func(t time.Time) time.Time { return t.Truncate(time.Second) }
			parts = append(parts, styles.PDim.Paint(dur(sec(m.pos).Sub(sec(st.From)))+" / "+dur(sec(st.To).Sub(sec(st.From)))))
		}
		var alerts, marks int
		for _, n := range st.Notables {
			if n.Kind == replay.NotableMarker {
				marks++
			} else {
				alerts++
			}
		}
		if alerts+marks > 0 {
			parts = append(parts, styles.PDim.Paint(fmt.Sprintf("▲%d ◆%d", alerts, marks)))
		}
		if n := len(st.Gaps); n > 0 {
			parts = append(parts, styles.PWarn.Paint(fmt.Sprintf("%d gap%s", n, plural(n))))
		}
		if st.Warning != "" {
			parts = append(parts, styles.PWarn.Paint("⚠ "+st.Warning))
		}
		l1 = strings.Join(parts, "  ")
	}
	m.lines[0] = styles.Fit(l1, w)
	m.lines[1] = styles.Fit(m.bar(w), w)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// bar draws the recording's extent in w cells: ─ recorded, space for a gap,
// ▲ an alert or critical event, ◆ a marker, █ the shown instant.
func (m *Model) bar(w int) string {
	st := m.st
	if st.From.IsZero() || w < 3 {
		return styles.PDim.Paint("(no data recorded yet)")
	}
	span := st.To.Sub(st.From)
	cell := func(t time.Time) int {
		if span <= 0 {
			return 0
		}
		i := int(float64(t.Sub(st.From)) / float64(span) * float64(w-1))
		return min(max(i, 0), w-1)
	}
	kind := make([]byte, w) // 0 recorded, 1 gap, 2 alert, 3 marker, 4 position
	for _, g := range st.Gaps {
		a, b := cell(g.From), cell(g.To)
		for i := a + 1; i < b; i++ {
			kind[i] = 1
		}
	}
	for _, n := range st.Notables {
		k := byte(2)
		if n.Kind == replay.NotableMarker {
			k = 3
		}
		if i := cell(n.At); kind[i] < k {
			kind[i] = k
		}
	}
	if !m.pos.IsZero() {
		kind[cell(m.pos)] = 4
	}
	var b strings.Builder
	run := func(k byte, n int) {
		switch k {
		case 0:
			b.WriteString(styles.PDim.Paint(strings.Repeat("─", n)))
		case 1:
			b.WriteString(strings.Repeat(" ", n))
		case 2:
			b.WriteString(styles.PCrit.Paint(strings.Repeat("▲", n)))
		case 3:
			b.WriteString(styles.PAccent.Paint(strings.Repeat("◆", n)))
		case 4:
			b.WriteString(styles.PFocus.Paint(strings.Repeat("█", n)))
		}
	}
	start := 0
	for i := 1; i <= w; i++ {
		if i == w || kind[i] != kind[start] {
			run(kind[start], i-start)
			start = i
		}
	}
	return b.String()
}

var (
	_ pane.Pane     = (*Model)(nil)
	_ pane.Capturer = (*Model)(nil)
	_ Controller    = (*replay.Player)(nil)
)
