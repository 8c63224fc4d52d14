package tui

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/errorspane"
	"github.com/vigil-dev/vigil/tui/latencypane"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"

	"github.com/vigil-dev/vigil/tui/driftpane"
	"github.com/vigil-dev/vigil/tui/fleetpane"
	"github.com/vigil-dev/vigil/tui/gpupane"
	"github.com/vigil-dev/vigil/tui/hostspane"
)

// Screen numbers.
const (
	ScreenOverview = 1
	ScreenGPUs     = 2
	ScreenLatency  = 3
	ScreenErrors   = 4
	ScreenDrift    = 5
	ScreenLogs     = 6
	ScreenTraces   = 7
	// ScreenFleet is the fleet screen (F, :fleet): a number no digit key
	// reaches, after the extra screens 8, 9 and 10.
	ScreenFleet = 11
)

// screen is one numbered view: its panes, focus and maximise state.
type screen struct {
	num   int
	name  string
	panes []pane.Pane
	focus int
	max   bool
}

func (sc *screen) focused() pane.Pane {
	if len(sc.panes) == 0 {
		return nil
	}
	return sc.panes[min(max(sc.focus, 0), len(sc.panes)-1)]
}

// named are the panes the root composes screens of.
type named struct {
	lat, gpu, errs, drift, hosts, logs, traces pane.Pane
	fleet                                      *fleetpane.Model
}

// buildScreens creates the panes once; a pane shown on two screens (the
// overview and its own screen) is the same instance, resized on switch.
// The overview and the GPU screen start with every candidate; compose
// narrows them to what has data.
func buildScreens(o Options) ([]*screen, named) {
	var p named
	p.lat = latencypane.New(latencypane.WithTopK(o.TopK), latencypane.WithLowBandwidth(o.LowBandwidth))
	eopts := []errorspane.Option{errorspane.WithTopK(o.TopK), errorspane.WithLowBandwidth(o.LowBandwidth)}
	if o.SLO != nil {
		eopts = append(eopts, errorspane.WithSLO(o.SLO))
	}
	p.errs = errorspane.New(eopts...)
	p.drift = driftpane.New(driftpane.WithSource(o.Drift), driftpane.WithTopK(o.TopK*2))
	if o.Drift == nil {
		// No monitor: say how to configure one (the pane's own text
		// would send a user who gave --log to --log again).
		p.drift = driftNotice()
	}
	p.gpu = o.GPU
	if p.gpu == nil {
		p.gpu = gpupane.New(gpupane.Options{Inspector: o.GPUInspector})
	}
	p.hosts = hostspane.New()
	p.fleet = fleetpane.New()
	p.logs, p.traces = pane.Pane(logsNotice()), pane.Pane(tracesNotice())
	if q := o.Screens[ScreenLogs]; q != nil {
		p.logs = q
	}
	if q := o.Screens[ScreenTraces]; q != nil {
		p.traces = q
	}
	out := []*screen{
		{num: ScreenOverview, name: "overview", panes: []pane.Pane{p.lat, p.gpu, p.errs, p.drift}},
		{num: ScreenGPUs, name: "gpus", panes: []pane.Pane{p.gpu}},
		{num: ScreenLatency, name: "latency", panes: []pane.Pane{p.lat}},
		{num: ScreenErrors, name: "errors", panes: []pane.Pane{p.errs}},
		{num: ScreenDrift, name: "drift", panes: []pane.Pane{p.drift}},
		{num: ScreenLogs, name: "logs", panes: []pane.Pane{p.logs}},
		{num: ScreenTraces, name: "traces", panes: []pane.Pane{p.traces}},
		{num: ScreenFleet, name: "fleet", panes: []pane.Pane{p.fleet}},
	}
	var extra []int
	for n, q := range o.Screens {
		if n > ScreenTraces && q != nil {
			extra = append(extra, n)
		}
	}
	sort.Ints(extra)
	for _, n := range extra {
		name := "screen" + strconv.Itoa(n)
		if f := strings.Fields(strings.ToLower(o.Screens[n].Title())); len(f) > 0 {
			name = f[0] // :alerts, :data, :executive in the palette
		}
		out = append(out, &screen{num: n, name: name, panes: []pane.Pane{o.Screens[n]}})
	}
	return out, p
}

// compose sets the overview's and the GPU screen's panes to what has
// data, so a run with only logs or only node-exporter shows what it has
// and no empty panes: latency and errors with services, GPUs with GPUs or
// a GPU source that is not off, drift with a monitor, the host strip with
// hosts, and the logs where none of latency, GPUs or errors has data.
// A pane once shown stays. Before any data the overview keeps its four
// panes, each saying what it waits for.
func (s *state) compose() {
	env := s.env
	p := s.named
	has := func(q pane.Pane, ok bool) bool {
		if ok {
			s.present[q] = true
		}
		return s.present[q]
	}
	lat := has(p.lat, len(env.Overview.Services) > 0)
	errs := has(p.errs, len(env.Overview.Services) > 0)
	gpu := has(p.gpu, s.hasGPUs())
	drift := has(p.drift, s.o.Drift != nil)
	hosts := has(p.hosts, len(env.Hosts) > 0)
	logs := has(p.logs, s.o.Screens[ScreenLogs] != nil && !s.present[p.logs] && env.Store != nil && len(env.Store.Logs(time.Time{}, env.Now, 1, nil)) > 0)
	var ov []pane.Pane
	for _, c := range []struct {
		p  pane.Pane
		on bool
	}{{p.lat, lat}, {p.gpu, gpu}, {p.errs, errs}, {p.drift, drift}, {p.logs, logs && !lat && !gpu && !errs}} {
		if c.on {
			ov = append(ov, c.p)
		}
	}
	if !lat && !gpu && !errs && !hosts && !logs {
		// No data yet (a drift monitor alone is no data).
		ov = []pane.Pane{p.lat, p.gpu, p.errs, p.drift}
	}
	var gs []pane.Pane
	if gpu || !hosts {
		gs = append(gs, p.gpu)
	}
	if hosts {
		ov = append(ov, p.hosts)
		gs = append(gs, p.hosts)
	}
	s.setPanes(ScreenOverview, ov)
	s.setPanes(ScreenGPUs, gs)
}

