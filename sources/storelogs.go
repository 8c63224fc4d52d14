package sources

import "unsafe"

// DefaultMaxLogBytes is the default bound on the memory the store's log
// records hold (StoreOptions.MaxLogBytes): about 75,000 JSON lines of 250
// bytes with a handful of fields, 20,000 of 3 KB.
const DefaultMaxLogBytes = 64 << 20

// logBuf is the store's log buffer: records in arrival order, numbered from
// 0 (a record's sequence number), bounded both in records and in the bytes
// they hold, as LogSize estimates them. The oldest go first when either
// bound is passed; they are counted, and their bytes.
//
// The records sit in segments of logSegLen slots, not in one ring: a
// flood fills the buffer without ever copying what it holds (a ring grown
// by a quarter at a time copied five times the full buffer, up to 14 MB at
// once, with write barriers while the collector ran, all under the store's
// write lock that every frame the console draws waits for), and a segment
// whose records have all gone is let go of, so that memory comes back as
// the records expire. One emptied segment is kept for the next to fill.
type logBuf struct {
	segs     []*logSeg // segs[0] holds the oldest record, at slot off
	off      int
	n        int // records held
	segLen   int // slots per segment: logSegLen, or maxN when smaller
	spare    *logSeg
	first    uint64 // sequence number of the oldest held
	bytes    int64
	maxN     int
	maxBytes int64
	dropped  uint64 // records let go of
	dropB    uint64 // their bytes
}

// logSeg is one segment of the log buffer.
type logSeg struct {
	recs []LogRecord
	size []uint32 // each held record's LogSize
}

// logSegLen is the slots of a segment: 1,024 records are about 190 KB.
const logSegLen = 1024

func newLogBuf(maxN int, maxBytes int64) *logBuf {
	return &logBuf{maxN: maxN, maxBytes: maxBytes, segLen: max(1, min(logSegLen, maxN))}
}

// push adds r, of sz bytes (LogSize), and lets the oldest go until both
// bounds hold again; it returns how many went. A record larger than the
// whole byte bound is still kept, alone.
func (b *logBuf) push(r *LogRecord, sz int) int {
	gone := 0
	for b.n > 0 && (b.n >= b.maxN || b.bytes+int64(sz) > b.maxBytes) {
		b.pop()
		gone++
	}
	j := b.off + b.n
	si, k := j/b.segLen, j%b.segLen
	if si == len(b.segs) {
		sg := b.spare
		b.spare = nil
		if sg == nil {
			sg = &logSeg{recs: make([]LogRecord, b.segLen), size: make([]uint32, b.segLen)}
		}
		b.segs = append(b.segs, sg)
	}
	sg := b.segs[si]
	sg.recs[k] = *r
	sg.size[k] = uint32(min(sz, 1<<32-1))
	b.n++
	b.bytes += int64(sz)
	return gone
}

// pop lets the oldest record go; its slot is cleared so that its strings
// can be collected, and a segment left empty goes (or becomes the spare).
func (b *logBuf) pop() {
	sg := b.segs[0]
	sz := sg.size[b.off]
	sg.recs[b.off] = LogRecord{}
	b.off++
	b.n--
	b.first++
	b.bytes -= int64(sz)
	b.dropped++
	b.dropB += uint64(sz)
	if b.off == b.segLen || b.n == 0 {
		b.off = 0
		copy(b.segs, b.segs[1:])
		b.segs[len(b.segs)-1] = nil
		b.segs = b.segs[:len(b.segs)-1]
		if b.spare == nil && b.n > 0 {
			b.spare = sg // the next segment to fill: a flood allocates none
		}
	}
}

// expire lets the oldest record go because it is older than the
// retention: not a drop (Dropped counts what the bounds pushed out).
func (b *logBuf) expire() {
	sz := b.segs[0].size[b.off]
	b.pop()
	b.dropped--
	b.dropB -= uint64(sz)
}

// at returns the i-th held record (0 is the oldest).
func (b *logBuf) at(i int) *LogRecord {
	j := b.off + i
	return &b.segs[j/b.segLen].recs[j%b.segLen]
}

// end is the sequence number the next record will get.
func (b *logBuf) end() uint64 { return b.first + uint64(b.n) }

// slotBytes is the memory of the slots besides the records' own bytes:
// the free slots of the segments held and the spare's, and every slot's
// size.
func (b *logBuf) slotBytes() int64 {
	slots := len(b.segs) * b.segLen
	if b.spare != nil {
		slots += b.segLen
	}
	return int64(slots-b.n)*int64(logRecordSize) + 4*int64(slots)
}

// logRecordSize is what a record costs before its strings and fields.
const logRecordSize = int(unsafe.Sizeof(LogRecord{}))

