package drift

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, n := range []int{0, 1, 5, 255, 256, 1000, 5000, 100000} {
		v := make([]float64, n)
		for i := range v {
			switch rng.IntN(7) {
			case 0:
				v[i] = 0
			case 1:
				v[i] = math.Copysign(0, -1)
			case 2:
				v[i] = float64(rng.IntN(10) - 5)
			case 3:
				v[i] = rng.NormFloat64() * 1e300
			case 4:
				v[i] = math.Inf(1 - 2*rng.IntN(2))
			case 5:
				v[i] = math.SmallestNonzeroFloat64 * float64(rng.IntN(5)-2)
			default:
				v[i] = rng.NormFloat64()
			}
		}
		want := slices.Clone(v)
		slices.Sort(want)
		Sort(v)
		if !slices.IsSorted(v) {
			t.Fatalf("n=%d: not sorted", n)
		}
		for i := range v {
			if v[i] != want[i] {
				t.Fatalf("n=%d: differs at %d: %v vs %v", n, i, v[i], want[i])
			}
		}
	}
	// Values differing only in their lowest mantissa bits: the final pass
	// does the work, or gives up to a comparison sort.
	for _, n := range []int{300, 100000} {
		v := make([]float64, n)
		for i := range v {
			v[i] = math.Float64frombits(math.Float64bits(1.5) + uint64(rng.IntN(1<<16)))
		}
		Sort(v)
		if !slices.IsSorted(v) {
			t.Fatalf("n=%d: low-bit data not sorted", n)
		}
	}
	// All values equal: every pass is skipped.
	v := []float64{}
	for range 1000 {
		v = append(v, 3.5)
	}
	Sort(v)
	if v[0] != 3.5 || v[999] != 3.5 {
		t.Error("constant input")
	}
}

func BenchmarkSort100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	x0 := normals(rng, 100000, 0)
	x := make([]float64, len(x0))
	for b.Loop() {
		copy(x, x0)
		Sort(x)
	}
}
