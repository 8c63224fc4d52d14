package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/promql"
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
		if ac, err = loadAlertsConfig(af.config); err != nil {
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
	if err := writeAlerts(stdout, o.output, now, active, hist); err != nil {
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
	src, err := promql.New(promql.Config{URL: u, BearerTokenFile: p.BearerTokenFile, BearerTokenEnv: p.BearerTokenEnv,
		BasicUser: p.BasicUser, BasicPasswordFile: p.BasicPassFile, CAFile: p.CAFile, CertFile: p.CertFile, KeyFile: p.KeyFile,
		Interval: time.Duration(p.Interval), Timeout: time.Duration(p.Timeout),
		Window: s.vopts.Window, Tenant: p.Tenant, Panels: p.Panels})
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
func (s *session) addAlerting(ac alerts.Config, pc *promql.Client) (*alerting, error) {
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
		x, err := alerts.NewExternal(alerts.ExternalConfig{Prometheus: pc, Alertmanager: ac.Alertmanager})
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
		w, err := alerts.NewWebhook(u, timeout)
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

// alertJSON is one alert in `vigil alerts --output json`.
type alertJSON struct {
	Name        string            `json:"alertname"`
	Severity    string            `json:"severity"`
	State       string            `json:"state"`
	Source      string            `json:"source"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       *float64          `json:"value"`
	Threshold   *float64          `json:"threshold"`
	ActiveAt    time.Time         `json:"active_at"`
	FiredAt     *time.Time        `json:"fired_at"`
	Text        string            `json:"text"`
}

type transitionJSON struct {
	At    time.Time `json:"at"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Alert alertJSON `json:"alert"`
}

func optFloat(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func toJSON(a alerts.Alert) alertJSON {
	j := alertJSON{Name: a.Name, Severity: a.Severity.String(), State: a.State, Source: a.Source, Labels: map[string]string{},
		Annotations: a.Annotations, Value: optFloat(a.Value), Threshold: optFloat(a.Threshold), ActiveAt: a.ActiveAt.UTC(), Text: a.Text}
	for _, l := range a.Labels {
		j.Labels[l.Name] = l.Value
	}
	if !a.FiredAt.IsZero() {
		t := a.FiredAt.UTC()
		j.FiredAt = &t
	}
	return j
}

// writeAlerts prints the active alerts (and the transitions, when given).
func writeAlerts(w io.Writer, format string, now time.Time, active []alerts.Alert, hist []alerts.Transition) error {
	if format == "json" {
		out := struct {
			At      time.Time        `json:"at"`
			Firing  int              `json:"firing"`
			Pending int              `json:"pending"`
			Alerts  []alertJSON      `json:"alerts"`
			History []transitionJSON `json:"history,omitempty"`
		}{At: now.UTC(), Alerts: []alertJSON{}}
		for _, a := range active {
			out.Alerts = append(out.Alerts, toJSON(a))
			if a.State == alerts.StateFiring {
				out.Firing++
			} else if a.State == alerts.StatePending {
				out.Pending++
			}
		}
		for _, t := range hist {
			out.History = append(out.History, transitionJSON{At: t.At.UTC(), From: t.From, To: t.To, Alert: toJSON(t.Alert)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(active) == 0 {
		fmt.Fprintln(tw, "no alert firing or pending at", now.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(tw, "SEVERITY\tSTATE\tSINCE\tALERT\tSOURCE\tLABELS\tTEXT")
		for _, a := range active {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Severity, a.State, age(now, a.ActiveAt), a.Name, a.Source,
				toJSON(a).labelText(), sources.OneLine(sources.Sanitize(a.Text)))
		}
	}
	if len(hist) > 0 {
		fmt.Fprintln(tw, "\nAT\tFROM\tTO\tALERT\tLABELS\tTEXT")
		for _, t := range hist {
			from := t.From
			if from == "" {
				from = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.At.UTC().Format("15:04:05"), from, t.To, t.Alert.Name,
				toJSON(t.Alert).labelText(), sources.OneLine(sources.Sanitize(t.Alert.Text)))
		}
	}
	return tw.Flush()
}

// labelText is the alert's labels for a text line: name=value, sorted, the
// source left out where it only repeats the origin; "-" for none.
func (a alertJSON) labelText() string {
	ls := make([]sources.Label, 0, len(a.Labels))
	for k, v := range a.Labels {
		if k == sources.LabelSource && v == a.Source {
			continue
		}
		ls = append(ls, sources.Label{Name: k, Value: v})
	}
	return labelsText(ls)
}

func labelsText(ls []sources.Label) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		parts = append(parts, sources.Sanitize(l.Name)+"="+sources.Sanitize(l.Value))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Truncate(time.Second).String()
}

// finishOnce is what --once does with the alerts after its last poll:
// evaluate once more at now (so no source's last poll is missed), and
// return the active alerts as JSON rows and the --fail-on exit status
// (3 when an alert of that severity or worse fires, else 0).
func (al *alerting) finishOnce(now time.Time, failOn string) ([]alertJSON, int) {
	active := al.Engine.Settle(now)
	rows := make([]alertJSON, 0, len(active))
	for _, a := range active {
		rows = append(rows, toJSON(a))
	}
	return rows, alertsExit(active, failOn)
}
