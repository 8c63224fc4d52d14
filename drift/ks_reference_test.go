package drift

import (
	"math"
	"slices"
	"testing"
)

// The values in this file come from testdata/ks_reference.py (how it was
// run is in its doc string): exact path counting with Python integers for
// the exact p-values, and SciPy's choice of method for kstwo.sf evaluated in
// 40-digit arithmetic for the asymptotic ones. The script checks itself
// against SciPy's published kstwo.sf and ks_2samp values first.

// Exact two-sample p-values, where SciPy's ks_2samp(method="auto") is exact
// (both sizes at most 10 000).
func TestKSExactReference(t *testing.T) {
	cases := []struct {
		d    float64
		n, m int
		alt  Alternative
		want float64
	}{
		{0.0272, 5000, 5000, TwoSided, 0.049481613624559052663},
		{0.06, 5000, 5000, TwoSided, 3.0186673821589628057e-8},
		{0.016, 5000, 5000, TwoSided, 0.54418748307690027011},
		{0.0192, 10000, 10000, TwoSided, 0.050121225673865477111},
		{0.04, 10000, 10000, TwoSided, 2.2429098114068886249e-7},
		{0.011, 10000, 10000, TwoSided, 0.58064155405619695957},
		{0.029, 5000, 4000, TwoSided, 0.046715733521317667779},
		{0.064, 5000, 4000, TwoSided, 2.3564661518552586254e-8},
		{0.0215, 10000, 7001, TwoSided, 0.043608696535244789963},
		{0.045, 10000, 1024, TwoSided, 0.044959050410051238993},
		{0.09, 10000, 1024, TwoSided, 5.3495768089432312178e-7},
		{0.05, 9999, 10000, TwoSided, 2.6146084007057124632e-11},
		{0.03, 5000, 5000, Greater, 0.011106496511936790371},
		{0.025, 3000, 2000, Greater, 0.22055944373083810351},
	}
	for _, c := range cases {
		got := KSPValue(c.d, c.n, c.m, c.alt)
		rel := math.Abs(got-c.want) / c.want
		t.Logf("%5d × %5d %-9v D=%-6v p=%.10g  rel. error %.1e", c.n, c.m, c.alt, c.d, got, rel)
		if rel > 1e-12 {
			t.Errorf("KSPValue(%v, %d, %d, %v) = %.17g, want %.17g (rel. error %.2g)", c.d, c.n, c.m, c.alt, got, c.want, rel)
		}
		if r := ksResultFor(c.d, c.n, c.m, c.alt); !r.Exact || r.P != got {
			t.Errorf("%d × %d: KSCounts %+v, want the exact p %v", c.n, c.m, r, got)
		}
	}
}

// Beyond 10 000, SciPy's asymptotic p-value kstwo.sf(D, round(n·m/(n+m))).
func TestKSAsymptoticReference(t *testing.T) {
	cases := []struct {
		d    float64
		n, m int
		en   int
		want float64
	}{
		{0.006, 100000, 100000, 50000, 0.054427496360062913389},
		{0.01, 100000, 100000, 50000, 9.018048811843602538e-5},
		{0.004, 100000, 100000, 50000, 0.39943166467557297683},
		{0.015, 20000, 15000, 8571, 0.041839877513014757195},
		{0.03, 20000, 15000, 8571, 3.8991184048675065342e-7},
		{0.2, 100000, 30, 30, 0.15796916101547359688},
		{0.4, 100000, 30, 30, 7.6210355727027631165e-5},
	}
	for _, c := range cases {
		got := KSPValue(c.d, c.n, c.m, TwoSided)
		rel := math.Abs(got-c.want) / c.want
		lim := KolmogorovSurvival(c.d * math.Sqrt(float64(c.n)*float64(c.m)/float64(c.n+c.m)))
		t.Logf("%6d × %6d D=%-6v p=%.10g  rel. error %.1e (the Kolmogorov limit's: %.1e)", c.n, c.m, c.d, got, rel, math.Abs(lim-c.want)/c.want)
		if rel > 1e-12 {
			t.Errorf("KSPValue(%v, %d, %d) = %.17g, want kstwo.sf(D, %d) = %.17g (rel. error %.2g)", c.d, c.n, c.m, got, c.en, c.want, rel)
		}
		if r := ksResultFor(c.d, c.n, c.m, TwoSided); r.Exact || r.P != got {
			t.Errorf("%d × %d: KSCounts %+v, want the asymptotic p %v", c.n, c.m, r, got)
		}
	}
}

