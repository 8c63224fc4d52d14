// Package layout places the console's rectangles as a pure function of the
// terminal size. Nothing here draws; every rectangle is clamped at zero and
// lies inside the terminal, so resize storms cannot produce a negative size.
package layout

import "github.com/charmbracelet/x/ansi"

// Rect is a rectangle in terminal cells; X, Y are the top-left corner.
type Rect struct {
	X, Y, W, H int
}

// Empty reports whether the rectangle has no cells.
func (r Rect) Empty() bool { return r.W <= 0 || r.H <= 0 }

// Contains reports whether cell (x, y) lies inside r.
func (r Rect) Contains(x, y int) bool {
	return x >= r.X && x < r.X+r.W && y >= r.Y && y < r.Y+r.H
}

// Mode is how the overview is arranged at a size.
type Mode int

// Modes, from the roomiest down.
const (
	TooSmall Mode = iota // below the minimum: only a notice
	Single               // one pane, with a list of the others below it
	Compact              // 2×2 grid of equal panes
	Full                 // full grid: wide latency and drift, narrower GPU and errors
)

// String names the mode: "full", "compact", "single" or "too-small".
func (m Mode) String() string {
	switch m {
	case Single:
		return "single"
	case Compact:
		return "compact"
	case Full:
		return "full"
	}
	return "too-small"
}

// Size thresholds, in cells.
const (
	MinW, MinH         = 40, 10  // below: "terminal too small"
	CompactW, CompactH = 80, 24  // from here: 2×2 grid
	FullW, FullH       = 120, 35 // from here: full grid
)

// Spec says what besides the panes needs room.
type Spec struct {
	Panes     int  // number of panes on the screen (1 for a single-pane screen)
	Focused   int  // index of the focused pane (shown in Single mode and when maximised)
	Maximised bool // the focused pane fills the content area
	Timeline  int  // rows for the replay strip (0 for none)
	Alerts    int  // rows for the alerts strip (0 for none)
	Prompt    bool // a one-row prompt (filter or palette) above the status bar
	// Titles are the panes' titles, for the pane list of Single mode (its
	// entries' rectangles are where a click focuses a pane).
	Titles []string
	// Strip, when above 0, is the outer height of the last pane laid out
	// as a full-width strip under the others (the host rows), at most
	// half the content; it applies to the grids, not to Single mode or a
	// maximised pane.
	Strip int
}

// Plan is where everything goes.
type Plan struct {
	Mode  Mode
	W, H  int
	Panes []Rect // one per pane; an empty Rect for a pane not shown
	List  Rect   // the pane list in Single mode
	// ListItems are the list's entries, one per pane: a marker cell and
	// the title (display width), ListGap cells apart; an entry that does
	// not fit the row is empty.
	ListItems []Rect
	Alerts    Rect
	Timeline  Rect
	Prompt    Rect
	Status    Rect
	Content   Rect // the area the panes share
}

// ModeFor returns the overview mode at a terminal size.
func ModeFor(w, h int) Mode {
	switch {
	case w < MinW || h < MinH:
		return TooSmall
	case w >= FullW && h >= FullH:
		return Full
	case w >= CompactW && h >= CompactH:
		return Compact
	}
	return Single
}

