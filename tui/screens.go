package tui

import (
	"sort"
	"strconv"
	"strings"

	"github.com/vigil-dev/vigil/tui/errors"
	"github.com/vigil-dev/vigil/tui/latency"
	"github.com/vigil-dev/vigil/tui/layout"
	"github.com/vigil-dev/vigil/tui/pane"

	driftpane "github.com/vigil-dev/vigil/tui/drift"
	gpupane "github.com/vigil-dev/vigil/tui/gpu"
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

// buildScreens creates the panes once; a pane shown on two screens (the
// overview and its own screen) is the same instance, resized on switch.
func buildScreens(o Options) []*screen {
	lat := latency.New(latency.WithTopK(o.TopK), latency.WithLowBandwidth(o.LowBandwidth))
	eopts := []errors.Option{errors.WithTopK(o.TopK), errors.WithLowBandwidth(o.LowBandwidth)}
	if o.SLO != nil {
		eopts = append(eopts, errors.WithSLO(o.SLO))
	}
	errs := errors.New(eopts...)
	var dr pane.Pane = driftpane.New(driftpane.WithSource(o.Drift), driftpane.WithTopK(o.TopK*2))
	if o.Drift == nil {
		dr = driftpane.New(driftpane.WithTopK(o.TopK * 2))
	}
	gpu := o.GPU
	if gpu == nil {
		gpu = gpupane.New(gpupane.Options{Inspector: o.GPUInspector})
	}
	logs, traces := pane.Pane(logsNotice()), pane.Pane(tracesNotice())
	if p := o.Screens[ScreenLogs]; p != nil {
		logs = p
	}
	if p := o.Screens[ScreenTraces]; p != nil {
		traces = p
	}
	out := []*screen{
		{num: ScreenOverview, name: "overview", panes: []pane.Pane{lat, gpu, errs, dr}},
		{num: ScreenGPUs, name: "gpus", panes: []pane.Pane{gpu}},
		{num: ScreenLatency, name: "latency", panes: []pane.Pane{lat}},
		{num: ScreenErrors, name: "errors", panes: []pane.Pane{errs}},
		{num: ScreenDrift, name: "drift", panes: []pane.Pane{dr}},
		{num: ScreenLogs, name: "logs", panes: []pane.Pane{logs}},
		{num: ScreenTraces, name: "traces", panes: []pane.Pane{traces}},
	}
	var extra []int
	for n, p := range o.Screens {
		if n > ScreenTraces && p != nil {
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
	return out
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
