package replay

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func segFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*"+Ext))
	sort.Strings(m)
	return m
}

func dirSize(t *testing.T, dir string) int64 {
	var n int64
	for _, p := range segFiles(t, dir) {
		st, err := os.Stat(p)
		if err == nil {
			n += st.Size()
		}
	}
	return n
}

func TestRecorderRoundTripAndRotation(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet, MaxTotalBytes: -1})
	if err != nil {
		t.Fatal(err)
	}
	frames := richFrames()
	// Spread the frames over three hours so that the hourly rotation cuts.
	for i := range frames {
		frames[i].At = frames[i].At.Add(time.Duration(i) * 4 * time.Minute)
	}
	for _, f := range frames {
		rec.Write(f)
	}
	if err := rec.Marker(frames[len(frames)-1].At, "deploy v2 (token=hunter2)"); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	rec.Write(frames[0]) // after Close: ignored, no panic
	st := rec.Stats()
	if st.Frames != uint64(len(frames)) || st.Dropped != 0 || st.Files < 3 {
		t.Fatalf("stats %+v", st)
	}
	files := segFiles(t, dir)
	if len(files) != st.Files {
		t.Fatalf("%d files, stats say %d", len(files), st.Files)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	assertSame(t, frames, readAll(t, r))
	in := r.Info()
	for _, f := range in.Files {
		if !f.Complete {
			t.Errorf("%s not complete after Close", f.Path)
		}
	}
	var marker *Notable
	for i, n := range in.Markers {
		if n.Kind == NotableMarker {
			marker = &in.Markers[i]
		}
	}
	if marker == nil || marker.Text != "deploy v2 (token=***)" {
		t.Fatalf("marker: %+v", in.Markers)
	}
}

func TestRecorderSizeRotationAndCap(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "notes.txt")
	os.WriteFile(other, []byte("keep me"), 0o600)
	const capBytes = 400 << 10
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet, MaxTotalBytes: capBytes, BlockInterval: 5 * time.Second, Queue: 1 << 16})
	if err != nil {
		t.Fatal(err)
	}
	g := newRefLoad(t0, 3)
	for s := 0; s < 900; s++ {
		for _, f := range g.second() {
			rec.Write(f)
		}
		if s%60 == 59 {
			if err := rec.Flush(); err != nil {
				t.Fatal(err)
			}
			if n := dirSize(t, dir); n > capBytes {
				t.Fatalf("after %d s: %d bytes on disk, cap %d", s+1, n, capBytes)
			}
		}
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	st := rec.Stats()
	if n := dirSize(t, dir); n > capBytes {
		t.Fatalf("%d bytes on disk, cap %d", n, capBytes)
	}
	if st.Deleted == 0 || st.Files < 3 {
		t.Fatalf("expected size rotation and deletions: %+v", st)
	}
	if _, err := os.Stat(other); err != nil {
		t.Fatal("retention deleted a file that is not a segment")
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	from, to := r.Span()
	if to.Sub(from) < time.Minute || to.Before(t0.Add(899*time.Second)) {
		t.Fatalf("kept %s..%s: the newest data must survive", from, to)
	}
}

func TestRecorderRetentionByAge(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFile(filepath.Join(dir, segmentName(t0, 0)), richFrames(), 0); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, segmentName(t0.Add(time.Hour), 0))
	if err := WriteFile(fresh, richFrames()[:3], 0); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-48 * time.Hour)
	os.Chtimes(filepath.Join(dir, segmentName(t0, 0)), old, old)
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet, MaxAge: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	rec.Close()
	files := segFiles(t, dir)
	if len(files) != 1 || files[0] != fresh {
		t.Fatalf("after age retention: %v", files)
	}
}

