// Command fleetconsole measures the console (the TUI) watching a fleet
// through a query engine: it runs each vigil binary given with --prom URL in
// its own tmux server (a terminal of the size given), all at once, samples
// each process' resident set and CPU time from /proc, and at the end reads
// each one's screen: the first screen must name the hottest GPU and the
// deepest queue.
//
// Feed an engine first (scripts/fleetbench keeps one fed):
//
//	go run ./scripts/fleetbench --hosts 1000 --polls 0 --keep   # prints URL
//	go build -o /tmp/vigil ./cmd/vigil
//	go run ./scripts/fleetconsole --url URL --vigil /tmp/vigil-main,/tmp/vigil --for 3m
//
// Each line gives the load average beside the figures: the machine is
// shared, and only binaries measured in one run compare.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func main() {
	url := flag.String("url", "", "the query engine's URL (required)")
	bins := flag.String("vigil", "", "vigil binaries, comma-separated, run side by side (required)")
	dur := flag.Duration("for", 3*time.Minute, "how long to run them")
	every := flag.Duration("every", 10*time.Second, "how often to sample")
	size := flag.String("size", "200x50", "the terminal's size, WxH")
	env := flag.String("env", "", "extra environment for every binary, comma-separated NAME=VALUE")
	flag.Parse()
	if *url == "" || *bins == "" {
		fmt.Fprintln(os.Stderr, "fleetconsole: --url and --vigil are required")
		os.Exit(2)
	}
	if err := run(*url, strings.Split(*bins, ","), *dur, *every, *size, *env); err != nil {
		fmt.Fprintln(os.Stderr, "fleetconsole:", err)
		os.Exit(1)
	}
}

// console is one binary running in its own tmux server.
type console struct {
	bin, socket, home string
	pid               int
	peak, sum, n      int64 // resident set: the highest seen, and a sum over the second half
	cpu0              time.Duration
}

func run(url string, bins []string, dur, every time.Duration, size, env string) error {
	w, h, ok := strings.Cut(size, "x")
	if !ok {
		return fmt.Errorf("--size %q: want WxH", size)
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		return fmt.Errorf("tmux not found (apt-get install tmux): %w", err)
	}
	var cs []*console
	defer func() {
		for _, c := range cs {
			_ = exec.Command("tmux", "-L", c.socket, "kill-server").Run()
			os.RemoveAll(c.home)
		}
	}()
	for i, bin := range bins {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return err
		}
		home, err := os.MkdirTemp("", "fleetconsole")
		if err != nil {
			return err
		}
		c := &console{bin: abs, socket: fmt.Sprintf("fleetconsole-%d-%d", os.Getpid(), i), home: home}
		cs = append(cs, c)
		vars := "XDG_CONFIG_HOME=" + home + " XDG_STATE_HOME=" + home
		for _, e := range strings.Split(env, ",") {
			if e != "" {
				vars += " " + shellQuote(e)
			}
		}
		cmd := fmt.Sprintf("exec env %s %s --prom %s --otlp-listen off", vars, shellQuote(abs), shellQuote(url))
		if out, err := exec.Command("tmux", "-L", c.socket, "new-session", "-d", "-x", w, "-y", h, cmd).CombinedOutput(); err != nil {
			return fmt.Errorf("tmux: %v: %s", err, out)
		}
		out, err := exec.Command("tmux", "-L", c.socket, "list-panes", "-F", "#{pane_pid}").Output()
		if err != nil {
			return fmt.Errorf("tmux: %w", err)
		}
		if c.pid, err = strconv.Atoi(strings.TrimSpace(string(out))); err != nil {
			return fmt.Errorf("tmux pane pid %q: %w", out, err)
		}
		c.cpu0 = procCPU(c.pid)
	}
	fmt.Printf("%d consoles at %s against %s for %s\n", len(cs), size, url, dur)
	for i, c := range cs {
		fmt.Printf("  [%d] %s (pid %d)\n", i, c.bin, c.pid)
	}
	fmt.Printf("\n%-8s  %-16s", "elapsed", "load average")
	for i := range cs {
		fmt.Printf("  [%d] RSS MB  CPU s", i)
	}
	fmt.Println()
	start := time.Now()
	for el := time.Duration(0); el < dur; {
		time.Sleep(every)
		el = time.Since(start)
		fmt.Printf("%-8s  %-16s", el.Round(time.Second), loadAvg())
		for _, c := range cs {
			rss, _ := status(c.pid)
			if rss == 0 {
				fmt.Printf("  %-16s", "gone")
				continue
			}
			c.peak = max(c.peak, rss)
			if el > dur/2 {
				c.sum += rss
				c.n++
			}
			fmt.Printf("  %11d  %5.1f", rss>>20, (procCPU(c.pid) - c.cpu0).Seconds())
		}
		fmt.Println()
	}
	fmt.Println()
	for i, c := range cs {
		_, hwm := status(c.pid)
		screen, _ := exec.Command("tmux", "-L", c.socket, "capture-pane", "-p").Output()
		first := "hottest GPU and deepest queue on the first screen"
		if !strings.Contains(string(screen), "hottest ") || !strings.Contains(string(screen), "deepest queue ") {
			first = "NOT both of the hottest GPU and the deepest queue on the first screen"
		}
		mean := int64(0)
		if c.n > 0 {
			mean = c.sum / c.n
		}
		fmt.Printf("[%d] %s: peak RSS %d MB (kernel's high-water mark %d MB), mean over the second half %d MB, CPU %.1f s; %s\n",
			i, c.bin, c.peak>>20, hwm>>20, mean>>20, (procCPU(c.pid) - c.cpu0).Seconds(), first)
		for _, l := range strings.Split(string(screen), "\n") {
			if strings.Contains(l, "hottest ") {
				fmt.Printf("    %s\n", strings.TrimSpace(strings.Trim(l, "┃ ")))
			}
		}
	}
	return nil
}

// status is a process' resident set and its high-water mark, in bytes.
func status(pid int) (rss, hwm int64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			rss = n << 10
		case "VmHWM":
			hwm = n << 10
		}
	}
	return rss, hwm
}

// procCPU is a process' CPU time (user and system) from /proc.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 {
		s = s[i+2:]
	}
	f := strings.Fields(s)
	if len(f) < 13 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * time.Second / 100 // USER_HZ
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "n/a"
	}
	return strings.Join(f[:3], " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
