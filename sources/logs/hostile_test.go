package logs

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/sources"
)

// hostile is a list of terminal control sequences a log line must never get
// through to the screen: cursor movement, screen clearing, title setting,
// clipboard writes (OSC 52), hyperlinks, device control strings and their
// 8-bit C1 forms.
var hostile = []struct{ name, seq string }{
	{"CSI cursor home", "\x1b[H"},
	{"CSI clear screen", "\x1b[2J"},
	{"CSI cursor up", "\x1b[10A"},
	{"CSI SGR colour", "\x1b[31;1m"},
	{"CSI private mode (alt screen)", "\x1b[?1049h"},
	{"CSI mouse tracking", "\x1b[?1000h"},
	{"CSI DSR query", "\x1b[6n"},
	{"CSI with intermediates", "\x1b[1 q"},
	{"OSC title BEL", "\x1b]0;pwned\x07"},
	{"OSC title ST", "\x1b]2;pwned\x1b\\"},
	{"OSC 52 clipboard write", "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x07"},
	{"OSC 52 clipboard query", "\x1b]52;c;?\x07"},
	{"OSC 8 hyperlink", "\x1b]8;;http://evil.example\x1b\\click\x1b]8;;\x1b\\"},
	{"OSC 11 background query", "\x1b]11;?\x07"},
	{"DCS", "\x1bP+q544e\x1b\\"},
	{"DCS sixel", "\x1bPq#0;2;0;0;0#1!6~\x1b\\"},
	{"APC", "\x1b_Gf=100;AAAA\x1b\\"},
	{"PM", "\x1b^private\x1b\\"},
	{"SOS", "\x1bXstring\x1b\\"},
	{"ESC c full reset", "\x1bc"},
	{"ESC 7/8 save restore", "\x1b7\x1b8"},
	{"ESC charset", "\x1b(0"},
	{"C1 CSI", "\u009b2J"},
	{"C1 OSC 52", "\u009d52;c;ZXZpbA==\u009c"},
	{"C1 DCS", "\u0090q\u009c"},
	{"C1 APC", "\u009fdata\u009c"},
	{"raw C1 byte CSI", "\x9b2J"},
	{"backspace overwrite", "safe\b\b\b\bevil"},
	{"carriage return overwrite", "innocent\revil!!!!"},
	{"bell", "\x07"},
	{"vertical tab and form feed", "\x0b\x0c"},
	{"DEL", "\x7f"},
	{"NUL", "\x00"},
	{"unterminated OSC", "\x1b]0;never ends"},
	{"unterminated CSI", "\x1b[12;"},
	{"lone ESC at end", "\x1b"},
}

// hasControl reports whether s holds any byte or rune a terminal would act on.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' || r == 0x7f || r >= 0x80 && r <= 0x9f {
			return true
		}
	}
	return false
}

func TestSanitizeHostile(t *testing.T) {
	for _, h := range hostile {
		for _, in := range []string{h.seq, "before " + h.seq + " after", h.seq + h.seq} {
			out := sources.Sanitize(in)
			if hasControl(out) {
				t.Errorf("%s: Sanitize(%q) = %q still holds controls", h.name, in, out)
			}
			if !utf8.ValidString(out) {
				t.Errorf("%s: Sanitize(%q) is not valid UTF-8", h.name, in)
			}
			for _, payload := range []string{"pwned", "Y3VybCBldmlsLnNoIHwgc2g=", "ZXZpbA==", "http://evil"} {
				if strings.Contains(in, payload) && strings.Contains(out, payload) {
					t.Errorf("%s: payload %q survived: %q", h.name, payload, out)
				}
			}
		}
	}
	if got := sources.Sanitize("before \x1b[31mred\x1b[0m after"); got != "before red after" {
		t.Errorf("text around an SGR lost: %q", got)
	}
}

