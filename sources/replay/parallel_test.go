package replay

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// TestParallelFramesEqualSequential: a Frames call over many blocks, decoded
// on several goroutines, gives what one goroutine gives, in the same order,
// for the whole recording and for a window that starts and ends inside
// blocks; a damaged block is skipped with one warning either way.
func TestParallelFramesEqualSequential(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p"+Ext)
	frames := loadFrames(300)
	if err := WriteFile(path, frames, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	r0, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	b := r0.blocks[7]
	r0.Close()
	flip(t, path, b.off+recHeaderLen+int64(b.length)/2)

	open := func(workers int) *Reader {
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r.workers = workers
		t.Cleanup(func() { r.Close() })
		return r
	}
	seq, par := open(1), open(4)
	from, to := frames[0].At, frames[len(frames)-1].At
	for _, w := range [][2]time.Time{{from, to}, {from.Add(33*time.Second + 500*time.Millisecond), from.Add(251 * time.Second)}} {
		collect := func(r *Reader) []sources.Frame {
			var got []sources.Frame
			r.Frames(w[0], w[1], func(f sources.Frame) bool {
				got = append(got, f)
				return true
			})
			return got
		}
		want, got := collect(seq), collect(par)
		if len(want) < 1000 {
			t.Fatalf("only %d frames", len(want))
		}
		assertSame(t, want, got)
	}
	if ws, wp := seq.Warnings(), par.Warnings(); len(ws) != 1 || len(wp) != 1 || ws[0] != wp[0] {
		t.Fatalf("warnings: sequential %q, parallel %q", ws, wp)
	}
}

// TestParallelFramesStopEarly: when fn stops a parallel Frames call, it
// returns at once and leaves no goroutine behind.
func TestParallelFramesStopEarly(t *testing.T) {
	frames := loadFrames(200)
	r := writeOpen(t, "s", frames, 10*time.Second)
	r.workers = 4
	before := runtime.NumGoroutine()
	for _, stopAt := range []int{1, 250, 1500} {
		n := 0
		r.Frames(frames[0].At, frames[len(frames)-1].At, func(sources.Frame) bool {
			n++
			return n < stopAt
		})
		if n != stopAt {
			t.Fatalf("fn ran %d times, stopped at %d", n, stopAt)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines, %d before", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
