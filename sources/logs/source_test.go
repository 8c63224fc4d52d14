package logs

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// collector gathers what a source emits.
type collector struct {
	mu     sync.Mutex
	frames []sources.Frame
}

func (c *collector) emit(f sources.Frame) {
	c.mu.Lock()
	c.frames = append(c.frames, f)
	c.mu.Unlock()
}

func (c *collector) msgs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, f := range c.frames {
		for _, l := range f.Logs {
			out = append(out, l.Msg)
		}
	}
	return out
}

func (c *collector) health() sources.Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := len(c.frames) - 1; i >= 0; i-- {
		if h := c.frames[i].Health; h != nil {
			return *h
		}
	}
	return sources.Health{}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second) // generous: the race detector on a busy machine is slow
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func hasAll(got []string, want ...string) bool {
	set := map[string]int{}
	for _, g := range got {
		set[g]++
	}
	for _, w := range want {
		if set[w] == 0 {
			return false
		}
	}
	return true
}

func run(t *testing.T, s sources.Streamer) *collector {
	t.Helper()
	c := &collector{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := s.Run(ctx, c.emit); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("source did not stop")
		}
	})
	return c
}

func appendFile(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

var fastOpts = Options{Poll: 5 * time.Millisecond, BackoffMin: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond}

func TestFileLateRotateTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	c := run(t, NewFile(path, fastOpts))
	waitFor(t, "waiting health", func() bool {
		h := c.health()
		return h.State == sources.HealthError && strings.Contains(h.Err, "waiting for") && strings.Contains(h.Err, "does not exist")
	})
	// A file that appears later is read from its start.
	appendFile(t, path, "one\ntwo\n")
	waitFor(t, "late file", func() bool { return hasAll(c.msgs(), "one", "two") })
	waitFor(t, "ok health", func() bool { return c.health().State == sources.HealthOK })

	// A line written in two pieces arrives once, whole.
	appendFile(t, path, "hal")
	appendFile(t, path, "ves\n")
	waitFor(t, "split line", func() bool { return hasAll(c.msgs(), "halves") })

	// Rotation by rename: the old file's last lines, then the new file.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", "late write to rotated\n")
	appendFile(t, path, "after rotation\n")
	waitFor(t, "rotation", func() bool { return hasAll(c.msgs(), "late write to rotated", "after rotation") })

	// Truncation in place (copytruncate): read again from the top.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "x\n")
	waitFor(t, "after truncation", func() bool { return hasAll(c.msgs(), "x") })

	for _, m := range []string{"one", "halves", "after rotation"} {
		n := 0
		for _, g := range c.msgs() {
			if g == m {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q read %d times", m, n)
		}
	}
	for _, g := range c.msgs() {
		if g == "hal" || g == "ves" {
			t.Errorf("a line arrived in pieces: %q", g)
		}
	}
}

func TestFileTruncateShorter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "t.log")
	appendFile(t, path, "")
	c := run(t, NewFile(path, fastOpts))
	appendFile(t, path, "aaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbb\n")
	waitFor(t, "first lines", func() bool { return hasAll(c.msgs(), "bbbbbbbbbbbbbbbbbbbb") })
	// Truncate and write something shorter than the old offset at once.
	if err := os.WriteFile(path, []byte("short\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rewritten file", func() bool { return hasAll(c.msgs(), "short") })
}

func TestFileBackfill(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "b.log")
	var sb strings.Builder
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&sb, "old line %04d\n", i)
	}
	appendFile(t, path, sb.String())
	// Backfill 100 bytes: only the last few whole lines.
	o := fastOpts
	o.Backfill = 100
	c := run(t, NewFile(path, o))
	waitFor(t, "backfill", func() bool { return hasAll(c.msgs(), "old line 0999") })
	msgs := c.msgs()
	if len(msgs) > 8 || hasAll(msgs, "old line 0000") {
		t.Errorf("backfill read too much: %d lines", len(msgs))
	}
	for _, m := range msgs {
		if !strings.HasPrefix(m, "old line ") || len(m) != len("old line 0000") {
			t.Errorf("partial line after seeking: %q", m)
		}
	}
	// Backfill off: only new lines.
	o.Backfill = -1
	c2 := run(t, NewFile(path, o))
	waitFor(t, "the file open", func() bool { return c2.health().State == sources.HealthOK })
	appendFile(t, path, "new\n")
	waitFor(t, "new line", func() bool { return hasAll(c2.msgs(), "new") })
	if len(c2.msgs()) != 1 {
		t.Errorf("with no backfill read %d lines", len(c2.msgs()))
	}
}

func TestFileGlob(t *testing.T) {
	dir := t.TempDir()
	c := run(t, NewFile(filepath.Join(dir, "*.log"), fastOpts))
	waitFor(t, "no match health", func() bool { return strings.Contains(c.health().Err, "no file matches") })
	appendFile(t, filepath.Join(dir, "a.log"), "from a\n")
	appendFile(t, filepath.Join(dir, "b.log"), "from b\n")
	appendFile(t, filepath.Join(dir, "c.txt"), "from c\n")
	waitFor(t, "both files", func() bool { return hasAll(c.msgs(), "from a", "from b") })
	waitFor(t, "2 files", func() bool { return c.health().Detail == "2 files" })
	if hasAll(c.msgs(), "from c") {
		t.Error("read a file outside the glob")
	}
}

