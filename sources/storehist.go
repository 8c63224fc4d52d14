package sources

import "time"

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
	r := &d.ring
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
