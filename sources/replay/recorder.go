package replay

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-dev/vigil/sources"
)

// RecorderOptions tunes a Recorder. Zero fields take the defaults.
type RecorderOptions struct {
	// BlockInterval is how much data one block holds, and so the most a
	// kill -9 can lose; default 10 s.
	BlockInterval time.Duration
	// SyncInterval is how often the file is fsynced; default 30 s. Blocks
	// holding an alert, and markers, are synced at once. Negative: after
	// every block.
	SyncInterval time.Duration
	// RotateEvery starts a new segment file when the data crosses a
	// multiple of it (aligned to UTC); default 1 h. Negative: never.
	RotateEvery time.Duration
	// MaxFileBytes starts a new segment once a file reaches this size;
	// default 256 MiB (and at most a quarter of MaxTotalBytes).
	MaxFileBytes int64
	// MaxAge deletes segment files whose newest data is older than this
	// (by modification time); default 0: no age limit.
	MaxAge time.Duration
	// MaxTotalBytes caps the recording directory's segment files (bytes);
	// the oldest whole files are deleted to stay under it. Default 1 GiB;
	// negative: no cap.
	MaxTotalBytes int64
	// Queue is how many frames may wait between the hub and the writer;
	// more are dropped and counted (Stats.Dropped). Default 4096.
	Queue int
	// Host is written in each file's header; default os.Hostname.
	Host string
	// Logger receives the recorder's own messages; default slog.Default.
	Logger *slog.Logger
	// Wall is the wall clock for block and sync timers; default the real one.
	Wall sources.Clock
}

func (o RecorderOptions) withDefaults() RecorderOptions {
	if o.BlockInterval <= 0 {
		o.BlockInterval = 10 * time.Second
	}
	if o.SyncInterval == 0 {
		o.SyncInterval = 30 * time.Second
	}
	if o.RotateEvery == 0 {
		o.RotateEvery = time.Hour
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 256 << 20
	}
	if o.MaxTotalBytes == 0 {
		o.MaxTotalBytes = 1 << 30
	}
	if o.MaxTotalBytes > 0 && o.MaxFileBytes > o.MaxTotalBytes/4 {
		o.MaxFileBytes = max(o.MaxTotalBytes/4, 4096)
	}
	if o.Queue <= 0 {
		o.Queue = 4096
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Wall == nil {
		o.Wall = sources.WallClock{}
	}
	return o
}

// Stats is what a recorder has done so far.
type Stats struct {
	Frames  uint64 // frames written
	Dropped uint64 // frames dropped because the writer fell behind or failed
	Bytes   int64  // bytes written, all files
	Files   int    // segment files created
	Deleted int    // segment files deleted by retention
	Path    string // the file being written, "" before the first frame
	Err     string // the last write error, "" when healthy
}

// Recorder writes the frames it is given to a directory of segment files.
// Write is cheap and never blocks (it queues); the encoding, compression
// and disk writes run on the recorder's own goroutine.
type Recorder struct {
	dir  string
	opts RecorderOptions

	mu     sync.RWMutex
	closed bool
	in     chan sources.Frame
	ctl    chan ctlReq
	done   chan struct{}

	dropped atomic.Uint64
	stats   atomic.Pointer[Stats]

	// Writer goroutine state.
	seg       *segment
	zenc      *zstd.Encoder
	blkOpened time.Time // wall time the pending block got its first frame
	lastSync  time.Time
	dirty     bool
	st        Stats
	errLogged time.Time
}

type ctlReq struct {
	mark  bool
	at    time.Time
	note  string
	flush bool
	reply chan error
}

// NewRecorder starts a recorder writing to dir (created if needed). It never
// appends to an existing file: every run starts a new segment, so a torn
// tail left by a crash is never written after.
func NewRecorder(dir string, opts RecorderOptions) (*Recorder, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("replay: recorder: %w", err)
	}
	zenc, err := newEncoder()
	if err != nil {
		return nil, err
	}
	r := &Recorder{dir: dir, opts: opts, in: make(chan sources.Frame, opts.Queue), ctl: make(chan ctlReq),
		done: make(chan struct{}), zenc: zenc}
	r.stats.Store(&Stats{})
	r.lastSync = opts.Wall.Now()
	r.retain()
	go r.loop()
	return r, nil
}

// Dir returns the recording directory.
func (r *Recorder) Dir() string { return r.dir }

