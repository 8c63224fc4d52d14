package drift

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is how a series is compared with its reference.
type Kind int

const (
	// KindNumeric: raw numeric values. With more than LowCardinality
	// distinct reference values the effect size is KS D; otherwise each
	// value is a bin, and the effect is base-2 JS tested by χ².
	KindNumeric Kind = iota
	// KindCategorical: string values. Effect base-2 JS, test 2×K χ².
	KindCategorical
	// KindHistogram: Prometheus classic histogram snapshots. Effect binned
	// KS D on the bucket bounds, approximate KS p-value.
	KindHistogram
)

// String returns "numeric", "categorical" or "histogram".
func (k Kind) String() string {
	switch k {
	case KindNumeric:
		return "numeric"
	case KindCategorical:
		return "categorical"
	case KindHistogram:
		return "histogram"
	}
	return "unknown"
}

// LowCardinality is the largest number of distinct reference values for which
// a numeric series is binned by value instead of tested with KS (Evidently's
// cut).
const LowCardinality = 20

// Level is the state of one heat cell. Levels None..High are the heat scale;
// the others are special states that carry no colour.
type Level uint8

const (
	// LevelNoData: the window had no observations of the series.
	LevelNoData Level = iota
	// LevelBaselining: the reference is still being collected.
	LevelBaselining
	// LevelInsufficient: fewer than Config.MinCount values in the window.
	LevelInsufficient
	// LevelNone: the difference is not significant after BH adjustment
	// across the column (heat 0).
	LevelNone
	// LevelTiny: significant, effect < 0.05 (heat 1).
	LevelTiny
	// LevelSmall: significant, 0.05 ≤ effect < 0.10 (heat 2).
	LevelSmall
	// LevelModerate: significant, 0.10 ≤ effect < 0.20 (heat 3, about PSI
	// 0.1–0.25).
	LevelModerate
	// LevelHigh: significant, effect ≥ 0.20 (heat 4, about PSI > 0.25, a
	// shift of 0.5σ or more).
	LevelHigh
	// LevelReset: a histogram counter reset inside the window; the window
	// is under-counted, so it is not coloured (stats are still computed).
	LevelReset
	// LevelLayoutChanged: the histogram's bucket layout changed; the
	// reference is rebuilt on the new layout.
	LevelLayoutChanged
)

var levelNames = [...]string{"no-data", "baselining", "insufficient", "none", "tiny", "small", "moderate", "high", "reset", "layout-changed"}

// String returns a short lowercase name such as "moderate" or "reset".
func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "unknown"
}

// Heat returns 0..4 for LevelNone..LevelHigh and −1 for special states.
func (l Level) Heat() int {
	if l >= LevelNone && l <= LevelHigh {
		return int(l - LevelNone)
	}
	return -1
}

// levelFor maps an effect size to a level, assuming significance.
func levelFor(effect float64) Level {
	switch {
	case effect >= 0.20:
		return LevelHigh
	case effect >= 0.10:
		return LevelModerate
	case effect >= 0.05:
		return LevelSmall
	}
	return LevelTiny
}

// ReferenceMode selects how a series' reference is chosen.
type ReferenceMode int

const (
	// Pinned: the first Config.Baseline of a series, extended until at
	// least Config.MinReference values; then frozen until Repin.
	Pinned ReferenceMode = iota
	// Trailing: the windows in [start − TrailingLag − TrailingLength,
	// start − TrailingLag) of each cell, rebuilt at every column.
	Trailing
)

// String returns "pinned" or "trailing".
func (m ReferenceMode) String() string {
	if m == Trailing {
		return "trailing"
	}
	return "pinned"
}

