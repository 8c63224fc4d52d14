package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/internal/gctune"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/sources/view/report"
)

// openLog opens vigil's own log file: never the terminal under the UI.
func openLog(path string) (*slog.Logger, func(), error) {
	if path == "" {
		dir := os.Getenv("XDG_STATE_HOME")
		if dir == "" {
			home, err := os.UserHomeDir()
			if err != nil {
				return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}, nil
			}
			dir = filepath.Join(home, ".local", "state")
		}
		path = filepath.Join(dir, "vigil", "vigil.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: slog.LevelInfo})), func() { f.Close() }, nil
}

// session is everything one run of the console or once mode holds.
type session struct {
	o        *options
	cfg      Config
	log      *slog.Logger
	store    *sources.Store
	clock    sources.Clock
	hub      *sources.Hub
	notes    []string // what autodetection found or did not find
	vopts    view.Options
	extras   extras // drift monitor, alerts, ... (wire.go)
	driftCfg drift.Config
	recorder *replay.Recorder // set while --record writes a recording
	alerting *alerting        // the rule engine and what feeds it
	notices  chan string      // terminal notifications for the console (--notify)

	// Close stops things in this order: producers (what feeds vigil's own
	// listeners, the demo, so that its last spans still reach the OTLP
	// receiver), then the hub and every source in it, then close (the
	// recording, NVML, ...) last added first.
	producers []func()
	stopHub   func() // set while the hub runs on its own goroutine (startHub)
	close     []func()
}

// storeOptions are the store's bounds from the config: retention (default
// 1 h) and memory_budget (default 256 MiB).
func storeOptions(c Config) sources.StoreOptions {
	o := sources.StoreOptions{Retention: time.Duration(c.Retention), Budget: int64(c.MemoryBudget)}
	if o.Budget == 0 {
		o.Budget = defaultMemoryBudget
	}
	return o
}

func newSession(o *options, cfg Config, log *slog.Logger, clock sources.Clock) *session {
	so := storeOptions(cfg)
	gctune.Apply(so.Budget, os.Getenv) // GOGC 50 and a memory limit from the budget (docs/memory.md)
	st := sources.NewStore(so)
	s := &session{o: o, cfg: cfg, log: log, store: st, clock: clock, hub: sources.NewHub(st, clock)}
	s.vopts = viewOptions(o, cfg)
	return s
}

func (s *session) Close() {
	for i := len(s.producers) - 1; i >= 0; i-- {
		s.producers[i]()
	}
	s.producers = nil
	if s.stopHub != nil {
		s.stopHub()
		s.stopHub = nil
	}
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
	s.close = nil
}

// startHub runs the hub on its own goroutine until Close stops it (not when
// ctx ends: a signal ends the run, and Close then stops things in order).
func (s *session) startHub(ctx context.Context) {
	if s.stopHub != nil {
		return
	}
	hctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() { s.hub.Run(hctx); close(done) }()
	if d := s.extras.drift; d != nil {
		d.Start(hctx) // column closes off the hub's ingest
	}
	s.stopHub = func() { cancel(); <-done }
}

// closeWithin calls fn and waits for it at most d: a library call that
// cannot be interrupted (NVML's event wait blocks up to a second) must not
// hold up the exit; the process ending releases what it holds.
func closeWithin(d time.Duration, fn func()) {
	done := make(chan struct{})
	go func() { fn(); close(done) }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
	}
}

func viewOptions(o *options, cfg Config) view.Options {
	v := view.Options{RateWindow: o.window, Strict: map[string]bool{}, Targets: map[string]float64{}}
	if v.RateWindow == 0 {
		v.RateWindow = time.Duration(cfg.RateWindow)
	}
	for name, svc := range cfg.Services {
		if svc.Strict {
			v.Strict[name] = true
		}
		if svc.ErrorTarget > 0 {
			v.Targets[name] = svc.ErrorTarget
		}
		if svc.LatencySLO > 0 {
			if v.LatencySLO == nil {
				v.LatencySLO = map[string]time.Duration{}
			}
			v.LatencySLO[name] = time.Duration(svc.LatencySLO)
		}
	}
	return v
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runOnce lets the sources run for --for (or polls once), evaluates every
// pane and prints it. The exit status is 3 when --fail-on matches a firing
// alert, 1 when no source could be read.
func (s *session) runOnce(ctx context.Context, stdout, stderr io.Writer) int {
	s.watch(ctx, s.o.forDur)
	now := s.clock.Now()
	if rc := s.extras.receiver; rc != nil { // a stream, not polled: its state as it stands
		s.hub.Ingest(sources.Frame{Source: rc.Name(), At: now, Health: rc.Health()})
	}
	r := s.report(now)
	code := 0
	if s.alerting != nil {
		// Evaluated once more after every source's last poll.
		r.Alerts, code = s.alerting.finishOnce(now, s.o.failOn)
	}
	if err := report.Write(stdout, r, s.o.output); err != nil {
		fmt.Fprintf(stderr, "vigil: %v\n", err)
		return 1
	}
	if err := s.unread(); err != nil {
		fmt.Fprintf(stderr, "vigil: %v\n", err)
		return 1
	}
	return code
}

// watch lets the sources run for d and ends with a round in which every
// poller polls again, so that no figure is left from a poll the deadline
// cut short; with d 0 it polls each source once. The hub keeps running
// until Close, so streams (the OTLP receiver) still accept what producers
// send while they stop.
func (s *session) watch(ctx context.Context, d time.Duration) {
	if d <= 0 {
		s.hub.PollOnce(ctx)
		return
	}
	s.startHub(ctx)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
		return
	}
	s.finalRound(ctx)
}

