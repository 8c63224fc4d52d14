package main

import (
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// tlsMetrics serves the vLLM fixture over TLS to requests that carry the
// bearer token and the X-Scope-OrgID header; others get 401.
func tlsMetrics(t *testing.T) (srv *httptest.Server, caFile string) {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("..", "..", "sources", "prom", "testdata", "vllm.prom"))
	if err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer s3cret" || r.Header.Get("X-Scope-OrgID") != "team-a" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, caFile
}

// TestScrapeHTTPClientConfig scrapes a TLS target that wants a token and a
// header, configured the Prometheus way and the way vigil's older configs
// wrote it; both read it, and without credentials it is a source in error.
func TestScrapeHTTPClientConfig(t *testing.T) {
	srv, ca := tlsMetrics(t)
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_TEST_TOKEN", "s3cret")
	cases := map[string]string{
		"prometheus keys": "scrape:\n  - url: " + srv.URL + "/metrics\n    authorization: {credentials_file: " + tok + "}\n" +
			"    tls_config: {ca_file: " + ca + "}\n    http_headers: {X-Scope-OrgID: {values: [team-a]}}\n",
		"older keys": "scrape:\n  - url: " + srv.URL + "/metrics\n    bearer_token_env: VIGIL_TEST_TOKEN\n" +
			"    ca_file: " + ca + "\n    headers: {X-Scope-OrgID: team-a}\n",
		"bearer_token_file": "scrape:\n  - url: " + srv.URL + "/metrics\n    bearer_token_file: " + tok + "\n" +
			"    tls_config: {ca_file: " + ca + "}\n    headers: {X-Scope-OrgID: team-a}\n",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			p := writeConfig(t, doc)
			if code, out, errOut := runCLI(t, "config", "check", p); code != 0 {
				t.Fatalf("config check: exit %d %s%s", code, out, errOut)
			}
			code, out, errOut := runCLI(t, "--config", p, "--no-discover", "--no-nvml", "--otlp-listen", "off", "--once", "--output", "json")
			if code != 0 || !strings.Contains(out, `"stack": "vllm"`) {
				t.Fatalf("exit %d, stderr %q, out %.400s", code, errOut, out)
			}
			if strings.Contains(out, "s3cret") {
				t.Fatal("the token reached the output")
			}
		})
	}
	// No credentials: the target answers 401 and --once says nothing was read.
	p := writeConfig(t, "scrape:\n  - url: "+srv.URL+"/metrics\n    tls_config: {ca_file: "+ca+"}\n")
	code, _, errOut := runCLI(t, "--config", p, "--no-discover", "--no-nvml", "--otlp-listen", "off", "--once")
	if code != exitFailure || !strings.Contains(errOut, "401") {
		t.Fatalf("without credentials: exit %d, stderr %q", code, errOut)
	}
}

