//go:build linux

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
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/scripts/internal/procstat"
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
	bin, home    string
	tmux         *procstat.Tmux
	pid          int
	peak, sum, n int64 // resident set: the highest seen, and a sum over the second half
	cpu0         time.Duration
}

// cpu is the console's CPU time since it started.
func (c *console) cpu() time.Duration {
	s, _ := procstat.Read(c.pid)
	return s.CPU - c.cpu0
}

func run(url string, bins []string, dur, every time.Duration, size, env string) error {
	ws, hs, ok := strings.Cut(size, "x")
	w, errW := strconv.Atoi(ws)
	h, errH := strconv.Atoi(hs)
	if !ok || errW != nil || errH != nil {
		return fmt.Errorf("--size %q: want WxH", size)
	}
	var cs []*console
	defer func() {
		for _, c := range cs {
			c.tmux.Close()
			os.RemoveAll(c.home)
		}
	}()
	for _, bin := range bins {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return err
		}
		home, err := os.MkdirTemp("", "fleetconsole")
		if err != nil {
			return err
		}
		t, err := procstat.NewTmux("fleetconsole")
		if err != nil {
			os.RemoveAll(home)
			return err
		}
		c := &console{bin: abs, home: home, tmux: t}
		cs = append(cs, c)
		vars := []string{"XDG_CONFIG_HOME=" + home, "XDG_STATE_HOME=" + home}
		for _, e := range strings.Split(env, ",") {
			if e != "" {
				vars = append(vars, e)
			}
		}
		if c.pid, err = t.Start("console", w, h, vars, abs, "--prom", url, "--otlp-listen", "off"); err != nil {
			return err
		}
		s, _ := procstat.Read(c.pid)
		c.cpu0 = s.CPU
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
		fmt.Printf("%-8s  %-16s", el.Round(time.Second), procstat.LoadAvg())
		for _, c := range cs {
			st, err := procstat.Read(c.pid)
			rss := st.RSS
			if err != nil || rss == 0 {
				fmt.Printf("  %-16s", "gone")
				continue
			}
			c.peak = max(c.peak, rss)
			if el > dur/2 {
				c.sum += rss
				c.n++
			}
			fmt.Printf("  %11d  %5.1f", rss>>20, (st.CPU - c.cpu0).Seconds())
		}
		fmt.Println()
	}
	fmt.Println()
	for i, c := range cs {
		st, _ := procstat.Read(c.pid)
		hwm := st.HWM
		screen, _ := c.tmux.Capture("console")
		first := "hottest GPU and deepest queue on the first screen"
		if !strings.Contains(screen, "hottest ") || !strings.Contains(screen, "deepest queue ") {
			first = "NOT both of the hottest GPU and the deepest queue on the first screen"
		}
		mean := int64(0)
		if c.n > 0 {
			mean = c.sum / c.n
		}
		fmt.Printf("[%d] %s: peak RSS %d MB (kernel's high-water mark %d MB), mean over the second half %d MB, CPU %.1f s; %s\n",
			i, c.bin, c.peak>>20, hwm>>20, mean>>20, c.cpu().Seconds(), first)
		for _, l := range strings.Split(screen, "\n") {
			if strings.Contains(l, "hottest ") {
				fmt.Printf("    %s\n", strings.TrimSpace(strings.Trim(l, "┃ ")))
			}
		}
	}
	return nil
}
