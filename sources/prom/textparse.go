package prom

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// textParser reads the Prometheus text format 0.0.4 and the OpenMetrics 1.0
// text format (with exemplars, # UNIT and # EOF), including quoted UTF-8
// metric and label names. It accepts what expfmt's TextParser accepts (the
// differential fuzz test holds it to that) and is more lenient where scrapes
// are sloppy: duplicate label names, invalid UTF-8 in values (replaced later
// by sanitising), a repeated # TYPE line. It allocates per series, not per
// field, which keeps a 10,000-series scrape within a few milliseconds.
type textParser struct {
	fams     []*family
	byName   map[string]*family
	series   map[string]*metric // histogram/summary series by family and labels, for non-adjacent samples
	intern   map[string]string
	lbuf     []lpair
	prev     []lpair // the previous sample's labels: consecutive lines mostly repeat them
	prevName string
	last     lastFamily
	vbuf     []byte
	kbuf     []byte
	line     int
	created  int
	om       bool // the body ended in # EOF
}

type parseError struct {
	line int
	msg  string
}

func (e *parseError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// parseText parses body. On a malformed line it stops and returns the
// families read so far with the error.
func parseText(body []byte) ([]*family, int, error) { return parseTextInterned(body, nil) }

// maxIntern bounds a kept string table: past it, label churn starts a new one.
const maxIntern = 100_000

// parseTextInterned is parseText with a string table kept between scrapes
// of one target, so that label values repeated scrape after scrape are not
// allocated again. intern may be nil.
func parseTextInterned(body []byte, intern map[string]string) ([]*family, int, error) {
	if intern == nil {
		intern = map[string]string{}
	} else if len(intern) > maxIntern {
		clear(intern)
	}
	p := &textParser{byName: map[string]*family{}, series: map[string]*metric{}, intern: intern}
	err := p.run(body)
	return p.fams, p.created, err
}

func (p *textParser) run(body []byte) error {
	for len(body) > 0 {
		p.line++
		i := bytes.IndexByte(body, '\n')
		var ln []byte
		if i < 0 {
			ln, body = body, nil
			if t := bytes.TrimSpace(ln); len(t) > 0 && string(t) != "# EOF" && !p.om {
				// Like expfmt: the last line must end in a newline. A body cut
				// off mid-line would otherwise give a wrong last value.
				return p.errf("unexpected end of input: last line not terminated (truncated?)")
			}
		} else {
			ln, body = body[:i], body[i+1:]
		}
		ln = bytes.TrimRight(ln, "\r")
		if p.om {
			if len(bytes.TrimSpace(ln)) > 0 {
				return p.errf("data after # EOF")
			}
			continue
		}
		if err := p.parseLine(ln); err != nil {
			return err
		}
	}
	return nil
}

func (p *textParser) errf(format string, a ...any) error {
	return &parseError{p.line, fmt.Sprintf(format, a...)}
}

func (p *textParser) str(b []byte) string {
	if s, ok := p.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(p.intern) <= maxIntern {
		p.intern[s] = s
	}
	return s
}

func (p *textParser) parseLine(ln []byte) error {
	ln = skipBlank(ln, " \t")
	if len(ln) == 0 {
		return nil
	}
	if ln[0] == '#' {
		return p.comment(ln)
	}
	return p.sample(ln)
}

func (p *textParser) comment(ln []byte) error {
	rest := skipBlank(ln[1:], " \t")
	var kw []byte
	kw, rest = token(rest)
	switch string(kw) {
	case "EOF":
		p.om = true
		return nil
	case "TYPE", "HELP", "UNIT":
	default:
		return nil // an ordinary comment
	}
	rest = skipBlank(rest, " \t")
	name, rest, err := p.name(rest)
	if err != nil {
		return err
	}
	if len(name) == 0 || string(kw) != "TYPE" {
		return nil // like expfmt: a HELP or TYPE line without a name is a comment
	}
	// Like expfmt: the rest of the line, backslashes dropped, any case.
	t := bytes.ReplaceAll(bytes.TrimSpace(rest), []byte{'\\'}, nil)
	if len(t) == 0 {
		return nil
	}
	typ := typeOf(strings.ToLower(string(t)))
	if typ == tUntyped && !strings.EqualFold(string(t), "untyped") && !strings.EqualFold(string(t), "unknown") {
		return p.errf("unknown metric type %q", t)
	}
	p.last = lastFamily{} // a TYPE line can change how names resolve
	f := p.byName[string(name)]
	if f == nil {
		f = &family{name: p.str(name), typ: typ}
		p.byName[f.name] = f
		p.fams = append(p.fams, f)
	} else if len(f.metrics) == 0 {
		f.typ = typ
	}
	return nil
}

// token splits b at the first blank.
func token(b []byte) ([]byte, []byte) {
	for i, c := range b {
		if c == ' ' || c == '\t' {
			return b[:i], b[i:]
		}
	}
	return b, nil
}

// skipBlank drops leading blanks and tabs (the cutset argument documents
// what bytes.TrimLeft would be given; it is always " \t").
func skipBlank(b []byte, _ string) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// name reads a metric name, bare or quoted, from the start of b.
func (p *textParser) name(b []byte) ([]byte, []byte, error) {
	if len(b) > 0 && b[0] == '"' {
		v, rest, err := p.quoted(b)
		if err != nil {
			return nil, nil, err
		}
		return v, rest, nil
	}
	i := 0
	for i < len(b) && isNameByte(b[i], i == 0) {
		i++
	}
	return b[:i], b[i:], nil
}

func isNameByte(c byte, first bool) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == ':' || !first && c >= '0' && c <= '9'
}

