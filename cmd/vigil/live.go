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
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/sources/view"
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
	close    []func()
}

func newSession(o *options, cfg Config, log *slog.Logger, clock sources.Clock) *session {
	st := sources.NewStore(sources.StoreOptions{})
	s := &session{o: o, cfg: cfg, log: log, store: st, clock: clock, hub: sources.NewHub(st, clock)}
	s.vopts = viewOptions(o, cfg)
	return s
}

func (s *session) Close() {
	for i := len(s.close) - 1; i >= 0; i-- {
		s.close[i]()
	}
}

func viewOptions(o *options, cfg Config) view.Options {
	v := view.Options{Window: o.window, Strict: map[string]bool{}, Targets: map[string]float64{}}
	if v.Window == 0 {
		v.Window = time.Duration(cfg.Window)
	}
	for name, svc := range cfg.Services {
		if svc.Strict {
			v.Strict[name] = true
		}
		if svc.ErrorTarget > 0 {
			v.Targets[name] = svc.ErrorTarget
		}
	}
	return v
}

// signalContext is cancelled by SIGINT or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// runOnce lets the sources run for --for (or polls once), evaluates every
// pane and prints it. The exit status is 3 when --fail-on matches a firing alert.
func (s *session) runOnce(ctx context.Context, stdout, stderr io.Writer) int {
	if s.o.forDur > 0 {
		cctx, cancel := context.WithTimeout(ctx, s.o.forDur)
		s.hub.Run(cctx)
		cancel()
		s.hub.Drain()
	}
	// A last round, so that no figure is left from a poll the deadline cut short.
	s.hub.PollOnce(ctx)
	now := s.clock.Now()
	r := s.report(now)
	code := 0
	if s.alerting != nil {
		// Evaluated once more after every source's last poll.
		r.Alerts, code = s.alerting.finishOnce(now, s.o.failOn)
	}
	if err := writeOnce(stdout, r, s.o.output); err != nil {
		fmt.Fprintf(stderr, "vigil: %v\n", err)
		return 1
	}
	return code
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
// a target, a log, a trace backend, or a GPU that NVML can see.
func (s *session) hasData(ctx context.Context) bool {
	if len(s.o.scrape)+len(s.cfg.Scrape)+len(s.o.logs)+len(s.o.logCmds)+len(s.cfg.Logs) > 0 ||
		len(s.extras.found) > 0 || s.o.prom != "" || s.cfg.Prom.URL != "" || s.extras.backend != nil {
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

func driftRowOf(row drift.Row, alerting bool) driftRow {
	d := driftRow{Feature: row.Feature, Kind: row.Kind.String(), Alerting: alerting || row.Alert, Cells: make([]string, 0, len(row.Cells))}
	for _, c := range row.Cells {
		d.Cells = append(d.Cells, c.Level.String())
	}
	if n := len(row.Cells); n > 0 {
		last := row.Cells[n-1]
		d.Level = last.Level.String()
		if last.Level >= drift.LevelNone && last.Level <= drift.LevelHigh {
			d.KSD, d.KSP, d.PSI = view.Some(last.Stats.D), view.Some(last.Stats.KSP), view.Some(last.Stats.PSI)
		}
	} else {
		d.Level = drift.LevelBaselining.String()
	}
	return d
}
