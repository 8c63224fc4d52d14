// Package traces brings spans into vigil: a built-in OTLP/HTTP receiver
// (POST /v1/traces, protobuf and JSON) that services can export to when there
// is no tracing backend, clients for the Jaeger and Tempo query APIs, a
// Backend interface both satisfy (as does the local store), and the links
// from a latency or error spike to the traces behind it.
//
// Every string that comes from outside (span names, attribute keys and
// values, service names) is passed through sources.Sanitize and cut to a
// bounded length before it lands in a sources.Span.
package traces

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/vigil-dev/vigil/sources"
)

// UnknownService is the service of spans whose resource has no service.name,
// as the OpenTelemetry SDKs name it.
const UnknownService = "unknown_service"

// Limits bound what one span may carry once converted.
type Limits struct {
	MaxAttrs    int // attributes kept per span and per event (resource ones included); default 128
	MaxValueLen int // bytes kept of an attribute value; default 4096
	MaxNameLen  int // bytes kept of a span, event or service name; default 256
	MaxEvents   int // events kept per span; default 128
}

func (l Limits) withDefaults() Limits {
	if l.MaxAttrs <= 0 {
		l.MaxAttrs = 128
	}
	if l.MaxValueLen <= 0 {
		l.MaxValueLen = 4096
	}
	if l.MaxNameLen <= 0 {
		l.MaxNameLen = 256
	}
	if l.MaxEvents <= 0 {
		l.MaxEvents = 128
	}
	return l
}

// Attribute keys vigil adds to a converted span besides the span's own.
const (
	AttrSpanKind      = "span.kind"       // server, client, producer, consumer, internal
	AttrStatusMessage = "status.message"  // the span status' description
	AttrScope         = "otel.scope.name" // the instrumentation scope
	AttrResource      = "resource."       // prefix of resource attributes (service.name excepted)
	attrServiceName   = "service.name"    // resource attribute naming the service
	cutMarker         = "…[cut]"          // appended to values cut to the limit
	errSpanIDs        = "invalid trace or span id"
)

// DecodeProto parses a binary OTLP ExportTraceServiceRequest.
func DecodeProto(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := proto.Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("otlp: protobuf: %w", err)
	}
	return req, nil
}

// DecodeJSON parses an OTLP/JSON ExportTraceServiceRequest. Trace and span
// ids may be hex (as the OTLP/JSON encoding says) or base64 (as protojson
// and Tempo write them); both are accepted. Unknown fields are ignored.
func DecodeJSON(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	return scanRequest(body)
}

// Convert turns the resource spans of an OTLP request into sources.Spans
// and counts the spans it had to reject (a trace id that is not 16 bytes or
// is all zeros, a span id that is not 8 bytes), with the first reason.
func Convert(rss []*tracepb.ResourceSpans, lim Limits) (spans []sources.Span, rejected int, reason string) {
	lim = lim.withDefaults()
	n := 0
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	spans = make([]sources.Span, 0, n)
	for _, rs := range rss {
		service := ""
		// Resource attributes are the same for every span: render them once.
		res := make(map[string]string)
		for _, kv := range rs.GetResource().GetAttributes() {
			if kv.GetKey() == attrServiceName {
				service = cut(oneLine(anyString(kv.GetValue(), lim)), lim.MaxNameLen)
				continue
			}
			putAttr(res, AttrResource, kv, lim)
		}
		resAttrs := make([][2]string, 0, len(res))
		for k, v := range res {
			resAttrs = append(resAttrs, [2]string{k, v})
		}
		sort.Slice(resAttrs, func(i, j int) bool { return resAttrs[i][0] < resAttrs[j][0] })
		if service == "" {
			service = UnknownService
		}
		for _, ss := range rs.GetScopeSpans() {
			scope := cut(oneLine(ss.GetScope().GetName()), lim.MaxNameLen)
			for _, sp := range ss.GetSpans() {
				s, ok := convertSpan(sp, service, scope, resAttrs, lim)
				if !ok {
					rejected++
					if reason == "" {
						reason = errSpanIDs
					}
					continue
				}
				spans = append(spans, s)
			}
		}
	}
	return spans, rejected, reason
}

func validID(b []byte, n int) bool {
	if len(b) != n {
		return false
	}
	for _, c := range b {
		if c != 0 {
			return true
		}
	}
	return false
}

