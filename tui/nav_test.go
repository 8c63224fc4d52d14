package tui

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"
)

// run feeds msgs and also runs any command that answers at once with a
// JumpMsg (jumps are the only immediate messages the tests follow).
func step(t *testing.T, m Model, msg tea.Msg) (Model, tea.Cmd) {
	t.Helper()
	nm, cmd := m.Update(msg)
	return nm.(Model), cmd
}

func follow(t *testing.T, m Model, cmd tea.Cmd) Model {
	t.Helper()
	if cmd == nil {
		return m
	}
	msg := cmd()
	if j, ok := msg.(pane.JumpMsg); ok {
		m, _ = step(t, m, j)
	}
	return m
}

func TestScreensAndQuit(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	for n := 1; n <= 7; n++ {
		m = drive(m, keyMsg(string(rune('0'+n))))
		if got := m.s.screen().num; got != n {
			t.Fatalf("key %d → screen %d", n, got)
		}
	}
	m = drive(m, keyMsg("q"))
	if m.s.screen().num != ScreenOverview || m.s.quitting {
		t.Fatalf("q on screen 7 should go back to the overview")
	}
	_, cmd := step(t, m, keyMsg("q"))
	if cmd == nil || !m.s.quitting {
		t.Fatalf("q on the overview should quit")
	}
	m2 := fixtureModel(t, 80, 24)
	m2 = drive(m2, keyMsg("3"))
	if _, cmd := step(t, m2, keyMsg("ctrl+c")); cmd == nil || !m2.s.quitting {
		t.Fatalf("ctrl+c should quit from any screen")
	}
}

func TestFocusAndMaximise(t *testing.T) {
	m := fixtureModel(t, 200, 50)
	sc := m.s.screen()
	m = drive(m, keyMsg("tab"))
	if sc.focus != 1 {
		t.Fatalf("tab → focus %d", sc.focus)
	}
	m = drive(m, keyMsg("shift+tab"), keyMsg("shift+down"))
	if sc.focus != 2 {
		t.Fatalf("shift+down from latency → %d, want errors (2)", sc.focus)
	}
	m = drive(m, keyMsg("shift+right"))
	if sc.focus != 3 {
		t.Fatalf("shift+right from errors → %d, want drift (3)", sc.focus)
	}
	m = drive(m, keyMsg("f"))
	if m.s.plan.Panes[3] != m.s.plan.Content || !m.s.plan.Panes[0].Empty() {
		t.Fatalf("f did not maximise: %+v", m.s.plan.Panes)
	}
	if !strings.Contains(m.View(), "Drift (maximised)") {
		t.Fatalf("maximised title missing")
	}
	m = drive(m, keyMsg("esc"))
	if sc.max {
		t.Fatalf("esc did not restore")
	}
}

func TestPauseFreezesEveryPane(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	end := m.s.t.Now
	m = drive(m, keyMsg("p"))
	if m.s.mode() != "PAUSED" {
		t.Fatalf("mode %s", m.s.mode())
	}
	m = drive(m, tickMsg{at: end.Add(30 * time.Second)})
	if !m.s.env.Now.Equal(end) {
		t.Fatalf("paused env moved to %v", m.s.env.Now)
	}
	if !strings.Contains(m.View(), "PAUSED") {
		t.Fatalf("status bar does not say PAUSED")
	}
	m = drive(m, keyMsg("p"))
	if m.s.mode() != "LIVE" || !m.s.env.Now.Equal(end.Add(30*time.Second)) {
		t.Fatalf("resume: mode %s now %v", m.s.mode(), m.s.env.Now)
	}
}

