package promql

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
)

var fleetStacks = []string{prom.StackVLLM, prom.StackDCGM, prom.StackNode}

// pollFleet polls a fake fleet once and returns the frame and its store.
func pollFleet(t *testing.T, ff *fakeFleet, fe *fakeEngine, cfg Config) (*Source, sources.Frame, *sources.Store) {
	t.Helper()
	srv := httptest.NewServer(fe)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL
	if cfg.Stacks == nil {
		cfg.Stacks = fleetStacks
	}
	if cfg.RateWindow == 0 {
		cfg.RateWindow = ff.window
	}
	src, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f, err := src.Poll(context.Background(), ff.at)
	if err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(f)
	return src, f, st
}

// TestFleetPoll: a fleet of 60 hosts through the presets' figures — every
// host, GPU and service present and named by its machine, figures where
// they belong, the fleet ranked worst first.
func TestFleetPoll(t *testing.T) {
	ff := newFakeFleet(60, 8, time.Unix(1_700_000_000, 0), time.Minute)
	_, f, st := pollFleet(t, ff, ff.engine(), Config{})
	at := ff.at
	ov := view.Evaluate(st, at, view.Options{})
	if len(ov.Services) != 60 || len(ov.GPUs) != 480 {
		t.Fatalf("%d services, %d GPUs; want 60, 480", len(ov.Services), len(ov.GPUs))
	}
	for _, s := range ov.Services {
		if !strings.HasPrefix(s.Host, "host-") || !s.Latency.P99.OK || s.Latency.Basis != view.BasisEngine || !s.ErrorRate.OK || !s.Throughput.OK || !s.QueueDepth.OK {
			t.Fatalf("service %+v", s)
		}
	}
	g := ov.GPUs[0]
	if g.Host != "host-0000" || g.UUID == "" || g.Model != "NVIDIA H100 80GB HBM3" || !g.MemTotal.OK || g.MemTotal.V != 81559*(1<<20) || g.Util.V != 0.6 {
		t.Errorf("GPU %+v", g)
	}
	// Figures are stamped with their target's newest scrape, 5 s before the
	// evaluation: their age says so.
	if !g.Age.OK || g.Age.V != 5 || !ov.Services[0].Age.OK || ov.Services[0].Age.V != 5 {
		t.Errorf("ages: GPU %v service %v, want 5 s", g.Age, ov.Services[0].Age)
	}
	hosts := view.Hosts(st, at, view.Options{})
	if len(hosts) != 60 || hosts[0].Host != "host-0000" || hosts[0].CPUBusy.V != 0.35 || hosts[0].CPUCount.V != 96 || hosts[0].NetRx.V != 1.5e8 ||
		hosts[0].Uptime.V != 30*86400 || len(hosts[0].Filesystems) != 1 {
		t.Errorf("hosts %d: %+v", len(hosts), hosts[0])
	}
	fl := view.EvaluateFleet(st, ov, hosts, at, view.Options{})
	if len(fl.Hosts) != 60 {
		t.Fatalf("fleet of %d hosts", len(fl.Hosts))
	}
	top := fl.Hosts[:4]
	want := map[string]bool{"host-0007": true, "host-0013": true, "host-0021": true, "host-0042": true}
	for _, h := range top {
		if !want[h.Host] || h.Severity != view.SevCritical {
			t.Errorf("worst hosts %+v", top)
			break
		}
	}
	if fl.WorstGPUs[0].Severity != view.SevCritical || len(fl.WorstServices) == 0 || fl.WorstServices[0].Host == "" {
		t.Errorf("worst lists %+v %+v", fl.WorstGPUs[:2], fl.WorstServices[:2])
	}
	if h := fl.Hosts[len(fl.Hosts)-1]; h.Groups["cluster"] == "" || h.Groups["job"] != "dcgm,node,vllm" || h.Targets != 3 || h.GPUs != 8 || h.Services != 1 {
		t.Errorf("host %+v", h)
	}
	if f.Health.Bytes <= 0 || f.Health.Series < 60*(8*8) || f.Health.DataAt.IsZero() {
		t.Errorf("health %+v", f.Health)
	}
}

// TestHostGone: a host that stops answering is shown as gone, worst first
// after the down ones, not dropped.
func TestHostGone(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	ff := newFakeFleet(5, 2, at, time.Minute)
	fe := ff.engine()
	srv := httptest.NewServer(fe)
	defer srv.Close()
	src, _ := New(Config{URL: srv.URL, Stacks: fleetStacks})
	st := sources.NewStore(sources.StoreOptions{})
	for k := 0; k < 4; k++ {
		ff.at = at.Add(time.Duration(k) * 30 * time.Second)
		if k == 2 {
			ff.skip["host-0003"] = true
		}
		ff.build()
		f, err := src.Poll(context.Background(), ff.at)
		if err != nil {
			t.Fatal(err)
		}
		st.Ingest(f)
	}
	now := ff.at
	ov := view.Evaluate(st, now, view.Options{})
	fl := view.EvaluateFleet(st, ov, view.Hosts(st, now, view.Options{}), now, view.Options{})
	if len(fl.Hosts) != 5 {
		t.Fatalf("%d hosts, want 5 (the gone one too)", len(fl.Hosts))
	}
	var gone *view.FleetHost
	for i := range fl.Hosts {
		if fl.Hosts[i].Host == "host-0003" {
			gone = &fl.Hosts[i]
		}
	}
	if gone == nil || gone.Severity != view.SevGone || !strings.Contains(gone.Worst, "no data for 1m0s") || gone.GPUs != 0 {
		t.Errorf("gone host %+v", gone)
	}
	for _, g := range fl.WorstGPUs {
		if g.Host == "host-0003" {
			t.Errorf("a gone host's old GPU figures ranked as now: %+v", g)
		}
	}
}

