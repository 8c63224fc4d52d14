package timectl

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

func TestZoomPanCursor(t *testing.T) {
	s := State{Now: t0, Zoom: 15 * time.Minute, Retention: time.Hour}
	if !s.ZoomStep(1) || s.Zoom != 30*time.Minute || !s.ZoomStep(1) || s.Zoom != time.Hour || s.ZoomStep(1) {
		t.Fatalf("zoom out to the retention: %v", s.Zoom)
	}
	s.Zoom = 10 * time.Minute
	if lim := s.Pan(-1); lim != "" || !s.Paused || !s.Shown().Equal(t0.Add(-5*time.Minute)) {
		t.Fatalf("pan back: %q %v %v", lim, s.Paused, s.Shown())
	}
	if lim := s.Pan(1); lim != "back to live" || s.Paused {
		t.Fatalf("pan forward: %q paused %v", lim, s.Paused)
	}
	s.ToggleCursor()
	if !s.Cursor.Equal(t0) {
		t.Fatalf("cursor at %v", s.Cursor)
	}
	for i := 0; i < 100; i++ {
		s.MoveCursor(-1)
	}
	if !s.Cursor.Equal(t0.Add(-10 * time.Minute)) {
		t.Fatalf("cursor clamped at %v, want the window's start", s.Cursor)
	}
	// A cursor set outside the window moves the window there, paused.
	s.SetCursor(t0.Add(-40 * time.Minute))
	if !s.Paused || !s.Cursor.Equal(t0.Add(-40*time.Minute)) || !s.Shown().Equal(t0.Add(-35*time.Minute)) {
		t.Fatalf("set cursor: paused %v cursor %v shown %v", s.Paused, s.Cursor, s.Shown())
	}
}

// TestCursorStepWholeSeconds: whatever the window (zoom levels, fitted
// windows, :range), each ←/→ moves the cursor by whole seconds, the unit
// it shows, and by the same amount each press.
func TestCursorStepWholeSeconds(t *testing.T) {
	for _, w := range []time.Duration{time.Minute, 70 * time.Second, 90 * time.Second, 130 * time.Second, 5 * time.Minute, 7*time.Minute + 10*time.Second, 24 * time.Hour} {
		s := State{Now: t0.Add(437 * time.Millisecond), Zoom: w, Retention: 48 * time.Hour}
		step := s.CursorStep()
		if step < time.Second || step%time.Second != 0 || step > w/CursorSteps {
			t.Errorf("window %v: step %v", w, step)
		}
		s.ToggleCursor()
		for i := 0; i < 5; i++ {
			shown := s.Cursor.Truncate(time.Second)
			s.MoveCursor(-1)
			if d := shown.Sub(s.Cursor.Truncate(time.Second)); d != step {
				t.Errorf("window %v: a press moved the shown second by %v, the step is %v", w, d, step)
			}
		}
	}
}

func TestFitted(t *testing.T) {
	s := State{Retention: time.Hour}
	for span, want := range map[time.Duration]time.Duration{
		0: time.Minute, 66 * time.Second: 70 * time.Second, 3 * time.Minute: 3 * time.Minute, 5 * time.Hour: time.Hour,
	} {
		if got := s.Fitted(span); got != want {
			t.Errorf("Fitted(%v) = %v, want %v", span, got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for in, want := range map[string]time.Duration{"15m": 15 * time.Minute, "90s": 90 * time.Second, "2d": 48 * time.Hour} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "0m", "-5m", "xd", "soon"} {
		if _, err := ParseDuration(bad); err == nil {
			t.Errorf("ParseDuration(%q) accepted", bad)
		}
	}
	now := time.Date(2026, 3, 1, 14, 20, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"14:05": time.Date(2026, 3, 1, 14, 5, 0, 0, time.UTC), "-2m": now.Add(-2 * time.Minute),
		"14:30": time.Date(2026, 2, 28, 14, 30, 0, 0, time.UTC), "14:05:30": time.Date(2026, 3, 1, 14, 5, 30, 0, time.UTC),
	} {
		if got, err := ParseInstant(in, now); err != nil || !got.Equal(want) {
			t.Errorf("ParseInstant(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseInstant("noon", now); err == nil {
		t.Error("ParseInstant(noon) accepted")
	}
}
