package tui

import (
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/driftpane"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Defaults.
const (
	DefaultRefresh = time.Second      // --fps 1
	DefaultWindow  = 15 * time.Minute // the shared window at start
	// LowBandwidthRefresh is the slowest refresh the low-bandwidth profile
	// allows itself to raise the refresh to.
	LowBandwidthRefresh = 2 * time.Second
	// MessageTTL is how long a status message stays.
	MessageTTL = 5 * time.Second
	// DefaultTopK is how many rows a pane lists before "+N more".
	DefaultTopK = 50
)

// Options configures the console. Store and Clock are required; everything
// else is optional.
type Options struct {
	Store *sources.Store
	// Hub, when set, is polled at once on Ctrl-R, and its Updates channel
	// redraws the console promptly when frames arrive (at most once per
	// Refresh).
	Hub   *sources.Hub
	Clock sources.Clock
	// View is how figures are evaluated (rate window, error targets).
	View view.Options
	// Refresh is the redraw interval (--fps: 1/Refresh); default 1 s.
	Refresh time.Duration
	// Zoom is the shared time window at start; default 15 m.
	Zoom time.Duration
	// FitWindow fits the window to the data the store holds (query mode:
	// the history fetched at start, then what accumulates) until that
	// reaches Window or the user zooms. A Timeline with a Span (a
	// recording) fits the window to the recording at start.
	FitWindow bool
	// Keys maps action names (keys.Actions) to keys; a user's binding wins.
	Keys map[string][]string
	// LowBandwidth slows the refresh to at least 2 s and stops sparklines
	// from redrawing their still-filling newest column.
	LowBandwidth bool
	// Mouse enables click-to-focus and wheel scrolling (the program must be
	// started with tea.WithMouseCellMotion).
	Mouse bool
	// Timeline is the replay strip, shown above the status bar; it is
	// offered keys before the global bindings, and the mode reads REPLAY.
	Timeline pane.Pane
	// TimelineHeight is the strip's height in rows; default 2.
	TimelineHeight int
	// Screens supplies panes for screens 6 (logs), 7 (traces) and any
	// extra screens (8, 9); a screen's title is its pane's Title.
	Screens map[int]pane.Pane
	// GPU replaces the GPU pane (tui/gpupane, built by default).
	GPU pane.Pane
	// GPUInspector gives the default GPU pane facts beyond the series
	// (the NVML collector implements it); nil reads only the store.
	GPUInspector sources.GPUInspector
	// Drift is where the drift heat rows come from (a *drift.Monitor); nil
	// shows how to feed it.
	Drift driftpane.Source
	// Snapshot, when set, saves a recording of the last minutes (Ctrl-S);
	// it gets the shown instant and window and returns a command whose
	// message (a pane.StatusMsg, say) reports the file written.
	Snapshot func(at time.Time, window time.Duration) tea.Cmd
	// Notices delivers terminal notification bytes (alerts.TerminalNotice:
	// BEL, OSC 9/777) to write once, with the next frame.
	Notices <-chan string
	// SLO, when set, gives each service's SLO: the errors screen's service
	// detail then shows its error budget and burn rates.
	SLO func(service string) alerts.SLO
	// Marker, when set, writes a marker with a note at the shown instant
	// into the recording (m, or :mark NOTE).
	Marker func(at time.Time, note string) tea.Cmd
	// Clipboard is where `y` writes its OSC 52 copy sequence; default
	// os.Stdout (the terminal). The write happens in a command, never in
	// Update.
	Clipboard io.Writer
	// TopK caps the rows each list pane shows before "+N more"; default 50.
	TopK int
	// History, when set, brings the history of the shown window (a query
	// engine's range queries): on start, and when the window zooms or pans.
	History sources.HistoryFiller
	// Detail, when set, fetches one host's detail when a pane opens the
	// detail of something on it (DetailHoster).
	Detail sources.DetailFetcher
}

func (o Options) withDefaults() Options {
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.LowBandwidth && o.Refresh < LowBandwidthRefresh {
		o.Refresh = LowBandwidthRefresh
	}
	if o.Zoom <= 0 {
		o.Zoom = DefaultWindow
	}
	if o.TimelineHeight <= 0 {
		o.TimelineHeight = 2
	}
	if o.TopK <= 0 {
		o.TopK = DefaultTopK
	}
	if o.Clipboard == nil {
		o.Clipboard = os.Stdout
	}
	if o.Clock == nil {
		o.Clock = sources.WallClock{}
	}
	return o
}

// UseTerminal describes the terminal from the environment (TERM, COLORTERM,
// NO_COLOR) and TERM's terminfo entry, and sets the colour profile and
// palette for it: call it once before the program starts. It returns the
// description, for vigil's log.
func UseTerminal(getenv func(string) string) styles.Terminal {
	t := styles.DescribeTerminal(getenv, styles.LoadInfo)
	styles.UseTerminal(t)
	return t
}
