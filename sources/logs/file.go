package logs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// File tails the files matching a path or glob with `tail -F` semantics: it
// follows a file renamed away (rotation) to the new file at the path, starts
// again from the top when a file shrinks (truncation, copytruncate), picks
// up files that appear later, and waits for a path that does not exist yet.
// It is a sources.Streamer.
type File struct {
	pattern string
	glob    bool
	opts    Options
}

// NewFile returns a source tailing pattern, a path or a filepath.Match glob
// ("/var/log/app/*.log").
func NewFile(pattern string, opts Options) *File {
	return &File{pattern: pattern, glob: strings.ContainsAny(pattern, "*?["),
		opts: opts.withDefaults("file", pattern)}
}

// Name is "file <pattern>" unless Options.Name says otherwise.
func (f *File) Name() string { return f.opts.Name }

// tailed is one file being followed.
type tailed struct {
	path    string
	f       *os.File
	fi      os.FileInfo
	off     int64
	sp      *splitter
	atStart bool // it existed when the source started: backfill only its end
	err     error
	// rotated is the handle this path had before a rotation was noticed,
	// drained but kept open for one more round: when the glob also matches
	// the file's new name (app.log.1 under "app.log*"), that path adopts it
	// and goes on from its offset instead of reading the file again.
	rotated *tailed
	waited  bool // a rotated handle has waited one round for adoption
}

// Run follows the files until ctx is done.
func (f *File) Run(ctx context.Context, emit func(sources.Frame)) error {
	b := newBatcher(f.opts, "file", f.pattern, emit)
	files := map[string]*tailed{}
	buf := make([]byte, 64<<10)
	defer func() {
		for _, t := range files {
			t.close()
		}
	}()
	first := true
	tick := time.NewTicker(f.opts.Poll)
	defer tick.Stop()
	lastHealth := time.Time{}
	prevState := sources.HealthUnknown
	prevErr := ""
	for {
		paths, err := f.match()
		seen := make(map[string]bool, len(paths))
		// New paths first: one may be an open file's new name.
		for _, p := range paths {
			seen[p] = true
			if files[p] == nil {
				t := &tailed{path: p, sp: newSplitter(f.opts.Parser.MaxLine()), atStart: first}
				if !first {
					adoptRenamed(t, files)
				}
				files[p] = t
			}
		}
		// A rotated handle that no new path adopted this round is not
		// wanted: its disk space goes back.
		for _, t := range files {
			if t.rotated != nil && t.rotated.waited {
				t.dropRotated()
			} else if t.rotated != nil {
				t.rotated.waited = true
			}
		}
		for _, p := range paths {
			t := files[p]
			t.err = t.poll(ctx, b, buf, f.opts.Backfill)
		}
		// Files no longer matched (removed, renamed out of the glob): read
		// what is left and let them go.
		gone := make([]string, 0)
		for p := range files {
			if !seen[p] {
				gone = append(gone, p)
			}
		}
		sort.Strings(gone)
		for _, p := range gone {
			t := files[p]
			if t.f != nil {
				t.drain(b, buf)
			}
			t.close()
			delete(files, p)
		}
		first = false
		f.health(b, files, err)
		now := f.opts.Clock.Now()
		changed := b.health.State != prevState || b.health.Err != prevErr
		prevState, prevErr = b.health.State, b.health.Err
		force := changed || now.Sub(lastHealth) >= time.Second
		if force {
			lastHealth = now
		}
		b.flush(force)
		select {
		case <-tick.C:
		case <-ctx.Done():
			return nil
		}
	}
}

// match lists the paths to follow, sorted.
func (f *File) match() ([]string, error) {
	if !f.glob {
		return []string{f.pattern}, nil
	}
	m, err := filepath.Glob(f.pattern)
	if err != nil {
		return nil, fmt.Errorf("logs: glob %q: %w", f.pattern, err)
	}
	sort.Strings(m)
	return m, nil
}

func (f *File) health(b *batcher, files map[string]*tailed, globErr error) {
	open := 0
	var firstErr error
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		t := files[p]
		if t.f != nil {
			open++
		}
		if t.err != nil && firstErr == nil && !(f.glob && errors.Is(t.err, fs.ErrNotExist)) {
			// A path the glob matched a moment ago and that is gone now
			// is dropped at the next match; it is not an error.
			firstErr = t.err
		}
	}
	switch {
	case globErr != nil:
		b.fail(globErr)
	case firstErr != nil:
		b.fail(firstErr)
	case open == 0:
		b.fail(fmt.Errorf("waiting: no file matches %s", f.pattern))
	default:
		detail := "1 file"
		if open > 1 {
			detail = fmt.Sprintf("%d files", open)
		}
		b.ok(detail)
	}
}

func (t *tailed) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	t.dropRotated()
}

// dropRotated lets go of a rotated handle nobody adopted.
func (t *tailed) dropRotated() {
	if t.rotated != nil {
		t.rotated.close()
		t.rotated = nil
	}
}

