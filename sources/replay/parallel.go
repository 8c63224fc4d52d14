package replay

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/vigil-dev/vigil/sources"
)

// minParallel is the fewest blocks (10 s each by default) a Frames call
// spans before it decodes them on several goroutines: a jump's preroll or
// a fast replay, not the second or two a 1x replay asks for.
const minParallel = 4

// maxWorkers bounds the goroutines one Frames call decodes on.
const maxWorkers = 4

func (r *Reader) workerCount(blocks int) int {
	n := r.workers
	if n <= 0 {
		n = min(runtime.GOMAXPROCS(0), maxWorkers)
	}
	return min(n, blocks)
}

// framesParallel is Frames over the blocks refs: workers decode blocks
// ahead (at most two per worker beyond the one fn is reading) while fn
// runs over the frames in order. It reports false when fn stopped it.
func (r *Reader) framesParallel(refs []blockRef, lo, hi int64, fn func(sources.Frame) bool) bool {
	w := r.workerCount(len(refs))
	type slot struct {
		frames []sources.Frame
		done   chan struct{}
	}
	slots := make([]slot, len(refs))
	for k := range slots {
		slots[k].done = make(chan struct{})
	}
	ahead := make(chan struct{}, 2*w) // a token per block decoded and not yet read
	stop := make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bd := r.takeDecoder() // nil once closed: blocks then yield nothing
			if bd != nil {
				defer r.giveDecoder(bd)
			}
			for {
				select {
				case ahead <- struct{}{}:
				case <-stop:
					return
				}
				k := int(next.Add(1)) - 1
				if k >= len(refs) {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				if bd != nil {
					slots[k].frames = r.decodeOutside(bd, refs[k])
				}
				close(slots[k].done)
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
	}()
	for k := range slots {
		<-slots[k].done
		<-ahead
		for _, f := range slots[k].frames {
			if t := f.At.UnixNano(); t < lo || t > hi {
				continue
			}
			if !fn(f) {
				return false
			}
		}
	}
	return true
}

// decodeOutside decodes block b with bd without holding the reader's lock
// (the cache and the warnings still go through it).
func (r *Reader) decodeOutside(bd *blockDecoder, b blockRef) []sources.Frame {
	r.mu.Lock()
	if frames, ok := r.cachedLocked(b); ok {
		r.mu.Unlock()
		return frames
	}
	fv := b.f.view()
	r.mu.Unlock()
	r.live.RLock()
	frames, err := bd.block(b, fv)
	r.live.RUnlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keepLocked(b, frames, err)
}

// takeDecoder lends an idle decoder, or a new one; nil once closed.
func (r *Reader) takeDecoder() *blockDecoder {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	if n := len(r.pool); n > 0 {
		bd := r.pool[n-1]
		r.pool = r.pool[:n-1]
		return bd
	}
	bd, err := newBlockDecoder()
	if err != nil {
		return nil
	}
	return bd
}

func (r *Reader) giveDecoder(bd *blockDecoder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || len(r.pool) >= maxWorkers {
		bd.close()
		return
	}
	r.pool = append(r.pool, bd)
}
