package logs

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// LokiOptions configures a Loki query source.
type LokiOptions struct {
	Options
	// Interval is how often the query runs (default 2 s).
	Interval time.Duration
	// Lookback is how far back the first query reaches (default 5 m).
	Lookback time.Duration
	// Limit is the most lines one query returns (default 1000); the next
	// poll continues where a full page stopped.
	Limit int
	// Timeout bounds one query (default 10 s).
	Timeout time.Duration
}

// Loki polls a Loki-compatible query API (/loki/api/v1/query_range) with a
// LogQL query and a moving start, so that each line arrives once. It speaks
// the HTTP API only. It is a sources.Poller.
type Loki struct {
	base  string
	query string
	opts  LokiOptions

	mu       sync.Mutex
	last     int64           // newest entry timestamp seen, ns
	boundary map[uint64]bool // entries at last already emitted
	lines    uint64
	linesS   sources.Series
}

// NewLoki returns a source running query against the Loki at baseURL
// ("http://127.0.0.1:3100").
func NewLoki(baseURL, query string, opts LokiOptions) *Loki {
	opts.Options = opts.Options.withDefaults("loki", redactURL(baseURL)+" "+query)
	if opts.Interval <= 0 {
		opts.Interval = 2 * time.Second
	}
	if opts.Lookback <= 0 {
		opts.Lookback = 5 * time.Minute
	}
	if opts.Limit <= 0 {
		opts.Limit = 1000
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Loki{base: strings.TrimRight(baseURL, "/"), query: query, opts: opts,
		linesS: sources.NewSeries(LinesTotal, sources.Counter, LabelSource, opts.Name)}
}

// Name is "loki <url> <query>" unless Options.Name says otherwise.
func (l *Loki) Name() string { return l.opts.Name }

// Interval is how often the hub polls.
func (l *Loki) Interval() time.Duration { return l.opts.Interval }

// Timeout bounds one poll.
func (l *Loki) Timeout() time.Duration { return l.opts.Timeout }

type lokiResponse struct {
	Status string `json:"status"`
	Error  string `json:"error"`
	Data   struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Stream map[string]string   `json:"stream"`
			Values [][]json.RawMessage `json:"values"`
		} `json:"result"`
	} `json:"data"`
}

type lokiEntry struct {
	ts     int64
	line   string
	labels map[string]string
	meta   map[string]string
	hash   uint64
}

// Poll queries the lines since the last poll, up to five full pages.
func (l *Loki) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := sources.Frame{Health: &sources.Health{Kind: "logs", Target: redactURL(l.base)}}
	start := l.last
	if start == 0 {
		start = now.Add(-l.opts.Lookback).UnixNano()
	}
	for page := 0; page < 5; page++ {
		entries, n, err := l.fetch(ctx, start, now)
		if err != nil {
			if len(f.Logs) > 0 {
				break // keep what the earlier pages brought
			}
			return sources.Frame{}, err
		}
		f.Health.Bytes += n
		got := len(f.Logs)
		l.take(&f, entries, start)
		if len(entries) < l.opts.Limit {
			break
		}
		// A full page: more may wait. When a page brought nothing new (a
		// whole page at one instant), step past it rather than loop.
		start = l.last
		if len(f.Logs) == got {
			start = l.last + 1
			l.last = start
		}
	}
	if l.last == 0 {
		// Nothing yet: the next query starts where this one ended.
		l.last = now.UnixNano()
	}
	l.lines += uint64(len(f.Logs))
	f.Health.Detail = fmt.Sprintf("%d lines", l.lines)
	f.Points = []sources.Point{{Series: l.linesS, At: now, Value: float64(l.lines)}}
	return f, nil
}

// fetch runs one query_range from start to now.
func (l *Loki) fetch(ctx context.Context, start int64, now time.Time) ([]lokiEntry, int, error) {
	q := url.Values{}
	q.Set("query", l.query)
	q.Set("start", strconv.FormatInt(start, 10))
	q.Set("end", strconv.FormatInt(now.UnixNano(), 10))
	q.Set("limit", strconv.Itoa(l.opts.Limit))
	q.Set("direction", "forward")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.base+"/loki/api/v1/query_range?"+q.Encode(), nil)
	if err != nil {
		return nil, 0, fmt.Errorf("loki: %w", err)
	}
	if err := addAuth(req, l.opts.Options); err != nil {
		return nil, 0, err
	}
	client := l.opts.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("loki: %s", sources.OneLine(err.Error()))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, 0, fmt.Errorf("loki: read: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, 0, fmt.Errorf("loki: %s: %s", resp.Status, sources.OneLine(lokiError(body)))
	}
	entries, err := decodeLoki(body)
	return entries, len(body), err
}

