package styles

import (
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestCellWidthMatchesAnsi(t *testing.T) {
	cases := []string{
		"", "abc", "\x1b[1;38;5;75mLatency\x1b[0m", "╭─ GPUs ─╮", "▁▂▃▄▅▆▇█ p99 1.2s", "n/a · ░▒▓█ ↺ ≠ ┃",
		"日本語", "emoji 🚀 here", "e\u0301", "\x1b]8;;http://x\x07link\x1b]8;;\x07", "µs ×", "tab\there",
	}
	for _, c := range cases {
		if got, want := cellWidth(c), ansi.StringWidth(c); got != want {
			t.Errorf("cellWidth(%q) = %d, ansi says %d", c, got, want)
		}
	}
	if got := Fit("\x1b[1mabcdef\x1b[0m", 4); ansi.StringWidth(got) != 4 {
		t.Errorf("Fit truncation width %d", ansi.StringWidth(got))
	}
	if got := Fit("ab", 4); got != "ab  " {
		t.Errorf("Fit pad %q", got)
	}
}

func TestPainterMatchesLipgloss(t *testing.T) {
	old := lipgloss.ColorProfile()
	defer lipgloss.SetColorProfile(old)
	for _, prof := range []termenv.Profile{termenv.Ascii, termenv.ANSI, termenv.ANSI256, termenv.TrueColor} {
		lipgloss.SetColorProfile(prof)
		for l := LevelNone; l <= LevelAccent; l++ {
			if got, want := PaintLevel(l, "▁▂▃"), ForLevel(l).Render("▁▂▃"); got != want {
				t.Errorf("profile %v level %d: %q, lipgloss %q", prof, l, got, want)
			}
		}
		if got, want := PDim.Paint("n/a"), Dim.Render("n/a"); got != want {
			t.Errorf("profile %v dim: %q vs %q", prof, got, want)
		}
	}
}
