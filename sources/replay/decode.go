package replay

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

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
	logs     logDec              // codec 1 log records
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
	bd := bodyDecoder{d: dec{b: body}, limit: len(body), tFirst: tFirst, cat: cat, sc: sc}
	defer bd.done()
	if err := bd.version(); err != nil {
		return nil, err
	}
	if err := bd.names(); err != nil {
		return nil, err
	}
	if err := bd.meta(); err != nil {
		return nil, err
	}
	if err := bd.columns(); err != nil {
		return nil, err
	}
	return bd.frames()
}

// bodyDecoder reads one block body (block.go), a method per section, in
// order: each leaves in the decoder what the later ones need. Its buffers
// come from a scratch; nothing in the frames it returns refers to them.
type bodyDecoder struct {
	codec  uint64 // 0 (format 1.x) or 1
	d      dec    // the body, from the next section on
	limit  int    // the body's length: no section can hold more values
	tFirst int64
	cat    []sources.Series
	sc     *scratch

	strs []string // the strings section: frame source names

	// The meta section, and what it says of the numeric columns.
	m          dec
	metas      []frameMeta
	shapes     [][]uint32
	shapePCols [][]int32 // point columns of a shape, once used for points
	shapeUses  []int     // frames whose points have the shape
	layouts    [][]float64
	colLen     []int   // values per column, columns in order of first appearance
	pointCol   []int32 // the column of each catalogue series' points, -1 before
	histCol    map[uint32][]int32
	nvals      int

	// The columns' values, and where each column's next value is.
	vals     []float64
	colStart []int

	// The aux and text sections.
	a    dec
	tx   texts
	atab []string // aux strings read so far
	ld   *logDec  // codec 1 log records (the scratch's)
}

// done hands the decoder's buffers back to its scratch.
func (bd *bodyDecoder) done() { bd.sc.colLen = bd.colLen[:0] }

// version reads the block codec version.
func (bd *bodyDecoder) version() error {
	bd.codec = bd.d.uv()
	if bd.codec > blockCodec && bd.d.err == nil {
		return fmt.Errorf("block codec version %d unknown", bd.codec)
	}
	return nil
}

// names reads the strings section (frame source names): one copy of the
// table, the strings slices of it.
func (bd *bodyDecoder) names() error {
	st := bd.d.sub()
	ns := st.count(1)
	bd.strs = make([]string, ns)
	if ns > 0 {
		all := string(st.b)
		for i := range bd.strs {
			n := st.uv()
			if n > uint64(len(st.b)) {
				st.fail(errShort)
				break
			}
			off := len(all) - len(st.b)
			bd.strs[i] = sources.Sanitize(all[off : off+int(n)]) // the same string when clean
			st.b = st.b[n:]
		}
	}
	if st.err != nil {
		return fmt.Errorf("strings: %w", st.err)
	}
	return nil
}

// str reads a reference into the strings section.
func (bd *bodyDecoder) str(d *dec) string {
	i := d.uv()
	if i >= uint64(len(bd.strs)) {
		d.fail(fmt.Errorf("string ref %d out of range", i))
		return ""
	}
	return bd.strs[i]
}

// meta reads the frame count, the frame times and the meta section: each
// frame's source, flags, point and histogram shapes, and so the number of
// values each numeric column holds.
func (bd *bodyDecoder) meta() error {
	d, sc := &bd.d, bd.sc
	nf := d.count(10)
	tm := d.sub()
	if d.err != nil {
		return fmt.Errorf("frame times: %w", d.err)
	}
	if len(tm.b) != nf*8 {
		return fmt.Errorf("frame times: %d bytes for %d frames", len(tm.b), nf)
	}
	bd.m = d.sub()
	sc.metas = grow(sc.metas, nf)
	bd.metas = sc.metas
	sc.pcols = sc.pcols[:0]
	if sc.shapes == nil {
		sc.shapes = map[string][]uint32{}
	}
	// Columns are numbered in order of first appearance, as the encoder
	// numbered them: points by series id, histograms by id and part.
	bd.colLen = sc.colLen[:0]
	sc.pointCol = grow(sc.pointCol, len(bd.cat))
	bd.pointCol = sc.pointCol
	for i := range bd.pointCol {
		bd.pointCol[i] = -1
	}
	bd.histCol = map[uint32][]int32{}
	bd.frameTimes(tm.b, nf)
	for fi := range bd.metas {
		fm := &bd.metas[fi]
		fm.source = bd.str(&bd.m)
		fm.fl = bd.m.uv()
		if fm.fl&ffPoints != 0 {
			if err := bd.pointsMeta(fm); err != nil {
				return fmt.Errorf("frame %d: %w", fi, err)
			}
		}
		if fm.fl&ffHists != 0 {
			bd.histsMeta(fm)
		}
		if bd.m.err != nil {
			return fmt.Errorf("frame %d: %w", fi, bd.m.err)
		}
	}
	if d.err != nil {
		return d.err
	}
	for si, n := range bd.shapeUses {
		for _, c := range bd.shapePCols[si] {
			bd.colLen[c] += n
		}
	}
	return nil
}

