package layout

import (
	"math/rand"
	"testing"
	"time"
)

func TestModeFor(t *testing.T) {
	cases := []struct {
		w, h int
		want Mode
	}{
		{0, 0, TooSmall}, {1, 1, TooSmall}, {20, 5, TooSmall}, {39, 24, TooSmall}, {80, 9, TooSmall},
		{40, 10, Single}, {79, 24, Single}, {80, 23, Single}, {200, 20, Single},
		{80, 24, Compact}, {119, 50, Compact}, {200, 34, Compact},
		{120, 35, Full}, {120, 40, Full}, {200, 50, Full},
	}
	for _, c := range cases {
		if got := ModeFor(c.w, c.h); got != c.want {
			t.Errorf("ModeFor(%d,%d) = %v, want %v", c.w, c.h, got, c.want)
		}
	}
}

func TestComputeOverview(t *testing.T) {
	cases := []struct {
		name  string
		w, h  int
		spec  Spec
		panes []Rect
		list  Rect
	}{
		{"full 200x50", 200, 50, Spec{Panes: 4}, []Rect{{0, 0, 120, 26}, {120, 0, 80, 26}, {0, 26, 80, 23}, {80, 26, 120, 23}}, Rect{}},
		{"compact 80x24", 80, 24, Spec{Panes: 4}, []Rect{{0, 0, 40, 11}, {40, 0, 40, 11}, {0, 11, 40, 12}, {40, 11, 40, 12}}, Rect{}},
		{"single 60x20 focus 2", 60, 20, Spec{Panes: 4, Focused: 2}, []Rect{{}, {}, {0, 0, 60, 18}, {}}, Rect{0, 18, 60, 1}},
		{"maximised 200x50", 200, 50, Spec{Panes: 4, Focused: 3, Maximised: true}, []Rect{{}, {}, {}, {0, 0, 200, 49}}, Rect{}},
		{"one pane screen 80x24", 80, 24, Spec{Panes: 1}, []Rect{{0, 0, 80, 23}}, Rect{}},
		{"too small", 39, 9, Spec{Panes: 4}, []Rect{{}, {}, {}, {}}, Rect{}},
	}
	for _, c := range cases {
		p := Compute(c.w, c.h, c.spec)
		for i := range c.panes {
			if p.Panes[i] != c.panes[i] {
				t.Errorf("%s: pane %d = %+v, want %+v", c.name, i, p.Panes[i], c.panes[i])
			}
		}
		if p.List != c.list {
			t.Errorf("%s: list = %+v, want %+v", c.name, p.List, c.list)
		}
	}
}

func TestComputeStrips(t *testing.T) {
	p := Compute(120, 40, Spec{Panes: 4, Timeline: 2, Alerts: 1, Prompt: true})
	want := map[string]Rect{
		"status":   {0, 39, 120, 1},
		"prompt":   {0, 38, 120, 1},
		"timeline": {0, 36, 120, 2},
		"alerts":   {0, 35, 120, 1},
		"content":  {0, 0, 120, 35},
	}
	got := map[string]Rect{"status": p.Status, "prompt": p.Prompt, "timeline": p.Timeline, "alerts": p.Alerts, "content": p.Content}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %+v, want %+v", k, got[k], v)
		}
	}
}

