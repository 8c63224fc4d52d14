package prom

import "time"

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
