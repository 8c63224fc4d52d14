package logs

import (
	"bytes"
	"context"
	"sync"
	"time"
)

// splitter cuts a byte stream into lines, keeping at most max bytes of each
// and counting the rest, so that a 1 GB line costs max bytes of memory.
type splitter struct {
	max  int
	buf  []byte // the start of a line whose end has not arrived
	cut  int64  // bytes of the current line dropped
	skip bool   // after a gap: discard up to the next newline
	// skipped counts lines discarded after gaps.
	skipped uint64
}

func newSplitter(max int) *splitter {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &splitter{max: max}
}

// feed splits p, calling fn for each complete line (without its newline).
// line is only valid during the call.
//
// NUL bytes at the start of a line are dropped: a file truncated in place
// (copytruncate) while its writer kept its offset reads as a hole of NULs
// before the next line, which must not push that line past the cut.
func (s *splitter) feed(p []byte, fn func(line []byte, cut int64)) {
	for len(p) > 0 {
		if len(s.buf) == 0 && s.cut == 0 && p[0] == 0 {
			k := 0
			for k < len(p) && p[k] == 0 {
				k++
			}
			p = p[k:]
			continue
		}
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if s.skip {
				return
			}
			s.keep(p)
			return
		}
		line := p[:i]
		p = p[i+1:]
		if s.skip {
			s.skip = false
			s.skipped++
			continue
		}
		if len(s.buf) == 0 && s.cut == 0 {
			kept, cut := Cut(line, s.max)
			fn(kept, cut)
			continue
		}
		s.keep(line)
		fn(s.buf, s.cut)
		s.buf, s.cut = s.buf[:0], 0
	}
}

// keep appends p to the partial line, up to max bytes.
func (s *splitter) keep(p []byte) {
	room := s.max - len(s.buf)
	if room >= len(p) {
		s.buf = append(s.buf, p...)
		return
	}
	if room > 0 {
		kept, _ := Cut(p, room)
		s.buf = append(s.buf, kept...)
		s.cut += int64(len(p) - len(kept))
		return
	}
	s.cut += int64(len(p))
}

// flush hands over a final line that had no newline (end of stream).
func (s *splitter) flush(fn func(line []byte, cut int64)) {
	if len(s.buf) > 0 || s.cut > 0 {
		fn(s.buf, s.cut)
	}
	s.buf, s.cut, s.skip = s.buf[:0], 0, false
}

// gap says bytes were lost before the next feed: the partial line is
// dropped and the next one, whose start is gone, is skipped.
func (s *splitter) gap() {
	s.buf, s.cut, s.skip = s.buf[:0], 0, true
}

// chunk is a piece of a stream as read, stamped with when it was read.
type chunk struct {
	b  []byte
	at time.Time
}

// pump sits between a stream's reader and its parser: the reader reads
// ahead of the parser by at most max bytes, then waits until the parser has
// taken what is queued. A pipe's writer waits in turn: nothing is dropped.
type pump struct {
	mu    sync.Mutex
	q     []chunk
	bytes int
	max   int
	eof   bool
	err   error
	sig   chan struct{} // something to take
	room  chan struct{} // the queue was taken
}

func newPump(max int) *pump {
	if max <= 0 {
		max = 8 << 20
	}
	return &pump{max: max, sig: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

// push queues b (which the pump now owns), first waiting while max bytes
// are queued. It reports false when ctx ended the wait.
func (p *pump) push(ctx context.Context, b []byte, at time.Time) bool {
	p.mu.Lock()
	for p.bytes > 0 && p.bytes+len(b) > p.max {
		p.mu.Unlock()
		select {
		case <-p.room:
		case <-ctx.Done():
			return false
		}
		p.mu.Lock()
	}
	p.q = append(p.q, chunk{b: b, at: at})
	p.bytes += len(b)
	p.mu.Unlock()
	signal(p.sig)
	return true
}

// end marks the end of the stream.
func (p *pump) end(err error) {
	p.mu.Lock()
	p.eof, p.err = true, err
	p.mu.Unlock()
	signal(p.sig)
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// take returns every queued chunk and whether the stream has ended, and
// lets the reader go on.
func (p *pump) take() (cs []chunk, eof bool, err error) {
	p.mu.Lock()
	cs = p.q
	p.q = nil
	p.bytes = 0
	eof, err = p.eof, p.err
	p.mu.Unlock()
	signal(p.room)
	return cs, eof, err
}
