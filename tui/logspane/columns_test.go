package logspane

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/tui/internal/panetest"
	"github.com/vigil-dev/vigil/tui/pane"
)

// rowsOf returns the pane's body rows (after the header and chart).
func rowsOf(m *Model) []string {
	rows := strings.Split(m.View(), "\n")
	return rows[1+m.chartRows():]
}

func ingest(st *sources.Store, p *logs.Parser, source string, at time.Time, lines ...string) {
	var recs []sources.LogRecord
	for _, l := range lines {
		r := p.Parse([]byte(l), at)
		r.Source = source
		recs = append(recs, r)
	}
	st.Ingest(sources.Frame{Logs: recs})
}

func TestDateWhenNotToday(t *testing.T) {
	// dpkg.log months old: its lines show their date; today's only the time.
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	ingest(st, p, "file /var/log/dpkg.log", t0,
		"2026-08-14 14:42:13 status installed curl:amd64 8.5.0-2",
		`{"time":"2026-11-27T08:59:00Z","msg":"today's line"}`)
	m := newPane(st, 100, 24, nil)
	rows := rowsOf(m)
	if !strings.Contains(rows[0], "2026-08-14 14:42:13.000") {
		t.Errorf("old line without its date: %q", rows[0])
	}
	if !strings.Contains(rows[1], "           08:59:00.000") || strings.Contains(rows[1], "2026-11-27") {
		t.Errorf("today's line: %q", rows[1])
	}
	// "Today" is the day of the instant shown, not of the wall clock: in a
	// replay of the 14th of August, that line is today's.
	e := env(st)
	e.Now = time.Date(2026, 8, 14, 15, 0, 0, 0, time.UTC)
	m.Refresh(e)
	if rows := rowsOf(m); strings.Contains(rows[0], "2026-08-14") || !strings.Contains(rows[1], "2026-11-27 08:59:00.000") {
		t.Errorf("shown on the 14th of August:\n%s\n%s", rows[0], rows[1])
	}
}

func TestSourceColumnAndFilter(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	ingest(st, p, "file /var/log/apt/history.log", t0, "Start-Date: 2026-11-27  08:58:00")
	ingest(st, p, "file /var/log/dpkg.log", t0, "2026-11-27 08:58:01 status installed curl:amd64 8.5.0-2")
	ingest(st, p, "file /srv/a/app.log", t0, `{"msg":"from a"}`)
	ingest(st, p, "file /srv/b/app.log", t0, `{"msg":"from b"}`)
	ingest(st, p, "stdin", t0, `{"msg":"piped"}`)
	m := newPane(st, 120, 24, nil)
	rows := rowsOf(m)
	for i, want := range []string{"history.log", "dpkg.log", "a/app.log", "b/app.log", "stdin"} {
		if !strings.Contains(rows[i], " "+want+" ") {
			t.Errorf("row %d without its source %q: %q", i, want, rows[i])
		}
	}
	// Filtered by short name, base name, path or whole name.
	for expr, want := range map[string]int{
		"source=dpkg.log": 1, "source=a/app.log": 1, "source=app.log": 2, "src=/srv/b/app.log": 1,
		"source=stdin": 1, "source!=stdin": 4, "source=~history": 1,
	} {
		if err := m.SetFilter(expr); err != nil {
			t.Fatal(err)
		}
		if m.Lines() != want {
			t.Errorf("%s: %d lines, want %d", expr, m.Lines(), want)
		}
	}
	// One source only: no column.
	st2 := sources.NewStore(sources.StoreOptions{})
	ingest(st2, p, "stdin", t0, `{"msg":"alone"}`)
	m2 := newPane(st2, 80, 24, nil)
	if strings.Contains(m2.View(), "stdin") {
		t.Errorf("a source column for one source:\n%s", m2.View())
	}
}

func TestReadTimeMarked(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	ingest(st, p, "stdin", t0, "a line with no time at all", `{"time":"2026-11-27T08:59:00Z","msg":"timed"}`)
	m := newPane(st, 100, 24, nil)
	rows := rowsOf(m)
	if !strings.HasPrefix(rows[0], " ~09:00:00.000") || !strings.HasPrefix(rows[1], "> 08:59:00.000") {
		t.Errorf("read time not marked:\n%s\n%s", rows[0], rows[1])
	}
	if !strings.Contains(m.View(), "~ read time") {
		t.Errorf("no legend for the mark:\n%s", m.View())
	}
	press(t, m, "k", "P")
	if !strings.Contains(m.View(), "(read time") {
		t.Errorf("pretty view does not say the time is the read time:\n%s", m.View())
	}
}

