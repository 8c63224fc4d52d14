package logs

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

var update = flag.Bool("update", false, "rewrite golden files")

var readAt = time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)

func mustParser(t testing.TB, o ParseOptions) *Parser {
	t.Helper()
	if o.Location == nil {
		o.Location = time.UTC
	}
	p, err := NewParser(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// describe renders a record deterministically (sorted fields).
func describe(r sources.LogRecord) string {
	var b strings.Builder
	fmt.Fprintf(&b, "at=%s level=%s service=%q trace=%q span=%q\n  msg=%q\n  raw=%q\n",
		r.At.UTC().Format(time.RFC3339Nano), r.Level, r.Service, r.TraceID, r.SpanID, r.Msg, r.Raw)
	keys := make([]string, 0, r.Fields.Len())
	for k := range r.Fields.All() {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %s=%q\n", k, r.Fields.Value(k))
	}
	return b.String()
}

func TestParseFixtureGolden(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	in, err := os.ReadFile("testdata/mixed.log")
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, l := range bytes.Split(bytes.TrimRight(in, "\n"), []byte("\n")) {
		out.WriteString(describe(p.Parse(l, readAt)))
	}
	golden := "testdata/mixed.golden"
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("parse of testdata/mixed.log differs from %s (run with -update and read the diff):\n%s", golden, out.String())
	}
}

func TestParseCommonShapes(t *testing.T) {
	p := mustParser(t, ParseOptions{})
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		line    string
		at      time.Time
		level   sources.Level
		service string
		trace   string
		span    string
		msg     string
	}{
		{`{"time":"2026-11-27T07:25:40.123Z","level":"info","service":"api","msg":"ok","trace_id":"t1","span_id":"s1"}`,
			utc("2026-11-27T07:25:40.123Z"), sources.LevelInfo, "api", "t1", "s1", "ok"},
		{`{"ts":1764228340,"lvl":"ERROR","app":"x","message":"m","traceId":"t2","spanId":"s2"}`,
			time.Unix(1764228340, 0), sources.LevelError, "x", "t2", "s2", "m"},
		{`{"ts":1764228340123,"level":40,"msg":"ms"}`, time.UnixMilli(1764228340123), sources.LevelWarn, "", "", "", "ms"},
		{`{"ts":1764228340123456,"level":"debug","msg":"us"}`, time.UnixMicro(1764228340123456), sources.LevelDebug, "", "", "", "us"},
		{`{"ts":1764228340123456789,"level":"trace","msg":"ns"}`, time.Unix(0, 1764228340123456789), sources.LevelTrace, "", "", "", "ns"},
		{`{"otel":{"trace_id":"t3","span_id":"s3"},"msg":"nested ids"}`, readAt, sources.LevelUnknown, "", "t3", "s3", "nested ids"},
		{`{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}`, readAt, sources.LevelUnknown, "",
			"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", ""},
		{`{"resource":{"service":{"name":"svc"}},"severity_text":"FATAL","body":"b"}`, readAt, sources.LevelFatal, "svc", "", "", "b"},
		{`level=error msg="quoted \"x\"" service=api traceID=t4`, readAt, sources.LevelError, "api", "t4", "", `quoted "x"`},
		{`2009/11/10 23:00:00 go default`, utc("2009-11-10T23:00:00Z"), sources.LevelUnknown, "", "", "", "go default"},
		{`2009-11-10 23:00:00,123 INFO python asctime`, utc("2009-11-10T23:00:00.123Z"), sources.LevelInfo, "", "", "", "python asctime"},
		{`ERROR:app.db:connection lost`, readAt, sources.LevelError, "", "", "", "connection lost"},
		{`2026-11-27T07:25:40+02:00 [warning] zone`, utc("2026-11-27T05:25:40Z"), sources.LevelWarn, "", "", "", "zone"},
		{`W1127 07:25:40.000001 1 x.go:1] klog`, utc("2026-11-27T07:25:40.000001Z"), sources.LevelWarn, "", "", "", "klog"},
		{`no error here, just prose`, readAt, sources.LevelUnknown, "", "", "", "no error here, just prose"},
		{`{"PRIORITY":"4","__REALTIME_TIMESTAMP":"1764228340000001","MESSAGE":"journald","_SYSTEMD_UNIT":"x.service"}`,
			time.UnixMicro(1764228340000001), sources.LevelWarn, "x.service", "", "", "journald"},
		// A timestamp, then logfmt pairs: the pairs are fields, msg is msg.
		{`2026-11-27T07:25:40.5Z level=warn service=batch msg="job step 7 finished" duration_ms=42`,
			utc("2026-11-27T07:25:40.5Z"), sources.LevelWarn, "batch", "", "", "job step 7 finished"},
		// apt's history.log: the time after a Date key, two spaces before the time.
		{`Start-Date: 2026-05-01  10:22:33`, utc("2026-05-01T10:22:33Z"), sources.LevelUnknown, "", "", "", "Start-Date: 2026-05-01  10:22:33"},
		// dpkg.log: a date and time first.
		{`2026-05-01 10:22:35 status installed curl:amd64 8.5.0-2`, utc("2026-05-01T10:22:35Z"), sources.LevelUnknown, "", "", "", "status installed curl:amd64 8.5.0-2"},
	}
	for _, c := range cases {
		r := p.Parse([]byte(c.line), readAt)
		if r.TimeRead != c.at.Equal(readAt) {
			t.Errorf("%s: read time %v", c.line, r.TimeRead)
		}
		if !r.At.Equal(c.at) || r.Level != c.level || r.Service != c.service || r.TraceID != c.trace || r.SpanID != c.span || r.Msg != c.msg {
			t.Errorf("%s\n got %s\nwant at=%s level=%s service=%q trace=%q span=%q msg=%q", c.line, describe(r),
				c.at.UTC().Format(time.RFC3339Nano), c.level, c.service, c.trace, c.span, c.msg)
		}
	}
}

