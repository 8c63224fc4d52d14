package tracespane

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
)

func TestMain(m *testing.M) { panetest.Main(m) }

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

const chatTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// fixture fills a store with the demo's shape: one failing chat request
// whose decode step ran out of GPU memory, its log lines, a few ordinary
// traces, and an exemplar pointing at the failing one.
func fixture() *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	start := t0.Add(-30 * time.Second)
	sp := func(id, parent, svc, name string, from, to int, status sources.SpanStatus, attrs map[string]string, evs ...sources.SpanEvent) sources.Span {
		return sources.Span{TraceID: chatTrace, SpanID: id, ParentID: parent, Service: svc, Name: name,
			Start: start.Add(ms(from)), End: start.Add(ms(to)), Status: status, Attrs: attrs, Events: evs}
	}
	spans := []sources.Span{
		sp("00f067aa0ba902b7", "", "chat-api", "POST /v1/chat/completions", 0, 1250, sources.SpanError,
			map[string]string{"http.route": "/v1/chat/completions", "http.response.status_code": "500", traces.AttrSpanKind: "server",
				traces.AttrStatusMessage: "upstream failed", "resource.host.name": "gpu-01"}),
		sp("1000000000000001", "00f067aa0ba902b7", "chat-api", "auth", 2, 14, sources.SpanUnset, nil),
		sp("1000000000000002", "00f067aa0ba902b7", "chat-api", "queue", 15, 215, sources.SpanUnset, map[string]string{"queue.depth": "12"}),
		sp("1000000000000003", "00f067aa0ba902b7", "vllm", "generate \x1b]0;owned\x07\x1b[2J", 220, 1240, sources.SpanError,
			map[string]string{"gen_ai.request.model": "llama-3-70b", "gen_ai.usage.input_tokens": "812"}),
		sp("1000000000000004", "1000000000000003", "vllm", "prefill", 225, 380, sources.SpanOK, nil),
		sp("1000000000000005", "1000000000000003", "vllm", "decode", 380, 1238, sources.SpanError,
			map[string]string{traces.AttrStatusMessage: "CUDA out of memory", "gen_ai.usage.output_tokens": "37"},
			sources.SpanEvent{At: start.Add(ms(400)), Name: "first_token", Attrs: map[string]string{"tokens": "1"}},
			sources.SpanEvent{At: start.Add(ms(1230)), Name: "exception", Attrs: map[string]string{"exception.type": "torch.OutOfMemoryError"}}),
	}
	st.Ingest(sources.Frame{Spans: spans})
	for i := 0; i < 4; i++ {
		id := fmt.Sprintf("%032x", 0xa0+i)
		s := t0.Add(time.Duration(-50+i*10) * time.Second)
		st.Ingest(sources.Frame{Spans: []sources.Span{
			{TraceID: id, SpanID: fmt.Sprintf("%016x", 0xb0+i), Service: "chat-api", Name: "POST /v1/chat/completions", Start: s, End: s.Add(ms(180 + 40*i)), Status: sources.SpanOK},
			{TraceID: id, SpanID: fmt.Sprintf("%016x", 0xc0+i), ParentID: fmt.Sprintf("%016x", 0xb0+i), Service: "vllm", Name: "generate", Start: s.Add(ms(5)), End: s.Add(ms(170 + 40*i))},
		}})
	}
	st.Ingest(sources.Frame{Spans: []sources.Span{{TraceID: fmt.Sprintf("%032x", 0xee), SpanID: "00000000000000ee", ParentID: "00000000000000ef",
		Service: "embedder", Name: "embed batch", Start: t0.Add(-5 * time.Second), End: t0.Add(-5*time.Second + ms(40))}}})
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{
		{At: start.Add(ms(3)), Level: sources.LevelInfo, Service: "chat-api", Msg: "request accepted", TraceID: chatTrace, SpanID: "00f067aa0ba902b7"},
		{At: start.Add(ms(1235)), Level: sources.LevelError, Service: "vllm", Msg: "decode failed: CUDA out of memory", TraceID: strings.ToUpper(chatTrace), SpanID: "1000000000000005"},
		{At: start.Add(ms(1251)), Level: sources.LevelWarn, Service: "chat-api", Msg: "returning 500\x1b[31m", TraceID: chatTrace},
		{At: start.Add(ms(1252)), Level: sources.LevelInfo, Service: "chat-api", Msg: "another trace", TraceID: fmt.Sprintf("%032x", 0xa0)},
	}})
	lat := sources.NewSeries(sources.SvcLatency, sources.Gauge, sources.LabelService, "chat-api")
	st.Ingest(sources.Frame{Exemplars: []sources.Exemplar{{Series: lat, At: start.Add(ms(1250)), Value: 1.25, TraceID: chatTrace}}})
	return st
}

