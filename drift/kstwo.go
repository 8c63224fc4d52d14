package drift

import "math"

// KolmogorovOneSampleSurvival returns P(D_n ≥ d) for the one-sample
// Kolmogorov–Smirnov statistic D_n with n observations of a continuous
// distribution: SciPy's kstwo.sf(d, n), computed by the same choice of
// method (Simard and L'Ecuyer, 2011), so that it matches SciPy to about
// 1e-12 relative:
//
//   - n·d ≤ 1 or n·d ≥ n−1: Ruben and Gambino's closed forms;
//   - d ≥ 0.5, or n ≤ 140 and n·d² > 4, or n > 140 and n·d² ≥ 2.2:
//     2·P(D⁺_n ≥ d) (SmirnovSurvival), whose error, P(D⁺ ≥ d and D⁻ ≥ d),
//     is zero for d ≥ 0.5 and about 2e-6 of the value at most otherwise;
//   - n·d² ≥ 370 (n > 140): 0;
//   - otherwise one minus the CDF: exact by Durbin's matrix (Marsaglia,
//     Tsang and Wang, 2003) for n ≤ 140, and for n ≤ 100 000 with
//     n·d^1.5 ≤ 1.4; Pelz and Good's asymptotic series (1976) beyond.
//
// SciPy's two-sample "asymp" method, inherited by alibi-detect and whylogs,
// is KolmogorovOneSampleSurvival(D, round(n·m/(n+m))); see
// KSAsymptoticPValue. Cost: O(n) for the Smirnov sum (about 3 ms at
// n = 50 000), O(n³d³ log n) for the matrix, O(√n·d) for Pelz–Good.
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
	fn := float64(n)
	t := fn * d
	switch {
	case t <= 1: // Ruben–Gambino: 1/(2n) ≤ d ≤ 1/n
		if t <= 0.5 {
			return 1
		}
		// P(D_n < d) = n!/nⁿ·(2t−1)ⁿ
		return clamp01(1 - math.Exp(logFactorialOverPower(n)+fn*math.Log(2*t-1)))
	case t >= fn-1: // Ruben–Gambino
		return clamp01(2 * math.Pow(1-d, fn))
	case d >= 0.5:
		return clamp01(2 * SmirnovSurvival(d, n))
	}
	nd2 := t * d
	if n <= 140 {
		if nd2 <= 4 {
			return clamp01(1 - kolmogorovCDF(n, d))
		}
		return clamp01(2 * SmirnovSurvival(d, n))
	}
	switch {
	case nd2 >= 370:
		return 0
	case nd2 >= 2.2:
		return clamp01(2 * SmirnovSurvival(d, n))
	case n <= 100000 && fn*math.Pow(d, 1.5) <= 1.4:
		return clamp01(1 - kolmogorovCDF(n, d))
	}
	return clamp01(pelzGoodSurvival(d, n))
}

func clamp01(p float64) float64 { return min(1, max(0, p)) }

// logFactorialOverPower returns log(n!/nⁿ).
func logFactorialOverPower(n int) float64 {
	fn := float64(n)
	// log n! = (n+½)log n − n + ½log 2π + stirlerr(n)
	return 0.5*math.Log(fn) - fn + 0.5*math.Log(2*math.Pi) + stirlerr(fn)
}

// SmirnovSurvival returns P(D⁺_n ≥ d), the survival function of the
// one-sided one-sample Kolmogorov–Smirnov statistic for n observations,
// SciPy's smirnov(n, d), by the Birnbaum–Tingey sum
//
//	d·Σ_{v=0}^{⌊n(1−d)⌋} C(n, v)·(d + v/n)^(v−1)·(1 − d − v/n)^(n−v)
//
// whose terms are positive: each is d/p·Binomial(v; n, p) at p = d + v/n,
// evaluated with Loader's saddle-point form (2000) to about 1e-14
// relative. For n above 1 000 000 it uses SciPy's approximation
// exp(−(6nd+1)²/(18n)), as SciPy does. It returns NaN for NaN d or n < 1.
func SmirnovSurvival(d float64, n int) float64 {
	fn := float64(n)
	switch {
	case math.IsNaN(d) || n < 1:
		return math.NaN()
	case d <= 0:
		return 1
	case d >= 1:
		return 0
	case n == 1:
		return 1 - d
	case d*fn <= 1:
		// Only the v = 0 and v = 1 terms: 1 − d·(1+d)^(n−1).
		return clamp01(1 - d*math.Exp((fn-1)*math.Log1p(d)))
	case -2*fn*d*d < -708.3964185322641: // exp underflows
		return 0
	case d*fn >= fn-1:
		return math.Exp(fn * math.Log1p(-d))
	case n > 1_000_000:
		return math.Exp(-math.Pow(6*fn*d+1, 2) / 18 / fn)
	}
	last := int(math.Floor(fn * (1 - d)))
	// v = 0: (1−d)ⁿ.
	sum := math.Exp(fn * math.Log1p(-d))
	for v := 1; v <= last; v++ {
		fv := float64(v)
		np := fn*d + fv      // n·p
		nq := fn - fv - fn*d // n·(1−p)
		if nq <= 0 {
			break
		}
		p := np / fn
		sum += d / p * binomialPMF(fv, fn, np, nq)
	}
	return clamp01(sum)
}

