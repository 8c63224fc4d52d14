package logs

import (
	"strconv"
	"sync"
)

// Vault keeps the originals of redacted lines in memory, bounded, so that the
// user can reveal one line on request. Records carry only a reference
// (Fields[RedactRefField]); recordings and snapshots never see the original.
// It is safe for concurrent use.
type Vault struct {
	mu    sync.Mutex
	next  uint64
	first uint64 // oldest reference still held
	lines []string
	max   int
}

// NewVault returns a vault that keeps the max most recent originals
// (default 10,000 when max ≤ 0).
func NewVault(max int) *Vault {
	if max <= 0 {
		max = 10_000
	}
	return &Vault{max: max, next: 1, first: 1}
}

// Put stores an original line and returns its reference.
func (v *Vault) Put(line string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	id := v.next
	v.next++
	if len(v.lines) < v.max {
		v.lines = append(v.lines, line)
	} else {
		v.lines[(id-1)%uint64(v.max)] = line
		v.first = id - uint64(v.max) + 1
	}
	return strconv.FormatUint(id, 10)
}

// Reveal returns the original line of a reference, if still held.
func (v *Vault) Reveal(ref string) (string, bool) {
	if v == nil {
		return "", false
	}
	id, err := strconv.ParseUint(ref, 10, 64)
	if err != nil {
		return "", false
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if id < v.first || id >= v.next {
		return "", false
	}
	return v.lines[(id-1)%uint64(v.max)], true
}