// TestTimeHonesty: an engine that answers late (its newest scrapes 40 s
// old) has its figures stamped 40 s back and its source aged, not shown as
// now; an engine whose clock is 60 s ahead is asked at its own now and its
// answers moved onto ours.
func TestTimeHonesty(t *testing.T) {
	at := time.Now().Truncate(time.Second)
	ff := newFakeFleet(2, 1, at, time.Minute)
	ff.lag = 40 * time.Second
	ff.build()
	_, f, st := pollFleet(t, ff, ff.engine(), Config{Interval: 5 * time.Second})
	if d := at.Sub(f.Health.DataAt); d != 40*time.Second || !strings.Contains(f.Health.Detail, "data 40s old") {
		t.Errorf("data at %v (%v before the poll), detail %q", f.Health.DataAt, d, f.Health.Detail)
	}
	for _, p := range f.Points {
		if p.Series.Name == sources.GPUTemperature && !p.At.Equal(at.Add(-40*time.Second)) {
			t.Fatalf("figure stamped %v, want the engine's newest scrape %v", p.At, at.Add(-40*time.Second))
		}
	}
	h := sources.Health{}
	h = *f.Health
	h.State, h.LastOK = sources.HealthOK, at
	st.Ingest(sources.Frame{Health: &h})
	sh := view.Health(st, at)
	if len(sh) != 1 || sh[0].State != "stale" || sh[0].AgeSeconds.V != 40 || sh[0].DataAgeSeconds.V != 40 {
		t.Errorf("health %+v: want stale, 40 s old", sh)
	}

	// Clock skew: the engine's Date is 60 s ahead.
	ff2 := newFakeFleet(2, 1, at.Add(time.Minute), time.Minute)
	fe := ff2.engine()
	fe.clock = time.Minute
	var asked atomic.Int64
	inner := fe.answer
	fe.answer = func(q string, t time.Time) (string, bool) {
		if q == targetsQuery {
			asked.Store(t.Unix())
		}
		return inner(q, t)
	}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	src, _ := New(Config{URL: srv.URL, Stacks: fleetStacks})
	if _, err := src.Client().Query(context.Background(), "up", time.Time{}); err != nil { // learns the engine's clock
		t.Fatal(err)
	}
	if s := src.Client().Skew(); (s - time.Minute).Abs() > 2*time.Second {
		t.Fatalf("skew %v, want about 60s", s)
	}
	f2, err := src.Poll(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Unix(asked.Load(), 0).Sub(at); (d - time.Minute).Abs() > 2*time.Second {
		t.Errorf("evaluated %v after our now, want the engine's now (60 s)", d)
	}
	if !strings.Contains(f2.Health.Detail, "engine clock +") {
		t.Errorf("detail %q does not say the clock is off", f2.Health.Detail)
	}
	for _, p := range f2.Points {
		if p.At.After(at) || at.Sub(p.At) > 10*time.Second {
			t.Fatalf("%s stamped %v, want on our clock near %v", p.Series.Name, p.At, at)
		}
	}
}

// TestNarrowing: a query refused for size is split by instance until the
// engine answers, every host still there and the split said; the next poll
// asks the parts directly.
func TestNarrowing(t *testing.T) {
	ff := newFakeFleet(40, 2, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	lat := ""
	for _, q := range prom.Queries(fleetStacks, prom.TierSummary) {
		if q.Name == "vllm/svc_request_latency_quantile_seconds" {
			lat = q.Expr(time.Minute, "")
		}
	}
	whole := ff.bodies[lat]
	var refused atomic.Int64
	fe.refuse = func(q string) (int, string) {
		if q == lat {
			refused.Add(1)
			return 422, "the number of matching timeseries exceeds 300000; either narrow down the search or increase -search.max* command-line flag values"
		}
		return 0, ""
	}
	inner := fe.answer
	fe.answer = func(q string, at time.Time) (string, bool) {
		if strings.Contains(q, "vllm:e2e_request_latency_seconds_bucket{instance=~") {
			// A part: the instances it names.
			var ss []series
			for i := 0; i < ff.n; i++ {
				if strings.Contains(q, strings.ReplaceAll(instance(i, 8000), ".", `\\.`)) {
					for _, tag := range []string{"p50", "p95", "p99", "mean", "obs"} {
						ss = append(ss, series{map[string]string{"instance": instance(i, 8000), "model_name": "m", prom.FigureLabel: tag}, 1})
					}
				}
			}
			return vector(ss, at), true
		}
		return inner(q, at)
	}
	_ = whole
	src, f, st := pollFleet(t, ff, fe, Config{})
	ov := view.Evaluate(st, ff.at, view.Options{})
	withP99 := 0
	for _, s := range ov.Services {
		if s.Latency.P99.OK {
			withP99++
		}
	}
	if withP99 != 40 || refused.Load() != 1 {
		t.Errorf("%d services with a p99 after narrowing (refused %d times)", withP99, refused.Load())
	}
	found := false
	for _, w := range f.Health.Warnings {
		if strings.Contains(w, "refused by the engine for size, split into 4 parts") {
			found = true
		}
	}
	if !found {
		t.Errorf("warnings %v do not say the query was narrowed", f.Health.Warnings)
	}
	if _, err := src.Poll(context.Background(), ff.at); err != nil {
		t.Fatal(err)
	}
	if refused.Load() != 1 {
		t.Errorf("the second poll asked the whole query again")
	}
}

// TestPartialAnswer: an engine's warnings (Thanos' partial response) are
// shown in the source's health, the answer kept.
func TestPartialAnswer(t *testing.T) {
	ff := newFakeFleet(3, 1, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	fe.warnings = []string{"No StoreAPIs matched for this query"}
	_, f, st := pollFleet(t, ff, fe, Config{})
	if len(view.Services(st, ff.at, view.Options{})) != 3 {
		t.Error("the partial answer was dropped")
	}
	if len(f.Health.Warnings) == 0 || !strings.Contains(f.Health.Warnings[0], "partial answer: No StoreAPIs matched") {
		t.Errorf("warnings %v", f.Health.Warnings)
	}
}

// TestTenantHeader: Mimir and Cortex want X-Scope-OrgID; missing or wrong,
// the error names the header.
func TestTenantHeader(t *testing.T) {
	ff := newFakeFleet(2, 1, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	fe.tenant = "team-a"
	srv := httptest.NewServer(fe)
	defer srv.Close()
	for _, c := range []struct {
		tenant, want string
	}{{"", "HTTP 401: no org id"}, {"team-b", `HTTP 403: tenant not allowed); check the X-Scope-OrgID tenant header (sent "team-b")`}} {
		cl, _ := NewClient(Config{URL: srv.URL, Tenant: c.tenant})
		_, err := cl.Query(context.Background(), "up", time.Time{})
		if err == nil || !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "X-Scope-OrgID") {
			t.Errorf("tenant %q: %v", c.tenant, err)
		}
	}
	src, err := New(Config{URL: srv.URL, Tenant: "team-a", Stacks: fleetStacks})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Poll(context.Background(), ff.at); err != nil {
		t.Errorf("with the tenant: %v", err)
	}
}

// TestConcurrencyBounded: a poll keeps at most Concurrency requests in
// flight, and a 429 (Mimir's full queue) is retried.
func TestConcurrencyBounded(t *testing.T) {
	ff := newFakeFleet(3, 1, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	fe.delay = 5 * time.Millisecond
	var n atomic.Int64
	fe.refuse = func(q string) (int, string) {
		if q == targetsQuery && n.Add(1) == 1 {
			return http.StatusTooManyRequests, "too many outstanding requests"
		}
		return 0, ""
	}
	_, f, _ := pollFleet(t, ff, fe, Config{Concurrency: 2, Backoff: time.Millisecond})
	if m := fe.maxIn.Load(); m > 2 {
		t.Errorf("%d requests in flight, want at most 2", m)
	}
	if n.Load() != 2 || len(f.Points) == 0 {
		t.Errorf("up asked %d times (want a retry after the 429), %d points", n.Load(), len(f.Points))
	}
}

// TestEngineDown: an engine that never answers bounds the poll and is an
// error with the time waited; one refusing connections an error too.
func TestEngineDown(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	c, _ := NewClient(Config{URL: srv.URL, Timeout: 50 * time.Millisecond, Retries: -1})
	_, err := c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "no answer within 50ms") {
		t.Fatalf("err %v", err)
	}
	src, _ := New(Config{URL: srv.URL, Timeout: 50 * time.Millisecond, Retries: -1})
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), src.Timeout())
	defer cancel()
	if _, err := src.Poll(ctx, time.Now()); err == nil {
		t.Error("a dead engine polled fine")
	}
	if d := time.Since(start); d > src.Timeout()+time.Second {
		t.Errorf("poll took %v, bound %v", d, src.Timeout())
	}
	closed, _ := New(Config{URL: "http://127.0.0.1:1", Retries: -1})
	if _, err := closed.Poll(context.Background(), time.Now()); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("closed port: %v", err)
	}
}