// binomialPMF returns C(n, x)·pˣ·(1−p)^(n−x) for 0 < x < n given n·p and
// n·(1−p), by Loader's saddle-point expansion: the binomial coefficient's
// Stirling errors and the deviance terms bd0 are computed without
// cancellation.
func binomialPMF(x, n, np, nq float64) float64 {
	lc := stirlerr(n) - stirlerr(x) - stirlerr(n-x) - bd0(x, np) - bd0(n-x, nq)
	return math.Exp(lc) * math.Sqrt(n/(2*math.Pi*x*(n-x)))
}

// stirlerr returns log(x!) − log(√(2πx)·(x/e)ˣ), the error of Stirling's
// formula.
func stirlerr(x float64) float64 {
	const (
		s0 = 1.0 / 12
		s1 = 1.0 / 360
		s2 = 1.0 / 1260
		s3 = 1.0 / 1680
		s4 = 1.0 / 1188
	)
	if x <= 15 {
		lg, _ := math.Lgamma(x + 1)
		return lg - (x+0.5)*math.Log(x) + x - 0.5*math.Log(2*math.Pi)
	}
	xx := x * x
	switch {
	case x > 500:
		return (s0 - s1/xx) / x
	case x > 80:
		return (s0 - (s1-s2/xx)/xx) / x
	case x > 35:
		return (s0 - (s1-(s2-s3/xx)/xx)/xx) / x
	}
	return (s0 - (s1-(s2-(s3-s4/xx)/xx)/xx)/xx) / x
}

// bd0 returns x·log(x/np) + np − x, the deviance term of Loader's binomial
// expansion, with a series when x is close to np.
func bd0(x, np float64) float64 {
	if math.Abs(x-np) < 0.1*(x+np) {
		v := (x - np) / (x + np)
		s := (x - np) * v
		ej := 2 * x * v
		v *= v
		for j := 1; j < 1000; j++ {
			ej *= v
			s1 := s + ej/float64(2*j+1)
			if s1 == s {
				return s
			}
			s = s1
		}
		return s
	}
	return x*math.Log(x/np) + np - x
}

// pelzGoodSurvival returns 1 − P(D_n ≤ d) by Pelz and Good's asymptotic
// expansion of the Kolmogorov CDF in powers of 1/√n, in the theta-function
// form suited to small z = d·√n (Simard and L'Ecuyer, 2011, §2.4):
//
//	P(D_n ≤ d) ≈ K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^(3/2).
func pelzGoodSurvival(d float64, n int) float64 {
	fn := float64(n)
	z := d * math.Sqrt(fn)
	z2 := z * z
	z4 := z2 * z2
	z6 := z4 * z2
	const pi2 = math.Pi * math.Pi
	const pi4 = pi2 * pi2
	const pi6 = pi4 * pi2
	logq := -pi2 / 8 / z2
	if logq < -708 {
		return 1
	}
	// Sums over odd m = 2k−1 of c(m)·q^(m²), q = exp(−π²/(8z²)).
	var s0, s1, s2, s3 float64
	kmax := int(math.Ceil(16 * z / math.Pi))
	for k := 1; k <= kmax; k++ {
		m := float64(2*k - 1)
		m2 := m * m
		w := math.Exp(logq * m2)
		s0 += w
		s1 += (pi2/4*m2 - z2) * w
		s2 += (6*z6 + 2*z4 + (2*z4-5*z2)*pi2/4*m2 + pi4*(1-2*z2)/16*m2*m2) * w
		s3 += (-30*z6 - 90*z6*z2 + pi2*(135*z4-96*z6)/4*m2 + pi4*(-60*z2+212*z4)/16*m2*m2 + pi6*(5-30*z2)/64*m2*m2*m2) * w
	}
	// Sums over all k of k²·r^(k²) and (3z² − π²k²)·k²·r^(k²),
	// r = exp(−π²/(2z²)).
	var e2, e3 float64
	logr := -pi2 / 2 / z2
	for k := 1; k <= kmax; k++ {
		k2 := float64(k * k)
		w := k2 * math.Exp(logr*k2)
		e2 += w
		e3 += (3*z2 - pi2*k2) * w
	}
	const sqrt2pi = 2.5066282746310002
	k0 := sqrt2pi / z * s0
	k1 := sqrt2pi / (6 * z4) * s1
	k2 := sqrt2pi/(72*z6*z)*s2 - pi2*sqrt2pi/(36*z2*z)*e2
	k3 := sqrt2pi/(6480*z6*z4)*s3 + pi2*sqrt2pi/(216*z6)*e3
	rn := math.Sqrt(fn)
	// As SciPy: one minus the CDF's terms summed in order.
	return 1 - (k0 + k1/rn + k2/fn + k3/(fn*rn))
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