// frameTimes reads the frame times (byte planes) into the metas: each
// frame's time, and the time its other times are relative to (its own, or
// the last frame's that had one; 0 before any).
//
// The first frame's time is relative to the block's first time. Codec 0
// writers wrote it relative to itself instead, so a block whose first
// frame was not its earliest read shifted: for codec 0 the times are moved
// back by what the earliest then lies after the block's first time.
func (bd *bodyDecoder) frameTimes(planes []byte, nf int) {
	timeRef, ref := bd.tFirst, int64(0)
	lowest := int64(math.MaxInt64)
	for fi := range bd.metas {
		fm := &bd.metas[fi]
		v := planeAt(planes, nf, fi)
		if v == 0 {
			fm.at, fm.ref = time.Time{}, ref
			continue
		}
		u := v - 1
		timeRef += int64(u>>1) ^ -int64(u&1)
		ref = timeRef
		fm.at, fm.ref = time.Unix(0, timeRef), timeRef
		lowest = min(lowest, timeRef)
	}
	if shift := lowest - bd.tFirst; bd.codec == 0 && shift != 0 && lowest != math.MaxInt64 {
		for fi := range bd.metas {
			fm := &bd.metas[fi]
			if !fm.at.IsZero() {
				fm.at = time.Unix(0, fm.at.UnixNano()-shift)
			}
			if fm.ref != 0 {
				fm.ref -= shift
			}
		}
	}
}

// pointsMeta reads a frame's point shape (and point times).
func (bd *bodyDecoder) pointsMeta(fm *frameMeta) error {
	m := &bd.m
	si := bd.shapeRef()
	if si < 0 {
		return m.err
	}
	fm.pointIDs = bd.shapes[si]
	if bd.shapePCols[si] == nil {
		pc := bd.sc.takeCols(len(fm.pointIDs))
		for i, id := range fm.pointIDs {
			if bd.pointCol[id] < 0 {
				bd.pointCol[id] = bd.newCol()
			}
			pc[i] = bd.pointCol[id]
		}
		bd.shapePCols[si] = pc
	}
	fm.pcols = bd.shapePCols[si]
	// Every value takes at least a byte of the body: a shape repeated
	// beyond that is corrupt, and must not make the decoder allocate for it.
	if bd.nvals += len(fm.pcols); bd.nvals > bd.limit {
		return fmt.Errorf("more values than the block holds")
	}
	bd.shapeUses[si]++ // the columns' lengths, once per shape at the end
	if fm.fl&ffPointsAt == 0 {
		fm.pointAt = make([]int64, len(fm.pointIDs))
		for i := range fm.pointAt {
			t := m.timeRel(fm.ref)
			fm.zeroAt = fm.zeroAt || t.IsZero()
			fm.pointAt[i] = t.UnixNano()
		}
	}
	return nil
}

// histsMeta reads a frame's histogram shape, times and bucket layouts.
func (bd *bodyDecoder) histsMeta(fm *frameMeta) {
	m := &bd.m
	si := bd.shapeRef()
	if si < 0 {
		return
	}
	fm.histIDs = bd.shapes[si]
	fm.hcols = make([][]int32, len(fm.histIDs))
	if fm.fl&ffHistsAt == 0 {
		fm.histAt = make([]time.Time, len(fm.histIDs))
	}
	fm.histLay = make([][]float64, len(fm.histIDs))
	for i, id := range fm.histIDs {
		if fm.histAt != nil {
			fm.histAt[i] = m.timeRel(fm.ref)
		}
		lay := bd.layoutRef()
		if m.err != nil {
			return
		}
		fm.histLay[i] = lay
		hc := bd.histCol[id]
		for len(hc) < 2+len(lay) {
			hc = append(hc, bd.newCol())
		}
		bd.histCol[id] = hc
		fm.hcols[i] = hc[:2+len(lay)]
		for _, c := range fm.hcols[i] {
			if bd.nvals++; bd.nvals > bd.limit {
				m.fail(fmt.Errorf("more values than the block holds"))
				return
			}
			bd.colLen[c]++
		}
	}
}