func TestCommand(t *testing.T) {
	c := run(t, NewCommand(`printf 'alpha\nbeta\n'; echo "it broke" >&2; exit 3`, fastOpts))
	waitFor(t, "lines", func() bool { return hasAll(c.msgs(), "alpha", "beta") })
	waitFor(t, "stderr in health", func() bool {
		h := c.health()
		return h.State == sources.HealthError && strings.Contains(h.Err, "exit status 3: it broke") && strings.Contains(h.Err, "restarting in")
	})
	// It is restarted.
	waitFor(t, "restart", func() bool {
		n := 0
		for _, m := range c.msgs() {
			if m == "alpha" {
				n++
			}
		}
		return n >= 2
	})
}

func TestStdin(t *testing.T) {
	in := strings.NewReader("{\"msg\":\"first\",\"level\":\"warn\"}\nsecond\nno newline at end")
	c := run(t, NewStdin(in, Options{}))
	waitFor(t, "lines", func() bool { return hasAll(c.msgs(), "first", "second", "no newline at end") })
	waitFor(t, "EOF health", func() bool { return c.health().Detail == "ended (EOF)" })
	if c.health().Source != "stdin" {
		t.Errorf("name %q", c.health().Source)
	}
}

func TestHTTPStream(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		if r.Header.Get("X-Scope-OrgID") != "team" {
			http.Error(w, "no tenant", http.StatusUnauthorized)
			return
		}
		if n == 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		fl := w.(http.Flusher)
		fmt.Fprintf(w, "{\"msg\":\"conn %d a\"}\n", n)
		fl.Flush()
		fmt.Fprintf(w, "{\"msg\":\"conn %d b\"}\n", n)
		fl.Flush()
	}))
	defer srv.Close()
	o := fastOpts
	o.Header = http.Header{"X-Scope-OrgID": {"team"}}
	c := run(t, NewHTTPStream(srv.URL, o))
	waitFor(t, "first connection", func() bool { return hasAll(c.msgs(), "conn 1 a", "conn 1 b") })
	waitFor(t, "reconnect after a 503", func() bool { return hasAll(c.msgs(), "conn 3 a") })
	c.mu.Lock()
	saw503 := false
	for _, f := range c.frames {
		if f.Health != nil && strings.Contains(f.Health.Err, "503") && strings.Contains(f.Health.Err, "busy") {
			saw503 = true
		}
	}
	c.mu.Unlock()
	if !saw503 {
		t.Error("the 503 never showed in health")
	}
}

// flood is a reader that produces n lines as fast as it is read.
type flood struct {
	n, made int
	block   []byte
	perBlk  int
}

func newFlood(n int) *flood {
	var b strings.Builder
	for i := 0; i < 512; i++ {
		fmt.Fprintf(&b, `{"level":"info","msg":"flood line","i":%d}`+"\n", i)
	}
	return &flood{n: n, block: []byte(b.String()), perBlk: 512}
}

func (f *flood) Read(p []byte) (int, error) {
	floodMu.Lock()
	defer floodMu.Unlock()
	if f.made >= f.n {
		return 0, io.EOF
	}
	w := 0
	for f.made+f.perBlk <= f.n && len(p)-w >= len(f.block) {
		w += copy(p[w:], f.block)
		f.made += f.perBlk
	}
	if w == 0 {
		// Last partial block or a small buffer: copy whole lines.
		for f.made < f.n {
			l := []byte(fmt.Sprintf(`{"level":"info","msg":"flood line","i":%d}`+"\n", f.made))
			if len(p)-w < len(l) {
				break
			}
			w += copy(p[w:], l)
			f.made++
		}
	}
	return w, nil
}

func TestFloodThroughHub(t *testing.T) {
	const n = 100_000
	store := sources.NewStore(sources.StoreOptions{MaxLogs: 10_000})
	hub := sources.NewHub(store, sources.WallClock{})
	o := Options{MaxPending: 1 << 20, Batch: 512}
	hub.Add(NewStdin(newFlood(n), o))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	key := sources.NewSeries(DroppedTotal, sources.Counter, LabelSource, "stdin").Key()
	linesKey := sources.NewSeries(LinesTotal, sources.Counter, LabelSource, "stdin").Key()
	var dropped, lines float64
	waitFor(t, "the flood to end", func() bool {
		for _, h := range store.Health() {
			if h.Source == "stdin" && h.Detail == "ended (EOF)" {
				d, ok1 := store.Last(key, store.Newest())
				l, ok2 := store.Last(linesKey, store.Newest())
				dropped, lines = d.V, l.V
				return ok1 && ok2
			}
		}
		return false
	})
	_, _, held, _, _, _ := store.Sizes()
	if held > 10_000 {
		t.Errorf("store holds %d lines, bound 10,000", held)
	}
	// Every line is parsed: a pipe waits for the parser, nothing is dropped.
	if int(lines) != n || dropped != 0 {
		t.Errorf("lines %v, dropped %v: want %d and 0", lines, dropped, n)
	}
	if got := int(store.Drops().Logs) + held; got != int(lines) {
		t.Errorf("store held %d + dropped %d != parsed %v", held, store.Drops().Logs, lines)
	}
	t.Logf("flood of %d: %v parsed, %v dropped before parsing, %d pushed out of the store", n, lines, dropped, store.Drops().Logs)
}

