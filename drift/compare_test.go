package drift

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestCompareNumeric(t *testing.T) {
	ref := make([]float64, 0, 206)
	for i := range 205 {
		ref = append(ref, float64((i*37)%205)/205) // unsorted on purpose
	}
	ref = append(ref, math.NaN(), math.Inf(1)) // invalid, dropped
	cur := make([]float64, 150)
	for i := range cur {
		cur[i] = float64(i)/150 + 0.1
	}
	in := slices.Clone(ref)
	c := CompareNumeric(ref, cur)
	if !slices.EqualFunc(in, ref, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }) {
		t.Error("CompareNumeric modified its input")
	}
	r := slices.DeleteFunc(slices.Clone(ref), func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) })
	slices.Sort(r)
	if c.Reference.N != 205 || c.Reference.Invalid != 2 || c.Current.N != 150 || c.Current.Invalid != 0 {
		t.Errorf("summaries %+v %+v", c.Reference, c.Current)
	}
	if c.Reference.P50 != Quantile(0.5, r) || c.Current.Mean != meanOf(cur) {
		t.Errorf("quantiles %+v", c.Reference)
	}
	if want := KSTest(r, cur, TwoSided); c.KS != want {
		t.Errorf("KS %+v, want %+v", c.KS, want)
	}
	if want := KSTest(r, cur, Greater); c.KSGreater != want {
		t.Errorf("KS greater %+v, want %+v", c.KSGreater, want)
	}
	if want := KSTest(r, cur, Less); c.KSLess != want {
		t.Errorf("KS less %+v, want %+v", c.KSLess, want)
	}
	if c.Wasserstein != Wasserstein(r, cur) || c.WassersteinNorm != WassersteinNormed(r, cur) {
		t.Errorf("W1 %v %v", c.Wasserstein, c.WassersteinNorm)
	}
	edges := QuantileEdges(r, CompareBins)
	rb, cb := BinCounts(edges, r), BinCounts(edges, cur)
	if len(c.Bins) != CompareBins || c.Bins[0].Label[:3] != "<= " || c.Bins[9].Label[:2] != "> " {
		t.Errorf("bins %+v", c.Bins)
	}
	if c.PSI != PSI(Smoothed(rb, Pseudocount), Smoothed(cb, Pseudocount)) || c.JS != JSDistance(rb, cb) ||
		c.KL != KL(Smoothed(cb, Pseudocount), Smoothed(rb, Pseudocount)) || c.ChiSquare != ChiSquare(rb, cb) {
		t.Errorf("binned statistics %+v", c)
	}
	var share float64
	for _, b := range c.Bins {
		share += b.Cur
	}
	if math.Abs(share-1) > 1e-12 {
		t.Errorf("current shares sum to %v", share)
	}
	if c.Effect != c.KS.D || c.P != c.KS.P || c.Level != Grade(150, 30, c.KS.D, c.KS.P, 0.05) {
		t.Errorf("effect %v p %v level %v", c.Effect, c.P, c.Level)
	}
	// Identical samples: D 0, p 1, level none.
	if s := CompareNumeric(cur, cur); s.KS.D != 0 || s.KS.P != 1 || s.Level != LevelNone || s.PSI != 0 {
		t.Errorf("identical: %+v", s)
	}
}

func meanOf(x []float64) float64 {
	m, _ := meanStd(x)
	return m
}

func TestCompareNumericEmpty(t *testing.T) {
	c := CompareNumeric([]float64{math.NaN()}, []float64{1, 2, 3})
	if c.Reference.N != 0 || c.Reference.Invalid != 1 || c.Level != LevelInsufficient || !math.IsNaN(c.KS.P) || !math.IsNaN(c.PSI) {
		t.Errorf("no finite reference: %+v", c)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"psi":null`) || !strings.Contains(string(b), `"p":null`) {
		t.Errorf("NaN must encode as null: %s", b)
	}
}

func TestCompareCategorical(t *testing.T) {
	rep := func(s string, n int) []string { return slices.Repeat([]string{s}, n) }
	ref := slices.Concat(rep("b", 40), rep("a", 60))
	cur := slices.Concat(rep("a", 20), rep("c", 30), rep("b", 40), rep("d", 10))
	c := CompareCategorical(ref, cur)
	labels := make([]string, len(c.Bins))
	for i, b := range c.Bins {
		labels[i] = b.Label
	}
	if !slices.Equal(labels, []string{"a", "b", NewCategory}) {
		t.Errorf("bins %v", labels)
	}
	want := JSDistance([]float64{60, 40, 0}, []float64{20, 40, 40})
	if c.JS != want || c.Effect != want || c.P != c.ChiSquare.P || c.ChiSquare.DoF != 2 || c.Level != LevelHigh {
		t.Errorf("categorical %+v, want JS %v", c, want)
	}
	if !slices.Equal(c.NewCategories, []CategoryCount{{"c", 30}, {"d", 10}}) {
		t.Errorf("new categories %+v", c.NewCategories)
	}
	if c.Current.N != 100 || !math.IsNaN(c.Current.P50) || !math.IsNaN(c.Wasserstein) || c.KS.N != 0 {
		t.Errorf("numeric fields %+v", c)
	}
	// No unseen category: no NewCategory bin.
	if s := CompareCategorical(ref, ref); len(s.Bins) != 2 || s.JS != 0 || s.Level != LevelNone {
		t.Errorf("identical: %+v", s)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back["kind"] != "categorical" || back["ks"] != nil || back["wasserstein"] != nil || back["level"] != "high" {
		t.Errorf("JSON %s", b)
	}
	if nc := back["new_categories"].([]any)[0].(map[string]any); nc["name"] != "c" || nc["count"] != 30.0 {
		t.Errorf("new_categories %v", nc)
	}
}
