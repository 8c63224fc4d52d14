// Package status renders the console's one-line status bar: the time mode
// (LIVE, PAUSED, REPLAY), the shown instant and window, the cursor, source
// health with ages, and either a transient message or the focused pane's key
// hints. It is a pure function of its input.
package status

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Bar is what the status bar shows.
type Bar struct {
	Mode    string        // "LIVE", "PAUSED" or "REPLAY"
	At      time.Time     // the instant shown
	Window  time.Duration // the shared window
	Cursor  time.Time     // zero when off
	Sources []view.SourceHealth
	Hints   []key.Binding // the focused pane's keys, then a few global ones
	Message string        // transient; replaces the hints
	Error   bool
	Flags   []string // short markers such as "LOW-BW"
}

// Render draws the bar exactly w cells wide.
func Render(w int, b Bar) string {
	if w <= 0 {
		return ""
	}
	mode := styles.Badge
	switch b.Mode {
	case "LIVE":
		mode = mode.Foreground(styles.ColorOK)
	case "PAUSED":
		mode = mode.Foreground(styles.ColorWarn)
	default:
		mode = mode.Foreground(styles.ColorAccent)
	}
	left := mode.Render(b.Mode) + " " + Window(b.Window)
	if !b.At.IsZero() && b.Mode != "LIVE" {
		left += styles.PDim.Paint(" @" + b.At.UTC().Format("15:04:05"))
	}
	if !b.Cursor.IsZero() {
		left += " " + styles.PAccent.Paint("┃"+b.Cursor.UTC().Format("15:04:05"))
	}
	for _, f := range b.Flags {
		left += " " + styles.PDim.Paint(f)
	}
	left += styles.PDim.Paint(" │ ") + Health(b.Sources)
	right := ""
	switch {
	case b.Message != "" && b.Error:
		right = styles.PCrit.Paint(sources.OneLine(b.Message))
	case b.Message != "":
		right = styles.PAccent.Paint(sources.OneLine(b.Message))
	default:
		right = Hints(b.Hints)
	}
	lw := styles.Width(left)
	if lw >= w {
		return styles.Fit(left, w)
	}
	room := w - lw - 3
	if room < 4 {
		return styles.Fit(left, w)
	}
	right = styles.Trunc(right, room)
	return styles.Fit(left+styles.PDim.Paint(" │ ")+right, w)
}

// Window formats the shared window: 15m, 1h, 24h.
func Window(d time.Duration) string {
	switch {
	case d <= 0:
		return styles.NA
	case d%time.Hour == 0:
		return strconv.Itoa(int(d/time.Hour)) + "h"
	case d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return d.String()
}

// Health summarises source health: a count of the sources that are up (ok,
// or idle: a receiver listening with nobody sending is up), then each
// stale or failing one with its age.
func Health(hs []view.SourceHealth) string {
	if len(hs) == 0 {
		return styles.PDim.Paint("no sources")
	}
	ok := 0
	var bad, good []string
	for _, h := range hs {
		name := sources.OneLine(h.Source)
		switch h.State {
		case "ok":
			ok++
			good = append(good, styles.POK.Paint("● "+name))
		case "idle": // up, with nothing to bring (a receiver nobody sends to)
			ok++
			good = append(good, styles.POK.Paint("● "+name+" idle"))
		case "stale":
			bad = append(bad, styles.PWarn.Paint("● "+name+" stale "+age(h.AgeSeconds)))
		case "error":
			s := "✖ " + name + " error"
			if e := sources.OneLine(h.Error); e != "" {
				s = "✖ " + name + ": " + shorten(e, 40)
			}
			if h.AgeSeconds.OK {
				s += " (ok " + age(h.AgeSeconds) + " ago)"
			}
			bad = append(bad, styles.PCrit.Paint(s))
		case "disabled":
			bad = append(bad, styles.PDim.Paint("○ "+name+" off"))
		default:
			bad = append(bad, styles.PDim.Paint("○ "+name+" waiting"))
		}
	}
	// A few sources are named; many are counted.
	if len(hs) <= 3 {
		return strings.Join(append(good, bad...), " ")
	}
	var parts []string
	if ok > 0 {
		parts = append(parts, styles.POK.Paint("● "+strconv.Itoa(ok)+" ok"))
	}
	return strings.Join(append(parts, bad...), " ")
}

func age(n view.Num) string {
	if !n.OK {
		return styles.NA
	}
	s := n.V
	switch {
	case s < 60:
		return strconv.Itoa(int(math.Round(s))) + "s"
	case s < 3600:
		return strconv.Itoa(int(s/60)) + "m"
	}
	return strconv.Itoa(int(s/3600)) + "h"
}

// Hints renders key bindings as "key desc · key desc".
func Hints(bs []key.Binding) string {
	var parts []string
	seen := map[string]bool{}
	for _, b := range bs {
		if !b.Enabled() {
			continue
		}
		h := b.Help()
		if h.Key == "" || seen[h.Key] {
			continue
		}
		seen[h.Key] = true
		parts = append(parts, styles.PBold.Paint(h.Key)+" "+styles.PDim.Paint(h.Desc))
	}
	return strings.Join(parts, styles.PDim.Paint(" · "))
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
