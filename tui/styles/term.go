package styles

import (
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
	"github.com/xo/terminfo"
)

// Terminal is what the terminal vigil draws on can show, from its terminfo
// entry: how many colours, and which attributes. Guessing from $TERM's name
// alone (as colour libraries do) takes GNU screen's "screen" for a terminal
// without colour or attributes, and the severity colours and the reversed
// cursor vanish; terminfo says screen has 8 colours, bold, dim and reverse.
type Terminal struct {
	Colors    int  // 0, 8, 16, 256, or TrueColor
	Bold      bool // terminfo bold
	Dim       bool // terminfo dim (half-bright)
	Reverse   bool // terminfo rev
	Underline bool // terminfo smul
}

// TrueColor is Terminal.Colors for a terminal with 24-bit colour.
const TrueColor = 1 << 24

// Info is what DescribeTerminal reads of a terminfo entry.
type Info struct {
	Colors                        int // -1 when absent
	Bold, Dim, Reverse, Underline bool
	TrueColor                     bool // the Tc or RGB extension
}

// LoadInfo reads term's terminfo entry from the usual places ($TERMINFO,
// ~/.terminfo, $TERMINFO_DIRS, /etc/terminfo, /lib/terminfo,
// /usr/share/terminfo).
func LoadInfo(term string) (Info, bool) {
	ti, err := terminfo.Load(term)
	if err != nil {
		return Info{}, false
	}
	ext := ti.ExtBoolCapsShort()
	return Info{
		Colors:    ti.Num(terminfo.MaxColors),
		Bold:      len(ti.Strings[terminfo.EnterBoldMode]) > 0,
		Dim:       len(ti.Strings[terminfo.EnterDimMode]) > 0,
		Reverse:   len(ti.Strings[terminfo.EnterReverseMode]) > 0,
		Underline: len(ti.Strings[terminfo.EnterUnderlineMode]) > 0,
		TrueColor: ext["Tc"] || ext["RGB"],
	}, true
}

// DescribeTerminal says what the terminal can show, from the environment
// (TERM, COLORTERM, NO_COLOR) and term's terminfo entry (load is LoadInfo;
// tests pass their own). Without an entry, the name decides: *-256color is
// 256 colours, a known family (xterm, screen, tmux, linux, rxvt, vt100) has
// 8 and the attributes, anything else none. TERM empty or dumb shows
// nothing. NO_COLOR (any non-empty value) keeps the attributes and drops
// every colour.
func DescribeTerminal(getenv func(string) string, load func(string) (Info, bool)) Terminal {
	term := getenv("TERM")
	if term == "" || term == "dumb" {
		return Terminal{}
	}
	var t Terminal
	if info, ok := load(term); ok {
		t = Terminal{Colors: max(info.Colors, 0), Bold: info.Bold, Dim: info.Dim, Reverse: info.Reverse, Underline: info.Underline}
		if info.TrueColor {
			t.Colors = TrueColor
		}
	} else {
		t = byName(term)
	}
	switch strings.ToLower(getenv("COLORTERM")) {
	case "truecolor", "24bit":
		// GNU screen passes no 24-bit colour whatever the outer terminal.
		if t.Colors >= 8 && !strings.HasPrefix(term, "screen") {
			t.Colors = TrueColor
		}
	}
	if getenv("NO_COLOR") != "" {
		t.Colors = 0
	}
	return t
}

// byName guesses from a TERM with no terminfo entry.
func byName(term string) Terminal {
	attrs := Terminal{Bold: true, Dim: true, Reverse: true, Underline: true}
	switch {
	case strings.HasSuffix(term, "-256color") || strings.HasSuffix(term, "-direct"):
		attrs.Colors = 256
	case strings.HasSuffix(term, "-16color"):
		attrs.Colors = 16
	case strings.HasPrefix(term, "vt1"), strings.HasPrefix(term, "vt2"):
		attrs.Colors, attrs.Dim = 0, false
	case strings.HasPrefix(term, "xterm"), strings.HasPrefix(term, "screen"), strings.HasPrefix(term, "tmux"),
		strings.HasPrefix(term, "linux"), strings.HasPrefix(term, "rxvt"), strings.HasPrefix(term, "ansi"):
		attrs.Colors = 8
	default:
		return Terminal{}
	}
	return attrs
}

// Profile is the lipgloss colour profile for the terminal: its colours, or
// plain ANSI (attributes only, the palette then has no colours) where it
// has attributes but no colour, or none.
func (t Terminal) Profile() termenv.Profile {
	switch {
	case t.Colors >= TrueColor:
		return termenv.TrueColor
	case t.Colors >= 256:
		return termenv.ANSI256
	case t.Colors >= 8, t.Bold || t.Reverse || t.Underline:
		return termenv.ANSI
	}
	return termenv.Ascii
}

// String describes the terminal: "256 colours, bold, reverse".
func (t Terminal) String() string {
	var parts []string
	switch {
	case t.Colors >= TrueColor:
		parts = append(parts, "24-bit colour")
	case t.Colors > 0:
		parts = append(parts, strconv.Itoa(t.Colors)+" colours")
	default:
		parts = append(parts, "no colour")
	}
	for _, a := range []struct {
		on   bool
		name string
	}{{t.Bold, "bold"}, {t.Dim, "dim"}, {t.Reverse, "reverse"}, {t.Underline, "underline"}} {
		if a.on {
			parts = append(parts, a.name)
		}
	}
	return strings.Join(parts, ", ")
}

