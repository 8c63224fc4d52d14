package styles

import "strings"

// Box draws a rounded border of outer size w×h around content, with title
// (and an optional right-hand note) set into the top edge. Content lines are
// padded or truncated to the inner width; missing lines are blank. A box
// smaller than 2×2 is drawn as blank space.
func Box(title, note string, content string, w, h int, focused bool) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	if w < 2 || h < 2 {
		return strings.TrimSuffix(strings.Repeat(spaces(w)+"\n", h), "\n")
	}
	bs := PBorder
	ts := PTitle
	if focused {
		bs = PFocus
		ts = PFocus
	}
	inner := w - 2
	// Focus reads without colour too (NO_COLOR): heavy lines.
	tl, tr, bl, br, hz, vt := "╭", "╮", "╰", "╯", "─", "│"
	if focused {
		tl, tr, bl, br, hz, vt = "┏", "┓", "┗", "┛", "━", "┃"
	}
	var b strings.Builder
	b.Grow(w * h * 2)
	// Top edge: ╭─ Title ───── note ─╮
	t := ""
	if title != "" && inner >= 4 {
		t = " " + Trunc(title, inner-3) + " "
	}
	nt := ""
	if note != "" {
		room := inner - 1 - cellWidth(t) - 3
		if room >= 4 {
			nt = " " + Trunc(note, room) + " "
		}
	}
	fill := inner - 1 - cellWidth(t) - cellWidth(nt)
	if t == "" {
		fill = inner - cellWidth(nt)
	}
	b.WriteString(bs.Paint(tl))
	if t != "" {
		b.WriteString(bs.Paint(hz))
		b.WriteString(ts.Paint(t))
	}
	if nt != "" {
		b.WriteString(bs.Paint(strings.Repeat(hz, max(0, fill-1))))
		b.WriteString(PDim.Paint(nt))
		b.WriteString(bs.Paint(hz + tr))
	} else {
		b.WriteString(bs.Paint(strings.Repeat(hz, max(0, fill)) + tr))
	}
	b.WriteByte('\n')
	lines := strings.Split(content, "\n")
	if content == "" {
		lines = nil
	}
	side := bs.Paint(vt)
	for i := 0; i < h-2; i++ {
		b.WriteString(side)
		if i < len(lines) {
			b.WriteString(Fit(lines[i], inner))
		} else {
			b.WriteString(spaces(inner))
		}
		b.WriteString(side)
		b.WriteByte('\n')
	}
	b.WriteString(bs.Paint(bl + strings.Repeat(hz, inner) + br))
	return b.String()
}

// Block pads or truncates content to exactly w×h cells, line by line.
func Block(content string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.Split(content, "\n")
	var b strings.Builder
	for i := 0; i < h; i++ {
		if i > 0 {
			b.WriteByte('\n')
		}
		if i < len(lines) {
			b.WriteString(Fit(lines[i], w))
		} else {
			b.WriteString(spaces(w))
		}
	}
	return b.String()
}
