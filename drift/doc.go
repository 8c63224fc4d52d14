// Package drift measures how far a window of observations has moved from a
// reference distribution.
//
// The package has two layers. The first is pure statistics in the style of
// gonum's stat package: the two-sample Kolmogorov–Smirnov test (statistic from
// integer counts, exact and asymptotic p-values), PSI, KL, Jensen–Shannon
// distance, Hellinger, Wasserstein-1, the 2×K chi-square test,
// Benjamini–Hochberg adjustment, and the same statistics on Prometheus
// cumulative histograms. Preconditions are stated in each doc comment;
// functions return NaN for NaN data and panic, with a "drift: " prefix, only
// for programmer error such as mismatched lengths.
//
// The second layer is Monitor, which turns timestamped observations into heat
// rows: one row per feature, one cell per tumbling window, each cell scored
// against a pinned (or trailing) reference and gated by significance adjusted
// across the column. Monitor never reads the clock: every observation and
// every Advance call carries its own time.
//
// The choices, their sources and the reference values the tests use are in
// the repository's docs/drift.md: KS D as the effect size for raw numeric
// series, base-2 JS distance for categories, binned KS for histograms, +0.5
// pseudo-counts for PSI and KL, alerts on persistence rather than on a single
// cell, and KS p-values chosen as SciPy's ks_2samp chooses them (exact when
// both samples have at most 10 000 values, SciPy's kstwo.sf beyond).
package drift
