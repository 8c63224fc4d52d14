package logs

import (
	"strings"

	"github.com/vigil-dev/vigil/sources"
)

// logfmt parses s as logfmt (key=value pairs, values bare or double-quoted).
// It accepts the line only when the first token is a pair and at least two
// pairs are found, so that prose with one "a=b" in it stays plain text.
func (st *state) logfmt(s string) bool {
	i := 0
	pairs := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		ks := i
		for i < len(s) && isKeyByte(s[i]) {
			i++
		}
		k := s[ks:i]
		if i >= len(s) || s[i] != '=' {
			// A bare key (logfmt reads it as true), or prose.
			if k == "" || pairs == 0 || i < len(s) && s[i] != ' ' && s[i] != '\t' {
				st.reset()
				return false
			}
			continue
		}
		if k == "" {
			st.reset()
			return false
		}
		i++ // '='
		vs := i
		var v string
		if i < len(s) && s[i] == '"' {
			j := jscan{s: s, i: i}
			esc, ok := j.strRaw()
			if !ok {
				st.reset()
				return false
			}
			i = j.i
			v = s[vs+1 : i-1]
			if esc {
				v = sources.Sanitize(unescape(v))
			}
		} else {
			for i < len(s) && s[i] != ' ' && s[i] != '\t' {
				i++
			}
			v = s[vs:i]
		}
		pairs++
		if st.redacted(k, lastPart(k)) {
			st.red = append(st.red, span{vs, i, false})
			v = Redacted
		}
		st.set(k, v)
	}
	if pairs < 2 {
		st.reset()
		return false
	}
	return true
}

func isKeyByte(c byte) bool {
	return c > ' ' && c != '=' && c != '"' && c < 0x7f
}

func lastPart(k string) string {
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		return k[i+1:]
	}
	return k
}
