package httpconf

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestOAuth2ConcurrentFirstRequests sends a client's first requests all at
// once, as a query engine's first poll does: each must carry the token, and
// the token is fetched once. Unserialised, prometheus/common builds one
// OAuth2 transport per first request, racing on it (go test -race reports
// it) and asking the token endpoint several times.
func TestOAuth2ConcurrentFirstRequests(t *testing.T) {
	var tokens, bad atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			tokens.Add(1)
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"access_token":"tok","token_type":"Bearer","expires_in":3600}`))
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			bad.Add(1)
		}
	}))
	defer srv.Close()
	cfg := Default()
	doc := "oauth2: {client_id: vigil, client_secret: s3cret, token_url: " + srv.URL + "/token}\n"
	if err := yaml.Unmarshal([]byte(doc), &cfg); err != nil {
		t.Fatal(err)
	}
	const clients = 20
	for k := 0; k < clients; k++ {
		c, err := New(cfg, "test", Options{})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < 16; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				resp, err := c.Get(srv.URL + "/api")
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}()
		}
		close(start)
		wg.Wait()
	}
	if n := tokens.Load(); n != clients {
		t.Errorf("token endpoint asked %d times by %d clients, want once each", n, clients)
	}
	if n := bad.Load(); n != 0 {
		t.Errorf("%d requests without the token", n)
	}
}
