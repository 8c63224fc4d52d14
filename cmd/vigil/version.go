package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Set at build time by scripts/dist:
//
//	-ldflags "-X main.version=v1.2.0 -X main.commit=abc1234 -X main.date=2026-12-01T10:00:00Z"
//
// A plain `go build` leaves them empty; buildInfo then falls back on what the
// Go toolchain recorded (the module version, and the VCS revision and time
// when it stamped them).
var version, commit, date string

// buildInfo is what `vigil version` prints.
type buildInfo struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Date     string `json:"date"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

func readBuildInfo() buildInfo {
	b := buildInfo{Version: version, Commit: commit, Date: date, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			b.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && b.Commit == "":
				b.Commit = s.Value
			case s.Key == "vcs.time" && b.Date == "":
				b.Date = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	if b.Date == "" {
		b.Date = "unknown"
	}
	return b
}

// versionString is the one line of `vigil --version`.
func versionString() string {
	b := readBuildInfo()
	return fmt.Sprintf("%s (commit %s, built %s, %s)", b.Version, shortCommit(b.Commit), b.Date, b.Go)
}

func shortCommit(c string) string {
	if len(c) > 12 {
		return c[:12]
	}
	return c
}

func newVersionCmd(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the version, commit, build date and Go version",
		Example: `  vigil version
  vigil version --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b := readBuildInfo()
			switch output {
			case "json":
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(b); err != nil {
					return failure(err)
				}
			case "text":
				fmt.Fprintf(e.stdout, "vigil %s\ncommit    %s\nbuilt     %s\ngo        %s\nplatform  %s\n",
					b.Version, b.Commit, b.Date, b.Go, b.Platform)
			default:
				return usageErr("--output must be json or text, not %q", output)
			}
			return nil
		},
	}
	bindOutput(cmd.Flags(), &output)
	return cmd
}
