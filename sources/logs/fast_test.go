package logs

import (
	"math/bits"
	"math/rand"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/sources"
)

// cleanRef is clean written the obvious way.
func cleanRef(line []byte) bool {
	for _, c := range line {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// strRawRef is strRaw written the obvious way: the old IndexByte scan.
func strRawRef(s string, i int) (esc, ok bool, end int) {
	if i >= len(s) || s[i] != '"' {
		return false, false, i
	}
	i++
	q := strings.IndexByte(s[i:], '"')
	if q < 0 {
		return false, false, len(s)
	}
	if strings.IndexByte(s[i:i+q], '\\') < 0 {
		return false, true, i + q + 1
	}
	for i < len(s) {
		switch s[i] {
		case '"':
			return true, true, i + 1
		case '\\':
			i += 2
			continue
		}
		i++
	}
	return true, false, i
}

// alphabet holds the bytes the word-at-a-time scans must tell apart.
var alphabet = []byte{'a', 'Z', ' ', '~', '"', '\\', 0x00, 0x1f, 0x20, 0x21, 0x7e, 0x7f, 0x80, 0x9f, 0xa0, 0xc3, 0xff, '\t', '\n', '.', 0x22 ^ 0x80, 0x5c ^ 0x80, 0x5b, 0x5d, 0x23, 0x21}

func randBytes(r *rand.Rand, clean bool) []byte {
	n := r.Intn(70)
	b := make([]byte, n)
	for i := range b {
		if clean {
			b[i] = byte(0x20 + r.Intn(0x5f))
		} else {
			b[i] = alphabet[r.Intn(len(alphabet))]
		}
	}
	// Now and then one odd byte in an otherwise clean line, at any position.
	if clean && n > 0 && r.Intn(2) == 0 {
		b[r.Intn(n)] = alphabet[r.Intn(len(alphabet))]
	}
	return b
}

func TestCleanMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for k := 0; k < 200_000; k++ {
		b := randBytes(r, k%2 == 0)
		if got, want := clean(b), cleanRef(b); got != want {
			t.Fatalf("clean(%q) = %v, want %v", b, got, want)
		}
	}
	// Every single byte value at every position of lines up to 40 bytes.
	for n := 1; n <= 40; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("x", n))
				b[pos] = byte(c)
				if got, want := clean(b), cleanRef(b); got != want {
					t.Fatalf("clean(%q) = %v, want %v", b, got, want)
				}
			}
		}
	}
}

func TestStrRawMatchesReference(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	check := func(s string) {
		t.Helper()
		j := jscan{s: s}
		esc, ok := j.strRaw()
		wesc, wok, wend := strRawRef(s, 0)
		if ok != wok || (ok && (esc != wesc || j.i != wend)) {
			t.Fatalf("strRaw(%q) = %v,%v,%d, want %v,%v,%d", s, esc, ok, j.i, wesc, wok, wend)
		}
	}
	for k := 0; k < 200_000; k++ {
		check(`"` + string(randBytes(r, k%3 == 0)))
	}
	for n := 0; n <= 24; n++ {
		for pos := 0; pos <= n; pos++ {
			for _, c := range []string{`"`, `\`, `\"`, `\\`, "\x00", "\xa2", "\xdc", "\xff"} {
				s := `"` + strings.Repeat("a", pos) + c + strings.Repeat("b", n-pos) + `"tail`
				check(s)
				check(s[:len(s)-5])
			}
		}
	}
}

