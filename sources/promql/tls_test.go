package promql

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed client certificate and key as PEM files.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "vigil-test-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile, cert
}

func TestTLSCustomCAAndClientCert(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, clientCert := selfSigned(t, dir)
	srv := httptest.NewUnstartedServer(&fakeEngine{})
	pool := x509.NewCertPool()
	pool.AddCert(clientCert)
	srv.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	srv.StartTLS()
	defer srv.Close()
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600)

	// The server's certificate is not in the system roots: refused.
	c, _ := NewClient(Config{URL: srv.URL, Retries: -1})
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("unknown CA: %v", err)
	}
	// With the CA but no client certificate: the handshake fails.
	c, _ = NewClient(Config{URL: srv.URL, CAFile: ca, Retries: -1})
	if _, err := c.Query(context.Background(), "up", time.Time{}); err == nil {
		t.Error("no client certificate: want an error")
	}
	// CA and client certificate: it works.
	c, err := NewClient(Config{URL: srv.URL, CAFile: ca, CertFile: certFile, KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Query(context.Background(), "up", time.Time{}); err != nil {
		t.Errorf("mutual TLS: %v", err)
	}
	// Bad files are configuration errors.
	if _, err := NewClient(Config{URL: srv.URL, CAFile: filepath.Join(dir, "none.pem")}); err == nil {
		t.Error("missing CA file accepted")
	}
	if _, err := NewClient(Config{URL: srv.URL, CAFile: certFile + "x"}); err == nil {
		t.Error("missing CA accepted")
	}
	os.WriteFile(filepath.Join(dir, "junk.pem"), []byte("junk"), 0o600)
	if _, err := NewClient(Config{URL: srv.URL, CAFile: filepath.Join(dir, "junk.pem")}); err == nil || !strings.Contains(err.Error(), "no PEM") {
		t.Errorf("junk CA: %v", err)
	}
}
