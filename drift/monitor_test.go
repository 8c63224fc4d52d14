package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func testConfig() Config {
	c := DefaultConfig()
	c.Baseline = 5 * time.Minute
	c.Seed = 7
	return c
}

// feedNormal sends perMin values of N(mu, 1) for each minute in [from, to).
func feedNormal(t *testing.T, m *Monitor, rng *rand.Rand, feature string, from, to, perMin int, mu float64) {
	t.Helper()
	for minute := from; minute < to; minute++ {
		for i := range perMin {
			at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(i)*time.Minute/time.Duration(perMin))
			if err := m.ObserveValue(feature, at, mu+rng.NormFloat64()); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func levels(r Row) []Level {
	var l []Level
	for _, c := range r.Cells {
		l = append(l, c.Level)
	}
	return l
}

func TestMonitorNumericPinnedDrift(t *testing.T) {
	m := NewMonitor(testConfig())
	rng := rand.New(rand.NewPCG(1, 2))
	feedNormal(t, m, rng, "latency", 0, 10, 600, 0)
	feedNormal(t, m, rng, "latency", 10, 15, 600, 1)
	m.Advance(t0.Add(15 * time.Minute))

	row, ok := m.Row("latency")
	if !ok {
		t.Fatal("no row")
	}
	if row.Kind != KindNumeric || row.LowCardinality || !row.Reference.Ready || row.Reference.N != 3000 {
		t.Fatalf("row header %+v", row.Reference)
	}
	if !row.Reference.Since.Equal(t0.Add(5 * time.Minute)) {
		t.Errorf("pinned at %v, want %v", row.Reference.Since, t0.Add(5*time.Minute))
	}
	l := levels(row)
	if len(l) != 15 {
		t.Fatalf("%d cells, want 15: %v", len(l), l)
	}
	for i := range 5 {
		if l[i] != LevelBaselining {
			t.Errorf("cell %d = %v, want baselining", i, l[i])
		}
	}
	hot := 0
	for i := 5; i < 10; i++ {
		if l[i].Heat() < 0 {
			t.Errorf("cell %d = %v, want a heat level", i, l[i])
		}
		if l[i].Heat() > 0 {
			hot++
		}
	}
	if hot > 1 {
		t.Errorf("no drift but %d coloured cells: %v", hot, l)
	}
	for i := 10; i < 15; i++ {
		if l[i] != LevelHigh {
			t.Errorf("cell %d = %v, want high (1σ shift)", i, l[i])
		}
		st := row.Cells[i].Stats
		// A 1σ shift: D ≈ 0.38, W1/σ ≈ 1 (docs/drift.md §1).
		if math.Abs(st.D-0.383) > 0.06 || math.Abs(st.W1Norm-1) > 0.15 || st.Q > 0.05 || st.N != 600 {
			t.Errorf("cell %d stats %+v", i, st)
		}
	}
	if !m.LastClosed().Equal(t0.Add(15 * time.Minute)) {
		t.Errorf("LastClosed = %v", m.LastClosed())
	}
	if tail := m.Tail(4); len(tail) != 1 || len(tail[0].Cells) != 4 || !tail[0].Cells[3].Start.Equal(t0.Add(14*time.Minute)) || !tail[0].Alert {
		t.Errorf("Tail(4) = %+v", tail)
	}
	if got := m.Alerting(t0.Add(12 * time.Minute)); len(got) != 0 {
		t.Errorf("alert after two hot cells: %v", got)
	}
	if got := m.Alerting(t0.Add(13 * time.Minute)); !slices.Equal(got, []string{"latency"}) {
		t.Errorf("Alerting after three hot cells = %v", got)
	}
	if !row.Alert {
		t.Error("row.Alert false")
	}

	d, ok := m.Detail("latency", t0.Add(12*time.Minute+30*time.Second))
	if !ok {
		t.Fatal("no detail")
	}
	if !d.Start.Equal(t0.Add(12*time.Minute)) || d.Level != LevelHigh || len(d.Bins) != 10 || len(d.Top) != 3 {
		t.Fatalf("detail %+v", d)
	}
	var rs, cs float64
	for _, b := range d.Bins {
		rs += b.Ref
		cs += b.Cur
	}
	if math.Abs(rs-1) > 1e-9 || math.Abs(cs-1) > 1e-9 {
		t.Errorf("shares sum to %v and %v", rs, cs)
	}
	// The shift moves mass into the top decile, which leads the PSI terms.
	if d.Top[0].Hi != math.Inf(1) || d.Top[0].Cur < 0.3 {
		t.Errorf("top bin %+v", d.Top[0])
	}
	if math.Abs(d.MeanShift-1) > 0.15 || math.Abs(d.Reference.P50) > 0.1 || math.Abs(d.Current.P50-1) > 0.15 {
		t.Errorf("summaries ref %+v cur %+v shift %v", d.Reference, d.Current, d.MeanShift)
	}
	if _, ok := m.Detail("latency", t0.Add(20*time.Minute)); ok {
		t.Error("detail for an open window")
	}

	// Re-pin to the drifted level: later cells are quiet again.
	if err := m.Repin("latency"); err != nil {
		t.Fatal(err)
	}
	feedNormal(t, m, rng, "latency", 15, 20, 600, 1)
	m.Advance(t0.Add(20 * time.Minute))
	row, _ = m.Row("latency")
	l = levels(row)
	if l[15] != LevelHigh {
		t.Errorf("re-pinned window itself = %v, want scored against the old reference", l[15])
	}
	hot = 0
	for _, x := range l[16:] {
		if x.Heat() > 0 {
			hot++
		}
	}
	if hot > 1 || !row.Reference.Since.Equal(t0.Add(16*time.Minute)) || row.Reference.N != 600 {
		t.Errorf("after repin: %v, reference %+v", l[16:], row.Reference)
	}
	if got := m.Alerting(t0.Add(20 * time.Minute)); len(got) != 0 {
		t.Errorf("still alerting after repin: %v", got)
	}
}

func TestMonitorInsufficientLateInvalid(t *testing.T) {
	m := NewMonitor(testConfig())
	rng := rand.New(rand.NewPCG(3, 4))
	if err := m.SetReference("x", normals(rng, 2000, 0)); err != nil {
		t.Fatal(err)
	}
	if r, _ := m.Row("x"); !r.Reference.Ready || !r.Reference.Since.IsZero() || r.Reference.N != 2000 {
		t.Errorf("loaded reference %+v", r.Reference)
	}
	// Minute 0: 10 values → insufficient; minute 1: nothing; minute 2: 100.
	for i := range 10 {
		m.ObserveValue("x", t0.Add(time.Duration(i)*time.Second), rng.NormFloat64())
	}
	m.ObserveValue("x", t0.Add(2*time.Minute), math.NaN())
	m.ObserveValue("x", t0.Add(2*time.Minute), math.Inf(1))
	for i := range 100 {
		m.ObserveValue("x", t0.Add(2*time.Minute+time.Duration(i)*time.Millisecond), rng.NormFloat64())
	}
	m.ObserveValue("x", t0.Add(time.Minute), 1)                  // late
	m.ObserveValue("x", t0.Add(2*time.Minute-10*time.Second), 1) // within Lateness: counted
	m.Advance(t0.Add(3 * time.Minute))
	row, _ := m.Row("x")
	want := []Level{LevelInsufficient, LevelNoData}
	if l := levels(row); len(l) != 3 || l[0] != want[0] || l[1] != want[1] || l[2].Heat() < 0 {
		t.Errorf("levels %v", l)
	}
	if row.Late != 1 || row.Cells[2].Stats.Invalid != 2 || row.Cells[2].Stats.N != 101 {
		t.Errorf("late %d, cell %+v", row.Late, row.Cells[2].Stats)
	}
	if err := m.ObserveCategory("x", t0.Add(3*time.Minute), "a"); err == nil {
		t.Error("kind mismatch not reported")
	}
	if err := m.SetReference("y", []float64{1, 2, 3}); err == nil {
		t.Error("tiny reference accepted")
	}
}

func normals(rng *rand.Rand, n int, mu float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = mu + rng.NormFloat64()
	}
	return v
}

func TestMonitorCategorical(t *testing.T) {
	m := NewMonitor(testConfig())
	rng := rand.New(rand.NewPCG(5, 6))
	pick := func(p []float64, names []string) string {
		u := rng.Float64()
		for i, x := range p {
			if u < x {
				return names[i]
			}
			u -= x
		}
		return names[len(names)-1]
	}
	names := []string{"a", "b", "c", "d"}
	for minute := range 10 {
		p := []float64{0.5, 0.3, 0.2, 0}
		if minute >= 7 {
			p = []float64{0.2, 0.3, 0.3, 0.2}
		}
		for i := range 400 {
			at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(i)*100*time.Millisecond)
			if err := m.ObserveCategory("model", at, pick(p, names)); err != nil {
				t.Fatal(err)
			}
		}
	}
	m.Advance(t0.Add(10 * time.Minute))
	row, _ := m.Row("model")
	l := levels(row)
	if row.Kind != KindCategorical || l[4] != LevelBaselining || l[5].Heat() < 0 {
		t.Fatalf("levels %v", l)
	}
	for i := 7; i < 10; i++ {
		if l[i] != LevelHigh {
			t.Errorf("cell %d = %v, want high", i, l[i])
		}
	}
	d, _ := m.Detail("model", t0.Add(8*time.Minute))
	if len(d.NewCategories) != 1 || d.NewCategories[0].Name != "d" || d.NewCategories[0].Count < 50 {
		t.Errorf("new categories %+v", d.NewCategories)
	}
	if d.Top[0].Label != "a" && d.Top[0].Label != NewCategory {
		t.Errorf("top shift %+v", d.Top)
	}
	if !math.IsNaN(d.Stats.D) || !(d.Stats.JS > 0.2) || d.Stats.Effect != d.Stats.JS {
		t.Errorf("stats %+v", d.Stats)
	}
	if got := m.Alerting(t0.Add(10 * time.Minute)); !slices.Equal(got, []string{"model"}) {
		t.Errorf("alerting %v", got)
	}
}

