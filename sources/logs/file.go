package logs

import (
	"bytes"
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

// File tails the files matching a path or glob with `tail -F` semantics and
// loses nothing that is still on disk:
//
//   - a file renamed away (rotation) is read to its end before the new file
//     at its path is read from its start;
//   - a file is known by its identity, its inode and the first bytes it held
//     (up to 4 KiB), not by its size: truncated in place, or truncated and
//     written past the old offset between two polls, it is read again from
//     its start;
//   - what was written after the last read and before a truncation is
//     looked for in a copy beside it (logrotate's copytruncate: app.log.1,
//     app.log-20260501) whose first bytes are the file's, and read from it;
//   - a deleted file is read to its end and let go of, and its path waited
//     for;
//   - files that appear later are read from their start.
//
// With FromStart a file that exists at start is read whole (an
// investigation), its progress reported in LoadRatio; a rotation during the
// load does not cut it short. It is a sources.Streamer.
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

// Read limits.
const (
	fpMax     = 4 << 10  // bytes of a file's start that make its fingerprint
	pollRead  = 16 << 20 // bytes read from one file per poll (Options.readCap), so that the others and ctx get their turn
	copyMatch = 64       // at least this much of a fingerprint must match a copy's start
)

// tailed is one file being followed.
type tailed struct {
	path   string
	source string // the records' Source
	f      *os.File
	fi     os.FileInfo
	off    int64
	sp     *splitter
	rs     recState
	fp     []byte // the file's first bytes (up to fpMax): with its inode, its identity
	// atStart: it existed when the source started: backfill only its end,
	// or with FromStart load it whole.
	atStart bool
	loadTo  int64 // a whole-file load under way: the size to reach
	loadSz  int64 // the size it started from (the progress's denominator)
	more    bool  // the last read stopped at pollRead: come back without waiting
	err     error
	// old is the file this path had before it was rotated, deleted or
	// truncated (then a copy of it), read to its end before this one. Read
	// to the end, it is kept one more round for a glob that matches its
	// new name (app.log.1 under "app.log*"): that path adopts it and goes
	// on from its offset instead of reading the file again.
	old    *tailed
	done   bool // (an old file) read to its end
	waited bool // (an old file) has waited one round for adoption
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
	wake := newWaker(f.pattern)
	defer wake.close()
	pace := f.newPace()
	defer pace.stop()
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
				t := &tailed{path: p, source: f.sourceOf(p), sp: newSplitter(f.opts.Parser.MaxLine()), atStart: first}
				if !first {
					adoptRenamed(t, files)
				}
				files[p] = t
			}
		}
		// An old file read to its end that no new path adopted this round
		// is not wanted: its disk space goes back.
		for _, t := range files {
			if o := t.old; o != nil && o.done {
				if o.waited {
					t.dropOld()
				} else {
					o.waited = true
				}
			}
		}
		more := false
		for _, p := range paths {
			t := files[p]
			t.err = t.poll(ctx, b, buf, f.opts)
			more = more || t.more
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
			if t.old != nil && !t.old.done {
				t.old.drain(ctx, b, buf)
			}
			if t.f != nil {
				t.drain(ctx, b, buf)
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
		if more {
			// Behind (a whole-file load, a burst): read on at once.
			if ctx.Err() != nil {
				return nil
			}
			continue
		}
		if !pace.wait(ctx, wake, progress(files)) {
			return nil
		}
	}
}

// progress is where the tail stands: it moves when a poll read something
// or followed a new file.
func progress(files map[string]*tailed) int64 {
	n := int64(len(files))
	for _, t := range files {
		n += t.off
		if t.old != nil {
			n += t.old.off
		}
	}
	return n
}

// pace is when the tail polls next. A poll is fast (Options.Poll) while
// the files grow; while they stand still the wait doubles up to idleMax
// (1 s at the default 250 ms poll), on the process's beat (sources.Beat),
// and is fast again as soon as a poll reads something. Where the
// directory is watched (inotify, the waker) a change wakes the tail at
// once (after a poll that a change woke, no sooner than Poll, at most
// 250 ms, after it, so that a writer of many small writes costs at most
// four polls a second), and
// the poll waits
// idleMax, a safety net for what the watch does not see. Either way a line
// is read within idleMax of being written, and an idle tail wakes with the
// rest of the process once a second instead of four times at a phase of
// its own.
// maxEventGap bounds the least time between two polls woken by changes.
const maxEventGap = 250 * time.Millisecond