func TestFieldsNotRepeated(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	ingest(st, p, "stdin", t0, "2026-11-27 08:59:00 ERROR payment failed id=1 amount=12", `level=error msg="payment failed" id=1`)
	m := newPane(st, 120, 24, nil)
	rows := rowsOf(m)
	if strings.Count(rows[0], "id=1") != 1 || strings.Count(rows[0], "amount=12") != 1 {
		t.Errorf("a field repeated: %q", rows[0])
	}
	if !strings.Contains(rows[1], "payment failed id=1") {
		t.Errorf("a logfmt field not shown: %q", rows[1])
	}
}

func TestWrapAndSideways(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	long := "start " + strings.Repeat("0123456789", 30) + " end"
	ingest(st, p, "stdin", t0, `{"time":"2026-11-27T08:58:00Z","msg":"before"}`, `{"time":"2026-11-27T08:59:00Z","msg":"`+long+`"}`)
	m := newPane(st, 80, 24, nil)
	view := m.View()
	if strings.Contains(view, " end") {
		t.Fatal("a long line fits without wrapping?")
	}
	// Sideways: l (and → while the time cursor is off) scroll the text, h
	// back; the time and level stay.
	press(t, m, "l", "right", "right", "right", "right", "right")
	rows := rowsOf(m)
	if !strings.Contains(rows[1], "08:59:00.000") || !strings.Contains(rows[1], "…") || strings.Contains(rows[1], "start") {
		t.Errorf("scrolled row: %q", rows[1])
	}
	if !strings.Contains(m.View(), "→col ") {
		t.Error("the header does not say the view is scrolled")
	}
	for i := 0; i < 20; i++ {
		press(t, m, "right")
	}
	if !strings.Contains(m.View(), " end") {
		t.Errorf("scrolling never reached the end of the line:\n%s", m.View())
	}
	press(t, m, "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h", "h")
	if !strings.Contains(rowsOf(m)[1], "start") {
		t.Error("h did not scroll back")
	}
	// Wrapped: the whole line, on as many rows as it takes.
	press(t, m, "ctrl+w")
	view = m.View()
	if !strings.Contains(view, "start 0123") || !strings.Contains(view, " end") || !strings.Contains(view, "wrap") {
		t.Errorf("wrapped view:\n%s", view)
	}
	panetest.CheckSize(t, view, 80, 24)
	rows = rowsOf(m)
	if !strings.HasPrefix(rows[2], strings.Repeat(" ", 18)) {
		t.Errorf("a continuation row is not indented under the text: %q", rows[2])
	}
	// The selection stays in view as it moves over wrapped lines.
	press(t, m, "k")
	if !strings.Contains(m.View(), "before") {
		t.Error("the line above is not shown")
	}
	for _, sz := range [][2]int{{40, 10}, {200, 50}, {30, 5}} {
		panetest.CheckSize(t, resize(m, sz[0], sz[1]), sz[0], sz[1])
	}
	press(t, m, "ctrl+w")
	if strings.Contains(m.View(), "wrap") {
		t.Error("ctrl+w did not unwrap")
	}
}

func TestWrapFollowKeepsTheNewestInView(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	m := newPane(st, 60, 12, nil)
	press(t, m, "ctrl+w")
	for i := 0; i < 30; i++ {
		ingest(st, p, "stdin", t0, fmt.Sprintf(`{"msg":"line %d %s"}`, i, strings.Repeat("w", i*7)))
		m.Refresh(env(st))
		if !strings.Contains(m.View(), fmt.Sprintf("line %d ", i)) {
			t.Fatalf("following with wrapping on, the newest line %d is not in view:\n%s", i, m.View())
		}
		panetest.CheckSize(t, m.View(), 60, 12)
	}
}

