// Package gpupane is the console's GPU pane: one dense row per GPU (utilisation
// and memory sparklines, temperature, power against its limit, SM clock and
// decoded throttle/health badges) under a min/avg/max summary line, grouped
// by host when several hosts report, and a detail view on Enter with every
// field, history charts, the processes and the XID/ECC log.
//
// The pane reads only the store (env.Overview.GPUs and env.Store.Range), so
// GPUs from NVML, from dcgm-exporter scrapes and from a recording look the
// same. A collector that implements sources.GPUInspector adds static facts,
// field ages, MIG layout and processes to the detail view.
package gpupane

import (
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/internal/pick"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Options configures the pane.
type Options struct {
	// Inspector, when set, supplies facts beyond the series (bus id, driver,
	// field ages, MIG, processes). It must not block.
	Inspector sources.GPUInspector
	// Title is shown in the border; default "GPUs".
	Title string
}

// row is one GPU as prepared by Refresh.
type row struct {
	g         view.GPU
	util      []sources.Sample // utilisation ratio over the window
	mem       []sources.Sample // memory used, bytes, over the window
	info      *sources.GPUInfo // nil without an inspector
	search    string           // what the filter matches against
	xidRecent bool             // an XID event or a change of the last XID inside the window
}

// Model is the GPU pane. Create it with New.
type Model struct {
	opts    Options
	w, h    int
	focused bool

	env    pane.Env
	live   bool  // env.Live at the last refresh
	all    []row // every GPU, sorted by host then index
	rows   []row // after the filter
	multi  bool  // several hosts: group rows under host headers
	procs  []sources.GPUProcess
	note   string
	health []view.SourceHealth // GPU sources' health (nvml, dcgm scrapes)

	sel      int    // index into rows
	selKey   string // the selected GPU's identity, kept across refreshes
	top      int    // first visible row (scrolling)
	detail   bool
	dtl      detailData
	filter   styles.Filter
	procSort int // 0 memory, 1 SM, 2 PID, 3 user
	procRev  bool

	out string // prepared view
}

// New returns a GPU pane.
func New(opts Options) *Model {
	if opts.Title == "" {
		opts.Title = "GPUs"
	}
	return &Model{opts: opts}
}

var _ pane.Pane = (*Model)(nil)
var _ pane.Focuser = (*Model)(nil)
var _ pane.Escaper = (*Model)(nil)
var _ pane.Filterer = (*Model)(nil)
var _ pane.Jumper = (*Model)(nil)

// Title implements pane.Pane: "GPUs", or "GPU 3" in the detail view.
func (m *Model) Title() string {
	if m.detail {
		if r := m.selected(); r != nil {
			t := "GPU " + r.g.Index
			if m.multi && r.g.Host != "" {
				t += " @ " + r.g.Host
			}
			return t
		}
	}
	return m.opts.Title
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(0, w), max(0, h)
	m.render()
}

// Focus implements pane.Focuser.
func (m *Model) Focus() { m.focused = true; m.render() }

// Blur implements pane.Focuser.
func (m *Model) Blur() { m.focused = false; m.render() }

func idOf(g view.GPU) string { return g.Host + "/" + g.Index + "/" + g.UUID }

func labelsOf(s sources.Series) string {
	return s.Label(sources.LabelHost) + "/" + s.Label(sources.LabelGPU) + "/" + s.Label(sources.LabelUUID)
}

// Refresh implements pane.Pane: it reads the GPUs at the instant the
// screen claims (env.At: the cursor when on) and their history over the
// shared window. What the inspector knows only of the present (processes,
// a GPU's state and its fields' ages) shows only while env.Live.
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	m.live = env.Live()
	from := env.From()
	keys := func(name string) map[string]string {
		out := map[string]string{}
		if env.Store == nil {
			return out
		}
		for _, s := range env.Store.Select(name) {
			out[labelsOf(s)] = s.Key()
		}
		return out
	}
	uk, mk, xk := keys(sources.GPUUtilization), keys(sources.GPUMemoryUsed), keys(sources.GPUXIDLast)
	xidEvents := map[string]bool{}
	if env.Store != nil {
		for _, e := range env.Store.Events(from, env.Now, 1000) {
			if e.Kind != "xid" {
				continue
			}
			var h, i, u string
			for _, l := range e.Labels {
				switch l.Name {
				case sources.LabelHost:
					h = l.Value
				case sources.LabelGPU:
					i = l.Value
				case sources.LabelUUID:
					u = l.Value
				}
			}
			xidEvents[h+"/"+i+"/"+u] = true
		}
	}
	var infos map[string]*sources.GPUInfo
	if m.opts.Inspector != nil {
		is := m.opts.Inspector.GPUInfos()
		infos = make(map[string]*sources.GPUInfo, len(is))
		for i := range is {
			if !m.live {
				// The static facts (bus, driver, MIG layout) hold at
				// any instant; the state and field ages are the present's.
				is[i].State, is[i].Err, is[i].Fields = "", "", nil
			}
			infos[is[i].Host+"/"+is[i].Index+"/"+is[i].UUID] = &is[i]
		}
		m.procs = nil
		if m.live {
			m.procs = m.opts.Inspector.GPUProcesses()
		}
		m.note = ""
		if localShown(env) {
			m.note = m.opts.Inspector.GPUNote() // the local library's
		}
	}
	m.all = m.all[:0]
	hosts := map[string]bool{}
	for _, g := range knownGPUs(env) {
		id := idOf(g)
		r := row{g: g, info: infos[id]}
		if k, ok := uk[id]; ok {
			r.util = env.Store.Range(k, from, env.Now)
		}
		if k, ok := mk[id]; ok {
			r.mem = env.Store.Range(k, from, env.Now)
		}
		r.xidRecent = xidEvents[id]
		if k, ok := xk[id]; ok && !r.xidRecent && g.XIDLast.OK && g.XIDLast.V != 0 {
			// dcgm-exporter and recordings carry no events: a change of the
			// last-XID gauge inside the window counts.
			for _, smp := range env.Store.Range(k, from, env.Now) {
				if smp.V != g.XIDLast.V {
					r.xidRecent = true
					break
				}
			}
		}
		r.search = strings.Join([]string{g.Host, "gpu" + g.Index, g.Index, g.UUID, g.Model, strings.Join(g.Badges, " ")}, " ")
		m.all = append(m.all, r)
		hosts[g.Host] = true
	}
	m.multi = len(hosts) > 1
	m.health = m.health[:0]
	for _, h := range env.Overview.Sources {
		if h.Kind == "nvml" && !localShown(env) {
			continue // this machine's NVML says nothing of the hosts shown
		}
		if h.Kind == "nvml" || h.Kind == "dcgm" {
			m.health = append(m.health, h)
		}
	}
	m.applyFilter()
	m.reloadDetail()
	m.render()
}

