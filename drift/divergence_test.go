package drift

import (
	"math"
	"testing"
)

// docs/drift.md §4.
func TestDivergencesReference(t *testing.T) {
	p := []float64{0.1, 0.2, 0.3, 0.4}
	q := []float64{0.25, 0.25, 0.25, 0.25}
	cases := []struct {
		name      string
		got, want float64
	}{
		{"PSI", PSI(p, q), 0.22821740957339182},
		{"KL(p||q)", KL(p, q), 0.10644013528622318},
		{"KL(q||p)", KL(q, p), 0.12177727428716867},
		{"JS base 2", JSDistance(p, q), 0.2005033225314282},
		{"JS nats", JSDistance(p, q) * math.Sqrt(math.Ln2), 0.16692996572597965},
		{"Hellinger", Hellinger(p, q), 0.16789959640267496},
		{"L∞", LInf(p, q), 0.15},
		// Counts instead of shares give the same values.
		{"PSI counts", PSI([]float64{1, 2, 3, 4}, []float64{5, 5, 5, 5}), 0.22821740957339182},
	}
	for _, c := range cases {
		if !relClose(c.got, c.want, 1e-9) {
			t.Errorf("%s = %.17g, want %.17g", c.name, c.got, c.want)
		}
	}
}

// docs/drift.md §4 (JS examples).
func TestJSDistanceReference(t *testing.T) {
	if got := JSDistance([]float64{1, 0, 0}, []float64{0, 1, 0}); !relClose(got, 1, 1e-12) {
		t.Errorf("disjoint JS = %v, want 1", got)
	}
	got := JSDistance([]float64{1, 0}, []float64{0.5, 0.5}) * math.Sqrt(math.Ln2)
	if !relClose(got, 0.46450140402245893, 1e-9) {
		t.Errorf("JS nats = %.17g", got)
	}
}

func TestDivergenceProperties(t *testing.T) {
	p := []float64{3, 0, 7, 1}
	q := []float64{1, 4, 2, 2}
	for name, f := range map[string]func(a, b []float64) float64{
		"PSI": PSI, "JS": JSDistance, "Hellinger": Hellinger, "LInf": LInf, "KL": KL,
	} {
		if got := f(p, p); math.Abs(got) > 1e-15 {
			t.Errorf("%s(p, p) = %v, want 0", name, got)
		}
		if !math.IsNaN(f([]float64{1, math.NaN()}, []float64{1, 1})) {
			t.Errorf("%s NaN input not NaN", name)
		}
		if !math.IsNaN(f([]float64{0, 0}, []float64{1, 1})) {
			t.Errorf("%s zero-sum input not NaN", name)
		}
		if name == "KL" {
			continue
		}
		ps, qs := Smoothed(p, Pseudocount), Smoothed(q, Pseudocount)
		if a, b := f(ps, qs), f(qs, ps); !relClose(a, b, 1e-14) {
			t.Errorf("%s not symmetric: %v vs %v", name, a, b)
		}
	}
	if !math.IsInf(PSI(p, q), 1) {
		t.Error("PSI with an empty bin must be +Inf without smoothing")
	}
	if v := PSI(Smoothed(p, Pseudocount), Smoothed(q, Pseudocount)); math.IsInf(v, 0) || v <= 0 {
		t.Errorf("smoothed PSI = %v", v)
	}
	// PSI = KL(p||q) + KL(q||p).
	ps, qs := Smoothed(p, Pseudocount), Smoothed(q, Pseudocount)
	if a, b := PSI(ps, qs), KL(ps, qs)+KL(qs, ps); !relClose(a, b, 1e-13) {
		t.Errorf("PSI %v != Jeffreys %v", a, b)
	}
}

