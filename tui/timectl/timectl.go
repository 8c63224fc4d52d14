// Package timectl is the one time every pane of the console shares: the
// live clock's newest reading, the paused instant, the zoom window, the
// time cursor, and a window that follows the data held. It is pure: the
// root model owns one State and feeds it clock readings from messages.
package timectl

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ZoomLevels are the steps of the shared window, shortest first.
var ZoomLevels = []time.Duration{
	time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour,
}

// CursorSteps is how many cursor steps span the window.
const CursorSteps = 60

// State is the one time every pane shares: the live clock, the paused
// instant, the window and the cursor.
type State struct {
	Now       time.Time     // the newest clock reading (from a tick or data message)
	At        time.Time     // the frozen instant while paused
	Paused    bool          // the shown instant is At
	Zoom      time.Duration // the zoom: the span every chart shows
	Cursor    time.Time     // zero when off
	Retention time.Duration // what the store holds; 0: the longest zoom level
	Follow    bool          // the window follows the data held (FitWindow) until the user zooms
}

// Shown is the instant the panes show.
func (t *State) Shown() time.Time {
	if t.Paused {
		return t.At
	}
	return t.Now
}

// Pause freezes the shown instant at the newest clock reading.
func (t *State) Pause() {
	if !t.Paused {
		t.At = t.Now
		t.Paused = true
	}
}

// Resume goes live.
func (t *State) Resume() { t.Paused = false }

// MaxWindow is the longest window the store holds.
func (t *State) MaxWindow() time.Duration {
	if t.Retention <= 0 {
		return ZoomLevels[len(ZoomLevels)-1]
	}
	return t.Retention
}

// ZoomStep steps the window in (dir < 0) or out (dir > 0) and reports whether it moved.
func (t *State) ZoomStep(dir int) bool {
	cur := t.Zoom
	next := cur
	if dir < 0 {
		for i := len(ZoomLevels) - 1; i >= 0; i-- {
			if ZoomLevels[i] < cur {
				next = ZoomLevels[i]
				break
			}
		}
	} else {
		for _, z := range ZoomLevels {
			if z > cur {
				next = z
				break
			}
		}
		if next > t.MaxWindow() {
			next = max(cur, t.MaxWindow())
		}
	}
	t.Follow = false
	if next == cur {
		return false
	}
	t.Zoom = next
	t.ClampCursor()
	return true
}

// SetWindow sets the window to d, within 1m and the store's retention; it
// returns the window set.
func (t *State) SetWindow(d time.Duration) time.Duration {
	d = min(max(d, ZoomLevels[0]), t.MaxWindow())
	t.Zoom, t.Follow = d, false
	t.ClampCursor()
	return d
}

// Pan moves the shown instant by half a window (back for dir < 0), pausing.
// Panning forward up to the live edge resumes live. It reports a limit hit.
func (t *State) Pan(dir int) (limit string) {
	step := t.Zoom / 2
	if dir < 0 {
		t.Pause()
		earliest := t.Now.Add(-t.MaxWindow() + t.Zoom)
		next := t.At.Add(-step)
		if next.Before(earliest) {
			next = earliest
			limit = "at the start of the store's retention"
		}
		if next.After(t.At) { // window longer than what is left
			next = t.At
		}
		t.At = next
	} else {
		if !t.Paused {
			return "already live"
		}
		t.At = t.At.Add(step)
		if !t.At.Before(t.Now) {
			t.Paused = false
			limit = "back to live"
		}
	}
	t.ClampCursor()
	return limit
}

// CursorStep is how far ←/→ move the cursor: a sixtieth of the window in
// whole seconds, at least one. The cursor shows whole seconds, so a press
// moves it by exactly what it shows (a window fitted to 70 s would step
// 1.17 s, moving the shown time by 1 s or 2 s).
func (t *State) CursorStep() time.Duration {
	return max((t.Zoom / CursorSteps).Truncate(time.Second), time.Second)
}

// ToggleCursor puts the cursor at the shown instant (on a step), or takes
// it away.
func (t *State) ToggleCursor() {
	if !t.Cursor.IsZero() {
		t.Cursor = time.Time{}
		return
	}
	t.Cursor = t.Shown().Truncate(t.CursorStep())
	t.ClampCursor()
}

// MoveCursor moves the cursor a step back (dir < 0) or forward.
func (t *State) MoveCursor(dir int) {
	if t.Cursor.IsZero() {
		return
	}
	t.Cursor = t.Cursor.Add(time.Duration(dir) * t.CursorStep())
	t.ClampCursor()
}

// SetCursor puts the cursor at at, moving the shown window (and pausing)
// when at lies outside it.
func (t *State) SetCursor(at time.Time) {
	if at.IsZero() {
		return
	}
	end := t.Shown()
	if at.After(end) || at.Before(end.Add(-t.Zoom)) {
		t.Pause()
		t.At = at.Add(t.Zoom / 2)
		if t.At.After(t.Now) {
			t.At = t.Now
		}
	}
	t.Cursor = at
	t.ClampCursor()
}

// ClampCursor keeps the cursor inside the window.
func (t *State) ClampCursor() {
	if t.Cursor.IsZero() {
		return
	}
	end := t.Shown()
	if t.Cursor.After(end) {
		t.Cursor = end
	}
	if from := end.Add(-t.Zoom); t.Cursor.Before(from) {
		t.Cursor = from
	}
}

// Around is the span "around this moment" for a jump from the cursor.
func (t *State) Around() (time.Time, time.Time) {
	half := max(2*t.CursorStep(), 30*time.Second)
	return t.Cursor.Add(-half), t.Cursor.Add(half)
}

// Fitted is the window that shows span: at least the shortest zoom level,
// rounded up to 10 s, at most the store's retention.
func (t *State) Fitted(span time.Duration) time.Duration {
	w := (span + 10*time.Second - 1).Truncate(10 * time.Second)
	return min(max(w, ZoomLevels[0]), t.MaxWindow())
}

// ParseDuration reads "15m", "1h", "90s", "2d".
func ParseDuration(s string) (time.Duration, error) {
	if rest, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n <= 0 {
			return 0, fmt.Errorf("range %q: not a duration", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("range %q: not a duration (15m, 1h, 24h)", s)
	}
	return d, nil
}

// ParseInstant reads "14:02" or "14:02:30" (UTC, on now's date, the day
// before when that is later than now) or "-10m" (before now). The result is
// never after now.
func ParseInstant(arg string, now time.Time) (time.Time, error) {
	if strings.HasPrefix(arg, "-") {
		d, err := time.ParseDuration(arg[1:])
		if err != nil || d < 0 {
			return time.Time{}, fmt.Errorf("at %q: not a duration before now (-10m)", arg)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{"15:04:05", "15:04"} {
		t, err := time.Parse(layout, arg)
		if err != nil {
			continue
		}
		n := now.UTC()
		at := time.Date(n.Year(), n.Month(), n.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		if at.After(now) {
			at = at.AddDate(0, 0, -1)
		}
		return at, nil
	}
	return time.Time{}, fmt.Errorf("at %q: want 14:02, 14:02:30 (UTC) or -10m", arg)
}
