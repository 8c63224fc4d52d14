package styles

import (
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/NimbleMarkets/ntcharts/canvas/runes"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"
)

// ChartGutter is the number of cells left of a LineChart's plot: the Y axis
// labels (ChartLabelWidth cells) and the axis line. A chart w cells wide has
// w-ChartGutter plot columns, one per value.
const ChartGutter = ChartLabelWidth + 1

// ChartLabelWidth is the width in cells of a LineChart's Y axis labels (and
// of the band row's label); longer labels are cut.
const ChartLabelWidth = 6

// minPlotRows is the least plot height (rows above the X axis) worth axes;
// below it LineChart falls back to one-row sparklines.
const minPlotRows = 2

// Series colours: hues apart from the severity colours, so a line never
// reads as an alert. lipgloss degrades them to 16 colours (blue, magenta,
// yellow); 8-colour terminals get blue, magenta and yellow, and NO_COLOR
// none (UseTerminal).
var (
	ColorSeries1, ColorSeries2, ColorSeries3 lipgloss.TerminalColor

	PSeries1 = paletteOf(&series1)
	PSeries2 = paletteOf(&series2)
	PSeries3 = paletteOf(&series3)
)

// LineSeries is one line of a LineChart.
type LineSeries struct {
	// Name is the series' short name (shown in the sparkline fallback).
	Name string
	// Values are one per plot column, oldest first, in the chart's unit.
	// NaN is no data: the line breaks there and the columns stay blank.
	Values []float64
	// Paint colours the line; nil is PSeries1.
	Paint *Painter
}

// ChartOpts are a LineChart's options.
type ChartOpts struct {
	// Top is the least top of the Y axis, in the values' unit (the axis
	// always starts at 0). Data above it raise the top to a round ceiling
	// whose labelled quarters or halves are round too (3, not 2.5); Top ≤ 0
	// means the data alone decide (a top of 1 when every value is 0).
	Top float64
	// YLabel formats an axis value in human units (SecondsAxis, Percent);
	// nil is SI. Labels should be ASCII and at most ChartLabelWidth cells.
	YLabel func(v float64) string
	// XLabel, when set, labels the X axis: it returns the text for the left
	// edge of plot column col (0 ≤ col ≤ plot width; plot width is the right
	// edge). LineChart places it at the start, the end and, room allowing,
	// the middle.
	XLabel func(col int) string
	// Mark is the plot column of the time cursor, drawn as a marker through
	// the plot's rows; -1 (or out of range) for none.
	Mark int
	// Band is an optional pre-rendered row, one cell per plot column
	// (alert bands), drawn under the X axis and aligned with the plot;
	// BandLabel names it in the gutter.
	Band, BandLabel string
}

// What drew a cell of a chart's grid: nothing, the axes, a label, or
// series k (tagSeries+k), so that LineChart paints cells with the
// console's painters.
const (
	tagNone uint16 = iota
	tagAxis
	tagLabel
	tagSeries
)