// open opens the path; a file that existed when the source started is read
// from backfill bytes before its end, any other from its start.
func (t *tailed) open(backfill int64) error {
	fh, err := os.Open(t.path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("waiting for %s: %w", t.path, fs.ErrNotExist)
		}
		return fmt.Errorf("logs: %w", err)
	}
	fi, err := fh.Stat()
	if err != nil {
		fh.Close()
		return fmt.Errorf("logs: stat %s: %w", t.path, err)
	}
	if fi.IsDir() {
		fh.Close()
		return fmt.Errorf("logs: %s is a directory", t.path)
	}
	t.f, t.fi, t.off = fh, fi, 0
	t.sp.flush(func([]byte, int64) {})
	if t.atStart {
		t.atStart = false
		switch {
		case backfill < 0:
			t.off = fi.Size()
		case fi.Size() > backfill:
			t.off = fi.Size() - backfill
			t.sp.gap() // the first line read is a tail of a line
		}
		if t.off > 0 {
			if _, err := fh.Seek(t.off, io.SeekStart); err != nil {
				t.close()
				return fmt.Errorf("logs: seek %s: %w", t.path, err)
			}
		}
	}
	return nil
}

// poll reads what was appended and handles truncation and rotation.
func (t *tailed) poll(ctx context.Context, b *batcher, buf []byte, backfill int64) error {
	if t.f == nil {
		if err := t.open(backfill); err != nil {
			t.atStart = false // a file that appears later is read whole
			return err
		}
	}
	if fi, err := t.f.Stat(); err == nil && fi.Size() < t.off {
		// Truncated in place: start again from the top.
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("logs: seek %s: %w", t.path, err)
		}
		t.off = 0
		t.sp.flush(func(l []byte, cut int64) { b.line(l, cut, b.opts.Clock.Now()) })
	}
	if err := t.read(ctx, b, buf); err != nil {
		return err
	}
	pfi, err := os.Stat(t.path)
	switch {
	case err != nil:
		if unlinked(t.f) {
			// Deleted: let go of it so that its disk space is freed,
			// and wait for the path to come back.
			t.drain(b, buf)
			t.close()
			return fmt.Errorf("waiting for %s: %w", t.path, fs.ErrNotExist)
		}
		// Renamed and not yet recreated: keep the old handle, its
		// writer may still be writing to it.
		return nil
	case !os.SameFile(pfi, t.fi):
		// Rotated: finish the old file, keep its handle a round for a
		// glob that matches its new name, and follow the new one from
		// its start.
		t.drain(b, buf)
		t.dropRotated()
		t.rotated = &tailed{path: t.path, f: t.f, fi: t.fi, off: t.off, sp: t.sp}
		t.f, t.fi, t.off, t.sp = nil, nil, 0, newSplitter(t.sp.max)
		if err := t.open(backfill); err != nil {
			return err
		}
		return t.read(ctx, b, buf)
	}
	return nil
}

// read reads to the end of the file (at most 16 MiB per poll so that other
// files and ctx get their turn).
func (t *tailed) read(ctx context.Context, b *batcher, buf []byte) error {
	total := 0
	for total < 16<<20 && ctx.Err() == nil {
		n, err := t.f.Read(buf)
		if n > 0 {
			total += n
			t.off += int64(n)
			now := b.opts.Clock.Now()
			t.sp.feed(buf[:n], func(l []byte, cut int64) { b.line(l, cut, now) })
		}
		if err == io.EOF || n == 0 {
			return nil
		}
		if err != nil {
			return fmt.Errorf("logs: read %s: %w", t.path, err)
		}
	}
	return nil
}

// drain reads the rest of a file that is going away, including a last line
// without a newline.
func (t *tailed) drain(b *batcher, buf []byte) {
	_ = t.read(context.Background(), b, buf)
	t.sp.flush(func(l []byte, cut int64) { b.line(l, cut, b.opts.Clock.Now()) })
}

// adoptRenamed handles a glob that matches a file's new name after a rename
// (app.log → app.log.1 under "app.log*"): the new path takes over the open
// handle and its offset, so nothing is read twice, and the old path opens
// whatever file now has its name from the start.
func adoptRenamed(t *tailed, files map[string]*tailed) {
	fi, err := os.Stat(t.path)
	if err != nil {
		return
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		o := files[p]
		if r := o.rotated; r != nil && os.SameFile(fi, r.fi) {
			t.f, t.fi, t.off, t.sp = r.f, r.fi, r.off, r.sp
			o.rotated = nil
			return
		}
		if o.f == nil || !os.SameFile(fi, o.fi) {
			continue
		}
		t.f, t.fi, t.off, t.sp = o.f, o.fi, o.off, o.sp
		o.f, o.fi, o.off, o.atStart = nil, nil, 0, false
		o.sp = newSplitter(t.sp.max)
		return
	}
}
