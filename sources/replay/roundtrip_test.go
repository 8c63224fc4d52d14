package replay

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var t0 = time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)

// richFrames exercises every field of a frame, with awkward values.
func richFrames() []sources.Frame {
	lat := sources.NewSeries(sources.SvcLatency, sources.Counter, "service", "api", "host", "h1")
	util := sources.NewSeries(sources.GPUUtilization, sources.Gauge, "gpu", "0", "host", "h1")
	noLabels := sources.NewSeries("up", sources.Gauge)
	nanPayload := math.Float64frombits(0x7ff8_0000_dead_beef)
	var out []sources.Frame
	for i := 0; i < 40; i++ {
		at := t0.Add(time.Duration(i)*time.Second + time.Duration(i*i)*time.Millisecond + 7)
		f := sources.Frame{Source: "scrape a", At: at}
		vals := []float64{0.5 + float64(i)/100, math.Inf(1), math.Inf(-1), math.Copysign(0, -1), nanPayload, math.MaxFloat64, math.SmallestNonzeroFloat64}
		f.Points = []sources.Point{
			{Series: util, At: at, Value: vals[i%len(vals)]},
			{Series: noLabels, At: at, Value: 1},
		}
		if i%3 == 1 {
			f.Points[1].At = at.Add(-250 * time.Millisecond) // a point stamped apart from its frame
		}
		bs := []sources.Bucket{{UpperBound: 0.1, Count: float64(i)}, sources.Bucket{UpperBound: 0.5, Count: float64(2 * i)}, sources.Bucket{UpperBound: math.Inf(1), Count: float64(3*i) + 0.25}}
		if i > 20 {
			bs = []sources.Bucket{{UpperBound: 1, Count: float64(i)}, sources.Bucket{UpperBound: math.Inf(1), Count: float64(i + 1)}} // layout change
		}
		f.Histograms = []sources.Histogram{{Series: lat, At: at, Buckets: bs, Count: bs[len(bs)-1].Count, Sum: float64(i) * 0.1}}
		f.Exemplars = []sources.Exemplar{{Series: lat, At: at.Add(-time.Millisecond), Value: 0.42, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", SpanID: "00f067aa0ba902b7",
			Labels: []sources.Label{{Name: "pod", Value: "p-1"}}}}
		if i%5 == 0 {
			f.Health = &sources.Health{Source: "scrape a", Kind: "scrape", Target: "http://127.0.0.1:9400/metrics", State: sources.HealthError,
				Err: "connection refused", At: at, Duration: 12 * time.Millisecond, Interval: 15 * time.Second, Bytes: -1, Series: 3, Detail: "dcgm"}
		}
		out = append(out, f)
		if i%4 == 0 {
			out = append(out, sources.Frame{Source: "logs", At: at.Add(time.Millisecond), Logs: []sources.LogRecord{
				{At: at, Source: "/var/log/app.log", Level: sources.LevelError, Service: "api", Msg: "boom: ünïcode ✓", Raw: `{"level":"error","msg":"boom: ünïcode ✓"}`,
					TraceID: "abc", Fields: sources.FieldsFromMap(map[string]string{"msg": "boom", "prediction.confidence": "0.93"})},
				{At: time.Time{}, Level: sources.Level(-3), Msg: "not in raw", Raw: "", Fields: sources.FieldsFromMap(map[string]string{})},
				{At: at, Level: sources.LevelWarn, TimeRead: true, Msg: "no time of its own", Raw: "no time of its own"},
				{At: at, Level: sources.Level(-128), TimeRead: true, Raw: "lowest level, read time"},
			}})
		}
		if i%7 == 0 {
			out = append(out, sources.Frame{Source: "otlp", At: at, Spans: []sources.Span{
				{TraceID: "t1", SpanID: "s1", Service: "api", Name: "POST /v1/chat", Start: at.Add(-time.Second), End: at, Status: sources.SpanError,
					Attrs: map[string]string{"http.status_code": "500"}, Events: []sources.SpanEvent{{At: at.Add(-time.Millisecond), Name: "exception", Attrs: nil}}},
				{TraceID: "t1", SpanID: "s2", ParentID: "s1", Name: "zero end", Start: at, Events: []sources.SpanEvent{}},
			}, Events: []sources.Event{
				{At: at, Kind: "alert", Severity: sources.SevCritical, Labels: []sources.Label{{Name: "service", Value: "api"}}, Text: "error rate 5% > 1%"},
				{At: at, Kind: "xid", Severity: sources.SevWarning, Text: "XID 31"},
			}})
		}
	}
	out = append(out, sources.Frame{Source: "empty", At: t0.Add(41 * time.Second)})
	return out
}

