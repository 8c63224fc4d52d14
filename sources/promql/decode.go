package promql

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Sample is one value of a vector or matrix.
type Sample struct {
	At    time.Time
	Value float64
}

// Result is one series of a query result: its labels (the metric name under
// "__name__") and its samples (one for an instant query).
type Result struct {
	Labels  Labels
	Samples []Sample
}

// Name is the result's metric name, or "".
func (r Result) Name() string { return r.Labels.Get("__name__") }

// Labels are a result's labels in the engine's order: a few, read by a
// linear scan (a thousand-host answer decodes without a map per series).
type Labels []sources.Label

// Get returns the value of the label called name, or "".
func (ls Labels) Get(name string) string { return sources.LabelValue(ls, name) }

// Map returns the labels as a map.
func (ls Labels) Map() map[string]string {
	m := make(map[string]string, len(ls))
	for _, l := range ls {
		m[l.Name] = l.Value
	}
	return m
}

// UnmarshalJSON reads a JSON object of label names and values.
func (ls *Labels) UnmarshalJSON(b []byte) error {
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	out := make(Labels, 0, len(m))
	for k, v := range m {
		out = append(out, sources.Label{Name: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	*ls = out
	return nil
}

// UnmarshalJSON reads a Prometheus sample pair [unix_seconds, "value"]
// without the reflection of the general decoder (fleets return many).
func (smp *Sample) UnmarshalJSON(b []byte) error {
	b = trimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return fmt.Errorf("bad sample %.40q", b)
	}
	in := b[1 : len(b)-1]
	comma := -1
	for i, c := range in {
		if c == ',' {
			comma = i
			break
		}
	}
	if comma < 0 {
		return fmt.Errorf("bad sample %.40q", b)
	}
	tb := trimSpace(in[:comma])
	for i, c := range tb {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' && i > 0 || c == '-') {
			return fmt.Errorf("bad timestamp %.40q", tb)
		}
	}
	ts, err := strconv.ParseFloat(string(tb), 64)
	if err != nil {
		return fmt.Errorf("bad timestamp: %w", err)
	}
	vs := trimSpace(in[comma+1:])
	if len(vs) < 2 || vs[0] != '"' || vs[len(vs)-1] != '"' {
		return fmt.Errorf("bad value %.40q", vs)
	}
	raw := string(vs[1 : len(vs)-1])
	if strings.IndexByte(raw, '\\') >= 0 {
		if raw, err = strconv.Unquote(string(vs)); err != nil {
			return fmt.Errorf("bad value: %w", err)
		}
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return fmt.Errorf("bad value %q: %w", sources.OneLine(raw), err)
	}
	sec, frac := math.Modf(ts)
	*smp = Sample{At: time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6), Value: v}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// resultItem is one series of a vector (value) or matrix (values).
type resultItem struct {
	Metric Labels   `json:"metric"`
	Value  *Sample  `json:"value"`
	Values []Sample `json:"values"`
}

// resultList is a query result: a list of series, or a scalar's pair.
type resultList struct {
	items  []resultItem
	scalar *Sample
}

func (r *resultList) UnmarshalJSON(b []byte) error {
	t := trimSpace(b)
	if len(t) > 1 && t[0] == '[' {
		inner := trimSpace(t[1:])
		if len(inner) > 0 && inner[0] != '{' && inner[0] != ']' {
			var smp Sample
			if err := smp.UnmarshalJSON(t); err != nil {
				return err
			}
			r.scalar = &smp
			return nil
		}
	}
	if items, ok := fastItems(t); ok {
		r.items = items
		return nil
	}
	return json.Unmarshal(b, &r.items)
}

// fastItems reads a vector or matrix result list by hand: the shape
// Prometheus writes, [{"metric":{...},"value":[t,"v"]}, ...]. Anything it
// does not expect makes it give up (false) so that encoding/json decides.
func fastItems(b []byte) ([]resultItem, bool) {
	p := &scan{b: b}
	out, ok := p.items()
	return out, ok && p.end()
}

// items reads a vector or matrix result list at the scanner's position.
func (p *scan) items() ([]resultItem, bool) {
	if !p.eat('[') {
		return nil, false
	}
	// About a hundred bytes a series (labels, value): room for most answers.
	out := make([]resultItem, 0, (len(p.b)-p.i)/100+1)
	if p.eat(']') {
		return out, true
	}
	for {
		it, ok := p.item()
		if !ok {
			return nil, false
		}
		out = append(out, it)
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return out, true
		}
		return nil, false
	}
}

// envelope is an API answer: its status, error, warnings and data.
type envelope struct {
	Status    string     `json:"status"`
	Data      *queryData `json:"data"`
	ErrorType string     `json:"errorType"`
	Error     string     `json:"error"`
	Warnings  []string   `json:"warnings"`
	Infos     []string   `json:"infos"`
}

// decodeEnvelope reads an answer of /api/v1/query or /query_range into
// env, by hand where it has the shape engines write (vector or matrix
// data), else through encoding/json: one pass over the bytes instead of
// encoding/json's validation pass and its own.
func decodeEnvelope(b []byte, env *envelope) error {
	if fastEnvelope(b, env) {
		return nil
	}
	*env.Data = queryData{}
	env.Status, env.ErrorType, env.Error, env.Warnings, env.Infos = "", "", "", nil, nil
	return json.Unmarshal(b, env)
}

