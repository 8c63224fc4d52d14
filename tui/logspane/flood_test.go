package logspane

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/tui/pane"
)

// generator writes JSON lines as fast as they are read, forever.
type generator struct {
	mu    sync.Mutex
	block []byte
	made  int
	stop  bool
}

func newGenerator() *generator {
	var b strings.Builder
	for i := 0; i < 256; i++ {
		fmt.Fprintf(&b, `{"level":"%s","service":"flood","msg":"line %d","latency_ms":%d}`+"\n", []string{"info", "warn", "error", "debug"}[i%4], i, i)
	}
	return &generator{block: []byte(b.String())}
}

func (g *generator) Read(p []byte) (int, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stop {
		return 0, io.EOF
	}
	n := 0
	for len(p)-n >= len(g.block) {
		n += copy(p[n:], g.block)
		g.made += 256
	}
	if n == 0 {
		return copy(p, g.block[:strings.IndexByte(string(g.block), '\n')+1]), nil
	}
	return n, nil
}

func (g *generator) lines() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.made
}

// TestFloodThroughTheConsolePath runs a generator through a real hub into a
// bounded store while the pane refreshes as the console would: the pane and
// the store stay within their bounds, and what was let go is shown.
func TestFloodThroughTheConsolePath(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{MaxLogs: 20_000})
	hub := sources.NewHub(st, sources.WallClock{})
	gen := newGenerator()
	hub.Add(logs.NewStdin(gen, logs.Options{MaxPending: 1 << 20, Name: "flood"}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { hub.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	m := New(Options{Location: time.UTC, MaxLines: 5_000})
	m.SetSize(120, 40)
	m.Focus()
	deadline := time.Now().Add(20 * time.Second)
	refreshes := 0
	for {
		<-hub.Updates()
		m.Refresh(pane.Env{Store: st, Now: time.Now(), Zoom: time.Minute, Mode: "LIVE"})
		refreshes++
		if m.Lines() > 5_000 {
			t.Fatalf("pane holds %d lines, bound 5,000", m.Lines())
		}
		if _, _, held, _, _, _ := st.Sizes(); held > 20_000 {
			t.Fatalf("store holds %d lines, bound 20,000", held)
		}
		// The store has turned over twice: a pipe waits for the parser, so
		// how fast that happens depends on the machine, not on a count.
		if m.usage.Dropped > 40_000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d refreshes: %d lines generated, dropped %d, lost %v", refreshes, gen.lines(), m.usage.Dropped, m.lost)
		}
	}
	v := m.View()
	if !strings.Contains(v, "dropped") || !strings.Contains(v, "FOLLOW") {
		t.Errorf("what the store let go of is not shown:\n%s", v)
	}
	if m.lost != 0 || strings.Contains(v, "unparsed") {
		t.Errorf("a pipe lost %v lines before parsing: it should have waited", m.lost)
	}
	// Filtering the full pane under the flood still works and stays bounded.
	if err := m.SetFilter("level>=error"); err != nil {
		t.Fatal(err)
	}
	// (The flood goes on: a line the store has let go of since is skipped.)
	checked := 0
	for i := range m.lines {
		if r, ok := m.record(i); ok {
			checked++
			if r.Level < sources.LevelError {
				t.Fatalf("filter under flood kept a %s line", r.Level)
			}
		}
		if m.lines[i].level < sources.LevelError {
			t.Fatalf("filter under flood kept a line of level %s", m.lines[i].level)
		}
	}
	if checked == 0 {
		t.Error("no line to check after filtering")
	}
	gen.mu.Lock()
	gen.stop = true
	gen.mu.Unlock()
	t.Logf("%d refreshes; %d lines generated; store dropped %d; %v lost before parsing", refreshes, gen.lines(), m.usage.Dropped, m.lost)
}
