// Package httpconf is the one place vigil builds HTTP clients: scrape
// targets, the query API, Loki, Jaeger, Tempo, Alertmanager and webhooks all
// take a Config, written in the YAML Prometheus users already know
// (authorization, basic_auth, oauth2, tls_config, proxy_url,
// follow_redirects, http_headers), and get their client from New.
package httpconf

import (
	"crypto/tls"
	"fmt"
	"net/http"
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
	return c, nil
}