// localHost is this machine's name, as NVML's series carry it.
var localHost, _ = os.Hostname()

// localShown reports whether the pane shows this machine's GPUs: not when
// the console is scoped to another host, nor when it watches a fleet (more
// than one host; query mode) unscoped, where the GPUs come from the fleet's
// exporters and the local library's state ("NVIDIA driver not found") is
// not theirs.
func localShown(env pane.Env) bool {
	if env.Scope != "" {
		return env.Scope == localHost
	}
	return len(env.Hosts) <= 1
}

// knownGPUs is every GPU the store has series of, with its figures at the
// pane's instant (env.Overview.GPUs) or n/a where it reported nothing then:
// a cursor before a GPU's first sample shows its row, not "no GPUs".
func knownGPUs(env pane.Env) []view.GPU {
	out := append([]view.GPU(nil), env.Overview.GPUs...)
	if env.Store == nil {
		return out
	}
	have := map[string]bool{}
	// GPUs by host and index with a UUID: series without one are theirs
	// where only one has that index (view.GPUs reads them as one GPU).
	named := map[[2]string]int{}
	for _, g := range out {
		have[idOf(g)] = true
		if g.UUID != "" {
			named[[2]string{g.Host, g.Index}]++
		}
	}
	added := false
	for _, name := range []string{sources.GPUUtilization, sources.GPUTemperature, sources.GPUMemoryUsed, sources.GPUPower} {
		for _, s := range env.Store.Select(name) {
			g := view.GPU{Host: s.Label(sources.LabelHost), Index: s.Label(sources.LabelGPU), UUID: s.Label(sources.LabelUUID),
				Model: s.Label(sources.LabelModel), Badges: []string{}}
			if !env.InScope(g.Host) {
				continue // the console is scoped to another host
			}
			if g.UUID == "" && g.Index != "" && named[[2]string{g.Host, g.Index}] == 1 {
				continue
			}
			if id := idOf(g); !have[id] {
				have[id] = true
				out = append(out, g)
				added = true
				if g.UUID != "" {
					named[[2]string{g.Host, g.Index}]++
				}
			}
		}
	}
	if added {
		sort.SliceStable(out, func(i, j int) bool {
			a, b := out[i], out[j]
			if a.Host != b.Host {
				return a.Host < b.Host
			}
			ai, _ := strconv.Atoi(a.Index)
			bi, _ := strconv.Atoi(b.Index)
			if ai != bi {
				return ai < bi
			}
			return a.UUID < b.UUID
		})
	}
	return out
}

