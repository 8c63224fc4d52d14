package replay

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ParseAt reads a time as typed at the jump prompt (J) or after --at:
//
//	14:02, 14:02:05, 14:02:05.250   that clock time nearest to ref (in loc)
//	-10m, +30s, -1h30m, 10m ago     relative to ref; a bare 10m means ago
//	2026-11-25T14:02:05Z            RFC 3339 (fractions allowed)
//	2026-11-25 14:02[:05]           date and clock time in loc
//	1764079320, @1764079320.5       Unix epoch seconds; 13, 16 or 19 digits
//	                                are read as ms, µs or ns
//
// loc nil means time.Local.
func ParseAt(s string, ref time.Time, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.Local
	}
	in := strings.TrimSpace(s)
	if in == "" {
		return time.Time{}, errors.New("empty time")
	}
	low := strings.ToLower(in)
	if low == "now" {
		return ref, nil
	}
	// Relative.
	if rest, ok := strings.CutSuffix(low, " ago"); ok {
		d, err := time.ParseDuration(strings.TrimSpace(rest))
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("bad duration %q", rest)
		}
		return ref.Add(-d), nil
	}
	if c := low[0]; c == '-' || c == '+' || (c >= '0' && c <= '9' && strings.ContainsAny(low[len(low)-1:], "smh") && !strings.ContainsAny(low, ":T")) {
		if d, err := time.ParseDuration(low); err == nil {
			if c != '-' && c != '+' {
				d = -d // "10m": ten minutes ago, as below reads it
			}
			return ref.Add(d), nil
		}
	}
	// Epoch.
	if e := strings.TrimPrefix(in, "@"); isNumber(e) {
		return parseEpoch(e)
	}
	// Absolute with a date.
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z07:00"} {
		if t, err := time.Parse(layout, in); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02 15:04", "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, in, loc); err == nil {
			return t, nil
		}
	}
	// A clock time: the occurrence nearest to ref.
	for _, layout := range []string{"15:04:05.999999999", "15:04"} {
		c, err := time.Parse(layout, in)
		if err != nil {
			continue
		}
		r := ref.In(loc)
		best := time.Time{}
		for _, day := range []int{-1, 0, 1} {
			t := time.Date(r.Year(), r.Month(), r.Day()+day, c.Hour(), c.Minute(), c.Second(), c.Nanosecond(), loc)
			if best.IsZero() || absDur(t.Sub(ref)) < absDur(best.Sub(ref)) {
				best = t
			}
		}
		return best, nil
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (try 14:02, -10m, 2026-11-25T14:02:00Z or an epoch)", in)
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	dot := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.' && !dot:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return s != "."
}

func parseEpoch(s string) (time.Time, error) {
	whole, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad epoch %q", s)
	}
	if frac == "" {
		switch {
		case len(whole) >= 18:
			return time.Unix(0, n), nil
		case len(whole) >= 15:
			return time.UnixMicro(n), nil
		case len(whole) >= 12:
			return time.UnixMilli(n), nil
		}
	}
	if n > math.MaxInt64/int64(time.Second) {
		return time.Time{}, fmt.Errorf("epoch %q out of range", s)
	}
	ns := int64(0)
	if frac != "" {
		f, err := strconv.ParseFloat("0."+frac, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("bad epoch %q", s)
		}
		ns = int64(math.Round(f * 1e9))
	}
	return time.Unix(n, ns), nil
}
