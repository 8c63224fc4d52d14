//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type config struct {
	vigil, base string
	rate        int
	files       int
	stdin       bool
	flood       time.Duration
	idle        time.Duration
	settle      time.Duration
	every       time.Duration
	w, h        int
	args        string
	env         string
	show        bool
	bigLine     int
	rounds      int
	profile     string
}

func main() {
	var c config
	var size string
	flag.StringVar(&c.vigil, "vigil", "", "the vigil `binary` to measure (required)")
	flag.StringVar(&c.base, "base", "", "a second vigil `binary` measured first, in the same run, for a side-by-side comparison")
	flag.IntVar(&c.rate, "rate", 50_000, "log `lines` per second, over all files")
	flag.IntVar(&c.files, "files", 1, "log files flooded at once (rate/files lines/s each)")
	flag.BoolVar(&c.stdin, "stdin", false, "flood vigil's standard input (--log -) instead of files")
	flag.DurationVar(&c.flood, "for", 20*time.Second, "how long the flood lasts")
	flag.DurationVar(&c.idle, "idle", 4*time.Second, "measuring before the flood")
	flag.DurationVar(&c.settle, "settle", 20*time.Second, "measuring after the flood")
	flag.DurationVar(&c.every, "every", 300*time.Millisecond, "a key press this often")
	flag.StringVar(&size, "size", "120x40", "terminal `WxH`")
	flag.StringVar(&c.args, "args", "", "more vigil arguments, space separated")
	flag.StringVar(&c.env, "env", "", "more environment for vigil, `K=V` space separated")
	flag.BoolVar(&c.show, "show", false, "print the screen at the end of the flood")
	flag.IntVar(&c.bigLine, "big-line", 0, "also write one JSON line of this many `bytes` in the middle of the flood")
	flag.IntVar(&c.rounds, "rounds", 1, "measure each binary this many `times`, taking turns (base, vigil, base, ...)")
	flag.StringVar(&c.profile, "profile", "", "write a CPU profile of each run into `DIR` (vigil's hidden --cpuprofile)")
	flag.Parse()
	if c.vigil == "" {
		fmt.Fprintln(os.Stderr, "logflood: -vigil BINARY is required (go build -o /tmp/vigil ./cmd/vigil)")
		os.Exit(2)
	}
	if _, err := fmt.Sscanf(size, "%dx%d", &c.w, &c.h); err != nil || c.w < 40 || c.h < 10 {
		fmt.Fprintf(os.Stderr, "logflood: -size %q: want WxH, at least 40x10\n", size)
		os.Exit(2)
	}
	if c.stdin {
		c.files = 1
	}
	c.files = max(c.files, 1)
	if _, err := exec.LookPath("tmux"); err != nil {
		fmt.Fprintln(os.Stderr, "logflood: needs tmux")
		os.Exit(2)
	}
	var results []*result
	bins := []string{c.vigil}
	if c.base != "" {
		bins = []string{c.base, c.vigil}
	}
	c.rounds = max(c.rounds, 1)
	fmt.Fprintf(os.Stdout, "logflood: %d lines/s into %s for %s, a key every %s, %dx%d, %d round(s)\n",
		c.rate, c.source(), c.flood, c.every, c.w, c.h, c.rounds)
	fmt.Fprintf(os.Stdout, "key-to-frame in ms (p50/p90/p99/max, missed); RSS in MB (peak/end of phase); CPU in %% of a core; load: 1-min load average at the phase's end\n\n")
	for round := 1; round <= c.rounds; round++ {
		for _, bin := range bins {
			r, err := run(c, bin, round)
			if err != nil {
				fmt.Fprintf(os.Stderr, "logflood: %s: %v\n", bin, err)
				os.Exit(1)
			}
			report(os.Stdout, c, r)
			results = append(results, r)
		}
	}
	summary(os.Stdout, c, bins, results)
}