// ksResultFor runs KSCounts on two samples of sizes n and m whose statistic
// is d rounded up to the lattice: n values at 0 and m values at 1 would
// give D = 1; instead put them on two points so that F_x − F_y = D at the
// first (alt Greater or two-sided: x ahead).
func ksResultFor(d float64, n, m int, alt Alternative) KSResult {
	g := gcd(n, m)
	lcm := int64(n / g * m)
	h := int64(math.Ceil(d*float64(lcm) - 1e-7))
	num := h * int64(g) // D·n·m
	// i·m − j·n = num at the first point, with i ≤ n, j ≤ m.
	for j := int64(0); j <= int64(m); j++ {
		if (num+j*int64(n))%int64(m) == 0 {
			i := (num + j*int64(n)) / int64(m)
			if i <= int64(n) {
				x, y := []int64{i, int64(n) - i}, []int64{j, int64(m) - j}
				return KSCounts(x, y, alt)
			}
		}
	}
	panic("no lattice point")
}

// Samples with ties: the statistic advances equal values together (exact
// numerator from the script's counting), and the p-value is the no-ties
// exact value for that D, as SciPy's (conservative with ties).
func TestKSTiesReference(t *testing.T) {
	cases := []struct {
		n, m int
		x, y [4]int // data: ((a·k + c) mod mod) div div, k = 0…n−1
		num  int64
		want float64
	}{
		{3000, 2000, [4]int{7919, 13, 100003, 1000}, [4]int{104729, 7, 100003, 990}, 66000, 0.99846242617844920567},
		{8000, 6000, [4]int{7919, 13, 1000003, 20000}, [4]int{104729, 7, 1000003, 19000}, 2408000, 6.178865149966995633e-8},
	}
	gen := func(n int, p [4]int) []float64 {
		v := make([]float64, n)
		for k := range v {
			v[k] = float64(((p[0]*k + p[1]) % p[2]) / p[3])
		}
		slices.Sort(v)
		return v
	}
	for _, c := range cases {
		x, y := gen(c.n, c.x), gen(c.m, c.y)
		r := KSTest(x, y, TwoSided)
		rel := math.Abs(r.P-c.want) / c.want
		t.Logf("ties %d × %d: D=%d/%d p=%.10g rel. error %.1e", c.n, c.m, r.Num, c.n*c.m, r.P, rel)
		if r.Num != c.num || !r.Exact || rel > 1e-12 {
			t.Errorf("ties %d × %d: %+v, want D·n·m %d and p %.17g", c.n, c.m, r, c.num, c.want)
		}
	}
}

// The lattice walk against the reflection formula, and the one-sided walk
// against its closed form, where both apply (n = m); the dropped mass is
// accounted for.
func TestKSLatticeAgainstClosedForms(t *testing.T) {
	for _, n := range []int{7, 50, 400, 3000} {
		for _, frac := range []float64{0.02, 0.1, 0.3, 0.7} {
			h := max(1, int(frac*float64(n)))
			k := int64(h) * int64(n)
			want := ksSquare(n, h)
			got, dropped := ksLattice(k, n, n, TwoSided, exactFloor)
			if math.Abs(got-want) > 1e-13*want+dropped || dropped > 1e-280 {
				t.Errorf("n=%d h=%d: walk %.17g (dropped %g), reflection %.17g", n, h, got, dropped, want)
			}
			want1 := ksSquareOneSided(n, h)
			for _, alt := range []Alternative{Greater, Less} {
				if got, _ := ksLattice(k, n, n, alt, exactFloor); math.Abs(got-want1) > 1e-13*want1 {
					t.Errorf("n=%d h=%d %v: walk %.17g, closed form %.17g", n, h, alt, got, want1)
				}
			}
		}
	}
	// The monitor's floor: exact to the dropped mass, which stays tiny.
	for _, d := range []float64{0.03, 0.1, 0.3} {
		k := int64(d * 10000 * 1024)
		full, _ := ksLattice(k, 10000, 1024, TwoSided, exactFloor)
		got, dropped := ksLattice(k, 10000, 1024, TwoSided, monitorFloor)
		if dropped > 1e-23 || math.Abs(got-full) > dropped+1e-13*full {
			t.Errorf("D=%v: monitor floor %g (dropped %g), full %g", d, got, dropped, full)
		}
	}
}