// TestFetchDetailAndHistory: drilling into a host adds its detail to the
// polls (scoped to its instances) and fills its history; the fleet's
// history comes aligned to the step, and points an engine repeated near
// now are left out.
func TestFetchDetailAndHistory(t *testing.T) {
	at := time.Unix(1_700_000_010, 0)
	ff := newFakeFleet(30, 2, at, time.Minute)
	fe := ff.engine()
	var ranges atomic.Int64
	var mu sync.Mutex
	var starts []time.Time
	fe.rangeAnswer = func(q string, start, end time.Time, step time.Duration) (string, bool) {
		ranges.Add(1)
		mu.Lock()
		starts = append(starts, start)
		mu.Unlock()
		if q == tailProbe {
			// The engine's data ends 30 s before the end (a latency
			// offset): every point after repeats it.
			var b strings.Builder
			b.WriteString(`[{"metric":{},"values":[`)
			for t, i := start, 0; !t.After(end); t, i = t.Add(step), i+1 {
				if i > 0 {
					b.WriteByte(',')
				}
				v := t
				if v.After(end.Add(-30 * time.Second)) {
					v = end.Add(-30 * time.Second)
				}
				fmt.Fprintf(&b, `[%d,"%d"]`, t.Unix(), v.Unix())
			}
			b.WriteString(`]}]`)
			return b.String(), true
		}
		if strings.Contains(q, "vllm:e2e_request_latency_seconds_bucket") && !strings.Contains(q, "instance=~") {
			var b strings.Builder
			b.WriteByte('[')
			for i := 0; i < ff.n; i++ {
				for j, tag := range []string{"p50", "p95", "p99"} {
					if i > 0 || j > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"metric":{"instance":%q,"model_name":"m","vigil_figure":%q},"values":[`, instance(i, 8000), tag)
					for t, k := start, 0; !t.After(end); t, k = t.Add(step), k+1 {
						if k > 0 {
							b.WriteByte(',')
						}
						fmt.Fprintf(&b, `[%d,"%d"]`, t.Unix(), k+1)
					}
					b.WriteString(`]}`)
				}
			}
			b.WriteByte(']')
			return b.String(), true
		}
		if strings.Contains(q, "DCGM_FI_DEV_SM_CLOCK") && strings.Contains(q, "instance=~") {
			return fmt.Sprintf(`[{"metric":{"instance":%q,"Hostname":"host-0004","gpu":"0"},"values":[[%d,"1980"]]}]`, instance(4, 9400), start.Unix()), true
		}
		return "[]", true
	}
	src, _, st := pollFleet(t, ff, fe, Config{})
	var frames []sources.Frame
	emit := func(f sources.Frame) { frames = append(frames, f); st.Ingest(f) }
	from, to := at.Add(-15*time.Minute), at
	if err := src.FillHistory(context.Background(), from, to, 10*time.Second, emit); err != nil {
		t.Fatal(err)
	}
	if len(frames) != 1 || !frames[0].Backfill {
		t.Fatalf("history frames %d", len(frames))
	}
	mu.Lock()
	for _, s := range starts {
		if s.Unix()%10 != 0 {
			t.Errorf("range start %v not a multiple of the step", s)
		}
	}
	mu.Unlock()
	svc := view.Services(st, at, view.Options{})[0]
	ax := view.NewAxis(at, 15*time.Minute, 90)
	var cols view.Columns
	_, _, p99 := cols.Quantiles(st, svc, sources.SvcLatency, ax, 10*time.Second, false)
	filled := 0
	for _, v := range p99 {
		if !math.IsNaN(v) {
			filled++
		}
	}
	// 90 columns of 10 s; the last 30 s left out (repeated), the newest
	// columns kept by the poll's figure.
	if filled < 85 || filled > 90 {
		t.Errorf("%d of 90 columns filled from history: %v", filled, p99)
	}
	for _, p := range frames[0].Points {
		if p.At.After(at.Add(-30 * time.Second)) {
			t.Fatalf("a point the engine repeated near now was kept: %v", p.At)
		}
	}
	// Drill into host-0004.
	n0 := len(fe.queriesSeen())
	if err := src.FetchDetail(context.Background(), "host-0004", from, to, 10*time.Second, emit); err != nil {
		t.Fatal(err)
	}
	if ss := st.Select(sources.GPUSMClock); len(ss) != 1 || ss[0].Label(sources.LabelHost) != "host-0004" {
		t.Errorf("detail history %v", ss)
	}
	if _, err := src.Poll(context.Background(), at); err != nil {
		t.Fatal(err)
	}
	scoped := 0
	for _, q := range fe.queriesSeen()[n0:] {
		if strings.Contains(q, "/api/v1/query ") && strings.Contains(q, "DCGM_FI_DEV_SM_CLOCK") {
			if !strings.Contains(q, `instance=~"`) || !strings.Contains(q, strings.ReplaceAll(instance(4, 9400), ".", `\\.`)) {
				t.Errorf("detail query not scoped to the host: %s", q)
			}
			scoped++
		}
	}
	if scoped != 1 {
		t.Errorf("%d detail polls of the SM clock, want 1 (scoped to host-0004)", scoped)
	}
	if err := src.FetchDetail(context.Background(), "no-such-host", from, to, 10*time.Second, emit); err == nil {
		t.Error("detail of an unknown host")
	}
}

