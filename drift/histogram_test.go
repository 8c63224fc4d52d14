package drift

import (
	"math"
	"testing"
)

// A worked example: three scrapes of one histogram, then a restart.
func TestHistogramDeltaWorkedExample(t *testing.T) {
	inf := math.Inf(1)
	bounds := []float64{0.1, 0.5, 1, inf}
	s0 := []float64{10, 30, 45, 50}
	s1 := []float64{15, 45, 70, 80}
	s2 := []float64{2, 5, 6, 6} // process restarted: counts went down

	d := Delta(bounds, s0, bounds, s1)
	want := []float64{5, 10, 10, 5}
	if d.Status != DeltaOK || d.Repaired || !equalSlices(d.Counts, want) {
		t.Fatalf("s0→s1 = %+v, want counts %v", d, want)
	}
	r := Delta(bounds, s1, bounds, s2)
	if r.Status != DeltaReset || !equalSlices(r.Counts, []float64{2, 3, 1, 0}) {
		t.Fatalf("s1→s2 = %+v, want reset with counts [2 3 1 0]", r)
	}
	// A new layout is never subtracted.
	l := Delta(bounds, s1, []float64{0.1, 0.25, 0.5, 1, inf}, []float64{16, 30, 46, 71, 81})
	if l.Status != DeltaLayoutChanged || l.Counts != nil {
		t.Fatalf("layout change = %+v", l)
	}
	if LayoutHash(bounds) == LayoutHash([]float64{0.1, 0.25, 0.5, 1, inf}) {
		t.Error("layout hashes collide")
	}
	// A non-atomic scrape: bucket 0.5 below bucket 0.1 is forced monotone.
	m := Delta(bounds, s0, bounds, []float64{15, 14, 60, 70})
	if !m.Repaired || m.Status != DeltaReset {
		// 14 < 30 at bucket 0.5 after repair (15) is still a decrease.
		t.Fatalf("repair = %+v", m)
	}
	// [40 39 60 70] → [40 40 60 70]; minus s0 → [30 10 15 20], itself not
	// monotone → [30 30 30 30]; so all 30 new observations are ≤ 0.1.
	m = Delta(bounds, s0, bounds, []float64{40, 39, 60, 70})
	if !m.Repaired || m.Status != DeltaOK || !equalSlices(m.Counts, []float64{30, 0, 0, 0}) {
		t.Fatalf("repair = %+v", m)
	}
	for _, bad := range [][2][]float64{
		{{0.1, 0.5}, {1, 2}},          // no +Inf
		{{0.5, 0.1, inf}, {1, 2, 3}},  // not increasing
		{{0.1, inf}, {1}},             // length mismatch
		{{0.1, inf}, {math.NaN(), 1}}, // NaN
	} {
		if got := Delta(bad[0], bad[1], bad[0], bad[1]); got.Status != DeltaInvalid {
			t.Errorf("Delta(%v) status %v, want invalid", bad, got.Status)
		}
	}

	// Statistics on the window.
	for _, c := range []struct{ q, want float64 }{{0.1, 0.06}, {0.5, 0.5}, {0.95, 1}} {
		if got := BucketQuantile(c.q, bounds, d.Counts); !relClose(got, c.want, 1e-12) {
			t.Errorf("BucketQuantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	ks := KSBuckets(d.Counts, r.Counts)
	// CDFs at the bounds: ref 5/30, 15/30, 25/30; cur 2/6, 5/6, 1.
	wantD := max(math.Abs(5.0/30-2.0/6), math.Abs(15.0/30-5.0/6), math.Abs(25.0/30-1))
	if !relClose(ks.D, wantD, 1e-12) || !ks.Approximate || !(ks.P > 0 && ks.P <= 1) {
		t.Errorf("KSBuckets = %+v, want D %v", ks, wantD)
	}
	same := KSBuckets(d.Counts, d.Counts)
	if same.D != 0 || same.P != 1 {
		t.Errorf("identical histograms: %+v", same)
	}
}

func equalSlices(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(a[i]-b[i]) > 1e-12 {
			return false
		}
	}
	return true
}

func TestWassersteinBuckets(t *testing.T) {
	inf := math.Inf(1)
	b := []float64{1, 2, inf}
	if got := WassersteinBuckets(b, []float64{1, 0, 0}, []float64{0, 1, 0}); !relClose(got, 1, 1e-12) {
		t.Errorf("U[0,1] vs U[1,2] = %v, want 1", got)
	}
	if got := WassersteinBuckets(b, []float64{1, 0, 0}, []float64{0.5, 0.5, 0}); !relClose(got, 0.5, 1e-12) {
		t.Errorf("half shift = %v, want 0.5", got)
	}
	// Crossing CDFs against numeric integration of the piecewise-linear CDFs.
	bounds := []float64{1, 2, 4, 8, inf}
	ref := []float64{3, 1, 4, 2, 0}
	cur := []float64{1, 5, 1, 3, 0}
	cdf := func(c []float64, x float64) float64 {
		s, _ := shares(c)
		var f float64
		for k := range bounds {
			lo := bucketLower(bounds, k)
			switch {
			case x >= bounds[k]:
				f += s[k]
			case x > lo:
				f += s[k] * (x - lo) / (bounds[k] - lo)
			}
		}
		return f
	}
	const steps = 800000
	var num float64
	for i := range steps {
		x := (float64(i) + 0.5) * 8 / steps
		num += math.Abs(cdf(ref, x)-cdf(cur, x)) * 8 / steps
	}
	got := WassersteinBuckets(bounds, ref, cur)
	if math.Abs(got-num) > 1e-6 {
		t.Errorf("WassersteinBuckets = %v, numeric %v", got, num)
	}
	if a := WassersteinBuckets(bounds, cur, ref); !relClose(a, got, 1e-14) {
		t.Errorf("not symmetric %v %v", a, got)
	}
}

func TestMergeBuckets(t *testing.T) {
	ref := []float64{0, 1, 50, 30, 1, 1, 17, 0}
	ends := MergeBuckets(ref, 0.02, 5)
	got := Regroup(ref, ends)
	var total float64
	for _, v := range got {
		if v < 5 {
			t.Errorf("group below minimum: %v (ends %v)", got, ends)
		}
		total += v
	}
	if total != 100 || ends[len(ends)-1] != len(ref) {
		t.Errorf("groups %v ends %v", got, ends)
	}
}
