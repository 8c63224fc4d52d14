package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// monitorFloor is the probability below which the exact KS p-value of a cell
// drops lattice points (see ksLattice): the p-value is exact to about 1e-24
// absolute (a cell's lattice has at most about 1e7 points), far below the
// single precision cells keep and the 1e-12 display floor, and a cell of a
// strongly drifting series costs about as much as one near the 5 % critical
// value instead of growing with D.
const monitorFloor = 1e-30

// lambda05 is KolmogorovSurvivalInverse(0.05).
const lambda05 = 1.3580986393225507

// Category names of the two catch-all bins of a categorical reference.
const (
	OtherCategory = "(other)"
	NewCategory   = "(new)"
)

// maxTrackedCategories bounds the distinct names a window or a baselining
// reference keeps by name; beyond it values count under OtherCategory.
const (
	maxWindowCategories   = 256
	maxBaselineCategories = 4096
	maxNewNames           = 3
)

// Indexes into cellRec.st.
const (
	stEffect = iota
	stP
	stQ
	stD
	stKSP
	stPSI
	stJS
	stW1
	stScore
	stP5
	stP50
	stP95
	stMean
	stStd
	stOutside
	nStat
)

// levelPending marks a cell waiting for the column's BH adjustment.
const levelPending Level = 255

const (
	flagApprox uint8 = 1 << iota
	flagRepaired
	flagBins // bin counts stored in the slab
)

// cellRec is the compact form of a closed cell: 96 bytes. Its bin counts, if
// any, live in the series' slab.
type cellRec struct {
	start   int64
	n       int64
	invalid int32
	level   Level
	flags   uint8
	st      [nStat]float32
	ref     *refSnap
}

// nCur returns how many bin counts a cell scored against layout l stores:
// one per reference bin, or one per bucket for histograms.
func (l *refLayout) nCur() int {
	switch {
	case l.bounds != nil:
		return len(l.bounds)
	case l.cats != nil:
		return len(l.cats)
	case l.lowCard:
		return len(l.values) + 1
	}
	return len(l.edges) + 1
}

// nRef returns how many reference bins layout l has.
func (l *refLayout) nRef() int {
	if l.bounds != nil {
		return len(l.groups)
	}
	return l.nCur()
}

// refQuant is what a trailing-mode cell keeps of its reference besides the
// bins: 32 bytes instead of a whole snapshot.
type refQuant struct {
	n                       int64
	p5, p50, p95, mean, std float32
}

// refSnap is an immutable summary of a reference, shared by the cells scored
// against it. Its bin layout is shared between successive snapshots of a
// trailing reference while it does not change.
type refSnap struct {
	*refLayout
	n    int64
	at   int64
	bins []float64 // reference counts per bin (per merged group for histograms)
	hist []float64 // histogram per-bucket counts

	p5, p50, p95, mean, std, lo, hi float64
}

// refLayout is the bin layout of a reference.
type refLayout struct {
	lowCard bool
	values  []float64 // low-cardinality numeric: the distinct values, one per bin
	edges   []float64 // numeric interior bin edges: bin k is (edges[k−1], edges[k]]
	cats    []string  // categorical bins, then OtherCategory, NewCategory
	catIdx  map[string]int
	bounds  []float64 // histogram layout
	groups  []int     // histogram merged groups (MergeBuckets)
}

// window is the open cell of a series.
type window struct {
	n, invalid   int64
	shift        float64 // the first value: sums are of v − shift, to keep precision
	sum, sumsq   float64
	below, above int64
	sample       *sortedReservoir
	bins         []float64
	cats         map[string]int64
	hb, hc       []float64 // histogram layout and per-bucket counts
	reset        bool
	layout       bool
	repaired     bool
}