func TestPanelsTopK(t *testing.T) {
	var rs []series
	for i := range 30 {
		rs = append(rs, series{map[string]string{"instance": fmt.Sprintf("h%02d", i)}, float64(i)})
	}
	rs = append(rs, series{map[string]string{"instance": "nan"}, math.NaN()})
	expr := "sum by (instance) (rate(x[1m]))"
	fe := &fakeEngine{answer: func(q string, at time.Time) (string, bool) {
		if q == expr {
			return vector(rs, at), true
		}
		return "", false
	}}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL, TopK: 5, Panels: []Panel{{Name: "x rate", Expr: expr, Unit: "req/s"}}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	f, err := src.Poll(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	var vals []float64
	more := -1.0
	for _, p := range f.Points {
		switch p.Series.Name {
		case PanelSignal:
			if p.Series.Label("panel") != "x rate" || p.Series.Label("unit") != "req/s" {
				t.Errorf("labels %v", p.Series.Labels)
			}
			vals = append(vals, p.Value)
		case PanelMoreSignal:
			more = p.Value
		}
	}
	sort.Float64s(vals)
	if fmt.Sprint(vals) != "[25 26 27 28 29]" || more != 25 {
		t.Errorf("top-5 %v, +%v more; want [25..29] +25 (NaN is n/a)", vals, more)
	}
}

func TestAuthAndRetries(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "token")
	if err := os.WriteFile(tok, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fe := &fakeEngine{auth: "Bearer s3cret-token"}
	srv := httptest.NewServer(fe)
	defer srv.Close()

	good, _ := NewClient(Config{URL: srv.URL, BearerTokenFile: tok})
	if _, err := good.Query(context.Background(), `up`, time.Time{}); err != nil {
		t.Fatalf("with the token: %v", err)
	}
	t.Setenv("VIGIL_TEST_TOKEN", "wrong-token")
	bad, _ := NewClient(Config{URL: srv.URL, BearerTokenEnv: "VIGIL_TEST_TOKEN", Retries: 3})
	before := fe.queries.Load()
	_, err := bad.Query(context.Background(), `up`, time.Time{})
	if err == nil || !strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), "wrong-token") {
		t.Fatalf("err %v: want authentication failed without the token", err)
	}
	if n := fe.queries.Load() - before; n != 1 {
		t.Errorf("an auth failure was tried %d times, want 1", n)
	}
	src, _ := New(Config{URL: srv.URL, BearerTokenEnv: "VIGIL_TEST_TOKEN"})
	f, err := src.Poll(context.Background(), time.Now())
	if err == nil || strings.Contains(fmt.Sprint(f.Health, err, src.Name()), "wrong-token") {
		t.Fatalf("health or error leaks the token: %v %v", f.Health, err)
	}
	if _, err := NewClient(Config{URL: srv.URL, BearerTokenEnv: "VIGIL_NO_SUCH_VAR_Y"}); err == nil || !strings.Contains(err.Error(), "VIGIL_NO_SUCH_VAR_Y is not set") {
		t.Errorf("unset token variable: %v", err)
	}

	// 503 is retried with backoff, then reported.
	fe2 := &fakeEngine{refuse: func(string) (int, string) { return 503, "boom" }}
	srv2 := httptest.NewServer(fe2)
	defer srv2.Close()
	c, _ := NewClient(Config{URL: srv2.URL, Retries: 2, Backoff: time.Millisecond})
	var slept []time.Duration
	c.sleep = func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	_, err = c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("err %v", err)
	}
	if fe2.queries.Load() != 3 || fmt.Sprint(slept) != "[1ms 2ms]" {
		t.Errorf("%d tries, slept %v; want 3 tries, [1ms 2ms]", fe2.queries.Load(), slept)
	}
	// A password in the URL is never shown.
	c3, err := NewClient(Config{URL: "http://user:pw-in-url@127.0.0.1:1"})
	if err != nil || strings.Contains(c3.Target(), "pw-in-url") {
		t.Errorf("target %q err %v", c3.Target(), err)
	}
}

