package tui

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// updating reports the -update flag (defined by teatest's golden package,
// which this package links in).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// fixtureModel returns a console over the fixture store, sized and refreshed
// at the fixture's end.
func fixtureModel(t testing.TB, w, h int) Model {
	st, mon, end := fixtureStore()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, View: view.Options{}})
	return drive(m, tea.WindowSizeMsg{Width: w, Height: h}, tickMsg{at: end})
}

// drive feeds messages to the model as the program would, without running
// the commands it returns (ticks are delivered by the test).
func drive(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		nm, _ := m.Update(msg)
		m = nm.(Model)
	}
	return m
}

func keyMsg(k string) tea.KeyMsg {
	switch k {
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "shift+right":
		return tea.KeyMsg{Type: tea.KeyShiftRight}
	case "shift+down":
		return tea.KeyMsg{Type: tea.KeyShiftDown}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

func keysOf(ks ...string) []tea.Msg {
	out := make([]tea.Msg, len(ks))
	for i, k := range ks {
		out[i] = keyMsg(k)
	}
	return out
}

func typed(s string) []tea.Msg {
	var out []tea.Msg
	for _, r := range s {
		out = append(out, keyMsg(string(r)))
	}
	return out
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s (run with -update and read the diff)\n--- got ---\n%s", name, path, got)
	}
}

// checkFrame asserts the frame is exactly w×h cells.
func checkFrame(t *testing.T, name, v string, w, h int) {
	t.Helper()
	lines := strings.Split(v, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", name, len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Errorf("%s: line %d is %d wide, want %d: %q", name, i, lw, w, l)
			break
		}
	}
}

var sizes = [][2]int{{80, 24}, {120, 40}, {200, 50}}

func TestGoldenScreens(t *testing.T) {
	for _, sz := range sizes {
		for n := 1; n <= 7; n++ {
			name := fmt.Sprintf("screen%d_%dx%d", n, sz[0], sz[1])
			t.Run(name, func(t *testing.T) {
				m := fixtureModel(t, sz[0], sz[1])
				m = drive(m, keyMsg(fmt.Sprint(n)))
				v := m.View()
				checkFrame(t, name, v, sz[0], sz[1])
				checkGolden(t, name, v)
			})
		}
	}
}

func TestGoldenStates(t *testing.T) {
	cases := []struct {
		name string
		w, h int
		msgs []tea.Msg
	}{
		{"help_80x24", 80, 24, keysOf("?")},
		{"help_200x50", 200, 50, keysOf("?")},
		{"help_scrolled_80x24", 80, 24, keysOf("?", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j", "j")},
		{"maximised_latency_120x40", 120, 40, keysOf("f")},
		{"cursor_200x50", 200, 50, append(keysOf("i"), keysOf("left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left", "left")...)},
		{"paused_zoomed_120x40", 120, 40, keysOf("p", "-", "-", "[")},
		// The cursor on the latency spike (14:12–14:15): every pane's
		// figures are the spike's, the alert strip shows what fired by then.
		{"cursor_spike_120x40", 120, 40, append(append(keysOf(":"), typed("at 14:14")...), append(keysOf("enter", "i"), keysOf("left", "left", "left", "left")...)...)},
		// The cursor before the first sample (the fixture starts at
		// 14:00): every figure n/a, no alert.
		{"cursor_before_data_120x40", 120, 40, append(append(keysOf(":"), typed("at 14:05")...), append(keysOf("enter", "i"), repeat("left", 60)...)...)},
		{"latency_detail_120x40", 120, 40, keysOf("3", "enter")},
		{"errors_detail_80x24", 80, 24, keysOf("4", "enter")},
		{"drift_detail_120x40", 120, 40, keysOf("5", "enter")},
		{"drift_detail_shifted_120x40", 120, 40, keysOf("5", "j", "j", "enter")},
		{"filter_prompt_80x24", 80, 24, append(keysOf("/"), typed("llama")...)},
		{"filtered_80x24", 80, 24, append(append(keysOf("/"), typed("recsys")...), keyMsg("enter"))},
		{"palette_80x24", 80, 24, append(keysOf(":"), typed("r")...)},
		{"single_60x20", 60, 20, nil},
		{"single_60x20_tab", 60, 20, keysOf("tab", "tab")},
		{"small_40x10", 40, 10, nil},
		{"toosmall_39x9", 39, 9, nil},
		{"toosmall_20x5", 20, 5, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := fixtureModel(t, c.w, c.h)
			m = drive(m, c.msgs...)
			v := m.View()
			checkFrame(t, c.name, v, c.w, c.h)
			checkGolden(t, c.name, v)
		})
	}
}

func widthOf(s string) int { return lipgloss.Width(s) }

func repeat(k string, n int) []tea.Msg {
	out := make([]tea.Msg, n)
	for i := range out {
		out[i] = keyMsg(k)
	}
	return out
}

// TestGoldenANSI256 pins the palette itself: the overview in 256 colours.
func TestGoldenANSI256(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m := fixtureModel(t, 80, 24)
	checkGolden(t, "screen1_80x24_ansi256", m.View())
}

// TestGoldenModes pins the replay strip and the low-bandwidth profile.
func TestGoldenModes(t *testing.T) {
	st, mon, end := fixtureStore()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Timeline: &timeline{}})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	checkFrame(t, "replay_120x40", m.View(), 120, 40)
	checkGolden(t, "replay_120x40", m.View())
	m = New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, LowBandwidth: true})
	m = drive(m, tea.WindowSizeMsg{Width: 80, Height: 24}, tickMsg{at: end})
	checkFrame(t, "lowbw_80x24", m.View(), 80, 24)
	checkGolden(t, "lowbw_80x24", m.View())
	if m.s.o.Refresh != LowBandwidthRefresh {
		t.Errorf("low-bandwidth refresh %v", m.s.o.Refresh)
	}
}
