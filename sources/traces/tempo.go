package traces

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Tempo is a client of Grafana Tempo's HTTP API: /api/traces/{id} (OTLP
// JSON) and /api/search. It speaks HTTP only; Tempo's Go modules are not
// imported.
type Tempo struct {
	c   *httpClient
	lim Limits
}

// NewTempo returns a Tempo client for opts.URL (port 3200 by default).
func NewTempo(opts ClientOptions) (*Tempo, error) {
	c, err := newHTTPClient("tempo", opts)
	if err != nil {
		return nil, err
	}
	return &Tempo{c: c, lim: Limits{}.withDefaults()}, nil
}

// Name is "tempo <url>".
func (t *Tempo) Name() string { return "tempo " + t.c.target() }

// Trace fetches one trace. Tempo answers with OTLP JSON under "batches"
// (v1), "resourceSpans", or "trace" (v2); older versions say
// "instrumentationLibrarySpans" where OTLP now says "scopeSpans".
func (t *Tempo) Trace(ctx context.Context, id string) ([]sources.Span, error) {
	nid, ok := NormalizeID(id)
	if !ok {
		return nil, fmt.Errorf("tempo: %q is not a trace id", sources.OneLine(id))
	}
	body, err := t.c.get(ctx, "/api/traces/"+nid, nil)
	if err != nil {
		return nil, err
	}
	spans, err := t.decodeTrace(body)
	if err != nil {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("tempo: %s: %w", nid, ErrNotFound)
	}
	SortSpans(spans)
	return spans, nil
}

func (t *Tempo) decodeTrace(body []byte) ([]sources.Span, error) {
	var top struct {
		Batches       json.RawMessage `json:"batches"`
		ResourceSpans json.RawMessage `json:"resourceSpans"`
		Trace         *struct {
			Batches       json.RawMessage `json:"batches"`
			ResourceSpans json.RawMessage `json:"resourceSpans"`
		} `json:"trace"`
	}
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("tempo: decoding trace: %s", sources.OneLine(err.Error()))
	}
	rs := top.ResourceSpans
	if len(rs) == 0 {
		rs = top.Batches
	}
	if len(rs) == 0 && top.Trace != nil {
		rs = top.Trace.ResourceSpans
		if len(rs) == 0 {
			rs = top.Trace.Batches
		}
	}
	if len(rs) == 0 || string(rs) == "null" {
		return nil, nil
	}
	rs = bytes.ReplaceAll(rs, []byte(`"instrumentationLibrarySpans"`), []byte(`"scopeSpans"`))
	rs = bytes.ReplaceAll(rs, []byte(`"instrumentationLibrary"`), []byte(`"scope"`))
	doc := make([]byte, 0, len(rs)+20)
	doc = append(doc, `{"resourceSpans":`...)
	doc = append(doc, rs...)
	doc = append(doc, '}')
	req, err := DecodeJSON(doc)
	if err != nil {
		return nil, fmt.Errorf("tempo: %w", err)
	}
	spans, _, _ := Convert(req.GetResourceSpans(), t.lim)
	return spans, nil
}

type tempoSearch struct {
	Traces []struct {
		TraceID           string  `json:"traceID"`
		RootServiceName   string  `json:"rootServiceName"`
		RootTraceName     string  `json:"rootTraceName"`
		StartTimeUnixNano string  `json:"startTimeUnixNano"`
		DurationMs        float64 `json:"durationMs"`
		SpanSet           *struct {
			Matched int `json:"matched"`
		} `json:"spanSet"`
	} `json:"traces"`
}

// Search lists traces through /api/search with service.name as a tag, or a
// TraceQL query when only failed traces are asked for.
func (t *Tempo) Search(ctx context.Context, q Query) ([]Summary, error) {
	out, err := t.searchRaw(ctx, q)
	if err != nil {
		return nil, err
	}
	return q.filter(out), nil
}

// resolution is the grain of /api/search's start and end: seconds.
func (t *Tempo) resolution() time.Duration { return time.Second }

// searchRaw is Search returning every trace Tempo answered with, once
// each, in its order: no cut to the limit, no filter on the window.
func (t *Tempo) searchRaw(ctx context.Context, q Query) ([]Summary, error) {
	v := url.Values{}
	switch {
	case q.ErrorsOnly && q.Service != "":
		v.Set("q", fmt.Sprintf(`{ resource.service.name = %s && status = error }`, strconv.Quote(q.Service)))
	case q.ErrorsOnly:
		v.Set("q", `{ status = error }`)
	case q.Service != "":
		v.Set("tags", "service.name="+strconv.Quote(q.Service))
	}
	if !q.From.IsZero() {
		v.Set("start", strconv.FormatInt(q.From.Unix(), 10))
	}
	if !q.To.IsZero() {
		v.Set("end", strconv.FormatInt(q.To.Unix()+1, 10))
	}
	if q.MinDuration > 0 {
		v.Set("minDuration", q.MinDuration.String())
	}
	v.Set("limit", strconv.Itoa(q.limit()))
	v.Set("spss", "1") // one span per span set: vigil reads only the traces
	body, err := t.c.get(ctx, "/api/search", v)
	if err != nil {
		return nil, err
	}
	var r tempoSearch
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("tempo: decoding search: %s", sources.OneLine(err.Error()))
	}
	out := make([]Summary, 0, len(r.Traces))
	ids := make(map[string]bool, len(r.Traces))
	for _, tr := range r.Traces {
		id, ok := NormalizeID(tr.TraceID)
		if !ok || ids[id] {
			continue
		}
		ids[id] = true
		s := Summary{
			TraceID:  id,
			Service:  cut(sources.OneLine(tr.RootServiceName), t.lim.MaxNameLen),
			Name:     cut(sources.OneLine(tr.RootTraceName), t.lim.MaxNameLen),
			Duration: time.Duration(tr.DurationMs * float64(time.Millisecond)),
		}
		if ns, err := strconv.ParseInt(tr.StartTimeUnixNano, 10, 64); err == nil && ns > 0 {
			s.Start = time.Unix(0, ns)
		}
		if s.Service == "" {
			s.Service, s.Partial = "<root span not yet received>", true
		}
		if q.ErrorsOnly {
			s.Errors = 1 // TraceQL matched an error span; the count is not reported
		}
		out = append(out, s)
	}
	return out, nil
}