// paletteGen counts palette changes; painters recompute their codes when it moves.
var paletteGen atomic.Uint64

// UseTerminal sets lipgloss's colour profile and the palette for the
// terminal: the 256-colour palette where it has 16 colours or more (lipgloss
// degrades it to 16), the 8 base colours where it has 8, and attributes
// alone without colour (NO_COLOR): bold for focus and warnings, bold and
// underline for critical, reverse for the cursor and selections, no greys.
// Call it once, before the program starts.
func UseTerminal(t Terminal) {
	lipgloss.SetColorProfile(t.Profile())
	switch {
	case t.Colors >= 16:
		setPalette(fullPalette)
	case t.Colors >= 8:
		p := basePalette
		p.dimFaint = t.Dim
		setPalette(p)
	default:
		setPalette(monoPalette)
	}
}

// palette is one set of the console's colours and attributes.
type palette struct {
	text, dim, border, focus, ok, warn, crit, accent lipgloss.TerminalColor
	series                                           [3]lipgloss.TerminalColor
	dimFaint                                         bool // dim is the faint attribute
	warnBold, critUnderline                          bool // severity reads without colour
}

var (
	// fullPalette is the 256-colour palette (adaptive to a light
	// background).
	fullPalette = palette{
		text: lipgloss.AdaptiveColor{Light: "236", Dark: "252"}, dim: lipgloss.AdaptiveColor{Light: "245", Dark: "243"},
		border: lipgloss.AdaptiveColor{Light: "250", Dark: "238"}, focus: lipgloss.AdaptiveColor{Light: "25", Dark: "75"},
		ok: lipgloss.AdaptiveColor{Light: "28", Dark: "71"}, warn: lipgloss.AdaptiveColor{Light: "130", Dark: "214"},
		crit: lipgloss.AdaptiveColor{Light: "160", Dark: "203"}, accent: lipgloss.AdaptiveColor{Light: "61", Dark: "110"},
		series: [3]lipgloss.TerminalColor{lipgloss.AdaptiveColor{Light: "25", Dark: "110"},
			lipgloss.AdaptiveColor{Light: "127", Dark: "176"}, lipgloss.AdaptiveColor{Light: "136", Dark: "222"}},
	}
	// basePalette uses the 8 colours every colour terminal has (screen,
	// linux, xterm): no bright variants, no greys; dim is the faint
	// attribute where the terminal has it.
	basePalette = palette{
		text: lipgloss.NoColor{}, dim: lipgloss.NoColor{}, border: lipgloss.NoColor{}, focus: lipgloss.Color("6"),
		ok: lipgloss.Color("2"), warn: lipgloss.Color("3"), crit: lipgloss.Color("1"), accent: lipgloss.Color("6"),
		series: [3]lipgloss.TerminalColor{lipgloss.Color("4"), lipgloss.Color("5"), lipgloss.Color("3")},
	}
	// monoPalette has no colour at all: severity reads from attributes.
	monoPalette = palette{
		text: lipgloss.NoColor{}, dim: lipgloss.NoColor{}, border: lipgloss.NoColor{}, focus: lipgloss.NoColor{},
		ok: lipgloss.NoColor{}, warn: lipgloss.NoColor{}, crit: lipgloss.NoColor{}, accent: lipgloss.NoColor{},
		series:   [3]lipgloss.TerminalColor{lipgloss.NoColor{}, lipgloss.NoColor{}, lipgloss.NoColor{}},
		warnBold: true, critUnderline: true,
	}
)

// setPalette rebuilds the palette's colours and styles.
func setPalette(p palette) {
	ColorText, ColorDim, ColorBorder, ColorFocus = p.text, p.dim, p.border, p.focus
	ColorOK, ColorWarn, ColorCrit, ColorAccent = p.ok, p.warn, p.crit, p.accent
	ColorSeries1, ColorSeries2, ColorSeries3 = p.series[0], p.series[1], p.series[2]
	Text = lipgloss.NewStyle().Foreground(ColorText)
	Dim = lipgloss.NewStyle().Foreground(ColorDim).Faint(p.dimFaint)
	OK = lipgloss.NewStyle().Foreground(ColorOK)
	Warn = lipgloss.NewStyle().Foreground(ColorWarn).Bold(p.warnBold)
	Crit = lipgloss.NewStyle().Foreground(ColorCrit).Bold(true).Underline(p.critUnderline)
	Accent = lipgloss.NewStyle().Foreground(ColorAccent)
	Border = lipgloss.NewStyle().Foreground(ColorBorder)
	Focus = lipgloss.NewStyle().Foreground(ColorFocus).Bold(true)
	Title = lipgloss.NewStyle().Foreground(ColorText).Bold(true)
	series1 = lipgloss.NewStyle().Foreground(ColorSeries1)
	series2 = lipgloss.NewStyle().Foreground(ColorSeries2)
	series3 = lipgloss.NewStyle().Foreground(ColorSeries3)
	paletteGen.Add(1)
}
