package view

import (
	"math"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// FinalLag is how far behind the store's newest sample a column must end
// before its figures are taken as final and kept (late scrapes of slower
// sources land within it).
const FinalLag = 30 * time.Second

// FigureHold is the least time a figure sample (an engine's p99, rate or
// ratio, stamped at the end of the window it covers) stands for: a chart
// column narrower than the poll interval shows the newest figure no older
// than this, or the column's width when that is longer.
const FigureHold = 30 * time.Second

// maxCachedCols bounds the column cache.
const maxCachedCols = 100_000

type colKey struct {
	svc string
	sig string
	end int64
}

// Columns computes the figures of a chart's columns — latency quantiles and
// error ratios of a service, one value per column of an Axis — from raw
// series (histogram deltas and counter increases over a window before each
// column's end) or from figures an engine computed (the newest figure in
// the column), and keeps the columns that can no longer change, so a live
// refresh recomputes only the newest ones. The zero value is ready to use;
// a Columns is not safe for concurrent use.
type Columns struct {
	m       map[colKey][3]float64
	win     time.Duration
	newest  time.Time
	backGen uint64
}

// sync resets the cache when the column window changed, the store went back
// in time (a replay seek) or history was merged into it, and returns the
// newest final column end.
func (c *Columns) sync(st *sources.Store, win time.Duration) time.Time {
	newest, bg := st.Newest(), st.BackfillGeneration()
	if c.m == nil || win != c.win || newest.Before(c.newest) || bg != c.backGen || len(c.m) > maxCachedCols {
		c.m = map[colKey][3]float64{}
		c.win = win
		c.backGen = bg
	}
	c.newest = newest
	return newest.Add(-FinalLag)
}

// Cached is how many closed columns the cache holds.
func (c *Columns) Cached() int { return len(c.m) }

// quantFigures maps a latency-like histogram signal to the engine's
// quantile figure of the same family.
var quantFigures = map[string]string{
	sources.SvcLatency: sources.SvcLatencyQuant,
	sources.SvcTTFT:    sources.SvcTTFTQuant,
	sources.SvcITL:     sources.SvcITLQuant,
}

// Quantiles returns the p50, p95 and p99 of histogram signal hist
// (sources.SvcLatency, SvcTTFT or SvcITL) of service s per column of ax, in
// seconds (NaN: no data): from the service's histograms over win before each
// column's end, or, without histograms, the engine's quantile figures. With
// skipLast the still-filling newest column is left NaN (low bandwidth).
func (c *Columns) Quantiles(st *sources.Store, s Service, hist string, ax Axis, win time.Duration, skipLast bool) (p50, p95, p99 []float64) {
	cols := ax.N
	sk := s.Key()
	match := s.Match()
	keys := st.Select(hist, match...)
	var figs []sources.Series
	if len(keys) == 0 {
		figs = st.Select(quantFigures[hist], match...)
	}
	p50, p95, p99 = make([]float64, cols), make([]float64, cols), make([]float64, cols)
	final := c.sync(st, win)
	ck := colKey{svc: sk, sig: hist}
	hold := max(ax.Step, FigureHold)
	for i := 0; i < cols; i++ {
		p50[i], p95[i], p99[i] = math.NaN(), math.NaN(), math.NaN()
		if skipLast && i == cols-1 && cols > 1 {
			continue
		}
		at := ax.At(i)
		ck.end = at.UnixNano()
		if q, ok := c.m[ck]; ok {
			p50[i], p95[i], p99[i] = q[0], q[1], q[2]
			continue
		}
		if len(keys) > 0 {
			var sum sources.HistDelta
			for _, k := range keys {
				if d, ok := st.HistogramDelta(k.Key(), win, at); ok && !d.Lifetime {
					sum.Merge(d)
				}
			}
			if sum.Bounds != nil && sum.Count > 0 {
				p50[i], p95[i], p99[i] = sum.Quantile(0.5), sum.Quantile(0.95), sum.Quantile(0.99)
			}
		} else if len(figs) > 0 {
			q := figureQuantiles(st, figs, at, hold)
			p50[i], p95[i], p99[i] = numOr(q.P50), numOr(q.P95), numOr(q.P99)
		}
		if !at.After(final) {
			c.m[ck] = [3]float64{p50[i], p95[i], p99[i]}
		}
	}
	return p50, p95, p99
}

// ErrorRatio returns service s's error ratio per column of ax (errors / all
// requests; NaN without requests): from its request counters' increases
// over win before each column's end or, without counters, the engine's
// request-rate figures by outcome. skipLast as for Quantiles.
func (c *Columns) ErrorRatio(st *sources.Store, s Service, ax Axis, win time.Duration, skipLast bool) []float64 {
	cols := ax.N
	match := s.Match()
	reqs := st.Select(sources.SvcRequests, match...)
	var rates []sources.Series
	if len(reqs) == 0 {
		rates = st.Select(sources.SvcRequestRate, match...)
	}
	out := make([]float64, cols)
	final := c.sync(st, win)
	ck := colKey{svc: s.Key(), sig: sources.SvcRequests}
	hold := max(ax.Step, FigureHold)
	for i := 0; i < cols; i++ {
		out[i] = math.NaN()
		if skipLast && i == cols-1 && cols > 1 {
			continue
		}
		at := ax.At(i)
		ck.end = at.UnixNano()
		if v, ok := c.m[ck]; ok {
			out[i] = v[0]
			continue
		}
		if len(reqs) > 0 {
			out[i] = counterRatio(st, reqs, win, at)
		} else if len(rates) > 0 {
			out[i] = numOr(rateRatio(st, rates, at, hold))
		}
		if !at.After(final) {
			c.m[ck] = [3]float64{out[i]}
		}
	}
	return out
}

// counterRatio is errors / all over the request counters' increases in
// (at-win, at]; NaN when no counter has two samples or nothing was counted.
func counterRatio(st *sources.Store, reqs []sources.Series, win time.Duration, at time.Time) float64 {
	var all, errs float64
	any := false
	for _, r := range reqs {
		inc, _, ok := st.Increase(r.Key(), win, at)
		if !ok {
			continue
		}
		any = true
		all += inc
		if r.Label(sources.LabelOutcome) == sources.OutcomeError {
			errs += inc
		}
	}
	if !any || all <= 0 {
		return math.NaN()
	}
	return errs / all
}

// rateRatio is the error share of request-rate figures no older than hold
// at at; n/a without an error outcome or without requests.
func rateRatio(st *sources.Store, rates []sources.Series, at time.Time, hold time.Duration) Num {
	var all, errs float64
	any, hasErr := false, false
	for _, r := range rates {
		smp, ok := lastWithin(st, r.Key(), at, hold)
		if !ok || math.IsNaN(smp.V) {
			continue
		}
		any = true
		all += smp.V
		if r.Label(sources.LabelOutcome) == sources.OutcomeError {
			hasErr = true
			errs += smp.V
		}
	}
	if !any || !hasErr || all <= 0 {
		return Num{}
	}
	return Some(errs / all)
}

// QuantilesAt is the distribution of histogram signal hist of service s
// over win before at: from its histograms (a lifetime distribution says
// nothing about one moment: n/a), else the engine's figures no older than
// win (at least FigureHold).
func QuantilesAt(st *sources.Store, s Service, hist string, win time.Duration, at time.Time) Quantiles {
	match := s.Match()
	if keys := st.Select(hist, match...); len(keys) > 0 {
		q := quantilesOf(st, keys, win, at)
		if q.Basis == BasisLifetime {
			return Quantiles{}
		}
		return q
	}
	return figureQuantiles(st, st.Select(quantFigures[hist], match...), at, max(win, FigureHold))
}

// RequestRateAt is service s's requests per second at at: its counters'
// rates over win, else the engine's request-rate figures no older than win
// (at least FigureHold).
func RequestRateAt(st *sources.Store, s Service, win time.Duration, at time.Time) Num {
	match := s.Match()
	if reqs := st.Select(sources.SvcRequests, match...); len(reqs) > 0 {
		return sumRate(st, reqs, win, at)
	}
	var out Num
	for _, r := range st.Select(sources.SvcRequestRate, match...) {
		if smp, ok := lastWithin(st, r.Key(), at, max(win, FigureHold)); ok && !math.IsNaN(smp.V) {
			out = Num{V: out.V + smp.V, OK: true}
		}
	}
	return out
}

// ErrorRatioAt is service s's error ratio at at, as a column of ErrorRatio
// ending there computes it.
func ErrorRatioAt(st *sources.Store, s Service, win time.Duration, at time.Time) Num {
	match := s.Match()
	if reqs := st.Select(sources.SvcRequests, match...); len(reqs) > 0 {
		return Some(counterRatio(st, reqs, win, at))
	}
	return rateRatio(st, st.Select(sources.SvcRequestRate, match...), at, max(win, FigureHold))
}

// lastWithin is the newest sample of key at or before at, no older than hold.
func lastWithin(st *sources.Store, key string, at time.Time, hold time.Duration) (sources.Sample, bool) {
	smp, ok := st.Last(key, at)
	if !ok || at.UnixNano()-smp.T > int64(hold) {
		return sources.Sample{}, false
	}
	return smp, true
}

func numOr(n Num) float64 {
	if !n.OK {
		return math.NaN()
	}
	return n.V
}
