package drift

import (
	"hash/fnv"
	"math"
)

// DeltaStatus says how a window's distribution was obtained from two
// cumulative histogram scrapes.
type DeltaStatus int

const (
	// DeltaOK: the later scrape minus the earlier one.
	DeltaOK DeltaStatus = iota
	// DeltaReset: some cumulative count went down (a process restart), so
	// the later scrape was taken as counting from zero. The window is
	// under-counted by what was observed before the restart.
	DeltaReset
	// DeltaLayoutChanged: the bucket bounds differ. Nothing was subtracted.
	DeltaLayoutChanged
	// DeltaInvalid: a scrape is malformed (length mismatch, bounds not
	// strictly increasing, no +Inf bucket, NaN or negative counts).
	DeltaInvalid
)

// String returns "ok", "reset", "layout-changed" or "invalid".
func (s DeltaStatus) String() string {
	switch s {
	case DeltaOK:
		return "ok"
	case DeltaReset:
		return "reset"
	case DeltaLayoutChanged:
		return "layout-changed"
	case DeltaInvalid:
		return "invalid"
	}
	return "unknown"
}

// HistogramDelta is the distribution of observations between two scrapes of a
// Prometheus classic histogram.
type HistogramDelta struct {
	// Counts holds the per-bucket (not cumulative) counts, aligned with the
	// bounds; Counts[k] is the count in (bounds[k−1], bounds[k]]. Nil unless
	// Status is DeltaOK or DeltaReset.
	Counts []float64
	// Status says whether the delta is usable and how it was made.
	Status DeltaStatus
	// Repaired reports that a scrape's cumulative counts were not monotone
	// (non-atomic scrapes, rate() artefacts) and were forced monotone with a
	// running maximum, as Prometheus does.
	Repaired bool
}

// CheckHistogram reports whether bounds and cumulative counts form a valid
// classic histogram: equal lengths, at least one bucket, bounds strictly
// increasing with +Inf last, no NaN, and no negative counts.
func CheckHistogram(bounds, cum []float64) bool {
	if len(bounds) == 0 || len(bounds) != len(cum) || !math.IsInf(bounds[len(bounds)-1], 1) {
		return false
	}
	for k := range bounds {
		if math.IsNaN(bounds[k]) || math.IsNaN(cum[k]) || cum[k] < 0 || math.IsInf(cum[k], 0) {
			return false
		}
		if k > 0 && !(bounds[k] > bounds[k-1]) {
			return false
		}
	}
	return true
}

