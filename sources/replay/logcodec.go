package replay

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Log records in block codec 1 (format 2.x; FORMAT.md, "Log records").
//
// A log record's raw line repeats what its other fields hold: the time,
// the message, the service, the trace and span ids and every field value
// were parsed out of it. Codec 0 stored the raw line and the fields side
// by side, so a JSON line cost about one and a half times its compressed
// size. Codec 1 stores each of them once: the fields as they are, and the
// raw line as a template whose holes name the field that fills them. Lines
// of one shape (the same keys in the same order) share one template, so
// what is left per line is the values, which is what the compressor cannot
// shrink anyway. Trace and span ids in lowercase hex are stored as bytes,
// half their text, in a section of their own that keeps them away from
// the text the compressor models.

// Template bytes (inside a text string, before its own 0/1 escaping).
const (
	tmplHole   = 0x02 // a hole: the kind byte follows
	tmplKeyEnd = 0x03 // ends the key of a field hole
	tmplEsc    = 0x04 // the next byte is literal (one of 0x02, 0x03, 0x04)
)

// Hole kinds: what fills a template's hole.
const (
	holeTime    = 'T' // the record's time, formatted with logTimeLayouts[next byte - '0']
	holeMsg     = 'M'
	holeService = 'S'
	holeTrace   = 'I'
	holeSpan    = 'P'
	holeField   = 'F' // the field whose key follows, up to tmplKeyEnd
	holeHexID   = 'H' // the same, its value an id in hex (isHexID, at least minHexField digits) stored as bytes
	// holeLineKeys ends a template: the keys that follow, space-separated
	// up to tmplKeyEnd, name fields found in the line by lineField. It
	// fills nothing.
	holeLineKeys = 'K'
)

// logTimeLayouts are the layouts a time hole can have, always in UTC. The
// index is part of the format: append only. logTimeParts splits each into
// what timeText builds it from; TestLogTimeText holds the two together.
var logTimeLayouts = [...]string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.000000000Z07:00",
	"2006-01-02T15:04:05.000000Z07:00",
	"2006-01-02T15:04:05.000Z07:00",
	time.RFC3339,
	"2006-01-02 15:04:05.000000000",
	"2006-01-02 15:04:05.000000",
	"2006-01-02 15:04:05.000",
	"2006-01-02 15:04:05,000",
	"2006-01-02 15:04:05",
	"2006/01/02 15:04:05.000000",
	"2006/01/02 15:04:05",
	"02/Jan/2006:15:04:05 -0700",
	"01-02 15:04:05",
}

// logTimeParts are logTimeLayouts as: the layout up to the seconds, the
// fraction's separator and digits (-9: up to 9, trailing zeros trimmed),
// and the zone as UTC writes it.
var logTimeParts = [len(logTimeLayouts)]struct {
	secs   string
	sep    byte
	digits int
	zone   string
}{
	{"2006-01-02T15:04:05", '.', -9, "Z"},
	{"2006-01-02T15:04:05", '.', 9, "Z"},
	{"2006-01-02T15:04:05", '.', 6, "Z"},
	{"2006-01-02T15:04:05", '.', 3, "Z"},
	{"2006-01-02T15:04:05", 0, 0, "Z"},
	{"2006-01-02 15:04:05", '.', 9, ""},
	{"2006-01-02 15:04:05", '.', 6, ""},
	{"2006-01-02 15:04:05", '.', 3, ""},
	{"2006-01-02 15:04:05", ',', 3, ""},
	{"2006-01-02 15:04:05", 0, 0, ""},
	{"2006/01/02 15:04:05", '.', 6, ""},
	{"2006/01/02 15:04:05", 0, 0, ""},
	{"02/Jan/2006:15:04:05", 0, 0, " +0000"},
	{"01-02 15:04:05", 0, 0, ""},
}

