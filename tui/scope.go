package tui

import (
	"fmt"
	"sort"

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
// demand (Options.Detail: query mode's every GPU field, TTFT and ITL,
// their history) is asked for it, and again every DetailRenew while the
// scope lasts (fleetCmd). Esc at the top of a scoped console,
// :host with no argument, F or :fleet return to the fleet.

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
	s.refresh()
	s.switchTo(ScreenOverview)
	s.setMessage("host "+s.scope+": esc returns to the fleet", false)
	// The host's detail is asked for by fleetCmd (fleethook.go).
	if m.Then.Target != "" {
		return s.jump(m.Then)
	}
	return nil
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