func TestParseHostileLines(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	for _, h := range hostile {
		lines := []string{
			"2026-11-27T07:00:00Z ERROR " + h.seq + " plain",
			`level=warn msg="` + h.seq + `" service=a` + h.seq,
			`{"msg":"` + h.seq + `","service":"s` + h.seq + `","level":"error"}`,
			// JSON-escaped: the sequence appears only after unescaping.
			`{"msg":"x\u001b]52;c;ZXZpbA==\u0007y","trace_id":"\u001b[2J","k":"\u009b2J"}`,
			// Inside a container runtime's wrapper.
			`{"log":"{\"msg\":\"\u001b]0;t\u0007\"}` + h.seq + `\n","stream":"stdout","time":"2026-11-27T07:00:00Z"}`,
			"2026-11-27T07:00:00Z stdout F " + h.seq + ` {"msg":"` + h.seq + `"}`,
		}
		for _, l := range lines {
			r := p.Parse([]byte(l), readAt)
			check := []string{r.Raw, r.Msg, r.Service, r.TraceID, r.SpanID}
			for k, v := range r.Fields.All() {
				check = append(check, k, v)
			}
			for _, s := range check {
				if hasControl(strings.ReplaceAll(s, "\n", "")) || !utf8.ValidString(s) {
					t.Errorf("%s: parsed %q kept a control: %q", h.name, l, s)
				}
			}
		}
	}
}

func TestParseGarbage(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 4096)
	for i := 0; i < 2000; i++ {
		n := rng.IntN(len(buf))
		for j := range buf[:n] {
			buf[j] = byte(rng.UintN(256))
		}
		if i%3 == 0 && n > 0 {
			buf[0] = '{' // push it down the JSON path
		}
		r := p.Parse(buf[:n], readAt)
		if !utf8.ValidString(r.Raw) || hasControl(strings.ReplaceAll(r.Raw, "\n", "")) {
			t.Fatalf("garbage produced unsafe Raw %q", r.Raw)
		}
		if r.At.IsZero() {
			t.Fatal("no time")
		}
	}
	// Invalid UTF-8 becomes U+FFFD.
	r := p.Parse([]byte("bad \xff\xfe utf8 \xc3"), readAt)
	if r.Raw != "bad \uFFFD\uFFFD utf8 \uFFFD" {
		t.Errorf("invalid UTF-8: %q", r.Raw)
	}
}

func TestParseUnexpectedJSONTypes(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	cases := []string{
		`{"level":true,"time":{"a":1},"msg":123,"trace_id":456,"service":["a"],"span_id":null}`,
		`{"level":null,"time":[1,2],"msg":null}`,
		`{"time":"","level":"","msg":""}`,
		`{"time":-1e400,"level":1e999}`,
		`{"a":{"b":{"c":{"d":{"e":{"f":{"g":{"h":{"i":{"j":1}}}}}}}}}}`,
		`{"":"empty key","\u0000":"nul key"}`,
		`{"dup":1,"dup":2}`,
		`[1,2,3]`,
		`{"unterminated":"`,
		`{"a":1}trailing`,
		`{"a":tru}`,
		`{"a":-}`,
		`{"a":"\ud800"}`,
		`{"a":"\uZZZZ"}`,
		strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
		strings.Repeat(`[`, 100000),
	}
	for _, c := range cases {
		r := p.Parse([]byte(c), readAt)
		if !r.At.Equal(readAt) {
			t.Errorf("%.60s: time %v, want the read time", c, r.At)
		}
		if !utf8.ValidString(r.Raw) {
			t.Errorf("%.60s: invalid UTF-8", c)
		}
	}
	r := p.Parse([]byte(cases[0]), readAt)
	if r.Msg != "123" || r.TraceID != "456" || r.Level != sources.LevelUnknown {
		t.Errorf("numbers where strings were expected: %s", describe(r))
	}
	r = p.Parse([]byte(cases[4]), readAt)
	if r.Fields.Len() != 1 {
		t.Errorf("deep nesting: %s", describe(r))
	}
	for k, v := range r.Fields.All() {
		if strings.Count(k, ".") != maxDepth-1 || !strings.HasPrefix(v, "{") {
			t.Errorf("deep nesting kept as %q=%q", k, v)
		}
	}
	// Too many fields: bounded.
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + `_` + itoa(i) + `":1`)
	}
	b.WriteString("}")
	if r := p.Parse([]byte(b.String()), readAt); r.Fields.Len() > DefaultMaxFields {
		t.Errorf("%d fields kept, bound is %d", r.Fields.Len(), DefaultMaxFields)
	}
}

