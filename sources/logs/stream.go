package logs

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Reader is a source that reads one stream (stdin, a pipe) to its end. It is
// a sources.Streamer; at the end of the stream it reports so in its health
// and waits for ctx, so that the hub does not restart it.
type Reader struct {
	r    io.Reader
	opts Options
}

// NewStdin returns a source reading r (normally os.Stdin), named "stdin".
func NewStdin(r io.Reader, opts Options) *Reader {
	if opts.Name == "" {
		opts.Name = "stdin"
	}
	return &Reader{r: r, opts: opts.withDefaults("stdin", "-")}
}

// Name is "stdin" unless Options.Name says otherwise.
func (s *Reader) Name() string { return s.opts.Name }

// Run reads the stream until it ends or ctx is done.
func (s *Reader) Run(ctx context.Context, emit func(sources.Frame)) error {
	b := newBatcher(s.opts, "stdin", "-", emit)
	b.ok("reading")
	err := b.stream(ctx, s.r)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		b.fail(fmt.Errorf("logs: stdin: %w", err))
	} else {
		b.ok("ended (EOF)")
	}
	b.flush(true)
	<-ctx.Done()
	return nil
}

// Command runs a command (through /bin/sh -c) and reads its standard output
// as log lines: `journalctl -f -o json`, `kubectl logs -f deploy/api`. When
// the command exits it is restarted after a backoff that doubles while it
// keeps failing; the tail of its standard error shows in its health. It is a
// sources.Streamer.
type Command struct {
	cmdline string
	opts    Options
}

// NewCommand returns a source running cmdline.
func NewCommand(cmdline string, opts Options) *Command {
	return &Command{cmdline: cmdline, opts: opts.withDefaults("cmd", cmdline)}
}

// Name is "cmd <cmdline>" unless Options.Name says otherwise.
func (c *Command) Name() string { return c.opts.Name }

// Run runs the command, restarting it, until ctx is done.
func (c *Command) Run(ctx context.Context, emit func(sources.Frame)) error {
	b := newBatcher(c.opts, "cmd", c.cmdline, emit)
	bo := backoff{min: c.opts.BackoffMin, max: c.opts.BackoffMax}
	for ctx.Err() == nil {
		start := time.Now()
		err := c.once(ctx, b)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > 4*bo.max {
			bo.reset() // it ran for a good while: restart quickly
		}
		wait := bo.next()
		if err == nil {
			err = errors.New("exited with status 0")
		}
		b.fail(fmt.Errorf("%w; restarting in %s", err, wait))
		b.flush(true)
		if !sleep(ctx, wait) {
			return nil
		}
	}
	return nil
}

// once runs the command one time and returns why it ended.
func (c *Command) once(ctx context.Context, b *batcher) error {
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(cctx, "/bin/sh", "-c", c.cmdline)
	setProcessGroup(cmd)
	cmd.WaitDelay = 2 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("logs: %s: %w", c.cmdline, err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return fmt.Errorf("logs: %s: %w", c.cmdline, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("logs: start %s: %w", c.cmdline, err)
	}
	tail := &stderrTail{}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tail.read(stderr)
	}()
	b.ok("running")
	b.flush(true)
	serr := b.stream(cctx, stdout)
	cancel() // a command that closed its stdout is done for us
	wg.Wait()
	werr := cmd.Wait()
	if ctx.Err() != nil {
		return nil
	}
	msg := tail.last()
	switch {
	case serr != nil && !errors.Is(serr, context.Canceled):
		return fmt.Errorf("logs: read %s: %w", c.cmdline, serr)
	case werr != nil:
		if msg != "" {
			return fmt.Errorf("%v: %s", werr, msg)
		}
		return werr
	case msg != "":
		return fmt.Errorf("exited with status 0: %s", msg)
	}
	return nil
}

// stderrTail keeps the last lines a command wrote to its standard error.
type stderrTail struct {
	mu    sync.Mutex
	lines []string
}

func (t *stderrTail) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	for sc.Scan() {
		l := sources.OneLine(sc.Text())
		if l == "" {
			continue
		}
		t.mu.Lock()
		t.lines = append(t.lines, l)
		if len(t.lines) > 5 {
			t.lines = t.lines[1:]
		}
		t.mu.Unlock()
	}
	_, _ = io.Copy(io.Discard, r)
}

func (t *stderrTail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.lines) == 0 {
		return ""
	}
	return t.lines[len(t.lines)-1]
}

// HTTPStream reads newline-delimited log lines (usually JSON) from a
// long-lived HTTP response, reconnecting with backoff when it ends. It is a
// sources.Streamer.
type HTTPStream struct {
	url  string
	opts Options
}

// NewHTTPStream returns a source streaming url.
func NewHTTPStream(url string, opts Options) *HTTPStream {
	return &HTTPStream{url: url, opts: opts.withDefaults("http", redactURL(url))}
}

// Name is "http <url>" unless Options.Name says otherwise.
func (h *HTTPStream) Name() string { return h.opts.Name }

// Run streams until ctx is done.
func (h *HTTPStream) Run(ctx context.Context, emit func(sources.Frame)) error {
	b := newBatcher(h.opts, "http", redactURL(h.url), emit)
	bo := backoff{min: h.opts.BackoffMin, max: h.opts.BackoffMax}
	client := h.opts.Client
	if client == nil {
		// No overall timeout (the stream is meant to last), but a server
		// that accepts and never answers must not hang the source.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.ResponseHeaderTimeout = 10 * time.Second
		client = &http.Client{Transport: tr}
	}
	for ctx.Err() == nil {
		start := time.Now()
		err := h.once(ctx, client, b)
		if ctx.Err() != nil {
			return nil
		}
		if time.Since(start) > 4*bo.max {
			bo.reset()
		}
		wait := bo.next()
		if err == nil {
			err = errors.New("stream ended")
		}
		b.fail(fmt.Errorf("%w; reconnecting in %s", err, wait))
		b.flush(true)
		if !sleep(ctx, wait) {
			return nil
		}
	}
	return nil
}

func (h *HTTPStream) once(ctx context.Context, client *http.Client, b *batcher) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url, nil)
	if err != nil {
		return fmt.Errorf("logs: %w", err)
	}
	if err := addAuth(req, h.opts); err != nil {
		return err
	}
	if b.health.State == sources.HealthUnknown {
		b.health.Detail = "connecting"
		b.flush(true)
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("logs: %s", sources.OneLine(err.Error()))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("logs: %s: %s", resp.Status, sources.OneLine(string(body)))
	}
	b.ok("connected")
	b.flush(true)
	err = b.stream(ctx, resp.Body)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("logs: read: %w", err)
	}
	return nil
}

// addAuth adds the configured headers and bearer token.
func addAuth(req *http.Request, o Options) error {
	for k, vs := range o.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if o.BearerTokenFile != "" {
		tok, err := os.ReadFile(o.BearerTokenFile)
		if err != nil {
			return fmt.Errorf("logs: bearer token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	}
	return nil
}

// redactURL drops credentials from a URL before it is shown.
func redactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.IndexByte(rest, '@'); at >= 0 && (strings.IndexByte(rest, '/') < 0 || at < strings.IndexByte(rest, '/')) {
			return u[:i+3] + "xxx@" + rest[at+1:]
		}
	}
	return u
}
