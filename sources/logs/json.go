package logs

import (
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/vigil-dev/vigil/sources"
)

// json parses t, a suffix of st.s that starts with '{', as one JSON object,
// flattening nested objects into dotted keys. Arrays and objects nested
// deeper than maxDepth are kept as their JSON text. It reports false (and
// the caller falls back to plain text) when the line is not one valid object.
func (st *state) json(t string) bool {
	// The scanner lives in st (no pointer to st is stored anywhere) so that
	// escape analysis keeps st, a few hundred bytes, on the stack.
	st.j = jscan{s: st.s, i: len(st.s) - len(t)}
	j := &st.j
	if !st.object("", 0) {
		if st.partial {
			// A cut line: what was read before the cut stands.
			return true
		}
		st.reset()
		return false
	}
	j.ws()
	if j.i != len(j.s) && !st.partial {
		st.reset()
		return false
	}
	return true
}

// jscan is a position in a JSON text.
type jscan struct {
	s string
	i int
}

// ws passes over JSON whitespace at j.i.
func (j *jscan) ws() { j.i = skipWS(j.s, j.i) }

// skipWS returns the index of the first byte of s at or after i that is
// not JSON whitespace.
func skipWS(s string, i int) int {
	// Every whitespace byte is ≤ ' ': one comparison for the usual case.
	for i < len(s) && s[i] <= ' ' && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r') {
		i++
	}
	return i
}

// object parses {...} at st.j.i. The scan position is kept in a local
// variable (a register) and stored back around calls.
func (st *state) object(prefix string, depth int) bool {
	s, i := st.j.s, st.j.i
	if i >= len(s) || s[i] != '{' {
		return false
	}
	i = skipWS(s, i+1)
	if i < len(s) && s[i] == '}' {
		st.j.i = i + 1
		return true
	}
	for {
		i = skipWS(s, i)
		k, end, ok := readStr(s, i)
		if !ok {
			return false
		}
		i = skipWS(s, end)
		if i >= len(s) || s[i] != ':' {
			return false
		}
		i = skipWS(s, i+1)
		if i >= len(s) {
			return false
		}
		full := st.key(prefix, k)
		st.j.i = i
		if !st.value(full, k, depth) {
			return false
		}
		i = skipWS(s, st.j.i)
		if i >= len(s) {
			return false
		}
		switch s[i] {
		case ',':
			i++
		case '}':
			st.j.i = i + 1
			return true
		default:
			return false
		}
	}
}

// value parses the value of key full (last part k) at st.j.i (< len) and
// records it.
func (st *state) value(full, k string, depth int) bool {
	j := &st.j
	s, start := j.s, j.i
	if st.p.mayRedactKey(k) && st.redacted(full, k) {
		if !j.skip(0) {
			return false
		}
		st.red = append(st.red, span{start, j.i, true})
		st.set(full, Redacted)
		return true
	}
	switch c := s[start]; {
	case c == '"':
		v, end, ok := readStr(s, start)
		if !ok {
			return false
		}
		j.i = end
		st.set(full, v)
	case c == '-' || c >= '0' && c <= '9':
		end, ok := scanNumber(s, start)
		if !ok || st.partial && end == len(s) {
			return false // (a number the cut may have shortened)
		}
		j.i = end
		st.set(full, s[start:end])
	case c == '{':
		if depth+1 < maxDepth {
			return st.object(full, depth+1)
		}
		if !j.skip(0) {
			return false
		}
		st.set(full, s[start:j.i])
	case c == '[':
		if !j.skip(0) {
			return false
		}
		st.set(full, s[start:j.i])
	case c == 't':
		if !strings.HasPrefix(s[start:], "true") {
			return false
		}
		j.i += 4
		st.set(full, "true")
	case c == 'f':
		if !strings.HasPrefix(s[start:], "false") {
			return false
		}
		j.i += 5
		st.set(full, "false")
	case c == 'n':
		if !strings.HasPrefix(s[start:], "null") {
			return false
		}
		j.i += 4 // null: the field is absent
	default:
		return false
	}
	return true
}

func (j *jscan) number() bool {
	end, ok := scanNumber(j.s, j.i)
	j.i = end
	return ok
}

// scanNumber passes over a JSON number's bytes at i (leniently: digits,
// '.', 'e', 'E', '+', '-', at least one digit) and returns where it ends.
func scanNumber(s string, i int) (int, bool) {
	start := i
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			break
		}
	}
	return i, digits > 0 && i > start
}