// LogSize estimates the bytes of memory a log record holds: the record, the
// bytes of its strings (a string that is a part of Raw, as the parser's
// values are, counts once), and its fields (Fields.Size: their values, and
// their key list when it is not shared), each rounded up as the allocator
// rounds it. It is what StoreOptions.MaxLogBytes bounds.
func LogSize(r *LogRecord) int {
	raw := r.Raw
	n := logRecordSize + allocSize(len(raw))
	n += own(raw, r.Msg) + own(raw, r.Service) + own(raw, r.TraceID) + own(raw, r.SpanID)
	return n + r.Fields.Size()
}

// allocSize is about what the allocator hands out for n bytes: its size
// classes are 16 bytes apart up to 256, wider above.
func allocSize(n int) int {
	switch {
	case n == 0:
		return 0
	case n <= 256:
		return (n + 15) &^ 15
	case n <= 2048:
		return (n + 127) &^ 127
	}
	return (n + 1023) &^ 1023
}

// own is the bytes of s that are not part of raw.
func own(raw, s string) int {
	if len(s) == 0 {
		return 0
	}
	if len(raw) > 0 {
		p, b := uintptr(unsafe.Pointer(unsafe.StringData(s))), uintptr(unsafe.Pointer(unsafe.StringData(raw)))
		if p >= b && p+uintptr(len(s)) <= b+uintptr(len(raw)) {
			return 0
		}
	}
	return allocSize(len(s))
}

// LogUsage is the state of the store's log buffer.
type LogUsage struct {
	Records      int    // records held
	Bytes        int64  // their estimated bytes (LogSize)
	MaxRecords   int    // the bounds
	MaxBytes     int64  //
	Dropped      uint64 // records let go of to stay within the bounds, since the start or a Reset
	DroppedBytes uint64 // their bytes
}

// LogUsage reports how full the log buffer is and what it let go of.
func (s *Store) LogUsage() LogUsage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.logs
	return LogUsage{Records: b.n, Bytes: b.bytes, MaxRecords: b.maxN, MaxBytes: b.maxBytes,
		Dropped: b.dropped, DroppedBytes: b.dropB}
}

// LogSpan returns the sequence numbers of the oldest log record held and
// of the next one to come: the records held are [first, end).
func (s *Store) LogSpan() (first, end uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.logs.first, s.logs.end()
}

// ScanLogs calls fn for the records held from sequence number seq on
// (records already let go of are passed over), oldest first, at most limit
// of them (≤ 0: all), until fn returns false. It returns the sequence
// number after the last record visited, which is where the next scan
// starts. fn runs under the store's read lock: it must be quick, must not
// call the store, and must not keep r (a copy of *r is fine). A reader that
// scans the whole buffer does it in chunks, so that ingest is never held
// up for long.
//
// The numbering restarts at 0 after Reset: a caller that gets back a
// number smaller than the seq it passed must drop what it holds and start
// again.
func (s *Store) ScanLogs(seq uint64, limit int, fn func(seq uint64, r *LogRecord) bool) uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.logs
	end := b.end()
	if seq > end {
		return end // Reset since: the caller starts again
	}
	seq = max(seq, b.first)
	stop := end
	if limit > 0 && end-seq > uint64(limit) {
		stop = seq + uint64(limit)
	}
	for ; seq < stop; seq++ {
		if !fn(seq, b.at(int(seq-b.first))) {
			return seq + 1
		}
	}
	return seq
}

// LogsAt calls fn with each record of seqs (sequence numbers) still held,
// and its index in seqs, under one read lock. fn must not keep r.
func (s *Store) LogsAt(seqs []uint64, fn func(i int, r *LogRecord)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.logs
	end := b.end()
	for i, q := range seqs {
		if q >= b.first && q < end {
			fn(i, b.at(int(q-b.first)))
		}
	}
}

// LogsSince returns the log records ingested at or after sequence number seq
// that keep keeps (nil keeps all), oldest first, and the sequence number to
// pass next time. Records are numbered from 0 in the order the store received
// them; those already pushed out of the bounded buffer are skipped. Panes that
// follow a flood use ScanLogs instead, which copies nothing.
//
// The sequence restarts at 0 after Reset: a caller that gets back a next
// smaller than the seq it passed must drop what it holds and start again.
func (s *Store) LogsSince(seq uint64, keep func(*LogRecord) bool) ([]LogRecord, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b := s.logs
	next := b.end()
	seq = max(seq, b.first)
	if seq >= next {
		return nil, next
	}
	var out []LogRecord
	if keep == nil {
		out = make([]LogRecord, 0, next-seq)
	}
	for i := seq - b.first; i < uint64(b.n); i++ {
		r := b.at(int(i))
		if keep == nil || keep(r) {
			out = append(out, *r)
		}
	}
	return out, next
}