func TestExemplars(t *testing.T) {
	srv := httptest.NewServer(&fakeEngine{})
	defer srv.Close()
	src, _ := New(Config{URL: srv.URL, Exemplars: true})
	f, err := src.Poll(context.Background(), time.Unix(1_700_000_001, 0))
	if err != nil || len(f.Exemplars) != 1 {
		t.Fatalf("exemplars %+v err %v", f.Exemplars, err)
	}
	e := f.Exemplars[0]
	if e.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || e.SpanID != "00f067aa0ba902b7" || e.Value != 1.75 ||
		e.Series.Name != "vllm:e2e_request_latency_seconds" || e.Series.Label("model_name") != "m" || e.Series.Label("le") != "" ||
		!e.At.Equal(time.UnixMilli(1_700_000_000_123)) || fmt.Sprint(e.Labels) != "[{user x} {host 10.0.0.1}]" {
		t.Errorf("exemplar %+v", e)
	}
}

func TestBasicAuthFromFile(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("hunter2\n"), 0o600)
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, p, ok := r.BasicAuth()
		got.Store(fmt.Sprint(u, ":", p, ":", ok))
		if p != "hunter2" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"vector","result":[]}}`)
	}))
	defer srv.Close()
	c, _ := NewClient(Config{URL: srv.URL, BasicUser: "vigil", BasicPasswordFile: pw})
	if _, err := c.Query(context.Background(), "up", time.Time{}); err != nil || got.Load() != "vigil:hunter2:true" {
		t.Errorf("basic auth: %v (server saw %v)", err, got.Load())
	}
	if _, err := NewClient(Config{URL: srv.URL, BasicUser: "vigil", BasicPasswordEnv: "VIGIL_NO_SUCH_VAR_X"}); err == nil || !strings.Contains(err.Error(), "VIGIL_NO_SUCH_VAR_X is not set") {
		t.Errorf("unset env: %v", err)
	}
	os.WriteFile(pw, []byte("wrong"), 0o600)
	c, _ = NewClient(Config{URL: srv.URL, BasicUser: "vigil", BasicPasswordFile: pw})
	_, err := c.Query(context.Background(), "up", time.Time{})
	if err == nil || !strings.Contains(err.Error(), "authentication failed (HTTP 403") || strings.Contains(err.Error(), "wrong") {
		t.Errorf("403: %v", err)
	}
}

// TestEnginePaths: VictoriaMetrics cluster serves the API under
// /select/<tenant>/prometheus, Mimir and Cortex under /prometheus with the
// tenant in X-Scope-OrgID; a base URL with the prefix polls the whole fleet
// and the history through it, and nothing is asked outside it.
func TestEnginePaths(t *testing.T) {
	for _, c := range []struct{ prefix, tenant string }{{"/select/42/prometheus", ""}, {"/prometheus", "team-a"}} {
		t.Run(c.prefix, func(t *testing.T) {
			ff := newFakeFleet(4, 2, time.Unix(1_700_000_000, 0), time.Minute)
			fe := ff.engine()
			fe.tenant = c.tenant
			var outside atomic.Int64
			mux := http.NewServeMux()
			mux.Handle(c.prefix+"/api/", http.StripPrefix(c.prefix, fe))
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				outside.Add(1)
				http.NotFound(w, r)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()
			src, err := New(Config{URL: srv.URL + c.prefix + "/", Tenant: c.tenant, Stacks: fleetStacks, RateWindow: ff.window})
			if err != nil {
				t.Fatal(err)
			}
			f, err := src.Poll(context.Background(), ff.at)
			if err != nil {
				t.Fatal(err)
			}
			st := storeOf(f)
			if n, g := len(view.Services(st, ff.at, view.Options{})), len(view.GPUs(st, ff.at)); n != 4 || g != 8 {
				t.Errorf("%d services, %d GPUs through %s", n, g, c.prefix)
			}
			if err := src.FillHistory(context.Background(), ff.at.Add(-time.Minute), ff.at, 15*time.Second, func(sources.Frame) {}); err != nil {
				t.Errorf("history: %v", err)
			}
			if outside.Load() != 0 {
				t.Errorf("%d requests outside %s", outside.Load(), c.prefix)
			}
		})
	}
}

// TestHistoryDuringPolls: history fills run while polls do (the console
// asks on start, zoom and pan); they share the machines' names without a
// race, and a fill asked before the first poll of a large fleet does not
// fetch every host's detail.
func TestHistoryDuringPolls(t *testing.T) {
	ff := newFakeFleet(12, 2, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	var detail atomic.Int64
	fe.rangeAnswer = func(q string, start, end time.Time, step time.Duration) (string, bool) {
		if strings.Contains(q, "DCGM_FI_DEV_SM_CLOCK") {
			detail.Add(1)
		}
		return "", false
	}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL, Stacks: fleetStacks, RateWindow: ff.window})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.FillHistory(context.Background(), ff.at.Add(-time.Minute), ff.at, 15*time.Second, func(sources.Frame) {}); err != nil {
		t.Fatal(err)
	}
	if detail.Load() != 0 {
		t.Errorf("a fill before the first poll of 12 hosts asked every host's detail")
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 4; i++ {
			if _, err := src.Poll(context.Background(), ff.at); err != nil {
				t.Error(err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 4; i++ {
			_ = src.FillHistory(context.Background(), ff.at.Add(-time.Minute), ff.at, 15*time.Second, func(sources.Frame) {})
		}
	}()
	wg.Wait()
}

// TestHistoryDuringFirstPoll: history asked while the first poll is still
// out (the console asks both at start) is named by machine, as the polls
// will name it, not by bare address.
func TestHistoryDuringFirstPoll(t *testing.T) {
	ff := newFakeFleet(12, 2, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	release := make(chan struct{})
	inner := fe.answer
	fe.answer = func(q string, at time.Time) (string, bool) {
		if at.Equal(ff.at) && strings.Contains(q, "DCGM_FI_DEV_GPU_TEMP") {
			<-release // the poll's GPU figures wait for the fill
		}
		return inner(q, at)
	}
	fe.rangeAnswer = func(q string, start, end time.Time, step time.Duration) (string, bool) {
		if !strings.Contains(q, "vllm:e2e_request_latency_seconds_bucket") {
			return "", false
		}
		var ss []string
		for i := 0; i < ff.n; i++ {
			ss = append(ss, fmt.Sprintf(`{"metric":{"instance":%q,"model_name":"m","vigil_figure":"p99"},"values":[[%d,"0.5"]]}`, instance(i, 8000), end.Unix()))
		}
		return "[" + strings.Join(ss, ",") + "]", true
	}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	src, err := New(Config{URL: srv.URL, Stacks: fleetStacks, RateWindow: ff.window})
	if err != nil {
		t.Fatal(err)
	}
	polled := make(chan error, 1)
	go func() {
		_, err := src.Poll(context.Background(), ff.at)
		polled <- err
	}()
	promtest.Eventually(t, 10*time.Second, "the first poll asks for its figures", func() bool {
		src.mu.Lock()
		defer src.mu.Unlock()
		return src.polls > 0
	})
	var hosts []string
	err = src.FillHistory(context.Background(), ff.at.Add(-time.Minute), ff.at, 15*time.Second, func(f sources.Frame) {
		for _, p := range f.Points {
			if p.Series.Name == sources.SvcLatencyQuant {
				hosts = append(hosts, p.Series.Label(sources.LabelHost))
			}
		}
	})
	close(release)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-polled; err != nil {
		t.Fatal(err)
	}
	if len(hosts) == 0 {
		t.Fatal("no latency history")
	}
	for _, h := range hosts {
		if !strings.HasPrefix(h, "host-") {
			t.Fatalf("history named %q, want the machine's name (hosts %v)", h, hosts)
		}
	}
}

// TestFiguresTooSlow: an engine that answers up but none of the figure
// queries in time (overloaded) makes the poll an error naming the wait,
// not a poll that worked with nothing in it; the targets are kept.
func TestFiguresTooSlow(t *testing.T) {
	ff := newFakeFleet(3, 1, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if q := r.Form.Get("query"); q != targetsQuery && q != prom.NodeQuery {
			<-r.Context().Done()
			return
		}
		fe.ServeHTTP(w, r)
	}))
	defer srv.Close()
	src, err := New(Config{URL: srv.URL, Stacks: fleetStacks, Timeout: 100 * time.Millisecond, Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	f, err := src.Poll(context.Background(), ff.at)
	if err == nil || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("poll: %v, want the figures' timeout", err)
	}
	if n := len(storeOf(f).Select(sources.TargetUp)); n != 9 {
		t.Errorf("%d targets kept, want 9", n)
	}
}

// TestHistoryInChunks: a fleet's history is translated and emitted a few
// steps at a time (memory: a console against 1,000 hosts held every answer
// and its point at once, 1.8 GB RSS), and the chunks together bring every
// point that one translation of the whole answer brings.
func TestHistoryInChunks(t *testing.T) {
	ff := newFakeFleet(12, 2, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	fe.rangeAnswer = func(q string, start, end time.Time, step time.Duration) (string, bool) {
		if !strings.Contains(q, "vllm:e2e_request_latency_seconds_bucket") {
			return "", false
		}
		var ss []string
		for i := 0; i < ff.n; i++ {
			var vs []string
			for at := start; !at.After(end); at = at.Add(step) {
				vs = append(vs, fmt.Sprintf(`[%d,"%d.5"]`, at.Unix(), i))
			}
			ss = append(ss, fmt.Sprintf(`{"metric":{"instance":%q,"model_name":"m","vigil_figure":"p99"},"values":[%s]}`, instance(i, 8000), strings.Join(vs, ",")))
		}
		return "[" + strings.Join(ss, ",") + "]", true
	}
	srv := httptest.NewServer(fe)
	defer srv.Close()
	fill := func(chunk int) (frames, most int, pts map[string]float64) {
		defer func(c int) { historyChunk = c }(historyChunk)
		historyChunk = chunk
		src, err := New(Config{URL: srv.URL, Stacks: fleetStacks, RateWindow: ff.window})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := src.Poll(context.Background(), ff.at); err != nil {
			t.Fatal(err)
		}
		pts = map[string]float64{}
		err = src.FillHistory(context.Background(), ff.at.Add(-10*time.Minute), ff.at, 15*time.Second, func(f sources.Frame) {
			frames++
			most = max(most, len(f.Points))
			for _, p := range f.Points {
				pts[fmt.Sprint(p.Series.Key(), p.At.Unix())] = p.Value
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		return frames, most, pts
	}
	oneFrames, _, all := fill(1 << 30)
	frames, most, chunked := fill(40)
	if oneFrames != 1 || frames < 5 {
		t.Errorf("%d frames at once, %d in chunks of 40 answers; want 1 and several", oneFrames, frames)
	}
	// 12 services' p99 at 41 steps: 492 answers, about 40 per chunk.
	if most > 4*40 {
		t.Errorf("a chunk of about 40 answers emitted %d points", most)
	}
	if len(all) < 12*30 || !maps.Equal(all, chunked) {
		t.Errorf("chunks brought %d points, one translation %d; they differ", len(chunked), len(all))
	}
}

// TestShardedPolls: after the first poll the GPUs' identities and the
// hosts' CPU busy come for a slice of the instances each poll; every GPU
// keeps its identity and machine, every host gets its CPU busy within a
// round of slices, and each poll asks for a slice only.
func TestShardedPolls(t *testing.T) {
	ff := newFakeFleet(80, 2, time.Unix(1_700_000_000, 0), time.Minute)
	fe := ff.engine()
	var mu sync.Mutex
	var asked []string
	inner := fe.answer
	fe.answer = func(q string, at time.Time) (string, bool) {
		mu.Lock()
		asked = append(asked, q)
		mu.Unlock()
		return inner(q, at)
	}
	src, _, _ := pollFleet(t, ff, fe, Config{})
	st := sources.NewStore(sources.StoreOptions{})
	busy := map[string]int{}
	for k := 1; k <= 8; k++ {
		mu.Lock()
		asked = nil
		mu.Unlock()
		at := ff.at.Add(time.Duration(k) * 15 * time.Second)
		f, err := src.Poll(context.Background(), at)
		if err != nil {
			t.Fatal(err)
		}
		st.Ingest(f)
		gpus := 0
		for _, p := range f.Points {
			switch p.Series.Name {
			case sources.GPUTemperature:
				gpus++
				if p.Series.Label(sources.LabelUUID) == "" || !strings.HasPrefix(p.Series.Label(sources.LabelHost), "host-") {
					t.Fatalf("poll %d: GPU without its identity or machine: %v", k, p.Series)
				}
			case sources.HostCPUBusy:
				busy[p.Series.Label(sources.LabelHost)]++
				if !near(p.Value, 0.35) {
					t.Errorf("CPU busy %v", p.Value)
				}
			}
		}
		if gpus != 160 {
			t.Fatalf("poll %d: %d GPUs, want 160", k, gpus)
		}
		mu.Lock()
		for _, q := range asked {
			if strings.Contains(q, "node_cpu_seconds_total{mode!=\"\"}") || strings.Contains(q, "UUID") && !strings.Contains(q, "instance=~") {
				t.Errorf("poll %d asked for every instance: %.80s", k, q)
			}
		}
		mu.Unlock()
	}
	if len(busy) != 80 {
		t.Errorf("CPU busy for %d hosts in 8 polls, want 80", len(busy))
	}
	for h, n := range busy {
		if n != 2 {
			t.Errorf("%s: CPU busy in %d polls of 8, want 2", h, n)
		}
	}
}

// TestMatcherChunks: a slice of instances is asked for in requests whose
// matcher stays under the bound, every instance once.
func TestMatcherChunks(t *testing.T) {
	var insts []string
	for i := 0; i < 3000; i++ {
		insts = append(insts, instance(i, 9100))
	}
	seen := 0
	for _, c := range matcherChunks(insts, maxMatcher) {
		if m := instanceMatcher(c); len(m) > maxMatcher {
			t.Fatalf("matcher of %d bytes", len(m))
		}
		seen += len(c)
	}
	if seen != len(insts) {
		t.Errorf("%d instances in the chunks, want %d", seen, len(insts))
	}
	if c := matcherChunks([]string{strings.Repeat("x", 2*maxMatcher)}, maxMatcher); len(c) != 1 {
		t.Errorf("one long instance: %d chunks", len(c))
	}
}

// TestFillHostHistory: a console scoped to a host asks for the charted
// figures' history of that host's instances only; a host not known asks
// for the fleet's.
func TestFillHostHistory(t *testing.T) {
	at := time.Unix(1_700_000_010, 0)
	ff := newFakeFleet(30, 2, at, time.Minute)
	fe := ff.engine()
	var mu sync.Mutex
	var asked []string
	fe.rangeAnswer = func(q string, start, end time.Time, step time.Duration) (string, bool) {
		if q == tailProbe {
			return "[]", true
		}
		mu.Lock()
		asked = append(asked, q)
		mu.Unlock()
		if strings.Contains(q, "vllm:e2e_request_latency_seconds_bucket") {
			var b strings.Builder
			fmt.Fprintf(&b, `[{"metric":{"instance":%q,"model_name":"m","vigil_figure":"p99"},"values":[`, instance(4, 8000))
			for t, k := start, 0; !t.After(end); t, k = t.Add(step), k+1 {
				if k > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `[%d,"%d"]`, t.Unix(), k+1)
			}
			b.WriteString(`]}]`)
			return b.String(), true
		}
		return "[]", true
	}
	src, _, st := pollFleet(t, ff, fe, Config{})
	from, to := at.Add(-15*time.Minute), at
	if err := src.FillHostHistory(context.Background(), "host-0004", from, to, 10*time.Second, st.Ingest); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(asked) == 0 {
		t.Fatal("no history asked")
	}
	inst := strings.ReplaceAll(instance(4, 8000), ".", `\\.`)
	for _, q := range asked {
		if !strings.Contains(q, `instance=~"`) || !strings.Contains(q, inst) {
			t.Errorf("history not scoped to host-0004: %.200s", q)
		}
	}
	asked = nil
	mu.Unlock()
	ss := st.Select(sources.SvcLatencyQuant, sources.Label{Name: sources.LabelHost, Value: "host-0004"}, sources.Label{Name: sources.LabelService, Value: "m"})
	if len(ss) == 0 || len(st.Range(ss[0].Key(), from, to)) < 80 {
		t.Fatalf("host-0004's latency history: %v", ss)
	}
	if err := src.FillHostHistory(context.Background(), "no-such-host", from, to, 10*time.Second, st.Ingest); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, q := range asked {
		if strings.Contains(q, `instance=~"`) {
			t.Errorf("an unknown host's history is the fleet's, asked %.200s", q)
		}
	}
}
