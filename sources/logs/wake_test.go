package logs

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// With the directory watched, a line written is read at once, however long
// the poll: here the poll is an hour, so only the watch can deliver it.
func TestFileWatchWakes(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, "one\n")
	if w := newWaker(path); w == nil || !w.watching() {
		t.Skip("logs: no inotify here; the tail polls")
	} else {
		w.close()
	}
	c := run(t, NewFile(path, Options{Poll: time.Hour}))
	waitFor(t, "the backfill", func() bool { return hasAll(c.msgs(), "one") })
	appendFile(t, path, "two\n")
	waitFor(t, "a line appended", func() bool { return hasAll(c.msgs(), "two") })
	// Rotation by rename: the old file's last line and the new file's.
	appendFile(t, path, "three\n")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, "four\n")
	waitFor(t, "lines across a rotation", func() bool { return hasAll(c.msgs(), "three", "four") })
	// A glob's new file.
	g := run(t, NewFile(filepath.Join(dir, "*.jsonl"), Options{Poll: time.Hour}))
	appendFile(t, filepath.Join(dir, "new.jsonl"), "five\n")
	waitFor(t, "a new file under a glob", func() bool { return hasAll(g.msgs(), "five") })
}

// Unwatched, the poll is fast while the files grow and backs off to
// idleMax while they stand still.
func TestPaceBacksOff(t *testing.T) {
	f := NewFile("x.log", Options{Poll: time.Millisecond})
	p := f.newPace()
	defer p.stop()
	ctx := context.Background()
	var got []time.Duration
	for _, at := range []int64{10, 10, 10, 10, 10, 20, 20} {
		if !p.wait(ctx, nil, at) {
			t.Fatal("wait: ctx done")
		}
		got = append(got, p.cur)
	}
	want := []time.Duration{1, 2, 4, 4, 4, 1, 2}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("waits %v, want %v ms", got, want)
		}
	}
	// The default: 250 ms, backing off to 1 s.
	if d := NewFile("x.log", Options{}).newPace(); d.poll != 250*time.Millisecond || d.idleMax != time.Second {
		t.Errorf("default pace %s to %s, want 250ms to 1s", d.poll, d.idleMax)
	}
}
