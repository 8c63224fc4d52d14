// Package promtest starts the real Debian-packaged Prometheus,
// VictoriaMetrics, node-exporter and Alertmanager on 127.0.0.1 for
// integration tests: free ports, temporary directories, readiness awaited
// with a deadline, processes killed at the test's cleanup. When a binary is
// missing the test is skipped with one line naming the Debian packages to
// install. Engines can be started on data written beforehand (history with
// timestamps), so that a test knows every sample they hold.
package promtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Packages is the install line printed when a binary is missing.
const Packages = "apt-get install prometheus prometheus-node-exporter prometheus-alertmanager victoria-metrics"

// ReadyTimeout bounds how long a server may take to become ready.
const ReadyTimeout = 30 * time.Second

// Binary returns the path of the first of names found on PATH, or skips t.
func Binary(t testing.TB, names ...string) string {
	t.Helper()
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("%s not installed: %s", names[0], Packages)
	return ""
}

// FreeAddr returns a free 127.0.0.1:port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("promtest: free port: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// syncBuf is a goroutine-safe output buffer.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > 1<<20 {
		return len(p), nil
	}
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs bin with args, waits until GET ready (a URL) answers 200, and
// kills the process at cleanup. Its output is logged when the test fails.
func Start(t testing.TB, bin string, ready string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	out := &syncBuf{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("promtest: start %s: %v", bin, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), tail(out.String(), 4000))
		}
	})
	deadline := time.Now().Add(ReadyTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		select {
		case <-done:
			t.Fatalf("promtest: %s exited early:\n%s", filepath.Base(bin), tail(out.String(), 4000))
		default:
		}
		resp, err := client.Get(ready)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("promtest: %s not ready at %s within %s:\n%s", filepath.Base(bin), ready, ReadyTimeout, tail(out.String(), 4000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// NodeExporter starts node-exporter and returns its host:port.
func NodeExporter(t testing.TB) string {
	t.Helper()
	bin := Binary(t, "prometheus-node-exporter", "node_exporter")
	addr := FreeAddr(t)
	Start(t, bin, "http://"+addr+"/metrics", "--web.listen-address="+addr,
		"--collector.disable-defaults", "--collector.cpu", "--collector.loadavg", "--collector.meminfo",
		"--collector.filesystem", "--collector.netdev", "--collector.uname", "--collector.time", "--collector.stat")
	return addr
}

// Job is one scrape job of the Prometheus config.
type Job struct {
	Name    string
	Targets []string // host:port
	Path    string   // default /metrics
}

// Prometheus starts Prometheus scraping jobs every interval, with rules (the
// text of a rule file, may be empty) evaluated at the same interval, and
// returns its base URL.
func Prometheus(t testing.TB, interval time.Duration, jobs []Job, rules string) string {
	t.Helper()
	bin := Binary(t, "prometheus")
	dir := t.TempDir()
	var b strings.Builder
	iv := fmt.Sprintf("%dms", interval.Milliseconds())
	fmt.Fprintf(&b, "global:\n  scrape_interval: %s\n  evaluation_interval: %s\n", iv, iv)
	if rules != "" {
		rf := filepath.Join(dir, "rules.yml")
		if err := os.WriteFile(rf, []byte(rules), 0o600); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "rule_files: [%q]\n", rf)
	}
	b.WriteString("scrape_configs:\n")
	for _, j := range jobs {
		path := j.Path
		if path == "" {
			path = "/metrics"
		}
		fmt.Fprintf(&b, "  - job_name: %q\n    metrics_path: %q\n    static_configs:\n      - targets: [", j.Name, path)
		for i, tg := range j.Targets {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q", tg)
		}
		b.WriteString("]\n")
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	Start(t, bin, "http://"+addr+"/-/ready", "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	return "http://" + addr
}

// Alertmanager starts Alertmanager with a null receiver and no clustering
// and returns its base URL.
func Alertmanager(t testing.TB) string {
	t.Helper()
	bin := Binary(t, "prometheus-alertmanager", "alertmanager")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(cfg, []byte("route:\n  receiver: none\nreceivers:\n  - name: none\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	Start(t, bin, "http://"+addr+"/-/ready", "--config.file="+cfg, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	return "http://" + addr
}

// Eventually polls cond every 50 ms until it returns true or the deadline
// passes, then fails with what.
func Eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("promtest: %s: not within %s", what, within)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// VictoriaMetrics starts Debian's single-node VictoriaMetrics with its
// default flags (besides storage and listen address) and flags, and returns
// its base URL.
func VictoriaMetrics(t testing.TB, flags ...string) string {
	t.Helper()
	bin := Binary(t, "victoria-metrics", "victoria-metrics-prod")
	addr := FreeAddr(t)
	args := append([]string{"-storageDataPath=" + filepath.Join(t.TempDir(), "vm"), "-httpListenAddr=" + addr, "-loggerLevel=ERROR"}, flags...)
	Start(t, bin, "http://"+addr+"/health", args...)
	return "http://" + addr
}

// ImportVM posts Prometheus text format with millisecond timestamps to
// VictoriaMetrics' /api/v1/import/prometheus and makes it searchable.
func ImportVM(t testing.TB, base string, text []byte) {
	t.Helper()
	resp, err := http.Post(base+"/api/v1/import/prometheus", "text/plain", bytes.NewReader(text))
	if err != nil {
		t.Fatalf("promtest: import: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("promtest: import: HTTP %d", resp.StatusCode)
	}
	if resp, err = http.Get(base + "/internal/force_flush"); err == nil {
		resp.Body.Close()
	}
}

// PrometheusWithData starts Prometheus on blocks built by promtool from an
// OpenMetrics text with timestamps (seconds), scraping nothing, and returns
// its base URL.
func PrometheusWithData(t testing.TB, openMetrics []byte, flags ...string) string {
	t.Helper()
	bin := Binary(t, "prometheus")
	tool := Binary(t, "promtool")
	dir := t.TempDir()
	src := filepath.Join(dir, "data.om")
	if err := os.WriteFile(src, openMetrics, 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if out, err := exec.Command(tool, "tsdb", "create-blocks-from", "openmetrics", src, data).CombinedOutput(); err != nil {
		t.Fatalf("promtool: %v\n%s", err, tail(string(out), 2000))
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte("global: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	args := append([]string{"--config.file=" + cfg, "--storage.tsdb.path=" + data, "--storage.tsdb.retention.time=100y",
		"--web.listen-address=" + addr, "--log.level=warn"}, flags...)
	Start(t, bin, "http://"+addr+"/-/ready", args...)
	return "http://" + addr
}