func itoa(i int) string {
	return string(bytes.TrimLeft([]byte{byte('0' + i/100%10), byte('0' + i/10%10), byte('0' + i%10)}, "0"))
}

func TestLongLineCut(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	long := bytes.Repeat([]byte("x"), 1<<20)
	r := p.Parse(long, readAt)
	if !strings.HasSuffix(r.Raw, "…[cut 960 KB]") || len(r.Raw) > DefaultMaxLine+32 {
		t.Errorf("1 MB line: len %d, ends %q", len(r.Raw), r.Raw[max(0, len(r.Raw)-20):])
	}
	// A long JSON line is cut too (and read as text, not trusted as JSON).
	j := append([]byte(`{"level":"error","msg":"`), long...)
	j = append(j, `"}`...)
	r = p.Parse(j, readAt)
	if !strings.Contains(r.Raw, "…[cut") || len(r.Raw) > DefaultMaxLine+32 {
		t.Errorf("1 MB JSON line: len %d", len(r.Raw))
	}
	// A cut never splits a UTF-8 sequence.
	e := bytes.Repeat([]byte("é"), DefaultMaxLine) // 2 bytes each
	e = append([]byte("x"), e...)
	r = p.Parse(e, readAt)
	if !utf8.ValidString(r.Raw) || strings.ContainsRune(r.Raw, utf8.RuneError) {
		t.Error("cut split a rune")
	}
}

func TestSplitter(t *testing.T) {
	var got []string
	var cuts []int64
	s := newSplitter(8)
	fn := func(l []byte, cut int64) { got = append(got, string(l)); cuts = append(cuts, cut) }
	s.feed([]byte("ab\ncd"), fn)
	s.feed([]byte("ef\n0123456789abc"), fn)
	s.feed([]byte("def\nshort\n"), fn)
	s.feed([]byte("tail"), fn)
	s.flush(fn)
	want := []string{"ab", "cdef", "01234567", "short", "tail"}
	wantCut := []int64{0, 0, 8, 0, 0}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("lines %q, want %q", got, want)
	}
	for i := range wantCut {
		if cuts[i] != wantCut[i] {
			t.Errorf("cut[%d] = %d, want %d", i, cuts[i], wantCut[i])
		}
	}
	// After a gap the partial line and the next line's tail are dropped.
	got = nil
	s.feed([]byte("partial"), fn)
	s.gap()
	s.feed([]byte("rest of a line\nnext\n"), fn)
	if strings.Join(got, "|") != "next" || s.skipped != 1 {
		t.Errorf("after gap: %q, skipped %d", got, s.skipped)
	}
}

func TestPumpWaits(t *testing.T) {
	// A pump of 100 bytes takes nine 11-byte chunks, then a push has to wait
	// (a cancelled context says so instead of waiting) until the parser
	// takes the queue; nothing is dropped.
	p := newPump(100)
	line := []byte("0123456789\n")
	for i := 0; i < 9; i++ {
		if !p.push(context.Background(), append([]byte(nil), line...), readAt) {
			t.Fatalf("push %d refused with room left", i)
		}
	}
	done, cancel := context.WithCancel(context.Background())
	cancel()
	if p.push(done, append([]byte(nil), line...), readAt) {
		t.Fatal("a full pump took a tenth chunk instead of waiting")
	}
	cs, eof, _ := p.take()
	if len(cs) != 9 || eof {
		t.Fatalf("took %d chunks (eof %v), want 9", len(cs), eof)
	}
	if !p.push(done, append([]byte(nil), line...), readAt) {
		t.Fatal("an empty pump refused a chunk")
	}
	// A chunk larger than the bound still goes through, alone.
	p.take()
	if !p.push(done, make([]byte, 500), readAt) {
		t.Fatal("a chunk over the bound was refused by an empty pump")
	}
}

func TestCleanAgreesWithSanitize(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		n := rng.IntN(40)
		b := make([]byte, n)
		for j := range b {
			if rng.IntN(10) == 0 {
				b[j] = byte(rng.UintN(256))
			} else {
				b[j] = byte(0x20 + rng.UintN(0x5f))
			}
		}
		if clean(b) && sources.Sanitize(string(b)) != string(b) {
			t.Fatalf("clean(%q) but Sanitize changes it", b)
		}
		want := true
		for _, c := range b {
			if c < 0x20 || c >= 0x7f {
				want = false
			}
		}
		if clean(b) != want {
			t.Fatalf("clean(%q) = %v, want %v", b, clean(b), want)
		}
	}
}

