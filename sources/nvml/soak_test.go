//go:build nvml_soak

package nvml

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/nvml/nvmlmock"
	"github.com/vigil-dev/vigil/sources/selfstat"
)

// TestSoak runs the collector over 8 mock GPUs at 1 s through a hub and a
// store for VIGIL_SOAK (default 30s) and prints the CPU it used and the
// heap: go test -tags nvml_soak -run TestSoak -v ./sources/nvml/
func TestSoak(t *testing.T) {
	d := 30 * time.Second
	if s := os.Getenv("VIGIL_SOAK"); s != "" {
		d, _ = time.ParseDuration(s)
	}
	st := sources.NewStore(sources.StoreOptions{})
	hub := sources.NewHub(st, sources.WallClock{})
	c := New(Options{Lib: nvmlmock.New(8, busy), Host: "box"})
	defer c.Close()
	hub.Add(c)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	go func() {
		for range hub.Updates() {
		}
	}()
	cpu0, _ := selfstat.CPUTime()
	start := time.Now()
	hub.Run(ctx)
	cpu1, _ := selfstat.CPUTime()
	wall := time.Since(start)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, _ := selfstat.RSS("/proc/self", float64(os.Getpagesize()))
	fmt.Printf("soak %v: CPU %.3f%% of one core, heap %.1f MB, RSS %.1f MB (test binary), %d GC\n",
		wall.Round(time.Second), 100*(cpu1-cpu0).Seconds()/wall.Seconds(), float64(ms.HeapAlloc)/(1<<20), rss/(1<<20), ms.NumGC)
}
