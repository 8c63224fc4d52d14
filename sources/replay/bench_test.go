package replay

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
)

// writeLoad writes secs seconds of the reference load to a new segment at
// path with 10-second blocks and returns what it holds. Past the first
// hour, the recording repeats that hour shifted by whole hours (see
// writeLoadPeriod).
func writeLoad(tb testing.TB, path string, secs int, numbers, logs, footer bool) (samples, lines int) {
	return writeLoadPeriod(tb, path, secs, 3600, numbers, logs, footer)
}

// writeLoadPeriod writes the first period seconds of the reference load
// through the segment writer, then repeats them, shifted by whole periods,
// until secs (a multiple of period when larger). Each repetition's first
// block is encoded again, with the segment's dictionary as every block
// after the first; the others are that period's records copied with their
// times moved: a block's body holds its times relative to the record's,
// so the copy is what encoding the shifted frames would give
// (TestWriteLoadPeriod checks), at a small part of the cost of a 24-hour
// recording encoded block by block.
func writeLoadPeriod(tb testing.TB, path string, secs, period int, numbers, logs, footer bool) (samples, lines int) {
	tb.Helper()
	if secs > period && secs%period != 0 {
		tb.Fatalf("writeLoadPeriod: %d s is not a multiple of %d s", secs, period)
	}
	zenc, err := newEncoder()
	if err != nil {
		tb.Fatal(err)
	}
	defer zenc.Close()
	s, err := createSegment(path, defaultMeta(t0, 10*time.Second, "bench"), zenc)
	if err != nil {
		tb.Fatal(err)
	}
	type stats struct{ samples, logs, frames int }
	var (
		blocks     []stats // of the first period, in order
		firstBlock []sources.Frame
	)
	flush := func() {
		st := stats{s.blk.samples, s.blk.logs, s.blk.frames}
		if err := s.flushBlock(); err != nil {
			tb.Fatal(err)
		}
		blocks = append(blocks, st)
	}
	g := newRefLoad(t0, 11)
	g.numbers, g.logs = numbers, logs
	for range min(secs, period) {
		for _, f := range g.second() {
			if !s.blk.empty() && f.At.UnixNano()-s.blk.tFirst >= int64(10*time.Second) {
				flush()
			}
			if len(blocks) == 0 {
				firstBlock = append(firstBlock, f)
			}
			s.blk.add(&f)
		}
	}
	if secs > period {
		flush() // a period ends a block
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		var recs []indexEntry // the first period's blocks
		for _, e := range s.entries {
			if e.typ == recBlock {
				recs = append(recs, e)
			}
		}
		if len(recs) != len(blocks) {
			tb.Fatalf("writeLoadPeriod: %d block records for %d blocks", len(recs), len(blocks))
		}
		for rep := 1; rep < secs/period; rep++ {
			shift := time.Duration(rep*period) * time.Second
			for _, f := range firstBlock {
				f = shiftFrame(f, shift)
				s.blk.add(&f)
			}
			if err := s.flushBlock(); err != nil {
				tb.Fatal(err)
			}
			for k, e := range recs[1:] {
				h, ok := parseRecHdr(data[e.off:])
				if !ok {
					tb.Fatalf("writeLoadPeriod: bad record header at %d", e.off)
				}
				payload := data[e.off+recHeaderLen : e.off+recHeaderLen+int64(e.length)]
				d := shift.Nanoseconds()
				c := indexEntry{typ: recBlock, off: s.size, length: e.length, tFirst: e.tFirst + d, tLast: e.tLast + d}
				for _, n := range e.notable {
					n.At = n.At.Add(shift)
					c.notable = append(c.notable, n)
				}
				if err := s.write(appendRecord(nil, recBlock, h.flags, c.tFirst, c.tLast, payload), c); err != nil {
					tb.Fatal(err)
				}
				s.tLast = max(s.tLast, c.tLast)
				st := blocks[k+1]
				s.samples += st.samples
				s.logs += st.logs
				s.frames += st.frames
			}
		}
	}
	if footer {
		err = s.close()
	} else {
		err = s.flushBlock()
		s.abandon()
	}
	if err != nil {
		tb.Fatal(err)
	}
	return s.samples, s.logs
}

