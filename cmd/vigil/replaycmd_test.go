package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
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

// TestReplayVerify: --verify on the sample recording says it is sound
// (exit 0); on a copy with a flipped bit in a block it names the block, its
// offset and what is wrong (exit 4), in text and JSON.
func TestReplayVerify(t *testing.T) {
	code, out, errOut := runCLI(t, "replay", sample, "--verify")
	if code != 0 || !strings.Contains(out, "verdict    sound") || !strings.Contains(out, "14 good, 0 damaged") {
		t.Fatalf("sound: exit %d\n%s%s", code, out, errOut)
	}
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	r, err := replay.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	info := r.Info()
	r.Close()
	// A bit in the middle of the file: inside some block's payload, which
	// --info (it reads the index) does not notice.
	b[len(b)/2] ^= 0x10
	damaged := filepath.Join(t.TempDir(), "damaged"+replay.Ext)
	os.WriteFile(damaged, b, 0o600)
	code, out, _ = runCLI(t, "replay", damaged, "--info")
	if code != 0 || strings.Contains(out, "warning") {
		t.Fatalf("--info: exit %d\n%s", code, out)
	}
	code, out, errOut = runCLI(t, "replay", damaged, "--verify")
	if code != 4 || !regexp.MustCompile(`damage     damaged.vrec: block \d+ at offset \d+ \(.*\): block record: checksum mismatch`).MatchString(out) ||
		!strings.Contains(out, "verdict    damaged: 1 problem") {
		t.Fatalf("damaged: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "replay", damaged, "--verify", "--output", "json")
	var rep replay.VerifyReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != 4 {
		t.Fatalf("json: exit %d, %v\n%s", code, err, out)
	}
	if len(rep.Problems) != 1 || rep.Problems[0].Block == 0 || rep.Good != info.Blocks-1 {
		t.Fatalf("json report: %+v", rep)
	}
	code, _, errOut = runCLI(t, "replay", t.TempDir(), "--verify")
	if code != 1 || !strings.Contains(errOut, "no recordings") {
		t.Fatalf("empty dir: exit %d, %q", code, errOut)
	}
}

// TestReplayOnceOutsideRange: --once --at an instant the recording does
// not hold fails in one line naming the recording's range, exit 2, rather
// than printing n/a everywhere.
func TestReplayOnceOutsideRange(t *testing.T) {
	r, err := replay.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	from, to := r.Span()
	r.Close()
	for _, at := range []time.Time{from.Add(-time.Hour), to.Add(time.Minute)} {
		code, out, errOut := runCLI(t, "replay", sample, "--once", "--at", at.Format(time.RFC3339))
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || out != "" || len(lines) != 1 || !strings.Contains(errOut, "outside the recording ("+spanText(from, to)+")") {
			t.Fatalf("--at %v: exit %d, stdout %q, stderr %q", at, code, out, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "replay", sample, "--once", "--at", from.Add(time.Second).Format(time.RFC3339Nano)); code != 0 && code != 3 {
		t.Fatalf("inside: exit %d: %s", code, errOut)
	}
}
