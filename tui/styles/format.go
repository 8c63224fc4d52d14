package styles

import (
	"math"
	"strconv"

	"github.com/vigil-dev/vigil/sources/view"
)

// NA is how a missing value reads.
const NA = "n/a"

// NAText is "n/a" rendered dim.
func NAText() string { return PDim.Paint(NA) }

// Seconds formats a duration in seconds in human units: 850µs, 12.3ms, 1.20s, 3m05s.
func Seconds(s float64) string {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return NA
	}
	a := math.Abs(s)
	switch {
	case a == 0:
		return "0s"
	case a < 1e-3:
		return trim(s*1e6, 0) + "µs"
	case a < 1:
		ms := s * 1e3
		if math.Abs(ms) < 10 {
			return trim(ms, 2) + "ms"
		}
		if math.Abs(ms) < 100 {
			return trim(ms, 1) + "ms"
		}
		return trim(ms, 0) + "ms"
	case a < 60:
		if a < 10 {
			return trim(s, 2) + "s"
		}
		return trim(s, 1) + "s"
	}
	m := int(a) / 60
	sec := int(a) % 60
	if m >= 60 {
		return strconv.Itoa(m/60) + "h" + pad2(m%60) + "m"
	}
	return strconv.Itoa(m) + "m" + pad2(sec) + "s"
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

func trim(v float64, prec int) string { return strconv.FormatFloat(v, 'f', prec, 64) }

// SI formats a count or rate with k/M/G suffixes: 950, 1.2k, 34M.
func SI(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return NA
	}
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trim(v/1e9, 1) + "G"
	case a >= 1e6:
		return trim(v/1e6, 1) + "M"
	case a >= 1e4:
		return trim(v/1e3, 0) + "k"
	case a >= 1e3:
		return trim(v/1e3, 1) + "k"
	case a >= 100 || a == 0:
		return trim(v, 0)
	case a >= 10:
		return trim(v, 1)
	}
	return trim(v, 2)
}

// Percent formats a ratio 0..1 as a percentage: 0.42%, 12%, 100%.
func Percent(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return NA
	}
	p := r * 100
	a := math.Abs(p)
	switch {
	case a == 0:
		return "0%"
	case a < 1:
		return trim(p, 2) + "%"
	case a < 10:
		return trim(p, 1) + "%"
	}
	return trim(p, 0) + "%"
}

// Num formats an optional number with f, or a dim n/a.
func Num(n view.Num, f func(float64) string) string {
	if !n.OK {
		return NAText()
	}
	return f(n.V)
}

// NumPlain is Num without styling (for width computations and palette text).
func NumPlain(n view.Num, f func(float64) string) string {
	if !n.OK {
		return NA
	}
	return f(n.V)
}

// Count formats a count: whole numbers below 1000 as integers, larger ones
// with SI suffixes.
func Count(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return NA
	}
	if math.Abs(v) < 1000 {
		if r := math.Round(v); math.Abs(v-r) < 0.05 {
			return strconv.FormatFloat(r, 'f', 0, 64)
		}
		return trim(v, 1)
	}
	return SI(v)
}

// Duration formats an elapsed time in whole seconds, as every age, uptime
// and span on the console reads: 42s, 2m11s, 3h05m, 2d04h. Negative is 0s.
func Duration(seconds float64) string {
	if math.IsNaN(seconds) || math.IsInf(seconds, 0) {
		return NA
	}
	s := int64(math.Max(0, math.Round(seconds)))
	switch {
	case s < 60:
		return strconv.FormatInt(s, 10) + "s"
	case s < 3600:
		return strconv.FormatInt(s/60, 10) + "m" + pad2(int(s%60)) + "s"
	case s < 86400:
		return strconv.FormatInt(s/3600, 10) + "h" + pad2(int(s/60%60)) + "m"
	}
	return strconv.FormatInt(s/86400, 10) + "d" + pad2(int(s/3600%24)) + "h"
}

// Bytes formats a size in binary units, three digits at most: 512B, 1.5KiB,
// 980MiB, 62GiB, 1.2TiB.
func Bytes(b float64) string {
	if math.IsNaN(b) || math.IsInf(b, 0) {
		return NA
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB", "PiB"}
	v, u := b, 0
	for math.Abs(v) >= 1000 && u < len(units)-1 {
		v /= 1024
		u++
	}
	switch {
	case u == 0 || math.Abs(v) >= 100:
		return trim(v, 0) + units[u]
	case math.Abs(v) >= 10:
		return trim(v, 0) + units[u]
	}
	return trim(v, 1) + units[u]
}
