package gpupane

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/nvml"
	"github.com/vigil-dev/vigil/sources/nvml/nvmlmock"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
)

// TestFromCollector drives the pane from the real collector over simulated
// GPUs: mock → collector → hub → store → view → pane.
func TestFromCollector(t *testing.T) {
	var xid atomic.Uint64
	m := nvmlmock.New(8, func(i int) nvmlmock.GPUState {
		s := nvmlmock.GPUState{Util: float64(i) / 8, MemUtil: 0.2, MemUsedBytes: uint64(8*i) << 30, Temp: 50 + float64(4*i), MemTemp: 60,
			PowerW: 200 + 50*float64(i), PowerLimitW: 700, SMClockMHz: 1980, MemClockMHz: 2619, Fan: -1,
			Procs: []nvmlmock.Proc{{PID: uint32(1000 + i), UsedBytes: 4 << 30, SMUtil: 50}}}
		if i == 6 {
			s.Throttle = 0x40 | 0x4
		}
		if i == 2 {
			s.XID = xid.Load()
		}
		return s
	})
	clk := sources.NewManualClock(t0)
	c := nvml.New(nvml.Options{Lib: m, Host: "dgx", Clock: clk, ProcRoot: t.TempDir()})
	defer c.Close()
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, clk)
	hub.Add(c)
	for s := 0; s < 10; s++ {
		clk.Set(t0.Add(time.Duration(s) * time.Second))
		hub.PollOnce(context.Background())
	}
	xid.Store(79)
	m.Kick()
	deadline := time.Now().Add(10 * time.Second)
	now := clk.Now()
	for len(st.Events(t0, now.Add(time.Hour), 10)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no XID event reached the store")
		}
		now = now.Add(time.Second)
		clk.Set(now)
		hub.PollOnce(context.Background())
	}
	env := pane.Env{Store: st, Now: now, Zoom: time.Minute, Mode: "LIVE", Overview: view.Evaluate(st, now, view.Options{})}
	p := New(Options{Inspector: c})
	p.SetSize(78, 22)
	p.Refresh(env)
	v := p.View()
	panetest.CheckSize(t, v, 78, 22)
	if testing.Verbose() {
		t.Logf("\n%s", v)
	}
	for _, want := range []string{"8 GPUs", "HW-THERM", "XID79", "700W"} {
		if !strings.Contains(v, want) {
			t.Fatalf("list lacks %q:\n%s", want, v)
		}
	}
	p.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}})
	p.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'j'}})
	p.HandleKey(tea.KeyMsg{Type: tea.KeyEnter})
	v = p.View()
	if testing.Verbose() {
		t.Logf("\n%s", v)
	}
	for _, want := range []string{"GPU 2", "bus 0000:02:00.0", "driver 550.54.15", "XID 79 GPU fell off the bus", "1002", "demo", "process 1002"} {
		if !strings.Contains(v, want) {
			t.Fatalf("detail lacks %q:\n%s", want, v)
		}
	}
}
