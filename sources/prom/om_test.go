package prom

import (
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

const omCT = "application/openmetrics-text; version=1.0.0; charset=utf-8"

func TestOpenMetricsExemplars(t *testing.T) {
	b := readFixture(t, "vllm_openmetrics.txt")
	for _, ct := range []string{omCT, ""} { // by header, and sniffed from "# EOF"
		fr, stats, err := Parse(b, ct, Target{URL: "http://127.0.0.1:8000/metrics"}, t0)
		if err != nil {
			t.Fatalf("ct %q: %v", ct, err)
		}
		if stats.Format != "openmetrics" {
			t.Errorf("ct %q: format %q", ct, stats.Format)
		}
		st := sources.NewStore(sources.StoreOptions{})
		st.Ingest(fr)
		sv := oneService(t, view.Evaluate(st, t0, view.Options{}))
		near(t, "error rate", sv.ErrorRate, 0.1)
		near(t, "latency count", sv.Latency.Count, 100)
		near(t, "p50", sv.Latency.P50, 0.875)
		near(t, "running", sv.Running, 4)
		if len(fr.Exemplars) != 2 {
			t.Fatalf("ct %q: %d exemplars, want 2: %+v", ct, len(fr.Exemplars), fr.Exemplars)
		}
		var lat, req *sources.Exemplar
		for i := range fr.Exemplars {
			switch fr.Exemplars[i].Series.Name {
			case sources.SvcLatency:
				lat = &fr.Exemplars[i]
			case sources.SvcRequests:
				req = &fr.Exemplars[i]
			}
		}
		if lat == nil || lat.TraceID != "0af7651916cd43dd8448eb211c80319c" || lat.SpanID != "b7ad6b7169203331" || lat.Value != 0.73 || !lat.At.Equal(t0) {
			t.Errorf("latency exemplar: %+v", lat)
		} else if len(lat.Labels) != 1 || lat.Labels[0].Value != "ab" || strings.ContainsRune(lat.Labels[0].Value, 0x1b) {
			t.Errorf("exemplar labels not sanitised: %q", lat.Labels)
		}
		if req == nil || req.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || req.Series.Label(sources.LabelOutcome) != "error" || req.At.Unix() != 1726531300 {
			t.Errorf("request exemplar: %+v", req)
		}
	}
}
