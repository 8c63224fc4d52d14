package tui

import (
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/pane"
)

// fetchMsg is what a receiver pane's fetch answers with.
type fetchMsg struct{ n int }

// receiver is a pane whose x key starts a "fetch" (a command), and that
// counts the answers it receives.
type receiver struct {
	timeline
	title string
	got   []tea.Msg
}

func (r *receiver) Title() string { return r.title }
func (r *receiver) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case "x":
		return true, tea.Batch(func() tea.Msg { return fetchMsg{1} }, func() tea.Msg { return pane.StatusMsg{Text: "fetching"} })
	}
	return false, nil
}
func (r *receiver) Receive(msg tea.Msg) tea.Cmd {
	r.got = append(r.got, msg)
	return func() tea.Msg { return fetchMsg{len(r.got) + 1} }
}

// run runs cmd as the program would: batches are split, each message is
// fed back to Update, up to depth rounds.
func runCmd(m Model, cmd tea.Cmd, depth int) Model {
	if cmd == nil || depth == 0 {
		return m
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		for _, c := range b {
			m = runCmd(m, c, depth)
		}
		return m
	}
	if msg == nil {
		return m
	}
	nm, next := m.Update(msg)
	return runCmd(nm.(Model), next, depth-1)
}

// TestMessagesGoToTheirPane: the answer to a pane's command reaches that
// pane and no other, the root's own messages (a status line) reach the
// root, and a command the answer returns is addressed the same way.
func TestMessagesGoToTheirPane(t *testing.T) {
	st, mon, end := fixtureStore()
	a, b := &receiver{title: "Logs"}, &receiver{title: "Traces"}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon,
		Screens: map[int]pane.Pane{ScreenLogs: a, ScreenTraces: b}})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end}, keyMsg("6"))
	nm, cmd := m.Update(keyMsg("x"))
	m = runCmd(nm.(Model), cmd, 3)
	if len(a.got) != 3 || len(b.got) != 0 {
		t.Fatalf("owner got %d messages, other %d; want 3 and 0", len(a.got), len(b.got))
	}
	if f, ok := a.got[0].(fetchMsg); !ok || f.n != 1 {
		t.Fatalf("first message %#v", a.got[0])
	}
	if m.s.msg != "fetching" {
		t.Fatalf("the pane's status message did not reach the root: %q", m.s.msg)
	}
	// A message nobody addressed reaches no pane.
	m = drive(m, fetchMsg{99})
	if len(a.got) != 3 || len(b.got) != 0 {
		t.Fatal("an unaddressed message was delivered")
	}
}