func fastEnvelope(b []byte, env *envelope) bool {
	p := &scan{b: b, tab: &answerStrings}
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return p.end()
	}
	for {
		k, ok := p.str()
		if !ok || !p.eat(':') {
			return false
		}
		switch k {
		case "status", "errorType", "error":
			v, ok := p.str()
			if !ok {
				return false
			}
			switch k {
			case "status":
				env.Status = v
			case "errorType":
				env.ErrorType = v
			default:
				env.Error = v
			}
		case "warnings", "infos":
			ws, ok := p.strings()
			if !ok {
				return false
			}
			if k == "warnings" {
				env.Warnings = ws
			} else {
				env.Infos = ws
			}
		case "data":
			if !p.data(env.Data) {
				return false
			}
		default:
			if foldsTo(k, "status", "errorType", "error", "warnings", "infos", "data") || !p.skip() {
				return false // encoding/json matches keys regardless of case
			}
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}') && p.end()
	}
}

// foldsTo reports whether k is one of names but for case.
func foldsTo(k string, names ...string) bool {
	for _, n := range names {
		if strings.EqualFold(k, n) {
			return true
		}
	}
	return false
}

// data reads {"resultType": "vector"|"matrix", "result": [...]}.
func (p *scan) data(d *queryData) bool {
	if !p.eat('{') {
		return false
	}
	if p.eat('}') {
		return true
	}
	for {
		k, ok := p.str()
		if !ok || !p.eat(':') {
			return false
		}
		switch k {
		case "resultType":
			if d.ResultType, ok = p.str(); !ok || d.ResultType != "vector" && d.ResultType != "matrix" {
				return false
			}
		case "result":
			if d.Result.items, ok = p.items(); !ok {
				return false
			}
		default:
			if foldsTo(k, "resultType", "result") || !p.skip() {
				return false
			}
		}
		if p.eat(',') {
			continue
		}
		return p.eat('}')
	}
}

// strings reads an array of strings (or null).
func (p *scan) strings() ([]string, bool) {
	if p.lit("null") {
		return nil, true
	}
	if !p.eat('[') {
		return nil, false
	}
	var out []string
	if p.eat(']') {
		return out, true
	}
	for {
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		out = append(out, s)
		if p.eat(',') {
			continue
		}
		return out, p.eat(']')
	}
}

func (p *scan) lit(s string) bool {
	p.ws()
	if strings.HasPrefix(string(p.b[p.i:min(len(p.b), p.i+len(s))]), s) {
		p.i += len(s)
		return true
	}
	return false
}

// skip passes over one JSON value the answer carries besides its data
// (VictoriaMetrics' stats, Thanos' flags): a string, a literal, a number, or
// an object or array, which must be valid JSON.
func (p *scan) skip() bool {
	p.ws()
	if p.i >= len(p.b) {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '"':
		_, ok := p.str()
		return ok
	case c == '{' || c == '[':
		start, depth, inStr := p.i, 0, false
		for j := p.i; j < len(p.b); j++ {
			switch c := p.b[j]; {
			case inStr && c == '\\':
				j++
			case c == '"':
				inStr = !inStr
			case inStr:
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					if !json.Valid(p.b[start : j+1]) {
						return false
					}
					p.i = j + 1
					return true
				}
			}
		}
		return false
	}
	for _, l := range []string{"true", "false", "null"} {
		if p.lit(l) {
			return true
		}
	}
	j := p.i
	for j < len(p.b) && (p.b[j] >= '0' && p.b[j] <= '9' || p.b[j] == '-' || p.b[j] == '+' || p.b[j] == '.' || p.b[j] == 'e' || p.b[j] == 'E') {
		j++
	}
	if j == p.i {
		return false
	}
	var v float64
	if json.Unmarshal(p.b[p.i:j], &v) != nil {
		return false
	}
	p.i = j
	return true
}

type scan struct {
	b    []byte
	i    int
	seen map[string]string // intern's strings, without tab
	tab  *strTable         // intern's strings, shared by answers
	// The answer's labels and instant values are cut from a few large
	// slices (a thousand-host answer is thousands of series, each a
	// small slice of each before).
	labels []sources.Label
	smps   []Sample
}

// sample is room for one instant value, cut from the scan's slab.
func (p *scan) sample() *Sample {
	if len(p.smps) == cap(p.smps) {
		p.smps = make([]Sample, 0, max(64, (len(p.b)-p.i)/80))
	}
	p.smps = p.smps[:len(p.smps)+1]
	return &p.smps[len(p.smps)-1]
}

func (p *scan) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *scan) eat(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scan) end() bool { p.ws(); return p.i == len(p.b) }

