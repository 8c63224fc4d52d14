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
		st.reset()
		return false
	}
	j.ws()
	if j.i != len(j.s) {
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
func (j *jscan) ws() {
	for j.i < len(j.s) {
		// Every whitespace byte is ≤ ' ': one comparison for the usual case.
		if c := j.s[j.i]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		j.i++
	}
}

// object parses {...} at st.j.i.
func (st *state) object(prefix string, depth int) bool {
	j := &st.j
	if j.i >= len(j.s) || j.s[j.i] != '{' {
		return false
	}
	j.i++
	j.ws()
	if j.i < len(j.s) && j.s[j.i] == '}' {
		j.i++
		return true
	}
	for {
		j.ws()
		k, ok := j.str()
		if !ok {
			return false
		}
		j.ws()
		if j.i >= len(j.s) || j.s[j.i] != ':' {
			return false
		}
		j.i++
		j.ws()
		if j.i >= len(j.s) {
			return false
		}
		full := st.key(prefix, k)
		if !st.value(full, k, depth) {
			return false
		}
		j.ws()
		if j.i >= len(j.s) {
			return false
		}
		switch j.s[j.i] {
		case ',':
			j.i++
		case '}':
			j.i++
			return true
		default:
			return false
		}
	}
}

// value parses the value of key full (last part k) at st.j.i and records it.
func (st *state) value(full, k string, depth int) bool {
	j := &st.j
	start := j.i
	if st.redacted(full, k) {
		if !j.skip(0) {
			return false
		}
		st.red = append(st.red, span{start, j.i, true})
		st.set(full, Redacted)
		return true
	}
	switch c := j.s[j.i]; {
	case c == '{':
		if depth+1 < maxDepth {
			return st.object(full, depth+1)
		}
		if !j.skip(0) {
			return false
		}
		st.set(full, j.s[start:j.i])
	case c == '[':
		if !j.skip(0) {
			return false
		}
		st.set(full, j.s[start:j.i])
	case c == '"':
		v, ok := j.str()
		if !ok {
			return false
		}
		st.set(full, v)
	case c == 't':
		if !strings.HasPrefix(j.s[j.i:], "true") {
			return false
		}
		j.i += 4
		st.set(full, "true")
	case c == 'f':
		if !strings.HasPrefix(j.s[j.i:], "false") {
			return false
		}
		j.i += 5
		st.set(full, "false")
	case c == 'n':
		if !strings.HasPrefix(j.s[j.i:], "null") {
			return false
		}
		j.i += 4 // null: the field is absent
	case c == '-' || c >= '0' && c <= '9':
		if !j.number() {
			return false
		}
		st.set(full, j.s[start:j.i])
	default:
		return false
	}
	return true
}

func (j *jscan) number() bool {
	start := j.i
	if j.i < len(j.s) && j.s[j.i] == '-' {
		j.i++
	}
	digits := 0
	for j.i < len(j.s) {
		c := j.s[j.i]
		if c >= '0' && c <= '9' {
			digits++
		} else if c != '.' && c != 'e' && c != 'E' && c != '+' && c != '-' {
			break
		}
		j.i++
	}
	return digits > 0 && j.i > start
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
// The closing quote or the first backslash is found eight bytes at a time;
// only a string with a backslash is walked byte by byte after it.
func (j *jscan) strRaw() (escaped bool, ok bool) {
	s := j.s
	if j.i >= len(s) || s[j.i] != '"' {
		return false, false
	}
	i := j.i + 1
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
		j.i = len(s)
		return false, false
	}
	if s[i] == '"' {
		j.i = i + 1
		return false, true
	}
	for i < len(s) {
		switch s[i] {
		case '"':
			j.i = i + 1
			return true, true
		case '\\':
			i += 2
			continue
		}
		i++
	}
	j.i = len(s)
	return true, false
}

// str reads a string at j.i: a substring of the line when it holds no
// escapes, else its unescaped (and re-sanitized) text.
func (j *jscan) str() (string, bool) {
	start := j.i
	esc, ok := j.strRaw()
	if !ok {
		return "", false
	}
	if !esc {
		return j.s[start+1 : j.i-1], true
	}
	return sources.Sanitize(unescape(j.s[start+1 : j.i-1])), true
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
