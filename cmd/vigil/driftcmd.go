package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

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
// one error line on stderr. The statistics are drift.CompareNumeric and
// drift.CompareCategorical; --output json prints the drift.Comparison
// (its MarshalJSON documents the fields). p-values below 1e-12 are dominated
// by rounding: the text output prints them as "< 1e-12"; JSON carries the
// computed number.
func driftCompare(refPath, curPath string, opt drift.ReadOptions, categorical bool, output string, stdout, stderr io.Writer) int {
	files := []string{refPath, curPath}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "vigil drift compare: "+format+"\n", a...)
		return 2
	}
	if output != "text" && output != "json" {
		return fail("--output must be text or json, not %q (see 'vigil drift compare --help')", output)
	}
	var cmp drift.Comparison
	if categorical {
		ref, refSkip, err := drift.ReadCategoriesFile(files[0], opt)
		if err != nil {
			return fail("%v", err)
		}
		cur, curSkip, err := drift.ReadCategoriesFile(files[1], opt)
		if err != nil {
			return fail("%v", err)
		}
		cmp = drift.CompareCategorical(ref, cur)
		cmp.Reference.Skipped, cmp.Current.Skipped = refSkip, curSkip
	} else {
		ref, refSkip, err := drift.ReadValuesFile(files[0], opt)
		if err != nil {
			return fail("%v", err)
		}
		cur, curSkip, err := drift.ReadValuesFile(files[1], opt)
		if err != nil {
			return fail("%v", err)
		}
		cmp = drift.CompareNumeric(ref, cur)
		cmp.Reference.Skipped, cmp.Current.Skipped = refSkip, curSkip
		for i, s := range []drift.SampleSummary{cmp.Reference, cmp.Current} {
			if s.N == 0 {
				return fail("%s: no finite values", files[i])
			}
		}
	}
	cmp.Reference.File, cmp.Current.File = files[0], files[1]
	if output == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(cmp); err != nil {
			return fail("%v", err)
		}
		return 0
	}
	writeComparison(stdout, &cmp)
	return 0
}

// pText formats a p-value, flooring the display at 1e-12.
func pText(v float64) string {
	switch {
	case math.IsNaN(v):
		return "n/a"
	case v < 1e-12:
		return "< 1e-12"
	}
	return fmt.Sprintf("%.4g", v)
}

// writeComparison prints a comparison as text.
func writeComparison(w io.Writer, c *drift.Comparison) {
	side := func(name string, s drift.SampleSummary) {
		fmt.Fprintf(w, "%-10s %s  n=%d", name, s.File, s.N)
		if s.Skipped > 0 {
			fmt.Fprintf(w, " skipped=%d", s.Skipped)
		}
		if s.Invalid > 0 {
			fmt.Fprintf(w, " invalid=%d", s.Invalid)
		}
		if c.Kind == drift.KindNumeric {
			fmt.Fprintf(w, "  p5=%.4g p50=%.4g p95=%.4g mean=%.4g std=%.4g", s.P5, s.P50, s.P95, s.Mean, s.Std)
		}
		fmt.Fprintln(w)
	}
	side("reference", c.Reference)
	side("current", c.Current)
	fmt.Fprintln(w)
	binsName := "categories"
	if c.Kind == drift.KindNumeric {
		binsName = fmt.Sprintf("%d reference-decile bins", drift.CompareBins)
		method := "asymptotic"
		if c.KS.Exact {
			method = "exact"
		}
		fmt.Fprintf(w, "%-34s %-10.4g p=%s (%s)\n", "KS D (two-sided)", c.KS.D, pText(c.KS.P), method)
		fmt.Fprintf(w, "%-34s %-10.4g p=%s\n", "KS D+ (greater: F_ref above F_cur)", c.KSGreater.D, pText(c.KSGreater.P))
		fmt.Fprintf(w, "%-34s %-10.4g p=%s\n", "KS D- (less: F_cur above F_ref)", c.KSLess.D, pText(c.KSLess.P))
		fmt.Fprintf(w, "%-34s %.4g (W1/σ_ref %.4g)\n", "Wasserstein-1", c.Wasserstein, c.WassersteinNorm)
	}
	fmt.Fprintf(w, "%-34s %.4g\n", "PSI (+0.5 per count)", c.PSI)
	fmt.Fprintf(w, "%-34s %.4g\n", "KL(cur‖ref) nats (+0.5 per count)", c.KL)
	fmt.Fprintf(w, "%-34s %.4g\n", "JS distance (base 2)", c.JS)
	fmt.Fprintf(w, "%-34s %.4g\n", "Hellinger", c.Hellinger)
	fmt.Fprintf(w, "%-34s %.4g\n", "L∞", c.LInf)
	fmt.Fprintf(w, "%-34s %-10.4g p=%s (dof %d, %d pooled)\n", "chi-square (2×K)", c.ChiSquare.Stat, pText(c.ChiSquare.P), c.ChiSquare.DoF, c.ChiSquare.Merged)
	fmt.Fprintf(w, "\nbins (%s): share ref → cur\n", binsName)
	for _, b := range c.Bins {
		fmt.Fprintf(w, "  %-24s %6.2f%% → %6.2f%%\n", b.Label, 100*b.Ref, 100*b.Cur)
	}
	if len(c.NewCategories) > 0 {
		fmt.Fprintln(w, "\nnew categories:")
		for _, n := range c.NewCategories {
			fmt.Fprintf(w, "  %-24s %d\n", n.Name, n.Count)
		}
	}
	fmt.Fprintf(w, "\nlevel: %s (effect %.4g, p=%s)\n", c.Level, c.Effect, pText(c.P))
}
