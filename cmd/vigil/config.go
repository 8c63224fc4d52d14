package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/driftsrc"
	"github.com/vigil-dev/vigil/sources/httpconf"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/tui/keys"
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
	RateWindow Duration            `yaml:"window"`
	Refresh    Duration            `yaml:"refresh"`
	// Retention is how far back the store keeps series; MemoryBudget
	// bounds the bytes it holds (storeOptions).
	Retention    Duration       `yaml:"retention"`
	MemoryBudget ByteSize       `yaml:"memory_budget"`
	Drift        []DriftFeature `yaml:"drift"`
	LogFile      string         `yaml:"log_file"`
	Alerts       AlertsConfig   `yaml:"alerts"`
	Cost         CostConfig     `yaml:"cost"`

	lines map[string]int // key path (scrape[0].url) → the line it is on, for check's errors
}

// CostConfig prices the executive screen's cost figures.
type CostConfig struct {
	GPUHour     map[string]float64 `yaml:"gpu_hour"`         // price per GPU-hour by model substring, e.g. {H100: 2.5}
	DefaultGPU  float64            `yaml:"default_gpu_hour"` // price of a GPU no key matches
	FixedHourly float64            `yaml:"fixed_hourly"`     // hosting, licences, ...
	Currency    string             `yaml:"currency"`
}

// ScrapeTarget is one /metrics endpoint, with its HTTP client settings.
type ScrapeTarget struct {
	URL      string     `yaml:"url"`
	Interval Duration   `yaml:"interval"`
	Timeout  Duration   `yaml:"timeout"`
	HTTP     HTTPClient `yaml:",inline"`
}

// newScrapeTarget is a target given by URL alone (--scrape, discovery).
func newScrapeTarget(u string, every time.Duration) ScrapeTarget {
	return ScrapeTarget{URL: u, Interval: Duration(every), HTTP: scrapeHTTP()}
}

// PromConfig is a Prometheus-compatible query API, with its HTTP client
// settings.
type PromConfig struct {
	URL      string     `yaml:"url"`
	Interval Duration   `yaml:"interval"`
	Timeout  Duration   `yaml:"timeout"`
	HTTP     HTTPClient `yaml:",inline"`
	// Tenant is sent as X-Scope-OrgID (Mimir, Cortex).
	Tenant string `yaml:"tenant"`
	// Panels are the user's own PromQL panels.
	Panels []promql.Panel `yaml:"panels"`
}

// LogConfig is one log source; url and loki sources take HTTP client
// settings.
type LogConfig struct {
	Path    string     `yaml:"path"`    // file or glob, tail -F
	From    LogFrom    `yaml:"from"`    // path: where a file that exists at start is read from
	Command string     `yaml:"command"` // e.g. journalctl -f -o json
	URL     string     `yaml:"url"`     // newline-delimited JSON stream
	Loki    string     `yaml:"loki"`    // Loki-compatible API base URL
	Query   string     `yaml:"query"`   // LogQL for Loki
	HTTP    HTTPClient `yaml:",inline"`
}

// LogParsing says how log lines are read: which fields are redacted
// (default prompt, completion, messages, input, output) and extraction rules.
type LogParsing struct {
	Redact []string    `yaml:"redact"`
	Rules  []logs.Rule `yaml:"rules"`
}

// TraceConfig says where traces come from.
type TraceConfig struct {
	OTLPListen string   `yaml:"otlp_listen"` // default 127.0.0.1:4318; "off" disables
	Jaeger     Endpoint `yaml:"jaeger"`      // a URL, or {url, HTTP client keys}
	Tempo      Endpoint `yaml:"tempo"`
}

