//go:build linux

package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/scripts/internal/procstat"
)

type row struct {
	at         time.Duration // since the start
	s          procstat.Sample
	cpu        float64 // ratio of a core since the previous row
	goroutines int     // -1: not read
	storeMB    float64 // -1: not read
}

var (
	goroutinesRE = regexp.MustCompile(`(\d+) goroutines`)
	storeRE      = regexp.MustCompile(`store ([0-9.]+)(/[0-9]+)? MB`)
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run() error {
	bin := flag.String("vigil", "", "the vigil `binary` (required)")
	dur := flag.Duration("for", 30*time.Minute, "how long the soak runs")
	speed := flag.Float64("speed", 60, "the demo's --speed")
	every := flag.Duration("every", 30*time.Second, "time between two samples")
	size := flag.String("size", "120x40", "terminal size")
	dir := flag.String("dir", "", "where the recording and logs go (default a new temporary directory, removed at the end)")
	flag.Parse()
	if *bin == "" {
		return errors.New("-vigil BINARY is required")
	}
	var w, h int
	if _, err := fmt.Sscanf(*size, "%dx%d", &w, &h); err != nil || w < 80 || h < 24 {
		return fmt.Errorf("-size %q: want WxH, at least 80x24", *size)
	}
	if *speed < 1 || *speed > 60 {
		return errors.New("-speed must be in [1, 60]: the store's retention (1h/speed) is at least a minute")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "soak-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		*dir = d
	}
	hour := time.Duration(float64(time.Hour) / *speed) // an hour of recorded time
	cfg := filepath.Join(*dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("retention: %s\n", hour)), 0o644); err != nil {
		return err
	}
	tm, err := procstat.NewTmux("soak")
	if err != nil {
		return err
	}
	defer tm.Close()
	rec := filepath.Join(*dir, "rec")
	env := []string{"XDG_CONFIG_HOME=" + filepath.Join(*dir, "config"), "XDG_STATE_HOME=" + filepath.Join(*dir, "state"), "LANG=C.UTF-8"}
	pid, err := tm.Start("vigil", w, h, env, *bin, "demo", "--speed", strconv.FormatFloat(*speed, 'g', -1, 64),
		"--record", rec, "--config", cfg, "--log-file", filepath.Join(*dir, "vigil.log"))
	if err != nil {
		return err
	}
	if _, err := tm.WaitFor("vigil", "LIVE", 30*time.Second); err != nil {
		return err
	}
	if err := tm.Keys("vigil", "S"); err != nil {
		return err
	}
	fmt.Printf("soak: vigil demo --speed %g --record, %dx%d, %s (%.1f h of recorded time), retention %s, sources overlay open\n",
		*speed, w, h, *dur, dur.Hours()**speed, hour)
	fmt.Printf("  %7s %8s %8s %9s %10s %9s\n", "minutes", "rec. h", "RSS MB", "CPU %core", "goroutines", "store MB")
	start := time.Now()
	prev, err := procstat.Read(pid)
	if err != nil {
		return err
	}
	var rows []row
	for t := *every; t <= *dur; t += *every {
		time.Sleep(time.Until(start.Add(t)))
		s, err := procstat.Read(pid)
		if err != nil {
			return fmt.Errorf("vigil exited after %s: %v (see %s)", time.Since(start).Round(time.Second), err, filepath.Join(*dir, "vigil.log"))
		}
		r := row{at: time.Since(start), s: s, cpu: procstat.CPURatio(prev, s), goroutines: -1, storeMB: -1}
		prev = s
		if screen, err := tm.Capture("vigil"); err == nil {
			if m := goroutinesRE.FindStringSubmatch(screen); m != nil {
				r.goroutines, _ = strconv.Atoi(m[1])
			}
			if m := storeRE.FindStringSubmatch(screen); m != nil {
				r.storeMB, _ = strconv.ParseFloat(m[1], 64)
			}
		}
		rows = append(rows, r)
		fmt.Printf("  %7.1f %8.1f %8s %9.2f %10s %9s\n", r.at.Minutes(), r.at.Hours()**speed, procstat.MB(s.RSS), 100*r.cpu, orNA(float64(r.goroutines), 0), orNA(r.storeMB, 1))
	}
	if out, err := exec.Command("du", "-sh", rec).Output(); err == nil {
		fmt.Printf("  recording: %s", out)
	}
	var after []row
	for _, r := range rows {
		if r.at > hour+*every { // the first interval after the first recorded hour is still filling
			after = append(after, r)
		}
	}
	if len(after) < 4 {
		return fmt.Errorf("only %d samples after the first hour of recorded time: run longer", len(after))
	}
	ok := true
	check := func(pass bool, format string, a ...any) {
		v := "met"
		if !pass {
			v, ok = "NOT met", false
		}
		fmt.Printf("  "+format+": %s\n", append(a, v)...)
	}
	rss := make([]float64, len(after))
	for i, r := range after {
		rss[i] = float64(r.s.RSS)
	}
	med := median(rss)
	lo, hi := slicesMin(rss)/med-1, slicesMax(rss)/med-1
	check(lo >= -0.10 && hi <= 0.10, "RSS after the first recorded hour: median %s MB, %+.1f %% to %+.1f %% (goal ±10 %%)", procstat.MB(int64(med)), 100*lo, 100*hi)
	half := len(after) / 2
	c1, c2 := meanCPU(after[:half]), meanCPU(after[half:])
	check(math.Abs(c2/c1-1) <= 0.25, "CPU: %.2f %%core in the first half, %.2f %% in the last (goal within ±25 %%)", 100*c1, 100*c2)
	q := max(len(after)/4, 1)
	g1, g2 := maxGoroutines(after[:q]), maxGoroutines(after[len(after)-q:])
	if g1 < 0 || g2 < 0 {
		check(false, "goroutines: not read from the overlay")
	} else {
		check(g2 <= g1+2, "goroutines: at most %d in the first quarter, %d in the last (goal: no growth)", g1, g2)
	}
	if !ok {
		return errors.New("a check failed")
	}
	return nil
}

func meanCPU(rs []row) float64 {
	var s float64
	for _, r := range rs {
		s += r.cpu
	}
	return s / float64(len(rs))
}

func maxGoroutines(rs []row) int {
	m := -1
	for _, r := range rs {
		m = max(m, r.goroutines)
	}
	return m
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func slicesMin(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func slicesMax(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func orNA(v float64, prec int) string {
	if v < 0 {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}