// Write queues a frame; use it as a hub sink (hub.AddSink(rec.Write)). It
// never blocks: when the queue is full the frame is dropped and counted.
// Writes after Close are ignored.
func (r *Recorder) Write(f sources.Frame) {
	if IsControl(&f) {
		return
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		return
	}
	select {
	case r.in <- f:
	default:
		r.dropped.Add(1)
	}
}

// Marker writes a marker with a note at the given time, after every frame
// queued before it, and syncs the file. It waits for the disk.
func (r *Recorder) Marker(at time.Time, note string) error {
	return r.request(ctlReq{mark: true, at: at, note: sources.OneLine(Scrub(note))})
}

// Flush writes the pending block now and syncs (tests, and before a
// planned stop of the process).
func (r *Recorder) Flush() error { return r.request(ctlReq{flush: true}) }

func (r *Recorder) request(q ctlReq) error {
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return errors.New("replay: recorder closed")
	}
	q.reply = make(chan error, 1)
	r.ctl <- q
	r.mu.RUnlock()
	return <-q.reply
}

// Close writes what is pending, finishes the current file with its footer
// index and syncs it. Safe to call more than once.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		<-r.done
		return nil
	}
	r.closed = true
	close(r.in)
	r.mu.Unlock()
	<-r.done
	if s := r.Stats(); s.Err != "" {
		return errors.New(s.Err)
	}
	return nil
}

// Stats returns a snapshot of what the recorder has done.
func (r *Recorder) Stats() Stats {
	s := *r.stats.Load()
	s.Dropped += r.dropped.Load()
	return s
}

func (r *Recorder) loop() {
	defer close(r.done)
	defer r.zenc.Close()
	// A block is cut when it is one tick short of BlockInterval old, so
	// that no block stays unwritten longer than BlockInterval: that is the
	// most kill -9 can lose.
	period := max(r.opts.BlockInterval/10, 10*time.Millisecond)
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case f, ok := <-r.in:
			if !ok {
				r.finish()
				return
			}
			r.frame(&f)
		case q := <-r.ctl:
			r.drainQueued()
			var err error
			if q.mark {
				err = r.mark(q.at, q.note)
			} else {
				err = r.flushBlock(true)
			}
			q.reply <- err
		case <-tick.C:
			now := r.opts.Wall.Now()
			if r.seg != nil && !r.seg.blk.empty() && now.Sub(r.blkOpened) >= r.opts.BlockInterval-period {
				r.flushBlock(false)
			}
			if r.dirty && r.opts.SyncInterval > 0 && now.Sub(r.lastSync) >= r.opts.SyncInterval {
				r.sync()
			}
		}
		r.publish()
	}
}

// drainQueued writes the frames already queued, so that a marker lands
// after them.
func (r *Recorder) drainQueued() {
	for {
		select {
		case f, ok := <-r.in:
			if !ok {
				return
			}
			r.frame(&f)
		default:
			return
		}
	}
}

func (r *Recorder) publish() {
	s := r.st
	if r.seg != nil {
		s.Path = r.seg.path
	}
	r.stats.Store(&s)
}

func (r *Recorder) fail(err error) {
	r.st.Err = err.Error()
	now := r.opts.Wall.Now()
	if now.Sub(r.errLogged) > time.Minute {
		r.errLogged = now
		r.opts.Logger.Error("recorder write failed; recording continues in a new file", "err", err)
	}
	if r.seg != nil {
		r.seg.abandon()
		r.seg = nil
	}
}

// frame adds f to the pending block, rotating files and cutting blocks.
func (r *Recorder) frame(f *sources.Frame) {
	if f.At.IsZero() {
		f.At = r.opts.Wall.Now()
	}
	if r.seg != nil && r.needRotate(f.At) {
		r.closeSeg()
	}
	if r.seg == nil {
		meta := defaultMeta(f.At, r.opts.BlockInterval, r.opts.Host)
		seg, err := createUnique(r.dir, f.At, meta, r.zenc)
		if err != nil {
			r.fail(err)
			r.st.Dropped++
			return
		}
		r.seg = seg
		r.st.Files++
		r.st.Bytes += seg.size
		r.retain()
	}
	blk := r.seg.blk
	if !blk.empty() && f.At.UnixNano()-blk.tFirst >= int64(r.opts.BlockInterval) {
		r.flushBlock(false)
	}
	if r.seg == nil {
		r.st.Dropped++
		return
	}
	if r.seg.blk.empty() {
		r.blkOpened = r.opts.Wall.Now()
	}
	nb := len(r.seg.blk.notable)
	r.seg.blk.add(f)
	r.st.Frames++
	if len(r.seg.blk.notable) > nb {
		// An alert is exactly what must not be lost: write and sync now.
		r.flushBlock(true)
	}
}

