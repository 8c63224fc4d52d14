package palette

import (
	"unicode"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/tui/styles"
)

// maxLine caps the prompt's length in runes.
const maxLine = 512

// line is a minimal single-line editor (bubbles' textinput pulls in a
// clipboard module this build does not carry).
type line struct {
	r   []rune
	pos int
}

func (l *line) SetValue(s string) {
	l.r = []rune(s)
	if len(l.r) > maxLine {
		l.r = l.r[:maxLine]
	}
	l.pos = len(l.r)
}

func (l line) Value() string { return string(l.r) }

func (l *line) CursorEnd() { l.pos = len(l.r) }

// edit applies an editing key and reports whether the text changed.
func (l *line) edit(msg tea.KeyMsg) bool {
	switch msg.Type {
	case tea.KeyRunes, tea.KeySpace:
		rs := msg.Runes
		if msg.Type == tea.KeySpace {
			rs = []rune{' '}
		}
		var ins []rune
		for _, r := range rs {
			if unicode.IsPrint(r) {
				ins = append(ins, r)
			}
		}
		if len(ins) == 0 || len(l.r)+len(ins) > maxLine {
			return false
		}
		l.r = append(l.r[:l.pos], append(ins, l.r[l.pos:]...)...)
		l.pos += len(ins)
		return true
	case tea.KeyBackspace:
		if l.pos == 0 {
			return false
		}
		l.r = append(l.r[:l.pos-1], l.r[l.pos:]...)
		l.pos--
		return true
	case tea.KeyDelete, tea.KeyCtrlD:
		if l.pos >= len(l.r) {
			return false
		}
		l.r = append(l.r[:l.pos], l.r[l.pos+1:]...)
		return true
	case tea.KeyLeft, tea.KeyCtrlB:
		l.pos = max(0, l.pos-1)
	case tea.KeyRight, tea.KeyCtrlF:
		l.pos = min(len(l.r), l.pos+1)
	case tea.KeyHome, tea.KeyCtrlA:
		l.pos = 0
	case tea.KeyEnd, tea.KeyCtrlE:
		l.pos = len(l.r)
	case tea.KeyCtrlU:
		changed := l.pos > 0
		l.r = l.r[l.pos:]
		l.pos = 0
		return changed
	case tea.KeyCtrlK:
		changed := l.pos < len(l.r)
		l.r = l.r[:l.pos]
		return changed
	case tea.KeyCtrlW:
		i := l.pos
		for i > 0 && l.r[i-1] == ' ' {
			i--
		}
		for i > 0 && l.r[i-1] != ' ' {
			i--
		}
		changed := i != l.pos
		l.r = append(l.r[:i], l.r[l.pos:]...)
		l.pos = i
		return changed
	}
	return false
}

// View draws the text with the cursor as a reversed cell (a block or an
// underscore where the terminal shows no attributes, as under NO_COLOR).
func (l line) View() string {
	if l.pos >= len(l.r) {
		return string(l.r) + styles.Mark(" ")
	}
	return string(l.r[:l.pos]) + styles.Mark(string(l.r[l.pos])) + string(l.r[l.pos+1:])
}