func TestZoomAndPan(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	end := m.s.t.Now
	m = drive(m, keyMsg("+"))
	if m.s.t.Zoom != 10*time.Minute || m.s.env.Zoom != 10*time.Minute {
		t.Fatalf("zoom in: %v", m.s.t.Zoom)
	}
	m = drive(m, keysOf("-", "-", "-", "-", "-", "-")...)
	if m.s.t.Zoom != time.Hour {
		t.Fatalf("zoom out capped at retention: %v", m.s.t.Zoom)
	}
	if !strings.Contains(m.s.msg, "limit") {
		t.Fatalf("no message at the zoom limit: %q", m.s.msg)
	}
	m = drive(m, keysOf("+", "+", "+")...) // 1h → 30m → 15m → 10m
	if m.s.t.Zoom != 10*time.Minute {
		t.Fatalf("zoom back: %v", m.s.t.Zoom)
	}
	m = drive(m, keyMsg("["))
	if !m.s.t.Paused || !m.s.env.Now.Equal(end.Add(-5*time.Minute)) {
		t.Fatalf("pan back: paused %v at %v", m.s.t.Paused, m.s.env.Now)
	}
	m = drive(m, keyMsg("]"))
	if m.s.t.Paused || !m.s.env.Now.Equal(end) {
		t.Fatalf("pan forward to the live edge should resume: paused %v at %v", m.s.t.Paused, m.s.env.Now)
	}
}

func TestCursorAroundThisMoment(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	end := m.s.t.Now
	m = drive(m, keyMsg("i"))
	if !m.s.env.Cursor.Equal(end) {
		t.Fatalf("cursor at %v, want %v", m.s.env.Cursor, end)
	}
	m = drive(m, keyMsg("left"), keyMsg("left"))
	want := end.Add(-30 * time.Second) // 15m / 60 steps = 15 s
	if !m.s.env.Cursor.Equal(want) {
		t.Fatalf("cursor after ←← at %v, want %v", m.s.env.Cursor, want)
	}
	if !strings.Contains(m.View(), "@"+want.Format("15:04:05")) {
		t.Fatalf("panes do not show the cursor time")
	}
	m, cmd := step(t, m, keyMsg("enter"))
	if cmd == nil {
		t.Fatal("enter with the cursor on gave no command")
	}
	j, ok := cmd().(pane.JumpMsg)
	if !ok || j.Target != pane.TargetLogs || !j.From.Before(want) || !j.To.After(want) {
		t.Fatalf("enter → %+v", j)
	}
	m, _ = step(t, m, j)
	if m.s.screen().num != ScreenLogs || !strings.Contains(m.s.msg, "no source") {
		t.Fatalf("jump to logs: screen %d msg %q", m.s.screen().num, m.s.msg)
	}
	m = drive(m, keyMsg("1"), keyMsg("esc"))
	if !m.s.t.Cursor.IsZero() {
		t.Fatalf("esc did not clear the cursor")
	}
	// A CursorMsg outside the window moves the window and pauses.
	m = drive(m, pane.CursorMsg{At: end.Add(-40 * time.Minute)})
	if !m.s.t.Paused || !m.s.env.Cursor.Equal(end.Add(-40*time.Minute)) {
		t.Fatalf("CursorMsg: paused %v cursor %v", m.s.t.Paused, m.s.env.Cursor)
	}
}