func newEnv(st *sources.Store) pane.Env {
	return pane.Env{Store: st, Now: t0, Zoom: 5 * time.Minute, Mode: "LIVE"}
}

// checkSize asserts the view fills w×h cells and carries no terminal
// control characters (trace names come from outside).
func checkSize(t *testing.T, v string, w, h int) {
	t.Helper()
	panetest.CheckSize(t, v, w, h)
	if strings.ContainsAny(v, "\x1b\x07") {
		t.Errorf("view carries control characters: %q", v)
	}
}

func newPane(st *sources.Store, w, h int) *Model {
	m := New(Options{})
	m.SetSize(w, h)
	m.Focus()
	m.Refresh(newEnv(st))
	return m
}

func press(m *Model, keys ...string) tea.Cmd {
	var last tea.Cmd
	for _, k := range keys {
		var msg tea.KeyMsg
		switch k {
		case "enter":
			msg = tea.KeyMsg{Type: tea.KeyEnter}
		case "space":
			msg = tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
		case "down":
			msg = tea.KeyMsg{Type: tea.KeyDown}
		default:
			msg = tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
		}
		_, last = m.HandleKey(msg)
	}
	return last
}

func TestListGoldens(t *testing.T) {
	st := fixture()
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		m := newPane(st, sz[0], sz[1])
		v := m.View()
		checkSize(t, v, sz[0], sz[1])
		panetest.Golden(t, fmt.Sprintf("list_%dx%d", sz[0], sz[1]), v)
	}
}

func openChat(t *testing.T, st *sources.Store, w, h int) *Model {
	t.Helper()
	m := newPane(st, w, h)
	for i, r := range m.rows {
		if r.TraceID == chatTrace {
			m.sel = i
		}
	}
	if cmd := press(m, "enter"); cmd != nil {
		t.Fatalf("a local trace opened with a command")
	}
	if m.mode != modeWaterfall || m.wf == nil || len(m.wf.spans) != 6 {
		t.Fatalf("waterfall not open: %+v", m.wf)
	}
	return m
}

func TestWaterfallGoldens(t *testing.T) {
	st := fixture()
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		m := openChat(t, st, sz[0], sz[1])
		press(m, "e") // the first error span after the root: generate
		v := m.View()
		checkSize(t, v, sz[0], sz[1])
		panetest.Golden(t, fmt.Sprintf("waterfall_%dx%d", sz[0], sz[1]), v)
	}
}

func TestWaterfallTree(t *testing.T) {
	m := openChat(t, fixture(), 120, 40)
	w := m.wf
	var names []string
	for _, vi := range w.vis {
		n := w.nodes[vi]
		names = append(names, fmt.Sprintf("%d:%s", n.depth, clean(w.spans[n.span].Name)))
	}
	want := "0:POST /v1/chat/completions,1:auth,1:queue,1:generate ,2:prefill,2:decode"
	if got := strings.Join(names, ","); got != want {
		t.Errorf("tree %s\nwant %s", got, want)
	}
	// Fold generate (Enter), then its children are hidden; Space unfolds.
	press(m, "down", "down", "down")
	if clean(w.selected().Name) != "generate " {
		t.Fatalf("selected %q", w.selected().Name)
	}
	press(m, "enter")
	if len(w.vis) != 4 || !strings.Contains(m.View(), "generate  (+2)") {
		t.Errorf("after fold: %d visible\n%s", len(w.vis), m.View())
	}
	press(m, "space")
	if len(w.vis) != 6 {
		t.Errorf("after unfold: %d visible", len(w.vis))
	}
	// Folding the root hides everything but it; the selection stays on it.
	press(m, "g", "enter")
	if len(w.vis) != 1 || w.selected().SpanID != "00f067aa0ba902b7" {
		t.Errorf("root fold: %d visible", len(w.vis))
	}
	// e finds the next error span and unfolds what hides it.
	press(m, "e", "e")
	if w.selected().Name != "decode" || len(w.vis) != 6 {
		t.Errorf("e → %q, %d visible", w.selected().Name, len(w.vis))
	}
	v := m.View()
	for _, s := range []string{"CUDA out of memory", "first_token", "torch.OutOfMemoryError", "gen_ai.usage.output_tokens", "decode failed: CUDA out of memory"} {
		if !strings.Contains(v, s) {
			t.Errorf("view lacks %q:\n%s", s, v)
		}
	}
	// Logs of the selected span are marked; other traces' lines are not shown.
	if strings.Contains(v, "another trace") {
		t.Error("a log line of another trace is shown")
	}
	if !strings.Contains(v, "*08:59:31.235") {
		t.Errorf("the selected span's log line is not marked:\n%s", v)
	}
	// Bars are placed by time: the root spans the whole width, decode starts later.
	rootRow, decodeRow := "", ""
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "POST /v1/chat") && strings.Contains(l, "1.25s") && rootRow == "" && strings.Contains(l, "█") {
			rootRow = l
		}
		if strings.Contains(l, "decode") && strings.Contains(l, "█") {
			decodeRow = l
		}
	}
	if rootRow == "" || decodeRow == "" || strings.Index(decodeRow, "█") <= strings.Index(rootRow, "█") {
		t.Errorf("bars not placed by time:\n%s\n%s", rootRow, decodeRow)
	}
	// Esc goes back to the list, on the same trace.
	if !m.Escape() || m.mode != modeList || m.rows[m.sel].TraceID != chatTrace {
		t.Errorf("escape: mode %v", m.mode)
	}
	if m.Escape() {
		t.Error("escape at the top reported a level")
	}
}

