package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/driftsrc"
	"github.com/vigil-dev/vigil/sources/httpconf"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/sources/nvml"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/selfstat"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/sources/view/report"
	"github.com/vigil-dev/vigil/tui"
	"github.com/vigil-dev/vigil/tui/alertspane"
	"github.com/vigil-dev/vigil/tui/audience"
	"github.com/vigil-dev/vigil/tui/logspane"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/tracespane"
)

// extras are the parts of a session beside the hub's sources.
type extras struct {
	drift    *driftsrc.Monitor
	nvml     *nvml.Collector
	receiver *traces.Receiver
	backend  traces.Backend
	found    []prom.Found
	vault    *logs.Vault  // originals of redacted log lines, for reveal
	logOpts  logs.Options // how every log source parses
}

// report evaluates every pane at at, for --once.
func (s *session) report(at time.Time) report.Report {
	r := report.Report{Overview: view.Evaluate(s.store, at, s.vopts), Notes: s.notes, Drift: []report.DriftRow{}, Discovered: []report.Discovered{}, Alerts: []report.Alert{}}
	r.Hosts = view.Hosts(s.store, at, s.vopts)
	r.Fleet = view.EvaluateFleet(s.store, r.Overview, r.Hosts, at, s.vopts)
	r.Store, r.Goroutines = s.store.Memory(), runtime.NumGoroutine()
	for _, f := range s.extras.found {
		r.Discovered = append(r.Discovered, report.Discovered{URL: f.URL, Stacks: f.Stacks})
	}
	if d := s.extras.drift; d != nil {
		d.Sync() // what the hub has handed it so far
		m := d.Monitor()
		m.Advance(at)
		alerting := map[string]bool{}
		for _, f := range m.Alerting(at) {
			alerting[f] = true
		}
		for _, row := range m.Rows() {
			r.Drift = append(r.Drift, report.DriftRowOf(row, alerting[row.Feature]))
		}
	}
	return r
}