// phase is one stretch of the measurement: idle, flood or settle.
type phase struct {
	name     string
	lat      []time.Duration
	slow     []string // "+offset:latency" of keys over 100 ms
	missed   int
	rssPeak  int64 // KiB
	rssEnd   int64
	cpu      time.Duration
	wall     time.Duration
	written  int64         // lines the flood wrote in this phase
	writeFor time.Duration // over this long
	load     float64       // the 1-minute load average at the phase's end
}

type result struct {
	bin    string
	round  int
	rss0   int64
	phases []*phase
	screen string
	header string
	after  string // the header at the end of the settle phase
	total  int64  // lines the flood wrote
}

// runs numbers the runs: each has a tmux server of its own.
var runs int

// run measures one binary.
func run(c config, bin string, round int) (*result, error) {
	dir, err := os.MkdirTemp("", "logflood")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	runs++
	sock := fmt.Sprintf("logflood-%d-%d", os.Getpid(), runs)
	tm := &tmux{sock: sock}
	defer tm.run("kill-server")

	var paths []string
	args := []string{"--no-discover", "--no-nvml", "--otlp-listen", "off", "--log-file", filepath.Join(dir, "vigil.log")}
	var stdinFifo string
	if c.stdin {
		stdinFifo = filepath.Join(dir, "stdin")
		if err := syscall.Mkfifo(stdinFifo, 0o600); err != nil {
			return nil, err
		}
		args = append(args, "--log", "-")
	} else {
		for i := 0; i < c.files; i++ {
			p := filepath.Join(dir, fmt.Sprintf("flood-%d.log", i))
			if err := os.WriteFile(p, nil, 0o600); err != nil {
				return nil, err
			}
			paths = append(paths, p)
			args = append(args, "--log", p)
		}
	}
	if c.profile != "" {
		args = append(args, "--cpuprofile", filepath.Join(c.profile, fmt.Sprintf("%s-%d.prof", filepath.Base(bin), round)))
	}
	args = append(args, strings.Fields(c.args)...)
	cmd := "exec env XDG_CONFIG_HOME=" + dir + " XDG_STATE_HOME=" + dir
	for _, e := range strings.Fields(c.env) {
		cmd += " " + shellQuote(e)
	}
	cmd += " " + shellQuote(bin)
	for _, a := range args {
		cmd += " " + shellQuote(a)
	}
	if stdinFifo != "" {
		cmd += " < " + shellQuote(stdinFifo)
	}

	// The stdin fifo opens for writing only once vigil's shell opens it
	// for reading.
	var stdinW *os.File
	stdinOpen := make(chan error, 1)
	if stdinFifo != "" {
		go func() {
			f, err := os.OpenFile(stdinFifo, os.O_WRONLY, 0)
			stdinW = f
			stdinOpen <- err
		}()
	}

	if err := tm.run("-f", "/dev/null", "new-session", "-d", "-s", "f", "-x", strconv.Itoa(c.w), "-y", strconv.Itoa(c.h), cmd); err != nil {
		return nil, err
	}
	if stdinFifo != "" {
		select {
		case err := <-stdinOpen:
			if err != nil {
				return nil, err
			}
		case <-time.After(10 * time.Second):
			return nil, errors.New("vigil never opened its standard input")
		}
		defer stdinW.Close()
	}
	pidText, err := tm.output("display", "-p", "-t", "f", "#{pane_pid}")
	if err != nil {
		return nil, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(pidText))
	if err != nil {
		return nil, fmt.Errorf("pane pid %q: %w", pidText, err)
	}
	w := newWatcher()
	// Keys go in and frames come out through one tmux control-mode
	// client (-C): no process is started per key and no pipe-pane cat sits
	// between the pane and the watcher, so that less of the latency
	// measured is the measurement's own.
	ctl, err := tm.control(w)
	if err != nil {
		return nil, err
	}
	defer ctl.close()
	// Wait for the console, go to the logs screen and wait for its header.
	if err := waitScreen(tm, " LIVE ", 15*time.Second); err != nil {
		return nil, err
	}
	if err := tm.run("send-keys", "-t", "f", "6"); err != nil {
		return nil, err
	}
	if err := waitScreen(tm, "FOLLOW", 10*time.Second); err != nil {
		return nil, err
	}
	r := &result{bin: bin, round: round}
	r.rss0, _ = rss(pid)

	state := "FOLLOW"
	measure := func(name string, d time.Duration, during func(ctx context.Context) int64) *phase {
		ph := &phase{name: name}
		ctx, cancel := context.WithTimeout(context.Background(), d)
		defer cancel()
		cpu0, _ := cpuTime(pid)
		start := time.Now()
		wrote := make(chan int64, 1)
		var wroteFor time.Duration
		if during != nil {
			go func() {
				n := during(ctx)
				wroteFor = time.Since(start)
				wrote <- n
			}()
		} else {
			wrote <- 0
		}
		keys := time.NewTicker(c.every)
		samples := time.NewTicker(200 * time.Millisecond)
		defer keys.Stop()
		defer samples.Stop()
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-samples.C:
				if v, err := rss(pid); err == nil {
					ph.rssPeak = max(ph.rssPeak, v)
				}
			case <-keys.C:
				want := "SCROLL"
				if state == "SCROLL" {
					want = "FOLLOW"
				}
				w.expect(want)
				t0 := time.Now()
				if err := ctl.send("send-keys -t f s"); err != nil {
					break loop
				}
				if w.wait(5 * time.Second) {
					d := w.at().Sub(t0)
					ph.lat = append(ph.lat, d)
					if d > 100*time.Millisecond {
						ph.slow = append(ph.slow, fmt.Sprintf("+%.1fs:%s", t0.Sub(start).Seconds(), ms(d)))
					}
					state = want
				} else {
					ph.missed++
					// Find out where the header is now.
					if s, err := tm.output("capture-pane", "-p", "-t", "f"); err == nil && strings.Contains(s, "SCROLL") {
						state = "SCROLL"
					} else {
						state = "FOLLOW"
					}
				}
			}
		}
		ph.written = <-wrote
		ph.writeFor = wroteFor
		ph.wall = time.Since(start)
		cpu1, _ := cpuTime(pid)
		ph.cpu = cpu1 - cpu0
		ph.rssEnd, _ = rss(pid)
		ph.rssPeak = max(ph.rssPeak, ph.rssEnd)
		ph.load = loadAvg()
		return ph
	}

	r.phases = append(r.phases, measure("idle", c.idle, nil))
	flood := measure("flood", c.flood, func(ctx context.Context) int64 {
		if stdinW != nil {
			return write(ctx, c, []io.Writer{stdinW})
		}
		var ws []io.Writer
		for _, p := range paths {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				return 0
			}
			defer f.Close()
			ws = append(ws, f)
		}
		return write(ctx, c, ws)
	})
	r.phases = append(r.phases, flood)
	if s, err := tm.output("capture-pane", "-p", "-t", "f"); err == nil {
		r.screen = s
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "FOLLOW") || strings.Contains(l, "SCROLL") {
				r.header = strings.TrimSpace(l)
				break
			}
		}
	}
	r.phases = append(r.phases, measure("settle", c.settle, nil))
	if s, err := tm.output("capture-pane", "-p", "-t", "f"); err == nil {
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, "FOLLOW") || strings.Contains(l, "SCROLL") {
				r.after = strings.TrimSpace(l)
				break
			}
		}
	}
	for _, ph := range r.phases {
		r.total += ph.written
	}
	// Quit (Ctrl-C) and wait for the process to end, so that a CPU
	// profile is written out.
	if err := tm.run("send-keys", "-t", "f", "C-c"); err == nil {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			if syscall.Kill(pid, 0) != nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return r, nil
}

