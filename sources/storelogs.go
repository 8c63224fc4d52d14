package sources

// LogsSince returns the log records ingested at or after sequence number seq
// that keep keeps (nil keeps all), oldest first, and the sequence number to
// pass next time. Records are numbered from 0 in the order the store received
// them; those already pushed out of the bounded buffer are skipped. A panel
// that follows the log stream asks only for what is new instead of scanning
// the whole buffer on every refresh.
//
// The sequence restarts at 0 after Reset: a caller that gets back a next
// smaller than the seq it passed must drop what it holds and start again.
func (s *Store) LogsSince(seq uint64, keep func(*LogRecord) bool) ([]LogRecord, uint64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	first := s.drops.Logs // sequence number of the oldest record held
	n := uint64(s.logs.len())
	next := first + n
	if seq < first {
		seq = first
	}
	var out []LogRecord
	for i := seq - first; i < n; i++ {
		r := s.logs.at(int(i))
		if keep == nil || keep(r) {
			out = append(out, *r)
		}
	}
	return out, next
}
