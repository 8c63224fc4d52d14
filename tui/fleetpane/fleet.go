// Package fleetpane is the fleet screen: every host a cell of a heat grid,
// coloured (and shaped, for terminals without colour) by its worst signal —
// a target down, GPU temperature, throttling, XID or ECC errors, error ratio
// against its target, p99 against its SLO, queue depth, or gone quiet —
// grouped by a label the user picks (cluster, namespace, model, job, ...),
// worst first within and across groups; beside it the worst GPUs and the
// worst services, each naming its host. Enter on a host (or on a GPU or a
// service) asks the root to scope the whole console to that host
// (pane.ScopeMsg); Esc there comes back.
//
// Figures are view.EvaluateFleet's, at the instant the screen claims
// (env.At), over the root's evaluation (env.Overview, env.Hosts): the pane
// adds only the grouping, the order of groups and the layout.
//
// Glyphs, worst first: ✖ down (a scrape target of the host is down),
// █ critical, ○ gone (its newest data is well behind the fleet's), ▒ warning,
// · ok, ? n/a (nothing known at the instant). With colour they are also red,
// red, grey, yellow, green and grey.
//
// Layout: three lines on top (the legend with the count of each severity;
// the fleet's extremes — hottest GPU, deepest queue, highest error ratio,
// slowest p99 — each naming its host, so they are on the first screen
// whatever the grid's order; the selected host and its worst signal), then
// the grid, with the lists on its right from 100 columns and under it below
// that. A cell is two columns (glyph and gap) while every host fits, else
// one; when even that does not fit, the grid scrolls and the worst groups
// stay on top, a last row counting what is hidden below.
package fleetpane

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// KeyMap is the pane's bindings.
type KeyMap struct {
	Up, Down, Left, Right, PageUp, PageDown, Top, Bottom key.Binding
	Open, NextArea, PrevArea, NextGroup, PrevGroup       key.Binding
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("hjkl", "move")),
		Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("hjkl", "move")),
		Left:      key.NewBinding(key.WithKeys("h", "left"), key.WithHelp("hjkl", "move")),
		Right:     key.NewBinding(key.WithKeys("l", "right"), key.WithHelp("hjkl", "move")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup/pgdn", "page")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgup/pgdn", "page")),
		Top:       key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/G", "worst/last")),
		Bottom:    key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("g/G", "worst/last")),
		Open:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "scope to host")),
		NextArea:  key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "grid/GPUs/services")),
		PrevArea:  key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("S-tab", "previous area")),
		NextGroup: key.NewBinding(key.WithKeys("o"), key.WithHelp("o/O", "group by label (:group)")),
		PrevGroup: key.NewBinding(key.WithKeys("O"), key.WithHelp("o/O", "group by label (:group)")),
	}
}

// Areas of the pane that take the selection.
const (
	AreaGrid = iota
	AreaGPUs
	AreaServices
	areas
)

// GroupNone groups nothing: one grid of every host.
const GroupNone = "none"

// DefaultGroups is the order of labels the grouping starts from: the first
// the fleet has is the default.
var DefaultGroups = []string{"cluster", "namespace", "region", "zone", "env", "environment", "model", "service", "job"}

// Model is the fleet pane.
type Model struct {
	keys    KeyMap
	w, h    int
	focused bool

	env    pane.Env
	fl     view.Fleet
	flGen  uint64    // store generation fl was evaluated at
	flAt   time.Time // and the instant
	flFig  uint64    // and the root's figures (pane.Env.Figures)
	flOK   bool
	ext    view.FleetExtremes
	labels []string // the labels hosts can be grouped by, sorted

	group     string // the label asked for ("" the default)
	filter    styles.Filter
	filterStr string

	// After the filter and grouping: every host shown, group by group.
	groups []group
	order  []int // index into fl.Hosts, in grid order
	gpus   []view.FleetGPU
	svcs   []view.FleetService

	area     int
	sel      int    // index into order
	selHost  string // the selected host, kept across refreshes once moved
	moved    bool   // the user moved the selection: it follows its host
	gpuSel   int
	svcSel   int
	top      int // first grid row shown
	geo      geometry
	out      string
	lastNote string
}