// loadAvg is the 1-minute load average, or -1.
func loadAvg() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// write floods ws at c.rate lines per second in all until ctx is done, and
// returns the lines written. A writer that falls behind (a pipe whose
// reader applies backpressure, a busy machine) does not catch up by more
// than a tenth of a second's lines: the rate the report gives is the rate
// that was written.
func write(ctx context.Context, c config, ws []io.Writer) int64 {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var total int64
	per := float64(c.rate) / float64(len(ws))
	for i, w := range ws {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen(i)
			start := time.Now()
			var n, skipped int64
			tick := time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
			big := c.bigLine > 0 && i == 0
			var buf []byte
			for {
				select {
				case <-ctx.Done():
					mu.Lock()
					total += n
					mu.Unlock()
					return
				case <-tick.C:
				}
				el := time.Since(start)
				due := int64(per*el.Seconds()) - n - skipped
				if limit := int64(per / 10); due > limit {
					skipped += due - limit
					due = limit
				}
				if due <= 0 {
					continue
				}
				buf = g.lines(buf[:0], int(due), time.Now())
				if big && el > c.flood/2 {
					big = false
					buf = bigLine(buf, c.bigLine)
				}
				if _, err := w.Write(buf); err != nil {
					return
				}
				n += due
			}
		}()
	}
	wg.Wait()
	return total
}

