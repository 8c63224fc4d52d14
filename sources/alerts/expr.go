package alerts

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// The expression language of config rules, close to PromQL but over vigil's
// canonical signals:
//
//	expr     = value op number
//	op       = ">" | ">=" | "<" | "<="
//	value    = selector                       newest value of each matching series
//	         | "rate(" selector "[" dur "])"   per-second rate of each counter
//	         | "increase(" selector "[" dur "])"
//	         | "quantile(" q "," selector "[" dur "])"  histogram quantile, each series
//	         | svcfn [matchers]                per service, as the panes compute it
//	         | "burn_rate(" dur "," dur ")" [matchers]  multi-window burn rate per service
//	svcfn    = error_rate | latency_p50 | latency_p95 | latency_p99 | ttft_p99 |
//	           throughput | queue_depth | kv_cache | budget_remaining
//	selector = name [matchers]
//	matchers = "{" label ("=" | "!=" | "=~" | "!~") "\"" value "\"" ("," ...)* "}"
//	dur      = Go or Prometheus duration: 30s, 5m, 1h, 1d
//
// Examples: `gpu_temperature_celsius{host="gpu-7"} >= 90`,
// `rate(svc_requests_total{outcome="error"}[1m]) > 5`,
// `quantile(0.99, svc_ttft_seconds[5m]) > 2`, `error_rate{service="api"} > 0.02`,
// `burn_rate(1h, 5m) > 14.4`.

type matcher struct {
	name, op, value string
	re              *regexp.Regexp
}

func (m matcher) ok(v string) bool {
	switch m.op {
	case "=":
		return v == m.value
	case "!=":
		return v != m.value
	case "=~":
		return m.re.MatchString(v)
	}
	return !m.re.MatchString(v)
}

func matchAll(ms []matcher, get func(string) string) bool {
	for _, m := range ms {
		if !m.ok(get(m.name)) {
			return false
		}
	}
	return true
}

// parsed is a parsed expression.
type parsed struct {
	fn       string // "", rate, increase, quantile, burn_rate, or a service function
	name     string // selector name
	ms       []matcher
	window   time.Duration
	window2  time.Duration
	q        float64
	op       string
	thr      float64
	exact    []sources.Label // the "=" matchers, for the store's Select
	hasRegex bool
	selKey   string
}

// svcFns are the per-service figures a rule can name, each n/a where the
// panes' figure rests on the exporter's lifetime (see windowed).
var svcFns = map[string]func(view.Service) float64{
	"error_rate":  func(s view.Service) float64 { return windowed(s.ErrorRate, s.ErrorBasis) },
	"latency_p50": func(s view.Service) float64 { return windowed(s.Latency.P50, s.Latency.Basis) },
	"latency_p95": func(s view.Service) float64 { return windowed(s.Latency.P95, s.Latency.Basis) },
	"latency_p99": func(s view.Service) float64 { return windowed(s.Latency.P99, s.Latency.Basis) },
	"ttft_p99":    func(s view.Service) float64 { return windowed(s.TTFT.P99, s.TTFT.Basis) },
	"throughput":  func(s view.Service) float64 { return num(s.Throughput) },
	"queue_depth": func(s view.Service) float64 { return num(s.QueueDepth) },
	"kv_cache":    func(s view.Service) float64 { return num(s.KVCache) },
}

type lexer struct {
	s   string
	pos int
}

func (l *lexer) ws() {
	for l.pos < len(l.s) && (l.s[l.pos] == ' ' || l.s[l.pos] == '\t' || l.s[l.pos] == '\n') {
		l.pos++
	}
}

func (l *lexer) peek(t string) bool {
	l.ws()
	return strings.HasPrefix(l.s[l.pos:], t)
}

func (l *lexer) eat(t string) bool {
	if l.peek(t) {
		l.pos += len(t)
		return true
	}
	return false
}

