package drift

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Pseudocount is the count added to every bin before PSI and KL, in both
// histograms, so that empty bins give finite values (docs/drift.md §1).
const Pseudocount = 0.5

// Smoothed returns a copy of counts with add added to every element.
func Smoothed(counts []float64, add float64) []float64 {
	s := make([]float64, len(counts))
	for i, c := range counts {
		s[i] = c + add
	}
	return s
}

// shares normalises p to sum to one. ok is false if p has a negative
// element, NaN, or a zero sum.
func shares(p []float64) (s []float64, ok bool) {
	var sum float64
	for _, v := range p {
		if v < 0 || math.IsNaN(v) {
			return nil, false
		}
		sum += v
	}
	if !(sum > 0) || math.IsInf(sum, 1) {
		return nil, false
	}
	s = make([]float64, len(p))
	for i, v := range p {
		s[i] = v / sum
	}
	return s, true
}

func checkLen(p, q []float64) {
	if len(p) != len(q) {
		panic("drift: slice length mismatch")
	}
}

// PSI returns the population stability index Σ (q_i − p_i)·ln(q_i/p_i)
// between the bin weights p (reference) and q (current). p and q are counts
// or shares; each is normalised to sum to one first. PSI is symmetric and
// equals KL(p‖q) + KL(q‖p).
//
// PSI panics if len(p) != len(q). It returns NaN if either input has a
// negative or NaN element or sums to zero, and +Inf if a bin is empty in one
// input but not the other; apply Smoothed(counts, Pseudocount) to counts first
// to avoid that.
func PSI(p, q []float64) float64 {
	ps, qs, ok := sharesOf(p, q)
	if !ok {
		return math.NaN()
	}
	var s float64
	for i := range ps {
		s += psiTerm(ps[i], qs[i])
	}
	return s
}

// sharesOf checks that p and q have one length (panicking otherwise) and
// normalises both to shares; ok is false when either is invalid.
func sharesOf(p, q []float64) (ps, qs []float64, ok bool) {
	checkLen(p, q)
	ps, ok1 := shares(p)
	qs, ok2 := shares(q)
	return ps, qs, ok1 && ok2
}

func psiTerm(p, q float64) float64 {
	switch {
	case p == q:
		return 0
	case p == 0 || q == 0:
		return math.Inf(1)
	}
	return (q - p) * math.Log(q/p)
}

// KL returns the Kullback–Leibler divergence KL(p‖q) = Σ p_i·ln(p_i/q_i) in
// nats. p and q are normalised to sum to one first. KL is not symmetric.
//
// KL panics if len(p) != len(q). It returns NaN for invalid input as PSI does,
// and +Inf if q_i = 0 < p_i; smooth counts with Smoothed first.
func KL(p, q []float64) float64 {
	ps, qs, ok := sharesOf(p, q)
	if !ok {
		return math.NaN()
	}
	var s float64
	for i := range ps {
		if ps[i] == 0 {
			continue
		}
		if qs[i] == 0 {
			return math.Inf(1)
		}
		s += ps[i] * math.Log(ps[i]/qs[i])
	}
	return s
}

// JSDistance returns the Jensen–Shannon distance with base-2 logarithms,
// √(JSD/ln 2), in 0..1, between the bin weights p and q (normalised first).
// It is symmetric and finite without smoothing. Note that gonum's
// stat.JensenShannon returns the divergence in nats, not this distance, and
// SciPy's jensenshannon uses natural logs by default (a factor √ln2 smaller).
//
// JSDistance panics if len(p) != len(q) and returns NaN for invalid input.
func JSDistance(p, q []float64) float64 {
	ps, qs, ok := sharesOf(p, q)
	if !ok {
		return math.NaN()
	}
	var s float64
	for i := range ps {
		m := (ps[i] + qs[i]) / 2
		if ps[i] > 0 {
			s += ps[i] * math.Log(ps[i]/m)
		}
		if qs[i] > 0 {
			s += qs[i] * math.Log(qs[i]/m)
		}
	}
	js := s / 2 / math.Ln2
	return math.Sqrt(max(js, 0))
}

// Hellinger returns the Hellinger distance √(1 − Σ√(p_i·q_i)), in 0..1,
// between the bin weights p and q (normalised first). The Bhattacharyya
// coefficient is clamped to 1 so rounding cannot give NaN.
//
// Hellinger panics if len(p) != len(q) and returns NaN for invalid input.
func Hellinger(p, q []float64) float64 {
	ps, qs, ok := sharesOf(p, q)
	if !ok {
		return math.NaN()
	}
	var bc float64
	for i := range ps {
		bc += math.Sqrt(ps[i] * qs[i])
	}
	return math.Sqrt(max(0, 1-min(bc, 1)))
}

