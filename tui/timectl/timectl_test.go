package timectl

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)

func TestZoomPanCursor(t *testing.T) {
	s := State{Now: t0, Window: 15 * time.Minute, Retention: time.Hour}
	if !s.Zoom(1) || s.Window != 30*time.Minute || !s.Zoom(1) || s.Window != time.Hour || s.Zoom(1) {
		t.Fatalf("zoom out to the retention: %v", s.Window)
	}
	s.Window = 10 * time.Minute
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