// gen writes realistic log lines: mostly JSON, some logfmt and plain text,
// with levels, services, latencies, trace ids and a varying message. The
// lines are made once; each write stamps them with the time.
type gen struct {
	cycle [][]byte
	at    []int  // where each line's time starts
	iso   []bool // its layout: RFC 3339 (else "2006-01-02 15:04:05,000")
	next  int
}

var levels = []string{"info", "info", "info", "info", "debug", "info", "warn", "info", "error", "info"}

const (
	isoLayout = "2006-01-02T15:04:05.000Z"
	pyLayout  = "2006-01-02 15:04:05,000"
)

func newGen(src int) *gen {
	g := &gen{}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for n := 0; n < 10_000; n++ {
		lvl := levels[n%len(levels)]
		var b []byte
		at, iso := 0, true
		switch n % 10 {
		case 3:
			b = t.AppendFormat(b, isoLayout)
			b = fmt.Appendf(b, " level=%s service=batch-%d msg=\"job step %d finished\" duration_ms=%d queue=q%d\n",
				lvl, src, n, n%977, n%7)
		case 7:
			b = t.AppendFormat(b, pyLayout)
			iso = false
			b = fmt.Appendf(b, " %s worker-%d: processed batch %d of tenant t%d in %d ms\n",
				strings.ToUpper(lvl), src, n, n%50, n%433)
		default:
			b = append(b, `{"time":"`...)
			at = len(b)
			b = t.AppendFormat(b, isoLayout)
			b = fmt.Appendf(b, `","level":"%s","service":"api-%d","msg":"request completed for tenant t%d","latency_ms":%d,"status":%d,"trace_id":"%016x%016x","path":"/v1/chat/completions"}`+"\n",
				lvl, src, n%50, 20+n%900, []int{200, 200, 200, 429, 500}[n%5], n, n*7919)
		}
		g.cycle, g.at, g.iso = append(g.cycle, b), append(g.at, at), append(g.iso, iso)
	}
	return g
}

// lines appends k lines stamped now.
func (g *gen) lines(b []byte, k int, now time.Time) []byte {
	iso := now.UTC().AppendFormat(nil, isoLayout)
	py := now.UTC().AppendFormat(nil, pyLayout)
	for ; k > 0; k-- {
		i := g.next % len(g.cycle)
		g.next++
		start := len(b)
		b = append(b, g.cycle[i]...)
		if g.iso[i] {
			copy(b[start+g.at[i]:], iso)
		} else {
			copy(b[start+g.at[i]:], py)
		}
	}
	return b
}

