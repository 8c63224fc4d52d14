package prom

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/sources"
)

// differentialCheck holds the parser to expfmt's result (expfmt_test.go).
var differentialCheck func(t *testing.T, body []byte)

// flat is an exposition as a map from sample identity to value.
type flat map[string]float64

func sampleKey(name string, ls []lpair, extra string) string {
	ps := make([]string, 0, len(ls))
	for _, l := range ls {
		ps = append(ps, strconv.Quote(l.name)+"="+strconv.Quote(l.value))
	}
	sort.Strings(ps)
	return name + "{" + strings.Join(ps, ",") + "}" + extra
}

func flatOurs(fams []*family) flat {
	out := flat{}
	for _, f := range fams {
		for _, m := range f.metrics {
			put := func(extra string, v float64) {
				if !strings.HasSuffix(f.name, "_created") {
					out[sampleKey(f.name, m.labels, extra)] = v
				}
			}
			if m.hasValue {
				put("", m.value)
			}
			if h := m.hist; h != nil {
				if h.hasCount {
					put("#count", h.count)
				}
				if h.hasSum {
					put("#sum", h.sum)
				}
				for _, b := range h.buckets {
					put("#le="+strconv.FormatFloat(b.ub, 'g', -1, 64), b.c)
				}
			}
			if s := m.summ; s != nil {
				// expfmt truncates a summary's count to an integer; vigil does
				// not read summary counts, so they are left out.
				put("#sum", s.sum)
				for _, q := range s.q {
					put("#q="+strconv.FormatFloat(q.q, 'g', -1, 64), q.v)
				}
			}
		}
	}
	return out
}

func sameFlat(a, b flat) string {
	for k, v := range a {
		w, ok := b[k]
		if !ok {
			return fmt.Sprintf("%s only in ours", k)
		}
		if v != w && !(math.IsNaN(v) && math.IsNaN(w)) {
			return fmt.Sprintf("%s: ours %g, expfmt %g", k, v, w)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			return fmt.Sprintf("%s only in expfmt", k)
		}
	}
	return ""
}

// normaliseHist fills in what expfmt always has: a count and sum of zero
// when the exposition did not print them.
func normaliseHist(fams []*family) {
	for _, f := range fams {
		for _, m := range f.metrics {
			if m.hist != nil {
				m.hist.hasCount, m.hist.hasSum = true, true
			}
		}
	}
}

