package logs

import (
	"math/bits"
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
		dot := -1 // the last '.' of the key, for its last part
		for i < len(s) && isKeyByte(s[i]) {
			if s[i] == '.' {
				dot = i
			}
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
			i = blank(s, i)
			v = s[vs:i]
		}
		pairs++
		last := k
		if dot >= 0 {
			last = s[dot+1 : ks+len(k)]
		}
		if st.redacted(k, last) {
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

// blank returns the index of the first space or tab of s at or after i, or
// len(s); eight bytes a step.
func blank(s string, i int) int {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		sp := x ^ ' '*ones
		tb := x ^ '\t'*ones
		// The lowest set bit marks the first match exactly.
		if m := ((sp-ones)&^sp | (tb-ones)&^tb) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && s[i] != ' ' && s[i] != '\t'; i++ {
	}
	return i
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
