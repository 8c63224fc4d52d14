// Package palette is the console's one-line prompt, used for the `:` command
// palette (with completion and history) and the `/` filter. It only edits
// text; the root model runs what it returns. Parse splits a command line.
package palette

import (
	"sort"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/tui/styles"
)

// MaxHistory is how many entered lines a prompt remembers.
const MaxHistory = 100

// Completer returns the candidate completions of line (whole lines).
type Completer func(line string) []string

// Result is what a key press did to the prompt.
type Result int

// Results.
const (
	Editing   Result = iota // still open
	Submitted               // Enter: Value holds the line
	Cancelled               // Esc
)

// Model is a prompt.
type Model struct {
	prefix   string
	input    line
	open     bool
	history  []string
	hidx     int // len(history) when not browsing
	complete Completer
	cands    []string
	cidx     int
	hints    []string // candidates for the text as typed, shown dim
	value    string
}

// New returns a closed prompt shown with prefix (":" or "/").
func New(prefix string, complete Completer) Model {
	return Model{prefix: prefix, complete: complete}
}

// Open shows the prompt with initial text.
func (m *Model) Open(text string) tea.Cmd {
	m.open = true
	m.input.SetValue(text)
	m.input.CursorEnd()
	m.hidx = len(m.history)
	m.cands = nil
	m.suggest()
	return nil
}

// Close hides the prompt.
func (m *Model) Close() {
	m.open = false
	m.cands = nil
}

// Active reports whether the prompt is open.
func (m Model) Active() bool { return m.open }

// Value is the submitted line.
func (m Model) Value() string { return m.value }

// History returns the remembered lines, oldest first.
func (m Model) History() []string { return m.history }

// Update handles a key while the prompt is open.
func (m *Model) Update(msg tea.KeyMsg) (Result, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEsc:
		m.Close()
		return Cancelled, nil
	case tea.KeyEnter:
		if len(m.cands) > 0 && m.cidx >= 0 && m.input.Value() != m.cands[m.cidx] {
			m.input.SetValue(m.cands[m.cidx])
		}
		m.value = strings.TrimSpace(m.input.Value())
		if m.value != "" && (len(m.history) == 0 || m.history[len(m.history)-1] != m.value) {
			m.history = append(m.history, m.value)
			if len(m.history) > MaxHistory {
				m.history = m.history[len(m.history)-MaxHistory:]
			}
		}
		m.Close()
		return Submitted, nil
	case tea.KeyTab, tea.KeyShiftTab:
		m.completeStep(msg.Type == tea.KeyShiftTab)
		return Editing, nil
	case tea.KeyUp:
		if m.hidx > 0 {
			m.hidx--
			m.input.SetValue(m.history[m.hidx])
			m.input.CursorEnd()
		}
		return Editing, nil
	case tea.KeyDown:
		if m.hidx < len(m.history) {
			m.hidx++
			v := ""
			if m.hidx < len(m.history) {
				v = m.history[m.hidx]
			}
			m.input.SetValue(v)
			m.input.CursorEnd()
		}
		return Editing, nil
	}
	if m.input.edit(msg) {
		m.cands = nil
		m.suggest()
	}
	return Editing, nil
}

// maxHints is how many suggestions the prompt shows as you type.
const maxHints = 8

// suggest lists what Tab would offer for the current text.
func (m *Model) suggest() {
	m.hints = nil
	if m.complete == nil {
		return
	}
	c := m.complete(m.input.Value())
	if len(c) == 1 && c[0] == m.input.Value() {
		return
	}
	m.hints = c[:min(len(c), maxHints)]
}

// completeStep fills in the longest common prefix of the candidates, then
// cycles through them on further presses. A sole candidate is taken, and
// the next press completes what follows it (":sv" Tab gives "svc ", Tab
// again the services).
func (m *Model) completeStep(back bool) {
	if m.complete == nil {
		return
	}
	if m.cands == nil {
		m.cands = m.complete(m.input.Value())
		m.cidx = -1
		if len(m.cands) == 0 {
			m.cands = nil
			return
		}
		if len(m.cands) == 1 {
			m.input.SetValue(m.cands[0])
			m.input.CursorEnd()
			m.cands = nil
			m.suggest()
			return
		}
		if lcp := commonPrefix(m.cands); len(lcp) > len(m.input.Value()) {
			m.input.SetValue(lcp)
			m.input.CursorEnd()
			return
		}
	}
	if back {
		m.cidx = (m.cidx - 1 + len(m.cands)) % len(m.cands)
	} else {
		m.cidx = (m.cidx + 1) % len(m.cands)
	}
	m.input.SetValue(m.cands[m.cidx])
	m.input.CursorEnd()
}

func commonPrefix(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	p := ss[0]
	for _, s := range ss[1:] {
		for !strings.HasPrefix(s, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// View draws the prompt w cells wide, with candidates after the text.
func (m Model) View(w int) string {
	if !m.open || w <= 0 {
		return ""
	}
	line := styles.PFocus.Paint(m.prefix) + m.input.View()
	if len(m.cands) > 1 {
		var cs []string
		for i, c := range m.cands {
			if i == m.cidx {
				cs = append(cs, styles.PReverse.Paint(c))
			} else {
				cs = append(cs, styles.PDim.Paint(c))
			}
		}
		line += "   " + strings.Join(cs, " ")
	} else if len(m.hints) > 0 {
		line += "   " + styles.PDim.Paint(strings.Join(m.hints, "  ")+"  (tab)")
	}
	return styles.Fit(line, w)
}

// Command is a parsed palette line: `gpu 3` → {Name: "gpu", Args: ["3"]}.
type Command struct {
	Name string
	Args []string
	Rest string // everything after the name, spaces kept (for :logs expressions)
}

// Parse splits a command line; a leading ":" is ignored.
func Parse(line string) Command {
	line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), ":"))
	name, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	return Command{Name: strings.ToLower(name), Args: strings.Fields(rest), Rest: rest}
}

// CompleteWords returns the lines that complete line against a command list
// and per-command argument lists, sorted.
func CompleteWords(line string, commands []string, args map[string][]string) []string {
	name, rest, hasArg := strings.Cut(line, " ")
	var out []string
	if !hasArg {
		for _, c := range commands {
			if strings.HasPrefix(c, name) {
				out = append(out, c)
			}
		}
		if len(out) == 1 && len(args[out[0]]) > 0 {
			out[0] += " "
		}
		sort.Strings(out)
		return out
	}
	for _, a := range args[name] {
		if strings.HasPrefix(a, rest) {
			out = append(out, name+" "+a)
		}
	}
	sort.Strings(out)
	return out
}