// Config holds a Monitor's settings. Zero fields take the values of
// DefaultConfig.
type Config struct {
	// Cell is the length of a heat cell (tumbling windows aligned to
	// multiples of Cell since the Unix epoch). Default 1 minute.
	Cell time.Duration
	// Columns is how many closed cells each row keeps. Default 240.
	Columns int
	// Mode is the reference mode. Default Pinned.
	Mode ReferenceMode
	// Baseline is how long a pinned reference collects after a series is
	// first seen. Default 15 minutes.
	Baseline time.Duration
	// MinReference is the fewest values (histogram observations) a
	// reference needs before it is pinned. Default 1000.
	MinReference int
	// MaxReference caps the raw reference sample (a reservoir). Default
	// 10 000, 80 kB. In Trailing mode it caps the values kept for the
	// whole ring of windows (length plus lag), spread evenly over them.
	MaxReference int
	// TrailingLength and TrailingLag define the trailing reference.
	// Defaults 1 hour and 10 minutes.
	TrailingLength, TrailingLag time.Duration
	// CellSample caps the raw values a window keeps for KS and W1.
	// Default 1024.
	CellSample int
	// MinCount is the fewest values a cell needs to be scored. Default 30.
	MinCount int
	// FDR is the Benjamini–Hochberg false discovery rate used across each
	// column. Default 0.05.
	FDR float64
	// AlertLevel and AlertRun: a feature is in alert when its last
	// AlertRun cells are all at AlertLevel or above. Defaults
	// LevelModerate and 3.
	AlertLevel Level
	AlertRun   int
	// MaxCategories caps the reference categories kept as bins; the rest
	// share an "(other)" bin. Default 30.
	MaxCategories int
	// Lateness: an observation up to this much older than the open window
	// (from a source that lags the others) is counted in the open window;
	// older ones are dropped and counted in Row.Late. Default 30 seconds;
	// negative means none.
	Lateness time.Duration
	// Seed seeds the reservoirs, for reproducible runs.
	Seed uint64
}

// DefaultConfig returns the settings of docs/drift.md §3, with one-minute
// windows.
func DefaultConfig() Config {
	return Config{
		Cell:           time.Minute,
		Columns:        240,
		Mode:           Pinned,
		Baseline:       15 * time.Minute,
		MinReference:   1000,
		MaxReference:   10000,
		TrailingLength: time.Hour,
		TrailingLag:    10 * time.Minute,
		CellSample:     1024,
		MinCount:       30,
		FDR:            0.05,
		AlertLevel:     LevelModerate,
		AlertRun:       3,
		MaxCategories:  30,
		Lateness:       30 * time.Second,
	}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Cell <= 0 {
		c.Cell = d.Cell
	}
	if c.Columns <= 0 {
		c.Columns = d.Columns
	}
	if c.Baseline <= 0 {
		c.Baseline = d.Baseline
	}
	if c.MinReference <= 0 {
		c.MinReference = d.MinReference
	}
	if c.MaxReference <= 0 {
		c.MaxReference = d.MaxReference
	}
	if c.TrailingLength <= 0 {
		c.TrailingLength = d.TrailingLength
	}
	if c.TrailingLag < 0 {
		c.TrailingLag = 0
	}
	if c.CellSample <= 0 {
		c.CellSample = d.CellSample
	}
	if c.MinCount <= 0 {
		c.MinCount = d.MinCount
	}
	if !(c.FDR > 0 && c.FDR < 1) {
		c.FDR = d.FDR
	}
	if c.AlertLevel == LevelNoData {
		c.AlertLevel = d.AlertLevel
	}
	if c.AlertRun <= 0 {
		c.AlertRun = d.AlertRun
	}
	if c.MaxCategories <= 0 {
		c.MaxCategories = d.MaxCategories
	}
	switch {
	case c.Lateness == 0:
		c.Lateness = d.Lateness
	case c.Lateness < 0:
		c.Lateness = 0
	}
	return c
}

