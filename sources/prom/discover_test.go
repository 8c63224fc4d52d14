package prom

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// listenOn serves h on 127.0.0.1 at a free port and returns the port.
func listenOn(t *testing.T, h http.HandlerFunc) int { return listenOnB(t, h) }

func listenOnB(t testing.TB, h http.HandlerFunc) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewUnstartedServer(h)
	s.Listener.Close()
	s.Listener = ln
	s.Start()
	t.Cleanup(s.Close)
	return ln.Addr().(*net.TCPAddr).Port
}

// freePort returns a port nothing listens on (it was free a moment ago).
func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func TestDiscover(t *testing.T) {
	files := map[string]string{"vllm": "vllm.prom", "dcgm": "dcgm.prom", "node": "node.prom"}
	ports := map[string]int{}
	for stack, f := range files {
		body := readFixture(t, f)
		ports[stack] = listenOn(t, func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/metrics" {
				http.NotFound(w, r)
				return
			}
			w.Write(body)
		})
	}
	web := listenOn(t, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("<html>hello</html>")) })
	notFound := listenOn(t, http.NotFound)
	generic := listenOn(t, func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("go_goroutines 12\n")) })
	ln, _ := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	defer ln.Close()
	silent := ln.Addr().(*net.TCPAddr).Port
	dead := freePort(t)

	start := time.Now()
	got := Discover(context.Background(), []int{ports["vllm"], dead, web, silent, ports["dcgm"], notFound, generic, ports["node"]})
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("discovery took %s", d)
	}
	want := []Found{
		{URL: "http://127.0.0.1:" + itoa(ports["vllm"]) + "/metrics", Port: ports["vllm"], Stacks: []string{"vllm"}},
		{URL: "http://127.0.0.1:" + itoa(ports["dcgm"]) + "/metrics", Port: ports["dcgm"], Stacks: []string{"dcgm"}},
		{URL: "http://127.0.0.1:" + itoa(ports["node"]) + "/metrics", Port: ports["node"], Stacks: []string{"node"}},
	}
	for i := range got {
		got[i].Series = 0
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("found %+v\nwant  %+v", got, want)
	}
	if s := Summary(got); s != "found vllm on :"+itoa(ports["vllm"])+", dcgm on :"+itoa(ports["dcgm"])+", node on :"+itoa(ports["node"]) {
		t.Errorf("Summary: %q", s)
	}
	if Summary(nil) != "no serving stack found on 127.0.0.1" {
		t.Errorf("empty summary %q", Summary(nil))
	}
	if got[0].IsPrometheus() || !(Found{Stacks: []string{"prometheus"}}).IsPrometheus() {
		t.Error("IsPrometheus")
	}
	if c := got[0].ScrapeConfig(time.Second); c.URL != got[0].URL || c.Interval != time.Second {
		t.Errorf("ScrapeConfig %+v", c)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestRayTargets(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sd.json")
	os.WriteFile(p, []byte(`[{"labels":{"job":"ray"},"targets":["10.0.0.5:44217","127.0.0.1:51234","junk"]}]`), 0o600)
	got, err := RayTargets(p)
	if err != nil || !reflect.DeepEqual(got, []string{"http://10.0.0.5:44217/metrics", "http://127.0.0.1:51234/metrics"}) {
		t.Errorf("got %v, %v", got, err)
	}
	if got, err := RayTargets(filepath.Join(t.TempDir(), "none.json")); got != nil || err != nil {
		t.Errorf("missing file: %v %v", got, err)
	}
}

// BenchmarkDiscoverNothingListening probes the default port list with
// nothing listening on any of them (ports taken and released just before).
func BenchmarkDiscoverNothingListening(b *testing.B) {
	ports := make([]int, len(DefaultPorts))
	for i := range ports {
		ports[i] = freePort(b)
	}
	b.ReportAllocs()
	for b.Loop() {
		if f := Discover(context.Background(), ports); len(f) != 0 {
			b.Fatalf("found %v", f)
		}
	}
}