func TestParseDemoLine(t *testing.T) {
	// The embedded demo's shape: nested prediction and features must be
	// flattened for the drift engine.
	line := `{"time":"2026-11-27T07:25:40.5Z","level":"error","service":"chat-api","msg":"generation failed","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","latency_ms":2412.5,"status":"error","prediction":{"confidence":0.41},"predicted_class":"refusal","features":{"prompt_tokens":812,"temperature":0.7,"lang":"en"}}`
	r := Parse([]byte(line), readAt)
	want := map[string]string{"prediction.confidence": "0.41", "predicted_class": "refusal",
		"features.prompt_tokens": "812", "features.temperature": "0.7", "features.lang": "en",
		"latency_ms": "2412.5", "status": "error"}
	for k, v := range want {
		if r.Fields.Value(k) != v {
			t.Errorf("Fields[%q] = %q, want %q", k, r.Fields.Value(k), v)
		}
	}
	if d, ok := Latency(&r); !ok || d != 2412500*time.Microsecond {
		t.Errorf("Latency = %v %v", d, ok)
	}
	if s := Status(&r); s != "error" || !IsFailure(s) {
		t.Errorf("Status = %q", s)
	}
	if r.Level != sources.LevelError || r.Service != "chat-api" || r.TraceID == "" || r.SpanID == "" {
		t.Errorf("got %s", describe(r))
	}
}

func TestRedaction(t *testing.T) {
	v := NewVault(2)
	p := mustParser(t, ParseOptions{Vault: v})
	line := `{"msg":"hi","prompt":"tell me a secret","request":{"messages":[{"role":"user","content":"pw 1234"}]},"output":{"text":"sure"},"n":1}`
	r := p.Parse([]byte(line), readAt)
	for _, secret := range []string{"tell me a secret", "pw 1234", "sure"} {
		if strings.Contains(r.Raw, secret) || strings.Contains(describe(r), secret) {
			t.Fatalf("secret %q leaked: %s", secret, describe(r))
		}
	}
	if r.Fields.Value("prompt") != Redacted || r.Fields.Value("request.messages") != Redacted || r.Fields.Value("output") != Redacted {
		t.Errorf("fields not redacted: %s", describe(r))
	}
	want := `{"msg":"hi","prompt":"[redacted]","request":{"messages":"[redacted]"},"output":"[redacted]","n":1}`
	if r.Raw != want {
		t.Errorf("raw = %s\nwant  %s", r.Raw, want)
	}
	orig, ok := v.Reveal(r.Fields.Value(RedactRefField))
	if !ok || orig != line {
		t.Errorf("Reveal = %q, %v", orig, ok)
	}
	// logfmt and plain key=value.
	r = p.Parse([]byte(`level=info msg=x prompt="a b c" completion=zzz`), readAt)
	if r.Raw != `level=info msg=x prompt=[redacted] completion=[redacted]` {
		t.Errorf("logfmt raw = %s", r.Raw)
	}
	r = p.Parse([]byte(`2026-11-27 07:00:00 INFO got input=secret123 done`), readAt)
	if strings.Contains(r.Raw, "secret123") || r.Fields.Value("input") != Redacted {
		t.Errorf("plain: %s", describe(r))
	}
	// The vault is bounded: the first two references are gone after two more.
	p.Parse([]byte(`{"prompt":"x"}`), readAt)
	if _, ok := v.Reveal("1"); ok {
		t.Error("vault kept more than its bound")
	}
	// No redaction when configured empty.
	p0 := mustParser(t, ParseOptions{Redact: []string{}})
	if r := p0.Parse([]byte(`{"prompt":"visible"}`), readAt); r.Fields.Value("prompt") != "visible" {
		t.Errorf("empty redact list redacted: %s", describe(r))
	}
}