type series struct {
	name      string
	kind      Kind
	firstCol  int64
	firstSeen int64 // start of the window of the first observation, −1 before
	late      int64
	seed      uint64

	// Reference.
	ref       *refSnap // nil while baselining
	refSorted []float64
	baseN     int64 // values collected while baselining
	baseStart int64
	baseRes   *Reservoir
	baseCats  map[string]int64
	baseHB    []float64
	baseHC    []float64
	repin     bool

	// Last histogram scrape.
	lastB, lastC []float64

	open window

	cells []cellRec // ring
	head  int       // index of the oldest cell once full

	// Trailing mode.
	trail       []trailWin // ring
	trailHead   int
	trailLayout *refLayout // numeric bin layout, frozen at the first reference
	refq        []refQuant // ring aligned with cells
	thin        *refSnap   // layout-only snapshot the cells point at
	rng         *rand.Rand

	// slab holds the bin counts of the cell at ring position p in
	// slab[p·stride:], stride being the most bins any reference had.
	slab    []uint32
	stride  int
	newCats [][]CategoryCount // ring, categorical series only

	// Scratch for the cell being closed.
	scratch     []uint32
	scratchCats []CategoryCount
	// pend is the closed cell's KS p-value, left for Monitor.closeColumn
	// to compute without the monitor's lock (valid when pend.n > 0).
	pend pJob
}

// pJob is a KS p-value to compute: exact for numeric cells (num is the
// statistic times n·m), asymptotic for histogram cells (d).
type pJob struct {
	num  int64
	n, m int
	d    float64
	hist bool
	// gate: the p-value is also the cell's significance test P.
	gate bool
}

// exactCells lets tests that measure something else (memory) skip the
// exact p-values, which cost most of a close.
var exactCells = true

// run computes the job's p-value.
func (j pJob) run() float64 {
	if j.hist {
		return KSAsymptoticPValue(j.d, j.n, j.m, TwoSided)
	}
	if exactCells && max(j.n, j.m) <= ExactMaxN {
		return ksExactNum(j.num, j.n, j.m, TwoSided, monitorFloor)
	}
	return KSAsymptoticPValue(float64(j.num)/(float64(j.n)*float64(j.m)), j.n, j.m, TwoSided)
}

// finish stores a job's p-value p in the cell.
func (j pJob) finish(rec *cellRec, p float64) {
	rec.st[stKSP] = float32(p)
	if j.gate {
		rec.st[stP] = float32(p)
		if math.IsNaN(p) && rec.level == levelPending {
			rec.level = LevelNone
		}
	}
}

func newSeries(name string, kind Kind, cfg *Config, seed uint64) *series {
	s := &series{name: name, kind: kind, firstSeen: -1, seed: seed}
	s.open.sample = newSortedReservoir(cfg.CellSample, seed)
	s.cells = make([]cellRec, 0, cfg.Columns)
	return s
}

func (s *series) addValue(v float64, cfg *Config) {
	w := &s.open
	if math.IsNaN(v) || math.IsInf(v, 0) {
		w.invalid++
		return
	}
	if w.n == 0 {
		w.shift = v
	}
	w.n++
	d := v - w.shift
	w.sum += d
	w.sumsq += d * d
	w.sample.add(v)
	if cfg.Mode == Trailing && s.ref == nil {
		return
	}
	if s.ref == nil {
		if s.baseRes == nil {
			s.baseRes = NewReservoir(cfg.MaxReference, s.seed+1)
		}
		s.baseRes.Add(v)
		s.baseN++
		return
	}
	if w.bins != nil {
		w.bins[s.ref.bin(v)]++
	}
	if v < s.ref.lo {
		w.below++
	} else if v > s.ref.hi {
		w.above++
	}
}

func (s *series) addCategory(c string, cfg *Config) {
	w := &s.open
	w.n++
	if w.cats == nil {
		w.cats = map[string]int64{}
	}
	if _, ok := w.cats[c]; ok || len(w.cats) < maxWindowCategories {
		w.cats[c]++
	} else {
		w.cats[OtherCategory]++
	}
	if s.ref == nil && cfg.Mode == Trailing {
		return
	}
	if s.ref == nil {
		if s.baseCats == nil {
			s.baseCats = map[string]int64{}
		}
		if _, ok := s.baseCats[c]; ok || len(s.baseCats) < maxBaselineCategories {
			s.baseCats[c]++
		} else {
			s.baseCats[OtherCategory]++
		}
		s.baseN++
		return
	}
	if w.bins != nil {
		w.bins[s.ref.catBin(c)]++
	}
}

// bin returns the bin of a numeric value: by decile edges, or for a
// low-cardinality reference the value's own bin, with values the reference
// never had in a last "(other)" bin.
func (r *refSnap) bin(v float64) int {
	i := binIndex(r.edges, v)
	if r.lowCard && r.values[i] != v {
		return len(r.values)
	}
	return i
}

