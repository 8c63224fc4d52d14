package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources/promql/promtest"
)

func get(t *testing.T, u string) (string, string, int) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b), resp.Header.Get("Content-Type"), resp.StatusCode
}

// Each host serves its exporters on its own address; a scrape gets what
// WriteExporter writes for that instant.
func TestServe(t *testing.T) {
	f := newFleet(t, 3)
	at := start.Add(7 * time.Minute)
	s, err := Serve(f, ServeOptions{AnyPort: true, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i, h := range f.Hosts() {
		for _, e := range Exporters {
			addr := s.Targets(e)[i]
			if host, _, _ := net.SplitHostPort(addr); host != h.Addr {
				t.Errorf("%s %s listens on %s, not on its address %s", h.Name, e.Job(), addr, h.Addr)
			}
			body, ct, code := get(t, "http://"+addr+"/metrics")
			if code != 200 || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
				t.Fatalf("%s: %d %s", addr, code, ct)
			}
			var want bytes.Buffer
			if err := f.WriteExporter(&want, i, e, at); err != nil {
				t.Fatal(err)
			}
			if body != want.String() {
				t.Errorf("%s %s: the scrape differs from WriteExporter at the same instant", h.Name, e.Job())
			}
		}
	}
	if _, _, code := get(t, "http://"+s.Targets(Node)[0]+"/other"); code != http.StatusNotFound {
		t.Errorf("/other: %d", code)
	}

	// The file_sd files list every target once, with its group labels.
	dir := t.TempDir()
	fs, err := s.WriteFiles(dir, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range Exporters {
		b, err := os.ReadFile(fs.FileSD[e])
		if err != nil {
			t.Fatal(err)
		}
		var groups []fileSDGroup
		if err := json.Unmarshal(b, &groups); err != nil {
			t.Fatalf("%s: %v", fs.FileSD[e], err)
		}
		n := 0
		for _, g := range groups {
			n += len(g.Targets)
			if g.Labels["cluster"] == "" || (e == VLLM) != (g.Labels["namespace"] != "") {
				t.Errorf("%s: group labels %v", e.Job(), g.Labels)
			}
		}
		if n != 3 {
			t.Errorf("%s: %d targets in %s", e.Job(), n, fs.FileSD[e])
		}
	}
	cfg, err := os.ReadFile(fs.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"job_name: vllm", "job_name: dcgm", "job_name: node", "scrape_interval: 15s", fs.FileSD[DCGM]} {
		if !strings.Contains(string(cfg), want) {
			t.Errorf("scrape config lacks %q:\n%s", want, cfg)
		}
	}
}

func TestServeBusyAddress(t *testing.T) {
	var ports [3]int
	for i := range ports {
		l, err := net.Listen("tcp", "127.1.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	f, err := New(Config{Hosts: 2, Seed: 7, Start: start, Ports: Ports{VLLM: ports[0], DCGM: ports[1], Node: ports[2]}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", f.Instance(1, DCGM))
	if err != nil {
		t.Skipf("cannot hold %s: %v", f.Instance(1, DCGM), err)
	}
	defer ln.Close()
	s, err := Serve(f, ServeOptions{})
	if err == nil {
		s.Close()
		t.Fatal("served on a taken address")
	}
	if !strings.Contains(err.Error(), "dcgm") || !strings.Contains(err.Error(), f.Hosts()[1].Name) {
		t.Errorf("error does not say which: %v", err)
	}
	// Nothing stays bound after the failure.
	l2, err := net.Listen("tcp", f.Instance(0, VLLM))
	if err != nil {
		t.Errorf("host 0's vLLM port still held: %v", err)
	} else {
		l2.Close()
	}
}

// Run writes the files, prints where they are and serves until cancelled.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(ctx, RunOptions{Hosts: 2, Seed: 3, Dir: dir, Interval: 5 * time.Second}, &out) }()
	promtest.Eventually(t, 10*time.Second, "Run prints how to start an engine", func() bool {
		return strings.Contains(out.String(), "serving until interrupted")
	})
	text := out.String()
	for _, want := range []string{"-promscrape.config=" + filepath.Join(dir, "prometheus.yml"), "--config.file=", "vigil --prom http://127.0.0.1:8428", "hot_gpu", "deep_queue", "127.1.0.1"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "targets-vllm.json")); err != nil {
		t.Error(err)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A real VictoriaMetrics scrapes a served fleet of three hosts through the
// scrape config Run writes, and holds every host, GPU and incident.
func TestVictoriaMetricsScrapesFleet(t *testing.T) {
	bin, err := exec.LookPath("victoria-metrics")
	if err != nil {
		t.Skip("victoria-metrics not installed: apt-get install victoria-metrics")
	}
	// Start ten minutes ago, so every incident acts now.
	f, err := New(Config{Hosts: 3, Seed: 11, Start: time.Now().Add(-10 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := Serve(f, ServeOptions{AnyPort: true})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	fs, err := s.WriteFiles(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	addr := promtest.FreeAddr(t)
	promtest.Start(t, bin, "http://"+addr+"/health", "-promscrape.config="+fs.Config, "-storageDataPath="+filepath.Join(dir, "vm"),
		"-httpListenAddr="+addr, "-search.latencyOffset=0", "-loggerLevel=ERROR")
	base := "http://" + addr

	query := func(q string) []vmSample {
		http.Get(base + "/internal/force_flush")
		resp, err := http.Get(base + "/api/v1/query?nocache=1&query=" + url.QueryEscape(q))
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var r struct {
			Data struct {
				Result []vmSample `json:"result"`
			} `json:"data"`
		}
		if json.NewDecoder(resp.Body).Decode(&r) != nil {
			return nil
		}
		return r.Data.Result
	}
	one := func(q string) float64 {
		r := query(q)
		if len(r) != 1 {
			return -1
		}
		return r[0].value()
	}
	promtest.Eventually(t, 20*time.Second, "VictoriaMetrics holds 9 targets and 24 GPUs", func() bool {
		return one(`count(up == 1)`) == 9 && one(`count(DCGM_FI_DEV_GPU_TEMP)`) == 24 && one(`count(vllm:num_requests_waiting)`) == 3 &&
			one(`count(node_uname_info)`) == 3
	})

	inc := map[IncidentKind]Incident{}
	for _, in := range f.Incidents() {
		inc[in.Kind] = in
	}
	hosts := f.Hosts()
	hot := query(`topk(1, DCGM_FI_DEV_GPU_TEMP)`)
	if len(hot) != 1 || hot[0].Metric["Hostname"] != inc[HotGPU].HostName || hot[0].Metric["gpu"] != strconv.Itoa(inc[HotGPU].GPU) || hot[0].value() < 88 {
		t.Errorf("hottest GPU %v, want %s GPU %d at ~89 °C", hot, inc[HotGPU].HostName, inc[HotGPU].GPU)
	}
	deep := query(`topk(1, vllm:num_requests_waiting)`)
	if want := hosts[inc[DeepQueue].Host].Addr + ":"; len(deep) != 1 || !strings.HasPrefix(deep[0].Metric["instance"], want) || deep[0].value() < 34 {
		t.Errorf("deepest queue %v, want ~40 on %s*", deep, want)
	}
	xid := query(`DCGM_FI_DEV_XID_ERRORS == 13`)
	if len(xid) != 1 || xid[0].Metric["UUID"] != inc[XID].UUID || xid[0].Metric["err_msg"] != "Graphics Engine Exception" {
		t.Errorf("XID series %v, want %s", xid, inc[XID].UUID)
	}
	// The group labels came through file_sd; a host's three jobs share its address.
	if n := one(`count(count by (cluster) (up))`); n < 1 {
		t.Errorf("no cluster label on up")
	}
	if n := one(`count(up{job="vllm", namespace!=""})`); n != 3 {
		t.Errorf("%v vLLM targets with a namespace, want 3", n)
	}
	for i, h := range hosts {
		for _, e := range Exporters {
			if v := one(fmt.Sprintf(`up{instance=%q, job=%q}`, s.Targets(e)[i], e.Job())); v != 1 {
				t.Errorf("%s %s: up %v", h.Name, e.Job(), v)
			}
		}
	}
}

type vmSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

func (s vmSample) value() float64 {
	str, _ := s.Value[1].(string)
	v, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return -1
	}
	return v
}
