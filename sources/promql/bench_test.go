package promql

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"
)

// BenchmarkFleetPoll is one query-mode poll of a fleet of 100 hosts, each
// with a vLLM server and a DCGM exporter of 2 GPUs (the prom fixtures):
// the HTTP round trip to a fake API, JSON decoding, rendering per target
// and translation through the presets. Each op moves the sample time so
// every target is translated.
func BenchmarkFleetPoll(b *testing.B) {
	t := &testing.T{}
	vllm, _ := os.ReadFile("../prom/testdata/vllm.prom")
	dcgm, _ := os.ReadFile("../prom/testdata/dcgm.prom")
	var all []series
	for i := range 100 {
		all = append(all, flatten(t, vllm, "vllm", fmt.Sprintf("10.0.%d.%d:8000", i/250, i%250))...)
		all = append(all, flatten(t, dcgm, "dcgm", fmt.Sprintf("10.0.%d.%d:9400", i/250, i%250))...)
	}
	fp := &fakeProm{}
	fp.data.Store(&all)
	srv := httptest.NewServer(fp)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		at := now.Add(time.Duration(i) * time.Second)
		fp.at.Store(at.UnixMilli())
		f, err := src.Poll(context.Background(), at)
		if err != nil || len(f.Histograms) == 0 {
			b.Fatalf("poll: %v (%d histograms)", err, len(f.Histograms))
		}
	}
	b.ReportMetric(float64(len(all)), "series")
}