// LineChart draws series as braille line charts overlaid on one chart: a Y axis from 0 to the top with labels in human units, an X
// axis, optional X labels and an optional band row. It returns h lines of
// exactly w cells (nil when either is ≤ 0), top first; rows the axis'
// divisions cannot use (at most 3) are blank headroom above the chart.
// Series are drawn in order (later ones on top where they share a cell). A
// line joins two consecutive columns only when both have data; a sample
// with no neighbour is a dot, so a gap stays a gap. Without room for axes
// (fewer than ChartGutter+4 columns or 2 plot rows) it falls back to one
// Spark row per series, last series first, as many as fit.
//
// The axes, labels and braille cells are laid out on a grid of runes, each
// with what drew it (the layout ntcharts' linechart gives these axes and
// labels; its canvas, half a KiB a cell, cost more to fill and read than
// the drawing itself); the cells are then painted with the console's
// Painters, so the colour profile (NO_COLOR: no escapes at all) applies
// as everywhere else. Pure: same input, same output, safe for concurrent
// use.
func LineChart(w, h int, series []LineSeries, opts ChartOpts) []string {
	if w <= 0 || h <= 0 {
		return nil
	}
	n := w - ChartGutter
	gh, head, band, xl := chartLayout(h, opts)
	if n < 4 || gh < minPlotRows {
		return sparkFallback(w, h, series, opts)
	}
	div := yDivisions(gh)
	top, has := chartTop(series, n, opts.Top, div)
	yfmt := opts.YLabel
	if yfmt == nil {
		yfmt = SI
	}
	ylabels := yTicks(gh, div, top, has, yfmt)
	xlabels := xTicks(n, opts.XLabel, xl)

	// The grid: gh plot rows, the X axis and the X labels' row; the axis'
	// corner is at (ChartLabelWidth, gh), the plot right of it.
	g := getGrid(w, gh+2, n, gh)
	defer putGrid(g)
	plotX := ChartGutter
	g.axes(ylabels, xlabels)

	for si, s := range series {
		vals := lastN(s.Values, n)
		off := n - len(vals) // fewer values than columns: right-aligned
		// Row r spans values top·(1-(r+1)/gh) to top·(1-r/gh): a value on a
		// label's figure lights the top dot of the label's row.
		dy := float64(4 * gh)
		yOf := func(v float64) int {
			v = min(max(v, 0), top)
			return min(int(math.Floor((1-v/top)*dy)), 4*gh-1)
		}
		for i, v := range vals {
			if !finite(v) {
				continue
			}
			x := 2*(off+i) + 1 // the column's right dot: its end time
			p := point{X: x, Y: yOf(v)}
			prev := i > 0 && finite(vals[i-1])
			next := i+1 < len(vals) && finite(vals[i+1])
			if next {
				g.line(p, point{X: x + 2, Y: yOf(vals[i+1])})
			} else if !prev {
				// A lone sample: both dots of its cell.
				g.dot(p)
				g.dot(point{X: x - 1, Y: p.Y})
			}
		}
		// Each cell's dots join what earlier series drew there; the cell
		// is the last series'.
		tag := tagSeries + uint16(min(si, math.MaxUint16-int(tagSeries)))
		for _, k := range g.touched {
			j := k/n*w + plotX + k%n
			g.runes[j] = runes.CombineBraillePatterns(g.runes[j], g.cells[k]) // a blank cell (0) takes the pattern
			g.tags[j] = tag
			g.cells[k] = 0
		}
		g.touched = g.touched[:0]
	}
	if !has {
		msg := "no data"
		if len(msg) <= n {
			x0, y0 := (n-len(msg))/2, (gh-1)/2
			g.text(plotX+x0, y0, msg)
		}
	}

	out := make([]string, 0, h)
	for range head {
		out = append(out, Pad(w))
	}
	// Escape codes of each painter, looked up once per chart; cells are
	// streamed into the line with a code only where the painter changes.
	codes := map[*Painter][2]string{}
	codeOf := func(p *Painter) [2]string {
		if p == nil {
			return [2]string{}
		}
		c, ok := codes[p]
		if !ok {
			s := p.Paint("x")
			i := strings.IndexByte(s, 'x')
			c = [2]string{s[:i], s[i+1:]}
			codes[p] = c
		}
		return c
	}
	asciiMark := lipgloss.ColorProfile() == termenv.Ascii
	var b strings.Builder
	for y := 0; y < gh+2; y++ {
		if y == gh+1 && !xl {
			break
		}
		b.Reset()
		b.Grow(w * 4)
		var cur *Painter // the painter whose codes are open
		set := func(p *Painter) {
			if p == cur {
				return
			}
			b.WriteString(codeOf(cur)[1])
			b.WriteString(codeOf(p)[0])
			cur = p
		}
		for x := 0; x < w; x++ {
			mark := y < gh && opts.Mark >= 0 && opts.Mark < n && x == plotX+opts.Mark
			r := g.runes[y*w+x]
			var p *Painter
			switch tag := g.tags[y*w+x]; {
			case r == 0 || r == ' ':
				r = ' '
			case tag == tagAxis:
				p = PBorder
			case tag == tagLabel:
				p = PDim
			case tag >= tagSeries:
				if k := int(tag - tagSeries); k < len(series) {
					p = series[k].Paint
				}
				if p == nil {
					p = PSeries1
				}
			}
			switch {
			case mark && asciiMark:
				set(nil)
				b.WriteRune('┃')
			case mark:
				set(PReverse)
				b.WriteRune(r)
			default:
				set(p)
				b.WriteRune(r)
			}
		}
		set(nil)
		out = append(out, b.String())
		if y == gh && band {
			out = append(out, PDim.Paint(Fit(opts.BandLabel, ChartLabelWidth))+" "+Fit(opts.Band, n))
		}
	}
	return out
}

