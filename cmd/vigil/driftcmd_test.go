package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/vigil-dev/vigil/drift"
)

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func lines(vals []float64) string {
	var b strings.Builder
	for _, v := range vals {
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		b.WriteByte('\n')
	}
	return b.String()
}

func runCompare(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(append([]string{"drift", "compare"}, args...), strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

// grid returns n evenly spread values i/n + shift.
func grid(n int, shift float64) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = float64(i)/float64(n) + shift
	}
	return v
}

func TestDriftCompareNumericJSON(t *testing.T) {
	refVals, curVals := grid(105, 0), grid(95, 0.1)
	ref := writeTemp(t, "ref.txt", "# reference\n"+lines(refVals)+"\nNaN\n")
	cur := writeTemp(t, "cur.txt", lines(curVals))
	code, out, errOut := runCompare(t, ref, cur, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, out)
	}
	ks := rep["ks"].(map[string]any)
	want := drift.KSTest(refVals, curVals, drift.TwoSided)
	if ks["d"].(float64) != want.D || ks["p"].(float64) != want.P || ks["exact"] != true {
		t.Errorf("ks %v, want %+v", ks, want)
	}
	r := rep["reference"].(map[string]any)
	if r["n"].(float64) != 105 || r["invalid"].(float64) != 1 {
		t.Errorf("reference summary %v", r)
	}
	for _, key := range []string{"psi", "kl", "js", "hellinger", "linf", "wasserstein", "wasserstein_norm", "effect", "p"} {
		if _, ok := rep[key].(float64); !ok {
			t.Errorf("field %s missing or not a number: %v", key, rep[key])
		}
	}
	if w := rep["wasserstein"].(float64); math.Abs(w-drift.Wasserstein(refVals, curVals)) > 1e-12 {
		t.Errorf("wasserstein %v", w)
	}
	if bins := rep["bins"].([]any); len(bins) != 10 {
		t.Errorf("%d bins, want 10", len(bins))
	}
	if rep["level"] == "" || rep["kind"] != "numeric" {
		t.Errorf("level %v kind %v", rep["level"], rep["kind"])
	}
}

func TestDriftCompareIdenticalText(t *testing.T) {
	vals := grid(200, 0)
	ref := writeTemp(t, "ref.txt", lines(vals))
	cur := writeTemp(t, "cur.txt", lines(vals))
	code, out, _ := runCompare(t, ref, cur)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"KS D (two-sided)", "0 ", "p=1 (exact)", "PSI", "JS distance (base 2)", "Wasserstein-1", "chi-square", "level: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDriftCompareCSVAndJSONLines(t *testing.T) {
	var csvRef, csvCur, jRef, jCur strings.Builder
	csvRef.WriteString("id,latency\n")
	csvCur.WriteString("id,latency\n")
	for i := range 300 {
		x := float64(i) / 300
		csvRef.WriteString(strconv.Itoa(i) + "," + strconv.FormatFloat(x, 'g', -1, 64) + "\n")
		csvCur.WriteString(strconv.Itoa(i) + "," + strconv.FormatFloat(x*x, 'g', -1, 64) + "\n")
		jRef.WriteString(`{"resp":{"ms":` + strconv.FormatFloat(x, 'g', -1, 64) + "}}\n")
		jCur.WriteString(`{"resp":{"ms":` + strconv.FormatFloat(x*x, 'g', -1, 64) + "}}\n")
	}
	jCur.WriteString(`{"other":1}` + "\n") // skipped: no field
	byName := func(args ...string) map[string]any {
		code, out, errOut := runCompare(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	a := byName("--column", "latency", "--output=json", writeTemp(t, "r.csv", csvRef.String()), writeTemp(t, "c.csv", csvCur.String()))
	b := byName(writeTemp(t, "r.csv", csvRef.String()), writeTemp(t, "c.csv", csvCur.String()), "--column", "1", "--output", "json")
	c := byName("--field", "resp.ms", "--output", "json", writeTemp(t, "r.jsonl", jRef.String()), writeTemp(t, "c.jsonl", jCur.String()))
	da := a["ks"].(map[string]any)["d"]
	if db, dc := b["ks"].(map[string]any)["d"], c["ks"].(map[string]any)["d"]; da != db || da != dc {
		t.Errorf("D differs across formats: %v %v %v", da, db, dc)
	}
	// x vs x² on [0,1): D = max(x − x²) = 1/4.
	if d := da.(float64); math.Abs(d-0.25) > 0.01 {
		t.Errorf("D = %v, want about 0.25", d)
	}
	if s := c["current"].(map[string]any)["skipped"].(float64); s != 1 {
		t.Errorf("skipped = %v, want 1", s)
	}
}

func TestDriftCompareCategorical(t *testing.T) {
	ref := writeTemp(t, "ref.txt", strings.Repeat("a\n", 60)+strings.Repeat("b\n", 40))
	cur := writeTemp(t, "cur.txt", strings.Repeat("a\n", 20)+strings.Repeat("b\n", 40)+strings.Repeat("c\n", 40))
	code, out, errOut := runCompare(t, "--categorical", ref, cur, "--output", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep struct {
		Kind      string
		JS        float64
		ChiSquare struct {
			Stat, P float64
			DoF     int
		} `json:"chi_square"`
		NewCategories []drift.CategoryCount `json:"new_categories"`
		Level         string
		KS            any
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	wantJS := drift.JSDistance([]float64{60, 40, 0}, []float64{20, 40, 40})
	if rep.Kind != "categorical" || math.Abs(rep.JS-wantJS) > 1e-12 || rep.KS != nil {
		t.Errorf("report %+v, want JS %v", rep, wantJS)
	}
	if len(rep.NewCategories) != 1 || rep.NewCategories[0] != (drift.CategoryCount{Name: "c", Count: 40}) {
		t.Errorf("new categories %+v", rep.NewCategories)
	}
	if rep.ChiSquare.DoF != 2 || !(rep.ChiSquare.P < 1e-6) || rep.Level != "high" {
		t.Errorf("chi-square %+v level %s", rep.ChiSquare, rep.Level)
	}
	code, text, _ := runCompare(t, "--categorical", ref, cur)
	if code != 0 || !strings.Contains(text, "new categories:") || !strings.Contains(text, "(new)") {
		t.Errorf("text output:\n%s", text)
	}
}

func TestDriftCompareErrors(t *testing.T) {
	good := writeTemp(t, "good.txt", "1\n2\n3\n")
	bad := writeTemp(t, "bad.txt", "1\n2\nabc\n")
	empty := writeTemp(t, "empty.txt", "\n\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{good, bad}, "bad.txt: line 3: invalid number \"abc\""},
		{[]string{good, filepath.Join(t.TempDir(), "missing.txt")}, "missing.txt"},
		{[]string{good, empty}, "empty.txt: no values"},
		{[]string{good}, "need two files"},
		{[]string{good, good, "--output", "xml"}, "--output must be text or json"},
		{[]string{"--column", "nope", good, good}, "no column \"nope\""},
		{[]string{"--bogus", good, good}, "unknown flag: --bogus (see 'vigil drift compare --help')"},
	}
	for _, c := range cases {
		code, out, errOut := runCompare(t, c.args...)
		if code != 2 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 and %q", c.args, code, out, errOut, c.want)
		}
		if strings.Count(strings.TrimRight(errOut, "\n"), "\n") != 0 {
			t.Errorf("%v: more than one error line: %q", c.args, errOut)
		}
	}
}
