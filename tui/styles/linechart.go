package styles

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/NimbleMarkets/ntcharts/canvas"
	"github.com/NimbleMarkets/ntcharts/canvas/graph"
	"github.com/NimbleMarkets/ntcharts/canvas/runes"
	"github.com/NimbleMarkets/ntcharts/linechart"
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

// Tags identify what drew a canvas cell (lipgloss.Style.Value), so
// LineChart paints cells with the console's painters instead of lipgloss's
// per-cell rendering; series i is tagged "s<i>".
var (
	tagAxis  = lipgloss.NewStyle().SetString("axis")
	tagLabel = lipgloss.NewStyle().SetString("label")
)

// LineChart draws series as braille line charts overlaid on one ntcharts
// linechart: a Y axis from 0 to the top with labels in human units, an X
// axis, optional X labels and an optional band row. It returns h lines of
// exactly w cells (nil when either is ≤ 0), top first; rows the axis'
// divisions cannot use (at most 3) are blank headroom above the chart.
// Series are drawn in order (later ones on top where they share a cell). A
// line joins two consecutive columns only when both have data; a sample
// with no neighbour is a dot, so a gap stays a gap. Without room for axes
// (fewer than ChartGutter+4 columns or 2 plot rows) it falls back to one
// Spark row per series, last series first, as many as fit.
//
// ntcharts lays out the axes and labels and merges the braille cells; the
// cells are then painted with the console's Painters, so the colour
// profile (NO_COLOR: no escapes at all) applies as everywhere else. Pure:
// same input, same output, safe for concurrent use.
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

	// Canvas: gh plot rows, the X axis and ntcharts' label row. The Y
	// range is left at 0..1: ntcharts only hands it to the label
	// formatters, which ignore it, and the lines are drawn on a braille
	// grid scaled here.
	lc := getChart(w, gh+2)
	defer putChart(lc)
	lc.YLabelFormatter = func(i int, _ float64) string { return ylabels[i] }
	lc.XLabelFormatter = func(i int, _ float64) string { return xlabels[i] }
	lc.UpdateGraphSizes()
	lc.DrawXYAxisAndLabel()
	plotX := lc.Origin().X + 1 // == ChartGutter: every Y label is ChartLabelWidth bytes

	lc.reset(n, gh)
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
			p := canvas.Point{X: x, Y: yOf(v)}
			prev := i > 0 && finite(vals[i-1])
			next := i+1 < len(vals) && finite(vals[i+1])
			if next {
				for _, q := range graph.GetLinePoints(p, canvas.Point{X: x + 2, Y: yOf(vals[i+1])}) {
					lc.dot(q)
				}
			} else if !prev {
				// A lone sample: both dots of its cell.
				lc.dot(p)
				lc.dot(canvas.Point{X: x - 1, Y: p.Y})
			}
		}
		// ntcharts merges each cell's dots with what earlier series drew.
		tag := lipgloss.NewStyle().SetString("s" + strconv.Itoa(si))
		for _, k := range lc.touched {
			graph.DrawBrailleRune(&lc.Canvas, canvas.Point{X: plotX + k%n, Y: k / n}, lc.cells[k], tag)
			lc.cells[k] = 0
			lc.inked[k] = true
		}
		lc.touched = lc.touched[:0]
	}
	if !has {
		msg := "no data"
		if len(msg) <= n {
			x0, y0 := (n-len(msg))/2, (gh-1)/2
			lc.Canvas.SetStringWithStyle(canvas.Point{X: plotX + x0, Y: y0}, msg, tagLabel)
			for i := range msg {
				lc.inked[y0*n+x0+i] = true
			}
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
			pt := canvas.Point{X: x, Y: y}
			mark := y < gh && opts.Mark >= 0 && opts.Mark < n && x == plotX+opts.Mark
			r := ' '
			var p *Painter
			if y >= gh || x < plotX || lc.inked[y*n+x-plotX] {
				// Something may be drawn here (plot cells nothing drew
				// are blank: no need to copy a half-KiB canvas cell).
				c := lc.Canvas.Cell(pt)
				if c.Rune != 0 {
					r = c.Rune
					// The axis lines are redrawn whole on every use; the
					// labels and lines are blanked for the next.
					if x != plotX-1 && y != gh {
						lc.drawn = append(lc.drawn, pt)
					}
				}
				switch tag := c.Style.Value(); {
				case r == ' ':
				case tag == "axis":
					p = PBorder
				case tag == "label":
					p = PDim
				case len(tag) > 1 && tag[0] == 's':
					if k, err := strconv.Atoi(tag[1:]); err == nil && k < len(series) {
						p = series[k].Paint
					}
					if p == nil {
						p = PSeries1
					}
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

// pooledChart is an ntcharts linechart kept for reuse (a canvas of
// lipgloss-styled cells is about half a KiB per cell: allocating one per
// frame costs more than drawing it), with the cells the last use drew.
type pooledChart struct {
	linechart.Model
	drawn []canvas.Point

	// One series' braille cells, n×gh (row-major), and the ones set.
	cells   []rune
	touched []int
	n, gh   int
	// inked marks the plot cells LineChart drew into (all series).
	inked []bool
}

// reset sizes the braille cells for an n×gh plot, all blank.
func (c *pooledChart) reset(n, gh int) {
	if c.n != n || c.gh != gh {
		c.cells, c.inked, c.n, c.gh = make([]rune, n*gh), make([]bool, n*gh), n, gh
	}
}

// brailleBits are the Unicode braille pattern bits by dot column and row.
var brailleBits = [2][4]rune{{0x01, 0x02, 0x04, 0x40}, {0x08, 0x10, 0x20, 0x80}}

// dot sets the braille dot at (x, y) of the plot's 2n×4gh dot grid.
func (c *pooledChart) dot(p canvas.Point) {
	if p.X < 0 || p.Y < 0 || p.X >= 2*c.n || p.Y >= 4*c.gh {
		return
	}
	k := p.Y/4*c.n + p.X/2
	if c.cells[k] == 0 {
		c.cells[k] = runes.BrailleBlockOffset
		c.touched = append(c.touched, k)
	}
	c.cells[k] |= brailleBits[p.X%2][p.Y%4]
}

var chartPool struct {
	sync.Mutex
	free map[[2]int][]*pooledChart
}

// getChart returns a blank w×h linechart with both axes and labels on.
func getChart(w, h int) *pooledChart {
	k := [2]int{w, h}
	chartPool.Lock()
	if l := chartPool.free[k]; len(l) > 0 {
		c := l[len(l)-1]
		chartPool.free[k] = l[:len(l)-1]
		chartPool.Unlock()
		return c
	}
	chartPool.Unlock()
	return &pooledChart{Model: linechart.New(w, h, 0, 1, 0, 1,
		linechart.WithXYSteps(1, 1),
		linechart.WithStyles(tagAxis, tagLabel, tagAxis))}
}

// putChart blanks the cells drawn and keeps the chart: one per size, for a
// few sizes (a 200×45 canvas holds about 5 MB), so a resize does not keep
// old sizes alive for long.
func putChart(c *pooledChart) {
	for _, p := range c.drawn {
		c.Canvas.SetCell(p, canvas.Cell{})
	}
	c.drawn = c.drawn[:0]
	clear(c.inked)
	c.YLabelFormatter, c.XLabelFormatter = nil, nil
	k := [2]int{c.Canvas.Width(), c.Canvas.Height()}
	chartPool.Lock()
	defer chartPool.Unlock()
	if chartPool.free == nil || len(chartPool.free) >= 6 && len(chartPool.free[k]) == 0 {
		chartPool.free = map[[2]int][]*pooledChart{}
	}
	if len(chartPool.free[k]) < 1 {
		chartPool.free[k] = append(chartPool.free[k], c)
	}
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

// yTicks returns ntcharts' Y label per label index i (0: the X axis' row,
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

// axisLabel right-aligns an ASCII label in ChartLabelWidth bytes (ntcharts
// places labels by byte length).
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

// xTicks returns ntcharts' X label per label index (index i starts at
// plot column i-1: ntcharts counts from the axis' corner): XLabel(0) at the
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
