package logs

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Series every log source reports about itself, keyed by source (the
// source's name): counters of lines read and of lines lost before they
// reached the store (a stream faster than vigil can parse).
const (
	LinesTotal   = "log_lines_total"         // counter: lines read
	DroppedTotal = "log_lines_dropped_total" // counter: lines dropped before parsing
	LoadRatio    = "log_load_ratio"          // gauge 0..1: how much of a whole-file load is read; 1 when done
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
	// matches while they grow (default 250 ms); while they stand still the
	// check backs off to 4×Poll (at most 1 s, never less than Poll), and
	// where the directory is watched (inotify) a change wakes it at once.
	Poll time.Duration
	// Backfill is how many bytes from the end of a file that exists at start
	// are read (default 256 KiB; negative: start at the end). Files that
	// appear later, or replace a rotated one, are read from their start.
	Backfill int64
	// FromStart reads the whole of a file that exists at start (an
	// investigation: lnav's use), reporting its progress in LoadRatio and
	// its health, instead of its last Backfill bytes. The store's bound on
	// log memory still holds: what it lets go of, it counts.
	FromStart bool
	// MaxPending is how many bytes a stream (stdin, command, HTTP) reads
	// ahead of the parser (default 8 MiB); beyond it the stream is not read
	// until the parser catches up, so that a pipe waits instead of losing
	// lines.
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
	// Budget bounds the lines file tails parse a second (default: one
	// budget of DefaultLinesPerSecond shared by every file source; NewBudget(0)
	// for none). Lines over it are counted as dropped before parsing. A
	// whole-file load (FromStart) and streams are not bounded by it:
	// streams apply backpressure instead.
	Budget *Budget

	readCap int // bytes read from one file per poll; default pollRead (tests make it small)
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
	if o.Budget == nil {
		o.Budget = defaultBudget
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
	if o.readCap <= 0 {
		o.readCap = pollRead
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = time.Second
	}
	if o.BackoffMax < o.BackoffMin {
		o.BackoffMax = max(30*time.Second, o.BackoffMin)
	}
	return o
}

// parseGate lets at most GOMAXPROCS-1 sources parse at once (at least one):
// however many sources flood, a processor is left for the console and the
// store. A source holds it while it parses one chunk of what it read, never
// while it waits to emit.
var parseGate = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)-1))

func parsing() func() {
	parseGate <- struct{}{}
	return func() { <-parseGate }
}

// recState follows the record a stream of lines is in, so that a plain
// line without a time of its own (apt's "Commandline:" after its
// "Start-Date:", a stack trace's frames) takes the time of the line that
// opened its record. A blank line ends a record; so does a pause of more
// than recordGap between reads.
type recState struct {
	at   time.Time // the time of the record's first timed line
	read time.Time // when its last line was read
	open bool
}

// recordGap is the longest wait between two lines of one record as read.
const recordGap = 5 * time.Second

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
	shed    uint64 // lines over the budget, not parsed (counted as dropped)
	granted int    // lines the budget granted and not used yet
	bytes   int
	health  sources.Health
	lastCnt time.Time
	linesS  sources.Series
	dropS   sources.Series
	// loads are the whole-file loads under way or just done, by source
	// name: the ratio read, reported with the counters.
	loads map[string]float64
}

func newBatcher(opts Options, kind, target string, emit func(sources.Frame)) *batcher {
	return &batcher{opts: opts, kind: kind, target: target, emit: emit,
		health: sources.Health{Source: opts.Name, Kind: "logs", Target: target},
		linesS: sources.NewSeries(LinesTotal, sources.Counter, LabelSource, opts.Name),
		dropS:  sources.NewSeries(DroppedTotal, sources.Counter, LabelSource, opts.Name)}
}

// line parses one line into the batch; source is the record's Source and rs
// the record state of the stream it came from. A blank line is counted but
// not kept: it only ends a record. Callers flush when the batch is full,
// after they let go of the parse gate.
func (b *batcher) line(l []byte, cut int64, at time.Time, rs *recState, source string) {
	b.lines++
	b.bytes += len(l) + 1
	if cut == 0 && blankLine(l) {
		rs.open = false
		return
	}
	rec, structured := b.opts.Parser.parseLine(l, cut, at)
	rec.Source = source
	switch {
	case !rec.TimeRead:
		rs.at, rs.read, rs.open = rec.At, at, true
	case !structured && rs.open && !rs.at.IsZero() && at.Sub(rs.read) <= recordGap:
		rec.At, rec.TimeRead = rs.at, false
		rs.read = at
	default:
		rs.open = false
	}
	b.batch = append(b.batch, rec)
}

// budgeted reports whether the line may be parsed within the budget; a
// line over it is counted, as read and as dropped, and not parsed. Blank
// lines cost nothing.
func (b *batcher) budgeted(l []byte, cut int64) bool {
	if b.granted == 0 {
		if cut == 0 && blankLine(l) {
			return true
		}
		b.granted = b.opts.Budget.take(budgetStep)
		if b.granted == 0 {
			b.lines++
			b.bytes += len(l) + 1
			b.shed++
			return false
		}
	}
	b.granted--
	return true
}

func blankLine(l []byte) bool {
	for _, c := range l {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// full reports whether the batch should go out now.
func (b *batcher) full() bool { return len(b.batch) >= b.opts.Batch }

// load records how far a whole-file load of source has got (0..1).
func (b *batcher) load(source string, ratio float64) {
	if b.loads == nil {
		b.loads = map[string]float64{}
	}
	b.loads[source] = ratio
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
			{Series: b.dropS, At: now, Value: float64(b.dropped + b.shed)},
		}
		for src, r := range b.loads {
			f.Points = append(f.Points, sources.Point{Series: sources.NewSeries(LoadRatio, sources.Gauge, LabelSource, src), At: now, Value: r})
			if r >= 1 {
				delete(b.loads, src) // reported done once
			}
		}
	}
	b.batch = make([]sources.LogRecord, 0, min(b.opts.Batch, 2*len(b.batch)+16))
	b.emit(f)
}

// stream reads r into the batcher until r ends or ctx is done. The reader
// runs on its own goroutine, at most MaxPending bytes ahead of the parser;
// when the parser (or the console behind it) is slower than the writer, the
// stream is not read until it catches up, so that the writer waits
// (backpressure) instead of lines being lost.
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
				if !p.push(ctx, buf, b.opts.Clock.Now()) {
					p.end(ctx.Err())
					return
				}
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
	var rs recState
	var at time.Time
	fn := func(l []byte, cut int64) { b.line(l, cut, at, &rs, b.opts.Name) }
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
		cs, eof, err := p.take()
		for _, c := range cs {
			at = c.at
			done := parsing()
			sp.feed(c.b, fn)
			done()
			b.dropped = base + sp.skipped
			if b.full() {
				b.flush(false)
			}
		}
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
