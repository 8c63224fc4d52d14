package logs

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseTime reads a whole timestamp value in the common formats: RFC 3339
// (with or without fraction and zone, 'T' or space, '.' or ',' before the
// fraction: Python's logging default "2006-01-02 15:04:05,000"), Go's log
// default "2006/01/02 15:04:05[.000000]", epoch seconds, milliseconds,
// microseconds or nanoseconds (told apart by magnitude), RFC 1123 and the
// common access-log form. Times without a zone are read in loc.
func ParseTime(v string, loc *time.Location) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	if t, n, ok := parseISOPrefix(v, loc); ok && n == len(v) {
		return t, true
	}
	if c := v[0]; c >= '0' && c <= '9' || c == '-' {
		if t, ok := parseEpoch(v, 0); ok {
			return t, true
		}
	}
	for _, f := range []string{time.RFC1123Z, time.RFC1123, time.RFC850, time.ANSIC, "02/Jan/2006:15:04:05 -0700"} {
		if t, err := time.ParseInLocation(f, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseEpoch reads a number as epoch time. unit is the nanoseconds in one
// unit of v, or 0 to tell seconds, ms, µs and ns apart by magnitude.
func parseEpoch(v string, unit float64) (time.Time, bool) {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		if unit == 0 {
			unit = epochUnit(math.Abs(float64(i)))
		}
		switch unit {
		case 1:
			return time.Unix(0, i), true
		case 1e3:
			return time.UnixMicro(i), true
		case 1e6:
			return time.UnixMilli(i), true
		}
		return time.Unix(i, 0), true
	}
	if dot := strings.IndexByte(v, '.'); dot > 0 && !strings.ContainsAny(v, "eE") {
		// Decimal text: exact to the nanosecond, unlike a float64.
		ip, err1 := strconv.ParseInt(v[:dot], 10, 64)
		fr := v[dot+1:]
		if err1 == nil && len(fr) > 0 && len(fr) <= 18 {
			if _, err := strconv.ParseUint(fr, 10, 64); err == nil {
				u := unit
				if u == 0 {
					u = epochUnit(math.Abs(float64(ip)))
				}
				if ns, ok := scaleEpoch(ip, fr, int64(u)); ok {
					return time.Unix(0, ns), true
				}
			}
		}
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return time.Time{}, false
	}
	if unit == 0 {
		unit = epochUnit(math.Abs(f))
	}
	ns := f * unit
	if math.Abs(ns) > 9e18 {
		return time.Time{}, false
	}
	sec := math.Floor(ns / 1e9)
	return time.Unix(int64(sec), int64(ns-sec*1e9)), true
}

// scaleEpoch returns ip.fr units in nanoseconds.
func scaleEpoch(ip int64, fr string, unit int64) (int64, bool) {
	if ip > math.MaxInt64/unit || ip < math.MinInt64/unit {
		return 0, false
	}
	ns := ip * unit
	var frac int64
	scale := unit
	for i := 0; i < len(fr) && scale > 1; i++ {
		scale /= 10
		frac += int64(fr[i]-'0') * scale
	}
	if ip < 0 {
		frac = -frac
	}
	return ns + frac, true
}

func epochUnit(a float64) float64 {
	switch {
	case a < 1e11: // seconds until the year 5138
		return 1e9
	case a < 1e14:
		return 1e6
	case a < 1e17:
		return 1e3
	}
	return 1
}

func digits(s string, i, n int) (int, bool) {
	if i+n > len(s) {
		return 0, false
	}
	v := 0
	for k := i; k < i+n; k++ {
		c := s[k]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// parseISOPrefix reads an ISO-like timestamp at the start of s and returns
// how many bytes it used: YYYY-MM-DD or YYYY/MM/DD, 'T' or ' ', HH:MM:SS,
// an optional fraction after '.' or ',', and an optional zone (Z, ±hh:mm,
// ±hhmm, ±hh, " UTC").
func parseISOPrefix(s string, loc *time.Location) (time.Time, int, bool) {
	if len(s) < 19 {
		return time.Time{}, 0, false
	}
	y, ok1 := digits(s, 0, 4)
	mo, ok2 := digits(s, 5, 2)
	d, ok3 := digits(s, 8, 2)
	sep := s[4]
	if !ok1 || !ok2 || !ok3 || (sep != '-' && sep != '/') || s[7] != sep || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') {
		return time.Time{}, 0, false
	}
	h, ok4 := digits(s, 11, 2)
	mi, ok5 := digits(s, 14, 2)
	se, ok6 := digits(s, 17, 2)
	if !ok4 || !ok5 || !ok6 || s[13] != ':' || s[16] != ':' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 {
		return time.Time{}, 0, false
	}
	i := 19
	ns := 0
	if i < len(s) && (s[i] == '.' || s[i] == ',') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9' {
		i++
		scale := 100_000_000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			ns += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	zone := loc
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z'):
		zone = time.UTC
		i++
	case i < len(s) && (s[i] == '+' || s[i] == '-'):
		zh, ok := digits(s, i+1, 2)
		if !ok {
			break
		}
		n := 3
		zm := 0
		if i+n < len(s) && s[i+n] == ':' {
			if m, ok := digits(s, i+n+1, 2); ok {
				zm, n = m, n+3
			}
		} else if m, ok := digits(s, i+n, 2); ok {
			zm, n = m, n+2
		}
		off := zh*3600 + zm*60
		if s[i] == '-' {
			off = -off
		}
		zone = time.FixedZone("", off)
		i += n
	case strings.HasPrefix(s[i:], " UTC"):
		zone = time.UTC
		i += 4
	}
	return time.Date(y, time.Month(mo), d, h, mi, se, ns, zone), i, true
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// parseSyslogPrefix reads "Jan _2 15:04:05" at the start of s; the year is
// the one of ref (or the one before, when that would put it in the future).
func parseSyslogPrefix(s string, ref time.Time, loc *time.Location) (time.Time, int, bool) {
	if len(s) < 15 || s[3] != ' ' {
		return time.Time{}, 0, false
	}
	mo := 0
	for k, m := range months {
		if s[:3] == m {
			mo = k + 1
		}
	}
	if mo == 0 {
		return time.Time{}, 0, false
	}
	ds := strings.TrimLeft(s[4:6], " ")
	d, err := strconv.Atoi(ds)
	if err != nil || s[6] != ' ' {
		return time.Time{}, 0, false
	}
	h, ok1 := digits(s, 7, 2)
	mi, ok2 := digits(s, 10, 2)
	se, ok3 := digits(s, 13, 2)
	if !ok1 || !ok2 || !ok3 || s[9] != ':' || s[12] != ':' {
		return time.Time{}, 0, false
	}
	return withYear(ref, time.Month(mo), d, h, mi, se, 0, loc), 15, true
}

// parseKlogPrefix reads klog/glog's "I1127 07:25:40.123456" at the start of
// s: the level letter, month and day, time with microseconds.
func parseKlogPrefix(s string, ref time.Time, loc *time.Location) (time.Time, byte, int, bool) {
	if len(s) < 14 || strings.IndexByte("IWEF", s[0]) < 0 || s[5] != ' ' {
		return time.Time{}, 0, 0, false
	}
	mo, ok1 := digits(s, 1, 2)
	d, ok2 := digits(s, 3, 2)
	h, ok3 := digits(s, 6, 2)
	mi, ok4 := digits(s, 9, 2)
	se, ok5 := digits(s, 12, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || s[8] != ':' || s[11] != ':' || mo < 1 || mo > 12 {
		return time.Time{}, 0, 0, false
	}
	i := 14
	ns := 0
	if i < len(s) && s[i] == '.' {
		i++
		scale := 100_000_000
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			ns += int(s[i]-'0') * scale
			scale /= 10
			i++
		}
	}
	return withYear(ref, time.Month(mo), d, h, mi, se, ns, loc), s[0], i, true
}

func withYear(ref time.Time, mo time.Month, d, h, mi, se, ns int, loc *time.Location) time.Time {
	y := ref.Year()
	t := time.Date(y, mo, d, h, mi, se, ns, loc)
	if !ref.IsZero() && t.Sub(ref) > 24*time.Hour {
		t = time.Date(y-1, mo, d, h, mi, se, ns, loc)
	}
	return t
}
