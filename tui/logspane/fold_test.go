package logspane

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/sources"
)

// foldAlphabet mixes letters of both cases, bytes next to them (which OR
// 0x20 would confuse), the Unicode characters that fold to ASCII letters
// and other multi-byte text.
var foldAlphabet = []string{"a", "A", "t", "T", "e", "E", "n", "N", "4", "2", "7", " ", "@", "`", "[", "{", "_", "\x7f",
	"s", "S", "k", "K", "ſ", "K", "é", "É", "İ", "ı", "\"", ":", ",", "x", "\t", "o", "O", "u", "i", "m"}

func randText(r *rand.Rand, max int) string {
	var b strings.Builder
	for n := r.Intn(max); n > 0; n-- {
		b.WriteString(foldAlphabet[r.Intn(len(foldAlphabet))])
	}
	return b.String()
}

func TestFoldNeedleAgainstStrings(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	needles := []string{"a", "t", "tenant t4", "timeout", "ta", "at", "@", "`", "{", "[x", "_", "te", "ttt", "out of memory", "0123456789abcdef0"}
	for k := 0; k < 100_000; k++ {
		s := randText(r, 60)
		var n string
		if k%3 == 0 {
			n = needles[r.Intn(len(needles))]
		} else {
			n = strings.ToLower(randText(r, 5))
			if !isASCII(n) {
				continue
			}
		}
		// ASCII-only folding: compare on text where only ASCII letters are
		// lower-cased.
		want := strings.Contains(asciiLower(s), n)
		nd := newFoldNeedle(n)
		if got := nd.in(s); got != want {
			t.Fatalf("in(%q, %q) = %v, want %v", s, n, got, want)
		}
	}
	// The needle at every offset of lines around the eight-byte steps.
	for ln := 0; ln <= 40; ln++ {
		for _, n := range []string{"q", "qz", "Tenant T4", "x{y"} {
			for at := 0; at+len(n) <= ln; at++ {
				s := []byte(strings.Repeat("-", ln))
				copy(s[at:], strings.ToUpper(n))
				nd := newFoldNeedle(strings.ToLower(n))
				if !nd.in(string(s)) {
					t.Fatalf("in(%q, %q) = false", s, n)
				}
				if nd.in(string(s[:at+len(n)-1])) {
					t.Fatalf("in(%q, %q) = true", s[:at+len(n)-1], n)
				}
			}
		}
	}
}

// asciiLower lower-cases ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestLowerASCII(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	var buf []byte
	for k := 0; k < 50_000; k++ {
		b := make([]byte, r.Intn(40))
		for i := range b {
			b[i] = byte(r.Intn(128))
			if k%10 == 0 && r.Intn(30) == 0 {
				b[i] = byte(0x80 + r.Intn(128))
			}
		}
		got, ok := lowerASCII(buf, string(b))
		buf = got
		if ok != isASCII(string(b)) {
			t.Fatalf("lowerASCII(%q) ascii = %v", b, ok)
		}
		if ok && string(got) != strings.ToLower(string(b)) {
			t.Fatalf("lowerASCII(%q) = %q", b, got)
		}
	}
}

// TestFilterMatchesFoldCaseRegexp: whatever fast path a filter takes, it
// keeps exactly the lines regexp's own (?i) matching keeps, Unicode case
// folding included.
func TestFilterMatchesFoldCaseRegexp(t *testing.T) {
	exprs := []string{`tenant t4[27]\b`, `timeout`, `TimeOut`, `ask`, `kelvin k`, `s+k`, `a|b`, `(foo)?bar`, `x*`, `^\[error\]`,
		`[A-Z]{4} out`, `école`, `\bY$`, `o+f`, `(?-i)CUDA`, `(?-i)cu(?i)da`, `a\tb`, `\d+s`, `t[e]nant`, `te(n|m)ant`,
		`(?i)ab.*cd`, `ta.e`, `[[:upper:]]x`, `\x40`, "a\\.b", `ſ`, `K`, `İ`, `ı`, `tenant\s+t\d`, `(tenant) (t4)`, `@\x60`, `{"`}
	lines := []string{`{"msg":"Request TIMEOUT after 3s","tenant":"T42"}`, "Tenant t47 ok", "tenant t40x", "ÉCOLE école",
		"CUDA out of memory", "cuda OUT of Memory!", "[ERROR] x", "error: Y", "a\tb", "", "aſk", "AſK", "KELVIN K", "ſſſk",
		"request completed for tenant t42", "TENANT T27", "ta\u0130e", "tenant\t t9", "a.b", "axb", "@`", "{\"", "ıİ"}
	r := rand.New(rand.NewSource(3))
	for k := 0; k < 3000; k++ {
		lines = append(lines, randText(r, 30))
	}
	for _, expr := range exprs {
		f, err := compileFilter(expr)
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		ref := regexp.MustCompile("(?i)" + expr)
		for _, l := range lines {
			rec := sources.LogRecord{Raw: l}
			if got, want := f.keep(&rec, nil), ref.MatchString(l); got != want {
				t.Errorf("filter %q on %q = %v, (?i) regexp says %v (lit %q need %q)", expr, l, got, want, f.lit, f.need)
			}
		}
	}
}

// FuzzFilter checks a filter against regexp's (?i) on any expression and
// line.
func FuzzFilter(f *testing.F) {
	f.Add(`tenant t4[27]\b`, "request completed for tenant t42")
	f.Add(`ask`, "aſk")
	f.Add(`s.k`, "ſxK")
	f.Add(`a|bc`, "xBC")
	f.Fuzz(func(t *testing.T, expr, line string) {
		if w := strings.Fields(expr); !utf8.ValidString(line) || len(w) != 1 || w[0] != expr || strings.HasPrefix(expr, "!") || condRe.MatchString(expr) {
			return // tokenising and conditions are not the matcher's business
		}
		ref, err := regexp.Compile("(?i)" + expr)
		if err != nil {
			return
		}
		flt, err := compileFilter(expr)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		rec := sources.LogRecord{Raw: line}
		if got, want := flt.keep(&rec, nil), ref.MatchString(line); got != want {
			t.Fatalf("filter %q on %q = %v, (?i) regexp says %v", expr, line, got, want)
		}
	})
}