func TestSplitterSkipsNULHoles(t *testing.T) {
	var got []string
	s := newSplitter(64)
	fn := func(l []byte, cut int64) { got = append(got, string(l)) }
	hole := make([]byte, 100_000)
	s.feed(hole, fn)
	s.feed(append(append([]byte{}, hole[:10]...), "after the hole\nnext\n"...), fn)
	if strings.Join(got, "|") != "after the hole|next" {
		t.Errorf("lines after a NUL hole: %q", got)
	}
}

func TestLongJSONLineKeepsWhatWasRead(t *testing.T) {
	// A 10 MB JSON line through a stream: the record keeps the level and the
	// fields before the cut, and says it was cut; the blob is not a field.
	big := bytes.Repeat([]byte("x"), 10<<20)
	line := append([]byte(`{"level":"error","service":"ingest","msg":"huge payload","request_id":"r-1","size":10485760,"blob":"`), big...)
	line = append(line, `","after":"lost"}`+"\n"+`{"level":"info","msg":"next"}`+"\n"...)
	c := run(t, NewStdin(bytes.NewReader(line), fastOpts))
	waitFor(t, "both lines", func() bool { return hasAll(c.msgs(), "huge payload", "next") })
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.frames[0].Logs[0]
	for _, f := range c.frames {
		for _, l := range f.Logs {
			if l.Msg == "huge payload" {
				r = l
			}
		}
	}
	if r.Level != sources.LevelError || r.Service != "ingest" || r.Fields.Value("request_id") != "r-1" || r.Fields.Value("size") != "10485760" {
		t.Errorf("cut line lost its level or fields: level %s service %q fields %v", r.Level, r.Service, r.Fields)
	}
	if _, ok := r.Fields.Get("blob"); ok {
		t.Error("the cut value was kept as if whole")
	}
	if _, ok := r.Fields.Get("after"); ok {
		t.Error("a field after the cut appeared")
	}
	if r.Fields.Value(CutField) != "9.9 MB" || !strings.HasSuffix(r.Raw, " …[cut 9.9 MB]") {
		t.Errorf("the cut is not said: %q, raw ends %q", r.Fields.Value(CutField), r.Raw[len(r.Raw)-30:])
	}
	if len(r.Raw) > DefaultMaxLine+32 {
		t.Errorf("kept %d bytes of the line", len(r.Raw))
	}
}

func TestCutLineValues(t *testing.T) {
	p := mustParser(t, ParseOptions{MaxLine: 64})
	for _, c := range []struct {
		line string
		want map[string]string
		lvl  sources.Level
	}{
		// A number the cut may have shortened is left out.
		{`{"level":"warn","a":"x","n":1234567890123456789012345678901234567890123456789}`, map[string]string{"a": "x"}, sources.LevelWarn},
		// Nested objects keep their whole values.
		{`{"level":"info","o":{"k":"v","deep":"` + strings.Repeat("y", 80) + `"}}`, map[string]string{"o.k": "v"}, sources.LevelInfo},
		// logfmt: the last value may be cut.
		{`level=error code=7 path=/v1 note=` + strings.Repeat("z", 80), map[string]string{"code": "7", "path": "/v1"}, sources.LevelError},
	} {
		r := p.Parse([]byte(c.line), readAt)
		if r.Level != c.lvl {
			t.Errorf("%.30q: level %s, want %s", c.line, r.Level, c.lvl)
		}
		for k, v := range c.want {
			if r.Fields.Value(k) != v {
				t.Errorf("%.30q: %s=%q, want %q (fields %v)", c.line, k, r.Fields.Value(k), v, r.Fields)
			}
		}
		for k := range r.Fields.All() {
			if _, ok := c.want[k]; !ok && k != CutField {
				t.Errorf("%.30q: field %s=%q should not be there", c.line, k, r.Fields.Value(k))
			}
		}
		if r.Fields.Value(CutField) == "" {
			t.Errorf("%.30q: not marked cut", c.line)
		}
	}
}
