package fleet

import (
	"math"
)

// The arithmetic every series is built from. Time u is seconds since the
// fleet's Start (negative before it). Nothing here keeps state: each value is
// a closed-form function of the host's profile and u, so an instant renders
// the same whether it is asked for live or as history.

// wave is one sinusoid of a host's load.
type wave struct{ a, w, phi float64 } // amplitude (ratio), angular frequency (rad/s), phase (rad)

// load is a host's request-rate multiplier: 1 + Σ a·sin(w·u + φ). The
// amplitudes add up to less than 1, so it stays positive and every counter
// built on its integral only grows.
type load [5]wave

// loadPeriods are the periods (seconds) of the load's waves, from a day down
// to half a minute; loadAmps their amplitudes (sum 0.38).
var (
	loadPeriods = [5]float64{86400, 3600, 613, 97, 31}
	loadAmps    = [5]float64{0.15, 0.08, 0.06, 0.05, 0.04}
)

const loadMax = 1.38 // 1 + Σ loadAmps

func (l *load) at(u float64) float64 {
	v := 1.0
	for _, x := range l {
		v += x.a * math.Sin(x.w*u+x.phi)
	}
	return v
}

// integral is ∫ load over [u0, u1] in seconds; 0 when u1 ≤ u0.
func (l *load) integral(u0, u1 float64) float64 {
	if u1 <= u0 {
		return 0
	}
	v := u1 - u0
	for _, x := range l {
		v -= x.a / x.w * (math.Cos(x.w*u1+x.phi) - math.Cos(x.w*u0+x.phi))
	}
	return math.Max(v, 0)
}

// level is the load scaled to 0.45..1.
func (l *load) level(u float64) float64 { return l.at(u) / loadMax }

// dist is the distribution of one observed quantity: log-normal with the
// given median and log-sd, or a point mass at median when sigma is 0.
type dist struct{ median, sigma float64 }

// cdf is P(X ≤ x).
func (d dist) cdf(x float64) float64 {
	if math.IsInf(x, 1) {
		return 1
	}
	if x <= 0 {
		return 0
	}
	if d.sigma == 0 {
		if x >= d.median {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc(-(math.Log(x/d.median))/(d.sigma*math.Sqrt2))
}

// mean is E[X].
func (d dist) mean() float64 { return d.median * math.Exp(d.sigma*d.sigma/2) }

// mix is the observations of one histogram: count of them, n[k] drawn from
// the distribution whose CDF at each of the layout's bounds is c[k] and whose
// mean is mean[k] (n[0]+n[1] ≥ count). Cumulative bucket counts are
// floor(Σ n·cdf), capped at the count, so they never decrease along the
// bounds nor in time (count and each n only grow), and +Inf is the count.
type mix struct {
	count float64
	n     [2]float64
	c     [2][]float64
	mean  [2]float64
}

// one is a histogram of count observations from one distribution.
func one(count float64, t *table) *mix {
	return &mix{count: count, n: [2]float64{count}, c: [2][]float64{t.cdf}, mean: [2]float64{t.mean}}
}

// two is a histogram of count observations, n0 from a and n1 from b.
func two(count, n0, n1 float64, a, b *table) *mix {
	return &mix{count: count, n: [2]float64{n0, n1}, c: [2][]float64{a.cdf, b.cdf}, mean: [2]float64{a.mean, b.mean}}
}

// bucket is the cumulative count at the layout's i-th finite bound.
func (m *mix) bucket(i int) float64 {
	v := m.n[0] * m.c[0][i]
	if m.n[1] > 0 {
		v += m.n[1] * m.c[1][i]
	}
	return math.Min(m.count, math.Floor(v))
}

// sum is Σ n·mean, to a millionth: rounding keeps it from wobbling in the
// last bits while the counts stand still.
func (m *mix) sum() float64 {
	v := m.n[0] * m.mean[0]
	if m.n[1] > 0 {
		v += m.n[1] * m.mean[1]
	}
	return math.Round(v*1e6) / 1e6
}

// table is a distribution's CDF at a layout's finite bounds, and its mean:
// computed once, so that rendering does no special functions.
type table struct {
	cdf  []float64
	mean float64
}

func newTable(d dist, l *layout) *table {
	t := &table{cdf: make([]float64, len(l.bounds)), mean: d.mean()}
	for i, b := range l.bounds {
		t.cdf[i] = d.cdf(b)
	}
	return t
}

// noise is a uniform draw in [0, 1) fixed by (key, whole second of u): the
// same instant always draws the same value.
func noise(key uint64, u float64) float64 {
	return float64(mix64(key^uint64(int64(math.Floor(u))))>>11) / (1 << 53)
}

// mix64 is SplitMix64's finaliser.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// key combines a host seed with small integers into a noise key.
func key(seed uint64, parts ...uint64) uint64 {
	k := seed
	for _, p := range parts {
		k = mix64(k ^ p*0x100000001b3)
	}
	return k
}

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }

// ramp is 0 before u0, 1 after u0+d, linear between.
func ramp(u, u0, d float64) float64 {
	if d <= 0 {
		if u >= u0 {
			return 1
		}
		return 0
	}
	return clamp((u-u0)/d, 0, 1)
}