func convertSpan(sp *tracepb.Span, service, scope string, res [][2]string, lim Limits) (sources.Span, bool) {
	if !validID(sp.TraceId, 16) || !validID(sp.SpanId, 8) {
		return sources.Span{}, false
	}
	s := sources.Span{
		TraceID: hex.EncodeToString(sp.TraceId),
		SpanID:  hex.EncodeToString(sp.SpanId),
		Service: service,
		Name:    cut(oneLine(sp.Name), lim.MaxNameLen),
		Start:   unixNano(sp.StartTimeUnixNano),
		End:     unixNano(sp.EndTimeUnixNano),
	}
	if validID(sp.ParentSpanId, 8) {
		s.ParentID = hex.EncodeToString(sp.ParentSpanId)
	}
	if s.End.Before(s.Start) {
		s.End = s.Start
	}
	switch sp.GetStatus().GetCode() {
	case tracepb.Status_STATUS_CODE_OK:
		s.Status = sources.SpanOK
	case tracepb.Status_STATUS_CODE_ERROR:
		s.Status = sources.SpanError
	}
	s.Attrs = make(map[string]string, len(sp.Attributes)+len(res)+3)
	for _, kv := range sp.Attributes {
		putAttr(s.Attrs, "", kv, lim)
	}
	if k := spanKind(sp.Kind); k != "" {
		s.Attrs[AttrSpanKind] = k
	}
	if m := sp.GetStatus().GetMessage(); m != "" {
		s.Attrs[AttrStatusMessage] = cut(sources.Sanitize(m), lim.MaxValueLen)
	}
	if scope != "" {
		s.Attrs[AttrScope] = scope
	}
	for _, kv := range res {
		if len(s.Attrs) >= lim.MaxAttrs {
			break
		}
		s.Attrs[kv[0]] = kv[1]
	}
	if len(s.Attrs) == 0 {
		s.Attrs = nil
	}
	for i, ev := range sp.Events {
		if i == lim.MaxEvents {
			break
		}
		e := sources.SpanEvent{At: unixNano(ev.TimeUnixNano), Name: cut(oneLine(ev.Name), lim.MaxNameLen)}
		if len(ev.Attributes) > 0 {
			e.Attrs = make(map[string]string, len(ev.Attributes))
			for _, kv := range ev.Attributes {
				putAttr(e.Attrs, "", kv, lim)
			}
		}
		s.Events = append(s.Events, e)
	}
	return s, true
}

func unixNano(ns uint64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	if ns > math.MaxInt64 {
		ns = math.MaxInt64
	}
	return time.Unix(0, int64(ns))
}

func spanKind(k tracepb.Span_SpanKind) string {
	switch k {
	case tracepb.Span_SPAN_KIND_INTERNAL:
		return "internal"
	case tracepb.Span_SPAN_KIND_SERVER:
		return "server"
	case tracepb.Span_SPAN_KIND_CLIENT:
		return "client"
	case tracepb.Span_SPAN_KIND_PRODUCER:
		return "producer"
	case tracepb.Span_SPAN_KIND_CONSUMER:
		return "consumer"
	}
	return ""
}

// putAttr stores kv under prefix+key, flattening key-value lists with dots
// ("http.request.header.x"), while the map holds fewer than MaxAttrs.
func putAttr(m map[string]string, prefix string, kv *commonpb.KeyValue, lim Limits) {
	if len(m) >= lim.MaxAttrs {
		return
	}
	key := prefix + cut(oneLine(kv.GetKey()), lim.MaxNameLen)
	if Secret(key) {
		m[key] = Redacted // a list or map under a credential's name goes whole
		return
	}
	if kvl, ok := kv.GetValue().GetValue().(*commonpb.AnyValue_KvlistValue); ok {
		for _, sub := range kvl.KvlistValue.GetValues() {
			putAttr(m, key+".", sub, lim)
		}
		return
	}
	m[key] = cut(anyString(kv.GetValue(), lim), lim.MaxValueLen)
}

// Redacted is what a credential attribute's value shows, as a redacted log
// field does.
const Redacted = "[redacted]"