// timeText formats times in logTimeLayouts, in UTC, the part up to the
// seconds once per second and layout: lines of a log come many a second.
type timeText struct {
	sec    int64
	layout int
	secs   []byte
}

// write writes t in layout k to w.
func (tt *timeText) write(w *strings.Builder, t time.Time, k int) {
	var buf [48]byte
	w.Write(tt.append(buf[:0], t, k))
}

// append appends t in layout k (logTimeLayouts).
func (tt *timeText) append(dst []byte, t time.Time, k int) []byte {
	p := &logTimeParts[k]
	if sec := t.Unix(); sec != tt.sec || k != tt.layout || tt.secs == nil {
		tt.sec, tt.layout = sec, k
		tt.secs = t.UTC().AppendFormat(tt.secs[:0], p.secs)
	}
	dst = append(dst, tt.secs...)
	if p.sep != 0 {
		ns := t.Nanosecond()
		digits := p.digits
		if digits < 0 {
			digits = 9
			for digits > 0 && ns%10 == 0 {
				ns /= 10
				digits--
			}
		} else {
			for range 9 - digits {
				ns /= 10
			}
		}
		if digits > 0 {
			dst = append(dst, p.sep)
			var d [9]byte
			for i := digits - 1; i >= 0; i-- {
				d[i] = byte('0' + ns%10)
				ns /= 10
			}
			dst = append(dst, d[:digits]...)
		}
	}
	return append(dst, p.zone...)
}

// Log record flags (codec 1).
const (
	lfTraceHex = 1 << iota // the trace id is lowercase hex: its bytes are in the ids section
	lfSpanHex              // the span id likewise
	lfFields               // Fields is not nil and the template names none of them
	lfTimeRead             // the line carried no time: At is when it was read (LogRecord.TimeRead)
	lfExtra                // some fields are pairs of their own: their count and pairs follow
)

// maxHexID is the longest id (in hex digits) stored as bytes.
const maxHexID = 64

// minHexField is the shortest field value stored as bytes: shorter hex
// (a status code, a small number) is better left to the compressor.
const minHexField = 16

// logTimeMisses is how many lines of one source in a block may fail to
// show their time in any layout before the encoder stops looking.
const logTimeMisses = 8

// hole is a stretch of a raw line that a record's field fills.
type hole struct {
	start, end int
	kind       byte
	layout     byte   // holeTime
	key        string // holeField, holeHexID
}

// logState is what the encoder remembers per source within a block: the
// time layout its lines last used, and how often none matched.
type logState struct {
	layout int
	misses int
}

// logEnc is the encoder's per-block state for log records.
type logEnc struct {
	prevAt   int64    // the previous record's time (Unix ns); 0 before the block's first
	ids      enc      // the ids section
	holes    []hole   // scratch
	tmpl     []byte   // scratch
	keys     []string // scratch
	where    []int8   // scratch: where each field is stored (fieldHole, ...)
	lineKeys []byte   // scratch: the keys of the fields found in the line
	bySrc    map[string]*logState
	tt       timeText
	tbuf     []byte // scratch
}

func (le *logEnc) reset() {
	le.prevAt = 0
	le.ids.b = le.ids.b[:0]
	clear(le.bySrc)
}

// logTime writes a record's time: 0 for the zero time, 1 for the time of
// its frame (ref), else 2 + (zigzag(Δ / 10^s) << 4 | s), Δ from the
// previous record's time and s the decimal zeros it ends with (at most 9):
// a millisecond clock costs no more than its milliseconds. s = 15 escapes
// a Δ too large for that: the time follows, absolute (sv).
func (le *logEnc) logTime(e *enc, t time.Time, ref int64) {
	if t.IsZero() {
		e.uv(0)
		return
	}
	ns, prev := t.UnixNano(), le.prevAt
	le.prevAt = ns
	if ns == ref {
		e.uv(1)
		return
	}
	d := ns - prev
	if (ns >= 0) != (prev >= 0) && (d >= 0) != (ns >= prev) || d >= 1<<57 || d <= -(1<<57) {
		e.uv(2 + 15)
		e.sv(ns)
		return
	}
	s := 0
	for s < 9 && d != 0 && d%10 == 0 {
		d /= 10
		s++
	}
	e.uv(2 + (uint64(d<<1^d>>63)<<4 | uint64(s)))
}

