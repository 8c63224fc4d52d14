package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/driftsrc"
	"github.com/vigil-dev/vigil/sources/logs"
)

// Config is vigil's YAML configuration ($XDG_CONFIG_HOME/vigil/config.yaml).
// Flags override it. Credentials are never written here in clear: they are
// read from the files or environment variables the config names.
type Config struct {
	Scrape     []ScrapeTarget      `yaml:"scrape"`
	Prom       PromConfig          `yaml:"prom"`
	Logs       []LogConfig         `yaml:"logs"`
	LogParsing LogParsing          `yaml:"log_parsing"`
	Traces     TraceConfig         `yaml:"traces"`
	NVML       NVMLConfig          `yaml:"nvml"`
	Discover   *bool               `yaml:"discover"`
	Services   map[string]Service  `yaml:"services"`
	Keys       map[string][]string `yaml:"keys"`
	Window     Duration            `yaml:"window"`
	Refresh    Duration            `yaml:"refresh"`
	Drift      []DriftFeature      `yaml:"drift"`
	LogFile    string              `yaml:"log_file"`
	Alerts     alerts.Config       `yaml:"alerts"`
	Cost       CostConfig          `yaml:"cost"`
}

// CostConfig prices the executive screen's cost figures.
type CostConfig struct {
	GPUHour     map[string]float64 `yaml:"gpu_hour"`         // price per GPU-hour by model substring, e.g. {H100: 2.5}
	DefaultGPU  float64            `yaml:"default_gpu_hour"` // price of a GPU no key matches
	FixedHourly float64            `yaml:"fixed_hourly"`     // hosting, licences, ...
	Currency    string             `yaml:"currency"`
}

// ScrapeTarget is one /metrics endpoint.
type ScrapeTarget struct {
	URL      string            `yaml:"url"`
	Interval Duration          `yaml:"interval"`
	Timeout  Duration          `yaml:"timeout"`
	Headers  map[string]string `yaml:"headers"`
}

// PromConfig is a Prometheus-compatible query API.
type PromConfig struct {
	URL             string   `yaml:"url"`
	BearerTokenFile string   `yaml:"bearer_token_file"`
	BearerTokenEnv  string   `yaml:"bearer_token_env"`
	BasicUser       string   `yaml:"basic_user"`
	BasicPassFile   string   `yaml:"basic_password_file"`
	CAFile          string   `yaml:"ca_file"`
	CertFile        string   `yaml:"cert_file"`
	KeyFile         string   `yaml:"key_file"`
	Interval        Duration `yaml:"interval"`
	Timeout         Duration `yaml:"timeout"`
}

// LogConfig is one log source.
type LogConfig struct {
	Path    string `yaml:"path"`    // file or glob, tail -F
	Command string `yaml:"command"` // e.g. journalctl -f -o json
	URL     string `yaml:"url"`     // newline-delimited JSON stream
	Loki    string `yaml:"loki"`    // Loki-compatible API base URL
	Query   string `yaml:"query"`   // LogQL for Loki
}

// LogParsing says how log lines are read: which fields are redacted
// (default prompt, completion, messages, input, output) and extraction rules.
type LogParsing struct {
	Redact []string    `yaml:"redact"`
	Rules  []logs.Rule `yaml:"rules"`
}

// TraceConfig says where traces come from.
type TraceConfig struct {
	OTLPListen string `yaml:"otlp_listen"` // default 127.0.0.1:4318; "off" disables
	Jaeger     string `yaml:"jaeger"`
	Tempo      string `yaml:"tempo"`
}

// NVMLConfig selects GPUs.
type NVMLConfig struct {
	Disabled           bool   `yaml:"disabled"`
	GPUs               string `yaml:"gpus"` // "0,3"
	CUDAVisibleDevices bool   `yaml:"cuda_visible_devices"`
}

// Service holds per-service targets.
type Service struct {
	ErrorTarget float64  `yaml:"error_target"` // ratio, e.g. 0.01
	Strict      bool     `yaml:"strict"`       // 0.1 % error target (medical, financial)
	LatencySLO  Duration `yaml:"latency_slo"`  // p99 objective
}

// DriftFeature configures one drift row (a log field or a histogram).
type DriftFeature = driftsrc.Feature

// Duration is a time.Duration written as "15s", "5m" in YAML.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 15s or 5m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// configPath is --config, else $XDG_CONFIG_HOME/vigil/config.yaml.
func configPath(flagValue string) (path string, explicit bool) {
	if flagValue != "" {
		return flagValue, true
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", false
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "vigil", "config.yaml"), false
}

// loadConfig reads the config file. A missing default file is no error; a
// missing explicit one is.
func loadConfig(path string, explicit bool) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) { // an empty file is fine
		return c, fmt.Errorf("config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	return c, nil
}
