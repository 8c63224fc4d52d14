package tui

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo/fleet"
	"github.com/vigil-dev/vigil/sources/promql"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
)

// stallProxy passes requests to an engine, or, while stalled, holds them
// (accepted, unanswered) until released.
type stallProxy struct {
	next    http.Handler
	stalled atomic.Bool
	mu      sync.Mutex
	release chan struct{}
	held    atomic.Int64
}

func (p *stallProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.stalled.Load() {
		p.mu.Lock()
		ch := p.release
		p.mu.Unlock()
		p.held.Add(1)
		select {
		case <-ch:
		case <-r.Context().Done():
			return
		}
	}
	p.next.ServeHTTP(w, r)
}

func (p *stallProxy) stall() {
	p.mu.Lock()
	p.release = make(chan struct{})
	p.mu.Unlock()
	p.stalled.Store(true)
}

func (p *stallProxy) unstall() {
	p.stalled.Store(false)
	p.mu.Lock()
	close(p.release)
	p.mu.Unlock()
}

// TestConsoleStalledEngine runs the console as a program on query mode
// against a real VictoriaMetrics holding a 3-host demo fleet, behind a
// proxy that stops answering: the console keeps answering keys, the source
// shows a stale badge with its age, and when the engine answers again the
// badge goes and fresh figures come back.
func TestConsoleStalledEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts VictoriaMetrics")
	}
	vm := promtest.VictoriaMetrics(t)
	now := time.Now()
	fl, err := fleet.New(fleet.Config{Hosts: 3, GPUsPerHost: 2, Seed: 1, Start: now.Add(-5 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	var imp bytes.Buffer
	if _, err := fl.WriteHistory(&imp, now.Add(-3*time.Minute), now, 15*time.Second); err != nil {
		t.Fatal(err)
	}
	promtest.ImportVM(t, vm, imp.Bytes())
	// The fleet keeps reporting (every second) while
	// the test runs: the engine has fresh data once it answers again.
	feed, stopFeed := context.WithCancel(context.Background())
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-feed.Done():
				return
			case at := <-tick.C:
				var b bytes.Buffer
				if _, err := fl.WriteHistory(&b, at, at, time.Second); err != nil {
					t.Error(err)
					return
				}
				resp, err := http.Post(vm+"/api/v1/import/prometheus", "text/plain", &b)
				if err != nil {
					return // the engine stopped at the test's end
				}
				resp.Body.Close()
			}
		}
	}()
	t.Cleanup(func() { stopFeed(); <-fed })
	u, err := url.Parse(vm)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ErrorLog = log.New(io.Discard, "", 0) // requests the hub gave up on
	px := &stallProxy{next: rp}
	srv := httptest.NewServer(px)
	t.Cleanup(srv.Close)
	src, err := promql.New(promql.Config{URL: srv.URL, Interval: 2 * time.Second, Timeout: time.Minute, Retries: -1, Name: "engine"})
	if err != nil {
		t.Fatal(err)
	}
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, sources.WallClock{})
	hub.Add(src)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	// Each instant's GPUs, for the figures' check.
	gpusAt := func(at time.Time) []view.GPU { return view.Evaluate(st, at, view.Options{}).GPUs }
	promtest.Eventually(t, 60*time.Second, "the first poll's GPUs", func() bool { return len(gpusAt(time.Now())) == 6 })

	m := New(Options{Store: st, Hub: hub, Clock: sources.WallClock{}, Refresh: 50 * time.Millisecond})
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 40))
	wait := func(what string, cond func(string) bool) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return cond(string(b)) },
			teatest.WithDuration(30*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	has := func(s string) func(string) bool { return func(out string) bool { return strings.Contains(out, s) } }
	wait("the fleet", has(fl.Hosts()[0].Name))

	px.stall()
	stalledAt := time.Now()
	// Keys keep their frames while every poll hangs.
	tm.Type("?")
	wait("help", has("Global"))
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	stale := regexp.MustCompile(`engine stale (\d+)s`)
	wait("a stale badge with its age", func(out string) bool {
		m := stale.FindAllStringSubmatch(out, -1)
		return len(m) > 0 && m[len(m)-1][1] >= "2"
	})
	if px.held.Load() == 0 {
		t.Fatal("no request reached the stalled engine")
	}
	tm.Type("2")
	wait("a screen switch during the stall", has("2:gpus"))

	px.unstall()
	promtest.Eventually(t, 30*time.Second, "fresh figures after the stall", func() bool {
		at := time.Now()
		gs := gpusAt(at)
		hs := view.Health(st, at)
		ok := len(gs) == 6 && len(hs) == 1 && hs[0].State == "ok" && st.Newest().After(stalledAt.Add(time.Second))
		if !ok {
			t.Logf("%d GPUs, health %+v, newest %v after the stall", len(gs), hs, st.Newest().Sub(stalledAt))
		}
		return ok
	})
	// The status bar says so too: the source named, up, no badge.
	wait("the source up again", func(out string) bool {
		i := strings.LastIndex(out, "● engine")
		return i >= 0 && !strings.HasPrefix(out[i+len("● engine"):], " stale")
	})
	tm.Type("q")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	// What the console showed last: the source up, every GPU's figures
	// fresh.
	env := tm.FinalModel(t).(Model).s.env
	if hs := env.Overview.Sources; len(hs) != 1 || hs[0].State != "ok" {
		t.Errorf("the console's sources after the stall: %+v", hs)
	}
	if gs := env.Overview.GPUs; len(gs) != 6 || !gs[0].Temp.OK || gs[0].Age.V > 10 {
		t.Errorf("the console's GPUs after the stall: %+v", gs)
	}
}
