package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/sources/view"
)

// TestLiveEqualsReplay records the demo headless while it is watched live,
// then checks that `vigil replay --once --at T` prints, at several instants,
// the figures the live store gave at those instants.
func TestLiveEqualsReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("records the demo for 6 s")
	}
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Second)
	defer cancel()
	o := &options{}
	cfg := Config{}
	demoDefaults(&cfg)
	s := newSession(o, cfg, log, sources.WallClock{})
	d := &demoSetup{}
	d.opts.Seed, d.opts.Speed, d.opts.GPUs = 4, 10, 8
	if err := d.start(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := s.addSources(ctx, d.svc.NVML(), nil); err != nil {
		t.Fatal(err)
	}
	if err := d.attach(s); err != nil {
		t.Fatal(err)
	}
	rec, err := replay.NewRecorder(dir, replay.RecorderOptions{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	rec.Write(s.settingsFrame())
	s.hub.AddSink(rec.Write)
	s.hub.Run(ctx)
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	s.Close()

	newest := s.store.Newest()
	for _, back := range []time.Duration{3 * time.Second, 1500 * time.Millisecond, 0} {
		at := newest.Add(-back).Truncate(time.Millisecond)
		live := view.Evaluate(s.store, at, s.vopts)
		var out, errb bytes.Buffer
		code := run([]string{"replay", dir, "--once", "--output", "json", "--at", at.Format(time.RFC3339Nano),
			"--log-file", filepath.Join(dir, "v.log")}, strings.NewReader(""), &out, &errb)
		if code != 0 {
			t.Fatalf("replay --once: exit %d: %s", code, errb.String())
		}
		var got view.Overview
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Services) != len(live.Services) || len(got.GPUs) != len(live.GPUs) {
			t.Fatalf("at %v: replay has %d services, %d GPUs; live %d, %d", at, len(got.Services), len(got.GPUs), len(live.Services), len(live.GPUs))
		}
		same := func(what string, a, b view.Num) {
			t.Helper()
			if a.OK != b.OK || a.OK && math.Float64bits(a.V) != math.Float64bits(b.V) && math.Abs(a.V-b.V) > 1e-9*math.Abs(b.V) {
				t.Errorf("at -%v %s: replay %v, live %v", back, what, a, b)
			}
		}
		for i, sv := range live.Services {
			r := got.Services[i]
			same(sv.Name+" p99", r.Latency.P99, sv.Latency.P99)
			same(sv.Name+" p50", r.Latency.P50, sv.Latency.P50)
			same(sv.Name+" req/s", r.Throughput, sv.Throughput)
			same(sv.Name+" errors", r.ErrorRate, sv.ErrorRate)
			same(sv.Name+" queue", r.QueueDepth, sv.QueueDepth)
		}
		for i, g := range live.GPUs {
			r := got.GPUs[i]
			same("gpu"+g.Index+" util", r.Util, g.Util)
			same("gpu"+g.Index+" temp", r.Temp, g.Temp)
			same("gpu"+g.Index+" power", r.Power, g.Power)
		}
	}
}
