package traces

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// ClientOptions configures a Jaeger or Tempo client.
type ClientOptions struct {
	URL     string        // base URL, e.g. http://127.0.0.1:16686 (Jaeger query) or http://127.0.0.1:3200 (Tempo)
	Timeout time.Duration // per request; default 5 s
	Header  http.Header   // extra headers (Authorization from a file or the environment); never printed
	Client  *http.Client  // default a client with no overall timeout (the per-request one applies)
	MaxBody int64         // largest response read, bytes; default 64 MiB
}

type httpClient struct {
	kind string
	base *url.URL
	opts ClientOptions
}

func newHTTPClient(kind string, opts ClientOptions) (*httpClient, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 64 << 20
	}
	u, err := url.Parse(strings.TrimRight(opts.URL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%s: bad url %q", kind, redact(opts.URL))
	}
	u.User = nil // credentials belong in Header
	return &httpClient{kind: kind, base: u, opts: opts}, nil
}

// redact drops user:password from a URL for messages.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return sources.OneLine(raw)
	}
	u.User = nil
	return u.String()
}

// target is the base URL for health reports and messages.
func (c *httpClient) target() string { return c.base.String() }

// get fetches path?query and returns the body of a 2xx answer. 404 wraps
// ErrNotFound; a timeout says how long it waited.
func (c *httpClient) get(ctx context.Context, path string, q url.Values) ([]byte, error) {
	u := *c.base
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.kind, err)
	}
	for k, vs := range c.opts.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.opts.Client.Do(req)
	if err != nil {
		return nil, c.wrap(ctx, u.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxBody+1))
	if err != nil {
		return nil, c.wrap(ctx, u.Path, err)
	}
	if int64(len(body)) > c.opts.MaxBody {
		return nil, fmt.Errorf("%s: GET %s: response over %d bytes", c.kind, u.Path, c.opts.MaxBody)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, fmt.Errorf("%s: GET %s: %w", c.kind, u.Path, ErrNotFound)
	case resp.StatusCode/100 != 2:
		msg := sources.OneLine(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "..."
		}
		return nil, fmt.Errorf("%s: GET %s: HTTP %d: %s", c.kind, u.Path, resp.StatusCode, msg)
	}
	return body, nil
}

func (c *httpClient) wrap(ctx context.Context, path string, err error) error {
	var ne net.Error
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%s: GET %s%s: no answer: timed out after %s: %w", c.kind, c.base.Host, path, c.opts.Timeout, context.DeadlineExceeded)
	}
	return fmt.Errorf("%s: GET %s%s: %s", c.kind, c.base.Host, path, sources.OneLine(err.Error()))
}

// unixMicro converts microseconds since the epoch (Jaeger's unit).
func unixMicro(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}