func TestHTTPConfigErrors(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ name, doc, want string }{
		{"missing CA", "scrape:\n  - url: http://127.0.0.1:1/metrics\n    tls_config: {ca_file: " + filepath.Join(dir, "nope.pem") + "}\n",
			"line 2: scrape[0]"},
		{"old and new key", "scrape:\n  - url: http://127.0.0.1:1/metrics\n    ca_file: /a\n    tls_config: {ca_file: /b}\n",
			"ca_file: also given in tls_config"},
		{"typo in tls_config", "scrape:\n  - url: http://127.0.0.1:1/metrics\n    tls_config: {ca_fiel: /a}\n",
			`line 3: unknown key "ca_fiel" in scrape[0].tls_config (did you mean "ca_file"?)`},
		{"unset env", "prom:\n  url: http://127.0.0.1:9090\n  bearer_token_env: VIGIL_TEST_UNSET_VARIABLE\n",
			"$VIGIL_TEST_UNSET_VARIABLE is empty or not set"},
		{"jaeger mapping typo", "traces:\n  jaeger: {url: http://j:16686, basic_auht: {username: x}}\n",
			`line 2: unknown key "basic_auht" in traces.jaeger (did you mean "basic_auth"?)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeConfig(t, c.doc)
			code, _, errOut := runCLI(t, "config", "check", p)
			if code != exitUsage || !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
				t.Fatalf("exit %d, stderr %q, want one line with %q", code, errOut, c.want)
			}
		})
	}
}

// TestEndpointForms: traces endpoints are a URL or a mapping with url and
// the HTTP client keys.
func TestEndpointForms(t *testing.T) {
	var c Config
	err := parseConfig([]byte("traces:\n  jaeger: http://jaeger:16686\n  tempo:\n    url: https://tempo:3200\n    basic_auth: {username: u, password_file: /p}\n"), &c)
	if err != nil {
		t.Fatal(err)
	}
	if c.Traces.Jaeger.URL != "http://jaeger:16686" || !c.Traces.Jaeger.HTTP.Config.FollowRedirects {
		t.Errorf("jaeger = %+v", c.Traces.Jaeger)
	}
	if c.Traces.Tempo.URL != "https://tempo:3200" || c.Traces.Tempo.HTTP.Config.BasicAuth == nil || !c.Traces.Tempo.HTTP.Config.EnableHTTP2 {
		t.Errorf("tempo = %+v", c.Traces.Tempo)
	}
}

// TestPromHTTPClientConfig: the prom section takes Prometheus' client keys
// the query API client had no field for before (oauth2, proxy_url,
// http_headers): a query engine that wants an OAuth2 token and a header,
// reached only through a proxy, is polled by --once; without the keys it
// is a 401 naming what to fix.
func TestPromHTTPClientConfig(t *testing.T) {
	var tokens, queries, proxied, refused atomic.Int64
	engine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			_ = r.ParseForm()
			if id, secret, _ := r.BasicAuth(); id != "vigil" || secret != "s3cret" || r.Form.Get("grant_type") != "client_credentials" {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"access_token":"tok-1","token_type":"Bearer","expires_in":3600}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-1" || r.Header.Get("X-Team") != "a" || r.Header.Get("Via") != "test-proxy" {
			refused.Add(1)
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"status":"error","errorType":"unauthorized","error":"no token"}`)
			return
		}
		queries.Add(1)
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		res := "[]"
		if r.URL.Path == "/api/v1/query" && r.Form.Get("query") == "timestamp(up) * up" {
			res = fmt.Sprintf(`[{"metric":{"__name__":"up","instance":"10.0.0.1:9100","job":"node"},"value":[%d,"%d"]}]`, time.Now().Unix(), time.Now().Unix())
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}}`, res)
	}))
	t.Cleanup(engine.Close)
	// The proxy forwards absolute-URI requests and marks them.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !r.URL.IsAbs() {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		proxied.Add(1)
		out := r.Clone(r.Context())
		out.RequestURI = ""
		out.Header.Set("Via", "test-proxy")
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(proxy.Close)
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	doc := "prom:\n  url: " + engine.URL + "\n  interval: 1s\n" +
		"  oauth2: {client_id: vigil, client_secret_file: " + secret + ", token_url: " + engine.URL + "/token}\n" +
		"  proxy_url: " + proxy.URL + "\n  http_headers: {X-Team: {values: [a]}}\n"
	p := writeConfig(t, doc)
	if code, out, errOut := runCLI(t, "config", "check", p); code != 0 {
		t.Fatalf("config check: exit %d %s%s", code, out, errOut)
	}
	code, out, errOut := runCLI(t, "--config", p, "--no-discover", "--no-nvml", "--otlp-listen", "off", "--once", "--output", "json")
	if code != 0 || tokens.Load() == 0 || queries.Load() == 0 || refused.Load() != 0 || proxied.Load() < queries.Load() {
		t.Fatalf("exit %d: %d tokens, %d queries answered (%d through the proxy), %d refused; stderr %q, out %.300s",
			code, tokens.Load(), queries.Load(), proxied.Load(), refused.Load(), errOut, out)
	}
	if strings.Contains(out+errOut, "s3cret") || strings.Contains(out+errOut, "tok-1") {
		t.Fatal("a credential reached the output")
	}
	// Without the token: one line, the 401 and what to check.
	p = writeConfig(t, "prom:\n  url: "+engine.URL+"\n  proxy_url: "+proxy.URL+"\n  http_headers: {X-Team: {values: [a]}}\n")
	code, _, errOut = runCLI(t, "--config", p, "--no-discover", "--no-nvml", "--otlp-listen", "off", "--once")
	if code != exitFailure || !strings.Contains(errOut, "401") || !strings.Contains(errOut, "credentials") {
		t.Fatalf("without oauth2: exit %d, stderr %q", code, errOut)
	}
}