func (r *refSnap) binCounts(x []float64) []float64 {
	n := len(r.edges) + 1
	if r.lowCard {
		n++
	}
	c := make([]float64, n)
	for _, v := range x {
		c[r.bin(v)]++
	}
	return c
}

func (r *refSnap) catBin(c string) int {
	if i, ok := r.catIdx[c]; ok {
		return i
	}
	return len(r.cats) - 1 // NewCategory
}

func (s *series) addHistogram(bounds, cum []float64) {
	w := &s.open
	if s.lastB == nil {
		s.lastB, s.lastC = slices.Clone(bounds), slices.Clone(cum)
		return
	}
	d := Delta(s.lastB, s.lastC, bounds, cum)
	if !SameLayout(s.lastB, bounds) {
		s.lastB = slices.Clone(bounds)
	}
	s.lastC = append(s.lastC[:0], cum...)
	switch d.Status {
	case DeltaLayoutChanged:
		w.layout = true
		w.hb = slices.Clone(bounds)
		w.hc = make([]float64, len(bounds))
		w.n = 0
		return
	case DeltaInvalid:
		w.invalid++
		return
	case DeltaReset:
		w.reset = true
	}
	w.repaired = w.repaired || d.Repaired
	if w.hb == nil || !SameLayout(w.hb, bounds) {
		w.hb = slices.Clone(bounds)
		w.hc = make([]float64, len(bounds))
		w.n = 0
	}
	var total float64
	for k, c := range d.Counts {
		w.hc[k] += c
	}
	for _, c := range w.hc {
		total += c
	}
	w.n = int64(math.Round(total))
}

// resetWindow empties the open window, keeping its storage.
func (s *series) resetWindow() {
	w := &s.open
	sample := w.sample
	sample.reset()
	bins := w.bins
	cats := w.cats
	clear(cats)
	*w = window{sample: sample, cats: cats}
	if s.ref != nil && s.kind != KindHistogram {
		if bins == nil || len(bins) != len(s.ref.bins) {
			bins = make([]float64, len(s.ref.bins))
		}
		clear(bins)
		w.bins = bins
	}
}

// close scores the open window [start, end) and starts a new one.
func (s *series) close(start, end int64, cfg *Config, buf *[]float64) cellRec {
	if cfg.Mode == Trailing {
		return s.closeTrailing(start, cfg, buf)
	}
	w := &s.open
	rec := cellRec{start: start, n: w.n, invalid: int32(min(w.invalid, math.MaxInt32)), ref: s.ref}
	for i := range rec.st {
		rec.st[i] = float32(math.NaN())
	}
	switch {
	case s.kind == KindHistogram && (w.layout || (s.ref != nil && w.hb != nil && !SameLayout(w.hb, s.ref.bounds))):
		rec.level = LevelLayoutChanged
		// Rebuild the reference on the new layout, starting with this
		// window's post-change counts.
		s.ref, s.refSorted = nil, nil
		s.baseHB, s.baseHC = w.hb, slices.Clone(w.hc)
		s.baseN = w.n
		s.baseStart = start
	case w.n == 0:
		rec.level = LevelNoData
	case s.ref == nil:
		rec.level = LevelBaselining
		rec.st[stMean], rec.st[stStd] = float32(w.mean()), float32(w.std())
		if s.kind == KindHistogram {
			s.addBaseHist(w.hb, w.hc)
		}
	case w.n < int64(cfg.MinCount):
		rec.level = LevelInsufficient
	default:
		s.score(&rec, cfg)
	}
	if s.ref == nil && !s.repin && s.firstSeen >= 0 &&
		end-s.baseStart >= int64(cfg.Baseline) && s.baseN >= int64(cfg.MinReference) {
		s.pinBaseline(end, cfg)
	}
	if s.repin {
		s.repin = false
		s.repinFromWindow(end, cfg)
	}
	s.resetWindow()
	return rec
}

func (w *window) mean() float64 {
	if w.n == 0 {
		return math.NaN()
	}
	return w.shift + w.sum/float64(w.n)
}

// std is the population standard deviation of the window's values.
func (w *window) std() float64 {
	if w.n == 0 {
		return math.NaN()
	}
	m := w.sum / float64(w.n)
	return math.Sqrt(max(0, w.sumsq/float64(w.n)-m*m))
}

