package gctune

import (
	"math"
	"runtime/debug"
	"sync/atomic"
	"testing"
	"time"
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

func TestFollow(t *testing.T) {
	lim0 := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(lim0)
	for _, c := range []struct{ used, budget, want int64 }{
		{0, 256 << 20, MinLimit},
		{96 << 20, 256 << 20, 256 << 20},
		{150 << 20, 256 << 20, 364 << 20},
		{256 << 20, 256 << 20, 448 << 20}, // at most Limit(budget)
		{900 << 20, 1 << 30, Limit(1 << 30)},
	} {
		if got := LimitFor(c.used, c.budget); got != c.want {
			t.Errorf("LimitFor(%d MiB, %d MiB) = %d MiB, want %d", c.used>>20, c.budget>>20, got>>20, c.want>>20)
		}
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	used := make(chan int64, 1)
	used <- 150 << 20
	var last atomic.Int64
	stop := Follow(256<<20, func() int64 {
		select {
		case u := <-used:
			last.Store(u)
		default:
		}
		return last.Load()
	}, time.Millisecond, getenv)
	if lim := debug.SetMemoryLimit(-1); lim != 364<<20 {
		t.Errorf("limit %d MiB at once, want 364", lim>>20)
	}
	used <- 256 << 20
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) != 448<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("the limit did not follow the store: %d MiB", debug.SetMemoryLimit(-1)>>20)
		}
		time.Sleep(time.Millisecond)
	}
	stop()
	// The environment's limit is kept.
	debug.SetMemoryLimit(math.MaxInt64)
	env["GOMEMLIMIT"] = "1GiB"
	Follow(256<<20, func() int64 { return 0 }, time.Millisecond, getenv)()
	if lim := debug.SetMemoryLimit(-1); lim != math.MaxInt64 {
		t.Errorf("limit changed to %d under GOMEMLIMIT", lim)
	}
}
