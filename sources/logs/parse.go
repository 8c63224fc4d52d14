// Package logs brings log lines into vigil: files tailed with `tail -F`
// semantics, a command's output, stdin, an HTTP stream of newline-delimited
// JSON and a Loki-compatible query API. Every source hands its lines to a
// Parser, a pure function over bytes that reads JSON, logfmt and plain text,
// finds the time, level, service, trace and span ids, flattens nested fields
// with dots, redacts configured fields and strips terminal control sequences.
//
// A field that becomes the record's own time, level, message, service, trace
// or span id is not repeated in LogRecord.Fields (fewer fields are cheaper
// to build and to keep 100,000 of); Field looks a field up under any
// spelling, those included.
package logs

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// DefaultRedact is the set of field names redacted unless configured
// otherwise: AI services often log user prompts and model outputs.
var DefaultRedact = []string{"prompt", "completion", "messages", "input", "output"}

// Redacted is what a redacted value shows.
const Redacted = "[redacted]"

// RedactRefField is the field that carries a redacted line's reference in
// the Vault; the original line itself never leaves memory.
const RedactRefField = "_redacted"

// CutField is the field of a line longer than MaxLine: how much of it was
// cut ("9.9 MB"). The record keeps what was read of the line, the level
// and fields included.
const CutField = "_cut"

// Default limits.
const (
	DefaultMaxLine   = 64 << 10 // bytes of a line kept; the rest is cut with a marker
	DefaultMaxFields = 128      // fields kept per line
	maxDepth         = 8        // JSON nesting flattened; deeper values stay as JSON text
)

// Rule is a per-field extraction rule: Regex runs on the raw line (or on the
// field named From) and each named group becomes a field. Groups named time,
// level, service, msg, trace_id or span_id set the record's own fields.
type Rule struct {
	From  string `yaml:"from"`  // field to match; "" for the whole line
	Regex string `yaml:"regex"` // RE2 syntax with named groups, e.g. `^(?P<level>\w+) (?P<msg>.*)`
	re    *regexp.Regexp
}

// ParseOptions configures a Parser. The zero value is usable.
type ParseOptions struct {
	// Redact lists field names whose values are replaced by [redacted]; a
	// name matches a flattened key or its last dotted part. nil means
	// DefaultRedact; an empty non-nil slice redacts nothing.
	Redact []string
	// Rules are extraction rules applied after the format is parsed.
	Rules []Rule
	// MaxLine is the number of bytes of a line kept (default 64 KiB).
	MaxLine int
	// MaxFields is the number of fields kept per line (default 128).
	MaxFields int
	// Location is the zone of timestamps that carry none (default time.Local).
	Location *time.Location
	// Vault keeps the originals of redacted lines in memory so that one can be
	// revealed on request; nil keeps nothing.
	Vault *Vault
}

// Parser turns lines into records. It is safe for concurrent use.
type Parser struct {
	redact  map[string]bool
	redMask [256]uint64 // by first byte, a bit per length (< 64) of redacted names: most keys skip the map
	redLast [256]uint64 // the same by last byte
	redLong bool        // a redacted name of 64 bytes or more: always look
	rules   []Rule
	maxLine int
	maxF    int
	loc     *time.Location
	vault   *Vault

	mu   sync.RWMutex
	keys map[string]string // interned flattened keys
}

// NewParser compiles opts.
func NewParser(opts ParseOptions) (*Parser, error) {
	p := &Parser{redact: map[string]bool{}, maxLine: opts.MaxLine, maxF: opts.MaxFields,
		loc: opts.Location, vault: opts.Vault, keys: map[string]string{}}
	red := opts.Redact
	if red == nil {
		red = DefaultRedact
	}
	for _, r := range red {
		if r = strings.TrimSpace(r); r != "" {
			p.redact[r] = true
			if len(r) < 64 {
				p.redMask[r[0]] |= 1 << len(r)
				p.redLast[r[len(r)-1]] |= 1 << len(r)
			} else {
				p.redLong = true
			}
		}
	}
	if p.maxLine <= 0 {
		p.maxLine = DefaultMaxLine
	}
	if p.maxF <= 0 {
		p.maxF = DefaultMaxFields
	}
	if p.loc == nil {
		p.loc = time.Local
	}
	for _, r := range opts.Rules {
		re, err := regexp.Compile(r.Regex)
		if err != nil {
			return nil, fmt.Errorf("logs: rule %q: %w", r.Regex, err)
		}
		r.re = re
		p.rules = append(p.rules, r)
	}
	return p, nil
}

