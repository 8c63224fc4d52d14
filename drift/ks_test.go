package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func relClose(got, want, tol float64) bool {
	if got == want {
		return true
	}
	return math.Abs(got-want) <= tol*math.Abs(want)
}

// R1 of docs/drift.md §4: p-value functions from SciPy's ks_2samp docs.
func TestKSPValueReference(t *testing.T) {
	cases := []struct {
		d    float64
		n, m int
		alt  Alternative
		want float64
	}{
		{0.10927318295739348, 105, 95, TwoSided, 0.5438289009927495},
		{0.4055137844611529, 105, 95, Less, 3.5474563068855554e-08},
	}
	for _, c := range cases {
		got := KSExactPValue(c.d, c.n, c.m, c.alt)
		if !relClose(got, c.want, 1e-9) {
			t.Errorf("KSExactPValue(%v, %d, %d, %v) = %.17g, want %.17g", c.d, c.n, c.m, c.alt, got, c.want)
		}
		if got := KSPValue(c.d, c.n, c.m, c.alt); !relClose(got, c.want, 1e-9) {
			t.Errorf("KSPValue(%v, %d, %d, %v) = %.17g, want %.17g", c.d, c.n, c.m, c.alt, got, c.want)
		}
	}
	// Below the precision floor: only "< 1e-12".
	if got := KSExactPValue(0.5454545454545454, 100, 110, TwoSided); !(got < 1e-12) || got <= 0 {
		t.Errorf("tiny exact p = %g, want in (0, 1e-12)", got)
	}
	// Kolmogorov limit column.
	lam := 0.10927318295739348 * math.Sqrt(105.0*95/200)
	if got, want := KolmogorovSurvival(lam), 0.5907738372037401; !relClose(got, want, 1e-9) {
		t.Errorf("limit = %.17g, want %.17g", got, want)
	}
	if got := KSAsymptoticPValue(0.5454545454545454, 100, 110, TwoSided); !(got < 1e-12) {
		t.Errorf("limit tiny = %g", got)
	}
	// One-sided asymptotic: Hodges, given to 5 digits in R1.
	if got := KSAsymptoticPValue(0.4055137844611529, 105, 95, Less); !relClose(got, 5.0475e-08, 1e-4) {
		t.Errorf("Hodges = %.6g, want 5.0475e-08", got)
	}
}

// Examples from docs/drift.md §4, given to 5 digits.
func TestKSExactTable2b(t *testing.T) {
	cases := []struct {
		n, m int
		d    float64
		want float64
	}{
		{200, 150, 0.125, 0.12765},
		{1000, 800, 0.041, 0.43261},
	}
	for _, c := range cases {
		if got := KSExactPValue(c.d, c.n, c.m, TwoSided); math.Abs(got-c.want) > 1e-5 {
			t.Errorf("exact(%d, %d, %v) = %.6g, want %.5g", c.n, c.m, c.d, got, c.want)
		}
	}
}

// docs/drift.md §4: the Kolmogorov distribution and its inverse.
func TestKolmogorovSurvivalReference(t *testing.T) {
	cases := []struct{ lambda, want float64 }{
		{0.5, 0.9639452436648751},
		{0.8, 0.5441424115741981},
		{1.0, 0.26999967167735456},
		{1.2238, 0.10002342783567782},
		{1.3581, 0.0499996304316674},
		{1.36, 0.049485876755377876},
		{1.6276, 0.010001537333060776},
		{2.0, 0.0006709252557796953},
		{3.0, 3.045995948942526e-08},
	}
	for _, c := range cases {
		if got := KolmogorovSurvival(c.lambda); !relClose(got, c.want, 1e-9) {
			t.Errorf("KolmogorovSurvival(%v) = %.17g, want %.17g", c.lambda, got, c.want)
		}
	}
	inv := []struct{ p, want float64 }{
		{0.05, 1.3580986393225507},
		{0.01, 1.6276236115189504},
		{0.001, 1.9494746035043753},
	}
	for _, c := range inv {
		if got := KolmogorovSurvivalInverse(c.p); !relClose(got, c.want, 1e-9) {
			t.Errorf("KolmogorovSurvivalInverse(%v) = %.17g, want %.17g", c.p, got, c.want)
		}
	}
	if KolmogorovSurvival(0) != 1 || !math.IsNaN(KolmogorovSurvival(math.NaN())) {
		t.Error("special cases")
	}
}

