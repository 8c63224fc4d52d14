package fleetpane

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo/fleet"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/fleetpane/fleettest"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// fixture is a fleet store with its env at fleettest.At.
type fixture struct {
	st  *sources.Store
	env pane.Env
}

var (
	fixMu    sync.Mutex
	fixtures = map[int]*fixture{}
)

// fleetEnv returns the env of a simulated fleet of n hosts (built once per
// test binary: the 1,000-host one takes seconds).
func fleetEnv(t testing.TB, n int) pane.Env {
	t.Helper()
	fixMu.Lock()
	defer fixMu.Unlock()
	if f := fixtures[n]; f != nil {
		return f.env
	}
	st, _, err := fleettest.Store(n)
	if err != nil {
		t.Fatal(err)
	}
	env := pane.NewEnv(st, fleettest.At, 15*time.Minute, time.Time{}, "LIVE", view.Options{})
	fixtures[n] = &fixture{st: st, env: env}
	return env
}

func newPane(env pane.Env, w, h int) *Model {
	m := New()
	m.SetSize(w, h)
	m.Focus()
	m.Refresh(env)
	return m
}

func press(k string) tea.KeyMsg {
	switch k {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(k)}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from %s:\n%s", name, path, got)
	}
}

// Golden views of 1,000, 100 and 3 hosts at the console's three sizes
// (the pane's inner area: the box and the status line take 2 columns and
// 3 rows).
func TestGolden(t *testing.T) {
	for _, n := range []int{1000, 100, 3} {
		env := fleetEnv(t, n)
		for _, sz := range [][2]int{{80, 24}, {120, 40}, {200, 50}} {
			w, h := sz[0]-2, sz[1]-3
			m := newPane(env, w, h)
			name := "fleet-" + itoa(n) + "-" + itoa(sz[0]) + "x" + itoa(sz[1])
			out := m.View()
			checkSize(t, name, out, w, h)
			golden(t, name, out)
		}
	}
}

