package drift

import (
	"math"
	"slices"
)

// Sort sorts x in increasing order. Above a few hundred values it uses an LSD
// radix sort on order-preserving IEEE-754 bit patterns, O(n) with one
// scratch slice of len(x), faster than a comparison sort for the 10⁴–10⁶
// values a reference holds; −0 sorts before +0. x must not
// contain NaN (the result is then unspecified); filter it first.
func Sort(x []float64) {
	if len(x) < 256 {
		slices.Sort(x)
		return
	}
	keys := make([]uint64, 2*len(x))
	a, b := keys[:len(x)], keys[len(x):]
	// Passes over bytes 2…7 (the low 16 bits of the mantissa are left to
	// a final insertion pass, which finds almost nothing to do for
	// continuous data); passes where every key has the same byte (common
	// for the high bytes of data in a narrow range) are skipped.
	var count [8][256]int
	for i, v := range x {
		u := math.Float64bits(v)
		if u>>63 != 0 {
			u = ^u
		} else {
			u |= 1 << 63
		}
		a[i] = u
		for p := 2; p < 8; p++ {
			count[p][byte(u>>(8*p))]++
		}
	}
	for p := 2; p < 8; p++ {
		c := &count[p]
		shift := uint(8 * p)
		if c[byte(a[0]>>shift)] == len(a) {
			continue
		}
		sum := 0
		for i, n := range c {
			c[i] = sum
			sum += n
		}
		for _, u := range a {
			d := byte(u >> shift)
			b[c[d]] = u
			c[d]++
		}
		a, b = b, a
	}
	// Keys equal in their top 48 bits are adjacent; order them. If that
	// takes many moves (data packed into a range narrower than 2⁻³⁶ of
	// its magnitude), finish with a comparison sort instead.
	budget := 4 * len(a)
	for i := 1; i < len(a); i++ {
		u := a[i]
		j := i
		for j > 0 && a[j-1] > u {
			a[j] = a[j-1]
			j--
			budget--
		}
		a[j] = u
		if budget < 0 {
			slices.Sort(a)
			break
		}
	}
	for i, u := range a {
		if u>>63 != 0 {
			u &^= 1 << 63
		} else {
			u = ^u
		}
		x[i] = math.Float64frombits(u)
	}
}