func TestLogsJump(t *testing.T) {
	m := openChat(t, fixture(), 80, 24)
	cmd := press(m, "L")
	if cmd == nil {
		t.Fatal("L gave no command")
	}
	j, ok := cmd().(pane.JumpMsg)
	if !ok || j.Target != pane.TargetLogs || j.TraceID != chatTrace || j.Service != "chat-api" {
		t.Fatalf("jump = %+v", j)
	}
	start := t0.Add(-30 * time.Second)
	if !j.From.Equal(start.Add(-time.Second)) || !j.To.Equal(start.Add(ms(1250)+time.Second)) {
		t.Errorf("window %v..%v", j.From, j.To)
	}
	// From the list too.
	m.Escape()
	j2, ok := m.Selection()
	if !ok || j2.TraceID != chatTrace {
		t.Errorf("selection %+v", j2)
	}
}

func TestJumpToTrace(t *testing.T) {
	st := fixture()
	m := newPane(st, 80, 24)
	if cmd := m.Jump(pane.JumpMsg{Target: pane.TargetTraces, TraceID: strings.ToUpper(chatTrace)}); cmd != nil {
		t.Error("a held trace needs no command")
	}
	if m.mode != modeWaterfall || len(m.wf.spans) != 6 || m.Title() != "Trace 4bf92f35" {
		t.Fatalf("not opened: %v %q", m.mode, m.Title())
	}
	// Unknown trace without backend: its spans may be on their way, so it
	// waits for them; after spanWait it says it has none. No crash.
	const late = "0123456789abcdef0123456789abcdef"
	m.Jump(pane.JumpMsg{Target: pane.TargetTraces, TraceID: late})
	if !strings.Contains(m.View(), "waiting for its spans") {
		t.Errorf("view:\n%s", m.View())
	}
	env := newEnv(st)
	env.Now = env.Now.Add(spanWait + time.Second)
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{{At: env.Now}}}) // new data: the pane looks again
	m.Refresh(env)
	if !strings.Contains(m.View(), "no trace backend") {
		t.Errorf("after %v, view:\n%s", spanWait, m.View())
	}

	// Spans that arrive a moment after the jump open the waterfall.
	m2 := newPane(st, 80, 24)
	m2.Jump(pane.JumpMsg{Target: pane.TargetTraces, TraceID: late})
	st.Ingest(sources.Frame{Spans: []sources.Span{{TraceID: late, SpanID: "00000000000000aa", Service: "api", Name: "GET /late",
		Start: t0.Add(-time.Second), End: t0}}})
	env2 := newEnv(st)
	env2.Now = env2.Now.Add(2 * time.Second)
	m2.Refresh(env2)
	if !strings.Contains(m2.View(), "GET /late") {
		t.Errorf("late spans not shown:\n%s", m2.View())
	}
}

