package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/tui/palette"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/status"
	"github.com/vigil-dev/vigil/tui/styles"
	"github.com/vigil-dev/vigil/tui/timectl"
)

// command is one entry of the palette's table: its names (the first is
// the one completion offers), what its argument completes from, and what
// it does.
type command struct {
	names []string
	args  func(s *state) []string // completion candidates for the argument; nil: none
	run   func(s *state, c palette.Command) tea.Cmd
}

// commands is the palette's table, in completion order. Screen numbers and
// the names of extra screens (:alerts, :data, :executive) are looked up
// after it.
var commands = []command{
	{names: []string{"overview", "1"}, run: screenCmd(ScreenOverview)},
	{names: []string{"gpus", "2"}, run: screenCmd(ScreenGPUs)},
	{names: []string{"gpu"}, args: gpuArgs, run: func(s *state, c palette.Command) tea.Cmd {
		if len(c.Args) == 0 {
			s.switchTo(ScreenGPUs)
			return nil
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetGPU, GPU: c.Args[0]})
	}},
	{names: []string{"fleet"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.showFleet()
		return nil
	}},
	{names: []string{"group"}, args: groupArgs, run: groupCommand},
	{names: []string{"host"}, args: hostArgs, run: func(s *state, c palette.Command) tea.Cmd {
		if len(c.Args) == 0 {
			return s.scopeCommand("")
		}
		return s.scopeCommand(c.Args[0])
	}},
	{names: []string{"hosts"}, args: hostArgs, run: func(s *state, c palette.Command) tea.Cmd {
		if len(c.Args) == 0 {
			return jumpCmd(pane.JumpMsg{Target: pane.TargetHost})
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetHost, Host: c.Args[0]})
	}},
	{names: []string{"latency", "lat", "3"}, run: screenCmd(ScreenLatency)},
	{names: []string{"svc", "service"}, args: serviceArgs, run: func(s *state, c palette.Command) tea.Cmd {
		if len(c.Args) == 0 {
			s.switchTo(ScreenLatency)
			return nil
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetMetrics, Service: c.Rest})
	}},
	{names: []string{"errors", "err", "4"}, run: screenCmd(ScreenErrors)},
	{names: []string{"drift", "5"}, args: featureArgs, run: func(s *state, c palette.Command) tea.Cmd {
		if len(c.Args) == 0 {
			s.switchTo(ScreenDrift)
			return nil
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetDrift, Feature: c.Rest})
	}},
	{names: []string{"logs", "log", "6"}, args: func(*state) []string { return []string{"level>=warn", "level>=error"} }, run: logsCommand},
	{names: []string{"traces", "trace", "7"}, run: func(s *state, c palette.Command) tea.Cmd {
		if len(c.Args) > 0 {
			return jumpCmd(pane.JumpMsg{Target: pane.TargetTraces, TraceID: c.Args[0]})
		}
		s.switchTo(ScreenTraces)
		return nil
	}},
	{names: []string{"range", "window", "zoom"}, args: rangeArgs, run: rangeCommand},
	{names: []string{"at", "goto"}, run: atCommand},
	{names: []string{"pause"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.t.Pause()
		s.refresh()
		return nil
	}},
	{names: []string{"live", "resume"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.t.Resume()
		s.refresh()
		return nil
	}},
	{names: []string{"cursor"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.t.ToggleCursor()
		s.refresh()
		return nil
	}},
	{names: []string{"filter"}, run: func(s *state, c palette.Command) tea.Cmd {
		s.applyFilter(c.Rest)
		return nil
	}},
	{names: []string{"help"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.openHelp()
		return nil
	}},
	{names: []string{"refresh"}, run: func(s *state, _ palette.Command) tea.Cmd {
		if s.o.Hub == nil {
			return nil
		}
		hub := s.o.Hub
		return func() tea.Msg { hub.PollNow(); return nil }
	}},
	{names: []string{"mark", "marker"}, run: func(s *state, c palette.Command) tea.Cmd {
		if s.o.Marker == nil {
			s.setMessage("markers go into a recording: start vigil with --record DIR", false)
			return nil
		}
		return s.o.Marker(s.t.Shown(), c.Rest)
	}},
	{names: []string{"sources", "src"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.sourcesOpen = true
		return nil
	}},
	{names: []string{"q", "quit", "q!", "qa"}, run: func(s *state, _ palette.Command) tea.Cmd {
		s.quitting = true
		return nil
	}},
}

// commandNames are the names completion offers: each command's first, and
// quit's second (":quit" reads better than ":q" in a list).
var commandNames = func() []string {
	var out []string
	for _, c := range commands {
		if _, err := strconv.Atoi(c.names[0]); err == nil {
			continue
		}
		out = append(out, c.names[0])
		if c.names[0] == "q" {
			out = append(out, "quit")
		}
	}
	return out
}()

func screenCmd(n int) func(*state, palette.Command) tea.Cmd {
	return func(s *state, _ palette.Command) tea.Cmd {
		s.switchTo(n)
		return nil
	}
}

func windowText(d time.Duration) string { return status.Window(d) }

