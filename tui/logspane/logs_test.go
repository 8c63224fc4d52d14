package logspane

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
)

func TestMain(m *testing.M) { panetest.Main(m) }

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

const chatTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

// demoLines are lines shaped like the embedded demo's, parsed by the real
// parser, plus a hostile one.
func demoLines(p *logs.Parser) []sources.LogRecord {
	var out []sources.LogRecord
	add := func(sec float64, line string) {
		r := p.Parse([]byte(line), t0.Add(time.Duration(sec*float64(time.Second))))
		r.Source = "file demo.log"
		out = append(out, r)
	}
	ts := func(sec float64) string {
		return t0.Add(time.Duration(sec * float64(time.Second))).Format(time.RFC3339Nano)
	}
	for i := 0; i < 30; i++ {
		sec := -290 + float64(i)*9.5
		lvl, msg, status := "info", "request completed", "200"
		switch {
		case i%7 == 3:
			lvl, msg, status = "warn", "slow generation", "200"
		case i%11 == 5:
			lvl, msg, status = "error", "generation failed: CUDA out of memory", "error"
		}
		add(sec, fmt.Sprintf(`{"time":%q,"level":%q,"service":"chat-api","msg":%q,"trace_id":"%032x","span_id":"%016x","latency_ms":%d,"status":%q,"prediction":{"confidence":0.%02d},"predicted_class":"answer","features":{"prompt_tokens":%d},"prompt":"user secret %d"}`,
			ts(sec), lvl, msg, 0xa00+i, 0xb00+i, 120+i*13, status, 50+i, 200+i, i))
	}
	add(-20, `{"time":"`+ts(-20)+`","level":"error","service":"vllm","msg":"decode failed: CUDA out of memory","trace_id":"`+chatTrace+`","span_id":"1000000000000005","latency_ms":1238}`)
	add(-19, `time=`+ts(-19)+` level=warn service=embedder msg="queue deep" depth=41`)
	add(-18, "2026-11-27 08:59:42,100 ERROR worker \x1b]52;c;ZXZpbA==\x07crashed \x1b[2J\x1b[Hhard")
	add(-17, `{"time":"`+ts(-17)+`","level":"debug","service":"chat-api","msg":"cache hit"}`)
	return out
}

func newParser(t testing.TB, v *logs.Vault) *logs.Parser {
	p, err := logs.NewParser(logs.ParseOptions{Location: time.UTC, Vault: v})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func fixture(t testing.TB, v *logs.Vault) *sources.Store {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{Logs: demoLines(newParser(t, v))})
	return st
}

func env(st *sources.Store) pane.Env {
	return pane.Env{Store: st, Now: t0, Zoom: 5 * time.Minute, Mode: "LIVE"}
}

func newPane(st *sources.Store, w, h int, v *logs.Vault) *Model {
	m := New(Options{Location: time.UTC, Vault: v})
	m.SetSize(w, h)
	m.Focus()
	m.Refresh(env(st))
	return m
}

func keyMsg(s string) tea.KeyMsg {
	switch s {
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "ctrl+w":
		return tea.KeyMsg{Type: tea.KeyCtrlW}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(t *testing.T, m *Model, keys ...string) tea.Cmd {
	t.Helper()
	var cmd tea.Cmd
	for _, k := range keys {
		used, c := m.HandleKey(keyMsg(k))
		if !used {
			t.Fatalf("key %q not used", k)
		}
		cmd = c
	}
	return cmd
}

func TestGoldens(t *testing.T) {
	for _, sz := range [][2]int{{80, 24}, {120, 40}, {60, 8}} {
		st := fixture(t, nil)
		m := newPane(st, sz[0], sz[1], nil)
		v := m.View()
		panetest.CheckSize(t, v, sz[0], sz[1])
		panetest.Golden(t, fmt.Sprintf("follow_%dx%d", sz[0], sz[1]), v)
	}
	// Scrolled up to the first error, with a filter and a level.
	st := fixture(t, nil)
	m := newPane(st, 120, 40, nil)
	if err := m.SetFilter("service=chat-api"); err != nil {
		t.Fatal(err)
	}
	press(t, m, "v", "v", "E")
	panetest.Golden(t, "filtered_120x40", m.View())
	panetest.CheckSize(t, m.View(), 120, 40)
	// Pretty JSON of the selected line.
	press(t, m, "P")
	panetest.Golden(t, "pretty_80x24", resize(m, 80, 24))
}

func resize(m *Model, w, h int) string {
	m.SetSize(w, h)
	return m.View()
}

func TestNoControlSequencesReachTheScreen(t *testing.T) {
	st := fixture(t, nil)
	// A record that did not come through the parser (another source, a
	// recording) is cleaned by the pane too.
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{{At: t0, Level: sources.LevelError, Service: "svc\x1b[2J",
		Msg: "raw \x1b]52;c;ZXZpbA==\x07 msg \x9b31m", Raw: "{\"msg\":\"\x1b]0;title\x07\"}", TraceID: "\x1b[H",
		Fields: sources.FieldsFromMap(map[string]string{"k\x1b[1m": "v\x1b]8;;http://evil\x07"})}}})
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		m := newPane(st, sz[0], sz[1], nil)
		for _, k := range [][]string{nil, {"E"}, {"P"}} {
			for _, kk := range k {
				press(t, m, kk)
			}
			v := m.View()
			if hasControl(v) || strings.Contains(v, "ZXZpbA==") || strings.Contains(v, "evil") || strings.Contains(v, "title") {
				t.Fatalf("a control sequence reached the screen:\n%q", v)
			}
		}
	}
}