// hasGPUs reports GPUs in the store, or a GPU source (NVML, dcgm) that is
// not off.
func (s *state) hasGPUs() bool {
	if st := s.env.Store; st != nil && (len(st.Select(sources.GPUUtilization)) > 0 || len(st.Select(sources.GPUTemperature)) > 0) {
		return true
	}
	for _, h := range s.env.Overview.Sources {
		if (h.Kind == "nvml" || h.Kind == "dcgm") && h.State != "disabled" {
			return true
		}
	}
	return false
}

// setPanes gives screen n these panes, keeping the focus on the same pane.
func (s *state) setPanes(n int, ps []pane.Pane) {
	i := s.screenIndex(n)
	if i < 0 {
		return
	}
	sc := s.screens[i]
	if slices.Equal(sc.panes, ps) {
		return
	}
	prev, first := sc.focused(), sc.focus == 0
	sc.panes, sc.focus = ps, 0
	for j, q := range ps {
		if q == prev && !first {
			sc.focus = j // the user's focus stays; the first pane stays first
		}
	}
	if len(ps) < 2 {
		sc.max = false
	}
	if i == s.cur && sc.focused() != prev {
		s.focusChanged(prev)
	}
}

// stripRows is the host strip's outer height: its border and one row per
// host, at most a quarter of the rows (the pane scrolls the rest); half
// the screen while it shows a host's detail.
func (s *state) stripRows(sc *screen) int {
	if len(sc.panes) < 2 || sc.panes[len(sc.panes)-1] != s.named.hosts {
		return 0
	}
	if sc.focused() == s.named.hosts && strings.HasPrefix(s.named.hosts.Title(), "Host ") {
		return s.h // a host's detail: half the screen (the layout's cap)
	}
	return 2 + min(max(len(s.env.Hosts), 1), max(1, s.h/4))
}

func (s *state) screen() *screen { return s.screens[s.cur] }

// screenIndex returns the index of screen number n, or -1.
func (s *state) screenIndex(n int) int {
	for i, sc := range s.screens {
		if sc.num == n {
			return i
		}
	}
	return -1
}

// switchTo shows screen number n.
func (s *state) switchTo(n int) bool {
	i := s.screenIndex(n)
	if i < 0 {
		return false
	}
	prev := s.screen().focused()
	s.cur = i
	s.focusChanged(prev)
	return true
}

// focusChanged moves the Focus/Blur calls from prev to the focused pane.
func (s *state) focusChanged(prev pane.Pane) {
	now := s.screen().focused()
	if prev == now {
		if f, ok := now.(pane.Focuser); ok {
			f.Focus()
		}
		return
	}
	if f, ok := prev.(pane.Focuser); ok && prev != nil {
		f.Blur()
	}
	if f, ok := now.(pane.Focuser); ok && now != nil {
		f.Focus()
	}
}

func (s *state) setFocus(i int) {
	sc := s.screen()
	if len(sc.panes) == 0 {
		return
	}
	prev := sc.focused()
	sc.focus = (i%len(sc.panes) + len(sc.panes)) % len(sc.panes)
	s.focusChanged(prev)
}

// relayout places the current screen and gives each visible pane its size,
// refreshing any that has not seen the current evaluation.
func (s *state) relayout() {
	if !s.sized {
		return
	}
	sc := s.screen()
	spec := layout.Spec{
		Panes:     len(sc.panes),
		Focused:   sc.focus,
		Maximised: sc.max,
		Prompt:    s.palette.Active() || s.filter.Active(),
		Titles:    make([]string, len(sc.panes)),
		Strip:     s.stripRows(sc),
	}
	for i, p := range sc.panes {
		spec.Titles[i] = p.Title()
	}
	if s.o.Timeline != nil {
		spec.Timeline = s.o.TimelineHeight
	}
	if len(s.alerts) > 0 {
		spec.Alerts = 1
	}
	s.plan = layout.Compute(s.w, s.h, spec)
	if s.plan.Mode == layout.TooSmall {
		return
	}
	s.help.SetSize(s.plan.Content.W, s.plan.Content.H)
	for i, p := range sc.panes {
		r := s.plan.Panes[i]
		if r.Empty() {
			continue
		}
		s.setSize(p, max(r.W-2, 0), max(r.H-2, 0))
		s.catchUp(p)
	}
	if s.o.Timeline != nil && !s.plan.Timeline.Empty() {
		s.setSize(s.o.Timeline, s.plan.Timeline.W, s.plan.Timeline.H)
		s.catchUp(s.o.Timeline)
	}
}

// setSize passes a size on only when it changed: some panes redraw on every
// SetSize, and relayout runs after every message.
func (s *state) setSize(p pane.Pane, w, h int) {
	if sz, ok := s.sizes[p]; ok && sz == [2]int{w, h} {
		return
	}
	s.sizes[p] = [2]int{w, h}
	p.SetSize(w, h)
}

// catchUp refreshes p if it has not seen the newest evaluation.
func (s *state) catchUp(p pane.Pane) {
	if s.envGen == 0 || s.seen[p] == s.envGen {
		return
	}
	p.Refresh(s.env)
	s.seen[p] = s.envGen
}
