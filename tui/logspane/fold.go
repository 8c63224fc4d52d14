package logspane

import (
	"encoding/binary"
	"math/bits"
	"strings"
)

// Word-at-a-time helpers: a uint64 holds eight bytes of text.
const (
	ones  = 0x0101010101010101 // a 1 in each byte
	highs = 0x8080808080808080 // the high bit of each byte
	lows  = 0x7f7f7f7f7f7f7f7f // the other bits of each byte
)

// load64 reads s[i:i+8] as a little-endian word.
func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// zeroBytes has the high bit of each zero byte of y set and no other bit
// (no carry crosses bytes: 0x7f+0x7f < 0x100).
func zeroBytes(y uint64) uint64 {
	return ^((y&lows + lows) | y | lows)
}

// foldNeedle finds an ASCII lower-case needle in text ignoring ASCII case.
// It compares the needle's first and last bytes at eight positions a step
// (a letter's two cases differ only in bit 0x20, so OR-ing 0x20 into the
// text folds them; other bytes are compared exactly) and checks the whole
// needle only where both agree.
type foldNeedle struct {
	lower  string // the needle, ASCII lower case
	c1, c2 uint64 // its first and last byte in every byte of a word
	f1, f2 uint64 // 0x20 in every byte when that byte is a letter, else 0
	// unicode: the needle holds 's' or 'k', which Unicode case folding
	// (regexp's (?i)) also matches to 'ſ' (U+017F) and 'K' (U+212A): on
	// text with bytes ≥ 0x80 an ASCII miss proves nothing.
	unicode bool
	touched byte // see in; like the filter's buffer, one goroutine at a time
}

// newFoldNeedle prepares lower, which must be ASCII and lower case.
func newFoldNeedle(lower string) foldNeedle {
	n := foldNeedle{lower: lower, unicode: strings.ContainsAny(lower, "sk")}
	if lower == "" {
		return n
	}
	fold := func(c byte) uint64 {
		if c >= 'a' && c <= 'z' {
			return 0x20 * ones
		}
		return 0
	}
	a, b := lower[0], lower[len(lower)-1]
	n.c1, n.c2 = uint64(a)*ones, uint64(b)*ones
	n.f1, n.f2 = fold(a), fold(b)
	return n
}

// in reports whether s contains the needle, ignoring ASCII case.
func (n *foldNeedle) in(s string) bool {
	m := len(n.lower)
	if m == 0 {
		return true
	}
	if m > len(s) {
		return false
	}
	last := m - 1
	// Touch each cache line of s first: the loads are independent, so a
	// line cold in memory costs about one miss, not one per 64 bytes.
	var t byte
	for q := 64; q < len(s); q += 64 {
		t |= s[q]
	}
	n.touched = t // kept, so that the loads are not optimised away
	p := 0
	// Start positions p..p+7 all have room for the needle: p+7+m ≤ len(s).
	for ; p+last+8 <= len(s); p += 8 {
		a := load64(s, p) | n.f1
		b := load64(s, p+last) | n.f2
		for hit := zeroBytes(a^n.c1) & zeroBytes(b^n.c2); hit != 0; hit &= hit - 1 {
			q := p + bits.TrailingZeros64(hit)/8
			if equalFoldASCII(s[q:q+m], n.lower) {
				return true
			}
		}
	}
	c1, c2, f1, f2 := byte(n.c1), byte(n.c2), byte(n.f1), byte(n.f2)
	for ; p+m <= len(s); p++ {
		if s[p]|f1 == c1 && s[p+last]|f2 == c2 && equalFoldASCII(s[p:p+m], n.lower) {
			return true
		}
	}
	return false
}

// lowerASCII returns s lower-cased in buf (reused), eight bytes a step, and
// false when s is not ASCII (then the regexp must read s itself: Unicode
// lower-casing is not case folding).
func lowerASCII(buf []byte, s string) ([]byte, bool) {
	b := append(buf[:0], s...)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&highs != 0 {
			return b, false
		}
		// With every byte < 0x80 no sum carries out of its byte: the high
		// bit of x+(0x80-'A') says ≥ 'A', that of x+(0x7f-'Z') says > 'Z'.
		up := (x + (0x80-'A')*ones) &^ (x + (0x7f-'Z')*ones) & highs
		binary.LittleEndian.PutUint64(b[i:], x|up>>2)
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= 0x80 {
			return b, false
		}
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return b, true
}
