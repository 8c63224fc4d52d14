package drift

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// CompareAlpha is the significance level at which a Comparison grades its
// level (before any adjustment: a comparison is one test, not a column).
const CompareAlpha = 0.05

// CompareBins is how many reference-quantile bins CompareNumeric uses for
// the binned statistics (deciles).
const CompareBins = 10

// SampleSummary describes one side of a Comparison.
type SampleSummary struct {
	// File and Skipped say where the sample was read from and how many
	// records the reader skipped (empty CSV cells, JSON nulls, missing
	// fields: the skipped count of ReadValuesFile). The Compare functions
	// leave them for the caller that read the sample to fill in.
	File    string
	Skipped int
	// N counts the values used; Invalid counts NaN and ±Inf, which are
	// dropped (numeric only).
	N, Invalid int
	// P5, P50 and P95 are quantiles by linear interpolation (Quantile);
	// Mean and Std the mean and population standard deviation. In the
	// data's units; NaN for categories and for an empty sample.
	P5, P50, P95, Mean, Std float64
}

// BinShare is one bin of a Comparison: its label and the share (0..1) of
// each sample in it.
type BinShare struct {
	// Label is a range such as "(0.12, 0.5]", "<= 0.12", "> 3", "all",
	// or a category name, or NewCategory.
	Label    string
	Ref, Cur float64
}

// Comparison holds every drift statistic between a reference and a current
// sample: what `vigil drift compare` prints. Statistics that do not apply to
// the kind are NaN (the KS results are zero values for categories).
type Comparison struct {
	// Kind is KindNumeric or KindCategorical.
	Kind               Kind
	Reference, Current SampleSummary
	// KS is the two-sided two-sample Kolmogorov–Smirnov test (exact p
	// where SciPy's ks_2samp is exact, see KSPValue); KSGreater and
	// KSLess the one-sided tests (greater: the reference's CDF above the
	// current's).
	KS, KSGreater, KSLess KSResult
	// Wasserstein is W1 in the data's units; WassersteinNorm is W1 over
	// the reference std, floored at StdFloor (WassersteinNormed).
	Wasserstein, WassersteinNorm float64
	// Bins are the bins of the binned statistics: CompareBins reference
	// quantile bins with outer edges ±Inf (numeric), or the reference's
	// categories, most frequent first, plus NewCategory when the current
	// sample has categories the reference lacks.
	Bins []BinShare
	// PSI and KL (current‖reference, nats) on the bins with Pseudocount
	// added to every count; JS is the base-2 Jensen–Shannon distance,
	// Hellinger the Hellinger distance and LInf the largest |Δshare|, on
	// the raw bin counts.
	PSI, KL, JS, Hellinger, LInf float64
	// ChiSquare is the 2×K chi-square test on the bin counts.
	ChiSquare ChiSquareResult
	// NewCategories are the current categories absent from the reference,
	// most frequent first (categorical only).
	NewCategories []CategoryCount
	// Effect is the effect size that sets Level: KS D (numeric) or JS
	// (categorical); P is the p-value of that test (KS or χ²).
	Effect, P float64
	// Level grades the comparison with Grade(N current, the default
	// MinCount, Effect, P, CompareAlpha).
	Level Level
}

// CompareNumeric compares two numeric samples. NaN and ±Inf values are
// counted as invalid and dropped; the inputs are not modified. If either
// sample has no finite value, the statistics are NaN and the level is
// LevelInsufficient (N of that side is 0).
func CompareNumeric(ref, cur []float64) Comparison {
	r, rs := finiteSorted(ref)
	c, cs := finiteSorted(cur)
	cmp := Comparison{Kind: KindNumeric, Reference: rs, Current: cs}
	nan := math.NaN()
	cmp.Wasserstein, cmp.WassersteinNorm = nan, nan
	if len(r) == 0 || len(c) == 0 {
		cmp.PSI, cmp.KL, cmp.JS, cmp.Hellinger, cmp.LInf = nan, nan, nan, nan, nan
		cmp.ChiSquare = ChiSquareResult{Stat: nan, P: nan}
		cmp.KS = KSResult{N: len(r), M: len(c), D: nan, P: nan}
		cmp.KSGreater, cmp.KSLess = cmp.KS, cmp.KS
		cmp.Effect, cmp.P = nan, nan
		cmp.Level = LevelInsufficient
		return cmp
	}
	cmp.KS = KSTest(r, c, TwoSided)
	cmp.KSGreater = KSTest(r, c, Greater)
	cmp.KSLess = KSTest(r, c, Less)
	cmp.Wasserstein = Wasserstein(r, c)
	cmp.WassersteinNorm = WassersteinNormed(r, c)
	edges := QuantileEdges(r, CompareBins)
	rb, cb := BinCounts(edges, r), BinCounts(edges, c)
	labels := make([]string, len(rb))
	for i := range labels {
		lo, hi := math.Inf(-1), math.Inf(1)
		if i > 0 {
			lo = edges[i-1]
		}
		if i < len(edges) {
			hi = edges[i]
		}
		labels[i] = rangeText(lo, hi)
	}
	cmp.fillBinned(labels, rb, cb)
	cmp.Effect, cmp.P = cmp.KS.D, cmp.KS.P
	cmp.Level = Grade(int64(len(c)), DefaultConfig().MinCount, cmp.Effect, cmp.P, CompareAlpha)
	return cmp
}