// fakeBackend answers from a map, or waits for ctx when slow.
type fakeBackend struct {
	spans  map[string][]sources.Span
	search []traces.Summary
	slow   bool
}

func (f *fakeBackend) Name() string { return "jaeger http://127.0.0.1:16686" }
func (f *fakeBackend) Trace(ctx context.Context, id string) ([]sources.Span, error) {
	if f.slow {
		<-ctx.Done()
		return nil, fmt.Errorf("jaeger: no answer: timed out after 50ms: %w", ctx.Err())
	}
	if s, ok := f.spans[id]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("jaeger: %w", traces.ErrNotFound)
}
func (f *fakeBackend) Search(ctx context.Context, q traces.Query) ([]traces.Summary, error) {
	if f.slow {
		<-ctx.Done()
		return nil, errors.New("jaeger: no answer")
	}
	return f.search, nil
}

func TestBackendFetch(t *testing.T) {
	remote := "0af7651916cd43dd8448eb211c80319c"
	be := &fakeBackend{spans: map[string][]sources.Span{remote: {
		{TraceID: remote, SpanID: "b7ad6b7169203331", Service: "ranker", Name: "rerank", Start: t0, End: t0.Add(ms(80))},
	}}}
	m := New(Options{Backend: be, Timeout: 50 * time.Millisecond})
	m.SetSize(80, 24)
	m.Refresh(newEnv(fixture()))
	cmd := m.Jump(pane.JumpMsg{Target: pane.TargetTraces, TraceID: remote})
	if cmd == nil || !strings.Contains(m.View(), "fetching from jaeger") {
		t.Fatalf("no fetch:\n%s", m.View())
	}
	msg := cmd()
	// Another instance must not take it.
	other := New(Options{Backend: be})
	other.SetSize(80, 24)
	other.Refresh(newEnv(fixture()))
	other.Jump(pane.JumpMsg{TraceID: remote})
	other.Receive(msg)
	if other.wf.loading == "" {
		t.Error("another pane took the result")
	}
	m.Receive(msg)
	if len(m.wf.spans) != 1 || !strings.Contains(m.View(), "rerank") {
		t.Errorf("fetched trace not shown:\n%s", m.View())
	}
	// Not found, and a backend that never answers.
	cmd = m.Jump(pane.JumpMsg{TraceID: "ffffffffffffffffffffffffffffffff"})
	m.Receive(cmd())
	if !strings.Contains(m.View(), "not found in jaeger") {
		t.Errorf("not found:\n%s", m.View())
	}
	be.slow = true
	cmd = m.Jump(pane.JumpMsg{TraceID: remote})
	st := m.Receive(cmd())
	if !strings.Contains(m.View(), "timed out after 50ms") {
		t.Errorf("timeout:\n%s", m.View())
	}
	if sm, ok := st().(pane.StatusMsg); !ok || !sm.Error {
		t.Errorf("status %+v", sm)
	}
}

func TestBehindSpike(t *testing.T) {
	st := fixture()
	remote := traces.Summary{TraceID: "0af7651916cd43dd8448eb211c80319c", Service: "chat-api", Name: "POST /v1/chat/completions",
		Start: t0.Add(-20 * time.Second), Duration: 3 * time.Second, Spans: 9, Errors: 1}
	m := New(Options{Backend: &fakeBackend{search: []traces.Summary{remote}}})
	m.SetSize(80, 24)
	m.Focus()
	m.Refresh(newEnv(st))
	cmd := m.Jump(pane.JumpMsg{Target: pane.TargetTraces, Service: "chat-api", From: t0.Add(-time.Minute), To: t0})
	if m.behind == nil || len(m.rows) == 0 {
		t.Fatal("no spike list")
	}
	// The exemplar's trace comes first, then failed, then slowest.
	if !m.rows[0].Exemplar || m.rows[0].TraceID != chatTrace {
		t.Errorf("first row %+v", m.rows[0])
	}
	for _, r := range m.rows {
		if r.Service == "embedder" {
			t.Error("another service's trace listed")
		}
	}
	m.Receive(cmd())
	found := false
	for _, r := range m.rows {
		found = found || r.TraceID == remote.TraceID
	}
	if !found {
		t.Errorf("backend result missing: %+v", m.rows)
	}
	v := m.View()
	checkSize(t, v, 80, 24)
	panetest.Golden(t, "behind_80x24", v)
	if m.Title() != "Traces behind the spike" {
		t.Errorf("title %q", m.Title())
	}
	press(m, "enter")
	if m.mode != modeWaterfall || m.wf.traceID != chatTrace {
		t.Fatal("enter did not open the exemplar's trace")
	}
	m.Escape()
	if m.behind == nil {
		t.Error("esc from the waterfall left the spike list")
	}
	m.Escape()
	if m.behind != nil || m.Title() != "Traces" {
		t.Error("esc did not return to recent traces")
	}
}

