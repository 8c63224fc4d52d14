package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/sources/view/report"
	"github.com/vigil-dev/vigil/tui/replaypane"
)

// settingsKind is the event a recording starts with: the settings that
// derived panes (drift rows) need to show in replay what they showed live.
const settingsKind = "vigil.settings"

// recordedSettings travel inside a recording as a settingsKind event.
type recordedSettings struct {
	Drift      []DriftFeature `json:"drift"`
	DriftCell  time.Duration  `json:"drift_window_ns"`
	Baseline   time.Duration  `json:"drift_baseline_ns"`
	MinRef     int            `json:"drift_min_reference"`
	Columns    int            `json:"drift_columns"`
	RateWindow time.Duration  `json:"window_ns"` // the rate and quantile window the panes used
}

func (s *session) settingsFrame() sources.Frame {
	rs := recordedSettings{Drift: s.cfg.Drift, DriftCell: s.driftCfg.Cell, Baseline: s.driftCfg.Baseline,
		MinRef: s.driftCfg.MinReference, Columns: s.driftCfg.Columns, RateWindow: s.vopts.RateWindow}
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

// newRecordCmd is `vigil record -o DIR [sources]`: record headless, as a
// service. It logs to its log file, stops cleanly on SIGTERM or SIGINT and
// never touches the terminal beyond a one-line error.
func newRecordCmd(e *env) *cobra.Command {
	o := &options{}
	d := &demoSetup{}
	var out string
	var withDemo bool
	cmd := &cobra.Command{
		Use:   "record -o DIR [flags]",
		Short: "Record what the sources see, headless",
		Long: `vigil record writes everything the sources see to a recording in DIR, without
a console, until SIGTERM or SIGINT; run it as a service. Files rotate hourly
and the oldest are removed past --max-size. Replay it with 'vigil replay DIR'.`,
		Example: `  vigil record -o /var/lib/vigil/rec --scrape http://127.0.0.1:8000/metrics
  vigil record -o /tmp/rec --demo --speed 10`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runRecord(o, d, out, withDemo, e)
		},
	}
	cmd.Annotations = map[string]string{"exit": exitStatusHelp}
	fs := cmd.Flags()
	fs.StringVarP(&out, "out", "o", "", "record into `DIR` (required)")
	fs.Int64Var(&o.recordMaxSize, "max-size", 1<<30, "cap on the recording directory's size, in `bytes`")
	fs.DurationVar(&o.recordMaxAge, "max-age", 0, "remove recording files older than this (0: keep)")
	fs.BoolVar(&withDemo, "demo", false, "record the embedded demo service")
	fs.Int64Var(&d.opts.Seed, "seed", 1, "with --demo: the demo's seed")
	fs.Float64Var(&d.opts.Speed, "speed", 1, "with --demo: the demo's speed")
	fs.IntVar(&d.opts.GPUs, "demo-gpus", 8, "with --demo: simulated GPUs")
	bindSources(fs, o)
	bindGeneral(fs, o)
	o.output = "text"
	return cmd
}

func runRecord(o *options, d *demoSetup, out string, withDemo bool, e *env) error {
	if out == "" {
		return usageErr("-o DIR is required")
	}
	cfg, err := loadOptions(o)
	if err != nil {
		return err
	}
	if withDemo {
		if d.opts.Speed <= 0 || d.opts.Speed > 1000 {
			return usageErr("--speed must be in (0, 1000], not %g", d.opts.Speed)
		}
		demoDefaults(&cfg)
	} else {
		d = nil
	}
	o.record = out
	s, ctx, done, code := prepare("vigil record", o, cfg, d, e.stdin, e.stderr)
	if s == nil {
		return status(code)
	}
	defer done()
	s.log.Info("recording", "dir", out, "notes", strings.Join(s.notes, "; "))
	s.startHub(ctx)
	<-ctx.Done() // SIGTERM or SIGINT; done stops the sources and closes the recording
	s.log.Info("recording stopped", "stats", fmt.Sprintf("%+v", s.recorder.Stats()))
	return nil
}