// isHexID reports whether s is an id worth storing as bytes: lowercase
// hex digits, an even number of them.
func isHexID(s string) bool {
	if len(s) < 2 || len(s) > maxHexID || len(s)%2 != 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// wordByte reports whether c continues a token: a hole must not start or
// end inside one (it would still decode, but lines of one shape would not
// share their template).
func wordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-' || c == '.' || c >= 0x80
}

func delimited(raw string, start, end int) bool {
	return (start == 0 || !wordByte(raw[start-1])) && (end == len(raw) || !wordByte(raw[end]))
}

// free reports whether [start, end) overlaps none of hs.
func free(hs []hole, start, end int) bool {
	for _, h := range hs {
		if start < h.end && h.start < end {
			return false
		}
	}
	return true
}

// find returns the start of an occurrence of v in raw that is delimited
// and overlaps no hole, searching from the end when last; -1 when none.
func find(raw, v string, hs []hole, last bool) int {
	if v == "" || len(v) > len(raw) {
		return -1
	}
	if last {
		for end := len(raw); end >= len(v); {
			i := strings.LastIndex(raw[:end], v)
			if i < 0 {
				return -1
			}
			if delimited(raw, i, i+len(v)) && free(hs, i, i+len(v)) {
				return i
			}
			end = i + len(v) - 1
		}
		return -1
	}
	for from := 0; from+len(v) <= len(raw); {
		i := strings.Index(raw[from:], v)
		if i < 0 {
			return -1
		}
		i += from
		if delimited(raw, i, i+len(v)) && free(hs, i, i+len(v)) {
			return i
		}
		from = i + 1
	}
	return -1
}

// findField returns where the value v of the field named key stands in
// raw: after the key's last dotted segment and at most three bytes of
// `"':=` and space (JSON, logfmt, key: value); -1 when not there.
func findField(raw, key, v string, hs []hole) int {
	name := key
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		name = key[i+1:]
	}
	if name == "" || v == "" {
		return -1
	}
	for from, tries := 0, 0; tries < 4; tries++ {
		i := strings.Index(raw[from:], name)
		if i < 0 {
			return -1
		}
		i += from
		from = i + 1
		if i > 0 && wordByte(raw[i-1]) {
			continue
		}
		q := i + len(name)
		for k := 0; k < 3 && q < len(raw) && strings.IndexByte("\"':= ", raw[q]) >= 0; k++ {
			q++
		}
		if q == i+len(name) || !strings.HasPrefix(raw[q:], v) {
			continue
		}
		if end := q + len(v); (end == len(raw) || !wordByte(raw[end]) || !wordByte(v[len(v)-1])) && free(hs, q, end) {
			return q
		}
	}
	return -1
}

// timeHole finds the record's time, formatted in one of logTimeLayouts, in
// raw.
func (le *logEnc) timeHole(raw, source string, t time.Time) (hole, bool) {
	st := le.bySrc[source]
	if st == nil {
		if le.bySrc == nil {
			le.bySrc = map[string]*logState{}
		}
		st = &logState{layout: -1}
		le.bySrc[source] = st
	}
	if st.misses >= logTimeMisses {
		return hole{}, false
	}
	try := func(k int) (hole, bool) {
		le.tbuf = le.tt.append(le.tbuf[:0], t, k)
		if i := strings.Index(raw, string(le.tbuf)); i >= 0 {
			st.layout, st.misses = k, 0
			return hole{start: i, end: i + len(le.tbuf), kind: holeTime, layout: byte(k)}, true
		}
		return hole{}, false
	}
	if st.layout >= 0 {
		if h, ok := try(st.layout); ok {
			return h, true
		}
	}
	for k := range logTimeLayouts {
		if k == st.layout {
			continue
		}
		if h, ok := try(k); ok {
			return h, true
		}
	}
	st.misses++
	return hole{}, false
}