var defaultParser, _ = NewParser(ParseOptions{})

// Parse parses one line with the default options (default redaction, no
// rules, no vault). readAt stamps lines that carry no time of their own.
func Parse(line []byte, readAt time.Time) sources.LogRecord {
	return defaultParser.Parse(line, readAt)
}

// MaxLine is the number of bytes of a line the parser keeps.
func (p *Parser) MaxLine() int { return p.maxLine }

// Parse parses one line (without its newline). Lines longer than MaxLine are
// cut with a marker. readAt stamps lines that carry no time of their own.
func (p *Parser) Parse(line []byte, readAt time.Time) sources.LogRecord {
	kept, cut := Cut(line, p.maxLine)
	return p.ParseCut(kept, cut, readAt)
}

// ParseCut parses a line of which cut bytes were already dropped by the
// reader (0 when whole). A cut line keeps the fields of the part that was
// read (a JSON object or logfmt pairs up to the last whole value), its Raw
// ends with a marker saying how much was cut, and CutField says it too.
func (p *Parser) ParseCut(line []byte, cut int64, readAt time.Time) sources.LogRecord {
	r, _ := p.parseLine(line, cut, readAt)
	return r
}

// parseLine is ParseCut, also reporting whether the line is structured
// (JSON or logfmt): a plain-text line without a time may continue the
// record of the line before it.
func (p *Parser) parseLine(line []byte, cut int64, readAt time.Time) (sources.LogRecord, bool) {
	// The line is read front to back once (its last byte only after clean
	// has brought it into the cache): all but the last byte, then the last,
	// which is dropped when it is the '\r' of a CRLF line.
	ok := true
	if n := len(line); n > 0 {
		ok = clean(line[:n-1])
		switch c := line[n-1]; {
		case c == '\r':
			line = line[:n-1]
		case c < 0x20 || c >= 0x7f:
			ok = false
		}
	}
	var s string
	if ok {
		s = string(line)
	} else {
		s = sources.Sanitize(string(line))
	}
	if cut == 0 {
		if inner, at, stream, ok := p.unwrap(s, readAt); ok {
			r, structured := p.parse(inner, 0, at)
			r.TimeRead = false // the runtime's time
			if stream != "" && r.Fields.Len() < p.maxF && !r.Fields.Has("stream") {
				var b sources.FieldsBuilder
				b.Reset(r.Fields)
				b.Add("stream", stream)
				r.Fields = b.Fields()
			}
			return r, structured
		}
	}
	return p.parse(s, cut, readAt)
}

// unwrap takes the application's line out of a container runtime's
// wrapping: CRI (containerd, CRI-O: /var/log/pods) writes
// "<RFC 3339 time> stdout|stderr F|P <line>", Docker's json-file driver
// {"log":"<line>\n","stream":"stdout","time":"<RFC 3339>"}. The runtime's
// time stamps an inner line that has none.
func (p *Parser) unwrap(s string, readAt time.Time) (inner string, at time.Time, stream string, ok bool) {
	if strings.HasPrefix(s, `{"log":"`) {
		st := newState(state{p: p, s: s, readAt: readAt, noRoles: true})
		defer st.free()
		if !st.json(s) {
			return "", time.Time{}, "", false
		}
		line, ok := st.fb.Get("log")
		if !ok {
			return "", time.Time{}, "", false
		}
		at = readAt
		tv, _ := st.fb.Get("time")
		if t, ok := ParseTime(tv, p.loc); ok {
			at = t
		}
		stream, _ := st.fb.Get("stream")
		return strings.TrimRight(line, "\r\n"), at, stream, true
	}
	if len(s) > 30 && s[4] == '-' && s[10] == 'T' {
		t, n, ok := parseISOPrefix(s, p.loc)
		if !ok {
			return "", time.Time{}, "", false
		}
		rest := s[n:]
		for _, str := range []string{" stdout ", " stderr "} {
			if strings.HasPrefix(rest, str) && len(rest) >= len(str)+2 && (rest[len(str)] == 'F' || rest[len(str)] == 'P') &&
				(len(rest) == len(str)+1 || rest[len(str)+1] == ' ') {
				return rest[min(len(rest), len(str)+2):], t, str[1 : len(str)-1], true
			}
		}
	}
	return "", time.Time{}, "", false
}