func TestMonitorLowCardinalityNumeric(t *testing.T) {
	m := NewMonitor(testConfig())
	rng := rand.New(rand.NewPCG(8, 9))
	ref := make([]float64, 2000)
	for i := range ref {
		ref[i] = float64(rng.IntN(5))
	}
	if err := m.SetReference("tokens", ref); err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		m.ObserveValue("tokens", t0.Add(time.Duration(i)*time.Millisecond), float64(rng.IntN(3)))
	}
	for i := range 20 { // never seen in the reference
		m.ObserveValue("tokens", t0.Add(time.Second+time.Duration(i)*time.Millisecond), 2.5)
	}
	m.Advance(t0.Add(time.Minute))
	row, _ := m.Row("tokens")
	if !row.LowCardinality || row.Cells[0].Level != LevelHigh {
		t.Fatalf("row %+v", row)
	}
	d, _ := m.Detail("tokens", t0)
	if len(d.Bins) != 6 || d.Bins[3].Label != "3" || d.Bins[3].CurCount != 0 ||
		d.Bins[5].Label != OtherCategory || d.Bins[5].CurCount != 20 || d.Bins[5].Ref != 0 {
		t.Errorf("bins %+v", d.Bins)
	}
	if d.Stats.Effect != d.Stats.JS || math.IsNaN(d.Stats.D) {
		t.Errorf("low-cardinality stats %+v", d.Stats)
	}
}

