package view

import (
	"sync"

	"github.com/vigil-dev/vigil/sources"
)

// seriesMemo keeps one value derived from a store's series (which series
// there are, not their samples) while they stay the same
// (sources.Store.SeriesGeneration): a console evaluates every second, its
// store changes at each poll and its series seldom, and at 1,000 hosts
// selecting, labelling and grouping 128,000 series costs more than the
// figures. It holds the last store's value only.
type seriesMemo[T any] struct {
	mu  sync.Mutex
	st  *sources.Store
	gen uint64
	v   T
}

// get is the value for st's series, built when they changed since the last
// call (or the store is another one).
func (m *seriesMemo[T]) get(st *sources.Store, build func() T) T {
	gen := st.SeriesGeneration()
	m.mu.Lock()
	if m.st == st && m.gen == gen {
		v := m.v
		m.mu.Unlock()
		return v
	}
	m.mu.Unlock()
	v := build()
	m.mu.Lock()
	m.st, m.gen, m.v = st, gen, v
	m.mu.Unlock()
	return v
}
