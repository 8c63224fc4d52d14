package sources

import "time"

// SeriesGeneration changes whenever a series (points or histograms) comes
// into the store or goes: readers that work out which series make up what
// (a fleet's GPUs) redo it only then, not at every ingest.
func (s *Store) SeriesGeneration() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.sets
}

// Ref is a series of points as the store holds it, for readers that read
// the same series at every evaluation (LastRef) without looking its key up
// each time. A Ref outlives its series' eviction (it then reads what the
// series held): hold it no longer than SeriesGeneration stays the same.
type Ref struct{ d *seriesData }

// Ref returns the series of points with that key; ok false when the store
// holds none.
func (s *Store) Ref(key string) (Ref, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	d := s.series[key]
	return Ref{d}, d != nil
}

// LastRef is Last of the series r refers to.
func (s *Store) LastRef(r Ref, at time.Time) (Sample, bool) {
	if r.d == nil {
		return Sample{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.last(r.d, at)
}

// IncreaseRef is Increase of the series r refers to.
func (s *Store) IncreaseRef(r Ref, window time.Duration, at time.Time) (inc float64, span time.Duration, ok bool) {
	if r.d == nil {
		return 0, 0, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return increase(r.d, window, at)
}

// RateRef is Rate of the series r refers to.
func (s *Store) RateRef(r Ref, window time.Duration, at time.Time) (float64, bool) {
	inc, span, ok := s.IncreaseRef(r, window, at)
	if !ok || span <= 0 {
		return 0, false
	}
	return inc / span.Seconds(), true
}

// LastSeenRef is LastSeen of the series r refers to.
func (s *Store) LastSeenRef(r Ref, at time.Time) (Sample, bool) {
	if r.d == nil {
		return Sample{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return lastSeen(r.d, at)
}