// quoted reads a double-quoted string with \\, \" and \n escapes; the
// returned value aliases b or p.vbuf: copy it to keep it.
func (p *textParser) quoted(b []byte) ([]byte, []byte, error) {
	if j := bytes.IndexByte(b[1:], '"'); j >= 0 && bytes.IndexByte(b[1:1+j], '\\') < 0 {
		return b[1 : 1+j], b[2+j:], nil
	}
	p.vbuf = p.vbuf[:0]
	for i := 1; i < len(b); i++ {
		c := b[i]
		switch c {
		case '"':
			return p.vbuf, b[i+1:], nil
		case '\\':
			if i+1 >= len(b) {
				return nil, nil, p.errf("unterminated escape")
			}
			i++
			switch b[i] {
			case 'n':
				p.vbuf = append(p.vbuf, '\n')
			case '\\', '"':
				p.vbuf = append(p.vbuf, b[i])
			default:
				// expfmt rejects unknown escapes in label values; keep both bytes.
				p.vbuf = append(p.vbuf, '\\', b[i])
			}
		default:
			p.vbuf = append(p.vbuf, c)
		}
	}
	return nil, nil, p.errf("unterminated quoted string")
}

func (p *textParser) sample(ln []byte) error {
	var name []byte
	var nameS string
	var err error
	rest := ln
	p.lbuf = p.lbuf[:0]
	var le, q []byte
	hasLE, hasQ := false, false
	if rest[0] != '{' {
		name, rest, err = p.name(rest)
		if err != nil {
			return err
		}
		if len(name) == 0 {
			return p.errf("invalid metric name")
		}
		if string(name) == p.prevName {
			nameS = p.prevName
		} else {
			nameS = p.str(name)
		}
	}
	rest = skipBlank(rest, " \t")
	if len(rest) > 0 && rest[0] == '{' {
		rest = rest[1:]
		for {
			rest = skipBlank(rest, " \t")
			if len(rest) == 0 {
				return p.errf("unterminated label set")
			}
			if rest[0] == '}' {
				rest = rest[1:]
				break
			}
			var ln []byte
			quotedName := rest[0] == '"'
			ln, rest, err = p.name(rest)
			if err != nil {
				return err
			}
			lname := p.str(ln)
			rest = skipBlank(rest, " \t")
			if quotedName && name == nil && (len(rest) == 0 || rest[0] != '=') {
				// {"metric.name", ...}: the quoted metric name of UTF-8 expositions.
				name, nameS = []byte(lname), lname
			} else {
				if len(lname) == 0 {
					return p.errf("invalid label name")
				}
				if len(rest) == 0 || rest[0] != '=' {
					return p.errf("expected '=' after label name %q", lname)
				}
				rest = skipBlank(rest[1:], " \t")
				if len(rest) == 0 || rest[0] != '"' {
					return p.errf("expected '\"' at start of label value")
				}
				var v []byte
				v, rest, err = p.quoted(rest)
				if err != nil {
					return err
				}
				switch lname {
				case "le":
					le, hasLE = append(le[:0], v...), true
				case "quantile":
					q, hasQ = append(q[:0], v...), true
				}
				i := len(p.lbuf)
				var vs string
				if i < len(p.prev) && p.prev[i].name == lname && p.prev[i].value == string(v) {
					vs = p.prev[i].value
				} else {
					vs = p.str(v)
				}
				p.lbuf = append(p.lbuf, lpair{lname, vs})
			}
			rest = skipBlank(rest, " \t")
			if len(rest) > 0 && rest[0] == ',' {
				rest = rest[1:]
				continue
			}
			if len(rest) == 0 || rest[0] != '}' {
				return p.errf("expected ',' or '}' in label set")
			}
		}
	}
	if len(name) == 0 {
		return p.errf("sample without a metric name")
	}
	p.prev = append(p.prev[:0], p.lbuf...)
	rest = skipBlank(rest, " \t")
	if len(rest) == 0 {
		return p.errf("no value for %q", name)
	}
	vb, rest := token(rest)
	val, err := parseValue(vb)
	if err != nil {
		return p.errf("invalid value %q", vb)
	}
	rest = skipBlank(rest, " \t")
	var ex *exemplar
	if len(rest) > 0 && rest[0] != '#' {
		var tb []byte
		tb, rest = token(rest)
		if _, err := parseValue(tb); err != nil {
			return p.errf("invalid timestamp %q", tb)
		}
		rest = skipBlank(rest, " \t")
	}
	if len(rest) > 0 {
		if rest[0] != '#' {
			return p.errf("unexpected text after the value")
		}
		if ex, err = p.exemplar(rest[1:]); err != nil {
			return err
		}
	}
	p.prevName = nameS
	return p.add(nameS, val, le, hasLE, q, hasQ, ex)
}