// applyFilter rebuilds rows from all and keeps the selection on the same GPU.
func (m *Model) applyFilter() {
	keep := func(r *row) bool { return m.filter.Keep(r.search) || m.detail }
	m.rows, m.sel = pick.Filter(m.rows[:0], m.all, keep, func(r *row) string { return idOf(r.g) }, m.selKey)
	if len(m.rows) > 0 {
		m.selKey = idOf(m.rows[m.sel].g)
	} else if m.detail {
		m.detail = false
	}
}

func (m *Model) selected() *row {
	if m.sel < 0 || m.sel >= len(m.rows) {
		return nil
	}
	return &m.rows[m.sel]
}

func (m *Model) move(d int) {
	if len(m.rows) == 0 {
		return
	}
	m.sel = pick.Move(m.sel, d, len(m.rows))
	m.selKey = idOf(m.rows[m.sel].g)
}

var (
	keyDown  = key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/k", "select GPU"))
	keyUp    = key.NewBinding(key.WithKeys("k", "up"))
	keyTop   = key.NewBinding(key.WithKeys("g", "home"))
	keyEnd   = key.NewBinding(key.WithKeys("G", "end"))
	keyPgDn  = key.NewBinding(key.WithKeys("pgdown"))
	keyPgUp  = key.NewBinding(key.WithKeys("pgup"))
	keyEnter = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "GPU detail"))
	keyEsc   = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	keySort  = key.NewBinding(key.WithKeys("o"), key.WithHelp("o/O", "sort processes"))
	keyRSort = key.NewBinding(key.WithKeys("O"))
)

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	if m.detail {
		return []key.Binding{keyDown, keySort, keyEsc}
	}
	return []key.Binding{keyDown, keyEnter}
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	used := true
	switch {
	case key.Matches(msg, keyDown):
		m.move(1)
		m.reloadDetail()
	case key.Matches(msg, keyUp):
		m.move(-1)
		m.reloadDetail()
	case key.Matches(msg, keyTop):
		m.move(-len(m.rows))
		m.reloadDetail()
	case key.Matches(msg, keyEnd):
		m.move(len(m.rows))
		m.reloadDetail()
	case key.Matches(msg, keyPgDn):
		m.move(max(1, m.h-2))
		m.reloadDetail()
	case key.Matches(msg, keyPgUp):
		m.move(-max(1, m.h-2))
		m.reloadDetail()
	case key.Matches(msg, keyEnter):
		if m.detail || m.selected() == nil {
			used = false
			break
		}
		m.detail = true
		m.applyFilter()
		m.loadDetail()
	case key.Matches(msg, keySort) && m.detail:
		m.procSort = (m.procSort + 1) % 4
		m.loadDetail()
	case key.Matches(msg, keyRSort) && m.detail:
		m.procRev = !m.procRev
		m.loadDetail()
	default:
		used = false
	}
	if used {
		m.render()
	}
	return used, nil
}

