// Command vigil is a terminal console for watching AI systems in production:
// GPUs, serving latency and errors, drift, logs and traces on one screen.
//
// main wires flags, config and subcommands to the packages that do the work;
// it holds no logic worth testing apart from them.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `vigil — a terminal console for AI systems in production

Usage:
  vigil [flags]                    watch this box (autodetects NVML and local serving stacks)
  vigil demo [flags]               run the embedded demo service and watch it
  vigil record -o DIR [flags]      record what the sources see, headless
  vigil replay FILE|DIR [flags]    replay a recording in the console (--once --at T, --info)
  vigil drift compare REF CUR      drift statistics between two samples
  vigil alerts [flags]             print the current alerts
  vigil version                    print the version

Run 'vigil <command> --help' for a command's flags.
`

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "version":
			fmt.Fprintf(stdout, "vigil %s\n", version)
			return 0
		case "help":
			fmt.Fprint(stdout, usage)
			return 0
		case "demo":
			return runDemo(args[1:], stdin, stdout, stderr)
		case "drift":
			if len(args) > 1 && args[1] == "compare" {
				return driftCompareMain(args[2:], stdout, stderr)
			}
			fmt.Fprintln(stderr, "vigil drift: usage: vigil drift compare REF CUR [flags]")
			return 2
		default:
			if fn, ok := extraCommands[args[0]]; ok {
				return fn(args[1:], stdin, stdout, stderr)
			}
			fmt.Fprintf(stderr, "vigil: unknown command %q (try vigil --help)\n", args[0])
			return 2
		}
	}
	return runLive(args, stdin, stdout, stderr)
}

// extraCommands are subcommands registered by other files of this package.
var extraCommands = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{}

// options are the flags shared by the live console, the demo, record and replay.
type options struct {
	config        string
	scrape        stringList
	scrapeEvery   time.Duration
	prom          string
	logs          stringList
	logCmds       stringList
	logFrom       string // --log-from: where files that exist at start are read from
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

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

// newFlagSet returns a flag set with the shared flags bound to o.
func newFlagSet(name string, o *options, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.config, "config", "", "config file (default $XDG_CONFIG_HOME/vigil/config.yaml)")
	fs.Var(&o.scrape, "scrape", "scrape a Prometheus /metrics `URL` (repeatable)")
	fs.DurationVar(&o.scrapeEvery, "scrape-interval", time.Second, "how often targets are scraped (config entries may set their own)")
	fs.StringVar(&o.prom, "prom", "", "query a Prometheus-compatible API at `URL` (Prometheus, Thanos, Mimir, VictoriaMetrics)")
	fs.Var(&o.logs, "log", "tail a log file or glob `PATH` (repeatable; - for stdin)")
	fs.Var(&o.logCmds, "log-cmd", "read logs from a `command`'s output, e.g. 'journalctl -f -o json' (repeatable)")
	fs.StringVar(&o.logFrom, "log-from", "end", "read --log files that exist at start from their `end` (the last 256 KiB) or start (whole, with progress; the log memory bound still holds)")
	fs.StringVar(&o.otlpListen, "otlp-listen", "", "OTLP/HTTP trace receiver `address` (default 127.0.0.1:4318; off to disable)")
	fs.StringVar(&o.jaeger, "jaeger", "", "Jaeger query API `URL`")
	fs.StringVar(&o.tempo, "tempo", "", "Tempo API `URL`")
	fs.BoolVar(&o.noDiscover, "no-discover", false, "do not probe the serving stacks' default ports on 127.0.0.1")
	fs.BoolVar(&o.noNVML, "no-nvml", false, "do not read GPUs through NVML")
	fs.StringVar(&o.gpus, "gpus", "", "only these GPU `indices`, e.g. 0,3")
	fs.BoolVar(&o.cudaVisible, "cuda-visible-devices", false, "only the GPUs in CUDA_VISIBLE_DEVICES")
	fs.BoolVar(&o.once, "once", false, "evaluate every pane once, print it and exit")
	fs.StringVar(&o.output, "output", "text", "once output `format`: json or text")
	fs.DurationVar(&o.forDur, "for", 0, "with --once: watch this long before evaluating (rates need two polls)")
	fs.DurationVar(&o.window, "window", 0, "rate and quantile window (default 1m; the console's time window is zoomed with +/-)")
	fs.Float64Var(&o.fps, "fps", 0, "redraws per second at most (default 1; 0.2 for slow links)")
	fs.BoolVar(&o.lowBW, "low-bandwidth", false, "fewer redraws and no animation, for slow SSH links")
	fs.BoolVar(&o.mouse, "mouse", false, "enable the mouse (click to focus, wheel to scroll)")
	fs.StringVar(&o.record, "record", "", "record everything seen to `DIR` while watching")
	fs.StringVar(&o.logFile, "log-file", "", "vigil's own log `file` (default $XDG_STATE_HOME/vigil/vigil.log)")
	fs.StringVar(&o.notify, "notify", "", "on a new critical alert: `bell`, desktop (OSC 9/777), or bell,desktop")
	fs.StringVar(&o.failOn, "fail-on", "", "with --once: exit 3 when an alert of this `severity` (warning|critical) fires")
	return fs
}

// parseFlags parses args and the config; a problem is one line and status 2.
func parseFlags(fs *flag.FlagSet, o *options, args []string, stderr io.Writer) (Config, []string, int) {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return Config{}, nil, 0
		}
		return Config{}, nil, 2
	}
	if o.output != "json" && o.output != "text" {
		fmt.Fprintf(stderr, "vigil: --output must be json or text, not %q\n", o.output)
		return Config{}, nil, 2
	}
	if o.logFrom != "start" && o.logFrom != "end" {
		fmt.Fprintf(stderr, "vigil: --log-from must be start or end, not %q\n", o.logFrom)
		return Config{}, nil, 2
	}
	if o.failOn != "" && o.failOn != "warning" && o.failOn != "critical" {
		fmt.Fprintf(stderr, "vigil: --fail-on must be warning or critical, not %q\n", o.failOn)
		return Config{}, nil, 2
	}
	path, explicit := configPath(o.config)
	cfg, err := loadConfig(path, explicit)
	if err != nil {
		fmt.Fprintf(stderr, "vigil: %v\n", err)
		return cfg, nil, 2
	}
	return cfg, fs.Args(), -1
}