// Stats are the statistics of one cell against its reference. Fields that do
// not apply to the series' kind are NaN.
type Stats struct {
	// N is the number of valid observations in the window; Invalid counts
	// NaN and ±Inf values, which are not used.
	N, Invalid int64
	// Effect is the effect size that sets the level: KS D (numeric),
	// base-2 JS distance (categorical, low-cardinality numeric) or binned
	// KS D (histogram). 0..1.
	Effect float64
	// P is the p-value of the significance test; Q is P adjusted with
	// Benjamini–Hochberg across the column's scored cells.
	P, Q float64
	// D and KSP are the two-sided KS statistic and its p-value. For
	// numeric series they compare the window's sample (at most
	// Config.CellSample values) with the reference sample; KSP is exact
	// (to about 1e-24) when both sizes are at most ExactMaxN, as
	// KSPValue chooses, and asymptotic for histograms (binned data).
	D, KSP float64
	// PSI is the population stability index on the reference bins with
	// +0.5 pseudo-counts; JS the base-2 Jensen–Shannon distance on the
	// same bins.
	PSI, JS float64
	// W1Norm is Wasserstein-1 divided by the reference standard deviation
	// (numeric and histogram).
	W1Norm float64
	// Score is D divided by the critical D at α = 0.05 for these sample
	// sizes: how far above the noise floor the cell sits.
	Score float64
	// P5, P50, P95, Mean and Std describe the window's values (numeric
	// and histogram; histogram quantiles by histogram_quantile's rule).
	// Closed cells keep statistics in single precision, about 7
	// significant digits.
	P5, P50, P95, Mean, Std float64
	// Outside is the share of the window's values outside the reference
	// range [min, max] (numeric).
	Outside float64
	// Approximate marks statistics computed on histogram buckets.
	Approximate bool
	// Repaired reports that a histogram scrape had to be made monotone.
	Repaired bool
}

// Cell is one window of one row.
type Cell struct {
	// Start is the window start; the window is [Start, Start+Window).
	Start time.Time
	Level Level
	Stats Stats
}

// ReferenceInfo describes a row's reference.
type ReferenceInfo struct {
	Mode ReferenceMode
	// Ready reports whether the reference is complete: pinned, or a
	// trailing range holding at least MinReference values (or at least
	// MinCount once the series is older than the range).
	Ready bool
	// N is how many values the reference was built from (for a pinned
	// reference still baselining, how many have arrived: "baselining
	// N/MinReference").
	N int64
	// Since is when the reference was pinned; zero while baselining and
	// in trailing mode.
	Since time.Time
	// Until is, for a pinned reference still baselining, the end of the
	// cell at which Config.Baseline will have passed: the reference is
	// pinned then if N has reached MinReference. Zero otherwise.
	Until time.Time
}

// Row is one series' heat row.
type Row struct {
	Feature string
	Kind    Kind
	// LowCardinality reports a numeric series binned by value.
	LowCardinality bool
	Reference      ReferenceInfo
	// Cells are the closed cells, oldest first, one per column since the
	// series was first seen (at most Config.Columns).
	Cells []Cell
	// Alert reports persistent drift at the last closed column (see
	// Monitor.Alerting).
	Alert bool
	// Late counts observations dropped because their window had closed.
	Late int64
}

// Monitor turns timestamped observations of many series into heat rows. It
// never reads the clock: windows close when an observation or Advance call
// carries a time at or past their end. A Monitor is safe for concurrent use.
//
// Memory per numeric series is about 8·MaxReference bytes for the reference
// sample, 8·CellSample bytes for the open window, and 96 bytes plus 4 bytes
// per bin for each of the Columns closed cells: about 125 kB with the
// defaults at steady state (measured by TestMemoryPerSeries). While a pinned
// reference is baselining, its reservoir takes the place of the sample. In
// Trailing mode a series keeps 8·MaxReference bytes of window subsamples plus
// about 70 bytes per cell for the reference it was scored against: about
// 160 kB with the defaults, under 128 kB with MaxReference 5000. Each column
// also re-sorts
// every trailing reference, O(MaxReference·log) per series.
type Monitor struct {
	mu sync.Mutex
	// closing is set while a column's p-values are computed with mu
	// released; changes wait on idle until it is clear, readers do not.
	closing   bool
	idle      sync.Cond
	cfg       Config
	cell      int64 // nanoseconds
	openStart int64 // start of the open column, valid if started
	started   bool
	series    map[string]*series
	names     []string // sorted
	seeds     uint64
	buf       []float64 // scratch for trailing references
	closed    int64     // columns closed so far
}

// NewMonitor returns a Monitor with the given settings (zero fields take
// defaults).
func NewMonitor(cfg Config) *Monitor {
	cfg = cfg.withDefaults()
	m := &Monitor{cfg: cfg, cell: int64(cfg.Cell), series: map[string]*series{}}
	m.idle.L = &m.mu
	return m
}