type pace struct {
	poll, idleMax, cur time.Duration
	last               time.Time // the last poll's end
	at                 int64     // progress at the last poll
	woken              bool      // a change woke the last poll
	t                  *time.Timer
}

func (f *File) newPace() *pace {
	p := &pace{poll: f.opts.Poll, idleMax: max(f.opts.Poll, min(4*f.opts.Poll, time.Second)), at: -1}
	p.t = time.NewTimer(time.Hour)
	p.t.Stop()
	return p
}

func (p *pace) stop() { p.t.Stop() }

// wait waits for the next poll; false once ctx is done.
func (p *pace) wait(ctx context.Context, w *waker, at int64) bool {
	p.last = time.Now()
	watched := w.watching()
	switch {
	case watched:
		p.cur = p.idleMax
	case at != p.at || p.cur == 0:
		p.cur = p.poll
	default:
		p.cur = min(2*p.cur, p.idleMax)
	}
	p.at = at
	p.t.Reset(sources.UntilBeat(p.last, p.cur))
	var wc <-chan struct{}
	if watched {
		wc = w.C
	}
	woken := p.woken
	p.woken = false
	for {
		select {
		case <-p.t.C:
			return true
		case <-wc:
			wc, p.woken = nil, true
			d := time.Until(p.last.Add(min(p.poll, maxEventGap)))
			if !woken || d <= 0 {
				return true
			}
			p.t.Reset(d)
		case <-ctx.Done():
			return false
		}
	}
}

// sourceOf is the Source of the records of path: the source's name, or
// under a glob "file <path>", so that each line says which file it is from.
func (f *File) sourceOf(path string) string {
	if f.glob {
		return "file " + path
	}
	return f.opts.Name
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
	var loading []string
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
		for _, l := range []*tailed{t.old, t} {
			if l != nil && l.loadTo > 0 && l.loadSz > 0 {
				loading = append(loading, fmt.Sprintf("loading %s %d%% of %s", filepath.Base(l.path),
					int(100*float64(l.off)/float64(l.loadSz)), humanBytes(l.loadSz)))
			}
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
		if len(loading) > 0 {
			detail += "; " + strings.Join(loading, ", ")
		}
		b.ok(detail)
	}
}

func (t *tailed) close() {
	if t.f != nil {
		t.f.Close()
		t.f = nil
	}
	t.dropOld()
}

// dropOld lets go of the old file's handle.
func (t *tailed) dropOld() {
	if t.old != nil {
		t.old.close()
		t.old = nil
	}
}

// emitLine is the splitter's callback for t's lines read at `at`.
// Lines over the line budget (Options.Budget) are counted and not parsed,
// except in a whole-file load.
func (t *tailed) emitLine(b *batcher, at time.Time) func([]byte, int64) {
	if t.loadTo == 0 {
		return func(l []byte, cut int64) {
			if b.budgeted(l, cut) {
				b.line(l, cut, at, &t.rs, t.source)
			}
		}
	}
	return func(l []byte, cut int64) { b.line(l, cut, at, &t.rs, t.source) }
}

