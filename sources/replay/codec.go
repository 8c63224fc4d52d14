package replay

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// enc is an append-only byte buffer with varint helpers.
type enc struct{ b []byte }

func (e *enc) uv(v uint64)   { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) sv(v int64)    { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) u8(v uint8)    { e.b = append(e.b, v) }
func (e *enc) f64(v float64) { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) raw(s string)  { e.uv(uint64(len(s))); e.b = append(e.b, s...) }

// timeRel writes t relative to ref (Unix ns): 0 for the zero time, else
// 1 + zigzag(t - ref).
func (e *enc) timeRel(t time.Time, ref int64) {
	if t.IsZero() {
		e.uv(0)
		return
	}
	d := t.UnixNano() - ref
	e.uv(uint64(d<<1^d>>63) + 1)
}

// term writes s followed by a 0 byte, escaping the bytes 0 and 1 as
// 1 followed by the byte: text then needs no length prefixes, which cost a
// byte per log line after compression.
func (e *enc) term(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 1 {
			e.b = append(e.b, 1, c)
		} else {
			e.b = append(e.b, c)
		}
	}
	e.b = append(e.b, 0)
}

// relTime is t relative to ref (Unix ns) as timeRel writes it: 0 for the
// zero time, else 1 + zigzag(t - ref).
func relTime(t time.Time, ref int64) uint64 {
	if t.IsZero() {
		return 0
	}
	d := t.UnixNano() - ref
	return uint64(d<<1^d>>63) + 1
}

func fromRelTime(v uint64, ref int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	u := v - 1
	return time.Unix(0, ref+(int64(u>>1)^-int64(u&1)))
}

// appendPlanes appends vs as 8 byte planes, most significant first: the
// bytes that rarely change end up in long runs.
func appendPlanes(dst []byte, vs []uint64) []byte {
	n := len(vs)
	start := len(dst)
	dst = slices.Grow(dst, n*8)[:start+n*8]
	p := dst[start:]
	for k, v := range vs {
		for j := 0; j < 8; j++ {
			p[j*n+k] = byte(v >> (56 - 8*j))
		}
	}
	return dst
}

// planeAt reads value k of n from byte planes.
func planeAt(p []byte, n, k int) uint64 {
	var v uint64
	for j := 0; j < 8; j++ {
		v |= uint64(p[j*n+k]) << (56 - 8*j)
	}
	return v
}

var errShort = errors.New("truncated data")

// dec reads what enc wrote; the first error sticks and later reads return zeros.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(err error) {
	if d.err == nil {
		d.err = err
	}
	d.b = nil
}

