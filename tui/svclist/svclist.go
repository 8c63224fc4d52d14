// Package svclist is the service list the latency and errors panes share:
// the filter, the selection (kept on the same service across re-sorting),
// the drill-down into one service's detail, the top-k cap with its count of
// hidden rows, and the movement keys. Rendering, scrolling policy and sort
// order stay with each pane.
package svclist

import (
	"sort"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// KeyMap is the list's bindings: selection movement and opening the detail.
type KeyMap struct {
	Up, Down, Top, Bottom, Open key.Binding
}

// DefaultKeyMap returns the default bindings (j/k, g/G, enter).
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:     key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("j/k", "move")),
		Down:   key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("j/k", "move")),
		Top:    key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g/G", "top/bottom")),
		Bottom: key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "service detail")),
	}
}

// List is a filtered, sorted, capped list of services with a selection and
// an optional drill-down into one service. The zero value is an empty list
// with no filter. Methods that change the state take effect on the rows at
// the next Select; the owning pane calls Select (and redraws) after each.
type List struct {
	// Offset is the index of the first row shown; the pane's renderer
	// scrolls it so the selection shows. SetFilter resets it to 0.
	Offset int

	filter styles.Filter
	sel    int
	selKey string // the selected service's key, kept across re-sorting
	detail string // key of the service drilled into, "" for the list
	items  []view.Service
	hidden int // filtered out or beyond top-k
}

// Items returns the rows chosen by the last Select: filtered, sorted,
// capped, and only the detail's service while one is open. The slice is
// the list's own; callers must not modify it.
func (l *List) Items() []view.Service { return l.items }

// Selected returns the index of the selected row in Items (0 when empty).
func (l *List) Selected() int { return l.sel }

// Hidden returns how many services the last Select left out (filtered out
// or beyond top-k).
func (l *List) Hidden() int { return l.hidden }

// Detail returns the service whose detail is open, if one is.
func (l *List) Detail() (view.Service, bool) {
	if l.detail == "" {
		return view.Service{}, false
	}
	for _, s := range l.items {
		if s.Key() == l.detail {
			return s, true
		}
	}
	return view.Service{}, false
}

// HandleKey moves the selection or opens the selected service's detail, and
// reports whether the key was one of keys' (Open is declined while a detail
// is open or the list is empty).
func (l *List) HandleKey(msg tea.KeyMsg, keys KeyMap) bool {
	switch {
	case key.Matches(msg, keys.Up):
		l.sel--
	case key.Matches(msg, keys.Down):
		l.sel++
	case key.Matches(msg, keys.Top):
		l.sel = 0
	case key.Matches(msg, keys.Bottom):
		l.sel = len(l.items) - 1
	case key.Matches(msg, keys.Open):
		if l.detail != "" || len(l.items) == 0 {
			return false
		}
		l.detail = l.items[clamp(l.sel, 0, len(l.items)-1)].Key()
	default:
		return false
	}
	l.keepIndex()
	return true
}

// keepIndex makes the next Select select by index (after a move).
func (l *List) keepIndex() {
	l.selKey = ""
	if len(l.items) > 0 {
		l.sel = clamp(l.sel, 0, len(l.items)-1)
		l.selKey = l.items[l.sel].Key()
	}
}

// Escape leaves the service detail and reports whether one was open.
func (l *List) Escape() bool {
	if l.detail == "" {
		return false
	}
	l.detail = ""
	return true
}

// SetFilter compiles expr (see styles.NewFilter), matched against each
// service's name, operation, host and stack, and moves the selection to the top. On
// error the filter is unchanged.
func (l *List) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	l.filter = f
	l.sel, l.Offset, l.selKey = 0, 0, ""
	return nil
}

// Filter returns the filter expression, "" when none is set.
func (l *List) Filter() string { return l.filter.Expr }

// NextMatch moves the selection down (up with back), wrapping: every listed
// row matches the filter.
func (l *List) NextMatch(back bool) {
	n := len(l.items)
	if n == 0 {
		return
	}
	d := 1
	if back {
		d = n - 1
	}
	l.sel = (clamp(l.sel, 0, n-1) + d) % n
	l.keepIndex()
}

// Jump opens the detail of the service in all named by j (and j.Host, when
// set), clearing a filter that would hide it. It reports false, changing
// nothing, when j names no such service.
func (l *List) Jump(j pane.JumpMsg, all []view.Service) bool {
	if j.Service == "" {
		return false
	}
	for _, s := range all {
		if s.Name == j.Service && (j.Host == "" || s.Host == j.Host) {
			if !l.keep(s) {
				l.filter = styles.Filter{}
			}
			l.detail = s.Key()
			return true
		}
	}
	return false
}

// Selection returns the selected service as a jump (target left to the
// caller), false when the list is empty.
func (l *List) Selection() (pane.JumpMsg, bool) {
	if len(l.items) == 0 {
		return pane.JumpMsg{}, false
	}
	s := l.items[clamp(l.sel, 0, len(l.items)-1)]
	return pane.JumpMsg{Service: s.Name, Host: s.Host}, true
}

func (l *List) keep(s view.Service) bool {
	return l.filter.Keep(s.Name + " " + s.Operation + " " + s.Host + " " + s.Stack)
}

// Select chooses the rows from all: those the filter keeps, stably sorted
// by less when it is not nil, narrowed to the detail's service while one is
// open (the detail closes when its service is gone), then capped at topK
// rows when topK > 0. The selection follows the selected service to its new
// index when it is still listed, and is clamped otherwise.
func (l *List) Select(all []view.Service, topK int, less func(a, b *view.Service) bool) {
	l.items = l.items[:0]
	for _, s := range all {
		if l.keep(s) {
			l.items = append(l.items, s)
		}
	}
	l.hidden = len(all) - len(l.items)
	if less != nil {
		sort.SliceStable(l.items, func(i, j int) bool { return less(&l.items[i], &l.items[j]) })
	}
	if l.detail != "" {
		found := false
		for _, s := range l.items {
			if s.Key() == l.detail {
				l.items, found = []view.Service{s}, true
				break
			}
		}
		if !found {
			l.detail = ""
		}
	}
	if topK > 0 && len(l.items) > topK {
		l.hidden += len(l.items) - topK
		l.items = l.items[:topK]
	}
	l.sel = clamp(l.sel, 0, len(l.items)-1)
	if l.selKey != "" {
		for i, s := range l.items {
			if s.Key() == l.selKey {
				l.sel = i
				break
			}
		}
	}
	if len(l.items) > 0 {
		l.selKey = l.items[l.sel].Key()
	}
}

// clamp returns v limited to lo..hi, or lo when the range is empty.
func clamp(v, lo, hi int) int {
	if hi < lo {
		return lo
	}
	return min(max(v, lo), hi)
}

// Name is s's row name (Label) fitted to w cells: where that is too long,
// the service's name is cut before the operation and the host are, so that
// rows of one model, or of one service on several hosts, stay told apart.
func Name(s view.Service, multi bool, w int) string {
	full := Label(s, multi)
	if ansi.StringWidth(full) <= w {
		return styles.Fit(full, w)
	}
	var tail string
	if s.Operation != "" {
		tail = " · " + sources.Sanitize(s.Operation)
	}
	if multi && s.Host != "" {
		tail += "@" + sources.Sanitize(s.Host)
	}
	if room := w - ansi.StringWidth(tail); tail != "" && room >= 4 {
		return styles.Fit(sources.Sanitize(s.Name), room) + tail
	}
	return styles.Fit(full, w)
}