// TestWriteLoadPeriod holds writeLoadPeriod's copied blocks to what
// encoding the repeated frames gives: the same frames read back, and a file
// that verifies clean.
func TestWriteLoadPeriod(t *testing.T) {
	const period, secs = 30, 90
	dir := t.TempDir()
	fast := filepath.Join(dir, "fast"+Ext)
	samples, lines := writeLoadPeriod(t, fast, secs, period, true, true, true)
	g := newRefLoad(t0, 11)
	var want []sources.Frame
	var first [][]sources.Frame
	for range period {
		first = append(first, g.second())
	}
	var wantSamples, wantLines int
	for i := range secs {
		for _, f := range first[i%period] {
			want = append(want, shiftFrame(f, time.Duration(i/period*period)*time.Second))
			wantSamples += len(f.Points)
			wantLines += len(f.Logs)
		}
	}
	if samples != wantSamples || lines != wantLines {
		t.Errorf("writeLoadPeriod counted %d samples, %d lines; want %d, %d", samples, lines, wantSamples, wantLines)
	}
	slow := filepath.Join(dir, "slow"+Ext)
	if err := WriteFile(slow, want, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	rep, err := Verify(fast, nil)
	if err != nil || rep.Damaged() || rep.Good != rep.Blocks || rep.Blocks < secs/10 {
		t.Fatalf("verify: %v: %+v", err, rep)
	}
	rf, err := Open(fast)
	if err != nil {
		t.Fatal(err)
	}
	defer rf.Close()
	rs, err := Open(slow)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	ff, fl := rf.Span()
	sf, sl := rs.Span()
	if !ff.Equal(sf) || !fl.Equal(sl) {
		t.Errorf("span %s..%s, want %s..%s", ff, fl, sf, sl)
	}
	assertSame(t, readAll(t, rs), readAll(t, rf))
}

// shiftFrame is f moved by d, with its own copies of what it moves.
func shiftFrame(f sources.Frame, d time.Duration) sources.Frame {
	f.At = f.At.Add(d)
	f.Points = shiftPoints(f.Points, d)
	if f.Health != nil {
		h := *f.Health
		for _, t := range []*time.Time{&h.LastOK, &h.At, &h.DataAt} {
			if !t.IsZero() {
				*t = t.Add(d)
			}
		}
		f.Health = &h
	}
	if f.Logs != nil {
		ls := slices.Clone(f.Logs)
		for i := range ls {
			// The reference load's lines carry their time as text too.
			const layout = "01-02 15:04:05"
			at := ls[i].At.UTC()
			ls[i].Raw = strings.Replace(ls[i].Raw, at.Format(layout), at.Add(d).Format(layout), 1)
			ls[i].At = ls[i].At.Add(d)
		}
		f.Logs = ls
	}
	return f
}

func shiftPoints(ps []sources.Point, d time.Duration) []sources.Point {
	out := make([]sources.Point, len(ps))
	for i, p := range ps {
		p.At = p.At.Add(d)
		out[i] = p
	}
	return out
}

func fileSize(tb testing.TB, p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// BenchmarkSizeHour records one hour of the reference load (8 GPUs x 20
// metrics and 200 Prometheus series at 1 s, 10 log lines/s) and reports
// bytes per numeric sample, bytes per log line and MB per day.
func BenchmarkSizeHour(b *testing.B) {
	dir := b.TempDir()
	for _, c := range []struct {
		name          string
		numbers, logs bool
	}{{"numeric", true, false}, {"logs", false, true}, {"all", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p := filepath.Join(dir, fmt.Sprintf("%s-%d%s", c.name, i, Ext))
				samples, lines := writeLoad(b, p, 3600, c.numbers, c.logs, true)
				size := float64(fileSize(b, p))
				switch c.name {
				case "numeric":
					b.ReportMetric(size/float64(samples), "B/sample")
				case "logs":
					b.ReportMetric(size/float64(lines), "B/line")
				default:
					b.ReportMetric(size*24/1e6, "MB/day")
				}
				os.Remove(p)
			}
		})
	}
}

