// Package styles holds the console's restrained palette, the box drawing used
// around panes, and the formatting of figures (durations, rates, ratios) so
// every pane prints numbers the same way. A missing value is always "n/a",
// rendered dim, never 0.
package styles

import (
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Palette colours. UseTerminal picks them for the terminal (256 colours,
// adaptive to a light background; the 8 base colours; none under
// NO_COLOR); the 256-colour palette is the default.
var (
	ColorText   lipgloss.TerminalColor
	ColorDim    lipgloss.TerminalColor
	ColorBorder lipgloss.TerminalColor
	ColorFocus  lipgloss.TerminalColor
	ColorOK     lipgloss.TerminalColor
	ColorWarn   lipgloss.TerminalColor
	ColorCrit   lipgloss.TerminalColor
	ColorAccent lipgloss.TerminalColor
)

// Styles used across panes (set with the palette).
var (
	Text, Dim, OK, Warn, Crit, Accent, Border, Focus, Title lipgloss.Style

	Bold    = lipgloss.NewStyle().Bold(true)
	Reverse = lipgloss.NewStyle().Reverse(true)
	// Badge is a short inverted label (LIVE, PAUSED, REPLAY).
	Badge = lipgloss.NewStyle().Bold(true).Padding(0, 1).Reverse(true)

	series1, series2, series3 lipgloss.Style
)

func init() { setPalette(fullPalette) }

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

// Part is a piece of a line with a rank: when the line is too wide, the
// parts of the highest rank go first.
type Part struct {
	Text string
	Rank int
}

// Parts joins the parts, in order, with sep between them, leaving out the
// highest-ranked parts until the line fits w cells: a line loses whole
// figures, never half of one. Rank 0 parts always stay (cut with an
// ellipsis as a last resort).
func Parts(w int, sep string, parts ...Part) string {
	keep := make([]bool, len(parts))
	width := 0
	n := 0
	for i, p := range parts {
		if p.Text == "" {
			continue
		}
		keep[i] = true
		width += cellWidth(p.Text)
		n++
	}
	sw := cellWidth(sep)
	total := func() int { return width + sw*max(n-1, 0) }
	for total() > w {
		worst := -1
		for i, p := range parts {
			if keep[i] && p.Rank > 0 && (worst < 0 || p.Rank >= parts[worst].Rank) {
				worst = i
			}
		}
		if worst < 0 {
			break
		}
		keep[worst] = false
		width -= cellWidth(parts[worst].Text)
		n--
	}
	var b []byte
	first := true
	for i, p := range parts {
		if !keep[i] {
			continue
		}
		if !first {
			b = append(b, sep...)
		}
		b = append(b, p.Text...)
		first = false
	}
	return Trunc(string(b), w)
}