// chartGrid is a chart's cells as LineChart draws them: a rune and what
// drew it per cell, w×h row-major (0: blank), and one series' braille
// cells, n×gh for the n×gh plot, with the ones set.
type chartGrid struct {
	w, h    int
	runes   []rune
	tags    []uint16
	n, gh   int
	cells   []rune
	touched []int
}

// axes draws the Y axis in column ChartLabelWidth down to the X axis' row
// gh (= h-2), the X axis right of their corner, the Y labels left of the
// axis (ylabels[i] on row gh-i) and the X labels on the row below it
// (xlabels[i] from column ChartLabelWidth+i): where ntcharts' linechart
// puts them. A label is drawn only where it differs from the one drawn
// before it, an X label only where it fits the width and the cell left of
// it is blank (it does not run into the previous label).
func (g *chartGrid) axes(ylabels, xlabels []string) {
	ox, oy := ChartLabelWidth, g.h-2
	for y := 0; y < oy; y++ {
		g.set(ox, y, '│', tagAxis)
	}
	g.set(ox, oy, '└', tagAxis)
	for x := ox + 1; x < g.w; x++ {
		g.set(x, oy, '─', tagAxis)
	}
	last := ""
	for i := 0; i <= oy && i < len(ylabels); i++ {
		if s := ylabels[i]; s != last {
			g.text(ox-len(s), oy-i, s)
			last = s
		}
	}
	last = ""
	for i := 0; i < g.w-ox-1 && i < len(xlabels); i++ {
		x := ox + i
		if x > 0 && g.runes[(oy+1)*g.w+x-1] != 0 {
			continue
		}
		if s := xlabels[i]; s != last && len(s)+x <= g.w {
			g.text(x, oy+1, s)
			last = s
		}
	}
}

func (g *chartGrid) set(x, y int, r rune, tag uint16) {
	if x >= 0 && x < g.w && y >= 0 && y < g.h {
		g.runes[y*g.w+x], g.tags[y*g.w+x] = r, tag
	}
}

// text puts s's runes from (x, y) on, one cell each, as a label.
func (g *chartGrid) text(x, y int, s string) {
	for _, r := range s {
		g.set(x, y, r, tagLabel)
		x++
	}
}

// point is a dot of the plot's braille grid: column X, row Y from the top.
type point struct{ X, Y int }

// brailleBits are the braille pattern bits by dot column and row, as
// ntcharts' runes package numbers a cell's dots (0-2 and 6 down the left
// column, 3-5 and 7 down the right).
var brailleBits = func() (b [2][4]rune) {
	dots := [2][4]int{{0, 1, 2, 6}, {3, 4, 5, 7}}
	for x := range dots {
		for y, d := range dots[x] {
			var p runes.PatternDots
			p[d] = true
			b[x][y] = runes.BraillePatternFromPatternDots(p) - runes.BrailleBlockOffset
		}
	}
	return b
}()

// brailleBlank is the empty braille pattern, U+2800.
const brailleBlank = runes.BrailleBlockOffset

// dot sets the braille dot at (x, y) of the plot's 2n×4gh dot grid.
func (g *chartGrid) dot(p point) {
	if p.X < 0 || p.Y < 0 || p.X >= 2*g.n || p.Y >= 4*g.gh {
		return
	}
	k := p.Y/4*g.n + p.X/2
	if g.cells[k] == 0 {
		g.cells[k] = brailleBlank
		g.touched = append(g.touched, k)
	}
	g.cells[k] |= brailleBits[p.X%2][p.Y%4]
}