// CompareCategorical compares two samples of category names. Its bins are
// the reference's categories, most frequent first (ties by name), plus
// NewCategory for current values the reference never had.
func CompareCategorical(ref, cur []string) Comparison {
	nan := math.NaN()
	cmp := Comparison{
		Kind:      KindCategorical,
		Reference: SampleSummary{N: len(ref), P5: nan, P50: nan, P95: nan, Mean: nan, Std: nan},
		Current:   SampleSummary{N: len(cur), P5: nan, P50: nan, P95: nan, Mean: nan, Std: nan},
	}
	cmp.Wasserstein, cmp.WassersteinNorm = nan, nan
	refCounts := map[string]int64{}
	for _, c := range ref {
		refCounts[c]++
	}
	cats := make([]CategoryCount, 0, len(refCounts))
	for name, n := range refCounts {
		cats = append(cats, CategoryCount{Name: name, Count: n})
	}
	byCount := func(a, b CategoryCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Name, b.Name)
	}
	slices.SortFunc(cats, byCount)
	index := map[string]int{}
	labels := make([]string, 0, len(cats)+1)
	rb := make([]float64, 0, len(cats)+1)
	for i, c := range cats {
		index[c.Name] = i
		labels = append(labels, c.Name)
		rb = append(rb, float64(c.Count))
	}
	labels = append(labels, NewCategory)
	rb = append(rb, 0)
	cb := make([]float64, len(rb))
	newCounts := map[string]int64{}
	for _, c := range cur {
		if i, ok := index[c]; ok {
			cb[i]++
		} else {
			cb[len(cb)-1]++
			newCounts[c]++
		}
	}
	for name, n := range newCounts {
		cmp.NewCategories = append(cmp.NewCategories, CategoryCount{Name: name, Count: n})
	}
	slices.SortFunc(cmp.NewCategories, byCount)
	if cb[len(cb)-1] == 0 { // no unseen categories: drop the empty bin
		labels, rb, cb = labels[:len(labels)-1], rb[:len(rb)-1], cb[:len(cb)-1]
	}
	cmp.fillBinned(labels, rb, cb)
	cmp.Effect, cmp.P = cmp.JS, cmp.ChiSquare.P
	cmp.Level = Grade(int64(len(cur)), DefaultConfig().MinCount, cmp.Effect, cmp.P, CompareAlpha)
	return cmp
}

func (cmp *Comparison) fillBinned(labels []string, rb, cb []float64) {
	rs, cs := Smoothed(rb, Pseudocount), Smoothed(cb, Pseudocount)
	cmp.PSI = PSI(rs, cs)
	cmp.KL = KL(cs, rs)
	cmp.JS = JSDistance(rb, cb)
	cmp.Hellinger = Hellinger(rb, cb)
	cmp.LInf = LInf(rb, cb)
	cmp.ChiSquare = ChiSquare(rb, cb)
	var rt, ct float64
	for i := range rb {
		rt += rb[i]
		ct += cb[i]
	}
	cmp.Bins = make([]BinShare, len(labels))
	for i, l := range labels {
		cmp.Bins[i] = BinShare{Label: l, Ref: rb[i] / rt, Cur: cb[i] / ct}
	}
}

// finiteSorted returns the finite values of x, sorted, in a new slice, and
// their summary.
func finiteSorted(x []float64) ([]float64, SampleSummary) {
	good := make([]float64, 0, len(x))
	var s SampleSummary
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			s.Invalid++
			continue
		}
		good = append(good, v)
	}
	Sort(good)
	s.N = len(good)
	s.P5, s.P50, s.P95 = Quantile(0.05, good), Quantile(0.5, good), Quantile(0.95, good)
	s.Mean, s.Std = meanStd(good)
	return good, s
}

// rangeText labels the bin (lo, hi].
func rangeText(lo, hi float64) string {
	f := func(v float64) string { return fmt.Sprintf("%.4g", v) }
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		return "all"
	case math.IsInf(lo, -1):
		return "<= " + f(hi)
	case math.IsInf(hi, 1):
		return "> " + f(lo)
	}
	return "(" + f(lo) + ", " + f(hi) + "]"
}

