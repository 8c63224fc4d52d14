package sources

import (
	"slices"
	"sort"
	"time"
)

// instants are the resolution slots that hold a sample of some series
// (points or histograms), ascending, each with its least and greatest
// sample time, so that a reader can tell when the figures of an instant can
// change without new data (NextChange). A poll stamps all its samples
// alike, so a query engine's fleet holds one slot per poll and per history
// step, whatever its number of series, and knows its instants exactly.
type instants struct {
	slots []slot // ascending by k, unique
	pos   int    // the index noted last: most samples repeat it, or the next
}

type slot struct{ k, lo, hi int64 } // t / resolution, and the sample times in it

// note records that a sample at t (Unix nanoseconds) is held.
func (in *instants) note(t, res int64) {
	k := t / res
	n := len(in.slots)
	for _, i := range [2]int{in.pos, in.pos + 1} {
		if i < n && in.slots[i].k == k {
			in.pos = i
			in.slots[i].lo, in.slots[i].hi = min(in.slots[i].lo, t), max(in.slots[i].hi, t)
			return
		}
	}
	if n == 0 || in.slots[n-1].k < k {
		in.slots = append(in.slots, slot{k, t, t})
		in.pos = n
		return
	}
	i := sort.Search(n, func(i int) bool { return in.slots[i].k >= k })
	if in.slots[i].k != k {
		in.slots = slices.Insert(in.slots, i, slot{k, t, t})
	} else {
		in.slots[i].lo, in.slots[i].hi = min(in.slots[i].lo, t), max(in.slots[i].hi, t)
	}
	in.pos = i
}

// trim forgets the slots before cut's (no sample that old is held).
func (in *instants) trim(cut, res int64) {
	k := cut / res
	i := sort.Search(len(in.slots), func(i int) bool { return in.slots[i].k >= k })
	if i > 0 {
		in.slots = slices.Delete(in.slots, 0, i)
		in.pos = 0
	}
}

// NextChange is the earliest instant after at at which what Last, LastSeen,
// Increase, Rate and HistogramDelta (over any of windows) answer for an
// instant can differ from their answer at at, the store unchanged: when a
// sample held comes into an instant's view (its time), leaves a window
// (its time plus the window), or passes the lookback (plus a window, for
// histograms). Where several sample times share a resolution slot, the
// answer may be early, never late. The zero time: no
// sample held changes anything after at. Figures computed at at hold
// until then, ages apart; a new ingest changes Generation.
func (s *Store) NextChange(at time.Time, windows ...time.Duration) time.Time {
	s.mu.RLock()
	defer s.mu.RUnlock()
	// Each crossing, and whether the answers change at it (a sample
	// comes into view at its time, leaves a window at its time plus the
	// window) or only after it (a sample too old: older than the
	// lookback, strictly).
	type crossing struct {
		off   int64
		after int64 // 1 where the change comes just after the crossing
	}
	cs := []crossing{{0, 0}, {int64(s.opts.Lookback), 1}}
	for _, w := range windows {
		cs = append(cs, crossing{int64(w), 0}, crossing{int64(s.opts.Lookback) + int64(w), 1})
	}
	t := at.UnixNano()
	var next int64
	sl := s.instants.slots
	for _, c := range cs {
		// The first slot with a sample whose change comes after at:
		// its greatest time tells. Its least tells when, or, if that
		// change came already, some other sample of the slot changes
		// the answers after at, just when not known: at once.
		i := sort.Search(len(sl), func(i int) bool { return sl[i].hi+c.off+c.after > t })
		if i == len(sl) {
			continue
		}
		e := max(sl[i].lo+c.off+c.after, t+1)
		if next == 0 || e < next {
			next = e
		}
	}
	if next == 0 {
		return time.Time{}
	}
	return time.Unix(0, next)
}