// newReplayCmd is `vigil replay FILE|DIR`: the console over a recording, or
// --info, or --once --at T.
func newReplayCmd(e *env) *cobra.Command {
	o := &options{}
	var rf replayFlags
	cmd := &cobra.Command{
		Use:   "replay FILE|DIR [flags]",
		Short: "Replay a recording in the console, or print one instant of it",
		Long: `vigil replay shows a recording in the same console, under a clock you control:
Space plays and pauses, > and < change the speed, t and T step, J jumps to a
time, n and N go to the next and previous alert or marker. --info prints what
the recording holds (from its index) and checks every record's checksums and
times; --verify also decodes every block; both list what is damaged. --once
--at T prints what the panes showed at T, which must be within the recording.`,
		Example: `  vigil replay /tmp/rec                                  # the console over the recording
  vigil replay /tmp/rec --info                           # time range, sources, size, gaps, markers
  vigil replay /tmp/rec --verify                         # check every block; exit status 4 if damaged
  vigil replay /tmp/rec --once --at 14:02 --output json  # what the panes showed at 14:02
  vigil replay incident.vrec --at -10m --paused          # start ten minutes before the end, paused`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
			return nil, cobra.ShellCompDirectiveDefault // files and directories
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(o, rf, args[0], e)
		},
	}
	cmd.Annotations = map[string]string{"exit": replayExitHelp}
	fs := cmd.Flags()
	fs.StringVar(&rf.at, "at", "", "start at, or with --once evaluate at, this `time` (14:02, -10m, RFC 3339, epoch)")
	fs.BoolVar(&rf.info, "info", false, "print the recording's time range, sources, series, size, gaps and markers; list damaged records (exit status 4 if any)")
	fs.BoolVar(&rf.verify, "verify", false, "read and check every block; list what is damaged (exit status 4 if anything is)")
	fs.Float64Var(&rf.speed, "speed", 1, "initial playback speed (0.25 … 3600)")
	fs.BoolVar(&rf.paused, "paused", false, "start paused")
	bindOnce(fs, o, false)
	grouped(fs, groupConsole, func(fs *pflag.FlagSet) {
		fs.Float64Var(&o.fps, "fps", 0, "redraws per second at most (default 1; 0.2 for slow links)")
		fs.BoolVar(&o.lowBW, "low-bandwidth", false, "fewer redraws and no animation, for slow SSH links")
		fs.BoolVar(&o.mouse, "mouse", false, "enable the mouse (click to focus, wheel to scroll)")
	})
	bindGeneral(fs, o)
	return cmd
}

// replayFlags are the flags only `vigil replay` has.
type replayFlags struct {
	at     string
	info   bool
	verify bool
	speed  float64
	paused bool
}

func runReplay(o *options, rf replayFlags, path string, e *env) error {
	stdout, stderr := e.stdout, e.stderr
	cfg, err := loadOptions(o)
	if err != nil {
		return err
	}
	if rf.speed < 0.25 || rf.speed > 3600 {
		return usageErr("--speed must be in [0.25, 3600], not %g", rf.speed)
	}
	if rf.verify {
		return status(replayVerifyMain(path, stdout, stderr, o.output == "json"))
	}
	if rf.info {
		return status(replayInfoMain(path, stdout, stderr, o.output == "json"))
	}
	pl := newProgressLine(stderr, "opening", path)
	r, err := replay.OpenWith(path, replay.OpenOptions{Progress: pl.update})
	pl.end()
	if err != nil {
		return failure(err)
	}
	defer r.Close()
	for _, w := range r.Warnings() {
		fmt.Fprintf(stderr, "vigil replay: %s\n", sources.OneLine(w))
	}
	from, to := r.Span()
	if from.IsZero() {
		return failure(fmt.Errorf("%s holds no data", path))
	}
	target := time.Time{}
	if rf.at != "" {
		t, err := parseAt(rf.at, to, time.Local)
		if err != nil {
			return usageErr("%v", err)
		}
		if t.Before(from) || t.After(to) {
			return usageErr("--at %s is %s, outside the recording (%s)", rf.at, clockText(t, from, to), spanText(from, to))
		}
		target = t
	}
	logger, closeLog, err := openLog(firstNonEmpty(o.logFile, cfg.LogFile))
	if err != nil {
		return &exitError{code: exitUsage, err: err}
	}
	defer closeLog()
	// Drift rows are derived: replay derives them as live did, with the
	// recorded settings unless the config names features of its own.
	rs, _ := readSettings(r)
	if len(cfg.Drift) == 0 {
		cfg.Drift = rs.Drift
	}
	if o.window == 0 && cfg.RateWindow == 0 {
		o.window = rs.RateWindow
	}
	if o.once {
		if target.IsZero() {
			target = to
		}
		return status(replayOnce(o, cfg, rs, logger, r, target, stdout, stderr))
	}
	return status(replayConsole(o, cfg, rs, logger, r, target, rf.speed, rf.paused, stderr))
}

func (rs recordedSettings) driftConfig() drift.Config {
	return drift.Config{Cell: rs.DriftCell, Baseline: rs.Baseline, MinReference: rs.MinRef, Columns: rs.Columns}
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
	if err := report.Write(stdout, rep, o.output); err != nil {
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
	defer s.Close()
	s.driftCfg = rs.driftConfig()
	player.Attach(s.hub)
	if err := s.addDrift(); err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 2
	}
	if d := s.extras.drift; d != nil {
		s.hub.AddSink(func(f sources.Frame) {
			if isReset(&f) {
				d.Reset()
			}
		})
	}
	opts := s.consoleOptions()
	opts.Timeline = replaypane.New(player)
	if err := s.runConsoleWith(ctx, opts); err != nil {
		fmt.Fprintf(stderr, "vigil replay: %v\n", err)
		return 1
	}
	return 0
}

// isReset reports a player's store-reset control frame.
func isReset(f *sources.Frame) bool {
	return replay.IsControl(f) && strings.Contains(f.Source, "reset")
}

// recordedAlerts is the alerts active at `at` among the alert events a
// recording holds (the transitions as live saw them), as alerts.Active
// decides them for the console, and the --fail-on exit status.
func recordedAlerts(st *sources.Store, from, at time.Time, failOn string) ([]report.Alert, int) {
	active := alerts.Active(st.Events(from, at, 0))
	rows := make([]report.Alert, 0, len(active))
	for _, a := range active {
		rows = append(rows, report.AlertOf(a))
	}
	return rows, alertsExit(active, failOn)
}