// MarshalJSON encodes a Comparison as `vigil drift compare --output json`
// prints it, NaN and ±Inf as null:
//
//	kind                 "numeric" or "categorical"
//	reference, current   {file, n, skipped, invalid, p5, p50, p95, mean, std}
//	                     (file when set; quantiles, mean and std numeric only)
//	ks                   {d, p, exact, greater: {d, p}, less: {d, p}}
//	                     (numeric only)
//	wasserstein          W1 in the data's units; wasserstein_norm is W1 over
//	                     the reference std (numeric only)
//	bins                 [{label, ref, cur}], shares 0..1
//	psi, kl, js, hellinger, linf
//	chi_square           {stat, dof, p, merged}
//	new_categories       [{name, count}] (categorical only)
//	effect, p, level     level as Level.String
func (cmp Comparison) MarshalJSON() ([]byte, error) {
	type side struct {
		File    string     `json:"file,omitempty"`
		N       int        `json:"n"`
		Skipped int        `json:"skipped"`
		Invalid int        `json:"invalid"`
		P5      *jsonFloat `json:"p5,omitempty"`
		P50     *jsonFloat `json:"p50,omitempty"`
		P95     *jsonFloat `json:"p95,omitempty"`
		Mean    *jsonFloat `json:"mean,omitempty"`
		Std     *jsonFloat `json:"std,omitempty"`
	}
	type ksSide struct {
		D jsonFloat `json:"d"`
		P jsonFloat `json:"p"`
	}
	type ks struct {
		D       jsonFloat `json:"d"`
		P       jsonFloat `json:"p"`
		Exact   bool      `json:"exact"`
		Greater ksSide    `json:"greater"`
		Less    ksSide    `json:"less"`
	}
	type bin struct {
		Label string    `json:"label"`
		Ref   jsonFloat `json:"ref"`
		Cur   jsonFloat `json:"cur"`
	}
	type chi struct {
		Stat   jsonFloat `json:"stat"`
		DoF    int       `json:"dof"`
		P      jsonFloat `json:"p"`
		Merged int       `json:"merged"`
	}
	type category struct {
		Name  string `json:"name"`
		Count int64  `json:"count"`
	}
	type out struct {
		Kind          string     `json:"kind"`
		Reference     side       `json:"reference"`
		Current       side       `json:"current"`
		KS            *ks        `json:"ks,omitempty"`
		Wasserstein   *jsonFloat `json:"wasserstein,omitempty"`
		WassersteinN  *jsonFloat `json:"wasserstein_norm,omitempty"`
		Bins          []bin      `json:"bins"`
		PSI           jsonFloat  `json:"psi"`
		KL            jsonFloat  `json:"kl"`
		JS            jsonFloat  `json:"js"`
		Hellinger     jsonFloat  `json:"hellinger"`
		LInf          jsonFloat  `json:"linf"`
		ChiSquare     chi        `json:"chi_square"`
		NewCategories []category `json:"new_categories,omitempty"`
		Effect        jsonFloat  `json:"effect"`
		P             jsonFloat  `json:"p"`
		Level         string     `json:"level"`
	}
	numeric := cmp.Kind == KindNumeric
	sideOf := func(s SampleSummary) side {
		o := side{File: s.File, N: s.N, Skipped: s.Skipped, Invalid: s.Invalid}
		if numeric {
			o.P5, o.P50, o.P95, o.Mean, o.Std = jptr(s.P5), jptr(s.P50), jptr(s.P95), jptr(s.Mean), jptr(s.Std)
		}
		return o
	}
	o := out{
		Kind: cmp.Kind.String(), Reference: sideOf(cmp.Reference), Current: sideOf(cmp.Current),
		PSI: jsonFloat(cmp.PSI), KL: jsonFloat(cmp.KL), JS: jsonFloat(cmp.JS),
		Hellinger: jsonFloat(cmp.Hellinger), LInf: jsonFloat(cmp.LInf),
		ChiSquare: chi{Stat: jsonFloat(cmp.ChiSquare.Stat), DoF: cmp.ChiSquare.DoF, P: jsonFloat(cmp.ChiSquare.P), Merged: cmp.ChiSquare.Merged},
		Effect:    jsonFloat(cmp.Effect), P: jsonFloat(cmp.P), Level: cmp.Level.String(),
		Bins: make([]bin, len(cmp.Bins)),
	}
	if numeric {
		o.KS = &ks{
			D: jsonFloat(cmp.KS.D), P: jsonFloat(cmp.KS.P), Exact: cmp.KS.Exact,
			Greater: ksSide{jsonFloat(cmp.KSGreater.D), jsonFloat(cmp.KSGreater.P)},
			Less:    ksSide{jsonFloat(cmp.KSLess.D), jsonFloat(cmp.KSLess.P)},
		}
		o.Wasserstein, o.WassersteinN = jptr(cmp.Wasserstein), jptr(cmp.WassersteinNorm)
	}
	for i, b := range cmp.Bins {
		o.Bins[i] = bin{Label: b.Label, Ref: jsonFloat(b.Ref), Cur: jsonFloat(b.Cur)}
	}
	for _, c := range cmp.NewCategories {
		o.NewCategories = append(o.NewCategories, category{Name: c.Name, Count: c.Count})
	}
	return json.Marshal(o)
}

// jsonFloat encodes NaN and ±Inf as null, which encoding/json refuses.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(v)
}

func jptr(v float64) *jsonFloat { f := jsonFloat(v); return &f }
