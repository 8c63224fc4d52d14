// Package promql reads a Prometheus-compatible server through its HTTP API
// (query mode, --prom URL): instant and range queries, series and label
// discovery, the server's alerts and rules, and exemplars. Its Source runs
// built-in PromQL for every stack preset of package prom on every interval,
// translates what comes back into vigil's canonical signals through the very
// same preset tables scrape mode uses (so a figure reads the same whichever
// way it arrived), and evaluates the user's own PromQL panels.
//
// Credentials (bearer token, basic-auth password) are read from a file or an
// environment variable on every request; they never appear in errors, health
// reports, names or recordings.
package promql

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Defaults of Config.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultRetries  = 2
	DefaultInterval = 15 * time.Second
	DefaultTopK     = 20
	// MaxBodyBytes caps one API response (64 MiB).
	MaxBodyBytes = 64 << 20
)

// ErrAuth is returned (wrapped) when the server answers 401 or 403.
var ErrAuth = errors.New("authentication failed")

// Config says where the server is and how to talk to it.
type Config struct {
	URL               string        // base URL, e.g. http://prom:9090 (a path prefix is kept)
	BearerTokenFile   string        // file holding a bearer token
	BearerTokenEnv    string        // environment variable holding a bearer token
	BasicUser         string        // basic-auth user
	BasicPasswordFile string        // file holding the basic-auth password
	BasicPasswordEnv  string        // environment variable holding the basic-auth password
	CAFile            string        // PEM CA bundle to verify the server with
	CertFile, KeyFile string        // PEM client certificate and key (mutual TLS)
	InsecureSkipTLS   bool          // do not verify the server's certificate
	Timeout           time.Duration // per request, each try; default 10 s
	Retries           int           // extra tries on network errors and 5xx/429; default 2, <0 none
	Backoff           time.Duration // first retry delay, doubled each time; default 200 ms
	Interval          time.Duration // Source poll interval; default 15 s
	Panels            []Panel       // the user's PromQL panels
	TopK              int           // series kept per panel, the largest values; default 20
	Stacks            []string      // presets queried (prom.Stacks() names); nil means all
	Exemplars         bool          // also fetch the latency histograms' exemplars every poll (needs Prometheus' exemplar storage)
	Name              string        // the source's name; default "prom <host>"
}

// Client speaks the Prometheus HTTP API. It is safe for concurrent use.
type Client struct {
	cfg    Config
	base   *url.URL
	http   *http.Client
	target string // the URL without credentials, for messages
	sleep  func(ctx context.Context, d time.Duration) error
}

// NewClient checks the configuration and builds the HTTP client (TLS
// material is loaded here; credentials are read per request).
func NewClient(cfg Config) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 200 * time.Millisecond
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.TopK <= 0 {
		cfg.TopK = DefaultTopK
	}
	u, err := url.Parse(strings.TrimSpace(cfg.URL))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("promql: bad server URL %q: want http(s)://host:port", redactRaw(cfg.URL))
	}
	if u.User != nil {
		if cfg.BasicUser == "" {
			cfg.BasicUser = u.User.Username()
		}
		u.User = nil // a password in the URL is never used nor shown
	}
	u.Path = strings.TrimRight(u.Path, "/")
	tc, err := tlsConfig(cfg)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DialContext:         (&net.Dialer{Timeout: cfg.Timeout}).DialContext,
		TLSClientConfig:     tc,
		TLSHandshakeTimeout: cfg.Timeout,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     90 * time.Second,
	}
	c := &Client{cfg: cfg, base: u, http: &http.Client{Transport: tr}, target: u.String(), sleep: sleepCtx}
	return c, nil
}

