package sources

import (
	"slices"
	"sync"
)

// selectMemo keeps Select's sorted answers for bare names (no matchers)
// while the store is unchanged: a live console evaluates every second and
// the store changes at every poll, and a fleet's names hold thousands of
// series (8,000 GPU temperatures at 1,000 hosts) that Select would sort
// again each time.
type selectMemo struct {
	mu     sync.Mutex
	gen    uint64
	byName map[string][]Series
}

// get returns the memo's answer for name at generation gen, a copy
// the caller owns.
func (m *selectMemo) get(gen uint64, name string) ([]Series, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen != gen || m.byName == nil {
		return nil, false
	}
	out, ok := m.byName[name]
	if !ok {
		return nil, false
	}
	return slices.Clone(out), true
}

// put keeps a copy of name's answer at generation gen, dropping the answers
// of older generations.
func (m *selectMemo) put(gen uint64, name string, out []Series) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.gen != gen || m.byName == nil {
		m.gen, m.byName = gen, map[string][]Series{}
	}
	m.byName[name] = slices.Clone(out)
}