// LInf returns max_i |p_i − q_i| between the bin weights p and q (normalised
// first), NannyML's L∞ for categories. It panics if len(p) != len(q) and
// returns NaN for invalid input.
func LInf(p, q []float64) float64 {
	ps, qs, ok := sharesOf(p, q)
	if !ok {
		return math.NaN()
	}
	var d float64
	for i := range ps {
		d = max(d, math.Abs(ps[i]-qs[i]))
	}
	return d
}

// ChiSquareResult is the outcome of ChiSquare.
type ChiSquareResult struct {
	// Stat is Pearson's χ² statistic without continuity correction.
	Stat float64
	// DoF is the degrees of freedom, K − 1 after merging.
	DoF int
	// P is the p-value, the χ² survival function at Stat.
	P float64
	// Merged is how many categories were pooled because their expected
	// count was below the minimum.
	Merged int
}

// MinExpected is the smallest expected count per cell that ChiSquare tests
// without pooling.
const MinExpected = 5.0

// ChiSquare runs the 2×K chi-square test of homogeneity (as scipy's
// chi2_contingency without Yates' correction) on category counts ref and cur,
// aligned by index. Categories whose smaller expected count is below
// MinExpected are pooled into one "other" category; if the pool is still
// below it, it is merged with the smallest remaining category until it is not
// or one category is left. The p-value comes from gonum's
// distuv.ChiSquared.Survival.
//
// ChiSquare panics if len(ref) != len(cur). It returns NaN fields for
// negative or NaN counts or an empty sample, and P = 1 with DoF = 0 when
// fewer than two categories remain.
func ChiSquare(ref, cur []float64) ChiSquareResult {
	checkLen(ref, cur)
	var R, C float64
	for i := range ref {
		if ref[i] < 0 || cur[i] < 0 || math.IsNaN(ref[i]) || math.IsNaN(cur[i]) {
			return ChiSquareResult{Stat: math.NaN(), P: math.NaN()}
		}
		R += ref[i]
		C += cur[i]
	}
	if R == 0 || C == 0 {
		return ChiSquareResult{Stat: math.NaN(), P: math.NaN()}
	}
	N := R + C
	minR, minC := R/N, C/N // expected = column total × row share
	type col struct{ r, c float64 }
	var keep []col
	var pool col
	merged := 0
	for i := range ref {
		t := ref[i] + cur[i]
		if t == 0 {
			continue
		}
		if min(t*minR, t*minC) < MinExpected {
			pool.r += ref[i]
			pool.c += cur[i]
			merged++
			continue
		}
		keep = append(keep, col{ref[i], cur[i]})
	}
	if merged > 0 {
		for {
			t := pool.r + pool.c
			if min(t*minR, t*minC) >= MinExpected || len(keep) == 0 {
				break
			}
			// Merge the pool with the smallest remaining category.
			sort.Slice(keep, func(a, b int) bool { return keep[a].r+keep[a].c < keep[b].r+keep[b].c })
			pool.r += keep[0].r
			pool.c += keep[0].c
			keep = keep[1:]
		}
		keep = append(keep, pool)
	}
	if len(keep) < 2 {
		return ChiSquareResult{P: 1, Merged: merged}
	}
	var stat float64
	for _, k := range keep {
		t := k.r + k.c
		er, ec := t*minR, t*minC
		stat += (k.r-er)*(k.r-er)/er + (k.c-ec)*(k.c-ec)/ec
	}
	dof := len(keep) - 1
	p := distuv.ChiSquared{K: float64(dof)}.Survival(stat)
	return ChiSquareResult{Stat: stat, DoF: dof, P: p, Merged: merged}
}

// BenjaminiHochberg returns the Benjamini–Hochberg adjusted p-values
// (q-values) of p, as R's p.adjust(p, "BH"): q_(i) = min over k ≥ i of
// p_(k)·m/k, capped at 1, in the original order. NaN entries are left NaN
// and do not count towards m. A hypothesis is rejected at false discovery
// rate α when its adjusted value is ≤ α.
func BenjaminiHochberg(p []float64) []float64 {
	out := make([]float64, len(p))
	idx := make([]int, 0, len(p))
	for i, v := range p {
		out[i] = math.NaN()
		if !math.IsNaN(v) {
			idx = append(idx, i)
		}
	}
	m := len(idx)
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	running := 1.0
	for k := m - 1; k >= 0; k-- {
		v := p[idx[k]] * float64(m) / float64(k+1)
		running = min(running, v)
		out[idx[k]] = running
	}
	return out
}
