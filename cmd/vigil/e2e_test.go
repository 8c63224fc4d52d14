package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end tests build the real binary and drive it in tmux as a user
// would: start it, read the screen back, send keys.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// vigilBinary builds ./cmd/vigil once per test run.
func vigilBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "vigil-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "vigil")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// tmux is one detached tmux session on its own server socket.
type tmux struct {
	t      *testing.T
	socket string
	name   string
}

func newTmux(t *testing.T, width, height int, env []string, command string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed (apt-get install tmux)")
	}
	tm := &tmux{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock"), name: "vigil"}
	args := []string{"new-session", "-d", "-s", tm.name, "-x", fmt.Sprint(width), "-y", fmt.Sprint(height)}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	args = append(args, command)
	tm.run(args...)
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) run(args ...string) string {
	tm.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...).CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) screen() string {
	s, _ := tm.capture()
	return s
}

// capture reads the pane; ok is false when tmux could not.
func (tm *tmux) capture() (string, bool) {
	out, err := exec.Command("tmux", "-S", tm.socket, "capture-pane", "-p", "-t", tm.name).Output()
	if err != nil {
		return "", false
	}
	return string(out), true
}

func (tm *tmux) keys(keys ...string) {
	tm.run(append([]string{"send-keys", "-t", tm.name}, keys...)...)
}