// log writes one log record (codec 1):
//
//	at, source, level sv, flags uv, service, msg, trace id, span id,
//	template, a value per field hole, [extra field count uv, pairs]
//
// An id flagged hex is its byte count (uv) here and its bytes in the ids
// section; strings are aux string refs.
func (b *blockEnc) log(rec *sources.LogRecord, at int64) {
	a, le := &b.aux, &b.le
	l := *rec
	l.Raw, l.Msg = scrubLine(l.Raw), scrubLine(l.Msg)
	b.logs++

	// The holes, then the template: the line with each hole cut out.
	raw := l.Raw
	hs := le.holes[:0]
	if !l.At.IsZero() {
		if h, ok := le.timeHole(raw, l.Source, l.At); ok {
			hs = append(hs, h)
		}
	}
	for _, c := range [...]struct {
		v    string
		kind byte
	}{{l.TraceID, holeTrace}, {l.SpanID, holeSpan}, {l.Msg, holeMsg}, {l.Service, holeService}} {
		if i := find(raw, c.v, hs, c.kind == holeMsg); i >= 0 {
			hs = append(hs, hole{start: i, end: i + len(c.v), kind: c.kind})
		}
	}
	keys := le.keys[:0]
	for k := range l.Fields.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Each field is a hole, or else found in the line by the key=value
	// rule (lineField: a plain line's pairs are inside its message, which
	// is a hole of its own), or else an extra pair.
	// Only in a printable line: the decoder finds them in the line it
	// rebuilds, which is then the line as it was.
	where := le.where[:0]
	lineKeys := le.lineKeys[:0]
	extra := 0
	inLine := len(keys) > 0 && printable(raw)
	for _, k := range keys {
		v := fieldValue(k, l.Fields.Value(k))
		i := findField(raw, k, v, hs)
		switch {
		case i >= 0:
			kind := byte(holeField)
			if len(v) >= minHexField && isHexID(v) {
				kind = holeHexID
			}
			hs = append(hs, hole{start: i, end: i + len(v), kind: kind, key: k})
			where = append(where, fieldHole)
		case inLine && lineKeyOK(k) && lineFieldIs(raw, k, v):
			if len(lineKeys) > 0 {
				lineKeys = append(lineKeys, ' ')
			}
			lineKeys = append(lineKeys, k...)
			where = append(where, fieldInLine)
		default:
			where = append(where, fieldExtra)
			extra++
		}
	}

	le.logTime(a, l.At, at)
	b.str(a, l.Source)
	a.sv(int64(l.Level))
	var fl uint64
	if isHexID(l.TraceID) {
		fl |= lfTraceHex
	}
	if isHexID(l.SpanID) {
		fl |= lfSpanHex
	}
	if l.Fields.Len() > 0 && extra == len(keys) {
		fl |= lfFields // else the template says so
	}
	if l.TimeRead {
		fl |= lfTimeRead
	}
	if extra > 0 {
		fl |= lfExtra
	}
	a.uv(fl)
	b.str(a, l.Service)
	b.str(a, l.Msg)
	for k, id := range [2]string{l.TraceID, l.SpanID} {
		if fl&(lfTraceHex<<k) != 0 {
			a.uv(uint64(len(id) / 2))
			le.ids.b = appendHexBytes(le.ids.b, id)
		} else {
			b.str(a, id)
		}
	}

	slices.SortFunc(hs, func(x, y hole) int { return x.start - y.start })
	t := le.tmpl[:0]
	prev := 0
	for _, h := range hs {
		t = appendLiteral(t, raw[prev:h.start])
		t = append(t, tmplHole, h.kind)
		switch h.kind {
		case holeTime:
			t = append(t, '0'+h.layout)
		case holeField, holeHexID:
			t = appendLiteral(t, h.key)
			t = append(t, tmplKeyEnd)
		}
		prev = h.end
	}
	t = appendLiteral(t, raw[prev:])
	if len(lineKeys) > 0 {
		t = append(t, tmplHole, holeLineKeys)
		t = append(t, lineKeys...)
		t = append(t, tmplKeyEnd)
	}
	b.strBytes(a, t)
	for _, h := range hs {
		switch v := fieldValue(h.key, l.Fields.Value(h.key)); h.kind {
		case holeField:
			b.str(a, v)
		case holeHexID:
			a.uv(uint64(len(v) / 2))
			le.ids.b = appendHexBytes(le.ids.b, v)
		}
	}
	if fl&lfExtra != 0 {
		a.uv(uint64(extra))
		for i, k := range keys {
			if where[i] == fieldExtra {
				b.str(a, k)
				b.str(a, fieldValue(k, l.Fields.Value(k)))
			}
		}
	}
	le.holes, le.tmpl, le.keys, le.where, le.lineKeys = hs[:0], t[:0], keys[:0], where[:0], lineKeys[:0]
}