func TestMonitorHistogram(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{0.1, 0.25, 0.5, 1, 2.5, inf}
	m := NewMonitor(testConfig())
	rng := rand.New(rand.NewPCG(10, 11))
	cum := make([]float64, len(bounds))
	scrape := func(at time.Time, b []float64, c []float64) {
		t.Helper()
		if err := m.ObserveHistogram("ttft", at, b, c); err != nil {
			t.Fatal(err)
		}
	}
	observe := func(scale float64, n int) {
		for range n {
			v := scale * math.Exp(rng.NormFloat64()*0.6-1)
			for k := range bounds {
				if v <= bounds[k] {
					cum[k]++
				}
			}
		}
	}
	for minute := range 11 {
		for s := range 4 {
			at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(s)*15*time.Second)
			scale := 1.0
			if minute >= 7 {
				scale = 2
			}
			if minute == 10 && s == 2 {
				observe(scale, 100) // lost: the process restarts before the scrape
				clear(cum)
			}
			observe(scale, 250)
			scrape(at, bounds, slices.Clone(cum))
		}
	}
	// Minute 11: a deploy adds a bucket.
	nb := []float64{0.1, 0.25, 0.5, 0.75, 1, 2.5, inf}
	scrape(t0.Add(11*time.Minute), nb, []float64{1, 2, 3, 4, 5, 6, 7})
	scrape(t0.Add(11*time.Minute+30*time.Second), nb, []float64{11, 22, 33, 44, 55, 66, 77})
	m.Advance(t0.Add(12 * time.Minute))

	row, _ := m.Row("ttft")
	l := levels(row)
	want := map[int]Level{0: LevelBaselining, 4: LevelBaselining, 7: LevelHigh, 8: LevelHigh, 9: LevelHigh, 10: LevelReset, 11: LevelLayoutChanged}
	for i, w := range want {
		if l[i] != w {
			t.Errorf("cell %d = %v, want %v (all %v)", i, l[i], w, l)
		}
	}
	for i := 5; i < 7; i++ {
		if l[i].Heat() < 0 || l[i].Heat() > 1 {
			t.Errorf("undrifted cell %d = %v", i, l[i])
		}
	}
	// The first scrape only sets the starting point: minute 0 has 3 deltas.
	if row.Cells[0].Stats.N != 750 || row.Cells[5].Stats.N != 1000 {
		t.Errorf("counts %d %d", row.Cells[0].Stats.N, row.Cells[5].Stats.N)
	}
	// The reset window under-counts: 1100 observed, the 100 made before the
	// restart are lost.
	if row.Cells[10].Stats.N != 1000 {
		t.Errorf("reset window N = %d, want 1000", row.Cells[10].Stats.N)
	}
	st := row.Cells[8].Stats
	if !st.Approximate || st.D < 0.3 || st.P > 1e-6 {
		t.Errorf("drifted histogram cell %+v", st)
	}
	d, _ := m.Detail("ttft", t0.Add(8*time.Minute))
	// A doubled latency doubles the median, up to bucket interpolation.
	if d.Current.P50 < 1.5*d.Reference.P50 || len(d.Bins) == 0 || d.Top[0].PSI <= 0 {
		t.Errorf("detail ref %+v cur %+v bins %+v", d.Reference, d.Current, d.Bins)
	}
	if !slices.Equal(m.Alerting(t0.Add(10*time.Minute)), []string{"ttft"}) {
		t.Error("no alert after three high cells")
	}
	// The reset cell breaks the run.
	if got := m.Alerting(t0.Add(11 * time.Minute)); len(got) != 0 {
		t.Errorf("alerting through a reset: %v", got)
	}
	if row.Reference.Ready {
		t.Error("reference still ready after a layout change")
	}
}

