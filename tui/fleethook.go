package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/pane"
)

// A query engine brings the charts' history and one host's detail on
// demand (Options.History, Options.Detail): the root asks when the console
// starts, when the shown window zooms or pans, and when a pane opens the
// detail of something on a host. The requests run in commands; their
// frames go through the hub like any source's.

// FleetTimeout bounds one history or detail request.
const FleetTimeout = 30 * time.Second

// DetailRenew is how often a console scoped to a host (scope.go) asks
// again for its detail: a fetcher keeps it in its polls for a while after
// each ask (query mode: 10 minutes).
const DetailRenew = 5 * time.Minute

// DetailHoster is implemented by panes with a drill-down: the host of what
// their open detail shows, "" when none is open.
type DetailHoster interface {
	DetailHost() string
}

// fleetState is what the root last asked a query engine for.
type fleetState struct {
	from, to time.Time // the window of the last history request
	step     time.Duration
	scope    string    // the host it was for (HostHistoryFiller), "" for all
	host     string    // the host of the last detail request
	detailAt time.Time // when it was made
}

// historyMsg says history landed in the store: the shown instant may be a
// paused one, whose panes refresh only when asked.
type historyMsg struct{}

// fleetCmd returns the requests the state calls for: history when the
// shown window is new (start, zoom, pan) and charts are shown, a host's detail when a pane
// opened one on a new host or the console was scoped to one, and again
// every DetailRenew while it stays.
func (s *state) fleetCmd() tea.Cmd {
	if (s.o.History == nil && s.o.Detail == nil) || !s.started || !s.sized || s.o.Store == nil {
		return nil
	}
	to := s.t.Shown()
	// While the window still fits the data held (FitWindow), history for
	// the whole window asked for: the window then fits what it brought.
	window := s.t.Zoom
	if s.t.Follow {
		window = max(window, s.o.Zoom)
	}
	from := to.Add(-window)
	// One point per column of the widest chart (the screen's width, less
	// the axis labels).
	step := max(window/time.Duration(max(s.w-8, 10)), time.Second)
	var cmds []tea.Cmd
	// A console scoped to a host charts that host's figures alone: an
	// engine that can asks for that host's history only (at 1,000 hosts
	// the fleet's is hundreds of MB to decode).
	scope := ""
	hh, byHost := s.o.History.(sources.HostHistoryFiller)
	if byHost {
		scope = s.scope
	}
	// A live window moves every tick: ask again only when it moved by a
	// good part of itself, or its zoom or scope changed.
	if s.o.History != nil && s.chartsShown() && (s.fl.step != step || from.Before(s.fl.from) || to.Sub(s.fl.to) > window/2 || s.fl.scope != scope) {
		s.fl.from, s.fl.to, s.fl.step, s.fl.scope = from, to, step, scope
		cmds = append(cmds, s.requestCmd(func(ctx context.Context, emit func(sources.Frame)) error {
			if scope != "" {
				return hh.FillHostHistory(ctx, scope, from, to, step, emit)
			}
			return s.o.History.FillHistory(ctx, from, to, step, emit)
		}, "history"))
	}
	if s.o.Detail != nil {
		host := s.scope
		if d, ok := s.screen().focused().(DetailHoster); ok {
			if h := d.DetailHost(); h != "" {
				host = h
			}
		}
		if host != "" && (host != s.fl.host || s.t.Now.Sub(s.fl.detailAt) >= DetailRenew) {
			s.fl.detailAt = s.t.Now
			cmds = append(cmds, s.requestCmd(func(ctx context.Context, emit func(sources.Frame)) error {
				return s.o.Detail.FetchDetail(ctx, host, from, to, step, emit)
			}, "detail of "+host))
		}
		s.fl.host = host
	}
	return tea.Batch(cmds...)
}

// chartsShown reports whether history is worth asking for: a poll has
// landed (before it, a fleet's history would be decoded beside its first
// poll, and the console may yet open on the fleet), and the screen is not
// the fleet's, which charts nothing. At 1,000 hosts the charts' history is
// most of what the console holds at its peak; a fleet screen asks for it
// when the user leaves it for a screen with charts.
func (s *state) chartsShown() bool {
	return !s.o.Store.Newest().IsZero() && s.screen().num != ScreenFleet
}

// requestCmd runs one request off the UI goroutine, its frames through the
// hub (the store directly without one); an error is a status message.
func (s *state) requestCmd(run func(context.Context, func(sources.Frame)) error, what string) tea.Cmd {
	hub, st := s.o.Hub, s.o.Store
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), FleetTimeout)
		defer cancel()
		emit := st.Ingest
		if hub != nil {
			emit = func(f sources.Frame) { hub.Emit(ctx, f) }
		}
		if err := run(ctx, emit); err != nil {
			return pane.StatusMsg{Text: what + ": " + err.Error(), Error: true}
		}
		return historyMsg{}
	}
}
