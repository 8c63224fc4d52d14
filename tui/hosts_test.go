package tui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/prom"
	"github.com/vigil-dev/vigil/sources/promql/promtest"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// addHosts adds node-exporter-like host series for hosts to st, every 5 s
// over the fixture's span: 8 CPUs each, a load, memory, two filesystems,
// one network device, and a boot time.
func addHosts(st *sources.Store, hosts []string, end time.Time) {
	var idle, user, rx, tx [8]float64
	for at := end.Add(-fixtureSpan); !at.After(end); at = at.Add(5 * time.Second) {
		min := at.Sub(end.Add(-fixtureSpan)).Minutes()
		f := sources.Frame{Source: "scrape node", At: at}
		for hi, h := range hosts {
			busy := 0.2 + 0.15*float64(hi)
			if hi == 0 && min >= 12 && min < 15 {
				busy = 0.97 // the spike's host runs hot
			}
			idle[hi] += 8 * 5 * (1 - busy)
			user[hi] += 8 * 5 * busy
			rx[hi] += 5 * 12e6 * float64(hi+1)
			tx[hi] += 5 * 3e6
			p := func(name string, kind sources.Kind, v float64, kv ...string) {
				f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(name, kind, append([]string{sources.LabelHost, h}, kv...)...), At: at, Value: v})
			}
			for c := 0; c < 8; c++ {
				cpu := string(rune('0' + c))
				p(sources.HostCPUSeconds, sources.Counter, idle[hi]/8, "cpu", cpu, "mode", "idle")
				p(sources.HostCPUSeconds, sources.Counter, user[hi]/8, "cpu", cpu, "mode", "user")
			}
			p(sources.HostLoad1, sources.Gauge, 8*busy)
			p(sources.HostMemTotal, sources.Gauge, 256<<30)
			p(sources.HostMemAvailable, sources.Gauge, float64(256<<30)*(0.6-0.2*float64(hi)))
			p(sources.HostFSSize, sources.Gauge, 100<<30, "mountpoint", "/")
			p(sources.HostFSAvail, sources.Gauge, float64(100<<30)*0.55, "mountpoint", "/")
			p(sources.HostFSSize, sources.Gauge, 2<<40, "mountpoint", "/data")
			p(sources.HostFSAvail, sources.Gauge, float64(2<<40)*(0.3-0.1*float64(hi)), "mountpoint", "/data")
			p(sources.HostNetRx, sources.Counter, rx[hi], "device", "eth0")
			p(sources.HostNetTx, sources.Counter, tx[hi], "device", "eth0")
			p(sources.HostBootTime, sources.Gauge, float64(end.Add(-(50*time.Hour + time.Duration(hi)*time.Hour)).Unix()))
			p(sources.HostTime, sources.Gauge, float64(at.Unix()))
		}
		st.Ingest(f)
	}
}

// hostFixture is the usual fixture plus three hosts' figures.
func hostFixture() (*sources.Store, time.Time) {
	st, _, end := buildFixture()
	addHosts(st, []string{"gpu-node-1", "api-1", "api-2"}, end)
	return st, end
}

// TestGoldenHosts pins the host rows: a strip under the overview and the
// GPU screen, one row per host, and a host's detail.
func TestGoldenHosts(t *testing.T) {
	st, end := hostFixture()
	_, mon, _ := fixtureStore()
	cases := []struct {
		name string
		w, h int
		msgs []tea.Msg
	}{
		// Three machines: the console opens on the fleet; 1 is the overview.
		{"hosts_overview_120x40", 120, 40, keysOf("1")},
		{"hosts_overview_200x50", 200, 50, keysOf("1")},
		{"hosts_overview_80x24", 80, 24, keysOf("1")},
		{"hosts_gpus_120x40", 120, 40, keysOf("2")},
		{"hosts_detail_120x40", 120, 40, keysOf("2", "tab", "j", "enter")},
		{"hosts_cursor_spike_120x40", 120, 40, append(append(keysOf("1", ":"), typed("at 14:14")...), append(keysOf("enter", "i"), keysOf("left", "left", "left", "left")...)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon})
			m = drive(m, tea.WindowSizeMsg{Width: c.w, Height: c.h}, tickMsg{at: end})
			m = drive(m, c.msgs...)
			v := m.View()
			checkFrame(t, c.name, v, c.w, c.h)
			checkGolden(t, c.name, v)
		})
	}
}