// BH across a column: with 200 undrifted series, few cells are coloured;
// one drifted series among them still is.
func TestMonitorColumnFDR(t *testing.T) {
	cfg := testConfig()
	m := NewMonitor(cfg)
	rng := rand.New(rand.NewPCG(12, 13))
	names := make([]string, 200)
	for i := range names {
		names[i] = "f" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		if err := m.SetReference(names[i], normals(rng, 2000, 0)); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range names {
		mu := 0.0
		if i == 0 {
			mu = 0.5
		}
		for k := range 200 {
			m.ObserveValue(name, t0.Add(time.Duration(k)*time.Millisecond), mu+rng.NormFloat64())
		}
	}
	m.Advance(t0.Add(time.Minute))
	coloured := 0
	for _, r := range m.Rows() {
		if r.Cells[0].Level.Heat() > 0 && r.Feature != names[0] {
			coloured++
		}
	}
	r0, _ := m.Row(names[0])
	if coloured > 3 || r0.Cells[0].Level.Heat() < 3 {
		t.Errorf("%d false positives; drifted cell %v", coloured, r0.Cells[0].Level)
	}
}

func TestMonitorTrailing(t *testing.T) {
	cfg := testConfig()
	cfg.Mode = Trailing
	cfg.TrailingLength = 10 * time.Minute
	cfg.TrailingLag = 2 * time.Minute
	m := NewMonitor(cfg)
	rng := rand.New(rand.NewPCG(40, 41))
	feedNormal(t, m, rng, "x", 0, 20, 300, 0)
	feedNormal(t, m, rng, "x", 20, 35, 300, 1)
	m.Advance(t0.Add(35 * time.Minute))
	row, _ := m.Row("x")
	l := levels(row)
	// Cell s uses windows [s−12, s−2): four windows (1200 values) first at
	// s = 6.
	for i := range 6 {
		if l[i] != LevelBaselining {
			t.Errorf("cell %d = %v, want baselining", i, l[i])
		}
	}
	hot := 0
	for i := 6; i < 20; i++ {
		if l[i].Heat() < 0 {
			t.Errorf("cell %d = %v", i, l[i])
		}
		if l[i].Heat() > 0 {
			hot++
		}
	}
	if hot > 1 {
		t.Errorf("undrifted cells coloured: %v", l[6:20])
	}
	for i := 20; i < 23; i++ {
		if l[i] != LevelHigh {
			t.Errorf("cell %d = %v, want high", i, l[i])
		}
	}
	// From cell 32 on the trailing range holds only drifted windows.
	for i := 32; i < 35; i++ {
		if l[i].Heat() > 1 {
			t.Errorf("cell %d = %v after the reference caught up", i, l[i])
		}
	}
	d, ok := m.Detail("x", t0.Add(21*time.Minute))
	var refShare float64
	for _, b := range d.Bins {
		refShare += b.Ref
	}
	if !ok || len(d.Bins) != 10 || math.Abs(refShare-1) > 1e-9 || d.Reference.N != 3000 ||
		math.Abs(d.Reference.P50) > 0.15 || math.Abs(d.Current.P50-1) > 0.2 {
		t.Errorf("trailing detail: ref %+v cur %+v bins %d", d.Reference, d.Current, len(d.Bins))
	}
	if d20, d27 := row.Cells[20].Stats.D, row.Cells[27].Stats.D; !(d27 < d20) {
		t.Errorf("D did not fall as the reference trailed: %v then %v", d20, d27)
	}
	if !row.Reference.Ready || row.Reference.Mode != Trailing || !row.Reference.Since.IsZero() {
		t.Errorf("reference %+v", row.Reference)
	}
	if err := m.Repin("x"); err != ErrTrailing {
		t.Errorf("Repin in trailing mode: %v", err)
	}
	if !slices.Equal(m.Alerting(t0.Add(23*time.Minute)), []string{"x"}) || len(m.Alerting(t0.Add(35*time.Minute))) != 0 {
		t.Error("trailing alerts")
	}
}

// A loaded histogram reference and scrapes in another layout: the cell says
// so and the reference is rebuilt on the scrapes' layout.
func TestMonitorHistogramLoadedLayout(t *testing.T) {
	inf := math.Inf(1)
	cfg := testConfig()
	cfg.Baseline = time.Minute
	cfg.MinReference = 300 // reached at the end of the second window
	m := NewMonitor(cfg)
	if err := m.SetHistogramReference("h", []float64{1, 2, inf}, []float64{50, 30, 20}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetHistogramReference("bad", []float64{1, 2}, []float64{50, 30}); err == nil {
		t.Error("reference without +Inf accepted")
	}
	b := []float64{1, 2, 4, inf}
	for i := range 8 {
		c := float64(i * 100)
		m.ObserveHistogram("h", t0.Add(time.Duration(i)*30*time.Second), b, []float64{c / 2, c * 0.8, c * 0.9, c})
	}
	m.Advance(t0.Add(4 * time.Minute))
	row, _ := m.Row("h")
	l := levels(row)
	if l[0] != LevelLayoutChanged || l[1] != LevelBaselining || l[2].Heat() < 0 {
		t.Errorf("levels %v", l)
	}
	if !row.Reference.Ready || row.Reference.N != 300 {
		t.Errorf("reference %+v", row.Reference)
	}
	if r, ok := m.Row("bad"); ok && r.Reference.Ready {
		t.Error("bad reference pinned")
	}
}

// A long silence: the columns in between are closed as no-data cells, at most
// a row's worth, and nothing is scored across the gap.
func TestMonitorGap(t *testing.T) {
	cfg := testConfig()
	cfg.Columns = 20
	m := NewMonitor(cfg)
	rng := rand.New(rand.NewPCG(60, 61))
	if err := m.SetReference("x", normals(rng, 1000, 0)); err != nil {
		t.Fatal(err)
	}
	feedNormal(t, m, rng, "x", 0, 1, 100, 0)
	feedNormal(t, m, rng, "x", 100000, 100001, 100, 0)
	m.Advance(t0.Add(100001 * time.Minute))
	row, _ := m.Row("x")
	if len(row.Cells) != 20 {
		t.Fatalf("%d cells", len(row.Cells))
	}
	for i, c := range row.Cells[:19] {
		if c.Level != LevelNoData {
			t.Errorf("cell %d = %v, want no-data", i, c.Level)
		}
	}
	last := row.Cells[19]
	if !last.Start.Equal(t0.Add(100000*time.Minute)) || last.Level.Heat() < 0 || last.Stats.N != 100 {
		t.Errorf("last cell %+v", last)
	}
}

// A pinned reference saved with Reference and loaded into another monitor
// scores the same window the same way.
func TestMonitorReferenceRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(70, 71))
	a := NewMonitor(testConfig())
	for minute := range 6 {
		feedNormal(t, a, rng, "x", minute, minute+1, 300, 0)
		for i := range 300 {
			a.ObserveCategory("c", t0.Add(time.Duration(minute)*time.Minute+time.Duration(i)*200*time.Millisecond), []string{"p", "q", "r"}[i%3])
		}
	}
	a.Advance(t0.Add(7 * time.Minute))
	num, ok1 := a.Reference("x")
	cat, ok2 := a.Reference("c")
	if !ok1 || !ok2 || len(num.Values) != 1500 || !slices.IsSorted(num.Values) || len(cat.Categories) != 3 {
		t.Fatalf("references %v %v: %d values, %+v", ok1, ok2, len(num.Values), cat.Categories)
	}
	b := NewMonitor(testConfig())
	if err := b.SetReference("x", num.Values); err != nil {
		t.Fatal(err)
	}
	if err := b.SetCategoricalCounts("c", cat.Categories); err != nil {
		t.Fatal(err)
	}
	window := normals(rng, 200, 0.3)
	for _, m := range []*Monitor{a, b} {
		for i, v := range window {
			m.ObserveValue("x", t0.Add(10*time.Minute+time.Duration(i)*time.Millisecond), v)
			m.ObserveCategory("c", t0.Add(10*time.Minute+time.Duration(i)*time.Millisecond), []string{"p", "p", "q", "r", "s"}[i%5])
		}
		m.Advance(t0.Add(11 * time.Minute))
	}
	for _, f := range []string{"x", "c"} {
		da, _ := a.Detail(f, t0.Add(10*time.Minute))
		db, _ := b.Detail(f, t0.Add(10*time.Minute))
		if da.Stats.Effect != db.Stats.Effect || da.Stats.P != db.Stats.P || da.Level != db.Level || da.Level.Heat() < 1 {
			t.Errorf("%s: original %+v, loaded %+v", f, da.Stats, db.Stats)
		}
	}
	if _, ok := NewMonitor(testConfig()).Reference("x"); ok {
		t.Error("reference of an unknown feature")
	}
}

