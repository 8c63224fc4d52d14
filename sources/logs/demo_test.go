package logs_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/demo"
	"github.com/vigil-dev/vigil/sources/logs"
)

// TestDemoLogParsesWell tails the embedded demo's real log file and checks
// that its lines come out whole: their own time, a level, a service, trace
// and span ids, and the numeric fields the drift engine reads.
func TestDemoLogParsesWell(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Speed 10: the demo logs nothing from before its start (its warm-up
	// leaves no lines), so 200 lines take ~20 s at speed 1 and ~3 s here.
	svc, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Seed: 7, GPUs: 2, Speed: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	var mu sync.Mutex
	var recs []sources.LogRecord
	src := logs.NewFile(svc.LogPath(), logs.Options{Poll: 10 * time.Millisecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		src.Run(ctx, func(f sources.Frame) {
			mu.Lock()
			recs = append(recs, f.Logs...)
			mu.Unlock()
		})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(recs)
		mu.Unlock()
		if n >= 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d demo lines in 20 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	mu.Lock()
	defer mu.Unlock()
	var withTrace, withConf, levels, withLatency int
	for _, r := range recs {
		if r.At.IsZero() || r.Service == "" || r.Msg == "" {
			t.Fatalf("demo line not parsed whole: %+v", r)
		}
		if _, ok := r.Fields.Get("time"); ok {
			t.Fatalf("time not read from the line: %+v", r)
		}
		if r.Level != sources.LevelUnknown {
			levels++
		}
		if r.TraceID != "" && r.SpanID != "" {
			withTrace++
		}
		if c, ok := r.Fields.Get("prediction.confidence"); ok {
			if v, err := strconv.ParseFloat(c, 64); err != nil || v < 0 || v > 1 {
				t.Errorf("prediction.confidence = %q", c)
			}
			withConf++
		}
		if _, ok := logs.Latency(&r); ok {
			withLatency++
		}
	}
	if levels != len(recs) || withTrace == 0 || withConf == 0 || withLatency == 0 {
		t.Errorf("%d lines: %d with a level, %d with trace and span ids, %d with prediction.confidence, %d with a latency",
			len(recs), levels, withTrace, withConf, withLatency)
	}
}
