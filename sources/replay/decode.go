package replay

import (
	"encoding/binary"
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
				l.Level = sources.Level(a.sv())
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