func bigLine(b []byte, size int) []byte {
	b = append(b, `{"level":"error","service":"big","msg":"huge payload","request_id":"r-1","blob":"`...)
	for k := 0; k < size; k++ {
		b = append(b, 'x')
	}
	return append(b, "\"}\n"...)
}

// watcher reads the pane's output and reports when an expected word arrives.
type watcher struct {
	mu   sync.Mutex
	want []byte
	tail []byte
	got  time.Time
	sig  chan struct{}
}

func newWatcher() *watcher { return &watcher{sig: make(chan struct{}, 1)} }

// feed looks for the expected word in output that arrived at now.
func (w *watcher) feed(b []byte, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.want == nil {
		return
	}
	hay := append(w.tail, b...)
	if bytes.Contains(hay, w.want) {
		w.got, w.want = now, nil
		select {
		case w.sig <- struct{}{}:
		default:
		}
	}
	keep := min(len(hay), 16)
	w.tail = append(w.tail[:0], hay[len(hay)-keep:]...)
}

// control is a tmux control-mode client: it sends commands and hands the
// pane's output (%output notifications) to a watcher as it arrives.
type control struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	mu  sync.Mutex
}

func (t *tmux) control(w *watcher) (*control, error) {
	// A control client must not change the window's size.
	if err := t.run("set-option", "-g", "window-size", "manual"); err != nil {
		return nil, err
	}
	cmd := exec.Command("tmux", "-L", t.sock, "-C", "attach-session", "-t", "f")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	outp, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		r := bufio.NewReaderSize(outp, 1<<20)
		var dec []byte
		for {
			l, err := r.ReadSlice('\n')
			if len(l) > 0 {
				now := time.Now()
				if rest, ok := bytes.CutPrefix(l, []byte("%output ")); ok {
					// "%output %PANE DATA", DATA with octal escapes.
					if i := bytes.IndexByte(rest, ' '); i >= 0 {
						dec = unescape(dec[:0], rest[i+1:])
						w.feed(dec, now)
					}
				}
			}
			if err == bufio.ErrBufferFull {
				continue
			}
			if err != nil {
				return
			}
		}
	}()
	return &control{cmd: cmd, in: in}, nil
}

// unescape undoes control mode's octal escapes (\ooo) of b onto dst.
func unescape(dst, b []byte) []byte {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '\\' && i+3 < len(b) {
			v := (int(b[i+1]-'0') << 6) | (int(b[i+2]-'0') << 3) | int(b[i+3]-'0')
			dst = append(dst, byte(v))
			i += 3
			continue
		}
		if c == '\n' {
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func (c *control) send(command string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := io.WriteString(c.in, command+"\n")
	return err
}

func (c *control) close() {
	c.in.Close()
	done := make(chan struct{})
	go func() { c.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
}

// expect arms the watcher for word; only output read after it counts.
func (w *watcher) expect(word string) {
	w.mu.Lock()
	w.want, w.tail, w.got = []byte(word), w.tail[:0], time.Time{}
	select {
	case <-w.sig:
	default:
	}
	w.mu.Unlock()
}

// wait waits up to d for the expected word.
func (w *watcher) wait(d time.Duration) bool {
	select {
	case <-w.sig:
		return true
	case <-time.After(d):
		w.mu.Lock()
		w.want = nil
		w.mu.Unlock()
		return false
	}
}

func (w *watcher) at() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.got
}

type tmux struct{ sock string }

func (t *tmux) run(args ...string) error {
	_, err := t.output(args...)
	return err
}

func (t *tmux) output(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", t.sock}, args...)...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return string(out), nil
}

func waitScreen(t *tmux, want string, d time.Duration) error {
	deadline := time.Now().Add(d)
	s := ""
	for time.Now().Before(deadline) {
		var err error
		if s, err = t.output("capture-pane", "-p", "-t", "f"); err == nil && strings.Contains(s, want) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the screen never showed %q:\n%s", want, s)
}

// rss is the process's resident set in KiB.
func rss(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				return strconv.ParseInt(f[1], 10, 64)
			}
		}
	}
	return 0, errors.New("no VmRSS")
}

