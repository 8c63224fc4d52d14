package tui

import (
	"context"
	"fmt"
	"math/rand"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/fleetpane/fleettest"
	"github.com/vigil-dev/vigil/tui/pane"
)

var (
	fleetOnce  sync.Map // hosts → *sources.Store
	fleetBuild sync.Mutex
)

// fleetStore is a simulated fleet of n hosts scraped twice (built once).
func fleetStore(t testing.TB, n int) *sources.Store {
	t.Helper()
	fleetBuild.Lock()
	defer fleetBuild.Unlock()
	if st, ok := fleetOnce.Load(n); ok {
		return st.(*sources.Store)
	}
	st, _, err := fleettest.Store(n)
	if err != nil {
		t.Fatal(err)
	}
	fleetOnce.Store(n, st)
	return st
}

// run delivers msgs and then the messages of the commands they return
// (depth-first, batches opened), as the program would, except ticks.
func run(m Model, msgs ...tea.Msg) Model {
	for _, msg := range msgs {
		nm, cmd := m.Update(msg)
		m = nm.(Model)
		m = runWaiting(m, cmd, 0)
	}
	return m
}

// runWaiting runs cmd and delivers its message; a command that waits longer
// than a few seconds (a tick at the default refresh, the hub's updates) is
// left behind.
func runWaiting(m Model, cmd tea.Cmd, depth int) Model {
	if cmd == nil || depth > 4 {
		return m
	}
	ch := make(chan tea.Msg, 1)
	go func() { ch <- cmd() }()
	var got tea.Msg
	select {
	case got = <-ch:
	case <-time.After(5 * time.Second):
		return m
	}
	switch msg := got.(type) {
	case nil, tickMsg, dataMsg:
	case tea.BatchMsg:
		for _, c := range msg {
			m = runWaiting(m, c, depth+1)
		}
	default:
		nm, next := m.Update(msg)
		m = nm.(Model)
		m = runWaiting(m, next, depth+1)
	}
	return m
}

func fleetConsole(t *testing.T, n, w, h int) Model {
	t.Helper()
	st := fleetStore(t, n)
	m := New(Options{Store: st, Clock: sources.NewManualClock(fleettest.At), Refresh: time.Millisecond})
	return drive(m, tea.WindowSizeMsg{Width: w, Height: h}, tickMsg{at: fleettest.At})
}

