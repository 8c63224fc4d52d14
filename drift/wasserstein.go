package drift

import "math"

// Wasserstein returns the Wasserstein-1 (earth mover's) distance ∫|F − G| dx
// between the empirical distributions of the sorted samples x and y, in the
// units of the data. It merges the two samples in O(n + m); unlike gonum's
// stat.WassersteinDistance it is linear and does not modify its inputs.
//
// x and y must be sorted in increasing order; Wasserstein panics otherwise. It
// returns NaN if either sample is empty or contains NaN.
func Wasserstein(x, y []float64) float64 {
	return WassersteinWeighted(x, nil, y, nil)
}

// WassersteinWeighted is Wasserstein with non-negative weights: xw[i] is the
// weight of x[i] (nil means all ones), likewise yw. Weights are normalised
// internally and left unchanged; zero weights are allowed.
//
// x and y must be sorted and weights, when given, must have the same length
// as their values; it panics otherwise. It returns NaN if either total weight
// is zero or any value or weight is NaN or negative.
func WassersteinWeighted(x, xw, y, yw []float64) float64 {
	checkSorted(x, "x")
	checkSorted(y, "y")
	if (xw != nil && len(xw) != len(x)) || (yw != nil && len(yw) != len(y)) {
		panic("drift: weight length mismatch")
	}
	if hasNaN(x) || hasNaN(y) {
		return math.NaN()
	}
	sx, okx := totalWeight(xw, len(x))
	sy, oky := totalWeight(yw, len(y))
	if !okx || !oky {
		return math.NaN()
	}
	return w1Sorted(x, xw, sx, y, yw, sy)
}

// w1Sorted is WassersteinWeighted without the checks; sx and sy are the
// total weights.
func w1Sorted(x, xw []float64, sx float64, y, yw []float64, sy float64) float64 {
	w := func(ws []float64, i int) float64 {
		if ws == nil {
			return 1
		}
		return ws[i]
	}
	var i, j int
	var cx, cy, dist float64
	var prev float64
	started := false
	for i < len(x) || j < len(y) {
		var t float64
		switch {
		case i == len(x):
			t = y[j]
		case j == len(y):
			t = x[i]
		default:
			t = min(x[i], y[j])
		}
		if started {
			dist += math.Abs(cx/sx-cy/sy) * (t - prev)
		}
		for i < len(x) && x[i] == t {
			cx += w(xw, i)
			i++
		}
		for j < len(y) && y[j] == t {
			cy += w(yw, j)
			j++
		}
		prev, started = t, true
	}
	return dist
}

func totalWeight(ws []float64, n int) (float64, bool) {
	if ws == nil {
		return float64(n), n > 0
	}
	var s float64
	for _, v := range ws {
		if v < 0 || math.IsNaN(v) {
			return 0, false
		}
		s += v
	}
	return s, s > 0
}

// StdFloor returns the floor applied to a reference standard deviation
// before dividing by it: max(1e-3, 1e-6·|mean|).
func StdFloor(mean float64) float64 {
	return max(1e-3, 1e-6*math.Abs(mean))
}

// WassersteinNormed returns Wasserstein(ref, cur) divided by the population
// standard deviation (ddof 0) of ref, floored at StdFloor(mean of ref). Under
// a pure location shift of δ standard deviations it is δ. Preconditions and
// special cases are those of Wasserstein.
func WassersteinNormed(ref, cur []float64) float64 {
	w := Wasserstein(ref, cur)
	if math.IsNaN(w) {
		return w
	}
	mean, std := meanStd(ref)
	return w / max(std, StdFloor(mean))
}

// meanStd returns the mean and population standard deviation of x.
func meanStd(x []float64) (mean, std float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	var ss float64
	for _, v := range x {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / float64(len(x)))
}

// Quantile returns the q-quantile (0 ≤ q ≤ 1) of the sorted sample x with
// linear interpolation between order statistics (NumPy's default, "type 7").
// It panics if x is not sorted and returns NaN for an empty sample or q
// outside [0, 1].
func Quantile(q float64, x []float64) float64 {
	checkSorted(x, "x")
	if len(x) == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	h := q * float64(len(x)-1)
	lo := int(math.Floor(h))
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}