// lock takes the monitor's lock for a change, waiting for a column close
// that computes p-values without the lock to finish. Readers take mu
// directly: they see the state before the column closes.
func (m *Monitor) lock() {
	m.mu.Lock()
	for m.closing {
		m.idle.Wait()
	}
}

// Config returns the settings in use, defaults filled in.
func (m *Monitor) Config() Config { return m.cfg }

// ErrTrailing is returned by Repin and the SetReference family in Trailing
// mode, where the reference follows time by itself.
var ErrTrailing = errors.New("drift: the reference is trailing, not pinned")

// ErrKindMismatch is returned when a feature is fed or configured as a kind
// other than the one it was created with.
var ErrKindMismatch = errors.New("drift: feature already has another kind")

// ObserveValue records a numeric value of feature at time at. NaN and ±Inf
// count as invalid. A time at or past the open window's end first closes the
// windows in between (see Advance), so feed observations roughly in time
// order: one up to Config.Lateness older than the open window is counted in
// it, an older one is dropped and counted as late. It returns ErrKindMismatch
// if feature is not numeric.
func (m *Monitor) ObserveValue(feature string, at time.Time, v float64) error {
	m.lock()
	defer m.mu.Unlock()
	s, err := m.prepare(feature, KindNumeric, at)
	if s == nil {
		return err
	}
	s.addValue(v, &m.cfg)
	return nil
}

// ObserveCategory records a categorical value of feature at time at, with the
// same windowing rules as ObserveValue.
func (m *Monitor) ObserveCategory(feature string, at time.Time, c string) error {
	m.lock()
	defer m.mu.Unlock()
	s, err := m.prepare(feature, KindCategorical, at)
	if s == nil {
		return err
	}
	s.addCategory(c, &m.cfg)
	return nil
}

// ObserveHistogram records a scrape of a Prometheus classic histogram taken at
// time at: bounds ascending with +Inf last, cumulative counts. The window's
// distribution is the sum of deltas between consecutive scrapes, with counter
// resets and layout changes detected (see Delta); the first scrape of a
// series only sets the starting point. Slices are copied. It returns an error
// for a malformed scrape or a kind mismatch.
func (m *Monitor) ObserveHistogram(feature string, at time.Time, bounds, cumulative []float64) error {
	if !CheckHistogram(bounds, cumulative) {
		return fmt.Errorf("drift: %s: malformed histogram scrape", feature)
	}
	m.lock()
	defer m.mu.Unlock()
	s, err := m.prepare(feature, KindHistogram, at)
	if s == nil {
		return err
	}
	s.addHistogram(bounds, cumulative)
	return nil
}

// Advance closes every window that ends at or before now, scoring one column
// per window across all series. Calling it with an earlier time is a no-op.
func (m *Monitor) Advance(now time.Time) {
	m.lock()
	defer m.mu.Unlock()
	m.advance(now.UnixNano())
}

func (m *Monitor) colStart(t int64) int64 {
	return floorDiv(t, m.cell) * m.cell
}

func (m *Monitor) advance(now int64) {
	if !m.started {
		return
	}
	target := m.colStart(now)
	if target <= m.openStart {
		return
	}
	// After a long gap, empty columns beyond what a row keeps are skipped.
	if gap := (target - m.openStart) / m.cell; gap > int64(m.cfg.Columns)+1 {
		m.closeColumn()
		m.openStart = target - int64(m.cfg.Columns)*m.cell
	}
	for m.openStart < target {
		m.closeColumn()
		m.openStart += m.cell
	}
}

