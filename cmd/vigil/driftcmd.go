package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vigil-dev/vigil/drift"
)

// newDriftCmd is `vigil drift`, a group for `vigil drift compare`.
func newDriftCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "drift",
		Short: "Drift statistics, headless",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("want a subcommand: vigil drift compare REF CUR")
		},
	}
	var opt drift.ReadOptions
	var categorical bool
	var output string
	compare := &cobra.Command{
		Use:   "compare REF CUR [flags]",
		Short: "Compare two samples with every drift statistic",
		Long: `vigil drift compare reads a reference and a current sample and prints the
two-sample Kolmogorov–Smirnov statistic with its exact or asymptotic p-value,
PSI, KL, Jensen–Shannon distance, Wasserstein-1 over the reference's σ,
chi-square for categories, and both samples' quantiles. Each file holds one
value per line, unless --column (CSV) or --field (JSON lines) is given.`,
		Example: `  vigil drift compare train.txt today.txt                       # one value per line
  vigil drift compare train.csv today.csv --column price        # a CSV column (name or 0-based index)
  vigil drift compare ref.jsonl cur.jsonl --field features.age  # a JSON-lines field
  vigil drift compare ref.txt cur.txt --categorical --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr("need two files, REF and CUR (got %d)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return status(driftCompare(args[0], args[1], opt, categorical, output, e.stdout, e.stderr))
		},
	}
	compare.Annotations = map[string]string{"exit": `Exit status:
  0  ok
  2  usage error, or a file that cannot be read or holds no values`}
	fs := compare.Flags()
	fs.StringVar(&opt.Column, "column", "", "read CSV column `NAME|INDEX` (0-based index)")
	fs.StringVar(&opt.Field, "field", "", "read JSON lines field `dotted.path`")
	fs.BoolVar(&categorical, "categorical", false, "treat values as categories")
	bindOutput(fs, &output)
	cmd.AddCommand(compare)
	return cmd
}

// driftCompare implements `vigil drift compare REF CUR`. It returns 0 on
// success and 2 for a usage error or an unreadable or malformed file, after
// one error line on stderr.
//
// With --output json it prints one object (driftReport). Field names:
//
//	kind                 "numeric" or "categorical"
//	reference, current   {file, n, skipped, invalid, p5, p50, p95, mean, std}
//	                     (n counts the values used; skipped counts empty CSV
//	                     cells, JSON nulls and missing fields; invalid counts
//	                     NaN and ±Inf, which are dropped; quantiles, mean and
//	                     std are numeric only, the std is the population std)
//	ks                   {d, p, exact, greater: {d, p}, less: {d, p}}: the
//	                     two-sample KS test, p exact when n·m ≤ 1e6 (no-ties
//	                     null, conservative with ties), Kolmogorov limit
//	                     otherwise (numeric only)
//	wasserstein          W1 in the data's units; wasserstein_norm is W1 / the
//	                     reference std (floored at max(1e-3, 1e-6·|mean|))
//	bins                 the bins the binned statistics use: [{label, ref,
//	                     cur}] with shares 0..1: 10 reference-decile bins
//	                     (numeric) or the reference's categories plus "(new)"
//	psi                  population stability index on bins, +0.5 per count
//	kl                   KL(current‖reference) in nats on bins, +0.5 per count
//	js                   Jensen–Shannon distance, base 2 (0..1), on bins
//	hellinger            Hellinger distance (0..1) on bins
//	linf                 max |Δshare| over bins
//	chi_square           {stat, dof, p, merged}: 2×K χ² test on bins, no Yates
//	                     correction, categories with expected count < 5 pooled
//	new_categories       categorical: current categories absent from the
//	                     reference, [{name, count}]
//	effect               the effect size that sets the level: KS D (numeric),
//	                     JS (categorical)
//	p                    the p-value of that level's test (KS or χ²)
//	level                "insufficient", "none", "tiny", "small", "moderate"
//	                     or "high" (drift.md §6 bands, alpha 0.05)
//
// p-values below 1e-12 are dominated by rounding: the text output prints them
// as "< 1e-12"; JSON carries the computed number.
func driftCompare(refPath, curPath string, opt drift.ReadOptions, categorical bool, output string, stdout, stderr io.Writer) int {
	files := []string{refPath, curPath}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "vigil drift compare: "+format+"\n", a...)
		return 2
	}
	if output != "text" && output != "json" {
		return fail("--output must be text or json, not %q (see 'vigil drift compare --help')", output)
	}
	var rep *driftReport
	var err error
	if categorical {
		rep, err = compareCategorical(files[0], files[1], opt)
	} else {
		rep, err = compareNumeric(files[0], files[1], opt)
	}
	if err != nil {
		return fail("%v", err)
	}
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	rep.writeText(stdout)
	return 0
}

// driftReport is the JSON output of vigil drift compare; see
// driftCompareMain for the fields.
type driftReport struct {
	Kind          string                `json:"kind"`
	Reference     sampleSummary         `json:"reference"`
	Current       sampleSummary         `json:"current"`
	KS            *ksReport             `json:"ks,omitempty"`
	Wasserstein   *jsonFloat            `json:"wasserstein,omitempty"`
	WassersteinN  *jsonFloat            `json:"wasserstein_norm,omitempty"`
	Bins          []binReport           `json:"bins"`
	PSI           jsonFloat             `json:"psi"`
	KL            jsonFloat             `json:"kl"`
	JS            jsonFloat             `json:"js"`
	Hellinger     jsonFloat             `json:"hellinger"`
	LInf          jsonFloat             `json:"linf"`
	ChiSquare     chiReport             `json:"chi_square"`
	NewCategories []drift.CategoryCount `json:"new_categories,omitempty"`
	Effect        jsonFloat             `json:"effect"`
	P             jsonFloat             `json:"p"`
	Level         string                `json:"level"`
}

type sampleSummary struct {
	File    string     `json:"file"`
	N       int        `json:"n"`
	Skipped int        `json:"skipped"`
	Invalid int        `json:"invalid"`
	P5      *jsonFloat `json:"p5,omitempty"`
	P50     *jsonFloat `json:"p50,omitempty"`
	P95     *jsonFloat `json:"p95,omitempty"`
	Mean    *jsonFloat `json:"mean,omitempty"`
	Std     *jsonFloat `json:"std,omitempty"`
}

type ksReport struct {
	D       jsonFloat `json:"d"`
	P       jsonFloat `json:"p"`
	Exact   bool      `json:"exact"`
	Greater ksSide    `json:"greater"`
	Less    ksSide    `json:"less"`
}

type ksSide struct {
	D jsonFloat `json:"d"`
	P jsonFloat `json:"p"`
}

type binReport struct {
	Label string    `json:"label"`
	Ref   jsonFloat `json:"ref"`
	Cur   jsonFloat `json:"cur"`
}

type chiReport struct {
	Stat   jsonFloat `json:"stat"`
	DoF    int       `json:"dof"`
	P      jsonFloat `json:"p"`
	Merged int       `json:"merged"`
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

func ptr(v float64) *jsonFloat { f := jsonFloat(v); return &f }

func compareNumeric(refPath, curPath string, opt drift.ReadOptions) (*driftReport, error) {
	ref, refSum, err := readNumeric(refPath, opt)
	if err != nil {
		return nil, err
	}
	cur, curSum, err := readNumeric(curPath, opt)
	if err != nil {
		return nil, err
	}
	rep := &driftReport{Kind: "numeric", Reference: refSum, Current: curSum}
	two := drift.KSTest(ref, cur, drift.TwoSided)
	gt := drift.KSTest(ref, cur, drift.Greater)
	lt := drift.KSTest(ref, cur, drift.Less)
	rep.KS = &ksReport{
		D: jsonFloat(two.D), P: jsonFloat(two.P), Exact: two.Exact,
		Greater: ksSide{jsonFloat(gt.D), jsonFloat(gt.P)},
		Less:    ksSide{jsonFloat(lt.D), jsonFloat(lt.P)},
	}
	rep.Wasserstein = ptr(drift.Wasserstein(ref, cur))
	rep.WassersteinN = ptr(drift.WassersteinNormed(ref, cur))
	edges := drift.QuantileEdges(ref, 10)
	rb, cb := drift.BinCounts(edges, ref), drift.BinCounts(edges, cur)
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
	rep.fillBinned(labels, rb, cb)
	rep.Effect, rep.P = rep.KS.D, rep.KS.P
	rep.Level = drift.Grade(int64(len(cur)), drift.DefaultConfig().MinCount, two.D, two.P, 0.05).String()
	return rep, nil
}

func compareCategorical(refPath, curPath string, opt drift.ReadOptions) (*driftReport, error) {
	ref, refSkip, err := drift.ReadCategoriesFile(refPath, opt)
	if err != nil {
		return nil, err
	}
	cur, curSkip, err := drift.ReadCategoriesFile(curPath, opt)
	if err != nil {
		return nil, err
	}
	rep := &driftReport{
		Kind:      "categorical",
		Reference: sampleSummary{File: refPath, N: len(ref), Skipped: refSkip},
		Current:   sampleSummary{File: curPath, N: len(cur), Skipped: curSkip},
	}
	refCounts := map[string]int64{}
	for _, c := range ref {
		refCounts[c]++
	}
	cats := make([]drift.CategoryCount, 0, len(refCounts))
	for name, n := range refCounts {
		cats = append(cats, drift.CategoryCount{Name: name, Count: n})
	}
	slices.SortFunc(cats, func(a, b drift.CategoryCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Name, b.Name)
	})
	index := map[string]int{}
	labels := make([]string, 0, len(cats)+1)
	rb := make([]float64, 0, len(cats)+1)
	for i, c := range cats {
		index[c.Name] = i
		labels = append(labels, c.Name)
		rb = append(rb, float64(c.Count))
	}
	labels = append(labels, drift.NewCategory)
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
		rep.NewCategories = append(rep.NewCategories, drift.CategoryCount{Name: name, Count: n})
	}
	slices.SortFunc(rep.NewCategories, func(a, b drift.CategoryCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return strings.Compare(a.Name, b.Name)
	})
	if cb[len(cb)-1] == 0 { // no unseen categories: drop the empty bin
		labels, rb, cb = labels[:len(labels)-1], rb[:len(rb)-1], cb[:len(cb)-1]
	}
	rep.fillBinned(labels, rb, cb)
	rep.Effect, rep.P = rep.JS, rep.ChiSquare.P
	rep.Level = drift.Grade(int64(len(cur)), drift.DefaultConfig().MinCount, float64(rep.JS), float64(rep.ChiSquare.P), 0.05).String()
	return rep, nil
}

func (rep *driftReport) fillBinned(labels []string, rb, cb []float64) {
	rs, cs := drift.Smoothed(rb, drift.Pseudocount), drift.Smoothed(cb, drift.Pseudocount)
	rep.PSI = jsonFloat(drift.PSI(rs, cs))
	rep.KL = jsonFloat(drift.KL(cs, rs))
	rep.JS = jsonFloat(drift.JSDistance(rb, cb))
	rep.Hellinger = jsonFloat(drift.Hellinger(rb, cb))
	rep.LInf = jsonFloat(drift.LInf(rb, cb))
	chi := drift.ChiSquare(rb, cb)
	rep.ChiSquare = chiReport{Stat: jsonFloat(chi.Stat), DoF: chi.DoF, P: jsonFloat(chi.P), Merged: chi.Merged}
	var rt, ct float64
	for i := range rb {
		rt += rb[i]
		ct += cb[i]
	}
	for i, l := range labels {
		rep.Bins = append(rep.Bins, binReport{Label: l, Ref: jsonFloat(rb[i] / rt), Cur: jsonFloat(cb[i] / ct)})
	}
}

// readNumeric reads, drops NaN and ±Inf, sorts and summarises a file.
func readNumeric(path string, opt drift.ReadOptions) ([]float64, sampleSummary, error) {
	v, skipped, err := drift.ReadValuesFile(path, opt)
	if err != nil {
		return nil, sampleSummary{}, err
	}
	sum := sampleSummary{File: path, Skipped: skipped}
	good := v[:0]
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			sum.Invalid++
			continue
		}
		good = append(good, x)
	}
	if len(good) == 0 {
		return nil, sum, fmt.Errorf("%s: no finite values", path)
	}
	drift.Sort(good)
	sum.N = len(good)
	sum.P5 = ptr(drift.Quantile(0.05, good))
	sum.P50 = ptr(drift.Quantile(0.5, good))
	sum.P95 = ptr(drift.Quantile(0.95, good))
	var s float64
	for _, x := range good {
		s += x
	}
	mean := s / float64(len(good))
	var ss float64
	for _, x := range good {
		ss += (x - mean) * (x - mean)
	}
	sum.Mean = ptr(mean)
	sum.Std = ptr(math.Sqrt(ss / float64(len(good))))
	return good, sum, nil
}

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

// pText formats a p-value, flooring the display at 1e-12.
func pText(p jsonFloat) string {
	v := float64(p)
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v < 1e-12:
		return "< 1e-12"
	}
	return fmt.Sprintf("%.4g", v)
}

func (rep *driftReport) writeText(w io.Writer) {
	side := func(name string, s sampleSummary) {
		fmt.Fprintf(w, "%-10s %s  n=%d", name, s.File, s.N)
		if s.Skipped > 0 {
			fmt.Fprintf(w, " skipped=%d", s.Skipped)
		}
		if s.Invalid > 0 {
			fmt.Fprintf(w, " invalid=%d", s.Invalid)
		}
		if s.P50 != nil {
			fmt.Fprintf(w, "  p5=%.4g p50=%.4g p95=%.4g mean=%.4g std=%.4g", *s.P5, *s.P50, *s.P95, *s.Mean, *s.Std)
		}
		fmt.Fprintln(w)
	}
	side("reference", rep.Reference)
	side("current", rep.Current)
	fmt.Fprintln(w)
	if rep.KS != nil {
		method := "asymptotic"
		if rep.KS.Exact {
			method = "exact"
		}
		fmt.Fprintf(w, "%-34s %-10.4g p=%s (%s)\n", "KS D (two-sided)", float64(rep.KS.D), pText(rep.KS.P), method)
		fmt.Fprintf(w, "%-34s %-10.4g p=%s\n", "KS D+ (greater: F_ref above F_cur)", float64(rep.KS.Greater.D), pText(rep.KS.Greater.P))
		fmt.Fprintf(w, "%-34s %-10.4g p=%s\n", "KS D- (less: F_cur above F_ref)", float64(rep.KS.Less.D), pText(rep.KS.Less.P))
		fmt.Fprintf(w, "%-34s %.4g (W1/σ_ref %.4g)\n", "Wasserstein-1", *rep.Wasserstein, *rep.WassersteinN)
	}
	binsName := "10 reference-decile bins"
	if rep.Kind == "categorical" {
		binsName = "categories"
	}
	fmt.Fprintf(w, "%-34s %.4g\n", "PSI (+0.5 per count)", float64(rep.PSI))
	fmt.Fprintf(w, "%-34s %.4g\n", "KL(cur‖ref) nats (+0.5 per count)", float64(rep.KL))
	fmt.Fprintf(w, "%-34s %.4g\n", "JS distance (base 2)", float64(rep.JS))
	fmt.Fprintf(w, "%-34s %.4g\n", "Hellinger", float64(rep.Hellinger))
	fmt.Fprintf(w, "%-34s %.4g\n", "L∞", float64(rep.LInf))
	fmt.Fprintf(w, "%-34s %-10.4g p=%s (dof %d, %d pooled)\n", "chi-square (2×K)", float64(rep.ChiSquare.Stat), pText(rep.ChiSquare.P), rep.ChiSquare.DoF, rep.ChiSquare.Merged)
	fmt.Fprintf(w, "\nbins (%s): share ref → cur\n", binsName)
	for _, b := range rep.Bins {
		fmt.Fprintf(w, "  %-24s %6.2f%% → %6.2f%%\n", b.Label, 100*float64(b.Ref), 100*float64(b.Cur))
	}
	if len(rep.NewCategories) > 0 {
		fmt.Fprintln(w, "\nnew categories:")
		for _, c := range rep.NewCategories {
			fmt.Fprintf(w, "  %-24s %d\n", c.Name, c.Count)
		}
	}
	fmt.Fprintf(w, "\nlevel: %s (effect %.4g, p=%s)\n", rep.Level, float64(rep.Effect), pText(rep.P))
}
