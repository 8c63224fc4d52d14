package promql

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestDecodeResults(t *testing.T) {
	for _, c := range []struct {
		body string
		n    int
		v    float64
		at   time.Time
	}{
		{`{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"a"},"value":[1700000000.5,"1"]},{"metric":{},"value":[1700000001,"NaN"]}]}`, 2, 1, time.Unix(1700000000, 5e8)},
		{`{"resultType":"matrix","result":[{"metric":{"a":"b"},"values":[[1700000000,"2"],[1700000015,"+Inf"]]}]}`, 1, 2, time.Unix(1700000000, 0)},
		{`{"resultType":"scalar","result":[1700000000.123, "3.5"]}`, 1, 3.5, time.Unix(1700000000, 123e6)},
		{`{"resultType":"vector","result":[]}`, 0, 0, time.Time{}},
	} {
		var d queryData
		if err := json.Unmarshal([]byte(c.body), &d); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		rs, err := d.results()
		if err != nil || len(rs) != c.n {
			t.Fatalf("%s: %v %v", c.body, rs, err)
		}
		if c.n > 0 && (rs[0].Samples[0].Value != c.v || !rs[0].Samples[0].At.Equal(c.at)) {
			t.Errorf("%s: first sample %+v", c.body, rs[0].Samples[0])
		}
	}
	var d queryData
	json.Unmarshal([]byte(`{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"+Inf"]]}]}`), &d)
	rs, _ := d.results()
	if !math.IsInf(rs[0].Samples[1].Value, 1) {
		t.Errorf("+Inf: %v", rs[0].Samples[1].Value)
	}
	for _, bad := range []string{
		`{"resultType":"vector","result":[{"metric":{},"value":[1,2]}]}`,
		`{"resultType":"vector","result":[{"metric":{},"value":["x","2"]}]}`,
		`{"resultType":"vector","result":[{"metric":{},"value":[1,"abc"]}]}`,
		`{"resultType":"vector","result":[{"metric":{},"value":[1]}]}`,
		`{"resultType":"scalar","result":[1,"x"]}`,
	} {
		var d queryData
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			if _, err := d.results(); err == nil {
				t.Errorf("%s: accepted", bad)
			}
		}
	}
	var d2 queryData
	json.Unmarshal([]byte(`{"resultType":"string","result":[1,"x"]}`), &d2)
	if _, err := d2.results(); err == nil {
		t.Error("string result accepted")
	}
}

func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	for _, body := range []string{
		`[{"metric":{"a":"x\"y\\z\nw\u00e9\/"},"value":[1700000000.25,"4"]}]`,
		` [ { "metric" : { } , "values" : [ [ 1 , "1" ] , [2,"2"] ] } ] `,
		`[{"metric":{"a":"b"},"value":[1,"1"],"extra":{"x":[1]}}]`,
		`[]`,
	} {
		var fast resultList
		if err := fast.UnmarshalJSON([]byte(body)); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var slow []resultItem
		if err := json.Unmarshal([]byte(body), &slow); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if len(fast.items) != len(slow) {
			t.Fatalf("%s: %d vs %d items", body, len(fast.items), len(slow))
		}
		for i := range slow {
			a, b := fast.items[i], slow[i]
			if len(a.Metric) != len(b.Metric) || len(a.Values) != len(b.Values) || (a.Value == nil) != (b.Value == nil) {
				t.Errorf("%s: %+v vs %+v", body, a, b)
				continue
			}
			for _, l := range b.Metric {
				if a.Metric.Get(l.Name) != l.Value {
					t.Errorf("%s: label %s = %q, want %q", body, l.Name, a.Metric.Get(l.Name), l.Value)
				}
			}
			if a.Value != nil && *a.Value != *b.Value {
				t.Errorf("%s: value %+v vs %+v", body, *a.Value, *b.Value)
			}
		}
	}
	if _, ok := fastItems([]byte(`[{"metric":{"a":"b"},"value":[1,"1"],"extra":1}]`)); ok {
		t.Error("an unknown key must fall back to encoding/json")
	}
}

// FuzzFastItems: whatever the hand-written reader accepts, encoding/json
// accepts too and reads the same.
func FuzzFastItems(f *testing.F) {
	f.Add(`[{"metric":{"a":"b"},"value":[1,"1"]}]`)
	f.Add(`[{"metric":{"a":"x\"y"},"values":[[1,"1"],[2,"NaN"]]}]`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, s string) {
		fast, ok := fastItems([]byte(s))
		if !ok {
			return
		}
		var slow []resultItem
		if err := json.Unmarshal([]byte(s), &slow); err != nil {
			t.Fatalf("fast accepted what encoding/json refuses (%v): %q", err, s)
		}
		if len(fast) != len(slow) {
			t.Fatalf("%q: %d vs %d", s, len(fast), len(slow))
		}
		for i := range slow {
			for _, l := range slow[i].Metric {
				if fast[i].Metric.Get(l.Name) != l.Value {
					t.Fatalf("%q: label %q: %q vs %q", s, l.Name, fast[i].Metric.Get(l.Name), l.Value)
				}
			}
			if len(fast[i].Metric) != len(slow[i].Metric) || len(fast[i].Values) != len(slow[i].Values) {
				t.Fatalf("%q: shapes differ", s)
			}
			for j := range slow[i].Values {
				a, b := fast[i].Values[j], slow[i].Values[j]
				if a.At != b.At || a.Value != b.Value && !(math.IsNaN(a.Value) && math.IsNaN(b.Value)) {
					t.Fatalf("%q: sample %v vs %v", s, a, b)
				}
			}
		}
	})
}

// FuzzEnvelope: whatever the hand-written envelope reader accepts,
// encoding/json accepts too and reads the same.
func FuzzEnvelope(f *testing.F) {
	f.Add(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1,"1"]}]}}`)
	f.Add(`{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":["partial"],"infos":[]}`)
	f.Add(`{"status":"error","errorType":"execution","error":"too many","isPartial":false,"n":1e3}`)
	f.Fuzz(func(t *testing.T, s string) {
		var fd queryData
		fast := envelope{Data: &fd}
		if !fastEnvelope([]byte(s), &fast) {
			return
		}
		var sd queryData
		slow := envelope{Data: &sd}
		if err := json.Unmarshal([]byte(s), &slow); err != nil {
			t.Fatalf("fast accepted what encoding/json refuses (%v): %q", err, s)
		}
		if fast.Status != slow.Status || fast.Error != slow.Error || fast.ErrorType != slow.ErrorType ||
			len(fast.Warnings) != len(slow.Warnings) || len(fast.Infos) != len(slow.Infos) ||
			fd.ResultType != sd.ResultType || len(fd.Result.items) != len(sd.Result.items) {
			t.Fatalf("%q: %+v %+v vs %+v %+v", s, fast, fd, slow, sd)
		}
	})
}
