package view

import (
	"math"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// family names the signals of one latency-like distribution: the raw
// histogram scrape mode stores, and the figures a query engine computes in
// its place (quantiles, mean, observations over the window).
type family struct{ hist, quant, mean, obs string }

var (
	famLatency = family{sources.SvcLatency, sources.SvcLatencyQuant, sources.SvcLatencyMean, sources.SvcLatencyObs}
	famTTFT    = family{sources.SvcTTFT, sources.SvcTTFTQuant, sources.SvcTTFTMean, sources.SvcTTFTObs}
	famITL     = family{sources.SvcITL, sources.SvcITLQuant, sources.SvcITLMean, sources.SvcITLObs}
)

// quantiles evaluates a family for a service: the histogram's quantiles
// over the window; without them the engine's figures (basis engine) or an
// exporter's summary quantiles (basis summary, keeping what mean and count
// the histogram-less stack has).
func (x svcIndex) quantiles(st *sources.Store, f family, id svcID, window time.Duration, at time.Time) Quantiles {
	q := quantilesOf(st, x.of(f.hist, id), window, at)
	if q.P50.OK {
		return q
	}
	means, obs := x.of(f.mean, id), x.of(f.obs, id)
	fq := figuresOf(st, x.of(f.quant, id), means, obs, at, 0)
	switch fq.Basis {
	case BasisEngine:
		return fq
	case BasisSummary:
		fq.Mean, fq.Count = q.Mean, q.Count
		return fq
	}
	return q
}

// figureQuantiles reads quantile figures (label quantile) no older than
// hold at at (hold ≤ 0: the store's lookback), the largest where several
// series give one.
func figureQuantiles(st *sources.Store, quants []sources.Series, at time.Time, hold time.Duration) Quantiles {
	return figuresOf(st, quants, nil, nil, at, hold)
}

func figuresOf(st *sources.Store, quants, means, obs []sources.Series, at time.Time, hold time.Duration) Quantiles {
	var q Quantiles
	last := func(key string) (sources.Sample, bool) {
		if hold > 0 {
			return lastWithin(st, key, at, hold)
		}
		return st.Last(key, at)
	}
	for _, s := range quants {
		smp, ok := last(s.Key())
		if !ok {
			continue
		}
		switch s.Label(sources.LabelQuantile) {
		case "0.5":
			q.P50 = maxNum(q.P50, Some(smp.V))
		case "0.95":
			q.P95 = maxNum(q.P95, Some(smp.V))
		case "0.99":
			q.P99 = maxNum(q.P99, Some(smp.V))
		}
	}
	for _, s := range means {
		if smp, ok := last(s.Key()); ok {
			q.Mean = maxNum(q.Mean, Some(smp.V))
		}
	}
	for _, s := range obs {
		if smp, ok := last(s.Key()); ok && !math.IsNaN(smp.V) {
			q.Count = Num{V: q.Count.V + smp.V, OK: true}
		}
	}
	switch {
	case q.Mean.OK || q.Count.OK:
		q.Basis = BasisEngine
	case q.P50.OK || q.P95.OK || q.P99.OK:
		q.Basis = BasisSummary
	}
	return q
}

// errorRateFigures is the error share of the engine's request rates by
// outcome; the outcomes are the rates times the window (the increase over
// it). A stack whose rule produces no error outcome has no error rate (n/a),
// and neither has a window without requests.
func errorRateFigures(st *sources.Store, rates []sources.Series, window time.Duration, at time.Time) (Num, string, map[string]Num) {
	outcomes := map[string]Num{}
	var all, errs float64
	for _, s := range rates {
		smp, ok := st.Last(s.Key(), at)
		if !ok || math.IsNaN(smp.V) {
			continue
		}
		oc := s.Label(sources.LabelOutcome)
		inc := smp.V * window.Seconds()
		outcomes[oc] = Num{V: outcomes[oc].V + inc, OK: true}
		all += smp.V
		if oc == sources.OutcomeError {
			errs += smp.V
		}
	}
	if _, ok := outcomes[sources.OutcomeError]; !ok || all <= 0 {
		return Num{}, BasisEngine, outcomes
	}
	return Some(errs / all), BasisEngine, outcomes
}

// quantileLabel is the quantile label's value for q, as the engine's
// figures and summaries write it.
func quantileLabel(q float64) string { return strconv.FormatFloat(q, 'g', -1, 64) }
