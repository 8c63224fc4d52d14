package sources

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
	"unsafe"
)

// Spans are held compactly: a span is two times and one string, and the
// strings that repeat from span to span (service, name, attribute keys and
// short values) are held once, in the store's string table. The string
// holds, in order, references to the service and the name, the trace, span
// and parent ids (each its length and its text), and the attributes (their
// number, then a key and a value reference each); a map of a dozen
// attributes alone is about 600 bytes before its strings, and every
// string header a span held (8 of them) was 16 bytes more. Reading a span
// back allocates nothing but its attributes' map: its ids and the values
// held in place are parts of the one string. A span read back is the span
// that went in. About 150 bytes a span (the demo's) instead of about 250
// with five strings and a packed byte slice, and 1,100 as a Span.

// spanRec is one span as the store holds it.
type spanRec struct {
	start, end int64
	b          string         // packed: see spanBuf.add
	loc        *time.Location // of Start and End
	events     *[]SpanEvent   // nil for none: few spans have events
	status     SpanStatus
	nilAttrs   bool
}

var spanRecSize = int(unsafe.Sizeof(spanRec{}))

// strTable holds strings that repeat, once each: every reference to one is
// its index. It stops taking strings at maxStrings entries; what comes
// after is held in place.
type strTable struct {
	ids   map[string]uint32
	strs  []string
	bytes int64
}

const (
	maxStrings   = 1 << 14
	maxStringLen = 48 // longer values (ids, messages) rarely repeat
)

func newStrTable() *strTable { return &strTable{ids: map[string]uint32{}} }

// id returns s's index, adding it while there is room.
func (t *strTable) id(s string) (uint32, bool) {
	if i, ok := t.ids[s]; ok {
		return i, true
	}
	if len(s) > maxStringLen || len(t.strs) >= maxStrings {
		return 0, false
	}
	s = strings.Clone(s) // never keep a larger buffer alive
	i := uint32(len(t.strs))
	t.ids[s] = i
	t.strs = append(t.strs, s)
	// The string, its slot in strs and in the map (key, value and control).
	t.bytes += int64(allocSize(len(s))) + 16 + 32
	return i, true
}

// packRef appends a reference to s: its index times two, or its length
// times two plus one and its bytes.
func (t *strTable) packRef(b []byte, s string) []byte {
	if i, ok := t.id(s); ok {
		return binary.AppendUvarint(b, uint64(i)<<1)
	}
	b = binary.AppendUvarint(b, uint64(len(s))<<1|1)
	return append(b, s...)
}

// unpackRef reads a reference packed by packRef from b; a string held in
// place is a part of b.
func (t *strTable) unpackRef(b string) (string, string) {
	v, n := uvarint(b)
	b = b[n:]
	if v&1 == 0 {
		return t.strs[v>>1], b
	}
	l := int(v >> 1)
	return b[:l], b[l:]
}

// packAttrs appends a string map: the number of entries, then a key and a
// value reference each.
func (t *strTable) packAttrs(b []byte, m map[string]string) []byte {
	if len(m) == 0 {
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		b = t.packRef(b, k)
		b = t.packRef(b, v)
	}
	return b
}

// unpackAttrs fills m from packed attributes.
func (t *strTable) unpackAttrs(b string, m map[string]string) {
	if len(b) == 0 {
		return
	}
	n, k := uvarint(b)
	b = b[k:]
	for range n {
		var key, val string
		key, b = t.unpackRef(b)
		val, b = t.unpackRef(b)
		m[key] = val
	}
}

// attrCount is the number of entries of packed attributes.
func attrCount(b string) int {
	if len(b) == 0 {
		return 0
	}
	n, _ := uvarint(b)
	return int(n)
}

// appendStr appends s in place: its length and its bytes.
func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// str reads a string appended by appendStr: a part of b.
func str(b string) (string, string) {
	l, n := uvarint(b)
	b = b[n:]
	return b[:l], b[l:]
}

