package prom

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// DefaultMaxBodyBytes caps a scrape's body after decompression: 16 MiB.
const DefaultMaxBodyBytes = 16 << 20

// DefaultInterval is how often a target is scraped when the config says nothing.
const DefaultInterval = 5 * time.Second

// Accept headers. Text 0.0.4 is asked for by default; OpenMetrics (which
// carries exemplars) when ScrapeConfig.OpenMetrics is set.
const (
	acceptText        = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
	acceptOpenMetrics = "application/openmetrics-text;version=1.0.0;q=1,application/openmetrics-text;version=0.0.1;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)

// ScrapeConfig is one /metrics target. The yaml tags are the proposed
// config keys (a list under scrape:); durations read as "5s".
type ScrapeConfig struct {
	URL          string            `yaml:"url"`            // http(s)://host:port/metrics (path defaults to /metrics)
	Name         string            `yaml:"name"`           // the source's name; default "scrape host:port"
	Interval     time.Duration     `yaml:"interval"`       // default DefaultInterval
	Timeout      time.Duration     `yaml:"timeout"`        // per scrape; default the interval, at most 10 s
	Headers      map[string]string `yaml:"headers"`        // sent with every scrape; never shown or recorded
	MaxBodyBytes int64             `yaml:"max_body_bytes"` // default DefaultMaxBodyBytes (16 MiB)
	OpenMetrics  bool              `yaml:"openmetrics"`    // ask for OpenMetrics first, for exemplars
	Host         string            `yaml:"host"`           // host label when the data names none; default the URL's host:port
	Service      string            `yaml:"service"`        // service name when the data names none; default the URL's host:port

	CAFile             string `yaml:"ca_file"`              // PEM bundle to verify the server with, instead of the system roots
	CertFile           string `yaml:"cert_file"`            // client certificate for mutual TLS
	KeyFile            string `yaml:"key_file"`             // its key
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"` // do not verify the server's certificate
	BearerTokenFile    string `yaml:"bearer_token_file"`    // "Authorization: Bearer <token>" from this file, read at every scrape
	BearerTokenEnv     string `yaml:"bearer_token_env"`     // ... or from this environment variable

	// Client, when set, is the HTTP client (built by package httpconf from
	// Prometheus' HTTP client settings); the TLS and credential fields
	// above are then unused.
	Client *http.Client `yaml:"-"`
}

// Scraper polls one /metrics endpoint. It implements sources.Poller.
type Scraper struct {
	cfg    ScrapeConfig
	name   string
	path   string // the URL's path (and "?…" for a query), for UniqueNames; "" when named by the config
	target string // the URL without credentials or query, for health
	client *http.Client
	err    error // a configuration error, reported at every poll

	poll   sync.Mutex        // serialises polls of this target; guards intern and buf
	intern map[string]string // label strings kept between scrapes
	buf    bytes.Buffer      // the body, reused
	exPrev map[exKey]bool    // the exemplars the last scrape showed
	exCur  map[exKey]bool

	mu   sync.Mutex
	last Stats
}

// NewScraper returns a scraper of cfg.URL. Configuration errors (bad URL,
// unreadable CA file) surface as the source's error at each poll rather
// than here, so that one bad target never stops the others.
func NewScraper(cfg ScrapeConfig) *Scraper {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = min(cfg.Interval, 10*time.Second)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Scraper{cfg: cfg}
	u, err := url.Parse(cfg.URL)
	switch {
	case err != nil:
		s.err = errors.New("invalid URL")
		s.target = "(invalid URL)"
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		s.err = fmt.Errorf("unsupported URL %q: want http(s)://host:port/path", redact(u))
		s.target = redact(u)
	default:
		s.target = redact(u)
		if u.Path == "" {
			u.Path = "/metrics"
			s.cfg.URL = u.String()
			s.target = redact(u)
		}
	}
	s.name = cfg.Name
	if s.name == "" {
		host := "?"
		if u != nil && u.Host != "" {
			host = u.Host
			s.path = u.EscapedPath()
			if u.RawQuery != "" {
				s.path += "?…" // a query may hold a token: never shown
			}
		}
		s.name = "scrape " + sources.Sanitize(host)
	}
	tr := &http.Transport{
		Proxy:                 nil, // loopback and in-cluster targets: never through a proxy
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ResponseHeaderTimeout: 0, // the context's deadline bounds it
		ForceAttemptHTTP2:     true,
	}
	if cfg.Client != nil {
		s.client = cfg.Client
		return s
	}
	if s.err == nil {
		tc, err := tlsConfig(cfg)
		if err != nil {
			s.err = err
		}
		tr.TLSClientConfig = tc
	}
	s.client = &http.Client{
		Transport: tr,
		// Redirects to another host would carry our headers along: refuse them.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 || req.URL.Host != via[0].URL.Host {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	return s
}

func tlsConfig(cfg ScrapeConfig) (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: cfg.InsecureSkipVerify} //nolint:gosec // the user asked for it
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("CA file %s holds no PEM certificate", cfg.CAFile)
		}
		tc.RootCAs = pool
	}
	if cfg.CertFile != "" || cfg.KeyFile != "" {
		c, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{c}
	}
	return tc, nil
}

