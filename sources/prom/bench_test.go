package prom

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

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
	for b.Loop() {
		fr, _, err := Parse(body, textCT, Target{URL: "http://127.0.0.1:8000/metrics"}, t0.Add(time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		st.Ingest(fr)
		i++
	}
}
