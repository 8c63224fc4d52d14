package sources

import (
	"slices"
	"sync"
)

// selectMemo keeps Select's sorted answers for bare names (no matchers) and
// for one host's series of a name while the store holds the same series: a
// live console evaluates every second and the store changes at every poll,
// but its series rarely come or go, and a fleet's names hold thousands of
// series (8,000 GPU temperatures at 1,000 hosts) that Select would sort
// again each time, as it would each host's.
type selectMemo struct {
	mu     sync.Mutex
	sets   uint64
	byName map[selectKey][]Series
}

type selectKey struct{ name, host string }

// get returns the memo's answer for name (and host, "" for all) at series
// generation sets, a copy the caller owns.
func (m *selectMemo) get(sets uint64, name, host string) ([]Series, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sets != sets || m.byName == nil {
		return nil, false
	}
	out, ok := m.byName[selectKey{name, host}]
	if !ok {
		return nil, false
	}
	return slices.Clone(out), true
}

// put keeps a copy of the answer at series generation sets, dropping the
// answers of older generations.
func (m *selectMemo) put(sets uint64, name, host string, out []Series) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.sets != sets || m.byName == nil {
		m.sets, m.byName = sets, map[selectKey][]Series{}
	}
	m.byName[selectKey{name, host}] = slices.Clone(out)
}
