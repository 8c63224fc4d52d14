package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/httpconf"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/view/report"
)

// alertsFlags are the flags only `vigil alerts` has.
type alertsFlags struct {
	config       string
	alertmanager string
	forScale     float64
	history      bool
	backfill     time.Duration
}

// newAlertsCmd is `vigil alerts`.
func newAlertsCmd(e *env) *cobra.Command {
	o := &options{}
	var af alertsFlags
	cmd := &cobra.Command{
		Use:   "alerts [flags]",
		Short: "Print the active alerts",
		Long: `vigil alerts evaluates vigil's alert rules over what the sources show (as
--once does: use --for to watch long enough for rates and for: durations),
reads the alerts of a Prometheus (--prom) and an Alertmanager
(--alertmanager), and prints the active ones as text or JSON.`,
		Example: `  vigil alerts --scrape http://127.0.0.1:8000/metrics --for 30s
  vigil alerts --prom http://prometheus:9090 --backfill 1h --output json
  vigil alerts --alertmanager http://alertmanager:9093 --fail-on critical`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAlerts(o, af, e)
		},
	}
	cmd.Annotations = map[string]string{"exit": exitStatusHelp}
	fs := cmd.Flags()
	fs.StringVar(&af.config, "alerts-config", "", "alert rules, SLOs and notifications `file` (YAML: the alerts section)")
	fs.StringVar(&af.alertmanager, "alertmanager", "", "also read the alerts of the Alertmanager at `URL`")
	fs.Float64Var(&af.forScale, "for-scale", 0, "multiply every for: duration by this `factor` (the demo at --speed 10 uses 0.1)")
	fs.BoolVar(&af.history, "history", false, "also print the transitions seen while watching")
	fs.DurationVar(&af.backfill, "backfill", 0, "with --prom: read this much history first and evaluate over it, so for: durations that began earlier count")
	bindSources(fs, o)
	grouped(fs, groupHeadless, func(fs *pflag.FlagSet) {
		bindOutput(fs, &o.output)
		bindFor(fs, o)
		bindFailOn(fs, o)
	})
	bindGeneral(fs, o)
	return cmd
}

// runAlerts is `vigil alerts`.
func runAlerts(o *options, af alertsFlags, e *env) error {
	stdin, stdout, stderr := e.stdin, e.stdout, e.stderr
	cfg, err := loadOptions(o)
	if err != nil {
		return err
	}
	if af.forScale < 0 {
		return usageErr("--for-scale must not be negative, not %g", af.forScale)
	}
	ac := cfg.Alerts // the config file's alerts section, unless --alerts-config names another
	if af.config != "" {
		var err error
		if ac.Config, err = loadAlertsConfig(af.config); err != nil {
			return &exitError{code: exitUsage, err: err}
		}
	}
	if af.forScale > 0 {
		ac.ForScale = af.forScale
	}
	if af.alertmanager != "" {
		ac.Alertmanager = af.alertmanager
	}
	cfg.Alerts = ac
	s, ctx, done, code := prepare("vigil alerts", o, cfg, nil, stdin, stderr)
	if s == nil {
		return status(code)
	}
	defer done()
	al := s.alerting
	qs, _ := s.ensureQueryMode() // already added by prepare; nil without --prom
	if af.backfill > 0 && qs != nil {
		now := s.clock.Now()
		if err := qs.Backfill(ctx, s.store.Ingest, now, af.backfill, qs.Interval()); err != nil {
			return failure(fmt.Errorf("backfill: %w", err))
		}
		al.Engine.Record(now, al.Engine.EvalRange(now.Add(-af.backfill), now, qs.Interval()))
	}
	s.watch(ctx, o.forDur)
	now := s.clock.Now()
	active := al.Engine.Settle(now) // after every source's last poll, whatever order the hub polled in
	var hist []alerts.Transition
	if af.history {
		hist = al.Engine.History()
	}
	if err := report.WriteAlerts(stdout, o.output, now, active, hist); err != nil {
		return failure(err)
	}
	if err := s.unread(); err != nil {
		return failure(err)
	}
	return status(alertsExit(active, o.failOn))
}

func loadAlertsConfig(path string) (alerts.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return alerts.Config{}, fmt.Errorf("alerts config: %w", err)
	}
	return alerts.ParseConfig(b)
}

// alerting is what addAlerting wires.
type alerting struct {
	Engine   *alerts.Engine
	External *alerts.External // nil without Prometheus or Alertmanager
	Webhook  *alerts.Webhook  // nil unless the config names one
	Notify   alerts.NotifyConfig
}