// uvarint is binary.Uvarint of a string, without copying it; b holds a
// valid varint (the store wrote it).
func uvarint(b string) (uint64, int) {
	var x uint64
	var s uint
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c < 0x80 {
			return x | uint64(c)<<s, i + 1
		}
		x |= uint64(c&0x7f) << s
		s += 7
	}
	return 0, len(b)
}

// noTime stands for the zero time.Time, which UnixNano cannot express.
const noTime = math.MinInt64

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func timeOf(ns int64, loc *time.Location) time.Time {
	if ns == noTime {
		return time.Time{}
	}
	return time.Unix(0, ns).In(loc)
}

// spanBuf is the store's span buffer.
type spanBuf struct {
	*fifo[spanRec]
	strs *strTable
	pack []byte // where add packs a span before its one string is made
}

func newSpanBuf(max int) *spanBuf {
	return &spanBuf{fifo: newFifo(max, recSize), strs: newStrTable()}
}

// recSize is the bytes a held span owns (its interned strings are the
// string table's).
func recSize(r *spanRec) int {
	n := spanRecSize + allocSize(len(r.b))
	if r.events != nil {
		ev := *r.events
		n += allocSize(int(unsafe.Sizeof(ev))) + allocSize(cap(ev)*spanEventSize)
		for i := range ev {
			n += allocSize(len(ev[i].Name)) + strMapBytes(ev[i].Attrs)
		}
	}
	return n
}

// size is the spans' and the string table's bytes.
func (b *spanBuf) size() int64 { return b.fifo.bytes + b.strs.bytes }

// add holds sp and reports whether the oldest span went for it.
func (b *spanBuf) add(sp *Span) bool {
	p := b.strs.packRef(b.pack[:0], sp.Service)
	p = b.strs.packRef(p, sp.Name)
	p = appendStr(p, sp.TraceID)
	p = appendStr(p, sp.SpanID)
	p = appendStr(p, sp.ParentID)
	p = b.strs.packAttrs(p, sp.Attrs)
	if cap(p) <= 4<<10 {
		b.pack = p
	}
	r := spanRec{b: string(p), start: unixNano(sp.Start), end: unixNano(sp.End), loc: sp.Start.Location(),
		status: sp.Status, nilAttrs: sp.Attrs == nil}
	if len(sp.Events) > 0 {
		ev := sp.Events
		r.events = &ev
	}
	return b.push(r)
}

// fill sets sp to the span r holds, with its attributes when attrs is
// true.
func (b *spanBuf) fill(r *spanRec, sp *Span, attrs bool) {
	*sp = Span{Start: timeOf(r.start, r.loc), End: timeOf(r.end, r.loc), Status: r.status}
	p := r.b
	sp.Service, p = b.strs.unpackRef(p)
	sp.Name, p = b.strs.unpackRef(p)
	sp.TraceID, p = str(p)
	sp.SpanID, p = str(p)
	sp.ParentID, p = str(p)
	if r.events != nil {
		sp.Events = *r.events
	}
	if attrs && !r.nilAttrs {
		sp.Attrs = make(map[string]string, attrCount(p))
		b.strs.unpackAttrs(p, sp.Attrs)
	}
}

// collect walks newest to oldest, keeps up to limit (≤0: all) of the spans
// keep keeps (nil: all) and returns them oldest first. keep sees each span
// without its attributes (Attrs nil: unpacking them is most of a read);
// the spans returned have them.
func (b *spanBuf) collect(limit int, keep func(*Span) bool) []Span {
	var out []Span
	var sp Span
	for i := b.len() - 1; i >= 0; i-- {
		r := b.at(i)
		if keep != nil {
			b.fill(r, &sp, false)
			if !keep(&sp) {
				continue
			}
		}
		b.fill(r, &sp, true)
		out = append(out, sp)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// oldest is the start of the oldest span held (the buffer is in arrival
// order), for the budget's oldest-first shedding.
func (b *spanBuf) oldest() int64 { return b.at(0).start }
