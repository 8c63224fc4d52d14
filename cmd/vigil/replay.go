package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/replay"
	treplay "github.com/vigil-dev/vigil/tui/replay"
)

func init() {
	extraCommands["record"] = recordMain
	extraCommands["replay"] = replayMain
}

// settingsKind is the event a recording starts with: the settings that
// derived panes (drift rows) need to show in replay what they showed live.
const settingsKind = "vigil.settings"

// recordedSettings travel inside a recording as a settingsKind event.
type recordedSettings struct {
	Drift       []DriftFeature `json:"drift"`
	DriftWindow time.Duration  `json:"drift_window_ns"`
	Baseline    time.Duration  `json:"drift_baseline_ns"`
	MinRef      int            `json:"drift_min_reference"`
	Columns     int            `json:"drift_columns"`
	Window      time.Duration  `json:"window_ns"` // the rate and quantile window the panes used
}

func (s *session) settingsFrame() sources.Frame {
	rs := recordedSettings{Drift: s.cfg.Drift, DriftWindow: s.driftCfg.Window, Baseline: s.driftCfg.Baseline,
		MinRef: s.driftCfg.MinReference, Columns: s.driftCfg.Columns, Window: s.vopts.Window}
	b, _ := json.Marshal(rs)
	now := s.clock.Now()
	return sources.Frame{Source: "vigil", At: now, Events: []sources.Event{{At: now, Kind: settingsKind, Text: string(b)}}}
}

// readSettings finds the settings event at the start of a recording.
func readSettings(r *replay.Reader) (recordedSettings, bool) {
	var rs recordedSettings
	found := false
	from, _ := r.Span()
	r.Frames(from, from.Add(time.Minute), func(f sources.Frame) bool {
		for _, e := range f.Events {
			if e.Kind == settingsKind && json.Unmarshal([]byte(e.Text), &rs) == nil {
				found = true
				return false
			}
		}
		return true
	})
	return rs, found
}

// recordMain is `vigil record -o DIR [sources]`: record headless, as a
// service. It logs to its log file, stops cleanly on SIGTERM or SIGINT and
// never touches the terminal beyond a one-line error.
func recordMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &options{}
	fs := newFlagSet("vigil record", o, stderr)
	out := fs.String("o", "", "record into `DIR` (files rotate hourly; oldest removed past --max-size)")
	withDemo := fs.Bool("demo", false, "record the embedded demo service")
	maxSize := fs.Int64("max-size", 1<<30, "cap on the recording directory, `bytes`")
	maxAge := fs.Duration("max-age", 0, "remove recording files older than this (0: keep)")
	d := &demoSetup{}
	fs.Int64Var(&d.opts.Seed, "seed", 1, "with --demo: the demo's seed")
	fs.Float64Var(&d.opts.Speed, "speed", 1, "with --demo: the demo's speed")
	fs.IntVar(&d.opts.GPUs, "demo-gpus", 8, "with --demo: simulated GPUs")
	cfg, rest, code := parseFlags(fs, o, args, stderr)
	if code >= 0 {
		return code
	}
	if *out == "" || len(rest) > 0 {
		fmt.Fprintln(stderr, "vigil record: usage: vigil record -o DIR [--demo] [source flags]")
		return 2
	}
	if *withDemo {
		demoDefaults(&cfg)
	} else {
		d = nil
	}
	o.record, o.recordMaxSize, o.recordMaxAge = *out, *maxSize, *maxAge
	s, ctx, done, code := prepare("vigil record", o, cfg, d, stdin, stderr)
	if s == nil {
		return code
	}
	defer done()
	s.log.Info("recording", "dir", *out, "notes", strings.Join(s.notes, "; "))
	s.hub.Run(ctx) // until SIGTERM or SIGINT; done closes the recording
	s.log.Info("recording stopped", "stats", fmt.Sprintf("%+v", s.recorder.Stats()))
	return 0
}

// replayMain is `vigil replay FILE|DIR`: the console over a recording, or
// --info, or --once --at T.
func replayMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	o := &options{}
	fs := newFlagSet("vigil replay", o, stderr)
	at := fs.String("at", "", "start at, or with --once evaluate at, this `time` (14:02, -10m, RFC 3339, epoch)")
	info := fs.Bool("info", false, "print the recording's time range, sources, series, size, gaps and markers")
	speed := fs.Float64("speed", 1, "initial playback speed (0.25 … 3600)")
	paused := fs.Bool("paused", false, "start paused")
	// Flags and args may come in any order: vigil replay FILE --once.
	var path string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		path, args = args[0], args[1:]
	}
	cfg, rest, code := parseFlags(fs, o, args, stderr)
	if code >= 0 {
		return code
	}
	if path == "" && len(rest) > 0 {
		path, rest = rest[0], rest[1:]
	}
	if path == "" || len(rest) > 0 {
		fmt.Fprintln(stderr, "vigil replay: usage: vigil replay FILE|DIR [--info] [--once --at T] [--speed X]")
		return 2
	}
	if *info {
		return replayInfoMain(path, stdout, stderr, o.output == "json")
	}
	var progress func(done, total int64)
	if !o.once {
		progress = func(done, total int64) {
			if total > 64<<20 {
				fmt.Fprintf(stderr, "\ropening %s: %d%%", path, 100*done/total)
			}
		}
	}
	r, err := replay.OpenWith(path, replay.OpenOptions{Progress: progress})
	if err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 1
	}
	defer r.Close()
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "vigil replay: %s\n", sources.OneLine(w))
	}
	from, to := r.Span()
	if from.IsZero() {
		fmt.Fprintf(stderr, "vigil replay: %s holds no data\n", path)
		return 1
	}
	target := time.Time{}
	if *at != "" {
		t, err := parseAt(*at, to, time.Local)
		if err != nil {
			fmt.Fprintf(stderr, "vigil replay: %v\n", err)
			return 2
		}
		target = t
	}
	logger, closeLog, err := openLog(firstNonEmpty(o.logFile, cfg.LogFile))
	if err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 2
	}
	defer closeLog()
	// Drift rows are derived: replay derives them as live did, with the
	// recorded settings unless the config names features of its own.
	rs, _ := readSettings(r)
	if len(cfg.Drift) == 0 {
		cfg.Drift = rs.Drift
	}
	if o.window == 0 && cfg.Window == 0 {
		o.window = rs.Window
	}
	if o.once {
		if target.IsZero() {
			target = to
		}
		return replayOnce(o, cfg, rs, logger, r, target, stdout, stderr)
	}
	return replayConsole(o, cfg, rs, logger, r, target, *speed, *paused, stderr)
}

