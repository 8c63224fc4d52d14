// Package panetest holds what the pane tests share: the terminal profile
// their golden files are drawn in, the golden files themselves (on
// github.com/charmbracelet/x/exp/golden) and the check that a view fills
// exactly the cells it was given.
//
// A golden file is testdata/NAME.golden beside the test. `go test
// ./tui/PANE -update` rewrites every golden file of the package; read the
// diff (`git diff tui/PANE/testdata`) before committing it.
package panetest

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/muesli/termenv"
)

// Main runs a pane package's tests in the profile its golden files are
// drawn in: plain ASCII (no colour) on a dark background. Call it from
// TestMain.
func Main(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

// Golden compares got with testdata/NAME.golden and fails the test with a
// unified diff when they differ; with -update it rewrites the file first.
// NAME may hold slashes (a folder under testdata).
func Golden(t testing.TB, name, got string) {
	t.Helper()
	if !Updating() {
		if _, err := os.Stat(filepath.Join("testdata", name+".golden")); err != nil {
			t.Fatalf("%v (run with -update and read the diff)", err)
			return
		}
	}
	// RequireEqualEscape marks itself a helper (RequireEqual does not), so
	// a failure names the test's line.
	golden.RequireEqualEscape(named{t, name}, []byte(got), false)
}

// named is a test that the golden package files under NAME instead of the
// test's own name.
type named struct {
	testing.TB
	name string
}

func (n named) Name() string { return n.name }

// Updating reports whether the tests run with -update (the flag the golden
// package defines), for a test that writes a golden file of its own shape.
func Updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// CheckSize fails the test unless the view is exactly h lines of w cells
// each.
func CheckSize(t testing.TB, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("%d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n != w {
			t.Errorf("line %d is %d cells, want %d: %q", i, n, w, l)
		}
	}
}
