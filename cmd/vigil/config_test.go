package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigErrors: every problem is one line with the line number and the
// key as the file writes it, never a Go type name.
func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		want      []string
	}{
		{"misspelt key", "scrape:\n  - url: http://x/metrics\n    intervall: 1s\n",
			[]string{"line 3:", `unknown key "intervall"`, "scrape[0]", `did you mean "interval"`}},
		{"top-level typo", "scrape:\n  - url: http://x/metrics\nrefersh: 1s\n",
			[]string{"line 3:", `unknown key "refersh"`, `"refresh"`}},
		{"indentation slip", "scrape:\n  - url: http://x/metrics\n   interval: 1s\n",
			[]string{"line 3:"}},
		{"bad duration", "window: soon\n", []string{"line 1:", "window", `"soon" is not a duration`}},
		{"negative duration", "window: 1m\nrefresh: -1s\n", []string{"line 2:", "refresh", "must be positive"}},
		{"zero duration", "scrape:\n  - url: http://x/metrics\n    timeout: 0s\n", []string{"line 3:", "scrape[0].timeout", "must be positive"}},
		{"number as text", "services:\n  api:\n    error_target: lots\n",
			[]string{"line 3:", "services.api.error_target", "cannot read `lots` into a number"}},
		{"unknown action", "keys:\n  quit: [q]\n  qiut: [x]\n", []string{"line 3:", `unknown action "qiut"`, `did you mean "quit"`}},
		{"list for a map", "services: [a, b]\n", []string{"line 1:", "services: cannot read a list here"}},
		{"two kinds of log source", "logs:\n  - path: /x\n    command: ls\n", []string{"line 2: logs[0]", "exactly one of"}},
		{"bad scrape URL", "scrape:\n  - url: ftp://x\n", []string{"line 2: scrape[0]", "want http(s)://"}},
		{"bad alert rule", "alerts:\n  rules:\n    - alert: X\n      expr: 'nope >'\n", []string{"line 1: alerts: rules[0] X", "not a number"}},
		{"short retention", "retention: 30s\n", []string{"line 1:", "retention: 30s is outside [1m, 24h]"}},
		{"retention under the window", "window: 2h\nretention: 1h\n", []string{"line 2:", "retention: 1h0m0s is shorter than window"}},
		{"bad size", "memory_budget: lots\n", []string{"line 1:", "memory_budget", `"lots" is not a size`}},
		{"negative size", "memory_budget: -1MiB\n", []string{"line 1:", `"-1MiB" is not a size`}},
		{"small budget", "memory_budget: 1MiB\n", []string{"line 1:", "memory_budget: 1048576 bytes is under the least, 16MiB"}},
		{"key collision", "keys:\n  quit: [x]\n  help: [x]\n", []string{"line 1: keys: key \"x\" bound to both"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeConfig(t, c.doc)
			code, _, errOut := runCLI(t, "config", "check", p)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", code, errOut)
			}
			if strings.Count(errOut, "\n") != 1 {
				t.Errorf("want one line, got %q", errOut)
			}
			for _, w := range c.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q lacks %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "main.") || strings.Contains(errOut, "float64") {
				t.Errorf("a Go type name reached the user: %q", errOut)
			}
			// vigil itself refuses the same file the same way.
			code2, _, errOut2 := runCLI(t, "--config", p, "--once", "--no-discover", "--no-nvml")
			if code2 != exitUsage || strings.TrimPrefix(errOut2, "vigil: ") != strings.TrimPrefix(errOut, "vigil config check: ") {
				t.Errorf("vigil --config: exit %d, stderr %q; config check said %q", code2, errOut2, errOut)
			}
		})
	}
}

// TestStoreOptionsFromConfig: retention and memory_budget reach the
// store, with the defaults where unset.
func TestStoreOptionsFromConfig(t *testing.T) {
	var c Config
	if err := parseConfig([]byte("retention: 2h\nmemory_budget: 96MiB\n"), &c); err != nil {
		t.Fatal(err)
	}
	if o := storeOptions(c); o.Retention != 2*time.Hour || o.Budget != 96<<20 {
		t.Fatalf("%+v", o)
	}
	if o := storeOptions(Config{}); o.Retention != 0 || o.Budget != defaultMemoryBudget {
		t.Fatalf("defaults: %+v", o)
	}
	for in, want := range map[string]int64{"500MB": 500e6, "1.5GiB": 3 << 29, "1048576": 1 << 20, "64 KiB": 64 << 10} {
		if got, ok := parseByteSize(in); !ok || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "MB", "1TB", "1e3", "-5"} {
		if got, ok := parseByteSize(in); ok {
			t.Errorf("%q read as %d", in, got)
		}
	}
}

func TestConfigTooLarge(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("scrape:\n")
	for b.Len() <= maxConfigBytes {
		b.WriteString("  - url: http://127.0.0.1:8000/metrics\n")
	}
	p := writeConfig(t, b.String())
	code, _, errOut := runCLI(t, "config", "check", p)
	if code != exitUsage || !strings.Contains(errOut, "larger than 1024 KiB") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestConfigExampleChecks: the example `vigil config example` prints is a
// valid config, and decodes to what its comments say.
func TestConfigExampleChecks(t *testing.T) {
	code, out, _ := runCLI(t, "config", "example")
	if code != 0 || !strings.Contains(out, "scrape:") {
		t.Fatalf("exit %d", code)
	}
	p := writeConfig(t, out)
	code, out, errOut := runCLI(t, "config", "check", p)
	if code != 0 || !strings.Contains(out, ": ok") {
		t.Fatalf("the example does not check: exit %d, %s%s", code, out, errOut)
	}
	cfg, err := loadConfig(p, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Scrape) != 1 || cfg.Services["recsys"].ErrorTarget != 0.01 || len(cfg.Keys["quit"]) != 2 {
		t.Errorf("example decoded to %+v", cfg)
	}
}

func TestConfigCheckMissingFile(t *testing.T) {
	code, _, errOut := runCLI(t, "config", "check", filepath.Join(t.TempDir(), "nope.yaml"))
	if code != exitUsage || !strings.Contains(errOut, "no such file") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestEmptyConfigIsFine(t *testing.T) {
	p := writeConfig(t, "# nothing yet\n")
	if code, _, errOut := runCLI(t, "config", "check", p); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}
