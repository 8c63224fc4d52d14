package prom

import "testing"

func BenchmarkParseOpenMetricsSmall(b *testing.B) {
	body := readFixture(b, "vllm_openmetrics.txt")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(body, omCT, Target{}, t0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTextVLLM(b *testing.B) {
	body := readFixture(b, "vllm.prom")
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Parse(body, textCT, Target{}, t0); err != nil {
			b.Fatal(err)
		}
	}
}
