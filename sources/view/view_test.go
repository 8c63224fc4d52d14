package view

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func reqs(at time.Time, outcome string, v float64) sources.Point {
	return sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter,
		sources.LabelService, "api", sources.LabelStack, "http", sources.LabelOutcome, outcome), At: at, Value: v}
}

func TestErrorRateWindowLifetimeAndNA(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{Points: []sources.Point{reqs(t0, "ok", 990), reqs(t0, "error", 10)}})
	sv := Services(st, t0, Options{})
	if len(sv) != 1 || !sv[0].ErrorRate.OK || sv[0].ErrorRate.V != 0.01 || sv[0].ErrorBasis != BasisLifetime {
		t.Fatalf("lifetime: %+v", sv)
	}
	if sv[0].Throughput.OK {
		t.Fatal("one scrape has no throughput")
	}
	at := t0.Add(10 * time.Second)
	st.Ingest(sources.Frame{Points: []sources.Point{reqs(at, "ok", 1080), reqs(at, "error", 20)}})
	sv = Services(st, at, Options{})
	if sv[0].ErrorRate.V != 0.1 || sv[0].ErrorBasis != BasisWindow || sv[0].Throughput.V != 10 {
		t.Fatalf("window: rate %v basis %s throughput %v", sv[0].ErrorRate, sv[0].ErrorBasis, sv[0].Throughput)
	}
	if sv[0].ErrorTarget != 0.01 {
		t.Fatalf("default target %v", sv[0].ErrorTarget)
	}
	if got := ErrorTarget(Options{Strict: map[string]bool{"api": true}}, "api"); got != 0.001 {
		t.Fatalf("strict target %v", got)
	}

	// A stack that counts no errors: n/a, never 0 %.
	st2 := sources.NewStore(sources.StoreOptions{})
	st2.Ingest(sources.Frame{Points: []sources.Point{reqs(t0, "ok", 5)}})
	if sv := Services(st2, t0, Options{}); sv[0].ErrorRate.OK {
		t.Fatalf("no error series must give n/a, got %v", sv[0].ErrorRate)
	}
}

func TestThrottleBadges(t *testing.T) {
	got := ThrottleBadges(ThrottleHWThermal | ThrottleSWPowerCap | ThrottleGPUIdle)
	want := []string{"PWR-CAP", "HW-THERM", "IDLE"}
	if len(got) != len(want) {
		t.Fatalf("%v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%v, want %v", got, want)
		}
	}
}

func TestNumJSON(t *testing.T) {
	b, _ := Num{}.MarshalJSON()
	c, _ := Some(0.25).MarshalJSON()
	if string(b) != "null" || string(c) != "0.25" {
		t.Fatalf("%s %s", b, c)
	}
	var n Num
	if err := n.UnmarshalJSON([]byte("null")); err != nil || n.OK {
		t.Fatal("null must read as n/a")
	}
}

// BenchmarkServices1000 evaluates a fleet of 1,000 services, each with three
// outcome counters and a latency histogram, two scrapes apart.
func BenchmarkServices1000(b *testing.B) {
	st := sources.NewStore(sources.StoreOptions{})
	bounds := []float64{0.05, 0.1, 0.5, 1, 5, math.Inf(1)}
	for k, at := range []time.Time{t0, t0.Add(15 * time.Second)} {
		var f sources.Frame
		for i := 0; i < 1000; i++ {
			name := fmt.Sprintf("svc-%04d", i)
			for _, oc := range []string{"ok", "error", "abort"} {
				f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(sources.SvcRequests, sources.Counter,
					sources.LabelService, name, sources.LabelStack, "http", sources.LabelOutcome, oc), At: at, Value: float64(100 * (k + 1))})
			}
			h := sources.Histogram{Series: sources.NewSeries(sources.SvcLatency, sources.Counter, sources.LabelService, name, sources.LabelStack, "http"), At: at}
			for j, ub := range bounds {
				h.Buckets = append(h.Buckets, sources.Bucket{UpperBound: ub, Count: float64((k + 1) * (j + 1) * 10)})
			}
			h.Count = h.Buckets[len(bounds)-1].Count
			f.Histograms = append(f.Histograms, h)
		}
		st.Ingest(f)
	}
	at := t0.Add(15 * time.Second)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		if len(Services(st, at, Options{})) != 1000 {
			b.Fatal("want 1000 services")
		}
	}
}

// TestGPUKnownByIndexFirst: a query engine's figures from polls that did
// not know the GPUs' identities (UUID) and from polls that did make one GPU
// of a host and index, its newest figure of each field shown; two GPUs of
// one index with different UUIDs stay two.
func TestGPUKnownByIndexFirst(t *testing.T) {
	gpu := func(name, uuid string, at time.Time, v float64) sources.Point {
		kv := []string{sources.LabelHost, "h1", sources.LabelGPU, "0"}
		if uuid != "" {
			kv = append(kv, sources.LabelUUID, uuid, sources.LabelModel, "H100")
		}
		return sources.Point{Series: sources.NewSeries(name, sources.Gauge, kv...), At: at, Value: v}
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{At: t0, Points: []sources.Point{gpu(sources.GPUTemperature, "", t0, 60), gpu(sources.GPUUtilization, "", t0, 0.5)}})
	at := t0.Add(15 * time.Second)
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{gpu(sources.GPUTemperature, "GPU-a", at, 70)}})
	gs := GPUs(st, at)
	if len(gs) != 1 || gs[0].UUID != "GPU-a" || gs[0].Model != "H100" || gs[0].Temp.V != 70 || gs[0].Util.V != 0.5 {
		t.Fatalf("identity learnt: %+v", gs)
	}
	// A later poll without the identities: its figure is the newest.
	at2 := at.Add(15 * time.Second)
	st.Ingest(sources.Frame{At: at2, Points: []sources.Point{gpu(sources.GPUTemperature, "", at2, 80)}})
	if gs := GPUs(st, at2); len(gs) != 1 || gs[0].Temp.V != 80 || gs[0].Age.V != 0 {
		t.Fatalf("identity missing again: %+v", gs)
	}
	// A second GPU 0 on the host (another UUID): which one the bare index
	// meant is not known; three rows.
	st.Ingest(sources.Frame{At: at2, Points: []sources.Point{gpu(sources.GPUTemperature, "GPU-b", at2, 50)}})
	if gs := GPUs(st, at2); len(gs) != 3 {
		t.Fatalf("two GPUs of index 0: %d rows, want 3: %+v", len(gs), gs)
	}
}