// group is one group of hosts, worst first.
type group struct {
	name  string
	hosts []int // index into fl.Hosts
	count map[string]int
}

// New returns the pane.
func New() *Model { return &Model{keys: DefaultKeyMap()} }

var (
	_ pane.Pane     = (*Model)(nil)
	_ pane.Focuser  = (*Model)(nil)
	_ pane.Filterer = (*Model)(nil)
	_ pane.Escaper  = (*Model)(nil)
)

// Title implements pane.Pane.
func (m *Model) Title() string { return "Fleet" }

// Note is the top-right of the border: hosts shown and the grouping.
func (m *Model) Note() string { return m.lastNote }

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(w, 0), max(h, 0)
	m.layout()
	m.render()
}

// Focus implements pane.Focuser.
func (m *Model) Focus() { m.focused = true; m.render() }

// Blur implements pane.Focuser.
func (m *Model) Blur() { m.focused = false; m.render() }

// Refresh implements pane.Pane: the fleet at env's instant, re-evaluated
// only when the data or the instant changed.
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	at := env.EvalAt()
	if env.Store == nil {
		m.fl, m.flOK = view.Fleet{}, false
	} else if gen := env.Store.Generation(); !m.flOK || gen != m.flGen || env.Figures != m.flFig || at.Before(m.flAt) || env.Figures == 0 && !at.Equal(m.flAt) {
		m.fl = view.EvaluateFleet(env.Store, env.Overview, env.Hosts, at, env.Options)
		m.flGen, m.flAt, m.flFig, m.flOK = gen, at, env.Figures, true
		m.labels = groupLabels(m.fl)
	} else if at.After(m.flAt) {
		// The root aged its figures (a live tick between polls): so
		// does the fleet.
		view.AdvanceFleet(&m.fl, at)
		m.flAt = at
	}
	m.rebuild()
	m.layout()
	m.render()
}

// View implements pane.Pane.
func (m *Model) View() string { return m.out }

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	return []key.Binding{m.keys.Down, m.keys.Open, m.keys.NextArea, m.keys.NextGroup, m.keys.Top, m.keys.PageDown}
}

// Group is the label hosts are grouped by (GroupNone for none).
func (m *Model) Group() string {
	if m.group != "" {
		if m.group == GroupNone || contains(m.labels, m.group) {
			return m.group
		}
	}
	for _, g := range DefaultGroups {
		if contains(m.labels, g) {
			return g
		}
	}
	return GroupNone
}

// Labels lists what hosts can be grouped by: the labels the fleet's hosts
// carry, and GroupNone.
func (m *Model) Labels() []string { return append(append([]string(nil), m.labels...), GroupNone) }

// SetGroup groups hosts by label (GroupNone: no groups). A label no host
// carries is an error naming those that exist.
func (m *Model) SetGroup(label string) error {
	if label != GroupNone && !contains(m.labels, label) {
		if len(m.labels) == 0 {
			return fmt.Errorf("group %q: no host carries a label to group by yet", label)
		}
		return fmt.Errorf("group %q: the hosts carry %s", label, strings.Join(m.Labels(), ", "))
	}
	m.group = label
	m.rebuild()
	m.layout()
	m.render()
	return nil
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	k := m.keys
	switch {
	case key.Matches(msg, k.NextArea), key.Matches(msg, k.PrevArea):
		d := 1
		if key.Matches(msg, k.PrevArea) {
			d = areas - 1
		}
		m.area = (m.area + d) % areas
	case key.Matches(msg, k.NextGroup), key.Matches(msg, k.PrevGroup):
		ls := m.Labels()
		i := indexOf(ls, m.Group())
		if key.Matches(msg, k.PrevGroup) {
			i += len(ls) - 2
		}
		m.group = ls[(i+1)%len(ls)]
		m.rebuild()
		m.layout()
	case key.Matches(msg, k.Open):
		return true, m.open()
	case key.Matches(msg, k.Up):
		m.move(0, -1)
	case key.Matches(msg, k.Down):
		m.move(0, 1)
	case key.Matches(msg, k.Left):
		if m.area != AreaGrid {
			return false, nil
		}
		m.move(-1, 0)
	case key.Matches(msg, k.Right):
		if m.area != AreaGrid {
			return false, nil
		}
		m.move(1, 0)
	case key.Matches(msg, k.PageUp):
		m.move(0, -max(m.geo.gridH-1, 1))
	case key.Matches(msg, k.PageDown):
		m.move(0, max(m.geo.gridH-1, 1))
	case key.Matches(msg, k.Top):
		m.jumpEnd(false)
	case key.Matches(msg, k.Bottom):
		m.jumpEnd(true)
	default:
		return false, nil
	}
	m.render()
	return true, nil
}