// skip passes over one value of any kind.
func (j *jscan) skip(depth int) bool {
	if depth > 64 || j.i >= len(j.s) {
		return false
	}
	switch c := j.s[j.i]; {
	case c == '{' || c == '[':
		close := byte('}')
		if c == '[' {
			close = ']'
		}
		j.i++
		j.ws()
		if j.i < len(j.s) && j.s[j.i] == close {
			j.i++
			return true
		}
		for {
			j.ws()
			if c == '{' {
				if _, ok := j.str(); !ok {
					return false
				}
				j.ws()
				if j.i >= len(j.s) || j.s[j.i] != ':' {
					return false
				}
				j.i++
				j.ws()
			}
			if !j.skip(depth + 1) {
				return false
			}
			j.ws()
			if j.i >= len(j.s) {
				return false
			}
			if j.s[j.i] == ',' {
				j.i++
				continue
			}
			if j.s[j.i] == close {
				j.i++
				return true
			}
			return false
		}
	case c == '"':
		_, ok := j.strRaw()
		return ok
	case c == 't':
		if strings.HasPrefix(j.s[j.i:], "true") {
			j.i += 4
			return true
		}
	case c == 'f':
		if strings.HasPrefix(j.s[j.i:], "false") {
			j.i += 5
			return true
		}
	case c == 'n':
		if strings.HasPrefix(j.s[j.i:], "null") {
			j.i += 4
			return true
		}
	case c == '-' || c >= '0' && c <= '9':
		return j.number()
	}
	return false
}

// strRaw passes over a string at j.i and reports whether it held escapes.
func (j *jscan) strRaw() (escaped bool, ok bool) {
	end, esc, ok := scanStr(j.s, j.i)
	j.i = end
	return esc, ok
}

// scanStr passes over a string at i and returns the index after its closing
// quote and whether it held escapes. The closing quote or the first
// backslash is found eight bytes at a time; only a string with a backslash
// is walked byte by byte after it. On failure the index is len(s) or past.
func scanStr(s string, i int) (end int, escaped bool, ok bool) {
	if i >= len(s) || s[i] != '"' {
		return i, false, false
	}
	i++
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if m := eq(x, '"') | eq(x, '\\'); m != 0 {
			i += bits.TrailingZeros64(m) / 8
			break
		}
	}
	for ; i < len(s) && s[i] != '"' && s[i] != '\\'; i++ {
	}
	if i >= len(s) {
		return len(s), false, false
	}
	if s[i] == '"' {
		return i + 1, false, true
	}
	for i < len(s) {
		switch s[i] {
		case '"':
			return i + 1, true, true
		case '\\':
			i += 2
			continue
		}
		i++
	}
	return i, true, false
}

// str reads a string at j.i: a substring of the line when it holds no
// escapes, else its unescaped (and re-sanitized) text.
func (j *jscan) str() (string, bool) {
	v, end, ok := readStr(j.s, j.i)
	j.i = end
	return v, ok
}

// readStr reads a string at i and returns it and the index after it: a
// substring of s when it holds no escapes, else its unescaped (and
// re-sanitized) text.
func readStr(s string, i int) (string, int, bool) {
	end, esc, ok := scanStr(s, i)
	if !ok {
		return "", end, false
	}
	v := s[i+1 : end-1]
	if esc {
		v = sources.Sanitize(unescape(v))
	}
	return v, end, true
}

// unescape decodes JSON string escapes; malformed ones are kept as text.
func unescape(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			b.WriteByte(s[i])
		case 'b', 'f':
		case 'n':
			b.WriteByte('\n')
		case 'r':
		case 't':
			b.WriteByte('\t')
		case 'u':
			if i+4 >= len(s) {
				b.WriteString(`\u`)
				continue
			}
			r, err := strconv.ParseUint(s[i+1:i+5], 16, 32)
			if err != nil {
				b.WriteString(`\u`)
				continue
			}
			i += 4
			ru := rune(r)
			if utf16.IsSurrogate(ru) && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if r2, err := strconv.ParseUint(s[i+3:i+7], 16, 32); err == nil {
					if d := utf16.DecodeRune(ru, rune(r2)); d != utf8.RuneError {
						ru = d
						i += 6
					}
				}
			}
			b.WriteRune(ru)
		default:
			b.WriteByte('\\')
			b.WriteByte(s[i])
		}
	}
	return b.String()
}
