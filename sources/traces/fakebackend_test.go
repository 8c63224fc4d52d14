package traces

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fakes below answer as Jaeger's query service (v1 HTTP API, the one
// its UI uses) and Tempo's HTTP API do, in the shapes of the answers
// recorded in client_test.go: the same fields, the same units (Jaeger µs,
// Tempo ns in strings and s in the query), the same parameters (Jaeger:
// service, start, end, limit, lookback, which its API ignores; Tempo:
// tags, start, end, limit, spss) and the same limits (Jaeger answers at
// most limit traces, most recently stored first, as its memory store
// does; Tempo in the order it finds them). Their bad modes are the bad
// inputs a poller must survive.

// fakeTrace is one stored trace: a root span and a child, both of svc.
type fakeTrace struct {
	id    string    // 32 hex digits
	svc   string    // the service of its spans
	start time.Time // the root's start, in the traced service's clock
	dur   time.Duration
}

type fakeBackend struct {
	mu     sync.Mutex
	traces []fakeTrace // in the order stored
	// Bad modes.
	extra      int           // answer this many traces more than asked (Jaeger, Tempo)
	ignoreTime bool          // answer from every trace, whatever start and end say
	spill      time.Duration // answer with traces this far outside the window too
	// What was asked.
	searches int
	fetches  int
	queries  []string
}

func (b *fakeBackend) add(ts ...fakeTrace) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.traces = append(b.traces, ts...)
}

// burst stores n traces of svc starting at from, one every step.
func burst(svc string, n int, from time.Time, step time.Duration, idBase int) []fakeTrace {
	out := make([]fakeTrace, n)
	for i := range out {
		out[i] = fakeTrace{id: fmt.Sprintf("%016x%016x", idBase, i+1), svc: svc, start: from.Add(time.Duration(i) * step), dur: 40 * time.Millisecond}
	}
	return out
}