// TestComputeNeverOutside checks every size (a resize storm) for rectangles
// inside the terminal, non-negative and not overlapping.
func TestComputeNeverOutside(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	sizes := [][2]int{{0, 0}, {1, 1}, {20, 5}, {40, 10}, {41, 11}, {-5, -5}, {80, 24}, {300, 100}}
	for i := 0; i < 2000; i++ {
		sizes = append(sizes, [2]int{rng.Intn(260) - 5, rng.Intn(90) - 5})
	}
	for _, sz := range sizes {
		for n := 0; n <= 5; n++ {
			for _, spec := range []Spec{{Panes: n}, {Panes: n, Focused: 1, Maximised: true}, {Panes: n, Timeline: 3, Alerts: 1, Prompt: true, Focused: 9}} {
				p := Compute(sz[0], sz[1], spec)
				all := append([]Rect{p.List, p.Alerts, p.Timeline, p.Prompt, p.Status}, p.Panes...)
				for j, r := range all {
					if r.W < 0 || r.H < 0 || r.X < 0 || r.Y < 0 || (!r.Empty() && (r.X+r.W > max(sz[0], 0) || r.Y+r.H > max(sz[1], 0))) {
						t.Fatalf("size %v spec %+v: rect %d = %+v outside", sz, spec, j, r)
					}
					for k := j + 1; k < len(all); k++ {
						if overlap(r, all[k]) {
							t.Fatalf("size %v spec %+v: rects %d %+v and %d %+v overlap", sz, spec, j, r, k, all[k])
						}
					}
				}
			}
		}
	}
}

func overlap(a, b Rect) bool {
	if a.Empty() || b.Empty() {
		return false
	}
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

func TestNeighbour(t *testing.T) {
	p := Compute(200, 50, Spec{Panes: 4})
	cases := []struct{ from, dx, dy, want int }{
		{0, 1, 0, 1}, {0, 0, 1, 2}, {1, 0, 1, 3}, {1, -1, 0, 0}, {3, -1, 0, 2}, {3, 0, -1, 1}, {0, -1, 0, 0}, {2, 0, 1, 2},
	}
	for _, c := range cases {
		if got := Neighbour(p.Panes, c.from, c.dx, c.dy); got != c.want {
			t.Errorf("Neighbour(%d, %d, %d) = %d, want %d", c.from, c.dx, c.dy, got, c.want)
		}
	}
}

func FuzzCompute(f *testing.F) {
	f.Add(0, 0, 4)
	f.Add(20, 5, 4)
	f.Add(80, 24, 1)
	f.Fuzz(func(t *testing.T, w, h, n int) {
		if n > 64 || n < -64 || w > 5000 || h > 5000 {
			return
		}
		p := Compute(w, h, Spec{Panes: n, Timeline: 2, Alerts: 1})
		for _, r := range p.Panes {
			if r.W < 0 || r.H < 0 {
				t.Fatalf("negative rect %+v", r)
			}
		}
	})
}

func TestAxis(t *testing.T) {
	end := time.Date(2026, 1, 2, 3, 4, 37, 0, time.UTC)
	a := NewAxis(end, 10*time.Minute, 10) // one column per minute
	if !a.At(9).Equal(end) {
		t.Errorf("last column ends at %v", a.At(9))
	}
	if want := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC); !a.At(8).Equal(want) {
		t.Errorf("At(8) = %v, want %v", a.At(8), want)
	}
	if want := time.Date(2026, 1, 2, 2, 56, 0, 0, time.UTC); !a.At(0).Equal(want) {
		t.Errorf("At(0) = %v, want %v", a.At(0), want)
	}
	cases := []struct {
		t    time.Time
		want int
	}{
		{end, 9}, {end.Add(-10 * time.Second), 9}, {end.Add(-37 * time.Second), 8}, {end.Add(-38 * time.Second), 8},
		{end.Add(-97 * time.Second), 7}, {time.Date(2026, 1, 2, 2, 55, 30, 0, time.UTC), 0},
		{end.Add(time.Second), -1}, {end.Add(-time.Hour), -1}, {time.Time{}, -1},
	}
	for _, c := range cases {
		if got := a.Index(c.t); got != c.want {
			t.Errorf("Index(%v) = %d, want %d", c.t.Format("15:04:05"), got, c.want)
		}
	}
	if NewAxis(end, time.Minute, 0).Index(end) != -1 {
		t.Error("empty axis has a column")
	}
	// A line chart's X labels: the left edge, column ends, the right edge.
	for col, want := range map[int]string{0: "02:55:00", 1: "02:56:00", 9: "03:04:00", 10: "03:04:37"} {
		if got := a.ChartLabel(col); got != want {
			t.Errorf("ChartLabel(%d) = %s, want %s", col, got, want)
		}
	}
}

