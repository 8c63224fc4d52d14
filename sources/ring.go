package sources

import (
	"sort"
	"time"
)

// Sample is one stored value: T in Unix nanoseconds.
type Sample struct {
	T int64
	V float64
}

// Time returns the sample's timestamp.
func (s Sample) Time() time.Time { return time.Unix(0, s.T) }

// ring is a time-ordered circular buffer that grows lazily up to max.
// A sample in the same resolution slot (t/res) as the newest one replaces it,
// so a ring holds at most one sample per slot; an older sample than the
// newest is dropped. Slots, rather than "closer than res", keep every sample
// of a jittery 1 s poll: what was on screen at T stays in the store after T.
//
// The newest sample is kept beside the slots too (nt, nv): a live console
// reads every series' newest sample at each evaluation, and at 1,000 hosts
// (128,000 series) reading it from the slots cost two cache misses per
// series more than reading it from the ring itself, which sits in the
// series' data (seriesData, histData).
type ring[T any] struct {
	ts   []int64
	vs   []T
	head int // index of the oldest element once full
	max  int
	nt   int64 // the newest sample's time and value, when len(ts) > 0
	nv   T
}

func newRing[T any](max int) ring[T] { return ring[T]{max: max} }

// renew sets the newest sample kept beside the slots from the slots, after
// they were replaced.
func (r *ring[T]) renew() {
	if n := len(r.ts); n > 0 {
		r.nt, r.nv = r.at(n - 1)
	} else {
		var zero T
		r.nt, r.nv = 0, zero
	}
}

func (r *ring[T]) len() int { return len(r.ts) }

// at returns the i-th element, oldest first.
func (r *ring[T]) at(i int) (int64, T) {
	j := r.head + i
	if j >= len(r.ts) {
		j -= len(r.ts)
	}
	return r.ts[j], r.vs[j]
}

func (r *ring[T]) last() (int64, T, bool) {
	if len(r.ts) == 0 {
		var zero T
		return 0, zero, false
	}
	return r.nt, r.nv, true
}

// push appends (t, v). It reports false when t is older than the newest sample.
func (r *ring[T]) push(t int64, v T, res int64) bool {
	ok, _, _ := r.put(t, v, res)
	return ok
}

// put is push that also returns the value v took the place of, if any (the
// newest, in the same slot, or the oldest, once full).
func (r *ring[T]) put(t int64, v T, res int64) (ok bool, old T, had bool) {
	n := len(r.ts)
	if n > 0 {
		lt := r.nt
		if t < lt {
			return false, old, false
		}
		r.nt, r.nv = t, v
		if t/res == lt/res {
			j := r.head + n - 1
			if j >= n {
				j -= n
			}
			old = r.vs[j]
			r.ts[j], r.vs[j] = t, v
			return true, old, true
		}
	} else {
		r.nt, r.nv = t, v
	}
	if n < r.max {
		// Still growing: the ring is linear (head is 0). Doubling up to
		// max allocates at most twice the final size (append's gentler
		// growth of large slices, about five times).
		if n == cap(r.ts) || n == cap(r.vs) {
			c := min(max(2*n, 8), r.max)
			r.ts = append(make([]int64, 0, c), r.ts...)
			r.vs = append(make([]T, 0, c), r.vs...)
		}
		r.ts = append(r.ts, t)
		r.vs = append(r.vs, v)
		return true, old, false
	}
	old = r.vs[r.head]
	r.ts[r.head], r.vs[r.head] = t, v
	r.head++
	if r.head == n {
		r.head = 0
	}
	return true, old, true
}

// shrink makes the ring hold at most n (≥ 1) elements from now on, keeping
// the newest, and returns how many it let go of. Its slots are copied into
// new ones of that size when it had more.
func (r *ring[T]) shrink(n int) int {
	r.max = n
	k := len(r.ts)
	if cap(r.ts) <= n && r.head == 0 {
		return 0
	}
	keep := min(k, n)
	ts, vs := make([]int64, keep, n), make([]T, keep, n)
	for i := range keep {
		ts[i], vs[i] = r.at(k - keep + i)
	}
	r.ts, r.vs, r.head = ts, vs, 0
	r.renew()
	return k - keep
}

// trim lets the samples older than cut go once they are a quarter of
// those held or more, copying the rest into slots of half as many again
// (a series polled less often than the resolution would otherwise fill
// its slots with more than the retention), and returns how many went.
func (r *ring[T]) trim(cut int64) int {
	k := r.search(cut - 1)
	n := len(r.ts)
	if k == 0 || 4*k < n {
		return 0
	}
	keep := n - k
	c := min(max(keep+keep/2, 8), r.max)
	ts, vs := make([]int64, keep, c), make([]T, keep, c)
	for i := range keep {
		ts[i], vs[i] = r.at(k + i)
	}
	r.ts, r.vs, r.head = ts, vs, 0
	r.renew()
	return k
}

// search returns the index of the first element with timestamp > t.
func (r *ring[T]) search(t int64) int {
	// Most reads are at or after the newest sample (a live console's
	// Last of every series each second): no binary search then.
	if n := len(r.ts); n > 0 && r.nt <= t {
		return n
	}
	return sort.Search(len(r.ts), func(i int) bool {
		ti, _ := r.at(i)
		return ti > t
	})
}