// ensureQueryMode adds the query-mode source for --prom (or prom.url in the
// config) unless the session already has one, and returns it (nil without
// a Prometheus URL).
func (s *session) ensureQueryMode() (*promql.Source, error) {
	for _, src := range s.hub.Sources() {
		if q, ok := src.(*promql.Source); ok {
			return q, nil
		}
	}
	u := firstNonEmpty(s.o.prom, s.cfg.Prom.URL)
	if u == "" {
		return nil, nil
	}
	p := s.cfg.Prom
	pc, err := promClientConfig(p.HTTP)
	if err != nil {
		return nil, err
	}
	pc.URL, pc.Interval, pc.Timeout = u, time.Duration(p.Interval), time.Duration(p.Timeout)
	pc.RateWindow, pc.Tenant, pc.Panels = s.vopts.RateWindow, p.Tenant, p.Panels
	src, err := promql.New(pc)
	if err != nil {
		return nil, err
	}
	s.hub.Add(src)
	return src, nil
}

// addAlerting builds the rule engine over the session's store (with the
// panes' view options and the drift monitor), the external alerts reader
// and the webhook, and adds them to the hub. The console and --once use it
// the same way.
func (s *session) addAlerting(acfg AlertsConfig, pc *promql.Client) (*alerting, error) {
	ac := acfg.Config
	cc, err := ac.Compile()
	if err != nil {
		return nil, err
	}
	o := cc.Options
	o.View = s.vopts
	if m := s.extras.drift; m != nil {
		o.Drift = m.Alerting
	}
	al := &alerting{Notify: cc.Notify}
	if pc != nil && !ac.PrometheusAlerts {
		pc = nil
	}
	if pc != nil || ac.Alertmanager != "" {
		h := remoteHTTP()
		if acfg.AlertmanagerHTTP != nil {
			h = *acfg.AlertmanagerHTTP
		}
		c, err := h.client("alertmanager", ac.Alertmanager, httpconf.Options{Timeout: 5 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("alertmanager_http: %w", err)
		}
		x, err := alerts.NewExternal(alerts.ExternalConfig{Prometheus: pc, Alertmanager: ac.Alertmanager, Client: c})
		if err != nil {
			return nil, err
		}
		al.External = x
		o.External = x.Alerts
		s.hub.Add(x)
	}
	var onEval []func(time.Time, []alerts.Transition, []alerts.Alert)
	if u := cc.Notify.Webhook.URL; u != "" {
		var timeout time.Duration
		if t := cc.Notify.Webhook.Timeout; t != "" {
			timeout, _ = alerts.ParseDuration(t) // checked by Compile
		}
		if timeout <= 0 {
			timeout = alerts.DefaultWebhookTimeout
		}
		h := remoteHTTP()
		if acfg.WebhookHTTP != nil {
			h = *acfg.WebhookHTTP
		}
		c, err := h.client("webhook", u, httpconf.Options{Timeout: timeout})
		if err != nil {
			return nil, fmt.Errorf("webhook_http: %w", err)
		}
		w, err := alerts.NewWebhookClient(u, c)
		if err != nil {
			return nil, err
		}
		al.Webhook = w
		ctx, cancel := context.WithCancel(context.Background())
		go w.Run(ctx)
		s.close = append(s.close, cancel)
		onEval = append(onEval, func(now time.Time, ts []alerts.Transition, active []alerts.Alert) { w.Offer(now, active, ts) })
	}
	if bell, desktop := cc.Notify.Bell, cc.Notify.Desktop; bell || desktop {
		// A new critical alert rings the terminal's bell and/or raises a
		// desktop notification (OSC 9/777), through the console's renderer.
		s.notices = make(chan string, 8)
		ch := s.notices
		onEval = append(onEval, func(_ time.Time, ts []alerts.Transition, _ []alerts.Alert) {
			if b := alerts.TerminalNotice(ts, bell, desktop); b != nil {
				select {
				case ch <- string(b):
				default: // the console is behind: one more ring would say nothing new
				}
			}
		})
	}
	if len(onEval) > 0 {
		o.OnEval = func(now time.Time, ts []alerts.Transition, active []alerts.Alert) {
			for _, fn := range onEval {
				fn(now, ts, active)
			}
		}
	}
	al.Engine = alerts.New(s.store, o)
	s.hub.Add(al.Engine)
	return al, nil
}

// alertsExit is the exit status for --fail-on: 3 when an alert of that
// severity or worse fires, else 0. `vigil --once --fail-on` uses the same.
func alertsExit(active []alerts.Alert, failOn string) int {
	sev, firing := alerts.Worst(active)
	if !firing {
		return 0
	}
	switch failOn {
	case "critical":
		if sev >= sources.SevCritical {
			return 3
		}
	case "warning":
		if sev >= sources.SevWarning {
			return 3
		}
	}
	return 0
}

// finishOnce is what --once does with the alerts after its last poll:
// evaluate once more at now (so no source's last poll is missed), and
// return the active alerts as JSON rows and the --fail-on exit status
// (3 when an alert of that severity or worse fires, else 0).
func (al *alerting) finishOnce(now time.Time, failOn string) ([]report.Alert, int) {
	active := al.Engine.Settle(now)
	rows := make([]report.Alert, 0, len(active))
	for _, a := range active {
		rows = append(rows, report.AlertOf(a))
	}
	return rows, alertsExit(active, failOn)
}
