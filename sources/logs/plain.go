package logs

import (
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// plain parses s as free text: a leading timestamp (ISO-like, Go's log
// default, syslog, klog), a level word near the start, Python's default
// "LEVEL:logger:message", and key=value tokens anywhere in the line.
func (st *state) plain(s string) {
	rest := strings.TrimLeft(s, " \t")
	loc := st.p.loc
	// klog / glog: I1127 07:25:40.123456 ...
	if t, lv, n, ok := parseKlogPrefix(rest, st.readAt, loc); ok {
		st.rec.At, st.hasT = t, true
		st.rec.Level = sources.ParseLevel(string(lv))
		rest = strings.TrimLeft(rest[n:], " ")
		// pid and file:line] precede the message.
		if k := strings.Index(rest, "] "); k >= 0 && k < 64 {
			rest = rest[k+2:]
		}
	} else {
		r := rest
		br := len(r) > 0 && r[0] == '['
		if br {
			r = r[1:]
		}
		t, n, ok := parseISOPrefix(r, loc)
		syslog := false
		if !ok {
			t, n, ok = parseSyslogPrefix(r, st.readAt, loc)
			syslog = ok
		}
		if ok {
			st.rec.At, st.hasT = t, true
			r = r[n:]
			if br && len(r) > 0 && r[0] == ']' {
				r = r[1:]
			}
			rest = r
			if syslog {
				st.syslogTag(strings.TrimLeft(rest, " "))
			}
		}
	}
	if !st.hasT {
		st.accessLog(s)
	}
	if !st.hasT {
		if t, ok := keyedTime(rest, loc); ok {
			st.rec.At, st.hasT = t, true
		}
	}
	rest = strings.TrimLeft(rest, " \t-|:")
	// Python's common "%(asctime)s - %(name)s - %(levelname)s - %(message)s".
	if st.hasT && st.rec.Level == sources.LevelUnknown {
		if i := strings.Index(rest, " - "); i > 0 && i < 64 && !strings.ContainsAny(rest[:i], " \t") {
			if lv, n := leadingLevel(rest[i+3:]); lv != sources.LevelUnknown && strings.HasPrefix(rest[i+3+n:], " - ") {
				st.set("logger", rest[:i])
				st.rec.Level = lv
				rest = rest[i+3+n+3:]
			}
		}
	}
	if st.rec.Level == sources.LevelUnknown {
		if lv, n := leadingLevel(rest); lv != sources.LevelUnknown {
			st.rec.Level = lv
			rest = rest[n:]
			// vLLM: "INFO 11-27 07:25:40 [engine.py:123] message".
			if !st.hasT {
				if t, k, ok := parseMonthDayPrefix(strings.TrimLeft(rest, " "), st.readAt, loc); ok {
					st.rec.At, st.hasT = t, true
					rest = strings.TrimLeft(rest, " ")[k:]
					if r := strings.TrimLeft(rest, " "); strings.HasPrefix(r, "[") {
						if e := strings.IndexByte(r, ']'); e > 0 && e < 64 {
							st.set("logger", r[1:e])
							rest = r[e+1:]
						}
					}
				}
			}
			// Python's default format: LEVEL:logger:message.
			if len(rest) > 0 && rest[0] == ':' {
				if k := strings.IndexByte(rest[1:], ':'); k > 0 && k < 64 && !strings.ContainsAny(rest[1:k+1], " \t") {
					st.set("logger", rest[1:k+1])
					rest = rest[k+2:]
				}
			}
			rest = strings.TrimLeft(rest, " \t-|:")
		} else {
			st.rec.Level = levelInText(rest)
		}
	}
	st.rec.Msg = strings.TrimSpace(rest)
	st.pairs(s)
}

// leadingLevel reads a level word (optionally in brackets) at the start of s
// and returns the bytes it used.
func leadingLevel(s string) (sources.Level, int) {
	i := 0
	br := len(s) > 0 && (s[0] == '[' || s[0] == '<' || s[0] == '(')
	if br {
		i = 1
	}
	j := i
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	if j-i < 3 || j-i > 8 {
		return sources.LevelUnknown, 0
	}
	w := s[i:j]
	if !br && strings.ToUpper(w) != w {
		// Unbracketed words must be upper case: "error" opens prose too.
		return sources.LevelUnknown, 0
	}
	lv := sources.ParseLevel(w)
	if lv == sources.LevelUnknown {
		return lv, 0
	}
	if br {
		for j < len(s) && s[j] == ' ' && j-i < 10 { // log4j pads: "[INFO ]"
			j++
		}
		if j >= len(s) || (s[j] != ']' && s[j] != '>' && s[j] != ')') {
			return sources.LevelUnknown, 0
		}
		j++
	}
	if j < len(s) && s[j] != ' ' && s[j] != ':' && s[j] != '\t' && s[j] != ']' && s[j] != '|' {
		return sources.LevelUnknown, 0
	}
	return lv, j
}

// levelInText looks for an upper-case or bracketed level word in the first
// 160 bytes of s.
func levelInText(s string) sources.Level {
	if len(s) > 160 {
		s = s[:160]
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '[' && (c < 'A' || c > 'Z') {
			continue
		}
		if i > 0 && s[i-1] != ' ' && s[i-1] != '\t' && s[i-1] != '|' && s[i-1] != ':' && s[i-1] != '-' && c != '[' {
			continue
		}
		if lv, _ := leadingLevel(s[i:]); lv != sources.LevelUnknown {
			return lv
		}
	}
	return sources.LevelUnknown
}

// pairs records key=value tokens found in free text (level=warn,
// trace_id=..., latency_ms=12).
func (st *state) pairs(s string) {
	for i := 0; i < len(s); {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		start := i
		for i < len(s) && s[i] != ' ' && s[i] != '\t' {
			i++
		}
		tok := s[start:i]
		eq := strings.IndexByte(tok, '=')
		if eq <= 0 || eq == len(tok)-1 || eq > 48 {
			continue
		}
		k := tok[:eq]
		ok := true
		for j := 0; j < len(k); j++ {
			c := k[j]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		v := strings.Trim(tok[eq+1:], `",;`)
		if st.redacted(k, lastPart(k)) {
			st.red = append(st.red, span{start + eq + 1, i, false})
			v = Redacted
		}
		if v == "" {
			continue
		}
		prevLevel := st.rec.Level
		st.set(k, v)
		if prevLevel != sources.LevelUnknown {
			st.rec.Level = prevLevel
		}
	}
}

// syslogTag reads "host prog[pid]: " after a syslog timestamp and takes prog
// as the service.
func (st *state) syslogTag(s string) {
	sp := strings.IndexByte(s, ' ')
	if sp <= 0 || sp > 64 {
		return
	}
	tag := s[sp+1:]
	end := strings.IndexAny(tag, "[: ")
	if end <= 0 || end > 48 || (tag[end] != '[' && tag[end] != ':') {
		return
	}
	st.set("host", s[:sp])
	st.rec.Service = tag[:end]
}

// parseMonthDayPrefix reads "11-27 07:25:40" (vLLM) at the start of s; the
// year is the one of ref.
func parseMonthDayPrefix(s string, ref time.Time, loc *time.Location) (time.Time, int, bool) {
	if len(s) < 14 || s[2] != '-' || s[5] != ' ' || s[8] != ':' || s[11] != ':' {
		return time.Time{}, 0, false
	}
	mo, ok1 := digits(s, 0, 2)
	d, ok2 := digits(s, 3, 2)
	h, ok3 := digits(s, 6, 2)
	mi, ok4 := digits(s, 9, 2)
	se, ok5 := digits(s, 12, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || mo < 1 || mo > 12 || d < 1 || d > 31 {
		return time.Time{}, 0, false
	}
	return withYear(ref, time.Month(mo), d, h, mi, se, 0, loc), 14, true
}

// accessLog reads the common and combined access-log formats (nginx,
// Apache): the time in brackets, the request in quotes, then the status,
// whose class gives the level (5xx error, 4xx warn, else info).
//
//	127.0.0.1 - - [27/Nov/2026:07:25:40 +0000] "POST /v1/chat HTTP/1.1" 200 612 "-" "curl/8"
func (st *state) accessLog(s string) {
	i := strings.Index(s, " [")
	if i < 0 || i > 80 || len(s) <= i+2+26 || s[i+2+26] != ']' {
		return
	}
	t, err := time.Parse("02/Jan/2006:15:04:05 -0700", s[i+2:i+2+26])
	if err != nil {
		return
	}
	st.rec.At, st.hasT = t, true
	rest := s[i+2+27:]
	if !strings.HasPrefix(rest, ` "`) {
		return
	}
	q := strings.IndexByte(rest[2:], '"')
	if q < 0 {
		return
	}
	st.set("request", rest[2:2+q])
	rest = rest[2+q+1:]
	if len(rest) >= 4 && rest[0] == ' ' {
		code := rest[1:4]
		if _, ok := digits(code, 0, 3); ok {
			st.set("status", code)
			switch code[0] {
			case '5':
				st.rec.Level = sources.LevelError
			case '4':
				st.rec.Level = sources.LevelWarn
			default:
				st.rec.Level = sources.LevelInfo
			}
		}
	}
	st.set("client", s[:strings.IndexByte(s+" ", ' ')])
}

// keyedTime reads a "Key: timestamp" line whose key ends in Date or Time,
// as apt's history.log starts each record ("Start-Date: 2026-05-01
// 10:22:33", two spaces before the time); runs of spaces in the value count
// as one.
func keyedTime(s string, loc *time.Location) (time.Time, bool) {
	c := strings.IndexByte(s, ':')
	if c < 4 || c > 32 {
		return time.Time{}, false
	}
	for i := 0; i < c; i++ {
		if b := s[i]; !(b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '-' || b == '_') {
			return time.Time{}, false
		}
	}
	k := strings.ToLower(s[:c])
	if !strings.HasSuffix(k, "date") && !strings.HasSuffix(k, "time") {
		return time.Time{}, false
	}
	v := strings.Join(strings.Fields(s[c+1:]), " ")
	return ParseTime(v, loc)
}