// parse parses a sanitized line, and reports whether it is structured.
func (p *Parser) parse(s string, cut int64, readAt time.Time) (sources.LogRecord, bool) {
	st := newState(state{p: p, s: s, rec: sources.LogRecord{Raw: s}, readAt: readAt})
	defer st.free()
	if cut > 0 {
		// What was read of a longer line: its fields up to the last whole
		// value, as far as it parses.
		st.suffix = CutMarker(cut)
		st.rec.Raw = s + st.suffix
		st.partial = true
	}
	t := strings.TrimLeft(s, " \t")
	switch {
	case len(t) > 0 && t[0] == '{' && st.json(t):
		st.structured = true
	case st.logfmt(s, 0):
		st.structured = true
	case st.timedLogfmt(s):
		st.structured = true
	default:
		st.reset()
		st.plain(s)
	}
	for i := range p.rules {
		st.applyRule(&p.rules[i])
	}
	if cut > 0 {
		st.partial = false
		st.set(CutField, humanBytes(cut))
	}
	return st.finish(readAt), st.structured
}

// timedLogfmt reads a timestamp followed by logfmt pairs, as many loggers
// write: "2026-11-27T07:25:40Z level=info msg=\"done\" id=7". A time= pair
// wins over the prefix.
func (st *state) timedLogfmt(s string) bool {
	if len(s) < 19 || s[0] < '0' || s[0] > '9' {
		return false
	}
	t, n, ok := parseISOPrefix(s, st.p.loc)
	if !ok || n >= len(s) || s[n] != ' ' {
		return false
	}
	if !st.logfmt(s, n) {
		return false
	}
	if !st.hasT {
		st.rec.At, st.hasT = t, true
	}
	return true
}

