package drift

import "math/rand/v2"

// Reservoir keeps a uniform random sample of at most Cap values from a stream
// (Vitter's Algorithm R): value i > Cap replaces a random slot with
// probability Cap/i. Its memory is 8·Cap bytes. With Cap = 10 000 the KS D of
// the sample against the whole stream is about 1/√Cap ≈ 0.01 (measured in
// TestReservoirError). A Reservoir is not safe for concurrent use.
type Reservoir struct {
	vals []float64
	cap  int
	seen int64
	rng  *rand.Rand
}

// NewReservoir returns an empty reservoir holding at most k values, drawing
// replacement slots from a PCG generator seeded with seed, so runs are
// reproducible. It panics if k < 1.
func NewReservoir(k int, seed uint64) *Reservoir {
	if k < 1 {
		panic("drift: reservoir capacity < 1")
	}
	return &Reservoir{cap: k, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

// Add offers v to the reservoir.
func (r *Reservoir) Add(v float64) {
	r.seen++
	if len(r.vals) < r.cap {
		r.vals = append(r.vals, v)
		return
	}
	if k := r.rng.Int64N(r.seen); k < int64(r.cap) {
		r.vals[k] = v
	}
}

// Seen returns how many values were offered since the last Reset.
func (r *Reservoir) Seen() int64 { return r.seen }

// Len returns how many values the reservoir holds, min(Seen, Cap).
func (r *Reservoir) Len() int { return len(r.vals) }

// Cap returns the capacity.
func (r *Reservoir) Cap() int { return r.cap }

// Values returns the sample in slot order. The slice is owned by the
// reservoir and is valid until the next Add or Reset.
func (r *Reservoir) Values() []float64 { return r.vals }

// Reset empties the reservoir, keeping its storage and generator.
func (r *Reservoir) Reset() {
	r.vals = r.vals[:0]
	r.seen = 0
}

// sortedReservoir is a Reservoir whose sample is kept in increasing order, so
// closing a window needs no sort: a value entering the sample replaces a
// uniformly random slot with one memmove. The sample is the same uniform
// random subset Algorithm R gives. Values must not be NaN.
type sortedReservoir struct {
	vals []float64
	cap  int
	seen int64
	rng  *rand.Rand
}

func newSortedReservoir(k int, seed uint64) *sortedReservoir {
	return &sortedReservoir{cap: k, rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
}

func (r *sortedReservoir) add(v float64) {
	r.seen++
	if len(r.vals) < r.cap {
		pos := searchFloat(r.vals, v)
		r.vals = append(r.vals, 0)
		copy(r.vals[pos+1:], r.vals[pos:])
		r.vals[pos] = v
		return
	}
	k := int(r.rng.Int64N(r.seen))
	if k >= r.cap {
		return
	}
	// Remove slot k and insert v in order: one shift between the two.
	pos := searchFloat(r.vals, v)
	if pos > k {
		copy(r.vals[k:pos-1], r.vals[k+1:pos])
		r.vals[pos-1] = v
	} else {
		copy(r.vals[pos+1:k+1], r.vals[pos:k])
		r.vals[pos] = v
	}
}

func (r *sortedReservoir) values() []float64 { return r.vals }

func (r *sortedReservoir) reset() {
	r.vals = r.vals[:0]
	r.seen = 0
}

// searchFloat returns the first index i with x[i] ≥ v.
func searchFloat(x []float64, v float64) int {
	lo, hi := 0, len(x)
	for lo < hi {
		h := int(uint(lo+hi) >> 1)
		if x[h] < v {
			lo = h + 1
		} else {
			hi = h
		}
	}
	return lo
}
