package traces

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
)

// FuzzJSON checks the OTLP/JSON scanner against protojson: whatever
// protojson reads, the scanner reads to the same spans; nothing panics.
func FuzzJSON(f *testing.F) {
	f.Add([]byte(specJSON))
	f.Add([]byte(tempoTraceJSON[len(`{"batches":`) : len(tempoTraceJSON)-1]))
	if b, err := protojson.Marshal(bigRequest(2)); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174","name":"a\u00e9\ud83d\ude00","attributes":[{"key":"k","value":{"arrayValue":{"values":[{"intValue":1},{"doubleValue":"NaN"}]}}}]}]}]}]}`))
	f.Add([]byte(`{"resourceSpans":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := DecodeJSON(body)
		want, werr := decodeProtoJSON(body)
		if werr != nil {
			return // the scanner may be more lenient than protojson
		}
		if err != nil {
			t.Fatalf("protojson reads it, the scanner does not: %v\n%q", err, body)
		}
		sa, ra, _ := Convert(want.ResourceSpans, Limits{})
		sb, rb, _ := Convert(got.ResourceSpans, Limits{})
		if ra != rb || len(sa) != len(sb) {
			t.Fatalf("%d/%d spans, %d/%d rejected\n%q", len(sa), len(sb), ra, rb, body)
		}
		for i := range sa {
			if a, b := fmt.Sprint(sa[i]), fmt.Sprint(sb[i]); a != b {
				t.Fatalf("span %d:\nprotojson %s\nscanner   %s\n%q", i, a, b, body)
			}
		}
	})
}