// hasControl reports whether s holds a byte or rune a terminal acts on,
// newlines aside.
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\n' || c == 0x7f {
			return true
		}
	}
	for _, r := range s {
		if r >= 0x80 && r <= 0x9f {
			return true
		}
	}
	return false
}

func TestFollowSwitchesOffWhenScrollingUp(t *testing.T) {
	st := fixture(t, nil)
	m := newPane(st, 80, 24, nil)
	if !m.Following() || m.sel != m.Lines()-1 {
		t.Fatalf("not following at start: sel %d of %d", m.sel, m.Lines())
	}
	press(t, m, "k")
	if m.Following() {
		t.Fatal("still following after scrolling up")
	}
	sel := m.sel
	// New lines do not move a user who scrolled up; they are counted.
	p := newParser(t, nil)
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{p.Parse([]byte(`{"msg":"new one"}`), t0), p.Parse([]byte(`{"msg":"new two"}`), t0)}})
	m.Refresh(env(st))
	if m.sel != sel || !strings.Contains(m.View(), "+2 new") {
		t.Errorf("scrolled view moved (sel %d→%d) or no new-lines badge:\n%s", sel, m.sel, m.View())
	}
	press(t, m, "s")
	if !m.Following() || m.sel != m.Lines()-1 || !strings.Contains(m.View(), "new two") {
		t.Errorf("s did not resume following at the newest line")
	}
	press(t, m, "g")
	if m.Following() || m.sel != 0 {
		t.Error("g did not go to the oldest line")
	}
	press(t, m, "G")
	if !m.Following() {
		t.Error("G did not resume following")
	}
	press(t, m, "pgup")
	if m.Following() {
		t.Error("PgUp did not leave follow")
	}
	press(t, m, "s", "s")
	if m.Following() {
		t.Error("s twice should leave follow off")
	}
	// Following: new lines move the selection.
	press(t, m, "G")
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{p.Parse([]byte(`{"msg":"newest"}`), t0)}})
	m.Refresh(env(st))
	if m.rec(m.sel).Msg != "newest" {
		t.Errorf("follow did not move to the newest line: %q", m.rec(m.sel).Msg)
	}
}

func TestLevelsAndJumps(t *testing.T) {
	st := fixture(t, nil)
	m := newPane(st, 120, 40, nil)
	all := m.Lines()
	press(t, m, "E")
	if m.rec(m.sel).Level < sources.LevelError {
		t.Fatalf("E selected a %s line", m.rec(m.sel).Level)
	}
	first := m.sel
	press(t, m, "E")
	if m.sel >= first || m.rec(m.sel).Level < sources.LevelError {
		t.Errorf("E did not go to an earlier error: %d → %d", first, m.sel)
	}
	press(t, m, "e")
	if m.sel != first {
		t.Errorf("e did not come back: %d, want %d", m.sel, first)
	}
	press(t, m, "W")
	if m.rec(m.sel).Level != sources.LevelWarn || m.sel >= first {
		t.Errorf("W: %s at %d", m.rec(m.sel).Level, m.sel)
	}
	press(t, m, "w")
	if m.rec(m.sel).Level != sources.LevelWarn {
		t.Errorf("w: %s", m.rec(m.sel).Level)
	}
	// v cycles the minimum level: debug, info, warn, error, all.
	wantTitle := []string{"Logs ≥debug", "Logs ≥info", "Logs ≥warn", "Logs ≥error", "Logs"}
	prev := all + 1
	for i, want := range wantTitle {
		press(t, m, "v")
		if m.Title() != want {
			t.Errorf("after %d v: title %q, want %q", i+1, m.Title(), want)
		}
		if i < 4 && m.Lines() > prev {
			t.Errorf("raising the level showed more lines: %d > %d", m.Lines(), prev)
		}
		prev = m.Lines()
		if i == 3 {
			for _, r := range m.all() {
				if r.Level < sources.LevelError {
					t.Errorf("≥error shows a %s line", r.Level)
				}
			}
		}
	}
	if m.Lines() != all {
		t.Errorf("after a full cycle %d lines, want %d", m.Lines(), all)
	}
}