func checkSize(t *testing.T, name, out string, w, h int) {
	t.Helper()
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Errorf("%s: %d lines, want %d", name, len(lines), h)
	}
	for i, l := range lines {
		if lw := lipgloss.Width(l); lw != w {
			t.Errorf("%s: line %d is %d cells, want %d: %q", name, i, lw, w, l)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// gridGlyphs are the glyphs of the grid's cells in the view, top to bottom,
// left to right (the grid is left of the lists from sideMinW).
func gridGlyphs(m *Model) []string {
	lines := strings.Split(m.View(), "\n")
	var out []string
	for r := m.top; r < min(m.top+m.geo.visible, len(m.geo.rows)); r++ {
		if m.geo.rows[r].header {
			continue
		}
		l := lines[m.geo.head+r-m.top]
		for _, r := range []rune(l)[:m.geo.gridW] {
			switch s := string(r); s {
			case "✖", "█", "○", "▒", "·", "?":
				out = append(out, s)
			}
		}
	}
	return out
}

var rank = map[string]int{"✖": 5, "█": 4, "○": 3, "▒": 2, "·": 1, "?": 0}

// TestThousandHostsOnOneScreen: at 200x50 every one of 1,000 hosts has its
// cell with no scrolling, worst first in each group and groups worst
// first; at 80x24 the grid scrolls with the worst on top and says what is
// below. At both, the hottest GPU and the deepest queue are on the screen.
func TestThousandHostsOnOneScreen(t *testing.T) {
	env := fleetEnv(t, 1000)
	fl, err := fleettest.Fleet(1000)
	if err != nil {
		t.Fatal(err)
	}
	var hot, deep string
	for _, in := range fl.Incidents() {
		switch in.Kind {
		case "hot_gpu":
			hot = in.HostName
		case "deep_queue":
			deep = in.HostName
		}
	}
	big := newPane(env, 198, 47)
	if got := len(gridGlyphs(big)); got != 1000 {
		t.Fatalf("200x50: %d host cells on screen, want 1000", got)
	}
	if strings.Contains(big.View(), "rows 1–") {
		t.Error("200x50 scrolls")
	}
	// Within a group, worst first.
	for _, g := range big.groups {
		for i := 1; i < len(g.hosts); i++ {
			a, b := big.fl.Hosts[g.hosts[i-1]], big.fl.Hosts[g.hosts[i]]
			if view.Worse(b.Severity, a.Severity) {
				t.Fatalf("group %s: %s (%s) before %s (%s)", g.name, a.Host, a.Severity, b.Host, b.Severity)
			}
		}
	}
	for i := 1; i < len(big.groups); i++ {
		a, b := big.groups[i-1].count, big.groups[i].count
		if a[view.SevCritical]+a[view.SevDown] < b[view.SevCritical]+b[view.SevDown] {
			t.Errorf("group %d has fewer critical hosts than group %d after it", i-1, i)
		}
	}
	small := newPane(env, 78, 21)
	v := small.View()
	if !strings.Contains(v, "rows 1–") || !strings.Contains(v, "below:") {
		t.Errorf("80x24 does not say it scrolls:\n%s", v)
	}
	if cells := gridGlyphs(small); len(cells) == 0 || cells[0] != "█" {
		t.Errorf("80x24: the first cell is %q, want a critical host's", cells)
	}
	for _, m := range []*Model{big, small} {
		for _, h := range []string{hot, deep} {
			if !strings.Contains(m.View(), h) {
				t.Errorf("%dx%d: %s is not on the first screen", m.w, m.h, h)
			}
		}
	}
}

// downAndGone is a fleet of 6 hosts where gpu-node-001's node-exporter
// target is down and gpu-node-005 stopped answering 90 s ago.
func downAndGone(t *testing.T) pane.Env {
	t.Helper()
	st, f, err := fleettest.Store(6)
	if err != nil {
		t.Fatal(err)
	}
	at := fleettest.At.Add(90 * time.Second)
	if err := fleettest.Scrape(st, f, []int{0, 1, 2, 3, 4}, at); err != nil {
		t.Fatal(err)
	}
	h := f.Hosts()[1]
	st.Ingest(sources.Frame{At: at, Points: []sources.Point{{Series: sources.NewSeries(sources.TargetUp, sources.Gauge,
		sources.LabelHost, h.Name, sources.LabelInstance, f.Instance(1, fleet.Node), sources.LabelJob, "node", "cluster", h.Cluster), At: at, Value: 0}}})
	return pane.NewEnv(st, at, 15*time.Minute, time.Time{}, "LIVE", view.Options{})
}

// TestDownAndGone: a host with a target down is first, with ✖; a host
// that stopped answering is ○ and says for how long; the legend counts
// them; the order of the cells never puts a better host before a worse.
func TestDownAndGone(t *testing.T) {
	m := newPane(downAndGone(t), 118, 37)
	if err := m.SetGroup(GroupNone); err != nil {
		t.Fatal(err)
	}
	cells := gridGlyphs(m)
	if len(cells) != 6 || cells[0] != "✖" {
		t.Fatalf("cells %q, want 6 with the down host first", cells)
	}
	for i := 1; i < len(cells); i++ {
		if rank[cells[i]] > rank[cells[i-1]] {
			t.Errorf("cell %d %s after %s", i, cells[i], cells[i-1])
		}
	}
	v := m.View()
	for _, want := range []string{"✖ 1 down", "○ 1 gone", "gpu-node-001 ✖ down", "target 127.1.0.2:9100 (node) down"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	// The gone host, selected, says how long it has been quiet.
	for i, j := range m.order {
		if m.fl.Hosts[j].Host == "gpu-node-005" {
			m.setSel(i)
		}
	}
	m.render()
	if v := m.View(); !strings.Contains(v, "gpu-node-005 ○ gone") || !strings.Contains(v, "no data for 1m30s") {
		t.Errorf("the gone host's line:\n%s", v)
	}
}

// TestNavigation: h/j/k/l move in the grid, j keeps the column across a
// group's header, G and g go to the last and the worst, and the selection
// follows its host once moved and the worst before.
func TestNavigation(t *testing.T) {
	env := fleetEnv(t, 100)
	m := newPane(env, 78, 21) // 80x24: one-cell... or two-cell cells
	first := m.fl.Hosts[m.order[0]].Host
	if m.selHost != first {
		t.Fatalf("selected %q at first, want the worst %q", m.selHost, first)
	}
	m.HandleKey(press("l"))
	m.HandleKey(press("l"))
	if m.sel != 2 {
		t.Fatalf("l l: sel %d", m.sel)
	}
	r0, c0 := m.rowOf(m.sel)
	m.HandleKey(press("j"))
	r1, c1 := m.rowOf(m.sel)
	if r1 <= r0 || m.geo.rows[r1].header || c1 != min(c0, m.geo.rows[r1].n-1) {
		t.Fatalf("j from row %d col %d went to row %d col %d", r0, c0, r1, c1)
	}
	m.HandleKey(press("k"))
	if r, c := m.rowOf(m.sel); r != r0 || c != c0 {
		t.Fatalf("k came back to row %d col %d, want %d %d", r, c, r0, c0)
	}
	m.HandleKey(press("G"))
	if m.sel != len(m.order)-1 {
		t.Fatalf("G: sel %d of %d", m.sel, len(m.order))
	}
	last, _ := m.rowOf(m.sel)
	if last < m.top || last >= m.top+m.geo.visible {
		t.Fatalf("G: row %d not in view (top %d, %d rows)", last, m.top, m.geo.visible)
	}
	held := m.selHost
	m.Refresh(env)
	if m.selHost != held || m.fl.Hosts[m.order[m.sel]].Host != held {
		t.Fatalf("the selection left %s on refresh", held)
	}
	m.HandleKey(press("g"))
	if m.sel != 0 || m.top != 0 || m.moved {
		t.Fatalf("g: sel %d top %d moved %v", m.sel, m.top, m.moved)
	}
	// PgDn moves a page of rows.
	m.HandleKey(press("pgdown"))
	if r, _ := m.rowOf(m.sel); r == 0 {
		t.Fatal("pgdown did not move")
	}
}

// TestFilterAndGroups: / keeps the hosts that match (the lists too), n
// steps through them; o cycles the grouping; SetGroup refuses a label no
// host carries.
func TestFilterAndGroups(t *testing.T) {
	m := newPane(fleetEnv(t, 100), 118, 37)
	if err := m.SetFilter("^gpu-node-00[0-4] "); err != nil {
		t.Fatal(err)
	}
	if len(m.order) != 5 {
		t.Fatalf("filter kept %d hosts", len(m.order))
	}
	for _, g := range m.gpus {
		if !strings.HasPrefix(g.Host, "gpu-node-00") {
			t.Errorf("GPU list keeps %s", g.Host)
		}
	}
	for _, s := range m.svcs {
		if !strings.HasPrefix(s.Host, "gpu-node-00") {
			t.Errorf("service list keeps %s", s.Host)
		}
	}
	for _, x := range []view.FleetExtreme{m.ext.Temp, m.ext.Queue, m.ext.Errors, m.ext.P99} {
		if !x.Value.OK || !strings.HasPrefix(x.Host, "gpu-node-00") {
			t.Errorf("an extreme outside the filter: %+v", x)
		}
	}
	if !strings.Contains(m.Note(), "5 of 100 hosts") {
		t.Errorf("note %q", m.Note())
	}
	seen := map[string]bool{}
	for range 5 {
		seen[m.selHost] = true
		m.NextMatch(false)
	}
	if len(seen) != 5 {
		t.Errorf("n visited %d hosts, want 5", len(seen))
	}
	if err := m.SetFilter("(("); err == nil {
		t.Error("a bad regex is no error")
	}
	if err := m.SetFilter("critical"); err != nil || len(m.order) == 0 {
		t.Fatalf("filter by severity: %v, %d hosts", err, len(m.order))
	}
	for _, i := range m.order {
		if m.fl.Hosts[i].Severity != view.SevCritical {
			t.Errorf("/critical keeps %s (%s)", m.fl.Hosts[i].Host, m.fl.Hosts[i].Severity)
		}
	}
	_ = m.SetFilter("")

	if m.Group() != "cluster" {
		t.Fatalf("default grouping %q", m.Group())
	}
	labels := m.Labels()
	seenGroups := map[string]bool{}
	for range labels {
		seenGroups[m.Group()] = true
		m.HandleKey(press("o"))
	}
	if len(seenGroups) != len(labels) || m.Group() != "cluster" {
		t.Errorf("o cycled through %v of %v, back on %q", seenGroups, labels, m.Group())
	}
	if err := m.SetGroup("namespace"); err != nil {
		t.Fatal(err)
	}
	for _, g := range m.groups {
		for _, i := range g.hosts {
			if m.fl.Hosts[i].Groups["namespace"] != g.name {
				t.Errorf("host %s in group %s", m.fl.Hosts[i].Host, g.name)
			}
		}
	}
	if err := m.SetGroup("rack"); err == nil || !strings.Contains(err.Error(), "cluster") {
		t.Errorf("SetGroup(rack): %v", err)
	}
	if err := m.SetGroup(GroupNone); err != nil || len(m.groups) != 1 {
		t.Errorf("no grouping: %v, %d groups", err, len(m.groups))
	}
}

// TestEnterScopes: Enter asks the root to scope to the selected host; from
// the lists, to the GPU's or the service's host, opening it there.
func TestEnterScopes(t *testing.T) {
	m := newPane(fleetEnv(t, 3), 118, 37)
	msgOf := func() pane.ScopeMsg {
		used, cmd := m.HandleKey(press("enter"))
		if !used || cmd == nil {
			t.Fatal("enter not used")
		}
		sm, ok := cmd().(pane.ScopeMsg)
		if !ok {
			t.Fatal("enter gives no ScopeMsg")
		}
		return sm
	}
	if sm := msgOf(); sm.Host != m.selHost || sm.Then.Target != "" {
		t.Errorf("grid: %+v", sm)
	}
	m.HandleKey(press("tab"))
	m.HandleKey(press("j"))
	g := m.gpus[1]
	if sm := msgOf(); sm.Host != g.Host || sm.Then.Target != pane.TargetGPU || sm.Then.GPU != g.UUID {
		t.Errorf("GPU list: %+v, want %s's GPU %s", sm, g.Host, g.UUID)
	}
	m.HandleKey(press("tab"))
	s := m.svcs[0]
	if sm := msgOf(); sm.Host != s.Host || sm.Then.Target != pane.TargetMetrics || sm.Then.Service != s.Service {
		t.Errorf("service list: %+v, want %s on %s", sm, s.Service, s.Host)
	}
	if !m.Escape() || m.area != AreaGrid || m.Escape() {
		t.Error("esc from a list goes back to the grid, and no further")
	}
}

// TestColourAndNoColour: with colour each severity has its colour; under
// NO_COLOR the glyphs differ and the selection is reversed; TERM=screen
// gets the 8 base colours only.
func TestColourAndNoColour(t *testing.T) {
	defer func() {
		styles.UseTerminal(styles.Terminal{Colors: 256, Bold: true, Reverse: true})
		lipgloss.SetColorProfile(termenv.Ascii)
	}()
	env := fleetEnv(t, 100)
	use := func(env map[string]string) string {
		styles.UseTerminal(styles.DescribeTerminal(func(k string) string { return env[k] }, func(string) (styles.Info, bool) { return styles.Info{}, false }))
		return ""
	}
	use(map[string]string{"TERM": "xterm-256color"})
	v := newPane(env, 118, 37).View()
	if !strings.Contains(v, "38;5;203m█") || !strings.Contains(v, "38;5;71m·") {
		t.Errorf("256 colours: critical and ok cells not coloured:\n%q", v[:min(len(v), 2000)])
	}
	use(map[string]string{"TERM": "xterm-256color", "NO_COLOR": "1"})
	v = newPane(env, 118, 37).View()
	if strings.Contains(v, "38;5;") || strings.Contains(v, "[31m") {
		t.Error("NO_COLOR: colour codes in the view")
	}
	if !strings.Contains(v, "\x1b[7m") {
		t.Error("NO_COLOR: the selection is not reversed")
	}
	use(map[string]string{"TERM": "screen"})
	v = newPane(env, 118, 37).View()
	if strings.Contains(v, "38;5;") || !regexp.MustCompile(`\x1b\[(1;)?31m█`).MatchString(v) {
		t.Error("TERM=screen: not the 8 base colours")
	}
}