func (b *fakeBackend) services() []string {
	set := map[string]bool{}
	for _, t := range b.traces {
		set[t.svc] = true
	}
	out := make([]string, 0, len(set))
	for s := range set {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// match lists the stored traces of svc ("" any) with a span starting in
// [from, to] (Jaeger) or overlapping it (Tempo), in the order asked.
func (b *fakeBackend) match(svc string, from, to time.Time, overlap, newestFirst bool) []fakeTrace {
	var out []fakeTrace
	for i := range b.traces {
		t := b.traces[i]
		if newestFirst {
			t = b.traces[len(b.traces)-1-i]
		}
		if svc != "" && t.svc != svc {
			continue
		}
		from, to := from.Add(-b.spill), to.Add(b.spill)
		if !b.ignoreTime {
			childStart := t.start.Add(t.dur / 4)
			in := !t.start.Before(from) && !t.start.After(to) || !childStart.Before(from) && !childStart.After(to)
			if overlap {
				in = !t.start.After(to) && !t.start.Add(t.dur).Before(from)
			}
			if !in {
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

func (b *fakeBackend) jaegerSpans(t fakeTrace) string {
	child := t.start.Add(t.dur / 4)
	return fmt.Sprintf(`{"traceID":%q,"spans":[
{"traceID":%q,"spanID":"%s","flags":1,"operationName":"POST /v1/chat/completions","references":[],"startTime":%d,"duration":%d,
 "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.response.status_code","type":"int64","value":200}],"logs":[],"processID":"p1","warnings":null},
{"traceID":%q,"spanID":"%s","flags":1,"operationName":"generate","references":[{"refType":"CHILD_OF","traceID":%q,"spanID":"%s"}],
 "startTime":%d,"duration":%d,"tags":[],"logs":[],"processID":"p1","warnings":null}],
"processes":{"p1":{"serviceName":%q,"tags":[{"key":"host.name","type":"string","value":"gpu-01"}]}},"warnings":null}`,
		t.id, t.id, t.id[16:], t.start.UnixMicro(), t.dur.Microseconds(),
		t.id, "c"+t.id[17:], t.id, t.id[16:], child.UnixMicro(), (t.dur / 2).Microseconds(), t.svc)
}

func (b *fakeBackend) serveJaeger(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/api/services":
		svcs, _ := json.Marshal(b.services())
		fmt.Fprintf(w, `{"data":%s,"total":%d,"limit":0,"offset":0,"errors":null}`, svcs, len(b.services()))
	case r.URL.Path == "/api/traces":
		b.searches++
		b.queries = append(b.queries, r.URL.RawQuery)
		if q.Get("service") == "" {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}`)
			return
		}
		start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
		end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
		limit, err3 := strconv.Atoi(q.Get("limit"))
		if err1 != nil || err2 != nil || err3 != nil || limit <= 0 || start > end {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":400,"msg":"unable to parse %q"}]}`, r.URL.RawQuery)
			return
		}
		found := b.match(q.Get("service"), time.UnixMicro(start), time.UnixMicro(end), false, true)
		found = found[:min(len(found), limit+b.extra)]
		parts := make([]string, len(found))
		for i, t := range found {
			parts[i] = b.jaegerSpans(t)
		}
		fmt.Fprintf(w, `{"data":[%s],"total":0,"limit":0,"offset":0,"errors":null}`, strings.Join(parts, ","))
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}`)
	}
}

func fakeB64(h string) string {
	raw, _ := hex.DecodeString(h)
	return base64.StdEncoding.EncodeToString(raw)
}

func (b *fakeBackend) serveTempo(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := r.URL.Query()
	switch {
	case r.URL.Path == "/api/search":
		b.searches++
		b.queries = append(b.queries, r.URL.RawQuery)
		start, err1 := strconv.ParseInt(q.Get("start"), 10, 64)
		end, err2 := strconv.ParseInt(q.Get("end"), 10, 64)
		limit, err3 := strconv.Atoi(q.Get("limit"))
		spss, err4 := strconv.Atoi(q.Get("spss"))
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil || start > end {
			w.WriteHeader(400)
			fmt.Fprintf(w, "invalid search request %q", r.URL.RawQuery)
			return
		}
		svc := ""
		if tags := q.Get("tags"); tags != "" {
			svc = strings.Trim(strings.TrimPrefix(tags, "service.name="), `"`)
		}
		found := b.match(svc, time.Unix(start, 0), time.Unix(end, 0), true, false)
		found = found[:min(len(found), limit+b.extra)]
		parts := make([]string, len(found))
		for i, t := range found {
			spans := fmt.Sprintf(`{"spanID":"%s","startTimeUnixNano":"%d","durationNanos":"%d"}`, t.id[16:], t.start.UnixNano(), t.dur.Nanoseconds())
			if spss > 1 {
				spans += fmt.Sprintf(`,{"spanID":"c%s","startTimeUnixNano":"%d","durationNanos":"%d"}`, t.id[17:], t.start.Add(t.dur/4).UnixNano(), (t.dur / 2).Nanoseconds())
			}
			parts[i] = fmt.Sprintf(`{"traceID":"%s","rootServiceName":%q,"rootTraceName":"POST /v1/chat/completions","startTimeUnixNano":"%d","durationMs":%d,"spanSet":{"spans":[%s],"matched":2},"spanSets":[{"spans":[%s],"matched":2}]}`,
				strings.TrimLeft(t.id, "0"), t.svc, t.start.UnixNano(), t.dur.Milliseconds(), spans, spans)
		}
		fmt.Fprintf(w, `{"traces":[%s],"metrics":{"inspectedTraces":%d,"inspectedBytes":"%d","completedJobs":1,"totalJobs":1}}`,
			strings.Join(parts, ","), len(b.traces), 1000*len(b.traces))
	case strings.HasPrefix(r.URL.Path, "/api/traces/"):
		b.fetches++
		id := strings.TrimPrefix(r.URL.Path, "/api/traces/")
		for _, t := range b.traces {
			if t.id != id {
				continue
			}
			child := t.start.Add(t.dur / 4)
			fmt.Fprintf(w, `{"batches":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":%q}}]},"scopeSpans":[{"scope":{"name":"fake"},"spans":[
{"traceId":"%s","spanId":"%s","name":"POST /v1/chat/completions","kind":"SPAN_KIND_SERVER","startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{}},
{"traceId":"%s","spanId":"%s","parentSpanId":"%s","name":"generate","kind":"SPAN_KIND_INTERNAL","startTimeUnixNano":"%d","endTimeUnixNano":"%d","status":{}}]}]}]}`,
				t.svc, fakeB64(t.id), fakeB64(t.id[16:]), t.start.UnixNano(), t.start.Add(t.dur).UnixNano(),
				fakeB64(t.id), fakeB64("c"+t.id[17:]), fakeB64(t.id[16:]), child.UnixNano(), child.Add(t.dur/2).UnixNano())
			return
		}
		w.WriteHeader(404)
		fmt.Fprint(w, "trace not found")
	default:
		w.WriteHeader(404)
	}
}

func (b *fakeBackend) counts() (searches, fetches int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.searches, b.fetches
}

func startFake(t *testing.T, kind string, b *fakeBackend) Backend {
	t.Helper()
	h := b.serveJaeger
	if kind == "tempo" {
		h = b.serveTempo
	}
	srv := httptest.NewServer(http.HandlerFunc(h))
	t.Cleanup(srv.Close)
	opts := ClientOptions{URL: srv.URL}
	if kind == "tempo" {
		tp, err := NewTempo(opts)
		if err != nil {
			t.Fatal(err)
		}
		return tp
	}
	j, err := NewJaeger(opts)
	if err != nil {
		t.Fatal(err)
	}
	return j
}