// open scopes the console to the selected host (and, from a list, opens
// the GPU's or the service's detail there).
func (m *Model) open() tea.Cmd {
	var sm pane.ScopeMsg
	switch m.area {
	case AreaGPUs:
		if m.gpuSel >= len(m.gpus) {
			return nil
		}
		g := m.gpus[m.gpuSel]
		sm = pane.ScopeMsg{Host: g.Host, Then: pane.JumpMsg{Target: pane.TargetGPU, Host: g.Host, GPU: firstOf(g.UUID, g.GPU)}}
	case AreaServices:
		if m.svcSel >= len(m.svcs) {
			return nil
		}
		s := m.svcs[m.svcSel]
		sm = pane.ScopeMsg{Host: s.Host, Then: pane.JumpMsg{Target: pane.TargetMetrics, Host: s.Host, Service: s.Service}}
	default:
		h, ok := m.selected()
		if !ok {
			return nil
		}
		sm = pane.ScopeMsg{Host: h.Host}
	}
	return func() tea.Msg { return sm }
}

// Escape implements pane.Escaper: from a list, back to the grid.
func (m *Model) Escape() bool {
	if m.area == AreaGrid {
		return false
	}
	m.area = AreaGrid
	m.render()
	return true
}

// SetFilter implements pane.Filterer: a regex over each host's name, its
// worst signal and its group labels; the grid and the lists keep the hosts
// that match.
func (m *Model) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	m.filter, m.filterStr = f, expr
	m.rebuild()
	m.layout()
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.filterStr }

// NextMatch implements pane.Filterer: the filter hides what does not
// match, so n/N step through the hosts shown, in grid order.
func (m *Model) NextMatch(back bool) {
	if len(m.order) == 0 {
		return
	}
	d := 1
	if back {
		d = len(m.order) - 1
	}
	m.area = AreaGrid
	m.setSel((m.sel + d) % len(m.order))
	m.render()
}

// Selection returns the selected host (for y and the L/X/M jumps).
func (m *Model) Selection() (pane.JumpMsg, bool) {
	switch m.area {
	case AreaGPUs:
		if m.gpuSel < len(m.gpus) {
			g := m.gpus[m.gpuSel]
			return pane.JumpMsg{Host: g.Host, GPU: firstOf(g.UUID, g.GPU)}, true
		}
	case AreaServices:
		if m.svcSel < len(m.svcs) {
			s := m.svcs[m.svcSel]
			return pane.JumpMsg{Host: s.Host, Service: s.Service}, true
		}
	}
	h, ok := m.selected()
	if !ok {
		return pane.JumpMsg{}, false
	}
	return pane.JumpMsg{Host: h.Host}, true
}

// Hosts is the number of hosts in the fleet at the last refresh.
func (m *Model) Hosts() int { return len(m.fl.Hosts) }

// Fleet is the fleet as last evaluated.
func (m *Model) Fleet() view.Fleet { return m.fl }

func (m *Model) selected() (view.FleetHost, bool) {
	if m.sel < 0 || m.sel >= len(m.order) {
		return view.FleetHost{}, false
	}
	return m.fl.Hosts[m.order[m.sel]], true
}

