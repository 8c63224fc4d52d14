package logs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// tail drives one followed file poll by poll, so that a test decides what
// happens to the file between two polls, as a busy writer and logrotate do.
type tail struct {
	t    *testing.T
	tl   *tailed
	b    *batcher
	c    *collector
	buf  []byte
	opts Options
}

func newTail(t *testing.T, path string, o Options) *tail {
	o = o.withDefaults("file", path)
	c := &collector{}
	return &tail{t: t, tl: &tailed{path: path, source: o.Name, sp: newSplitter(o.Parser.MaxLine()), atStart: true},
		b: newBatcher(o, "file", path, c.emit), c: c, buf: make([]byte, 64<<10), opts: o}
}

// poll polls until the file is caught up (a whole-file load takes several).
func (h *tail) poll() {
	h.t.Helper()
	for i := 0; ; i++ {
		if err := h.tl.poll(context.Background(), h.b, h.buf, h.opts); err != nil && !strings.Contains(err.Error(), "waiting for") {
			h.t.Fatal(err)
		}
		h.b.flush(true)
		if !h.tl.more {
			return
		}
		if i > 1000 {
			h.t.Fatal("poll never caught up")
		}
	}
}

// pollOnce polls one time, caught up or not.
func (h *tail) pollOnce() {
	h.t.Helper()
	if err := h.tl.poll(context.Background(), h.b, h.buf, h.opts); err != nil {
		h.t.Fatal(err)
	}
	h.b.flush(true)
}

// numbered writes lines "n=<i>" for i in [from, to).
func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "line n=%06d of the test\n", i)
	}
	return b.String()
}

// expectSeq checks that the lines read are exactly [from, to) in order:
// nothing lost, nothing twice.
func (h *tail) expectSeq(from, to int) {
	h.t.Helper()
	var got []int
	for _, m := range h.c.msgs() {
		var n int
		if _, err := fmt.Sscanf(m, "line n=%d of the test", &n); err != nil {
			h.t.Fatalf("unexpected line %q", m)
		}
		got = append(got, n)
	}
	if len(got) != to-from {
		h.t.Errorf("read %d lines, want %d (%d..%d)", len(got), to-from, from, to-1)
	}
	for i, n := range got {
		if n != from+i {
			h.t.Fatalf("line %d is n=%d, want n=%d (lines lost or repeated)", i, n, from+i)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRotateByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, numbered(0, 100))
	h := newTail(t, path, Options{Backfill: 1 << 20})
	h.poll()
	// Written after the last poll, then the file is renamed away and a new
	// one takes its path: the old file's last lines, then the new file.
	appendFile(t, path, numbered(100, 150))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", numbered(150, 160)) // its writer had not reopened yet
	appendFile(t, path, numbered(160, 200))
	h.poll()
	h.poll()
	h.expectSeq(0, 200)
}

func TestRotateCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, numbered(0, 100))
	h := newTail(t, path, Options{Backfill: 1 << 20})
	h.poll()
	// logrotate's copytruncate: the ~50 lines written just before it are
	// only in the copy by the time of the next poll.
	appendFile(t, path, numbered(100, 150))
	copyFile(t, path, path+".1")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, numbered(150, 200))
	h.poll()
	h.poll()
	h.expectSeq(0, 200)
}

func TestRotateCopyTruncateWriterKeepsItsOffset(t *testing.T) {
	// A writer without O_APPEND goes on at its offset after the truncation:
	// the file starts with a hole of NULs, longer than what was read.
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	w, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.WriteString(numbered(0, 100)); err != nil {
		t.Fatal(err)
	}
	h := newTail(t, path, Options{Backfill: 1 << 20})
	h.poll()
	if _, err := w.WriteString(numbered(100, 150)); err != nil {
		t.Fatal(err)
	}
	copyFile(t, path, path+".1")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteString(numbered(150, 200)); err != nil {
		t.Fatal(err)
	}
	h.poll()
	h.expectSeq(0, 200)
}

func TestRotateTruncateAndRegrow(t *testing.T) {
	// Truncated and written again past the old offset between two polls:
	// the size alone says nothing happened; the first bytes say otherwise.
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, numbered(0, 1000))
	h := newTail(t, path, Options{Backfill: 1 << 20})
	h.poll()
	if err := os.WriteFile(path, []byte(numbered(1000, 4000)), 0o644); err != nil {
		t.Fatal(err)
	}
	h.poll()
	h.expectSeq(0, 4000)
}