func (d *dec) uv() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) sv() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail(errShort)
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) u8() uint8 {
	if len(d.b) < 1 {
		d.fail(errShort)
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) f64() float64 {
	if len(d.b) < 8 {
		d.fail(errShort)
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

func (d *dec) bytes(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail(errShort)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) raw() string { return string(d.bytes(d.uv())) }

// term reads what enc.term wrote.
func (d *dec) term() string {
	end := bytes.IndexByte(d.b, 0)
	if end < 0 {
		d.fail(errShort)
		return ""
	}
	if bytes.IndexByte(d.b[:end], 1) < 0 {
		s := string(d.b[:end])
		d.b = d.b[end+1:]
		return s
	}
	out := make([]byte, 0, end)
	for i := 0; i < len(d.b); i++ {
		switch c := d.b[i]; c {
		case 0:
			d.b = d.b[i+1:]
			return string(out)
		case 1:
			if i+1 >= len(d.b) {
				d.fail(errShort)
				return ""
			}
			i++
			out = append(out, d.b[i])
		default:
			out = append(out, c)
		}
	}
	d.fail(errShort)
	return ""
}

// count reads a length and checks it against what is left, so that a
// corrupt count cannot make the decoder allocate without bound. Each item
// takes at least min bytes.
func (d *dec) count(min int) int {
	n := d.uv()
	if min < 1 {
		min = 1
	}
	if n > uint64(len(d.b)/min) {
		d.fail(fmt.Errorf("count %d exceeds the data left", n))
		return 0
	}
	return int(n)
}

func (d *dec) timeRel(ref int64) time.Time {
	v := d.uv()
	if v == 0 {
		return time.Time{}
	}
	u := v - 1
	x := int64(u>>1) ^ -int64(u&1)
	return time.Unix(0, ref+x)
}

// section reads a length-prefixed sub-buffer.
func (d *dec) section() *dec { return &dec{b: d.bytes(d.uv())} }

// strtab interns the strings of one block: each distinct string is stored
// once and referenced by index.
type strtab struct {
	idx  map[string]uint64
	list []string
}

func (t *strtab) ref(s string) uint64 {
	if i, ok := t.idx[s]; ok {
		return i
	}
	if t.idx == nil {
		t.idx = make(map[string]uint64)
	}
	i := uint64(len(t.list))
	t.idx[s] = i
	t.list = append(t.list, s)
	return i
}

func (t *strtab) reset() {
	clear(t.idx)
	t.list = t.list[:0]
}

// Notable kinds in a block's preamble (what n/N jump between).
const (
	NotableAlert    = 0 // an event of kind "alert"
	NotableMarker   = 1 // a marker (event of kind "marker" or a MARK record)
	NotableCritical = 2 // any other event of critical severity (an XID, ...)
)

// Notable is an event worth jumping to: an alert, a marker or a critical event.
type Notable struct {
	At       time.Time
	Kind     int // NotableAlert, NotableMarker or NotableCritical
	Severity sources.Severity
	Text     string // one line, for the timeline and --info
}

var notableKinds = [...]string{NotableAlert: sources.EventAlert, NotableMarker: "marker", NotableCritical: "critical"}

// KindName is "alert", "marker" or "critical".
func (n Notable) KindName() string {
	if n.Kind >= 0 && n.Kind < len(notableKinds) {
		return notableKinds[n.Kind]
	}
	return "unknown"
}

type notableJSON struct {
	At       time.Time `json:"at"`
	Kind     string    `json:"kind"`
	Severity string    `json:"severity"`
	Text     string    `json:"text"`
}

// MarshalJSON writes the kind and severity as words.
func (n Notable) MarshalJSON() ([]byte, error) {
	return json.Marshal(notableJSON{At: n.At, Kind: n.KindName(), Severity: n.Severity.String(), Text: n.Text})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (n *Notable) UnmarshalJSON(b []byte) error {
	var j notableJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*n = Notable{At: j.At, Text: j.Text}
	for k, name := range notableKinds {
		if name == j.Kind {
			n.Kind = k
		}
	}
	for _, s := range []sources.Severity{sources.SevInfo, sources.SevWarning, sources.SevCritical} {
		if s.String() == j.Severity {
			n.Severity = s
		}
	}
	return nil
}

func notableOf(e *sources.Event) (int, bool) {
	switch {
	case e.Kind == sources.EventAlert:
		// An alert's transitions: where it fired and where it resolved
		// (pending and back to inactive are not worth a jump).
		st := sources.AlertState(e.Labels)
		return NotableAlert, st == "" || st == "firing" || st == "resolved"
	case e.Kind == "marker":
		return NotableMarker, true
	case e.Severity >= sources.SevCritical:
		return NotableCritical, true
	}
	return 0, false
}

// catalogue maps series to the ids of one segment file, and lists the
// sources whose frames it holds.
type catalogue struct {
	ids     map[string]uint32 // kind byte + key → id
	series  []sources.Series
	added   []sources.Series // since the last SCHEMA record
	srcs    map[string]bool
	srcsNew []string // since the last SCHEMA record
}

func (c *catalogue) source(name string) {
	if c.srcs[name] {
		return
	}
	if c.srcs == nil {
		c.srcs = make(map[string]bool)
	}
	c.srcs[name] = true
	c.srcsNew = append(c.srcsNew, name)
}

func catKey(s *sources.Series) string {
	return string(rune('0'+s.Kind)) + s.Key()
}

func (c *catalogue) id(s *sources.Series) uint32 {
	k := catKey(s)
	if id, ok := c.ids[k]; ok {
		return id
	}
	if c.ids == nil {
		c.ids = make(map[string]uint32)
	}
	id := uint32(len(c.series))
	c.ids[k] = id
	c.series = append(c.series, *s)
	c.added = append(c.added, *s)
	return id
}

// schemaPayload encodes the catalogue additions since the last call, the
// first of them having id first.
func (c *catalogue) schemaPayload() []byte {
	if len(c.added) == 0 && len(c.srcsNew) == 0 {
		return nil
	}
	var e enc
	e.uv(uint64(len(c.series) - len(c.added)))
	e.uv(uint64(len(c.added)))
	for _, s := range c.added {
		e.u8(uint8(s.Kind))
		e.raw(s.Name)
		e.uv(uint64(len(s.Labels)))
		for _, l := range s.Labels {
			e.raw(l.Name)
			e.raw(l.Value)
		}
	}
	e.uv(uint64(len(c.srcsNew)))
	for _, s := range c.srcsNew {
		e.raw(s)
	}
	c.added = c.added[:0]
	c.srcsNew = c.srcsNew[:0]
	return e.b
}

// parseSchema appends a SCHEMA record's series to list (ids must continue
// it) and returns the source names it adds.
func parseSchema(p []byte, list []sources.Series) ([]sources.Series, []string, error) {
	d := &dec{b: p}
	first := d.uv()
	n := d.count(2)
	if d.err == nil && first != uint64(len(list)) {
		return list, nil, fmt.Errorf("schema starts at id %d, expected %d", first, len(list))
	}
	for i := 0; i < n && d.err == nil; i++ {
		kind := sources.Kind(d.u8())
		// A recording is text from outside: sanitized as it is read.
		name := sources.Sanitize(d.raw())
		nl := d.count(2)
		ls := make([]sources.Label, nl)
		for j := range ls {
			ls[j] = sources.Label{Name: sources.Sanitize(d.raw()), Value: sources.Sanitize(d.raw())}
		}
		list = append(list, sources.SeriesOf(name, kind, ls))
	}
	var srcs []string
	if len(d.b) > 0 { // absent in a schema written before any frame had a source
		ns := d.count(1)
		for i := 0; i < ns && d.err == nil; i++ {
			srcs = append(srcs, sources.Sanitize(d.raw()))
		}
	}
	if d.err != nil {
		return list, nil, fmt.Errorf("schema: %w", d.err)
	}
	return list, srcs, nil
}

// colKey names one numeric column of a block: a point series (sub 0) or
// one part of a histogram series (sub 0 count, 1 sum, 2+j bucket j).
type colKey struct {
	hist bool
	id   uint32
	sub  uint32
}

// blockEnc accumulates frames and encodes them as one block body.
type blockEnc struct {
	cat *catalogue

	frames  int
	tFirst  int64
	tLast   int64
	prevAt  int64
	meta    enc
	aux     enc
	strs    strtab
	atab    map[string]uint64
	text    enc
	times   []uint64 // frame times (relTime), stored as byte planes
	shapes  map[string]uint64
	layouts map[string]uint64
	cols    map[colKey]int
	colVals [][]uint64 // float64 bits, per column
	colPrev []uint64   // unused slot kept per column (len = number of columns)
	ints    enc
	notable []Notable
	samples int // numeric samples (points, and each histogram field)
	logs    int
	idbuf   []uint32
	keybuf  []byte
}

func newBlockEnc(cat *catalogue) *blockEnc {
	return &blockEnc{cat: cat, shapes: map[string]uint64{}, layouts: map[string]uint64{}, cols: map[colKey]int{}, atab: map[string]uint64{}}
}

func (b *blockEnc) reset() {
	b.frames, b.tFirst, b.tLast, b.prevAt = 0, 0, 0, 0
	b.meta.b, b.aux.b = b.meta.b[:0], b.aux.b[:0]
	b.strs.reset()
	clear(b.atab)
	b.text.b = b.text.b[:0]
	b.times = b.times[:0]
	clear(b.shapes)
	clear(b.layouts)
	clear(b.cols)
	for i := range b.colVals {
		b.colVals[i] = b.colVals[i][:0]
	}
	b.colVals = b.colVals[:0]
	b.colPrev = b.colPrev[:0]
	b.notable = b.notable[:0]
	b.samples, b.logs = 0, 0
}

func (b *blockEnc) empty() bool { return b.frames == 0 }

// str writes a string reference. In the meta section it indexes the
// block's string table. In the aux section 0 means "the next string of the
// text section, new here", and k > 0 the k-th aux string seen before: the
// text section then holds every distinct log line once, back to back, which
// is what the compressor does best with.
func (b *blockEnc) str(e *enc, s string) {
	if e != &b.aux {
		e.uv(b.strs.ref(s))
		return
	}
	if i, ok := b.atab[s]; ok {
		e.uv(i + 1)
		return
	}
	b.atab[s] = uint64(len(b.atab))
	e.uv(0)
	b.text.term(s)
}

func (b *blockEnc) value(k colKey, v float64) {
	i, ok := b.cols[k]
	if !ok {
		i = len(b.colPrev)
		b.cols[k] = i
		b.colPrev = append(b.colPrev, 0)
		if i < cap(b.colVals) {
			b.colVals = b.colVals[:i+1]
		} else {
			b.colVals = append(b.colVals, nil)
		}
	}
	b.colVals[i] = append(b.colVals[i], math.Float64bits(v))
	b.samples++
}

// shape writes a reference to the list of series ids in b.idbuf: an index
// into the block's shape table, or 0 followed by the new list.
func (b *blockEnc) shape(table map[string]uint64) {
	b.keybuf = b.keybuf[:0]
	for _, id := range b.idbuf {
		b.keybuf = binary.AppendUvarint(b.keybuf, uint64(id))
	}
	if i, ok := table[string(b.keybuf)]; ok {
		b.meta.uv(i + 1)
		return
	}
	table[string(b.keybuf)] = uint64(len(table))
	b.meta.uv(0)
	b.meta.uv(uint64(len(b.idbuf)))
	prev := int64(0)
	for _, id := range b.idbuf {
		b.meta.sv(int64(id) - prev)
		prev = int64(id)
	}
}

// Frame flags in a block's meta section.
const (
	ffPoints = 1 << iota
	ffHists
	ffLogs
	ffSpans
	ffEvents
	ffExemplars
	ffHealth
	ffPointsAt // every point is stamped with the frame's time
	ffHistsAt  // every histogram is stamped with the frame's time
)

func (b *blockEnc) add(f *sources.Frame) {
	if f.Samples.Len() > 0 {
		// Frames from a replay carry column samples: record them as points.
		g := *f
		g.Points, g.Samples = f.AllPoints(), nil
		f = &g
	}
	at := f.At.UnixNano()
	if f.At.IsZero() {
		at = b.prevAt
	}
	if b.frames == 0 {
		b.tFirst, b.tLast, b.prevAt = at, at, at
	}
	b.frames++
	b.tFirst = min(b.tFirst, at)
	b.tLast = max(b.tLast, at)

	var fl uint64
	if len(f.Points) > 0 {
		fl |= ffPoints | ffPointsAt
		for i := range f.Points {
			if !f.Points[i].At.Equal(f.At) {
				fl &^= ffPointsAt
				break
			}
		}
	}
	if len(f.Histograms) > 0 {
		fl |= ffHists | ffHistsAt
		for i := range f.Histograms {
			if !f.Histograms[i].At.Equal(f.At) {
				fl &^= ffHistsAt
				break
			}
		}
	}
	if len(f.Logs) > 0 {
		fl |= ffLogs
	}
	if len(f.Spans) > 0 {
		fl |= ffSpans
	}
	if len(f.Events) > 0 {
		fl |= ffEvents
	}
	if len(f.Exemplars) > 0 {
		fl |= ffExemplars
	}
	if f.Health != nil {
		fl |= ffHealth
	}
	m := &b.meta
	b.cat.source(f.Source)
	b.str(m, f.Source)
	b.times = append(b.times, relTime(f.At, b.prevAt))
	b.prevAt = at
	m.uv(fl)

	if fl&ffPoints != 0 {
		b.idbuf = b.idbuf[:0]
		for i := range f.Points {
			b.idbuf = append(b.idbuf, b.cat.id(&f.Points[i].Series))
		}
		b.shape(b.shapes)
		for i := range f.Points {
			p := &f.Points[i]
			if fl&ffPointsAt == 0 {
				m.timeRel(p.At, at)
			}
			b.value(colKey{id: b.idbuf[i]}, p.Value)
		}
	}
	if fl&ffHists != 0 {
		b.idbuf = b.idbuf[:0]
		for i := range f.Histograms {
			b.idbuf = append(b.idbuf, b.cat.id(&f.Histograms[i].Series))
		}
		ids := slices.Clone(b.idbuf)
		b.shape(b.shapes)
		for i := range f.Histograms {
			h := &f.Histograms[i]
			if fl&ffHistsAt == 0 {
				m.timeRel(h.At, at)
			}
			b.layout(h.Buckets)
			b.value(colKey{hist: true, id: ids[i], sub: 0}, h.Count)
			b.value(colKey{hist: true, id: ids[i], sub: 1}, h.Sum)
			for j, bk := range h.Buckets {
				b.value(colKey{hist: true, id: ids[i], sub: 2 + uint32(j)}, bk.Count)
			}
		}
	}
	a := &b.aux
	if fl&ffLogs != 0 {
		a.uv(uint64(len(f.Logs)))
		for i := range f.Logs {
			b.log(&f.Logs[i], at)
		}
	}
	if fl&ffSpans != 0 {
		a.uv(uint64(len(f.Spans)))
		for i := range f.Spans {
			b.span(&f.Spans[i], at)
		}
	}
	if fl&ffEvents != 0 {
		a.uv(uint64(len(f.Events)))
		for i := range f.Events {
			ev := &f.Events[i]
			a.timeRel(ev.At, at)
			b.str(a, ev.Kind)
			a.u8(uint8(ev.Severity))
			b.labels(ev.Labels)
			b.str(a, ev.Text)
			if k, ok := notableOf(ev); ok {
				t := ev.At
				if t.IsZero() {
					t = time.Unix(0, at)
				}
				text := sources.OneLine(ev.Text)
				if k == NotableAlert {
					// What is alerting and which rule, before what is wrong.
					if name := sources.LabelValue(ev.Labels, sources.LabelAlertName); name != "" && !strings.HasPrefix(text, name) {
						text = name + " " + text
					}
					if sub, _ := sources.AlertSubject(ev.Labels); sub != "" {
						text = sub + " " + text
					}
					if st := sources.AlertState(ev.Labels); st != "" {
						text = st + ": " + text
					}
				}
				b.notable = append(b.notable, Notable{At: t, Kind: k, Severity: ev.Severity, Text: text})
			}
		}
	}
	if fl&ffExemplars != 0 {
		a.uv(uint64(len(f.Exemplars)))
		for i := range f.Exemplars {
			x := &f.Exemplars[i]
			a.uv(uint64(b.cat.id(&x.Series)))
			a.timeRel(x.At, at)
			a.f64(x.Value)
			b.str(a, x.TraceID)
			b.str(a, x.SpanID)
			b.labels(x.Labels)
		}
	}
	if fl&ffHealth != 0 {
		h := scrubHealth(*f.Health)
		b.str(a, h.Source)
		b.str(a, h.Kind)
		b.str(a, h.Target)
		a.u8(uint8(h.State))
		b.str(a, h.Err)
		a.timeRel(h.LastOK, at)
		a.timeRel(h.At, at)
		a.sv(int64(h.Duration))
		a.sv(int64(h.Interval))
		a.sv(int64(h.Bytes))
		a.sv(int64(h.Series))
		b.str(a, h.Detail)
	}
}

func (b *blockEnc) layout(bs []sources.Bucket) {
	b.keybuf = b.keybuf[:0]
	for _, bk := range bs {
		b.keybuf = binary.LittleEndian.AppendUint64(b.keybuf, math.Float64bits(bk.UpperBound))
	}
	if i, ok := b.layouts[string(b.keybuf)]; ok {
		b.meta.uv(i + 1)
		return
	}
	b.layouts[string(b.keybuf)] = uint64(len(b.layouts))
	b.meta.uv(0)
	b.meta.uv(uint64(len(bs)))
	b.meta.b = append(b.meta.b, b.keybuf...)
}

func (b *blockEnc) labels(ls []sources.Label) {
	if ls == nil {
		b.aux.uv(0)
		return
	}
	b.aux.uv(uint64(len(ls)) + 1)
	for _, l := range ls {
		b.str(&b.aux, l.Name)
		b.str(&b.aux, l.Value)
	}
}

func (b *blockEnc) attrs(m map[string]string) {
	if m == nil {
		b.aux.uv(0)
		return
	}
	b.aux.uv(uint64(len(m)) + 1)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b.str(&b.aux, k)
		v := m[k]
		if v != "" && sensitiveKey(k) {
			v = "***"
		}
		b.str(&b.aux, v)
	}
}

// readTimeLevel is added to a log's level (an int8) when its time is the
// time it was read (LogRecord.TimeRead): older recordings never hold such a
// value, and read as before.
const readTimeLevel = 256

func (b *blockEnc) log(rec *sources.LogRecord, at int64) {
	a := &b.aux
	l := *rec
	l.Raw, l.Msg = scrubLine(l.Raw), scrubLine(l.Msg)
	b.logs++
	a.timeRel(l.At, at)
	b.str(a, l.Source)
	lv := int64(l.Level)
	if l.TimeRead {
		lv += readTimeLevel
	}
	a.sv(lv)
	b.str(a, l.Service)
	// The message is usually the tail of the raw line: store where it starts.
	if l.Msg != "" && strings.HasSuffix(l.Raw, l.Msg) {
		a.uv(uint64(len(l.Raw)-len(l.Msg)) + 1)
	} else {
		a.uv(0)
		b.str(a, l.Msg)
	}
	b.str(a, l.TraceID)
	b.str(a, l.SpanID)
	b.attrs(l.Fields)
	b.str(a, l.Raw)
}

func (b *blockEnc) span(s *sources.Span, at int64) {
	a := &b.aux
	b.str(a, s.TraceID)
	b.str(a, s.SpanID)
	b.str(a, s.ParentID)
	b.str(a, s.Service)
	b.str(a, s.Name)
	a.timeRel(s.Start, at)
	st := s.Start.UnixNano()
	if s.Start.IsZero() {
		st = at
	}
	a.timeRel(s.End, st)
	a.u8(uint8(s.Status))
	b.attrs(s.Attrs)
	if s.Events == nil {
		a.uv(0)
	} else {
		a.uv(uint64(len(s.Events)) + 1)
		for i := range s.Events {
			ev := &s.Events[i]
			a.timeRel(ev.At, st)
			b.str(a, ev.Name)
			b.attrs(ev.Attrs)
		}
	}
}

// body returns the encoded block body (before compression):
//
//	codec version | strings | frame count | frame times | meta | column modes | float planes | integers | aux | text
//
// each section length-prefixed. Numeric values are stored column by column
// (columns in order of first appearance). A column whose values are all
// decimals with at most maxScale digits after the point (integers, counts,
// percentages as ratios, watts with mW resolution) and that convert back bit
// for bit is stored as zigzag varint deltas of value x 10^scale. Any other
// column stores each value's bits XOR-ed with the previous one, and the 8
// bytes of all those values are split into 8 byte planes so that the
// compressor sees the long runs of equal high bytes.
func (b *blockEnc) body(dst []byte) []byte {
	e := enc{b: dst}
	e.uv(0) // block codec version
	var st enc
	st.uv(uint64(len(b.strs.list)))
	for _, s := range b.strs.list {
		st.raw(s)
	}
	e.uv(uint64(len(st.b)))
	e.b = append(e.b, st.b...)
	e.uv(uint64(b.frames))
	e.uv(uint64(len(b.times) * 8))
	e.b = appendPlanes(e.b, b.times)
	e.uv(uint64(len(b.meta.b)))
	e.b = append(e.b, b.meta.b...)

	modes := make([]byte, len(b.colVals))
	n := 0
	b.ints.b = b.ints.b[:0]
	for c, col := range b.colVals {
		if sc, ok := decimalScale(col); ok {
			modes[c] = 1 + sc
			p10 := pow10[sc]
			var prev int64
			for _, bits := range col {
				x := int64(math.Round(math.Float64frombits(bits) * p10))
				b.ints.sv(x - prev)
				prev = x
			}
			continue
		}
		n += len(col)
	}
	e.uv(uint64(len(modes)))
	e.b = append(e.b, modes...)
	e.uv(uint64(n * 8))
	start := len(e.b)
	e.b = slices.Grow(e.b, n*8)[:start+n*8]
	planes := e.b[start:]
	k := 0
	for c, col := range b.colVals {
		if modes[c] != 0 {
			continue
		}
		var prev uint64
		for _, bits := range col {
			v := bits ^ prev
			prev = bits
			for p := 0; p < 8; p++ {
				planes[p*n+k] = byte(v >> (56 - 8*p))
			}
			k++
		}
	}
	e.uv(uint64(len(b.ints.b)))
	e.b = append(e.b, b.ints.b...)
	e.uv(uint64(len(b.aux.b)))
	e.b = append(e.b, b.aux.b...)
	e.uv(uint64(len(b.text.b)))
	e.b = append(e.b, b.text.b...)
	return e.b
}

const maxScale = 6

var pow10 = [maxScale + 1]float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6}

// decimalScale finds the smallest scale s ≤ maxScale such that every value
// v of the column is exactly round(v·10^s)/10^s, bit for bit, with the
// scaled integer below 2^53.
func decimalScale(col []uint64) (byte, bool) {
	const lim = 1 << 53
	s := 0
	for _, bits := range col {
		v := math.Float64frombits(bits)
		for ; s <= maxScale; s++ {
			x := math.Round(v * pow10[s])
			if math.Abs(x) < lim && math.Float64bits(float64(int64(x))/pow10[s]) == bits {
				break
			}
		}
		if s > maxScale {
			return 0, false
		}
	}
	// The scale found for later values may be larger than the one
	// earlier values were checked at; check them all at the final scale.
	for _, bits := range col {
		x := math.Round(math.Float64frombits(bits) * pow10[s])
		if !(math.Abs(x) < lim) || math.Float64bits(float64(int64(x))/pow10[s]) != bits {
			return 0, false
		}
	}
	return byte(s), true
}

// preamble encodes the block's notable events, stored uncompressed ahead of
// the body so that an index rebuild can read them without decompressing.
func preamble(dst []byte, tFirst int64, ns []Notable, rawLen int) []byte {
	e := enc{b: dst}
	e.uv(uint64(len(ns)))
	for _, n := range ns {
		e.sv(n.At.UnixNano() - tFirst)
		e.u8(uint8(n.Kind))
		e.u8(uint8(n.Severity))
		t := n.Text
		if len(t) > 120 {
			t = t[:120]
		}
		e.raw(t)
	}
	e.uv(uint64(rawLen))
	return e.b
}

func parsePreamble(d *dec, tFirst int64) (ns []Notable, rawLen uint64) {
	n := d.count(4)
	for i := 0; i < n && d.err == nil; i++ {
		ns = append(ns, Notable{At: time.Unix(0, tFirst+d.sv()), Kind: int(d.u8()), Severity: sources.Severity(d.u8()), Text: sources.Sanitize(d.raw())})
	}
	rawLen = d.uv()
	return ns, rawLen
}

// frameMeta is what decoding learns about one frame before values are filled.
type frameMeta struct {
	source   string
	at       time.Time
	ref      int64 // the frame's time, or the previous frame's when zero (Unix ns)
	fl       uint64
	pointIDs []uint32
	pcols    []int32   // the column of each point
	hcols    [][]int32 // the columns of each histogram: count, sum, buckets
	pointAt  []int64   // Unix ns; nil when every point is at the frame's time
	zeroAt   bool      // some point is stamped with the zero time
	histIDs  []uint32
	histAt   []time.Time
	histLay  [][]float64
}

// scratch holds a decoder's working buffers between blocks: nothing in it
// is referenced by the frames it returns. The zero value is ready.
type scratch struct {
	body     []byte // a decompressed body (the reader's)
	metas    []frameMeta
	colLen   []int
	colStart []int
	pointCol []int32
	vals     []float64
	bits     []uint64
	pcols    []int32             // an arena for the point columns of a block's shapes
	shapes   map[string][]uint32 // shapes by their encoding, shared between blocks
}

// maxSharedShapes bounds scratch.shapes.
const maxSharedShapes = 1024

// takeCols returns n int32s from the arena; the arena is reset per block.
func (sc *scratch) takeCols(n int) []int32 {
	if len(sc.pcols)+n > cap(sc.pcols) {
		sc.pcols = make([]int32, 0, max(2*cap(sc.pcols), n, 1024))
	}
	l := len(sc.pcols)
	sc.pcols = sc.pcols[:l+n]
	return sc.pcols[l : l+n : l+n]
}

// grow returns buf resized to n, zeroed, reusing its array when it can.
func grow[T any](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	buf = buf[:n]
	clear(buf)
	return buf
}

// texts reads the terminated strings of a block's text section (enc.term)
// as slices of one copy of the section: one allocation for all of them.
type texts struct {
	s   string
	err error
}

func (t *texts) next() string {
	end := strings.IndexByte(t.s, 0)
	if end < 0 {
		t.err = errShort
		return ""
	}
	if strings.IndexByte(t.s[:end], 1) < 0 {
		v := t.s[:end]
		t.s = t.s[end+1:]
		return v
	}
	d := dec{b: []byte(t.s)} // escapes: rare
	v := d.term()
	t.err = d.err
	t.s = t.s[len(t.s)-len(d.b):]
	return v
}

// decodeBody decodes a block body into frames using the file's catalogue.
// sc, when not nil, lends working buffers; the frames never reference them
// nor body.
func decodeBody(body []byte, tFirst int64, cat []sources.Series, sc *scratch) ([]sources.Frame, error) {
	if sc == nil {
		sc = &scratch{}
	}
	d := &dec{b: body}
	if v := d.uv(); v != 0 && d.err == nil {
		return nil, fmt.Errorf("block codec version %d unknown", v)
	}
	st := d.section()
	ns := st.count(1)
	strs := make([]string, ns)
	if ns > 0 {
		// One copy of the table; the strings are slices of it.
		all := string(st.b)
		for i := range strs {
			n := st.uv()
			if n > uint64(len(st.b)) {
				st.fail(errShort)
				break
			}
			off := len(all) - len(st.b)
			strs[i] = sources.Sanitize(all[off : off+int(n)]) // the same string when clean
			st.b = st.b[n:]
		}
	}
	if st.err != nil {
		return nil, fmt.Errorf("strings: %w", st.err)
	}
	str := func(dd *dec) string {
		i := dd.uv()
		if i >= uint64(len(strs)) {
			dd.fail(fmt.Errorf("string ref %d out of range", i))
			return ""
		}
		return strs[i]
	}
	series := func(dd *dec, id uint64) sources.Series {
		if id >= uint64(len(cat)) {
			dd.fail(fmt.Errorf("series id %d not in the catalogue (%d)", id, len(cat)))
			return sources.Series{}
		}
		return cat[id]
	}

	nf := d.count(10)
	tm := d.section()
	if d.err != nil {
		return nil, fmt.Errorf("frame times: %w", d.err)
	}
	if len(tm.b) != nf*8 {
		return nil, fmt.Errorf("frame times: %d bytes for %d frames", len(tm.b), nf)
	}
	m := d.section()
	sc.metas = grow(sc.metas, nf)
	sc.pcols = sc.pcols[:0]
	if sc.shapes == nil {
		sc.shapes = map[string][]uint32{}
	}
	metas := sc.metas
	var shapes [][]uint32
	var shapePCols [][]int32 // point columns of a shape, once used for points
	var shapeUses []int      // frames whose points have the shape
	var layouts [][]float64
	shapeRef := func() int {
		r := m.uv()
		if r > 0 {
			if r-1 >= uint64(len(shapes)) {
				m.fail(fmt.Errorf("shape %d out of range", r))
				return -1
			}
			return int(r - 1)
		}
		start := m.b
		n := m.count(1)
		ids := make([]uint32, n)
		prev := int64(0)
		for i := range ids {
			prev += m.sv()
			if prev < 0 || prev >= int64(len(cat)) {
				m.fail(fmt.Errorf("series id %d not in the catalogue (%d)", prev, len(cat)))
				return -1
			}
			ids[i] = uint32(prev)
		}
		// Blocks of one recording declare the same shapes again and again:
		// frames share one copy (read-only, as Samples.IDs are).
		enc := start[:len(start)-len(m.b)]
		if known, ok := sc.shapes[string(enc)]; ok {
			ids = known
		} else if len(sc.shapes) < maxSharedShapes {
			sc.shapes[string(enc)] = ids
		}
		shapes = append(shapes, ids)
		shapePCols = append(shapePCols, nil)
		shapeUses = append(shapeUses, 0)
		return len(shapes) - 1
	}
	// Columns are numbered in order of first appearance, as the encoder
	// numbered them: points by series id, histograms by id and part.
	colLen := sc.colLen[:0]
	defer func() { sc.colLen = colLen[:0] }()
	sc.pointCol = grow(sc.pointCol, len(cat))
	pointCol := sc.pointCol
	for i := range pointCol {
		pointCol[i] = -1
	}
	histCol := map[uint32][]int32{}
	newCol := func() int32 {
		colLen = append(colLen, 0)
		return int32(len(colLen) - 1)
	}
	// Every value takes at least a byte of the body: a shape repeated
	// beyond that is corrupt, and must not make the decoder allocate for it.
	limit, nvals := len(body), 0
	use := func(c int32) {
		if nvals++; nvals > limit {
			m.fail(fmt.Errorf("more values than the block holds"))
			return
		}
		colLen[c]++
	}
	prevAt := tFirst
	for fi := range metas {
		fm := &metas[fi]
		fm.source = str(m)
		fm.at = fromRelTime(planeAt(tm.b, nf, fi), prevAt)
		if !fm.at.IsZero() {
			prevAt = fm.at.UnixNano()
		}
		fm.fl = m.uv()
		at := prevAt
		fm.ref = at
		if fm.fl&ffPoints != 0 {
			si := shapeRef()
			if si < 0 {
				return nil, fmt.Errorf("frame %d: %w", fi, m.err)
			}
			fm.pointIDs = shapes[si]
			if shapePCols[si] == nil {
				pc := sc.takeCols(len(fm.pointIDs))
				for i, id := range fm.pointIDs {
					if pointCol[id] < 0 {
						pointCol[id] = newCol()
					}
					pc[i] = pointCol[id]
				}
				shapePCols[si] = pc
			}
			fm.pcols = shapePCols[si]
			if nvals += len(fm.pcols); nvals > limit {
				return nil, fmt.Errorf("frame %d: more values than the block holds", fi)
			}
			shapeUses[si]++ // the columns' lengths, once per shape below
			if fm.fl&ffPointsAt == 0 {
				fm.pointAt = make([]int64, len(fm.pointIDs))
				for i := range fm.pointAt {
					t := m.timeRel(at)
					fm.zeroAt = fm.zeroAt || t.IsZero()
					fm.pointAt[i] = t.UnixNano()
				}
			}
		}
		if fm.fl&ffHists != 0 {
			si := shapeRef()
			if si < 0 {
				return nil, fmt.Errorf("frame %d: %w", fi, m.err)
			}
			fm.histIDs = shapes[si]
			fm.hcols = make([][]int32, len(fm.histIDs))
			if fm.fl&ffHistsAt == 0 {
				fm.histAt = make([]time.Time, len(fm.histIDs))
			}
			fm.histLay = make([][]float64, len(fm.histIDs))
			for i, id := range fm.histIDs {
				if fm.histAt != nil {
					fm.histAt[i] = m.timeRel(at)
				}
				r := m.uv()
				var lay []float64
				if r > 0 {
					if r-1 >= uint64(len(layouts)) {
						m.fail(fmt.Errorf("layout %d out of range", r))
						break
					}
					lay = layouts[r-1]
				} else {
					n := m.count(8)
					lay = make([]float64, n)
					for j := range lay {
						lay[j] = m.f64()
					}
					layouts = append(layouts, lay)
				}
				fm.histLay[i] = lay
				hc := histCol[id]
				for len(hc) < 2+len(lay) {
					hc = append(hc, newCol())
				}
				histCol[id] = hc
				fm.hcols[i] = hc[:2+len(lay)]
				for _, c := range fm.hcols[i] {
					use(c)
				}
				if m.err != nil {
					break
				}
			}
		}
		if m.err != nil {
			return nil, fmt.Errorf("frame %d: %w", fi, m.err)
		}
	}
	if d.err != nil {
		return nil, d.err
	}
	for si, n := range shapeUses {
		for _, c := range shapePCols[si] {
			colLen[c] += n
		}
	}

	// Columns back from their modes, the float planes and the integers.
	md := d.section()
	modes := md.bytes(uint64(len(md.b)))
	pl := d.section()
	in := d.section()
	if d.err != nil || len(modes) != len(colLen) {
		return nil, fmt.Errorf("%d column modes for %d columns", len(modes), len(colLen))
	}
	nf64, total := 0, 0
	for c, n := range colLen {
		total += n
		if modes[c] == 0 {
			nf64 += n
		} else if modes[c] > 1+maxScale {
			return nil, fmt.Errorf("column mode %d unknown", modes[c])
		}
	}
	if len(pl.b) != nf64*8 {
		return nil, fmt.Errorf("float section has %d bytes, %d values expected", len(pl.b), nf64)
	}
	sc.vals = grow(sc.vals, total)
	sc.colStart = grow(sc.colStart, len(colLen))
	sc.bits = grow(sc.bits, nf64)
	vals, colStart, bits := sc.vals, sc.colStart, sc.bits
	// The float planes back into words, one plane at a time (sequential reads).
	for p := 0; p < 8; p++ {
		plane, sh := pl.b[p*nf64:(p+1)*nf64], 56-8*p
		for i, c := range plane {
			bits[i] |= uint64(c) << sh
		}
	}
	k, kf := 0, 0
	for c, n := range colLen {
		colStart[c] = k
		if modes[c] != 0 {
			p10 := pow10[modes[c]-1]
			var x int64
			b := in.b
			for i := 0; i < n; i++ {
				// Zigzag varints, inline: most deltas take one byte.
				var u uint64
				if len(b) > 0 && b[0] < 0x80 {
					u, b = uint64(b[0]), b[1:]
				} else {
					v, w := binary.Uvarint(b)
					if w <= 0 {
						return nil, fmt.Errorf("integer section does not match its columns")
					}
					u, b = v, b[w:]
				}
				x += int64(u>>1) ^ -int64(u&1)
				vals[k] = float64(x)
				if p10 != 1 {
					vals[k] /= p10
				}
				k++
			}
			in.b = b
			continue
		}
		var prev uint64
		for i := 0; i < n; i++ {
			prev ^= bits[kf]
			vals[k] = math.Float64frombits(prev)
			k++
			kf++
		}
	}
	if in.err != nil || len(in.b) != 0 {
		return nil, fmt.Errorf("integer section does not match its columns")
	}
	next := func(c int32) float64 {
		v := vals[colStart[c]]
		colStart[c]++
		return v
	}

	a := d.section()
	tx := &texts{s: string(d.section().b)}
	if d.err != nil {
		return nil, d.err
	}
	atab := make([]string, 0, strings.Count(tx.s, "\x00"))
	str = func(dd *dec) string {
		i := dd.uv()
		if dd != a {
			if i >= uint64(len(strs)) {
				dd.fail(fmt.Errorf("string ref %d out of range", i))
				return ""
			}
			return strs[i]
		}
		if i == 0 {
			s := sources.Sanitize(tx.next())
			if tx.err != nil {
				dd.fail(fmt.Errorf("text: %w", tx.err))
			}
			atab = append(atab, s)
			return s
		}
		if i-1 >= uint64(len(atab)) {
			dd.fail(fmt.Errorf("text ref %d out of range", i))
			return ""
		}
		return atab[i-1]
	}
	frames := make([]sources.Frame, nf)
	// Points go out in column form over the catalogue: one pointer-free
	// allocation for the values of every frame, and no Point per sample.
	npts := 0
	for fi := range metas {
		npts += len(metas[fi].pointIDs)
	}
	allVals := make([]float64, npts)
	// Logs and health reports of all frames come from slabs too: most
	// frames of a log stream carry one line.
	nlog, nhealth, nsamp := 0, 0, 0
	for fi := range metas {
		if len(metas[fi].pointIDs) > 0 {
			nsamp++
		}
		if metas[fi].fl&ffLogs != 0 {
			nlog++
		}
		if metas[fi].fl&ffHealth != 0 {
			nhealth++
		}
	}
	logSlab := make([]sources.LogRecord, 0, nlog)
	healthSlab := make([]sources.Health, nhealth)
	sampSlab := make([]sources.Samples, nsamp)
	for fi := range metas {
		fm := &metas[fi]
		f := &frames[fi]
		f.Source, f.At = fm.source, fm.at
		at := fm.ref
		if n := len(fm.pointIDs); n > 0 {
			vs := allVals[:n:n]
			allVals = allVals[n:]
			for i, c := range fm.pcols {
				vs[i] = next(c)
			}
			f.Samples = &sampSlab[0]
			sampSlab = sampSlab[1:]
			*f.Samples = sources.Samples{Series: cat, IDs: fm.pointIDs, Values: vs, At: fm.pointAt}
			if fm.zeroAt || (f.At.IsZero() && fm.pointAt == nil) {
				// Points stamped with a zero time: keep them exact.
				f.Points, f.Samples = f.AllPoints(), nil
			}
		}
		if fm.fl&ffHists != 0 {
			f.Histograms = make([]sources.Histogram, len(fm.histIDs))
			for i, id := range fm.histIDs {
				h := &f.Histograms[i]
				h.Series = cat[id]
				h.At = fm.at
				if fm.histAt != nil {
					h.At = fm.histAt[i]
				}
				hc := fm.hcols[i]
				h.Count = next(hc[0])
				h.Sum = next(hc[1])
				h.Buckets = make([]sources.Bucket, len(fm.histLay[i]))
				for j, ub := range fm.histLay[i] {
					h.Buckets[j] = sources.Bucket{UpperBound: ub, Count: next(hc[2+j])}
				}
			}
		}
		if m.err != nil {
			return nil, m.err
		}
		if fm.fl&ffLogs != 0 {
			n := a.count(8)
			if len(logSlab)+n <= cap(logSlab) {
				f.Logs = logSlab[len(logSlab) : len(logSlab)+n : len(logSlab)+n]
				logSlab = logSlab[:len(logSlab)+n]
			} else {
				f.Logs = make([]sources.LogRecord, n)
			}
			for i := range f.Logs {
				l := &f.Logs[i]
				l.At = a.timeRel(at)
				l.Source = str(a)
				if lv := a.sv(); lv >= readTimeLevel-128 {
					l.Level, l.TimeRead = sources.Level(lv-readTimeLevel), true
				} else {
					l.Level = sources.Level(lv)
				}
				l.Service = str(a)
				var msgAt uint64
				if msgAt = a.uv(); msgAt == 0 {
					l.Msg = str(a)
				}
				l.TraceID = str(a)
				l.SpanID = str(a)
				l.Fields = attrs(a, str)
				l.Raw = str(a)
				if msgAt > 0 {
					if msgAt-1 > uint64(len(l.Raw)) {
						a.fail(fmt.Errorf("log message outside its line"))
						break
					}
					l.Msg = l.Raw[msgAt-1:]
				}
			}
		}
		if fm.fl&ffSpans != 0 {
			n := a.count(10)
			f.Spans = make([]sources.Span, n)
			for i := range f.Spans {
				s := &f.Spans[i]
				s.TraceID, s.SpanID, s.ParentID, s.Service, s.Name = str(a), str(a), str(a), str(a), str(a)
				s.Start = a.timeRel(at)
				st := s.Start.UnixNano()
				if s.Start.IsZero() {
					st = at
				}
				s.End = a.timeRel(st)
				s.Status = sources.SpanStatus(a.u8())
				s.Attrs = attrs(a, str)
				if ne := a.uv(); ne > 0 {
					if ne-1 > uint64(len(a.b)/3) {
						a.fail(fmt.Errorf("span event count %d exceeds the data", ne-1))
						break
					}
					s.Events = make([]sources.SpanEvent, ne-1)
					for j := range s.Events {
						s.Events[j] = sources.SpanEvent{At: a.timeRel(st), Name: str(a), Attrs: attrs(a, str)}
					}
				}
			}
		}
		if fm.fl&ffEvents != 0 {
			n := a.count(5)
			f.Events = make([]sources.Event, n)
			for i := range f.Events {
				ev := &f.Events[i]
				ev.At = a.timeRel(at)
				ev.Kind = str(a)
				ev.Severity = sources.Severity(a.u8())
				ev.Labels = labels(a, str)
				ev.Text = str(a)
			}
		}
		if fm.fl&ffExemplars != 0 {
			n := a.count(14)
			f.Exemplars = make([]sources.Exemplar, n)
			for i := range f.Exemplars {
				x := &f.Exemplars[i]
				x.Series = series(a, a.uv())
				x.At = a.timeRel(at)
				x.Value = a.f64()
				x.TraceID = str(a)
				x.SpanID = str(a)
				x.Labels = labels(a, str)
			}
		}
		if fm.fl&ffHealth != 0 {
			h := &healthSlab[0]
			healthSlab = healthSlab[1:]
			h.Source, h.Kind, h.Target = str(a), str(a), str(a)
			h.State = sources.HealthState(a.u8())
			h.Err = str(a)
			h.LastOK = a.timeRel(at)
			h.At = a.timeRel(at)
			h.Duration = time.Duration(a.sv())
			h.Interval = time.Duration(a.sv())
			h.Bytes = int(a.sv())
			h.Series = int(a.sv())
			h.Detail = str(a)
			f.Health = h
		}
		if a.err != nil {
			return nil, fmt.Errorf("frame %d: %w", fi, a.err)
		}
	}
	return frames, nil
}

func attrs(a *dec, str func(*dec) string) map[string]string {
	n := a.uv()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(a.b)/2) {
		a.fail(fmt.Errorf("attribute count %d exceeds the data", n-1))
		return nil
	}
	m := make(map[string]string, n-1)
	for i := uint64(0); i < n-1; i++ {
		k := str(a)
		m[k] = str(a)
	}
	return m
}

func labels(a *dec, str func(*dec) string) []sources.Label {
	n := a.uv()
	if n == 0 {
		return nil
	}
	if n-1 > uint64(len(a.b)/2) {
		a.fail(fmt.Errorf("label count %d exceeds the data", n-1))
		return nil
	}
	ls := make([]sources.Label, n-1)
	for i := range ls {
		ls[i] = sources.Label{Name: str(a), Value: str(a)}
	}
	return ls
}