// rebuild applies the filter and the grouping: groups worst first (by
// their counts of down, critical, gone and warning hosts, compared in that
// order), hosts within a group in the fleet's order (worst first).
func (m *Model) rebuild() {
	label := m.Group()
	byName := map[string]*group{}
	var gs []*group
	for i, h := range m.fl.Hosts {
		if !m.keep(h) {
			continue
		}
		name := ""
		if label != GroupNone {
			name = h.Groups[label]
			if name == "" {
				name = "no " + label
			}
		}
		g := byName[name]
		if g == nil {
			g = &group{name: name, count: map[string]int{}}
			byName[name] = g
			gs = append(gs, g)
		}
		g.hosts = append(g.hosts, i)
		g.count[h.Severity]++
	}
	sort.SliceStable(gs, func(i, j int) bool {
		a, b := gs[i], gs[j]
		for _, s := range severities {
			if s == view.SevOK {
				break
			}
			if a.count[s] != b.count[s] {
				return a.count[s] > b.count[s]
			}
		}
		return a.name < b.name
	})
	m.groups = m.groups[:0]
	m.order = m.order[:0]
	for _, g := range gs {
		m.groups = append(m.groups, *g)
		m.order = append(m.order, g.hosts...)
	}
	shown := map[string]bool{}
	for _, i := range m.order {
		shown[m.fl.Hosts[i].Host] = true
	}
	var keep func(string) bool
	if m.filter.Active() {
		keep = func(h string) bool { return shown[h] }
	}
	m.ext = view.EvaluateFleetExtremes(m.env.Overview, m.env.Options, keep)
	m.gpus = m.gpus[:0]
	for _, g := range m.fl.WorstGPUs {
		if shown[g.Host] {
			m.gpus = append(m.gpus, g)
		}
	}
	m.svcs = m.svcs[:0]
	for _, s := range m.fl.WorstServices {
		if shown[s.Host] {
			m.svcs = append(m.svcs, s)
		}
	}
	m.gpuSel = min(m.gpuSel, max(len(m.gpus)-1, 0))
	m.svcSel = min(m.svcSel, max(len(m.svcs)-1, 0))
	// The selection follows its host once the user moved it; until then it
	// stays on the worst.
	m.sel = 0
	if m.moved {
		for i, j := range m.order {
			if m.fl.Hosts[j].Host == m.selHost {
				m.sel = i
			}
		}
	}
	if h, ok := m.selected(); ok && !m.moved {
		m.selHost = h.Host
	}
	n := len(m.order)
	note := sources.OneLine(strings.Join([]string{plural(n, "host"), "by " + label}, " · "))
	if m.filter.Active() {
		note = strconv.Itoa(n) + " of " + plural(len(m.fl.Hosts), "host") + " · /" + sources.OneLine(m.filterStr)
	}
	m.lastNote = note
}

// keep reports whether the filter keeps h.
func (m *Model) keep(h view.FleetHost) bool {
	if !m.filter.Active() {
		return true
	}
	parts := []string{h.Host, h.Severity, h.Worst}
	for _, k := range sortedKeys(h.Groups) {
		parts = append(parts, h.Groups[k])
	}
	return m.filter.Keep(strings.Join(parts, " "))
}

func (m *Model) setSel(i int) {
	if len(m.order) == 0 {
		return
	}
	m.sel = min(max(i, 0), len(m.order)-1)
	m.selHost = m.fl.Hosts[m.order[m.sel]].Host
	m.moved = true
	m.scrollTo()
}

// groupLabels are the labels any host of fl can be grouped by: those of
// DefaultGroups in its order (o steps through them so), then the others
// by name.
func groupLabels(fl view.Fleet) []string {
	seen := map[string]bool{}
	for _, h := range fl.Hosts {
		for k, v := range h.Groups {
			if v != "" {
				seen[k] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for _, g := range DefaultGroups {
		if seen[g] {
			out = append(out, g)
			delete(seen, g)
		}
	}
	return append(out, sortedKeys(seen)...)
}

// labelRe is what a label name may be (as Prometheus' label names).
var labelRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// ValidLabel reports whether s can name a label.
func ValidLabel(s string) bool { return s == GroupNone || labelRe.MatchString(s) }

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(xs []string, x string) bool { return indexOf(xs, x) >= 0 }

func indexOf(xs []string, x string) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