func TestFilters(t *testing.T) {
	st := fixture(t, nil)
	m := newPane(st, 120, 40, nil)
	count := func(expr string) int {
		t.Helper()
		if err := m.SetFilter(expr); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		if m.Filter() != expr {
			t.Errorf("Filter() = %q", m.Filter())
		}
		return m.Lines()
	}
	all := count("")
	cases := map[string]func(r *sources.LogRecord) bool{
		"CUDA":                                   func(r *sources.LogRecord) bool { return strings.Contains(r.Raw, "CUDA") },
		"cuda out":                               func(r *sources.LogRecord) bool { return strings.Contains(r.Raw, "CUDA out") },
		"!cuda":                                  func(r *sources.LogRecord) bool { return !strings.Contains(r.Raw, "CUDA") },
		"level>=warn":                            func(r *sources.LogRecord) bool { return r.Level >= sources.LevelWarn },
		"level=error service=chat-api":           func(r *sources.LogRecord) bool { return r.Level == sources.LevelError && r.Service == "chat-api" },
		"svc=vllm":                               func(r *sources.LogRecord) bool { return r.Service == "vllm" },
		"latency_ms>400":                         func(r *sources.LogRecord) bool { return num(r.Fields.Value("latency_ms")) > 400 },
		"prediction.confidence<0.6":              func(r *sources.LogRecord) bool { return num(r.Fields.Value("prediction.confidence")) < 0.6 },
		"trace_id=" + strings.ToUpper(chatTrace): func(r *sources.LogRecord) bool { return r.TraceID == chatTrace },
		"msg=~^generation":                       func(r *sources.LogRecord) bool { return strings.HasPrefix(r.Msg, "generation") },
		"service!=chat-api":                      func(r *sources.LogRecord) bool { return r.Service != "chat-api" },
		"level>=warn o+m": func(r *sources.LogRecord) bool {
			return r.Level >= sources.LevelWarn && strings.Contains(strings.ToLower(r.Raw), "om") || r.Level >= sources.LevelWarn && strings.Contains(strings.ToLower(r.Raw), "oom")
		},
	}
	for expr, want := range cases {
		n := 0
		for _, r := range st.Logs(time.Time{}, t0.Add(time.Hour), 0, nil) {
			if want(&r) {
				n++
			}
		}
		if got := count(expr); got != n {
			t.Errorf("filter %q shows %d lines, want %d", expr, got, n)
		}
		if n == 0 {
			t.Errorf("filter %q: the fixture has no line for it", expr)
		}
	}
	for _, bad := range []string{"(", "level>=loud", "msg=~("} {
		if err := m.SetFilter(bad); err == nil {
			t.Errorf("bad filter %q accepted", bad)
		}
	}
	if count("") != all {
		t.Error("clearing the filter did not bring every line back")
	}
	// Esc with a filter: the root clears it; Escape has nothing to leave.
	if m.Escape() {
		t.Error("Escape reported a level to leave with nothing open")
	}
}

