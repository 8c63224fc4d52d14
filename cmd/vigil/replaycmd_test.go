package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/replay"
	"github.com/vigil-dev/vigil/sources/view/report"
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
	// the index does not show. --info checks every record: it names the
	// block too (exit 4), beside what the index says.
	b[len(b)/2] ^= 0x10
	damaged := filepath.Join(t.TempDir(), "damaged"+replay.Ext)
	os.WriteFile(damaged, b, 0o600)
	code, out, _ = runCLI(t, "replay", damaged, "--info")
	if code != 4 || !strings.Contains(out, "series ") ||
		!regexp.MustCompile(`damage     damaged.vrec: block \d+ at offset \d+ \(.*\): block record: checksum mismatch`).MatchString(out) ||
		!strings.Contains(out, fmt.Sprintf("%d of %d blocks good, 1 problem(s)", info.Blocks-1, info.Blocks)) {
		t.Fatalf("--info: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "replay", damaged, "--info", "--output", "json")
	var ir infoReport
	if err := json.Unmarshal([]byte(out), &ir); err != nil || code != 4 || len(ir.Damage) != 1 || ir.Series == 0 || ir.Good != info.Blocks-1 {
		t.Fatalf("--info json: exit %d, %v\n%s", code, err, out)
	}
	if code, out, _ = runCLI(t, "replay", sample, "--info"); code != 0 || strings.Contains(out, "damage") ||
		!strings.Contains(out, fmt.Sprintf("checked    every record's checksums and times: %d blocks good", info.Blocks)) {
		t.Fatalf("--info sound: exit %d\n%s", code, out)
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

// TestProgressLine: progress shows on a terminal once a check has run half
// a second, redrawn at most every 100 ms and cleared at the end; elsewhere
// only when it is slow (5 s), a line every 10 s; a quick check says
// nothing.
func TestProgressLine(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	newPL := func(tty bool) (*progressLine, *bytes.Buffer) {
		var b bytes.Buffer
		return &progressLine{w: &b, what: "verifying r.vrec", tty: tty, now: func() time.Time { return now }, start: now}, &b
	}
	at := func(d time.Duration) { now = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC).Add(d) }
	for _, tty := range []bool{true, false} {
		at(0)
		p, b := newPL(tty)
		p.update(1<<20, 100<<20) // quick: nothing
		at(300 * time.Millisecond)
		p.update(2<<20, 100<<20)
		p.end()
		if b.Len() != 0 {
			t.Errorf("tty %v: a quick check wrote %q", tty, b.String())
		}
	}
	at(0)
	p, b := newPL(true)
	at(600 * time.Millisecond)
	p.update(10<<20, 100<<20)
	at(650 * time.Millisecond)
	p.update(11<<20, 100<<20) // too soon after the last
	at(800 * time.Millisecond)
	p.update(50<<20, 100<<20)
	p.end()
	if want := "\r\x1b[Kverifying r.vrec: 10% (10.0 MiB of 100.0 MiB)\r\x1b[Kverifying r.vrec: 50% (50.0 MiB of 100.0 MiB)\r\x1b[K"; b.String() != want {
		t.Errorf("terminal:\n got %q\nwant %q", b.String(), want)
	}
	at(0)
	p, b = newPL(false)
	for _, s := range []time.Duration{1, 4, 6, 10, 16, 17, 30} {
		at(s * time.Second)
		p.update(int64(s)<<20, 40<<20)
	}
	p.end()
	if want := "vigil replay: verifying r.vrec: 15% (6.0 MiB of 40.0 MiB, 6s)\nvigil replay: verifying r.vrec: 40% (16.0 MiB of 40.0 MiB, 16s)\nvigil replay: verifying r.vrec: 75% (30.0 MiB of 40.0 MiB, 30s)\n"; b.String() != want {
		t.Errorf("log:\n got %q\nwant %q", b.String(), want)
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

// TestReplayAlertFigures: an alert recorded as vigil's engine emits it
// (alerts.Transition.Event) comes back from `replay --once` with its value
// and threshold (they were null), and --info's markers name its subject
// (service and host) and rule before what was wrong.
func TestReplayAlertFigures(t *testing.T) {
	start := time.Date(2026, 11, 25, 11, 1, 0, 0, time.UTC)
	ser := sources.NewSeries(sources.GPUUtilization, sources.Gauge, "gpu", "0")
	a := alerts.Alert{Name: alerts.RuleLatencyWarning, Severity: sources.SevWarning, Source: alerts.SourceVigil, Value: 97.1, Threshold: 60,
		Labels:   []sources.Label{{Name: "host", Value: "h1"}, {Name: "service", Value: "api"}, {Name: "source", Value: alerts.SourceVigil}},
		ActiveAt: start.Add(10 * time.Second), Text: "p99 97.1s (> 60s)"}
	var frames []sources.Frame
	for i := 0; i < 30; i++ {
		at := start.Add(time.Duration(i) * time.Second)
		f := sources.Frame{Source: "nvml", At: at, Points: []sources.Point{{Series: ser, At: at, Value: 0.5}}}
		switch i {
		case 10:
			f.Events = []sources.Event{alerts.Transition{At: at, From: alerts.StatePending, To: alerts.StateFiring, Alert: a}.Event()}
		case 20:
			r := a
			r.Value, r.Text = 19.8, "p99 19.8s (> 60s)"
			f.Events = []sources.Event{alerts.Transition{At: at, From: alerts.StateFiring, To: alerts.StateResolved, Alert: r}.Event()}
		}
		frames = append(frames, f)
	}
	path := filepath.Join(t.TempDir(), "alerts"+replay.Ext)
	if err := replay.WriteFile(path, frames, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "replay", path, "--once", "--output", "json", "--at", start.Add(15*time.Second).Format(time.RFC3339))
	var doc struct {
		Alerts []report.Alert `json:"alerts"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != 0 && code != 3 {
		t.Fatalf("--once: exit %d, %v\n%s%s", code, err, out, errOut)
	}
	if len(doc.Alerts) != 1 || doc.Alerts[0].Value == nil || *doc.Alerts[0].Value != 97.1 || doc.Alerts[0].Threshold == nil ||
		*doc.Alerts[0].Threshold != 60 || doc.Alerts[0].Labels["service"] != "api" {
		t.Fatalf("--once alerts: %s", out)
	}
	code, out, errOut = runCLI(t, "replay", path, "--info")
	if code != 0 {
		t.Fatalf("--info: exit %d\n%s%s", code, out, errOut)
	}
	var markers []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "  alert ") {
			markers = append(markers, strings.TrimSpace(l[strings.Index(l, "  alert ")+len("  alert "):]))
		}
	}
	if len(markers) != 2 || !strings.HasPrefix(markers[0], "firing: ") || !strings.HasPrefix(markers[1], "resolved: ") {
		t.Fatalf("--info markers %q\n%s", markers, out)
	}
	for _, m := range markers {
		if !strings.Contains(m, "api") || !strings.Contains(m, "h1") || !strings.Contains(m, alerts.RuleLatencyWarning) ||
			strings.Index(m, "api") > strings.Index(m, "p99") {
			t.Errorf("--info marker %q does not name the subject and rule before what was wrong", m)
		}
	}
}
