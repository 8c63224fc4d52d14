package httpconf

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// parse reads a Prometheus-style YAML client config over the defaults, as
// a user's config file would give it.
func parse(t *testing.T, doc string) Config {
	t.Helper()
	cfg := Default()
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func get(t *testing.T, cfg Config, url string) (*http.Response, error) {
	t.Helper()
	c, err := New(cfg, "test", Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(url)
	if err == nil {
		resp.Body.Close()
	}
	return resp, err
}

func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestBasicAuthPasswordFile(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "vigil" || p != "pa55" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer srv.Close()
	pw := writeFile(t, t.TempDir(), "pw", []byte("pa55\n"))
	resp, err := get(t, parse(t, "basic_auth: {username: vigil, password_file: "+pw+"}\n"), srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("with basic_auth: %v %v", resp, err)
	}
	resp, err = get(t, Default(), srv.URL)
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without: %v %v", resp, err)
	}
}

// TestCustomCA: a server whose certificate only a private CA vouches for is
// refused by default and accepted with tls_config.ca_file.
func TestCustomCA(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	ca := writeFile(t, t.TempDir(), "ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	if _, err := get(t, Default(), srv.URL); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("an unknown CA was accepted: %v", err)
	}
	resp, err := get(t, parse(t, "tls_config: {ca_file: "+ca+"}\n"), srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("with ca_file: %v %v", resp, err)
	}
}

// TestMutualTLS: a server that requires a client certificate from its CA
// refuses a client without one and serves one with tls_config cert_file
// and key_file.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test client CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	clKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	clTmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "vigil"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	clDER, err := x509.CreateCertificate(rand.Reader, clTmpl, caCert, &clKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(clKey)
	certFile := writeFile(t, dir, "client.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: clDER}))
	keyFile := writeFile(t, dir, "client.key", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))

	pool := x509.NewCertPool()
	pool.AddCert(caCert)
	var seen string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = r.TLS.PeerCertificates[0].Subject.CommonName
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	serverCA := writeFile(t, dir, "server-ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))

	if _, err := get(t, parse(t, "tls_config: {ca_file: "+serverCA+"}\n"), srv.URL); err == nil {
		t.Fatal("the server took a client without a certificate")
	}
	cfg := parse(t, "tls_config: {ca_file: "+serverCA+", cert_file: "+certFile+", key_file: "+keyFile+"}\n")
	resp, err := get(t, cfg, srv.URL)
	if err != nil || resp.StatusCode != http.StatusOK || seen != "vigil" {
		t.Fatalf("mTLS: %v %v, server saw %q", resp, err, seen)
	}
}

// TestRedirectStaysOnHost: credentials follow a redirect on the same host,
// never to another.
func TestRedirectStaysOnHost(t *testing.T) {
	var leaked string
	other := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		leaked = r.Header.Get("Authorization")
	}))
	defer other.Close()
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusFound)
		case "/here":
			http.Redirect(w, r, "/final", http.StatusFound)
		default:
			got = r.Header.Get("Authorization")
		}
	}))
	defer srv.Close()
	tok := writeFile(t, t.TempDir(), "token", []byte("s3cret"))
	cfg := parse(t, "authorization: {credentials_file: "+tok+"}\n")
	if resp, err := get(t, cfg, srv.URL+"/here"); err != nil || got != "Bearer s3cret" {
		t.Fatalf("same-host redirect: %v %v, Authorization %q", resp, err, got)
	}
	if _, err := get(t, cfg, srv.URL+"/away"); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Fatalf("cross-host redirect: %v", err)
	}
	if leaked != "" {
		t.Fatalf("the token went to another host: %q", leaked)
	}
}

// TestHeaderTimeout: a server that accepts and never answers fails the
// request after HeaderTimeout; a slow body after quick headers does not.
func TestHeaderTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/silent" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-time.After(300 * time.Millisecond):
		}
		w.Write([]byte("late body"))
	}))
	defer srv.Close()
	defer close(release)
	c, err := New(Default(), "stream", Options{HeaderTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(srv.URL + "/silent"); err == nil || !strings.Contains(err.Error(), "no response headers within 100ms") {
		t.Fatalf("silent server: %v", err)
	}
	resp, err := c.Get(srv.URL + "/slowbody")
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "late body" {
		t.Fatalf("slow body cut: %q %v", b, err)
	}
}