func tlsConfig(cfg Config) (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: cfg.InsecureSkipTLS} //nolint:gosec // the user asked for it
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("promql: read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("promql: CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("promql: load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// Target is the server's URL, without credentials.
func (c *Client) Target() string { return c.target }

func redactRaw(s string) string {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		u.User = nil
		return sources.Sanitize(u.String())
	}
	return sources.Sanitize(s)
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// secret reads a credential from a file (first line, trimmed) or an
// environment variable. The value is never put into an error.
func secret(file, env, what string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("read %s file %s: %w", what, file, err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	if env != "" {
		v, ok := os.LookupEnv(env)
		if !ok {
			return "", fmt.Errorf("%s environment variable %s is not set", what, env)
		}
		return strings.TrimSpace(v), nil
	}
	return "", nil
}

func (c *Client) authorize(req *http.Request) error {
	tok, err := secret(c.cfg.BearerTokenFile, c.cfg.BearerTokenEnv, "bearer token")
	if err != nil {
		return err
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
		return nil
	}
	if c.cfg.BasicUser != "" {
		pw, err := secret(c.cfg.BasicPasswordFile, c.cfg.BasicPasswordEnv, "password")
		if err != nil {
			return err
		}
		req.SetBasicAuth(c.cfg.BasicUser, pw)
	}
	return nil
}

// apiError is a Prometheus API error body: status "error".
type apiError struct {
	Type string
	Msg  string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Msg }

// retryable reports whether another try may succeed.
type retryable struct{ err error }

func (r retryable) Error() string { return r.err.Error() }
func (r retryable) Unwrap() error { return r.err }

// Get fetches path (relative to the base URL, e.g. "/api/v1/query") with the
// query parameters and decodes the API envelope's data into out. Network
// errors, 429 and 5xx are retried with exponential backoff.
func (c *Client) Get(ctx context.Context, path string, params url.Values, out any) error {
	return c.do(ctx, http.MethodGet, path, params, out)
}

func (c *Client) do(ctx context.Context, method, path string, params url.Values, out any) error {
	var err error
	delay := c.cfg.Backoff
	for try := 0; ; try++ {
		err = c.once(ctx, method, path, params, out)
		var r retryable
		if err == nil || !errors.As(err, &r) || try >= c.cfg.Retries || ctx.Err() != nil {
			break
		}
		if c.sleep(ctx, delay) != nil {
			break
		}
		delay *= 2
	}
	var r retryable
	if errors.As(err, &r) {
		err = r.err
	}
	if err != nil {
		return fmt.Errorf("promql: %s %s: %w", c.target, path, err)
	}
	return nil
}

func (c *Client) once(ctx context.Context, method, path string, params url.Values, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	u := *c.base
	u.Path = c.base.Path + path
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else {
		u.RawQuery = params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	if err := c.authorize(req); err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return retryable{describe(err, c.cfg.Timeout)}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("%w (HTTP %d)", ErrAuth, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBodyBytes+1))
	if err != nil {
		return retryable{fmt.Errorf("read body: %w", describe(err, c.cfg.Timeout))}
	}
	if len(b) > MaxBodyBytes {
		return fmt.Errorf("response larger than %d MiB", MaxBodyBytes>>20)
	}
	env := struct {
		Status    string `json:"status"`
		Data      any    `json:"data"`
		ErrorType string `json:"errorType"`
		Error     string `json:"error"`
	}{Data: out}
	if out == nil {
		env.Data = &json.RawMessage{}
	}
	// One pass: the data decodes straight into out.
	jerr := json.Unmarshal(b, &env)
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		msg := fmt.Sprintf("HTTP %d", resp.StatusCode)
		if env.Error != "" {
			msg += ": " + sources.OneLine(env.Error)
		}
		return retryable{errors.New(msg)}
	}
	if env.Status != "" && env.Status != "success" {
		return &apiError{Type: sources.OneLine(env.ErrorType), Msg: sources.OneLine(env.Error)}
	}
	if jerr != nil {
		return fmt.Errorf("HTTP %d: not a Prometheus API answer: %w", resp.StatusCode, jerr)
	}
	if env.Status != "success" {
		return fmt.Errorf("HTTP %d: not a Prometheus API answer (no status)", resp.StatusCode)
	}
	return nil
}

// describe makes network errors readable and drops URLs (which could carry
// query text) from them.
func describe(err error, timeout time.Duration) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("no answer within %s", timeout)
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return fmt.Errorf("TLS: %w", ce.Err)
	}
	return err
}

// Sample is one value of a vector or matrix.
type Sample struct {
	At    time.Time
	Value float64
}

// Result is one series of a query result: its labels (the metric name under
// "__name__") and its samples (one for an instant query).
type Result struct {
	Labels  map[string]string
	Samples []Sample
}

// Name is the result's metric name, or "".
func (r Result) Name() string { return r.Labels["__name__"] }

