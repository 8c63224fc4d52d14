package logspane

import (
	"fmt"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
)

// filter is a compiled logs filter: field conditions (service=api,
// level>=warn, latency_ms>500, msg=~timeout) and a case-insensitive regex
// over the raw line, inverted by a leading "!". Tokens that are not
// conditions form the regex, joined by single spaces.
type filter struct {
	expr  string
	conds []cond
	re    *regexp.Regexp
	lit   string // the regex when it is a plain ASCII literal: matched without regexp
	need  string // an ASCII literal every match contains (lower case): lines without it skip the regex
	litN  foldNeedle
	needN foldNeedle
	// lowerRe is the regex with its literals lower-cased and matched case-
	// sensitively against the lower-cased line: unlike (?i) it keeps
	// regexp's literal-prefix search. nil when it cannot be built.
	lowerRe *regexp.Regexp
	buf     []byte
	invert  bool
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
			c.level = logs.ParseLevel(c.val)
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
			f.litN = newFoldNeedle(f.lit)
		} else {
			f.need = requiredLiteral(body)
			f.needN = newFoldNeedle(f.need)
			f.lowerRe = lowerRegex(body)
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

// keep reports whether r passes the filter; srcs (may be nil) names the
// sources for source=NAME.
func (f *filter) keep(r *sources.LogRecord, srcs *sourceNames) bool {
	if f == nil {
		return true
	}
	for i := range f.conds {
		if !f.conds[i].match(r, srcs) {
			return false
		}
	}
	if f.re == nil {
		return true
	}
	return f.match(r.Raw) != f.invert
}

// match reports whether the filter's regex matches s, as f.re ((?i), Unicode
// case folding) would, taking the fast paths where they are exact.
func (f *filter) match(s string) bool {
	switch {
	case f.lit != "":
		if f.litN.in(s) {
			return true
		}
		// An ASCII miss is final unless Unicode folding could match.
		return f.litN.unicode && !isASCII(s) && f.re.MatchString(s)
	case f.need != "" && !f.needN.in(s) && !(f.needN.unicode && !isASCII(s)):
		return false
	case f.lowerRe != nil:
		b, ascii := lowerASCII(f.buf, s)
		f.buf = b
		if ascii {
			return f.lowerRe.Match(b)
		}
	}
	return f.re.MatchString(s)
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
	v, ok := r.Fields.Get(field)
	return v, ok
}

func (c *cond) match(r *sources.LogRecord, srcs *sourceNames) bool {
	if c.field == "source" && (c.op == "=" || c.op == "!=") {
		// A source by its short name (the column), its whole name or,
		// for a file, its path or base name.
		var is bool
		if srcs != nil {
			is = srcs.matches(r.Source, c.val)
		} else {
			is = r.Source == c.val || shortName(r.Source) == c.val
		}
		return is == (c.op == "=")
	}
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

// requiredLiteral returns the longest ASCII literal that every match of
// the regex contains (lower case), or "" when there is none it can prove:
// the longest run of literals in a top-level concatenation.
func requiredLiteral(expr string) string {
	re, err := syntax.Parse(expr, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return ""
	}
	re = re.Simplify()
	for re.Op == syntax.OpCapture && len(re.Sub) == 1 {
		re = re.Sub[0]
	}
	best := ""
	run := func(rs []*syntax.Regexp) {
		var cur []rune
		flush := func() {
			if s := string(cur); len(s) > len(best) && isASCII(s) {
				best = s
			}
			cur = cur[:0]
		}
		for _, r := range rs {
			if r.Op == syntax.OpLiteral {
				cur = append(cur, r.Rune...)
				continue
			}
			flush()
		}
		flush()
	}
	switch re.Op {
	case syntax.OpLiteral:
		run([]*syntax.Regexp{re})
	case syntax.OpConcat:
		run(re.Sub)
	}
	return strings.ToLower(best)
}

// lowerRegex rewrites a case-insensitive regex into a case-sensitive one
// over lower-cased ASCII text (the caller runs it on ASCII lines only):
// case-folded literals become their ASCII lower-case fold; character
// classes, already folded by the parser, stay as they are.
func lowerRegex(expr string) *regexp.Regexp {
	re, err := syntax.Parse(expr, syntax.Perl|syntax.FoldCase)
	if err != nil {
		return nil
	}
	ok := true
	var walk func(r *syntax.Regexp)
	walk = func(r *syntax.Regexp) {
		if (r.Op == syntax.OpLiteral || r.Op == syntax.OpCharClass) && r.Flags&syntax.FoldCase == 0 {
			ok = false // a case-sensitive part ((?-i)): lower-casing the text would change it
		}
		if r.Op == syntax.OpLiteral && r.Flags&syntax.FoldCase != 0 {
			for i, c := range r.Rune {
				r.Rune[i] = asciiFold(c)
			}
		}
		r.Flags &^= syntax.FoldCase
		for _, s := range r.Sub {
			walk(s)
		}
	}
	walk(re)
	if !ok {
		return nil
	}
	out, err := regexp.Compile(re.String())
	if err != nil {
		return nil
	}
	return out
}

// containsFold reports whether s contains lower (an ASCII lower-case
// needle), ignoring ASCII case.
func containsFold(s, lower string) bool {
	n := newFoldNeedle(lower)
	return n.in(s)
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

// asciiFold returns the ASCII lower-case letter that c matches under
// Unicode simple case folding ('K' for the Kelvin sign), else c itself.
// unicode.ToLower would be wrong: 'İ' lower-cases to 'i' but does not fold
// to it.
func asciiFold(c rune) rune {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	for f := unicode.SimpleFold(c); f != c; f = unicode.SimpleFold(f) {
		if f >= 'a' && f <= 'z' {
			return f
		}
	}
	return c
}