// prepare advances the clock to at and returns the feature's series,
// creating it. It returns nil and an error for a kind mismatch, and nil, nil
// for a late observation.
func (m *Monitor) prepare(feature string, kind Kind, at time.Time) (*series, error) {
	t := at.UnixNano()
	if !m.started {
		m.started = true
		m.openStart = m.colStart(t)
	}
	m.advance(t)
	s := m.series[feature]
	if s == nil {
		s = m.newSeries(feature, kind)
	}
	if s.kind != kind {
		return nil, fmt.Errorf("%w: %s is %s", ErrKindMismatch, feature, s.kind)
	}
	if t < m.openStart-int64(m.cfg.Lateness) {
		s.late++
		return nil, nil
	}
	if s.firstSeen < 0 {
		s.firstSeen = m.openStart
		if s.ref == nil {
			s.baseStart = m.openStart
		}
	}
	return s, nil
}

func (m *Monitor) newSeries(feature string, kind Kind) *series {
	m.seeds++
	s := newSeries(feature, kind, &m.cfg, m.cfg.Seed+m.seeds*0x9e3779b97f4a7c15)
	s.firstCol = m.openStart
	m.series[feature] = s
	i, _ := slices.BinarySearch(m.names, feature)
	m.names = slices.Insert(m.names, i, feature)
	return s
}

// closeColumn scores the open column for every series, adjusts p-values
// across the column and appends one cell to each row.
func (m *Monitor) closeColumn() {
	start := m.openStart
	end := start + m.cell
	recs := make([]cellRec, len(m.names))
	list := make([]*series, len(m.names))
	for i, name := range m.names {
		list[i] = m.series[name]
	}
	// Series are independent until the adjustment, so large columns are
	// scored by a few goroutines; each touches only its own series.
	workers := min(runtime.GOMAXPROCS(0), 4, len(list)/32)
	if workers > 1 {
		var wg sync.WaitGroup
		chunk := (len(list) + workers - 1) / workers
		for lo := 0; lo < len(list); lo += chunk {
			hi := min(lo+chunk, len(list))
			wg.Go(func() {
				var buf []float64
				for i := lo; i < hi; i++ {
					recs[i] = list[i].close(start, end, &m.cfg, &buf)
				}
			})
		}
		wg.Wait()
	} else {
		for i, s := range list {
			recs[i] = s.close(start, end, &m.cfg, &m.buf)
		}
	}
	m.pValues(recs, list)
	var ps []float64
	var idx []int
	for i := range list {
		if recs[i].level == levelPending {
			ps = append(ps, float64(recs[i].st[stP]))
			idx = append(idx, i)
		}
	}
	q := BenjaminiHochberg(ps)
	for k, i := range idx {
		r := &recs[i]
		r.st[stQ] = float32(q[k])
		if q[k] <= m.cfg.FDR {
			r.level = levelFor(float64(r.st[stEffect]))
		} else {
			r.level = LevelNone
		}
	}
	for i, s := range list {
		s.push(recs[i], &m.cfg)
	}
	m.closed++
}

// pValues computes the KS p-values the column's cells left pending (the
// exact lattice computation is the costly part of a close: about 1 ms per
// cell at 10 000 × 1 024), in parallel and with the lock released, so that
// the panes reading rows never wait for it. Changes wait (see lock).
func (m *Monitor) pValues(recs []cellRec, list []*series) {
	var jobs []int
	for i, s := range list {
		if s.pend.n > 0 {
			jobs = append(jobs, i)
		}
	}
	if len(jobs) == 0 {
		return
	}
	ps := make([]float64, len(jobs))
	m.closing = true
	m.mu.Unlock()
	workers := min(runtime.GOMAXPROCS(0), 4, len(jobs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				k := int(next.Add(1)) - 1
				if k >= len(jobs) {
					return
				}
				ps[k] = list[jobs[k]].pend.run()
			}
		})
	}
	wg.Wait()
	m.mu.Lock()
	m.closing = false
	m.idle.Broadcast()
	for k, i := range jobs {
		list[i].pend.finish(&recs[i], ps[k])
		list[i].pend = pJob{}
	}
}

// Repin re-pins feature's reference to the current (open) window: that window
// is still scored against the old reference when it closes, and then its
// values (its sample of at most Config.CellSample raw values, its category or
// bucket counts) become the reference. If it holds fewer than Config.MinCount
// values a fresh baseline starts instead. It returns an error if the feature
// is unknown.
func (m *Monitor) Repin(feature string) error {
	m.lock()
	defer m.mu.Unlock()
	s := m.series[feature]
	if s == nil {
		return fmt.Errorf("drift: unknown feature %q", feature)
	}
	if m.cfg.Mode != Pinned {
		return ErrTrailing
	}
	s.repin = true
	return nil
}