func (p *textParser) exemplar(b []byte) (*exemplar, error) {
	b = skipBlank(b, " \t")
	if len(b) == 0 || b[0] != '{' {
		return nil, p.errf("invalid exemplar")
	}
	b = b[1:]
	ex := &exemplar{}
	for {
		b = skipBlank(b, " \t")
		if len(b) == 0 {
			return nil, p.errf("unterminated exemplar labels")
		}
		if b[0] == '}' {
			b = b[1:]
			break
		}
		n, rest, err := p.name(b)
		if err != nil {
			return nil, err
		}
		ns := string(n)
		rest = skipBlank(rest, " \t")
		if len(ns) == 0 || len(rest) < 2 || rest[0] != '=' {
			return nil, p.errf("invalid exemplar label")
		}
		rest = skipBlank(rest[1:], " \t")
		if len(rest) == 0 || rest[0] != '"' {
			return nil, p.errf("invalid exemplar label value")
		}
		v, rest, err := p.quoted(rest)
		if err != nil {
			return nil, err
		}
		ex.labels = append(ex.labels, lpair{ns, string(v)})
		b = skipBlank(rest, " \t")
		if len(b) > 0 && b[0] == ',' {
			b = b[1:]
		}
	}
	b = skipBlank(b, " \t")
	vb, b := token(b)
	v, err := parseValue(vb)
	if err != nil {
		return nil, p.errf("invalid exemplar value %q", vb)
	}
	ex.value = v
	b = skipBlank(b, " \t")
	if len(b) > 0 {
		tb, _ := token(b)
		ts, err := parseValue(tb)
		if err != nil || bad(ts) {
			return nil, p.errf("invalid exemplar timestamp %q", tb)
		}
		sec, frac := math.Modf(ts)
		ex.at = time.Unix(int64(sec), int64(math.Round(frac*1e9))).UTC()
	}
	return ex, nil
}

// parseValue parses a sample value: an exact fast path for the usual
// decimals ("12", "0.4375", "1.84521e+06": at most 15 significant digits and
// a power of ten within ±22, where one correctly rounded operation gives
// strconv's answer), else strconv.
func parseValue(b []byte) (float64, error) {
	if len(b) == 0 {
		return 0, errors.New("empty value")
	}
	if v, ok := fastFloat(b); ok {
		return v, nil
	}
	s := string(b)
	switch s {
	case "+Inf", "Inf", "+inf", "inf":
		return math.Inf(1), nil
	case "-Inf", "-inf":
		return math.Inf(-1), nil
	case "NaN", "nan":
		return math.NaN(), nil
	}
	if !utf8.Valid(b) {
		return 0, errors.New("invalid value")
	}
	return strconv.ParseFloat(s, 64)
}