func FuzzStrRaw(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b"`, `"0123456789abcdef\\"x`, `"unterminated`, `"\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = `"` + s
		j := jscan{s: s}
		esc, ok := j.strRaw()
		wesc, wok, wend := strRawRef(s, 0)
		if ok != wok || (ok && (esc != wesc || j.i != wend)) {
			t.Fatalf("strRaw(%q) = %v,%v,%d, want %v,%v,%d", s, esc, ok, j.i, wesc, wok, wend)
		}
		if got, want := clean([]byte(s)), cleanRef([]byte(s)); got != want {
			t.Fatalf("clean(%q) = %v, want %v", s, got, want)
		}
	})
}

// TestRoleOfSpellings checks the quick reject in roleOf against every
// spelling and against near misses.
func TestRoleOfSpellings(t *testing.T) {
	roles := map[string]role{}
	for _, rk := range roleKeys {
		for _, k := range rk.keys {
			if _, dup := roles[k]; dup {
				t.Errorf("%q listed twice", k)
			}
			roles[k] = rk.r
		}
	}
	n := 0
	for _, rk := range roleKeys {
		for _, k := range rk.keys {
			n++
			if got := roleOf(k); got != rk.r {
				t.Errorf("roleOf(%q) = %v, want %v", k, got, rk.r)
			}
			for _, miss := range []string{k + "x", "x" + k, k[:len(k)-1], strings.ToUpper(k) + "_"} {
				if roles[miss] == roleNone && roleOf(miss) != roleNone {
					t.Errorf("roleOf(%q) = %v, want none", miss, roleOf(miss))
				}
			}
		}
	}
	if n < 60 || roleOf("") != roleNone || roleOf(strings.Repeat("t", 100)) != roleNone {
		t.Fatalf("%d spellings", n)
	}
}

func TestBlankMatchesReference(t *testing.T) {
	ref := func(s string, i int) int {
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		return i
	}
	r := rand.New(rand.NewSource(3))
	for k := 0; k < 200_000; k++ {
		s := string(randBytes(r, k%2 == 0))
		i := 0
		if len(s) > 0 {
			i = r.Intn(len(s) + 1)
		}
		if got, want := blank(s, i), ref(s, i); got != want {
			t.Fatalf("blank(%q, %d) = %d, want %d", s, i, got, want)
		}
	}
	for n := 0; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{' ', '\t', ' ' ^ 0x80, '\t' ^ 0x80, 0, 0x1f, 0x21, 0x08} {
				b := []byte(strings.Repeat("v", n))
				b[pos] = c
				if got, want := blank(string(b), 0), ref(string(b), 0); got != want {
					t.Fatalf("blank(%q) = %d, want %d", b, got, want)
				}
			}
		}
	}
}

func TestKeyEndMatchesReference(t *testing.T) {
	ref := func(s string, i int) (int, int) {
		dot := -1
		for i < len(s) && isKeyByte(s[i]) {
			if s[i] == '.' {
				dot = i
			}
			i++
		}
		return i, dot
	}
	check := func(s string) {
		t.Helper()
		end := keyEnd(s, 0)
		wend, _ := ref(s, 0)
		if end != wend {
			t.Fatalf("keyEnd(%q) = %d, want %d", s, end, wend)
		}
	}
	r := rand.New(rand.NewSource(4))
	for k := 0; k < 200_000; k++ {
		b := randBytes(r, k%2 == 0)
		for j := range b {
			if r.Intn(6) == 0 {
				b[j] = '.'
			}
		}
		check(string(b))
	}
	// Every byte value at every position after a run of key bytes.
	for n := 1; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for c := 0; c < 256; c++ {
				b := []byte(strings.Repeat("k", n))
				b[pos] = byte(c)
				check(string(b))
				for d := 0; d < n; d++ {
					if d != pos {
						b2 := append([]byte(nil), b...)
						b2[d] = '.'
						check(string(b2))
					}
				}
			}
		}
	}
}

// TestMayRedactNeverMisses: the quick test must pass every configured name.
func TestMayRedactNeverMisses(t *testing.T) {
	names := []string{"prompt", "completion", "x", "a.b", "user_email", "ö", strings.Repeat("n", 63)}
	p := mustParser(t, ParseOptions{Redact: names})
	for _, n := range names {
		if !p.mayRedact(n) {
			t.Errorf("mayRedact(%q) = false", n)
		}
	}
	for _, n := range []string{"confidence", "prompts", "completioN", "y", ""} {
		if p.mayRedact(n) {
			t.Errorf("mayRedact(%q) = true", n)
		}
	}
}

// TestEq: eq marks the lowest byte equal to c exactly.
func TestEq(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for k := 0; k < 100_000; k++ {
		x := r.Uint64()
		c := byte(r.Intn(256))
		if k%2 == 0 { // plant the byte, and its neighbours ±1, here and there
			for j := 0; j < 8; j++ {
				if r.Intn(3) == 0 {
					x = x&^(0xff<<(8*j)) | uint64(c+byte(r.Intn(3))-1)<<(8*j)
				}
			}
		}
		var want uint64
		for j := 0; j < 8; j++ {
			if byte(x>>(8*j)) == c {
				want |= 0x80 << (8 * j)
			}
		}
		if got := eq(x, c); want != 0 && bits.TrailingZeros64(got) != bits.TrailingZeros64(want) || want == 0 && got != 0 {
			t.Fatalf("eq(%#x, %#x) = %#x, lowest differs from %#x", x, c, got, want)
		}
	}
}

// TestAccessLogCutAtBracket: an access-log time ending the line exactly
// where its closing bracket would be used to index past the line.
func TestAccessLogCutAtBracket(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	for _, l := range []string{`x [27/Nov/2026:07:25:40 +0000`, `127.0.0.1 - - [27/Nov/2026:07:25:40 +0000`, `a [`, ` [27/Nov/2026:07:25:40 +0000]`} {
		r := p.Parse([]byte(l), readAt)
		if r.Raw != l {
			t.Errorf("Raw = %q, want %q", r.Raw, l)
		}
	}
}

func TestParseLevelFastPath(t *testing.T) {
	for _, v := range []string{"info", "error", "warn", "warning", "debug"} {
		if got, want := ParseLevel(v), sources.ParseLevel(v); got != want || got == sources.LevelUnknown {
			t.Errorf("ParseLevel(%q) = %v, sources.ParseLevel says %v", v, got, want)
		}
	}
}
