package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/replay"
)

func TestParseAtWrapper(t *testing.T) {
	ref := time.Date(2026, 11, 25, 14, 30, 0, 0, time.UTC)
	got, err := parseAt("14:02", ref, time.UTC)
	if err != nil || !got.Equal(time.Date(2026, 11, 25, 14, 2, 0, 0, time.UTC)) {
		t.Fatalf("14:02: %v %v", got, err)
	}
	if _, err := parseAt("whenever", ref, time.UTC); err == nil || !strings.HasPrefix(err.Error(), "--at: ") {
		t.Fatalf("bad time: %v", err)
	}
}

func TestReplayInfo(t *testing.T) {
	dir := t.TempDir()
	start := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	ser := sources.NewSeries(sources.GPUUtilization, sources.Gauge, "gpu", "0")
	var frames []sources.Frame
	for i := 0; i < 30; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		if i >= 20 {
			at = at.Add(2 * time.Minute) // a gap
		}
		f := sources.Frame{Source: "nvml", At: at, Points: []sources.Point{{Series: ser, At: at, Value: 0.5}}}
		if i == 25 {
			f.Events = []sources.Event{{At: at, Kind: "alert", Severity: sources.SevCritical, Text: "GPU 0 hot"}}
		}
		frames = append(frames, f)
	}
	path := filepath.Join(dir, "r"+replay.Ext)
	if err := replay.WriteFile(path, frames, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := replayInfoMain(path, &out, &errb, false); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"series     1", "sources    nvml", "gaps       1", "markers    1", "alert", "GPU 0 hot", "complete"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("text info lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if code := replayInfoMain(path, &out, &errb, true); code != 0 {
		t.Fatalf("json exit %d", code)
	}
	var in replay.Info
	if err := json.Unmarshal(out.Bytes(), &in); err != nil {
		t.Fatalf("json: %v\n%s", err, out.String())
	}
	if in.Series != 1 || len(in.Gaps) != 1 || !in.From.Equal(start) || len(in.Markers) != 1 {
		t.Fatalf("json info: %+v", in)
	}
	// Bad input: an empty file is a clear error and status 1.
	empty := filepath.Join(dir, "empty"+replay.Ext)
	os.WriteFile(empty, nil, 0o600)
	errb.Reset()
	if code := replayInfoMain(empty, &out, &errb, false); code != 1 || !strings.Contains(errb.String(), "empty") {
		t.Fatalf("empty file: exit %d, %q", code, errb.String())
	}
}