// bruteKS enumerates every interleaving of n x-values and m y-values and
// returns the exact null P(D ≥ d) by counting: an independent check of the
// lattice programme.
func bruteKS(n, m int, num int64, alt Alternative) float64 {
	var total, hits int
	var rec func(i, j int, plus, minus int64)
	rec = func(i, j int, plus, minus int64) {
		if i == n && j == m {
			total++
			if pick(plus, minus, alt) >= num {
				hits++
			}
			return
		}
		if i < n {
			d := int64(i+1)*int64(m) - int64(j)*int64(n)
			rec(i+1, j, max(plus, d), max(minus, -d))
		}
		if j < m {
			d := int64(i)*int64(m) - int64(j+1)*int64(n)
			rec(i, j+1, max(plus, d), max(minus, -d))
		}
	}
	rec(0, 0, 0, 0)
	return float64(hits) / float64(total)
}

func TestKSExactAgainstEnumeration(t *testing.T) {
	for _, sz := range [][2]int{{5, 4}, {6, 6}, {7, 3}, {3, 8}, {8, 6}} {
		n, m := sz[0], sz[1]
		for _, alt := range []Alternative{TwoSided, Greater, Less} {
			for num := int64(1); num <= int64(n*m); num++ {
				want := bruteKS(n, m, num, alt)
				got := KSExactPValue(float64(num)/float64(n*m), n, m, alt)
				if math.Abs(got-want) > 1e-12 {
					t.Fatalf("n=%d m=%d num=%d %v: got %.15g want %.15g", n, m, num, alt, got, want)
				}
			}
		}
	}
}

func TestKSProperties(t *testing.T) {
	x := []float64{1, 2, 2, 3, 5, 8, 13}
	r := KSTest(x, x, TwoSided)
	if r.D != 0 || r.P != 1 {
		t.Errorf("identical samples: D=%v P=%v, want 0 and 1", r.D, r.P)
	}
	y := []float64{0.5, 2, 4, 4, 9, 10}
	a, b := KSTest(x, y, TwoSided), KSTest(y, x, TwoSided)
	if a.D != b.D || !relClose(a.P, b.P, 1e-12) {
		t.Errorf("not symmetric: %+v vs %+v", a, b)
	}
	g, l := KSTest(x, y, Greater), KSTest(y, x, Less)
	if g.D != l.D || !relClose(g.P, l.P, 1e-12) {
		t.Errorf("greater(x,y) %+v != less(y,x) %+v", g, l)
	}
	// Ties across samples: x = {1,1,2}, y = {1,2,2}: F−G at 1 is 2/3−1/3.
	if got := KS([]float64{1, 1, 2}, []float64{1, 2, 2}); math.Abs(got-1.0/3) > 1e-15 {
		t.Errorf("ties: D=%v, want 1/3", got)
	}
	if !math.IsNaN(KS([]float64{1, math.NaN()}, []float64{1})) {
		t.Error("NaN data must give NaN")
	}
	if KS(nil, []float64{1}) != 1 || KS(nil, nil) != 0 {
		t.Error("empty special cases")
	}
	// Counts over a shared support equal the expanded samples.
	xc := []int64{2, 1, 0, 3}
	yc := []int64{1, 0, 4, 1}
	sup := []float64{1, 2, 3, 4}
	expand := func(c []int64) []float64 {
		var v []float64
		for k, n := range c {
			for range n {
				v = append(v, sup[k])
			}
		}
		return v
	}
	rc := KSCounts(xc, yc, TwoSided)
	rs := KSTest(expand(xc), expand(yc), TwoSided)
	if rc != rs {
		t.Errorf("KSCounts %+v != KSTest %+v", rc, rs)
	}
}

func TestKSPanicsUnsorted(t *testing.T) {
	defer func() {
		if r := recover(); r == nil {
			t.Error("no panic on unsorted data")
		}
	}()
	KS([]float64{2, 1}, []float64{1})
}