func (s *series) addBaseHist(hb, hc []float64) {
	if hb == nil {
		return
	}
	if s.baseHB == nil || !SameLayout(s.baseHB, hb) {
		s.baseHB = slices.Clone(hb)
		s.baseHC = make([]float64, len(hb))
		s.baseN = 0
	}
	var n float64
	for k, c := range hc {
		s.baseHC[k] += c
	}
	for _, c := range s.baseHC {
		n += c
	}
	s.baseN = int64(math.Round(n))
}

// score computes a pinned cell's statistics and leaves it pending the
// column's adjustment (or marked as a reset).
func (s *series) score(rec *cellRec, cfg *Config) {
	w := &s.open
	ref := s.ref
	st := &rec.st
	switch s.kind {
	case KindNumeric:
		sample := w.sample.values() // sorted
		n, m := len(s.refSorted), len(sample)
		plus, minus, w1 := ksW1(s.refSorted, sample)
		num := max(plus, minus)
		st[stD] = float32(float64(num) / (float64(n) * float64(m)))
		s.pend = pJob{num: num, n: n, m: m, gate: !ref.lowCard}
		st[stScore] = float32(float64(st[stD]) / (lambda05 / math.Sqrt(float64(n)*float64(m)/float64(n+m))))
		st[stW1] = float32(w1 / max(ref.std, StdFloor(ref.mean)))
		st[stP5] = float32(quantileSorted(0.05, sample))
		st[stP50] = float32(quantileSorted(0.5, sample))
		st[stP95] = float32(quantileSorted(0.95, sample))
		st[stMean], st[stStd] = float32(w.mean()), float32(w.std())
		st[stOutside] = float32(float64(w.below+w.above) / float64(w.n))
		s.scoreBins(rec, w.bins)
		if ref.lowCard {
			st[stEffect] = st[stJS]
			st[stP] = float32(ChiSquare(ref.bins, w.bins).P)
		} else {
			st[stEffect] = st[stD] // P follows with the job
		}
	case KindCategorical:
		s.scoreBins(rec, w.bins)
		st[stEffect] = st[stJS]
		st[stP] = float32(ChiSquare(ref.bins, w.bins).P)
		s.scratchCats = newCategories(w.cats, ref)
	case KindHistogram:
		rec.flags |= flagApprox
		if w.repaired {
			rec.flags |= flagRepaired
		}
		if !SameLayout(w.hb, ref.bounds) {
			// A reset onto a new layout is caught as a layout change;
			// this is only reachable if scrapes stopped mid-change.
			rec.level = LevelLayoutChanged
			return
		}
		ks := ksBucketsD(ref.hist, w.hc)
		st[stD] = float32(ks.D)
		st[stEffect] = st[stD]
		if ks.N > 0 && ks.M > 0 {
			st[stScore] = float32(ks.D / (lambda05 / math.Sqrt(float64(ks.N)*float64(ks.M)/float64(ks.N+ks.M))))
			s.pend = pJob{d: ks.D, n: ks.N, m: ks.M, hist: true, gate: true}
		}
		st[stW1] = float32(WassersteinBuckets(ref.bounds, ref.hist, w.hc) / max(ref.std, StdFloor(ref.mean)))
		st[stP5] = float32(BucketQuantile(0.05, ref.bounds, w.hc))
		st[stP50] = float32(BucketQuantile(0.5, ref.bounds, w.hc))
		st[stP95] = float32(BucketQuantile(0.95, ref.bounds, w.hc))
		mean, std := bucketMeanStd(ref.bounds, w.hc)
		st[stMean], st[stStd] = float32(mean), float32(std)
		s.setBins(rec, w.hc)
		g := Regroup(w.hc, ref.groups)
		st[stPSI] = float32(PSI(Smoothed(ref.bins, Pseudocount), Smoothed(g, Pseudocount)))
		st[stJS] = float32(JSDistance(ref.bins, g))
	}
	rec.level = levelPending
	if w.reset {
		rec.level = LevelReset
	}
	if !s.pend.gate && math.IsNaN(float64(st[stP])) {
		rec.level = LevelNone
	}
}

func (s *series) scoreBins(rec *cellRec, bins []float64) {
	ref := s.ref
	rec.st[stPSI] = float32(PSI(Smoothed(ref.bins, Pseudocount), Smoothed(bins, Pseudocount)))
	rec.st[stJS] = float32(JSDistance(ref.bins, bins))
	s.setBins(rec, bins)
}

