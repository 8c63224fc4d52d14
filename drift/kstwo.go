package drift

import "math"

// KolmogorovOneSampleSurvival returns P(D_n ≥ d) for the one-sample
// Kolmogorov–Smirnov statistic with n observations of a continuous
// distribution, SciPy's kstwo.sf(d, n). It uses the matrix method of
// Marsaglia, Tsang and Wang (2003), O(k³ log n) with k ≈ 2nd, and is meant
// for moderate n·d (a few hundred); the result is accurate to about 1e-13
// absolute, so values far below that are not meaningful.
//
// SciPy's two-sample "asymp" method, inherited by alibi-detect and whylogs,
// is KolmogorovOneSampleSurvival(D, round(n·m/(n+m))).
//
// It returns NaN for NaN d or n < 1, 1 for d ≤ 0 and 0 for d ≥ 1.
func KolmogorovOneSampleSurvival(d float64, n int) float64 {
	switch {
	case math.IsNaN(d) || n < 1:
		return math.NaN()
	case d <= 0:
		return 1
	case d >= 1:
		return 0
	}
	nd := float64(n) * d
	// Exact tails: P(D_n ≥ d) = 2(1−d)^n·... only near 1; for d ≤ 1/(2n)
	// the statistic always reaches d.
	if nd <= 0.5 {
		return 1
	}
	return max(0, 1-kolmogorovCDF(n, d))
}

// kolmogorovCDF is P(D_n < d) by Marsaglia, Tsang and Wang.
func kolmogorovCDF(n int, d float64) float64 {
	nd := float64(n) * d
	k := int(nd) + 1
	m := 2*k - 1
	h := float64(k) - nd
	H := make([]float64, m*m)
	for i := range m {
		for j := range m {
			if i-j+1 >= 0 {
				H[i*m+j] = 1
			}
		}
	}
	for i := range m {
		H[i*m] -= math.Pow(h, float64(i+1))
		H[(m-1)*m+i] -= math.Pow(h, float64(m-i))
	}
	if 2*h-1 > 0 {
		H[(m-1)*m] += math.Pow(2*h-1, float64(m))
	}
	for i := range m {
		for j := range m {
			if i-j+1 > 0 {
				for g := 1; g <= i-j+1; g++ {
					H[i*m+j] /= float64(g)
				}
			}
		}
	}
	Q, eQ := matPower(H, 0, m, n)
	s := Q[(k-1)*m+k-1]
	for i := 1; i <= n; i++ {
		s = s * float64(i) / float64(n)
		if s < 1e-140 {
			s *= 1e140
			eQ -= 140
		}
	}
	return s * math.Pow(10, float64(eQ))
}

func matMul(a, b []float64, m int) []float64 {
	c := make([]float64, m*m)
	for i := range m {
		for k := range m {
			aik := a[i*m+k]
			if aik == 0 {
				continue
			}
			row := b[k*m : k*m+m]
			out := c[i*m : i*m+m]
			for j, v := range row {
				out[j] += aik * v
			}
		}
	}
	return c
}

// matPower returns A^n as a matrix and a power-of-ten exponent.
func matPower(a []float64, ea, m, n int) ([]float64, int) {
	if n == 1 {
		return append([]float64(nil), a...), ea
	}
	v, ev := matPower(a, ea, m, n/2)
	b := matMul(v, v, m)
	eb := 2 * ev
	if n%2 == 0 {
		v, ev = b, eb
	} else {
		v, ev = matMul(a, b, m), ea+eb
	}
	if v[(m/2)*m+m/2] > 1e140 {
		for i := range v {
			v[i] *= 1e-140
		}
		ev += 140
	}
	return v, ev
}