// AlertsConfig is the alerts section: the rule engine's settings and the
// HTTP client settings of the Alertmanager it reads and the webhook it
// posts to.
type AlertsConfig struct {
	alerts.Config    `yaml:",inline"`
	AlertmanagerHTTP *HTTPClient `yaml:"alertmanager_http"`
	WebhookHTTP      *HTTPClient `yaml:"webhook_http"`
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

// LogFrom is where a log file that exists at start is read from: "end"
// (the default: its last 256 KiB) or "start" (the whole file).
type LogFrom string

// UnmarshalYAML accepts start or end.
func (f *LogFrom) UnmarshalYAML(n *yaml.Node) error {
	if n.Value != "start" && n.Value != "end" {
		return fmt.Errorf("line %d: from: %q: must be start or end", n.Line, n.Value)
	}
	*f = LogFrom(n.Value)
	return nil
}

// Duration is a time.Duration written as "15s", "5m" in YAML. It must be
// positive: every duration in the config is an interval, a timeout or a
// window, and none of them means anything at zero or below.
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (like 15s or 5m)", n.Line, n.Value)
	}
	if v <= 0 {
		return fmt.Errorf("line %d: %q: a duration must be positive", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// ByteSize is a size in bytes, written as 256MiB, 1GiB, 500MB or a bare
// number of bytes.
type ByteSize int64

// UnmarshalYAML reads a size.
func (b *ByteSize) UnmarshalYAML(n *yaml.Node) error {
	v, ok := parseByteSize(n.Value)
	if !ok {
		return fmt.Errorf("line %d: %q is not a size (like 256MiB or 1GiB)", n.Line, n.Value)
	}
	*b = ByteSize(v)
	return nil
}

func parseByteSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.TrimSpace(s[i:])
	}
	mult := map[string]float64{"": 1, "B": 1, "KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}[unit]
	f, err := strconv.ParseFloat(num, 64)
	if mult == 0 || err != nil || f < 0 || f*mult > 1<<50 {
		return 0, false
	}
	return int64(f * mult), true
}

// Bounds on retention and memory_budget.
const (
	minRetention = time.Minute
	maxRetention = 24 * time.Hour
	minBudget    = 16 << 20
	// DefaultMemoryBudget is the store's bound when the config sets none.
	defaultMemoryBudget = 256 << 20
)

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

// maxConfigBytes caps the config file: a real one is a few KiB, and a huge
// one (a wrong path, a log file) would cost memory while being parsed.
const maxConfigBytes = 1 << 20

// loadConfig reads the config file. A missing default file is no error; a
// missing explicit one is. Every error is one line that names the file, the
// line and the key as written.
func loadConfig(path string, explicit bool) (Config, error) {
	var c Config
	if path == "" {
		return c, nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if len(b) > maxConfigBytes {
		return c, fmt.Errorf("config %s: larger than %d KiB; is this the right file?", path, maxConfigBytes>>10)
	}
	if err := parseConfig(b, &c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// parseConfig decodes a config document into c. Unknown keys are errors, so
// a typo never silently does nothing.
func parseConfig(b []byte, c *Config) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return syntaxError(b, err)
	}
	if len(doc.Content) == 0 {
		return nil // an empty file is fine
	}
	root := doc.Content[0]
	w := keyWalk{byLine: map[int]string{}, lines: map[string]int{}}
	if err := w.check(root, reflect.TypeOf(c).Elem(), ""); err != nil {
		return err
	}
	c.lines = w.lines
	keys := w.byLine
	if err := checkActions(root); err != nil {
		return err
	}
	if err := root.Decode(c); err != nil {
		return decodeError(err, keys)
	}
	return nil
}

// checkActions reports an unknown action name under keys: with its line.
func checkActions(root *yaml.Node) error {
	if root.Kind != yaml.MappingNode {
		return nil
	}
	known := map[string]bool{}
	for _, a := range keys.Actions() {
		known[a] = true
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value != "keys" || root.Content[i+1].Kind != yaml.MappingNode {
			continue
		}
		m := root.Content[i+1]
		for j := 0; j+1 < len(m.Content); j += 2 {
			k := m.Content[j]
			if !known[k.Value] {
				fields := map[string]reflect.Type{}
				for a := range known {
					fields[a] = nil
				}
				hint := suggest(k.Value, fields)
				if hint == "" {
					hint = " (vigil config example lists them)"
				}
				return fmt.Errorf("line %d: keys: unknown action %q%s", k.Line, k.Value, hint)
			}
		}
	}
	return nil
}

// check validates what decoding cannot: URLs, one kind per log source, rules
// that compile, key bindings that do not collide. vigil runs it at start and
// `vigil config check` prints its verdict.
func (c *Config) check() error {
	if err := c.checkParts(); err != nil {
		return c.at(err)
	}
	return nil
}

// checkParts is check before the line numbers: each error starts with the
// key path it is about.
func (c *Config) checkParts() error {
	for i, t := range c.Scrape {
		if _, err := newScraper(t); err != nil {
			return fmt.Errorf("scrape[%d]: %w", i, err)
		}
	}
	if u := c.Prom.URL; u != "" {
		if err := checkURL(u); err != nil {
			return fmt.Errorf("prom.url: %w", err)
		}
		if _, err := promClientConfig(c.Prom.HTTP); err != nil {
			return fmt.Errorf("prom: %s", strings.TrimPrefix(err.Error(), "prom: "))
		}
		if _, err := c.Prom.HTTP.client("prom", u, httpconf.Options{}); err != nil {
			return fmt.Errorf("prom: %w", err)
		}
	}
	for i, l := range c.Logs {
		n := 0
		for _, v := range []string{l.Path, l.Command, l.URL, l.Loki} {
			if v != "" {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("logs[%d]: give exactly one of path, command, url or loki", i)
		}
		if l.Query != "" && l.Loki == "" {
			return fmt.Errorf("logs[%d]: query goes with loki", i)
		}
		for key, u := range map[string]string{"url": l.URL, "loki": l.Loki} {
			if u == "" {
				continue
			}
			if err := checkURL(u); err != nil {
				return fmt.Errorf("logs[%d].%s: %w", i, key, err)
			}
			if _, err := l.HTTP.client(key, u, httpconf.Options{}); err != nil {
				return fmt.Errorf("logs[%d]: %w", i, err)
			}
		}
	}
	if _, err := logs.NewParser(logs.ParseOptions{Redact: c.LogParsing.Redact, Rules: c.LogParsing.Rules}); err != nil {
		return fmt.Errorf("log_parsing: %w", err)
	}
	for key, e := range map[string]Endpoint{"traces.jaeger": c.Traces.Jaeger, "traces.tempo": c.Traces.Tempo} {
		if e.URL == "" {
			continue
		}
		if err := checkURL(e.URL); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		if _, err := e.HTTP.client(key, e.URL, httpconf.Options{}); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	for key, h := range map[string]*HTTPClient{"alerts.alertmanager_http": c.Alerts.AlertmanagerHTTP, "alerts.webhook_http": c.Alerts.WebhookHTTP} {
		if h == nil {
			continue
		}
		if _, err := h.client(key, "", httpconf.Options{}); err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
	}
	for name, svc := range c.Services {
		if svc.ErrorTarget < 0 || svc.ErrorTarget >= 1 {
			return fmt.Errorf("services.%s.error_target: %g is not a ratio in [0, 1)", name, svc.ErrorTarget)
		}
	}
	for i, f := range c.Drift {
		if f.Field == "" && f.Histogram == "" {
			return fmt.Errorf("drift[%d]: a feature needs a field or a histogram", i)
		}
		if f.Field != "" && f.Histogram != "" {
			return fmt.Errorf("drift[%d]: give a field or a histogram, not both", i)
		}
	}
	if len(c.Keys) > 0 {
		if _, err := keys.New(c.Keys); err != nil {
			return fmt.Errorf("keys: %s", strings.TrimPrefix(err.Error(), "keys: "))
		}
	}
	if _, err := c.Alerts.Compile(); err != nil {
		return fmt.Errorf("alerts: %s", strings.TrimPrefix(err.Error(), "alerts config: "))
	}
	if r := time.Duration(c.Retention); r != 0 && (r < minRetention || r > maxRetention) {
		return fmt.Errorf("retention: %s is outside [1m, 24h]", r)
	}
	if r, w := time.Duration(c.Retention), time.Duration(c.RateWindow); r != 0 && w > r {
		return fmt.Errorf("retention: %s is shorter than window (%s)", r, w)
	}
	if b := c.MemoryBudget; b != 0 && b < minBudget {
		return fmt.Errorf("memory_budget: %d bytes is under the least, 16MiB", b)
	}
	for k, v := range map[string]float64{"cost.default_gpu_hour": c.Cost.DefaultGPU, "cost.fixed_hourly": c.Cost.FixedHourly} {
		if v < 0 {
			return fmt.Errorf("%s: %g is negative", k, v)
		}
	}
	for m, v := range c.Cost.GPUHour {
		if v < 0 {
			return fmt.Errorf("cost.gpu_hour.%s: %g is negative", m, v)
		}
	}
	return nil
}

// at puts the line of the key path an error starts with in front of it:
// "scrape[0]: ..." becomes "line 3: scrape[0]: ...".
func (c *Config) at(err error) error {
	msg := err.Error()
	path, _, ok := strings.Cut(msg, ": ")
	if !ok {
		return err
	}
	for p := path; p != ""; {
		if line, ok := c.lines[p]; ok {
			return fmt.Errorf("line %d: %s", line, msg)
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return err
}

// checkURL accepts http and https URLs with a host.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s)://host[:port] URL", raw)
	}
	return nil
}

var lineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// syntaxError reports a YAML syntax error at the line where it is. yaml.v3
// names the line where the enclosing block began (an indentation slip on
// line 3 of a list that starts on line 1 is "line 1"): the first prefix of
// the document that fails with the same message ends on the right line.
func syntaxError(b []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return errors.New(msg)
	}
	what := m[2]
	lines := bytes.SplitAfter(b, []byte("\n"))
	if len(lines) <= 5000 { // a real config; past that the scan costs more than it helps
		var n yaml.Node
		prefix := make([]byte, 0, len(b))
		for i, l := range lines {
			prefix = append(prefix, l...)
			if e := yaml.Unmarshal(prefix, &n); e != nil {
				if pm := lineRE.FindStringSubmatch(strings.TrimPrefix(e.Error(), "yaml: ")); pm != nil && pm[2] == what {
					return fmt.Errorf("line %d: %s", i+1, what)
				}
			}
		}
	}
	return fmt.Errorf("line %s: %s", m[1], what)
}

// keyWalk walks a YAML node against the Go type it decodes into.
type keyWalk struct {
	byLine map[int]string // line → the innermost key path written there, for the decoder's errors
	lines  map[string]int // key path → its line, for check's errors
}

func (w *keyWalk) saw(line int, path string) {
	w.byLine[line] = path
	if _, ok := w.lines[path]; !ok {
		w.lines[path] = line
	}
}

// check reports the first mapping key the type does not have, with its
// line and path, and notes where every key is.
func (w *keyWalk) check(n *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return nil // a scalar form the type reads itself, or a type error the decoder reports
		}
		fields, anyKey := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok && anyKey != nil {
				ft, ok = anyKey, true
			}
			if !ok {
				return fmt.Errorf("line %d: unknown key %q%s%s", k.Line, k.Value, inSection(path), suggest(k.Value, fields))
			}
			w.saw(k.Line, p)
			w.saw(v.Line, p)
			if err := w.check(v, ft, p); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := joinPath(path, k.Value)
			w.saw(k.Line, p)
			w.saw(v.Line, p)
			if err := w.check(v, t.Elem(), p); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			return nil
		}
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			w.saw(v.Line, p)
			if err := w.check(v, t.Elem(), p); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps the YAML keys of a struct (inline structs flattened) to
// their types. anyKey is the value type of an inline map (any key is
// allowed then), else nil.
func yamlFields(t reflect.Type) (fields map[string]reflect.Type, anyKey reflect.Type) {
	fields = map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				sub, any := yamlFields(ft)
				for k, v := range sub {
					fields[k] = v
				}
				if any != nil {
					anyKey = any
				}
			case reflect.Map:
				anyKey = ft.Elem()
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields, anyKey
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func inSection(path string) string {
	if path == "" {
		return ""
	}
	return " in " + path
}

// suggest names the known key closest to a misspelt one.
func suggest(key string, fields map[string]reflect.Type) string {
	best, bestD := "", 3
	for k := range fields {
		if d := editDistance(key, k); d < bestD || d == bestD && best != "" && k < best {
			best, bestD = k, d
		}
	}
	if best == "" {
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		if len(names) > 12 {
			return ""
		}
		return " (known: " + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

var goTypeWords = strings.NewReplacer(
	"into float64", "into a number", "into int64", "into a whole number", "into int", "into a whole number",
	"into uint32", "into a whole number", "into bool", "into true or false", "into string", "into a string",
	"into time.Duration", "into a duration",
)

// decodeError turns the decoder's first error into one line that names the
// key as written: yaml.v3 says "line 5: cannot unmarshal !!str `abc` into
// float64", or names Go types.
func decodeError(err error, keys map[int]string) error {
	msg := err.Error()
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	msg = strings.TrimPrefix(msg, "yaml: ")
	m := lineRE.FindStringSubmatch(msg)
	if m == nil {
		return errors.New(oneLineText(msg))
	}
	line, _ := strconv.Atoi(m[1])
	what := m[2]
	if i := strings.Index(what, " into "); i >= 0 && strings.HasPrefix(what, "cannot unmarshal ") {
		// "cannot unmarshal !!str `abc` into float64" → "`abc` is not a number"
		val := strings.TrimPrefix(what[:i], "cannot unmarshal ")
		if _, v, ok := strings.Cut(val, " "); ok {
			val = v
		} else {
			val = map[string]string{"!!seq": "a list", "!!map": "a mapping"}[val]
			if val == "" {
				val = "this value"
			}
		}
		into := goTypeWords.Replace(what[i:])
		if strings.Contains(into, "main.") || strings.Contains(into, "[]") || strings.Contains(into, "map[") || strings.Contains(into, ".") {
			into = " here"
		}
		what = fmt.Sprintf("cannot read %s%s", val, into)
	}
	if k, ok := keys[line]; ok {
		return fmt.Errorf("line %d: %s: %s", line, k, what)
	}
	return fmt.Errorf("line %d: %s", line, what)
}

func oneLineText(s string) string { return strings.Join(strings.Fields(s), " ") }