// The "SciPy-asymp" and "limit" columns of docs/drift.md §4's table: SciPy's
// asymptotic method is kstwo.sf(D, round(en)), nearer the exact value than
// the Kolmogorov limit.
func TestKSAsymptoticTable2b(t *testing.T) {
	cases := []struct {
		n, m         int
		d            float64
		exact, scipy float64
		limit        float64
	}{
		{200, 150, 0.125, 0.12765, 0.12485, 0.13728},
		{1000, 800, 0.041, 0.43261, 0.43293, 0.44378},
	}
	for _, c := range cases {
		a := KSAsymptoticPValue(c.d, c.n, c.m, TwoSided)
		lim := KolmogorovSurvival(c.d * math.Sqrt(float64(c.n*c.m)/float64(c.n+c.m)))
		if math.Abs(a-c.scipy) > 5e-6 || math.Abs(lim-c.limit) > 5e-6 {
			t.Errorf("%d×%d D=%v: asymptotic %.6g (SciPy %.5g), limit %.6g (%.5g)", c.n, c.m, c.d, a, c.scipy, lim, c.limit)
		}
		if e := KSExactPValue(c.d, c.n, c.m, TwoSided); math.Abs(a-e) >= math.Abs(lim-e) {
			t.Errorf("%d×%d: kstwo %v is not nearer the exact %v than the limit %v", c.n, c.m, a, e, lim)
		}
	}
}

func TestKSW1Fused(t *testing.T) {
	cases := [][2][]float64{
		{{-1, 0, 0, 0.5, 2, 2, 3}, {-2, 0, 1, 2, 2.5}},
		{{1, 2, 3}, {4, 5}},
		{{4, 5}, {1, 2, 3}},
		{{1, 1, 1}, {1, 1}},
		{{0, 1, 2, 3, 4, 5, 6}, {2.5}},
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for range 50 {
		x := make([]float64, 1+rng.IntN(40))
		y := make([]float64, 1+rng.IntN(40))
		for i := range x {
			x[i] = float64(rng.IntN(15))
		}
		for i := range y {
			y[i] = float64(rng.IntN(15)) + 0.5*float64(rng.IntN(2))
		}
		slices.Sort(x)
		slices.Sort(y)
		cases = append(cases, [2][]float64{x, y})
	}
	for _, c := range cases {
		x, y := c[0], c[1]
		p, mi, w := ksW1(x, y)
		p2, m2 := ksNumerators(x, y)
		if p != p2 || mi != m2 || !relClose(w, Wasserstein(x, y), 1e-12) {
			t.Errorf("ksW1(%v, %v) = %d %d %v, want %d %d %v", x, y, p, mi, w, p2, m2, Wasserstein(x, y))
		}
	}
}

// SciPy's kstwo.sf values (SciPy 1.10.1) and the "SciPy asymp" column of
// R1 of docs/drift.md §4. (0.1, 100) is SciPy's Pomeranz recursion (here
// Durbin's matrix, also exact), (0.05, 1000) is 2·smirnov, (0.02, 5000)
// Pelz–Good: SciPy's choices for n > 140, which differ from the exact
// distribution in the 8th digit (the exact values, by the matrix method in
// 256-bit arithmetic, are 0.013012071309966901 and 0.036139413492990457).
func TestKolmogorovOneSampleReference(t *testing.T) {
	cases := []struct {
		d    float64
		n    int
		want float64
	}{
		{0.1, 100, 0.2526927570063874},
		{0.2, 50, 0.03143877776953241},
		{0.10927318295739348, 50, 0.5523174222248897}, // R1: round(105·95/200) = 50
		{0.05, 1000, 0.013012074781090332},
		{0.02, 5000, 0.03613941395325637},
	}
	for _, c := range cases {
		if got := KolmogorovOneSampleSurvival(c.d, c.n); !relClose(got, c.want, 1e-12) {
			t.Errorf("KolmogorovOneSampleSurvival(%v, %d) = %.17g, want %.17g", c.d, c.n, got, c.want)
		}
	}
	// R1 row 1: SciPy asymp 4.914e-15, below the floor.
	if got := KolmogorovOneSampleSurvival(0.5454545454545454, 52); !(got < 1e-12) {
		t.Errorf("tiny = %v", got)
	}
	// n = 1: D_1 = max(U, 1−U) ≥ d with probability min(1, 2(1−d)).
	if got := KolmogorovOneSampleSurvival(0.8, 1); !relClose(got, 0.4, 1e-12) {
		t.Errorf("n=1: %v, want 0.4", got)
	}
}

func TestKSCountsHuge(t *testing.T) {
	// n·m overflows int64: D in floating point, asymptotic p.
	x := []int64{3e9, 1e9, 0}
	y := []int64{1e9, 2e9, 1e9}
	r := KSCounts(x, y, TwoSided)
	if !relClose(r.D, 0.75-0.25, 1e-12) || r.Exact || r.P != 0 || r.Num != 0 {
		t.Errorf("huge counts: %+v", r)
	}
	if g := KSCounts(x, y, Less); g.D != 0 {
		t.Errorf("less = %+v", g)
	}
}
