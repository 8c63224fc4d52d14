package main

import (
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

func newCompletionCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `vigil completion prints a script that completes vigil's commands, flags and
flag values in bash, zsh or fish. The packages install it for you.`,
		Example: `  source <(vigil completion bash)                          # bash, this shell
  vigil completion bash > /etc/bash_completion.d/vigil      # bash, every shell
  vigil completion zsh > "${fpath[1]}/_vigil"               # zsh
  vigil completion fish > ~/.config/fish/completions/vigil.fish`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []cobra.Completion{"bash", "zsh", "fish"},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			var err error
			switch args[0] {
			case "bash":
				err = root.GenBashCompletionV2(e.stdout, true)
			case "zsh":
				err = root.GenZshCompletion(e.stdout)
			case "fish":
				err = root.GenFishCompletion(e.stdout, true)
			default:
				return usageErr("want bash, zsh or fish, not %q", args[0])
			}
			if err != nil {
				return failure(err)
			}
			return nil
		},
	}
}

// newManCmd is `vigil man DIR`: man pages for every command, generated from
// the same definitions as --help. Hidden: the packages ship its output.
func newManCmd(e *env) *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write man pages for every command into DIR",
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := os.MkdirAll(args[0], 0o755); err != nil {
				return failure(err)
			}
			root := cmd.Root()
			root.DisableAutoGenTag = true
			h := &doc.GenManHeader{Title: "VIGIL", Section: "1", Source: "vigil " + readBuildInfo().Version, Manual: "vigil manual"}
			// A reproducible date: the build's, else the epoch the packager set.
			if t, err := time.Parse(time.RFC3339, readBuildInfo().Date); err == nil {
				h.Date = &t
			} else {
				t := time.Unix(0, 0).UTC()
				h.Date = &t
			}
			if err := doc.GenManTree(root, h, args[0]); err != nil {
				return failure(err)
			}
			fmt.Fprintf(e.stdout, "man pages written to %s\n", args[0])
			return nil
		},
	}
}