func TestRules(t *testing.T) {
	p := mustParser(t, ParseOptions{Rules: []Rule{
		{Regex: `^(?P<time>\S+) (?P<service>[a-z-]+)\[(?P<pid>\d+)\] (?P<level>[A-Z]+) req=(?P<trace_id>[0-9a-f]+) (?P<msg>.*)$`},
		{From: "msg", Regex: `took (?P<latency_ms>\d+)ms`},
	}})
	r := p.Parse([]byte(`2026-11-27T07:25:40Z billing[42] WARN req=abc123 charge took 87ms`), readAt)
	if r.Service != "billing" || r.Level != sources.LevelWarn || r.TraceID != "abc123" || r.Msg != "charge took 87ms" ||
		r.Fields.Value("pid") != "42" || r.Fields.Value("latency_ms") != "87" || !r.At.Equal(time.Date(2026, 11, 27, 7, 25, 40, 0, time.UTC)) {
		t.Errorf("got %s", describe(r))
	}
	if _, err := NewParser(ParseOptions{Rules: []Rule{{Regex: "("}}}); err == nil {
		t.Error("bad regex accepted")
	}
}

func TestParseTime(t *testing.T) {
	cases := map[string]time.Time{
		"2026-11-27T07:25:40Z":            time.Date(2026, 11, 27, 7, 25, 40, 0, time.UTC),
		"2026-11-27T07:25:40.123456789Z":  time.Date(2026, 11, 27, 7, 25, 40, 123456789, time.UTC),
		"2026-11-27T07:25:40.5-0130":      time.Date(2026, 11, 27, 8, 55, 40, 5e8, time.UTC),
		"2026-11-27 07:25:40,001":         time.Date(2026, 11, 27, 7, 25, 40, 1e6, time.UTC),
		"2026/11/27 07:25:40":             time.Date(2026, 11, 27, 7, 25, 40, 0, time.UTC),
		"1764228340":                      time.Unix(1764228340, 0),
		"1764228340.25":                   time.Unix(1764228340, 25e7),
		"1764228340250":                   time.UnixMilli(1764228340250),
		"1764228340250000000":             time.Unix(0, 1764228340250000000),
		"Thu, 27 Nov 2026 07:25:40 +0000": time.Date(2026, 11, 27, 7, 25, 40, 0, time.UTC),
		"27/Nov/2026:07:25:40 +0000":      time.Date(2026, 11, 27, 7, 25, 40, 0, time.UTC),
		"2026-11-27 07:25:40.123 UTC":     time.Date(2026, 11, 27, 7, 25, 40, 123e6, time.UTC),
	}
	for in, want := range cases {
		got, ok := ParseTime(in, time.UTC)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v %v, want %v", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "2026-13-01T00:00:00Z", "NaN", "1e400", "2026-11-27"} {
		if got, ok := ParseTime(bad, time.UTC); ok {
			t.Errorf("ParseTime(%q) = %v, want failure", bad, got)
		}
	}
}

func TestField(t *testing.T) {
	r := Parse([]byte(`{"ts":"2026-11-27T07:00:00Z","severity":"warn","svc":"api","message":"m","traceId":"t","spanId":"s","x":"1"}`), readAt)
	for name, want := range map[string]string{"x": "1", "message": "m", "msg": "m", "svc": "api", "service": "api",
		"trace_id": "t", "traceId": "t", "span_id": "s", "level": "warn", "time": "2026-11-27T07:00:00Z"} {
		if got, ok := Field(&r, name); !ok || got != want {
			t.Errorf("Field(%q) = %q %v, want %q", name, got, ok, want)
		}
	}
	if _, ok := Field(&r, "absent"); ok {
		t.Error("absent field found")
	}
}
