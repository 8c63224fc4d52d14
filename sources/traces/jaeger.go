package traces

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Jaeger is a client of the Jaeger query service's HTTP API
// (/api/traces/{id}, /api/traces?service=..., /api/services), the API the
// Jaeger UI uses.
type Jaeger struct {
	c   *httpClient
	lim Limits
}

// NewJaeger returns a Jaeger client for opts.URL (the query service, port 16686 by default).
func NewJaeger(opts ClientOptions) (*Jaeger, error) {
	c, err := newHTTPClient("jaeger", opts)
	if err != nil {
		return nil, err
	}
	return &Jaeger{c: c, lim: Limits{}.withDefaults()}, nil
}

// Name is "jaeger <url>".
func (j *Jaeger) Name() string { return "jaeger " + j.c.target() }

type jaegerResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	} `json:"errors"`
}

type jaegerTrace struct {
	TraceID   string                   `json:"traceID"`
	Spans     []jaegerSpan             `json:"spans"`
	Processes map[string]jaegerProcess `json:"processes"`
}

type jaegerSpan struct {
	TraceID       string `json:"traceID"`
	SpanID        string `json:"spanID"`
	ParentSpanID  string `json:"parentSpanID"` // older versions
	OperationName string `json:"operationName"`
	References    []struct {
		RefType string `json:"refType"`
		TraceID string `json:"traceID"`
		SpanID  string `json:"spanID"`
	} `json:"references"`
	StartTime int64      `json:"startTime"` // µs since the epoch
	Duration  int64      `json:"duration"`  // µs
	Tags      []jaegerKV `json:"tags"`
	Logs      []struct {
		Timestamp int64      `json:"timestamp"`
		Fields    []jaegerKV `json:"fields"`
	} `json:"logs"`
	ProcessID string         `json:"processID"`
	Process   *jaegerProcess `json:"process"`
}

type jaegerProcess struct {
	ServiceName string     `json:"serviceName"`
	Tags        []jaegerKV `json:"tags"`
}

type jaegerKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// text renders a tag value: strings unquoted, anything else as its JSON text.
func (kv jaegerKV) text() string {
	v := bytes.TrimSpace(kv.Value)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return sources.Sanitize(s)
		}
	}
	return sources.Sanitize(string(v))
}

func (j *Jaeger) decode(body []byte) ([]jaegerTrace, error) {
	var r jaegerResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("jaeger: decoding response: %s", sources.OneLine(err.Error()))
	}
	if len(r.Errors) > 0 && (len(r.Data) == 0 || string(r.Data) == "null") {
		e := r.Errors[0]
		if e.Code == 404 {
			return nil, fmt.Errorf("jaeger: %s: %w", sources.OneLine(e.Msg), ErrNotFound)
		}
		return nil, fmt.Errorf("jaeger: error %d: %s", e.Code, sources.OneLine(e.Msg))
	}
	var ts []jaegerTrace
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &ts); err != nil {
			return nil, fmt.Errorf("jaeger: decoding traces: %s", sources.OneLine(err.Error()))
		}
	}
	return ts, nil
}

// Trace fetches one trace.
func (j *Jaeger) Trace(ctx context.Context, id string) ([]sources.Span, error) {
	nid, ok := NormalizeID(id)
	if !ok {
		return nil, fmt.Errorf("jaeger: %q is not a trace id", sources.OneLine(id))
	}
	body, err := j.c.get(ctx, "/api/traces/"+nid, nil)
	if err != nil {
		return nil, err
	}
	ts, err := j.decode(body)
	if err != nil {
		return nil, err
	}
	var spans []sources.Span
	for _, t := range ts {
		spans = append(spans, j.convert(t)...)
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("jaeger: %s: %w", nid, ErrNotFound)
	}
	SortSpans(spans)
	return spans, nil
}

// Search lists traces of q.Service (Jaeger needs a service) in [q.From, q.To].
func (j *Jaeger) Search(ctx context.Context, q Query) ([]Summary, error) {
	ts, err := j.search(ctx, q)
	if err != nil {
		return nil, err
	}
	var all []Summary
	for _, t := range ts {
		all = append(all, Summarize(j.convert(t))...)
	}
	return q.filter(all), nil
}

// SearchSpans is Search returning the spans of every trace found (Jaeger's
// search answers with whole traces).
func (j *Jaeger) SearchSpans(ctx context.Context, q Query) ([]sources.Span, error) {
	ts, err := j.search(ctx, q)
	if err != nil {
		return nil, err
	}
	var spans []sources.Span
	for _, t := range ts {
		spans = append(spans, j.convert(t)...)
	}
	return spans, nil
}