func TestHelpPaletteFilterEscChain(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m = drive(m, keyMsg("?"))
	if !m.s.help.Active() || !strings.Contains(m.View(), "Global") {
		t.Fatal("? did not open help")
	}
	m = drive(m, keyMsg("esc"))
	if m.s.help.Active() {
		t.Fatal("esc did not close help")
	}
	// Palette: :range 1h
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("range 1h")...)
	m = drive(m, keyMsg("enter"))
	if m.s.t.Zoom != time.Hour {
		t.Fatalf(":range 1h → %v", m.s.t.Zoom)
	}
	// :svc llama-8b opens the latency detail of that service.
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("svc llama")...)
	m = drive(m, keyMsg("tab"))
	m, cmd := step(t, m, keyMsg("enter"))
	m = follow(t, m, cmd)
	if m.s.screen().num != ScreenLatency || !strings.Contains(m.View(), "Latency › llama-8b") {
		t.Fatalf(":svc did not open the detail; screen %d", m.s.screen().num)
	}
	// Esc chain: drill-down → filter → nothing left.
	m = drive(m, keyMsg("esc"))
	if strings.Contains(m.View(), "Latency › ") {
		t.Fatal("esc did not clear the filter first")
	}
	m = drive(m, keyMsg("1"), keyMsg("/"))
	m = drive(m, typed("recsys")...)
	if !m.s.filter.Active() {
		t.Fatal("/ did not open the filter prompt")
	}
	m = drive(m, keyMsg("enter"))
	v := m.View()
	lat := strings.Split(v, "\n")[1]
	if !strings.Contains(lat, "recsys-api") || strings.Contains(v, "▸ llama-8b") {
		t.Fatalf("filter not applied:\n%s", v)
	}
	if !strings.Contains(v, "/recsys") || !strings.Contains(v, "more") {
		t.Fatalf("filter note or +N more missing:\n%s", v)
	}
	m = drive(m, keyMsg("/"), keyMsg("esc"))
	if m.s.filter.Active() || m.s.screen().focused().(pane.Filterer).Filter() != "recsys" {
		t.Fatal("esc in the prompt should close it and keep the filter")
	}
	m = drive(m, keyMsg("esc"))
	if m.s.screen().focused().(pane.Filterer).Filter() != "" {
		t.Fatal("esc did not clear the filter")
	}
	// Invalid regex reports an error.
	m = drive(m, keyMsg("/"))
	m = drive(m, typed("(")...)
	m = drive(m, keyMsg("enter"))
	if !m.s.msgErr {
		t.Fatalf("bad regex: no error message (%q)", m.s.msg)
	}
	// Unknown palette command.
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("fly")...)
	m = drive(m, keyMsg("enter"))
	if !strings.Contains(m.s.msg, "unknown command") {
		t.Fatalf("unknown command: %q", m.s.msg)
	}
	// :q quits.
	m = drive(m, keyMsg(":"), keyMsg("q"), keyMsg("enter"))
	if !m.s.quitting {
		t.Fatal(":q did not quit")
	}
}

func TestFilterNextMatchAndInvert(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m = drive(m, keyMsg("/"))
	m = drive(m, typed("!embedder")...)
	m = drive(m, keyMsg("enter"))
	v := m.View()
	if strings.Contains(v, "┃  embedder@api-2") || !strings.Contains(v, "┃  recsys-api@api-1") {
		t.Fatalf("inverted filter kept embedder:\n%s", v)
	}
	first := selected(m)
	m = drive(m, keyMsg("n"))
	if selected(m) == first {
		t.Fatal("n did not move the selection")
	}
	m = drive(m, keyMsg("N"))
	if selected(m) != first {
		t.Fatal("N did not move back")
	}
}

func selected(m Model) string {
	j, _ := m.s.screen().focused().(selector).Selection()
	return j.Service
}

func TestKeysRemapped(t *testing.T) {
	st, mon, end := fixtureStore()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Keys: map[string][]string{"help": {"h"}, "maximise": {"z"}}})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	m = drive(m, keyMsg("?"))
	if m.s.help.Active() {
		t.Fatal("? still opens help after remapping")
	}
	m = drive(m, keyMsg("h"))
	if !m.s.help.Active() || !strings.Contains(m.View(), "h       help") {
		t.Fatalf("h should open help showing the effective map:\n%s", m.View())
	}
	m = drive(m, keyMsg("h"), keyMsg("z"))
	if !m.s.screen().max {
		t.Fatal("z did not maximise")
	}
	bad := New(Options{Store: st, Clock: sources.NewManualClock(end), Keys: map[string][]string{"fly": {"x"}}})
	if !bad.s.msgErr || !strings.Contains(bad.s.msg, "fly") {
		t.Fatalf("unknown action not reported: %q", bad.s.msg)
	}
}

