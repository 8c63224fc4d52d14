package logs

import (
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// latencyKeys are the common spellings of a request's latency, with the
// unit a bare number is in.
var latencyKeys = []struct {
	key  string
	unit time.Duration
}{
	{"latency_ms", time.Millisecond}, {"duration_ms", time.Millisecond}, {"elapsed_ms", time.Millisecond},
	{"took_ms", time.Millisecond}, {"response_time_ms", time.Millisecond}, {"latencyMs", time.Millisecond},
	{"durationMs", time.Millisecond}, {"latency_s", time.Second}, {"duration_s", time.Second},
	{"latency_seconds", time.Second}, {"duration_seconds", time.Second}, {"request_time", time.Second},
	{"latency_us", time.Microsecond}, {"duration_us", time.Microsecond}, {"latency_ns", 1},
	{"duration_ns", 1}, {"http.duration_ms", time.Millisecond},
	{"latency", time.Second}, {"duration", time.Second}, {"elapsed", time.Second}, {"took", time.Second},
}

// Latency returns a record's latency from its fields: latency_ms,
// duration_ms, latency, duration (Go durations like "12ms" or bare seconds), ...
func Latency(r *sources.LogRecord) (time.Duration, bool) {
	for _, lk := range latencyKeys {
		v, ok := r.Fields.Get(lk.key)
		if !ok || v == "" {
			continue
		}
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			if f < 0 || f > 1e15 {
				continue
			}
			return time.Duration(f * float64(lk.unit)), true
		}
		if d, err := time.ParseDuration(v); err == nil && d >= 0 {
			return d, true
		}
	}
	return 0, false
}

var statusKeys = []string{"status", "status_code", "statusCode", "http.status_code", "http_status",
	"http.response.status_code", "code", "outcome"}

// Status returns a record's status (an HTTP code, "ok", "error", ...) from
// its fields, or "".
func Status(r *sources.LogRecord) string {
	for _, k := range statusKeys {
		if v := r.Fields.Value(k); v != "" {
			return v
		}
	}
	return ""
}

// IsFailure reports whether a status reads as a failed request: an HTTP
// 5xx, or the words error/fail/failed/failure.
func IsFailure(status string) bool {
	if len(status) == 3 && status[0] == '5' {
		_, err := strconv.Atoi(status)
		return err == nil
	}
	switch strings.ToLower(status) {
	case "error", "fail", "failed", "failure", "err":
		return true
	}
	return false
}

// Field returns a record's field by name, including those the parser moved
// onto the record itself (and so left out of Fields): any spelling of the
// message, service, trace id or span id, and "level" and "time". Drift and
// filters read fields through it.
func Field(r *sources.LogRecord, name string) (string, bool) {
	if v, ok := r.Fields.Get(name); ok {
		return v, true
	}
	switch roleOf(name) {
	case roleMsg:
		return r.Msg, r.Msg != ""
	case roleService:
		return r.Service, r.Service != ""
	case roleTrace, roleTraceparent:
		return r.TraceID, r.TraceID != ""
	case roleSpan:
		return r.SpanID, r.SpanID != ""
	case roleLevel, rolePriority:
		return r.Level.String(), r.Level != sources.LevelUnknown
	case roleTime, roleEpochMicro:
		return r.At.Format(time.RFC3339Nano), !r.At.IsZero()
	}
	return "", false
}