// line sets the dots of the line from a to b, by Bresenham's algorithm:
// one dot per column where the line is flatter than 45°, else one per row.
func (g *chartGrid) line(a, b point) {
	dx, dy := abs(b.X-a.X), abs(b.Y-a.Y)
	if dy < dx {
		if a.X > b.X {
			a, b = b, a
		}
		step := 1
		if b.Y < a.Y {
			step = -1
		}
		d, y := 2*dy-dx, a.Y
		for x := a.X; x <= b.X; x++ {
			g.dot(point{X: x, Y: y})
			if d > 0 {
				y += step
				d -= 2 * dx
			}
			d += 2 * dy
		}
		return
	}
	if a.Y > b.Y {
		a, b = b, a
	}
	step := 1
	if b.X < a.X {
		step = -1
	}
	d, x := 2*dx-dy, a.X
	for y := a.Y; y <= b.Y; y++ {
		g.dot(point{X: x, Y: y})
		if d > 0 {
			x += step
			d -= 2 * dy
		}
		d += 2 * dx
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

var grids sync.Pool

// getGrid returns a blank grid of w×h cells for an n×gh plot.
func getGrid(w, h, n, gh int) *chartGrid {
	g, _ := grids.Get().(*chartGrid)
	if g == nil {
		g = &chartGrid{}
	}
	g.w, g.h, g.n, g.gh = w, h, n, gh
	if cap(g.runes) < w*h {
		g.runes, g.tags = make([]rune, w*h), make([]uint16, w*h)
	}
	g.runes, g.tags = g.runes[:w*h], g.tags[:w*h]
	if cap(g.cells) < n*gh {
		g.cells = make([]rune, n*gh)
	}
	g.cells = g.cells[:n*gh]
	return g
}

// putGrid blanks g and keeps it for the next chart.
func putGrid(g *chartGrid) {
	clear(g.runes)
	clear(g.tags)
	g.touched = g.touched[:0]
	grids.Put(g)
}

// SecondsAxis formats an axis value in seconds like Seconds, in ASCII (a
// value under a millisecond reads as a fraction of a ms) so every label
// fits ChartLabelWidth.
func SecondsAxis(v float64) string {
	s := Seconds(v)
	if a := math.Abs(v); a > 0 && a < 1e-3 {
		s = trim(v*1e3, 2) + "ms"
	}
	return trimZeros(s)
}

// PercentAxis formats a ratio 0..1 as an axis percentage in at most six
// cells, without trailing zeros: "2%", "0.625%", "2.25%", "12.5%", "100%".
func PercentAxis(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return NA
	}
	p := r * 100
	prec := 2
	if math.Abs(p) < 1 {
		prec = 3
	} else if math.Abs(p) >= 100 {
		prec = 0
	} else if math.Abs(p) >= 10 {
		prec = 1
	}
	return trimZeros(trim(p, prec) + "%")
}

// trimZeros drops trailing fractional zeros from a figure with a unit
// suffix: "2.00s" → "2s", "1.50s" → "1.5s"; "3m05s" stays.
func trimZeros(s string) string {
	dot := strings.IndexByte(s, '.')
	if dot < 0 {
		return s
	}
	end := dot + 1
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	num := strings.TrimRight(s[:end], "0")
	num = strings.TrimSuffix(num, ".")
	return num + s[end:]
}

// sparkFallback is LineChart without room for axes: a one-row Spark per
// series, each labelled in the gutter, last series first (the one drawn on
// top is the one that matters most), as many as fit.
func sparkFallback(w, h int, series []LineSeries, opts ChartOpts) []string {
	n := w - ChartGutter
	top, _ := chartTop(series, max(n, 0), opts.Top, 1)
	out := make([]string, 0, h)
	for i := len(series) - 1; i >= 0; i-- {
		s := series[i]
		if len(out) >= h {
			break
		}
		line := PDim.Paint(Fit(s.Name, ChartLabelWidth)) + " "
		if n > 0 {
			vals := lastN(s.Values, n)
			line += Pad(n-len(vals)) + Spark(vals, top, opts.Mark-(n-len(vals)), accentLevel)
		}
		out = append(out, Fit(line, w))
	}
	for len(out) < h {
		out = append(out, Pad(w))
	}
	return out
}

func accentLevel(float64) int { return LevelAccent }

// chartTop is the Y axis top: at least least, raised to a nice ceiling of
// the data that divides into div round parts; has reports whether any value
// is present.
func chartTop(series []LineSeries, n int, least float64, div int) (top float64, has bool) {
	hi := math.Inf(-1)
	for _, s := range series {
		for _, v := range lastN(s.Values, n) {
			if finite(v) {
				has = true
				hi = max(hi, v)
			}
		}
	}
	top = least
	if has && hi > top {
		top = niceCeil(hi, niceSteps(div))
	}
	if !(top > 0) || math.IsInf(top, 0) {
		top = 1
	}
	return top, has
}

// niceSteps are the mantissas of axis tops whose div parts read as round
// figures (quarters of 3 are 0.75, of 2.5 would be 0.625).
func niceSteps(div int) []float64 {
	switch div {
	case 4:
		return []float64{1, 2, 3, 4, 6, 8, 10}
	case 2:
		return []float64{1, 1.5, 2, 3, 4, 5, 6, 8, 10}
	}
	return []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10}
}

