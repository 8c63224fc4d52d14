package sources

import "time"

// This file holds read-only additions for the replay package (saving the
// store's recent contents to a recording with Ctrl-S).

// HistogramRange returns the snapshots of the histogram series key in
// (from, to], oldest first, as Histograms stamped with their times. It is
// nil for an unknown key or a point series.
func (s *Store) HistogramRange(key string, from, to time.Time) []Histogram {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.hists[key]
	if d == nil {
		return nil
	}
	r := d.ring
	i, j := r.search(from.UnixNano()), r.search(to.UnixNano())
	out := make([]Histogram, 0, j-i)
	for ; i < j; i++ {
		t, sn := r.at(i)
		h := Histogram{Series: d.series, At: time.Unix(0, t), Count: sn.count, Sum: sn.sum,
			Buckets: make([]Bucket, len(sn.counts))}
		for k := range sn.counts {
			h.Buckets[k] = Bucket{UpperBound: sn.bounds[k], Count: sn.counts[k]}
		}
		out = append(out, h)
	}
	return out
}

// Clear empties the store in place, as a replay does before a backward
// seek. (Store.Reset assigns a whole new Store over the receiver while its
// lock is held, which zeroes the held mutex; Clear empties field by field.)
func (s *Store) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.series = make(map[string]*seriesData)
	s.hists = make(map[string]*histData)
	s.byName = make(map[string]map[string]Series)
	s.logs = newFifo[LogRecord](s.opts.MaxLogs)
	s.spans = newFifo[Span](s.opts.MaxSpans)
	s.events = newFifo[Event](s.opts.MaxEvents)
	s.exemplars = newFifo[Exemplar](s.opts.MaxExemplars)
	s.health = make(map[string]Health)
	s.drops = Drops{}
	s.newest, s.swept = 0, 0
	s.gen++
}