var day struct {
	once     sync.Once
	dir      string
	path     string // with footer
	noFooter string // the same without its footer, as after kill -9
	err      error
}

// dayFile builds the 24-hour reference recording once per test binary run.
func dayFile(b *testing.B) (string, string) {
	day.once.Do(func() {
		day.dir, day.err = os.MkdirTemp("", "vigil-replay-bench-")
		if day.err != nil {
			return
		}
		day.path = filepath.Join(day.dir, "day"+Ext)
		writeLoad(b, day.path, 24*3600, true, true, true)
		r, err := Open(day.path)
		if err != nil {
			day.err = err
			return
		}
		last := r.blocks[len(r.blocks)-1]
		end := last.off + recHeaderLen + int64(last.length)
		r.Close()
		data, err := os.ReadFile(day.path)
		if err != nil {
			day.err = err
			return
		}
		day.noFooter = filepath.Join(day.dir, "crashed"+Ext)
		day.err = os.WriteFile(day.noFooter, data[:end], 0o600)
	})
	if day.err != nil {
		b.Fatal(day.err)
	}
	return day.path, day.noFooter
}

func TestMain(m *testing.M) {
	code := m.Run()
	for _, dir := range []string{day.dir, hour.dir} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// BenchmarkSeek24h seeks to random instants of a 24-hour recording: find
// the block, decode it and reach the frame at that instant (cold cache).
func BenchmarkSeek24h(b *testing.B) {
	path, _ := dayFile(b)
	r, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	from, to := r.Span()
	rng := rand.New(rand.NewPCG(5, 5))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)))))
		r.mu.Lock()
		r.cache = r.cache[:0]
		r.mu.Unlock()
		n := 0
		r.Frames(t.Add(-time.Second), t, func(sources.Frame) bool { n++; return true })
		if n == 0 {
			b.Fatalf("nothing at %s", t)
		}
	}
	b.ReportMetric(float64(fileSize(b, path))/1e6, "MB_file")
}

// BenchmarkDecode decodes one hour of the reference load block after block
// (cold: no cache) and reports recorded seconds (ticks: one poll of every
// source, 360 samples and 10 log lines) and frames decoded per second of
// CPU time, which unlike wall time does not depend on the machine's load.
func BenchmarkDecode(b *testing.B) {
	r, err := Open(hourFile(b))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	var frames int
	var span time.Duration
	for i := 0; i < b.N; i++ {
		k := i % len(r.blocks)
		fs, err := r.decodeBlock(r.blocks[k])
		if err != nil {
			b.Fatal(err)
		}
		frames += len(fs)
		span += time.Duration(r.blocks[k].tLast - r.blocks[k].tFirst)
	}
	cpu := (cputime.Now() - cpu0).Seconds()
	b.ReportMetric(span.Seconds()/cpu, "ticks/cpu-s")
	b.ReportMetric(float64(frames)/cpu, "frames/cpu-s")
	b.ReportMetric(span.Seconds()/b.Elapsed().Seconds(), "ticks/s")
}

// BenchmarkFrames reads one hour of the reference load through Frames, the
// public path (cold cache): blocks decode on up to GOMAXPROCS (at most 4)
// goroutines, so ticks/s (wall) is what a jump sees, and ticks/cpu-s is
// still per core.
func BenchmarkFrames(b *testing.B) {
	r, err := Open(hourFile(b))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	from, to := r.Span()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	var frames int
	for i := 0; i < b.N; i++ {
		r.mu.Lock()
		r.cache = nil
		r.mu.Unlock()
		r.Frames(from, to, func(sources.Frame) bool {
			frames++
			return true
		})
	}
	cpu := (cputime.Now() - cpu0).Seconds()
	if frames == 0 {
		b.Fatal("no frames")
	}
	ticks := to.Sub(from).Seconds() * float64(b.N)
	b.ReportMetric(ticks/cpu, "ticks/cpu-s")
	b.ReportMetric(ticks/b.Elapsed().Seconds(), "ticks/s")
}

