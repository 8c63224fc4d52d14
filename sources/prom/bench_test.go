package prom

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// reportCPU adds cpu-ms/op: CPU time (all threads, GC included) per
// operation, which a loaded machine inflates far less than wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cputime.Now()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
}

// bigExposition builds a vLLM-shaped exposition with copies models: every
// family of vllm.prom, its samples repeated once per model (34 copies give
// about 10,000 samples and 1.5 MB).
func bigExposition(tb testing.TB, copies int) []byte {
	src := readFixture(tb, "vllm.prom")
	var out bytes.Buffer
	var samples [][]byte
	flush := func() {
		for i := 0; i < copies; i++ {
			for _, s := range samples {
				switch {
				case bytes.Contains(s, []byte(`model_name="`)):
					out.Write(bytes.Replace(s, []byte(`model_name="meta-llama/Llama-3.1-8B-Instruct"`), fmt.Appendf(nil, `model_name="meta-llama/Llama-3.1-8B-Instruct-%02d-replica-pool-a-us-east-1c",instance="10.2.3.%d:8000"`, i, i), 1))
				case bytes.Contains(s, []byte(`handler="`)):
					out.Write(bytes.Replace(s, []byte(`handler="/v1/chat/completions"`), fmt.Appendf(nil, `handler="/v1/chat/completions/%d"`, i), 1))
				case i == 0:
					out.Write(s)
				}
				out.WriteByte('\n')
			}
		}
		samples = samples[:0]
	}
	for _, line := range bytes.Split(src, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		if bytes.HasPrefix(line, []byte("# HELP")) {
			flush()
		}
		if line[0] == '#' {
			out.Write(line)
			out.WriteByte('\n')
			continue
		}
		samples = append(samples, line)
	}
	flush()
	return out.Bytes()
}

func BenchmarkParseIngest10k(b *testing.B) {
	body := bigExposition(b, 34)
	_, stats, err := Parse(body, textCT, Target{URL: "http://127.0.0.1:8000/metrics"}, t0)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("exposition: %d bytes, %d samples (lines), %d series after grouping, %d signals", len(body), bytes.Count(body, []byte("\n"))-bytes.Count(body, []byte("\n#")), stats.Series, stats.Signals)
	st := sources.NewStore(sources.StoreOptions{})
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	i := 0
	cpu := cputime.Now()
	for b.Loop() {
		fr, _, err := Parse(body, textCT, Target{URL: "http://127.0.0.1:8000/metrics"}, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		st.Ingest(fr)
		i++
	}
	reportCPU(b, cpu)
}

// BenchmarkScrape50Targets is one round of scrapes of 50 vLLM endpoints
// (vllm.prom, 50 kB each) through the hub, servers in the same process. At
// one round a second, cpu-ms/op ÷ 10 is the percentage of one core used by
// scraping and serving together (an upper bound for vigil's share).
func BenchmarkScrape50Targets(b *testing.B) {
	body := readFixture(b, "vllm.prom")
	st := sources.NewStore(sources.StoreOptions{})
	clock := sources.NewManualClock(t0)
	hub := sources.NewHub(st, clock)
	for i := 0; i < 50; i++ {
		port := listenOnB(b, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", textCT)
			w.Write(body)
		})
		hub.Add(NewScraper(ScrapeConfig{URL: fmt.Sprintf("http://127.0.0.1:%d/metrics", port), Interval: time.Second}))
	}
	b.ReportAllocs()
	cpu := cputime.Now()
	for b.Loop() {
		clock.Advance(time.Second)
		hub.PollOnce(context.Background())
	}
	reportCPU(b, cpu)
	if len(view.Services(st, clock.Now(), view.Options{})) == 0 {
		b.Fatal("nothing scraped")
	}
}
