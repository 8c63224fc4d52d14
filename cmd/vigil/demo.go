package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources/demo"
	"github.com/vigil-dev/vigil/sources/demo/fleet"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/traces"
)

// demoSetup runs the embedded demo service beside the console. The console
// watches it through the real paths: an HTTP scrape of its /metrics, a tail
// of its log file, NVML calls into its simulated GPUs and OTLP traces sent to
// vigil's own receiver.
type demoSetup struct {
	opts demo.Options
	svc  *demo.Service
}

// runDemo is `vigil demo`.
func runDemo(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &options{}
	fs := newFlagSet("vigil demo", o, stderr)
	d := &demoSetup{}
	fs.Int64Var(&d.opts.Seed, "seed", 1, "seed of the demo's traffic and incident timeline")
	fs.Float64Var(&d.opts.Speed, "speed", 1, "compress the incident timeline (10 plays it ten times faster)")
	fs.IntVar(&d.opts.GPUs, "demo-gpus", 8, "number of simulated GPUs")
	fs.StringVar(&d.opts.Dir, "demo-dir", "", "where the demo writes its log file, or with --fleet its scrape config (default a temporary directory)")
	fleetHosts := fs.Int("fleet", 0, "with --serve: simulate `N` GPU hosts (dcgm-exporter, vLLM, node-exporter each) for Prometheus or VictoriaMetrics")
	serve := fs.Bool("serve", false, "with --fleet: serve the simulated hosts' exporters on loopback, no console")
	fs.Usage = func() {
		fmt.Fprint(stderr, "vigil demo: an embedded synthetic AI service (a vLLM-style LLM server and a recommendation API\n"+
			"on simulated GPUs) with a scripted incident timeline, watched by the console through the real paths.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	cfg, rest, code := parseFlags(fs, o, args, stderr)
	if code >= 0 {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintf(stderr, "vigil demo: unexpected argument %q\n", rest[0])
		return 2
	}
	if *fleetHosts != 0 || *serve {
		return runFleet(*fleetHosts, *serve, d.opts, stdout, stderr)
	}
	if d.opts.Speed <= 0 || d.opts.Speed > 1000 {
		fmt.Fprintf(stderr, "vigil demo: --speed must be in (0, 1000], not %g\n", d.opts.Speed)
		return 2
	}
	if o.once && o.forDur == 0 {
		o.forDur = 5 * time.Second
	}
	demoDefaults(&cfg)
	return start(o, cfg, d, stdin, stdout, stderr)
}

// runFleet is `vigil demo --fleet N --serve`: a simulated fleet's exporters
// on loopback, and how to point an engine and vigil at them.
func runFleet(hosts int, serve bool, o demo.Options, stdout, stderr io.Writer) int {
	switch {
	case !serve:
		fmt.Fprintln(stderr, "vigil demo: --fleet needs --serve (vigil watches a fleet through Prometheus or VictoriaMetrics: see README, Fleet)")
		return 2
	case hosts < 1 || hosts > fleet.MaxHosts:
		fmt.Fprintf(stderr, "vigil demo: --serve needs --fleet N with N in 1..%d, not %d\n", fleet.MaxHosts, hosts)
		return 2
	}
	ctx, stop := signalContext()
	defer stop()
	err := fleet.Run(ctx, fleet.RunOptions{Hosts: hosts, GPUs: o.GPUs, Seed: o.Seed, Dir: o.Dir}, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "vigil demo: %v\n", err)
		return 1
	}
	return 0
}

// demoDefaults watches the demo's model features for drift and sets the
// recommendation API's error target, unless the config says otherwise.
func demoDefaults(cfg *Config) {
	if len(cfg.Drift) == 0 {
		cfg.Drift = []DriftFeature{
			{Name: "features.price", Field: "features.price"},
			{Name: "features.age", Field: "features.age"},
			{Name: "features.session_len", Field: "features.session_len"},
			{Name: "prediction.confidence", Field: "prediction.confidence"},
			{Name: "features.category", Field: "features.category", Categorical: true},
		}
	}
	if len(cfg.Services) == 0 {
		cfg.Services = map[string]Service{"recsys": {ErrorTarget: 0.01}}
	}
	if len(cfg.Cost.GPUHour) == 0 && cfg.Cost.DefaultGPU == 0 {
		// An illustrative price, so the executive screen has a cost to show.
		cfg.Cost.GPUHour = map[string]float64{"H100": 2.50}
		cfg.Cost.FixedHourly = 1.00
	}
}

// driftConfig fits the drift reference and heat cells to the compressed
// timeline: the calm first scripted minute is the reference, a cell is 20
// scripted seconds.
func (d *demoSetup) driftConfig() drift.Config {
	speed := d.opts.Speed
	if speed <= 0 {
		speed = 1
	}
	return drift.Config{
		Window:       max(time.Second, time.Duration(float64(20*time.Second)/speed)),
		Baseline:     time.Duration(float64(60*time.Second) / speed),
		MinReference: 300,
		Columns:      120,
		Seed:         uint64(d.opts.Seed),
	}
}

// start opens vigil's OTLP receiver first (the demo needs its address) and
// then starts the demo service.
func (d *demoSetup) start(ctx context.Context, s *session) error {
	s.driftCfg = d.driftConfig()
	// The scripted incidents last 45–90 scripted seconds, shorter than the
	// for: durations production rules wait (2–10 min): the demo scales its
	// alert timing and figure window with the timeline.
	speed := max(d.opts.Speed, 0.001)
	if s.cfg.Alerts.ForScale == 0 {
		s.cfg.Alerts.ForScale = 0.1 / speed
	}
	if s.o.window == 0 && s.cfg.Window == 0 {
		s.vopts.Window = max(5*time.Second, time.Duration(float64(time.Minute)/speed))
	}
	listen := firstNonEmpty(s.o.otlpListen, s.cfg.Traces.OTLPListen)
	if listen == "" {
		listen = "127.0.0.1:0" // never fight a real collector for 4318
	}
	if listen != "off" {
		r := traces.NewReceiver(traces.ReceiverOptions{Listen: listen, Clock: s.clock})
		if err := r.Listen(); err != nil {
			return fmt.Errorf("OTLP receiver: %w", err)
		}
		s.extras.receiver = r
		s.hub.Add(r)
		d.opts.OTLPEndpoint = "http://" + r.Addr()
	}
	s.o.otlpListen = "off" // addSources must not open a second receiver
	d.opts.Logger = s.log
	svc, err := demo.Start(ctx, d.opts)
	if err != nil {
		return err
	}
	d.svc = svc
	s.close = append(s.close, func() { svc.Close() })
	return nil
}

// attach points the console at the demo like at any other target.
func (d *demoSetup) attach(s *session) error {
	// The demo's services run on this machine, beside its GPUs: the same
	// host, not the scrape's 127.0.0.1:port.
	s.hub.Add(prom.NewScraper(prom.ScrapeConfig{URL: d.svc.MetricsURL(), Interval: time.Second, OpenMetrics: true, Host: d.svc.Host()}))
	s.hub.Add(logs.NewFile(d.svc.LogPath(), s.extras.logOpts))
	s.notes = append(s.notes, fmt.Sprintf("demo: metrics %s, log %s, %d simulated GPUs, seed %d, speed %gx",
		d.svc.MetricsURL(), d.svc.LogPath(), d.opts.GPUs, d.opts.Seed, d.opts.Speed))
	return nil
}