func (bd *bodyDecoder) newCol() int32 {
	bd.colLen = append(bd.colLen, 0)
	return int32(len(bd.colLen) - 1)
}

// shapeRef reads a shape reference (a list of series ids), returning its
// index in bd.shapes, or -1 on error.
func (bd *bodyDecoder) shapeRef() int {
	m := &bd.m
	r := m.uv()
	if r > 0 {
		if r-1 >= uint64(len(bd.shapes)) {
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
		if prev < 0 || prev >= int64(len(bd.cat)) {
			m.fail(fmt.Errorf("series id %d not in the catalogue (%d)", prev, len(bd.cat)))
			return -1
		}
		ids[i] = uint32(prev)
	}
	// Blocks of one recording declare the same shapes again and again:
	// frames share one copy (read-only, as Samples.IDs are).
	enc := start[:len(start)-len(m.b)]
	if known, ok := bd.sc.shapes[string(enc)]; ok {
		ids = known
	} else if len(bd.sc.shapes) < maxSharedShapes {
		bd.sc.shapes[string(enc)] = ids
	}
	bd.shapes = append(bd.shapes, ids)
	bd.shapePCols = append(bd.shapePCols, nil)
	bd.shapeUses = append(bd.shapeUses, 0)
	return len(bd.shapes) - 1
}

// layoutRef reads a histogram's bucket layout reference.
func (bd *bodyDecoder) layoutRef() []float64 {
	m := &bd.m
	r := m.uv()
	if r > 0 {
		if r-1 >= uint64(len(bd.layouts)) {
			m.fail(fmt.Errorf("layout %d out of range", r))
			return nil
		}
		return bd.layouts[r-1]
	}
	n := m.count(8)
	lay := make([]float64, n)
	for j := range lay {
		lay[j] = m.f64()
	}
	bd.layouts = append(bd.layouts, lay)
	return lay
}

// columns reads the column modes, the float planes and the integers, and
// rebuilds every column's values.
func (bd *bodyDecoder) columns() error {
	d, sc, colLen := &bd.d, bd.sc, bd.colLen
	md := d.sub()
	modes := md.bytes(uint64(len(md.b)))
	pl := d.sub()
	in := d.sub()
	if d.err != nil || len(modes) != len(colLen) {
		return fmt.Errorf("%d column modes for %d columns", len(modes), len(colLen))
	}
	nf64, total := 0, 0
	for c, n := range colLen {
		total += n
		if modes[c] == 0 {
			nf64 += n
		} else if modes[c] > 1+maxScale {
			return fmt.Errorf("column mode %d unknown", modes[c])
		}
	}
	if len(pl.b) != nf64*8 {
		return fmt.Errorf("float section has %d bytes, %d values expected", len(pl.b), nf64)
	}
	sc.vals = grow(sc.vals, total)
	sc.colStart = grow(sc.colStart, len(colLen))
	sc.bits = grow(sc.bits, nf64)
	vals, colStart, bits := sc.vals, sc.colStart, sc.bits
	bd.vals, bd.colStart = vals, colStart
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
						return fmt.Errorf("integer section does not match its columns")
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
		return fmt.Errorf("integer section does not match its columns")
	}
	return nil
}

// next is column c's next value.
func (bd *bodyDecoder) next(c int32) float64 {
	v := bd.vals[bd.colStart[c]]
	bd.colStart[c]++
	return v
}

