package styles

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// withProfile pins the colour profile for one test.
func withProfile(t testing.TB, p termenv.Profile) {
	old := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(p)
	t.Cleanup(func() { lipgloss.SetColorProfile(old) })
}

func nan() float64 { return math.NaN() }

func ramp(n int, lo, hi float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = lo + (hi-lo)*float64(i)/float64(max(1, n-1))
	}
	return v
}

// trimHead drops the blank headroom lines above a chart.
func trimHead(lines []string) []string {
	for len(lines) > 0 && strings.TrimSpace(ansi.Strip(lines[0])) == "" {
		lines = lines[1:]
	}
	return lines
}

// plotCols returns, per plot column, whether any plot row draws something
// (plot rows: the first rows, above the X axis line).
func plotCols(t *testing.T, lines []string, plotRows int) []bool {
	t.Helper()
	var used []bool
	for _, l := range lines[:plotRows] {
		r := []rune(ansi.Strip(l))
		if used == nil {
			used = make([]bool, len(r)-ChartGutter)
		}
		if r[ChartGutter-1] != '│' {
			t.Fatalf("no Y axis at column %d: %q", ChartGutter-1, string(r))
		}
		for i, c := range r[ChartGutter:] {
			if c != ' ' {
				used[i] = true
			}
		}
	}
	return used
}

func TestLineChartGapsStayGaps(t *testing.T) {
	withProfile(t, termenv.Ascii)
	v := ramp(40, 0.01, 0.2)
	for i := 10; i < 20; i++ {
		v[i] = nan() // a run of no data
	}
	v[30] = nan()
	v[32] = nan() // 31 is a lone sample between gaps
	lines := LineChart(40+ChartGutter, 10, []LineSeries{{Name: "p99", Values: v}}, ChartOpts{YLabel: SecondsAxis, Mark: -1})
	if len(lines) != 10 {
		t.Fatalf("%d lines, want 10", len(lines))
	}
	plot := trimHead(lines)
	used := plotCols(t, plot, len(plot)-1)
	for i, u := range used {
		want := finite(v[i])
		if u != want {
			t.Errorf("column %d drawn=%v, want %v (value %v)\n%s", i, u, want, v[i], strings.Join(lines, "\n"))
		}
	}
}

func TestLineChartAxisLabelsHumanUnits(t *testing.T) {
	withProfile(t, termenv.Ascii)
	v := ramp(50, 0.1, 1.7) // nice top: 2s
	lines := LineChart(50+ChartGutter, 14, []LineSeries{{Name: "p99", Values: v}}, ChartOpts{YLabel: SecondsAxis, Mark: -1})
	text := ansi.Strip(strings.Join(lines, "\n"))
	for _, want := range []string{"    2s│", "  1.5s│", "    1s│", " 500ms│", "    0s└"} {
		if !strings.Contains(text, want) {
			t.Errorf("missing label %q:\n%s", want, text)
		}
	}
	// Sub-millisecond data: ASCII labels (the chart places them by bytes).
	small := LineChart(30+ChartGutter, 6, []LineSeries{{Name: "p50", Values: ramp(30, 0.0002, 0.0008)}}, ChartOpts{YLabel: SecondsAxis, Mark: -1})
	if got := ansi.Strip(trimHead(small)[0]); !strings.HasPrefix(got, " 0.8ms│") {
		t.Errorf("sub-ms data: top label %q, want 0.8ms", got)
	}
	if got := SecondsAxis(0.0005); got != "0.5ms" || strings.ContainsRune(got, 'µ') {
		t.Errorf("SecondsAxis(0.5ms) = %q", got)
	}
	if got := SecondsAxis(2); got != "2s" {
		t.Errorf("SecondsAxis(2) = %q", got)
	}
	if got := SecondsAxis(125); got != "2m05s" {
		t.Errorf("SecondsAxis(125) = %q", got)
	}
}