// Trailing references for categories and histograms: a change is hot while
// the reference predates it and cools once the reference has absorbed it.
func TestMonitorTrailingCategoricalHistogram(t *testing.T) {
	inf := math.Inf(1)
	cfg := testConfig()
	cfg.Mode = Trailing
	cfg.TrailingLength = 5 * time.Minute
	cfg.TrailingLag = time.Minute
	cfg.MinReference = 500
	m := NewMonitor(cfg)
	bounds := []float64{1, 2, 4, inf}
	cum := make([]float64, len(bounds))
	for minute := range 20 {
		cats := []string{"a", "b"}
		share := []float64{0.5, 0.4, 0.1, 0} // per-bucket shares
		if minute >= 10 {
			cats = []string{"a", "c"} // "c" replaces "b"
			share = []float64{0.1, 0.2, 0.3, 0.4}
		}
		for i := range 300 {
			at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(i)*200*time.Millisecond)
			m.ObserveCategory("model", at, cats[i%2])
		}
		for s := range 4 {
			for k := range cum {
				var below float64
				for q := 0; q <= k; q++ {
					below += share[q]
				}
				cum[k] += 100 * below
			}
			m.ObserveHistogram("lat", t0.Add(time.Duration(minute)*time.Minute+time.Duration(s)*15*time.Second), bounds, slices.Clone(cum))
		}
	}
	m.Advance(t0.Add(20 * time.Minute))
	for _, f := range []string{"model", "lat"} {
		row, _ := m.Row(f)
		l := levels(row)
		for i := 10; i < 13; i++ {
			if l[i] != LevelHigh {
				t.Errorf("%s: cell %d = %v, want high (%v)", f, i, l[i], l)
			}
		}
		// Cells 16 on use windows [s−6, s−1), all after the change.
		for i := 17; i < 20; i++ {
			if l[i].Heat() != 0 {
				t.Errorf("%s: cell %d = %v, want none (%v)", f, i, l[i], l)
			}
		}
	}
	d, _ := m.Detail("model", t0.Add(10*time.Minute))
	if len(d.NewCategories) != 1 || d.NewCategories[0].Name != "c" {
		t.Errorf("new categories %+v", d.NewCategories)
	}
	d, _ = m.Detail("model", t0.Add(18*time.Minute))
	if len(d.NewCategories) != 0 || d.Stats.JS > 0.05 {
		t.Errorf("after the reference caught up: %+v %+v", d.NewCategories, d.Stats)
	}
}

