package styles

import (
	"github.com/charmbracelet/x/ansi"
)

// cellWidth returns the display width of s, skipping ANSI escape sequences.
// It walks the string once and handles the runes the console draws itself
// (ASCII, Latin, box drawing, blocks, braille) directly; anything that might
// be wide or combining falls back to ansi.StringWidth.
func cellWidth(s string) int {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b:
			i = skipEsc(s, i)
			continue
		case c < 0x80:
			if c >= 0x20 && c != 0x7f {
				n++
			}
			i++
			continue
		}
		r, size := decodeRune(s[i:])
		if !narrow(r) {
			return ansi.StringWidth(s)
		}
		n++
		i += size
	}
	return n
}

// narrow reports runes known to be one cell wide.
func narrow(r rune) bool {
	switch {
	case r >= 0xA0 && r < 0x300:
		return true
	case r >= 0x370 && r < 0x1100:
		return true
	case r >= 0x2010 && r < 0x2028: // dashes, quotes, bullet, ellipsis
		return true
	case r >= 0x2190 && r < 0x2300: // arrows, maths
		return true
	case r >= 0x2500 && r < 0x2600: // box drawing, blocks, shapes
		return true
	case r >= 0x2800 && r < 0x2900: // braille
		return true
	}
	return false
}

func decodeRune(s string) (rune, int) {
	for _, r := range s {
		n := len(string(r))
		return r, n
	}
	return 0, 1
}

// skipEsc returns the index after the escape sequence starting at s[i].
func skipEsc(s string, i int) int {
	i++
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[': // CSI: parameters, then a final byte 0x40–0x7e
		i++
		for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
			i++
		}
		return i + 1
	case ']', 'P', '_', '^': // OSC and strings: up to BEL or ST
		for i++; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return i
	}
	return i + 1
}