// setBins stages a cell's bin counts for push.
func (s *series) setBins(rec *cellRec, x []float64) {
	s.scratch = s.scratch[:0]
	for _, v := range x {
		s.scratch = append(s.scratch, uint32(min(math.Round(v), math.MaxUint32)))
	}
	rec.flags |= flagBins
}

func newCategories(cats map[string]int64, ref *refSnap) []CategoryCount {
	var out []CategoryCount
	for name, c := range cats {
		if _, ok := ref.catIdx[name]; ok || name == OtherCategory {
			continue
		}
		out = append(out, CategoryCount{Name: name, Count: c})
	}
	sortCategoryCounts(out)
	if len(out) > maxNewNames {
		out = slices.Clip(out[:maxNewNames])
	}
	return out
}

func sortCategoryCounts(c []CategoryCount) {
	slices.SortFunc(c, func(a, b CategoryCount) int {
		if a.Count != b.Count {
			if a.Count > b.Count {
				return -1
			}
			return 1
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
}

// quantileSorted is Quantile without the checks.
func quantileSorted(q float64, x []float64) float64 {
	if len(x) == 0 {
		return math.NaN()
	}
	h := q * float64(len(x)-1)
	lo := int(h)
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

func (s *series) pinBaseline(at int64, cfg *Config) {
	switch s.kind {
	case KindNumeric:
		s.pinNumeric(slices.Clone(s.baseRes.Values()), s.baseN, at, cfg) // clone: exact size
	case KindCategorical:
		s.pinCategorical(s.baseCats, at, cfg)
	case KindHistogram:
		s.pinHistogram(s.baseHB, s.baseHC, at, cfg)
	}
}

// clearBaseline drops the baseline state; a new baseline would start at at.
func (s *series) clearBaseline(at int64) {
	s.baseN, s.baseStart = 0, at
	s.baseRes = nil
	s.baseCats = nil
	s.baseHB, s.baseHC = nil, nil
}

// repinFromWindow makes the open window the reference, or restarts the
// baseline if it is too small.
func (s *series) repinFromWindow(at int64, cfg *Config) {
	w := &s.open
	if w.n < int64(cfg.MinCount) {
		s.ref, s.refSorted = nil, nil
		s.clearBaseline(at)
		return
	}
	switch s.kind {
	case KindNumeric:
		s.pinNumeric(slices.Clone(w.sample.values()), w.n, at, cfg)
	case KindCategorical:
		s.pinCategorical(w.cats, at, cfg)
	case KindHistogram:
		s.pinHistogram(w.hb, w.hc, at, cfg)
	}
}

// pinNumeric pins a numeric reference from sample (owned by the series from
// now on), drawn from n values.
func (s *series) pinNumeric(sample []float64, n int64, at int64, cfg *Config) {
	sortFloat64s(sample)
	r := numericSnap(sample, n, at, nil)
	s.ref, s.refSorted = r, sample
	s.clearBaseline(at)
	s.open.bins = make([]float64, len(r.bins))
}

// numericSnap summarises the sorted reference sample drawn from n values.
// With layout nil the bins are chosen here (deciles, or one per value for at
// most LowCardinality distinct values); otherwise layout is reused so cells
// stay comparable.
func numericSnap(sample []float64, n int64, at int64, layout *refLayout) *refSnap {
	r := &refSnap{n: n, at: at, refLayout: layout}
	if layout == nil {
		r.refLayout = &refLayout{}
		var distinct []float64
		for i, v := range sample {
			if i == 0 || v != sample[i-1] {
				distinct = append(distinct, v)
				if len(distinct) > LowCardinality {
					break
				}
			}
		}
		if len(distinct) <= LowCardinality {
			r.lowCard = true
			r.values = distinct
			r.edges = []float64{}
			for i := 1; i < len(distinct); i++ {
				r.edges = append(r.edges, distinct[i-1]+(distinct[i]-distinct[i-1])/2)
			}
		} else {
			r.edges = QuantileEdges(sample, 10)
		}
	}
	r.bins = r.binCounts(sample)
	r.p5, r.p50, r.p95 = quantileSorted(0.05, sample), quantileSorted(0.5, sample), quantileSorted(0.95, sample)
	r.mean, r.std = meanStd(sample)
	r.lo, r.hi = sample[0], sample[len(sample)-1]
	return r
}

func (s *series) pinCategorical(counts map[string]int64, at int64, cfg *Config) {
	r := categoricalSnap(counts, at, cfg)
	s.ref, s.refSorted = r, nil
	s.clearBaseline(at)
	s.open.bins = make([]float64, len(r.bins))
}

func categoricalSnap(counts map[string]int64, at int64, cfg *Config) *refSnap {
	all := make([]CategoryCount, 0, len(counts))
	var n int64
	for name, c := range counts {
		all = append(all, CategoryCount{Name: name, Count: c})
		n += c
	}
	sortCategoryCounts(all)
	r := &refSnap{n: n, at: at, refLayout: &refLayout{catIdx: make(map[string]int, len(all))}, lo: math.NaN(), hi: math.NaN(),
		p5: math.NaN(), p50: math.NaN(), p95: math.NaN(), mean: math.NaN(), std: math.NaN()}
	for _, c := range all {
		if c.Name != OtherCategory && len(r.cats) < cfg.MaxCategories {
			r.catIdx[c.Name] = len(r.cats)
			r.cats = append(r.cats, c.Name)
		}
	}
	other := len(r.cats)
	r.cats = append(r.cats, OtherCategory, NewCategory)
	r.bins = make([]float64, len(r.cats))
	for _, c := range all {
		i, ok := r.catIdx[c.Name]
		if !ok {
			i = other
			r.catIdx[c.Name] = other
		}
		r.bins[i] += float64(c.Count)
	}
	return r
}

func (s *series) pinHistogram(bounds, counts []float64, at int64, cfg *Config) {
	s.ref, s.refSorted = histogramSnap(bounds, counts, at), nil
	s.clearBaseline(at)
}

func histogramSnap(bounds, counts []float64, at int64) *refSnap {
	r := &refSnap{at: at, refLayout: &refLayout{bounds: slices.Clone(bounds)}, hist: slices.Clone(counts)}
	var n float64
	for _, c := range counts {
		n += c
	}
	r.n = int64(math.Round(n))
	r.groups = MergeBuckets(counts, 0.02, MinExpected)
	r.bins = Regroup(counts, r.groups)
	r.p5 = BucketQuantile(0.05, bounds, counts)
	r.p50 = BucketQuantile(0.5, bounds, counts)
	r.p95 = BucketQuantile(0.95, bounds, counts)
	r.mean, r.std = bucketMeanStd(bounds, counts)
	r.lo, r.hi = math.NaN(), math.NaN()
	return r
}

// push appends a closed cell to the ring, with the bins and new categories
// staged by score.
func (s *series) push(rec cellRec, cfg *Config) {
	var p int
	if len(s.cells) < cfg.Columns {
		p = len(s.cells)
		s.cells = append(s.cells, rec)
	} else {
		p = s.head
		s.cells[p] = rec
		s.head = (s.head + 1) % len(s.cells)
	}
	if cfg.Mode == Trailing && rec.ref != nil {
		// Keep the reference's bins in the slab after the cell's and its
		// quantiles in refq; the cell points at a snapshot that only
		// carries the (shared) layout.
		r := rec.ref
		if rec.flags&flagBins != 0 {
			for _, v := range r.bins {
				s.scratch = append(s.scratch, uint32(min(math.Round(v), math.MaxUint32)))
			}
		}
		if s.refq == nil {
			s.refq = make([]refQuant, cfg.Columns)
		}
		s.refq[p] = refQuant{n: r.n, p5: float32(r.p5), p50: float32(r.p50), p95: float32(r.p95), mean: float32(r.mean), std: float32(r.std)}
		if s.thin == nil || s.thin.refLayout != r.refLayout {
			s.thin = &refSnap{refLayout: r.refLayout}
		}
		s.cells[p].ref = s.thin
	}
	if rec.flags&flagBins != 0 {
		if nb := len(s.scratch); nb > s.stride {
			slab := make([]uint32, cfg.Columns*nb)
			for q := range len(s.cells) {
				copy(slab[q*nb:q*nb+s.stride], s.slab[q*s.stride:])
			}
			s.slab, s.stride = slab, nb
		}
		copy(s.slab[p*s.stride:], s.scratch)
	}
	if s.kind == KindCategorical {
		if s.newCats == nil {
			s.newCats = make([][]CategoryCount, cfg.Columns)
		}
		s.newCats[p] = s.scratchCats
	}
	s.scratch, s.scratchCats = s.scratch[:0], nil
}

// pos returns the ring position of the i-th cell, oldest first.
func (s *series) pos(i int) int {
	return (s.head + i) % len(s.cells)
}

// at returns the i-th cell, oldest first.
func (s *series) at(i int) *cellRec {
	return &s.cells[s.pos(i)]
}

// bins returns the bin counts of the cell at ring position p, or nil.
func (s *series) bins(p int) []uint32 {
	c := &s.cells[p]
	if c.flags&flagBins == 0 || c.ref == nil {
		return nil
	}
	return s.slab[p*s.stride : p*s.stride+c.ref.nCur()]
}

// cellRef returns the reference the cell at ring position p was scored
// against: its snapshot, or in Trailing mode one rebuilt from the slab and
// refq.
func (s *series) cellRef(p int, cfg *Config) *refSnap {
	c := &s.cells[p]
	if cfg.Mode != Trailing || c.ref == nil {
		return c.ref
	}
	q := s.refq[p]
	r := &refSnap{refLayout: c.ref.refLayout, n: q.n,
		p5: float64(q.p5), p50: float64(q.p50), p95: float64(q.p95), mean: float64(q.mean), std: float64(q.std)}
	if c.flags&flagBins != 0 {
		off := p*s.stride + c.ref.nCur()
		for _, v := range s.slab[off : off+c.ref.nRef()] {
			r.bins = append(r.bins, float64(v))
		}
	}
	return r
}

func (s *series) row(cfg *Config, window int64, tail int) Row {
	r := Row{Feature: s.name, Kind: s.kind, Late: s.late}
	r.Reference.Mode = cfg.Mode
	if s.ref != nil {
		r.Reference.Ready = true
		r.Reference.N = s.ref.n
		if cfg.Mode == Pinned && s.ref.at != noTime {
			r.Reference.Since = time.Unix(0, s.ref.at).UTC()
		}
		r.LowCardinality = s.ref.lowCard
	} else {
		r.Reference.N = s.baseN
		if cfg.Mode == Pinned && s.firstSeen >= 0 && !s.repin && window > 0 {
			cells := (int64(cfg.Baseline) + window - 1) / window
			r.Reference.Until = time.Unix(0, s.baseStart+cells*window).UTC()
		}
	}
	first := max(0, len(s.cells)-max(tail, 0))
	r.Cells = make([]Cell, 0, len(s.cells)-first)
	for i := first; i < len(s.cells); i++ {
		c := s.at(i)
		r.Cells = append(r.Cells, Cell{Start: time.Unix(0, c.start).UTC(), Level: c.level, Stats: c.stats()})
	}
	if len(s.cells) > 0 {
		last := s.at(len(s.cells) - 1)
		r.Alert = s.alerting(last.start+window, window, cfg)
	}
	return r
}

func (c *cellRec) stats() Stats {
	f := func(i int) float64 { return float64(c.st[i]) }
	return Stats{
		N: c.n, Invalid: int64(c.invalid),
		Effect: f(stEffect), P: f(stP), Q: f(stQ),
		D: f(stD), KSP: f(stKSP), PSI: f(stPSI), JS: f(stJS), W1Norm: f(stW1), Score: f(stScore),
		P5: f(stP5), P50: f(stP50), P95: f(stP95), Mean: f(stMean), Std: f(stStd), Outside: f(stOutside),
		Approximate: c.flags&flagApprox != 0, Repaired: c.flags&flagRepaired != 0,
	}
}

func (s *series) alerting(t, window int64, cfg *Config) bool {
	run := 0
	for i := len(s.cells) - 1; i >= 0; i-- {
		c := s.at(i)
		if c.start+window > t {
			continue
		}
		if c.level.Heat() < cfg.AlertLevel.Heat() {
			return false
		}
		run++
		if run >= cfg.AlertRun {
			return true
		}
	}
	return false
}

// fmtEdge formats a bin edge compactly.
func fmtEdge(v float64) string {
	return strconv.FormatFloat(v, 'g', 4, 64)
}