// TestFleetOpensScopesAndReturns: more than one host opens the fleet
// screen; Enter scopes every pane to the selected host, named in the pane
// titles and the status bar; Esc, q and :host come back.
func TestFleetOpensScopesAndReturns(t *testing.T) {
	m := fleetConsole(t, 3, 120, 40)
	if n := m.s.screen().num; n != ScreenFleet {
		t.Fatalf("a console of 3 hosts opened on screen %d, want the fleet", n)
	}
	v := m.View()
	if !strings.Contains(v, "Fleet") || !strings.Contains(v, "F:fleet") {
		t.Fatalf("fleet screen:\n%s", v)
	}
	host := m.s.named.fleet.Fleet().Hosts[0].Host // the worst, selected at first

	m = run(m, keyMsg("enter"))
	if m.s.scope != host || m.s.screen().num != ScreenOverview {
		t.Fatalf("after enter: scope %q screen %d, want %q on the overview", m.s.scope, m.s.screen().num, host)
	}
	for _, sv := range m.s.env.Overview.Services {
		if sv.Host != host {
			t.Errorf("scoped overview holds %s's service %s", sv.Host, sv.Name)
		}
	}
	if len(m.s.env.Overview.GPUs) != 8 {
		t.Errorf("scoped overview has %d GPUs, want the host's 8", len(m.s.env.Overview.GPUs))
	}
	for _, g := range m.s.env.Overview.GPUs {
		if g.Host != host {
			t.Errorf("scoped overview holds %s's GPU %s", g.Host, g.Index)
		}
	}
	v = m.View()
	if !strings.Contains(v, "@ "+host) || !strings.Contains(v, "@"+host+" ") {
		t.Errorf("the scoped console does not name %s in its titles and status bar:\n%s", host, v)
	}
	// The GPU screen lists that host's GPUs only, the store's others too.
	m = drive(m, keyMsg("2"))
	v = m.View()
	for _, other := range []string{"gpu-node-000", "gpu-node-001", "gpu-node-002"} {
		if other != host && strings.Contains(v, other) {
			t.Errorf("the GPU screen scoped to %s shows %s:\n%s", host, other, v)
		}
	}
	// q: the scoped overview, then the fleet; Esc from a scope: the fleet.
	m = drive(m, keyMsg("q"))
	if m.s.scope != host || m.s.screen().num != ScreenOverview {
		t.Fatalf("q from the scoped GPUs: scope %q screen %d", m.s.scope, m.s.screen().num)
	}
	m = drive(m, keyMsg("q"))
	if m.s.scope != "" || m.s.screen().num != ScreenFleet {
		t.Fatalf("q from the scoped overview: scope %q screen %d, want the fleet", m.s.scope, m.s.screen().num)
	}
	if len(m.s.env.Overview.GPUs) != 24 {
		t.Errorf("unscoped: %d GPUs, want 24", len(m.s.env.Overview.GPUs))
	}
	m = run(m, keyMsg("enter"))
	m = drive(m, keyMsg("esc"))
	if m.s.scope != "" || m.s.screen().num != ScreenFleet {
		t.Fatalf("esc from a scope: scope %q screen %d", m.s.scope, m.s.screen().num)
	}
	// :host NAME scopes; :host returns; an unknown host is an error.
	m = run(m, append(append(keysOf(":"), typed("host gpu-node-002")...), keyMsg("enter"))...)
	if m.s.scope != "gpu-node-002" {
		t.Fatalf(":host gpu-node-002: scope %q", m.s.scope)
	}
	m = run(m, append(append(keysOf(":"), typed("host")...), keyMsg("enter"))...)
	if m.s.scope != "" || m.s.screen().num != ScreenFleet {
		t.Fatalf(":host: scope %q screen %d", m.s.scope, m.s.screen().num)
	}
	m = run(m, append(append(keysOf(":"), typed("host nope")...), keyMsg("enter"))...)
	if m.s.scope != "" || !m.s.msgErr || !strings.Contains(m.s.msg, "nope") {
		t.Fatalf(":host nope: scope %q message %q", m.s.scope, m.s.msg)
	}
	// q at the fleet quits.
	nm, _ := m.Update(keyMsg("q"))
	if !nm.(Model).s.quitting {
		t.Fatal("q at the fleet did not quit")
	}
}

// TestFleetListsScopeAndOpen: Tab reaches the fleet's own areas (one pane
// on the screen); Enter on a worst GPU scopes to its host and opens that
// GPU; Enter on a worst service opens that service there.
func TestFleetListsScopeAndOpen(t *testing.T) {
	m := fleetConsole(t, 3, 120, 40)
	g := m.s.named.fleet.Fleet().WorstGPUs[0]
	m = run(m, keyMsg("tab"), keyMsg("enter"))
	if m.s.scope != g.Host || m.s.screen().num != ScreenGPUs {
		t.Fatalf("enter on the worst GPU: scope %q screen %d, want %s on the GPU screen", m.s.scope, m.s.screen().num, g.Host)
	}
	if title := m.s.screen().focused().Title(); !strings.Contains(title, "GPU "+g.GPU) {
		t.Errorf("the GPU screen shows %q, want GPU %s's detail", title, g.GPU)
	}
	m = drive(m, keyMsg("esc"), keyMsg("esc"))
	if m.s.scope != "" || m.s.screen().num != ScreenFleet {
		t.Fatalf("esc esc: scope %q screen %d", m.s.scope, m.s.screen().num)
	}
	sv := m.s.named.fleet.Fleet().WorstServices[0]
	m = run(m, keyMsg("tab"), keyMsg("enter")) // the pane kept its area: the services are next
	if m.s.scope != sv.Host || m.s.screen().num != ScreenLatency {
		t.Fatalf("enter on the worst service: scope %q screen %d, want %s on latency", m.s.scope, m.s.screen().num, sv.Host)
	}
}