func TestFilterSortAndSmallSizes(t *testing.T) {
	st := fixture()
	m := newPane(st, 80, 24)
	if err := m.SetFilter("embed"); err != nil {
		t.Fatal(err)
	}
	if len(m.rows) != 1 || m.rows[0].Service != "embedder" || !m.rows[0].Partial {
		t.Errorf("filtered %+v", m.rows)
	}
	if err := m.SetFilter("("); err == nil {
		t.Error("bad regex accepted")
	}
	_ = m.SetFilter("")
	press(m, "o") // by duration
	if m.rows[0].TraceID != chatTrace {
		t.Errorf("slowest first: %+v", m.rows[0])
	}
	press(m, "O")
	if m.rows[len(m.rows)-1].TraceID != chatTrace {
		t.Error("reverse")
	}
	// Paused before the traces began: none shown.
	env := newEnv(st)
	env.Mode, env.Now = "PAUSED", t0.Add(-time.Hour)
	m.Refresh(env)
	if len(m.rows) != 0 {
		t.Errorf("%d traces before they began", len(m.rows))
	}
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {10, 3}, {30, 6}, {200, 50}} {
		m := openChat(t, st, 120, 40)
		m.SetSize(sz[0], sz[1])
		v := m.View()
		if sz[0] > 0 {
			checkSize(t, v, sz[0], sz[1])
		}
		m.Escape()
		if sz[0] > 0 {
			checkSize(t, m.View(), sz[0], sz[1])
		}
	}
	// In the waterfall the filter selects matching spans; n moves on.
	m = openChat(t, st, 80, 24)
	_ = m.SetFilter("prefill|decode")
	if m.wf.selected().Name != "prefill" {
		t.Errorf("filter → %q", m.wf.selected().Name)
	}
	m.NextMatch(false)
	if m.wf.selected().Name != "decode" {
		t.Errorf("n → %q", m.wf.selected().Name)
	}
}

func TestEmptyAndHostile(t *testing.T) {
	m := New(Options{Hint: "send OTLP to http://127.0.0.1:4318/v1/traces"})
	m.SetSize(80, 5)
	m.Refresh(newEnv(sources.NewStore(sources.StoreOptions{})))
	if !strings.Contains(m.View(), "send OTLP") {
		t.Errorf("empty view:\n%s", m.View())
	}
	// A cycle and a self-parent must not hang or lose spans.
	st := sources.NewStore(sources.StoreOptions{})
	id := "11111111111111111111111111111111"
	st.Ingest(sources.Frame{Spans: []sources.Span{
		{TraceID: id, SpanID: "a", ParentID: "b", Service: "x", Name: "a", Start: t0, End: t0.Add(time.Second)},
		{TraceID: id, SpanID: "b", ParentID: "a", Service: "x", Name: "b", Start: t0, End: t0.Add(time.Second)},
		{TraceID: id, SpanID: "c", ParentID: "c", Service: "x", Name: "c\x1b[2J\x9b31m", Start: t0, End: t0},
	}})
	m = newPane(st, 80, 24)
	m.Jump(pane.JumpMsg{TraceID: id})
	if len(m.wf.nodes) != 3 {
		t.Errorf("%d nodes", len(m.wf.nodes))
	}
	checkSize(t, m.View(), 80, 24)
	if strings.Contains(m.View(), "[2J") {
		t.Errorf("escape sequence shown:\n%s", m.View())
	}
}

func TestRefreshThrottle(t *testing.T) {
	st := fixture()
	m := newPane(st, 80, 24)
	n := len(m.all)
	id := "22222222222222222222222222222222"
	st.Ingest(sources.Frame{Spans: []sources.Span{{TraceID: id, SpanID: "0000000000000001", Service: "x", Name: "new", Start: t0.Add(-time.Second), End: t0}}})
	env := newEnv(st)
	env.Now = t0.Add(100 * time.Millisecond)
	m.Refresh(env)
	if len(m.all) != n {
		t.Error("rescanned within the second")
	}
	env.Now = t0.Add(time.Second)
	m.Refresh(env)
	if len(m.all) != n+1 {
		t.Errorf("new trace not listed after a second: %d", len(m.all))
	}
}