func (rs recordedSettings) driftConfig() drift.Config {
	return drift.Config{Window: rs.DriftWindow, Baseline: rs.Baseline, MinReference: rs.MinRef, Columns: rs.Columns}
}

// replayOnce rebuilds what live held at target from the recording's start
// (so that drift references form as they did) and prints it like --once.
func replayOnce(o *options, cfg Config, rs recordedSettings, logger *slog.Logger, r *replay.Reader, target time.Time, stdout, stderr io.Writer) int {
	clock := sources.NewManualClock(target)
	s := newSession(o, cfg, logger, clock)
	s.driftCfg = rs.driftConfig()
	if err := s.addDrift(); err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 2
	}
	from, _ := r.Span()
	r.Frames(from, target, func(f sources.Frame) bool {
		if f.Source != "vigil" {
			s.hub.Ingest(f)
		}
		return true
	})
	rep := s.report(target)
	var code int
	rep.Alerts, code = recordedAlerts(s.store, from, target, o.failOn)
	if err := writeOnce(stdout, rep, o.output); err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 1
	}
	return code
}

// replayConsole runs the console over a player: the same panes, fed
// through the hub by the recording under the player's clock.
func replayConsole(o *options, cfg Config, rs recordedSettings, logger *slog.Logger, r *replay.Reader, start time.Time, speed float64, paused bool, stderr io.Writer) int {
	ctx, stop := signalContext()
	defer stop()
	store := sources.NewStore(sources.StoreOptions{})
	player := replay.NewPlayer(r, replay.PlayerOptions{Store: store, Speed: speed, Start: start, Paused: paused})
	s := newSession(o, cfg, logger, player)
	s.store, s.hub = store, sources.NewHub(store, player)
	s.driftCfg = rs.driftConfig()
	player.Attach(s.hub)
	if err := s.addDrift(); err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 2
	}
	if d := s.extras.drift; d != nil {
		s.hub.AddSink(func(f sources.Frame) {
			if isReset(&f) {
				d.reset()
			}
		})
	}
	opts := s.consoleOptions()
	opts.Timeline = treplay.New(player)
	if err := s.runConsoleWith(ctx, opts); err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 1
	}
	return 0
}

// resettableDrift is the drift monitor the panes read; a backward seek in
// replay empties the store, and the monitor starts over with it.
type resettableDrift struct {
	mu   sync.Mutex
	cfg  drift.Config
	m    *drift.Monitor
	refs map[string]func(*drift.Monitor, string) // references loaded from files, set again after a reset
}

func (d *resettableDrift) get() *drift.Monitor {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m
}

func (d *resettableDrift) reset() {
	m := drift.NewMonitor(d.cfg)
	for f, ref := range d.refs {
		ref(m, f)
	}
	d.mu.Lock()
	d.m = m
	d.mu.Unlock()
}

// Rows, Config and Repin are what the drift pane reads.
func (d *resettableDrift) Rows() []drift.Row    { return d.get().Rows() }
func (d *resettableDrift) Config() drift.Config { return d.get().Config() }
func (d *resettableDrift) Repin(f string) error { return d.get().Repin(f) }
func (d *resettableDrift) Detail(f string, t time.Time) (drift.Detail, bool) {
	return d.get().Detail(f, t)
}

// isReset reports a player's store-reset control frame.
func isReset(f *sources.Frame) bool {
	return replay.IsControl(f) && strings.Contains(f.Source, "reset")
}

// Alerting lists the features in persistent drift at at.
func (d *resettableDrift) Alerting(at time.Time) []string { return d.get().Alerting(at) }

// Advance closes the windows that have ended by now.
func (d *resettableDrift) Advance(now time.Time) { d.get().Advance(now) }

// recordedAlerts is the alerts active at `at` among the alert events a
// recording holds (the transitions as live saw them), as alerts.Active
// decides them for the console, and the --fail-on exit status.
func recordedAlerts(st *sources.Store, from, at time.Time, failOn string) ([]alertJSON, int) {
	active := alerts.Active(st.Events(from, at, 0))
	rows := make([]alertJSON, 0, len(active))
	for _, a := range active {
		rows = append(rows, toJSON(a))
	}
	return rows, alertsExit(active, failOn)
}
