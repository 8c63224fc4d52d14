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
)

// commandNames are the palette's commands, for completion.
var commandNames = []string{
	"overview", "gpu", "gpus", "latency", "svc", "errors", "drift", "logs", "traces",
	"range", "at", "pause", "live", "cursor", "filter", "help", "refresh", "mark", "sources", "q", "quit",
}

func windowText(d time.Duration) string { return status.Window(d) }

// completeCommand completes a palette line from the commands and what the
// store knows (services, GPU indexes, drift features, zoom levels).
func (s *state) completeCommand(line string) []string {
	args := map[string][]string{}
	for _, z := range zoomLevels {
		if z <= s.t.maxWindow() {
			args["range"] = append(args["range"], windowText(z))
		}
	}
	seenSvc := map[string]bool{}
	for _, sv := range s.env.Overview.Services {
		if !seenSvc[sv.Name] && sv.Name != "" && !strings.ContainsAny(sv.Name, " \t") {
			seenSvc[sv.Name] = true
			args["svc"] = append(args["svc"], sv.Name)
		}
	}
	for _, g := range s.env.Overview.GPUs {
		args["gpu"] = append(args["gpu"], g.Index)
	}
	for _, sc := range s.screens {
		for _, p := range sc.panes {
			if f, ok := p.(interface{ Features() []string }); ok {
				args["drift"] = f.Features()
			}
		}
	}
	args["logs"] = []string{"level>=warn", "level>=error"}
	return palette.CompleteWords(line, commandNames, args)
}

// runCommand executes a palette line.
func (s *state) runCommand(line string) tea.Cmd {
	c := palette.Parse(line)
	switch c.Name {
	case "":
		return nil
	case "q", "quit", "q!", "qa":
		s.quitting = true
	case "sources", "src":
		s.sourcesOpen = true
	case "mark", "marker":
		if s.o.Marker == nil {
			s.setMessage("markers go into a recording: start vigil with --record DIR", false)
			return nil
		}
		return s.o.Marker(s.t.shown(), c.Rest)
	case "overview", "1":
		s.switchTo(ScreenOverview)
	case "gpus", "2":
		s.switchTo(ScreenGPUs)
	case "gpu":
		if len(c.Args) == 0 {
			s.switchTo(ScreenGPUs)
			return nil
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetGPU, GPU: c.Args[0]})
	case "latency", "lat", "3":
		s.switchTo(ScreenLatency)
	case "svc", "service":
		if len(c.Args) == 0 {
			s.switchTo(ScreenLatency)
			return nil
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetMetrics, Service: c.Rest})
	case "errors", "err", "4":
		s.switchTo(ScreenErrors)
	case "drift", "5":
		if len(c.Args) == 0 {
			s.switchTo(ScreenDrift)
			return nil
		}
		return jumpCmd(pane.JumpMsg{Target: pane.TargetDrift, Feature: c.Rest})
	case "logs", "log", "6":
		s.switchTo(ScreenLogs)
		if c.Rest != "" {
			if f, ok := s.screen().focused().(pane.Filterer); ok {
				s.relayout()
				if err := f.SetFilter(c.Rest); err != nil {
					s.setMessage(err.Error(), true)
				}
			} else {
				s.setMessage("logs: no log source to filter (--log PATH, --log-cmd)", false)
			}
		}
	case "traces", "trace", "7":
		if len(c.Args) > 0 {
			return jumpCmd(pane.JumpMsg{Target: pane.TargetTraces, TraceID: c.Args[0]})
		}
		s.switchTo(ScreenTraces)
	case "range", "window", "zoom":
		if len(c.Args) != 1 {
			s.setMessage("usage: :range 15m (1m … "+windowText(s.t.maxWindow())+")", true)
			return nil
		}
		d, err := parseDuration(c.Args[0])
		if err != nil {
			s.setMessage(err.Error(), true)
			return nil
		}
		got := s.t.setWindow(d)
		if got != d {
			s.setMessage("window "+windowText(got)+" (the store holds "+windowText(s.t.maxWindow())+")", false)
		}
		s.refresh()
	case "at", "goto":
		if len(c.Args) != 1 {
			s.setMessage("usage: :at 14:02 (UTC), :at -10m", true)
			return nil
		}
		at, err := parseInstant(c.Args[0], s.t.now)
		if err != nil {
			s.setMessage(err.Error(), true)
			return nil
		}
		s.t.pause()
		s.t.at = at
		s.t.clampCursor()
		s.setMessage("paused at "+at.UTC().Format("15:04:05"), false)
		s.refresh()
	case "pause":
		s.t.pause()
		s.refresh()
	case "live", "resume":
		s.t.resume()
		s.refresh()
	case "cursor":
		s.t.toggleCursor()
		s.refresh()
	case "filter":
		s.applyFilter(c.Rest)
	case "help":
		s.help = true
	case "refresh":
		if s.o.Hub != nil {
			hub := s.o.Hub
			return func() tea.Msg { hub.PollNow(); return nil }
		}
	default:
		if n, err := strconv.Atoi(c.Name); err == nil && s.switchTo(n) {
			return nil
		}
		for _, sc := range s.screens {
			if sc.name == c.Name && s.switchTo(sc.num) {
				return nil
			}
		}
		s.setMessage(fmt.Sprintf("unknown command %q (tab completes)", c.Name), true)
	}
	return nil
}

// parseDuration reads "15m", "1h", "90s", "2d".
func parseDuration(s string) (time.Duration, error) {
	if rest, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("range %q: not a duration", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("range %q: not a duration (15m, 1h, 24h)", s)
	}
	return d, nil
}

// parseInstant reads "14:02" or "14:02:30" (UTC, on now's date, the day
// before when that is later than now) or "-10m" (before now). The result is
// never after now.
func parseInstant(arg string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(arg, "-") {
		d, err := time.ParseDuration(arg[1:])
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("at %q: not a duration before now (-10m)", arg)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		t, err := time.Parse(layout, arg)
		if err != nil {
			continue
		}
		n := now.UTC()
		at := time.Date(n.Year(), n.Month(), n.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		if at.After(now) {
			at = at.AddDate(0, 0, -1)
		}
		return at, nil
	}
	return time.Time{}, fmt.Errorf("at %q: want 14:02, 14:02:30 (UTC) or -10m", arg)
}