// Compute places every rectangle for a terminal of w×h cells.
func Compute(w, h int, s Spec) Plan {
	w, h = max(w, 0), max(h, 0)
	p := Plan{Mode: ModeFor(w, h), W: w, H: h, Panes: make([]Rect, max(s.Panes, 0))}
	if p.Mode == TooSmall {
		return p
	}
	y := h
	take := func(n int) Rect {
		n = min(max(n, 0), max(y-3, 0)) // always leave three rows for content
		y -= n
		return Rect{0, y, w, n}
	}
	p.Status = take(1)
	if s.Prompt {
		p.Prompt = take(1)
	}
	if s.Timeline > 0 {
		p.Timeline = take(s.Timeline)
	}
	if s.Alerts > 0 {
		p.Alerts = take(s.Alerts)
	}
	p.Content = Rect{0, 0, w, y}
	if s.Panes <= 0 {
		return p
	}
	foc := min(max(s.Focused, 0), s.Panes-1)
	if s.Panes == 1 || s.Maximised {
		p.Panes[foc] = p.Content
		return p
	}
	c := p.Content
	if p.Mode == Single {
		p.List = Rect{0, c.H - 1, w, 1}
		p.Panes[foc] = Rect{0, 0, w, c.H - 1}
		p.ListItems = listItems(p.List, s.Panes, s.Titles)
		return p
	}
	n := s.Panes
	if s.Strip > 0 {
		sh := min(s.Strip, c.H/2)
		p.Panes[n-1] = Rect{c.X, c.Y + c.H - sh, c.W, sh}
		c.H -= sh
		n--
	}
	switch {
	case n == 1:
		p.Panes[0] = c
	case n == 4 && p.Mode == Full:
		// Latency is the widest need (sparklines); GPU gauges are narrow.
		topH := c.H * 55 / 100
		botH := c.H - topH
		lw := w * 60 / 100
		ew := w * 40 / 100
		p.Panes[0] = Rect{0, 0, lw, topH}
		p.Panes[1] = Rect{lw, 0, w - lw, topH}
		p.Panes[2] = Rect{0, topH, ew, botH}
		p.Panes[3] = Rect{ew, topH, w - ew, botH}
	default:
		grid(&p, c, n)
	}
	return p
}

// ListGap is the blank cells between two entries of the pane list.
const ListGap = 2

// listItems places the pane list's entries along row r: each a marker cell
// and its title's display width.
func listItems(r Rect, n int, titles []string) []Rect {
	out := make([]Rect, n)
	x := r.X
	for i := 0; i < n; i++ {
		t := ""
		if i < len(titles) {
			t = titles[i]
		}
		w := 1 + ansi.StringWidth(t)
		if x+w > r.X+r.W {
			break
		}
		out[i] = Rect{x, r.Y, w, 1}
		x += w + ListGap
	}
	return out
}

// grid lays n panes out two per row, equal sizes.
func grid(p *Plan, c Rect, n int) {
	cols := 2
	if n == 1 {
		cols = 1
	}
	rows := (n + cols - 1) / cols
	for i := 0; i < n; i++ {
		r, col := i/cols, i%cols
		y0 := c.Y + c.H*r/rows
		y1 := c.Y + c.H*(r+1)/rows
		ncol := cols
		if r == rows-1 && n%cols != 0 {
			ncol = n % cols
		}
		x0 := c.X + c.W*col/ncol
		x1 := c.X + c.W*(col+1)/ncol
		p.Panes[i] = Rect{x0, y0, x1 - x0, y1 - y0}
	}
}

// Neighbour returns the index of the pane nearest to from in direction
// (dx, dy) (one of them ±1, the other 0), or from when there is none.
func Neighbour(rects []Rect, from, dx, dy int) int {
	if from < 0 || from >= len(rects) || rects[from].Empty() {
		return from
	}
	f := rects[from]
	cx, cy := f.X*2+f.W, f.Y*2+f.H // doubled centres keep integer maths
	best, bestD := from, 1<<30
	for i, r := range rects {
		if i == from || r.Empty() {
			continue
		}
		rx, ry := r.X*2+r.W, r.Y*2+r.H
		ddx, ddy := rx-cx, ry-cy
		var along, across int
		switch {
		case dx > 0 && r.X >= f.X+f.W:
			along, across = ddx, abs(ddy)
		case dx < 0 && r.X+r.W <= f.X:
			along, across = -ddx, abs(ddy)
		case dy > 0 && r.Y >= f.Y+f.H:
			along, across = ddy, abs(ddx)
		case dy < 0 && r.Y+r.H <= f.Y:
			along, across = -ddy, abs(ddx)
		default:
			continue
		}
		d := along + 2*across
		if d < bestD {
			best, bestD = i, d
		}
	}
	return best
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}
