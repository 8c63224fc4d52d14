package sources

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
	"unsafe"
)

// Spans are held compactly: a span's attributes, which as a map cost most
// of its memory (a map of a dozen attributes is about 600 bytes before its
// strings), are packed into one byte slice, and the strings that repeat
// from span to span (service, name, attribute keys and short values) are
// held once, in the store's string table. A span read back is the span
// that went in. About 250 bytes a span instead of about 1,100 (the demo's
// spans), and far fewer pointers for the garbage collector to follow.

// spanRec is one span as the store holds it.
type spanRec struct {
	traceID, spanID, parentID string
	service, name             string // from the string table where they fit
	start, end                int64
	loc                       *time.Location // of Start and End
	status                    SpanStatus
	nilAttrs                  bool
	attrs                     []byte // packed: see packAttrs
	events                    []SpanEvent
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

// shared returns the table's copy of s where it has or can take one.
func (t *strTable) shared(s string) string {
	if i, ok := t.id(s); ok {
		return t.strs[i]
	}
	return s
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

// unpackRef reads a reference packed by packRef (an inline string is
// copied out).
func (t *strTable) unpackRef(b []byte) (string, []byte) {
	v, n := binary.Uvarint(b)
	b = b[n:]
	if v&1 == 0 {
		return t.strs[v>>1], b
	}
	l := int(v >> 1)
	s := string(b[:l])
	return s, b[l:]
}

// packAttrs packs a string map: the number of entries, then a key and a
// value reference each.
func (t *strTable) packAttrs(m map[string]string) []byte {
	if len(m) == 0 {
		return nil
	}
	b := make([]byte, 0, 1+4*len(m))
	b = binary.AppendUvarint(b, uint64(len(m)))
	for k, v := range m {
		b = t.packRef(b, k)
		b = t.packRef(b, v)
	}
	return b[:len(b):len(b)]
}

// unpackAttrs fills m from a packed map.
func (t *strTable) unpackAttrs(b []byte, m map[string]string) {
	if len(b) == 0 {
		return
	}
	n, k := binary.Uvarint(b)
	b = b[k:]
	for range n {
		var key, val string
		key, b = t.unpackRef(b)
		val, b = t.unpackRef(b)
		m[key] = val
	}
}

// attrCount is the number of entries of a packed map.
func attrCount(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	n, _ := binary.Uvarint(b)
	return int(n)
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
}

func newSpanBuf(max int) *spanBuf {
	return &spanBuf{fifo: newFifo(max, recSize), strs: newStrTable()}
}

// recSize is the bytes a held span owns (its interned strings are the
// string table's).
func recSize(r *spanRec) int {
	n := spanRecSize + allocSize(len(r.traceID)) + allocSize(len(r.spanID)) + allocSize(len(r.parentID)) + allocSize(cap(r.attrs))
	if len(r.events) > 0 {
		n += allocSize(cap(r.events) * spanEventSize)
		for i := range r.events {
			n += allocSize(len(r.events[i].Name)) + strMapBytes(r.events[i].Attrs)
		}
	}
	return n
}

// size is the spans' and the string table's bytes.
func (b *spanBuf) size() int64 { return b.fifo.bytes + b.strs.bytes }

// add holds sp and reports whether the oldest span went for it.
func (b *spanBuf) add(sp *Span) bool {
	r := spanRec{traceID: sp.TraceID, spanID: sp.SpanID, parentID: sp.ParentID,
		service: b.strs.shared(sp.Service), name: b.strs.shared(sp.Name),
		start: unixNano(sp.Start), end: unixNano(sp.End), loc: sp.Start.Location(),
		status: sp.Status, nilAttrs: sp.Attrs == nil, attrs: b.strs.packAttrs(sp.Attrs), events: sp.Events}
	return b.push(r)
}

// fill sets sp to the span r holds, with its attributes when attrs is
// true.
func (b *spanBuf) fill(r *spanRec, sp *Span, attrs bool) {
	*sp = Span{TraceID: r.traceID, SpanID: r.spanID, ParentID: r.parentID, Service: r.service, Name: r.name,
		Start: timeOf(r.start, r.loc), End: timeOf(r.end, r.loc), Status: r.status, Events: r.events}
	if attrs && !r.nilAttrs {
		sp.Attrs = make(map[string]string, attrCount(r.attrs))
		b.strs.unpackAttrs(r.attrs, sp.Attrs)
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