func num(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func TestContainsFold(t *testing.T) {
	for _, c := range []struct {
		s, needle string
		want      bool
	}{
		{"Hello World", "world", true}, {"Hello World", "hello", true}, {"xxTIMEOUTxx", "timeout", true},
		{"time out", "timeout", false}, {"", "a", false}, {"abc", "", true}, {"ab", "abc", false},
		{"tTtTtTimeout", "timeout", true}, {"TTTTTTTT", "tx", false},
	} {
		if got := containsFold(c.s, c.needle); got != c.want {
			t.Errorf("containsFold(%q, %q) = %v", c.s, c.needle, got)
		}
	}
}

func TestTraceLinks(t *testing.T) {
	st := fixture(t, nil)
	m := newPane(st, 120, 40, nil)
	// Select the vllm error with the demo trace id and press X.
	for m.rec(m.sel).Service != "vllm" {
		press(t, m, "k")
	}
	cmd := press(t, m, "X")
	if cmd == nil {
		t.Fatal("X gave no command")
	}
	j, ok := cmd().(pane.JumpMsg)
	if !ok || j.Target != pane.TargetTraces || j.TraceID != chatTrace || j.Service != "vllm" {
		t.Errorf("X → %+v", j)
	}
	if sel, ok := m.Selection(); !ok || sel.TraceID != chatTrace || sel.From.IsZero() {
		t.Errorf("Selection → %+v", sel)
	}
	// A line without a trace id leaves X to the console (traces of the
	// service around the line's time, from Selection).
	press(t, m, "j", "j")
	if used, cmd := m.HandleKey(keyMsg("X")); used || cmd != nil {
		t.Errorf("X on a line without a trace was used")
	}
	if sel, ok := m.Selection(); !ok || sel.TraceID != "" || sel.From.IsZero() {
		t.Errorf("Selection of a line without a trace: %+v", sel)
	}
	if txt, ok := m.CopyText(); !ok || !strings.Contains(txt, "worker crashed hard") {
		t.Errorf("CopyText = %q", txt)
	}
	// Jump into the logs of the trace.
	m.Jump(pane.JumpMsg{Target: pane.TargetLogs, TraceID: strings.ToUpper(chatTrace), Service: "vllm"})
	if m.Lines() != 1 || m.rec(0).TraceID != chatTrace || !strings.Contains(m.Title(), "jump") {
		t.Errorf("jump to trace shows %d lines", m.Lines())
	}
	// Esc leaves the jump.
	if !m.Escape() || m.jump != nil || m.Lines() < 30 {
		t.Error("Escape did not leave the jump")
	}
	// A trace no line carries: the service in the trace's window.
	m.Jump(pane.JumpMsg{TraceID: "ffffffffffffffffffffffffffffffff", Service: "chat-api", From: t0.Add(-100 * time.Second), To: t0.Add(-50 * time.Second)})
	if m.Lines() == 0 || !strings.Contains(m.View(), "no line carries that trace id") {
		t.Errorf("no fallback: %d lines\n%s", m.Lines(), m.View())
	}
	for _, r := range m.all() {
		if r.Service != "chat-api" || r.At.Before(t0.Add(-100*time.Second)) || r.At.After(t0.Add(-50*time.Second)) {
			t.Errorf("fallback shows %s %s", r.Service, r.At)
		}
	}
	// A time window from a spike: the lines of that service around it.
	m.Jump(pane.JumpMsg{Service: "chat-api", From: t0.Add(-60 * time.Second), To: t0})
	for _, r := range m.all() {
		if r.Service != "chat-api" || r.At.Before(t0.Add(-60*time.Second)) {
			t.Errorf("window jump shows %s %s", r.Service, r.At)
		}
	}
	if m.Following() {
		t.Error("a jump should not follow")
	}
}

func TestPrettyAndReveal(t *testing.T) {
	v := logs.NewVault(100)
	st := fixture(t, v)
	m := newPane(st, 100, 30, v)
	for !strings.Contains(m.rec(m.sel).Raw, "prompt") {
		press(t, m, "k")
	}
	press(t, m, "P")
	view := m.View()
	if !strings.Contains(view, `"prompt": "[redacted]"`) || strings.Contains(view, "user secret") {
		t.Fatalf("pretty view:\n%s", view)
	}
	if !m.Escape() || m.pretty != nil {
		t.Fatal("Escape did not close the pretty view")
	}
	cmd := press(t, m, "r")
	if cmd == nil {
		t.Fatal("reveal gave no command")
	}
	if !strings.Contains(m.View(), "user secret") || !strings.Contains(m.View(), "REVEALED") {
		t.Errorf("reveal did not show the original:\n%s", m.View())
	}
	if s, ok := cmd().(pane.StatusMsg); !ok || !strings.Contains(s.Text, "revealed") {
		t.Errorf("reveal status %+v", s)
	}
	press(t, m, "P") // closes
	if m.pretty != nil {
		t.Error("P did not close the pretty view")
	}
	// The store itself never holds the secret.
	for _, r := range st.Logs(time.Time{}, t0.Add(time.Hour), 0, nil) {
		if strings.Contains(r.Raw, "user secret") || strings.Contains(fmt.Sprint(r.Fields), "user secret") {
			t.Fatal("a redacted value reached the store")
		}
	}
	// A line with nothing redacted.
	for m.rec(m.sel).Fields.Value(logs.RedactRefField) != "" {
		press(t, m, "j")
	}
	press(t, m, "r")
	if m.pretty != nil || !strings.Contains(m.View(), "nothing is redacted") {
		t.Error("reveal on a clean line")
	}
}

func TestPausedAndCursor(t *testing.T) {
	st := fixture(t, nil)
	m := newPane(st, 80, 24, nil)
	n := m.Lines()
	e := env(st)
	e.Mode = "PAUSED"
	m.Refresh(e)
	p := newParser(t, nil)
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{p.Parse([]byte(`{"msg":"after pause"}`), t0.Add(time.Second))}})
	m.Refresh(e)
	if m.Lines() != n {
		t.Errorf("paused pane took new lines: %d → %d", n, m.Lines())
	}
	// A filter change while paused does not show lines past the paused instant.
	if err := m.SetFilter("!nothing-matches-this"); err != nil {
		t.Fatal(err)
	}
	if m.Lines() != n {
		t.Errorf("rescan while paused shows %d lines, want %d", m.Lines(), n)
	}
	e.Mode = "LIVE"
	m.Refresh(e)
	if m.Lines() != n+1 {
		t.Errorf("resumed pane shows %d lines, want %d", m.Lines(), n+1)
	}
	// The time cursor selects the line at it.
	e.Cursor = t0.Add(-200 * time.Second)
	m.Refresh(e)
	if m.Following() || m.rec(m.sel).At.After(e.Cursor) || m.rec(m.sel+1).At.Before(e.Cursor) {
		t.Errorf("cursor at %s selected %s", e.Cursor, m.rec(m.sel).At)
	}
	if !strings.Contains(m.View(), "█") && !strings.Contains(m.View(), "▁") {
		t.Error("no chart")
	}
}