func rangeArgs(s *state) []string {
	var out []string
	for _, z := range timectl.ZoomLevels {
		if z <= s.t.MaxWindow() {
			out = append(out, windowText(z))
		}
	}
	return out
}

func serviceArgs(s *state) []string {
	var out []string
	seen := map[string]bool{}
	for _, sv := range s.env.Overview.Services {
		if !seen[sv.Name] && sv.Name != "" && !strings.ContainsAny(sv.Name, " \t") {
			seen[sv.Name] = true
			out = append(out, sv.Name)
		}
	}
	return out
}

func gpuArgs(s *state) []string {
	var out []string
	for _, g := range s.env.Overview.GPUs {
		out = append(out, g.Index)
	}
	return out
}

// hostArgs are the hosts watched (scoped or not), for :host and :hosts.
func hostArgs(s *state) []string {
	var out []string
	for _, h := range s.fleetHosts() {
		if !strings.ContainsAny(h, " \t") {
			out = append(out, h)
		}
	}
	return out
}

// groupArgs are the labels the fleet's hosts can be grouped by.
func groupArgs(s *state) []string { return s.named.fleet.Labels() }

// groupCommand is :group LABEL: the fleet screen, its hosts grouped by
// LABEL (none: one grid); :group alone names the grouping and the labels.
func groupCommand(s *state, c palette.Command) tea.Cmd {
	s.showFleet()
	f := s.named.fleet
	if len(c.Args) == 0 {
		s.setMessage("grouped by "+f.Group()+" (labels: "+strings.Join(f.Labels(), ", ")+")", false)
		return nil
	}
	if err := f.SetGroup(c.Args[0]); err != nil {
		s.setMessage(err.Error(), true)
	}
	return nil
}

func featureArgs(s *state) []string {
	for _, sc := range s.screens {
		for _, p := range sc.panes {
			if f, ok := p.(interface{ Features() []string }); ok {
				s.catchUp(p) // a pane not shown yet has not seen the data
				return f.Features()
			}
		}
	}
	return nil
}

// completeCommand completes a palette line from the table and what the
// store knows (services, GPU indexes, drift features, zoom levels).
func (s *state) completeCommand(line string) []string {
	args := map[string][]string{}
	for _, c := range commands {
		if c.args != nil {
			a := c.args(s)
			for _, n := range c.names {
				args[n] = a
			}
		}
	}
	return palette.CompleteWords(line, commandNames, args)
}

// runCommand executes a palette line.
func (s *state) runCommand(line string) tea.Cmd {
	c := palette.Parse(line)
	if c.Name == "" {
		return nil
	}
	for _, cmd := range commands {
		for _, n := range cmd.names {
			if n == c.Name {
				return cmd.run(s, c)
			}
		}
	}
	if n, err := strconv.Atoi(c.Name); err == nil && s.switchTo(n) {
		return nil
	}
	for _, sc := range s.screens {
		if sc.name == c.Name && s.switchTo(sc.num) {
			return nil
		}
	}
	s.setMessage(fmt.Sprintf("unknown command %q (tab completes)", c.Name), true)
	return nil
}

func logsCommand(s *state, c palette.Command) tea.Cmd {
	s.switchTo(ScreenLogs)
	if c.Rest == "" {
		return nil
	}
	f, ok := s.screen().focused().(pane.Filterer)
	if !ok {
		s.setMessage("logs: no log source to filter (--log PATH, --log-cmd)", false)
		return nil
	}
	s.relayout()
	if err := f.SetFilter(c.Rest); err != nil {
		s.setMessage(err.Error(), true)
	}
	return nil
}

func rangeCommand(s *state, c palette.Command) tea.Cmd {
	if len(c.Args) != 1 {
		s.setMessage("usage: :range 15m (1m … "+windowText(s.t.MaxWindow())+")", true)
		return nil
	}
	d, err := timectl.ParseDuration(c.Args[0])
	if err != nil {
		s.setMessage(err.Error(), true)
		return nil
	}
	got := s.t.SetWindow(d)
	switch from, to := s.dataSpan(); {
	case got != d:
		s.setMessage("window "+windowText(got)+" (the store holds "+windowText(s.t.MaxWindow())+")", false)
	case from.IsZero():
		s.setMessage("window "+windowText(got)+": no data held yet", false)
	case to.Sub(from) < got:
		s.setMessage("window "+windowText(got)+": the data held spans "+styles.Duration(to.Sub(from).Seconds())+
			" (from "+from.UTC().Format("15:04:05")+")", false)
	}
	s.refresh()
	return nil
}

func atCommand(s *state, c palette.Command) tea.Cmd {
	if len(c.Args) != 1 {
		s.setMessage("usage: :at 14:02 (UTC), :at -10m", true)
		return nil
	}
	at, err := timectl.ParseInstant(c.Args[0], s.t.Now)
	if err != nil {
		s.setMessage(err.Error(), true)
		return nil
	}
	s.t.Pause()
	s.t.At = at
	s.t.ClampCursor()
	s.setMessage("paused at "+at.UTC().Format("15:04:05"), false)
	s.refresh()
	return nil
}
