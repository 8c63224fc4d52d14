// Package status renders the console's one-line status bar: the time mode
// (LIVE, PAUSED, REPLAY), the shown instant and window, the cursor, source
// health with ages, and either a transient message or the focused pane's key
// hints. It is a pure function of its input.
package status

import (
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
	Zoom    time.Duration // the shared window
	Cursor  time.Time     // zero when off
	Sources []view.SourceHealth
	Hints   []key.Binding // the focused pane's keys, then a few global ones
	Message string        // transient; replaces the hints
	Error   bool
	Flags   []string // short markers such as "LOW-BW"
	Scope   string   // the host the console is scoped to ("" none), shown after the mode
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
	left := mode.Render(b.Mode) + " " + Window(b.Zoom)
	if b.Scope != "" {
		left += " " + styles.PAccent.Paint("@"+sources.OneLine(b.Scope))
	}
	if !b.At.IsZero() && b.Mode != "LIVE" {
		left += styles.PDim.Paint(" @" + b.At.UTC().Format("15:04:05"))
	}
	if !b.Cursor.IsZero() {
		left += " " + styles.PAccent.Paint("┃"+b.Cursor.UTC().Format("15:04:05"))
	}
	for _, f := range b.Flags {
		left += " " + styles.PDim.Paint(f)
	}
	// The sources' health in the room it leaves the hints: named with
	// their errors, else the failing ones named without the detail, else
	// counted by state.
	health := Health(b.Sources)
	for _, f := range []func([]view.SourceHealth) string{Names, Counts} {
		if styles.Width(left)+3+styles.Width(health) <= w*3/5 {
			break
		}
		health = f(b.Sources)
	}
	left += styles.PDim.Paint(" │ ") + health
	lw := styles.Width(left)
	if lw >= w {
		return styles.Fit(left, w)
	}
	room := w - lw - 3
	if room < 4 {
		return styles.Fit(left, w)
	}
	right := ""
	switch {
	case b.Message != "" && b.Error:
		right = styles.Trunc(styles.PCrit.Paint(sources.OneLine(b.Message)), room)
	case b.Message != "":
		right = styles.Trunc(styles.PAccent.Paint(sources.OneLine(b.Message)), room)
	default:
		right = FitHints(b.Hints, room)
	}
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
// stale or failing one with its age, and each one up whose last answer was
// partial or narrowed (▲, its first warning).
func Health(hs []view.SourceHealth) string {
	if len(hs) == 0 {
		return styles.PDim.Paint("no sources")
	}
	ok := 0
	var bad, good []string
	for _, h := range hs {
		name := sources.OneLine(h.Source)
		switch {
		case h.State == "ok" && len(h.Warnings) > 0: // up, with a partial or narrowed answer
			ok++
			bad = append(bad, styles.PWarn.Paint("▲ "+name+": "+shorten(sources.OneLine(h.Warnings[0]), 40)))
			continue
		}
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

// Names is Health without the errors' text and ages: the healthy counted,
// the stale and failing named.
func Names(hs []view.SourceHealth) string {
	if len(hs) == 0 {
		return styles.PDim.Paint("no sources")
	}
	ok := 0
	var bad []string
	for _, h := range hs {
		name := sources.OneLine(h.Source)
		switch h.State {
		case "ok":
			ok++
			if len(h.Warnings) > 0 {
				bad = append(bad, styles.PWarn.Paint("▲ "+name))
			}
		case "stale":
			bad = append(bad, styles.PWarn.Paint("● "+name+" stale"))
		case "error":
			bad = append(bad, styles.PCrit.Paint("✖ "+name))
		case "disabled":
			bad = append(bad, styles.PDim.Paint("○ "+name+" off"))
		default:
			bad = append(bad, styles.PDim.Paint("○ "+name+" waiting"))
		}
	}
	var parts []string
	if ok > 0 {
		parts = append(parts, styles.POK.Paint("● "+strconv.Itoa(ok)+" ok"))
	}
	return strings.Join(append(parts, bad...), " ")
}

// Counts summarises source health in a few cells: how many sources are
// in each state, the worst first.
func Counts(hs []view.SourceHealth) string {
	if len(hs) == 0 {
		return styles.PDim.Paint("no sources")
	}
	n := map[string]int{}
	warned := 0
	for _, h := range hs {
		n[h.State]++
		if h.State == "ok" && len(h.Warnings) > 0 {
			warned++
		}
	}
	var parts []string
	if c := n["error"]; c > 0 {
		parts = append(parts, styles.PCrit.Paint("✖ "+strconv.Itoa(c)+" error"))
	}
	if c := n["stale"]; c > 0 {
		parts = append(parts, styles.PWarn.Paint("● "+strconv.Itoa(c)+" stale"))
	}
	if c := n["ok"]; c > 0 {
		parts = append(parts, styles.POK.Paint("● "+strconv.Itoa(c)+" ok"))
	}
	if warned > 0 {
		parts = append(parts, styles.PWarn.Paint("▲ "+strconv.Itoa(warned)+" partial"))
	}
	if c := len(hs) - n["error"] - n["stale"] - n["ok"]; c > 0 {
		parts = append(parts, styles.PDim.Paint("○ "+strconv.Itoa(c)+" off/waiting"))
	}
	return strings.Join(parts, " ")
}

func age(n view.Num) string { return styles.NumPlain(n, styles.Duration) }

// Hints renders key bindings as "key desc · key desc".
func Hints(bs []key.Binding) string { return FitHints(bs, 1<<30) }

// FitHints renders as many whole hints as fit w cells, in order: a hint is
// shown whole or not at all.
func FitHints(bs []key.Binding, w int) string {
	var parts []styles.Part
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
		parts = append(parts, styles.Part{Text: styles.PBold.Paint(h.Key) + " " + styles.PDim.Paint(h.Desc), Rank: 1 + len(parts)})
	}
	if len(parts) > 0 {
		parts[0].Rank = 0
	}
	return styles.Parts(w, styles.PDim.Paint(" · "), parts...)
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
