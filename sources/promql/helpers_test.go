package promql

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// series is one raw Prometheus series: labels (with __name__) and a value.
type series struct {
	ls map[string]string
	v  float64
}

func near(a, b float64) bool {
	if a == b {
		return true
	}
	return math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// fakeEngine is a Prometheus HTTP API with canned answers, for what a real
// engine cannot be made to do on cue: refuse, lag, skew its clock, answer
// partially, count requests in flight.
type fakeEngine struct {
	mu sync.Mutex
	// answer gives the result list (JSON) of an instant query, or false for
	// an empty vector; rangeAnswer the same for a range query.
	answer      func(q string, at time.Time) (string, bool)
	rangeAnswer func(q string, start, end time.Time, step time.Duration) (string, bool)
	// refuse, when it returns a status, answers the query with it.
	refuse   func(q string) (int, string)
	warnings []string
	auth     string // required Authorization header
	tenant   string // required X-Scope-OrgID
	clock    time.Duration
	delay    time.Duration

	queries  atomic.Int64
	inFlight atomic.Int64
	maxIn    atomic.Int64
	seen     []string
}

func (fe *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fe.queries.Add(1)
	n := fe.inFlight.Add(1)
	defer fe.inFlight.Add(-1)
	for {
		m := fe.maxIn.Load()
		if n <= m || fe.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	if fe.delay > 0 {
		select {
		case <-time.After(fe.delay):
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Date", time.Now().Add(fe.clock).UTC().Format(http.TimeFormat))
	w.Header().Set("Content-Type", "application/json")
	if fe.auth != "" && r.Header.Get("Authorization") != fe.auth {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	if fe.tenant != "" {
		switch got := r.Header.Get("X-Scope-OrgID"); {
		case got == "":
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, "no org id\n")
			return
		case got != fe.tenant:
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"status":"error","errorType":"forbidden","error":"tenant not allowed"}`)
			return
		}
	}
	_ = r.ParseForm()
	q := r.Form.Get("query")
	fe.mu.Lock()
	fe.seen = append(fe.seen, r.URL.Path+" "+q)
	fe.mu.Unlock()
	if fe.refuse != nil {
		if code, msg := fe.refuse(q); code != 0 {
			w.WriteHeader(code)
			fmt.Fprintf(w, `{"status":"error","errorType":"execution","error":%q}`, msg)
			return
		}
	}
	ws := ""
	if len(fe.warnings) > 0 {
		ws = `,"warnings":["` + strings.Join(fe.warnings, `","`) + `"]`
	}
	switch r.URL.Path {
	case "/api/v1/query":
		at := parseTime(r.Form.Get("time"))
		res, ok := "", false
		if fe.answer != nil {
			res, ok = fe.answer(q, at)
		}
		if !ok {
			res = "[]"
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":%s}%s}`, res, ws)
	case "/api/v1/query_range":
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		res, ok := "", false
		if fe.rangeAnswer != nil {
			res, ok = fe.rangeAnswer(q, parseTime(r.Form.Get("start")), parseTime(r.Form.Get("end")), time.Duration(step*float64(time.Second)))
		}
		if !ok {
			res = "[]"
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":%s}%s}`, res, ws)
	case "/api/v1/query_exemplars":
		fmt.Fprint(w, `{"status":"success","data":[{"seriesLabels":{"__name__":"vllm:e2e_request_latency_seconds_bucket","instance":"10.0.0.1:8000","le":"2.5","model_name":"m"},`+
			`"exemplars":[{"labels":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"00f067aa0ba902b7","user":"x"},"value":"1.75","timestamp":1700000000.123}]}]}`)
	default:
		http.NotFound(w, r)
	}
}

func (fe *fakeEngine) queriesSeen() []string {
	fe.mu.Lock()
	defer fe.mu.Unlock()
	return append([]string(nil), fe.seen...)
}

func parseTime(s string) time.Time {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(int64(math.Round(f * 1000)))
}

// vector writes a result list of the series, each at at.
func vector(ss []series, at time.Time) string {
	var b strings.Builder
	b.WriteByte('[')
	ts := strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', -1, 64)
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"metric":{`)
		first := true
		for k, v := range s.ls {
			if !first {
				b.WriteByte(',')
			}
			first = false
			b.WriteString(strconv.Quote(k) + ":" + strconv.Quote(v))
		}
		b.WriteString(`},"value":[` + ts + `,"` + fmtValue(s.v) + `"]}`)
	}
	b.WriteByte(']')
	return b.String()
}
