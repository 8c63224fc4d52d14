package tui

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
)

// Host scope. Where more than one host is watched the console opens on
// the fleet screen (every host a cell, worst first); Enter there scopes the
// whole console to one host: the root narrows every evaluation it hands the
// panes (services, GPUs, hosts) to that host and says so in the status bar
// and the pane titles, and a source that fetches one host's detail on
// demand (sources.DetailFetcher: query mode's every GPU field, TTFT and
// ITL, their history) is asked for it. Esc at the top of a scoped console,
// :host with no argument, F or :fleet return to the fleet.

// Detail fetching.
const (
	// DetailRenew is how often a scoped console asks again for its host's
	// detail (a fetcher keeps it in its polls for a while after each ask;
	// query mode: 10 minutes).
	DetailRenew = 5 * time.Minute
	// DetailTimeout bounds one ask.
	DetailTimeout = 30 * time.Second
)

// detailMsg reports a host's detail fetched by the sources that can.
type detailMsg struct {
	host    string
	sources int
	err     error
}

// fleetHosts are the hosts the console watches (the unscoped evaluation's:
// host figures, services and GPUs), sorted.
func (s *state) fleetHosts() []string {
	seen := map[string]bool{}
	for _, h := range s.hosts {
		seen[h.Host] = true
	}
	for _, sv := range s.overview.Services {
		seen[sv.Host] = true
	}
	for _, g := range s.overview.GPUs {
		seen[g.Host] = true
	}
	delete(seen, "")
	out := make([]string, 0, len(seen))
	for h := range seen {
		out = append(out, h)
	}
	sort.Strings(out)
	return out
}

// machines counts the machines watched: the hosts with host figures
// (node-exporter), GPUs or engine targets (query mode's up). A service's
// host is left out: scraped directly, it is the target's host:port, so
// one box serving on two ports would count twice.
func (s *state) machines() int {
	seen := map[string]bool{}
	for _, h := range s.hosts {
		seen[h.Host] = true
	}
	for _, g := range s.overview.GPUs {
		seen[g.Host] = true
	}
	if st := s.o.Store; st != nil {
		for _, t := range st.Select(sources.TargetUp) {
			seen[t.Label(sources.LabelHost)] = true
		}
	}
	delete(seen, "")
	return len(seen)
}

// multiHost reports whether more than one machine is watched: the console
// then opens on the fleet, and q returns there before it quits.
func (s *state) multiHost() bool { return s.hostCount > 1 }

// home is the screen q returns to before it quits: the fleet where more
// than one host is watched, else the overview.
func (s *state) home() int {
	if s.multiHost() && s.scope == "" {
		return ScreenFleet
	}
	return ScreenOverview
}

// narrow keeps only host's services, GPUs and host figures.
func narrow(ov view.Overview, hosts []view.Host, host string) (view.Overview, []view.Host) {
	out := ov
	out.Services = make([]view.Service, 0, 4)
	for _, sv := range ov.Services {
		if sv.Host == host {
			out.Services = append(out.Services, sv)
		}
	}
	out.GPUs = make([]view.GPU, 0, 8)
	for _, g := range ov.GPUs {
		if g.Host == host {
			out.GPUs = append(out.GPUs, g)
		}
	}
	var hs []view.Host
	for _, h := range hosts {
		if h.Host == host {
			hs = append(hs, h)
		}
	}
	return out, hs
}

// scopeTo handles a pane's ScopeMsg: scope to its host and open the
// overview (or make its jump), or with no host return to the fleet.
func (s *state) scopeTo(m pane.ScopeMsg) tea.Cmd {
	if m.Host == "" {
		s.showFleet()
		return nil
	}
	s.scope = sources.OneLine(m.Host)
	s.detailAt = time.Time{}
	s.refresh()
	s.switchTo(ScreenOverview)
	s.setMessage("host "+s.scope+": esc returns to the fleet", false)
	cmds := []tea.Cmd{s.renewDetail()}
	if m.Then.Target != "" {
		cmds = append(cmds, s.jump(m.Then))
	}
	return tea.Batch(cmds...)
}

// scopeCommand is :host NAME (scope to it) and :host (the fleet).
func (s *state) scopeCommand(name string) tea.Cmd {
	if name == "" {
		s.showFleet()
		return nil
	}
	for _, h := range s.fleetHosts() {
		if h == name {
			return s.scopeTo(pane.ScopeMsg{Host: h})
		}
	}
	s.setMessage(fmt.Sprintf("no host %q (tab completes)", sources.OneLine(name)), true)
	return nil
}

// showFleet leaves any scope and shows the fleet screen.
func (s *state) showFleet() {
	if s.scope != "" {
		s.scope = ""
		s.refresh()
	}
	s.switchTo(ScreenFleet)
}

// renewDetail asks the sources that fetch one host's detail on demand for
// the scoped host's, when it is due: on scoping, then every DetailRenew.
// The window fetched is the one shown.
func (s *state) renewDetail() tea.Cmd {
	if s.scope == "" || s.o.Hub == nil || !s.started {
		return nil
	}
	if !s.detailAt.IsZero() && s.t.now.Sub(s.detailAt) < DetailRenew {
		return nil
	}
	var fs []sources.DetailFetcher
	for _, src := range s.o.Hub.Sources() {
		if f, ok := src.(sources.DetailFetcher); ok {
			fs = append(fs, f)
		}
	}
	if len(fs) == 0 {
		return nil
	}
	s.detailAt = s.t.now
	host, hub := s.scope, s.o.Hub
	to := s.t.shown()
	from := to.Add(-s.t.window)
	step := max(s.t.window/time.Duration(max(s.w, 60)), time.Second)
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), DetailTimeout)
		defer cancel()
		// Through the hub's queue, as a source's frames go: its sinks (a
		// recorder) run on its goroutine only.
		emit := func(f sources.Frame) { hub.Emit(ctx, f) }
		var errs []error
		for _, f := range fs {
			if err := f.FetchDetail(ctx, host, from, to, step, emit); err != nil {
				errs = append(errs, err)
			}
		}
		return detailMsg{host: host, sources: len(fs), err: errors.Join(errs...)}
	}
}

// detailDone reports a failed detail fetch (a fetched one shows itself).
func (s *state) detailDone(m detailMsg) {
	if m.err != nil && m.host == s.scope {
		s.setMessage("detail of "+m.host+": "+m.err.Error(), true)
	}
}
