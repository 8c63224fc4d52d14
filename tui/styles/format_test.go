package styles

import (
	"math"
	"testing"
)

func TestDuration(t *testing.T) {
	cases := map[float64]string{
		0: "0s", -3: "0s", 0.4: "0s", 42.3: "42s", 59.6: "1m00s", 131: "2m11s", 3599: "59m59s",
		3600: "1h00m", 3900: "1h05m", 86399: "23h59m", 86400: "1d00h", 2*86400 + 4*3600: "2d04h", math.NaN(): NA,
	}
	for in, want := range cases {
		if got := Duration(in); got != want {
			t.Errorf("Duration(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestBytes(t *testing.T) {
	cases := map[float64]string{
		0: "0B", 512: "512B", 999: "999B", 1000: "1.0KiB", 1536: "1.5KiB", 980 << 20: "980MiB",
		62 << 30: "62GiB", 1.5 * (1 << 40): "1.5TiB", math.Inf(1): NA,
	}
	for in, want := range cases {
		if got := Bytes(in); got != want {
			t.Errorf("Bytes(%v) = %q, want %q", in, got, want)
		}
	}
}

func TestParts(t *testing.T) {
	ps := []Part{{"name", 0}, {"p50 1s", 2}, {"p99 2s", 1}, {"queue 3", 4}, {"vllm", 5}}
	cases := map[int]string{
		40: "name  p50 1s  p99 2s  queue 3  vllm",
		33: "name  p50 1s  p99 2s  queue 3",
		28: "name  p50 1s  p99 2s",
		19: "name  p99 2s",
		4:  "name",
		3:  "na…",
	}
	for w, want := range cases {
		if got := Parts(w, "  ", ps...); got != want {
			t.Errorf("width %d: %q, want %q", w, got, want)
		}
	}
}