func TestMonitorRepinCategoricalAndHistogram(t *testing.T) {
	inf := math.Inf(1)
	m := NewMonitor(testConfig())
	if err := m.SetCategoricalCounts("c", []CategoryCount{{"a", 500}, {"b", 500}}); err != nil {
		t.Fatal(err)
	}
	if err := m.SetHistogramReference("h", []float64{1, 2, inf}, []float64{500, 400, 100}); err != nil {
		t.Fatal(err)
	}
	cum := []float64{0, 0, 0}
	for minute := range 4 {
		if minute == 1 {
			m.Advance(t0.Add(time.Minute)) // minute 1 is now the open window
			m.Repin("c")
			m.Repin("h")
		}
		for i := range 200 {
			at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(i)*250*time.Millisecond)
			m.ObserveCategory("c", at, []string{"a", "c", "c", "c"}[i%4])
			if i%50 == 0 {
				cum[0] += 10
				cum[1] += 20
				cum[2] += 100
				m.ObserveHistogram("h", at, []float64{1, 2, inf}, slices.Clone(cum))
			}
		}
	}
	m.Advance(t0.Add(4 * time.Minute))
	for _, f := range []string{"c", "h"} {
		row, _ := m.Row(f)
		l := levels(row)
		// Cell 1 is still scored against the old reference, then pinned.
		if l[0] != LevelHigh || l[1] != LevelHigh || l[2] != LevelNone || l[3] != LevelNone || !row.Reference.Since.Equal(t0.Add(2*time.Minute)) {
			t.Errorf("%s: levels %v, reference %+v", f, l, row.Reference)
		}
	}
	if err := m.Repin("nope"); err == nil {
		t.Error("repin of an unknown feature")
	}
}

