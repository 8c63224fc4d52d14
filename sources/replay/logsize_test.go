package replay

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/vigil-dev/vigil/internal/cputime"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
)

// logCorpus is a stream of log frames as a log source emits them.
type logCorpus struct {
	name   string
	frames []sources.Frame
	lines  int
}

// raw is the corpus' lines, one per line, as they were in the log file.
func (c logCorpus) raw() []byte {
	var b bytes.Buffer
	for _, f := range c.frames {
		for _, l := range f.Logs {
			b.WriteString(l.Raw)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// demoLogs are the log frames of the sample recording: the demo's JSON
// log lines as the file source parsed them live.
func demoLogs(tb testing.TB) logCorpus {
	r, err := Open(filepath.Join("..", "..", "testdata", "demo-incident.vrec"))
	if err != nil {
		tb.Fatal(err)
	}
	defer r.Close()
	c := logCorpus{name: "demo"}
	from, to := r.Span()
	r.Frames(from, to, func(f sources.Frame) bool {
		if len(f.Logs) > 0 {
			c.frames = append(c.frames, sources.Frame{Source: f.Source, At: f.At, Logs: f.Logs})
			c.lines += len(f.Logs)
		}
		return true
	})
	if c.lines == 0 {
		tb.Fatal("no log lines in the sample recording")
	}
	return c
}

// accessLogs are n JSON access log lines of a web service behind a load
// balancer (zap-like: ISO time in ms, level, logger, message, request
// fields, W3C trace and span ids, a request id), 50 a second, read by the
// file source in 250 ms polls and parsed by the live parser.
func accessLogs(n int) logCorpus {
	rng := rand.New(rand.NewPCG(42, 7))
	hexid := func(nbytes int) string {
		b := make([]byte, nbytes)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return fmt.Sprintf("%x", b)
	}
	routes := []string{"/api/v1/users/%d", "/api/v1/orders/%d/items", "/api/v1/search", "/healthz", "/api/v1/carts/%d", "/static/app.%x.js"}
	agents := []string{"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"kube-probe/1.31", "python-requests/2.32.3", "Go-http-client/2.0"}
	c := logCorpus{name: "access"}
	at := t0
	var batch []sources.LogRecord
	flush := t0.Add(250 * time.Millisecond)
	for i := 0; i < n; i++ {
		at = at.Add(time.Duration(rng.ExpFloat64() * float64(20*time.Millisecond)))
		for at.After(flush) {
			if len(batch) > 0 {
				c.frames = append(c.frames, sources.Frame{Source: "file /var/log/shop/access.log", At: flush, Logs: batch})
				batch = nil
			}
			flush = flush.Add(250 * time.Millisecond)
		}
		method := "GET"
		switch k := rng.IntN(20); {
		case k < 4:
			method = "POST"
		case k == 4:
			method = "DELETE"
		}
		route := routes[rng.IntN(len(routes))]
		path := route
		if strings.Contains(route, "%") {
			path = fmt.Sprintf(route, rng.IntN(90000)+1000)
		}
		if route == "/api/v1/search" {
			path += fmt.Sprintf("?q=item%d&page=%d", rng.IntN(500), rng.IntN(5)+1)
		}
		status, level, msg := 200, "info", "request completed"
		switch k := rng.IntN(100); {
		case method == "POST" && k < 80:
			status = 201
		case k < 3:
			status, level, msg = 500, "error", "request failed"
		case k < 8:
			status, level = 404, "warn"
		case k < 12:
			status = 304
		}
		dur := math.Exp(rng.NormFloat64()*0.8 + 2.5)
		line := fmt.Sprintf(`{"ts":"%s","level":"%s","logger":"http","msg":"%s","method":"%s","path":"%s","status":%d,"duration_ms":%.3f,"bytes":%d,"remote_ip":"10.%d.%d.%d","user_agent":"%s","trace_id":"%s","span_id":"%s","request_id":"%s"}`,
			at.UTC().Format("2006-01-02T15:04:05.000Z"), level, msg, method, path, status, dur, rng.IntN(40000)+200,
			rng.IntN(4), rng.IntN(256), rng.IntN(256), agents[rng.IntN(len(agents))], hexid(16), hexid(8), hexid(16))
		rec := logs.Parse([]byte(line), flush)
		rec.Source = "/var/log/shop/access.log"
		batch = append(batch, rec)
		c.lines++
	}
	if len(batch) > 0 {
		c.frames = append(c.frames, sources.Frame{Source: "file /var/log/shop/access.log", At: flush, Logs: batch})
	}
	return c
}

// plainLogs are the reference load's vLLM lines (plain text, 10 a second,
// some ending in key=value pairs) as the file source reads them: parsed
// by the live parser, in 250 ms polls.
func plainLogs(secs int) logCorpus {
	g := newRefLoad(t0, 11)
	g.numbers = false
	c := logCorpus{name: "plain"}
	var batch []sources.LogRecord
	flush := t0.Add(250 * time.Millisecond)
	for range secs {
		for _, f := range g.second() {
			for _, l := range f.Logs {
				for l.At.After(flush) {
					if len(batch) > 0 {
						c.frames = append(c.frames, sources.Frame{Source: "file /var/log/vllm.log", At: flush, Logs: batch})
						batch = nil
					}
					flush = flush.Add(250 * time.Millisecond)
				}
				rec := logs.Parse([]byte(l.Raw), flush)
				rec.Source = "/var/log/vllm.log"
				batch = append(batch, rec)
				c.lines++
			}
		}
	}
	if len(batch) > 0 {
		c.frames = append(c.frames, sources.Frame{Source: "file /var/log/vllm.log", At: flush, Logs: batch})
	}
	return c
}

// recordedBytes records the corpus alone to a file with 10 s blocks, as
// the recorder cuts them, and returns the file's size.
func recordedBytes(tb testing.TB, c logCorpus) int64 {
	p := filepath.Join(tb.TempDir(), c.name+Ext)
	if err := WriteFile(p, c.frames, 10*time.Second); err != nil {
		tb.Fatal(err)
	}
	return fileSize(tb, p)
}

// zstd3Bytes is the size of the corpus' lines compressed whole by zstd at
// level 3 (klauspost/compress' SpeedDefault is zstd's level 3).
func zstd3Bytes(tb testing.TB, c logCorpus) int {
	z, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		tb.Fatal(err)
	}
	defer z.Close()
	return len(z.EncodeAll(c.raw(), nil))
}

// zstdCLIBytes is the same with the zstd command (`zstd -3`), or -1 when
// it is not installed (Debian: zstd).
func zstdCLIBytes(c logCorpus) int {
	path, err := exec.LookPath("zstd")
	if err != nil {
		return -1
	}
	cmd := exec.Command(path, "-3", "-c", "-q")
	cmd.Stdin = bytes.NewReader(c.raw())
	out, err := cmd.Output()
	if err != nil {
		return -1
	}
	return len(out)
}

// BenchmarkLogBytes prints the bytes per log line of a recording beside
// those of `zstd -3` over the same lines (the whole stream compressed at
// once, which a recording, cut into 10 s blocks that each decode alone,
// cannot do): B/line is vigil's, zstd3-B/line klauspost/compress at level
// 3, zstdcli-B/line the zstd command when installed. Corpora: the demo's
// JSON lines (from testdata/demo-incident.vrec), JSON access logs with
// trace ids, and the reference load's plain vLLM lines.
//
//	go test -run '^$' -bench LogBytes ./sources/replay
func BenchmarkLogBytes(b *testing.B) {
	for _, c := range []logCorpus{demoLogs(b), accessLogs(30000), plainLogs(3600)} {
		b.Run(c.name, func(b *testing.B) {
			var size int64
			for i := 0; i < b.N; i++ {
				size = recordedBytes(b, c)
			}
			n := float64(c.lines)
			b.ReportMetric(float64(size)/n, "B/line")
			b.ReportMetric(float64(zstd3Bytes(b, c))/n, "zstd3-B/line")
			if z := zstdCLIBytes(c); z > 0 {
				b.ReportMetric(float64(z)/n, "zstdcli-B/line")
			}
			b.ReportMetric(float64(len(c.raw()))/n, "raw-B/line")
		})
	}
}

// first is the corpus' first n lines, in whole frames.
func (c logCorpus) first(n int) logCorpus {
	out := logCorpus{name: c.name}
	for _, f := range c.frames {
		if out.lines >= n {
			break
		}
		out.frames = append(out.frames, f)
		out.lines += len(f.Logs)
	}
	return out
}

// TestLogBytesBeatZstd3 holds the recording of log lines at or under what
// zstd -3 makes of the same lines compressed whole (the first 2,000 JSON
// lines of two corpora and 15 minutes of plain ones, to keep the test
// quick; BenchmarkLogBytes has them all).
func TestLogBytesBeatZstd3(t *testing.T) {
	for _, c := range []logCorpus{demoLogs(t).first(2000), accessLogs(2000), plainLogs(900)} {
		rec, z := recordedBytes(t, c), zstd3Bytes(t, c)
		t.Logf("%s: %d lines, recorded %.1f B/line, zstd -3 %.1f B/line", c.name, c.lines, float64(rec)/float64(c.lines), float64(z)/float64(c.lines))
		if rec > int64(z) {
			t.Errorf("%s: recording %d B > zstd -3 %d B for %d lines", c.name, rec, z, c.lines)
		}
	}
}

// BenchmarkDecodeLogs decodes a recording of JSON access logs (10 minutes,
// 50 lines a second) block after block, cold: lines per second of CPU.
func BenchmarkDecodeLogs(b *testing.B) {
	c := accessLogs(30000)
	p := filepath.Join(b.TempDir(), "access"+Ext)
	if err := WriteFile(p, c.frames, 10*time.Second); err != nil {
		b.Fatal(err)
	}
	r, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cputime.Now()
	lines := 0
	for i := 0; i < b.N; i++ {
		fs, err := r.decodeBlock(r.blocks[i%len(r.blocks)])
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range fs {
			lines += len(f.Logs)
		}
	}
	b.ReportMetric(float64(lines)/(cputime.Now()-cpu0).Seconds(), "lines/cpu-s")
}