func (r *Recorder) needRotate(t time.Time) bool {
	s := r.seg
	if s.size >= r.opts.MaxFileBytes {
		return true
	}
	if r.opts.RotateEvery < 0 {
		return false
	}
	first := s.tFirst
	if first == 0 && !s.blk.empty() {
		first = s.blk.tFirst
	}
	if first == 0 {
		return false
	}
	ev := int64(r.opts.RotateEvery)
	return floorDiv(t.UnixNano(), ev) != floorDiv(first, ev)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

func (r *Recorder) flushBlock(sync bool) error {
	if r.seg == nil {
		return nil
	}
	before := r.seg.size
	if err := r.seg.flushBlock(); err != nil {
		r.fail(err)
		return err
	}
	r.st.Bytes += r.seg.size - before
	r.dirty = r.dirty || r.seg.size != before
	if sync || r.opts.SyncInterval < 0 {
		if err := r.sync(); err != nil {
			return err
		}
	}
	if r.opts.MaxTotalBytes > 0 && r.st.Bytes > 0 {
		r.retain()
	}
	return nil
}

func (r *Recorder) sync() error {
	if r.seg == nil {
		return nil
	}
	if err := r.seg.sync(); err != nil {
		r.fail(err)
		return err
	}
	r.dirty = false
	r.lastSync = r.opts.Wall.Now()
	return nil
}

func (r *Recorder) mark(at time.Time, note string) error {
	if r.seg == nil {
		meta := defaultMeta(at, r.opts.BlockInterval, r.opts.Host)
		seg, err := createUnique(r.dir, at, meta, r.zenc)
		if err != nil {
			r.fail(err)
			return err
		}
		r.seg = seg
		r.st.Files++
		r.st.Bytes += seg.size
	}
	if err := r.flushBlock(false); err != nil {
		return err
	}
	before := r.seg.size
	if err := r.seg.mark(at, note); err != nil {
		r.fail(err)
		return err
	}
	r.st.Bytes += r.seg.size - before
	return r.sync()
}

func (r *Recorder) closeSeg() {
	if r.seg == nil {
		return
	}
	before := r.seg.size
	err := r.seg.close()
	r.st.Bytes += r.seg.size - before
	r.seg = nil
	r.dirty = false
	if err != nil {
		r.fail(err)
	}
}

func (r *Recorder) finish() {
	r.closeSeg()
	r.retain()
	r.publish()
}

// retain deletes whole segment files, oldest first, that are older than
// MaxAge or that take the directory's segments over MaxTotalBytes. The file
// being written is never deleted; only files named like the recorder's own
// are touched.
func (r *Recorder) retain() {
	ents, err := os.ReadDir(r.dir)
	if err != nil {
		return
	}
	type file struct {
		path  string
		size  int64
		mtime time.Time
	}
	var files []file
	var total int64
	active := ""
	if r.seg != nil {
		active = r.seg.path
	}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, "vigil-") || !strings.HasSuffix(name, Ext) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		p := filepath.Join(r.dir, name)
		size := info.Size()
		if p == active {
			size = r.seg.size
		}
		total += size
		if p != active {
			files = append(files, file{p, size, info.ModTime()})
		}
	}
	sort.Slice(files, func(i, j int) bool {
		if !files[i].mtime.Equal(files[j].mtime) {
			return files[i].mtime.Before(files[j].mtime)
		}
		return files[i].path < files[j].path
	})
	now := r.opts.Wall.Now()
	for _, f := range files {
		old := r.opts.MaxAge > 0 && now.Sub(f.mtime) > r.opts.MaxAge
		over := r.opts.MaxTotalBytes > 0 && total > r.opts.MaxTotalBytes
		if !old && !over {
			continue
		}
		if err := os.Remove(f.path); err != nil {
			r.opts.Logger.Warn("recorder retention: remove failed", "path", f.path, "err", err)
			continue
		}
		r.opts.Logger.Info("recorder retention: removed", "path", f.path, "bytes", f.size, "age", now.Sub(f.mtime).Round(time.Second))
		total -= f.size
		r.st.Deleted++
	}
}