func TestMouse(t *testing.T) {
	st, mon, end := fixtureStore()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Mouse: true})
	m = drive(m, tea.WindowSizeMsg{Width: 200, Height: 50}, tickMsg{at: end})
	r := m.s.plan.Panes[2]
	m = drive(m, tea.MouseMsg{X: r.X + 3, Y: r.Y + 2, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.s.screen().focus != 2 {
		t.Fatalf("click did not focus the errors pane: %d", m.s.screen().focus)
	}
	before := selected(m)
	m = drive(m, tea.MouseMsg{X: r.X + 3, Y: r.Y + 2, Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if selected(m) == before {
		t.Fatal("wheel did not scroll")
	}
	// Single mode: a click on the pane list shows that pane.
	m = drive(m, tea.WindowSizeMsg{Width: 60, Height: 20})
	l := m.s.plan.List
	m = drive(m, tea.MouseMsg{X: strings.Index(m.s.paneList(l.W), "Drift") - 2, Y: l.Y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress})
	if m.s.screen().focus != 3 {
		t.Fatalf("click on the pane list: focus %d", m.s.screen().focus)
	}
}

func TestDataCoalescing(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	end := m.s.t.Now
	gen := m.s.envGen
	m = drive(m, dataMsg{at: end.Add(200 * time.Millisecond)})
	if m.s.envGen != gen || !m.s.dirty {
		t.Fatalf("data within the refresh interval refreshed at once")
	}
	m = drive(m, dataMsg{at: end.Add(1200 * time.Millisecond)})
	if m.s.envGen != gen+1 || m.s.dirty {
		t.Fatalf("data after the interval did not refresh")
	}
}

// TestUpdatesOfTheSameKindWait: the hub's updates wake the console only
// when the store holds a kind of data it did not (the tick draws the rest).
func TestUpdatesOfTheSameKindWait(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	g := sources.NewSeries(sources.GPUUtilization, sources.Gauge, "host", "h", "gpu", "0")
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: g, At: at, Value: 0.5}}})
	updates := make(chan struct{}) // unbuffered: each send is received by the waiter
	got := make(chan tea.Msg, 1)
	cmd := waitForUpdate(updates, sources.NewManualClock(at), st, st.Kinds())
	go func() { got <- cmd() }()
	// The deadlines are generous: under -race beside 40 other packages on
	// two cores the waiter's goroutine was once not run for 10 s.
	send := func(i int) {
		t.Helper()
		select {
		case updates <- struct{}{}:
		case m := <-got:
			t.Fatalf("update %d: the waiter returned early: %#v", i, m)
		case <-time.After(60 * time.Second):
			t.Fatalf("update %d: the waiter stopped receiving", i)
		}
	}
	for i := 1; i <= 3; i++ {
		st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: g, At: at.Add(time.Duration(i) * time.Second), Value: 0.6}}})
		send(i)
	}
	select {
	case m := <-got:
		t.Fatalf("more of the same woke the console: %#v", m)
	default:
	}
	h := sources.NewSeries(sources.GPUTemperature, sources.Gauge, "host", "h", "gpu", "0")
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: h, At: at, Value: 50}}})
	send(4)
	select {
	case m := <-got:
		if _, ok := m.(dataMsg); !ok {
			t.Fatalf("got %#v", m)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a new kind of data did not wake the console")
	}
}

