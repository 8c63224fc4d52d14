// Package help is the `?` overlay: the focused pane's keys first, then the
// effective global key map (with the user's remappings applied). Its Model
// owns its keys (scrolling, closing) and prepares its view in Update; Render
// is the pure drawing underneath.
package help

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/tui/keys"
	"github.com/vigil-dev/vigil/tui/styles"
)

// KeyMap is how the overlay scrolls. Closing is the global map's business:
// the keys bound to help, back and quit close it.
type KeyMap struct {
	Down, Up, PageDown, PageUp, Top, Bottom key.Binding
}

// DefaultKeyMap returns the scrolling keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Down:     key.NewBinding(key.WithKeys("j", "down")),
		Up:       key.NewBinding(key.WithKeys("k", "up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", " ")),
		PageUp:   key.NewBinding(key.WithKeys("pgup")),
		Top:      key.NewBinding(key.WithKeys("g", "home")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end")),
	}
}

// Model is the overlay: open or not, its content, and how far it scrolled.
type Model struct {
	keys   KeyMap
	open   bool
	offset int
	w, h   int
	title  string
	pane   []key.Binding
	global []keys.Entry
	out    string
	last   int // the largest offset at the current size (from the last render)
}

// New returns a closed overlay.
func New() Model { return Model{keys: DefaultKeyMap()} }

// Open shows the overlay from its top.
func (m *Model) Open() { m.open, m.offset = true, 0; m.render() }

// Close hides it.
func (m *Model) Close() { m.open = false }

// Active reports whether the overlay is shown.
func (m Model) Active() bool { return m.open }

// SetContent sets what the overlay lists: the focused pane's title and
// keys, and the global entries.
func (m *Model) SetContent(paneTitle string, paneKeys []key.Binding, global []keys.Entry) {
	m.title, m.pane, m.global = paneTitle, paneKeys, global
	m.render()
}

// SetSize gives the overlay the area it may use; the box takes what its
// entries need of it.
func (m *Model) SetSize(w, h int) {
	if w == m.w && h == m.h {
		return
	}
	m.w, m.h = max(w, 0), max(h, 0)
	m.render()
}

// Update handles a message while the overlay is open: the global map's
// help, back and quit keys close it, its own keys scroll it, the wheel
// scrolls it. Every key is used: nothing under the overlay sees it.
func (m *Model) Update(msg tea.Msg, global keys.Map) {
	if !m.open {
		return
	}
	switch msg := msg.(type) {
	case tea.KeyMsg:
		switch {
		case global.Is(msg, keys.Help), global.Is(msg, keys.Back), global.Is(msg, keys.Quit):
			m.open = false
			return
		case key.Matches(msg, m.keys.Down):
			m.offset++
		case key.Matches(msg, m.keys.Up):
			m.offset--
		case key.Matches(msg, m.keys.PageDown):
			m.offset += 10
		case key.Matches(msg, m.keys.PageUp):
			m.offset -= 10
		case key.Matches(msg, m.keys.Top):
			m.offset = 0
		case key.Matches(msg, m.keys.Bottom):
			m.offset = m.last
		default:
			return
		}
	case tea.MouseMsg:
		switch msg.Button {
		case tea.MouseButtonWheelDown:
			m.offset++
		case tea.MouseButtonWheelUp:
			m.offset--
		default:
			return
		}
	default:
		return
	}
	m.offset = min(max(m.offset, 0), m.last)
	m.render()
}

// View is the prepared box, at most the size given.
func (m Model) View() string { return m.out }

func (m *Model) render() {
	if !m.open {
		return
	}
	m.out, m.last = draw(m.w, m.h, m.offset, m.title+" keys", m.pane, m.global)
}

// Render draws the help as a box of at most w×h cells. Entries flow into as
// many columns as the height needs and the width allows, each column as
// wide as its longest entry; when they do not fit, one column scrolls:
// offset is the first row shown (clamped).
func Render(w, h, offset int, paneTitle string, paneKeys []key.Binding, global []keys.Entry) string {
	out, _ := draw(w, h, offset, paneTitle, paneKeys, global)
	return out
}

type entry struct{ k, d string }

// maxKeyWidth caps the key column: a long remapping list is cut, not the
// descriptions.
const maxKeyWidth = 16

func draw(w, h, offset int, paneTitle string, paneKeys []key.Binding, global []keys.Entry) (string, int) {
	if w < 10 || h < 4 {
		return styles.Block("? help", w, h), 0
	}
	var items []entry
	section := func(title string) { items = append(items, entry{"", title}) }
	section(paneTitle)
	seen := map[string]bool{}
	for _, b := range paneKeys {
		hb := b.Help()
		if !b.Enabled() || hb.Key == "" || seen[hb.Key+hb.Desc] {
			continue
		}
		seen[hb.Key+hb.Desc] = true
		items = append(items, entry{hb.Key, hb.Desc})
	}
	if len(items) == 1 {
		items = append(items, entry{"", "(no keys of its own)"})
	}
	items = append(items, entry{"", ""})
	section("Global")
	for _, e := range global {
		items = append(items, entry{e.Keys, e.Desc})
	}
	inner := h - 2
	kw, dw, tw := 0, 0, 0
	for _, it := range items {
		if it.k != "" {
			kw = max(kw, styles.Width(it.k))
			dw = max(dw, styles.Width(it.d))
		} else {
			tw = max(tw, styles.Width(it.d))
		}
	}
	kw = min(kw, maxKeyWidth)
	colW := max(kw+2+dw, tw) + 2
	room := w - 2
	// The fewest columns that fit the height, as many as the width takes.
	ncol := 1
	for (len(items)+ncol-1)/ncol > inner && (ncol+1)*colW <= room {
		ncol++
	}
	need := (len(items) + ncol - 1) / ncol
	cut := false
	if need > inner {
		// Too many for the columns: one column that scrolls.
		ncol, need, cut = 1, len(items), true
	}
	colW = min(colW, room)
	rows := make([]string, need)
	for i, it := range items {
		c, r := i/need, i%need
		if c >= ncol {
			break
		}
		var cell string
		switch {
		case it.k == "" && it.d != "":
			cell = styles.PTitle.Paint(styles.Trunc(it.d, colW))
		case it.k == "":
			cell = ""
		default:
			cell = styles.PFocus.Paint(styles.Fit(it.k, kw)) + "  " + styles.PDim.Paint(styles.Trunc(it.d, colW-kw-2))
		}
		rows[r] += styles.Fit(cell, colW)
	}
	note := "esc close"
	last := 0
	if cut {
		last = need - inner
		offset = min(max(offset, 0), last)
		rows = rows[offset : offset+inner]
		note = "j/k scroll " + strconv.Itoa(offset+1) + "–" + strconv.Itoa(offset+inner) + "/" + strconv.Itoa(need) + " · esc close"
	}
	bw := min(w, ncol*colW+2)
	bw = max(bw, min(w, styles.Width(note)+6))
	return styles.Box("Help", note, strings.Join(rows, "\n"), bw, min(h, len(rows)+2), true), last
}