// redact is the URL as shown: no user info, no query (tokens hide there).
func redact(u *url.URL) string {
	v := *u
	v.User = nil
	if v.RawQuery != "" {
		v.RawQuery = "…"
	}
	v.Fragment = ""
	return sources.Sanitize(v.String())
}

// Name implements sources.Source.
func (s *Scraper) Name() string { return s.name }

// UniqueNames renames, before they are polled, the scrapers whose default
// names ("scrape host:port") would be equal, so that every target is named
// and its health kept on its own: where several targets share a host:port
// their names add the path ("scrape host:port/metrics", "scrape
// host:port/other"); where even those are equal (the same path with
// another query, or the same URL twice) the later ones are numbered ("…
// #2"). A name the config gave is kept, and a default name equal to one is
// numbered.
func UniqueNames(ss []*Scraper) {
	count := map[string]int{}
	for _, s := range ss {
		count[s.name]++
	}
	taken := map[string]bool{}
	for _, s := range ss {
		if s.cfg.Name != "" {
			taken[s.name] = true
		}
	}
	for _, s := range ss {
		if s.cfg.Name == "" && (count[s.name] > 1 || taken[s.name]) {
			s.name += sources.Sanitize(s.path)
		}
	}
	for _, s := range ss {
		if s.cfg.Name != "" {
			continue
		}
		base := s.name
		for k := 2; taken[s.name]; k++ {
			s.name = base + " #" + strconv.Itoa(k)
		}
		taken[s.name] = true
	}
}

// Interval implements sources.Poller.
func (s *Scraper) Interval() time.Duration { return s.cfg.Interval }

// Timeout is the per-scrape limit; the hub reads it.
func (s *Scraper) Timeout() time.Duration { return s.cfg.Timeout }

// Target is the scraped URL as shown (no credentials, no query).
func (s *Scraper) Target() string { return s.target }

// LastStats returns the statistics of the last successful parse.
func (s *Scraper) LastStats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

// Poll scrapes once and returns the canonical signals, stamped now. The
// frame always carries the target's health; a failed scrape returns an error
// that names the cause in one line without echoing credentials.
func (s *Scraper) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	start := time.Now()
	h := &sources.Health{Source: s.name, Kind: "scrape", Target: s.target, Interval: s.cfg.Interval}
	f := sources.Frame{Source: s.name, At: now, Health: h}
	if s.err != nil {
		return f, s.err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	s.poll.Lock()
	defer s.poll.Unlock()
	body, ct, err := s.fetch(ctx)
	h.Duration = time.Since(start)
	h.Bytes = len(body)
	if err != nil {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return f, fmt.Errorf("timed out after %s", s.cfg.Timeout)
		}
		return f, err
	}
	if s.intern == nil {
		s.intern = map[string]string{}
	}
	pf, st, perr := parse(body, ct, Target{URL: s.cfg.URL, Host: s.cfg.Host, Service: s.cfg.Service}, now, s.intern)
	pf.Source, pf.Health = s.name, h
	pf.Exemplars = s.newExemplars(pf.Exemplars)
	h.Series = st.Series
	h.Detail = strings.Join(st.Stacks, ",")
	h.Duration = time.Since(start)
	if perr != nil {
		return pf, perr
	}
	switch {
	case st.Series == 0:
		h.Detail = "empty"
	case len(st.Stacks) == 0:
		h.Detail = "no known stack"
	}
	s.mu.Lock()
	s.last = st
	s.mu.Unlock()
	return pf, nil
}

