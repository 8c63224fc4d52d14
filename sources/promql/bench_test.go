package promql

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
)

// servePrepared answers the fleet's instant queries with responses built
// beforehand (gzipped when asked, as engines do), so that the benchmark
// measures vigil's side of a poll.
func (ff *fakeFleet) servePrepared() http.Handler {
	type resp struct{ plain, gz []byte }
	prepared := map[string]resp{}
	empty := []byte(`{"status":"success","data":{"resultType":"vector","result":[]}}`)
	for q, res := range ff.bodies {
		plain := []byte(`{"status":"success","data":{"resultType":"vector","result":` + res + `}}`)
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
		zw.Write(plain)
		zw.Close()
		prepared[q] = resp{plain, b.Bytes()}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		q := r.Form.Get("query")
		p, ok := prepared[q]
		if !ok {
			// A query narrowed to some instances (a shard).
			if res, found := ff.answer(q); found {
				plain := []byte(`{"status":"success","data":{"resultType":"vector","result":` + res + `}}`)
				var b bytes.Buffer
				zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
				zw.Write(plain)
				zw.Close()
				p, ok = resp{plain, b.Bytes()}, true
			}
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case !ok:
			w.Write(empty)
		case strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"):
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(p.gz)
		default:
			w.Write(p.plain)
		}
	})
}

// fakeFleetEnv makes the test binary a fake engine serving a fleet of that
// many hosts (TestFakeFleetServer), so that a benchmark counts only vigil's
// CPU.
const fakeFleetEnv = "VIGIL_FAKE_FLEET_HOSTS"

// TestFakeFleetServer serves a fake fleet on a free loopback port and
// prints its address, when run as a benchmark's engine; it is skipped
// otherwise.
func TestFakeFleetServer(t *testing.T) {
	n, err := strconv.Atoi(os.Getenv(fakeFleetEnv))
	if err != nil {
		t.Skip("runs as a benchmark's fake engine only")
	}
	ff := newFakeFleet(n, 8, time.Unix(1_700_000_000, 0), time.Minute)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println("listening", l.Addr().String())
	_ = http.Serve(l, ff.servePrepared())
}

// startFakeFleet runs the fake engine in its own process and returns its URL.
func startFakeFleet(b *testing.B, n int) string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestFakeFleetServer$", "-test.v")
	cmd.Env = append(os.Environ(), fakeFleetEnv+"="+strconv.Itoa(n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
			return "http://" + a
		}
	}
	b.Fatal("the fake engine did not start")
	return ""
}

// BenchmarkFleetPoll is one query-mode poll of a fleet (each host a vLLM
// server, 8 GPUs behind dcgm-exporter and a node-exporter) against a fake
// engine that answers the presets' summary queries with figures already
// reduced per service, GPU and host: requests, gzip, decoding, translation
// onto canonical signals, and the store's ingest. The engine runs in its
// own process: cpu-s/op is vigil's CPU (user+system) per poll; MB/op the
// answers decompressed, wire-MB/op as sent.
func BenchmarkFleetPoll(b *testing.B) {
	for _, n := range []int{1000, 2500, 5000} {
		b.Run(fmt.Sprintf("hosts=%d", n), func(b *testing.B) {
			at := time.Unix(1_700_000_000, 0)
			src, err := New(Config{URL: startFakeFleet(b, n), Stacks: fleetStacks, DetailAll: -1})
			if err != nil {
				b.Fatal(err)
			}
			st := sources.NewStore(sources.StoreOptions{})
			f, err := src.Poll(context.Background(), at)
			if err != nil || len(f.Points) < n*8*8 {
				b.Fatalf("poll: %v (%d points)", err, len(f.Points))
			}
			st.Ingest(f)
			wire0, body0 := src.Client().Bytes()
			b.ReportAllocs()
			b.ResetTimer()
			var cpu, least time.Duration
			for i := 0; i < b.N; i++ {
				c0 := cputime.Now()
				f, err := src.Poll(context.Background(), at)
				if err != nil {
					b.Fatal(err)
				}
				st.Ingest(f)
				d := cputime.Now() - c0
				cpu += d
				if i == 0 || d < least {
					least = d
				}
			}
			b.StopTimer()
			wire1, body1 := src.Client().Bytes()
			// The least is the figure on a busy machine: other processes
			// inflate a poll's CPU time (caches, shared cores), never shrink it.
			b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(least.Seconds(), "least-cpu-s/op")
			b.ReportMetric(float64(body1-body0)/float64(b.N)/1e6, "MB/op")
			b.ReportMetric(float64(wire1-wire0)/float64(b.N)/1e6, "wire-MB/op")
			b.ReportMetric(float64(f.Health.Series), "series")
		})
	}
}