// frames reads the aux and text sections and builds the frames.
func (bd *bodyDecoder) frames() ([]sources.Frame, error) {
	d := &bd.d
	bd.a = d.sub()
	bd.tx = texts{s: string(d.sub().b)}
	bd.ld = &bd.sc.logs
	var ids dec
	if bd.codec >= 1 {
		ids = d.sub()
	}
	bd.ld.reset(hex.EncodeToString(ids.b))
	if d.err != nil {
		return nil, d.err
	}
	bd.atab = make([]string, 0, strings.Count(bd.tx.s, "\x00"))
	metas := bd.metas
	frames := make([]sources.Frame, len(metas))
	// Points go out in column form over the catalogue: one pointer-free
	// allocation for the values of every frame, and no Point per sample.
	// Logs and health reports of all frames come from slabs too: most
	// frames of a log stream carry one line.
	npts, nlog, nhealth, nsamp := 0, 0, 0, 0
	for fi := range metas {
		npts += len(metas[fi].pointIDs)
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
	s := slabs{
		vals:   make([]float64, npts),
		logs:   make([]sources.LogRecord, 0, nlog),
		health: make([]sources.Health, nhealth),
		samp:   make([]sources.Samples, nsamp),
	}
	a := &bd.a
	for fi := range metas {
		fm := &metas[fi]
		f := &frames[fi]
		f.Source, f.At = fm.source, fm.at
		bd.points(f, fm, &s)
		bd.hists(f, fm)
		at := fm.ref
		if fm.fl&ffLogs != 0 {
			bd.logs(f, at, &s)
		}
		if fm.fl&ffSpans != 0 {
			bd.spans(f, at)
		}
		if fm.fl&ffEvents != 0 {
			bd.events(f, at)
		}
		if fm.fl&ffExemplars != 0 {
			bd.exemplars(f, at)
		}
		if fm.fl&ffHealth != 0 {
			bd.health(f, at, &s)
		}
		if a.err != nil {
			return nil, fmt.Errorf("frame %d: %w", fi, a.err)
		}
	}
	bd.finishLogs(frames)
	return frames, nil
}

// slabs are the allocations that the frames of one block share.
type slabs struct {
	vals   []float64
	logs   []sources.LogRecord
	health []sources.Health
	samp   []sources.Samples
}

// points fills a frame's samples from their columns.
func (bd *bodyDecoder) points(f *sources.Frame, fm *frameMeta, s *slabs) {
	n := len(fm.pointIDs)
	if n == 0 {
		return
	}
	vs := s.vals[:n:n]
	s.vals = s.vals[n:]
	for i, c := range fm.pcols {
		vs[i] = bd.next(c)
	}
	f.Samples = &s.samp[0]
	s.samp = s.samp[1:]
	*f.Samples = sources.Samples{Series: bd.cat, IDs: fm.pointIDs, Values: vs, At: fm.pointAt}
	if fm.zeroAt || (f.At.IsZero() && fm.pointAt == nil) {
		// Points stamped with a zero time: keep them exact.
		f.Points, f.Samples = f.AllPoints(), nil
	}
}

// hists fills a frame's histograms from their columns.
func (bd *bodyDecoder) hists(f *sources.Frame, fm *frameMeta) {
	if fm.fl&ffHists == 0 {
		return
	}
	f.Histograms = make([]sources.Histogram, len(fm.histIDs))
	for i, id := range fm.histIDs {
		h := &f.Histograms[i]
		h.Series = bd.cat[id]
		h.At = fm.at
		if fm.histAt != nil {
			h.At = fm.histAt[i]
		}
		hc := fm.hcols[i]
		h.Count = bd.next(hc[0])
		h.Sum = bd.next(hc[1])
		h.Buckets = make([]sources.Bucket, len(fm.histLay[i]))
		for j, ub := range fm.histLay[i] {
			h.Buckets[j] = sources.Bucket{UpperBound: ub, Count: bd.next(hc[2+j])}
		}
	}
}

// astr reads an aux string reference: 0 is the text section's next
// string, k > 0 the k-th aux string read before.
func (bd *bodyDecoder) astr() string {
	a := &bd.a
	i := a.uv()
	if i == 0 {
		s := bd.tx.next()
		if bd.tx.err != nil {
			a.fail(fmt.Errorf("text: %w", bd.tx.err))
		}
		if !printable(s) {
			s = sources.Sanitize(s)
			bd.ld.dirty = true
		}
		bd.atab = append(bd.atab, s)
		return s
	}
	if i-1 >= uint64(len(bd.atab)) {
		a.fail(fmt.Errorf("text ref %d out of range", i))
		return ""
	}
	return bd.atab[i-1]
}

// readTimeLevel is added to a log's level (an int8) in codec 0 when its
// time is the time it was read (LogRecord.TimeRead): recordings made before
// that flag never hold such a value, and read as before. Codec 1 has a flag.
const readTimeLevel = 256

// logs reads a frame's log records (codec 0 here, codec 1 in logs1).
func (bd *bodyDecoder) logs(f *sources.Frame, at int64, s *slabs) {
	a := &bd.a
	n := a.count(8)
	if len(s.logs)+n <= cap(s.logs) {
		f.Logs = s.logs[len(s.logs) : len(s.logs)+n : len(s.logs)+n]
		s.logs = s.logs[:len(s.logs)+n]
	} else {
		f.Logs = make([]sources.LogRecord, n)
	}
	if bd.codec >= 1 {
		bd.logs1(f.Logs, at)
		return
	}
	for i := range f.Logs {
		l := &f.Logs[i]
		l.At = a.timeRel(at)
		l.Source = bd.astr()
		if lv := a.sv(); lv >= readTimeLevel-128 {
			l.Level, l.TimeRead = sources.Level(lv-readTimeLevel), true
		} else {
			l.Level = sources.Level(lv)
		}
		l.Service = bd.astr()
		var msgAt uint64
		if msgAt = a.uv(); msgAt == 0 {
			l.Msg = bd.astr()
		}
		l.TraceID = bd.astr()
		l.SpanID = bd.astr()
		l.Fields = sources.FieldsFromMap(bd.attrs())
		l.Raw = bd.astr()
		if msgAt > 0 {
			if msgAt-1 > uint64(len(l.Raw)) {
				a.fail(fmt.Errorf("log message outside its line"))
				return
			}
			l.Msg = l.Raw[msgAt-1:]
		}
	}
}

// spans reads a frame's spans.
func (bd *bodyDecoder) spans(f *sources.Frame, at int64) {
	a := &bd.a
	n := a.count(10)
	f.Spans = make([]sources.Span, n)
	for i := range f.Spans {
		s := &f.Spans[i]
		s.TraceID, s.SpanID, s.ParentID, s.Service, s.Name = bd.astr(), bd.astr(), bd.astr(), bd.astr(), bd.astr()
		s.Start = a.timeRel(at)
		st := s.Start.UnixNano()
		if s.Start.IsZero() {
			st = at
		}
		s.End = a.timeRel(st)
		s.Status = sources.SpanStatus(a.u8())
		s.Attrs = bd.attrs()
		if ne := a.uv(); ne > 0 {
			if ne-1 > uint64(len(a.b)/3) {
				a.fail(fmt.Errorf("span event count %d exceeds the data", ne-1))
				return
			}
			s.Events = make([]sources.SpanEvent, ne-1)
			for j := range s.Events {
				s.Events[j] = sources.SpanEvent{At: a.timeRel(st), Name: bd.astr(), Attrs: bd.attrs()}
			}
		}
	}
}

// events reads a frame's events.
func (bd *bodyDecoder) events(f *sources.Frame, at int64) {
	a := &bd.a
	n := a.count(5)
	f.Events = make([]sources.Event, n)
	for i := range f.Events {
		ev := &f.Events[i]
		ev.At = a.timeRel(at)
		ev.Kind = bd.astr()
		ev.Severity = sources.Severity(a.u8())
		ev.Labels = bd.labels()
		ev.Text = bd.astr()
	}
}

// exemplars reads a frame's exemplars.
func (bd *bodyDecoder) exemplars(f *sources.Frame, at int64) {
	a := &bd.a
	n := a.count(14)
	f.Exemplars = make([]sources.Exemplar, n)
	for i := range f.Exemplars {
		x := &f.Exemplars[i]
		if id := a.uv(); id < uint64(len(bd.cat)) {
			x.Series = bd.cat[id]
		} else {
			a.fail(fmt.Errorf("series id %d not in the catalogue (%d)", id, len(bd.cat)))
		}
		x.At = a.timeRel(at)
		x.Value = a.f64()
		x.TraceID = bd.astr()
		x.SpanID = bd.astr()
		x.Labels = bd.labels()
	}
}

// health reads a frame's health report.
func (bd *bodyDecoder) health(f *sources.Frame, at int64, s *slabs) {
	a := &bd.a
	h := &s.health[0]
	s.health = s.health[1:]
	h.Source, h.Kind, h.Target = bd.astr(), bd.astr(), bd.astr()
	h.State = sources.HealthState(a.u8())
	h.Err = bd.astr()
	h.LastOK = a.timeRel(at)
	h.At = a.timeRel(at)
	h.Duration = time.Duration(a.sv())
	h.Interval = time.Duration(a.sv())
	h.Bytes = int(a.sv())
	h.Series = int(a.sv())
	h.Detail = bd.astr()
	f.Health = h
}

// attrs reads a map of attributes: 0 for nil, else 1+n sorted pairs.
func (bd *bodyDecoder) attrs() map[string]string {
	a := &bd.a
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
		k := bd.astr()
		m[k] = bd.astr()
	}
	return m
}

// labels reads a label list: 0 for nil, else 1+n pairs.
func (bd *bodyDecoder) labels() []sources.Label {
	a := &bd.a
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
		ls[i] = sources.Label{Name: bd.astr(), Value: bd.astr()}
	}
	return ls
}