// addSources registers every source the flags and config ask for, plus
// what autodetection finds. lib, when set, is the NVML implementation (the
// demo's simulated GPUs).
func (s *session) addSources(ctx context.Context, lib nvmlLib, stdin io.Reader) error {
	o, cfg := s.o, s.cfg
	host, _ := os.Hostname()
	if err := s.setupLogParsing(); err != nil {
		return err
	}

	targets := append([]ScrapeTarget(nil), cfg.Scrape...)
	for _, u := range o.scrape {
		targets = append(targets, newScrapeTarget(u, 0))
	}
	scrapers := make([]*prom.Scraper, 0, len(targets))
	for _, t := range targets {
		if t.Interval == 0 {
			t.Interval = Duration(o.scrapeEvery)
		}
		sc, err := newScraper(t)
		if err != nil {
			return err
		}
		scrapers = append(scrapers, sc)
	}
	prom.UniqueNames(scrapers) // targets on one host:port must not share a name (or a health)
	for _, sc := range scrapers {
		s.hub.Add(sc)
	}
	discover := !o.noDiscover && (cfg.Discover == nil || *cfg.Discover) && lib == nil
	if discover {
		dctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		found := prom.Discover(dctx, nil)
		cancel()
		s.extras.found = found
		for _, f := range found {
			if scraping(targets, f.URL) {
				continue
			}
			if f.IsPrometheus() {
				s.notes = append(s.notes, fmt.Sprintf("a Prometheus server answers on :%d: read it with --prom http://127.0.0.1:%d", f.Port, f.Port))
				continue
			}
			sc, err := newScraper(newScrapeTarget(f.URL, o.scrapeEvery))
			if err != nil {
				return err
			}
			s.hub.Add(sc)
		}
		if len(found) > 0 {
			s.notes = append(s.notes, prom.Summary(found))
		}
		if len(found) == 0 {
			s.notes = append(s.notes, "no serving stack answered on 127.0.0.1's default ports")
		}
	}

	if !o.noNVML && !cfg.NVML.Disabled {
		gpus := o.gpus
		if gpus == "" {
			gpus = cfg.NVML.GPUs
		}
		c := nvml.New(nvml.Options{Lib: lib, Host: host, GPUs: nvml.ParseGPUList(gpus),
			CUDAVisibleDevices: os.Getenv("CUDA_VISIBLE_DEVICES"), UseCUDAVisible: o.cudaVisible || cfg.NVML.CUDAVisibleDevices,
			Clock: s.clock, Logger: s.log})
		s.extras.nvml = c
		s.hub.Add(c)
		s.close = append(s.close, func() { closeWithin(20*time.Millisecond, func() { c.Close() }) })
	}

	logCfgs := append([]LogConfig(nil), cfg.Logs...)
	for _, p := range o.logs {
		logCfgs = append(logCfgs, LogConfig{Path: p, From: LogFrom(o.logFrom)})
	}
	for _, c := range o.logCmds {
		logCfgs = append(logCfgs, LogConfig{Command: c})
	}
	lopts := s.extras.logOpts
	for _, lc := range logCfgs {
		switch {
		case lc.Path == "-":
			s.hub.Add(logs.NewStdin(stdin, lopts))
		case lc.Path != "":
			fo := lopts
			fo.FromStart = lc.From == "start"
			s.hub.Add(logs.NewFile(lc.Path, fo))
		case lc.Command != "":
			s.hub.Add(logs.NewCommand(lc.Command, lopts))
		case lc.URL != "":
			so := lopts
			c, err := lc.HTTP.client("logs", lc.URL, httpconf.Options{HeaderTimeout: streamHeaderTimeout})
			if err != nil {
				return fmt.Errorf("config: logs %s: %w", lc.URL, err)
			}
			so.Client = c
			s.hub.Add(logs.NewHTTPStream(lc.URL, so))
		case lc.Loki != "":
			c, err := lc.HTTP.client("loki", lc.Loki, httpconf.Options{})
			if err != nil {
				return fmt.Errorf("config: loki %s: %w", lc.Loki, err)
			}
			lo := logs.LokiOptions{}
			lo.Client = c
			s.hub.Add(logs.NewLoki(lc.Loki, lc.Query, lo))
		default:
			return fmt.Errorf("config: a logs entry needs path, command, url or loki")
		}
	}

	listen := o.otlpListen
	if listen == "" {
		listen = cfg.Traces.OTLPListen
	}
	if listen != "off" {
		r := traces.NewReceiver(traces.ReceiverOptions{Listen: listen, Clock: s.clock})
		if err := r.Listen(); err != nil {
			// Another vigil may hold 4318: say so; the receiver shows as a
			// source in error and takes the port once it is free.
			s.notes = append(s.notes, fmt.Sprintf("OTLP receiver not listening: %v", err))
		}
		s.extras.receiver = r
		s.hub.Add(r)
	}
	jaeger, tempo := flagEndpoint(o.jaeger, cfg.Traces.Jaeger), flagEndpoint(o.tempo, cfg.Traces.Tempo)
	var backends traces.Multi
	if jaeger.URL != "" {
		c, err := jaeger.HTTP.client("jaeger", jaeger.URL, httpconf.Options{})
		if err != nil {
			return fmt.Errorf("jaeger: %w", err)
		}
		b, err := traces.NewJaeger(traces.ClientOptions{URL: jaeger.URL, Client: c})
		if err != nil {
			return fmt.Errorf("--jaeger: %w", err)
		}
		backends = append(backends, b)
	}
	if tempo.URL != "" {
		c, err := tempo.HTTP.client("tempo", tempo.URL, httpconf.Options{})
		if err != nil {
			return fmt.Errorf("tempo: %w", err)
		}
		b, err := traces.NewTempo(traces.ClientOptions{URL: tempo.URL, Client: c})
		if err != nil {
			return fmt.Errorf("--tempo: %w", err)
		}
		backends = append(backends, b)
	}
	for _, b := range backends {
		// Recent traces come in on their own, with a health line per backend.
		s.hub.Add(traces.NewPoller(b, traces.PollerOptions{}))
	}
	switch len(backends) {
	case 0:
	case 1:
		s.extras.backend = backends[0]
	default:
		s.extras.backend = backends
	}

	s.hub.Add(selfstat.New(selfstat.Options{Host: host, Health: s.store.Health}))
	return s.addDrift()
}

// nvmlLib is go-nvml's interface: the real library or the demo's simulated GPUs.
type nvmlLib = gonvml.Interface

// setupLogParsing builds the one parser every log source shares, with the
// config's redaction and extraction rules.
func (s *session) setupLogParsing() error {
	if s.extras.vault != nil {
		return nil
	}
	s.extras.vault = logs.NewVault(1000)
	p, err := logs.NewParser(logs.ParseOptions{Redact: s.cfg.LogParsing.Redact, Rules: s.cfg.LogParsing.Rules, Vault: s.extras.vault})
	if err != nil {
		return fmt.Errorf("config log_parsing: %w", err)
	}
	s.extras.logOpts = logs.Options{Clock: s.clock, Parser: p}
	return nil
}

