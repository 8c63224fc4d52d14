package logs

import (
	"math/bits"
	"strings"

	"github.com/vigil-dev/vigil/sources"
)

// logfmt parses s from i on as logfmt (key=value pairs, values bare or
// double-quoted). It accepts the line only when the first token is a pair
// and at least two pairs are found, so that prose with one "a=b" in it
// stays plain text. Of a cut line (st.partial) the last value, which the
// cut may have shortened, is left out.
func (st *state) logfmt(s string, i int) bool {
	pairs := 0
	for {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		if i >= len(s) {
			break
		}
		ks := i
		i = keyEnd(s, i)
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
				if st.partial && pairs >= 2 {
					return true // the cut fell inside this value
				}
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
			if st.partial && i == len(s) {
				break
			}
		}
		pairs++
		if st.p.mayRedactKey(k) && st.redacted(k, lastPart(k)) {
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

const (
	ones  = 0x0101010101010101 // a 1 in each byte of a word
	highs = 0x8080808080808080 // the high bit of each byte of a word
)

// load64 reads s[i:i+8] as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// eq has the high bit of each byte of x equal to c set, exactly for the
// lowest such byte (a borrow runs only upwards from a matching byte, so
// bytes above one may be marked too).
func eq(x uint64, c byte) uint64 {
	y := x ^ uint64(c)*ones
	return (y - ones) &^ y & highs
}

// blank returns the index of the first space or tab of s at or after i, or
// len(s); eight bytes a step.
func blank(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		if m := eq(x, ' ') | eq(x, '\t'); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && s[i] != ' ' && s[i] != '\t'; i++ {
	}
	return i
}

// keyEnd returns the index of the first byte of s at or after i that is not
// a key byte (isKeyByte), or len(s); eight bytes a step.
func keyEnd(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		x := load64(s, i)
		// x-0x21 marks bytes < 0x21, x+1 marks 0x7f, x marks ≥ 0x80; a carry
		// or borrow starts only at a marked byte, so the lowest is exact.
		if m := ((x-0x21*ones)|(x+ones)|x)&highs | eq(x, '=') | eq(x, '"'); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(s) && isKeyByte(s[i]); i++ {
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