func TestStoreResetAndBounds(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{MaxLogs: 500})
	m := New(Options{Location: time.UTC, MaxLines: 200})
	m.SetSize(80, 24)
	p := newParser(t, nil)
	for i := 0; i < 50; i++ {
		batch := make([]sources.LogRecord, 100)
		for j := range batch {
			batch[j] = p.Parse([]byte(fmt.Sprintf(`{"level":"info","msg":"line %d"}`, i*100+j)), t0)
		}
		st.Ingest(sources.Frame{Logs: batch})
		m.Refresh(env(st))
		if m.Lines() > 200 {
			t.Fatalf("pane holds %d lines, bound 200", m.Lines())
		}
	}
	if m.rec(m.Lines()-1).Msg != "line 4999" || !strings.Contains(m.View(), "dropped 4.5k") {
		t.Errorf("newest %q\n%s", m.rec(m.Lines()-1).Msg, m.View())
	}
	// A store that starts again (a replay seeking back; Store.Reset itself
	// currently dies on its own lock, so a fresh store stands in for it).
	st = sources.NewStore(sources.StoreOptions{MaxLogs: 500})
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{p.Parse([]byte(`{"msg":"after reset"}`), t0)}})
	m.Refresh(env(st))
	if m.Lines() != 1 || m.rec(0).Msg != "after reset" {
		t.Errorf("after a store reset: %d lines", m.Lines())
	}
}

func TestTinyAndEmpty(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	for _, sz := range [][2]int{{0, 0}, {1, 1}, {10, 3}, {80, 24}} {
		m := newPane(st, sz[0], sz[1], nil)
		if sz[0] > 0 {
			panetest.CheckSize(t, m.View(), sz[0], sz[1])
		}
		for _, k := range []string{"j", "k", "g", "G", "e", "E", "w", "W", "P", "r", "X", "s", "v", "pgup", "pgdown", "ctrl+w", "l", "h", "right", "left", "ctrl+w"} {
			m.HandleKey(keyMsg(k))
		}
		m.Escape()
		m.NextMatch(false)
	}
	m := newPane(st, 80, 24, nil)
	if !strings.Contains(m.View(), "no log lines yet") {
		t.Errorf("empty pane:\n%s", m.View())
	}
	m.Refresh(pane.Env{})
	_ = m.View()
}

