package drift

import "math"

// The exact null distribution of the two-sample KS statistic.
//
// Under the null hypothesis every interleaving of the n x-values and m
// y-values in the pooled order is equally likely: a monotone lattice path
// from (0, 0) to (n, m), a step right for an x and up for a y. After i x's
// and j y's the ECDF difference is (i·m − j·n)/(n·m), so D·n·m ≥ k exactly
// when the path touches a point with i·m − j·n ≥ k (D+), ≤ −k (D−) or
// either (two-sided). The p-value is the probability that a uniformly random
// path touches such a point.
//
// ksLattice walks the path's anti-diagonals s = i + j. A random path at
// (i, j) steps right with probability (n−i)/(n+m−s) and up with
// (m−j)/(n+m−s), so each point carries the probability that the path reaches
// it without having touched the boundary, and the probability arriving at a
// boundary point is added to p and not carried further. The p-value is a sum
// of positive terms, so small p-values keep their relative precision (no
// 1 − P(inside) cancellation), and nothing overflows. The denominator is the
// same along an anti-diagonal, and the points of one anti-diagonal depend
// only on the previous one, so the inner loop has no carried dependency.
//
// Points whose probability is below floor are dropped with their probability
// (from the ends of each anti-diagonal's live range), so the result is exact
// to within the total dropped, which is returned. Without dropping, the work
// is about 2·D·n·m points; the probability far from the diagonal falls like
// exp(−2·en·x²) at ECDF distance x, so a floor bounds the work at about
// 2·x·n·m with x = √(ln(1/floor)/(2·en)), whatever D is.

// ksLattice returns P(the statistic·n·m ≥ k) for alternative alt by the
// lattice walk above, and the probability dropped below floor (an upper
// bound on the absolute error from dropping; rounding adds a relative error
// of about (n+m)·2⁻⁵³ at worst). k must be positive.
func ksLattice(k int64, n, m int, alt Alternative, floor float64) (p, dropped float64) {
	N, M := int64(n), int64(m)
	L := N + M
	// Point (i, s−i) is inside when −k < i·L − s·N < k (only the side
	// the alternative tests is a boundary): i ≥ lo = ⌊(s·N−k)/L⌋ + 1 and
	// i ≤ hi = ⌊(s·N+k−1)/L⌋. Both floors are kept as quotient and
	// remainder and stepped with s (N < L, so one carry at most).
	loQ, loR := floorDiv(-k, L), -k-floorDiv(-k, L)*L
	hiQ, hiR := floorDiv(k-1, L), k-1-floorDiv(k-1, L)*L
	// q[i+1] is the probability at (i, s−i), zero outside the live range
	// [a, b]; q[0] stays zero for i = −1.
	q := make([]float64, n+2)
	q[1] = 1
	a, b := int64(0), int64(0)
	for s := int64(1); s <= L; s++ {
		if loR += N; loR >= L {
			loR -= L
			loQ++
		}
		if hiR += N; hiR >= L {
			hiR -= L
			hiQ++
		}
		lo, hi := loQ+1, hiQ
		switch alt {
		case Greater:
			lo = math.MinInt64
		case Less:
			hi = math.MaxInt64
		}
		// New candidates: [a, b+1] within the lattice.
		na, nb := max(a, s-M), min(b+1, N)
		r := 1 / float64(L-s+1)
		// From (i−1, s−i) right with probability (N−i+1)/R, from
		// (i, s−1−i) up with (M−s+1+i)/R, R = L−s+1. Descending i reads
		// q[i−1] before it is overwritten. The weights are integers,
		// exact in float64. seg[t] is point na+t−1.
		wr := float64(N - nb + 1)
		wu := float64(M - s + 1 + nb)
		seg := q[na : nb+2]
		for t := len(seg) - 1; t >= 1; t-- {
			seg[t] = (wu*seg[t] + wr*seg[t-1]) * r
			wr++
			wu--
		}
		if na > a {
			q[a+1] = 0 // a point that left the lattice's range
		}
		// Boundary points: their probability is the p-value's.
		in0, in1 := max(na, lo), min(nb, hi)
		for i := na; i < in0 && i <= nb; i++ {
			p += q[i+1]
			q[i+1] = 0
		}
		for i := max(in1+1, na); i <= nb; i++ {
			p += q[i+1]
			q[i+1] = 0
		}
		a, b = in0, in1
		// Drop negligible ends.
		for a <= b && q[a+1] < floor {
			dropped += q[a+1]
			q[a+1] = 0
			a++
		}
		for b >= a && q[b+1] < floor {
			dropped += q[b+1]
			q[b+1] = 0
			b--
		}
		if a > b {
			break
		}
	}
	return min(p, 1), dropped
}

// ksSquare returns the exact two-sided P(D ≥ h/n) for two samples of n
// each, h ≥ 1, by the reflection principle (Gnedenko–Korolyuk):
//
//	2·Σ_{t≥1} (−1)^(t−1) C(2n, n−t·h) / C(2n, n)
//
// Each ratio is a product of h factors times the previous one, so the terms
// are computed without binomials; O(n) operations.
func ksSquare(n, h int) float64 {
	var terms []float64
	ratio := 1.0
	for t := 1; t*h <= n; t++ {
		// C(2n, n−a)/C(2n, n) = Π_{j<a} (n−j)/(n+1+j), a = t·h.
		for j := (t - 1) * h; j < t*h; j++ {
			ratio *= float64(n-j) / float64(n+1+j)
		}
		if ratio == 0 {
			break
		}
		terms = append(terms, ratio)
	}
	// Smallest terms first.
	var sum float64
	for t := len(terms) - 1; t >= 0; t-- {
		if t%2 == 0 {
			sum += terms[t]
		} else {
			sum -= terms[t]
		}
	}
	return min(1, max(0, 2*sum))
}

// ksSquareOneSided returns the exact one-sided P(D+ ≥ h/n) for two samples
// of n each: C(2n, n−h) / C(2n, n).
func ksSquareOneSided(n, h int) float64 {
	ratio := 1.0
	for j := range min(h, n+1) {
		ratio *= float64(n-j) / float64(n+1+j)
	}
	return ratio
}