// SetReference pins feature's reference to the numeric values (NaN and ±Inf
// are ignored; at most MaxReference are kept by reservoir sampling), creating
// the feature if needed. It returns an error for a kind mismatch or fewer than
// Config.MinCount valid values.
func (m *Monitor) SetReference(feature string, values []float64) error {
	m.lock()
	defer m.mu.Unlock()
	s, err := m.lookup(feature, KindNumeric)
	if err != nil {
		return err
	}
	r := NewReservoir(m.cfg.MaxReference, m.cfg.Seed^0x5851f42d4c957f2d)
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			r.Add(v)
		}
	}
	if r.Len() < m.cfg.MinCount {
		return fmt.Errorf("drift: %s: reference has %d valid values, need %d", feature, r.Len(), m.cfg.MinCount)
	}
	s.pinNumeric(r.Values(), r.Seen(), m.refTime(), &m.cfg)
	return nil
}

// SetCategoricalReference pins feature's reference to the categories in
// values, creating the feature if needed. Errors as SetReference.
func (m *Monitor) SetCategoricalReference(feature string, values []string) error {
	m.lock()
	defer m.mu.Unlock()
	s, err := m.lookup(feature, KindCategorical)
	if err != nil {
		return err
	}
	if len(values) < m.cfg.MinCount {
		return fmt.Errorf("drift: %s: reference has %d values, need %d", feature, len(values), m.cfg.MinCount)
	}
	counts := map[string]int64{}
	for _, v := range values {
		counts[v]++
	}
	s.pinCategorical(counts, m.refTime(), &m.cfg)
	return nil
}

// SetCategoricalCounts pins feature's reference to category counts, as
// returned in ReferenceData.Categories, creating the feature if needed.
// Errors as SetReference; negative counts are an error.
func (m *Monitor) SetCategoricalCounts(feature string, counts []CategoryCount) error {
	m.lock()
	defer m.mu.Unlock()
	s, err := m.lookup(feature, KindCategorical)
	if err != nil {
		return err
	}
	c := map[string]int64{}
	var n int64
	for _, cc := range counts {
		if cc.Count < 0 {
			return fmt.Errorf("drift: %s: negative count for %q", feature, cc.Name)
		}
		c[cc.Name] += cc.Count
		n += cc.Count
	}
	if n < int64(m.cfg.MinCount) {
		return fmt.Errorf("drift: %s: reference has %d values, need %d", feature, n, m.cfg.MinCount)
	}
	s.pinCategorical(c, m.refTime(), &m.cfg)
	return nil
}

// ReferenceData is a copy of a feature's current reference, enough to load it
// again (after a restart, say) with SetReference, SetCategoricalCounts or
// SetHistogramReference.
type ReferenceData struct {
	Kind Kind
	// N is how many values the reference was built from.
	N int64
	// Values is a numeric reference's sample, sorted (at most
	// Config.MaxReference values).
	Values []float64
	// Categories are a categorical reference's bins with their counts,
	// OtherCategory holding the categories beyond Config.MaxCategories.
	Categories []CategoryCount
	// Bounds and Counts are a histogram reference's layout and per-bucket
	// counts.
	Bounds, Counts []float64
}

// Reference returns a copy of feature's pinned reference. It returns false if
// the feature is unknown, still baselining, or trailing (whose reference is
// rebuilt at every column).
func (m *Monitor) Reference(feature string) (ReferenceData, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[feature]
	if s == nil || s.ref == nil || m.cfg.Mode != Pinned {
		return ReferenceData{}, false
	}
	r := s.ref
	d := ReferenceData{Kind: s.kind, N: r.n}
	switch s.kind {
	case KindNumeric:
		d.Values = slices.Clone(s.refSorted)
	case KindCategorical:
		for i, name := range r.cats {
			if r.bins[i] > 0 {
				d.Categories = append(d.Categories, CategoryCount{Name: name, Count: int64(r.bins[i])})
			}
		}
	case KindHistogram:
		d.Bounds, d.Counts = slices.Clone(r.bounds), slices.Clone(r.hist)
	}
	return d, true
}

