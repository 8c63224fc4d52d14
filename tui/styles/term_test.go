package styles

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// terminfoFacts are the entries of Debian's ncurses-base for the terminals
// vigil is checked on (infocmp -1: colors, bold, dim, rev, smul).
var terminfoFacts = map[string]Info{
	"xterm-256color":  {Colors: 256, Bold: true, Dim: true, Reverse: true, Underline: true},
	"tmux-256color":   {Colors: 256, Bold: true, Dim: true, Reverse: true, Underline: true},
	"screen-256color": {Colors: 256, Bold: true, Dim: true, Reverse: true, Underline: true},
	"screen":          {Colors: 8, Bold: true, Dim: true, Reverse: true, Underline: true},
	"xterm":           {Colors: 8, Bold: true, Dim: true, Reverse: true, Underline: true},
	"linux":           {Colors: 8, Bold: true, Dim: true, Reverse: true, Underline: true},
	"vt100":           {Colors: -1, Bold: true, Reverse: true, Underline: true},
	"dumb":            {Colors: -1},
}

func facts(term string) (Info, bool) {
	i, ok := terminfoFacts[term]
	return i, ok
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

// TestDescribeTerminal: per TERM, the colours and attributes the console
// uses, and the lipgloss profile they give.
func TestDescribeTerminal(t *testing.T) {
	cases := []struct {
		env   []string
		want  Terminal
		prof  termenv.Profile
		label string
	}{
		{[]string{"TERM", "xterm-256color"}, Terminal{256, true, true, true, true}, termenv.ANSI256, "256 colours, bold, dim, reverse, underline"},
		{[]string{"TERM", "tmux-256color"}, Terminal{256, true, true, true, true}, termenv.ANSI256, ""},
		{[]string{"TERM", "screen-256color"}, Terminal{256, true, true, true, true}, termenv.ANSI256, ""},
		{[]string{"TERM", "screen"}, Terminal{8, true, true, true, true}, termenv.ANSI, "8 colours, bold, dim, reverse, underline"},
		{[]string{"TERM", "xterm"}, Terminal{8, true, true, true, true}, termenv.ANSI, ""},
		{[]string{"TERM", "linux"}, Terminal{8, true, true, true, true}, termenv.ANSI, ""},
		{[]string{"TERM", "vt100"}, Terminal{0, true, false, true, true}, termenv.ANSI, "no colour, bold, reverse, underline"},
		{[]string{"TERM", "dumb"}, Terminal{}, termenv.Ascii, "no colour"},
		{[]string{}, Terminal{}, termenv.Ascii, ""},
		// NO_COLOR keeps the attributes.
		{[]string{"TERM", "xterm-256color", "NO_COLOR", "1"}, Terminal{0, true, true, true, true}, termenv.ANSI, ""},
		{[]string{"TERM", "screen", "NO_COLOR", "1"}, Terminal{0, true, true, true, true}, termenv.ANSI, ""},
		{[]string{"TERM", "dumb", "NO_COLOR", "1"}, Terminal{}, termenv.Ascii, ""},
		// COLORTERM raises a colour terminal to 24 bits, not GNU screen.
		{[]string{"TERM", "xterm-256color", "COLORTERM", "truecolor"}, Terminal{TrueColor, true, true, true, true}, termenv.TrueColor, ""},
		{[]string{"TERM", "screen-256color", "COLORTERM", "truecolor"}, Terminal{256, true, true, true, true}, termenv.ANSI256, ""},
		// No terminfo entry: the name's family.
		{[]string{"TERM", "xterm-kitty-256color"}, Terminal{256, true, true, true, true}, termenv.ANSI256, ""},
		{[]string{"TERM", "screen.xterm-new"}, Terminal{8, true, true, true, true}, termenv.ANSI, ""},
		{[]string{"TERM", "mystery"}, Terminal{}, termenv.Ascii, ""},
	}
	for _, c := range cases {
		got := DescribeTerminal(env(c.env...), facts)
		if got != c.want || got.Profile() != c.prof {
			t.Errorf("%v: %+v (%v), want %+v (%v)", c.env, got, got.Profile(), c.want, c.prof)
		}
		if c.label != "" && got.String() != c.label {
			t.Errorf("%v: %q, want %q", c.env, got.String(), c.label)
		}
	}
}

// TestTerminfoOnThisMachine: the entries installed here say what the
// fixture says (an entry that is not installed is left out).
func TestTerminfoOnThisMachine(t *testing.T) {
	found := 0
	for term, want := range terminfoFacts {
		got, ok := LoadInfo(term)
		if !ok {
			continue
		}
		found++
		if got != want {
			t.Errorf("%s: terminfo gives %+v, the fixture %+v", term, got, want)
		}
	}
	if found == 0 {
		t.Skip("no terminfo database here (Debian: ncurses-base)")
	}
}

// TestPaletteDrawsSeverity: on each terminal a critical figure and the
// cursor's reversed cell draw something, and NO_COLOR draws no colour.
func TestPaletteDrawsSeverity(t *testing.T) {
	defer func() {
		UseTerminal(Terminal{Colors: 256})
		lipgloss.SetColorProfile(termenv.Ascii)
	}()
	cases := []struct {
		env        []string
		crit, mark string // substrings of the escapes drawn
		colour     bool
	}{
		{[]string{"TERM", "xterm-256color"}, "38;5;203", "\x1b[7m", true},
		{[]string{"TERM", "screen"}, "31", "\x1b[7m", true},
		{[]string{"TERM", "linux"}, "31", "\x1b[7m", true},
		{[]string{"TERM", "screen", "NO_COLOR", "1"}, "\x1b[1;4", "\x1b[7m", false},
		{[]string{"TERM", "vt100"}, "\x1b[1;4", "\x1b[7m", false},
	}
	for _, c := range cases {
		UseTerminal(DescribeTerminal(env(c.env...), facts))
		crit, mark, warn := PCrit.Paint("x"), Mark("x"), PWarn.Paint("x")
		if !strings.Contains(crit, c.crit) || !strings.Contains(mark, c.mark) {
			t.Errorf("%v: crit %q mark %q", c.env, crit, mark)
		}
		if warn == "x" || crit == warn {
			t.Errorf("%v: a warning reads like %q, critical %q", c.env, warn, crit)
		}
		colour := strings.Contains(crit+warn+POK.Paint("x")+PDim.Paint("x"), "[3") || strings.Contains(crit, ";3")
		if colour != c.colour {
			t.Errorf("%v: colour drawn %v, want %v (%q)", c.env, colour, c.colour, crit)
		}
	}
	UseTerminal(DescribeTerminal(env("TERM", "dumb"), facts))
	if s := PCrit.Paint("x") + Mark("x"); strings.Contains(s, "\x1b") {
		t.Errorf("dumb terminal got escapes: %q", s)
	}
}
