package traces

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/vigil-dev/vigil/sources"
)

// The OTLP/JSON request read with encoding/json into plain structs, which is
// several times faster than protojson's reflection over the generated
// types. Field names are the lowerCamelCase JSON names the OTLP/JSON
// encoding uses; unknown fields are ignored, as the specification asks.

type jReq struct {
	ResourceSpans []jResourceSpans `json:"resourceSpans"`
}

type jResourceSpans struct {
	Resource *struct {
		Attributes []jKV `json:"attributes"`
	} `json:"resource"`
	ScopeSpans []jScopeSpans `json:"scopeSpans"`
}

type jScopeSpans struct {
	Scope *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"scope"`
	Spans []jSpan `json:"spans"`
}

type jSpan struct {
	TraceID           jID     `json:"traceId"`
	SpanID            jID     `json:"spanId"`
	ParentSpanID      jID     `json:"parentSpanId"`
	Name              string  `json:"name"`
	Kind              jEnum   `json:"kind"`
	StartTimeUnixNano jUint   `json:"startTimeUnixNano"`
	EndTimeUnixNano   jUint   `json:"endTimeUnixNano"`
	Attributes        []jKV   `json:"attributes"`
	Events            []jEvt  `json:"events"`
	Status            *jState `json:"status"`
}

type jEvt struct {
	TimeUnixNano jUint  `json:"timeUnixNano"`
	Name         string `json:"name"`
	Attributes   []jKV  `json:"attributes"`
}

type jState struct {
	Code    jEnum  `json:"code"`
	Message string `json:"message"`
}

type jKV struct {
	Key   string `json:"key"`
	Value jAny   `json:"value"`
}

type jAny struct {
	StringValue *string  `json:"stringValue"`
	BoolValue   *bool    `json:"boolValue"`
	IntValue    *jInt    `json:"intValue"`
	DoubleValue *float64 `json:"doubleValue"`
	BytesValue  *string  `json:"bytesValue"`
	ArrayValue  *struct {
		Values []jAny `json:"values"`
	} `json:"arrayValue"`
	KvlistValue *struct {
		Values []jKV `json:"values"`
	} `json:"kvlistValue"`
}

// jID is a trace or span id: hex as OTLP/JSON says, or base64 as protojson
// and Tempo write it.
type jID []byte

func (id *jID) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if s == "" {
		*id = nil
		return nil
	}
	if (len(s) == 32 || len(s) == 16) && isHex(s) {
		v, err := hex.DecodeString(s)
		*id = v
		return err
	}
	v, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if v, err = base64.URLEncoding.DecodeString(s); err != nil {
			// Neither hex nor base64: the span is rejected on its own
			// (partial success), not the whole request.
			v = []byte{0}
		}
	}
	*id = v
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// jUint is a uint64 written as a JSON number or a decimal string.
type jUint uint64

func (u *jUint) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		*u = 0
		return nil
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f < 0 {
			return fmt.Errorf("not an unsigned integer: %s", sources.OneLine(string(b)))
		}
		v = uint64(f)
	}
	*u = jUint(v)
	return nil
}

// jInt is an int64 written as a JSON number or a decimal string.
type jInt int64

func (n *jInt) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil {
			return fmt.Errorf("not an integer: %s", sources.OneLine(string(b)))
		}
		v = int64(f)
	}
	*n = jInt(v)
	return nil
}

// jEnum is an enum written as its number or its name.
type jEnum int32

var enumNames = map[string]int32{
	"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3,
	"SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
	"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2,
}

func (e *jEnum) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, ok := enumNames[s]
		if !ok {
			return fmt.Errorf("unknown enum value %q", sources.OneLine(s))
		}
		*e = jEnum(v)
		return nil
	}
	v, err := strconv.ParseInt(string(b), 10, 32)
	if err != nil {
		return fmt.Errorf("enum: %s", sources.OneLine(string(b)))
	}
	*e = jEnum(v)
	return nil
}

func (a *jAny) proto() *commonpb.AnyValue {
	switch {
	case a.StringValue != nil:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: *a.StringValue}}
	case a.BoolValue != nil:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: *a.BoolValue}}
	case a.IntValue != nil:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: int64(*a.IntValue)}}
	case a.DoubleValue != nil:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: *a.DoubleValue}}
	case a.BytesValue != nil:
		b, err := base64.StdEncoding.DecodeString(*a.BytesValue)
		if err != nil {
			return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: *a.BytesValue}}
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BytesValue{BytesValue: b}}
	case a.ArrayValue != nil:
		vs := make([]*commonpb.AnyValue, len(a.ArrayValue.Values))
		for i := range a.ArrayValue.Values {
			vs[i] = a.ArrayValue.Values[i].proto()
		}
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_ArrayValue{ArrayValue: &commonpb.ArrayValue{Values: vs}}}
	case a.KvlistValue != nil:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_KvlistValue{KvlistValue: &commonpb.KeyValueList{Values: kvsProto(a.KvlistValue.Values)}}}
	}
	return &commonpb.AnyValue{}
}

func kvsProto(kvs []jKV) []*commonpb.KeyValue {
	if len(kvs) == 0 {
		return nil
	}
	out := make([]*commonpb.KeyValue, len(kvs))
	backing := make([]commonpb.KeyValue, len(kvs))
	for i := range kvs {
		backing[i].Key = kvs[i].Key
		backing[i].Value = kvs[i].Value.proto()
		out[i] = &backing[i]
	}
	return out
}

// decodeJSONFast reads an OTLP/JSON request with encoding/json.
func decodeJSONFast(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	var r jReq
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("otlp: json: %s", sources.OneLine(err.Error()))
	}
	req := &coltracepb.ExportTraceServiceRequest{ResourceSpans: make([]*tracepb.ResourceSpans, len(r.ResourceSpans))}
	for i, rs := range r.ResourceSpans {
		prs := &tracepb.ResourceSpans{}
		if rs.Resource != nil {
			prs.Resource = &resourcepb.Resource{Attributes: kvsProto(rs.Resource.Attributes)}
		}
		for _, ss := range rs.ScopeSpans {
			pss := &tracepb.ScopeSpans{Spans: make([]*tracepb.Span, len(ss.Spans))}
			if ss.Scope != nil {
				pss.Scope = &commonpb.InstrumentationScope{Name: ss.Scope.Name, Version: ss.Scope.Version}
			}
			backing := make([]tracepb.Span, len(ss.Spans))
			for k := range ss.Spans {
				js := &ss.Spans[k]
				sp := &backing[k]
				sp.TraceId, sp.SpanId, sp.ParentSpanId = js.TraceID, js.SpanID, js.ParentSpanID
				sp.Name = js.Name
				sp.Kind = tracepb.Span_SpanKind(js.Kind)
				sp.StartTimeUnixNano, sp.EndTimeUnixNano = uint64(js.StartTimeUnixNano), uint64(js.EndTimeUnixNano)
				sp.Attributes = kvsProto(js.Attributes)
				if js.Status != nil {
					sp.Status = &tracepb.Status{Code: tracepb.Status_StatusCode(js.Status.Code), Message: js.Status.Message}
				}
				for _, e := range js.Events {
					sp.Events = append(sp.Events, &tracepb.Span_Event{TimeUnixNano: uint64(e.TimeUnixNano), Name: e.Name, Attributes: kvsProto(e.Attributes)})
				}
				pss.Spans[k] = sp
			}
			prs.ScopeSpans = append(prs.ScopeSpans, pss)
		}
		req.ResourceSpans[i] = prs
	}
	return req, nil
}