// NiceCeil returns the least of 1, 1.5, 2, 2.5, 3, 4, 5, 6 and 8 times a
// power of ten that is ≥ v (v > 0), so an axis topped there reads as a
// round figure and the line uses most of the height; 1 for v ≤ 0 or not
// finite.
func NiceCeil(v float64) float64 { return niceCeil(v, niceSteps(1)) }

func niceCeil(v float64, steps []float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range steps {
		if c := m * p; c >= v*(1-1e-12) {
			return c
		}
	}
	return 10 * p
}

// chartLayout splits h rows into plot rows (gh, below minPlotRows when
// there is no room for axes), blank headroom and whether the band and X
// label rows fit. The plot's height is a multiple of the Y axis' divisions
// (quarters, halves), so every label sits exactly on the top edge of its
// row; the rows left over are the headroom.
func chartLayout(h int, opts ChartOpts) (gh, head int, band, xl bool) {
	band, xl = opts.Band != "", opts.XLabel != nil
	rows := func() int { return h - 1 - b2i(band) - b2i(xl) }
	if rows() < minPlotRows && xl {
		xl = false
	}
	if rows() < minPlotRows && band {
		band = false
	}
	gh = rows()
	if gh < minPlotRows {
		return gh, 0, band, xl
	}
	head = gh % yDivisions(gh)
	return gh - head, head, band, xl
}

// LineChartHeadroom is how many of h rows LineChart would leave blank
// above a chart with opts (so a caller stacking charts can hand them to
// another).
func LineChartHeadroom(h int, opts ChartOpts) int {
	_, head, _, _ := chartLayout(h, opts)
	return head
}

// yDivisions is how many parts the Y axis labels divide a plot of gh rows
// into: quarters from 8 rows, halves from 4, else only the top.
func yDivisions(gh int) int {
	switch {
	case gh >= 8:
		return 4
	case gh >= 4:
		return 2
	}
	return 1
}

// yTicks returns the Y label per label index i (0: the X axis' row,
// gh: the top row), each exactly ChartLabelWidth bytes: the axis divided
// into div parts (gh a multiple of div), each label on the top edge of the
// row it names, and 0 on the X axis.
func yTicks(gh, div int, top float64, has bool, f func(float64) string) []string {
	blank := Pad(ChartLabelWidth)
	out := make([]string, gh+1)
	for i := range out {
		out[i] = blank
	}
	if !has {
		return out
	}
	for k := div; k >= 1; k-- {
		out[gh*k/div] = axisLabel(f(top * float64(k) / float64(div)))
	}
	out[0] = axisLabel(f(0))
	return out
}

// axisLabel right-aligns an ASCII label in ChartLabelWidth bytes (the
// grid places labels by byte length, as ntcharts did).
func axisLabel(s string) string {
	s = strings.ReplaceAll(s, "µ", "u")
	if len(s) > ChartLabelWidth || !isASCII(s) {
		s = Fit(s, ChartLabelWidth)
		if !isASCII(s) {
			return Pad(ChartLabelWidth)
		}
	}
	return Pad(ChartLabelWidth-len(s)) + s
}

// xTicks returns the X label per label index (index i starts at plot
// column i-1: the labels count from the axis' corner): XLabel(0) at the
// first plot column, XLabel(n) ending at the last and XLabel(n/2) centred
// when there is room, "" elsewhere.
func xTicks(n int, f func(int) string, on bool) []string {
	out := make([]string, n)
	if !on || f == nil || n < 2 {
		return out
	}
	at := func(col int, s string) { out[col+1] = s }
	left, right := f(0), f(n)
	if !isASCII(left) || !isASCII(right) || len(right) < 2 || len(right) > n {
		return out
	}
	if len(left)+1+len(right) > n || left == "" {
		at(n-len(right), right)
		return out
	}
	at(0, left)
	at(n-len(right), right)
	mid := f(n / 2)
	c := n/2 - len(mid)/2
	if mid != "" && isASCII(mid) && c >= len(left)+3 && c+len(mid)+3 <= n-len(right) {
		at(c, mid)
	}
	return out
}

func lastN(v []float64, n int) []float64 {
	if len(v) > n {
		return v[len(v)-n:]
	}
	return v
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func isASCII(s string) bool { return utf8.RuneCountInString(s) == len(s) }

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
