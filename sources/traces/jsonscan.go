package traces

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
)

// scanner is a small JSON reader made for the OTLP/JSON trace request: it
// fills the protobuf types directly, without reflection, and skips fields it
// does not know (as OTLP asks receivers to). It accepts the lowerCamelCase
// names of the OTLP/JSON encoding and protobuf's snake_case ones, 64-bit
// integers as numbers or strings, enums as numbers or names, and ids as hex
// or base64.
type scanner struct {
	b     []byte
	i     int
	depth int
}

const maxDepth = 64

var errDepth = errors.New("nesting too deep")

func (s *scanner) fail(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("unexpected end of input, expecting %s", what)
	}
	return fmt.Errorf("offset %d: unexpected %q, expecting %s", s.i, s.b[s.i], what)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && s.i+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// object calls field for each key of an object (null is an empty object).
func (s *scanner) object(field func(key string) error) error {
	if s.null() {
		return nil
	}
	if s.peek() != '{' {
		return s.fail("an object")
	}
	s.i++
	if s.depth++; s.depth > maxDepth {
		return errDepth
	}
	defer func() { s.depth-- }()
	if s.peek() == '}' {
		s.i++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail("a field name")
		}
		k, err := s.str()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.fail("':'")
		}
		s.i++
		if err := field(k); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return s.fail("',' or '}'")
		}
	}
}

// array calls elem for each element of an array (null is an empty array).
func (s *scanner) array(elem func() error) error {
	if s.null() {
		return nil
	}
	if s.peek() != '[' {
		return s.fail("an array")
	}
	s.i++
	if s.depth++; s.depth > maxDepth {
		return errDepth
	}
	defer func() { s.depth-- }()
	if s.peek() == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return s.fail("',' or ']'")
		}
	}
}

// str reads a string; the scanner is at its opening quote.
func (s *scanner) str() (string, error) {
	if s.peek() != '"' {
		return "", s.fail("a string")
	}
	s.i++
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == '"' {
			v := string(s.b[start:s.i])
			s.i++
			return v, nil
		}
		if c == '\\' {
			return s.strSlow(start)
		}
		if c < 0x20 {
			return "", s.fail("no control characters in a string")
		}
		s.i++
	}
	return "", s.fail("'\"'")
}

func (s *scanner) strSlow(start int) (string, error) {
	out := append([]byte(nil), s.b[start:s.i]...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return string(out), nil
		case c < 0x20:
			return "", s.fail("no control characters in a string")
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return "", s.fail("an escape")
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok {
				return "", s.fail("four hex digits")
			}
			if utf16.IsSurrogate(r) {
				r2 := rune(-1)
				if s.i+1 < len(s.b) && s.b[s.i] == '\\' && s.b[s.i+1] == 'u' {
					s.i += 2
					r2, _ = s.hex4()
				}
				r = utf16.DecodeRune(r, r2)
			}
			out = utf8.AppendRune(out, r)
		default:
			s.i--
			return "", s.fail("a valid escape")
		}
	}
	return "", s.fail("'\"'")
}

func (s *scanner) hex4() (rune, bool) {
	if s.i+4 > len(s.b) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(s.b[s.i:s.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	s.i += 4
	return rune(v), true
}

// text reads a string value; null reads as "".
func (s *scanner) text() (string, error) {
	if s.null() {
		return "", nil
	}
	return s.str()
}

// literal reads a number, true/false, or a string's contents (for 64-bit
// integers written as strings) as raw text.
func (s *scanner) literal() (string, bool, error) {
	if s.peek() == '"' {
		v, err := s.str()
		return v, true, err
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
			break
		}
		s.i++
	}
	if s.i == start {
		return "", false, s.fail("a value")
	}
	return string(s.b[start:s.i]), false, nil
}

func (s *scanner) uint64() (uint64, error) {
	if s.null() {
		return 0, nil
	}
	v, _, err := s.literal()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f < 0 || f > math.MaxUint64 || f != math.Trunc(f) {
			return 0, fmt.Errorf("offset %d: %q is not an unsigned integer", s.i, v)
		}
		n = uint64(f)
	}
	return n, nil
}

func (s *scanner) int64() (int64, error) {
	if s.null() {
		return 0, nil
	}
	v, _, err := s.literal()
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt64 {
			return 0, fmt.Errorf("offset %d: %q is not an integer", s.i, v)
		}
		n = int64(f)
	}
	return n, nil
}