// Where a field of a log record is stored (codec 1).
const (
	fieldHole   = iota // a hole of the template
	fieldInLine        // found in the line by lineField, its key listed
	fieldExtra         // a key and value of their own
)

// lineKeyOK reports whether key can be listed among a record's line keys:
// printable ASCII without space (their separator) or '='.
func lineKeyOK(key string) bool {
	for i := 0; i < len(key); i++ {
		if c := key[i]; c <= ' ' || c >= 0x7f || c == '=' {
			return false
		}
	}
	return key != ""
}

// lineField finds the value of the field key in a line written key=value
// (logfmt, and the pairs plain lines end with): the first key= that starts
// the line or follows a byte that cannot be part of a key, its value up to
// the next space or the end of the line.
func lineField(line, key string) (string, bool) {
	for from := 0; from+len(key) < len(line); {
		i := strings.Index(line[from:], key)
		if i < 0 {
			return "", false
		}
		i += from
		from = i + 1
		end := i + len(key)
		if end >= len(line) || line[end] != '=' || i > 0 && wordByte(line[i-1]) {
			continue
		}
		v := line[end+1:]
		if j := strings.IndexByte(v, ' '); j >= 0 {
			v = v[:j]
		}
		return v, true
	}
	return "", false
}

// lineFieldIs reports whether lineField finds v for key in line.
func lineFieldIs(line, key, v string) bool {
	got, ok := lineField(line, key)
	return ok && got == v && v != ""
}

// appendHexBytes appends the bytes that the lowercase hex digits of s
// (isHexID) stand for.
func appendHexBytes(dst []byte, s string) []byte {
	nib := func(c byte) byte {
		if c <= '9' {
			return c - '0'
		}
		return c - 'a' + 10
	}
	for i := 0; i+1 < len(s); i += 2 {
		dst = append(dst, nib(s[i])<<4|nib(s[i+1]))
	}
	return dst
}

// fieldValue is what a recording keeps of a field: credentials, by the
// field's name, are written as ***.
func fieldValue(k, v string) string {
	if v != "" && sensitiveKey(k) {
		return "***"
	}
	return v
}

// appendLiteral appends s to a template, escaping the template's own bytes.
func appendLiteral(t []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= tmplHole && c <= tmplEsc {
			t = append(t, tmplEsc, c)
		} else {
			t = append(t, c)
		}
	}
	return t
}

// logTemplate is a parsed template: literal runs around its holes.
type logTemplate struct {
	lits     []string // len(holes)+1
	holes    []hole   // kind, layout and key only
	nfields  int
	lineKeys []string // fields found in the line by lineField (holeLineKeys)
	clean    bool     // every literal is printable ASCII (printable)
}

