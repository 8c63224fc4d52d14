package alerts

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/sources"
)

// Config is the `alerts:` section of vigil's config file:
//
//	alerts:
//	  for_scale: 1            # multiplies every for: (the demo at --speed 10 uses 0.1)
//	  disable: [SourceDown]   # built-in rules left out, by name
//	  no_defaults: false      # leave every built-in rule out
//	  rules:
//	    - alert: QueueDeep
//	      expr: svc_queue_depth{service="api"} > 50
//	      for: 2m
//	      severity: warning   # or critical
//	      clear: 40           # release level (hysteresis); default 10 % back from the threshold
//	      labels: {team: ml}
//	      annotations: {summary: "queue {{ $value }} on {{ $labels.service }}"}
//	  slos:
//	    default: {latency_p99: 2, availability: 0.99, window: 30d}
//	    services:
//	      api: {latency_p99: 0.5, availability: 0.999}
//	  notify:
//	    bell: false           # BEL on a new critical alert
//	    desktop: false        # OSC 9 and OSC 777 desktop notifications
//	    webhook:              # Alertmanager-format POST of every transition; off unless set
//	      url: http://alertmanager:9093/api/v2/alerts
//	      timeout: 5s
//	  prometheus_alerts: true # read /api/v1/alerts of the --prom server
//	  alertmanager: http://127.0.0.1:9093   # read its /api/v2/alerts
type Config struct {
	ForScale         float64      `yaml:"for_scale"`
	Disable          []string     `yaml:"disable"`
	NoDefaults       bool         `yaml:"no_defaults"`
	Rules            []RuleConfig `yaml:"rules"`
	SLOs             SLOsConfig   `yaml:"slos"`
	Notify           NotifyConfig `yaml:"notify"`
	PrometheusAlerts bool         `yaml:"prometheus_alerts"`
	Alertmanager     string       `yaml:"alertmanager"`
}

// RuleConfig is one rule as written in the config.
type RuleConfig struct {
	Alert       string            `yaml:"alert"`
	Expr        string            `yaml:"expr"`
	For         string            `yaml:"for"`
	Severity    string            `yaml:"severity"`
	Clear       *float64          `yaml:"clear"`
	Labels      map[string]string `yaml:"labels"`
	Annotations map[string]string `yaml:"annotations"`
}

// SLOConfig is one SLO as written in the config (window as "30d").
type SLOConfig struct {
	LatencyP99   float64 `yaml:"latency_p99"` // seconds
	Availability float64 `yaml:"availability"`
	Window       string  `yaml:"window"`
}

// SLOsConfig holds the default SLO and the per-service ones.
type SLOsConfig struct {
	Default  SLOConfig            `yaml:"default"`
	Services map[string]SLOConfig `yaml:"services"`
}

// NotifyConfig says how to tell someone.
type NotifyConfig struct {
	Bell    bool          `yaml:"bell"`
	Desktop bool          `yaml:"desktop"`
	Webhook WebhookConfig `yaml:"webhook"`
}

// WebhookConfig is the optional Alertmanager-format webhook.
type WebhookConfig struct {
	URL     string `yaml:"url"`
	Timeout string `yaml:"timeout"`
}

// ParseConfig reads the alerts section (the YAML under `alerts:`).
func ParseConfig(b []byte) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && err.Error() != "EOF" {
		return c, fmt.Errorf("alerts config: %w", err)
	}
	if _, err := c.Compile(); err != nil {
		return c, err
	}
	return c, nil
}

func (s SLOConfig) slo() (SLO, error) {
	out := SLO{Latency: s.LatencyP99, Availability: s.Availability}
	if s.Availability != 0 && (s.Availability <= 0 || s.Availability >= 1) {
		return out, fmt.Errorf("availability %v: want a ratio between 0 and 1 (0.999)", s.Availability)
	}
	if s.LatencyP99 < 0 {
		return out, fmt.Errorf("latency_p99 %v: want seconds ≥ 0", s.LatencyP99)
	}
	if s.Window != "" {
		d, err := ParseDuration(s.Window)
		if err != nil {
			return out, err
		}
		out.Window = d
	}
	return out, nil
}