func TestResizeStorm(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	rng := rand.New(rand.NewSource(3))
	sizes := [][2]int{{0, 0}, {1, 1}, {20, 5}, {40, 10}, {39, 10}, {80, 24}, {2, 300}, {300, 2}}
	for i := 0; i < 300; i++ {
		sizes = append(sizes, [2]int{rng.Intn(240), rng.Intn(80)})
	}
	keys := []string{"1", "2", "5", "f", "tab", "?", "esc", "i", "left", "3", "enter", "esc"}
	for i, sz := range sizes {
		m = drive(m, tea.WindowSizeMsg{Width: sz[0], Height: sz[1]}, keyMsg(keys[i%len(keys)]))
		v := m.View()
		if sz[0] == 0 || sz[1] == 0 {
			if v != "" {
				t.Fatalf("%v: non-empty view", sz)
			}
			continue
		}
		lines := strings.Split(v, "\n")
		if len(lines) != sz[1] {
			t.Fatalf("%v: %d lines", sz, len(lines))
		}
		for _, l := range lines {
			if w := widthOf(l); w != sz[0] {
				t.Fatalf("%v: line of width %d: %q", sz, w, l)
			}
		}
		if layout.ModeFor(sz[0], sz[1]) == layout.TooSmall && !strings.Contains(v, "small") && sz[0] >= 18 && sz[1] >= 3 {
			t.Fatalf("%v: no too-small notice:\n%s", sz, v)
		}
	}
}

func TestPlaceholderBeforeSize(t *testing.T) {
	st, _, end := fixtureStore()
	m := New(Options{Store: st, Clock: sources.NewManualClock(end)})
	if v := m.View(); !strings.Contains(v, "starting") {
		t.Fatalf("placeholder: %q", v)
	}
	if m.Init() == nil {
		t.Fatal("Init returned no command")
	}
}

// timeline is a fake replay strip that takes the space key.
type timeline struct {
	w, h     int
	spaces   int
	notables int // n/N presses taken
	env      pane.Env
}

func (tl *timeline) Title() string        { return "Timeline" }
func (tl *timeline) SetSize(w, h int)     { tl.w, tl.h = w, h }
func (tl *timeline) Refresh(env pane.Env) { tl.env = env }
func (tl *timeline) View() string         { return "▶ replay " + tl.env.Now.Format("15:04:05") }
func (tl *timeline) Keys() []key.Binding {
	return []key.Binding{key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "play/pause"))}
}
func (tl *timeline) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	switch msg.String() {
	case " ":
		tl.spaces++
		return true, nil
	case "n", "N":
		tl.notables++
		return true, nil
	}
	return false, nil
}

// TestReplayNextMatchWithFilter: in replay n/N go to the timeline (next
// alert or marker), except while the focused pane has a filter, when they
// move between its matches as they do live.
func TestReplayNextMatchWithFilter(t *testing.T) {
	st, mon, end := fixtureStore()
	tl := &timeline{}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Timeline: tl})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end}, keyMsg("3"), keyMsg("n"))
	if tl.notables != 1 {
		t.Fatal("without a filter, n did not go to the timeline")
	}
	m = drive(m, keyMsg("/"))
	m = drive(m, typed("!embedder")...)
	m = drive(m, keyMsg("enter"))
	first := selected(m)
	m = drive(m, keyMsg("n"))
	if tl.notables != 1 || selected(m) == first {
		t.Fatalf("with a filter, n went to the timeline (%d) or did not move the selection", tl.notables)
	}
	m = drive(m, keyMsg("N"))
	if selected(m) != first {
		t.Fatal("N did not move back")
	}
}

func TestTimelineReplay(t *testing.T) {
	st, mon, end := fixtureStore()
	tl := &timeline{}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Timeline: tl})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end}, keyMsg(" "))
	if tl.spaces != 1 {
		t.Fatal("the timeline did not get the space key")
	}
	v := m.View()
	if !strings.Contains(v, "REPLAY") || !strings.Contains(v, "▶ replay 14:20:00") {
		t.Fatalf("replay strip or mode missing:\n%s", v)
	}
	if tl.h != 2 || tl.w != 120 {
		t.Fatalf("timeline size %dx%d", tl.w, tl.h)
	}
}

