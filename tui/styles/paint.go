package styles

import (
	"strings"
	"sync"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// Painter applies a simple style (colours and attributes, no padding or
// width) by wrapping text in the escape sequences lipgloss would emit,
// computed once per colour profile. It is many times cheaper than
// lipgloss.Style.Render in the sparkline and heat-cell loops.
type Painter struct {
	st   lipgloss.Style
	src  *lipgloss.Style // a palette style, read when the palette changes
	mu   sync.Mutex
	ok   bool
	prof termenv.Profile
	dark bool
	gen  uint64
	pre  string
	suf  string
}

// NewPainter returns a painter for st.
func NewPainter(st lipgloss.Style) *Painter { return &Painter{st: st} }

// paletteOf paints with the palette's style *src, whichever palette is in force.
func paletteOf(src *lipgloss.Style) *Painter { return &Painter{src: src} }

// Paint returns s in the painter's style.
func (p *Painter) Paint(s string) string {
	if s == "" {
		return ""
	}
	prof, dark, gen := lipgloss.ColorProfile(), lipgloss.HasDarkBackground(), paletteGen.Load()
	p.mu.Lock()
	if !p.ok || p.prof != prof || p.dark != dark || p.gen != gen {
		st := p.st
		if p.src != nil {
			st = *p.src
		}
		r := st.Render("\x01")
		i := strings.IndexByte(r, '\x01')
		if i < 0 {
			p.pre, p.suf = "", ""
		} else {
			p.pre, p.suf = r[:i], r[i+1:]
		}
		p.ok, p.prof, p.dark, p.gen = true, prof, dark, gen
	}
	pre, suf := p.pre, p.suf
	p.mu.Unlock()
	if pre == "" && suf == "" {
		return s
	}
	return pre + s + suf
}

// Painters of the palette's styles.
var (
	PText    = paletteOf(&Text)
	PDim     = paletteOf(&Dim)
	PBold    = NewPainter(Bold)
	POK      = paletteOf(&OK)
	PWarn    = paletteOf(&Warn)
	PCrit    = paletteOf(&Crit)
	PAccent  = paletteOf(&Accent)
	PFocus   = paletteOf(&Focus)
	PReverse = NewPainter(Reverse)
	PBorder  = paletteOf(&Border)
	PTitle   = paletteOf(&Title)
)

// PaintLevel paints s in the style of a severity level.
func PaintLevel(l int, s string) string {
	switch l {
	case LevelOK:
		return POK.Paint(s)
	case LevelWarn:
		return PWarn.Paint(s)
	case LevelCrit:
		return PCrit.Paint(s)
	case LevelAccent:
		return PAccent.Paint(s)
	}
	return PText.Paint(s)
}