// UnmarshalJSON reads a Prometheus sample pair [unix_seconds, "value"]
// without the reflection of the general decoder (fleets return many).
func (smp *Sample) UnmarshalJSON(b []byte) error {
	b = trimSpace(b)
	if len(b) < 2 || b[0] != '[' || b[len(b)-1] != ']' {
		return fmt.Errorf("bad sample %.40q", b)
	}
	in := b[1 : len(b)-1]
	comma := -1
	for i, c := range in {
		if c == ',' {
			comma = i
			break
		}
	}
	if comma < 0 {
		return fmt.Errorf("bad sample %.40q", b)
	}
	tb := trimSpace(in[:comma])
	for i, c := range tb {
		if !(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' && i > 0 || c == '-') {
			return fmt.Errorf("bad timestamp %.40q", tb)
		}
	}
	ts, err := strconv.ParseFloat(string(tb), 64)
	if err != nil {
		return fmt.Errorf("bad timestamp: %w", err)
	}
	vs := trimSpace(in[comma+1:])
	if len(vs) < 2 || vs[0] != '"' || vs[len(vs)-1] != '"' {
		return fmt.Errorf("bad value %.40q", vs)
	}
	raw := string(vs[1 : len(vs)-1])
	if strings.IndexByte(raw, '\\') >= 0 {
		if raw, err = strconv.Unquote(string(vs)); err != nil {
			return fmt.Errorf("bad value: %w", err)
		}
	}
	v, err := strconv.ParseFloat(raw, 64)
	if err != nil {
		return fmt.Errorf("bad value %q: %w", sources.OneLine(raw), err)
	}
	sec, frac := math.Modf(ts)
	*smp = Sample{At: time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6), Value: v}
	return nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// resultItem is one series of a vector (value) or matrix (values).
type resultItem struct {
	Metric map[string]string `json:"metric"`
	Value  *Sample           `json:"value"`
	Values []Sample          `json:"values"`
}

// resultList is a query result: a list of series, or a scalar's pair.
type resultList struct {
	items  []resultItem
	scalar *Sample
}

func (r *resultList) UnmarshalJSON(b []byte) error {
	t := trimSpace(b)
	if len(t) > 1 && t[0] == '[' {
		inner := trimSpace(t[1:])
		if len(inner) > 0 && inner[0] != '{' && inner[0] != ']' {
			var smp Sample
			if err := smp.UnmarshalJSON(t); err != nil {
				return err
			}
			r.scalar = &smp
			return nil
		}
	}
	if items, ok := fastItems(t); ok {
		r.items = items
		return nil
	}
	return json.Unmarshal(b, &r.items)
}

// fastItems reads a vector or matrix result list by hand: the shape
// Prometheus writes, [{"metric":{...},"value":[t,"v"]}, ...]. Anything it
// does not expect makes it give up (false) so that encoding/json decides.
func fastItems(b []byte) ([]resultItem, bool) {
	p := &scan{b: b}
	if !p.eat('[') {
		return nil, false
	}
	var out []resultItem
	if p.eat(']') {
		return out, p.end()
	}
	for {
		it, ok := p.item()
		if !ok {
			return nil, false
		}
		out = append(out, it)
		if p.eat(',') {
			continue
		}
		if p.eat(']') {
			return out, p.end()
		}
		return nil, false
	}
}

type scan struct {
	b []byte
	i int
}

func (p *scan) ws() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\n' || p.b[p.i] == '\t' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *scan) eat(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *scan) end() bool { p.ws(); return p.i == len(p.b) }

func (p *scan) str() (string, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	start := p.i
	esc := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c < 0x20:
			return "", false // JSON forbids raw control bytes in strings
		case c >= 0x80:
			esc = true // let encoding/json handle (and replace) non-ASCII
		case c == '\\':
			esc = true
			j++
		case c == '"':
			p.i = j + 1
			if !esc {
				return string(p.b[start+1 : j]), true
			}
			var v string
			if err := json.Unmarshal(p.b[start:j+1], &v); err != nil {
				return "", false
			}
			return v, true
		}
	}
	return "", false
}

// pair returns the bytes of one [t, "v"] array.
func (p *scan) pair() ([]byte, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '[' {
		return nil, false
	}
	start := p.i
	inStr := false
	for j := p.i + 1; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case inStr && c == '\\':
			j++
		case c == '"':
			inStr = !inStr
		case !inStr && c == ']':
			p.i = j + 1
			return p.b[start : j+1], true
		case !inStr && (c == '[' || c == '{'):
			return nil, false
		}
	}
	return nil, false
}