// normTimes rewrites every time to time.Unix form, as the decoder returns it.
func normTime(t *time.Time) {
	if !t.IsZero() {
		*t = time.Unix(0, t.UnixNano())
	}
}

// canon makes a deep copy of frames with normalised times and the floats
// moved out (returned separately as bits), so that DeepEqual can compare the
// rest and the floats are compared bit for bit.
func canon(in []sources.Frame) ([]sources.Frame, []uint64) {
	var bits []uint64
	fl := func(v *float64) {
		bits = append(bits, math.Float64bits(*v))
		*v = 0
	}
	out := make([]sources.Frame, len(in))
	for i, f := range in {
		normTime(&f.At)
		f.Points = append([]sources.Point(nil), f.AllPoints()...)
		f.Samples = nil
		for j := range f.Points {
			normTime(&f.Points[j].At)
			fl(&f.Points[j].Value)
		}
		f.Histograms = append([]sources.Histogram(nil), f.Histograms...)
		for j := range f.Histograms {
			h := &f.Histograms[j]
			normTime(&h.At)
			fl(&h.Count)
			fl(&h.Sum)
			h.Buckets = append([]sources.Bucket(nil), h.Buckets...)
			for k := range h.Buckets {
				fl(&h.Buckets[k].UpperBound)
				fl(&h.Buckets[k].Count)
			}
		}
		f.Exemplars = append([]sources.Exemplar(nil), f.Exemplars...)
		for j := range f.Exemplars {
			normTime(&f.Exemplars[j].At)
			fl(&f.Exemplars[j].Value)
		}
		f.Logs = append([]sources.LogRecord(nil), f.Logs...)
		for j := range f.Logs {
			normTime(&f.Logs[j].At)
		}
		f.Spans = append([]sources.Span(nil), f.Spans...)
		for j := range f.Spans {
			s := &f.Spans[j]
			normTime(&s.Start)
			normTime(&s.End)
			if s.Events != nil {
				s.Events = append([]sources.SpanEvent{}, s.Events...)
			}
			for k := range s.Events {
				normTime(&s.Events[k].At)
			}
		}
		f.Events = append([]sources.Event(nil), f.Events...)
		for j := range f.Events {
			normTime(&f.Events[j].At)
		}
		if f.Health != nil {
			h := *f.Health
			normTime(&h.At)
			normTime(&h.LastOK)
			f.Health = &h
		}
		out[i] = f
	}
	return out, bits
}

func readAll(t testing.TB, r *Reader) []sources.Frame {
	t.Helper()
	var got []sources.Frame
	r.Frames(time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64), func(f sources.Frame) bool {
		got = append(got, f)
		return true
	})
	return got
}

func assertSame(t *testing.T, want, got []sources.Frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
	w, wb := canon(want)
	g, gb := canon(got)
	if !reflect.DeepEqual(wb, gb) {
		for i := range wb {
			if i >= len(gb) || wb[i] != gb[i] {
				t.Fatalf("float %d: got %#x, want %#x", i, gb[i], wb[i])
			}
		}
		t.Fatalf("float counts differ: %d vs %d", len(gb), len(wb))
	}
	for i := range w {
		if !reflect.DeepEqual(w[i], g[i]) {
			t.Fatalf("frame %d differs:\n got  %+v\n want %+v", i, g[i], w[i])
		}
	}
}