// printable reports whether s is printable ASCII, tab and newline allowed:
// text that sources.Sanitize returns as it is, and that stays so when put
// next to other such text.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' || c >= 0x7f {
			return false
		}
	}
	return true
}

// parseTemplate reads a template written by blockEnc.log.
func parseTemplate(s string) (*logTemplate, error) {
	t, err := parseTemplateText(s)
	if err == nil {
		t.clean = true
		for _, l := range t.lits {
			t.clean = t.clean && printable(l)
		}
	}
	return t, err
}

func parseTemplateText(s string) (*logTemplate, error) {
	t := &logTemplate{}
	var lit []byte
	plain := strings.IndexByte(s, tmplEsc) < 0
	for {
		i := strings.IndexByte(s, tmplHole)
		if plain {
			if i < 0 {
				t.lits = append(t.lits, s)
				return t, nil
			}
			if strings.IndexByte(s[:i], tmplKeyEnd) >= 0 {
				return nil, fmt.Errorf("template: stray key end")
			}
			t.lits = append(t.lits, s[:i])
			s = s[i:]
		} else {
			lit = lit[:0]
			j := 0
			for ; j < len(s) && s[j] != tmplHole; j++ {
				switch s[j] {
				case tmplEsc:
					if j+1 >= len(s) {
						return nil, fmt.Errorf("template: escape at the end")
					}
					j++
				case tmplKeyEnd:
					return nil, fmt.Errorf("template: stray key end")
				}
				lit = append(lit, s[j])
			}
			t.lits = append(t.lits, string(lit))
			if j == len(s) {
				return t, nil
			}
			s = s[j:]
		}
		// s starts with a hole.
		if len(s) < 2 {
			return nil, fmt.Errorf("template: hole without a kind")
		}
		h := hole{kind: s[1]}
		s = s[2:]
		if h.kind == holeLineKeys {
			keys, rest, err := templateWord(s)
			if err != nil {
				return nil, err
			}
			if rest != "" || keys == "" {
				return nil, fmt.Errorf("template: line keys not at its end")
			}
			for _, k := range strings.Split(keys, " ") {
				if !lineKeyOK(k) {
					return nil, fmt.Errorf("template: line key %q", k)
				}
				t.lineKeys = append(t.lineKeys, k)
			}
			t.nfields += len(t.lineKeys)
			return t, nil
		}
		switch h.kind {
		case holeMsg, holeService, holeTrace, holeSpan:
		case holeTime:
			if len(s) < 1 || s[0] < '0' || int(s[0]-'0') >= len(logTimeLayouts) {
				return nil, fmt.Errorf("template: time layout unknown")
			}
			h.layout = s[0] - '0'
			s = s[1:]
		case holeField, holeHexID:
			key, rest, err := templateWord(s)
			if err != nil {
				return nil, err
			}
			h.key = sources.Sanitize(key)
			s = rest
			t.nfields++
		default:
			return nil, fmt.Errorf("template: hole kind %q unknown", h.kind)
		}
		t.holes = append(t.holes, h)
	}
}

// templateWord reads a field key (or line keys) up to tmplKeyEnd, and
// returns what follows.
func templateWord(s string) (word, rest string, err error) {
	var w []byte
	j := 0
	for ; j < len(s) && s[j] != tmplKeyEnd; j++ {
		if s[j] == tmplEsc {
			if j+1 >= len(s) {
				return "", "", fmt.Errorf("template: escape at the end")
			}
			j++
		}
		w = append(w, s[j])
	}
	if j == len(s) {
		return "", "", fmt.Errorf("template: field key not ended")
	}
	return string(w), s[j+1:], nil
}