func (p *scan) item() (resultItem, bool) {
	var it resultItem
	if !p.eat('{') {
		return it, false
	}
	if p.eat('}') {
		return it, true
	}
	for {
		k, ok := p.str()
		if !ok || !p.eat(':') {
			return it, false
		}
		switch k {
		case "metric":
			if !p.eat('{') {
				return it, false
			}
			it.Metric = map[string]string{}
			if !p.eat('}') {
				for {
					lk, ok1 := p.str()
					if !ok1 || !p.eat(':') {
						return it, false
					}
					lv, ok2 := p.str()
					if !ok2 {
						return it, false
					}
					it.Metric[lk] = lv
					if p.eat(',') {
						continue
					}
					if p.eat('}') {
						break
					}
					return it, false
				}
			}
		case "value":
			pb, ok := p.pair()
			if !ok {
				return it, false
			}
			var smp Sample
			if smp.UnmarshalJSON(pb) != nil {
				return it, false
			}
			it.Value = &smp
		case "values":
			if !p.eat('[') {
				return it, false
			}
			if !p.eat(']') {
				for {
					pb, ok := p.pair()
					if !ok {
						return it, false
					}
					var smp Sample
					if smp.UnmarshalJSON(pb) != nil {
						return it, false
					}
					it.Values = append(it.Values, smp)
					if p.eat(',') {
						continue
					}
					if p.eat(']') {
						break
					}
					return it, false
				}
			}
		default:
			return it, false // histograms (native) and the unknown: encoding/json decides
		}
		if p.eat(',') {
			continue
		}
		if p.eat('}') {
			return it, true
		}
		return it, false
	}
}

type queryData struct {
	ResultType string     `json:"resultType"`
	Result     resultList `json:"result"`
}

func (d queryData) results() ([]Result, error) {
	switch d.ResultType {
	case "vector", "matrix":
		out := make([]Result, 0, len(d.Result.items))
		for _, it := range d.Result.items {
			r := Result{Labels: it.Metric}
			if it.Value != nil {
				r.Samples = []Sample{*it.Value}
			} else {
				r.Samples = it.Values
			}
			out = append(out, r)
		}
		return out, nil
	case "scalar":
		if d.Result.scalar == nil {
			return nil, errors.New("decode scalar: no value")
		}
		return []Result{{Labels: map[string]string{}, Samples: []Sample{*d.Result.scalar}}}, nil
	}
	return nil, fmt.Errorf("unsupported result type %q", sources.OneLine(d.ResultType))
}

func unixParam(t time.Time) string {
	return strconv.FormatFloat(float64(t.UnixNano())/1e9, 'f', 3, 64)
}

// Query runs an instant query at instant at (zero: the server's now).
func (c *Client) Query(ctx context.Context, expr string, at time.Time) ([]Result, error) {
	p := url.Values{"query": {expr}}
	if !at.IsZero() {
		p.Set("time", unixParam(at))
	}
	var d queryData
	if err := c.do(ctx, http.MethodPost, "/api/v1/query", p, &d); err != nil {
		return nil, err
	}
	return d.results()
}

// QueryRange runs a range query over [start, end] every step.
func (c *Client) QueryRange(ctx context.Context, expr string, start, end time.Time, step time.Duration) ([]Result, error) {
	if step <= 0 {
		return nil, errors.New("promql: range query needs a positive step")
	}
	p := url.Values{"query": {expr}, "start": {unixParam(start)}, "end": {unixParam(end)},
		"step": {strconv.FormatFloat(step.Seconds(), 'f', -1, 64)}}
	var d queryData
	if err := c.do(ctx, http.MethodPost, "/api/v1/query_range", p, &d); err != nil {
		return nil, err
	}
	return d.results()
}

