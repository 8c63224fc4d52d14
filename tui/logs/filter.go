package logs

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/sources"
	logsrc "github.com/vigil-dev/vigil/sources/logs"
)

// filter is a compiled logs filter: field conditions (service=api,
// level>=warn, latency_ms>500, msg=~timeout) and a case-insensitive regex
// over the raw line, inverted by a leading "!". Tokens that are not
// conditions form the regex, joined by single spaces.
type filter struct {
	expr   string
	conds  []cond
	re     *regexp.Regexp
	lit    string // the regex when it is a plain ASCII literal: matched without regexp
	invert bool
}

type cond struct {
	field string
	op    string
	val   string
	num   float64
	isNum bool
	level sources.Level
	re    *regexp.Regexp
}

var condRe = regexp.MustCompile(`^([A-Za-z_@][A-Za-z0-9_.@-]*)(>=|<=|!=|=~|!~|==|=|>|<)(.*)$`)

// compileFilter parses expr; an empty expression keeps everything.
func compileFilter(expr string) (*filter, error) {
	f := &filter{expr: expr}
	var words []string
	for _, tok := range strings.Fields(expr) {
		m := condRe.FindStringSubmatch(tok)
		if m == nil {
			words = append(words, tok)
			continue
		}
		c := cond{field: canonField(m[1]), op: m[2], val: m[3]}
		if c.op == "==" {
			c.op = "="
		}
		switch {
		case c.op == "=~" || c.op == "!~":
			re, err := regexp.Compile("(?i)" + c.val)
			if err != nil {
				return nil, fmt.Errorf("logs: filter %q: %w", tok, err)
			}
			c.re = re
		case c.field == "level":
			c.level = logsrc.ParseLevel(c.val)
			if c.level == sources.LevelUnknown {
				return nil, fmt.Errorf("logs: filter %q: unknown level %q", tok, c.val)
			}
		default:
			if v, err := strconv.ParseFloat(c.val, 64); err == nil {
				c.num, c.isNum = v, true
			}
		}
		f.conds = append(f.conds, c)
	}
	body := strings.Join(words, " ")
	if rest, ok := strings.CutPrefix(body, "!"); ok {
		f.invert = true
		body = rest
	}
	if body != "" {
		re, err := regexp.Compile("(?i)" + body)
		if err != nil {
			return nil, fmt.Errorf("logs: filter %q: %w", expr, err)
		}
		f.re = re
		if regexp.QuoteMeta(body) == body && isASCII(body) {
			f.lit = strings.ToLower(body)
		}
	}
	return f, nil
}

// canonField maps the spellings of the record's own fields to one name.
func canonField(k string) string {
	switch strings.ToLower(k) {
	case "level", "lvl", "severity":
		return "level"
	case "service", "svc", "app":
		return "service"
	case "msg", "message":
		return "msg"
	case "trace", "trace_id", "traceid", "otel.trace_id":
		return "trace_id"
	case "span", "span_id", "spanid", "otel.span_id":
		return "span_id"
	case "source", "src":
		return "source"
	}
	return k
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// active reports whether the filter removes anything.
func (f *filter) active() bool { return f != nil && (f.re != nil || len(f.conds) > 0) }

// keep reports whether r passes the filter.
func (f *filter) keep(r *sources.LogRecord) bool {
	if f == nil {
		return true
	}
	for i := range f.conds {
		if !f.conds[i].match(r) {
			return false
		}
	}
	if f.re == nil {
		return true
	}
	var hit bool
	if f.lit != "" {
		hit = containsFold(r.Raw, f.lit)
	} else {
		hit = f.re.MatchString(r.Raw)
	}
	return hit != f.invert
}

// value returns a field of the record by canonical name.
func value(r *sources.LogRecord, field string) (string, bool) {
	switch field {
	case "service":
		return r.Service, r.Service != ""
	case "msg":
		return r.Msg, r.Msg != ""
	case "trace_id":
		return r.TraceID, r.TraceID != ""
	case "span_id":
		return r.SpanID, r.SpanID != ""
	case "source":
		return r.Source, r.Source != ""
	}
	v, ok := r.Fields[field]
	return v, ok
}

func (c *cond) match(r *sources.LogRecord) bool {
	if c.field == "level" && c.re == nil {
		l := effLevel(r.Level)
		switch c.op {
		case "=":
			return l == c.level
		case "!=":
			return l != c.level
		case ">=":
			return l >= c.level
		case "<=":
			return l <= c.level
		case ">":
			return l > c.level
		case "<":
			return l < c.level
		}
		return false
	}
	if c.field == "level" {
		return c.re.MatchString(r.Level.String()) == (c.op == "=~")
	}
	v, ok := value(r, c.field)
	switch c.op {
	case "=":
		if c.field == "trace_id" || c.field == "span_id" {
			return ok && strings.EqualFold(v, c.val)
		}
		return ok && v == c.val
	case "!=":
		return !ok || v != c.val
	case "=~":
		return ok && c.re.MatchString(v)
	case "!~":
		return !ok || !c.re.MatchString(v)
	}
	if !ok {
		return false
	}
	if c.isNum {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return false
		}
		switch c.op {
		case ">":
			return x > c.num
		case "<":
			return x < c.num
		case ">=":
			return x >= c.num
		case "<=":
			return x <= c.num
		}
		return false
	}
	switch c.op {
	case ">":
		return v > c.val
	case "<":
		return v < c.val
	case ">=":
		return v >= c.val
	case "<=":
		return v <= c.val
	}
	return false
}

// effLevel reads a line without a level as info, so that a minimum level of
// info keeps it and warn hides it.
func effLevel(l sources.Level) sources.Level {
	if l == sources.LevelUnknown {
		return sources.LevelInfo
	}
	return l
}

// containsFold reports whether s contains lower (an ASCII lower-case
// needle), ignoring ASCII case. Candidates are found with IndexByte for
// both cases of the first byte; each position is scanned at most once per case.
func containsFold(s, lower string) bool {
	n := len(lower)
	if n == 0 {
		return true
	}
	if n > len(s) {
		return false
	}
	c0 := lower[0]
	up := c0
	if c0 >= 'a' && c0 <= 'z' {
		up = c0 - 32
	}
	end := len(s) - n + 1 // candidates start before end
	next := func(c byte, from int) int {
		if k := strings.IndexByte(s[from:end], c); k >= 0 {
			return from + k
		}
		return end
	}
	lo, hi := next(c0, 0), end
	if up != c0 {
		hi = next(up, 0)
	}
	for {
		i := min(lo, hi)
		if i >= end {
			return false
		}
		if equalFoldASCII(s[i:i+n], lower) {
			return true
		}
		if i == lo {
			lo = next(c0, i+1)
		}
		if i == hi {
			hi = next(up, i+1)
		}
	}
}

func equalFoldASCII(s, lower string) bool {
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 32
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
