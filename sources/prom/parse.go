// Package prom reads Prometheus expositions: it scrapes /metrics endpoints
// (classic text 0.0.4 and OpenMetrics 1.0, chosen by the response's
// Content-Type as expfmt.ResponseFormat would), recognises the AI serving stacks, GPU and host exporters by
// their metric names, and translates what they export into vigil's canonical
// signals (sources.SvcLatency, sources.GPUUtilization, ...) through presets
// that are data: one table row per source metric.
//
// Parsing is a pure function over bytes (Parse); the Scraper is a thin HTTP
// wrapper around it, and Discover probes the stacks' default ports on
// loopback.
package prom

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"

	"github.com/vigil-dev/vigil/sources"
)

// Target says where an exposition came from and how to name what it holds.
type Target struct {
	URL     string // where it was scraped; its host:port is the fallback host and service
	Host    string // optional: overrides the host label when the data names none
	Service string // optional: overrides the service name when the data names none
}

// hostPort is the target's host:port, or the URL as given when it does not parse.
func (t Target) hostPort() string {
	if t.URL == "" {
		return "local"
	}
	u, err := url.Parse(t.URL)
	if err != nil || u.Host == "" {
		return sources.Sanitize(t.URL)
	}
	return sources.Sanitize(u.Host)
}

// Stats describes one parsed exposition.
type Stats struct {
	Format    string   // "text", "openmetrics" or "protobuf"
	Families  int      // metric families read
	Series    int      // samples read (a histogram or summary counts once)
	Created   int      // _created families ignored
	Dropped   int      // samples left out: NaN, ±Inf, DCGM blank values, duplicates
	Conflicts int      // histograms whose bucket layout differed from a sibling's (left out)
	Stacks    []string // stacks recognised, sorted ("dcgm", "vllm", ...)
	Signals   int      // canonical points and histograms emitted
	Warning   string   // a parse error after which a partial result was kept
}

// Parse reads one exposition body whose HTTP Content-Type is contentType
// ("" sniffs: a body ending in "# EOF" is OpenMetrics, else text 0.0.4),
// recognises the stacks in it and returns their canonical signals in a frame
// stamped now. Every value carries now as its timestamp.
//
// A body that fails to parse part-way returns what was read before the error,
// together with the error; a body from which nothing could be read returns
// only the error. An HTML page is an error.
func Parse(body []byte, contentType string, t Target, now time.Time) (sources.Frame, Stats, error) {
	return parse(body, contentType, t, now, nil)
}

// parse is Parse with a string table kept by the caller (see parseTextInterned).
func parse(body []byte, contentType string, t Target, now time.Time, intern map[string]string) (sources.Frame, Stats, error) {
	f := sources.Frame{At: now}
	var st Stats
	if isHTML(body, contentType) {
		return f, st, errors.New("got an HTML page, not metrics")
	}
	fams, format, created, perr := decode(body, contentType, intern)
	st.Created = created
	st.Format = format
	if perr != nil && len(fams) == 0 {
		return f, st, fmt.Errorf("parse %s exposition: %w", format, perr)
	}
	if perr != nil {
		st.Warning = sources.OneLine(perr.Error())
	}
	sc := newScrape(fams, t, now, &st)
	sc.translate(&f)
	st.Signals = len(f.Points) + len(f.Histograms)
	if perr != nil {
		return f, st, fmt.Errorf("parse %s exposition (kept %d families read before the error): %w", format, len(fams), perr)
	}
	return f, st, nil
}

func isHTML(body []byte, contentType string) bool {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
		return true
	}
	b := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(b) == 0 || b[0] != '<' {
		return false
	}
	head := bytes.ToLower(b[:min(len(b), 64)])
	return bytes.HasPrefix(head, []byte("<!doctype")) || bytes.HasPrefix(head, []byte("<html")) ||
		bytes.HasPrefix(head, []byte("<head")) || bytes.HasPrefix(head, []byte("<body")) || bytes.HasPrefix(head, []byte("<?xml"))
}

// decode turns the body into metric families, choosing the reading from
// the content type: OpenMetrics, text 0.0.4, or (no or an unknown type) by
// sniffing: a body ending in "# EOF" is OpenMetrics. vigil never asks for
// protobuf, so a protobuf body is an error. It never panics.
func decode(body []byte, contentType string, intern map[string]string) (fams []*family, format string, created int, err error) {
	format = formatOf(body, contentType)
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("parser failed: %v", r)
		}
	}()
	switch format {
	case "protobuf":
		return nil, format, 0, errors.New("protobuf exposition not supported (the server ignored the Accept header)")
	case "openmetrics":
		// expfmt's OpenMetrics decoder checks every line against the ABNF
		// grammar: about 10 ms a line, far too slow to scrape with. The text
		// parser reads OpenMetrics too (tests hold it to expfmt's result).
		fams, created, err = parseTextInterned(body, intern)
		if err == nil && !hasEOF(body) {
			err = errors.New("openmetrics body does not end with # EOF (truncated?)")
		}
		return fams, format, created, err
	default:
		fams, created, err = parseTextInterned(body, intern)
		return fams, format, created, err
	}
}

// formatOf is expfmt.ResponseFormat's choice of format for the response's
// Content-Type, with sniffing (a trailing "# EOF" is OpenMetrics) where it
// cannot tell.
func formatOf(body []byte, contentType string) string {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	switch expfmt.ResponseFormat(h).FormatType() {
	case expfmt.TypeOpenMetrics:
		return "openmetrics"
	case expfmt.TypeProtoDelim, expfmt.TypeProtoText, expfmt.TypeProtoCompact:
		return "protobuf"
	case expfmt.TypeTextPlain:
		return "text"
	}
	if hasEOF(body) {
		return "openmetrics"
	}
	return "text"
}

func hasEOF(body []byte) bool {
	return bytes.HasSuffix(bytes.TrimRight(body, " \t\r\n"), []byte("# EOF"))
}

// normName is the name presets match on: OpenTelemetry's dotted UTF-8 names
// read as their underscore translation.
func normName(n string) string {
	if strings.IndexByte(n, '.') < 0 {
		return n
	}
	return strings.ReplaceAll(n, ".", "_")
}

// bad reports values that are not numbers a pane can show.
func bad(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// label returns the value of the named label of m, or "".
func label(m *metric, name string) string {
	for i := range m.labels {
		if m.labels[i].name == name {
			return m.labels[i].value
		}
	}
	return ""
}

// firstLabel returns the value of the first of names that m carries non-empty.
func firstLabel(m *metric, names ...string) string {
	for _, n := range names {
		if v := label(m, n); v != "" {
			return v
		}
	}
	return ""
}
