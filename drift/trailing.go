package drift

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
)

// trailWin is what a trailing reference keeps of one closed window.
type trailWin struct {
	start  int64
	n      int64
	vals   []float64        // numeric: a uniform random subset of the window's sample
	cats   map[string]int64 // categorical
	hb, hc []float64        // histogram layout and per-bucket counts
}

// trailSlots returns how many windows a trailing reference spans.
func trailSlots(cfg *Config) int {
	return int((cfg.TrailingLength + cfg.TrailingLag + cfg.Cell - 1) / cfg.Cell)
}

// trailPerWindow returns how many values each window keeps at most, so that
// the whole ring (length plus lag) holds at most MaxReference values: the
// reference itself then holds MaxReference·length/(length+lag).
func trailPerWindow(cfg *Config) int {
	return max(1, cfg.MaxReference/trailSlots(cfg))
}

// closeTrailing is close for Trailing mode: the reference is rebuilt from the
// windows in [start − lag − length, start − lag) before scoring, and the
// closing window joins the ring. buf is scratch owned by the caller.
func (s *series) closeTrailing(start int64, cfg *Config, buf *[]float64) cellRec {
	w := &s.open
	s.buildTrailing(start, cfg, buf)
	rec := cellRec{start: start, n: w.n, invalid: int32(min(w.invalid, math.MaxInt32)), ref: s.ref}
	for i := range rec.st {
		rec.st[i] = float32(math.NaN())
	}
	switch {
	case s.kind == KindHistogram && w.layout:
		rec.level = LevelLayoutChanged
	case w.n == 0:
		rec.level = LevelNoData
	case s.ref == nil:
		rec.level = LevelBaselining
		rec.st[stMean], rec.st[stStd] = float32(w.mean()), float32(w.std())
	case w.n < int64(cfg.MinCount):
		rec.level = LevelInsufficient
	default:
		switch s.kind {
		case KindCategorical:
			// The bins move with the reference: recount by name.
			w.bins = make([]float64, len(s.ref.bins))
			for name, c := range w.cats {
				w.bins[s.ref.catBin(name)] += float64(c)
			}
		case KindNumeric:
			if len(w.bins) != len(s.ref.bins) {
				// Values arrived before the first reference existed:
				// bin the window's sample.
				w.bins = s.ref.binCounts(w.sample.values())
			}
		}
		if s.kind == KindHistogram && !SameLayout(w.hb, s.ref.bounds) {
			rec.level = LevelLayoutChanged
			break
		}
		s.score(&rec, cfg)
	}
	s.pushTrail(start, cfg)
	s.refSorted = nil // buf belongs to the caller
	s.resetWindow()
	return rec
}

func (s *series) buildTrailing(start int64, cfg *Config, buf *[]float64) {
	lo := start - int64(cfg.TrailingLag) - int64(cfg.TrailingLength)
	hi := start - int64(cfg.TrailingLag)
	var wins []*trailWin
	var total int64
	for i := range s.trail {
		t := &s.trail[i]
		if t.n > 0 && t.start >= lo && t.start < hi {
			if s.kind == KindHistogram && s.open.hb != nil && !SameLayout(t.hb, s.open.hb) {
				continue // another layout: never mixed
			}
			wins = append(wins, t)
			total += t.n
		}
	}
	covered := s.firstSeen >= 0 && lo >= s.firstSeen
	if !(total >= int64(cfg.MinReference) || (covered && total >= int64(cfg.MinCount))) {
		s.ref = nil
		return
	}
	slices.SortFunc(wins, func(a, b *trailWin) int { return int(a.start - b.start) })
	switch s.kind {
	case KindNumeric:
		// Take the same share of every window so that busy windows weigh
		// as much as they should: the largest share all windows can give.
		share := 1.0
		for _, t := range wins {
			share = min(share, float64(len(t.vals))/float64(t.n))
		}
		b := (*buf)[:0]
		for _, t := range wins {
			k := min(len(t.vals), int(math.Round(share*float64(t.n))))
			b = append(b, t.vals[:k]...)
		}
		if len(b) == 0 {
			s.ref = nil
			return
		}
		sortFloat64s(b)
		*buf = b
		s.ref = numericSnap(b, total, hi, s.trailLayout)
		s.trailLayout = s.ref.refLayout
		s.refSorted = b
	case KindCategorical:
		sum := map[string]int64{}
		for _, t := range wins {
			for name, c := range t.cats {
				sum[name] += c
			}
		}
		prev := s.ref
		s.ref = categoricalSnap(sum, hi, cfg)
		if prev != nil && sameCategories(prev.refLayout, s.ref.refLayout) {
			s.ref.refLayout = prev.refLayout
		}
	case KindHistogram:
		sum := make([]float64, len(wins[0].hb))
		for _, t := range wins {
			for k, c := range t.hc {
				sum[k] += c
			}
		}
		prev := s.ref
		s.ref = histogramSnap(wins[0].hb, sum, hi)
		if prev != nil && SameLayout(prev.bounds, s.ref.bounds) && slices.Equal(prev.groups, s.ref.groups) {
			s.ref.refLayout = prev.refLayout
		}
	}
}

func (s *series) pushTrail(start int64, cfg *Config) {
	if s.trail == nil {
		s.trail = make([]trailWin, trailSlots(cfg))
		s.rng = rand.New(rand.NewPCG(s.seed, 0xda3e39cb94b95bdb))
	}
	t := &s.trail[s.trailHead]
	s.trailHead = (s.trailHead + 1) % len(s.trail)
	w := &s.open
	t.start, t.n = start, w.n
	switch s.kind {
	case KindNumeric:
		// Keep a uniform random subset of the (sorted) window sample, in
		// random order so that any prefix is a uniform subset too.
		v := w.sample.values()
		k := min(len(v), trailPerWindow(cfg))
		if cap(t.vals) < k {
			t.vals = make([]float64, 0, trailPerWindow(cfg))
		}
		t.vals = t.vals[:0]
		for i, x := range v { // Algorithm R over the sample
			if i < k {
				t.vals = append(t.vals, x)
			} else if j := s.rng.IntN(i + 1); j < k {
				t.vals[j] = x
			}
		}
		s.rng.Shuffle(len(t.vals), func(i, j int) { t.vals[i], t.vals[j] = t.vals[j], t.vals[i] })
	case KindCategorical:
		t.cats = maps.Clone(w.cats)
	case KindHistogram:
		t.hb, t.hc = w.hb, w.hc
		if w.layout {
			t.n = 0 // mixed layouts inside the window
		}
	}
}

// sameCategories reports whether two categorical layouts bin every name the
// same way.
func sameCategories(a, b *refLayout) bool {
	if !slices.Equal(a.cats, b.cats) || len(a.catIdx) != len(b.catIdx) {
		return false
	}
	for name, i := range a.catIdx {
		if j, ok := b.catIdx[name]; !ok || i != j {
			return false
		}
	}
	return true
}