// Compiled is what the config turns into: the engine's options (without
// the store-side fields the caller fills: View, Drift, External).
type Compiled struct {
	Options Options
	Notify  NotifyConfig
}

// Compile checks the config and builds the engine options.
func (c Config) Compile() (Compiled, error) {
	var errs []error
	o := Options{ForScale: c.ForScale, NoDefault: c.NoDefaults, Disabled: map[string]bool{}, SLOs: map[string]SLO{}}
	known := map[string]bool{}
	for _, r := range DefaultRules(true) {
		known[r.Name] = true
	}
	for _, n := range c.Disable {
		if !known[n] {
			errs = append(errs, fmt.Errorf("disable: no built-in rule %q", n))
		}
		o.Disabled[n] = true
	}
	d, err := c.SLOs.Default.slo()
	if err != nil {
		errs = append(errs, fmt.Errorf("slos.default: %w", err))
	}
	o.Default = d
	for name, s := range c.SLOs.Services {
		v, err := s.slo()
		if err != nil {
			errs = append(errs, fmt.Errorf("slos.services.%s: %w", name, err))
		}
		o.SLOs[name] = v
	}
	names := map[string]bool{}
	for i, rc := range c.Rules {
		r, err := rc.Rule()
		if err != nil {
			errs = append(errs, fmt.Errorf("rules[%d] %s: %w", i, rc.Alert, err))
			continue
		}
		if names[r.Name] {
			errs = append(errs, fmt.Errorf("rules[%d]: a second rule called %q", i, r.Name))
		}
		names[r.Name] = true
		o.Rules = append(o.Rules, r)
	}
	if c.Notify.Webhook.Timeout != "" {
		if _, err := ParseDuration(c.Notify.Webhook.Timeout); err != nil {
			errs = append(errs, fmt.Errorf("notify.webhook.timeout: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return Compiled{}, fmt.Errorf("alerts config: %w", err)
	}
	return Compiled{Options: o, Notify: c.Notify}, nil
}

// Rule compiles one configured rule.
func (rc RuleConfig) Rule() (Rule, error) {
	if strings.TrimSpace(rc.Alert) == "" {
		return Rule{}, errors.New("alert: a name is required")
	}
	p, err := parseExpr(rc.Expr)
	if err != nil {
		return Rule{}, fmt.Errorf("expr %q: %w", rc.Expr, err)
	}
	r := Rule{Name: sources.OneLine(rc.Alert), Op: p.op, Threshold: p.thr, Clear: math.NaN(), Labels: rc.Labels,
		Annotations: rc.Annotations, Expr: strings.TrimSpace(rc.Expr[:strings.LastIndexAny(rc.Expr, "<>")]), eval: p.evaluator()}
	r.Expr = strings.TrimRight(r.Expr, "<>= ")
	r.Severity = sources.SevWarning
	if rc.Severity != "" {
		s, err := ParseSeverity(rc.Severity)
		if err != nil {
			return Rule{}, err
		}
		r.Severity = s
	}
	if rc.For != "" {
		d, err := ParseDuration(rc.For)
		if err != nil {
			return Rule{}, fmt.Errorf("for: %w", err)
		}
		r.For = d
	}
	if rc.Clear != nil {
		r.Clear = *rc.Clear
		if (r.Op == OpGT || r.Op == OpGE) && r.Clear > r.Threshold || (r.Op == OpLT || r.Op == OpLE) && r.Clear < r.Threshold {
			return Rule{}, fmt.Errorf("clear %v is on the wrong side of the threshold %v", r.Clear, r.Threshold)
		}
	}
	if p.fn == "" && p.name != "" && !strings.Contains(p.name, "_") {
		return Rule{}, fmt.Errorf("%q is not a signal name (e.g. gpu_temperature_celsius)", p.name)
	}
	return r, nil
}