// TestTruncateAnywhere simulates kill -9 at every kind of moment: the file
// cut at random offsets always opens (or, cut inside its 16-byte header, is
// reported as not a recording), and exactly the blocks complete before the
// cut are read.
func TestTruncateAnywhere(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "full"+Ext)
	frames := loadFrames(40)
	if err := WriteFile(path, frames, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)
	r0, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := append([]blockRef(nil), r0.blocks...)
	counts := make([]int, len(blocks))
	for i := range blocks {
		counts[i] = len(r0.decode(i))
	}
	r0.Close()
	rng := rand.New(rand.NewPCG(1, 2))
	cut := filepath.Join(dir, "cut"+Ext)
	for k := 0; k < 150; k++ {
		n := rng.IntN(len(full))
		if k < 20 {
			n = k
		}
		os.WriteFile(cut, full[:n], 0o600)
		r, err := Open(cut)
		if n < fileHeaderLen {
			if err == nil || !errors.Is(err, ErrNotRecording) {
				t.Fatalf("cut at %d: err %v, want ErrNotRecording", n, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut at %d: %v", n, err)
		}
		want := 0
		for i, b := range blocks {
			if b.off+recHeaderLen+int64(b.length) <= int64(n) {
				want += counts[i]
			}
		}
		got := readAll(t, r)
		if len(got) != want {
			t.Fatalf("cut at %d: %d frames, want %d", n, len(got), want)
		}
		assertSame(t, frames[:want], got)
		r.Close()
	}
}

func flip(t *testing.T, path string, off int64) {
	t.Helper()
	b, _ := os.ReadFile(path)
	b[off] ^= 0x40
	os.WriteFile(path, b, 0o600)
}

func TestCorruptBlockIsSkipped(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c"+Ext)
	frames := loadFrames(60)
	if err := WriteFile(path, frames, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	r0, _ := Open(path)
	b := r0.blocks[2]
	n2 := len(r0.decode(2))
	r0.Close()
	flip(t, path, b.off+recHeaderLen+int64(b.length)/2)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := readAll(t, r)
	if len(got) != len(frames)-n2 {
		t.Fatalf("%d frames, want %d (block 2 skipped)", len(got), len(frames)-n2)
	}
	w := r.Warnings()
	if len(w) != 1 || !strings.Contains(w[0], "checksum mismatch") {
		t.Fatalf("warnings %q", w)
	}
}

func TestCorruptHeaderResyncs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h"+Ext)
	frames := loadFrames(60)
	if err := WriteFile(path, frames, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	r0, _ := Open(path)
	b := r0.blocks[3]
	n3 := len(r0.decode(3))
	r0.Close()
	// A flipped byte in a record header, and the footer gone: the scan must
	// skip the record and find the next one.
	flip(t, path, b.off+5)
	st, _ := os.Stat(path)
	os.Truncate(path, st.Size()-trailerLen)
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := readAll(t, r)
	if len(got) != len(frames)-n3 {
		t.Fatalf("%d frames, want %d", len(got), len(frames)-n3)
	}
	if w := r.Warnings(); len(w) == 0 || !strings.Contains(w[0], "corrupt bytes") {
		t.Fatalf("warnings %q", w)
	}
}

func TestCorruptFooterFallsBackToScan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f"+Ext)
	frames := loadFrames(30)
	if err := WriteFile(path, frames, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(path)
	flip(t, path, st.Size()-trailerLen-3) // inside the index payload
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	assertSame(t, frames, readAll(t, r))
}

func TestNewerVersionAndEmpty(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "v"+Ext)
	if err := WriteFile(path, loadFrames(5), 0); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	binary.LittleEndian.PutUint16(b[8:], VersionMajor+1)
	binary.LittleEndian.PutUint32(b[12:], crc(b[:12]))
	os.WriteFile(path, b, 0o600)
	_, err := Open(path)
	if !errors.Is(err, ErrNewerVersion) || !strings.Contains(err.Error(), "upgrade vigil") {
		t.Fatalf("newer version: %v", err)
	}
	// A newer minor version is read.
	binary.LittleEndian.PutUint16(b[8:], VersionMajor)
	binary.LittleEndian.PutUint16(b[10:], 9)
	binary.LittleEndian.PutUint32(b[12:], crc(b[:12]))
	os.WriteFile(path, b, 0o600)
	if r, err := Open(path); err != nil {
		t.Fatalf("newer minor: %v", err)
	} else {
		r.Close()
	}

	empty := filepath.Join(dir, "e"+Ext)
	os.WriteFile(empty, nil, 0o600)
	if _, err := Open(empty); !errors.Is(err, ErrNotRecording) || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty: %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing"+Ext)); err == nil {
		t.Fatal("missing file opened")
	}
	emptyDir := t.TempDir()
	if _, err := Open(emptyDir); err == nil || !strings.Contains(err.Error(), "no recordings") {
		t.Fatalf("empty dir: %v", err)
	}
}

func TestMixedDirectory(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, segmentName(t0, 0))
	frames := loadFrames(20)
	if err := WriteFile(good, frames, 0); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("hello"), 0o600)
	os.WriteFile(filepath.Join(dir, "empty"+Ext), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "garbage"+Ext), []byte(strings.Repeat("garbage!", 100)), 0o600)
	os.Mkdir(filepath.Join(dir, "sub"+Ext), 0o700)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	assertSame(t, frames, readAll(t, r))
	w := strings.Join(r.Warnings(), "\n")
	if !strings.Contains(w, "empty"+Ext+": empty") || !strings.Contains(w, "garbage"+Ext+": skipped") {
		t.Fatalf("warnings:\n%s", w)
	}
}

