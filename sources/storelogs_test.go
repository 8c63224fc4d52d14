package sources

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// logLine is a record shaped as the parser makes it: values are parts of
// Raw.
func logLine(i int, pad int) LogRecord {
	raw := fmt.Sprintf(`{"level":"info","msg":"line %d","user":"u%d","pad":"%s"}`, i, i%7, strings.Repeat("p", pad))
	msg := raw[strings.Index(raw, "line "):strings.Index(raw, `","user"`)]
	user := raw[strings.Index(raw, `"user":"`)+8 : strings.Index(raw, `","pad"`)]
	return LogRecord{At: t0.Add(time.Duration(i) * time.Millisecond), Level: LevelInfo, Msg: msg, Raw: raw,
		Fields: MakeFields(Field{"user", user})}
}

func TestLogBufferBoundedInBytes(t *testing.T) {
	st := NewStore(StoreOptions{MaxLogs: 1_000_000, MaxLogBytes: 1 << 20})
	for i := 0; i < 20_000; i += 100 {
		f := Frame{}
		for j := i; j < i+100; j++ {
			f.Logs = append(f.Logs, logLine(j, 400))
		}
		st.Ingest(f)
	}
	u := st.LogUsage()
	if u.Bytes > 1<<20 || u.Bytes < 1<<20-2048 {
		t.Errorf("held %d bytes, bound %d", u.Bytes, 1<<20)
	}
	if u.Records+int(u.Dropped) != 20_000 || st.Drops().Logs != u.Dropped || u.DroppedBytes == 0 {
		t.Errorf("held %d + dropped %d != 20,000 (drops %d, dropped bytes %d)", u.Records, u.Dropped, st.Drops().Logs, u.DroppedBytes)
	}
	// The newest are held, in order, and numbered on from the dropped.
	first, end := st.LogSpan()
	if end != 20_000 || first != u.Dropped {
		t.Errorf("span [%d, %d), dropped %d", first, end, u.Dropped)
	}
	var got []string
	st.ScanLogs(end-3, 0, func(seq uint64, r *LogRecord) bool {
		got = append(got, r.Msg)
		return true
	})
	if strings.Join(got, ",") != "line 19997,line 19998,line 19999" {
		t.Errorf("newest: %v", got)
	}
	// Longer lines: fewer of them fit.
	before := u.Records
	for i := 0; i < 2000; i++ {
		st.Ingest(Frame{Logs: []LogRecord{logLine(i, 4000)}})
	}
	if u := st.LogUsage(); u.Records >= before || u.Bytes > 1<<20 {
		t.Errorf("4 KB lines: %d held (%d bytes); 400-byte lines: %d", u.Records, u.Bytes, before)
	}
	// One record over the whole bound is kept, alone.
	st.Ingest(Frame{Logs: []LogRecord{logLine(0, 2<<20)}})
	if u := st.LogUsage(); u.Records != 1 {
		t.Errorf("a record over the bound: %d held", u.Records)
	}
}

func TestLogSizeCountsSharedBytesOnce(t *testing.T) {
	r := logLine(1, 100)
	shared := LogSize(&r)
	r2 := r
	r2.Msg = strings.Clone(r.Msg) // a copy, as redaction makes
	if own := LogSize(&r2); own <= shared {
		t.Errorf("copied strings cost nothing: %d vs %d", own, shared)
	}
	if shared < len(r.Raw)+logRecordSize+16 {
		t.Errorf("size %d below the line, the record and its fields", shared)
	}
	empty := LogRecord{}
	if LogSize(&empty) != logRecordSize {
		t.Errorf("an empty record: %d", LogSize(&empty))
	}
}

func TestScanLogsInChunksAndAcrossReset(t *testing.T) {
	st := NewStore(StoreOptions{MaxLogs: 50})
	for i := 0; i < 120; i++ {
		st.Ingest(Frame{Logs: []LogRecord{logLine(i, 0)}})
	}
	// From before the oldest held: starts at the oldest; in chunks of 20.
	var seqs []uint64
	next := uint64(0)
	for {
		n := st.ScanLogs(next, 20, func(seq uint64, r *LogRecord) bool {
			seqs = append(seqs, seq)
			return true
		})
		if n == next {
			break
		}
		next = n
	}
	if len(seqs) != 50 || seqs[0] != 70 || seqs[49] != 119 || next != 120 {
		t.Fatalf("scanned %d from %d to %d, next %d", len(seqs), seqs[0], seqs[len(seqs)-1], next)
	}
	// Stopping early returns where to go on.
	if n := st.ScanLogs(100, 0, func(seq uint64, r *LogRecord) bool { return seq < 105 }); n != 106 {
		t.Errorf("stopped at 105, next %d", n)
	}
	var at []string
	st.LogsAt([]uint64{3, 119, 80, 500}, func(i int, r *LogRecord) { at = append(at, fmt.Sprint(i, ":", r.Msg)) })
	if strings.Join(at, ",") != "1:line 119,2:line 80" {
		t.Errorf("LogsAt: %v", at)
	}
	st.Reset()
	if n := st.ScanLogs(120, 0, func(uint64, *LogRecord) bool { return true }); n >= 120 {
		t.Errorf("after Reset a scan from 120 returned %d: the caller cannot tell", n)
	}
}

