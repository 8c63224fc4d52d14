package main

import (
	_ "embed"
	"fmt"

	"github.com/spf13/cobra"
)

// exampleConfig is `vigil config example`: every section, commented. A test
// checks that it passes `vigil config check`.
//
//go:embed config.example.yaml
var exampleConfig string

func newConfigCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check a config file, or print a commented example",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageErr("want a subcommand: vigil config check FILE, or vigil config example")
		},
	}
	check := &cobra.Command{
		Use:   "check [FILE]",
		Short: "Validate a config file",
		Long: `vigil config check reads a config file as vigil would at start (the default
$XDG_CONFIG_HOME/vigil/config.yaml when no FILE is given) and checks every
part of it: unknown or misspelt keys, durations, URLs, HTTP client settings,
alert rules, log parsing rules, drift features and key bindings. A problem is
one line with the file's line number and the key as written.`,
		Example: `  vigil config check ~/.config/vigil/config.yaml
  vigil config example > config.yaml && vigil config check config.yaml`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, explicit := configPath("")
			if len(args) == 1 {
				path, explicit = args[0], true
			}
			if path == "" {
				return failure(fmt.Errorf("no config file given and no home directory to look in"))
			}
			cfg, err := loadConfig(path, explicit)
			if err != nil {
				return &exitError{code: exitUsage, err: err}
			}
			if err := cfg.check(); err != nil {
				return &exitError{code: exitUsage, err: fmt.Errorf("config %s: %w", path, err)}
			}
			fmt.Fprintf(e.stdout, "%s: ok\n", path)
			return nil
		},
	}
	check.Annotations = map[string]string{"exit": `Exit status:
  0  the config is valid
  2  it is not (one line says where and why)`}
	example := &cobra.Command{
		Use:     "example",
		Short:   "Print a commented example config",
		Example: `  vigil config example > ~/.config/vigil/config.yaml`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprint(e.stdout, exampleConfig)
			return nil
		},
	}
	cmd.AddCommand(check, example)
	return cmd
}