func (s *scanner) float() (float64, error) {
	if s.null() {
		return 0, nil
	}
	v, quoted, err := s.literal()
	if err != nil {
		return 0, err
	}
	switch {
	case quoted && v == "NaN":
		return math.NaN(), nil
	case quoted && v == "Infinity":
		return math.Inf(1), nil
	case quoted && v == "-Infinity":
		return math.Inf(-1), nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("offset %d: %q is not a number", s.i, v)
	}
	return f, nil
}

func (s *scanner) boolean() (bool, error) {
	if s.null() {
		return false, nil
	}
	v, quoted, err := s.literal()
	if err != nil {
		return false, err
	}
	if quoted || v != "true" && v != "false" {
		return false, fmt.Errorf("offset %d: %q is not a boolean", s.i, v)
	}
	return v == "true", nil
}

func (s *scanner) enum(names map[string]int32) (int32, error) {
	if s.null() {
		return 0, nil
	}
	v, quoted, err := s.literal()
	if err != nil {
		return 0, err
	}
	if quoted {
		n, ok := names[v]
		if !ok {
			return 0, fmt.Errorf("offset %d: unknown enum value %q", s.i, v)
		}
		return n, nil
	}
	n, err := strconv.ParseInt(v, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("offset %d: %q is not an enum", s.i, v)
	}
	return int32(n), nil
}

// id reads a trace or span id: hex of the expected length, else base64. An
// id that is neither becomes an invalid one, so its span alone is rejected.
func (s *scanner) id() ([]byte, error) {
	if s.null() {
		return nil, nil
	}
	v, err := s.text()
	if err != nil {
		return nil, err
	}
	if v == "" {
		return nil, nil
	}
	if (len(v) == 32 || len(v) == 16) && isHex(v) {
		return hex.DecodeString(v)
	}
	b, ok := b64(v)
	if !ok {
		return []byte{0}, nil
	}
	return b, nil
}

// b64 decodes base64 in any of its four alphabets and paddings, as protojson does.
func b64(v string) ([]byte, bool) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(v); err == nil {
			return b, true
		}
	}
	return nil, false
}

// skip skips any value.
func (s *scanner) skip() error {
	switch s.peek() {
	case '{':
		return s.object(func(string) error { return s.skip() })
	case '[':
		return s.array(s.skip)
	case '"':
		_, err := s.str()
		return err
	}
	v, _, err := s.literal()
	if err != nil {
		return err
	}
	if v != "null" && v != "true" && v != "false" {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Errorf("offset %d: %q is not a JSON value", s.i, v)
		}
	}
	return nil
}

func (s *scanner) anyValue() (*commonpb.AnyValue, error) {
	av := &commonpb.AnyValue{}
	err := s.object(func(k string) error {
		switch k {
		case "stringValue", "string_value":
			v, err := s.text()
			av.Value = &commonpb.AnyValue_StringValue{StringValue: v}
			return err
		case "boolValue", "bool_value":
			v, err := s.boolean()
			av.Value = &commonpb.AnyValue_BoolValue{BoolValue: v}
			return err
		case "intValue", "int_value":
			v, err := s.int64()
			av.Value = &commonpb.AnyValue_IntValue{IntValue: v}
			return err
		case "doubleValue", "double_value":
			v, err := s.float()
			av.Value = &commonpb.AnyValue_DoubleValue{DoubleValue: v}
			return err
		case "bytesValue", "bytes_value":
			v, err := s.text()
			if err != nil {
				return err
			}
			b, ok := b64(v)
			if !ok {
				return fmt.Errorf("offset %d: bytesValue is not base64", s.i)
			}
			av.Value = &commonpb.AnyValue_BytesValue{BytesValue: b}
			return nil
		case "arrayValue", "array_value":
			arr := &commonpb.ArrayValue{}
			av.Value = &commonpb.AnyValue_ArrayValue{ArrayValue: arr}
			return s.object(func(k string) error {
				if k != "values" {
					return s.skip()
				}
				return s.array(func() error {
					v, err := s.anyValue()
					arr.Values = append(arr.Values, v)
					return err
				})
			})
		case "kvlistValue", "kvlist_value":
			kvl := &commonpb.KeyValueList{}
			av.Value = &commonpb.AnyValue_KvlistValue{KvlistValue: kvl}
			return s.object(func(k string) error {
				if k != "values" {
					return s.skip()
				}
				var err error
				kvl.Values, err = s.keyValues()
				return err
			})
		}
		return s.skip()
	})
	return av, err
}