func (j *Jaeger) search(ctx context.Context, q Query) ([]jaegerTrace, error) {
	if q.Service == "" {
		return nil, fmt.Errorf("jaeger: a search needs a service")
	}
	v := url.Values{}
	v.Set("service", q.Service)
	if !q.From.IsZero() {
		v.Set("start", strconv.FormatInt(q.From.UnixMicro(), 10))
	}
	if !q.To.IsZero() {
		v.Set("end", strconv.FormatInt(q.To.UnixMicro(), 10))
	}
	v.Set("limit", strconv.Itoa(q.limit()))
	if q.MinDuration > 0 {
		v.Set("minDuration", q.MinDuration.String())
	}
	if q.ErrorsOnly {
		v.Set("tags", `{"error":"true"}`)
	}
	body, err := j.c.get(ctx, "/api/traces", v)
	if err != nil {
		return nil, err
	}
	return j.decode(body)
}

// Services lists the services Jaeger knows.
func (j *Jaeger) Services(ctx context.Context) ([]string, error) {
	body, err := j.c.get(ctx, "/api/services", nil)
	if err != nil {
		return nil, err
	}
	var r struct {
		Data []string `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("jaeger: decoding services: %s", sources.OneLine(err.Error()))
	}
	for i := range r.Data {
		r.Data[i] = sources.OneLine(r.Data[i])
	}
	return r.Data, nil
}

func padSpanID(id string) string {
	id = strings.ToLower(id)
	if len(id) < 16 {
		id = strings.Repeat("0", 16-len(id)) + id
	}
	return id
}

// convert maps Jaeger's model onto sources.Span: tags become attributes,
// error=true or otel.status_code=ERROR an error status, logs events.
func (j *Jaeger) convert(t jaegerTrace) []sources.Span {
	lim := j.lim
	out := make([]sources.Span, 0, len(t.Spans))
	for _, js := range t.Spans {
		tid, ok := NormalizeID(js.TraceID)
		if !ok {
			if tid, ok = NormalizeID(t.TraceID); !ok {
				continue
			}
		}
		s := sources.Span{
			TraceID: tid,
			SpanID:  padSpanID(sources.OneLine(js.SpanID)),
			Name:    cut(sources.OneLine(js.OperationName), lim.MaxNameLen),
			Start:   unixMicro(js.StartTime),
		}
		s.End = s.Start.Add(time.Duration(js.Duration) * time.Microsecond)
		if js.ParentSpanID != "" && strings.Trim(js.ParentSpanID, "0") != "" {
			s.ParentID = padSpanID(sources.OneLine(js.ParentSpanID))
		}
		for _, r := range js.References {
			if r.RefType == "CHILD_OF" || r.RefType == "FOLLOWS_FROM" && s.ParentID == "" {
				s.ParentID = padSpanID(sources.OneLine(r.SpanID))
				if r.RefType == "CHILD_OF" {
					break
				}
			}
		}
		proc := js.Process
		if p, ok := t.Processes[js.ProcessID]; ok && proc == nil {
			proc = &p
		}
		s.Service = UnknownService
		if proc != nil && proc.ServiceName != "" {
			s.Service = cut(sources.OneLine(proc.ServiceName), lim.MaxNameLen)
		}
		s.Attrs = make(map[string]string, len(js.Tags)+4)
		for _, kv := range js.Tags {
			if len(s.Attrs) >= lim.MaxAttrs {
				break
			}
			k, v := cut(sources.OneLine(kv.Key), lim.MaxNameLen), cut(kv.text(), lim.MaxValueLen)
			if Secret(k) {
				v = Redacted
			}
			switch k {
			case "error":
				if v == "true" {
					s.Status = sources.SpanError
				}
			case "otel.status_code":
				switch strings.ToUpper(v) {
				case "ERROR":
					s.Status = sources.SpanError
				case "OK":
					if s.Status != sources.SpanError {
						s.Status = sources.SpanOK
					}
				}
			case "otel.status_description":
				s.Attrs[AttrStatusMessage] = v
				continue
			case "otel.scope.name", "otel.library.name":
				s.Attrs[AttrScope] = v
				continue
			}
			s.Attrs[k] = v
		}
		if proc != nil {
			for _, kv := range proc.Tags {
				if len(s.Attrs) >= lim.MaxAttrs {
					break
				}
				k, v := cut(sources.OneLine(kv.Key), lim.MaxNameLen), cut(kv.text(), lim.MaxValueLen)
				if Secret(k) {
					v = Redacted
				}
				s.Attrs[AttrResource+k] = v
			}
		}
		for i, l := range js.Logs {
			if i == lim.MaxEvents {
				break
			}
			e := sources.SpanEvent{At: unixMicro(l.Timestamp), Name: "log"}
			for _, f := range l.Fields {
				k, v := cut(sources.OneLine(f.Key), lim.MaxNameLen), cut(f.text(), lim.MaxValueLen)
				if Secret(k) {
					v = Redacted
				}
				if k == "event" || k == "message" && e.Name == "log" {
					e.Name = cut(sources.OneLine(v), lim.MaxNameLen)
					continue
				}
				if e.Attrs == nil {
					e.Attrs = make(map[string]string, len(l.Fields))
				}
				if len(e.Attrs) < lim.MaxAttrs {
					e.Attrs[k] = v
				}
			}
			s.Events = append(s.Events, e)
		}
		out = append(out, s)
	}
	return out
}