// TestGroupCommand: :group picks the label hosts are grouped by, from
// those the hosts carry; another is an error naming them.
func TestGroupCommand(t *testing.T) {
	m := fleetConsole(t, 3, 120, 40)
	if got := m.s.completeCommand("group na"); len(got) != 1 || got[0] != "group namespace" {
		t.Errorf(":group na completes to %q", got)
	}
	m = run(m, append(append(keysOf(":"), typed("group namespace")...), keyMsg("enter"))...)
	if g := m.s.named.fleet.Group(); g != "namespace" {
		t.Fatalf("grouped by %q", g)
	}
	m = run(m, append(append(keysOf(":"), typed("group rack")...), keyMsg("enter"))...)
	if !m.s.msgErr || !strings.Contains(m.s.msg, "cluster") {
		t.Errorf(":group rack: %q", m.s.msg)
	}
	if g := m.s.named.fleet.Group(); g != "namespace" {
		t.Errorf("a bad :group changed the grouping to %q", g)
	}
}

// TestOneMachineOpensTheOverview: services on two ports of one box are not
// a fleet.
func TestOneMachineOpensTheOverview(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	if n := m.s.screen().num; n != ScreenOverview {
		t.Fatalf("one GPU host opened on screen %d", n)
	}
	nm, _ := m.Update(keyMsg("q"))
	if !nm.(Model).s.quitting {
		t.Fatal("q at the overview of one host did not quit")
	}
}

// detailSource is a source that fetches one host's detail on demand: it
// records each ask and emits one point for the host.
type detailSource struct {
	mu    sync.Mutex
	asked []string
}

func (d *detailSource) Name() string { return "detail" }

func (d *detailSource) FetchDetail(ctx context.Context, host string, from, to time.Time, step time.Duration, emit func(sources.Frame)) error {
	d.mu.Lock()
	d.asked = append(d.asked, host)
	d.mu.Unlock()
	if host == "gpu-node-001" {
		return context.DeadlineExceeded
	}
	emit(sources.Frame{At: to, Points: []sources.Point{{Series: sources.NewSeries("detail_marker", sources.Gauge, sources.LabelHost, host), At: to, Value: 1}}})
	return nil
}

func (d *detailSource) hosts() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.asked...)
}

