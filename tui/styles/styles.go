// Package styles holds the console's restrained palette, the box drawing used
// around panes, and the formatting of figures (durations, rates, ratios) so
// every pane prints numbers the same way. A missing value is always "n/a",
// rendered dim, never 0.
package styles

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Palette colours. Adaptive pairs keep light terminals readable; lipgloss
// degrades them to 256 or 16 colours, and to none under NO_COLOR.
var (
	ColorText   = lipgloss.AdaptiveColor{Light: "236", Dark: "252"}
	ColorDim    = lipgloss.AdaptiveColor{Light: "245", Dark: "243"}
	ColorBorder = lipgloss.AdaptiveColor{Light: "250", Dark: "238"}
	ColorFocus  = lipgloss.AdaptiveColor{Light: "25", Dark: "75"}
	ColorOK     = lipgloss.AdaptiveColor{Light: "28", Dark: "71"}
	ColorWarn   = lipgloss.AdaptiveColor{Light: "130", Dark: "214"}
	ColorCrit   = lipgloss.AdaptiveColor{Light: "160", Dark: "203"}
	ColorAccent = lipgloss.AdaptiveColor{Light: "61", Dark: "110"}
)

// Styles used across panes.
var (
	Text    = lipgloss.NewStyle().Foreground(ColorText)
	Dim     = lipgloss.NewStyle().Foreground(ColorDim)
	Bold    = lipgloss.NewStyle().Bold(true)
	OK      = lipgloss.NewStyle().Foreground(ColorOK)
	Warn    = lipgloss.NewStyle().Foreground(ColorWarn)
	Crit    = lipgloss.NewStyle().Foreground(ColorCrit).Bold(true)
	Accent  = lipgloss.NewStyle().Foreground(ColorAccent)
	Border  = lipgloss.NewStyle().Foreground(ColorBorder)
	Focus   = lipgloss.NewStyle().Foreground(ColorFocus).Bold(true)
	Title   = lipgloss.NewStyle().Foreground(ColorText).Bold(true)
	Reverse = lipgloss.NewStyle().Reverse(true)
	// Badge is a short inverted label (LIVE, PAUSED, REPLAY).
	Badge = lipgloss.NewStyle().Bold(true).Padding(0, 1).Reverse(true)
)

// Severity levels for colouring a figure.
const (
	LevelNone = iota
	LevelOK
	LevelWarn
	LevelCrit
	LevelAccent
)

// ForLevel returns the style of a severity level.
func ForLevel(l int) lipgloss.Style {
	switch l {
	case LevelOK:
		return OK
	case LevelWarn:
		return Warn
	case LevelCrit:
		return Crit
	case LevelAccent:
		return Accent
	}
	return Text
}

// Fit pads or truncates a rendered line (ANSI-aware) to exactly w cells.
func Fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	n := cellWidth(s)
	switch {
	case n == w:
		return s
	case n > w:
		return ansi.Truncate(s, w, "…")
	}
	return s + spaces(w-n)
}

// Trunc shortens a rendered line to at most w cells, with an ellipsis.
func Trunc(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if cellWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// Width is the display width of a rendered string's widest line.
func Width(s string) int {
	w := 0
	for len(s) > 0 {
		line := s
		if i := indexByte(s, '\n'); i >= 0 {
			line, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		w = max(w, cellWidth(line))
	}
	return w
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

const blanks = "                                                                                                                                "

func spaces(n int) string {
	if n <= 0 {
		return ""
	}
	if n <= len(blanks) {
		return blanks[:n]
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}

// Pad returns n spaces.
func Pad(n int) string { return spaces(n) }
