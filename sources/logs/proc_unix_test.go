//go:build unix

package logs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCommandStopsItsProcessGroup(t *testing.T) {
	pidf := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	c := &collector{}
	go func() {
		defer close(done)
		NewCommand(`echo $$ > `+pidf+`; echo started; sleep 60 | cat`, fastOpts).Run(ctx, c.emit)
	}()
	waitFor(t, "started", func() bool { return hasAll(c.msgs(), "started") })
	b, err := os.ReadFile(pidf)
	if err != nil {
		t.Fatal(err)
	}
	pgid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	cancel()
	defer func() { t.Logf("stop took %v", time.Since(t0)) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("command source did not stop")
	}
	t.Logf("Run returned after %v", time.Since(t0))
	waitFor(t, "the process group to be gone", func() bool {
		return errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH)
	})
}