// TestHostRowsAreTheHostsFigures: every host has its row, naming it, with
// the figures view.Hosts gives at the instant shown.
func TestHostRowsAreTheHostsFigures(t *testing.T) {
	st, end := hostFixture()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end)})
	m = drive(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: end}, keyMsg("2"))
	v := m.View()
	for _, h := range view.Hosts(st, end, view.Options{}) {
		row := ""
		for _, l := range strings.Split(v, "\n") {
			if strings.Contains(l, h.Host+" ") && strings.Contains(l, "cpu") {
				row = l
			}
		}
		for _, want := range []string{"cpu " + styles.Percent(h.CPUBusy.V), "mem " + styles.Percent(h.MemUsedRatio.V),
			styles.Bytes(h.NetRx.V) + "/s", "up " + styles.Duration(h.Uptime.V)} {
			if !strings.Contains(strings.Join(strings.Fields(row), " "), want) {
				t.Errorf("%s: want %q in %q", h.Host, want, row)
			}
		}
	}
}

// TestNodeExporterOnly scrapes a real node-exporter (Debian's
// prometheus-node-exporter) and nothing else: the overview and the GPU
// screen show the host's row with its figures, and no pane that waits for
// what this run does not watch (services, GPUs, request counters).
func TestNodeExporterOnly(t *testing.T) {
	addr := promtest.NodeExporter(t)
	st := sources.NewStore(sources.StoreOptions{})
	sc := prom.NewScraper(prom.ScrapeConfig{URL: "http://" + addr + "/metrics"})
	ctx := context.Background()
	var hs []view.Host
	promtest.Eventually(t, 20*time.Second, "two scrapes with CPU time between them", func() bool {
		f, err := sc.Poll(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st.Ingest(f)
		hs = view.Hosts(st, f.At, view.Options{})
		return len(hs) == 1 && hs[0].CPUBusy.OK
	})
	at := st.Newest()
	m := New(Options{Store: st, Clock: sources.NewManualClock(at)})
	for _, sz := range sizes {
		m = drive(m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]}, tickMsg{at: at}, keyMsg("1"))
		for _, screen := range []string{"1", "2"} {
			v := drive(m, keyMsg(screen)).View()
			for _, bad := range []string{"no services yet", "NVIDIA driver", "no request counters", "no drift"} {
				if strings.Contains(v, bad) {
					t.Errorf("%dx%d screen %s says %q:\n%s", sz[0], sz[1], screen, bad, v)
				}
			}
			h := view.Hosts(st, at, view.Options{})[0]
			for _, want := range []string{"Hosts", "cpu", styles.Percent(h.CPUBusy.V), "mem", styles.Percent(h.MemUsedRatio.V)} {
				if !strings.Contains(v, want) {
					t.Errorf("%dx%d screen %s lacks %q:\n%s", sz[0], sz[1], screen, want, v)
				}
			}
		}
	}
}

// TestOnlyLogs: a run with only a log source shows the logs on the
// overview, not four panes waiting for services, GPUs and drift; the drift
// screen says how to configure drift features (it said they come from
// --log, while --log was given).
func TestOnlyLogs(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	st.Ingest(sources.Frame{Source: "file app.log", At: at, Logs: []sources.LogRecord{{At: at, Msg: "started"}}})
	lp := &logsPane{}
	m := New(Options{Store: st, Clock: sources.NewManualClock(at), Screens: map[int]pane.Pane{ScreenLogs: lp}})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: at})
	if ps := m.s.screen().panes; len(ps) != 1 || ps[0] != pane.Pane(lp) {
		t.Fatalf("overview panes: %v", titles(ps))
	}
	v := drive(m, keyMsg("5")).View()
	if !strings.Contains(v, "no drift features configured") || strings.Contains(v, "--log") {
		t.Fatalf("drift screen:\n%s", v)
	}
}

func titles(ps []pane.Pane) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Title())
	}
	return out
}
