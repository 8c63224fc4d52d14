package main

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// helpCommands is every command whose help is golden-tested.
var helpCommands = [][]string{
	{}, {"demo"}, {"record"}, {"replay"}, {"alerts"}, {"drift"}, {"drift", "compare"},
	{"config"}, {"config", "check"}, {"config", "example"}, {"version"}, {"completion"},
}

// TestHelpGolden renders every command's --help and compares it with
// testdata/help/NAME.golden (go test -run TestHelpGolden -update rewrites them).
func TestHelpGolden(t *testing.T) {
	for _, path := range helpCommands {
		name := strings.Join(append([]string{"vigil"}, path...), "-")
		t.Run(name, func(t *testing.T) {
			code, out, errOut := runCLI(t, append(append([]string{}, path...), "--help")...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden := filepath.Join("testdata", "help", name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestHelpGolden -update)", err)
			}
			if out != string(want) {
				t.Errorf("help differs from %s (rerun with -update and read the diff):\n%s", golden, out)
			}
			// `vigil help CMD` shows the same page.
			if len(path) > 0 {
				_, viaHelp, _ := runCLI(t, append([]string{"help"}, path...)...)
				if viaHelp != out {
					t.Errorf("vigil help %s differs from --help", strings.Join(path, " "))
				}
			}
		})
	}
}

// TestEveryCommandHasHelpGolden keeps helpCommands in step with the tree.
func TestEveryCommandHasHelpGolden(t *testing.T) {
	have := map[string]bool{}
	for _, p := range helpCommands {
		have[strings.Join(p, " ")] = true
	}
	var walk func(prefix []string, cmds []string)
	root := newRootCmd(&env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}})
	for _, c := range root.Commands() {
		if !c.IsAvailableCommand() {
			continue
		}
		if !have[c.Name()] {
			t.Errorf("command %q has no help golden (add it to helpCommands)", c.Name())
		}
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() && !have[c.Name()+" "+sub.Name()] {
				t.Errorf("command %q has no help golden", c.Name()+" "+sub.Name())
			}
		}
	}
	_ = walk
}

func TestUsageErrorsAreOneLine(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--bogus"}, "vigil: unknown flag: --bogus (see 'vigil --help')"},
		{[]string{"demo", "--bogus"}, "vigil demo: unknown flag: --bogus (see 'vigil demo --help')"},
		{[]string{"record", "--fps", "2"}, "vigil record: unknown flag: --fps"},
		{[]string{"record", "--once"}, "vigil record: unknown flag: --once"},
		{[]string{"replay", "x.vrec", "--scrape", "http://x"}, "vigil replay: unknown flag: --scrape"},
		{[]string{"replay", "x.vrec", "--log-cmd", "ls"}, "vigil replay: unknown flag: --log-cmd"},
		{[]string{"-config", "x"}, "vigil: unknown shorthand flag"},
		{[]string{"replay"}, "vigil replay: accepts 1 arg(s), received 0"},
		{[]string{"completion", "tcsh"}, "vigil completion: want bash, zsh or fish"},
		{[]string{"demo", "--for", "-1s", "--once"}, "--for must not be negative"},
		{[]string{"version", "--output", "yaml"}, "--output must be json or text"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(t, c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d", c.args, code, exitUsage)
		}
		if !strings.Contains(errOut, c.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: stderr %q, want one line with %q", c.args, errOut, c.want)
		}
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := runCLI(t, "version", "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, k := range []string{`"version"`, `"commit"`, `"date"`, `"go": "go1.`, `"platform"`} {
		if !strings.Contains(out, k) {
			t.Errorf("version JSON lacks %s:\n%s", k, out)
		}
	}
}

// TestCompletionScripts checks that each shell's script is produced and that
// bash parses and loads the bash one: `complete -p vigil` names its function.
func TestCompletionScripts(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish"} {
		code, out, errOut := runCLI(t, "completion", sh)
		if code != 0 || !strings.Contains(out, "vigil") {
			t.Fatalf("completion %s: exit %d, stderr %q", sh, code, errOut)
		}
		if sh != "bash" {
			continue
		}
		bash, err := exec.LookPath("bash")
		if err != nil {
			t.Skip("bash not installed")
		}
		f := filepath.Join(t.TempDir(), "vigil.bash")
		if err := os.WriteFile(f, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(bash, "-n", f).CombinedOutput(); err != nil {
			t.Fatalf("bash -n: %v\n%s", err, b)
		}
		b, err := exec.Command(bash, "--norc", "--noprofile", "-c", "source "+f+" && complete -p vigil").CombinedOutput()
		if err != nil || !strings.Contains(string(b), "complete -o default -F __start_vigil vigil") {
			t.Fatalf("complete -p vigil after sourcing: %v\n%s", err, b)
		}
	}
}

// TestCompletionOffersFlagValues asks the completion engine what bash asks.
func TestCompletionOffersFlagValues(t *testing.T) {
	_, out, _ := runCLI(t, "__complete", "demo", "--output", "")
	if !strings.Contains(out, "json") || !strings.Contains(out, "text") {
		t.Errorf("--output completions: %q", out)
	}
	_, out, _ = runCLI(t, "__complete", "de")
	if !strings.Contains(out, "demo") {
		t.Errorf("command completions: %q", out)
	}
}

// TestManPages generates the man pages from the command tree.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if code, _, errOut := runCLI(t, "man", dir); code != 0 {
		t.Fatalf("man: exit %d: %s", code, errOut)
	}
	for _, name := range []string{"vigil.1", "vigil-demo.1", "vigil-replay.1", "vigil-drift-compare.1", "vigil-config-check.1"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), ".TH \"VIGIL\"") || !strings.Contains(string(b), "EXAMPLE") {
			t.Errorf("%s: not a man page with examples:\n%.300s", name, b)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "vigil-man.1")); err == nil {
		t.Error("the hidden man command has a man page")
	}
}
