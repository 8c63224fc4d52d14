package logs

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Series every log source reports about itself, keyed by source (the
// source's name): counters of lines read and of lines lost before they
// reached the store (a stream faster than vigil can parse).
const (
	LinesTotal   = "log_lines_total"         // counter: lines read
	DroppedTotal = "log_lines_dropped_total" // counter: lines dropped before parsing
	LabelSource  = "source"
)

// Options configures a log source. Zero fields take the defaults.
type Options struct {
	// Name is the source's name in health reports and records; default
	// "<kind> <target>", e.g. "file /var/log/app.log".
	Name string
	// Parser parses the lines; default NewParser(ParseOptions{}).
	Parser *Parser
	// Clock stamps lines that carry no time of their own; default the wall clock.
	Clock sources.Clock
	// Batch is the most records in one frame (default 1024).
	Batch int
	// Poll is how often files are checked for growth, rotation and new
	// matches (default 250 ms).
	Poll time.Duration
	// Backfill is how many bytes from the end of a file that exists at start
	// are read (default 256 KiB; negative: start at the end). Files that
	// appear later, or replace a rotated one, are read from their start.
	Backfill int64
	// MaxPending is how many bytes a stream (stdin, command, HTTP) may hold
	// unparsed before the oldest are dropped and counted (default 8 MiB).
	MaxPending int
	// BackoffMin and BackoffMax bound the wait before a command is restarted
	// or a stream reconnected (default 1 s and 30 s); the wait doubles while
	// it keeps failing.
	BackoffMin, BackoffMax time.Duration
	// Client is the HTTP client of HTTP streams and Loki (default: one with
	// no overall timeout for streams, 10 s for Loki).
	Client *http.Client
	// Header is added to every HTTP request (e.g. X-Scope-OrgID); values
	// are never shown in health.
	Header http.Header
	// BearerTokenFile is read for an Authorization: Bearer header.
	BearerTokenFile string
}

func (o Options) withDefaults(kind, target string) Options {
	if o.Name == "" {
		o.Name = kind + " " + target
	}
	if o.Parser == nil {
		o.Parser = defaultParser
	}
	if o.Clock == nil {
		o.Clock = sources.WallClock{}
	}
	if o.Batch <= 0 {
		o.Batch = 1024
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
	if o.Backfill == 0 {
		o.Backfill = 256 << 10
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(30*time.Second, o.BackoffMin)
	}
	return o
}

// batcher parses lines into records and emits them in frames, together with
// the source's health and counters.
type batcher struct {
	opts    Options
	kind    string
	target  string
	emit    func(sources.Frame)
	batch   []sources.LogRecord
	lines   uint64
	dropped uint64
	bytes   int
	health  sources.Health
	lastCnt time.Time
	linesS  sources.Series
	dropS   sources.Series
}

func newBatcher(opts Options, kind, target string, emit func(sources.Frame)) *batcher {
	return &batcher{opts: opts, kind: kind, target: target, emit: emit,
		health: sources.Health{Source: opts.Name, Kind: "logs", Target: target},
		linesS: sources.NewSeries(LinesTotal, sources.Counter, LabelSource, opts.Name),
		dropS:  sources.NewSeries(DroppedTotal, sources.Counter, LabelSource, opts.Name)}
}

// line parses one line into the batch, emitting a frame when it is full.
func (b *batcher) line(l []byte, cut int64, at time.Time) {
	rec := b.opts.Parser.ParseCut(l, cut, at)
	rec.Source = b.opts.Name
	b.batch = append(b.batch, rec)
	b.lines++
	b.bytes += len(l) + 1
	if len(b.batch) >= b.opts.Batch {
		b.flush(false)
	}
}

// ok marks the source healthy, with detail.
func (b *batcher) ok(detail string) {
	now := b.opts.Clock.Now()
	b.health.State, b.health.Err, b.health.LastOK, b.health.Detail = sources.HealthOK, "", now, detail
}

// fail marks the source in error.
func (b *batcher) fail(err error) {
	b.health.State, b.health.Err = sources.HealthError, sources.OneLine(err.Error())
}

// flush emits the batch (or, with force, at least the health).
func (b *batcher) flush(force bool) {
	if len(b.batch) == 0 && !force {
		return
	}
	now := b.opts.Clock.Now()
	h := b.health
	h.At = now
	if h.State == sources.HealthOK {
		h.LastOK = now
	}
	h.Bytes = b.bytes
	f := sources.Frame{Source: b.opts.Name, At: now, Logs: b.batch, Health: &h}
	if force || now.Sub(b.lastCnt) >= time.Second {
		b.lastCnt = now
		f.Points = []sources.Point{
			{Series: b.linesS, At: now, Value: float64(b.lines)},
			{Series: b.dropS, At: now, Value: float64(b.dropped)},
		}
	}
	b.batch = make([]sources.LogRecord, 0, min(b.opts.Batch, 2*len(b.batch)+16))
	b.emit(f)
}

// stream reads r through a pump into the batcher until r ends or ctx is
// done; the reader runs on its own goroutine so that a slow console never
// stalls the writer, and bytes beyond MaxPending are dropped and counted.
func (b *batcher) stream(ctx context.Context, r io.Reader) error {
	p := newPump(b.opts.MaxPending)
	go func() {
		for {
			buf := make([]byte, 64<<10)
			n, err := r.Read(buf)
			if n > 0 {
				if n < 4<<10 {
					buf = append([]byte(nil), buf[:n]...)
				} else {
					buf = buf[:n]
				}
				p.push(buf, b.opts.Clock.Now())
			}
			if err != nil {
				if err == io.EOF {
					err = nil
				}
				p.end(err)
				return
			}
			if ctx.Err() != nil {
				p.end(ctx.Err())
				return
			}
		}
	}()
	sp := newSplitter(b.opts.Parser.MaxLine())
	base := b.dropped
	var at time.Time
	fn := func(l []byte, cut int64) { b.line(l, cut, at) }
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-p.sig:
		case <-tick.C:
			b.flush(true) // keep health and counters fresh while idle
			continue
		case <-ctx.Done():
			b.flush(false)
			return ctx.Err()
		}
		cs, eof, err, dropped := p.take()
		for _, c := range cs {
			if c.gap {
				sp.gap()
			}
			at = c.at
			sp.feed(c.b, fn)
		}
		b.dropped = base + dropped + sp.skipped
		if eof {
			sp.flush(fn)
			b.flush(true)
			return err
		}
		b.flush(false)
	}
}

// backoff is a doubling wait between BackoffMin and BackoffMax.
type backoff struct {
	min, max, cur time.Duration
}

func (k *backoff) next() time.Duration {
	if k.cur < k.min {
		k.cur = k.min
	} else {
		k.cur = min(2*k.cur, k.max)
	}
	return k.cur
}

func (k *backoff) reset() { k.cur = 0 }

// sleep waits d or until ctx is done, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