// logDec is the decoder's state for log records (codec 1). It lives in a
// scratch: its buffers serve block after block, and templates parsed in
// one block serve the next ones (read-only).
type logDec struct {
	prevAt int64
	ids    string          // what is left of the block's ids section, in hex
	tmpls  []*logTemplate  // the block's parsed templates by aux string index
	arena  strings.Builder // the block's raw lines, back to back
	last   int             // the size of the last block's arena
	ends   []int           // where each record's line ends in the arena, records in order
	dirty  bool            // some text of the block was not printable: sanitize the lines
	tt     timeText
	shared map[string]*logTemplate // templates by their text, across blocks
	fields sources.FieldsBuilder   // a record's fields being read
}

// maxSharedTemplates bounds logDec.shared.
const maxSharedTemplates = 1024

// reset readies the decoder for a block.
func (ld *logDec) reset(ids string) {
	ld.prevAt, ld.ids, ld.dirty = 0, ids, false
	ld.arena = strings.Builder{}
	ld.arena.Grow(ld.last + ld.last/8)
	ld.ends = ld.ends[:0]
	clear(ld.tmpls)
	ld.tmpls = ld.tmpls[:0]
}

// logTime reads what logEnc.logTime wrote.
func (ld *logDec) logTime(a *dec, ref int64) time.Time {
	v := a.uv()
	switch v {
	case 0:
		return time.Time{}
	case 1:
		ld.prevAt = ref
		return time.Unix(0, ref)
	}
	u := v - 2
	s := u & 15
	if s == 15 {
		ld.prevAt = a.sv()
		return time.Unix(0, ld.prevAt)
	}
	if s > 9 {
		a.fail(fmt.Errorf("log time scale %d unknown", s))
		return time.Time{}
	}
	u >>= 4
	d := int64(u>>1) ^ -int64(u&1)
	for ; s > 0; s-- {
		d *= 10
	}
	ld.prevAt += d
	return time.Unix(0, ld.prevAt)
}

// id reads a trace or span id, or a field value: bytes from the ids
// section when hex, else an aux string.
func (bd *bodyDecoder) id(hexed bool) string {
	if !hexed {
		return bd.astr()
	}
	a, ld := &bd.a, bd.ld
	n := a.uv()
	if n == 0 || n > maxHexID/2 || 2*n > uint64(len(ld.ids)) {
		a.fail(fmt.Errorf("id of %d bytes exceeds the ids section", n))
		return ""
	}
	s := ld.ids[:2*n]
	ld.ids = ld.ids[2*n:]
	return s
}

// template reads an aux string ref to a template, parsed once per block.
// A new template is parsed as written (sanitizing it would strip its hole
// bytes); the lines built from it are sanitized whole (finishLogs).
func (bd *bodyDecoder) template() *logTemplate {
	a, ld := &bd.a, bd.ld
	var s string
	k := 0
	if i := a.uv(); i == 0 {
		s = bd.tx.next()
		if bd.tx.err != nil {
			a.fail(fmt.Errorf("text: %w", bd.tx.err))
			return nil
		}
		bd.atab = append(bd.atab, sources.Sanitize(s))
		k = len(bd.atab) - 1
	} else if i-1 < uint64(len(bd.atab)) {
		k = int(i - 1)
		s = bd.atab[k]
	} else {
		a.fail(fmt.Errorf("text ref %d out of range", i))
		return nil
	}
	if k < len(ld.tmpls) && ld.tmpls[k] != nil {
		return ld.tmpls[k]
	}
	t := ld.shared[s]
	if t == nil {
		var err error
		if t, err = parseTemplate(s); err != nil {
			a.fail(err)
			return nil
		}
		if ld.shared == nil {
			ld.shared = map[string]*logTemplate{}
		}
		if len(ld.shared) < maxSharedTemplates {
			ld.shared[s] = t
		}
	}
	for len(ld.tmpls) <= k {
		ld.tmpls = append(ld.tmpls, nil)
	}
	ld.tmpls[k] = t
	return t
}