func (p *scan) str() (string, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i
	esc := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c < 0x20:
			return "", false // JSON forbids raw control bytes in strings
		case c >= 0x80:
			esc = true // let encoding/json handle (and replace) non-ASCII
		case c == '\\':
			esc = true
			j++
		case c == '"':
			p.i = j + 1
			if !esc {
				return p.intern(p.b[start+1 : j]), true
			}
			var v string
			if err := json.Unmarshal(p.b[start:j+1], &v); err != nil {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

// strTable holds the strings of answers (label names and values), shared
// by every answer and poll: the same instances, GPU indexes and models
// come back in every answer.
type strTable struct {
	mu sync.Mutex
	m  map[string]string
}

// strTableMax bounds the table: past it (label churn) it starts again.
const strTableMax = 1 << 17

var answerStrings = strTable{m: map[string]string{}}

func (t *strTable) intern(b []byte) string {
	t.mu.Lock()
	s, ok := t.m[string(b)]
	if !ok {
		if len(t.m) >= strTableMax {
			clear(t.m)
		}
		s = string(b)
		t.m[s] = s
	}
	t.mu.Unlock()
	return s
}

// intern is b as a string, one copy across answers: label names,
// instances and GPU indexes repeat across an answer's series and every
// poll's answers (a string each was a quarter of a poll's allocations at
// 1,000 hosts).
func (p *scan) intern(b []byte) string {
	if p.tab != nil {
		return p.tab.intern(b)
	}
	if s, ok := p.seen[string(b)]; ok {
		return s
	}
	s := string(b)
	if p.seen == nil {
		p.seen = make(map[string]string, 64)
	}
	if len(p.seen) < 1<<14 {
		p.seen[s] = s
	}
	return s
}

// pair returns the bytes of one [t, "v"] array.
func (p *scan) pair() ([]byte, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return nil, false
	}
	start := p.i
	inStr := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case inStr && c == '\\':
			j++
		case c == '"':
			inStr = !inStr
		case !inStr && c == ']':
			p.i = j + 1
			return p.b[start : j+1], true
		case !inStr && (c == '[' || c == '{'):
			return nil, false
		}
	}
	return nil, false
}

func (p *scan) item() (resultItem, bool) {
	var it resultItem
	if !p.eat('{') {
		return it, false
	}
	if p.eat('}') {
		return it, true
	}
	for {
		k, ok := p.str()
		if !ok || !p.eat(':') {
			return it, false
		}
		switch k {
		case "metric":
			if !p.eat('{') {
				return it, false
			}
			if cap(p.labels)-len(p.labels) < 16 {
				p.labels = make([]sources.Label, 0, max(256, (len(p.b)-p.i)/20))
			}
			start := len(p.labels)
			if !p.eat('}') {
				for {
					lk, ok1 := p.str()
					if !ok1 || !p.eat(':') {
						return it, false
					}
					lv, ok2 := p.str()
					if !ok2 {
						return it, false
					}
					// A name given twice keeps its last value, as a
					// JSON object read into a map would.
					dup := false
					for i := start; i < len(p.labels); i++ {
						if p.labels[i].Name == lk {
							p.labels[i].Value, dup = lv, true
							break
						}
					}
					if !dup {
						p.labels = append(p.labels, sources.Label{Name: lk, Value: lv})
					}
					if p.eat(',') {
						continue
					}
					if p.eat('}') {
						break
					}
					return it, false
				}
			}
			// Its own slice of the slab (a later append grows a new one).
			it.Metric = Labels(p.labels[start:len(p.labels):len(p.labels)])
		case "value":
			pb, ok := p.pair()
			if !ok {
				return it, false
			}
			smp := p.sample()
			if smp.UnmarshalJSON(pb) != nil {
				return it, false
			}
			it.Value = smp
		case "values":
			if !p.eat('[') {
				return it, false
			}
			if !p.eat(']') {
				for {
					pb, ok := p.pair()
					if !ok {
						return it, false
					}
					var smp Sample
					if smp.UnmarshalJSON(pb) != nil {
						return it, false
					}
					it.Values = append(it.Values, smp)
					if p.eat(',') {
						continue
					}
					if p.eat(']') {
						break
					}
					return it, false
				}
			}
		default:
			return it, false // histograms (native) and the unknown: encoding/json decides
		}
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return it, true
		}
		return it, false
	}
}

type queryData struct {
	ResultType string     `json:"resultType"`
	Result     resultList `json:"result"`
}

func (d queryData) results() ([]Result, error) {
	switch d.ResultType {
	case "vector", "matrix":
		out := make([]Result, 0, len(d.Result.items))
		n := 0
		for _, it := range d.Result.items {
			if it.Value != nil {
				n++
			}
		}
		one := make([]Sample, n) // an instant answer's values, each its own slice of it
		for _, it := range d.Result.items {
			r := Result{Labels: it.Metric}
			if it.Value != nil {
				one[0] = *it.Value
				r.Samples, one = one[:1:1], one[1:]
			} else {
				r.Samples = it.Values
			}
			out = append(out, r)
		}
		return out, nil
	case "scalar":
		if d.Result.scalar == nil {
			return nil, errors.New("decode scalar: no value")
		}
		return []Result{{Labels: Labels{}, Samples: []Sample{*d.Result.scalar}}}, nil
	}
	return nil, fmt.Errorf("unsupported result type %q", sources.OneLine(d.ResultType))
}