func TestChiSquare(t *testing.T) {
	// Hand computation: column totals 30, 40, 50 split evenly, so
	// χ² = 2·25/15 + 0 + 2·25/25 = 16/3 and, with 2 degrees of freedom,
	// p = exp(−χ²/2).
	r := ChiSquare([]float64{10, 20, 30}, []float64{20, 20, 20})
	if !relClose(r.Stat, 16.0/3, 1e-12) || r.DoF != 2 || !relClose(r.P, math.Exp(-8.0/3), 1e-9) {
		t.Errorf("ChiSquare = %+v", r)
	}
	// Symmetric in the two samples.
	if s := ChiSquare([]float64{20, 20, 20}, []float64{10, 20, 30}); !relClose(s.Stat, r.Stat, 1e-12) {
		t.Errorf("not symmetric: %v vs %v", s.Stat, r.Stat)
	}
	// Small categories are pooled: the last two (expected 3.5) become one.
	m := ChiSquare([]float64{50, 40, 4, 3}, []float64{50, 60, 3, 4})
	if m.Merged != 2 || m.DoF != 2 {
		t.Errorf("merge: %+v", m)
	}
	want := ChiSquare([]float64{50, 40, 7}, []float64{50, 60, 7})
	if !relClose(m.Stat, want.Stat, 1e-12) {
		t.Errorf("merged stat %v, want %v", m.Stat, want.Stat)
	}
	if id := ChiSquare([]float64{5, 10, 15}, []float64{10, 20, 30}); id.Stat > 1e-12 || !relClose(id.P, 1, 1e-12) {
		t.Errorf("proportional samples: %+v", id)
	}
	if one := ChiSquare([]float64{7}, []float64{9}); one.P != 1 || one.DoF != 0 {
		t.Errorf("one category: %+v", one)
	}
}

func TestBenjaminiHochberg(t *testing.T) {
	p := []float64{0.205, 0.001, 0.039, 0.008, 0.041, 0.042, 0.06, 0.074, math.NaN()}
	// Adjusted by hand: p·m/rank with m = 8, then the running minimum from
	// the largest p down (R's p.adjust(p, "BH")).
	want := []float64{0.205, 0.008, 0.0672, 0.032, 0.0672, 0.0672, 0.08, 0.084571428571428575, math.NaN()}
	got := BenjaminiHochberg(p)
	for i := range want {
		if math.IsNaN(want[i]) {
			if !math.IsNaN(got[i]) {
				t.Errorf("[%d] = %v, want NaN", i, got[i])
			}
			continue
		}
		if !relClose(got[i], want[i], 1e-12) {
			t.Errorf("[%d] = %v, want %v", i, got[i], want[i])
		}
	}
	all := BenjaminiHochberg([]float64{0.01, 0.02, 0.03, 0.04, 0.05})
	for _, v := range all {
		if !relClose(v, 0.05, 1e-12) {
			t.Errorf("equal-step case: %v", all)
		}
	}
}

// docs/drift.md §4 (Wasserstein examples).
func TestWassersteinReference(t *testing.T) {
	if got := Wasserstein([]float64{0, 1, 3}, []float64{5, 6, 8}); !relClose(got, 5, 1e-12) {
		t.Errorf("W1 = %v, want 5", got)
	}
	if got := WassersteinWeighted([]float64{0, 1}, []float64{3, 1}, []float64{0, 1}, []float64{2, 2}); !relClose(got, 0.25, 1e-12) {
		t.Errorf("W1 weighted = %v, want 0.25", got)
	}
	xw := []float64{1.4, 0.9, 3.1, 7.2}
	got := WassersteinWeighted([]float64{3.4, 3.9, 7.5, 7.8}, xw, []float64{1.4, 4.5}, []float64{3.5, 3.2})
	if !relClose(got, 4.078133143804786, 1e-9) {
		t.Errorf("W1 weighted = %.17g", got)
	}
	if xw[0] != 1.4 {
		t.Error("weights modified")
	}
	x := []float64{1, 2, 2, 5}
	y := []float64{0, 3, 4}
	if a, b := Wasserstein(x, y), Wasserstein(y, x); a != b {
		t.Errorf("not symmetric %v %v", a, b)
	}
	if Wasserstein(x, x) != 0 {
		t.Error("identical samples")
	}
	// A pure shift of 0.5 std gives 0.5 normed.
	ref := []float64{-1, 1}
	if got := WassersteinNormed(ref, []float64{-0.5, 1.5}); !relClose(got, 0.5, 1e-12) {
		t.Errorf("normed = %v", got)
	}
	if !math.IsNaN(Wasserstein(nil, x)) {
		t.Error("empty sample must give NaN")
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 3, 4}
	for _, c := range []struct{ q, want float64 }{{0, 1}, {1, 4}, {0.5, 2.5}, {0.25, 1.75}} {
		if got := Quantile(c.q, x); !relClose(got, c.want, 1e-15) {
			t.Errorf("Quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
}