// BenchmarkDecodeIngest is what a jump or a fast replay does: decode one
// hour of the reference load through Frames and ingest it into a store.
func BenchmarkDecodeIngest(b *testing.B) {
	r, err := Open(hourFile(b))
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	from, to := r.Span()
	st := sources.NewStore(sources.StoreOptions{})
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	for i := 0; i < b.N; i++ {
		st.Reset()
		r.mu.Lock()
		r.cache = nil // cold
		r.mu.Unlock()
		r.Frames(from, to, func(f sources.Frame) bool {
			st.Ingest(f)
			return true
		})
	}
	cpu := (cputime.Now() - cpu0).Seconds()
	ticks := to.Sub(from).Seconds() * float64(b.N)
	if n := len(st.Select(sources.GPUUtilization)); n == 0 {
		b.Fatal("nothing ingested")
	}
	b.ReportMetric(ticks/cpu, "ticks/cpu-s")
	b.ReportMetric(ticks/b.Elapsed().Seconds(), "ticks/s")
}

// hourFile is one hour of the reference load, written once per run.
func hourFile(b *testing.B) string {
	hour.once.Do(func() {
		hour.dir, hour.err = os.MkdirTemp("", "vigil-replay-bench-")
		if hour.err != nil {
			return
		}
		hour.path = filepath.Join(hour.dir, "hour"+Ext)
		writeLoad(b, hour.path, 3600, true, true, true)
	})
	if hour.err != nil {
		b.Fatal(hour.err)
	}
	return hour.path
}

var hour struct {
	once      sync.Once
	dir, path string
	err       error
}

// BenchmarkOpenCrashed opens the 24-hour recording without its footer (as
// left by kill -9): the index is rebuilt by hopping record headers.
func BenchmarkOpenCrashed(b *testing.B) {
	_, crashed := dayFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(crashed)
		if err != nil {
			b.Fatal(err)
		}
		if len(r.blocks) < 8000 {
			b.Fatalf("%d blocks", len(r.blocks))
		}
		r.Close()
	}
}

// BenchmarkOpenClean opens the 24-hour recording through its footer index.
func BenchmarkOpenClean(b *testing.B) {
	path, _ := dayFile(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
}

// BenchmarkRecorderSecond is the recorder's cost for one second of the
// reference load, everything included (queueing, encoding, compression,
// writes); %core is the share of one core that costs while live.
func BenchmarkRecorderSecond(b *testing.B) {
	g := newRefLoad(t0, 13)
	const n = 600
	secs := make([][]sources.Frame, n)
	for i := range secs {
		secs[i] = g.second()
	}
	rec, err := NewRecorder(b.TempDir(), RecorderOptions{Logger: quiet, MaxTotalBytes: -1, Queue: 1 << 16})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	for i := 0; i < b.N; i++ {
		shift := time.Duration(i/n) * time.Duration(n) * time.Second
		for _, f := range secs[i%n] {
			if shift != 0 {
				f.At = f.At.Add(shift)
			}
			rec.Write(f)
		}
		if i%100 == 99 {
			rec.Flush() // keep the queue from overflowing; the cost is counted
		}
	}
	rec.Close()
	cpu := cputime.Now() - cpu0
	b.StopTimer()
	if d := rec.Stats().Dropped; d != 0 {
		b.Fatalf("%d frames dropped", d)
	}
	// CPU time (user + system) rather than wall time: the share of a core
	// does not depend on what else the machine is running.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/1e7, "%core")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// BenchmarkVerifyHour checks one hour of the reference load record by
// record: Check (what --info runs: checksums, times, the index) and Verify
// (--verify: every block decoded too). MB/s is of the file.
func BenchmarkVerifyHour(b *testing.B) {
	path := hourFile(b)
	for _, c := range []struct {
		name string
		fn   func(string, func(int64, int64)) (VerifyReport, error)
	}{{"check", Check}, {"verify", Verify}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(fileSize(b, path))
			for i := 0; i < b.N; i++ {
				rep, err := c.fn(path, nil)
				if err != nil || rep.Damaged() || rep.Good != rep.Blocks || rep.Blocks < 300 {
					b.Fatalf("%v: %+v", err, rep)
				}
			}
		})
	}
}
