package tui

import (
	"reflect"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/tui/pane"
)

// Message routing. Every command a pane returns (from HandleKey, Jump,
// Receive or Init) runs wrapped: the message it produces comes back as a
// paneMsg addressed to that pane by its id, and the root delivers it to
// that pane alone, focused or not (as gh-dash addresses its sections).
// Messages the root acts on (a status line, a jump, a cursor move, a host
// scope) and
// Bubble Tea's own (quit, batches) pass through unwrapped.

// paneMsg is a message a pane's command produced, addressed back to it.
type paneMsg struct {
	to  int // index into state.panes
	msg tea.Msg
}

// teaPkg is Bubble Tea's import path: its messages (tea.QuitMsg, the
// unexported sequence and window-title messages) go to the program as they
// are.
var teaPkg = reflect.TypeOf(tea.QuitMsg{}).PkgPath()

// register gives p an id (once) and returns it.
func (s *state) register(p pane.Pane) int {
	if p == nil {
		return -1
	}
	if id, ok := s.ids[p]; ok {
		return id
	}
	s.ids[p] = len(s.panes)
	s.panes = append(s.panes, p)
	return s.ids[p]
}

// owned wraps cmd, a command p returned, so that its message comes back
// addressed to p.
func (s *state) owned(p pane.Pane, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return address(s.register(p), cmd)
}

func address(id int, cmd tea.Cmd) tea.Cmd {
	if cmd == nil {
		return nil
	}
	return func() tea.Msg {
		msg := cmd()
		switch m := msg.(type) {
		case nil:
			return nil
		case tea.BatchMsg:
			out := make(tea.BatchMsg, len(m))
			for i, c := range m {
				out[i] = address(id, c)
			}
			return out
		case pane.StatusMsg, pane.JumpMsg, pane.CursorMsg, pane.ScopeMsg:
			return msg
		}
		t := reflect.TypeOf(msg)
		if t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.PkgPath() == teaPkg {
			return msg
		}
		return paneMsg{to: id, msg: msg}
	}
}

// deliver hands an addressed message to its pane.
func (s *state) deliver(m paneMsg) tea.Cmd {
	if m.to < 0 || m.to >= len(s.panes) {
		return nil
	}
	p := s.panes[m.to]
	r, ok := p.(pane.Receiver)
	if !ok {
		return nil
	}
	return s.owned(p, r.Receive(m.msg))
}