// TestMonitorConcurrentClose: panes read rows while columns close (their
// p-values computed with the lock released) and while another goroutine
// observes; under -race this checks the unlocked phase, and the rows must
// come out as a serial run's.
func TestMonitorConcurrentClose(t *testing.T) {
	run := func(concurrent bool) []Row {
		cfg := DefaultConfig()
		cfg.Seed = 9
		cfg.Baseline = 2 * time.Minute
		m := NewMonitor(cfg)
		rng := rand.New(rand.NewPCG(7, 8))
		stop := make(chan struct{})
		done := make(chan struct{})
		if concurrent {
			go func() {
				defer close(done)
				for {
					select {
					case <-stop:
						return
					default:
						m.Rows()
						m.Alerting(t0.Add(time.Hour))
						m.LastClosed()
					}
				}
			}()
		}
		if concurrent { // a change that must wait for a close in progress
			go func() {
				for {
					select {
					case <-stop:
						return
					default:
						m.Advance(t0) // earlier than the open column: no effect
					}
				}
			}()
		}
		vals := normals(rng, 8*600, 0.3)
		for minute := range 8 {
			for k := range 600 {
				v := vals[minute*600+k]
				if minute < 3 {
					v -= 0.3
				}
				at := t0.Add(time.Duration(minute)*time.Minute + time.Duration(k)*100*time.Millisecond)
				for g := range 3 {
					m.ObserveValue("f"+strconv.Itoa(g), at, v+float64(g))
				}
			}
		}
		m.Advance(t0.Add(8 * time.Minute))
		if concurrent {
			close(stop)
			<-done
		}
		return m.Rows()
	}
	a, b := run(false), run(true)
	for i := range a {
		if len(a[i].Cells) != len(b[i].Cells) {
			t.Fatalf("%s: %d cells vs %d", a[i].Feature, len(a[i].Cells), len(b[i].Cells))
		}
		for k := range a[i].Cells {
			ca, cb := a[i].Cells[k], b[i].Cells[k]
			if ca.Level != cb.Level || ca.Stats.N != cb.Stats.N || !(ca.Stats.KSP == cb.Stats.KSP || math.IsNaN(ca.Stats.KSP) && math.IsNaN(cb.Stats.KSP)) {
				t.Errorf("%s cell %d: %+v vs %+v", a[i].Feature, k, ca, cb)
			}
		}
	}
	last := a[0].Cells[len(a[0].Cells)-1]
	if last.Level.Heat() < 2 || !(last.Stats.KSP < 1e-6) {
		t.Errorf("after the shift: %v p=%v", last.Level, last.Stats.KSP)
	}
}

// TestBaseliningUntil: a pinned reference that has its values but not its
// time says when the time is up; it is pinned at that cell's end.
func TestBaseliningUntil(t *testing.T) {
	cfg := testConfig()
	m := NewMonitor(cfg)
	rng := rand.New(rand.NewPCG(5, 6))
	feedNormal(t, m, rng, "x", 0, 2, 600, 0) // 1,200 values in 2 of the 5 minutes
	m.Advance(t0.Add(2 * time.Minute))
	r, _ := m.Row("x")
	if r.Reference.Ready || r.Reference.N < int64(cfg.MinReference) || !r.Reference.Until.Equal(t0.Add(cfg.Baseline)) {
		t.Fatalf("baselining with %d values: %+v, want until %v", r.Reference.N, r.Reference, t0.Add(cfg.Baseline))
	}
	feedNormal(t, m, rng, "x", 2, 6, 600, 0)
	m.Advance(t0.Add(6 * time.Minute))
	if r, _ = m.Row("x"); !r.Reference.Ready || !r.Reference.Until.IsZero() {
		t.Errorf("after the baseline: %+v", r.Reference)
	}
}
