package logs

import (
	"sync"
	"time"
)

// DefaultLinesPerSecond is the line budget of file tails (Options.Budget):
// the most lines all the files a console tails parse a second, together.
//
// Parsing, the store's churn, the collector's work on the records and the
// logs pane's reading grow with the lines parsed; on a machine of two
// cores shared with other work, 200,000 lines a second parsed left the
// console's keys waiting for a processor (logflood: p90 above 100 ms),
// while at 100,000 they did not. The store holds 100,000 records: at this
// rate a second of them. A single source of up to this rate is parsed
// whole; beyond it, lines over the budget are counted as dropped before
// parsing (log_lines_dropped_total, the logs pane's "lost N unparsed")
// instead of being parsed, and the budget is shared by the files as they
// read.
const DefaultLinesPerSecond = 100_000

// Budget is a rate of lines shared by sources: a token bucket holding up to
// a second of them. It is safe for concurrent use.
type Budget struct {
	mu     sync.Mutex
	rate   float64 // lines a second; 0: no bound
	tokens float64
	last   time.Time
	now    func() time.Time
}

// NewBudget returns a budget of perSecond lines a second (≤ 0: no bound).
func NewBudget(perSecond int) *Budget {
	r := float64(max(perSecond, 0))
	return &Budget{rate: r, tokens: r, now: time.Now}
}

// defaultBudget is the budget file tails share unless Options.Budget says
// otherwise.
var defaultBudget = NewBudget(DefaultLinesPerSecond)

// budgetStep is how many lines a source takes from the budget at once.
const budgetStep = 64

// take grants up to n lines now and returns how many.
func (b *Budget) take(n int) int {
	if b == nil || b.rate == 0 {
		return n
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.last.IsZero() {
		b.tokens = min(b.rate, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	k := min(n, int(b.tokens))
	b.tokens -= float64(k)
	return k
}
