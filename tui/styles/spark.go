package styles

import (
	"math"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// Spark renders values as a one-row sparkline of exactly len(values) cells,
// scaled to [0, top] (top ≤ 0 means the largest value). NaN cells (no data)
// are drawn as a dim "·" so a gap never reads as zero. mark, when in range,
// is the index of the time cursor's cell, drawn reversed.
func Spark(values []float64, top float64, mark int, st func(v float64) int) string {
	if top <= 0 {
		for _, v := range values {
			if !math.IsNaN(v) && v > top {
				top = v
			}
		}
	}
	var b strings.Builder
	b.Grow(len(values) * 4)
	run := []rune{}
	runLevel := -1
	flush := func() {
		if len(run) == 0 {
			return
		}
		s := string(run)
		switch runLevel {
		case -2:
			b.WriteString(PDim.Paint(s))
		case -3:
			b.WriteString(Mark(s))
		default:
			b.WriteString(PaintLevel(runLevel, s))
		}
		run = run[:0]
	}
	for i, v := range values {
		var r rune
		lvl := LevelOK
		if math.IsNaN(v) {
			r, lvl = '·', -2
		} else {
			idx := 0
			if top > 0 {
				idx = int(math.Round(v / top * float64(len(sparkRunes)-1)))
			}
			idx = min(max(idx, 0), len(sparkRunes)-1)
			r = sparkRunes[idx]
			if st != nil {
				lvl = st(v)
			} else {
				lvl = LevelNone
			}
		}
		if i == mark {
			lvl = -3
		}
		if lvl != runLevel {
			flush()
			runLevel = lvl
		}
		run = append(run, r)
	}
	flush()
	return b.String()
}

var eighths = []rune(" ▁▂▃▄▅▆▇█")

// Chart renders values as a block chart h rows high and len(values) wide,
// scaled to [0, top] (top ≤ 0: the largest value). NaN columns are left
// blank with a dim "·" on the baseline. mark highlights one column (the time
// cursor). The result has h lines, top first.
func Chart(values []float64, top float64, h int, mark int, style func(v float64) int) []string {
	if h <= 0 {
		return nil
	}
	if top <= 0 {
		for _, v := range values {
			if !math.IsNaN(v) && v > top {
				top = v
			}
		}
	}
	lines := make([]string, h)
	for r := 0; r < h; r++ {
		var b strings.Builder
		level := h - 1 - r // rows below this one
		for i, v := range values {
			var ch rune
			lvl := LevelAccent
			if math.IsNaN(v) {
				ch = ' '
				if r == h-1 {
					ch = '·'
				}
				lvl = -2
			} else {
				fill := 0.0
				if top > 0 {
					fill = v / top * float64(h)
				}
				part := fill - float64(level)
				switch {
				case part >= 1:
					ch = '█'
				case part <= 0:
					ch = ' '
					if r == h-1 {
						ch = '▁'
					}
				default:
					ch = eighths[max(1, int(math.Round(part*8)))]
				}
				if style != nil {
					lvl = style(v)
				}
			}
			s := string(ch)
			switch {
			case i == mark:
				b.WriteString(Mark(s))
			case lvl == -2:
				b.WriteString(PDim.Paint(s))
			case ch == ' ':
				b.WriteByte(' ')
			default:
				b.WriteString(PaintLevel(lvl, s))
			}
		}
		lines[r] = b.String()
	}
	return lines
}

// Mark draws the time cursor over a cell: reversed where the terminal shows
// attributes, else (NO_COLOR, ASCII profile) a heavy bar in place of the glyph.
func Mark(s string) string {
	if lipgloss.ColorProfile() == termenv.Ascii {
		return strings.Repeat("┃", max(1, len([]rune(s))))
	}
	return PReverse.Paint(s)
}
