package selfstat

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

func value(f sources.Frame, name string) (float64, bool) {
	for _, p := range f.Points {
		if p.Series.Name == name {
			return p.Value, true
		}
	}
	return 0, false
}

func TestCPUAndRSS(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{Source: "nvml", At: time.Unix(100, 0), Health: &sources.Health{Source: "nvml", Duration: 1500 * time.Microsecond}})
	p := New(Options{Host: "box", Health: st.Health})
	t0 := time.Unix(100, 0)
	f, err := p.Poll(context.Background(), t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := value(f, sources.SelfCPU); ok {
		t.Fatal("CPU ratio from a single poll")
	}
	rss, ok := value(f, sources.SelfRSS)
	if !ok || rss < 1<<20 || rss > 1<<34 {
		t.Fatalf("rss %v", rss)
	}
	if lat, ok := value(f, sources.SelfPollLatency); !ok || lat != 0.0015 {
		t.Fatalf("poll latency %v %v", lat, ok)
	}
	// Burn some CPU (a condition, not a sleep), then poll again.
	start, _ := CPUTime()
	x := 0
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		for i := 0; i < 100000; i++ {
			x += i
		}
		if c, _ := CPUTime(); c-start >= 20*time.Millisecond {
			break
		}
	}
	_ = x
	f, err = p.Poll(context.Background(), t0.Add(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	cpu, ok := value(f, sources.SelfCPU)
	if !ok || cpu <= 0 || cpu > 64 {
		t.Fatalf("cpu ratio %v %v", cpu, ok)
	}
	if g, _ := value(f, sources.SelfGoroutines); g < 1 {
		t.Fatal("goroutines")
	}
	if f.Points[0].Series.Label(sources.LabelHost) != "box" {
		t.Fatal("host label")
	}
}

func TestRSSParse(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "statm"), []byte("1000 250 100 1 0 300 0\n"), 0o644)
	if v, err := RSS(dir, 4096); err != nil || v != 250*4096 {
		t.Fatal(v, err)
	}
	os.WriteFile(filepath.Join(dir, "statm"), []byte("garbage"), 0o644)
	if _, err := RSS(dir, 4096); err == nil {
		t.Fatal("bad statm accepted")
	}
	p := New(Options{ProcSelf: filepath.Join(dir, "missing")})
	if _, err := p.Poll(context.Background(), time.Unix(0, 0)); err == nil {
		t.Fatal("missing statm not reported")
	}
}

func BenchmarkPoll(b *testing.B) {
	p := New(Options{})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		p.Poll(context.Background(), time.Unix(int64(i), 0))
	}
}

func TestSummary(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Unix(1000, 0)
	if Summary(st, at) != "" {
		t.Fatal("summary of nothing")
	}
	p := New(Options{Host: "h"})
	st.Ingest(sources.Frame{Source: "nvml", At: at, Health: &sources.Health{Source: "nvml", Kind: "nvml", State: sources.HealthOK, Duration: 310 * time.Microsecond}})
	st.Ingest(sources.Frame{Source: "self", At: at, Points: []sources.Point{
		{Series: p.cpu, At: at, Value: 0.004}, {Series: p.rss, At: at, Value: 23 << 20}, {Series: p.gor, At: at, Value: 41}}})
	if got := Summary(st, at); got != "vigil 0.4% CPU · 23 MB · 41 goroutines · nvml 0.31 ms" {
		t.Fatalf("%q", got)
	}
}

func TestStoreLine(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{Retention: time.Hour, Budget: 256 << 20})
	if got := StoreLine(st); got != "store 0.0/256 MB: series 0.0 · hist 0.0 · logs 0.0 · spans 0.0 · events 0.0 · exemplars 0.0 · keeps 1h0m0s" {
		t.Fatalf("%q", got)
	}
	at := time.Unix(1000, 0)
	var f sources.Frame
	for i := range 20000 {
		f.Logs = append(f.Logs, sources.LogRecord{At: at, Raw: strings.Repeat("x", 1000+i%7)})
	}
	st.Ingest(f)
	u := st.Memory()
	want := "store " + strconv.FormatFloat(float64(u.Total)/(1<<20), 'f', 1, 64) + "/256 MB: series 0.0 · hist 0.0 · logs " +
		strconv.FormatFloat(float64(u.Logs)/(1<<20), 'f', 1, 64) + " · spans"
	if got := StoreLine(st); !strings.HasPrefix(got, want) || u.Logs < 20000*1000 {
		t.Fatalf("%q, want a prefix %q", got, want)
	}
}
