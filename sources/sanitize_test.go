package sources

import (
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"plain text\tand tabs\n", "plain text\tand tabs\n"},
		{"résumé 東京 🚀", "résumé 東京 🚀"},
		{"a\x1b[31mred\x1b[0m b", "ared b"},
		{"x\x1b]52;c;ZXZpbA==\x07y", "xy"},
		{"x\u009b2Jy", "xy"},
		{"x\u009d0;title\u009cy", "xy"},
		{"del\x7f nul\x00 bel\x07", "del nul bel"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		// Bidirectional controls: the "Trojan Source" override and its kin.
		{"invoice\u202egpj.exe", "invoicegpj.exe"},
		{"\u202a\u202b\u202c\u202d\u202e", ""},
		{"a\u2066b\u2067c\u2068d\u2069e", "abcde"},
		{"l\u200er\u200fm\u061c", "lrm"},
		// Neighbours that are not bidi controls stay: ZWJ in emoji, NBSP, en dash.
		{"👩\u200d💻 a\u00a0b – c", "👩\u200d💻 a\u00a0b – c"},
	} {
		if got := Sanitize(c.in); got != c.want {
			t.Errorf("Sanitize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestIsBidiControl holds the set to Unicode's own Bidi_Control property.
func TestIsBidiControl(t *testing.T) {
	for r := rune(0); r <= 0x10ffff; r++ {
		if got, want := IsBidiControl(r), unicode.Is(unicode.Bidi_Control, r); got != want {
			t.Fatalf("IsBidiControl(%U) = %v, Unicode says %v", r, got, want)
		}
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "ok", "\x1b[2J", "\u202eabc", "\xc2\x9b31m", "\x1b]0;t\x1b\\", "a\u2066b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Sanitize(s)
		if !utf8.ValidString(out) {
			t.Fatalf("Sanitize(%q) = %q: invalid UTF-8", s, out)
		}
		for _, r := range out {
			if r < 0x20 && r != '\t' && r != '\n' || r >= 0x7f && r <= 0x9f || IsBidiControl(r) {
				t.Fatalf("Sanitize(%q) = %q keeps %U", s, out, r)
			}
		}
		if Sanitize(out) != out {
			t.Fatalf("Sanitize is not idempotent on %q", s)
		}
		if len(out) > 3*len(s) { // an invalid byte becomes U+FFFD, 3 bytes
			t.Fatalf("Sanitize(%q) grew to %d bytes", s, len(out))
		}
	})
}