// TestListItems: the pane list's entries are measured in display cells (a
// wide or accented title is as wide as it shows), and an entry past the
// row's end is left out.
func TestListItems(t *testing.T) {
	cases := []struct {
		name   string
		w      int
		titles []string
		want   []Rect
	}{
		{"ascii", 60, []string{"Latency", "GPUs"}, []Rect{{0, 18, 8, 1}, {10, 18, 5, 1}}},
		{"wide runes", 60, []string{"Latency › 日本", "GPUs"}, []Rect{{0, 18, 15, 1}, {17, 18, 5, 1}}},
		{"cut", 40, []string{"Latency", "GPUs", "Errors", "Drift", "Hosts"}, []Rect{{0, 18, 8, 1}, {10, 18, 5, 1}, {17, 18, 7, 1}, {26, 18, 6, 1}, {34, 18, 6, 1}}},
		{"too narrow", 40, []string{"Latency", "GPUs", "Errors", "Drift", "Hosts", "Logs"}, []Rect{{0, 18, 8, 1}, {10, 18, 5, 1}, {17, 18, 7, 1}, {26, 18, 6, 1}, {34, 18, 6, 1}, {}}},
	}
	for _, c := range cases {
		p := Compute(c.w, 20, Spec{Panes: len(c.titles), Titles: c.titles})
		if len(p.ListItems) != len(c.want) {
			t.Fatalf("%s: %d items, want %d", c.name, len(p.ListItems), len(c.want))
		}
		for i := range c.want {
			if p.ListItems[i] != c.want[i] {
				t.Errorf("%s: item %d = %+v, want %+v", c.name, i, p.ListItems[i], c.want[i])
			}
		}
	}
}

// TestStrip: the last pane becomes a full-width strip under the others,
// at most half the content; Single mode and a maximised pane ignore it.
func TestStrip(t *testing.T) {
	cases := []struct {
		name  string
		w, h  int
		spec  Spec
		panes []Rect
	}{
		{"overview and hosts 200x50", 200, 50, Spec{Panes: 5, Strip: 6}, []Rect{{0, 0, 120, 23}, {120, 0, 80, 23}, {0, 23, 80, 20}, {80, 23, 120, 20}, {0, 43, 200, 6}}},
		{"gpus and hosts 120x40", 120, 40, Spec{Panes: 2, Strip: 5}, []Rect{{0, 0, 120, 34}, {0, 34, 120, 5}}},
		{"at most half", 80, 24, Spec{Panes: 2, Strip: 30}, []Rect{{0, 0, 80, 12}, {0, 12, 80, 11}}},
		{"single ignores it", 60, 20, Spec{Panes: 2, Strip: 5, Focused: 1}, []Rect{{}, {0, 0, 60, 18}}},
		{"maximised ignores it", 120, 40, Spec{Panes: 2, Strip: 5, Maximised: true}, []Rect{{0, 0, 120, 39}, {}}},
	}
	for _, c := range cases {
		p := Compute(c.w, c.h, c.spec)
		for i := range c.panes {
			if p.Panes[i] != c.panes[i] {
				t.Errorf("%s: pane %d = %+v, want %+v", c.name, i, p.Panes[i], c.panes[i])
			}
		}
	}
}

// TestAxisEndOnABoundary: a window ending on a column boundary has a last
// column one Step wide (it was (End, End], empty, and every chart's newest
// column blank at such instants).
func TestAxisEndOnABoundary(t *testing.T) {
	end := time.Date(2026, 3, 1, 14, 0, 0, 0, time.UTC)
	a := NewAxis(end, 5*time.Minute, 4)
	if !a.At(3).Equal(end) || !a.At(2).Equal(end.Add(-75*time.Second)) {
		t.Fatalf("columns end at %v, %v", a.At(2), a.At(3))
	}
	if i := a.Index(end.Add(-time.Second)); i != 3 {
		t.Fatalf("a second before the end is in column %d, want 3", i)
	}
}