// TestWaterfallColour renders with 256 colours, where colour is the point:
// error spans' bars and marks are red (203), others take their service's colour.
func TestWaterfallColour(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	m := openChat(t, fixture(), 80, 24)
	v := m.View()
	panetest.Golden(t, "waterfall_80x24_ansi256", v)
	lines := strings.Split(v, "\n")
	for _, l := range lines {
		plain := ansi.Strip(l)
		switch {
		case strings.Contains(plain, "! decode"):
			if !regexp.MustCompile(`38;5;203m *[▐█]`).MatchString(l) {
				t.Errorf("error bar not red: %q", l)
			}
		case strings.Contains(plain, "prefill"):
			if strings.Contains(l, "38;5;203") {
				t.Errorf("ok span drawn red: %q", l)
			}
		}
		if n := ansi.StringWidth(l); n != 80 {
			t.Errorf("width %d: %q", n, plain)
		}
	}
	if strings.Contains(v, "\x1b]") || strings.Contains(v, "\x07") {
		t.Error("OSC sequence in the view")
	}
}

func TestDetailScroll(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	attrs := map[string]string{}
	for i := 0; i < 30; i++ {
		attrs[fmt.Sprintf("attr.%02d", i)] = fmt.Sprint(i)
	}
	id := "33333333333333333333333333333333"
	st.Ingest(sources.Frame{Spans: []sources.Span{{TraceID: id, SpanID: "0000000000000001", Service: "x", Name: "wide", Start: t0, End: t0.Add(time.Second), Attrs: attrs}}})
	m := newPane(st, 80, 24)
	m.Jump(pane.JumpMsg{TraceID: id})
	v := m.View()
	if !strings.Contains(v, "attr.00") || !strings.Contains(v, "more (J/K)") {
		t.Fatalf("view:\n%s", v)
	}
	press(m, "J", "J")
	v = m.View()
	if strings.Contains(v, "attr.00") || strings.Contains(v, "attr.01") || !strings.Contains(v, "attr.02") {
		t.Errorf("after J J:\n%s", v)
	}
	for i := 0; i < 50; i++ {
		press(m, "J")
	}
	if v = m.View(); !strings.Contains(v, "attr.29") {
		t.Errorf("cannot scroll to the end:\n%s", v)
	}
	press(m, "K")
	checkSize(t, m.View(), 80, 24)
}

func TestBehindWidens(t *testing.T) {
	m := newPane(fixture(), 80, 24)
	m.Jump(pane.JumpMsg{Target: pane.TargetTraces, Service: "llama-3-70b", From: t0.Add(-10 * time.Second), To: t0})
	if !m.widened || len(m.rows) != 1 || m.rows[0].Service != "embedder" || !strings.Contains(m.View(), "all services shown") {
		t.Errorf("widened %v rows %+v\n%s", m.widened, m.rows, m.View())
	}
	m.Jump(pane.JumpMsg{Target: pane.TargetTraces, Service: "chat-api", From: t0.Add(-time.Minute), To: t0})
	if m.widened || strings.Contains(m.View(), "all services shown") {
		t.Error("widened although the service has traces")
	}
}

func TestSelectionFollowsNewest(t *testing.T) {
	st := fixture()
	m := newPane(st, 80, 24)
	press(m, "j", "j")
	held := m.rows[m.sel].TraceID
	add := func(id string, at time.Time) {
		st.Ingest(sources.Frame{Spans: []sources.Span{{TraceID: id, SpanID: "0000000000000001", Service: "x", Name: "new", Start: at, End: at.Add(ms(5))}}})
	}
	add("44444444444444444444444444444444", t0.Add(-time.Second))
	env := newEnv(st)
	env.Now = t0.Add(2 * time.Second)
	m.Refresh(env)
	if m.rows[m.sel].TraceID != held {
		t.Errorf("a moved selection did not stay on its trace")
	}
	press(m, "g")
	add("55555555555555555555555555555555", t0.Add(time.Second))
	env.Now = t0.Add(4 * time.Second)
	m.Refresh(env)
	if m.sel != 0 || m.rows[0].TraceID != "55555555555555555555555555555555" {
		t.Errorf("the top selection did not follow the newest trace: %d %s", m.sel, m.rows[m.sel].TraceID)
	}
}
