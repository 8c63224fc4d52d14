package replay

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

const childEnv = "VIGIL_REPLAY_KILL_CHILD"

// childRecord is the recorder process that TestKillRecorder kills: it
// records frames stamped with the wall clock every few milliseconds, as a
// hub sink would, until it is killed.
func childRecord(dir string) {
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet, BlockInterval: 200 * time.Millisecond})
	if err != nil {
		os.Exit(3)
	}
	g := newRefLoad(time.Now(), 9)
	for {
		for _, f := range g.second() {
			f.At = time.Now()
			rec.Write(f)
			time.Sleep(time.Millisecond)
		}
	}
}

// TestKillRecorder runs a recorder in a child process (this test binary
// re-executed), kills it with SIGKILL mid-write, and checks that the
// recording opens with a bounded loss; a second run starts a new file
// instead of appending to the torn one.
func TestKillRecorder(t *testing.T) {
	if dir := os.Getenv(childEnv); dir != "" {
		childRecord(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	run := func() time.Time {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillRecorder$")
		cmd.Env = append(os.Environ(), childEnv+"="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		before := dirSize(t, dir)
		deadline := time.Now().Add(20 * time.Second)
		for dirSize(t, dir) < before+64<<10 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the child recorder wrote nothing")
			}
			time.Sleep(10 * time.Millisecond)
		}
		killed := time.Now()
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		return killed
	}
	killed := run()
	r, err := Open(dir)
	if err != nil {
		t.Fatalf("open after kill -9: %v", err)
	}
	_, last := r.Span()
	n := len(readAll(t, r))
	in := r.Info()
	r.Close()
	if n == 0 || in.Files[0].Complete {
		t.Fatalf("after kill: %d frames, complete=%v", n, in.Files[0].Complete)
	}
	// Blocks are cut every 200 ms of wall time; allow for a loaded machine.
	if loss := killed.Sub(last); loss > 5*time.Second {
		t.Fatalf("lost %s of data", loss)
	}

	killed2 := run()
	files := segFiles(t, dir)
	if len(files) != 2 {
		t.Fatalf("second run: %d files, want a new one beside the torn one", len(files))
	}
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rec.Write(sources.Frame{Source: "clean", At: killed2.Add(time.Second), Points: []sources.Point{{Series: sources.NewSeries("x", sources.Gauge), At: killed2.Add(time.Second), Value: 1}}})
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	r, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in = r.Info()
	if len(in.Files) != 3 || in.Files[0].Complete || in.Files[1].Complete || !in.Files[2].Complete {
		t.Fatalf("files: %+v", in.Files)
	}
	if got := len(readAll(t, r)); got <= n {
		t.Fatalf("%d frames after the second run, had %d", got, n)
	}
	for _, p := range files {
		if filepath.Ext(p) != Ext {
			t.Fatal(p)
		}
	}
}
