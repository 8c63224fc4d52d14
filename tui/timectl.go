package tui

import (
	"time"
)

// Zoom levels of the shared window, shortest first.
var zoomLevels = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// cursorSteps is how many cursor steps span the window.
const cursorSteps = 60

// timeState is the one time every pane shares: the live clock, the paused
// instant, the window and the cursor.
type timeState struct {
	now       time.Time // the newest clock reading (from a tick or data message)
	at        time.Time // the frozen instant while paused
	paused    bool
	window    time.Duration
	cursor    time.Time // zero when off
	retention time.Duration
	follow    bool // the window follows the data held (FitWindow) until the user zooms
}

// shown is the instant the panes show.
func (t *timeState) shown() time.Time {
	if t.paused {
		return t.at
	}
	return t.now
}

func (t *timeState) pause() {
	if !t.paused {
		t.at = t.now
		t.paused = true
	}
}

func (t *timeState) resume() { t.paused = false }

// maxWindow is the longest window the store holds.
func (t *timeState) maxWindow() time.Duration {
	if t.retention <= 0 {
		return zoomLevels[len(zoomLevels)-1]
	}
	return t.retention
}

// zoom steps the window in (dir < 0) or out (dir > 0) and reports whether it moved.
func (t *timeState) zoom(dir int) bool {
	cur := t.window
	next := cur
	if dir < 0 {
		for i := len(zoomLevels) - 1; i >= 0; i-- {
			if zoomLevels[i] < cur {
				next = zoomLevels[i]
				break
			}
		}
	} else {
		for _, z := range zoomLevels {
			if z > cur {
				next = z
				break
			}
		}
		if next > t.maxWindow() {
			next = max(cur, t.maxWindow())
		}
	}
	t.follow = false
	if next == cur {
		return false
	}
	t.window = next
	t.clampCursor()
	return true
}

// setWindow sets the window to d, within 1m and the store's retention; it
// returns the window set.
func (t *timeState) setWindow(d time.Duration) time.Duration {
	d = min(max(d, zoomLevels[0]), t.maxWindow())
	t.window, t.follow = d, false
	t.clampCursor()
	return d
}

// pan moves the shown instant by half a window (back for dir < 0), pausing.
// Panning forward up to the live edge resumes live. It reports a limit hit.
func (t *timeState) pan(dir int) (limit string) {
	step := t.window / 2
	if dir < 0 {
		t.pause()
		earliest := t.now.Add(-t.maxWindow() + t.window)
		next := t.at.Add(-step)
		if next.Before(earliest) {
			next = earliest
			limit = "at the start of the store's retention"
		}
		if next.After(t.at) { // window longer than what is left
			next = t.at
		}
		t.at = next
	} else {
		if !t.paused {
			return "already live"
		}
		t.at = t.at.Add(step)
		if !t.at.Before(t.now) {
			t.paused = false
			limit = "back to live"
		}
	}
	t.clampCursor()
	return limit
}

func (t *timeState) cursorStep() time.Duration {
	return max(t.window/cursorSteps, time.Second)
}

func (t *timeState) toggleCursor() {
	if !t.cursor.IsZero() {
		t.cursor = time.Time{}
		return
	}
	t.cursor = t.shown().Truncate(t.cursorStep())
	t.clampCursor()
}

func (t *timeState) moveCursor(dir int) {
	if t.cursor.IsZero() {
		return
	}
	t.cursor = t.cursor.Add(time.Duration(dir) * t.cursorStep())
	t.clampCursor()
}

// setCursor puts the cursor at at, moving the shown window (and pausing)
// when at lies outside it.
func (t *timeState) setCursor(at time.Time) {
	if at.IsZero() {
		return
	}
	end := t.shown()
	if at.After(end) || at.Before(end.Add(-t.window)) {
		t.pause()
		t.at = at.Add(t.window / 2)
		if t.at.After(t.now) {
			t.at = t.now
		}
	}
	t.cursor = at
	t.clampCursor()
}

func (t *timeState) clampCursor() {
	if t.cursor.IsZero() {
		return
	}
	end := t.shown()
	if t.cursor.After(end) {
		t.cursor = end
	}
	if from := end.Add(-t.window); t.cursor.Before(from) {
		t.cursor = from
	}
}

// around is the span "around this moment" for a jump from the cursor.
func (t *timeState) around() (time.Time, time.Time) {
	half := max(2*t.cursorStep(), 30*time.Second)
	return t.cursor.Add(-half), t.cursor.Add(half)
}

// fitted is the window that shows span: at least the shortest zoom level,
// rounded up to 10 s, at most the store's retention.
func (t *timeState) fitted(span time.Duration) time.Duration {
	w := (span + 10*time.Second - 1).Truncate(10 * time.Second)
	return min(max(w, zoomLevels[0]), t.maxWindow())
}