// finalRound asks every poller to poll now and waits until each has
// reported a poll that began after the request (or its poll timeout).
func (s *session) finalRound(ctx context.Context) {
	var names []string
	wait := time.Second
	for _, src := range s.hub.Sources() {
		if p, ok := src.(sources.Poller); ok {
			names = append(names, p.Name())
			t := min(max(p.Interval(), time.Second), 10*time.Second)
			if to, ok := p.(interface{ Timeout() time.Duration }); ok && to.Timeout() > 0 {
				t = to.Timeout()
			}
			wait = max(wait, t)
		}
	}
	asked := s.clock.Now()
	s.hub.PollNow()
	deadline := time.NewTimer(wait + 100*time.Millisecond)
	defer deadline.Stop()
	for {
		fresh := map[string]bool{}
		for _, h := range s.store.Health() {
			if !h.At.Before(asked) {
				fresh[h.Source] = true
			}
		}
		all := true
		for _, n := range names {
			if !fresh[n] {
				all = false
				break
			}
		}
		if all {
			return
		}
		select {
		case <-s.hub.Updates():
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// unread says why, when vigil was asked to read sources and none of them
// answered: a --once that saw nothing must not pass for one that saw
// nothing wrong. vigil's own parts (its process figures, the alert engine,
// the OTLP receiver, which only listens) do not count.
func (s *session) unread() error {
	own := map[string]bool{}
	if r := s.extras.receiver; r != nil {
		own[r.Name()] = true
	}
	if s.alerting != nil {
		own[s.alerting.Engine.Name()] = true
	}
	var errs []string
	asked := 0
	for _, h := range s.store.Health() {
		if h.Kind == "self" || own[h.Source] || h.State == sources.HealthDisabled {
			continue
		}
		asked++
		if h.State == sources.HealthOK {
			return nil
		}
		e := h.Err
		if e == "" {
			e = "no answer yet"
		}
		errs = append(errs, sources.OneLine(h.Source+": "+e))
	}
	if asked == 0 {
		return nil
	}
	return fmt.Errorf("no source could be read (%s)", strings.Join(errs, "; "))
}

// addQueryAndAlerts adds query mode (--prom) and the alert engine, with
// Prometheus' and Alertmanager's own alerts when they are at hand.
func (s *session) addQueryAndAlerts() error {
	qs, err := s.ensureQueryMode()
	if err != nil {
		return fmt.Errorf("--prom: %w", err)
	}
	var pc *promql.Client
	if qs != nil {
		pc = qs.Client()
		s.cfg.Alerts.PrometheusAlerts = true
		// A fleet's memory limit follows what the store holds.
		s.close = append(s.close, gctune.Follow(s.store.Options().Budget, func() int64 { return s.store.Memory().Total }, 15*time.Second, os.Getenv))
	}
	for _, n := range strings.Split(s.o.notify, ",") {
		switch strings.TrimSpace(n) {
		case "bell":
			s.cfg.Alerts.Notify.Bell = true
		case "desktop":
			s.cfg.Alerts.Notify.Desktop = true
		case "":
		default:
			return fmt.Errorf("--notify: %q is not bell or desktop", n)
		}
	}
	al, err := s.addAlerting(s.cfg.Alerts, pc)
	if err != nil {
		return fmt.Errorf("alerts: %w", err)
	}
	s.alerting = al
	return nil
}

// runLive is `vigil [flags]`: watch this box.
func runLive(o *options, e *env) error {
	cfg, err := loadOptions(o)
	if err != nil {
		return err
	}
	return status(start(o, cfg, nil, e.stdin, e.stdout, e.stderr))
}

// loadOptions checks the flags that take one of a few values and reads the
// config file; either problem is a usage error.
func loadOptions(o *options) (Config, error) {
	if err := o.validate(); err != nil {
		return Config{}, &exitError{code: exitUsage, err: err, hint: true}
	}
	path, explicit := configPath(o.config)
	cfg, err := loadConfig(path, explicit)
	if err != nil {
		return cfg, &exitError{code: exitUsage, err: err}
	}
	if err := cfg.check(); err != nil {
		return cfg, &exitError{code: exitUsage, err: fmt.Errorf("config %s: %w", path, err)}
	}
	return cfg, nil
}

// start opens the log, wires the session (with the demo when d is set) and
// runs the console or once mode.
func start(o *options, cfg Config, d *demoSetup, stdin io.Reader, stdout, stderr io.Writer) int {
	s, ctx, done, code := prepare("vigil", o, cfg, d, stdin, stderr)
	if s == nil {
		return code
	}
	defer done()
	if o.once {
		return s.runOnce(ctx, stdout, stderr)
	}
	if err := s.runConsole(ctx); err != nil {
		fmt.Fprintf(stderr, "vigil: %v\n", err)
		return 1
	}
	return 0
}

// prepare opens vigil's log and wires a session: the demo when d is set,
// every source, query mode, the alert engine and the recorder. It reports a
// problem as one line prefixed with cmd and returns a nil session with the
// exit status; done releases everything.
func prepare(cmd string, o *options, cfg Config, d *demoSetup, stdin io.Reader, stderr io.Writer) (s *session, ctx context.Context, done func(), code int) {
	logger, closeLog, err := openLog(firstNonEmpty(o.logFile, cfg.LogFile))
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		return nil, nil, nil, 2
	}
	ctx, stop := signalContext()
	s = newSession(o, cfg, logger, sources.WallClock{})
	done = func() { s.Close(); stop(); closeLog() }
	fail := func(c int, err error) (*session, context.Context, func(), int) {
		fmt.Fprintf(stderr, "%s: %v\n", cmd, err)
		done()
		return nil, nil, nil, c
	}
	var lib nvmlLib
	if d != nil {
		if err := d.start(ctx, s); err != nil {
			return fail(1, fmt.Errorf("demo: %w", err))
		}
		lib = d.svc.NVML()
	}
	if err := s.addSources(ctx, lib, stdin); err != nil {
		return fail(2, err)
	}
	if d != nil {
		if err := d.attach(s); err != nil {
			return fail(1, fmt.Errorf("demo: %w", err))
		}
	}
	if err := s.addQueryAndAlerts(); err != nil {
		return fail(2, err)
	}
	if d == nil && s.alerting.External == nil && !s.hasData(ctx) {
		fmt.Fprint(stderr, s.nothingFound())
		done()
		return nil, nil, nil, 1
	}
	if o.record != "" {
		if err := s.startRecording(o.record); err != nil {
			return fail(2, err)
		}
	}
	return s, ctx, done, 0
}

// hasData reports whether any source besides vigil's own will bring data:
// a target, a log, a trace backend, an OTLP receiver asked for by flag or
// config, or a GPU that NVML can see.
func (s *session) hasData(ctx context.Context) bool {
	if len(s.o.scrape)+len(s.cfg.Scrape)+len(s.o.logs)+len(s.o.logCmds)+len(s.cfg.Logs) > 0 ||
		len(s.extras.found) > 0 || s.o.prom != "" || s.cfg.Prom.URL != "" || s.extras.backend != nil ||
		s.extras.receiver != nil && firstNonEmpty(s.o.otlpListen, s.cfg.Traces.OTLPListen) != "" {
		return true
	}
	if c := s.extras.nvml; c != nil {
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		f, err := c.Poll(pctx, s.clock.Now())
		if err == nil && f.Health != nil && f.Health.State != sources.HealthDisabled {
			return true
		}
		if f.Health != nil && f.Health.Err != "" {
			s.notes = append(s.notes, "NVML: "+f.Health.Err)
		} else if err != nil {
			s.notes = append(s.notes, "NVML: "+err.Error())
		}
	}
	return false
}

func (s *session) nothingFound() string {
	var b strings.Builder
	b.WriteString("vigil: nothing to watch here.\n\nLooked for:\n")
	if s.o.noNVML || s.cfg.NVML.Disabled {
		b.WriteString("  - GPUs through NVML: turned off (--no-nvml)\n")
	}
	for _, n := range s.notes {
		fmt.Fprintf(&b, "  - %s\n", n)
	}
	b.WriteString("  - no --scrape, --prom, --log or config file entries\n\n")
	b.WriteString("Try `vigil demo` to see every pane alive, or point vigil at something:\n")
	b.WriteString("  vigil --scrape http://HOST:8000/metrics   (vLLM, TGI, Triton, dcgm-exporter, node-exporter, ...)\n")
	b.WriteString("  vigil --prom http://prometheus:9090\n  vigil --log /var/log/app/*.log\n")
	return b.String()
}
