// Command vigil is a terminal console for watching AI systems in production:
// GPUs, serving latency and errors, drift, logs and traces on one screen.
//
// main parses flags and wires the packages that do the work; it holds no
// logic worth testing apart from them. The command line is built with cobra
// (github.com/spf13/cobra), the library kubectl, gh and Hugo use: GNU
// double-dash flags through pflag, a subcommand tree where each command owns
// its flags, help with examples, `vigil help CMD`, shell completion for bash,
// zsh and fish, and man pages generated from the same definitions. kong and
// urfave/cli were the alternatives; cobra won because its completion and man
// generation come with it rather than as third-party add-ons, and because
// the people vigil is for already know its conventions from kubectl and gh.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// Exit statuses, documented in every command's help and in README.md.
const (
	exitOK      = 0 // success
	exitFailure = 1 // a runtime failure: nothing to watch, no source could be read, a file unreadable
	exitUsage   = 2 // a usage error: unknown flag or command, bad flag value, bad config
	exitFailOn  = 3 // --fail-on: an alert of that severity fires
)

const exitStatusHelp = `Exit status:
  0  ok
  1  runtime failure (nothing to watch, no source could be read, an unreadable file)
  2  usage error (unknown flag or command, a bad flag value, a bad config file)
  3  with --fail-on: an alert of that severity or worse is firing`

// env is where a command reads and writes: the process's streams, or a
// test's buffers.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// exitError ends a command with a status; its message, when not empty, is
// printed as one line prefixed with the command's path.
type exitError struct {
	code int
	err  error
	hint bool // point to the command's --help after the message
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErr is a usage error: one line, a pointer to the command's help,
// exit status 2.
func usageErr(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...), hint: true}
}

// failure is a runtime failure: one line, exit status 1.
func failure(err error) error { return &exitError{code: exitFailure, err: err} }

// status ends a command with code after it has printed what it had to say.
func status(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

// run is main without the process: it returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(e)
	stopProfile := bindCPUProfile(root)
	stopMemProfile := bindMemProfile(root)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	stopMemProfile()
	stopProfile()
	if err == nil {
		return exitOK
	}
	path := "vigil"
	if cmd != nil {
		path = cmd.CommandPath()
	}
	var xe *exitError
	if errors.As(err, &xe) {
		switch {
		case xe.err == nil:
		case xe.hint:
			fmt.Fprintf(stderr, "%s: %s (see '%s --help')\n", path, oneLine(xe.err), path)
		default:
			fmt.Fprintf(stderr, "%s: %s\n", path, oneLine(xe.err))
		}
		return xe.code
	}
	// cobra's own errors: an unknown command, a wrong number of arguments.
	fmt.Fprintf(stderr, "%s: %s (see '%s --help')\n", path, oneLine(err), path)
	return exitUsage
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", " ")), " ")
}

// newRootCmd builds the whole command tree; every command writes to e.
func newRootCmd(e *env) *cobra.Command {
	o := &options{}
	root := &cobra.Command{
		Use:   "vigil [flags]",
		Short: "A terminal console for AI systems in production",
		Long: `vigil is one terminal screen for AI systems in production: GPU health, serving
latency, errors, drift, logs and traces, on one time cursor.

With no flags it watches this box: the GPUs NVML shows and the serving stacks
(vLLM, TGI, SGLang, Triton, TorchServe, dcgm-exporter, node-exporter) that
answer on 127.0.0.1's default ports. Flags and the config file add sources.
Press ? in the console for its keys.`,
		Example: `  vigil                                      # this box
  vigil --scrape http://gpu-7:8000/metrics   # any /metrics endpoint (repeatable)
  vigil --log '/var/log/inference/*.log'     # tail files or globs
  vigil --prom http://prometheus:9090        # a fleet through a Prometheus-compatible API
  vigil --once --output json                 # every pane once, as JSON
  vigil --once --for 30s --fail-on critical  # exit 3 while a critical alert fires
  vigil demo                                 # the embedded demo service`,
		Args:          cobra.NoArgs,
		Version:       versionString(),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(o, e)
		},
	}
	root.Annotations = map[string]string{"exit": exitStatusHelp}
	fs := root.Flags()
	bindSources(fs, o)
	bindOnce(fs, o, true)
	bindConsole(fs, o)
	bindGeneral(fs, o)
	bindRecord(fs, o)
	root.SetVersionTemplate("vigil {{.Version}}\n")
	fs.BoolP("version", "v", false, "print the version and exit (vigil version says more)")

	root.AddCommand(newDemoCmd(e), newRecordCmd(e), newReplayCmd(e), newAlertsCmd(e), newDriftCmd(e),
		newConfigCmd(e), newVersionCmd(e), newCompletionCmd(e), newManCmd(e))
	root.CompletionOptions.DisableDefaultCmd = true
	setup(root, e)
	return root
}

// setup gives cmd and its children vigil's streams, help layout, flag
// error handling and value completions.
func setup(cmd *cobra.Command, e *env) {
	cmd.SetIn(e.stdin)
	cmd.SetOut(e.stdout)
	cmd.SetErr(e.stderr)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	cmd.Flags().SortFlags = false
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &exitError{code: exitUsage, err: err, hint: true}
	})
	cmd.SetUsageTemplate(usageTemplate)
	completeFlagValues(cmd)
	for _, c := range cmd.Commands() {
		setup(c, e)
	}
}

// usageTemplate is cobra's usage layout with vigil's flag groups and an
// exit status section.
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{range flagGroups .}}

{{.Title}}:
{{.Usages}}{{end}}{{with index .Annotations "exit"}}

{{.}}{{end}}{{if .HasAvailableSubCommands}}

Run '{{.CommandPath}} [command] --help' for a command's flags and examples.{{end}}
`

func init() {
	cobra.AddTemplateFunc("flagGroups", flagGroups)
}

type flagGroup struct{ Title, Usages string }

// flagGroups splits a command's flags into the groups of flagGroupOrder.
func flagGroups(cmd *cobra.Command) []flagGroup {
	sets := map[string]*pflag.FlagSet{}
	cmd.LocalFlags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		g := groupCommand
		if v := f.Annotations[flagGroupAnnotation]; len(v) > 0 {
			g = v[0]
		}
		if sets[g] == nil {
			sets[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
			sets[g].SortFlags = false
		}
		sets[g].AddFlag(f)
	})
	var out []flagGroup
	for _, g := range flagGroupOrder {
		fs := sets[g]
		if fs == nil {
			continue
		}
		title := g
		if title == groupCommand {
			title = "Flags"
		}
		out = append(out, flagGroup{Title: title, Usages: strings.TrimRight(fs.FlagUsagesWrapped(100), " \n")})
	}
	return out
}