// reloadDetail prepares the selected GPU's histories when the detail view
// or the list's preview of the selection shows them.
func (m *Model) reloadDetail() {
	if m.detail || m.preview() {
		m.loadDetail()
	}
}

// previewMin is the room (rows) under the list that earns a preview of the
// selected GPU: its charts and processes.
const previewMin = 10

// listRows is how many rows the list takes: summary, header, note, host
// headers and GPUs.
func (m *Model) listRows() int {
	n := 2 + len(m.rows)
	if m.note != "" {
		n++
	}
	if m.multi {
		hosts := map[string]bool{}
		for _, r := range m.rows {
			hosts[r.g.Host] = true
		}
		n += len(hosts)
	}
	return n
}

// preview reports whether the list has room below it for the selected
// GPU's charts.
func (m *Model) preview() bool {
	return !m.detail && len(m.rows) > 0 && m.h-m.listRows() >= previewMin
}

// Escape implements pane.Escaper: it leaves the detail view.
func (m *Model) Escape() bool {
	if !m.detail {
		return false
	}
	m.detail = false
	m.applyFilter()
	m.reloadDetail()
	m.render()
	return true
}

// SetFilter implements pane.Filterer: a regex over host, index, UUID, model
// and badges in the list; over user, container and command in the detail's
// process table.
func (m *Model) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	m.filter = f
	m.applyFilter()
	m.reloadDetail()
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.filter.Expr }

// NextMatch implements pane.Filterer: the filter already hides what does
// not match, so n/N step through what is left.
func (m *Model) NextMatch(back bool) {
	if len(m.rows) == 0 {
		return
	}
	m.sel = pick.Step(m.sel, len(m.rows), back)
	m.selKey = idOf(m.rows[m.sel].g)
	m.reloadDetail()
	m.render()
}

// Jump implements pane.Jumper: a jump naming a GPU selects it and opens its
// detail.
func (m *Model) Jump(msg pane.JumpMsg) tea.Cmd {
	if msg.Target != pane.TargetGPU || msg.GPU == "" {
		return nil
	}
	for i, r := range m.all {
		if (r.g.Index == msg.GPU || r.g.UUID == msg.GPU) && (msg.Host == "" || msg.Host == r.g.Host) {
			m.filter = styles.Filter{}
			m.selKey = idOf(m.all[i].g)
			m.detail = true
			m.applyFilter()
			m.loadDetail()
			m.render()
			return nil
		}
	}
	return func() tea.Msg { return pane.StatusMsg{Text: "no GPU " + msg.GPU, Error: true} }
}

// View implements pane.Pane.
func (m *Model) View() string { return m.out }

func (m *Model) render() {
	if m.w <= 0 || m.h <= 0 {
		m.out = ""
		return
	}
	var lines []string
	if m.detail && m.selected() != nil {
		lines = m.renderDetail()
	} else {
		lines = m.renderList()
	}
	m.out = styles.Block(strings.Join(lines, "\n"), m.w, m.h)
}

// age formats how long before the pane's instant t was.
func (m *Model) age(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return styles.Duration(m.env.EvalAt().Sub(t).Seconds())
}

var digits = regexp.MustCompile(`^\d+$`)

func idxWidth(rows []row) int {
	w := 1
	for _, r := range rows {
		n := len(r.g.Index)
		if !digits.MatchString(r.g.Index) {
			n = min(n, 3)
		}
		w = max(w, n)
	}
	return w
}

func itoa(i int) string { return strconv.Itoa(i) }

// DetailHost is the host of the GPU whose detail is open, "" when none is
// (the console then fetches that host's detail from a query engine).
func (m *Model) DetailHost() string {
	if !m.detail || m.sel < 0 || m.sel >= len(m.rows) {
		return ""
	}
	return m.rows[m.sel].g.Host
}
