// The differential tests against prometheus/common/expfmt: wherever expfmt
// accepts an exposition, vigil's parser must read the same samples.

package prom

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

func init() { differentialCheck = differential }

// differential holds our parser to expfmt's result wherever expfmt accepts
// the input.
func differential(t *testing.T, body []byte) {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	want, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		return
	}
	got, _, gerr := parseText(body)
	if gerr != nil {
		if conventional(body) {
			t.Fatalf("expfmt accepts, ours fails: %v\ninput: %q", gerr, body)
		}
		return // expfmt's tokenizer has quirks (A""0 is A=0) that vigil need not share
	}
	normaliseHist(got)
	if d := sameFlat(flatOurs(got), flatDTO(want)); d != "" {
		t.Fatalf("differs from expfmt: %s\ninput: %q", d, body)
	}
}

var conventionalLine = regexp.MustCompile(`^[ \t]*(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{(` + lbl + `(,` + lbl + `)*,?)?\})?[ \t]+[-+0-9.eEaINnf]+([ \t]+-?[0-9]+)?[ \t]*)?$`)

const lbl = `[ \t]*[a-zA-Z_][a-zA-Z0-9_]*[ \t]*=[ \t]*"[^"\\]*"[ \t]*`

// conventional reports a body whose every line is a comment or a sample
// written the ordinary way.
func conventional(body []byte) bool {
	for _, ln := range bytes.Split(body, []byte("\n")) {
		if !conventionalLine.Match(bytes.TrimRight(ln, "\r")) {
			return false
		}
	}
	return true
}

func TestParserMatchesExpfmtOnFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.prom")
	if len(files) < 4 {
		t.Fatalf("fixtures missing: %v", files)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		differential(t, b)
		if _, _, err := parseText(b); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestOpenMetricsMatchesExpfmtDecoder compares with expfmt's (slow,
// grammar-checked) OpenMetrics decoder on the OpenMetrics fixture.
func TestOpenMetricsMatchesExpfmtDecoder(t *testing.T) {
	b := readFixture(t, "vllm_openmetrics.txt")
	dec := expfmt.NewDecoder(bytes.NewReader(b), expfmt.FmtOpenMetrics_1_0_0)
	want := map[string]*dto.MetricFamily{}
	for {
		mf := &dto.MetricFamily{}
		if err := dec.Decode(mf); err != nil {
			break
		}
		want[mf.GetName()] = mf
	}
	if len(want) != 3 {
		t.Fatalf("expfmt decoded %d families", len(want))
	}
	got, created, err := parseText(b)
	if err != nil {
		t.Fatal(err)
	}
	if created != 3 {
		t.Errorf("_created samples dropped: %d, want 3", created)
	}
	normaliseHist(got)
	if d := sameFlat(flatOurs(got), flatDTO(want)); d != "" {
		t.Fatal(d)
	}
	for _, f := range got {
		if _, ok := want[f.name]; !ok {
			t.Errorf("family %q not named as expfmt names it", f.name)
		}
	}
}

func flatDTO(fams map[string]*dto.MetricFamily) flat {
	var ours []*family
	for _, mf := range fams {
		ours = append(ours, fromDTO([]*dto.MetricFamily{mf})...)
	}
	return flatOurs(ours)
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