// BenchmarkIngestLogFrames is the hub's part of a flood: 1,024-line frames
// into a full store, each line sized and the oldest let go.
func BenchmarkIngestLogFrames(b *testing.B) {
	st := NewStore(StoreOptions{})
	f := Frame{Logs: make([]LogRecord, 1024)}
	for i := range f.Logs {
		f.Logs[i] = logLine(i, 150)
	}
	for i := 0; i < 200; i++ {
		st.Ingest(f)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st.Ingest(f)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(f.Logs)), "ns/line")
}

// BenchmarkReadNewLogs reads a second of a 50,000-line flood from a full
// store: copying the records (LogsSince) against visiting them in place
// (ScanLogs, what the logs pane does).
func BenchmarkReadNewLogs(b *testing.B) {
	st := NewStore(StoreOptions{})
	for i := 0; i < 100_000; i += 1000 {
		f := Frame{}
		for j := i; j < i+1000; j++ {
			f.Logs = append(f.Logs, logLine(j, 150))
		}
		st.Ingest(f)
	}
	_, end := st.LogSpan()
	from := end - 50_000
	b.Run("LogsSince", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			recs, _ := st.LogsSince(from, func(r *LogRecord) bool { return r.Level >= LevelInfo })
			if len(recs) != 50_000 {
				b.Fatal(len(recs))
			}
		}
	})
	b.Run("ScanLogs", func(b *testing.B) {
		b.ReportAllocs()
		keep := make([]uint64, 0, 50_000)
		for i := 0; i < b.N; i++ {
			keep = keep[:0]
			for q := from; q < end; {
				q = st.ScanLogs(q, 8192, func(seq uint64, r *LogRecord) bool {
					if r.Level >= LevelInfo {
						keep = append(keep, seq)
					}
					return true
				})
			}
		}
	})
}

// The segmented buffer against a plain slice: the same records, in the
// same order, with the same numbers, through pushes over both bounds,
// expiries and emptying; and the segments of records gone are let go of.
func TestLogBufSegmentsMatchASlice(t *testing.T) {
	for _, maxN := range []int{1, 3, logSegLen, 2*logSegLen + 5} {
		b := newLogBuf(maxN, 1<<30)
		var want []uint64 // sequence numbers held, oldest first
		next := uint64(0)
		rnd := uint64(maxN)
		check := func(step string) {
			t.Helper()
			if b.n != len(want) || (len(want) > 0 && b.first != want[0]) || b.end() != next {
				t.Fatalf("maxN %d, %s: held %d from %d to %d, want %d from %v to %d", maxN, step, b.n, b.first, b.end(), len(want), want[:min(1, len(want))], next)
			}
			for i, q := range want {
				if got := b.at(i).Msg; got != fmt.Sprint(q) {
					t.Fatalf("maxN %d, %s: record %d is %q, want %d", maxN, step, i, got, q)
				}
			}
			if segs := (b.off + b.n + b.segLen - 1) / b.segLen; len(b.segs) != segs {
				t.Fatalf("maxN %d, %s: %d segments for %d records from slot %d", maxN, step, len(b.segs), b.n, b.off)
			}
		}
		for round := 0; round < 6*logSegLen; round++ {
			rnd = rnd*6364136223846793005 + 1442695040888963407
			switch r := rnd >> 60; {
			case r < 11: // push
				gone := b.push(&LogRecord{Msg: fmt.Sprint(next)}, 100)
				want = append(want, next)
				next++
				if len(want) > maxN {
					if gone != len(want)-maxN {
						t.Fatalf("maxN %d: push let %d go, want %d", maxN, gone, len(want)-maxN)
					}
					want = want[len(want)-maxN:]
				}
			case r < 15 && b.n > 0: // expire
				b.expire()
				want = want[1:]
			case b.n > 0: // expire all
				for b.n > 0 {
					b.expire()
				}
				want = want[:0]
				if len(b.segs) != 0 || b.bytes != 0 {
					t.Fatalf("maxN %d: empty, yet %d segments, %d bytes", maxN, len(b.segs), b.bytes)
				}
			}
			check(fmt.Sprint("step ", round))
		}
	}
}

// BenchmarkFillLogBuffer fills an empty store to its default bound of
// records, as the first seconds of a flood do, a frame of 1,024 lines at a
// time, and reports the longest frame: the store's write lock is held for
// all of it, and every frame the console draws waits for that lock.
func BenchmarkFillLogBuffer(b *testing.B) {
	f := Frame{Logs: make([]LogRecord, 1024)}
	for i := range f.Logs {
		f.Logs[i] = logLine(i, 150)
	}
	var worst time.Duration
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		st := NewStore(StoreOptions{})
		for k := 0; k < st.Options().MaxLogs/len(f.Logs)+10; k++ {
			t := time.Now()
			st.Ingest(f)
			worst = max(worst, time.Since(t))
		}
	}
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst-ms/frame")
}