func scraping(ts []ScrapeTarget, u string) bool {
	for _, t := range ts {
		if t.URL == u {
			return true
		}
	}
	return false
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func newScraper(t ScrapeTarget) (*prom.Scraper, error) {
	return newScraperWith(t, nil)
}

// newScraperWith is newScraper; set, when not nil, adjusts the scrape
// configuration (OpenMetrics first, a host label).
func newScraperWith(t ScrapeTarget, set func(*prom.ScrapeConfig)) (*prom.Scraper, error) {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("scrape target %q: want http(s)://host:port/metrics", t.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/metrics"
	}
	c, err := t.HTTP.client("scrape", t.URL, httpconf.Options{})
	if err != nil {
		return nil, fmt.Errorf("scrape target %s: %w", u.Host, err)
	}
	sc := prom.ScrapeConfig{URL: u.String(), Interval: time.Duration(t.Interval), Timeout: time.Duration(t.Timeout), Client: c}
	if set != nil {
		set(&sc)
	}
	return prom.NewScraper(sc), nil
}

// flagEndpoint is the flag's URL when given (with the config's HTTP client
// settings when the config names the same endpoint), else the config's.
func flagEndpoint(flag string, cfg Endpoint) Endpoint {
	if flag == "" {
		return cfg
	}
	if cfg.URL == flag {
		return cfg
	}
	return Endpoint{URL: flag, HTTP: remoteHTTP()}
}

// addDrift sets up the drift monitor over the configured features and feeds
// it from the hub: log fields and histogram snapshots.
func (s *session) addDrift() error {
	if len(s.cfg.Drift) == 0 {
		return nil
	}
	d, err := driftsrc.New(s.driftCfg, s.cfg.Drift)
	if err != nil {
		return err
	}
	s.extras.drift = d
	s.hub.AddSink(d.Ingest)
	return nil
}

// consoleOptions builds the console's options from the session.
func (s *session) consoleOptions() tui.Options {
	o := tui.Options{Store: s.store, Hub: s.hub, Clock: s.clock, View: s.vopts,
		Keys: s.cfg.Keys, LowBandwidth: s.o.lowBW, Mouse: s.o.mouse, Screens: map[int]pane.Pane{},
		// A console that starts with an empty store opens on the data it
		// has (a minute, growing with it) rather than a 15-minute window
		// with everything in its last columns.
		FitWindow: true}
	for _, src := range s.hub.Sources() { // query mode: the charts' history, a host's detail on demand
		if h, ok := src.(sources.HistoryFiller); ok {
			o.History = h
		}
		if d, ok := src.(sources.DetailFetcher); ok {
			o.Detail = d
		}
	}
	if s.o.fps > 0 {
		o.Refresh = time.Duration(float64(time.Second) / s.o.fps)
	} else if s.cfg.Refresh > 0 {
		o.Refresh = time.Duration(s.cfg.Refresh)
	}
	if s.extras.nvml != nil {
		o.GPUInspector = s.extras.nvml // processes, MIG, field ages beyond the series
	}
	o.Snapshot = s.snapshot
	if s.notices != nil {
		o.Notices = s.notices
	}
	if s.alerting != nil {
		o.SLO = s.alerting.Engine.SLOOf
	}
	if s.recorder != nil {
		o.Marker = s.marker
	}
	if s.extras.drift != nil {
		o.Drift = s.extras.drift
	}
	o.Screens[tui.ScreenLogs] = logspane.New(logspane.Options{Vault: s.extras.vault})
	hint := "no traces yet: send OTLP/HTTP to vigil (--otlp-listen), or point it at --jaeger URL / --tempo URL"
	recv := ""
	if r := s.extras.receiver; r != nil {
		hint, recv = "no traces yet: send OTLP/HTTP to "+r.Target(), r.Name()
	}
	o.Screens[tui.ScreenTraces] = tracespane.New(tracespane.Options{Backend: s.extras.backend, Hint: hint, Receiver: recv})
	// The three audiences: engineers have the overview; alerts, data
	// science and executive screens are 8, 9 and 0.
	o.Screens[8] = alertspane.New(0)
	so := audience.ScientistOptions{}
	if s.extras.drift != nil {
		so.Drift = s.extras.drift
	}
	o.Screens[9] = audience.NewScientist(so)
	c := s.cfg.Cost
	o.Screens[10] = audience.NewExecutive(audience.ExecutiveOptions{GPUPrice: c.GPUHour, DefaultGPUPrice: c.DefaultGPU,
		FixedHourly: c.FixedHourly, Currency: c.Currency})
	return o
}

// runConsole runs the hub and the console until the user quits.
func (s *session) runConsole(ctx context.Context) error {
	return s.runConsoleWith(ctx, s.consoleOptions())
}

// runConsoleWith runs the hub and a console built from opts.
func (s *session) runConsoleWith(ctx context.Context, topts tui.Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.startHub(ctx) // stopped by Close, after the producers
	term := tui.UseTerminal(os.Getenv)
	s.log.Info("terminal", "TERM", os.Getenv("TERM"), "draws", term.String())
	// The most frames a second the console writes; it writes a frame
	// when the screen changes, not on a timer (tui.NewProgram).
	fps := 20
	if s.o.lowBW {
		fps = 5
	}
	opts := []tea.ProgramOption{tea.WithAltScreen(), tea.WithContext(ctx)}
	if s.o.mouse {
		opts = append(opts, tea.WithMouseCellMotion())
	}
	_, err := tui.NewProgram(tui.New(topts), os.Stdout, fps, opts...).Run()
	if err == tea.ErrProgramKilled && ctx.Err() != nil {
		return nil // SIGTERM: a clean exit
	}
	return err
}
