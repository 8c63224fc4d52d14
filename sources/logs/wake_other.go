//go:build !linux

package logs

// waker is inotify's wake-up on Linux; elsewhere a file tail polls.
type waker struct {
	C <-chan struct{}
}

func newWaker(string) *waker { return nil }

func (w *waker) watching() bool { return false }

func (w *waker) close() {}