func TestCopySelection(t *testing.T) {
	st, mon, end := fixtureStore()
	var clip strings.Builder
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Clipboard: &clip})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	m, cmd := step(t, m, keyMsg("y"))
	if cmd == nil {
		t.Fatal("y gave no command")
	}
	msg := cmd().(pane.StatusMsg)
	want := "\x1b]52;c;" + "bGxhbWEtOGI=" + "\a" // base64("llama-8b")
	if clip.String() != want || !strings.Contains(msg.Text, "llama-8b") {
		t.Fatalf("clipboard %q, message %q", clip.String(), msg.Text)
	}
}

// logsPane is a fake screen-6 pane that records what the root hands it.
type logsPane struct {
	timeline
	filter string
	jumps  []pane.JumpMsg
}

func (l *logsPane) Title() string { return "Logs" }
func (l *logsPane) SetFilter(expr string) error {
	l.filter = expr
	return nil
}
func (l *logsPane) Filter() string { return l.filter }
func (l *logsPane) NextMatch(bool) {}
func (l *logsPane) Jump(j pane.JumpMsg) tea.Cmd {
	l.jumps = append(l.jumps, j)
	return nil
}

func TestScreensFromOptions(t *testing.T) {
	st, mon, end := fixtureStore()
	lp := &logsPane{}
	m := New(Options{Store: st, Clock: sources.NewManualClock(end), Drift: mon, Screens: map[int]pane.Pane{ScreenLogs: lp}})
	m = drive(m, tea.WindowSizeMsg{Width: 120, Height: 40}, tickMsg{at: end})
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("logs level>=warn")...)
	m = drive(m, keyMsg("enter"))
	if m.s.screen().num != ScreenLogs || lp.filter != "level>=warn" {
		t.Fatalf(":logs: screen %d filter %q", m.s.screen().num, lp.filter)
	}
	if lp.w != 118 || lp.h != 36 { // 40 rows less status, alerts strip and borders
		t.Fatalf("logs pane size %dx%d", lp.w, lp.h)
	}
	// L on the latency pane jumps to the logs of the selected service.
	m = drive(m, keyMsg("1"))
	m, cmd := step(t, m, keyMsg("L"))
	m = follow(t, m, cmd)
	if len(lp.jumps) != 1 || lp.jumps[0].Service != "llama-8b" || lp.jumps[0].Target != pane.TargetLogs || !lp.jumps[0].To.Equal(end) {
		t.Fatalf("L jump: %+v", lp.jumps)
	}
	if m.s.screen().num != ScreenLogs {
		t.Fatalf("L did not switch to the logs screen")
	}
}

func TestReplayClockGoesBack(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	end := m.s.t.Now
	m = drive(m, tickMsg{at: end.Add(-10 * time.Minute)})
	if !m.s.env.Now.Equal(end.Add(-10 * time.Minute)) {
		t.Fatalf("a clock that went back (replay seek) was not followed: %v", m.s.env.Now)
	}
}

func TestFiringAlerts(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ev := func(min int, name, state string, sev sources.Severity) sources.Event {
		return sources.Event{At: at.Add(time.Duration(min) * time.Minute), Kind: "alert", Severity: sev, Text: name + " text",
			Labels: []sources.Label{{Name: "alertname", Value: name}, {Name: "state", Value: state}}}
	}
	st.Ingest(sources.Frame{At: at, Events: []sources.Event{
		ev(0, "A", "firing", sources.SevWarning), ev(1, "B", "firing", sources.SevCritical), ev(2, "A", "resolved", sources.SevWarning),
		ev(3, "C", "firing", sources.SevWarning), {At: at, Kind: "xid", Text: "xid 79"},
	}})
	got := firingAlerts(st, at.Add(5*time.Minute))
	if len(got) != 2 || got[0].Name != "B" || got[0].Severity != sources.SevCritical || got[1].Name != "C" {
		t.Fatalf("firing alerts: %+v", got)
	}
	// Paused before A resolved, A still fires.
	if got := firingAlerts(st, at.Add(90*time.Second)); len(got) != 2 || got[1].Name != "A" || got[1].Text != "A text" {
		t.Fatalf("at 12:01:30: %+v", got)
	}
}

