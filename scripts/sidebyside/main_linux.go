//go:build linux

package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/scripts/internal/procstat"
)

type config struct {
	vigil, base string
	cases       []string
	dur, warm   time.Duration
	rounds      int
	memFor      time.Duration
	every       time.Duration
	record      bool
	w, h        int
	peers       []string
	dir         string
}

func main() {
	var c config
	var cases, peers, size string
	flag.StringVar(&c.vigil, "vigil", "", "the vigil `binary` to measure (required)")
	flag.StringVar(&c.base, "base", "", "an older vigil `binary`, measured beside it in the same run")
	flag.StringVar(&cases, "case", "console,demo", "what to measure, comma-separated: console, demo, memory")
	flag.DurationVar(&c.dur, "for", 60*time.Second, "CPU: how long every process is measured, side by side")
	flag.DurationVar(&c.warm, "warm", 30*time.Second, "CPU: how long everything runs before the measurement starts")
	flag.IntVar(&c.rounds, "rounds", 1, "CPU: how many times each CPU case is run; with more than one, the medians are printed at the end")
	flag.DurationVar(&c.memFor, "mem-for", 10*time.Minute, "memory: how long the demo runs")
	flag.DurationVar(&c.every, "every", time.Minute, "memory: time between two samples")
	flag.BoolVar(&c.record, "record", false, "memory: every vigil demo records too (--record DIR, a directory each)")
	flag.StringVar(&peers, "peers", "btop,glances", "the peers run beside vigil (btop at update_ms 1000, glances at its defaults)")
	flag.StringVar(&size, "size", "120x40", "terminal size of every program")
	flag.StringVar(&c.dir, "dir", "", "where the runs' files go (default a new temporary directory, removed at the end)")
	flag.Parse()
	if c.vigil == "" {
		fmt.Fprintln(os.Stderr, "sidebyside: -vigil BINARY is required")
		os.Exit(2)
	}
	if _, err := fmt.Sscanf(size, "%dx%d", &c.w, &c.h); err != nil || c.w < 20 || c.h < 10 {
		fmt.Fprintf(os.Stderr, "sidebyside: -size %q: want WxH, at least 20x10\n", size)
		os.Exit(2)
	}
	c.cases = strings.Split(cases, ",")
	for _, p := range strings.Split(peers, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.peers = append(c.peers, p)
		}
	}
	if c.dir == "" {
		d, err := os.MkdirTemp("", "sidebyside-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "sidebyside:", err)
			os.Exit(1)
		}
		defer os.RemoveAll(d)
		c.dir = d
	}
	if err := c.copyBinaries(); err != nil {
		fmt.Fprintln(os.Stderr, "sidebyside:", err)
		os.Exit(1)
	}
	code := 0
	for _, k := range c.cases {
		var err error
		switch strings.TrimSpace(k) {
		case "console":
			err = cpuRounds(c, true, os.Stdout)
		case "demo":
			err = cpuRounds(c, false, os.Stdout)
		case "memory":
			err = memoryCase(c, os.Stdout)
		default:
			err = fmt.Errorf("unknown case %q (console, demo, memory)", k)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "sidebyside:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// proc is one program measured.
type proc struct {
	label   string
	session string
	pid     int
	a, b    procstat.Sample
}

// bench is one case's tmux server and the files of its programs.
type bench struct {
	c     config
	tm    *procstat.Tmux
	dir   string
	procs []*proc
}

func newBench(c config, name string) (*bench, error) {
	tm, err := procstat.NewTmux("sidebyside")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.dir, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &bench{c: c, tm: tm, dir: dir}, nil
}

func (b *bench) close() { b.tm.Close() }

// vigilEnv keeps a user's config and state out of the measurement.
func (b *bench) vigilEnv(tag string) []string {
	return []string{"XDG_CONFIG_HOME=" + filepath.Join(b.dir, tag, "config"), "XDG_STATE_HOME=" + filepath.Join(b.dir, tag, "state"),
		"LANG=C.UTF-8"}
}

func (b *bench) start(label, session string, env []string, argv ...string) error {
	pid, err := b.tm.Start(session, b.c.w, b.c.h, env, argv...)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	b.procs = append(b.procs, &proc{label: label, session: session, pid: pid})
	return nil
}

// startPeers starts btop (1000 ms updates, from a config of its own) and
// glances (its defaults) where they are installed; a missing one is named.
func (b *bench) startPeers(out io.Writer) error {
	for _, p := range b.c.peers {
		switch p {
		case "btop":
			conf := filepath.Join(b.dir, "btop-config")
			if err := os.MkdirAll(filepath.Join(conf, "btop"), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(conf, "btop", "btop.conf"), []byte("update_ms = 1000\n"), 0o644); err != nil {
				return err
			}
			bin, err := exec.LookPath("btop")
			if err != nil {
				fmt.Fprintln(out, "  (btop is not installed: Debian package btop)")
				continue
			}
			if err := b.start("btop (update_ms 1000)", "btop", []string{"XDG_CONFIG_HOME=" + conf, "LANG=C.UTF-8"}, bin, "--utf-force"); err != nil {
				return err
			}
		case "glances":
			bin, err := exec.LookPath("glances")
			if err != nil {
				fmt.Fprintln(out, "  (glances is not installed: Debian package glances)")
				continue
			}
			if err := b.start("glances (defaults, 2 s)", "glances", []string{"LANG=C.UTF-8"}, bin); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unknown peer %q (btop, glances)", p)
		}
	}
	return nil
}

// copyBinaries runs copies of the vigil binaries, written the same way
// into the run's directory: how much of a binary is resident depends on
// how its file came into the page cache (one just written maps in smaller
// pieces than one read many times), and two builds compare only when their
// files came in alike.
func (c *config) copyBinaries() error {
	for _, p := range []*string{&c.vigil, &c.base} {
		if *p == "" {
			continue
		}
		b, err := os.ReadFile(*p)
		if err != nil {
			return err
		}
		dst := filepath.Join(c.dir, "new", filepath.Base(*p))
		if p == &c.base {
			dst = filepath.Join(c.dir, "base", filepath.Base(*p))
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, 0o755); err != nil {
			return err
		}
		*p = dst
	}
	return nil
}

// vigils are the binaries measured: the new one and, with -base, the old.
func (c config) vigils() [][2]string {
	v := [][2]string{{"vigil", c.vigil}}
	if c.base != "" {
		v = append(v, [2]string{"vigil-base", c.base})
	}
	return v
}

var demoStarted = regexp.MustCompile(`msg="demo: started" metrics=(\S+) log=(\S+)`)

// producer starts `vigil record --demo` headless in the server and returns
// the demo's /metrics URL and log file, read from its log.
func (b *bench) producer() (url, logPath string, err error) {
	plog := filepath.Join(b.dir, "producer.log")
	rec := filepath.Join(b.dir, "rec")
	if _, err := b.tm.Start("producer", b.c.w, b.c.h, b.vigilEnv("producer"), b.c.vigil, "record", "-o", rec, "--demo", "--log-file", plog); err != nil {
		return "", "", fmt.Errorf("producer: %w", err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		bs, _ := os.ReadFile(plog)
		if m := demoStarted.FindSubmatch(bs); m != nil {
			return string(m[1]), string(m[2]), nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return "", "", fmt.Errorf("producer: no \"demo: started\" line in %s after 30 s", plog)
}

// cpuRounds runs a CPU case c.rounds times and, for more than one, prints
// the median of each process's CPU and of the ratios: on a shared machine
// one window's figures move with the neighbours' load, the ratios of
// programs measured in the same window much less.
func cpuRounds(c config, console bool, out io.Writer) error {
	var runs []map[string]float64
	for i := 0; i < max(c.rounds, 1); i++ {
		if c.rounds > 1 {
			fmt.Fprintf(out, "round %d of %d\n", i+1, c.rounds)
		}
		cpu, err := cpuCase(c, console, out)
		if err != nil {
			return err
		}
		runs = append(runs, cpu)
	}
	if len(runs) < 2 {
		return nil
	}
	med := func(f func(map[string]float64) (float64, bool)) (float64, int) {
		var v []float64
		for _, r := range runs {
			if x, ok := f(r); ok {
				v = append(v, x)
			}
		}
		if len(v) == 0 {
			return 0, 0
		}
		sort.Float64s(v)
		if len(v)%2 == 1 {
			return v[len(v)/2], len(v)
		}
		return (v[len(v)/2-1] + v[len(v)/2]) / 2, len(v)
	}
	of := func(k string) func(map[string]float64) (float64, bool) {
		return func(r map[string]float64) (float64, bool) { x, ok := r[k]; return 100 * x, ok }
	}
	ratio := func(a, b string) func(map[string]float64) (float64, bool) {
		return func(r map[string]float64) (float64, bool) {
			x, y := r[a], r[b]
			return x / y, y > 0
		}
	}
	fmt.Fprintf(out, "medians of %d rounds\n", len(runs))
	for _, k := range []string{"vigil", "vigil-base", "btop", "glances"} {
		if m, n := med(of(k)); n > 0 {
			fmt.Fprintf(out, "  %-28s %10.2f %%core\n", k, m)
		}
	}
	for _, r := range [][2]string{{"vigil", "btop"}, {"vigil-base", "btop"}, {"vigil", "vigil-base"}} {
		if m, n := med(ratio(r[0], r[1])); n > 0 {
			fmt.Fprintf(out, "  %-28s %10.2f\n", r[0]+"/"+r[1], m)
		}
	}
	return nil
}

// cpuCase measures the steady CPU of vigil and its peers over the same
// window. console: vigil watches a demo that `vigil record --demo` runs in
// another process (a scrape of its /metrics and a tail of its log, with
// the demo's drift features), as a console watches a real service; demo:
// the whole `vigil demo` process, the service inside it.
func cpuCase(c config, console bool, out io.Writer) (map[string]float64, error) {
	name := "demo"
	if console {
		name = "console"
	}
	b, err := newBench(c, name)
	if err != nil {
		return nil, err
	}
	defer b.close()
	if console {
		fmt.Fprintf(out, "console: vigil watching a demo run by another process (`vigil record --demo`: scrape + log tail + drift), %dx%d\n", c.w, c.h)
		url, logPath, err := b.producer()
		if err != nil {
			return nil, err
		}
		cfg := filepath.Join(b.dir, "drift.yaml")
		if err := os.WriteFile(cfg, []byte(demoDrift), 0o644); err != nil {
			return nil, err
		}
		for _, v := range c.vigils() {
			if err := b.start(v[0]+" console", v[0], b.vigilEnv(v[0]), v[1], "--no-discover", "--no-nvml", "--otlp-listen", "off",
				"--scrape", url, "--log", logPath, "--config", cfg, "--log-file", filepath.Join(b.dir, v[0]+".log")); err != nil {
				return nil, err
			}
		}
	} else {
		fmt.Fprintf(out, "demo: the whole `vigil demo` process (service, scrape, NVML, logs, OTLP, console), %dx%d\n", c.w, c.h)
		for _, v := range c.vigils() {
			if err := b.start(v[0]+" demo", v[0], b.vigilEnv(v[0]), v[1], "demo", "--log-file", filepath.Join(b.dir, v[0]+".log")); err != nil {
				return nil, err
			}
		}
	}
	if err := b.startPeers(out); err != nil {
		return nil, err
	}
	for _, v := range c.vigils() {
		if _, err := b.tm.WaitFor(v[0], "LIVE", 30*time.Second); err != nil {
			return nil, err
		}
	}
	time.Sleep(c.warm)
	load0 := procstat.LoadAvg()
	for _, p := range b.procs {
		if p.a, err = procstat.Read(p.pid); err != nil {
			return nil, fmt.Errorf("%s exited: %w", p.label, err)
		}
	}
	time.Sleep(c.dur)
	for _, p := range b.procs {
		if p.b, err = procstat.Read(p.pid); err != nil {
			return nil, fmt.Errorf("%s exited: %w", p.label, err)
		}
	}
	fmt.Fprintf(out, "  CPU over the same %s after %s of warm-up (load average %s → %s)\n", c.dur, c.warm, load0, procstat.LoadAvg())
	fmt.Fprintf(out, "  %-28s %10s %9s %9s\n", "process", "CPU %core", "RSS MB", "anon MB")
	cpu := map[string]float64{}
	for _, p := range b.procs {
		r := procstat.CPURatio(p.a, p.b)
		cpu[p.session] = r
		fmt.Fprintf(out, "  %-28s %10.2f %9s %9s\n", p.label, 100*r, procstat.MB(p.b.RSS), procstat.MB(p.b.Anon))
	}
	v := cpu["vigil"]
	if bt, ok := cpu["btop"]; ok && bt > 0 {
		fmt.Fprintf(out, "  vigil/btop %.2f", v/bt)
		if console {
			fmt.Fprintf(out, " (goal ≤ 1: %s)", verdict(v <= bt))
		}
		fmt.Fprintln(out)
	}
	if !console {
		fmt.Fprintf(out, "  vigil demo %.2f %%core (goal ≤ 0.8: %s)\n", 100*v, verdict(v <= 0.008))
	}
	if base, ok := cpu["vigil-base"]; ok && base > 0 {
		fmt.Fprintf(out, "  vigil/base %.2f\n", v/base)
	}
	return cpu, nil
}

// memoryCase runs `vigil demo` (and the peers) for -mem-for and prints
// every process's resident memory each -every, then the growth over the
// last half of the run.
func memoryCase(c config, out io.Writer) error {
	b, err := newBench(c, "memory")
	if err != nil {
		return err
	}
	defer b.close()
	rec := ""
	if c.record {
		rec = " --record"
	}
	fmt.Fprintf(out, "memory: resident set of `vigil demo%s` and its peers over %s, %dx%d\n", rec, c.memFor, c.w, c.h)
	for _, v := range c.vigils() {
		argv := []string{v[1], "demo", "--log-file", filepath.Join(b.dir, v[0]+".log")}
		if c.record {
			argv = append(argv, "--record", filepath.Join(b.dir, v[0]+"-rec"))
		}
		if err := b.start(v[0]+" demo", v[0], b.vigilEnv(v[0]), argv...); err != nil {
			return err
		}
	}
	if err := b.startPeers(out); err != nil {
		return err
	}
	start := time.Now()
	// The resident set and its anonymous part: the rest is the binary's
	// pages, which depend on how the file came into the page cache (a
	// binary just written or copied maps in smaller pieces than one read
	// again and again), so compare builds by the anonymous part too.
	fmt.Fprintf(out, "  %8s", "minutes")
	for _, p := range b.procs {
		fmt.Fprintf(out, " %20s", p.session+" MB (anon)")
	}
	fmt.Fprintln(out)
	rows := map[*proc][]procstat.Sample{}
	for t := c.every; ; t += c.every {
		time.Sleep(time.Until(start.Add(t)))
		fmt.Fprintf(out, "  %8.1f", time.Since(start).Minutes())
		for _, p := range b.procs {
			s, err := procstat.Read(p.pid)
			if err != nil {
				return fmt.Errorf("%s exited: %w", p.label, err)
			}
			rows[p] = append(rows[p], s)
			fmt.Fprintf(out, " %20s", procstat.MB(s.RSS)+" ("+procstat.MB(s.Anon)+")")
		}
		fmt.Fprintln(out)
		if t >= c.memFor {
			break
		}
	}
	for _, p := range b.procs {
		ss := rows[p]
		last, mid := ss[len(ss)-1], ss[len(ss)/2]
		slope := float64(last.RSS-mid.RSS) / (1 << 20) / last.At.Sub(mid.At).Minutes()
		fmt.Fprintf(out, "  %-28s %s MB at the end (anon %s), %+.2f MB/min over the last half", p.label, procstat.MB(last.RSS), procstat.MB(last.Anon), slope)
		if p.session == "vigil" && c.memFor >= 10*time.Minute && !c.record { // the goal is of the demo alone
			fmt.Fprintf(out, " (goal ≤ 60 MB at 10 min: %s)", verdict(last.RSS <= 60<<20))
		}
		fmt.Fprintln(out)
	}
	return nil
}

const demoDrift = `# the drift features vigil demo watches
drift:
  - {name: features.price, field: features.price}
  - {name: features.age, field: features.age}
  - {name: features.session_len, field: features.session_len}
  - {name: prediction.confidence, field: prediction.confidence}
  - {name: features.category, field: features.category, categorical: true}
`

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}
