package logs

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// fakeBudget is a budget of perSecond lines on a clock the test moves.
func fakeBudget(perSecond int) (*Budget, func(time.Duration)) {
	var mu sync.Mutex
	now := time.Unix(1_800_000_000, 0)
	b := NewBudget(perSecond)
	b.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	return b, func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
}

// drain takes all b grants now.
func drain(b *Budget) int {
	got := 0
	for {
		k := b.take(64)
		if k == 0 {
			return got
		}
		got += k
	}
}

// A second's worth at first, then the rate, and never more than a second's
// worth however long the budget stood unused.
func TestBudgetGrantsItsRate(t *testing.T) {
	b, step := fakeBudget(1000)
	for i := 0; i < 1000; i += 50 {
		if k := b.take(50); k != 50 {
			t.Fatalf("the first second: granted %d of 50 after %d", k, i)
		}
	}
	if k := b.take(10); k != 0 {
		t.Fatalf("over the budget: granted %d", k)
	}
	step(250 * time.Millisecond)
	if got := drain(b); got != 250 {
		t.Errorf("a quarter second later: granted %d, want 250", got)
	}
	step(time.Hour)
	if got := drain(b); got != 1000 {
		t.Errorf("an hour later: granted %d, want a second's 1000", got)
	}
	if k := NewBudget(0).take(64); k != 64 {
		t.Errorf("no budget: granted %d of 64", k)
	}
}

// Lines of a tailed file over the budget are counted as dropped before
// parsing and not parsed; a whole-file load is not bounded by it.
func TestFileOverBudget(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "flood.log")
	appendFile(t, path, "")
	b, _ := fakeBudget(1000) // its clock stands still: 1,000 lines in all
	o := fastOpts
	o.Budget = b
	c := run(t, NewFile(path, o))
	waitFor(t, "the file open", func() bool { return c.health().State == sources.HealthOK })
	var sb strings.Builder
	for i := 0; i < 5000; i++ {
		fmt.Fprintf(&sb, `{"level":"info","msg":"line %d"}`+"\n", i)
	}
	appendFile(t, path, sb.String())
	dropped := func(c *collector) float64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		v := -1.0
		for _, f := range c.frames {
			for _, p := range f.Points {
				if p.Series.Name == DroppedTotal {
					v = p.Value
				}
			}
		}
		return v
	}
	waitFor(t, "4,000 lines counted as dropped", func() bool { return dropped(c) == 4000 })
	msgs := c.msgs()
	if len(msgs) != 1000 || msgs[0] != "line 0" || msgs[999] != "line 999" {
		t.Errorf("parsed %d lines (%q ... ), want the first 1,000", len(msgs), msgs[:min(1, len(msgs))])
	}

	// The same file loaded whole, with the budget spent: every line.
	o.FromStart = true
	c2 := run(t, NewFile(path, o))
	waitFor(t, "the whole file", func() bool { return len(c2.msgs()) >= 5000 })
	if d := dropped(c2); d > 0 {
		t.Errorf("a whole-file load dropped %v lines", d)
	}
}
