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
type logBuf struct {
	buf      []LogRecord // a ring of len(buf) slots; n held from head
	size     []uint32    // each held record's LogSize
	head, n  int
	first    uint64 // sequence number of the oldest held
	bytes    int64
	maxN     int
	maxBytes int64
	dropped  uint64 // records let go of
	dropB    uint64 // their bytes
}

func newLogBuf(maxN int, maxBytes int64) *logBuf {
	return &logBuf{maxN: maxN, maxBytes: maxBytes}
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
	if b.n == len(b.buf) {
		b.grow()
	}
	i := b.slot(b.n)
	b.buf[i] = *r
	b.size[i] = uint32(min(sz, 1<<32-1))
	b.n++
	b.bytes += int64(sz)
	return gone
}

// pop lets the oldest record go; its slot is cleared so that its strings
// can be collected.
func (b *logBuf) pop() {
	sz := b.size[b.head]
	b.buf[b.head] = LogRecord{}
	b.head++
	if b.head == len(b.buf) {
		b.head = 0
	}
	b.n--
	b.first++
	b.bytes -= int64(sz)
	b.dropped++
	b.dropB += uint64(sz)
}

// expire lets the oldest record go because it is older than the
// retention: not a drop (Dropped counts what the bounds pushed out).
func (b *logBuf) expire() {
	sz := b.size[b.head]
	b.pop()
	b.dropped--
	b.dropB -= uint64(sz)
}

// grow enlarges the ring by a quarter (up to maxN slots), keeping the
// order: doubling left up to half the slots empty (7 MB of the 15 a full
// default buffer takes) and held both rings at once while copying.
func (b *logBuf) grow() {
	c := min(max(len(b.buf)+len(b.buf)/4, 64), b.maxN)
	nb := make([]LogRecord, c)
	ns := make([]uint32, c)
	for i := 0; i < b.n; i++ {
		j := b.slot(i)
		nb[i], ns[i] = b.buf[j], b.size[j]
	}
	b.buf, b.size, b.head = nb, ns, 0
}

func (b *logBuf) slot(i int) int {
	j := b.head + i
	if j >= len(b.buf) {
		j -= len(b.buf)
	}
	return j
}

// at returns the i-th held record (0 is the oldest).
func (b *logBuf) at(i int) *LogRecord { return &b.buf[b.slot(i)] }

// end is the sequence number the next record will get.
func (b *logBuf) end() uint64 { return b.first + uint64(b.n) }

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