func TestPaletteAt(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("at 14:05")...)
	m = drive(m, keyMsg("enter"))
	if !m.s.t.Paused || !m.s.env.Now.Equal(time.Date(2026, 3, 1, 14, 5, 0, 0, time.UTC)) {
		t.Fatalf(":at 14:05 → paused %v at %v", m.s.t.Paused, m.s.env.Now)
	}
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("at -2m")...)
	m = drive(m, keyMsg("enter"))
	if !m.s.env.Now.Equal(time.Date(2026, 3, 1, 14, 18, 0, 0, time.UTC)) {
		t.Fatalf(":at -2m → %v", m.s.env.Now)
	}
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("at 14:30")...) // later than now: yesterday
	m = drive(m, keyMsg("enter"))
	if !m.s.env.Now.Equal(time.Date(2026, 2, 28, 14, 30, 0, 0, time.UTC)) {
		t.Fatalf(":at 14:30 → %v", m.s.env.Now)
	}
	m = drive(m, keyMsg(":"))
	m = drive(m, typed("at noon")...)
	m = drive(m, keyMsg("enter"))
	if !m.s.msgErr {
		t.Fatal("bad instant accepted")
	}
}

// TestKeyBurstIsSeveralKeys: Bubble Tea v1 delivers keys typed in a burst as
// one message with several runes; each must act as its own key press.
func TestKeyBurstIsSeveralKeys(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("52")})
	if got := m.s.screen().num; got != ScreenGPUs {
		t.Fatalf("burst \"52\" → screen %d, want 2 (5 then 2)", got)
	}
	// A paste is text, not keys.
	m = drive(m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("34"), Paste: true})
	if got := m.s.screen().num; got != ScreenGPUs {
		t.Fatalf("a paste switched screens to %d", got)
	}
}

// TestAlertStripKeepsAlertsApart: the same rule firing on two GPUs is two
// alerts in the strip, not one overwriting the other.
func TestAlertStripKeepsAlertsApart(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ev := func(gpu string) sources.Event {
		return sources.Event{At: at, Kind: "alert", Severity: sources.SevWarning, Text: "GPU " + gpu + " hot",
			Labels: []sources.Label{{Name: "alertname", Value: "GPUTemperatureHigh"}, {Name: "gpu", Value: gpu}, {Name: "state", Value: "firing"}}}
	}
	st.Ingest(sources.Frame{Events: []sources.Event{ev("0"), ev("3")}})
	got := firingAlerts(st, at.Add(time.Second))
	if len(got) != 2 {
		t.Fatalf("want two firing alerts, got %+v", got)
	}
}

// TestNoticeRidesOneFrame: a terminal notice (BEL, OSC 9) goes out with the
// next frame and is gone at the first tick 200 ms later, so it rings once.
func TestNoticeRidesOneFrame(t *testing.T) {
	m := fixtureModel(t, 120, 40)
	at := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m = drive(m, noticeMsg{seq: "\a\x1b]9;vigil: ErrorRateHigh\x1b\\", at: at})
	if v := m.View(); !strings.Contains(v, "\a\x1b]9;vigil: ErrorRateHigh") {
		t.Fatal("the notice is not in the next frame")
	}
	m = drive(m, tickMsg{at: at.Add(100 * time.Millisecond)})
	if !strings.Contains(m.View(), "\x1b]9;") {
		t.Fatal("the notice left before the renderer could write it")
	}
	m = drive(m, tickMsg{at: at.Add(time.Second)})
	if strings.Contains(m.View(), "\x1b]9;") || strings.Contains(m.View(), "\a") {
		t.Fatal("the notice stays: it would ring again")
	}
}
