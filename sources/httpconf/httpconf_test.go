package httpconf

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestBearerTokenFileAndHeaders(t *testing.T) {
	var got http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer srv.Close()
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := Default()
	doc := "authorization: {credentials_file: " + tok + "}\nhttp_headers: {X-Scope-OrgID: {values: [team-a]}}\n"
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	c, err := New(cfg, "test", Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if a := got.Get("Authorization"); a != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want the file's token", a)
	}
	if h := got.Get("X-Scope-OrgID"); h != "team-a" {
		t.Errorf("X-Scope-OrgID = %q", h)
	}
	if ua := got.Get("User-Agent"); ua != "vigil" {
		t.Errorf("User-Agent = %q", ua)
	}
}

func TestBadConfigFailsAtStart(t *testing.T) {
	cfg := Default()
	cfg.TLSConfig.CAFile = filepath.Join(t.TempDir(), "missing.pem")
	if _, err := New(cfg, "scrape x", Options{}); err == nil {
		t.Fatal("a missing CA file must fail at start")
	}
}
