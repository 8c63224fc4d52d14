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
