package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

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
	opts  demo.Options
	svc   *demo.Service
	fleet int  // --fleet N: serve N simulated hosts instead (with --serve)
	serve bool // --serve
}

// newDemoCmd is `vigil demo`.
func newDemoCmd(e *env) *cobra.Command {
	o := &options{}
	d := &demoSetup{}
	cmd := &cobra.Command{
		Use:   "demo [flags]",
		Short: "Run the embedded demo service and watch it",
		Long: `vigil demo starts a synthetic AI service inside the binary on 127.0.0.1 (a
vLLM-style LLM server and a recommendation API on simulated H100s) and watches
it through the same paths as a real one: an HTTP scrape of its /metrics, a tail
of its JSON log file, NVML calls into its simulated GPUs and OTLP traces sent
to vigil's own receiver. A scripted incident timeline plays on a 10-minute
loop: a latency spike, an error burst, a drift onset, a GPU thermal throttle
and an XID error.`,
		Example: `  vigil demo                                    # watch it in the console
  vigil demo --speed 10 --seed 3                # ten times faster, another timeline
  vigil demo --once --for 20s --output json     # headless: every pane after 20 s
  vigil demo --record /tmp/rec                  # record while watching
  vigil demo --fleet 200 --serve                # 200 simulated GPU hosts' exporters for Prometheus or VictoriaMetrics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemo(o, d, e)
		},
	}
	cmd.Annotations = map[string]string{"exit": exitStatusHelp}
	fs := cmd.Flags()
	fs.Int64Var(&d.opts.Seed, "seed", 1, "seed of the demo's traffic and incident timeline")
	fs.Float64Var(&d.opts.Speed, "speed", 1, "compress the incident timeline (10 plays it ten times faster)")
	fs.IntVar(&d.opts.GPUs, "demo-gpus", 8, "number of simulated GPUs")
	fs.StringVar(&d.opts.Dir, "demo-dir", "", "where the demo writes its log file, or with --fleet its scrape config (default a temporary directory)")
	fs.IntVar(&d.fleet, "fleet", 0, "with --serve: simulate `N` GPU hosts (dcgm-exporter, vLLM, node-exporter each) for Prometheus or VictoriaMetrics")
	fs.BoolVar(&d.serve, "serve", false, "with --fleet: serve the simulated hosts' exporters on loopback, no console")
	grouped(fs, groupSources, func(fs *pflag.FlagSet) { bindOTLP(fs, o) })
	bindOnce(fs, o, true)
	bindConsole(fs, o)
	bindGeneral(fs, o)
	bindRecord(fs, o)
	return cmd
}

// runDemo is `vigil demo`.
func runDemo(o *options, d *demoSetup, e *env) error {
	if d.fleet != 0 || d.serve {
		return runFleet(d, e)
	}
	cfg, err := loadOptions(o)
	if err != nil {
		return err
	}
	if d.opts.Speed <= 0 || d.opts.Speed > 1000 {
		return usageErr("--speed must be in (0, 1000], not %g", d.opts.Speed)
	}
	if d.opts.GPUs < 1 || d.opts.GPUs > 1024 {
		return usageErr("--demo-gpus must be in [1, 1024], not %d", d.opts.GPUs)
	}
	if o.once && o.forDur == 0 {
		o.forDur = 5 * time.Second
	}
	demoDefaults(&cfg)
	return status(start(o, cfg, d, e.stdin, e.stdout, e.stderr))
}

// runFleet is `vigil demo --fleet N --serve`: a simulated fleet's exporters
// on loopback, and how to point an engine and vigil at them.
func runFleet(d *demoSetup, e *env) error {
	switch {
	case !d.serve:
		return usageErr("--fleet needs --serve (vigil watches a fleet through Prometheus or VictoriaMetrics: see README, Fleet)")
	case d.fleet < 1 || d.fleet > fleet.MaxHosts:
		return usageErr("--serve needs --fleet N with N in 1..%d, not %d", fleet.MaxHosts, d.fleet)
	}
	ctx, stop := signalContext()
	defer stop()
	err := fleet.Run(ctx, fleet.RunOptions{Hosts: d.fleet, GPUs: d.opts.GPUs, Seed: d.opts.Seed, Dir: d.opts.Dir}, e.stdout)
	if err != nil {
		return failure(err)
	}
	return nil
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
		Cell:         max(time.Second, time.Duration(float64(20*time.Second)/speed)),
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
	if s.o.window == 0 && s.cfg.RateWindow == 0 {
		s.vopts.RateWindow = max(5*time.Second, time.Duration(float64(time.Minute)/speed))
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
	// A producer: it stops before the hub, while vigil's receiver still
	// takes its last spans.
	s.producers = append(s.producers, func() { svc.Close() })
	return nil
}

// attach points the console at the demo like at any other target.
func (d *demoSetup) attach(s *session) error {
	// The demo's services run on this machine, beside its GPUs: the same
	// host, not the scrape's 127.0.0.1:port.
	sc, err := newScraperWith(newScrapeTarget(d.svc.MetricsURL(), time.Second), func(c *prom.ScrapeConfig) {
		c.OpenMetrics, c.Host = true, d.svc.Host()
	})
	if err != nil {
		return err
	}
	s.hub.Add(sc)
	s.hub.Add(logs.NewFile(d.svc.LogPath(), s.extras.logOpts))
	s.notes = append(s.notes, fmt.Sprintf("demo: metrics %s, log %s, %d simulated GPUs, seed %d, speed %gx",
		d.svc.MetricsURL(), d.svc.LogPath(), d.opts.GPUs, d.opts.Seed, d.opts.Speed))
	return nil
}