// SetHistogramReference pins feature's reference to a histogram given as
// bounds (ascending, +Inf last) and per-bucket (not cumulative) counts,
// creating the feature if needed. Errors as SetReference.
func (m *Monitor) SetHistogramReference(feature string, bounds, counts []float64) error {
	m.lock()
	defer m.mu.Unlock()
	s, err := m.lookup(feature, KindHistogram)
	if err != nil {
		return err
	}
	cum := make([]float64, len(counts))
	var run float64
	for i, c := range counts {
		run += c
		cum[min(i, len(cum)-1)] = run
	}
	if !CheckHistogram(bounds, cum) {
		return fmt.Errorf("drift: %s: malformed reference histogram", feature)
	}
	if run < float64(m.cfg.MinCount) {
		return fmt.Errorf("drift: %s: reference has %g observations, need %d", feature, run, m.cfg.MinCount)
	}
	s.pinHistogram(bounds, counts, m.refTime(), &m.cfg)
	return nil
}

// noTime marks a reference loaded before the first observation.
const noTime = math.MinInt64

// refTime is the pin time of a loaded reference: the open window's start.
func (m *Monitor) refTime() int64 {
	if !m.started {
		return noTime
	}
	return m.openStart
}

func (m *Monitor) lookup(feature string, kind Kind) (*series, error) {
	if m.cfg.Mode != Pinned {
		return nil, ErrTrailing
	}
	s := m.series[feature]
	if s == nil {
		s = m.newSeries(feature, kind)
	}
	if s.kind != kind {
		return nil, fmt.Errorf("%w: %s is %s", ErrKindMismatch, feature, s.kind)
	}
	return s, nil
}

// Rows returns every series' row, sorted by feature name, with all its
// cells. A pane that shows only the latest cells should use Tail.
func (m *Monitor) Rows() []Row {
	return m.Tail(m.cfg.Columns)
}

// Tail returns every series' row, sorted by feature name, with at most its
// last n cells: what a pane n cells wide draws.
func (m *Monitor) Tail(n int) []Row {
	m.mu.Lock()
	defer m.mu.Unlock()
	rows := make([]Row, 0, len(m.names))
	for _, name := range m.names {
		rows = append(rows, m.series[name].row(&m.cfg, m.cell, n))
	}
	return rows
}

// LastClosed returns the end of the last closed column (zero before the
// first): rows change only when it does, so a pane can skip re-reading them.
func (m *Monitor) LastClosed() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.started || m.closed == 0 {
		return time.Time{}
	}
	return time.Unix(0, m.openStart).UTC()
}

// Row returns one feature's row.
func (m *Monitor) Row(feature string) (Row, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[feature]
	if s == nil {
		return Row{}, false
	}
	return s.row(&m.cfg, m.cell, m.cfg.Columns), true
}

// Alerting returns, sorted, the features in drift alert at time at: those
// whose last Config.AlertRun cells ending at or before at are all at
// Config.AlertLevel or above. A single hot cell never alerts.
func (m *Monitor) Alerting(at time.Time) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := at.UnixNano()
	var out []string
	for _, name := range m.names {
		if m.series[name].alerting(t, m.cell, &m.cfg) {
			out = append(out, name)
		}
	}
	return out
}

// Detail explains the cell of feature whose window starts at start (any time
// inside the window selects it). It returns false if there is no such closed
// cell.
func (m *Monitor) Detail(feature string, start time.Time) (Detail, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.series[feature]
	if s == nil {
		return Detail{}, false
	}
	return s.detail(m.colStart(start.UnixNano()), m.cell, &m.cfg)
}

// sortFloat64s sorts in place; callers never pass NaN.
func sortFloat64s(x []float64) { Sort(x) }

// binIndex returns the bin of v for interior edges: bin k holds
// (edges[k−1], edges[k]].
func binIndex(edges []float64, v float64) int {
	return sort.SearchFloat64s(edges, v)
}
