package traces

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/vigil-dev/vigil/sources"
)

var jsonOpts = protojson.UnmarshalOptions{DiscardUnknown: true}

// decodeProtoJSON is DecodeJSON through protojson, kept as the reference the
// fast decoder is tested against.
func decodeProtoJSON(body []byte) (*coltracepb.ExportTraceServiceRequest, error) {
	req := &coltracepb.ExportTraceServiceRequest{}
	if err := jsonOpts.Unmarshal(body, req); err != nil {
		return nil, fmt.Errorf("otlp: json: %s", sources.OneLine(err.Error()))
	}
	fixJSONIDs(req.GetResourceSpans())
	return req, nil
}

// fixJSONIDs undoes protojson's base64 reading of hex ids. A hex id of n
// bytes is 2n characters from the base64 alphabet, which base64 decodes to
// 1.5n bytes; encoding those back gives the hex text exactly (2n is a
// multiple of 4, so no padding is involved).
func fixJSONIDs(rss []*tracepb.ResourceSpans) {
	for _, rs := range rss {
		for _, ss := range rs.GetScopeSpans() {
			for _, sp := range ss.GetSpans() {
				sp.TraceId = fixID(sp.TraceId, 16)
				sp.SpanId = fixID(sp.SpanId, 8)
				sp.ParentSpanId = fixID(sp.ParentSpanId, 8)
				for _, l := range sp.Links {
					l.TraceId = fixID(l.TraceId, 16)
					l.SpanId = fixID(l.SpanId, 8)
				}
			}
		}
	}
}

func fixID(b []byte, n int) []byte {
	if len(b) != n*3/2 {
		return b
	}
	out, err := hex.DecodeString(base64.StdEncoding.EncodeToString(b))
	if err != nil {
		return b
	}
	return out
}