// open opens the path. A file that existed when the source started is read
// from backfill bytes before its end, or whole with FromStart; any other
// from its start.
func (t *tailed) open(b *batcher, opts Options) error {
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
	t.f, t.fi, t.off, t.fp, t.rs = fh, fi, 0, t.fp[:0], recState{}
	t.sp.flush(t.emitLine(b, opts.Clock.Now()))
	t.fingerprint()
	if t.atStart {
		t.atStart = false
		switch {
		case opts.FromStart:
			if fi.Size() > 0 {
				t.loadTo, t.loadSz = fi.Size(), fi.Size()
				b.load(t.source, 0)
			}
		case opts.Backfill < 0:
			t.off = fi.Size()
		case fi.Size() > opts.Backfill:
			t.off = fi.Size() - opts.Backfill
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

// fingerprint reads the file's first bytes, up to fpMax, into t.fp (once
// it holds fpMax, never again).
func (t *tailed) fingerprint() {
	if len(t.fp) >= fpMax || t.f == nil {
		return
	}
	if cap(t.fp) < fpMax {
		t.fp = make([]byte, 0, fpMax)
	}
	n, _ := t.f.ReadAt(t.fp[:fpMax], 0)
	t.fp = t.fp[:n]
}

// truncated reports whether the open file is no longer the one read: same
// inode, but shorter than what was read, or with other first bytes.
func (t *tailed) truncated(head []byte) bool {
	fi, err := t.f.Stat()
	if err != nil {
		return false
	}
	if fi.Size() < t.off {
		return true
	}
	if len(t.fp) == 0 {
		return false
	}
	n, _ := t.f.ReadAt(head[:len(t.fp)], 0)
	return n < len(t.fp) || !bytes.Equal(head[:n], t.fp)
}

// poll reads what was appended and handles truncation, rotation and
// deletion: an old file is read to its end before the new one.
func (t *tailed) poll(ctx context.Context, b *batcher, buf []byte, opts Options) error {
	t.more = false
	var openErr error
	if t.f == nil {
		if openErr = t.open(b, opts); openErr != nil {
			t.atStart = false // a file that appears later is read whole
		}
	}
	if t.f != nil && (t.old == nil || t.old.done) && t.truncated(buf) {
		// Truncated in place (copytruncate; or truncated and written
		// again, past the old offset or not): what was written after
		// the last read is in a copy beside it, if logrotate made one.
		t.dropOld()
		if c := t.findCopy(); c != nil {
			t.old = c
		} else {
			t.sp.flush(t.emitLine(b, opts.Clock.Now()))
			t.endLoad(b)
		}
		if _, err := t.f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("logs: seek %s: %w", t.path, err)
		}
		t.off, t.fp, t.rs, t.loadTo = 0, t.fp[:0], recState{}, 0
		t.sp = newSplitter(t.sp.max)
		t.fingerprint()
	}
	if o := t.old; o != nil && !o.done {
		if err := o.read(ctx, b, buf); err != nil {
			return err
		}
		if o.more {
			t.more = true
			return nil
		}
		o.sp.flush(o.emitLine(b, opts.Clock.Now()))
		o.endLoad(b)
		o.done = true
	}
	if t.f == nil {
		return openErr
	}
	if err := t.read(ctx, b, buf); err != nil {
		return err
	}
	if t.more {
		return nil // the path is looked at again once caught up
	}
	pfi, err := os.Stat(t.path)
	switch {
	case err != nil:
		if unlinked(t.f) {
			// Deleted: read what is left, then let go of it so that
			// its disk space is freed, and wait for the path.
			t.retire()
			return t.poll(ctx, b, buf, opts)
		}
		// Renamed and not yet recreated: keep the old handle, its
		// writer may still be writing to it.
		return nil
	case !os.SameFile(pfi, t.fi):
		// Rotated (renamed, or deleted and created again): the old
		// file to its end, then the new one from its start.
		t.retire()
		return t.poll(ctx, b, buf, opts)
	}
	return nil
}

// retire makes the open file the old one, to be read to its end; the path
// is opened again, from its start.
func (t *tailed) retire() {
	t.dropOld()
	t.old = &tailed{path: t.path, source: t.source, f: t.f, fi: t.fi, off: t.off, sp: t.sp, rs: t.rs,
		loadTo: t.loadTo, loadSz: t.loadSz}
	t.f, t.fi, t.off, t.fp, t.rs, t.loadTo, t.loadSz = nil, nil, 0, nil, recState{}, 0, 0
	t.sp = newSplitter(t.sp.max)
	t.atStart = false
}

// findCopy looks beside a truncated file for a copy of it made before the
// truncation (same first bytes, at least as long as what was read) and
// returns it, positioned to be read from where the file was left, or nil.
// Compressed copies cannot be read on: what they hold past the offset is
// lost to the tail.
func (t *tailed) findCopy() *tailed {
	if len(t.fp) < min(copyMatch, int(t.off)) || t.off == 0 {
		return nil
	}
	dir, base := filepath.Split(t.path)
	if dir == "" {
		dir = "."
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	type cand struct {
		path string
		fi   os.FileInfo
	}
	var cands []cand
	for _, e := range ents {
		n := e.Name()
		if len(n) <= len(base) || !strings.HasPrefix(n, base) || !strings.ContainsRune(".-_", rune(n[len(base)])) {
			continue
		}
		switch filepath.Ext(n) {
		case ".gz", ".xz", ".bz2", ".zst", ".lz4", ".zip":
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || fi.Size() < t.off || os.SameFile(fi, t.fi) {
			continue
		}
		cands = append(cands, cand{filepath.Join(dir, n), fi})
	}
	// The newest copy first: the one logrotate has just made.
	sort.Slice(cands, func(i, j int) bool { return cands[i].fi.ModTime().After(cands[j].fi.ModTime()) })
	head := make([]byte, len(t.fp))
	for _, c := range cands {
		fh, err := os.Open(c.path)
		if err != nil {
			continue
		}
		n, _ := fh.ReadAt(head, 0)
		if n < len(t.fp) && int64(n) < t.off || !bytes.Equal(head[:n], t.fp[:n]) {
			fh.Close()
			continue
		}
		if _, err := fh.Seek(t.off, io.SeekStart); err != nil {
			fh.Close()
			continue
		}
		o := &tailed{path: c.path, source: t.source, f: fh, fi: c.fi, off: t.off, sp: t.sp, rs: t.rs}
		if t.loadTo > 0 {
			o.loadTo, o.loadSz = c.fi.Size(), t.loadSz
		}
		return o
	}
	return nil
}

// read reads on from the offset, at most Options.readCap bytes (then t.more says
// there is more), parsing a chunk at a time under the parse gate and
// emitting full batches between chunks.
func (t *tailed) read(ctx context.Context, b *batcher, buf []byte) error {
	total := 0
	t.more = false
	for ctx.Err() == nil {
		if total >= b.opts.readCap {
			t.more = true
			break
		}
		n, err := t.f.Read(buf)
		if n > 0 {
			total += n
			t.off += int64(n)
			done := parsing()
			t.sp.feed(buf[:n], t.emitLine(b, b.opts.Clock.Now()))
			done()
			if b.full() {
				b.flush(false)
			}
		}
		if err == io.EOF || n == 0 {
			break
		}
		if err != nil {
			return fmt.Errorf("logs: read %s: %w", t.path, err)
		}
	}
	t.fingerprint()
	if t.loadTo > 0 {
		if t.off >= t.loadTo {
			t.endLoad(b)
		} else {
			b.load(t.source, float64(t.off)/float64(max(t.loadSz, 1)))
		}
	}
	return nil
}

// endLoad reports a whole-file load done.
func (t *tailed) endLoad(b *batcher) {
	if t.loadSz > 0 {
		b.load(t.source, 1)
	}
	t.loadTo, t.loadSz = 0, 0
}

// drain reads the rest of a file that is going away, including a last line
// without a newline.
func (t *tailed) drain(ctx context.Context, b *batcher, buf []byte) {
	for ctx.Err() == nil {
		if err := t.read(ctx, b, buf); err != nil || !t.more {
			break
		}
	}
	t.sp.flush(t.emitLine(b, b.opts.Clock.Now()))
	t.endLoad(b)
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
		if r := o.old; r != nil && os.SameFile(fi, r.fi) {
			t.f, t.fi, t.off, t.sp, t.rs, t.loadTo, t.loadSz = r.f, r.fi, r.off, r.sp, r.rs, r.loadTo, r.loadSz
			t.fingerprint()
			o.old = nil
			return
		}
		if o.f == nil || !os.SameFile(fi, o.fi) {
			continue
		}
		t.f, t.fi, t.off, t.sp, t.rs, t.loadTo, t.loadSz = o.f, o.fi, o.off, o.sp, o.rs, o.loadTo, o.loadSz
		t.fingerprint()
		o.f, o.fi, o.off, o.atStart, o.fp, o.loadTo, o.loadSz = nil, nil, 0, false, nil, 0, 0
		o.sp = newSplitter(t.sp.max)
		return
	}
}
