//go:build linux

// Command fleetbench measures query mode against a fleet held by a real
// VictoriaMetrics (Debian's victoria-metrics, default flags): it starts one
// on a free loopback port, imports a generated fleet's recent history
// (package demo/fleet: per host a vLLM server, GPUs behind dcgm-exporter and
// node-exporter, with its incidents), then
//
//   - polls it in query mode in this process and reports each poll's wall
//     time, vigil's CPU time and the bytes of the engine's answers;
//   - runs the vigil binary given (--vigil) with --prom URL --once --output
//     json, checks that every host and GPU is there, each GPU and service
//     naming its host, and reports its wall time, CPU time and peak RSS.
//
// It is a measurement, not a test: run it on a quiet machine. To compare
// two builds side by side on one engine, keep one fed (--keep) and point
// each build's fleetbench at it (--url, --engine-pid), and give --vigil
// both binaries.
//
//	go build -o /tmp/vigil ./cmd/vigil
//	go run ./scripts/fleetbench --hosts 1000 --vigil /tmp/vigil
//	go run ./scripts/fleetbench --hosts 1000 --polls 0 --keep   # prints URL
//	fleetbench --url URL --engine-pid PID --polls 5 --vigil /tmp/old,/tmp/vigil
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vigil-dev/vigil/scripts/internal/procstat"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo/fleet"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/view"
)

func main() {
	hosts := flag.Int("hosts", 1000, "hosts in the fleet")
	gpus := flag.Int("gpus", 8, "GPUs per host")
	polls := flag.Int("polls", 5, "query-mode polls to measure")
	vigil := flag.String("vigil", "", "vigil binaries (comma-separated, run in turn) to run with --prom URL --once --output json (empty: skip)")
	vmBin := flag.String("vm", "victoria-metrics", "the VictoriaMetrics binary")
	keep := flag.Bool("keep", false, "after the measurement, keep VictoriaMetrics running and fed until Ctrl-C (prints its URL)")
	flag.BoolVar(&perQuery, "queries", false, "also time each query of one poll")
	flag.StringVar(&engineURL, "url", "", "measure against this engine, already fed (another fleetbench --keep), instead of starting one")
	flag.IntVar(&enginePID, "engine-pid", 0, "with --url: the engine's process id, for its CPU time")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a Go CPU profile of the measured polls (2 on) to `FILE`")
	flag.Parse()
	if err := run(*hosts, *gpus, *polls, *vigil, *vmBin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "fleetbench:", err)
		os.Exit(1)
	}
}

var (
	perQuery   bool
	engineURL  string
	enginePID  int
	cpuProfile string
)

