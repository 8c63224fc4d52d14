package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	gonvml "github.com/NVIDIA/go-nvml/pkg/nvml"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/driftsrc"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/sources/nvml"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/selfstat"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui"
	talerts "github.com/vigil-dev/vigil/tui/alerts"
	"github.com/vigil-dev/vigil/tui/audience"
	tlogs "github.com/vigil-dev/vigil/tui/logs"
	"github.com/vigil-dev/vigil/tui/pane"
	ttraces "github.com/vigil-dev/vigil/tui/traces"
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

// onceReport is what --once prints: the overview plus everything else the
// panes show. JSON field names are documented in README.md.
type onceReport struct {
	view.Overview
	Hosts      []view.Host  `json:"hosts"`
	Drift      []driftRow   `json:"drift"`
	Discovered []discovered `json:"discovered"`
	Notes      []string     `json:"notes"`
	Alerts     []alertJSON  `json:"alerts"`
	// Store is where the store's bytes go and the bound it keeps to.
	Store sources.MemoryUsage `json:"store"`
}

type discovered struct {
	URL    string   `json:"url"`
	Stacks []string `json:"stacks"`
}

// driftRow is one drift heat row at the evaluation instant.
type driftRow struct {
	Feature  string   `json:"feature"`
	Kind     string   `json:"kind"`
	Level    string   `json:"level"` // of the newest closed cell
	Alerting bool     `json:"alerting"`
	KSD      view.Num `json:"ks_d"`
	KSP      view.Num `json:"ks_p"`
	PSI      view.Num `json:"psi"`
	Cells    []string `json:"cells"` // levels of the closed cells, oldest first
}

func (s *session) report(at time.Time) onceReport {
	r := onceReport{Overview: view.Evaluate(s.store, at, s.vopts), Notes: s.notes, Drift: []driftRow{}, Discovered: []discovered{}, Alerts: []alertJSON{}}
	r.Hosts = view.Hosts(s.store, at, s.vopts)
	r.Store = s.store.Memory()
	for _, f := range s.extras.found {
		r.Discovered = append(r.Discovered, discovered{URL: f.URL, Stacks: f.Stacks})
	}
	if d := s.extras.drift; d != nil {
		m := d.Monitor()
		m.Advance(at)
		alerting := map[string]bool{}
		for _, f := range m.Alerting(at) {
			alerting[f] = true
		}
		for _, row := range m.Rows() {
			r.Drift = append(r.Drift, driftRowOf(row, alerting[row.Feature]))
		}
	}
	return r
}

func (r onceReport) textSections() []string {
	var out []string
	if len(r.Hosts) > 0 {
		var b strings.Builder
		b.WriteString("HOST\tCPUS\tCPU BUSY\tLOAD1\tMEMORY\tUPTIME\n")
		for _, h := range r.Hosts {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Host, num(h.CPUCount, "%.0f"), pct(h.CPUBusy), num(h.Load1, "%.2f"),
				pct(h.MemUsedRatio), num(scale(h.Uptime, 1.0/86400), "%.1f d"))
		}
		out = append(out, b.String())
	}
	if len(r.Drift) > 0 {
		var b strings.Builder
		b.WriteString("DRIFT\tKIND\tLEVEL\tKS D\tKS P\tPSI\tALERT\n")
		for _, d := range r.Drift {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", d.Feature, d.Kind, d.Level, num(d.KSD, "%.3f"), num(d.KSP, "%.2g"), num(d.PSI, "%.3f"), d.Alerting)
		}
		out = append(out, b.String())
	}
	if len(r.Alerts) > 0 {
		var b strings.Builder
		b.WriteString("ALERT\tSEVERITY\tSTATE\tSOURCE\tSINCE\tLABELS\tDETAIL\n")
		for _, a := range r.Alerts {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Severity, a.State, a.Source,
				a.ActiveAt.UTC().Format("15:04:05"), a.labelText(), sources.OneLine(a.Text))
		}
		out = append(out, b.String())
	}
	if len(r.Discovered) > 0 {
		var b strings.Builder
		b.WriteString("DISCOVERED\tSTACKS\n")
		for _, d := range r.Discovered {
			fmt.Fprintf(&b, "%s\t%s\n", d.URL, strings.Join(d.Stacks, ","))
		}
		out = append(out, b.String())
	}
	return out
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
		targets = append(targets, ScrapeTarget{URL: u})
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
			sc, err := newScraper(ScrapeTarget{URL: f.URL, Interval: Duration(o.scrapeEvery)})
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
			s.hub.Add(logs.NewHTTPStream(lc.URL, lopts))
		case lc.Loki != "":
			s.hub.Add(logs.NewLoki(lc.Loki, lc.Query, logs.LokiOptions{}))
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
	jaeger, tempo := firstNonEmpty(o.jaeger, cfg.Traces.Jaeger), firstNonEmpty(o.tempo, cfg.Traces.Tempo)
	var backends traces.Multi
	if jaeger != "" {
		b, err := traces.NewJaeger(traces.ClientOptions{URL: jaeger})
		if err != nil {
			return fmt.Errorf("--jaeger: %w", err)
		}
		backends = append(backends, b)
	}
	if tempo != "" {
		b, err := traces.NewTempo(traces.ClientOptions{URL: tempo})
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
	return newScraperOM(t, false)
}

// newScraperOM is newScraper; openMetrics asks for OpenMetrics first, for exemplars.
func newScraperOM(t ScrapeTarget, openMetrics bool) (*prom.Scraper, error) {
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("scrape target %q: want http(s)://host:port/metrics", t.URL)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/metrics"
	}
	return prom.NewScraper(prom.ScrapeConfig{URL: u.String(), Interval: time.Duration(t.Interval),
		Timeout: time.Duration(t.Timeout), Headers: t.Headers, OpenMetrics: openMetrics}), nil
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
		FitWindow: s.o.prom != "" || s.cfg.Prom.URL != ""}
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
	o.Screens[tui.ScreenLogs] = tlogs.New(tlogs.Options{Vault: s.extras.vault})
	hint := "no traces yet: send OTLP/HTTP to vigil (--otlp-listen), or point it at --jaeger URL / --tempo URL"
	recv := ""
	if r := s.extras.receiver; r != nil {
		hint, recv = "no traces yet: send OTLP/HTTP to "+r.Target(), r.Name()
	}
	o.Screens[tui.ScreenTraces] = ttraces.New(ttraces.Options{Backend: s.extras.backend, Hint: hint, Receiver: recv})
	// The three audiences: engineers have the overview; alerts, data
	// science and executive screens are 8, 9 and 0.
	o.Screens[8] = talerts.New(0)
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
