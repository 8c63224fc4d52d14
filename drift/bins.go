package drift

import "math"

// QuantileEdges returns the interior edges of bins reference-quantile bins of
// the sorted sample ref: the quantiles k/bins, k = 1…bins−1, with duplicates
// (from ties) removed. With outer edges at ±Inf, as BinCounts uses, every
// value lands in a bin. It panics if ref is not sorted or bins < 1, and
// returns nil for an empty ref.
func QuantileEdges(ref []float64, bins int) []float64 {
	checkSorted(ref, "ref")
	if bins < 1 {
		panic("drift: fewer than one bin")
	}
	if len(ref) == 0 {
		return nil
	}
	var edges []float64
	for k := 1; k < bins; k++ {
		e := quantileSorted(float64(k)/float64(bins), ref)
		if len(edges) == 0 || e > edges[len(edges)-1] {
			edges = append(edges, e)
		}
	}
	return edges
}

// BinCounts returns the counts of x in the len(edges)+1 bins defined by the
// increasing interior edges: bin k holds (edges[k−1], edges[k]], with −Inf
// and +Inf outside. NaN values are not counted.
func BinCounts(edges, x []float64) []float64 {
	c := make([]float64, len(edges)+1)
	for _, v := range x {
		if math.IsNaN(v) {
			continue
		}
		c[binIndex(edges, v)]++
	}
	return c
}

// Grade returns the level of a comparison by docs/drift.md §3: LevelInsufficient
// if n < minCount, LevelNone if p (ideally adjusted across the column) is
// above alpha or NaN, and otherwise the band of effect: < 0.05 tiny, < 0.10
// small, < 0.20 moderate, else high.
func Grade(n int64, minCount int, effect, p, alpha float64) Level {
	switch {
	case n < int64(minCount):
		return LevelInsufficient
	case !(p <= alpha):
		return LevelNone
	}
	return levelFor(effect)
}