func TestParseQuirks(t *testing.T) {
	cases := []struct {
		name, body string
		want       flat
	}{
		{"trailing comma (TorchServe)", "# TYPE Requests2XX counter\nRequests2XX{Level=\"Host\",Hostname=\"x\",} 7.0\n",
			flat{`Requests2XX{"Hostname"="x","Level"="Host"}`: 7}},
		{"le as client_golang writes it", "# TYPE h histogram\nh_bucket{le=\"1.048576e+06\"} 3\nh_bucket{le=\"+Inf\"} 4\nh_sum 9\nh_count 4\n",
			flat{"h{}#le=1.048576e+06": 3, "h{}#le=+Inf": 4, "h{}#sum": 9, "h{}#count": 4}},
		{"timestamps and CRLF", "a 1 1700000000000\r\nb{x=\"y\"} 2.5e3\r\n",
			flat{"a{}": 1, `b{"x"="y"}`: 2500}},
		{"escapes", "a{x=\"q\\\"\\\\\\n\"} 1\n", flat{`a{"x"="q\"\\\n"}`: 1}},
		{"quoted UTF-8 names", "{\"gen_ai.client.operation.duration_seconds_count\",\"gen_ai.operation.name\"=\"chat\"} 3\n",
			flat{`gen_ai.client.operation.duration_seconds_count{"gen_ai.operation.name"="chat"}`: 3}},
		{"histogram without +Inf", "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_count 5\nh_sum 2\n",
			flat{"h{}#le=1": 3, "h{}#count": 5, "h{}#sum": 2}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fams, _, err := parseText([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			normaliseHist(fams)
			if d := sameFlat(flatOurs(fams), c.want); d != "" {
				t.Error(d)
			}
			if differentialCheck != nil {
				differentialCheck(t, []byte(c.body))
			}
		})
	}
}

func TestParseErrorsKeepPartialResult(t *testing.T) {
	body := "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"m\"} 3\nthis is { not metrics\nvllm:num_requests_waiting{model_name=\"m\"} 1\n"
	fr, st, err := Parse([]byte(body), textCT, Target{URL: "http://h:1/metrics"}, t0)
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v, want a line-3 error", err)
	}
	if st.Warning == "" || len(fr.Points) != 1 || fr.Points[0].Series.Name != sources.SvcRunning || fr.Points[0].Value != 3 {
		t.Errorf("partial result: %+v, %+v", st, fr.Points)
	}
	for _, bad := range []string{"\x00\x01\x02garbage", "{{{", "metric{a=\"unterminated", "m 1 2 3 4", "m{a=b} 1"} {
		fr, _, err := Parse([]byte(bad), textCT, Target{}, t0)
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
		if len(fr.Points) != 0 {
			t.Errorf("%q: points %+v", bad, fr.Points)
		}
	}
	if _, _, err := Parse([]byte("<!DOCTYPE html><html><body>login</body></html>"), "text/plain", Target{}, t0); err == nil || !strings.Contains(err.Error(), "HTML") {
		t.Errorf("HTML page: %v", err)
	}
	// OpenMetrics without # EOF was cut short.
	om := readFixture(t, "vllm_openmetrics.txt")
	cut := om[:bytes.Index(om, []byte("# HELP vllm:e2e"))]
	fr, _, err = Parse(cut, omCT, Target{}, t0)
	if err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Errorf("truncated OpenMetrics: err = %v", err)
	}
	if len(fr.Points) == 0 {
		t.Errorf("truncated OpenMetrics kept nothing")
	}
}

