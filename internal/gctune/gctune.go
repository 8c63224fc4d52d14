// Package gctune sets the Go garbage collector for a vigil process from
// the store's memory budget.
//
// A Go process's heap grows to about (1 + GOGC/100) times what is live
// before the collector runs again: at the default GOGC of 100, twice.
// vigil's live heap is mostly its store, bounded by the memory budget
// (memory_budget in the config, 256 MiB by default), and the store fills
// at the rate data arrives, so that headroom is most of what the resident
// set grows by over the first hour. vigil runs the collector at GOGC 50
// (the heap grows to one and a half times what is live; the demo's
// steady CPU stays within measuring noise, see docs/memory.md), and
// sets a soft memory limit, above what the budget lets the store hold
// plus the rest of the console, that bounds the headroom when the store
// is full: Limit(budget).
//
// GOGC and GOMEMLIMIT in the environment win: what they set is kept.
package gctune

import (
	"runtime/debug"
	"time"
)

// GCPercent is the GOGC vigil runs at unless the environment sets one.
const GCPercent = 50

// Limit is the soft memory limit for a store budget: the budget, half of
// it again for the collector's headroom, and 64 MiB for the rest of the
// console (views, drift reservoirs, buffers, stacks). The runtime treats it
// as a target, not a wall: it collects more often near it, and never
// fails an allocation for it.
func Limit(budget int64) int64 {
	return budget + budget/2 + 64<<20
}

// Settings are what Apply set; 0 where it left the runtime's setting.
type Settings struct {
	GCPercent int   // the GOGC applied
	Limit     int64 // the memory limit applied, in bytes
}

// Apply sets GOGC and the memory limit for a store budget (≤ 0: no limit),
// each unless getenv says the environment set it.
func Apply(budget int64, getenv func(string) string) Settings {
	var s Settings
	if getenv("GOGC") == "" {
		debug.SetGCPercent(GCPercent)
		s.GCPercent = GCPercent
	}
	if getenv("GOMEMLIMIT") == "" && budget > 0 {
		s.Limit = Limit(budget)
		debug.SetMemoryLimit(s.Limit)
	}
	return s
}

// MinLimit is the least memory limit Follow sets.
const MinLimit = 256 << 20

// LimitFor is the memory limit for a store that holds used bytes of its
// budget: twice what it holds and 64 MiB (the rest of the console, and a
// query engine's answers while a poll decodes them, which grow with the
// fleet as the store's series do), at least MinLimit, at most
// Limit(budget).
func LimitFor(used, budget int64) int64 {
	return min(Limit(budget), max(MinLimit, 2*used+64<<20))
}

// Follow sets the memory limit from what the store holds, read with used
// now and then every interval, until the returned stop is called; it does
// nothing where the environment sets GOMEMLIMIT or budget ≤ 0.
//
// Query mode runs it. Watching a fleet through a query engine, the store
// holds a few minutes of samples at first and fills over its retention,
// while every poll decodes answers of about its size again: at 1,000 hosts
// the heap at its peak is mostly a poll's answers, and under a limit from
// the budget alone (448 MiB at the default) the collector let the heap grow
// to one and a half times that peak. A limit that follows the store keeps
// the resident set near what is live while the store is young, and grows
// to Limit(budget) as it fills (docs/query-mode.md, "The console at 1,000
// hosts").
func Follow(budget int64, used func() int64, interval time.Duration, getenv func(string) string) (stop func()) {
	if getenv("GOMEMLIMIT") != "" || budget <= 0 {
		return func() {}
	}
	set := func() { debug.SetMemoryLimit(LimitFor(used(), budget)) }
	set()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				set()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}