func TestRotateDeleteAndRecreate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	appendFile(t, path, numbered(0, 100))
	h := newTail(t, path, Options{Backfill: 1 << 20})
	h.poll()
	// The open handle still reads the deleted file's last lines.
	appendFile(t, path, numbered(100, 130))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	h.poll() // gone for now: the path is waited for
	appendFile(t, path, numbered(130, 200))
	h.poll()
	h.expectSeq(0, 200)
	// Deleted and created again between two polls.
	appendFile(t, path, numbered(200, 220))
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, numbered(220, 250))
	h.poll()
	h.poll()
	h.c.frames = nil
	appendFile(t, path, numbered(250, 260))
	h.poll()
	h.expectSeq(250, 260)
}

// bigFile writes n numbered lines (about 26 bytes each).
func bigFile(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i := 0; i < n; i += 10_000 {
		if _, err := f.WriteString(numbered(i, min(n, i+10_000))); err != nil {
			t.Fatal(err)
		}
	}
}

// ratios are the LoadRatio values the source reported, in order.
func (h *tail) ratios() []float64 {
	var out []float64
	for _, f := range h.c.frames {
		for _, p := range f.Points {
			if p.Series.Name == LoadRatio {
				out = append(out, p.Value)
			}
		}
	}
	return out
}

func TestWholeFileLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	const n = 20_000 // ~520 KB: five polls' worth
	bigFile(t, path, n)
	h := newTail(t, path, Options{FromStart: true, readCap: 128 << 10})
	h.pollOnce()
	if !h.tl.more {
		t.Fatal("a 520 KB file read in one poll of 128 KB")
	}
	h.poll()
	h.expectSeq(0, n)
	r := h.ratios()
	if len(r) < 3 || r[0] != 0 || r[len(r)-1] != 1 {
		t.Fatalf("progress %v: want 0, rising, then 1", r)
	}
	for i := 1; i < len(r); i++ {
		if r[i] < r[i-1] {
			t.Fatalf("progress went back: %v", r)
		}
	}
}

func TestWholeFileLoadRotatedByRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	const n = 20_000
	bigFile(t, path, n)
	h := newTail(t, path, Options{FromStart: true, readCap: 128 << 10})
	h.pollOnce()
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, numbered(n, n+100))
	h.poll()
	h.poll()
	h.expectSeq(0, n+100)
	if r := h.ratios(); r[len(r)-1] != 1 {
		t.Errorf("the load did not finish: %v", r)
	}
}

func TestWholeFileLoadCopyTruncated(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.log")
	const n = 20_000
	bigFile(t, path, n)
	h := newTail(t, path, Options{FromStart: true, readCap: 128 << 10})
	h.pollOnce()
	appendFile(t, path, numbered(n, n+50))
	copyFile(t, path, path+".1")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, numbered(n+50, n+100))
	h.poll()
	h.poll()
	h.expectSeq(0, n+100)
}

func TestFileSourceRunsCopyTruncate(t *testing.T) {
	// The same through the source's own polling, with the copy named as
	// logrotate's dateext names it.
	dir := t.TempDir()
	path := filepath.Join(dir, "svc.log")
	appendFile(t, path, numbered(0, 10))
	c := run(t, NewFile(path, fastOpts))
	waitFor(t, "first lines", func() bool { return len(c.msgs()) == 10 })
	appendFile(t, path, numbered(10, 60))
	copyFile(t, path, path+"-20261127")
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, numbered(60, 80))
	waitFor(t, "every line", func() bool { return len(c.msgs()) >= 80 })
	h := &tail{t: t, c: c}
	h.expectSeq(0, 80)
}

func TestGlobLinesSayTheirFile(t *testing.T) {
	dir := t.TempDir()
	appendFile(t, filepath.Join(dir, "a.log"), "from a\n")
	appendFile(t, filepath.Join(dir, "b.log"), "from b\n")
	c := run(t, NewFile(filepath.Join(dir, "*.log"), fastOpts))
	waitFor(t, "both", func() bool { return hasAll(c.msgs(), "from a", "from b") })
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, f := range c.frames {
		for _, l := range f.Logs {
			want := "file " + filepath.Join(dir, strings.TrimPrefix(l.Msg, "from ")+".log")
			if l.Source != want {
				t.Errorf("%q from %q, want %q", l.Msg, l.Source, want)
			}
		}
	}
}

