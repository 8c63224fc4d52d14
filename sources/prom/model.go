package prom

import (
	"time"

	dto "github.com/prometheus/client_model/go"
)

// mtype is a family's declared type.
type mtype uint8

const (
	tUntyped mtype = iota
	tGauge
	tCounter
	tHistogram
	tSummary
	tInfo
	tStateset
	tGaugeHistogram
)

func typeOf(s string) mtype {
	switch s {
	case "gauge":
		return tGauge
	case "counter":
		return tCounter
	case "histogram":
		return tHistogram
	case "summary":
		return tSummary
	case "info":
		return tInfo
	case "stateset":
		return tStateset
	case "gaugehistogram", "gauge_histogram":
		return tGaugeHistogram
	}
	return tUntyped
}

// family is one metric family as read from an exposition: a lighter form of
// dto.MetricFamily that the text parser fills without an allocation per field.
type family struct {
	name    string
	typ     mtype
	metrics []*metric
}

type lpair struct{ name, value string }

// metric is one series of a family. Gauges, counters and untyped samples use
// value; histograms hist; summaries summ.
type metric struct {
	labels   []lpair // without le and quantile
	value    float64
	hasValue bool
	hist     *histo
	summ     *summ
	ex       *exemplar // a counter's exemplar
}

type histo struct {
	buckets  []bucket // as read: not yet sorted
	count    float64
	sum      float64
	hasCount bool
	hasSum   bool
	ex       []*exemplar // exemplars not tied to a bucket (native histograms)
}

type bucket struct {
	ub, c float64
	ex    *exemplar
}

type summ struct {
	q          []quant
	count, sum float64
}

type quant struct{ q, v float64 }

type exemplar struct {
	labels []lpair
	value  float64
	at     time.Time // zero when the exposition gave no timestamp
}

// fromDTO converts families decoded by expfmt (OpenMetrics, protobuf).
func fromDTO(in []*dto.MetricFamily) []*family {
	out := make([]*family, 0, len(in))
	for _, mf := range in {
		f := &family{name: mf.GetName(), metrics: make([]*metric, 0, len(mf.Metric))}
		switch mf.GetType() {
		case dto.MetricType_GAUGE:
			f.typ = tGauge
		case dto.MetricType_COUNTER:
			f.typ = tCounter
		case dto.MetricType_HISTOGRAM:
			f.typ = tHistogram
		case dto.MetricType_GAUGE_HISTOGRAM:
			f.typ = tGaugeHistogram
		case dto.MetricType_SUMMARY:
			f.typ = tSummary
		}
		for _, dm := range mf.Metric {
			m := &metric{labels: make([]lpair, 0, len(dm.Label))}
			for _, l := range dm.Label {
				m.labels = append(m.labels, lpair{l.GetName(), l.GetValue()})
			}
			switch {
			case dm.Gauge != nil:
				m.value, m.hasValue = dm.Gauge.GetValue(), true
			case dm.Counter != nil:
				m.value, m.hasValue = dm.Counter.GetValue(), true
				m.ex = exemplarOf(dm.Counter.Exemplar)
			case dm.Untyped != nil:
				m.value, m.hasValue = dm.Untyped.GetValue(), true
			case dm.Histogram != nil:
				h := dm.Histogram
				m.hist = &histo{sum: h.GetSampleSum(), hasSum: true, hasCount: true}
				m.hist.count = h.GetSampleCountFloat()
				if m.hist.count == 0 {
					m.hist.count = float64(h.GetSampleCount())
				}
				for _, b := range h.GetBucket() {
					c := b.GetCumulativeCountFloat()
					if c == 0 {
						c = float64(b.GetCumulativeCount())
					}
					m.hist.buckets = append(m.hist.buckets, bucket{ub: b.GetUpperBound(), c: c, ex: exemplarOf(b.Exemplar)})
				}
				for _, e := range h.GetExemplars() {
					m.hist.ex = append(m.hist.ex, exemplarOf(e))
				}
			case dm.Summary != nil:
				s := dm.Summary
				m.summ = &summ{count: float64(s.GetSampleCount()), sum: s.GetSampleSum()}
				for _, q := range s.GetQuantile() {
					m.summ.q = append(m.summ.q, quant{q.GetQuantile(), q.GetValue()})
				}
			}
			f.metrics = append(f.metrics, m)
		}
		out = append(out, f)
	}
	return out
}

func exemplarOf(e *dto.Exemplar) *exemplar {
	if e == nil {
		return nil
	}
	x := &exemplar{value: e.GetValue()}
	for _, l := range e.GetLabel() {
		x.labels = append(x.labels, lpair{l.GetName(), l.GetValue()})
	}
	if ts := e.GetTimestamp(); ts != nil {
		x.at = ts.AsTime()
	}
	return x
}