func TestParseBadValues(t *testing.T) {
	body := `# TYPE vllm:num_requests_running gauge
vllm:num_requests_running{model_name="m"} NaN
# TYPE vllm:num_requests_waiting gauge
vllm:num_requests_waiting{model_name="m"} +Inf
# TYPE vllm:kv_cache_usage_perc gauge
vllm:kv_cache_usage_perc{model_name="m"} 0.5
vllm:kv_cache_usage_perc{model_name="m"} 0.25
# TYPE DCGM_FI_DEV_MEMORY_TEMP gauge
DCGM_FI_DEV_MEMORY_TEMP{gpu="0",UUID="GPU-1"} 9223372036854775794
# TYPE DCGM_FI_DEV_GPU_TEMP gauge
DCGM_FI_DEV_GPU_TEMP{gpu="0",UUID="GPU-1"} 55
# TYPE DCGM_FI_DEV_FAN_SPEED gauge
DCGM_FI_DEV_FAN_SPEED{gpu="0",UUID="GPU-1"} 2147483632
# TYPE DCGM_FI_DEV_POWER_MGMT_LIMIT gauge
DCGM_FI_DEV_POWER_MGMT_LIMIT{gpu="0",UUID="GPU-1"} 140737488355328
# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION counter
DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{gpu="0",UUID="GPU-1"} 2147483640
`
	fr, st, err := Parse([]byte(body), textCT, Target{URL: "http://h:1/"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, p := range fr.Points {
		got[p.Series.Name] = p.Value
	}
	want := map[string]float64{sources.SvcKVCache: 0.25, sources.GPUTemperature: 55, sources.GPUEnergy: 2147483.640}
	if len(got) != len(want) {
		t.Errorf("points %v, want %v", got, want)
	}
	for k, v := range want {
		if math.Abs(got[k]-v) > 1e-9 {
			t.Errorf("%s = %g, want %g", k, got[k], v)
		}
	}
	if st.Dropped < 5 { // NaN, +Inf, the duplicate, three blanks
		t.Errorf("dropped %d", st.Dropped)
	}
}

func TestLabelValuesSanitised(t *testing.T) {
	body := "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"evil\x1b]52;c;aGk=\x07\x1b[2Jmodel\"} 1\n"
	fr, _, err := Parse([]byte(body), textCT, Target{URL: "http://h:1/"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if len(fr.Points) != 1 {
		t.Fatalf("points: %+v", fr.Points)
	}
	if svc := fr.Points[0].Series.Label(sources.LabelService); svc != "evilmodel" {
		t.Errorf("service %q, want escape sequences stripped", svc)
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"vllm.prom", "dcgm.prom", "node.prom", "vllm_openmetrics.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b[:min(len(b), 4000)])
	}
	f.Add([]byte("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_count 2\nh_sum 1\n"))
	f.Add([]byte("{\"a.b\",\"c.d\"=\"e\"} 1 # {trace_id=\"x\"} 1 2\n# EOF\n"))
	f.Add([]byte("# TYPE s summary\ns{quantile=\"0.5\"} NaN\ns_sum 1\ns_count 2\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, ct := range []string{textCT, omCT, ""} {
			fr, _, _ := Parse(body, ct, Target{URL: "http://127.0.0.1:1/metrics"}, t0)
			for _, p := range fr.Points {
				if bad(p.Value) {
					t.Fatalf("non-finite point %v", p)
				}
				checkClean(t, p.Series)
			}
			for _, h := range fr.Histograms {
				checkClean(t, h.Series)
				if n := len(h.Buckets); n == 0 || !math.IsInf(h.Buckets[n-1].UpperBound, 1) {
					t.Fatalf("histogram without +Inf: %+v", h)
				}
				for i := 1; i < len(h.Buckets); i++ {
					if h.Buckets[i].UpperBound <= h.Buckets[i-1].UpperBound || h.Buckets[i].Count < h.Buckets[i-1].Count {
						t.Fatalf("buckets out of order: %+v", h.Buckets)
					}
				}
			}
		}
		if differentialCheck != nil {
			differentialCheck(t, body)
		}
	})
}

func checkClean(t *testing.T, s sources.Series) {
	t.Helper()
	for _, l := range s.Labels {
		if sources.Sanitize(l.Value) != l.Value {
			t.Fatalf("label %s=%q not sanitised", l.Name, l.Value)
		}
	}
}

func TestUnterminatedLastLine(t *testing.T) {
	body := "# TYPE vllm:num_requests_running gauge\nvllm:num_requests_running{model_name=\"m\"} 3\nvllm:num_requests_waiting{model_name=\"m\"} 12"
	fr, _, err := Parse([]byte(body), textCT, Target{URL: "http://h:1/"}, t0)
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err = %v", err)
	}
	if len(fr.Points) != 1 || fr.Points[0].Series.Name != sources.SvcRunning {
		t.Errorf("kept %+v, want only the terminated line", fr.Points)
	}
	if _, _, err := Parse([]byte("a 1\n# EOF"), omCT, Target{}, t0); err != nil {
		t.Errorf("# EOF without newline: %v", err)
	}
}

func TestFastFloatMatchesStrconv(t *testing.T) {
	for _, s := range []string{"0", "-0", "12", "+7", "0.4375", ".5", "5.", "1.84521e+06", "1.7265312e+09", "9.81245952e+09",
		"1e-22", "1e22", "1e23", "123456789012345", "1234567890123456", "0.000000000000000000001", "2.5E3", "1e", "e5", "1.2.3",
		"0x10", "1_000", "-", ".", "1e+", "3.14159265358979", "9007199254740993", "1.0e-7", "000000000000000001"} {
		want, werr := strconv.ParseFloat(s, 64)
		got, gerr := parseValue([]byte(s))
		if (werr == nil) != (gerr == nil) || werr == nil && got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("%q: got %v (%v), strconv %v (%v)", s, got, gerr, want, werr)
		}
	}
}

func FuzzFastFloat(f *testing.F) {
	for _, s := range []string{"1.84521e+06", "0.4375", "-12", "1e22"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" {
			return
		}
		got, ok := fastFloat([]byte(s))
		if !ok {
			return
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil || got != want {
			t.Fatalf("%q: fast %v, strconv %v (%v)", s, got, want, err)
		}
	})
}