func (l *lexer) want(t string) error {
	if !l.eat(t) {
		return l.errf("expected %q", t)
	}
	return nil
}

func (l *lexer) errf(f string, a ...any) error {
	return fmt.Errorf("at column %d: %s", l.pos+1, fmt.Sprintf(f, a...))
}

func (l *lexer) ident() string {
	l.ws()
	i := l.pos
	for l.pos < len(l.s) {
		c := l.s[l.pos]
		if c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || l.pos > i && (c >= '0' && c <= '9' || c == '.') {
			l.pos++
			continue
		}
		break
	}
	return l.s[i:l.pos]
}

func (l *lexer) until(stop string) string {
	l.ws()
	i := l.pos
	for l.pos < len(l.s) && !strings.ContainsRune(stop, rune(l.s[l.pos])) {
		l.pos++
	}
	return strings.TrimSpace(l.s[i:l.pos])
}

// ParseDuration reads Go durations and Prometheus ones with d, w and y.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d, nil
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour, 'y': 365 * 24 * time.Hour}
	if u, ok := unit[s[len(s)-1]]; ok {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err == nil && n >= 0 {
			return time.Duration(n * float64(u)), nil
		}
	}
	return 0, fmt.Errorf("bad duration %q", s)
}

func (l *lexer) matchers(p *parsed) error {
	if !l.eat("{") {
		return nil
	}
	for !l.eat("}") {
		name := l.ident()
		if name == "" {
			return l.errf("expected a label name")
		}
		var op string
		for _, o := range []string{"=~", "!~", "!=", "="} {
			if l.eat(o) {
				op = o
				break
			}
		}
		if op == "" {
			return l.errf("expected =, !=, =~ or !~")
		}
		l.ws()
		if l.pos >= len(l.s) || l.s[l.pos] != '"' {
			return l.errf("expected a quoted value")
		}
		end := strings.IndexByte(l.s[l.pos+1:], '"')
		if end < 0 {
			return l.errf("unterminated string")
		}
		val := l.s[l.pos+1 : l.pos+1+end]
		l.pos += end + 2
		m := matcher{name: name, op: op, value: val}
		if op == "=~" || op == "!~" {
			re, err := regexp.Compile("^(?:" + val + ")$")
			if err != nil {
				return fmt.Errorf("bad regex %q: %w", val, err)
			}
			m.re = re
			p.hasRegex = true
		}
		if op == "=" {
			p.exact = append(p.exact, sources.Label{Name: name, Value: val})
		}
		p.ms = append(p.ms, m)
		l.eat(",")
	}
	return nil
}

func (l *lexer) rangeSel(p *parsed) error {
	p.name = l.ident()
	if p.name == "" {
		return l.errf("expected a signal name")
	}
	if err := l.matchers(p); err != nil {
		return err
	}
	if err := l.want("["); err != nil {
		return err
	}
	d, err := ParseDuration(l.until("]"))
	if err != nil {
		return err
	}
	p.window = d
	return l.want("]")
}