// cpuTime is the process's user and system time.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("bad stat")
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100, nil // USER_HZ is 100 on Linux
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

func mb(kib int64) string { return fmt.Sprintf("%.0f", float64(kib)/1024) }

func (c config) source() string {
	if c.stdin {
		return "stdin"
	}
	return fmt.Sprintf("%d file(s)", c.files)
}

func report(out io.Writer, c config, r *result) {
	name := fmt.Sprintf("%s #%d", filepath.Base(r.bin), r.round)
	fmt.Fprintf(out, "%-24s %-7s %5s %5s %5s %5s %6s %6s %6s %5s %5s %12s\n", "binary", "phase", "p50", "p90", "p99", "max", "missed", "rsspk", "rssend", "cpu", "load", "lines/s")
	for _, ph := range r.phases {
		rate := ""
		if ph.written > 0 {
			rate = fmt.Sprintf("%.0f", float64(ph.written)/ph.writeFor.Seconds())
		}
		fmt.Fprintf(out, "%-24s %-7s %5s %5s %5s %5s %6d %6s %6s %5.0f %5.1f %12s\n", name, ph.name,
			ms(quantile(ph.lat, 0.5)), ms(quantile(ph.lat, 0.9)), ms(quantile(ph.lat, 0.99)), ms(quantile(ph.lat, 1)),
			ph.missed, mb(ph.rssPeak), mb(ph.rssEnd), 100*ph.cpu.Seconds()/ph.wall.Seconds(), ph.load, rate)
	}
	for _, ph := range r.phases {
		if len(ph.slow) > 0 {
			fmt.Fprintf(out, "%-24s %s keys over 100 ms (when, in the phase: ms): %s\n", name, ph.name, strings.Join(ph.slow, " "))
		}
	}
	fmt.Fprintf(out, "%-24s RSS before the flood %s MB; %d lines written\n", name, mb(r.rss0), r.total)
	fmt.Fprintf(out, "%-24s header at the end of the flood: %s\n", name, strings.Trim(r.header, "┃│ "))
	fmt.Fprintf(out, "%-24s header at the end:              %s\n\n", name, strings.Trim(r.after, "┃│ "))
	if c.show {
		fmt.Fprintln(out, r.screen)
	}
}

// summary pools each binary's rounds: the flood phase's latencies of all
// rounds together, and the spread of the rounds' p90s.
func summary(out io.Writer, c config, bins []string, rs []*result) {
	if len(rs) < 2 {
		return
	}
	fmt.Fprintf(out, "summary, flood phase, all rounds pooled (and each round's p90):\n")
	fmt.Fprintf(out, "%-16s %5s %5s %5s %5s %6s %6s %5s  %s\n", "binary", "keys", "p50", "p90", "max", "missed", "idlep90", "load", "p90 by round")
	for _, bin := range bins {
		var lat, idle []time.Duration
		var missed int
		var load float64
		var p90s []string
		n := 0
		for _, r := range rs {
			if r.bin != bin {
				continue
			}
			for _, ph := range r.phases {
				switch ph.name {
				case "flood":
					lat = append(lat, ph.lat...)
					missed += ph.missed
					load += ph.load
					n++
					p90s = append(p90s, ms(quantile(ph.lat, 0.9)))
				case "idle":
					idle = append(idle, ph.lat...)
				}
			}
		}
		fmt.Fprintf(out, "%-16s %5d %5s %5s %5s %6d %6s %5.1f  %s\n", filepath.Base(bin), len(lat),
			ms(quantile(lat, 0.5)), ms(quantile(lat, 0.9)), ms(quantile(lat, 1)), missed,
			ms(quantile(idle, 0.9)), load/float64(max(n, 1)), strings.Join(p90s, " "))
	}
}
