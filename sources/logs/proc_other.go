//go:build !unix

package logs

import (
	"os"
	"os/exec"
)

// setProcessGroup is a no-op where process groups do not exist.
func setProcessGroup(cmd *exec.Cmd) {}

// unlinked cannot tell where there is no link count: a deleted file is let
// go of when a new one takes its path.
func unlinked(f *os.File) bool { return false }