func TestLineChartTopAndLeast(t *testing.T) {
	for _, c := range []struct{ in, want float64 }{{0.7, 0.8}, {1, 1}, {1.2, 1.5}, {2.2, 2.5}, {3, 3}, {3.1, 4}, {7, 8}, {8.5, 10}, {29.8, 30}, {0.031, 0.04}, {0, 1}, {nan(), 1}} {
		if got := NiceCeil(c.in); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("NiceCeil(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	// Top is a floor: quiet data keep the given top, loud data raise it.
	if top, _ := chartTop([]LineSeries{{Values: []float64{0.001}}}, 10, 0.02, 1); top != 0.02 {
		t.Errorf("top %v, want the least 0.02", top)
	}
	if top, _ := chartTop([]LineSeries{{Values: []float64{0.35}}}, 10, 0.02, 1); top != 0.4 {
		t.Errorf("top %v, want 0.4", top)
	}
	// In quarters, tops whose quarters are round: 2.4 → 3, not 2.5.
	if top, _ := chartTop([]LineSeries{{Values: []float64{2.4}}}, 10, 0, 4); top != 3 {
		t.Errorf("quartered top %v, want 3", top)
	}
	for _, c := range []struct {
		r    float64
		want string
	}{{0.02, "2%"}, {0.005, "0.5%"}, {0.0225, "2.25%"}, {0.00625, "0.625%"}, {0.125, "12.5%"}, {1, "100%"}, {0, "0%"}} {
		if got := PercentAxis(c.r); got != c.want {
			t.Errorf("PercentAxis(%v) = %q, want %q", c.r, got, c.want)
		}
	}
	if _, has := chartTop([]LineSeries{{Values: []float64{nan(), nan()}}}, 10, 0, 1); has {
		t.Error("all-NaN series reported data")
	}
}

func TestLineChartCursorColumn(t *testing.T) {
	v := ramp(30, 0.1, 0.4)
	opts := ChartOpts{YLabel: SecondsAxis, Mark: 12}
	// No colour: the cursor is a heavy bar through every plot row.
	withProfile(t, termenv.Ascii)
	lines := trimHead(LineChart(30+ChartGutter, 9, []LineSeries{{Name: "p99", Values: v}}, opts))
	if len(lines) != 9 {
		t.Fatalf("9 rows (8 plot rows) should leave no headroom: %d", len(lines))
	}
	for i, l := range lines[:8] {
		if r := []rune(l); r[ChartGutter+12] != '┃' {
			t.Errorf("plot row %d: cursor column is %q: %q", i, r[ChartGutter+12], l)
		}
	}
	if r := []rune(lines[8]); r[ChartGutter+12] != '─' {
		t.Errorf("X axis crossed by the cursor: %q", lines[8])
	}
	// Colour: the column is reversed, and nothing else is.
	withProfile(t, termenv.ANSI256)
	lines = LineChart(30+ChartGutter, 9, []LineSeries{{Name: "p99", Values: v}}, opts)
	rev := PReverse.Paint("x")
	pre := rev[:strings.IndexByte(rev, 'x')]
	for i, l := range lines[:8] {
		if strings.Count(l, pre) != 1 {
			t.Errorf("plot row %d: %d reversed runs, want 1: %q", i, strings.Count(l, pre), l)
		}
		if w := ansi.StringWidth(l); w != 30+ChartGutter {
			t.Errorf("row %d is %d wide", i, w)
		}
	}
	// Off the plot: no marker.
	opts.Mark = 30
	withProfile(t, termenv.Ascii)
	for _, l := range LineChart(30+ChartGutter, 8, []LineSeries{{Name: "p99", Values: v}}, opts) {
		if strings.ContainsRune(l, '┃') {
			t.Errorf("marker drawn for an out-of-range cursor: %q", l)
		}
	}
}

func TestLineChartSmallSizes(t *testing.T) {
	withProfile(t, termenv.ANSI256)
	series := []LineSeries{
		{Name: "p50", Values: ramp(100, 0.01, 0.02), Paint: PSeries1},
		{Name: "p95", Values: []float64{nan(), 0.1}, Paint: PSeries2},
		{Name: "p99", Values: nil, Paint: PSeries3},
	}
	opts := ChartOpts{YLabel: SecondsAxis, Mark: 3, Band: "▀▀", BandLabel: "alerts",
		XLabel: func(col int) string { return "t" + strconv.Itoa(col) }}
	for w := 0; w <= 30; w++ {
		for h := 0; h <= 7; h++ {
			lines := LineChart(w, h, series, opts)
			if w <= 0 || h <= 0 {
				if lines != nil {
					t.Errorf("%dx%d: %d lines, want none", w, h, len(lines))
				}
				continue
			}
			if len(lines) != h {
				t.Errorf("%dx%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if lw := ansi.StringWidth(l); lw != w {
					t.Errorf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
				}
			}
		}
	}
	// One to three rows: sparklines, the last series (drawn on top) first.
	lines := LineChart(40, 2, series, opts)
	if got := ansi.Strip(lines[0]); !strings.HasPrefix(got, "p99") {
		t.Errorf("fallback first row %q, want p99", got)
	}
	if got := ansi.Strip(lines[1]); !strings.HasPrefix(got, "p95") || !strings.Contains(got, "·") {
		t.Errorf("fallback second row %q: want p95 with its gap", got)
	}
}

func TestLineChartBandAndXLabels(t *testing.T) {
	withProfile(t, termenv.Ascii)
	n := 40
	band := strings.Repeat(" ", 20) + strings.Repeat("▀", 20)
	lines := LineChart(n+ChartGutter, 8, []LineSeries{{Name: "p99", Values: ramp(n, 0.1, 0.3)}},
		ChartOpts{YLabel: SecondsAxis, Mark: -1, Band: band, BandLabel: "alerts",
			XLabel: func(col int) string { return "c" + strconv.Itoa(col) + "." }})
	// rows: 5 plot, axis, band, labels
	if got := ansi.Strip(lines[6]); got != "alerts "+band {
		t.Errorf("band row %q", got)
	}
	labels := ansi.Strip(lines[7])
	if !strings.HasPrefix(labels, strings.Repeat(" ", ChartGutter)+"c0.") || !strings.HasSuffix(labels, "c40.") || !strings.Contains(labels, "c20.") {
		t.Errorf("X labels %q: want c0. under the first column, c20. in the middle, c40. ending at the last", labels)
	}
	if !strings.HasPrefix(ansi.Strip(lines[5]), "    0s└─") {
		t.Errorf("axis row %q", lines[5])
	}
}

func TestLineChartNoData(t *testing.T) {
	withProfile(t, termenv.Ascii)
	lines := LineChart(40, 6, []LineSeries{{Name: "p99", Values: []float64{nan(), nan()}}}, ChartOpts{Mark: -1})
	text := strings.Join(lines, "\n")
	if !strings.Contains(text, "no data") || strings.Contains(text, "0s") || strings.Contains(text, "1s") {
		t.Errorf("no data should show no scale:\n%s", text)
	}
}

// TestLineChartNoColour: under NO_COLOR (the Ascii profile) the chart is
// plain text; in 16 colours the series keep distinct colours and only SGR
// sequences appear.
func TestLineChartNoColour(t *testing.T) {
	series := []LineSeries{
		{Name: "p50", Values: ramp(30, 0.01, 0.02), Paint: PSeries1},
		{Name: "p95", Values: ramp(30, 0.05, 0.1), Paint: PSeries2},
		{Name: "p99", Values: ramp(30, 0.2, 0.4), Paint: PSeries3},
	}
	opts := ChartOpts{YLabel: SecondsAxis, Mark: 5, Band: "▀", BandLabel: "alerts"}
	withProfile(t, termenv.Ascii)
	for _, l := range LineChart(37, 8, series, opts) {
		if strings.ContainsRune(l, '\x1b') {
			t.Fatalf("escape under NO_COLOR: %q", l)
		}
	}
	withProfile(t, termenv.ANSI)
	text := strings.Join(LineChart(37, 8, series, opts), "\n")
	seen := map[string]bool{}
	for _, p := range []*Painter{PSeries1, PSeries2, PSeries3} {
		s := p.Paint("x")
		pre := s[:strings.IndexByte(s, 'x')]
		if pre == "" || seen[pre] {
			t.Errorf("series colour %q missing or shared in 16 colours", pre)
		}
		seen[pre] = true
		if !strings.Contains(text, pre) {
			t.Errorf("series colour %q not used", pre)
		}
	}
	for i := 0; i < len(text); i++ {
		if text[i] != 0x1b {
			continue
		}
		j := i + 1
		if j >= len(text) || text[j] != '[' {
			t.Fatalf("non-CSI escape at %d: %q", i, text[i:min(len(text), i+10)])
		}
		for j++; j < len(text) && (text[j] >= '0' && text[j] <= '9' || text[j] == ';'); j++ {
		}
		if j >= len(text) || text[j] != 'm' {
			t.Fatalf("escape other than SGR at %d: %q", i, text[i:min(len(text), j+1)])
		}
	}
}

// TestLineChartDeterministicConcurrent: the pooled canvases never leak a
// drawing into another chart, across goroutines.
func TestLineChartDeterministicConcurrent(t *testing.T) {
	withProfile(t, termenv.Ascii)
	a := []LineSeries{{Name: "a", Values: ramp(50, 0.1, 0.9)}}
	b := []LineSeries{{Name: "b", Values: ramp(50, 0.9, 0.1)}}
	opts := ChartOpts{YLabel: SecondsAxis, Mark: -1}
	wantA := strings.Join(LineChart(57, 10, a, opts), "\n")
	wantB := strings.Join(LineChart(57, 10, b, opts), "\n")
	if wantA == wantB {
		t.Fatal("different data drew the same chart")
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				s, want := a, wantA
				if (g+i)%2 == 1 {
					s, want = b, wantB
				}
				if got := strings.Join(LineChart(57, 10, s, opts), "\n"); got != want {
					errs <- got
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("a chart differs from its first drawing:\n%s", e)
	}
}

func BenchmarkLineChart120x20(b *testing.B) {
	lipgloss.SetColorProfile(termenv.ANSI256)
	b.Cleanup(func() { lipgloss.SetColorProfile(termenv.Ascii) })
	n := 120 - ChartGutter
	series := []LineSeries{
		{Name: "p50", Values: ramp(n, 0.01, 0.02), Paint: PSeries1},
		{Name: "p95", Values: ramp(n, 0.05, 0.3), Paint: PSeries2},
		{Name: "p99", Values: ramp(n, 0.2, 1.4), Paint: PSeries3},
	}
	for i := 0; i < n; i += 9 {
		series[2].Values[i] = nan()
	}
	opts := ChartOpts{YLabel: SecondsAxis, Mark: 40, Band: strings.Repeat("▀", n), BandLabel: "alerts",
		XLabel: func(col int) string { return "12:00:" + strconv.Itoa(10+col%50) }}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = LineChart(120, 20, series, opts)
	}
}

// TestLineChartLabelsOnTheirRows: a value equal to a label's figure lights
// the top dots of the label's row (from its first sample, the right dot of
// the first column), for every plot height.
func TestLineChartLabelsOnTheirRows(t *testing.T) {
	withProfile(t, termenv.Ascii)
	for h := 5; h <= 30; h++ {
		for _, v := range []float64{1, 0.5, 1.5} {
			flat := []float64{v, v, v, v, v, v}
			lines := LineChart(6+ChartGutter, h, []LineSeries{{Name: "x", Values: flat}}, ChartOpts{Top: 2, YLabel: SecondsAxis, Mark: -1})
			label := axisLabel(SecondsAxis(v)) + "│"
			found := false
			for _, l := range lines {
				if strings.HasPrefix(l, label) {
					found = true
					if got := []rune(l)[ChartGutter:]; string(got) != "⠈⠉⠉⠉⠉⠉" {
						t.Errorf("h=%d: %v drawn as %q on its label's row", h, v, string(got))
					}
				}
			}
			if !found && (v == 1 || h >= 11) {
				t.Errorf("h=%d: no %q label:\n%s", h, label, strings.Join(lines, "\n"))
			}
		}
	}
}

func TestLineChartHeadroom(t *testing.T) {
	withProfile(t, termenv.Ascii)
	v := []LineSeries{{Name: "x", Values: ramp(20, 0, 1)}}
	for h := 1; h <= 30; h++ {
		for _, opts := range []ChartOpts{{Mark: -1}, {Mark: -1, Band: "▀", XLabel: func(int) string { return "t" }}} {
			lines := LineChart(20+ChartGutter, h, v, opts)
			blank := len(lines) - len(trimHead(lines))
			if got := LineChartHeadroom(h, opts); got != blank {
				t.Errorf("h=%d: LineChartHeadroom %d, chart has %d blank rows on top", h, got, blank)
			}
		}
	}
}

// TestLineChartReuseLeavesNothing: a pooled grid drawn with labels and
// lines draws a chart without them exactly as a fresh grid does.
func TestLineChartReuseLeavesNothing(t *testing.T) {
	withProfile(t, termenv.Ascii)
	fresh := func() { grids = sync.Pool{} }
	a := []LineSeries{{Name: "a", Values: ramp(30, 0.1, 2.9)}}
	aOpts := ChartOpts{YLabel: SecondsAxis, Mark: 4, Band: "▀▀▀", BandLabel: "alerts", XLabel: func(c int) string { return "t" + strconv.Itoa(c) }}
	b := []LineSeries{{Name: "b", Values: []float64{nan(), nan()}}}
	bOpts := ChartOpts{Mark: -1}
	// One grid size (8 plot rows, the axis, the X labels' row): a with
	// a band and X labels in 11 rows, b with neither in 9.
	fresh()
	want := strings.Join(LineChart(37, 9, b, bOpts), "\n")
	fresh()
	LineChart(37, 11, a, aOpts)
	if got := strings.Join(LineChart(37, 9, b, bOpts), "\n"); got != want {
		t.Errorf("reused grid kept a drawing:\n%s\n--- want ---\n%s", got, want)
	}
}