func TestRoundTripWriteFile(t *testing.T) {
	frames := richFrames()
	r := writeOpen(t, "x", frames, 10*time.Second)
	assertSame(t, frames, readAll(t, r))
	in := r.Info()
	if !in.Files[0].Complete || in.Series != 3 || len(in.Warnings) != 0 {
		t.Errorf("info: %+v", in)
	}
	if want := []string{"empty", "logs", "otlp", "scrape a"}; !reflect.DeepEqual(in.Sources, want) {
		t.Errorf("sources %v, want %v", in.Sources, want)
	}
	// The alerts (kind alert, and the critical ones) are notables.
	if n := len(r.Notables()); n != 6 {
		t.Errorf("%d notables, want 6 (one alert per otlp frame)", n)
	}
}

func TestRoundTripWithoutFooter(t *testing.T) {
	frames := richFrames()
	path := filepath.Join(t.TempDir(), "x"+Ext)
	if err := WriteFile(path, frames, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	// Cut the footer off: the index is rebuilt by scanning.
	st, _ := os.Stat(path)
	r0, _ := Open(path)
	footer := footerLen(t, r0)
	r0.Close()
	if err := os.Truncate(path, st.Size()-footer); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	in := r.Info()
	if in.Files[0].Complete {
		t.Error("file without footer reported complete")
	}
	assertSame(t, frames, readAll(t, r))
}

// footerLen returns the bytes of the index and trailer records at the end.
func footerLen(t *testing.T, r *Reader) int64 {
	sf := r.files[0]
	b := r.blocks[len(r.blocks)-1]
	return sf.size - (b.off + recHeaderLen + int64(b.length))
}

func TestDecimalColumns(t *testing.T) {
	point1 := 0.1 // a variable: constant arithmetic would be exact
	bits := func(vs ...float64) []uint64 {
		out := make([]uint64, len(vs))
		for i, v := range vs {
			out[i] = math.Float64bits(v)
		}
		return out
	}
	for _, c := range []struct {
		vals  []float64
		scale byte
		ok    bool
	}{
		{[]float64{1, 2, 40000, -7}, 0, true},
		{[]float64{0.37, 0.5, 1}, 2, true},
		{[]float64{345.123, 301.5}, 3, true},
		{[]float64{1, point1 + 0.2}, 0, false},
		{[]float64{1, math.Copysign(0, -1)}, 0, false},
		{[]float64{math.NaN()}, 0, false},
		{[]float64{math.Inf(1)}, 0, false},
		{[]float64{1 << 60}, 0, false},
		{[]float64{1e-7}, 0, false},
	} {
		s, ok := decimalScale(bits(c.vals...))
		if ok != c.ok || ok && s != c.scale {
			t.Errorf("%v: scale %d %v, want %d %v", c.vals, s, ok, c.scale, c.ok)
		}
	}
	// Every kind of column round-trips bit for bit through a block.
	ser := sources.NewSeries("v", sources.Gauge)
	var frames []sources.Frame
	vals := []float64{0.37, 12, 345.123, point1 + 0.2, math.Copysign(0, -1), 1e300, 5e-324}
	for i, v := range vals {
		at := t0.Add(time.Duration(i) * time.Second)
		frames = append(frames, sources.Frame{Source: "s", At: at, Points: []sources.Point{{Series: ser, At: at, Value: v}}})
	}
	path := filepath.Join(t.TempDir(), "d"+Ext)
	for n := 1; n <= len(frames); n++ {
		os.Remove(path)
		if err := WriteFile(path, frames[:n], time.Hour); err != nil {
			t.Fatal(err)
		}
		r, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		assertSame(t, frames[:n], readAll(t, r))
		r.Close()
	}
}

// TestAlertNotablesAreFiringAndResolved: of an alert's transitions, n/N and
// --info list where it fired and where it resolved, each saying which;
// pending and back to inactive are not notables.
func TestAlertNotablesAreFiringAndResolved(t *testing.T) {
	var frames []sources.Frame
	for i, st := range []string{"pending", "firing", "resolved", "pending", "inactive"} {
		at := t0.Add(time.Duration(i) * time.Second)
		frames = append(frames, sources.Frame{Source: "alerts", At: at, Events: []sources.Event{{At: at, Kind: "alert",
			Severity: sources.SevWarning, Labels: []sources.Label{{Name: "alertname", Value: "P99High"}, {Name: "state", Value: st}},
			Text: "p99 latency 3s (> 2s)"}}})
	}
	r := writeOpen(t, "a", frames, 10*time.Second)
	var got []string
	for _, n := range r.Notables() {
		got = append(got, n.Text)
	}
	if want := []string{"firing: P99High p99 latency 3s (> 2s)", "resolved: P99High p99 latency 3s (> 2s)"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("notables %q, want %q", got, want)
	}
}

// writeOpen writes frames to a new recording named name (blocks of every)
// and opens it; the reader closes with the test.
func writeOpen(t *testing.T, name string, frames []sources.Frame, every time.Duration) *Reader {
	t.Helper()
	path := filepath.Join(t.TempDir(), name+Ext)
	if err := WriteFile(path, frames, every); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// TestReadsFormat1 reads a recording written in format 1.0 (block codec 0)
// by vigil before format 2: testdata/format1.vrec is richFrames() written
// by WriteFile with 10-second blocks at that version (the last version
// to write format 1, which also wrote LogRecord.TimeRead).
func TestReadsFormat1(t *testing.T) {
	r, err := Open(filepath.Join("testdata", "format1.vrec"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if v := r.Info().Files[0].Version; v != "1.0" {
		t.Fatalf("testdata/format1.vrec is format %s", v)
	}
	assertSame(t, richFrames(), readAll(t, r))
	if w := r.Warnings(); len(w) != 0 {
		t.Fatalf("warnings: %q", w)
	}
}

// TestFirstBlockDictionary covers both ways a segment's first block primes
// the others: a body that fits is the dictionary (stored once, before the
// block); a bigger one is stored compressed and its start is the
// dictionary (after it).
func TestFirstBlockDictionary(t *testing.T) {
	for _, lines := range []int{50, 3000} { // about 15 KiB and 800 KiB of body
		c := accessLogs(lines)
		for i := range c.frames {
			c.frames[i].At = t0.Add(time.Duration(i) * time.Millisecond) // one block, then more
		}
		more := accessLogs(50).frames
		for i := range more {
			more[i].At = t0.Add(time.Minute + time.Duration(i)*time.Millisecond)
		}
		frames := append(c.frames, more...)
		r := writeOpen(t, fmt.Sprint("d", lines), frames, 10*time.Second)
		r.mu.Lock()
		first := r.blocks[0]
		sf := first.f
		r.mu.Unlock()
		h, _, err := readRecord(sf.f, first.off, sf.size)
		if err != nil {
			t.Fatal(err)
		}
		if isDict := h.flags&flagDictBody != 0; isDict != (lines == 50) {
			t.Errorf("%d lines: first block is the dictionary: %v", lines, isDict)
		}
		got := readAll(t, r)
		if len(got) != len(frames) {
			t.Fatalf("%d lines: %d frames back, %d written", lines, len(got), len(frames))
		}
		for i := range frames {
			for j, l := range frames[i].Logs {
				if want := recorded(l); !sameLog(got[i].Logs[j], want) {
					t.Fatalf("%d lines: frame %d record %d:\n got  %+v\n want %+v", lines, i, j, got[i].Logs[j], want)
				}
			}
		}
	}
}

// TestFramesOutOfOrder: a block whose first frame is not its earliest
// reads back every time exactly (format 1 read them all shifted by the
// difference; the reader moves such format 1 blocks back).
func TestFramesOutOfOrder(t *testing.T) {
	var frames []sources.Frame
	for _, d := range []time.Duration{5 * time.Second, time.Second, 3 * time.Second, 0, 7 * time.Second} {
		at := t0.Add(d + 123)
		frames = append(frames, sources.Frame{Source: "s", At: at, Points: []sources.Point{{Series: sources.NewSeries("up", sources.Gauge), At: at, Value: 1}},
			Logs: []sources.LogRecord{{At: at.Add(-time.Millisecond), Raw: "x"}}})
	}
	frames = append(frames, sources.Frame{Source: "zero"})
	r := writeOpen(t, "order", frames, time.Minute)
	assertSame(t, frames, readAll(t, r))
}

// TestLargeBlockGrowsWindow: a block after the first whose dictionary and
// body need more than the dictionary encoder's window (1 MiB at first)
// gets an encoder with a window that holds them, and every block after it
// reads back exactly.
func TestLargeBlockGrowsWindow(t *testing.T) {
	for _, c := range []struct{ n, want int }{{0, 1 << 20}, {1 << 20, 1 << 20}, {1<<20 + 1, 2 << 20}, {5 << 20, 8 << 20}, {300 << 20, 8 << 20}} {
		if got := encWindow(c.n); got != c.want {
			t.Errorf("encWindow(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	var frames []sources.Frame
	for i, lines := range []int{50, 50, 12000, 50} { // the dictionary, a small block, about 1.2 MiB, a small one
		for _, f := range accessLogs(lines).frames {
			f.At = t0.Add(time.Duration(i)*time.Minute + f.At.Sub(t0)%time.Second)
			frames = append(frames, f)
		}
	}
	r := writeOpen(t, "grow", frames, 10*time.Second)
	got := readAll(t, r)
	if len(got) != len(frames) {
		t.Fatalf("%d frames back, %d written", len(got), len(frames))
	}
	for i := range frames {
		for j, l := range frames[i].Logs {
			if want := recorded(l); !sameLog(got[i].Logs[j], want) {
				t.Fatalf("frame %d record %d:\n got  %+v\n want %+v", i, j, got[i].Logs[j], want)
			}
		}
	}
}

// TestNumbersSegmentNeverBest: in a segment that has held numbers, a block
// of log lines alone (an alert or a marker can cut one short) goes through
// the "better" encoder, not a "best" one made for it (76 MB of heap).
func TestNumbersSegmentNeverBest(t *testing.T) {
	zenc, err := newEncoder()
	if err != nil {
		t.Fatal(err)
	}
	defer zenc.Close()
	s, err := createSegment(filepath.Join(t.TempDir(), "n"+Ext), defaultMeta(t0, 10*time.Second, ""), zenc)
	if err != nil {
		t.Fatal(err)
	}
	point := func(at time.Time) sources.Frame {
		return sources.Frame{Source: "s", At: at, Points: []sources.Point{{Series: sources.NewSeries("up", sources.Gauge), At: at, Value: 1}}}
	}
	blocks := [][]sources.Frame{append([]sources.Frame{point(t0)}, accessLogs(5).frames...), accessLogs(50).frames,
		{point(t0.Add(time.Minute))}, accessLogs(50).frames}
	for _, b := range blocks {
		for i := range b {
			s.blk.add(&b[i])
		}
		if err := s.flushBlock(); err != nil {
			t.Fatal(err)
		}
	}
	if s.dencLog != nil || s.denc == nil {
		t.Errorf("log-only blocks after numbers: best encoder made %v, better %v", s.dencLog != nil, s.denc != nil)
	}
	if err := s.close(); err != nil {
		t.Fatal(err)
	}
}
