package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"

	"github.com/vigil-dev/vigil/drift"
)

const driftCompareUsage = `usage: vigil drift compare REF CUR [flags]

Compares two samples and prints every drift statistic with p-values.
Each file holds one value per line, unless --column or --field is given.

Flags:
`

// driftCompareMain implements `vigil drift compare REF CUR`; args are the
// arguments after "compare", flags and files in any order. It returns 0 on
// success and 2 for a usage error or an unreadable or malformed file, after
// one error line on stderr. The statistics are drift.CompareNumeric and
// drift.CompareCategorical; --output json prints the drift.Comparison
// (its MarshalJSON documents the fields). p-values below 1e-12 are dominated
// by rounding: the text output prints them as "< 1e-12"; JSON carries the
// computed number.
func driftCompareMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("vigil drift compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opt drift.ReadOptions
	fs.StringVar(&opt.Column, "column", "", "read CSV column `NAME|INDEX` (0-based index)")
	fs.StringVar(&opt.Field, "field", "", "read JSON lines field `dotted.path`")
	categorical := fs.Bool("categorical", false, "treat values as categories")
	output := fs.String("output", "text", "output `format`: text or json")
	fs.Usage = func() {
		fmt.Fprint(stderr, driftCompareUsage)
		fs.PrintDefaults()
	}
	var files []string
	rest := args
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		rest = fs.Args()
		if len(rest) == 0 {
			break
		}
		files = append(files, rest[0])
		rest = rest[1:]
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "vigil drift compare: "+format+"\n", a...)
		return 2
	}
	if len(files) != 2 {
		return fail("need two files, REF and CUR (got %d)", len(files))
	}
	if *output != "text" && *output != "json" {
		return fail("--output must be text or json, not %q", *output)
	}
	var cmp drift.Comparison
	if *categorical {
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
	if *output == "json" {
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
