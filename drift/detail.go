package drift

import (
	"math"
	"slices"
	"time"
)

// Summary describes one side of a comparison.
type Summary struct {
	// N is the number of values (histogram observations).
	N int64
	// P5, P50, P95, Mean and Std are in the series' units; NaN for
	// categories.
	P5, P50, P95, Mean, Std float64
}

// Bin is one bar of a detail view: the reference and current share of one
// bin of the reference's layout.
type Bin struct {
	// Label is a category name or a range such as "(0.12, 0.5]".
	Label string
	// Lo and Hi are the numeric range (Lo, Hi], ±Inf at the ends; both
	// the value for a low-cardinality value bin; NaN for categories and
	// "(other)".
	Lo, Hi float64
	// Ref and Cur are shares 0..1.
	Ref, Cur float64
	// CurCount is the window's count in the bin.
	CurCount float64
	// PSI is the bin's term of the smoothed PSI, (c − r)·ln(c/r).
	PSI float64
}

// CategoryCount is a category and how often it was seen.
type CategoryCount struct {
	Name  string
	Count int64
}

// Detail explains one cell.
type Detail struct {
	Feature string
	Kind    Kind
	// Start and End bound the window [Start, End).
	Start, End time.Time
	Level      Level
	Stats      Stats
	// Reference and Current summarise the two distributions (Current
	// quantiles come from the window's sample for numeric series).
	Reference, Current Summary
	// MeanShift is (current mean − reference mean)/reference std; StdRatio
	// is current std / reference std. NaN for categories.
	MeanShift, StdRatio float64
	// Bins are the reference's bins, aligned for side-by-side bars: decile
	// bins (numeric), values (low-cardinality numeric), categories plus
	// OtherCategory and NewCategory (categorical), merged buckets
	// (histogram). Empty while baselining.
	Bins []Bin
	// Top holds up to three bins that contribute most: by PSI term for
	// numeric series and histograms, by |Δshare| for categories.
	Top []Bin
	// NewCategories are the most frequent categories (up to three) never
	// seen in the reference.
	NewCategories []CategoryCount
}

func (s *series) detail(start, window int64, cfg *Config) (Detail, bool) {
	p := -1
	for i := range s.cells {
		if s.cells[i].start == start {
			p = i
			break
		}
	}
	if p < 0 {
		return Detail{}, false
	}
	c := &s.cells[p]
	bins := s.bins(p)
	d := Detail{
		Feature: s.name, Kind: s.kind,
		Start: time.Unix(0, c.start).UTC(), End: time.Unix(0, c.start+window).UTC(),
		Level: c.level, Stats: c.stats(),
		MeanShift: math.NaN(), StdRatio: math.NaN(),
	}
	d.Current = Summary{N: c.n, P5: d.Stats.P5, P50: d.Stats.P50, P95: d.Stats.P95, Mean: d.Stats.Mean, Std: d.Stats.Std}
	r := s.cellRef(p, cfg)
	if r == nil || bins == nil {
		return d, true
	}
	d.Reference = Summary{N: r.n, P5: r.p5, P50: r.p50, P95: r.p95, Mean: r.mean, Std: r.std}
	if s.kind != KindCategorical {
		sd := max(r.std, StdFloor(r.mean))
		d.MeanShift = (d.Stats.Mean - r.mean) / sd
		d.StdRatio = d.Stats.Std / sd
	}
	cur := make([]float64, len(bins))
	for i, v := range bins {
		cur[i] = float64(v)
	}
	if s.kind == KindHistogram {
		cur = Regroup(cur, r.groups)
	}
	rs, _ := shares(r.bins)
	cs, ok := shares(cur)
	if !ok || rs == nil {
		return d, true
	}
	rsm, _ := shares(Smoothed(r.bins, Pseudocount))
	csm, _ := shares(Smoothed(cur, Pseudocount))
	d.Bins = make([]Bin, len(cur))
	for i := range cur {
		b := Bin{Ref: rs[i], Cur: cs[i], CurCount: cur[i], Lo: math.NaN(), Hi: math.NaN()}
		b.PSI = psiTerm(rsm[i], csm[i])
		switch s.kind {
		case KindCategorical:
			b.Label = r.cats[i]
		case KindHistogram:
			lo := 0
			if i > 0 {
				lo = r.groups[i-1]
			}
			hi := r.groups[i] - 1
			b.Lo = math.Inf(-1)
			if lo > 0 {
				b.Lo = r.bounds[lo-1]
			}
			b.Hi = r.bounds[hi]
			b.Label = rangeLabel(b.Lo, b.Hi)
		case KindNumeric:
			switch {
			case r.lowCard && i < len(r.values):
				b.Label = fmtEdge(r.values[i])
				b.Lo, b.Hi = r.values[i], r.values[i]
			case r.lowCard:
				b.Label = OtherCategory
			default:
				b.Lo, b.Hi = math.Inf(-1), math.Inf(1)
				if i > 0 {
					b.Lo = r.edges[i-1]
				}
				if i < len(r.edges) {
					b.Hi = r.edges[i]
				}
				b.Label = rangeLabel(b.Lo, b.Hi)
			}
		}
		d.Bins[i] = b
	}
	top := slices.Clone(d.Bins)
	key := func(b Bin) float64 {
		if s.kind == KindCategorical {
			return math.Abs(b.Cur - b.Ref)
		}
		return b.PSI
	}
	slices.SortStableFunc(top, func(a, b Bin) int {
		ka, kb := key(a), key(b)
		switch {
		case ka > kb:
			return -1
		case ka < kb:
			return 1
		}
		return 0
	})
	d.Top = top[:min(3, len(top))]
	if s.newCats != nil {
		d.NewCategories = slices.Clone(s.newCats[p])
	}
	return d, true
}

func rangeLabel(lo, hi float64) string {
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		return "all"
	case math.IsInf(lo, -1):
		return "≤ " + fmtEdge(hi)
	case math.IsInf(hi, 1):
		return "> " + fmtEdge(lo)
	}
	return "(" + fmtEdge(lo) + ", " + fmtEdge(hi) + "]"
}
