// Package help renders the `?` overlay: the focused pane's keys first, then
// the effective global key map (with the user's remappings applied).
package help

import (
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"

	"github.com/vigil-dev/vigil/tui/keys"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Render draws the help as a box of at most w×h cells. Entries flow into as
// many columns as the width allows; when they do not fit, the box scrolls:
// offset is the first row shown (clamped).
func Render(w, h, offset int, paneTitle string, paneKeys []key.Binding, global []keys.Entry) string {
	if w < 10 || h < 4 {
		return styles.Block("? help", w, h)
	}
	type entry struct{ k, d string }
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
	kw := 0
	dw := 0
	for _, it := range items {
		if it.k != "" {
			kw = max(kw, len([]rune(it.k)))
			dw = max(dw, len([]rune(it.d)))
		}
	}
	kw = min(kw, 12)
	colW := kw + 2 + min(dw, 26) + 2
	ncol := max(1, (w-2)/colW)
	need := (len(items) + ncol - 1) / ncol
	cut := false
	if need > inner {
		// Too many for the columns: one column that scrolls.
		ncol = 1
		need = len(items)
		cut = true
	}
	rows := make([]string, need)
	for i, it := range items {
		c, r := i/need, i%need
		if c >= ncol {
			break
		}
		var cell string
		switch {
		case it.k == "" && it.d != "":
			cell = styles.PTitle.Paint(it.d)
		case it.k == "":
			cell = ""
		default:
			cell = styles.PFocus.Paint(styles.Fit(it.k, kw)) + "  " + styles.PDim.Paint(styles.Trunc(it.d, colW-kw-4))
		}
		rows[r] += styles.Fit(cell, colW)
	}
	note := "esc close"
	if cut {
		offset = min(max(offset, 0), need-inner)
		rows = rows[offset : offset+inner]
		note = "j/k scroll " + strconv.Itoa(offset+1) + "–" + strconv.Itoa(offset+inner) + "/" + strconv.Itoa(need) + " · esc close"
	}
	return styles.Box("Help", note, strings.Join(rows, "\n"), w, min(h, len(rows)+2), true)
}