func fastFloat(b []byte) (float64, bool) {
	i, neg := 0, false
	if b[0] == '-' || b[0] == '+' {
		neg, i = b[0] == '-', 1
	}
	var mant uint64
	digits, frac := 0, 0
	seenDot := false
	for ; i < len(b); i++ {
		c := b[i]
		if c >= '0' && c <= '9' {
			if digits > 0 || c != '0' {
				digits++
			}
			if digits > 15 {
				return 0, false
			}
			mant = mant*10 + uint64(c-'0')
			if seenDot {
				frac++
			}
			continue
		}
		if c == '.' && !seenDot {
			seenDot = true
			continue
		}
		break
	}
	start := 0
	if b[0] == '-' || b[0] == '+' {
		start = 1
	}
	nd := i - start
	if seenDot {
		nd--
	}
	if nd <= 0 {
		return 0, false // no digits: "", ".", "-", "e5"
	}
	exp := 0
	if i < len(b) {
		if b[i] != 'e' && b[i] != 'E' || i+1 >= len(b) {
			return 0, false
		}
		i++
		eneg := false
		if b[i] == '-' || b[i] == '+' {
			eneg = b[i] == '-'
			i++
		}
		if i >= len(b) || len(b)-i > 3 {
			return 0, false
		}
		for ; i < len(b); i++ {
			c := b[i]
			if c < '0' || c > '9' {
				return 0, false
			}
			exp = exp*10 + int(c-'0')
		}
		if eneg {
			exp = -exp
		}
	}
	e := exp - frac
	if e < -22 || e > 22 {
		return 0, false
	}
	v := float64(mant)
	if e > 0 {
		v *= pow10[e]
	} else if e < 0 {
		v /= pow10[-e]
	}
	if neg {
		v = -v
	}
	return v, true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
	1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// add files one sample under its family.
func (p *textParser) add(name string, v float64, le []byte, hasLE bool, q []byte, hasQ bool, ex *exemplar) error {
	var f *family
	var role, special byte
	if c := &p.last; c.f != nil && c.name == name && c.hasLE == hasLE {
		f, role, special = c.f, c.role, c.special // consecutive samples of one family: most lines
	} else {
		f, role, special = p.resolve(name, hasLE)
		p.last = lastFamily{name: name, hasLE: hasLE, f: f, role: role, special: special}
	}
	switch special {
	case 'c':
		p.created++
		return nil
	case 'h':
		// A histogram family's own name carries no value; like expfmt,
		// the series exists, the value is dropped.
		if m := p.seriesOf(f); m.hist == nil {
			m.hist = &histo{}
		}
		return nil
	}
	if f.typ == tSummary && role == 0 {
		if !hasQ {
			if m := p.seriesOf(f); m.summ == nil {
				m.summ = &summ{} // like expfmt: the series exists, the value is dropped
			}
			return nil
		}
		role = 'q'
	}
	if (f.typ == tHistogram || f.typ == tGaugeHistogram) && role == 'b' && !hasLE {
		if m := p.seriesOf(f); m.hist == nil {
			m.hist = &histo{} // like expfmt: the series exists, the value is dropped
		}
		return nil
	}
	switch role {
	case 0:
		m := &metric{labels: p.copyLabels(), value: v, hasValue: true, ex: ex}
		f.metrics = append(f.metrics, m)
	case 'b', 's', 'c':
		m := p.seriesOf(f)
		if m.hist == nil {
			m.hist = &histo{}
		}
		switch role {
		case 'b':
			ub, err := parseValue(le)
			if err != nil || math.IsNaN(ub) {
				return p.errf("invalid le %q", le)
			}
			if v < 0 && f.typ != tSummary {
				return p.errf("negative bucket count for %q", name)
			}
			m.hist.buckets = append(m.hist.buckets, bucket{ub: ub, c: v, ex: ex})
		case 's':
			m.hist.sum, m.hist.hasSum = v, true
		case 'c':
			if v < 0 && f.typ != tSummary {
				return p.errf("negative count for %q", name)
			}
			m.hist.count, m.hist.hasCount = v, true
		}
		if f.typ == tSummary {
			// A summary's _sum/_count.
			if m.summ == nil {
				m.summ = &summ{}
			}
			if role == 's' {
				m.summ.sum = v
			} else {
				m.summ.count = v
			}
			m.hist = nil
		}
	case 'q':
		qv, err := parseValue(q)
		if err != nil {
			return p.errf("invalid quantile %q", q)
		}
		m := p.seriesOf(f)
		if m.summ == nil {
			m.summ = &summ{}
		}
		m.summ.q = append(m.summ.q, quant{qv, v})
	}
	return nil
}

func cutSuffix(s, suf string) (string, bool) {
	if len(s) > len(suf) && s[len(s)-len(suf):] == suf {
		return s[:len(s)-len(suf)], true
	}
	return s, false
}

// labelsNoLE is p.lbuf without le (histograms) or quantile (summaries).
func (p *textParser) labelsNoLE(t mtype) []lpair {
	skip := "le"
	if t == tSummary {
		skip = "quantile"
	}
	w := 0
	for _, l := range p.lbuf {
		if l.name == skip {
			continue
		}
		p.lbuf[w] = l
		w++
	}
	p.lbuf = p.lbuf[:w]
	return p.lbuf
}

func (p *textParser) copyLabels() []lpair {
	if len(p.lbuf) == 0 {
		return nil
	}
	return append([]lpair(nil), p.lbuf...)
}

// seriesOf finds the histogram or summary series of f with the current
// labels (le and quantile aside): the family's newest one when adjacent, as
// is usual, else by a keyed lookup.
func (p *textParser) seriesOf(f *family) *metric {
	ls := p.labelsNoLE(f.typ)
	if n := len(f.metrics); n > 0 && equalPairs(f.metrics[n-1].labels, ls) {
		return f.metrics[n-1]
	}
	k := append(p.kbuf[:0], f.name...)
	for _, l := range ls {
		k = append(k, 0)
		k = append(k, l.name...)
		k = append(k, 0)
		k = append(k, l.value...)
	}
	p.kbuf = k
	if m := p.series[string(k)]; m != nil {
		return m
	}
	m := &metric{labels: p.copyLabels()}
	p.series[string(k)] = m
	f.metrics = append(f.metrics, m)
	return m
}

func equalPairs(a, b []lpair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lastFamily caches the resolution of the previous sample's name.
type lastFamily struct {
	name          string
	hasLE         bool
	f             *family
	role, special byte
}

// resolve finds the family a sample name belongs to and its role in it:
// 0 a value, 'b' a bucket, 's' a sum, 'c' a count. special is 'c' for a
// _created sample (dropped) and 'h' for a histogram's bare name without le.
func (p *textParser) resolve(name string, hasLE bool) (f *family, role, special byte) {
	f = p.byName[name]
	if f != nil && (f.typ == tHistogram || f.typ == tGaugeHistogram) && f.name == name {
		if !hasLE {
			return f, 0, 'h'
		}
		return f, 'b', 0 // expfmt takes x{le=".."} as a bucket of histogram x
	}
	if f == nil {
		for _, suf := range [...]string{"_bucket", "_sum", "_count", "_total", "_created", "_gsum", "_gcount", "_info"} {
			base, ok := cutSuffix(name, suf)
			if !ok {
				continue
			}
			g := p.byName[base]
			if g == nil {
				continue
			}
			switch {
			case suf == "_created" && (g.typ == tCounter || g.typ == tHistogram || g.typ == tSummary || g.typ == tGaugeHistogram):
				return g, 0, 'c'
			case (g.typ == tHistogram || g.typ == tGaugeHistogram) && (suf == "_bucket" || suf == "_sum" || suf == "_count" || suf == "_gsum" || suf == "_gcount"):
				f, role = g, suf[1]
				if suf == "_gsum" {
					role = 's'
				} else if suf == "_gcount" {
					role = 'c'
				}
			case g.typ == tSummary && (suf == "_sum" || suf == "_count"):
				f, role = g, suf[1]
			case g.typ == tCounter && suf == "_total":
				// OpenMetrics: TYPE x counter, sample x_total. The family
				// goes by the sample's name, as in the text format.
				g.name = name // the old name stays a key: x_created follows
				p.byName[name] = g
				f = g
			case g.typ == tInfo && suf == "_info":
				f = g
			}
			if f != nil {
				break
			}
		}
	}
	if f == nil {
		f = &family{name: name, typ: tUntyped}
		p.byName[name] = f
		p.fams = append(p.fams, f)
	}
	return f, role, 0
}
