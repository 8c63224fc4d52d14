package logs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// fakeLoki serves /loki/api/v1/query_range over a fixed set of entries,
// honouring start, end, limit and direction=forward as Loki does.
type fakeLoki struct {
	mu      sync.Mutex
	entries []fakeEntry
	queries []string
	fail    int // answer this many queries with a 400
}

type fakeEntry struct {
	ts     int64
	stream string // JSON object of labels
	line   string
}

func (f *fakeLoki) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.URL.Path != "/loki/api/v1/query_range" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer s3cret" {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	f.queries = append(f.queries, q.Encode())
	if f.fail > 0 {
		f.fail--
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"parse error at line 1, col 2: syntax error"}`)
		return
	}
	start, _ := strconv.ParseInt(q.Get("start"), 10, 64)
	end, _ := strconv.ParseInt(q.Get("end"), 10, 64)
	limit, _ := strconv.Atoi(q.Get("limit"))
	if q.Get("direction") != "forward" || q.Get("query") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	byStream := map[string][]string{}
	var order []string
	n := 0
	for _, e := range f.entries {
		if e.ts < start || e.ts > end || n >= limit {
			continue
		}
		n++
		if _, ok := byStream[e.stream]; !ok {
			order = append(order, e.stream)
		}
		byStream[e.stream] = append(byStream[e.stream], fmt.Sprintf(`[%q,%q]`, strconv.FormatInt(e.ts, 10), e.line))
	}
	var res []string
	for _, s := range order {
		res = append(res, fmt.Sprintf(`{"stream":%s,"values":[%s]}`, s, strings.Join(byStream[s], ",")))
	}
	fmt.Fprintf(w, `{"status":"success","data":{"resultType":"streams","result":[%s],"stats":{}}}`, strings.Join(res, ","))
}

func TestLoki(t *testing.T) {
	base := time.Date(2026, 11, 27, 7, 0, 0, 0, time.UTC)
	ns := func(s int) int64 { return base.Add(time.Duration(s) * time.Second).UnixNano() }
	fl := &fakeLoki{fail: 1, entries: []fakeEntry{
		{ns(-600), `{"app":"api"}`, "too old"},
		{ns(-10), `{"app":"api","level":"error"}`, "plain error line"},
		{ns(-5), `{"service_name":"ranker"}`, `{"msg":"json line","level":"warn","trace_id":"abc"}`},
		{ns(-5), `{"app":"api"}`, "same instant, other stream"},
	}}
	srv := httptest.NewServer(fl)
	defer srv.Close()
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	l := NewLoki(srv.URL, `{app=~".+"}`, LokiOptions{Options: Options{BearerTokenFile: tok}, Limit: 2})
	ctx := context.Background()

	// A LogQL error comes back as the poll's error, with Loki's reason.
	if _, err := l.Poll(ctx, base); err == nil || !strings.Contains(err.Error(), "parse error at line 1") {
		t.Fatalf("error = %v", err)
	}
	// Pages of 2 from now-5m until a page is not full; the line at the
	// instant where the first page ended is not repeated.
	f, err := l.Poll(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Logs) != 3 || f.Logs[0].Msg != "plain error line" || f.Logs[0].Level != sources.LevelError ||
		f.Logs[0].Service != "api" || !f.Logs[0].At.Equal(base.Add(-10*time.Second)) {
		t.Fatalf("first poll: %+v", f.Logs)
	}
	var msgs []string
	for _, r := range f.Logs {
		msgs = append(msgs, r.Msg)
	}
	if !hasAll(msgs, "json line", "same instant, other stream") {
		t.Errorf("missing lines: %q", msgs)
	}
	for _, r := range f.Logs {
		if r.Msg == "json line" && (r.Service != "ranker" || r.TraceID != "abc" || r.Level != sources.LevelWarn) {
			t.Errorf("json line: %+v", r)
		}
	}
	fl.mu.Lock()
	if q := fl.queries[2]; !strings.Contains(q, "start="+strconv.FormatInt(ns(-5), 10)) {
		t.Errorf("second page did not start at the first page's last instant: %s", q)
	}
	fl.mu.Unlock()
	// Nothing new: nothing emitted.
	f3, err := l.Poll(ctx, base.Add(time.Second))
	if err != nil || len(f3.Logs) != 0 {
		t.Errorf("third poll: %d lines, %v", len(f3.Logs), err)
	}
	// A new line arrives.
	fl.mu.Lock()
	fl.entries = append(fl.entries, fakeEntry{ns(2), `{"app":"api"}`, "fresh"})
	fl.mu.Unlock()
	f4, err := l.Poll(ctx, base.Add(3*time.Second))
	if err != nil || len(f4.Logs) != 1 || f4.Logs[0].Msg != "fresh" {
		t.Errorf("fourth poll: %+v %v", f4.Logs, err)
	}
	if !strings.HasPrefix(l.Name(), "loki "+srv.URL) {
		t.Errorf("name %q", l.Name())
	}
}

func TestLokiWrongShapes(t *testing.T) {
	for name, body := range map[string]string{
		"matrix":    `{"status":"success","data":{"resultType":"matrix","result":[]}}`,
		"not json":  `<html>proxy error</html>`,
		"bad value": `{"status":"success","data":{"resultType":"streams","result":[{"stream":{},"values":[[1,2],["x","y"],["5"]]}]}}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) }))
		l := NewLoki(srv.URL, `{a="b"}`, LokiOptions{})
		f, err := l.Poll(context.Background(), time.Now())
		switch name {
		case "bad value":
			if err != nil || len(f.Logs) != 0 {
				t.Errorf("%s: %v %v", name, f.Logs, err)
			}
		default:
			if err == nil {
				t.Errorf("%s: no error", name)
			}
		}
		srv.Close()
	}
}
