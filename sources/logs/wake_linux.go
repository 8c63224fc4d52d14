//go:build linux

package logs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"golang.org/x/sys/unix"
)

// waker tells a file tail when something changed in the directory it
// follows (inotify): a write, a file created, renamed, deleted or
// truncated whose name the pattern could match. The tail then reads at
// once instead of on its next poll; the poll stays, slower, as the safety
// net for what inotify does not see (a network file system, a directory
// not there yet, an event queue that overflowed).
type waker struct {
	C <-chan struct{} // receives (coalesced) when the directory changed

	c       chan struct{}
	f       *os.File // the inotify instance, read through the runtime's poller
	dir     string
	base    string // the pattern's base name, a glob or a plain name
	prefix  string // base up to its first glob character
	mu      sync.Mutex
	wd      int32       // the directory's watch; -1 while it is not watched
	lost    atomic.Bool // the watch is to be (re)added
	dead    atomic.Bool // the instance cannot be read: poll
	stopped chan struct{}
}

// watchMask is what is watched in the directory: everything that changes a
// file's content or which file a name is.
const watchMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE |
	unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// newWaker watches the directory of pattern; nil where that cannot be done
// (no inotify, out of instances, a glob in the directory part): the tail
// then polls.
func newWaker(pattern string) *waker {
	dir, base := filepath.Split(pattern)
	if dir == "" {
		dir = "."
	}
	dir = filepath.Clean(dir)
	if strings.ContainsAny(dir, "*?[") {
		return nil
	}
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	prefix := base
	if i := strings.IndexAny(base, "*?["); i >= 0 {
		prefix = base[:i]
	}
	c := make(chan struct{}, 1)
	w := &waker{C: c, c: c, f: os.NewFile(uintptr(fd), "inotify"), dir: dir, base: base, prefix: prefix,
		wd: -1, stopped: make(chan struct{})}
	w.lost.Store(true)
	go w.read()
	return w
}

// watching (re)adds the directory's watch if it is not in place, and
// reports whether it is: a tail that is not watched polls at its fast pace.
func (w *waker) watching() bool {
	if w == nil || w.dead.Load() {
		return false
	}
	if !w.lost.Load() {
		return true
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		return false
	}
	var wd int
	var aerr error
	if err := rc.Control(func(fd uintptr) {
		wd, aerr = unix.InotifyAddWatch(int(fd), w.dir, watchMask)
	}); err != nil || aerr != nil {
		return false
	}
	w.mu.Lock()
	w.wd = int32(wd)
	w.mu.Unlock()
	w.lost.Store(false)
	return true
}

// read turns inotify events into wake-ups until the instance is closed.
func (w *waker) read() {
	defer close(w.stopped)
	buf := make([]byte, 16<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			// An instance that cannot be read: fall back to polling.
			w.dead.Store(true)
			return
		}
		wake := false
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			end := off + unix.SizeofInotifyEvent + int(ev.Len)
			if end > n {
				break
			}
			name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:end]), "\x00")
			off = end
			switch {
			case ev.Mask&unix.IN_Q_OVERFLOW != 0:
				wake = true
			case ev.Mask&(unix.IN_IGNORED|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF) != 0:
				// The directory went: watch it again (or its successor)
				// at the next poll.
				w.mu.Lock()
				if ev.Wd == w.wd {
					w.lost.Store(true)
					w.wd = -1
				}
				w.mu.Unlock()
				wake = true
			case w.wants(name):
				wake = true
			}
		}
		if wake {
			select {
			case w.c <- struct{}{}:
			default:
			}
		}
	}
}

// wants reports whether an event on name concerns the tail: a name the
// pattern matches, or one that starts like it (app.log.1, a rotated or
// copied file still read to its end).
func (w *waker) wants(name string) bool {
	if name == "" {
		return false
	}
	if ok, _ := filepath.Match(w.base, name); ok {
		return true
	}
	return w.prefix != "" && strings.HasPrefix(name, w.prefix)
}

// close stops the watch.
func (w *waker) close() {
	if w == nil {
		return
	}
	w.f.Close()
	<-w.stopped
}