// clean reports whether line is printable ASCII (no control byte, no DEL,
// nothing ≥ 0x80), sixteen bytes at a time; such a line needs no sanitizing.
// Anything else, tabs included, goes through sources.Sanitize.
func clean(line []byte) bool {
	// For each byte b of x the high bit of x|(x+1)|(x-0x20) is set when
	// b ≥ 0x80, b == 0x7f or b < 0x20. A carry or borrow between bytes only
	// starts at such a byte, so it can add a false alarm above a bad byte but
	// never hide the lowest one: the OR over the line is exact.
	var acc uint64
	i := 0
	for ; i+32 <= len(line); i += 32 {
		w := line[i : i+32 : i+32] // one bounds check for four words
		x := binary.LittleEndian.Uint64(w[0:])
		y := binary.LittleEndian.Uint64(w[8:])
		z := binary.LittleEndian.Uint64(w[16:])
		u := binary.LittleEndian.Uint64(w[24:])
		acc |= x | (x + ones) | (x - 0x20*ones) | y | (y + ones) | (y - 0x20*ones) |
			z | (z + ones) | (z - 0x20*ones) | u | (u + ones) | (u - 0x20*ones)
	}
	for ; i+8 <= len(line); i += 8 {
		x := binary.LittleEndian.Uint64(line[i:])
		acc |= x | (x + ones) | (x - 0x20*ones)
	}
	if acc&highs != 0 {
		return false
	}
	for ; i < len(line); i++ {
		if c := line[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// Cut returns the first max bytes of line (backed off to a UTF-8 boundary)
// and how many bytes were dropped.
func Cut(line []byte, max int) ([]byte, int64) {
	if len(line) <= max {
		return line, 0
	}
	n := max
	for k := 0; k < 3 && n > 0 && line[n]&0xc0 == 0x80; k++ {
		n--
	}
	return line[:n], int64(len(line) - n)
}

// CutMarker is the text appended to a line of which n bytes were cut.
func CutMarker(n int64) string {
	return " …[cut " + humanBytes(n) + "]"
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// role is what a field means to the record.
type role uint8

const (
	roleNone role = iota
	roleTime
	roleLevel
	roleMsg
	roleService
	roleTrace
	roleSpan
	roleTraceparent
	rolePriority // syslog priority 0..7 (journald)
	roleEpochMicro
)

// roleKeys are the common spellings of the keys that have a role.
var roleKeys = []struct {
	r    role
	keys []string
}{
	{roleTime, []string{"time", "ts", "timestamp", "@timestamp", "t", "date", "datetime", "asctime", "@t", "time_local", "eventTime"}},
	{roleEpochMicro, []string{"__REALTIME_TIMESTAMP"}},
	{roleLevel, []string{"level", "lvl", "severity", "levelname", "log.level", "loglevel", "log_level", "severity_text",
		"severityText", "@l", "level_name", "detected_level"}},
	{rolePriority, []string{"PRIORITY"}},
	{roleMsg, []string{"msg", "message", "@m", "body", "MESSAGE", "event", "log", "fields.message"}},
	{roleService, []string{"service", "service.name", "service_name", "serviceName", "svc", "app", "application",
		"resource.service.name", "SYSLOG_IDENTIFIER", "_SYSTEMD_UNIT", "component"}},
	{roleTrace, []string{"trace_id", "traceId", "traceID", "traceid", "otel.trace_id", "trace.id", "dd.trace_id", "TraceId"}},
	{roleSpan, []string{"span_id", "spanId", "spanID", "spanid", "otel.span_id", "span.id", "dd.span_id", "SpanId"}},
	{roleTraceparent, []string{"traceparent"}},
}

// roleCand is one spelling that has a role.
type roleCand struct {
	k string
	r role
}

// roleMask and roleLast have, by a key's first and last byte, a bit per
// length (< 64) of the spellings, so that most keys without a role are told
// so at once; roleTab holds the spellings by roleHash, a bucket or two
// each, compared without hashing the whole key.
var roleMask, roleLast, roleTab = func() (*[256]uint64, *[256]uint64, *[256][]roleCand) {
	var mask, last [256]uint64
	var tab [256][]roleCand
	for _, rk := range roleKeys {
		for _, k := range rk.keys {
			if len(k) >= 64 {
				panic("logs: role key too long: " + k) // a programming error, caught by any test
			}
			mask[k[0]] |= 1 << len(k)
			last[k[len(k)-1]] |= 1 << len(k)
			h := roleHash(k)
			tab[h] = append(tab[h], roleCand{k, rk.r})
		}
	}
	return &mask, &last, &tab
}()

// roleHash is a key's bucket in roleTab: its length, first and last bytes.
func roleHash(k string) uint8 {
	return uint8(len(k)*41 + int(k[0])*7 + int(k[len(k)-1])*3)
}

// mayRole is roleOf's quick test: false means k surely has no role.
func mayRole(k string) bool {
	return len(k) > 0 && len(k) < 64 && roleMask[k[0]]&(1<<len(k)) != 0 && roleLast[k[len(k)-1]]&(1<<len(k)) != 0
}

// roleOf maps the common spellings of a key to its role.
func roleOf(k string) role {
	if !mayRole(k) {
		return roleNone
	}
	for _, c := range roleTab[roleHash(k)] {
		if c.k == k {
			return c.r
		}
	}
	return roleNone
}

// state is one line being parsed.
type state struct {
	p          *Parser
	s          string            // the sanitized line
	rec        sources.LogRecord // its Fields are built in fb until finish
	fb         sources.FieldsBuilder
	red        []span // value ranges of s to redact
	readAt     time.Time
	hasT       bool
	structured bool   // JSON or logfmt
	partial    bool   // the line was cut: a value that reaches its end is not whole
	noRoles    bool   // keep every field as is (reading a container wrapper)
	suffix     string // the cut marker, if any
	j          jscan  // the JSON scanner's position
	scratch    [96]byte
}

// states are the parse states not in use: a state, with the fields it
// collects, is larger than a line's record, and a parse would otherwise
// allocate one.
var states = sync.Pool{New: func() any { return new(state) }}

// newState is init in a state from the pool.
func newState(init state) *state {
	st := states.Get().(*state)
	red := st.red[:0]
	*st = init
	st.red = red
	st.fb.Reset(sources.Fields{})
	return st
}

// free clears st (so that the pool keeps no line alive) and puts it back.
func (st *state) free() {
	red := st.red[:0]
	*st = state{red: red}
	states.Put(st)
}

// span is a range of the line to redact; q when it is a quoted JSON value.
type span struct {
	a, b int
	q    bool
}

func (st *state) reset() {
	st.rec = sources.LogRecord{Raw: st.s + st.suffix}
	st.fb.Reset(sources.Fields{})
	st.red = st.red[:0]
	st.hasT = false
}

// redacted reports whether key (flattened) or its last part is configured
// for redaction.
func (st *state) redacted(full, last string) bool {
	p := st.p
	if p.redLong || p.mayRedact(last) || len(full) != len(last) && p.mayRedact(full) {
		return p.redact[last] || p.redact[full]
	}
	return false // also when nothing is redacted: the masks are empty
}

// mayRedactKey is the quickest test, on the last byte of a key, its last
// dotted part and its flattened form alike (all end with it): false means
// neither is redacted. k is the last part; an empty one says nothing.
func (p *Parser) mayRedactKey(k string) bool {
	return len(k) == 0 || p.redLong || p.redLast[k[len(k)-1]] != 0
}

// mayRedact is a quick test on a key's first and last bytes and length:
// false means the key is surely not redacted.
func (p *Parser) mayRedact(k string) bool {
	return len(k) > 0 && len(k) < 64 && p.redMask[k[0]]&(1<<len(k)) != 0 && p.redLast[k[len(k)-1]]&(1<<len(k)) != 0
}

// set records a field and gives it its role. A field that becomes the
// record's time, level, message, service, trace or span id is not kept in
// Fields too: it is on the record, and fewer fields are cheaper. Values
// arrive sanitized.
func (st *state) set(k, v string) {
	if mayRole(k) && st.role(k, v) {
		return
	}
	if st.fb.Len() >= st.p.maxF {
		if _, dup := st.fb.Get(k); !dup {
			return
		}
	}
	st.fb.Set(k, v)
}

// role gives a field its meaning and reports whether the record took it.
func (st *state) role(k, v string) bool {
	if st.noRoles {
		return false
	}
	r := roleOf(k)
	if r == roleNone || v == "" {
		return false
	}
	switch r {
	case roleTime:
		if !st.hasT {
			if t, ok := ParseTime(v, st.p.loc); ok {
				st.rec.At, st.hasT = t, true
				return true
			}
		}
	case roleEpochMicro:
		if !st.hasT {
			if t, ok := parseEpoch(v, 1e3); ok {
				st.rec.At, st.hasT = t, true
				return true
			}
		}
	case roleLevel:
		if st.rec.Level == sources.LevelUnknown {
			st.rec.Level = ParseLevel(v)
			return st.rec.Level != sources.LevelUnknown
		}
	case rolePriority:
		if st.rec.Level == sources.LevelUnknown {
			st.rec.Level = syslogLevel(v)
			return st.rec.Level != sources.LevelUnknown
		}
	case roleMsg:
		if st.rec.Msg == "" {
			st.rec.Msg = v
			return true
		}
	case roleService:
		if st.rec.Service == "" {
			st.rec.Service = v
			return true
		}
	case roleTrace:
		if st.rec.TraceID == "" {
			st.rec.TraceID = v
			return true
		}
	case roleSpan:
		if st.rec.SpanID == "" {
			st.rec.SpanID = v
			return true
		}
	case roleTraceparent:
		if tr, sp, ok := ParseTraceparent(v); ok && st.rec.TraceID == "" {
			st.rec.TraceID = tr
			if st.rec.SpanID == "" {
				st.rec.SpanID = sp
			}
			return true
		}
	}
	return false
}

// ParseLevel reads a level: the spellings sources.ParseLevel knows, plus
// numeric pino/bunyan levels (10..60) and single letters.
func ParseLevel(v string) sources.Level {
	// The usual spellings, exactly as sources.ParseLevel reads them, without
	// its trimming and lower-casing (TestParseLevelFastPath holds them equal).
	switch v {
	case "info":
		return sources.LevelInfo
	case "error":
		return sources.LevelError
	case "warn", "warning":
		return sources.LevelWarn
	case "debug":
		return sources.LevelDebug
	}
	if l := sources.ParseLevel(v); l != sources.LevelUnknown {
		return l
	}
	if len(v) == 2 && v[0] >= '1' && v[0] <= '6' && v[1] >= '0' && v[1] <= '9' {
		return sources.Level((v[0] - '0'))
	}
	return sources.LevelUnknown
}

// syslogLevel maps a syslog priority (0 emerg .. 7 debug) to a level.
func syslogLevel(v string) sources.Level {
	if len(v) != 1 || v[0] < '0' || v[0] > '7' {
		return sources.LevelUnknown
	}
	switch v[0] {
	case '0', '1', '2':
		return sources.LevelFatal
	case '3':
		return sources.LevelError
	case '4':
		return sources.LevelWarn
	case '5', '6':
		return sources.LevelInfo
	}
	return sources.LevelDebug
}

// ParseTraceparent reads a W3C traceparent header value
// (version-traceid-spanid-flags).
func ParseTraceparent(v string) (traceID, spanID string, ok bool) {
	if len(v) < 55 || v[2] != '-' || v[35] != '-' || v[52] != '-' {
		return "", "", false
	}
	tr, sp := v[3:35], v[36:52]
	if !isHex(tr) || !isHex(sp) {
		return "", "", false
	}
	return tr, sp, true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s) > 0
}

// key returns prefix.k, interned so that repeated keys do not allocate.
func (st *state) key(prefix, k string) string {
	if prefix == "" {
		return k
	}
	n := len(prefix) + 1 + len(k)
	var b []byte
	if n <= len(st.scratch) {
		b = st.scratch[:0]
	} else {
		b = make([]byte, 0, n)
	}
	b = append(b, prefix...)
	b = append(b, '.')
	b = append(b, k...)
	p := st.p
	p.mu.RLock()
	v, ok := p.keys[string(b)]
	p.mu.RUnlock()
	if ok {
		return v
	}
	v = string(b)
	p.mu.Lock()
	if len(p.keys) < 4096 {
		p.keys[v] = v
	}
	p.mu.Unlock()
	return v
}

// get reads a field by name, including those the record took.
func (st *state) get(k string) (string, bool) {
	if v, ok := st.fb.Get(k); ok {
		return v, true
	}
	switch roleOf(k) {
	case roleMsg:
		return st.rec.Msg, st.rec.Msg != ""
	case roleService:
		return st.rec.Service, st.rec.Service != ""
	case roleTrace:
		return st.rec.TraceID, st.rec.TraceID != ""
	case roleSpan:
		return st.rec.SpanID, st.rec.SpanID != ""
	}
	return "", false
}

// applyRule runs one extraction rule.
func (st *state) applyRule(r *Rule) {
	src := st.s
	off := 0
	if r.From != "" {
		v, ok := st.get(r.From)
		if !ok {
			return
		}
		src, off = v, -1
	}
	m := r.re.FindStringSubmatchIndex(src)
	if m == nil {
		return
	}
	for i, name := range r.re.SubexpNames() {
		if i == 0 || name == "" || m[2*i] < 0 {
			continue
		}
		v := src[m[2*i]:m[2*i+1]]
		switch name {
		case "time":
			name = "time"
			st.hasT = false
		case "msg", "message":
			st.rec.Msg = ""
		case "level":
			st.rec.Level = sources.LevelUnknown
		case "service":
			st.rec.Service = ""
		}
		if st.redacted(name, name) {
			if off == 0 {
				st.red = append(st.red, span{m[2*i], m[2*i+1], false})
			}
			v = Redacted
		}
		st.set(name, v)
	}
}

// finish stamps the time, applies redaction and returns the record.
func (st *state) finish(readAt time.Time) sources.LogRecord {
	if !st.hasT {
		st.rec.At, st.rec.TimeRead = readAt, true
	}
	if st.rec.Msg == "" && !st.structured {
		st.rec.Msg = strings.TrimSpace(st.rec.Raw)
	}
	if len(st.red) > 0 {
		raw := spliceRedacted(st.s, st.red) + st.suffix
		// The record's own strings are substrings of the original line;
		// copy them so that the line, secret included, is not kept alive by
		// the record: the vault's bounded copy is the only one. (Fields
		// never keep the line: they are built into strings of their own.)
		r := &st.rec
		r.Msg, r.Service, r.TraceID, r.SpanID = strings.Clone(r.Msg), strings.Clone(r.Service), strings.Clone(r.TraceID), strings.Clone(r.SpanID)
		if st.p.vault != nil {
			st.fb.Set(RedactRefField, st.p.vault.Put(st.rec.Raw))
		}
		st.rec.Raw = raw
	}
	st.rec.Fields = st.fb.Fields()
	return st.rec
}

// spliceRedacted replaces each range of s with [redacted] (quoted for JSON).
func spliceRedacted(s string, red []span) string {
	sort.Slice(red, func(i, j int) bool { return red[i].a < red[j].a })
	var b strings.Builder
	b.Grow(len(s))
	last := 0
	for _, r := range red {
		if r.a < last || r.b > len(s) || r.a > r.b {
			continue
		}
		b.WriteString(s[last:r.a])
		if r.q {
			b.WriteString(`"` + Redacted + `"`)
		} else {
			b.WriteString(Redacted)
		}
		last = r.b
	}
	b.WriteString(s[last:])
	return b.String()
}
