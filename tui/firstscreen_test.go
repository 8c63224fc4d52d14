package tui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
)

// spanTimeline is a replay strip over a recording of a known span.
type spanTimeline struct {
	timeline
	from, to time.Time
}

func (s *spanTimeline) Span() (time.Time, time.Time) { return s.from, s.to }

// TestWindowFittedToTheRecording: replay opens with the window fitted to
// the recording (a 66 s recording in a 15-minute window put all its data in
// the last two columns), and :range beyond the data held says so.
func TestWindowFittedToTheRecording(t *testing.T) {
	st, mon, end := fixtureStore()
	tl := &spanTimeline{from: end.Add(-66 * time.Second), to: end}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Timeline: tl})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	if m.s.t.Zoom != 70*time.Second {
		t.Fatalf("window %v, want 1m10s", m.s.t.Zoom)
	}
	if !strings.Contains(m.View(), "REPLAY  1m10s") {
		t.Fatalf("status bar does not show the fitted window:\n%s", m.View())
	}
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("range 15m")...)
	m = drive(m, keyMsg("enter"))
	if m.s.t.Zoom != 15*time.Minute || !strings.Contains(m.s.msg, "the data held spans 1m06s") {
		t.Fatalf(":range 15m → %v, %q", m.s.t.Zoom, m.s.msg)
	}
}

// TestFitWindowToTheStore: query mode opens with the window fitted to the
// history the store holds, and follows the data until a zoom.
func TestFitWindowToTheStore(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	m := New(Options{Store: st, Clock: sources.NewManualClock(at), FitWindow: true})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: at})
	if m.s.t.Zoom != DefaultWindow {
		t.Fatalf("fitted before any data: %v", m.s.t.Zoom)
	}
	g := sources.NewSeries(sources.SvcQueueDepth, sources.Gauge, "service", "api")
	for s := 0; s <= 180; s += 15 {
		ts := at.Add(time.Duration(s-180) * time.Second)
		st.Ingest(sources.Frame{At: ts, Points: []sources.Point{{Series: g, At: ts, Value: 1}}})
	}
	m = drive(m, tickMsg{at: at.Add(time.Second)})
	if m.s.t.Zoom != 3*time.Minute {
		t.Fatalf("window %v, want 3m", m.s.t.Zoom)
	}
	for s := 195; s <= 240; s += 15 {
		ts := at.Add(time.Duration(s-180) * time.Second)
		st.Ingest(sources.Frame{At: ts, Points: []sources.Point{{Series: g, At: ts, Value: 1}}})
	}
	m = drive(m, tickMsg{at: at.Add(time.Minute)})
	if m.s.t.Zoom != 4*time.Minute {
		t.Fatalf("the window did not follow the data: %v, want 4m", m.s.t.Zoom)
	}
	m = drive(m, keyMsg("+"), tickMsg{at: at.Add(62 * time.Second)})
	if m.s.t.Zoom != 2*time.Minute {
		t.Fatalf("a zoom after the fit was undone: %v", m.s.t.Zoom)
	}
}

// TestNewKindOfDataDrawsAtOnce: data of a kind the store did not hold (a
// source's first frames) refreshes at once, without waiting for the
// refresh tick; more of the same waits for it.
func TestNewKindOfDataDrawsAtOnce(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	m := New(Options{Store: st, Clock: sources.NewManualClock(at)})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: at})
	gen := m.s.envGen
	g := sources.NewSeries(sources.GPUUtilization, sources.Gauge, "host", "h", "gpu", "0", "uuid", "GPU-0")
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: g, At: at, Value: 0.5}}})
	m = drive(m, dataMsg{at: at.Add(40 * time.Millisecond)})
	if m.s.envGen != gen+1 || !strings.Contains(m.View(), "1 GPU") {
		t.Fatalf("the first GPU frame waited for the tick:\n%s", m.View())
	}
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: g, At: at.Add(time.Second), Value: 0.6}}})
	m = drive(m, dataMsg{at: at.Add(80 * time.Millisecond)})
	if m.s.envGen != gen+1 {
		t.Fatal("more of the same refreshed before the tick")
	}
}

// TestCompositionKeepsTheFirstPaneFocused: panes join the overview as
// their data arrives; the focus stays on the first pane (it moved to the
// drift pane, the only one before the first scrape).
func TestCompositionKeepsTheFirstPaneFocused(t *testing.T) {
	full, mon, end := fixtureStore()
	st := sources.NewStore(sources.StoreOptions{Retention: time.Hour})
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	if got := titles(m.s.screen().panes); len(got) != 4 {
		t.Fatalf("before data: %v", got)
	}
	// The last minute of the fixture's request counters and GPUs arrives.
	for _, sv := range []string{sources.SvcRequests, sources.GPUUtilization} {
		for _, ser := range full.Select(sv) {
			for _, smp := range full.Range(ser.Key(), end.Add(-time.Minute), end) {
				st.Ingest(sources.Frame{At: end, Points: []sources.Point{{Series: ser, At: time.Unix(0, smp.T), Value: smp.V}}})
			}
		}
	}
	m = drive(m, tickMsg{at: end.Add(time.Second)})
	if f := m.s.screen().focused(); f.Title() != "Latency" {
		t.Fatalf("focus on %q after the first data; panes %v", f.Title(), titles(m.s.screen().panes))
	}
}

// TestMessagesExpireByTheWallClock: a status message leaves after
// MessageTTL of wall time even when the shown clock stands still (replay
// paused: "filter cleared" stayed for good).
func TestMessagesExpireByTheWallClock(t *testing.T) {
	st, mon, end := fixtureStore()
	wall := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Timeline: &timeline{}})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end, wall: wall})
	m = drive(m, keyMsg("/"))
	m = drive(m, typed("llama")...)
	m = drive(m, keyMsg("enter"), keyMsg("esc"))
	if m.s.msg != "filter cleared" {
		t.Fatalf("message %q", m.s.msg)
	}
	m = drive(m, tickMsg{at: end, wall: wall.Add(MessageTTL - time.Second)})
	if m.s.msg == "" {
		t.Fatal("the message left early")
	}
	m = drive(m, tickMsg{at: end, wall: wall.Add(MessageTTL + time.Second)})
	if m.s.msg != "" || strings.Contains(m.View(), "filter cleared") {
		t.Fatalf("the message stays while the replay clock stands still: %q", m.s.msg)
	}
}

// TestPaletteCompletesArguments: Tab after a command completes its
// argument from what the console shows: services, GPUs, hosts, features.
func TestPaletteCompletesArguments(t *testing.T) {
	st, end := hostFixture()
	_, mon, _ := fixtureStore()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	for _, c := range []struct{ typed, want string }{
		{"sv", "svc embedder"}, {"gpu ", "gpu 0"}, {"host a", "host api-1"}, {"drift p", "drift prompt_len"},
	} {
		m = drive(m, keyMsg(":"))
		m = drive(m, typed(c.typed)...)
		m = drive(m, keyMsg("tab"), keyMsg("tab"))
		if v := m.s.palette.View(120); !strings.Contains(v, c.want) {
			t.Errorf(":%s tab tab: %q, want %q", c.typed, v, c.want)
		}
		m = drive(m, keyMsg("esc"))
	}
}
