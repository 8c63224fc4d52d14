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