// waitFor polls the screen until every want appears, or fails after timeout.
func (tm *tmux) waitFor(timeout time.Duration, want ...string) string {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	var s string
	for time.Now().Before(deadline) {
		s = tm.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(s, w) {
				ok = false
				break
			}
		}
		if ok {
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("screen never showed %q; last screen:\n%s", want, s)
	return s
}

func demoCommand(t *testing.T, bin string, extra string) string {
	dir := t.TempDir()
	return fmt.Sprintf("%s demo --seed 7 --speed 10 --otlp-listen 127.0.0.1:0 --log-file %s %s; sleep 30",
		bin, filepath.Join(dir, "vigil.log"), extra)
}

func TestE2EDemoInTmux(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := vigilBinary(t)
	for _, size := range []struct{ w, h int }{{80, 24}, {200, 50}} {
		t.Run(fmt.Sprintf("%dx%d", size.w, size.h), func(t *testing.T) {
			tm := newTmux(t, size.w, size.h, []string{"TERM=xterm-256color"}, demoCommand(t, bin, ""))
			s := tm.waitFor(20*time.Second, "LIVE", "llama", "recsys", "GPU")
			if strings.Contains(s, "panic") || strings.Contains(s, "goroutine ") {
				t.Fatalf("panic on screen:\n%s", s)
			}
			// Figures arrive once two scrapes exist.
			tm.waitFor(20*time.Second, "ms")
			tm.keys("?")
			tm.waitFor(5*time.Second, "help", "quit")
			// ? closes the help it opened (Esc is walked in the other test).
			tm.keys("?")
			tm.waitForGone(5*time.Second, "esc close")
			tm.keys("q")
			// q quits at the top level; the shell's trailing sleep keeps the
			// pane, so look for the shell again by the screen clearing the UI.
			tm.waitForGone(10*time.Second, "LIVE")
		})
	}
}

// TestE2EWalkEveryScreen walks every screen and the drill-down from an error
// log line to its trace, as an on-call engineer would, reading each screen back.
func TestE2EWalkEveryScreen(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := vigilBinary(t)
	tm := newTmux(t, 120, 40, []string{"TERM=xterm-256color"}, demoCommand(t, bin, ""))
	tm.waitFor(20*time.Second, "LIVE", "llama", "recsys")
	screens := []struct{ key, want string }{
		{"2", "GPUs"}, {"3", "Latency"}, {"4", "Errors"}, {"5", "Drift"}, {"6", "Logs"}, {"7", "Traces"},
		{"8", "Alerts"}, {"9", "Data science"}, {"0", "Executive"}, {"1", "Latency"},
	}
	for _, sc := range screens {
		tm.keys(sc.key)
		s := tm.waitFor(5*time.Second, sc.want)
		if strings.Contains(s, "panic") {
			t.Fatalf("screen %s:\n%s", sc.key, s)
		}
	}
	// The sources overlay lists every source with its state.
	tm.keys("S")
	tm.waitFor(5*time.Second, "Sources", "scrape", "nvml", "otlp", "vigil ", "goroutines", "store ", " MB: series ", " · keeps 1h0m0s")
	tm.keys("Escape")
	tm.waitForGone(5*time.Second, "esc close")
	// From the newest error log line to its trace's waterfall and back.
	// (Wait for the scripted error burst: its failed requests are traced;
	// the demo's warm-up lines from before the start have no spans.)
	tm.keys("6")
	tm.waitFor(5*time.Second, "FOLLOW")
	tm.waitFor(60*time.Second, "ErrorRateHigh")
	tm.keys("G")
	tm.keys("E")
	tm.keys("X")
	tm.waitFor(10*time.Second, "Trace ", "POST /v1/")
	tm.keys("Escape")
	tm.waitForGone(5*time.Second, "Trace ")
	tm.keys("1")
	tm.waitFor(5*time.Second, "Latency", "GPUs")
	// A palette command.
	tm.keys(":")
	tm.keys("-l", "range 1h")
	tm.keys("Enter")
	tm.waitFor(5*time.Second, "1h")
	tm.keys("q")
	tm.waitForGone(10*time.Second, "LIVE")
}

// TestE2ETinyAndPlainTerminals: a 20x5 terminal gets the too-small notice,
// and NO_COLOR with TERM=screen draws no escape sequences of colour.
func TestE2ETinyAndPlainTerminals(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := vigilBinary(t)
	tiny := newTmux(t, 20, 5, []string{"TERM=xterm-256color"}, demoCommand(t, bin, ""))
	tiny.waitFor(15*time.Second, "too small", "40×10")
	// tmux sets the pane's TERM itself: env sets the one vigil sees.
	plain := newTmux(t, 80, 24, nil, "env TERM=screen NO_COLOR=1 "+demoCommand(t, bin, ""))
	plain.waitFor(20*time.Second, "LIVE", "llama")
	out, err := exec.Command("tmux", "-S", plain.socket, "capture-pane", "-e", "-p", "-t", plain.name).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if colour.Match(out) {
		t.Fatalf("NO_COLOR screen has colour escapes:\n%q", out)
	}
	if !strings.Contains(string(out), "\x1b[1m") {
		t.Fatalf("NO_COLOR screen has no bold (the focused pane's border):\n%q", out)
	}
	// TERM=screen without NO_COLOR: terminfo gives 8 colours, bold, reverse.
	screen := newTmux(t, 80, 24, nil, "env TERM=screen "+demoCommand(t, bin, ""))
	screen.waitFor(20*time.Second, "LIVE", "llama")
	out, err = exec.Command("tmux", "-S", screen.socket, "capture-pane", "-e", "-p", "-t", screen.name).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if !colour.Match(out) {
		t.Fatalf("TERM=screen draws no colour:\n%q", out)
	}
}

// colour matches an SGR sequence that sets a colour (30-37, 90-97, 38;...,
// and the backgrounds); 39 and 49 (defaults) are not colours.
var colour = regexp.MustCompile(`\x1b\[(?:[0-9]*;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9]*)*m`)

// TestE2ECursor walks the time cursor: on, back to before the demo
// existed (every figure n/a, the live ones included), and off again.
func TestE2ECursor(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := vigilBinary(t)
	tm := newTmux(t, 120, 40, []string{"TERM=xterm-256color"}, demoCommand(t, bin, ""))
	tm.waitFor(20*time.Second, "LIVE", "llama", "ttft p50", "8 GPUs")
	tm.keys("i")
	s := tm.waitFor(5*time.Second, "┃", "cursor off")
	if !strings.Contains(s, "@") {
		t.Fatalf("the panes do not name the cursor's instant:\n%s", s)
	}
	// 60 steps of a 15-minute window: its start, before the demo began.
	for i := 0; i < 60; i++ {
		tm.keys("Left")
	}
	s = tm.waitFor(10*time.Second, "p50    n/a", "ttft p50 n/a")
	for _, l := range strings.Split(s, "\n") {
		// GPU rows: the utilisation of that instant, n/a.
		if strings.Contains(l, "▶ 0 ") && !strings.Contains(l, "n/a") {
			t.Fatalf("a GPU row is not n/a before the data:\n%s", s)
		}
	}
	tm.keys("i")
	tm.waitForGone(5*time.Second, "cursor off")
	tm.waitFor(10*time.Second, "ttft p50 ")
	tm.waitForGone(10*time.Second, "ttft p50 n/a")
	tm.keys("q")
	tm.waitForGone(10*time.Second, "LIVE")
}

// waitForGone polls until text is no longer on the screen.
func (tm *tmux) waitForGone(timeout time.Duration, text string) {
	tm.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		// A screen that could not be read proves nothing.
		if s, ok := tm.capture(); ok && !strings.Contains(s, text) {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	tm.t.Fatalf("%q still on screen:\n%s", text, tm.screen())
}

// TestE2EBusyOTLPPort: with the receiver's port taken, vigil still starts
// (a receiver asked for is something to watch), shows the receiver as a
// source in error with the reason on the traces screen and the sources
// overlay (the status bar counts it), and takes the port once it is free.
func TestE2EBusyOTLPPort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := vigilBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	cmd := fmt.Sprintf("%s --otlp-listen %s --no-discover --no-nvml --log-file %s; sleep 30", bin, addr, filepath.Join(t.TempDir(), "vigil.log"))
	tm := newTmux(t, 120, 40, []string{"TERM=xterm-256color"}, cmd)
	// The status bar names the failing source: "✖ otlp ADDR", or "✖ 1 error"
	// where its name does not fit.
	tm.waitFor(20*time.Second, "LIVE", "✖ otlp "+addr)
	tm.keys("7")
	tm.waitFor(5*time.Second, "Traces", "address already in use", "cannot listen")
	tm.keys("S")
	tm.waitFor(5*time.Second, "Sources", "otlp "+addr, "error")
	tm.keys("Escape")
	tm.waitForGone(5*time.Second, "esc close")
	ln.Close()
	tm.waitFor(15*time.Second, "send OTLP/HTTP to http://"+addr+"/v1/traces")
	tm.waitForGone(5*time.Second, "address already in use")
	tm.keys("1")
	tm.waitFor(5*time.Second, "Latency")
	tm.keys("q")
	tm.waitForGone(10*time.Second, "LIVE")
}

// TestE2EKilledScrapeTarget: a scrape target dies while the console watches
// it (beside the OTLP receiver, which nobody sends to). SourceDown fires for
// that target, and both the banner and the alerts screen (8) say so, subject
// first, at 80x24. The alert's for: (1 min) is scaled by 0.05 to 3 s.
func TestE2EKilledScrapeTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := vigilBinary(t)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprint(w, "# TYPE http_requests_total counter\nhttp_requests_total{service=\"api\",code=\"200\"} 100\n")
	}))
	defer target.Close()
	name := "scrape " + strings.TrimPrefix(target.URL, "http://")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfg, []byte("alerts:\n  for_scale: 0.05\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := fmt.Sprintf("%s --config %s --scrape %s/metrics --no-discover --no-nvml --otlp-listen 127.0.0.1:0 --log-file %s; sleep 30",
		bin, cfg, target.URL, filepath.Join(dir, "vigil.log"))
	tm := newTmux(t, 80, 24, []string{"TERM=xterm-256color", "XDG_CONFIG_HOME=" + dir, "XDG_STATE_HOME=" + dir}, cmd)
	tm.waitFor(20*time.Second, "LIVE")
	// The target is up first.
	tm.keys("S")
	tm.waitFor(10*time.Second, name, "● ok")
	tm.keys("Escape")
	tm.waitForGone(5*time.Second, "esc close")
	target.CloseClientConnections()
	target.Close() // killed
	banner := func(s string) string {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "▲") {
				return l
			}
		}
		return ""
	}
	s := tm.waitFor(30*time.Second, "▲ 1 firing")
	if b := banner(s); !strings.Contains(b, "WARN "+name+" ") || !strings.Contains(b, "down") {
		t.Fatalf("the banner does not name the target first:\n%s", s)
	}
	tm.keys("8")
	s = tm.waitFor(10*time.Second, "Alerts 1 firing", "firing", "SourceD")
	var row string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, "WARN firing") && strings.Contains(l, name) {
			row = l
		}
	}
	if row == "" || strings.Contains(s, "no alert firing or pending") {
		t.Fatalf("the alerts screen does not list the target's SourceDown:\n%s", s)
	}
	tm.keys("1") // q on a screen other than the overview goes back to it
	tm.waitFor(5*time.Second, "Latency")
	tm.keys("q")
	tm.waitForGone(10*time.Second, "LIVE")
}