func TestRecordTimeFromItsFirstLine(t *testing.T) {
	// apt's history.log: each record starts with Start-Date; its other
	// lines take that time, not the time they were read. A line with no
	// timed line before it in its record is marked as read time.
	const hist = "orphan line before any record\n" +
		"\n" +
		"Start-Date: 2026-05-01  10:22:33\n" +
		"Commandline: apt-get install curl\n" +
		"Requested-By: ops (1000)\n" +
		"Install: curl:amd64 (8.5.0-2)\n" +
		"End-Date: 2026-05-01  10:22:40\n" +
		"\n" +
		"Start-Date: 2026-05-02  08:00:01\n" +
		"Commandline: apt-get upgrade\n"
	dir := t.TempDir()
	path := filepath.Join(dir, "history.log")
	appendFile(t, path, hist)
	h := newTail(t, path, Options{Parser: mustParser(t, ParseOptions{}), Clock: sources.NewManualClock(readAt)})
	h.poll()
	type want struct {
		prefix string
		at     string
		read   bool
	}
	wants := []want{
		{"orphan", readAt.Format(time.DateTime), true},
		{"Start-Date", "2026-05-01 10:22:33", false},
		{"Commandline: apt-get install", "2026-05-01 10:22:33", false},
		{"Requested-By", "2026-05-01 10:22:33", false},
		{"Install", "2026-05-01 10:22:33", false},
		{"End-Date", "2026-05-01 10:22:40", false},
		{"Start-Date", "2026-05-02 08:00:01", false},
		{"Commandline: apt-get upgrade", "2026-05-02 08:00:01", false},
	}
	var got []sources.LogRecord
	for _, f := range h.c.frames {
		got = append(got, f.Logs...)
	}
	if len(got) != len(wants) {
		t.Fatalf("%d records (blank lines are not records), want %d", len(got), len(wants))
	}
	for i, w := range wants {
		r := got[i]
		if !strings.HasPrefix(r.Raw, w.prefix) || r.At.UTC().Format(time.DateTime) != w.at || r.TimeRead != w.read {
			t.Errorf("record %d: %q at %s (read time %v), want %q at %s (%v)", i, r.Raw, r.At.UTC().Format(time.DateTime), r.TimeRead, w.prefix, w.at, w.read)
		}
	}
}

func TestFilesUnderConcurrentAppends(t *testing.T) {
	// Writers append as fast as they can while the source polls: every line
	// arrives once, in order, per file (no identity check mistakes a file
	// that grows for one that was truncated).
	dir := t.TempDir()
	const files, n = 4, 8_000
	var paths []string
	for i := 0; i < files; i++ {
		p := filepath.Join(dir, fmt.Sprintf("f%d.log", i))
		appendFile(t, p, "")
		paths = append(paths, p)
	}
	c := run(t, NewFile(filepath.Join(dir, "*.log"), fastOpts))
	waitFor(t, "the files open", func() bool { return c.health().Detail == fmt.Sprintf("%d files", files) })
	done := make(chan struct{})
	for _, p := range paths {
		go func() {
			defer func() { done <- struct{}{} }()
			f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer f.Close()
			for i := 0; i < n; i += 100 {
				if _, err := f.WriteString(numbered(i, i+100)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for range paths {
		<-done
	}
	waitFor(t, "every line", func() bool { return len(c.msgs()) >= files*n })
	c.mu.Lock()
	defer c.mu.Unlock()
	next := map[string]int{}
	total := 0
	for _, f := range c.frames {
		for _, l := range f.Logs {
			var k int
			if _, err := fmt.Sscanf(l.Msg, "line n=%d of the test", &k); err != nil {
				t.Fatalf("unexpected line %q", l.Msg)
			}
			if k != next[l.Source] {
				t.Fatalf("%s: line n=%d after n=%d", l.Source, k, next[l.Source]-1)
			}
			next[l.Source]++
			total++
		}
	}
	if total != files*n {
		t.Errorf("%d lines, want %d", total, files*n)
	}
}