// Series lists the label sets of the series matching any of the selectors
// in [start, end] (zero times: the server's default range).
func (c *Client) Series(ctx context.Context, match []string, start, end time.Time) ([]map[string]string, error) {
	p := url.Values{"match[]": match}
	if !start.IsZero() {
		p.Set("start", unixParam(start))
	}
	if !end.IsZero() {
		p.Set("end", unixParam(end))
	}
	var out []map[string]string
	if err := c.do(ctx, http.MethodPost, "/api/v1/series", p, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Labels lists label names, optionally restricted to series matching match.
func (c *Client) Labels(ctx context.Context, match ...string) ([]string, error) {
	p := url.Values{}
	if len(match) > 0 {
		p["match[]"] = match
	}
	var out []string
	if err := c.do(ctx, http.MethodPost, "/api/v1/labels", p, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// LabelValues lists the values of one label (e.g. "__name__" for metric names).
func (c *Client) LabelValues(ctx context.Context, name string, match ...string) ([]string, error) {
	p := url.Values{}
	if len(match) > 0 {
		p["match[]"] = match
	}
	var out []string
	if err := c.do(ctx, http.MethodGet, "/api/v1/label/"+url.PathEscape(name)+"/values", p, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// Alert is one alert as Prometheus (/api/v1/alerts) reports it.
type Alert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"` // pending, firing
	ActiveAt    time.Time         `json:"activeAt"`
	Value       string            `json:"value"`
}

// Alerts returns the server's active alerts.
func (c *Client) Alerts(ctx context.Context) ([]Alert, error) {
	var d struct {
		Alerts []Alert `json:"alerts"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/alerts", nil, &d); err != nil {
		return nil, err
	}
	return d.Alerts, nil
}

// Rule is one recording or alerting rule (/api/v1/rules).
type Rule struct {
	Name        string            `json:"name"`
	Query       string            `json:"query"`
	Type        string            `json:"type"` // alerting, recording
	Duration    float64           `json:"duration"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	State       string            `json:"state"`
	Health      string            `json:"health"`
	LastError   string            `json:"lastError"`
	Alerts      []Alert           `json:"alerts"`
}

// RuleGroup is a group of rules from one file.
type RuleGroup struct {
	Name     string  `json:"name"`
	File     string  `json:"file"`
	Interval float64 `json:"interval"`
	Rules    []Rule  `json:"rules"`
}

// Rules returns the server's rule groups.
func (c *Client) Rules(ctx context.Context) ([]RuleGroup, error) {
	var d struct {
		Groups []RuleGroup `json:"groups"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/v1/rules", nil, &d); err != nil {
		return nil, err
	}
	return d.Groups, nil
}

// QueryExemplars returns the exemplars of the series selected by expr in
// [start, end] as vigil exemplars (trace_id / traceID and span_id / spanID
// labels recognised).
func (c *Client) QueryExemplars(ctx context.Context, expr string, start, end time.Time) ([]sources.Exemplar, error) {
	p := url.Values{"query": {expr}, "start": {unixParam(start)}, "end": {unixParam(end)}}
	var d []struct {
		SeriesLabels map[string]string `json:"seriesLabels"`
		Exemplars    []struct {
			Labels    map[string]string `json:"labels"`
			Value     string            `json:"value"`
			Timestamp float64           `json:"timestamp"`
		} `json:"exemplars"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/query_exemplars", p, &d); err != nil {
		return nil, err
	}
	var out []sources.Exemplar
	for _, s := range d {
		name := s.SeriesLabels["__name__"]
		name = strings.TrimSuffix(name, "_bucket")
		kv := make([]sources.Label, 0, len(s.SeriesLabels))
		for k, v := range s.SeriesLabels {
			if k == "__name__" || k == "le" {
				continue
			}
			kv = append(kv, sources.Label{Name: sources.Sanitize(k), Value: sources.Sanitize(v)})
		}
		ser := sources.SeriesOf(sources.Sanitize(name), sources.Gauge, kv)
		for _, e := range s.Exemplars {
			v, err := strconv.ParseFloat(e.Value, 64)
			if err != nil {
				continue
			}
			ex := sources.Exemplar{Series: ser, Value: v,
				At: time.Unix(0, int64(e.Timestamp*1e9)).Round(time.Millisecond)}
			for k, lv := range e.Labels {
				switch k {
				case "trace_id", "traceID", "traceId":
					ex.TraceID = sources.Sanitize(lv)
				case "span_id", "spanID", "spanId":
					ex.SpanID = sources.Sanitize(lv)
				default:
					ex.Labels = append(ex.Labels, sources.Label{Name: sources.Sanitize(k), Value: sources.Sanitize(lv)})
				}
			}
			sort.Slice(ex.Labels, func(i, j int) bool { return ex.Labels[i].Name < ex.Labels[j].Name })
			out = append(out, ex)
		}
	}
	return out, nil
}
