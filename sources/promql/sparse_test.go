package promql

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
)

// TestSparseGPUFiguresRealVM: throttle reasons and the last XID travel only
// where they are not 0. A GPU that exports XID and has no answer is 0 (the
// identity query recorded that it exports it); a GPU that does not export
// it is n/a, never 0; a GPU whose XID turns 43 shows 43 on the next poll,
// dated by its sample. The figures are read as the console does, from a
// store fed every poll: a GPU's zero is translated again only every few
// polls (the store keeps it meanwhile). Against Debian's VictoriaMetrics.
func TestSparseGPUFiguresRealVM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real engine")
	}
	now := time.Now().Truncate(time.Second)
	const inst = "10.0.0.1:9400"
	lines := func(at time.Time, xid0 float64) string {
		var b strings.Builder
		ms := at.UnixMilli()
		fmt.Fprintf(&b, "up{job=\"dcgm\",instance=%q} 1 %d\n", inst, ms)
		for g := 0; g < 3; g++ {
			ls := fmt.Sprintf(`job="dcgm",instance=%q,gpu="%d",UUID="GPU-%d",modelName="NVIDIA H100",Hostname="node-a"`, inst, g, g)
			fmt.Fprintf(&b, "DCGM_FI_DEV_GPU_TEMP{%s} %d %d\n", ls, 60+g, ms)
			if g == 2 { // GPU 2 exports none of the sparse families
				continue
			}
			fmt.Fprintf(&b, "DCGM_FI_DEV_CLOCKS_EVENT_REASONS{%s} 0 %d\n", ls, ms)
			if g == 0 { // GPU 1 does not export XID
				fmt.Fprintf(&b, "DCGM_FI_DEV_XID_ERRORS{%s} %g %d\n", ls, xid0, ms)
			}
		}
		return b.String()
	}
	var imp strings.Builder
	first := now.Add(-20 * time.Second)
	for at := first.Add(-60 * time.Second); !at.After(first); at = at.Add(15 * time.Second) {
		imp.WriteString(lines(at, 0))
	}
	u := promtest.VictoriaMetrics(t)
	promtest.ImportVM(t, u, []byte(imp.String()))
	src, err := New(Config{URL: u, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	type fig struct {
		v  float64
		at time.Time
	}
	figures := func(f sources.Frame, name string) map[string]fig {
		out := map[string]fig{}
		for _, p := range f.Points {
			if p.Series.Name == name {
				out[p.Series.Label(sources.LabelGPU)] = fig{p.Value, p.At}
			}
		}
		return out
	}
	st := sources.NewStore(sources.StoreOptions{})
	stored := func(name string) map[string]fig {
		out := map[string]fig{}
		for _, ser := range st.Select(name) {
			if smp, ok := st.Last(ser.Key(), now); ok {
				out[ser.Label(sources.LabelGPU)] = fig{smp.V, smp.Time()}
			}
		}
		return out
	}
	var f sources.Frame
	promtest.Eventually(t, 30*time.Second, "both GPUs' temperatures", func() bool {
		if f, err = src.Poll(context.Background(), now); err != nil {
			t.Logf("poll: %v", err)
			return false
		}
		st.Ingest(f)
		return len(figures(f, sources.GPUTemperature)) == 3
	})
	xid, thr := stored(sources.GPUXIDLast), stored(sources.GPUThrottle)
	if x, ok := xid["0"]; !ok || x.v != 0 || !x.at.Equal(first) {
		t.Errorf("GPU 0 XID %+v (present %v), want 0 at %v", x, ok, first)
	}
	if x, ok := xid["1"]; ok {
		t.Errorf("GPU 1 exports no XID: want n/a, got %+v", x)
	}
	for _, g := range []string{"0", "1"} {
		if x, ok := thr[g]; !ok || x.v != 0 || !x.at.Equal(first) {
			t.Errorf("GPU %s throttle %+v (present %v), want 0 at %v", g, x, ok, first)
		}
	}
	if x, ok := thr["2"]; ok {
		t.Errorf("GPU 2 exports no throttle reasons: want n/a, got %+v", x)
	}
	// No GPU exports uncorrected ECC counts here: n/a for all.
	if x := stored(sources.GPUECCErrors); len(x) > 0 {
		t.Errorf("no GPU exports ECC: want n/a, got %+v", x)
	}

	// GPU 0 reports XID 43: the next poll shows it (the identity query does
	// not run on it).
	second := now.Add(-5 * time.Second)
	promtest.ImportVM(t, u, []byte(lines(second, 43)))
	promtest.Eventually(t, 30*time.Second, "XID 43 on the next poll", func() bool {
		if f, err = src.Poll(context.Background(), now); err != nil {
			t.Logf("poll: %v", err)
			return false
		}
		st.Ingest(f)
		x, ok := figures(f, sources.GPUXIDLast)["0"]
		return ok && x.v == 43
	})
	if x := figures(f, sources.GPUXIDLast)["0"]; !x.at.Equal(second) {
		t.Errorf("XID 43 dated %v, want its sample's %v", x.at, second)
	}
	if x, ok := stored(sources.GPUXIDLast)["1"]; ok {
		t.Errorf("GPU 1 exports no XID: want n/a, got %+v", x)
	}
	if x, ok := stored(sources.GPUThrottle)["1"]; !ok || x.v != 0 {
		t.Errorf("GPU 1 throttle %+v (present %v), want 0", x, ok)
	}

	// GPU 0's XID back to 0: the very next poll says so (a zero after a
	// figure that was not 0 is never left for later).
	third := now.Add(-2 * time.Second)
	promtest.ImportVM(t, u, []byte(lines(third, 0)))
	promtest.Eventually(t, 30*time.Second, "XID 0 on the next poll", func() bool {
		if f, err = src.Poll(context.Background(), now); err != nil {
			t.Logf("poll: %v", err)
			return false
		}
		st.Ingest(f)
		x, ok := figures(f, sources.GPUXIDLast)["0"]
		return ok && x.v == 0
	})
	if x := figures(f, sources.GPUXIDLast)["0"]; !x.at.Equal(third) {
		t.Errorf("XID 0 dated %v, want its sample's %v", x.at, third)
	}
}