// TestFollowGrowingRecording reads a recording while the recorder writes it.
func TestFollowGrowingRecording(t *testing.T) {
	dir := t.TempDir()
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	frames := loadFrames(40)
	half := len(frames) / 2
	for _, f := range frames[:half] {
		rec.Write(f)
	}
	rec.Flush()
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n1 := len(readAll(t, r))
	if n1 == 0 || n1 > half {
		t.Fatalf("first look: %d frames", n1)
	}
	for _, f := range frames[half:] {
		rec.Write(f)
	}
	rec.Flush()
	if added, err := r.Refresh(); !added || err != nil {
		t.Fatalf("refresh: %v %v", added, err)
	}
	assertSame(t, frames, readAll(t, r))
	// The recorder rotates into a new file: a directory reader finds it.
	rec.Write(sources.Frame{Source: "late", At: t0.Add(3 * time.Hour)})
	rec.Flush()
	r.Refresh()
	if _, to := r.Span(); !to.Equal(t0.Add(3 * time.Hour)) {
		t.Fatalf("new file not followed: end %s", to)
	}
}

func TestSaveStore(t *testing.T) {
	frames := loadFrames(90)
	at := t0.Add(80 * time.Second)
	live := liveStore(frames, at)
	path := filepath.Join(t.TempDir(), "snap"+Ext)
	n, err := SaveStore(live, at.Add(-time.Minute), at, path)
	if err != nil || n == 0 {
		t.Fatalf("save: %d %v", n, err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st := sources.NewStore(sources.StoreOptions{})
	r.Load(st, at, time.Hour)
	w, _ := canon(StoreFrames(live, at.Add(-time.Minute), at))
	g, _ := canon(StoreFrames(st, at.Add(-time.Minute), at))
	if len(w) == 0 || len(w) != len(g) {
		t.Fatalf("%d vs %d frames", len(g), len(w))
	}
	for i := range w {
		if w[i].At != g[i].At || len(w[i].Points) != len(g[i].Points) || len(w[i].Logs) != len(g[i].Logs) {
			t.Fatalf("frame %d differs", i)
		}
	}
	if _, err := SaveStore(live, at, at, filepath.Join(t.TempDir(), "none"+Ext)); err == nil {
		t.Fatal("an empty range saved")
	}
}

func TestScrub(t *testing.T) {
	for in, want := range map[string]string{
		"http://user:pa55@host:9090/api":             "http://***@host:9090/api",
		"Authorization: Bearer eyJhbGciOiJIUzI1NiJ9": "Authorization: Bearer ***",
		"GET /q?query=up&access_token=abc123&x=1":    "GET /q?query=up&access_token=***&x=1",
		"plain text 42": "plain text 42",
	} {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRecorderCutsBlocksOnWallTime: a quiet source still reaches the disk
// within the block interval of wall time, without any later frame.
func TestRecorderCutsBlocksOnWallTime(t *testing.T) {
	dir := t.TempDir()
	wall := sources.NewManualClock(t0)
	rec, err := NewRecorder(dir, RecorderOptions{Logger: quiet, Wall: wall, BlockInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	rec.Write(loadFrames(1)[0])
	blocks := func() int {
		r, err := Open(dir)
		if err != nil {
			return -1
		}
		defer r.Close()
		return len(r.blocks)
	}
	waitFor(t, "the frame taken in", func() bool { return rec.Stats().Frames == 1 })
	if n := blocks(); n != 0 {
		t.Fatalf("%d blocks before the interval passed", n)
	}
	wall.Advance(200 * time.Millisecond)
	waitFor(t, "the block on disk", func() bool { return blocks() == 1 })
}

// TestNoCredentialsRecorded: what looks like a credential never reaches
// the file, in health, log lines, log fields or span attributes.
func TestNoCredentialsRecorded(t *testing.T) {
	at := t0
	f := sources.Frame{Source: "s", At: at,
		Health: &sources.Health{Source: "s", Target: "https://admin:s3cr3tpw@prom.example/api", Err: "401 with Bearer abcdef123456"},
		Logs: []sources.LogRecord{{At: at, Raw: "GET /x?api_key=s3cr3tpw HTTP/1.1", Msg: "GET /x?api_key=s3cr3tpw HTTP/1.1",
			Fields: sources.FieldsFromMap(map[string]string{"http.request.header.authorization": "Bearer s3cr3tpw", "prompt_tokens": "42"})}},
		Spans: []sources.Span{{TraceID: "t", SpanID: "s", Start: at, End: at, Attrs: map[string]string{"password": "s3cr3tpw"}}},
	}
	path := filepath.Join(t.TempDir(), "c"+Ext)
	if err := WriteFile(path, []sources.Frame{f}, 0); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := readAll(t, r)
	dump := fmt.Sprintf("%+v %+v", got, *got[0].Health)
	for _, secret := range []string{"s3cr3tpw", "abcdef123456"} {
		if strings.Contains(dump, secret) {
			t.Fatalf("%q recorded: %s", secret, dump)
		}
	}
	if got[0].Logs[0].Fields.Value("prompt_tokens") != "42" {
		t.Fatal("a harmless field was scrubbed")
	}
	// And not in the raw bytes either (the compressor could hide it from
	// the decoded view only if the decoder were wrong).
	raw, _ := os.ReadFile(path)
	if strings.Contains(string(raw), "s3cr3tpw") {
		t.Fatal("secret in the file bytes")
	}
}