// take parses the entries not yet seen into f and moves the start.
func (l *Loki) take(f *sources.Frame, entries []lokiEntry, start int64) {
	newLast := l.last
	nb := map[uint64]bool{}
	for _, e := range entries {
		if e.ts < start || e.ts == l.last && l.boundary[e.hash] {
			continue
		}
		rec := l.opts.Parser.Parse([]byte(e.line), time.Unix(0, e.ts))
		rec.Source = l.opts.Name
		labelFields(&rec, e.labels)
		labelFields(&rec, e.meta)
		f.Logs = append(f.Logs, rec)
		if e.ts > newLast {
			newLast = e.ts
			nb = map[uint64]bool{}
		}
		if e.ts == newLast {
			nb[e.hash] = true
		}
	}
	if newLast == l.last {
		for h := range l.boundary {
			nb[h] = true
		}
	}
	l.last, l.boundary = newLast, nb
}

// decodeLoki reads a query_range response of type streams into entries
// sorted by time.
func decodeLoki(body []byte) ([]lokiEntry, error) {
	var r lokiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("loki: decode: %w", err)
	}
	if r.Status != "" && r.Status != "success" {
		return nil, fmt.Errorf("loki: %s", sources.OneLine(r.Error))
	}
	if r.Data.ResultType != "" && r.Data.ResultType != "streams" {
		return nil, fmt.Errorf("loki: the query returns %s, not log streams", r.Data.ResultType)
	}
	var out []lokiEntry
	for _, s := range r.Data.Result {
		keys := make([]string, 0, len(s.Stream))
		for k := range s.Stream {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sk strings.Builder
		for _, k := range keys {
			sk.WriteString(k + "=" + s.Stream[k] + ",")
		}
		for _, v := range s.Values {
			if len(v) < 2 {
				continue
			}
			var tss, line string
			if json.Unmarshal(v[0], &tss) != nil || json.Unmarshal(v[1], &line) != nil {
				continue
			}
			ts, err := strconv.ParseInt(tss, 10, 64)
			if err != nil {
				continue
			}
			e := lokiEntry{ts: ts, line: line, labels: s.Stream}
			if len(v) > 2 {
				_ = json.Unmarshal(v[2], &e.meta)
			}
			h := fnv.New64a()
			h.Write([]byte(sk.String()))
			h.Write([]byte{0})
			h.Write([]byte(line))
			e.hash = h.Sum64()
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ts < out[j].ts })
	return out, nil
}

// labelFields fills a record's gaps from the stream's labels.
func labelFields(rec *sources.LogRecord, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	var b sources.FieldsBuilder
	b.Reset(rec.Fields)
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys) // one key order for one stream: one shared key list
	for _, k := range keys {
		if !rec.Fields.Has(k) {
			b.Add(k, sources.Sanitize(labels[k]))
		}
	}
	rec.Fields = b.Fields()
	if rec.Service == "" {
		for _, k := range []string{"service_name", "service", "app", "job", "container", "unit"} {
			if v := labels[k]; v != "" {
				rec.Service = sources.Sanitize(v)
				break
			}
		}
	}
	if rec.Level == sources.LevelUnknown {
		for _, k := range []string{"level", "detected_level", "severity"} {
			if v := labels[k]; v != "" {
				rec.Level = ParseLevel(v)
				break
			}
		}
	}
	if rec.TraceID == "" {
		for _, k := range []string{"trace_id", "traceID", "traceId"} {
			if v := labels[k]; v != "" {
				rec.TraceID = sources.Sanitize(v)
				break
			}
		}
	}
}

// lokiError extracts the reason from an error body (JSON or text).
func lokiError(body []byte) string {
	var r lokiResponse
	if json.Unmarshal(body, &r) == nil && r.Error != "" {
		return r.Error
	}
	s := string(body)
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}
