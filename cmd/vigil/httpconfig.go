package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/prometheus/common/config"
	"gopkg.in/yaml.v3"

	"github.com/vigil-dev/vigil/sources/httpconf"
	"github.com/vigil-dev/vigil/sources/promql"
)

// HTTPClient is how vigil talks to one HTTP endpoint, written inline in the
// section that names the endpoint, with the keys Prometheus users write in
// scrape_configs: authorization, basic_auth, oauth2, tls_config, proxy_url,
// no_proxy, proxy_from_environment, follow_redirects, enable_http2,
// http_headers (and Prometheus' older bearer_token_file). The keys vigil
// read before keep working and are translated (legacyHTTP).
type HTTPClient struct {
	Config httpconf.Config `yaml:",inline"`
	Legacy legacyHTTP      `yaml:",inline"`
}

// legacyHTTP are the HTTP keys of vigil's earlier configs.
type legacyHTTP struct {
	Headers            map[string]string `yaml:"headers"`             // → http_headers (sent as secrets: never shown)
	BearerTokenEnv     string            `yaml:"bearer_token_env"`    // → authorization.credentials from this variable
	BasicUser          string            `yaml:"basic_user"`          // → basic_auth.username
	BasicPasswordFile  string            `yaml:"basic_password_file"` // → basic_auth.password_file
	CAFile             string            `yaml:"ca_file"`             // → tls_config.ca_file
	CertFile           string            `yaml:"cert_file"`           // → tls_config.cert_file
	KeyFile            string            `yaml:"key_file"`            // → tls_config.key_file
	InsecureSkipVerify bool              `yaml:"insecure_skip_verify"`
}

// scrapeHTTP is a scrape target's client when the config says nothing: as
// Prometheus scrapes, no proxy from the environment (targets are on
// loopback or in the cluster).
func scrapeHTTP() HTTPClient { return HTTPClient{Config: config.DefaultHTTPClientConfig} }

// remoteHTTP is the client of a query API, Loki, Jaeger, Tempo,
// Alertmanager or webhook when the config says nothing: proxies from the
// environment, as other tools that reach remote services do.
func remoteHTTP() HTTPClient { return HTTPClient{Config: httpconf.Default()} }

// config is the Prometheus client configuration, with the legacy keys
// translated. Giving a legacy key and its replacement is an error.
func (h HTTPClient) config() (httpconf.Config, error) {
	c, l := h.Config, h.Legacy
	if len(l.Headers) > 0 {
		hs := map[string]config.Header{}
		if c.HTTPHeaders != nil {
			for k, v := range c.HTTPHeaders.Headers {
				hs[k] = v
			}
		}
		for k, v := range l.Headers {
			if _, dup := hs[k]; dup {
				return c, fmt.Errorf("headers: %s is also in http_headers", k)
			}
			hs[k] = config.Header{Secrets: []config.Secret{config.Secret(v)}}
		}
		c.HTTPHeaders = &config.Headers{Headers: hs}
	}
	if l.BearerTokenEnv != "" {
		if c.Authorization != nil || c.BasicAuth != nil || c.OAuth2 != nil || c.BearerToken != "" || c.BearerTokenFile != "" {
			return c, fmt.Errorf("bearer_token_env: give one way to authenticate (authorization, basic_auth, oauth2 or bearer_token_env)")
		}
		v := os.Getenv(l.BearerTokenEnv)
		if v == "" {
			return c, fmt.Errorf("bearer_token_env: $%s is empty or not set", l.BearerTokenEnv)
		}
		c.Authorization = &config.Authorization{Type: "Bearer", Credentials: config.Secret(v)}
	}
	if l.BasicUser != "" || l.BasicPasswordFile != "" {
		if c.BasicAuth != nil {
			return c, fmt.Errorf("basic_user: give basic_auth or basic_user/basic_password_file, not both")
		}
		c.BasicAuth = &config.BasicAuth{Username: l.BasicUser, PasswordFile: l.BasicPasswordFile}
	}
	for _, f := range []struct {
		key      string
		from, to *string
	}{{"ca_file", &l.CAFile, &c.TLSConfig.CAFile}, {"cert_file", &l.CertFile, &c.TLSConfig.CertFile}, {"key_file", &l.KeyFile, &c.TLSConfig.KeyFile}} {
		if *f.from == "" {
			continue
		}
		if *f.to != "" {
			return c, fmt.Errorf("%s: also given in tls_config", f.key)
		}
		*f.to = *f.from
	}
	if l.InsecureSkipVerify {
		c.TLSConfig.InsecureSkipVerify = true
	}
	if c.ProxyURL.URL != nil {
		// An explicit proxy replaces remoteHTTP's default of the
		// environment's (Prometheus refuses both).
		c.ProxyFromEnvironment = false
	}
	return c, nil
}