// logs1 reads a frame's log records in codec 1. Their raw lines are built
// into one arena per block, made strings by finishLogs.
func (bd *bodyDecoder) logs1(logs []sources.LogRecord, at int64) {
	a, ld := &bd.a, bd.ld
	for i := range logs {
		l := &logs[i]
		l.At = ld.logTime(a, at)
		l.Source = bd.astr()
		l.Level = sources.Level(a.sv())
		fl := a.uv()
		l.Service = bd.astr()
		l.Msg = bd.astr()
		l.TraceID = bd.id(fl&lfTraceHex != 0)
		l.SpanID = bd.id(fl&lfSpanHex != 0)
		l.TimeRead = fl&lfTimeRead != 0
		t := bd.template()
		if a.err != nil {
			return
		}
		if !t.clean {
			ld.dirty = true
		}
		hasFields := fl&lfFields != 0 || t.nfields > 0
		fb := &ld.fields
		fb.Reset(sources.Fields{})
		// The line, hole by hole; field values come in the order of
		// their holes.
		w := &ld.arena
		start := w.Len()
		w.WriteString(t.lits[0])
		for k, h := range t.holes {
			switch h.kind {
			case holeTime:
				if l.At.IsZero() {
					a.fail(fmt.Errorf("time hole in a record without a time"))
					return
				}
				ld.tt.write(w, l.At, int(h.layout))
			case holeMsg:
				w.WriteString(l.Msg)
			case holeService:
				w.WriteString(l.Service)
			case holeTrace:
				w.WriteString(l.TraceID)
			case holeSpan:
				w.WriteString(l.SpanID)
			case holeField, holeHexID:
				v := bd.id(h.kind == holeHexID)
				fb.Set(h.key, v)
				w.WriteString(v)
			}
			w.WriteString(t.lits[k+1])
		}
		if w.Len() > maxBodyLen {
			a.fail(fmt.Errorf("log lines longer than the block allows"))
			return
		}
		ld.ends = append(ld.ends, w.Len())
		if fl&lfExtra != 0 {
			n := a.uv()
			if n > uint64(len(a.b)/2) || !hasFields {
				a.fail(fmt.Errorf("%d extra fields in a record with fields %v", n, hasFields))
				return
			}
			for ; n > 0; n-- {
				k := bd.astr()
				fb.Set(k, bd.astr())
			}
		}
		if len(t.lineKeys) > 0 {
			// The line is the arena's tail (a string over its buffer,
			// which later writes leave as it is).
			line := w.String()[start:]
			for _, k := range t.lineKeys {
				v, ok := lineField(line, k)
				if !ok {
					a.fail(fmt.Errorf("field %q is not in its line", k))
					return
				}
				if !printable(v) {
					v = sources.Sanitize(v)
				}
				fb.Set(k, v)
			}
		}
		l.Fields = fb.Fields()
	}
}

// finishLogs gives every codec 1 record of frames its raw line: slices of
// one string. A line built of printable ASCII only is as sanitized as its
// pieces; otherwise the lines are sanitized whole (and line by line in the
// rare case that changes anything).
func (bd *bodyDecoder) finishLogs(frames []sources.Frame) {
	ld := bd.ld
	if len(ld.ends) == 0 {
		return
	}
	all := ld.arena.String() // no copy
	ld.last = len(all)
	clean := !ld.dirty || sources.Sanitize(all) == all
	k, start := 0, 0
	for fi := range frames {
		for i := range frames[fi].Logs {
			if k == len(ld.ends) {
				break
			}
			l := &frames[fi].Logs[i]
			l.Raw = all[start:ld.ends[k]]
			if !clean {
				l.Raw = sources.Sanitize(l.Raw)
			}
			start = ld.ends[k]
			k++
		}
	}
	ld.arena = strings.Builder{} // all is its buffer
}