// parseExpr parses a rule expression (the grammar above).
func parseExpr(s string) (*parsed, error) {
	l := &lexer{s: s}
	p := &parsed{}
	id := l.ident()
	switch {
	case id == "rate" || id == "increase":
		p.fn = id
		if err := l.want("("); err != nil {
			return nil, err
		}
		if err := l.rangeSel(p); err != nil {
			return nil, err
		}
		if err := l.want(")"); err != nil {
			return nil, err
		}
	case id == "quantile":
		p.fn = id
		if err := l.want("("); err != nil {
			return nil, err
		}
		q, err := strconv.ParseFloat(l.until(","), 64)
		if err != nil || q < 0 || q > 1 {
			return nil, l.errf("quantile wants 0 ≤ q ≤ 1")
		}
		p.q = q
		if err := l.want(","); err != nil {
			return nil, err
		}
		if err := l.rangeSel(p); err != nil {
			return nil, err
		}
		if err := l.want(")"); err != nil {
			return nil, err
		}
	case id == "burn_rate":
		p.fn = id
		if err := l.want("("); err != nil {
			return nil, err
		}
		d1, err := ParseDuration(l.until(","))
		if err != nil {
			return nil, err
		}
		if err := l.want(","); err != nil {
			return nil, err
		}
		d2, err := ParseDuration(l.until(")"))
		if err != nil {
			return nil, err
		}
		p.window, p.window2 = d1, d2
		if err := l.want(")"); err != nil {
			return nil, err
		}
		if err := l.matchers(p); err != nil {
			return nil, err
		}
	case svcFns[id] != nil || id == "budget_remaining":
		p.fn = id
		if err := l.matchers(p); err != nil {
			return nil, err
		}
	case id != "":
		p.name = id
		if err := l.matchers(p); err != nil {
			return nil, err
		}
	default:
		return nil, l.errf("expected a signal or a function")
	}
	for _, o := range []string{">=", "<=", ">", "<"} {
		if l.eat(o) {
			p.op = o
			break
		}
	}
	if p.op == "" {
		return nil, l.errf("expected a comparison (>, >=, <, <=) and a threshold")
	}
	thr, err := strconv.ParseFloat(l.until(""), 64)
	if err != nil {
		return nil, l.errf("the threshold is not a number")
	}
	p.thr = thr
	return p, nil
}

// evaluator returns the rule's eval function for the parsed expression.
func (p *parsed) evaluator() func(c *evalCtx) []Value {
	switch {
	case p.fn == "burn_rate" || p.fn == "budget_remaining" || svcFns[p.fn] != nil:
		return func(c *evalCtx) []Value {
			svcs := c.services()
			out := make([]Value, 0, len(svcs))
			for i, s := range svcs {
				get := func(n string) string {
					switch n {
					case sources.LabelHost:
						return s.Host
					case sources.LabelService:
						return s.Name
					case sources.LabelStack:
						return s.Stack
					}
					return ""
				}
				if !matchAll(p.ms, get) {
					continue
				}
				var v float64
				switch p.fn {
				case "burn_rate":
					v = c.burnRates(s, c.e.SLOOf(s.Name), p.window, p.window2)
				case "budget_remaining":
					v = ErrorBudget(c.st, s, c.e.SLOOf(s.Name), c.at).Remaining
				default:
					v = svcFns[p.fn](s)
				}
				out = append(out, Value{Labels: c.svcLs[i], key: c.svcKeys[i], V: v})
			}
			return out
		}
	}
	var b strings.Builder
	b.WriteString(p.name)
	for _, m := range p.exact {
		b.WriteString("\x00" + m.Name + "=" + m.Value)
	}
	p.selKey = b.String()
	return func(c *evalCtx) []Value {
		series := c.selectSeries(p.selKey, p.name, p.exact)
		out := make([]Value, 0, len(series))
		for _, s := range series {
			if p.hasRegex || len(p.ms) != len(p.exact) {
				if !matchAll(p.ms, s.Label) {
					continue
				}
			}
			v := math.NaN()
			switch p.fn {
			case "rate":
				// As Store.Rate: the increase over the span the samples cover.
				if r, span, ok := c.increase(s.Key(), p.window); ok && span > 0 {
					v = r / span.Seconds()
				}
			case "increase":
				if r, _, ok := c.increase(s.Key(), p.window); ok {
					v = r
				}
			case "quantile":
				if d, ok := c.histDelta(s.Key(), p.window); ok && d.Count > 0 && !d.Lifetime {
					v = d.Quantile(p.q)
				}
			default:
				if smp, ok := c.st.Last(s.Key(), c.at); ok {
					v = smp.V
				}
			}
			out = append(out, Value{Labels: s.Labels, V: v, key: s.Key()})
		}
		return out
	}
}
