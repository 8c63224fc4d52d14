package sources

import (
	"slices"
	"sort"
	"time"
)

// merge adds history points to their series in time order: a sample older
// than a series' newest is put in its place rather than dropped, one per
// resolution slot (a sample already in a slot is kept: it is what was shown
// live), and the ring keeps its newest samples when it overflows.
func (s *Store) merge(pts []Point) {
	if len(pts) == 0 {
		return
	}
	idx := make([]int, len(pts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := pts[idx[a]].Series.Key(), pts[idx[b]].Series.Key()
		if ka != kb {
			return ka < kb
		}
		return pts[idx[a]].At.Before(pts[idx[b]].At)
	})
	for i := 0; i < len(idx); {
		j := i + 1
		k := pts[idx[i]].Series.Key()
		for j < len(idx) && pts[idx[j]].Series.Key() == k {
			j++
		}
		d := s.data(&pts[idx[i]].Series)
		ts := make([]int64, 0, j-i)
		vs := make([]float64, 0, j-i)
		for _, x := range idx[i:j] {
			ts = append(ts, pts[x].At.UnixNano())
			vs = append(vs, pts[x].Value)
		}
		s.mergeRing(&d.ring, ts, vs)
		for _, t := range ts {
			s.instants.note(t, s.res)
		}
		if t := ts[len(ts)-1]; t > s.newest {
			s.newest = t
		}
		i = j
	}
}

// mergeRing merges sorted samples (ts, vs) into r.
func (s *Store) mergeRing(r *ring[float64], ts []int64, vs []float64) {
	n := r.len()
	if n > 0 {
		if lt := r.nt; ts[0] > lt && ts[0]/s.res != lt/s.res {
			// All newer: the ordinary path.
			for i := range ts {
				r.push(ts[i], vs[i], s.res)
			}
			return
		}
	}
	ot := make([]int64, 0, n+len(ts))
	ov := make([]float64, 0, n+len(ts))
	i, j := 0, 0
	add := func(t int64, v float64, live bool) {
		if m := len(ot); m > 0 && ot[m-1]/s.res == t/s.res {
			if live {
				ot[m-1], ov[m-1] = t, v
			}
			return
		}
		ot = append(ot, t)
		ov = append(ov, v)
	}
	for i < n || j < len(ts) {
		if i < n {
			t, v := r.at(i)
			if j >= len(ts) || t <= ts[j] {
				add(t, v, true)
				i++
				continue
			}
		}
		add(ts[j], vs[j], false)
		j++
	}
	if len(ot) > r.max {
		ot, ov = ot[len(ot)-r.max:], ov[len(ov)-r.max:]
	}
	r.ts, r.vs, r.head = slices.Clip(ot), slices.Clip(ov), 0
	r.renew()
}

// LastSeen returns the newest sample of the series at or before at, however
// old (the retention bounds it): how long ago a series was last heard of.
func (s *Store) LastSeen(key string, at time.Time) (Sample, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if d := s.series[key]; d != nil {
		return lastSeen(d, at)
	} else if h := s.hists[key]; h != nil {
		i := h.ring.search(at.UnixNano())
		if i == 0 {
			return Sample{}, false
		}
		t, _ := h.ring.at(i - 1)
		return Sample{T: t}, true
	}
	return Sample{}, false
}

func lastSeen(d *seriesData, at time.Time) (Sample, bool) {
	r := &d.ring
	i := r.search(at.UnixNano())
	if i == 0 {
		return Sample{}, false
	}
	t, v := r.at(i - 1)
	return Sample{t, v}, true
}

// BackfillGeneration changes every time history is merged into the store;
// readers that keep figures of past instants drop them when it does.
func (s *Store) BackfillGeneration() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.backGen
}
