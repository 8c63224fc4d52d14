package driftsrc

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// logFrame is one second of log records: n records with price (numeric,
// plus one that does not parse) and tier (categorical) fields.
func logFrame(sec, n int, shift float64) sources.Frame {
	at := t0.Add(time.Duration(sec) * time.Second)
	f := sources.Frame{Source: "log app", At: at}
	for i := range n {
		v := math.Sin(float64(sec*n+i)) + shift
		f.Logs = append(f.Logs, sources.LogRecord{At: at, Fields: sources.MakeFields(
			sources.Field{Key: "features.price", Value: strconv.FormatFloat(v, 'g', -1, 64)},
			sources.Field{Key: "tier", Value: []string{"free", "pro", "team"}[i%3]},
		)})
	}
	f.Logs = append(f.Logs, sources.LogRecord{At: at, Fields: sources.FieldsFromMap(map[string]string{"features.price": "n/a"})})
	return f
}

func TestIngestLogsAndHistograms(t *testing.T) {
	cfg := drift.Config{Cell: 10 * time.Second, Baseline: 30 * time.Second, MinReference: 100, MinCount: 10}
	d, err := New(cfg, []Feature{
		{Field: "features.price"},
		{Name: "tier", Field: "tier", Categorical: true},
		{Name: "latency", Histogram: "req_seconds"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var cum float64
	for sec := range 120 {
		shift := 0.0
		if sec >= 60 {
			shift = 3 // drift after a minute
		}
		f := logFrame(sec, 20, shift)
		cum += 10
		bounds := []float64{0.1, 0.5, 1, math.Inf(1)}
		f.Histograms = []sources.Histogram{{Series: sources.Series{Name: "req_seconds"}, At: f.At,
			Buckets: []sources.Bucket{{UpperBound: bounds[0], Count: cum * 0.2}, {UpperBound: bounds[1], Count: cum * 0.6}, {UpperBound: bounds[2], Count: cum * 0.9}, {UpperBound: bounds[3], Count: cum}}}}
		f.Histograms = append(f.Histograms, sources.Histogram{Series: sources.Series{Name: "other_seconds"}, At: f.At,
			Buckets: []sources.Bucket{{UpperBound: math.Inf(1), Count: cum}}})
		d.Ingest(f)
	}
	rows := d.Rows()
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Feature
	}
	if strings.Join(names, ",") != "features.price,latency,tier" {
		t.Fatalf("rows %v", names)
	}
	price := rows[0]
	if price.Kind != drift.KindNumeric || !price.Reference.Ready || len(price.Cells) != 11 {
		t.Fatalf("price row %+v (%d cells)", price.Reference, len(price.Cells))
	}
	if last := price.Cells[len(price.Cells)-1]; last.Level != drift.LevelHigh || last.Stats.N != 200 {
		t.Errorf("price after the shift: %v n=%d, want high n=200 (the unparsable value skipped)", last.Level, last.Stats.N)
	}
	if rows[1].Kind != drift.KindHistogram || rows[2].Kind != drift.KindCategorical {
		t.Errorf("kinds %v %v", rows[1].Kind, rows[2].Kind)
	}
	if got := d.Alerting(t0.Add(120 * time.Second)); len(got) != 1 || got[0] != "features.price" {
		t.Errorf("alerting %v", got)
	}
	// Reset starts over.
	d.Reset()
	if len(d.Rows()) != 0 {
		t.Errorf("rows after reset: %d", len(d.Rows()))
	}
}

func TestReferenceFileSurvivesReset(t *testing.T) {
	var b strings.Builder
	for i := range 500 {
		b.WriteString(strconv.FormatFloat(math.Sin(float64(i)), 'g', -1, 64) + "\n")
	}
	ref := filepath.Join(t.TempDir(), "ref.txt")
	if err := os.WriteFile(ref, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := New(drift.Config{Cell: 10 * time.Second}, []Feature{{Field: "features.price", Reference: ref}})
	if err != nil {
		t.Fatal(err)
	}
	for pass := range 2 {
		data, ok := d.Monitor().Reference("features.price")
		if !ok || data.N != 500 {
			t.Errorf("pass %d: reference %v n=%d, want the file's 500 values", pass, ok, data.N)
		}
		d.Reset()
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(drift.Config{}, []Feature{{Name: "x"}}); err == nil || !strings.Contains(err.Error(), `"x" needs a field or a histogram`) {
		t.Errorf("featureless: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "missing.txt")
	if _, err := New(drift.Config{}, []Feature{{Field: "f", Reference: missing}}); err == nil || !strings.Contains(err.Error(), "drift reference "+missing) {
		t.Errorf("missing reference: %v", err)
	}
}

// TestStartQueues: after Start, Ingest returns while the monitor's own
// goroutine is held up (as it is by a column close), and what it applies
// afterwards is what Ingest would have applied at once.
func TestStartQueues(t *testing.T) {
	cfg := drift.Config{Cell: 10 * time.Second, Baseline: 30 * time.Second, MinReference: 100, MinCount: 10}
	feats := []Feature{{Field: "features.price"}, {Name: "tier", Field: "tier", Categorical: true}, {Name: "latency", Histogram: "req_seconds"}}
	direct, err := New(cfg, feats)
	if err != nil {
		t.Fatal(err)
	}
	async, err := New(cfg, feats)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	async.Start(ctx)
	release := make(chan struct{})
	async.q.mu.Lock()
	async.q.hook = func() { <-release }
	async.q.mu.Unlock()
	fed := make(chan struct{})
	go func() {
		defer close(fed)
		var cum float64
		for sec := range 120 {
			shift := 0.0
			if sec >= 60 {
				shift = 3
			}
			f := logFrame(sec, 20, shift)
			cum += 10
			f.Histograms = []sources.Histogram{{Series: sources.Series{Name: "req_seconds"}, At: f.At,
				Buckets: []sources.Bucket{{UpperBound: 0.5, Count: cum * 0.5}, {UpperBound: math.Inf(1), Count: cum}}}}
			direct.Ingest(f)
			async.Ingest(f)
		}
	}()
	select {
	case <-fed:
	case <-time.After(10 * time.Second):
		t.Fatal("Ingest waited for the monitor's goroutine")
	}
	if rows := async.Rows(); len(rows) != 0 {
		t.Fatalf("applied while held: %d rows", len(rows))
	}
	close(release)
	async.Sync()
	want, got := direct.Rows(), async.Rows()
	if len(got) != 3 || len(want) != 3 {
		t.Fatalf("rows: %d, %d", len(got), len(want))
	}
	for i := range want {
		if len(got[i].Cells) != len(want[i].Cells) {
			t.Fatalf("%s: %d cells, want %d", want[i].Feature, len(got[i].Cells), len(want[i].Cells))
		}
		for j := range want[i].Cells {
			if g, w := got[i].Cells[j], want[i].Cells[j]; g.Level != w.Level || g.Stats.N != w.Stats.N {
				t.Fatalf("%s cell %d: %v n=%d, want %v n=%d", want[i].Feature, j, g.Level, g.Stats.N, w.Level, w.Stats.N)
			}
		}
	}
	if async.Dropped() != 0 {
		t.Fatalf("dropped %d", async.Dropped())
	}
	// Once ctx ends, Ingest applies at once again.
	cancel()
	for deadline := time.Now().Add(10 * time.Second); ; {
		async.q.mu.Lock()
		on := async.q.on
		async.q.mu.Unlock()
		if !on {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the queue stayed on after ctx ended")
		}
		time.Sleep(time.Millisecond)
	}
	async.Ingest(logFrame(200, 20, 0))
	direct.Ingest(logFrame(200, 20, 0))
	if a, s := len(async.Rows()[0].Cells), len(direct.Rows()[0].Cells); a != s {
		t.Fatalf("after stop: %d cells, want %d", a, s)
	}
}