func TestFloodWaitsWhenConsoleStalls(t *testing.T) {
	// The emit function blocks (a console that stopped reading): the stream
	// is read no further than MaxPending ahead (backpressure: the writer of
	// a pipe waits), and once the console reads again every line arrives.
	const n = 100_000
	const pending = 256 << 10
	gate := make(chan struct{})
	var mu sync.Mutex
	got := 0
	var last sources.Frame
	emit := func(f sources.Frame) {
		<-gate
		mu.Lock()
		got += len(f.Logs)
		last = f
		mu.Unlock()
	}
	fl := newFlood(n)
	lineLen := len(fl.block) / fl.perBlk
	s := NewStdin(fl, Options{MaxPending: pending})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Run(ctx, emit)
	// Once the read-ahead is full, the reader has read at most what the
	// parser holds (one queue), the queue and the chunk it waits to push.
	waitFor(t, "the read-ahead to fill", func() bool { return readMade(fl)*lineLen >= pending })
	if made, bound := readMade(fl), (2*pending+3*64<<10)/lineLen; made > bound {
		t.Fatalf("the stalled stream was read on: %d lines, bound %d", made, bound)
	}
	close(gate)
	waitFor(t, "EOF", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return last.Health != nil && last.Health.Detail == "ended (EOF)"
	})
	mu.Lock()
	defer mu.Unlock()
	var dropped float64
	for _, p := range last.Points {
		if p.Series.Name == DroppedTotal {
			dropped = p.Value
		}
	}
	if dropped != 0 || got != n {
		t.Errorf("got %d (dropped %v), want all %d", got, dropped, n)
	}
}

var floodMu sync.Mutex

func readMade(f *flood) int {
	floodMu.Lock()
	defer floodMu.Unlock()
	return f.made
}

func TestFileDeletedIsLetGo(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.log")
	appendFile(t, path, "before\n")
	c := run(t, NewFile(path, fastOpts))
	waitFor(t, "first line", func() bool { return hasAll(c.msgs(), "before") })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deleted file to be let go", func() bool {
		h := c.health()
		return h.State == sources.HealthError && strings.Contains(h.Err, "waiting for")
	})
	appendFile(t, path, "recreated\n")
	waitFor(t, "the new file", func() bool { return hasAll(c.msgs(), "recreated") })
}

func TestCommandNotFound(t *testing.T) {
	c := run(t, NewCommand(`vigil-no-such-command-xyz --flag`, fastOpts))
	waitFor(t, "the failure in health", func() bool {
		h := c.health()
		return h.State == sources.HealthError && strings.Contains(h.Err, "exit status 127") && strings.Contains(h.Err, "not found")
	})
}

func TestHTTPStreamSilentServer(t *testing.T) {
	// A server that accepts and never answers: the source says so instead
	// of hanging, and the console's ctx still stops it.
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	o := fastOpts
	o.Client = &http.Client{Transport: &http.Transport{ResponseHeaderTimeout: 50 * time.Millisecond}}
	c := run(t, NewHTTPStream(srv.URL, o))
	waitFor(t, "a timeout in health", func() bool {
		h := c.health()
		return h.State == sources.HealthError && strings.Contains(h.Err, "timeout")
	})
}

func TestFileGlobMatchingRotatedNames(t *testing.T) {
	// "app.log*" matches the rotated file too: its lines must not be read
	// a second time under the new name.
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, "")
	c := run(t, NewFile(filepath.Join(dir, "app.log*"), fastOpts))
	waitFor(t, "open", func() bool { return c.health().State == sources.HealthOK })
	appendFile(t, path, "one\ntwo\n")
	waitFor(t, "lines", func() bool { return hasAll(c.msgs(), "one", "two") })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", "three\n")
	appendFile(t, path, "four\n")
	waitFor(t, "after rotation", func() bool { return hasAll(c.msgs(), "three", "four") })
	waitFor(t, "two files", func() bool { return c.health().Detail == "2 files" })
	appendFile(t, path+".1", "five\n")
	waitFor(t, "still following the rotated file", func() bool { return hasAll(c.msgs(), "five") })
	n := map[string]int{}
	for _, m := range c.msgs() {
		n[m]++
	}
	for _, m := range []string{"one", "two", "three", "four", "five"} {
		if n[m] != 1 {
			t.Errorf("%q read %d times", m, n[m])
		}
	}
}
