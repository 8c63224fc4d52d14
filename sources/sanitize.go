package sources

import (
	"strings"
	"unicode/utf8"
)

// Sanitize makes text from outside (log lines, label values, span names and
// attributes, backends' answers, file names, error messages) safe to put on
// a terminal: it removes escape sequences (CSI, OSC including OSC 52
// clipboard writes, DCS, SOS, PM, APC, and their 8-bit C1 forms), every
// other C0 and C1 control except tab and newline, DEL, and the Unicode
// bidirectional controls (IsBidiControl: overrides, embeddings, isolates and
// marks, which make a line read other than it is, as in "Trojan Source"),
// and replaces invalid UTF-8 with U+FFFD. Printable text is unchanged.
func Sanitize(s string) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		if c == 0x1b { // ESC
			i = skipEscape(s, i+1)
			continue
		}
		if c < 0x80 {
			if c >= 0x20 && c != 0x7f || c == '\t' || c == '\n' {
				b.WriteByte(c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteRune(utf8.RuneError)
			i++
		case r >= 0x80 && r <= 0x9f: // C1 control
			i += n
			switch r {
			case 0x9b: // CSI
				i = skipCSI(s, i)
			case 0x9d, 0x90, 0x98, 0x9e, 0x9f: // OSC, DCS, SOS, PM, APC
				i = skipString(s, i)
			}
		case IsBidiControl(r):
			i += n
		default:
			b.WriteString(s[i : i+n])
			i += n
		}
	}
	return b.String()
}

// IsBidiControl reports whether r is one of Unicode's bidirectional
// controls (the Bidi_Control property): U+061C ARABIC LETTER MARK, U+200E and
// U+200F (LRM, RLM), U+202A–U+202E (LRE, RLE, PDF, LRO, RLO) and
// U+2066–U+2069 (LRI, RLI, FSI, PDI). Sanitize removes them.
func IsBidiControl(r rune) bool {
	switch {
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}

// skipEscape skips the rest of an escape sequence whose ESC ended before i.
func skipEscape(s string, i int) int {
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', 'X', '^', '_':
		return skipString(s, i+1)
	}
	// Two-byte or nF sequences: intermediates 0x20-0x2f then one final byte.
	for i < len(s) && s[i] >= 0x20 && s[i] <= 0x2f {
		i++
	}
	if i < len(s) && s[i] >= 0x30 && s[i] <= 0x7e {
		i++
	}
	return i
}

// skipCSI skips parameter and intermediate bytes and the final byte.
func skipCSI(s string, i int) int {
	for i < len(s) {
		c := s[i]
		i++
		if c >= 0x40 && c <= 0x7e {
			return i
		}
		if c < 0x20 || c > 0x3f && c < 0x40 {
			return i
		}
	}
	return i
}

// skipString skips a control string up to BEL, ESC \ or the 8-bit ST (U+009C).
func skipString(s string, i int) int {
	for i < len(s) {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b:
			if i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
			return i + 1
		case s[i] == 0xc2 && i+1 < len(s) && s[i+1] == 0x9c:
			return i + 2
		}
		i++
	}
	return i
}

// OneLine squeezes an error message into one printable line.
func OneLine(s string) string {
	s = strings.Join(strings.Fields(Sanitize(s)), " ")
	if len(s) > 300 {
		s = s[:297] + "..."
	}
	return s
}
