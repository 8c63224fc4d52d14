package replaypane

import (
	"os"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

var from = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

type fake struct {
	st    replay.State
	calls []string
	seek  time.Time
}

func (f *fake) State() replay.State { return f.st }
func (f *fake) Toggle()             { f.calls = append(f.calls, "toggle") }
func (f *fake) Faster()             { f.calls = append(f.calls, "faster") }
func (f *fake) Slower()             { f.calls = append(f.calls, "slower") }
func (f *fake) Step(n int) {
	if n > 0 {
		f.calls = append(f.calls, "step+")
	} else {
		f.calls = append(f.calls, "step-")
	}
}
func (f *fake) Seek(t time.Time) { f.calls = append(f.calls, "seek"); f.seek = t }
func (f *fake) SeekNotable(back bool) {
	if back {
		f.calls = append(f.calls, "prev")
	} else {
		f.calls = append(f.calls, "next")
	}
}

func newFake() *fake {
	return &fake{st: replay.State{
		Pos: from.Add(30 * time.Minute), From: from, To: from.Add(time.Hour), Speed: 4, Playing: true,
		Gaps: []replay.Gap{{From: from.Add(40 * time.Minute), To: from.Add(45 * time.Minute)}},
		Notables: []replay.Notable{
			{At: from.Add(10 * time.Minute), Kind: replay.NotableAlert, Text: "p99 > 2s"},
			{At: from.Add(50 * time.Minute), Kind: replay.NotableMarker, Text: "deploy"},
		},
	}}
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(t *testing.T, m *Model, s string) bool {
	t.Helper()
	used, cmd := m.HandleKey(keyMsg(s))
	if cmd != nil {
		cmd()
	}
	return used
}

func TestView(t *testing.T) {
	f := newFake()
	m := New(f, WithLocation(time.UTC))
	m.SetSize(80, 2)
	m.Refresh(pane.Env{Now: from.Add(30 * time.Minute)})
	lines := strings.Split(m.View(), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for i, l := range lines {
		if w := styles.Width(l); w != 80 {
			t.Errorf("line %d is %d cells wide", i, w)
		}
	}
	want0 := "▶ PLAYING  4x  2026-11-25 14:30:00 +00:00  00:30:00 / 01:00:00  ▲1 ◆1  1 gap"
	if strings.TrimRight(lines[0], " ") != want0 {
		t.Errorf("line 1:\n got %q\nwant %q", lines[0], want0)
	}
	bar := []rune(lines[1])
	cell := func(d time.Duration) int { return int(float64(d) / float64(time.Hour) * 79) }
	if bar[cell(30*time.Minute)] != '█' || bar[cell(10*time.Minute)] != '▲' || bar[cell(50*time.Minute)] != '◆' ||
		bar[cell(42*time.Minute)] != ' ' || bar[0] != '─' {
		t.Errorf("bar %q", lines[1])
	}
	// One row: the status line only.
	m.SetSize(40, 1)
	if v := m.View(); strings.Contains(v, "\n") || styles.Width(v) != 40 {
		t.Errorf("one-row view %q", v)
	}
	m.SetSize(0, 0)
	if m.View() != "" {
		t.Error("0x0 view not empty")
	}
	// Paused at the end; speed below 1.
	f.st.Playing, f.st.AtEnd, f.st.Speed = false, true, 0.25
	m.SetSize(80, 2)
	m.Refresh(pane.Env{Now: f.st.To})
	if l := strings.Split(m.View(), "\n")[0]; !strings.HasPrefix(l, "■ END  0.25x  2026-11-25 15:00:00") {
		t.Errorf("end: %q", l)
	}
	// The elapsed time counts the clock's seconds: a recording that starts
	// at .600 shows 00:00:01 at 14:00:01.400 (clock 14:00:01), and its end
	// at 14:00:59.300 as 00:00:59.
	f.st.From, f.st.To = from.Add(600*time.Millisecond), from.Add(59300*time.Millisecond)
	for _, c := range []struct {
		at   time.Duration
		want string
	}{{1400 * time.Millisecond, "14:00:01 +00:00  00:00:01 / 00:00:59"}, {2100 * time.Millisecond, "14:00:02 +00:00  00:00:02 / 00:00:59"}} {
		m.Refresh(pane.Env{Now: from.Add(c.at)})
		if l := strings.Split(m.View(), "\n")[0]; !strings.Contains(l, c.want) {
			t.Errorf("at +%v: %q, want %q", c.at, l, c.want)
		}
	}
	// Nothing recorded yet.
	m2 := New(&fake{}, WithLocation(time.UTC))
	m2.SetSize(60, 2)
	m2.Refresh(pane.Env{})
	if !strings.Contains(m2.View(), "no data recorded yet") {
		t.Errorf("empty: %q", m2.View())
	}
}

func TestKeys(t *testing.T) {
	f := newFake()
	m := New(f, WithLocation(time.UTC))
	m.SetSize(80, 2)
	m.Refresh(pane.Env{Now: f.st.Pos})
	for _, k := range []string{" ", ">", "<", "t", "T", "n", "N"} {
		if !press(t, m, k) {
			t.Errorf("key %q not used", k)
		}
	}
	want := "toggle faster slower step+ step- next prev"
	if got := strings.Join(f.calls, " "); got != want {
		t.Errorf("calls %q, want %q", got, want)
	}
	if press(t, m, "q") || press(t, m, "/") {
		t.Error("the strip took a key that is not its own")
	}
}

func TestJumpPrompt(t *testing.T) {
	f := newFake()
	m := New(f, WithLocation(time.UTC))
	m.SetSize(100, 2)
	m.Refresh(pane.Env{Now: f.st.Pos})
	if m.Capturing() {
		t.Fatal("capturing before J")
	}
	press(t, m, "J")
	if !m.Capturing() || !strings.HasPrefix(m.View(), "jump to:") {
		t.Fatalf("prompt not open: %q", m.View())
	}
	// Keys that are replay keys elsewhere are text in the prompt.
	for _, k := range []string{"1", "4", ":", "0", "x", "backspace", "2"} {
		if !press(t, m, k) {
			t.Fatalf("prompt refused %q", k)
		}
	}
	if len(f.calls) != 0 {
		t.Fatalf("prompt keys reached the player: %v", f.calls)
	}
	press(t, m, "enter")
	if m.Capturing() || f.seek != from.Add(2*time.Minute) {
		t.Fatalf("14:02: capturing %v, seek %v", m.Capturing(), f.seek)
	}
	// Relative, and out of range.
	press(t, m, "J")
	for _, r := range "-10m" {
		press(t, m, string(r))
	}
	press(t, m, "enter")
	if f.seek != from.Add(20*time.Minute) {
		t.Fatalf("-10m: seek %v", f.seek)
	}
	press(t, m, "J")
	for _, r := range "09:00" {
		press(t, m, string(r))
	}
	press(t, m, "enter")
	if !m.Capturing() || !strings.Contains(m.View(), "outside the recording") {
		t.Fatalf("out of range not refused: %q", m.View())
	}
	press(t, m, "esc")
	if m.Capturing() {
		t.Fatal("esc did not close the prompt")
	}
	press(t, m, "J")
	for _, r := range "end" {
		press(t, m, string(r))
	}
	press(t, m, "enter")
	if f.seek != f.st.To {
		t.Fatalf("end: seek %v", f.seek)
	}
	// Garbage is an error, not a seek.
	n := len(f.calls)
	press(t, m, "J")
	for _, r := range "soon" {
		press(t, m, string(r))
	}
	press(t, m, "enter")
	if len(f.calls) != n || !strings.Contains(m.View(), "cannot read") {
		t.Fatalf("garbage: %v %q", f.calls, m.View())
	}
	// Ctrl-C goes on to the root.
	if used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyCtrlC}); used {
		t.Fatal("the prompt swallowed Ctrl-C")
	}
}