func TestRequiredLiteral(t *testing.T) {
	for expr, want := range map[string]string{
		`tenant t4[27]\b`: "tenant t4",
		`Timeout`:         "timeout",
		`(conn) refused`:  ") refused",
		`a|b`:             "",
		`x+y`:             "y",
		`(?i)Ab.*cD`:      "ab",
		`é+abc`:           "abc",
	} {
		if got := requiredLiteral(expr); got != want && !(expr == `(conn) refused` && got == " refused") {
			t.Errorf("requiredLiteral(%q) = %q, want %q", expr, got, want)
		}
	}
}

func TestContainsFoldAgainstStrings(t *testing.T) {
	texts := []string{`{"msg":"Request TIMEOUT after 3s","trace_id":"abc"}`, "time out", "tImEoUt", "", "zzzz", "a timeou", "meout timeout"}
	needles := []string{"timeout", "t", "out", "zz", "3s\"", "request timeout after", "abc\"}", "x"}
	for _, s := range texts {
		for _, n := range needles {
			want := strings.Contains(strings.ToLower(s), n)
			if got := containsFold(s, n); got != want {
				t.Errorf("containsFold(%q, %q) = %v, want %v", s, n, got, want)
			}
		}
	}
}

// TestLowerRegexMatchesFoldCase checks the lower-cased rewrite against
// regexp's own (?i) on lines with mixed case.
func TestLowerRegexMatchesFoldCase(t *testing.T) {
	lines := []string{`{"msg":"Request TIMEOUT after 3s","tenant":"T42"}`, "Tenant t47 ok", "tenant t40x", "ÉCOLE école",
		"CUDA out of memory", "cuda OUT of Memory!", "[ERROR] x", "error: Y", "a\tb", ""}
	for _, expr := range []string{`tenant t4[27]\b`, `timeout|memory`, `^\[error\]`, `[A-Z]{4} out`, `école`, `\bY$`, `o+f`, `(?-i)CUDA`, `a\tb`, `\d+s`} {
		f, err := compileFilter(expr)
		if err != nil {
			t.Fatal(err)
		}
		ref := regexp.MustCompile("(?i)" + expr)
		for _, l := range lines {
			r := sources.LogRecord{Raw: l}
			if got, want := f.keep(&r, nil), ref.MatchString(l); got != want {
				t.Errorf("filter %q on %q = %v, (?i) regexp says %v", expr, l, got, want)
			}
		}
	}
}

func TestMatchesHighlighted(t *testing.T) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	defer lipgloss.SetColorProfile(termenv.Ascii)
	st := fixture(t, nil)
	m := newPane(st, 120, 40, nil)
	m.Blur() // no selection reverse to confuse the check
	if err := m.SetFilter("cuda"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.View(), "\x1b[7mCUDA\x1b[") {
		t.Errorf("the match is not highlighted:\n%q", m.View())
	}
}

func TestRunesTogether(t *testing.T) {
	st := fixture(t, nil)
	m := newPane(st, 80, 24, nil)
	used, _ := m.HandleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("vvv")})
	if !used || m.Title() != "Logs ≥warn" {
		t.Errorf("three v in one message: used %v, title %q", used, m.Title())
	}
}

func TestInvisibleCharactersDropped(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	st.Ingest(sources.Frame{Logs: []sources.LogRecord{{At: t0, Level: sources.LevelInfo,
		Msg: "access \u202egranted\u202c for u\u200bser\ufeff", Raw: "x"}}})
	m := newPane(st, 80, 5, nil)
	if v := m.View(); strings.ContainsAny(v, "\u202e\u202c\u200b\ufeff") || !strings.Contains(v, "access granted for user") {
		t.Errorf("invisible characters reached the screen: %q", v)
	}
}

// rec is the record of line i, for tests.
func (m *Model) rec(i int) sources.LogRecord {
	r, _ := m.record(i)
	return r
}

// all is the records of every line the pane shows, for tests.
func (m *Model) all() []sources.LogRecord {
	out := make([]sources.LogRecord, 0, len(m.lines))
	for i := range m.lines {
		out = append(out, m.rec(i))
	}
	return out
}
