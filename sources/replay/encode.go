package replay

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

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
	timed   bool // some frame has a time: tFirst and tLast hold
	meta    enc
	aux     enc
	strs    strtab
	atab    map[string]uint64
	text    enc
	times   []int64  // frame times (Unix ns; noTime for the zero time), stored as byte planes by body
	rel     []uint64 // scratch: the times as body writes them
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
	le      logEnc // log records (logcodec.go)
}

func newBlockEnc(cat *catalogue) *blockEnc {
	return &blockEnc{cat: cat, shapes: map[string]uint64{}, layouts: map[string]uint64{}, cols: map[colKey]int{}, atab: map[string]uint64{}}
}

func (b *blockEnc) reset() {
	b.frames, b.tFirst, b.tLast, b.prevAt, b.timed = 0, 0, 0, 0, false
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
	b.le.reset()
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

// strBytes is str of an aux string held in bytes (allocating only when
// it is new).
func (b *blockEnc) strBytes(e *enc, s []byte) {
	if i, ok := b.atab[string(s)]; ok {
		e.uv(i + 1)
		return
	}
	b.str(e, string(s))
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
func (b *blockEnc) add(f *sources.Frame) {
	if f.Samples.Len() > 0 {
		// Frames from a replay carry column samples: record them as points.
		g := *f
		g.Points, g.Samples = f.AllPoints(), nil
		f = &g
	}
	// at is what the frame's other times are written relative to: its
	// own, or for a frame without one the last frame's that had one (0
	// before any in the block). The block's times span the frames that
	// have one.
	at := f.At.UnixNano()
	if f.At.IsZero() {
		at = b.prevAt
		b.times = append(b.times, noTime)
	} else {
		if !b.timed {
			b.tFirst, b.tLast, b.timed = at, at, true
		}
		b.tFirst = min(b.tFirst, at)
		b.tLast = max(b.tLast, at)
		b.times = append(b.times, at)
	}
	b.frames++

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
	e.uv(blockCodec)
	var st enc
	st.uv(uint64(len(b.strs.list)))
	for _, s := range b.strs.list {
		st.raw(s)
	}
	e.uv(uint64(len(st.b)))
	e.b = append(e.b, st.b...)
	e.uv(uint64(b.frames))
	// Frame times: the first relative to the block's first time, each
	// other to the frame's before that had one.
	b.rel = b.rel[:0]
	prev := b.tFirst
	for _, t := range b.times {
		if t == noTime {
			b.rel = append(b.rel, 0)
			continue
		}
		d := t - prev
		b.rel = append(b.rel, uint64(d<<1^d>>63)+1)
		prev = t
	}
	e.uv(uint64(len(b.rel) * 8))
	e.b = appendPlanes(e.b, b.rel)
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
	e.uv(uint64(len(b.le.ids.b)))
	e.b = append(e.b, b.le.ids.b...)
	return e.b
}

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