// client builds the HTTP client for rawURL through httpconf.
func (h HTTPClient) client(kind, rawURL string, o httpconf.Options) (*http.Client, error) {
	c, err := h.config()
	if err != nil {
		return nil, err
	}
	name := kind
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		name += " " + u.Host
	}
	return httpconf.New(c, name, o)
}

// Endpoint is a URL with its HTTP client settings. In YAML it is either the
// URL alone (jaeger: http://jaeger:16686) or a mapping with url and the
// HTTP client keys.
type Endpoint struct {
	URL  string     `yaml:"url"`
	HTTP HTTPClient `yaml:",inline"`
}

// UnmarshalYAML reads a URL or a mapping, over remoteHTTP's defaults.
func (e *Endpoint) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*e = Endpoint{URL: n.Value, HTTP: remoteHTTP()}
		return nil
	}
	type plain Endpoint
	p := plain{HTTP: remoteHTTP()}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*e = Endpoint(p)
	return nil
}

// UnmarshalYAML reads an HTTP client block (alertmanager_http:,
// webhook_http:) over remoteHTTP's defaults.
func (h *HTTPClient) UnmarshalYAML(n *yaml.Node) error {
	type plain HTTPClient
	p := plain(remoteHTTP())
	if err := n.Decode(&p); err != nil {
		return err
	}
	*h = HTTPClient(p)
	return nil
}

// UnmarshalYAML reads a scrape target over scrapeHTTP's defaults.
func (t *ScrapeTarget) UnmarshalYAML(n *yaml.Node) error {
	type plain ScrapeTarget
	p := plain{HTTP: scrapeHTTP()}
	if err := n.Decode(&p); err != nil {
		return err
	}
	*t = ScrapeTarget(p)
	return nil
}

// UnmarshalYAML reads the prom section over remoteHTTP's defaults.
func (p *PromConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain PromConfig
	v := plain{HTTP: remoteHTTP()}
	if err := n.Decode(&v); err != nil {
		return err
	}
	*p = PromConfig(v)
	return nil
}

// UnmarshalYAML reads a log source over remoteHTTP's defaults (used by url
// and loki sources).
func (l *LogConfig) UnmarshalYAML(n *yaml.Node) error {
	type plain LogConfig
	v := plain{HTTP: remoteHTTP()}
	if err := n.Decode(&v); err != nil {
		return err
	}
	*l = LogConfig(v)
	return nil
}

// streamHeaderTimeout bounds the wait for a log stream's response headers.
const streamHeaderTimeout = 10 * time.Second

// promClientConfig hands the prom section's HTTP settings to the query
// API client: the whole Prometheus client configuration (authorization,
// basic_auth, oauth2, tls_config, proxy_url, http_headers, ...), the older
// keys translated, built by httpconf as every other HTTP source's.
func promClientConfig(h HTTPClient) (promql.Config, error) {
	c, err := h.config()
	if err != nil {
		return promql.Config{}, fmt.Errorf("prom: %w", err)
	}
	return promql.Config{HTTP: c}, nil
}
