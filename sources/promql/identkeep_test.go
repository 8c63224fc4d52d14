package promql

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// TestIdentityKeptWhenRefused: GPU identities last between identity polls;
// an identity poll the engine refuses keeps the ones it had, so the GPUs'
// figures go on naming their UUID and model instead of arriving as GPUs of
// their own without one (which the console would list twice).
func TestIdentityKeptWhenRefused(t *testing.T) {
	ff := newFakeFleet(3, 2, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	var refuse atomic.Bool
	var refused atomic.Int64
	fe.refuse = func(q string) (int, string) {
		if refuse.Load() && strings.HasPrefix(q, "(group by (instance, Hostname") {
			refused.Add(1)
			return http.StatusServiceUnavailable, "overloaded"
		}
		return 0, ""
	}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL, Stacks: fleetStacks, RateWindow: ff.window})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		at := ff.at.Add(time.Duration(i) * 15 * time.Second)
		f, _ := src.Poll(context.Background(), at)
		temps := 0
		for _, p := range f.Points {
			if p.Series.Name != sources.GPUTemperature {
				continue
			}
			temps++
			if p.Series.Label(sources.LabelUUID) == "" {
				t.Fatalf("poll %d (identity refused %d times): GPU %s of %s without its UUID",
					i, refused.Load(), p.Series.Label(sources.LabelGPU), p.Series.Label(sources.LabelInstance))
			}
		}
		if i == 0 && temps != 6 {
			t.Fatalf("first poll: %d GPU temperatures, want 6", temps)
		}
		refuse.Store(true)
	}
	if refused.Load() == 0 {
		t.Fatal("no identity poll after the first: the test proves nothing")
	}
}