// exKey is an exemplar as scrapes see it. Its time is left out: an
// exemplar without a timestamp of its own is stamped with each scrape's.
type exKey struct {
	series, trace, span string
	value               float64
}

// newExemplars keeps the exemplars that the last scrape did not show. An
// exporter shows each bucket's latest exemplar on every scrape until a
// newer observation replaces it; a repeat is the same observation, and the
// store would hold it once per scrape.
func (s *Scraper) newExemplars(ex []sources.Exemplar) []sources.Exemplar {
	if s.exCur == nil {
		s.exPrev, s.exCur = map[exKey]bool{}, map[exKey]bool{}
	}
	out := ex[:0]
	for _, e := range ex {
		k := exKey{e.Series.Key(), e.TraceID, e.SpanID, e.Value}
		if e.TraceID == "" && e.SpanID == "" {
			var b strings.Builder
			for _, l := range e.Labels {
				b.WriteString(l.Name)
				b.WriteByte(0)
				b.WriteString(l.Value)
				b.WriteByte(0)
			}
			k.trace = b.String()
		}
		s.exCur[k] = true
		if !s.exPrev[k] {
			out = append(out, e)
		}
	}
	s.exPrev, s.exCur = s.exCur, s.exPrev
	clear(s.exCur)
	if len(out) == 0 {
		return nil
	}
	return out
}

// fetch GETs the body, decompressed and capped.
func (s *Scraper) fetch(ctx context.Context) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return nil, "", errors.New("invalid URL")
	}
	accept := acceptText
	if s.cfg.OpenMetrics {
		accept = acceptOpenMetrics
	}
	req.Header.Set("Accept", accept)
	req.Header.Set("User-Agent", "vigil")
	req.Header.Set("X-Prometheus-Scrape-Timeout-Seconds", fmt.Sprintf("%g", s.cfg.Timeout.Seconds()))
	for k, v := range s.cfg.Headers {
		req.Header.Set(k, v)
	}
	if s.cfg.BearerTokenEnv != "" {
		tok := strings.TrimSpace(os.Getenv(s.cfg.BearerTokenEnv))
		if tok == "" {
			return nil, "", fmt.Errorf("bearer token: environment variable %s is empty", s.cfg.BearerTokenEnv)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if s.cfg.BearerTokenFile != "" {
		tok, err := os.ReadFile(s.cfg.BearerTokenFile)
		if err != nil {
			return nil, "", fmt.Errorf("read bearer token file: %w", unwrapPath(err))
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", describe(err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, "", fmt.Errorf("authentication failed (HTTP %d)", resp.StatusCode)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return nil, "", fmt.Errorf("HTTP %s", sources.OneLine(sources.Sanitize(resp.Status)))
	}
	limit := s.cfg.MaxBodyBytes
	s.buf.Reset()
	if s.buf.Cap() > 4<<20 {
		s.buf = bytes.Buffer{} // do not keep a huge buffer for good
	}
	_, err = s.buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	body := s.buf.Bytes()
	if int64(len(body)) > limit {
		return body[:limit], "", fmt.Errorf("body larger than the %s limit", sizeString(limit))
	}
	if err != nil {
		return body, "", fmt.Errorf("read body: %w (truncated after %d bytes)", describe(err), len(body))
	}
	return body, resp.Header.Get("Content-Type"), nil
}

// describe turns a transport error into one line that names the cause and
// never the request's headers.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ce *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("timed out")
	case errors.Is(err, context.Canceled):
		return errors.New("canceled")
	case errors.As(err, &ce), errors.As(err, &ua), errors.As(err, &hn), errors.As(err, &ci):
		return fmt.Errorf("TLS certificate rejected: %w", err)
	case errors.As(err, &rh) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return errors.New("TLS handshake failed: the server speaks plain HTTP (try http://)")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("connection closed early (body truncated)")
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Op == "dial" {
		return fmt.Errorf("cannot connect: %w", oe.Err)
	}
	if strings.Contains(err.Error(), "tls:") {
		return fmt.Errorf("TLS handshake failed: %w", err)
	}
	return err
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func sizeString(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
