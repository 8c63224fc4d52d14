package main

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// BenchmarkDemoFirstFrame measures what `vigil demo` does before its first
// full frame: start the demo service and the OTLP receiver, wire every
// source, poll them once (an HTTP scrape of /metrics, NVML on the simulated
// GPUs, ...) and evaluate the overview with both services and all GPUs.
func BenchmarkDemoFirstFrame(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 0; i < b.N; i++ {
		ctx, cancel := context.WithCancel(context.Background())
		o := &options{}
		s := newSession(o, Config{}, log, sources.WallClock{})
		d := &demoSetup{}
		d.opts.Seed, d.opts.Speed, d.opts.GPUs = 1, 1, 8
		if err := d.start(ctx, s); err != nil {
			b.Fatal(err)
		}
		if err := s.addSources(ctx, d.svc.NVML(), nil); err != nil {
			b.Fatal(err)
		}
		if err := d.attach(s); err != nil {
			b.Fatal(err)
		}
		s.hub.PollOnce(ctx)
		ov := view.Evaluate(s.store, s.clock.Now(), s.vopts)
		if len(ov.Services) != 2 || len(ov.GPUs) != 8 || !ov.Services[0].Latency.P99.OK || !ov.GPUs[0].Util.OK {
			b.Fatalf("first frame incomplete: %d services, %d GPUs", len(ov.Services), len(ov.GPUs))
		}
		b.StopTimer()
		cancel()
		s.Close()
		b.StartTimer()
	}
}
