package gctune

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestApply(t *testing.T) {
	gc0, lim0 := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	debug.SetGCPercent(gc0)
	defer func() { debug.SetGCPercent(gc0); debug.SetMemoryLimit(lim0) }()

	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	s := Apply(256<<20, getenv)
	if s.GCPercent != GCPercent || s.Limit != 448<<20 {
		t.Fatalf("applied %+v", s)
	}
	if gc := debug.SetGCPercent(GCPercent); gc != GCPercent {
		t.Errorf("GOGC now %d", gc)
	}
	if lim := debug.SetMemoryLimit(-1); lim != 448<<20 {
		t.Errorf("limit now %d", lim)
	}

	// What the environment set is kept.
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	env["GOGC"], env["GOMEMLIMIT"] = "200", "1GiB"
	if s := Apply(256<<20, getenv); s != (Settings{}) {
		t.Errorf("applied %+v over the environment", s)
	}
	if gc := debug.SetGCPercent(100); gc != 100 {
		t.Errorf("GOGC changed to %d", gc)
	}
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		t.Errorf("limit changed to %d", lim)
	}
	// No budget, no limit.
	delete(env, "GOMEMLIMIT")
	if s := Apply(0, getenv); s.Limit != 0 {
		t.Errorf("a limit without a budget: %+v", s)
	}
}
