package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// options are the flags of the live console, the demo, record, replay and
// alerts. Each command binds only the groups it uses (bind* below).
type options struct {
	config        string
	scrape        []string
	scrapeEvery   time.Duration
	prom          string
	logs          []string
	logCmds       []string
	logFrom       string // --log-from: where --log files that exist at start are read from
	otlpListen    string
	jaeger        string
	tempo         string
	noDiscover    bool
	noNVML        bool
	gpus          string
	cudaVisible   bool
	once          bool
	output        string
	forDur        time.Duration
	window        time.Duration
	fps           float64
	lowBW         bool
	mouse         bool
	record        string
	recordMaxSize int64         // vigil record --max-size; 0: the recorder's default
	recordMaxAge  time.Duration // vigil record --max-age; 0: keep
	logFile       string
	failOn        string
	notify        string
}

// Flag groups: help lists a command's flags under these headings, in this
// order (flagGroupAnnotation on each flag).
const (
	groupCommand  = "" // the command's own flags, listed first as "Flags"
	groupSources  = "Source flags"
	groupHeadless = "Headless flags (--once)"
	groupConsole  = "Console flags"
	groupGeneral  = "General flags"
)

var flagGroupOrder = []string{groupCommand, groupSources, groupHeadless, groupConsole, groupGeneral}

const flagGroupAnnotation = "vigil_group"

// grouped marks the flags added by fn as belonging to group in help.
func grouped(fs *pflag.FlagSet, group string, fn func(fs *pflag.FlagSet)) {
	before := map[string]bool{}
	fs.VisitAll(func(f *pflag.Flag) { before[f.Name] = true })
	fn(fs)
	fs.VisitAll(func(f *pflag.Flag) {
		if !before[f.Name] {
			_ = fs.SetAnnotation(f.Name, flagGroupAnnotation, []string{group})
		}
	})
}

// bindSources binds the flags that choose what vigil watches.
func bindSources(fs *pflag.FlagSet, o *options) {
	grouped(fs, groupSources, func(fs *pflag.FlagSet) {
		fs.StringArrayVar(&o.scrape, "scrape", nil, "scrape a Prometheus /metrics `URL` (repeatable)")
		fs.DurationVar(&o.scrapeEvery, "scrape-interval", time.Second, "how often targets are scraped (config entries may set their own)")
		fs.StringVar(&o.prom, "prom", "", "query a Prometheus-compatible API at `URL` (Prometheus, Thanos, Mimir, VictoriaMetrics)")
		fs.StringArrayVar(&o.logs, "log", nil, "tail a log file or glob `PATH` (repeatable; - for stdin)")
		fs.StringArrayVar(&o.logCmds, "log-cmd", nil, "read logs from a `command`'s output, e.g. 'journalctl -f -o json' (repeatable)")
		fs.StringVar(&o.logFrom, "log-from", "end", "where --log files that exist at start are read from: end (their last 256 KiB) or start (whole, with progress; the log memory bound still holds)")
		bindOTLP(fs, o)
		fs.StringVar(&o.jaeger, "jaeger", "", "Jaeger query API `URL`")
		fs.StringVar(&o.tempo, "tempo", "", "Tempo API `URL`")
		fs.BoolVar(&o.noDiscover, "no-discover", false, "do not probe the serving stacks' default ports on 127.0.0.1")
		fs.BoolVar(&o.noNVML, "no-nvml", false, "do not read GPUs through NVML")
		fs.StringVar(&o.gpus, "gpus", "", "only these GPU `indices`, e.g. 0,3")
		fs.BoolVar(&o.cudaVisible, "cuda-visible-devices", false, "only the GPUs in CUDA_VISIBLE_DEVICES")
	})
}

func bindOTLP(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.otlpListen, "otlp-listen", "", "OTLP/HTTP trace receiver `address` (default 127.0.0.1:4318; off to disable)")
}

// bindOnce binds --once and what goes with it; withFor adds --for.
func bindOnce(fs *pflag.FlagSet, o *options, withFor bool) {
	grouped(fs, groupHeadless, func(fs *pflag.FlagSet) {
		fs.BoolVar(&o.once, "once", false, "evaluate every pane once, print it and exit")
		bindOutput(fs, &o.output)
		if withFor {
			bindFor(fs, o)
		}
		bindFailOn(fs, o)
	})
}