// SameLayout reports whether two bucket layouts have identical bounds.
func SameLayout(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// LayoutHash returns a 64-bit FNV-1a hash of the bucket bounds, for telling
// layouts apart cheaply. Equal layouts have equal hashes.
func LayoutHash(bounds []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, v := range bounds {
		u := math.Float64bits(v)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

// Monotonic returns a copy of the cumulative counts cum forced monotone
// non-decreasing by a running maximum, and whether any change was needed.
func Monotonic(cum []float64) (out []float64, repaired bool) {
	out = make([]float64, len(cum))
	run := math.Inf(-1)
	for k, v := range cum {
		if v < run {
			v = run
			repaired = true
		}
		run = v
		out[k] = v
	}
	return out, repaired
}

// Decumulate returns per-bucket counts from cumulative ones, clamping
// negative differences to zero.
func Decumulate(cum []float64) []float64 {
	out := make([]float64, len(cum))
	prev := 0.0
	for k, v := range cum {
		out[k] = max(0, v-prev)
		prev = v
	}
	return out
}

// Delta returns the distribution observed between the scrape (prevBounds,
// prevCum) and the later scrape (curBounds, curCum) of one classic histogram;
// both hold cumulative counts with +Inf as the last bound. Scrapes are first
// made monotone. If the layouts differ the status is DeltaLayoutChanged and
// nothing is subtracted. If any cumulative count decreased, the whole
// histogram is treated as reset (DeltaReset) and the later scrape is the
// delta, the rule PromQL applies per series.
func Delta(prevBounds, prevCum, curBounds, curCum []float64) HistogramDelta {
	if !CheckHistogram(prevBounds, prevCum) || !CheckHistogram(curBounds, curCum) {
		return HistogramDelta{Status: DeltaInvalid}
	}
	if !SameLayout(prevBounds, curBounds) {
		return HistogramDelta{Status: DeltaLayoutChanged}
	}
	p, r1 := Monotonic(prevCum)
	c, r2 := Monotonic(curCum)
	d := HistogramDelta{Status: DeltaOK, Repaired: r1 || r2}
	for k := range c {
		if c[k] < p[k] {
			d.Status = DeltaReset
			break
		}
	}
	if d.Status == DeltaOK {
		for k := range c {
			c[k] -= p[k]
		}
		// Monotone scrapes can still give a non-monotone difference.
		var r bool
		c, r = Monotonic(c)
		d.Repaired = d.Repaired || r
	}
	d.Counts = Decumulate(c)
	return d
}

// KSBuckets returns the two-sided KS test between two histograms with the
// same bucket layout, given as per-bucket counts. D is the largest CDF
// difference at the bucket bounds: exact there, and a lower bound on the D of
// the underlying observations, since the supremum may lie inside a bucket.
// Counts are rounded to integers for the p-value, which is heavily tied and
// therefore conservative; the result is marked Approximate.
//
// KSBuckets panics if the lengths differ and returns NaN D and P for
// negative or NaN counts.
func KSBuckets(ref, cur []float64) KSResult {
	r := ksBucketsD(ref, cur)
	if r.N > 0 && r.M > 0 {
		r.P = KSAsymptoticPValue(r.D, r.N, r.M, TwoSided)
	}
	return r
}

// ksBucketsD is KSBuckets without the p-value (P NaN).
func ksBucketsD(ref, cur []float64) KSResult {
	checkLen(ref, cur)
	a := make([]int64, len(ref))
	b := make([]int64, len(cur))
	for k := range ref {
		if !(ref[k] >= 0) || !(cur[k] >= 0) || math.IsInf(ref[k], 0) || math.IsInf(cur[k], 0) {
			return KSResult{D: math.NaN(), P: math.NaN(), Approximate: true}
		}
		a[k] = int64(math.Round(ref[k]))
		b[k] = int64(math.Round(cur[k]))
	}
	r := ksCountsD(a, b, TwoSided)
	r.Approximate = true
	return r
}

// bucketLower returns the lower edge used for interpolation inside bucket k,
// Prometheus' rule: 0 for the first bucket if its bound is positive, the
// bucket's own bound (a point mass) if it is not.
func bucketLower(bounds []float64, k int) float64 {
	if k == 0 {
		if bounds[0] > 0 {
			return 0
		}
		return bounds[0]
	}
	return bounds[k-1]
}

// BucketQuantile returns the q-quantile (0 ≤ q ≤ 1) of a histogram given as
// bounds (increasing, +Inf last) and per-bucket counts, with
// histogram_quantile's rule: linear interpolation inside the bucket, a lower
// edge of 0 for the first bucket when its bound is positive, and the last
// finite bound for ranks in the +Inf bucket. It returns NaN for an empty
// histogram or q outside [0, 1], and panics if the lengths differ.
func BucketQuantile(q float64, bounds, counts []float64) float64 {
	checkLen(bounds, counts)
	var total float64
	for _, c := range counts {
		total += c
	}
	if !(total > 0) || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	rank := q * total
	var cum float64
	for k, c := range counts {
		if cum+c >= rank && c > 0 {
			if math.IsInf(bounds[k], 1) {
				if k == 0 {
					return math.NaN()
				}
				return bounds[k-1]
			}
			lo := bucketLower(bounds, k)
			return lo + (bounds[k]-lo)*(rank-cum)/c
		}
		cum += c
	}
	// Only reachable through rounding at q = 1.
	for k := len(bounds) - 1; k >= 0; k-- {
		if !math.IsInf(bounds[k], 1) {
			return bounds[k]
		}
	}
	return math.NaN()
}

// WassersteinBuckets returns the Wasserstein-1 distance between two histograms
// with the same layout, assuming observations spread uniformly inside each
// bucket (so both CDFs are piecewise linear). The first bucket spans [0, b₀]
// if b₀ > 0 and is a point mass at b₀ otherwise; the +Inf bucket is a point
// mass at the last finite bound. Units are those of the bounds.
//
// It panics if the lengths differ and returns NaN if either histogram is
// empty or has a negative or NaN count.
func WassersteinBuckets(bounds, ref, cur []float64) float64 {
	checkLen(bounds, ref)
	checkLen(bounds, cur)
	rs, ok1 := shares(ref)
	cs, ok2 := shares(cur)
	if !ok1 || !ok2 {
		return math.NaN()
	}
	var fr, fc, dist float64 // CDFs at the lower edge of bucket k
	for k := range bounds {
		if math.IsInf(bounds[k], 1) {
			break
		}
		lo := bucketLower(bounds, k)
		a := fr - fc
		fr += rs[k]
		fc += cs[k]
		b := fr - fc
		w := bounds[k] - lo
		if w <= 0 {
			continue
		}
		if (a >= 0) == (b >= 0) {
			dist += (math.Abs(a) + math.Abs(b)) / 2 * w
		} else {
			dist += (a*a + b*b) / (2 * math.Abs(a-b)) * w
		}
	}
	return dist
}

// bucketMeanStd estimates the mean and population standard deviation of a
// histogram from bucket midpoints (lower edge as in BucketQuantile, the last
// finite bound for +Inf).
func bucketMeanStd(bounds, counts []float64) (mean, std float64) {
	var n, s, ss float64
	for k, c := range counts {
		if c <= 0 {
			continue
		}
		x := bucketMid(bounds, k)
		n += c
		s += c * x
		ss += c * x * x
	}
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	mean = s / n
	return mean, math.Sqrt(max(0, ss/n-mean*mean))
}

func bucketMid(bounds []float64, k int) float64 {
	if math.IsInf(bounds[k], 1) {
		if k == 0 {
			return 0
		}
		return bounds[k-1]
	}
	return (bucketLower(bounds, k) + bounds[k]) / 2
}

// MergeBuckets groups adjacent buckets so that each group holds at least
// max(minShare·total, minCount) of the reference counts ref, the layout to
// freeze with a reference before PSI or JS (docs/drift.md §3). It returns the
// exclusive end index of each group: group g covers buckets
// [ends[g−1], ends[g]). A short tail joins the previous group. An empty ref
// gives a single group.
func MergeBuckets(ref []float64, minShare, minCount float64) []int {
	var total float64
	for _, c := range ref {
		total += max(c, 0)
	}
	need := max(minShare*total, minCount)
	var ends []int
	var acc float64
	for k, c := range ref {
		acc += max(c, 0)
		if acc >= need && acc > 0 {
			ends = append(ends, k+1)
			acc = 0
		}
	}
	switch {
	case len(ends) == 0:
		ends = []int{len(ref)}
	case ends[len(ends)-1] != len(ref):
		ends[len(ends)-1] = len(ref)
	}
	return ends
}

// Regroup sums counts over the groups returned by MergeBuckets.
func Regroup(counts []float64, ends []int) []float64 {
	out := make([]float64, len(ends))
	start := 0
	for g, e := range ends {
		for k := start; k < e; k++ {
			out[g] += counts[k]
		}
		start = e
	}
	return out
}