// TestScopeFetchesDetail: scoping asks the query engine (Options.Detail)
// for the host's detail, its frames through the hub, and again only after
// DetailRenew; a failed fetch is said in the status bar.
func TestScopeFetchesDetail(t *testing.T) {
	st := fleetStore(t, 3)
	clock := sources.NewManualClock(fleettest.At)
	hub := sources.NewHub(st, clock)
	src := &detailSource{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go hub.Run(ctx)
	m := New(Options{Store: st, Hub: hub, Detail: src, Clock: clock, Refresh: time.Millisecond})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: fleettest.At})
	m = run(m, append(append(keysOf(":"), typed("host gpu-node-000")...), keyMsg("enter"))...)
	if got := src.hosts(); len(got) != 1 || got[0] != "gpu-node-000" {
		t.Fatalf("asked for %q, want gpu-node-000 once", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(st.Select("detail_marker")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the detail's frame never reached the store")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A tick soon after does not ask again; one DetailRenew later does.
	m = run(m, tickMsg{at: fleettest.At.Add(time.Minute)})
	if n := len(src.hosts()); n != 1 {
		t.Fatalf("asked %d times a minute on", n)
	}
	m = run(m, tickMsg{at: fleettest.At.Add(DetailRenew + time.Second)})
	if n := len(src.hosts()); n != 2 {
		t.Fatalf("asked %d times after DetailRenew, want 2", n)
	}
	// Another host: asked at once; its failure is said.
	m = run(m, append(append(keysOf(":"), typed("host gpu-node-001")...), keyMsg("enter"))...)
	if got := src.hosts(); got[len(got)-1] != "gpu-node-001" {
		t.Fatalf("asked %q", got)
	}
	if !m.s.msgErr || !strings.Contains(m.s.msg, "gpu-node-001") {
		t.Errorf("a failed detail fetch says %q", m.s.msg)
	}
	// Back to the fleet: nothing more is asked.
	n := len(src.hosts())
	m = run(m, keyMsg("esc"), tickMsg{at: fleettest.At.Add(2 * DetailRenew)})
	if len(src.hosts()) != n {
		t.Errorf("asked again after leaving the scope")
	}
}

var _ sources.DetailFetcher = (*detailSource)(nil)

// TestScopeFilterOfPanes: pane.Env.InScope.
func TestScopeFilterOfPanes(t *testing.T) {
	e := pane.Env{}
	if !e.InScope("a") {
		t.Error("no scope keeps every host")
	}
	e.Scope = "a"
	if !e.InScope("a") || e.InScope("b") {
		t.Error("scope a")
	}
}

// TestGoldenFleet: the whole console on the fleet screen, and scoped to a
// host.
func TestGoldenFleet(t *testing.T) {
	cases := []struct {
		name  string
		hosts int
		w, h  int
		msgs  []tea.Msg
	}{
		{"fleet_100_80x24", 100, 80, 24, nil},
		{"fleet_100_120x40", 100, 120, 40, nil},
		{"fleet_100_200x50", 100, 200, 50, nil},
		{"fleet_1000_200x50", 1000, 200, 50, nil},
		{"fleet_100_20x5", 100, 20, 5, nil},
		{"fleet_help_120x40", 100, 120, 40, keysOf("?")},
		{"fleet_by_namespace_120x40", 100, 120, 40, keysOf("o")},
		{"scoped_100_overview_120x40", 100, 120, 40, keysOf("enter")},
		{"scoped_3_120x40", 3, 120, 40, keysOf("enter")},
		{"scoped_3_gpus_80x24", 3, 80, 24, keysOf("enter", "2")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := fleetConsole(t, c.hosts, c.w, c.h)
			m = run(m, c.msgs...)
			m.s.setMessage("", false)
			m = drive(m, tickMsg{at: fleettest.At})
			v := m.View()
			checkFrame(t, c.name, v, c.w, c.h)
			checkGolden(t, c.name, v)
		})
	}
}

// TestFleetResizeStorm: the fleet screen and a scoped console keep every
// frame whole at any size, down to 20x5 and below, whatever keys come.
func TestFleetResizeStorm(t *testing.T) {
	m := fleetConsole(t, 100, 120, 40)
	rng := rand.New(rand.NewSource(13))
	sizes := [][2]int{{20, 5}, {0, 0}, {1, 1}, {20, 5}, {39, 10}, {40, 10}, {80, 24}, {200, 50}, {2, 300}, {300, 2}}
	for range 150 {
		sizes = append(sizes, [2]int{rng.Intn(240), rng.Intn(80)})
	}
	keys := []string{"F", "j", "l", "G", "enter", "2", "esc", "o", "tab", "enter", "esc", "esc", "pgdown", "g", "?", "esc", "O", "/", "esc"}
	for i, sz := range sizes {
		m = run(m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]}, keyMsg(keys[i%len(keys)]))
		v := m.View()
		if sz[0] == 0 || sz[1] == 0 {
			continue
		}
		checkFrame(t, fmt.Sprintf("%dx%d after %q", sz[0], sz[1], keys[i%len(keys)]), v, sz[0], sz[1])
		if t.Failed() {
			t.FailNow()
		}
	}
}

// BenchmarkFleetConsole is the console's refresh on the fleet screen of
// 1,000 simulated hosts at 200x50, the frame drawn: after a poll (the
// store changed: the root's evaluation — view.Evaluate, view.Hosts, the
// machines count — and the fleet pane's) and on a tick between polls (the
// live instant moved, the store did not: the figures are aged, not
// evaluated again, until a sample leaves a window).
func BenchmarkFleetConsole(b *testing.B) { benchFleetConsole(b, 1000) }

// BenchmarkFleet5000Console is BenchmarkFleetConsole at 5,000 hosts (its
// store takes a minute and about 2 GB to build: run it on its own).
func BenchmarkFleet5000Console(b *testing.B) { benchFleetConsole(b, 5000) }

func benchFleetConsole(b *testing.B, hosts int) {
	st := fleetStore(b, hosts)
	for _, poll := range []bool{true, false} {
		name := "tick"
		if poll {
			name = "poll"
		}
		b.Run(name, func(b *testing.B) {
			m := New(Options{Store: st, Clock: sources.NewManualClock(fleettest.At)})
			m = drive(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: fleettest.At})
			if m.s.screen().num != ScreenFleet {
				b.Fatal("not on the fleet")
			}
			b.ReportAllocs()
			b.ResetTimer()
			done := reportCPU(b)
			for i := range b.N {
				at := fleettest.At.Add(time.Duration(i+1) * time.Second)
				if poll {
					st.Ingest(sources.Frame{At: at}) // the store changes
				}
				m = drive(m, tickMsg{at: at})
				if len(m.View()) == 0 {
					b.Fatal("empty view")
				}
			}
			done()
		})
	}
}
