// Package httpconf is the one place vigil builds HTTP clients: scrape
// targets, the query API, Loki, Jaeger, Tempo, Alertmanager and webhooks all
// take a Config, written in the YAML Prometheus users already know
// (authorization, basic_auth, oauth2, tls_config, proxy_url,
// follow_redirects, http_headers), and get their client from New.
//
// Two things differ from Prometheus' own clients: TLS 1.2 is the least
// version unless tls_config says otherwise, and redirects (when followed)
// stay on the host that was asked, so that credentials and headers, which
// the client adds to every request, never go to another host.
package httpconf

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/common/config"
)

// Config is Prometheus' HTTP client configuration. Credentials in it are
// read from files (credentials_file, password_file) at request time and never
// printed: its Secret fields marshal as <secret>.
type Config = config.HTTPClientConfig

// Default is the configuration of a source that sets none: redirects
// followed, HTTP/2 on, TLS 1.2 at least, proxies from the environment.
func Default() Config {
	c := config.DefaultHTTPClientConfig
	c.ProxyFromEnvironment = true
	return c
}

// Options tune a client beyond what its Config says.
type Options struct {
	// Timeout bounds a whole request (connection, headers and body); 0: none
	// (the caller's context bounds it).
	Timeout time.Duration
	// KeepAlivesOff closes each connection after one request (discovery
	// probes, one-shot checks).
	KeepAlivesOff bool
	// HeaderTimeout bounds the wait for a response's headers, for a client
	// without an overall timeout (streams meant to last): a server that
	// accepts and never answers must not hold the source. 0: none.
	HeaderTimeout time.Duration
}

// New returns the client for cfg; name says whose client it is in errors
// ("scrape 127.0.0.1:8000", "prom prometheus:9090"). The configuration is
// validated here, so a bad tls_config or an unreadable CA file is an error
// at start, not at the first request.
func New(cfg Config, name string, o Options) (*http.Client, error) {
	if cfg.TLSConfig.MinVersion == 0 {
		cfg.TLSConfig.MinVersion = config.TLSVersion(tls.VersionTLS12)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: http config: %w", name, err)
	}
	opts := []config.HTTPClientOption{config.WithUserAgent("vigil")}
	if o.KeepAlivesOff {
		opts = append(opts, config.WithKeepAlivesDisabled())
	}
	c, err := config.NewClientFromConfig(cfg, name, opts...)
	if err != nil {
		return nil, fmt.Errorf("%s: http config: %w", name, err)
	}
	c.Timeout = o.Timeout
	if cfg.OAuth2 != nil {
		c.Transport = &firstAlone{rt: c.Transport, turn: make(chan struct{}, 1)}
	}
	if cfg.FollowRedirects {
		c.CheckRedirect = sameHost
	}
	if o.HeaderTimeout > 0 {
		c.Transport = headerTimeout{rt: c.Transport, d: o.HeaderTimeout}
	}
	return c, nil
}

// firstAlone lets no request start while the client's first is under way.
// prometheus/common (v0.73.1) builds its OAuth2 transport inside the first
// request and writes it while a concurrent first request already reads it,
// a data race the query engine's concurrent first poll ran into; once one
// request has gone through, the transport stands and requests run together.
// (A client secret read from a file that changes is rebuilt the same way:
// that rare rebuild is not serialised.)
type firstAlone struct {
	rt   http.RoundTripper
	turn chan struct{}
	done atomic.Bool
}

func (f *firstAlone) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.done.Load() {
		return f.rt.RoundTrip(req)
	}
	select {
	case f.turn <- struct{}{}:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	defer func() { <-f.turn }()
	resp, err := f.rt.RoundTrip(req)
	if err == nil {
		f.done.Store(true)
	}
	return resp, err
}

// CloseIdleConnections passes http.Client's call on to the transport.
func (f *firstAlone) CloseIdleConnections() {
	if c, ok := f.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// sameHost follows up to 10 redirects that stay on the first request's host.
func sameHost(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if req.URL.Host != via[0].URL.Host {
		return fmt.Errorf("redirect to another host (%s) refused: credentials and headers go to the configured host only", req.URL.Host)
	}
	return nil
}

// headerTimeout fails a request whose response headers take longer than d;
// the body may then take as long as the request's context allows.
type headerTimeout struct {
	rt http.RoundTripper
	d  time.Duration
}

func (h headerTimeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithCancel(req.Context())
	t := time.AfterFunc(h.d, cancel)
	resp, err := h.rt.RoundTrip(req.WithContext(ctx))
	if !t.Stop() && req.Context().Err() == nil {
		if err == nil {
			resp.Body.Close()
		}
		cancel()
		return nil, fmt.Errorf("no response headers within %s", h.d)
	}
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = cancelOnClose{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}