// measure polls the engine at base (process pid) in query mode and runs
// the vigil binaries given (comma-separated) with --once, in turn.
func measure(base string, pid, hosts, gpus, polls int, vigil string, fl *fleet.Fleet, turn *sync.Mutex) error {
	src, err := promql.New(promql.Config{URL: base, Timeout: 30 * time.Second})
	if err != nil {
		return err
	}
	ctx := context.Background()
	// Wait until the engine shows every target.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		rs, err := src.Client().Query(ctx, "count(up)", time.Time{})
		if err == nil && len(rs) == 1 && len(rs[0].Samples) == 1 && int(rs[0].Samples[0].Value) >= 3*hosts {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the engine shows %v of %d targets", rs, 3*hosts)
		}
		time.Sleep(500 * time.Millisecond)
	}
	st := sources.NewStore(sources.StoreOptions{})
	if polls > 0 {
		fmt.Println("\npoll  wall      vigil CPU  engine CPU  answers   on the wire  series  points")
	}
	for i := 0; i < polls; i++ {
		if i == 1 && cpuProfile != "" {
			// The steady polls: the first asks for everything.
			pf, err := os.Create(cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(pf); err != nil {
				return err
			}
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
		turn.Lock()
		w0, b0 := src.Client().Bytes()
		c0, e0 := cpuTime(), procCPU(pid)
		start := time.Now()
		f, err := src.Poll(ctx, time.Now())
		wall := time.Since(start)
		cpu, ecpu := cpuTime()-c0, procCPU(pid)-e0
		turn.Unlock()
		if err != nil {
			return fmt.Errorf("poll: %w", err)
		}
		st.Ingest(f)
		w1, b1 := src.Client().Bytes()
		fmt.Printf("%-4d  %-8s  %-9s  %-10s  %6.2f MB  %6.2f MB    %-6d  %d\n", i+1, wall.Round(time.Millisecond), cpu.Round(time.Millisecond),
			ecpu.Round(time.Millisecond), float64(b1-b0)/1e6, float64(w1-w0)/1e6, f.Health.Series, len(f.Points))
		if len(f.Health.Warnings) > 0 {
			fmt.Println("      warnings:", strings.Join(f.Health.Warnings, "; "))
		}
	}
	if perQuery {
		fmt.Println("\none poll's queries, one at a time (wall, engine CPU, series, bytes):")
		for _, q := range append(prom.Queries(nil, prom.TierSummary), prom.Queries(nil, prom.TierDetail)...) {
			e0, start := procCPU(pid), time.Now()
			_, b0 := src.Client().Bytes()
			rs, err := src.Client().Query(ctx, q.ExprIn(src.Client().Dialect(), time.Minute, ""), time.Now())
			_, b1 := src.Client().Bytes()
			if err != nil || len(rs) > 0 {
				fmt.Printf("  %-8s %-8s %6d %9d  %s %v\n", time.Since(start).Round(time.Millisecond), (procCPU(pid) - e0).Round(time.Millisecond), len(rs), b1-b0, q.Name, errOrEmpty(err))
			}
		}
	}
	if polls > 0 {
		now := time.Now()
		ov := view.Evaluate(st, now, view.Options{})
		fv := view.EvaluateFleet(st, ov, view.Hosts(st, now, view.Options{}), now, view.Options{})
		fmt.Printf("\nin the store: %d services, %d GPUs, %d hosts in the fleet\n", len(ov.Services), len(ov.GPUs), len(fv.Hosts))
		for _, h := range fv.Hosts[:min(5, len(fv.Hosts))] {
			fmt.Printf("  %-14s %-8s %s\n", h.Host, h.Severity, h.Worst)
		}
	}
	if fl != nil {
		fmt.Println("incidents:")
		for _, in := range fl.Incidents() {
			fmt.Printf("  %-11s %s\n", in.Kind, in.Detail)
		}
	}
	for _, bin := range strings.Split(vigil, ",") {
		if bin == "" {
			continue
		}
		if err := once(bin, base, hosts, gpus); err != nil {
			return err
		}
	}
	return nil
}

func run(hosts, gpus, polls int, vigil, vmBin string, keep bool) error {
	if engineURL != "" {
		return measure(engineURL, enginePID, hosts, gpus, polls, vigil, nil, &sync.Mutex{})
	}
	bin, err := exec.LookPath(vmBin)
	if err != nil {
		return fmt.Errorf("%s not found (apt-get install victoria-metrics): %w", vmBin, err)
	}
	dir, err := os.MkdirTemp("", "fleetbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	vm := exec.Command(bin, "-storageDataPath="+filepath.Join(dir, "vm"), "-httpListenAddr="+addr, "-loggerLevel=ERROR")
	vm.Stdout, vm.Stderr = os.Stderr, os.Stderr
	if err := vm.Start(); err != nil {
		return err
	}
	defer func() {
		_ = vm.Process.Kill()
		_ = vm.Wait()
	}()
	base := "http://" + addr
	if err := waitOK(base+"/health", 30*time.Second); err != nil {
		return err
	}

	// The fleet every 15 s over the last 75 s (the rate window has data),
	// then every 15 s the new instant, as scrapes would bring it.
	end := time.Now().Truncate(15 * time.Second)
	fl, err := fleet.New(fleet.Config{Hosts: hosts, GPUsPerHost: gpus, Seed: 1, Start: end.Add(-10 * time.Minute)})
	if err != nil {
		return err
	}
	fmt.Printf("fleet: %d hosts x (%d GPUs + vLLM + node-exporter), %d series per host\n", hosts, gpus, fl.SeriesPerHost())
	t0 := time.Now()
	pr, pw := io.Pipe()
	var samples int64
	go func() {
		n, err := fl.WriteHistory(pw, end.Add(-75*time.Second), end, 15*time.Second)
		samples = n
		pw.CloseWithError(err)
	}()
	resp, err := http.Post(base+"/api/v1/import/prometheus", "text/plain", pr)
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	resp.Body.Close()
	if r, err := http.Get(base + "/internal/force_flush"); err == nil {
		r.Body.Close()
	}
	fmt.Printf("imported %d samples in %s\n", samples, time.Since(t0).Round(time.Millisecond))
	// The feeder and the measured polls take turns: this process' CPU time
	// during a poll is then the poll's.
	var turn sync.Mutex
	feed := make(chan struct{})
	defer close(feed)
	go func() {
		for t := end.Add(15 * time.Second); ; t = t.Add(15 * time.Second) {
			select {
			case <-feed:
				return
			case <-time.After(time.Until(t)):
			}
			turn.Lock()
			pr, pw := io.Pipe()
			go func() { _, err := fl.WriteHistory(pw, t, t, 15*time.Second); pw.CloseWithError(err) }()
			if resp, err := http.Post(base+"/api/v1/import/prometheus", "text/plain", pr); err == nil {
				resp.Body.Close()
			}
			turn.Unlock()
		}
	}()

	if err := measure(base, vm.Process.Pid, hosts, gpus, polls, vigil, fl, &turn); err != nil {
		return err
	}
	if keep {
		// The fleet goes on: the engine keeps getting every new instant
		// until Ctrl-C.
		fmt.Printf("\nVictoriaMetrics at %s, fed every 15 s; try: vigil --prom %s\nCtrl-C stops it.\n", base, base)
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		<-ctx.Done()
	}
	return nil
}

// once runs vigil --prom URL --once --output json and checks its output.
func once(vigil, base string, hosts, gpus int) error {
	cmd := exec.Command(vigil, "--prom", base, "--once", "--output", "json", "--otlp-listen", "off")
	home, err := os.MkdirTemp("", "fleetbench-home")
	if err != nil {
		return err
	}
	defer os.RemoveAll(home)
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+home, "XDG_STATE_HOME="+home)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if cmd.ProcessState == nil {
		return fmt.Errorf("vigil: %w", err)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	var r struct {
		Services []struct {
			Host, Service string
		} `json:"services"`
		GPUs []struct {
			Host string `json:"host"`
			GPU  string `json:"gpu"`
		} `json:"gpus"`
		Sources []view.SourceHealth `json:"sources"`
		Fleet   view.Fleet          `json:"fleet"`
	}
	if jerr := json.Unmarshal(out.Bytes(), &r); jerr != nil {
		return fmt.Errorf("vigil --once (%v): not JSON: %v\n%s", err, jerr, errb.String())
	}
	named := 0
	for _, g := range r.GPUs {
		if g.Host != "" {
			named++
		}
	}
	fmt.Printf("\n%s --prom --once --output json: exit %v, wall %s, CPU %s, peak RSS %d MB, %d bytes of JSON\n",
		vigil, cmd.ProcessState.ExitCode(), wall.Round(time.Millisecond), cpu.Round(time.Millisecond), ru.Maxrss/1024, out.Len())
	fmt.Printf("  %d services, %d GPUs (%d naming their host), %d hosts in fleet (want %d hosts, %d GPUs)\n",
		len(r.Services), len(r.GPUs), named, len(r.Fleet.Hosts), hosts, hosts*gpus)
	for _, s := range r.Sources {
		if s.Kind == "prom" {
			fmt.Printf("  source %s: %s, poll %.0f ms, %d bytes on the wire, %d series, %s\n", s.Source, s.State, s.DurationMS, s.Bytes, s.Series, s.Detail)
		}
	}
	for _, h := range r.Fleet.Hosts[:min(5, len(r.Fleet.Hosts))] {
		fmt.Printf("  %-14s %-8s %s\n", h.Host, h.Severity, h.Worst)
	}
	if len(r.GPUs) != hosts*gpus || named != len(r.GPUs) || len(r.Fleet.Hosts) != hosts {
		return fmt.Errorf("--once is missing hosts or GPUs")
	}
	return nil
}

func errOrEmpty(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// procCPU is a process' CPU time (user and system), 0 when it cannot be
// read (no --engine-pid).
func procCPU(pid int) time.Duration {
	s, _ := procstat.Read(pid)
	return s.CPU
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func waitOK(url string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if r, err := http.Get(url); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s", url, within)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