func bindOutput(fs *pflag.FlagSet, p *string) {
	fs.StringVarP(p, "output", "o", "text", "output `format`: text or json")
}

func bindFor(fs *pflag.FlagSet, o *options) {
	fs.DurationVar(&o.forDur, "for", 0, "watch for this `duration` before evaluating (rates need two polls)")
}

func bindFailOn(fs *pflag.FlagSet, o *options) {
	fs.StringVar(&o.failOn, "fail-on", "", "exit 3 when an alert of this `severity` (warning or critical) fires")
}

// bindConsole binds how the console draws.
func bindConsole(fs *pflag.FlagSet, o *options) {
	grouped(fs, groupConsole, func(fs *pflag.FlagSet) {
		fs.Float64Var(&o.fps, "fps", 0, "redraws per second at most (default 1; 0.2 for slow links)")
		fs.BoolVar(&o.lowBW, "low-bandwidth", false, "fewer redraws and no animation, for slow SSH links")
		fs.BoolVar(&o.mouse, "mouse", false, "enable the mouse (click to focus, wheel to scroll)")
		fs.StringVar(&o.notify, "notify", "", "on a new critical alert: `bell`, desktop (OSC 9/777), or bell,desktop")
	})
}

// bindGeneral binds the config file, vigil's own log and the rate window.
func bindGeneral(fs *pflag.FlagSet, o *options) {
	grouped(fs, groupGeneral, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.config, "config", "", "config `file` (default $XDG_CONFIG_HOME/vigil/config.yaml)")
		fs.StringVar(&o.logFile, "log-file", "", "vigil's own log `file` (default $XDG_STATE_HOME/vigil/vigil.log)")
		fs.DurationVar(&o.window, "window", 0, "rate and quantile window, a `duration` (default 1m; the console's time window is zoomed with +/-)")
	})
}

func bindRecord(fs *pflag.FlagSet, o *options) {
	grouped(fs, groupGeneral, func(fs *pflag.FlagSet) {
		fs.StringVar(&o.record, "record", "", "record everything seen to `DIR` while watching")
	})
}

// completeFixed offers a flag's fixed values in shell completion.
func completeFixed(cmd *cobra.Command, flag string, values ...string) {
	if cmd.Flags().Lookup(flag) == nil {
		return
	}
	_ = cmd.RegisterFlagCompletionFunc(flag, cobra.FixedCompletions(values, cobra.ShellCompDirectiveNoFileComp))
}

// completeFlagValues registers the completions every command shares.
func completeFlagValues(cmd *cobra.Command) {
	completeFixed(cmd, "output", "text", "json")
	completeFixed(cmd, "fail-on", "warning", "critical")
	completeFixed(cmd, "notify", "bell", "desktop", "bell,desktop")
	completeFixed(cmd, "log-from", "end", "start")
	for _, f := range []string{"config", "alerts-config"} {
		if cmd.Flags().Lookup(f) != nil {
			_ = cmd.MarkFlagFilename(f, "yaml", "yml")
		}
	}
	for _, f := range []string{"record", "out"} {
		if cmd.Flags().Lookup(f) != nil {
			_ = cmd.MarkFlagDirname(f)
		}
	}
}

// validate checks the flags that take one of a few values; an error is a
// usage error (exit 2).
func (o *options) validate() error {
	if o.output != "json" && o.output != "text" {
		return fmt.Errorf("--output must be json or text, not %q", o.output)
	}
	if o.failOn != "" && o.failOn != "warning" && o.failOn != "critical" {
		return fmt.Errorf("--fail-on must be warning or critical, not %q", o.failOn)
	}
	if o.logFrom != "" && o.logFrom != "start" && o.logFrom != "end" {
		return fmt.Errorf("--log-from must be start or end, not %q", o.logFrom)
	}
	if o.forDur < 0 {
		return fmt.Errorf("--for must not be negative, not %s", o.forDur)
	}
	return nil
}
