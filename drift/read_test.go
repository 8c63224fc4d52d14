package drift

import (
	"slices"
	"strings"
	"testing"
)

func TestReadValues(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		opt     ReadOptions
		want    []float64
		skipped int
	}{
		{"lines", "# header\n1\n\n2.5\n  -3e2 \n", ReadOptions{}, []float64{1, 2.5, -300}, 0},
		{"lines with BOM and CRLF", "\ufeff1\r\n2\r\n", ReadOptions{}, []float64{1, 2}, 0},
		{"csv with BOM", "\ufefflat,b\r\n1,2\r\n", ReadOptions{Column: "lat"}, []float64{1}, 0},
		{"csv by name", "a,lat\nx,1\ny,\nz,3\n", ReadOptions{Column: "lat"}, []float64{1, 3}, 1},
		{"csv by index with header", "a,lat\nx,1\nz,3\n", ReadOptions{Column: "1"}, []float64{1, 3}, 0},
		{"csv by index without header", "7,1\n8,3\n", ReadOptions{Column: "0"}, []float64{7, 8}, 0},
		{"csv quoted", "\"a\",\"b\"\n\"1,5\",2\n", ReadOptions{Column: "b"}, []float64{2}, 0},
		{"json lines", `{"r":{"ms":1}}` + "\n" + `{"r":{"ms":"2"}}` + "\n" + `{"r":{}}` + "\n" + `{"r":{"ms":null}}` + "\n",
			ReadOptions{Field: "r.ms"}, []float64{1, 2}, 2},
	}
	for _, c := range cases {
		got, skipped, err := ReadValues(strings.NewReader(c.in), c.opt)
		if err != nil || !slices.Equal(got, c.want) || skipped != c.skipped {
			t.Errorf("%s: got %v skipped %d err %v; want %v skipped %d", c.name, got, skipped, err, c.want, c.skipped)
		}
	}
	bad := []struct {
		name, in, want string
		opt            ReadOptions
	}{
		{"not a number", "1\nx\n", "line 2: invalid number \"x\"", ReadOptions{}},
		{"empty", "\n# only a comment\n", "no values", ReadOptions{}},
		{"no column", "a,b\n1,2\n", "no column \"c\"", ReadOptions{Column: "c"}},
		{"short record", "1,2\n3\n", "line 2: no column 1", ReadOptions{Column: "1"}},
		{"bad json", "{\"a\":1}\n{oops\n", "line 2: invalid JSON", ReadOptions{Field: "a"}},
		{"object field", "{\"a\":{\"b\":1}}\n", "line 1: field a is not a number or string", ReadOptions{Field: "a"}},
		{"both", "1\n", "both a CSV column and a JSON field", ReadOptions{Field: "a", Column: "b"}},
	}
	for _, c := range bad {
		_, _, err := ReadValues(strings.NewReader(c.in), c.opt)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want %q", c.name, err, c.want)
		}
	}
}

func TestReadCategories(t *testing.T) {
	got, _, err := ReadCategories(strings.NewReader(`{"m":"gpt"}`+"\n"+`{"m":3}`+"\n"+`{"m":true}`+"\n"), ReadOptions{Field: "m"})
	if err != nil || !slices.Equal(got, []string{"gpt", "3", "true"}) {
		t.Errorf("got %v, %v", got, err)
	}
	got, _, err = ReadCategories(strings.NewReader("kind\nchat\ncode\n"), ReadOptions{Column: "kind"})
	if err != nil || !slices.Equal(got, []string{"chat", "code"}) {
		t.Errorf("got %v, %v", got, err)
	}
}

func TestGradeAndBins(t *testing.T) {
	cases := []struct {
		n         int64
		effect, p float64
		want      Level
	}{
		{29, 0.5, 0, LevelInsufficient},
		{100, 0.5, 0.2, LevelNone},
		{100, 0.5, 0.05, LevelHigh},
		{100, 0.04, 0.01, LevelTiny},
		{100, 0.05, 0.01, LevelSmall},
		{100, 0.1, 0.01, LevelModerate},
		{100, 0.2, 0.01, LevelHigh},
	}
	for _, c := range cases {
		if got := Grade(c.n, 30, c.effect, c.p, 0.05); got != c.want {
			t.Errorf("Grade(%d, %v, %v) = %v, want %v", c.n, c.effect, c.p, got, c.want)
		}
	}
	ref := []float64{1, 2, 2, 2, 3, 4, 5, 6, 7, 8}
	edges := QuantileEdges(ref, 4) // quartiles 2, 3.5, 5.75
	if !slices.Equal(edges, []float64{2, 3.5, 5.75}) {
		t.Errorf("edges %v", edges)
	}
	if got := BinCounts(edges, []float64{-10, 2, 2.1, 3.5, 9, 100}); !slices.Equal(got, []float64{2, 2, 0, 2}) {
		t.Errorf("counts %v", got)
	}
	if got := QuantileEdges([]float64{1, 1, 1, 1, 2}, 4); !slices.Equal(got, []float64{1}) {
		t.Errorf("tied edges %v", got)
	}
}