func (s *scanner) keyValues() ([]*commonpb.KeyValue, error) {
	var out []*commonpb.KeyValue
	err := s.array(func() error {
		kv := &commonpb.KeyValue{}
		out = append(out, kv)
		return s.object(func(k string) error {
			switch k {
			case "key":
				v, err := s.text()
				kv.Key = v
				return err
			case "value":
				v, err := s.anyValue()
				kv.Value = v
				return err
			}
			return s.skip()
		})
	})
	return out, err
}

var kindNames = map[string]int32{
	"SPAN_KIND_UNSPECIFIED": 0, "SPAN_KIND_INTERNAL": 1, "SPAN_KIND_SERVER": 2, "SPAN_KIND_CLIENT": 3,
	"SPAN_KIND_PRODUCER": 4, "SPAN_KIND_CONSUMER": 5,
}

var statusNames = map[string]int32{"STATUS_CODE_UNSET": 0, "STATUS_CODE_OK": 1, "STATUS_CODE_ERROR": 2}

func (s *scanner) span() (*tracepb.Span, error) {
	sp := &tracepb.Span{}
	err := s.object(func(k string) error {
		var err error
		switch k {
		case "traceId", "trace_id":
			sp.TraceId, err = s.id()
		case "spanId", "span_id":
			sp.SpanId, err = s.id()
		case "parentSpanId", "parent_span_id":
			sp.ParentSpanId, err = s.id()
		case "name":
			sp.Name, err = s.text()
		case "kind":
			var n int32
			n, err = s.enum(kindNames)
			sp.Kind = tracepb.Span_SpanKind(n)
		case "startTimeUnixNano", "start_time_unix_nano":
			sp.StartTimeUnixNano, err = s.uint64()
		case "endTimeUnixNano", "end_time_unix_nano":
			sp.EndTimeUnixNano, err = s.uint64()
		case "attributes":
			sp.Attributes, err = s.keyValues()
		case "events":
			err = s.array(func() error {
				ev := &tracepb.Span_Event{}
				sp.Events = append(sp.Events, ev)
				return s.object(func(k string) error {
					var err error
					switch k {
					case "timeUnixNano", "time_unix_nano":
						ev.TimeUnixNano, err = s.uint64()
					case "name":
						ev.Name, err = s.text()
					case "attributes":
						ev.Attributes, err = s.keyValues()
					default:
						err = s.skip()
					}
					return err
				})
			})
		case "status":
			st := &tracepb.Status{}
			sp.Status = st
			err = s.object(func(k string) error {
				var err error
				switch k {
				case "code":
					var n int32
					n, err = s.enum(statusNames)
					st.Code = tracepb.Status_StatusCode(n)
				case "message":
					st.Message, err = s.text()
				default:
					err = s.skip()
				}
				return err
			})
		default:
			err = s.skip()
		}
		return err
	})
	return sp, err
}

// scanRequest reads an OTLP/JSON ExportTraceServiceRequest.
func scanRequest(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	s := &scanner{b: body}
	req := &coltracepb.ExportTraceServiceRequest{}
	err := s.object(func(k string) error {
		if k != "resourceSpans" && k != "resource_spans" {
			return s.skip()
		}
		return s.array(func() error {
			rs := &tracepb.ResourceSpans{}
			req.ResourceSpans = append(req.ResourceSpans, rs)
			return s.object(func(k string) error {
				switch k {
				case "resource":
					rs.Resource = &resourcepb.Resource{}
					return s.object(func(k string) error {
						if k != "attributes" {
							return s.skip()
						}
						var err error
						rs.Resource.Attributes, err = s.keyValues()
						return err
					})
				case "scopeSpans", "scope_spans":
					return s.array(func() error {
						ss := &tracepb.ScopeSpans{}
						rs.ScopeSpans = append(rs.ScopeSpans, ss)
						return s.object(func(k string) error {
							switch k {
							case "scope":
								ss.Scope = &commonpb.InstrumentationScope{}
								return s.object(func(k string) error {
									var err error
									switch k {
									case "name":
										ss.Scope.Name, err = s.text()
									case "version":
										ss.Scope.Version, err = s.text()
									default:
										err = s.skip()
									}
									return err
								})
							case "spans":
								return s.array(func() error {
									sp, err := s.span()
									ss.Spans = append(ss.Spans, sp)
									return err
								})
							}
							return s.skip()
						})
					})
				}
				return s.skip()
			})
		})
	})
	if err == nil {
		if s.ws(); s.i != len(s.b) {
			err = s.fail("the end of input")
		}
	}
	if err != nil {
		return nil, fmt.Errorf("otlp: json: %w", err)
	}
	return req, nil
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