// credentialNames are the attribute names whose values are credentials,
// lower case with '-' read as '_': HTTP's credential headers
// (http.request.header.authorization, ...cookie) and the usual names of
// keys, tokens and passwords.
var credentialNames = map[string]bool{
	"authorization": true, "proxy_authorization": true, "www_authenticate": true, "cookie": true, "set_cookie": true,
	"api_key": true, "apikey": true, "x_api_key": true, "api_token": true, "x_auth_token": true, "auth_token": true,
	"token": true, "access_token": true, "refresh_token": true, "id_token": true, "bearer": true, "session_token": true,
	"password": true, "passwd": true, "secret": true, "client_secret": true, "private_key": true, "credentials": true,
}

// Secret reports whether an attribute named key carries a credential, by
// the rule the log parser uses for redacted fields: the key or its last
// dotted part is one of the names (none has a dot, so the last part
// decides), here credentialNames, compared without case and with '-' as
// '_' (header names vary).
func Secret(key string) bool {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	return len(key) >= 5 && len(key) <= 19 && credentialNames[normKey(key)] // the names' lengths: most keys stop here
}

func normKey(k string) string {
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= 'A' && c <= 'Z' || c == '-' {
			return strings.ReplaceAll(strings.ToLower(k), "-", "_")
		}
	}
	return k
}

// anyString renders an attribute value as text: strings as they are
// (sanitized), numbers and booleans as Go formats them, bytes as hex, arrays
// and nested lists in a JSON-like form.
func anyString(v *commonpb.AnyValue, lim Limits) string {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		return sources.Sanitize(x.StringValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	}
	var b strings.Builder
	writeAny(&b, v, lim, 0)
	return b.String()
}

func writeAny(b *strings.Builder, v *commonpb.AnyValue, lim Limits, depth int) {
	if b.Len() > lim.MaxValueLen || depth > 8 {
		return
	}
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_StringValue:
		b.WriteString(sources.Sanitize(x.StringValue))
	case *commonpb.AnyValue_BoolValue:
		b.WriteString(strconv.FormatBool(x.BoolValue))
	case *commonpb.AnyValue_IntValue:
		b.WriteString(strconv.FormatInt(x.IntValue, 10))
	case *commonpb.AnyValue_DoubleValue:
		b.WriteString(strconv.FormatFloat(x.DoubleValue, 'g', -1, 64))
	case *commonpb.AnyValue_BytesValue:
		b.WriteString(hex.EncodeToString(x.BytesValue))
	case *commonpb.AnyValue_ArrayValue:
		b.WriteByte('[')
		for i, e := range x.ArrayValue.GetValues() {
			if i > 0 {
				b.WriteString(", ")
			}
			writeAny(b, e, lim, depth+1)
		}
		b.WriteByte(']')
	case *commonpb.AnyValue_KvlistValue:
		b.WriteByte('{')
		for i, kv := range x.KvlistValue.GetValues() {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(oneLine(kv.GetKey()))
			b.WriteString(": ")
			writeAny(b, kv.GetValue(), lim, depth+1)
		}
		b.WriteByte('}')
	}
}

// oneLine sanitizes s and turns line breaks and tabs into spaces. Unlike
// sources.OneLine it does not squeeze or trim, so clean text costs nothing.
func oneLine(s string) string {
	s = sources.Sanitize(s)
	if strings.IndexAny(s, "\n\t") < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, s)
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i < len(s) && s[i]&0xc0 == 0x80 {
		i--
	}
	return s[:i] + cutMarker
}

// ErrNotFound is returned (wrapped) by a Backend when it has no such trace.
var ErrNotFound = errors.New("trace not found")

// NormalizeID returns a trace id as 32 lowercase hex digits (shorter ids,
// as Jaeger prints them, are left-padded with zeros) and reports whether it
// is one.
func NormalizeID(id string) (string, bool) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) == 0 || len(id) > 32 {
		return "", false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	if len(id) < 32 {
		id = strings.Repeat("0", 32-len(id)) + id
	}
	return id, true
}

// SortSpans orders a trace's spans by start time, then span id, so that
// conversions and views are deterministic.
func SortSpans(spans []sources.Span) {
	sort.SliceStable(spans, func(i, j int) bool {
		if !spans[i].Start.Equal(spans[j].Start) {
			return spans[i].Start.Before(spans[j].Start)
		}
		return spans[i].SpanID < spans[j].SpanID
	})
}