func TestFloodLetsLinesGoAndPausedKeepsWhatIsShown(t *testing.T) {
	// A byte-bounded store lets the oldest lines go; the pane drops them
	// too. Paused, the rows on screen stay readable even when the store has
	// let them go.
	st := sources.NewStore(sources.StoreOptions{MaxLogBytes: 256 << 10})
	p := newParser(t, nil)
	m := newPane(st, 100, 24, nil)
	batch := func(from int) {
		var lines []string
		for i := from; i < from+500; i++ {
			lines = append(lines, fmt.Sprintf(`{"level":"info","msg":"flood %d","pad":"%s"}`, i, strings.Repeat("p", 100)))
		}
		ingest(st, p, "stdin", t0, lines...)
	}
	for i := 0; i < 10; i++ {
		batch(i * 500)
		m.Refresh(env(st))
	}
	u := st.LogUsage()
	if u.Bytes > 256<<10 || u.Dropped == 0 || m.Lines() != u.Records {
		t.Fatalf("store %+v, pane %d lines", u, m.Lines())
	}
	if !strings.Contains(m.View(), "dropped ") || !strings.Contains(m.View(), "(bound 0 MB)") {
		t.Errorf("the header does not say what the bound let go:\n%s", m.View())
	}
	e := env(st)
	e.Mode = "PAUSED"
	m.Refresh(e)
	shown := rowsOf(m)
	for i := 10; i < 30; i++ {
		batch(i * 500)
	}
	m.Refresh(e)
	if got := rowsOf(m); strings.Join(got, "\n") != strings.Join(shown, "\n") {
		t.Errorf("paused rows changed as the store let them go:\n%s\n---\n%s", strings.Join(shown, "\n"), strings.Join(got, "\n"))
	}
	press(t, m, "g")
	if !strings.Contains(m.View(), "no longer held") {
		t.Errorf("an evicted line off screen should say it is gone:\n%s", m.View())
	}
	m.Refresh(env(st))
	if u := st.LogUsage(); m.Lines() != u.Records {
		t.Errorf("after resuming the pane shows %d lines, the store holds %d", m.Lines(), u.Records)
	}
}

var _ = pane.Env{}

func TestGoldensRealFiles(t *testing.T) {
	// dpkg.log from months ago, apt's history.log, a piped line without a
	// time and a long one: dates, the source column, the read-time mark,
	// then the same wrapped.
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	ingest(st, p, "file /var/log/dpkg.log", t0,
		"2026-06-24 14:36:25 startup archives unpack",
		"2026-06-24 14:36:25 upgrade libsystemd0:amd64 252.36-1~deb12u1 252.38-1~deb12u1")
	hist := []string{"Start-Date: 2026-06-24  14:36:29", "Commandline: apt-get install -qqy curl python3-dev git make gnupg",
		"Install: lsb-release:amd64 (12.0-1), libssh2-1:amd64 (1.10.0-3+b1, automatic), libperl5.36:amd64 (5.36.0-7+deb12u2, automatic), libkeyutils1:amd64 (1.6.3-2, automatic)",
		"End-Date: 2026-06-24  14:37:04"}
	var recs []sources.LogRecord
	var rs struct{ at time.Time }
	for _, l := range hist {
		r := p.Parse([]byte(l), t0)
		r.Source = "file /var/log/apt/history.log"
		if r.TimeRead { // as the source does: the time of the record's first line
			r.At, r.TimeRead = rs.at, false
		} else {
			rs.at = r.At
		}
		recs = append(recs, r)
	}
	st.Ingest(sources.Frame{Logs: recs})
	ingest(st, p, "stdin", t0.Add(-3*time.Second), "worker restarted, no time on this line", `{"time":"2026-11-27T08:59:58Z","level":"error","msg":"payment failed","id":"1"}`)
	for _, sz := range [][2]int{{80, 24}, {120, 40}} {
		m := newPane(st, sz[0], sz[1], nil)
		panetest.CheckSize(t, m.View(), sz[0], sz[1])
		panetest.Golden(t, fmt.Sprintf("sources_%dx%d", sz[0], sz[1]), m.View())
	}
	m := newPane(st, 80, 24, nil)
	press(t, m, "ctrl+w", "k", "k", "k")
	panetest.CheckSize(t, m.View(), 80, 24)
	panetest.Golden(t, "wrapped_80x24", m.View())
}

func TestCutLineSaysSo(t *testing.T) {
	st := sources.NewStore(sources.StoreOptions{})
	p := newParser(t, nil)
	line := `{"level":"error","service":"big","msg":"huge payload","request_id":"r-1","blob":"` + strings.Repeat("x", 200_000) + `"}`
	ingest(st, p, "stdin", t0, line)
	m := newPane(st, 80, 24, nil)
	row := rowsOf(m)[0]
	if !strings.Contains(row, "ERR big huge payload …[cut 131 KB] request_id=r-1") {
		t.Errorf("cut line: %q", row)
	}
}
