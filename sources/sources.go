// Package sources is vigil's data model: what sources see (Frame and its
// parts), the Source interfaces every collector implements, the Hub that fans
// frames in, and the bounded Store the panes read.
//
// Sources speak their own dialect; presets translate it into the canonical
// signal names below so that panes never know which stack a number came from.
// A value that no source gives is absent (n/a), never 0.
package sources

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Kind says how a series' values are to be read.
type Kind uint8

// Series kinds.
const (
	Gauge Kind = iota
	Counter
)

// Label is one name/value pair of a series.
type Label struct {
	Name, Value string
}

// Series identifies one time series: a metric name and a sorted label set.
// Build it with NewSeries; the zero value is a series with no name.
type Series struct {
	Name   string
	Labels []Label // sorted by Name
	Kind   Kind
	key    string
}

// NewSeries returns the series name{kv[0]=kv[1], ...}. Pairs with an empty
// value are dropped, as Prometheus does. kv must have even length.
func NewSeries(name string, kind Kind, kv ...string) Series {
	if len(kv)%2 != 0 {
		panic("sources: NewSeries: odd number of label arguments")
	}
	ls := make([]Label, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] != "" {
			ls = append(ls, Label{kv[i], kv[i+1]})
		}
	}
	return SeriesOf(name, kind, ls)
}

// SeriesOf is NewSeries over a label slice, which it sorts in place.
func SeriesOf(name string, kind Kind, ls []Label) Series {
	slices.SortFunc(ls, func(a, b Label) int { return strings.Compare(a.Name, b.Name) })
	return Series{Name: name, Labels: ls, Kind: kind, key: seriesKey(name, ls)}
}

func seriesKey(name string, ls []Label) string {
	n := len(name) + 2
	for _, l := range ls {
		n += len(l.Name) + len(l.Value) + 4
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(name)
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.Name)
		b.WriteString(`="`)
		b.WriteString(l.Value)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// Key is the series' identity, in Prometheus notation: name{a="x",b="y"}.
func (s Series) Key() string {
	if s.key == "" {
		return seriesKey(s.Name, s.Labels)
	}
	return s.key
}

// Label returns the value of the named label, or "".
func (s Series) Label(name string) string { return LabelValue(s.Labels, name) }

// LabelValue returns the value of the label called name in ls, or "".
func LabelValue(ls []Label, name string) string {
	for _, l := range ls {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

// AlertState is the state an alert transition event (Kind EventAlert)
// records: its alertstate label, or in recordings made before that label,
// state; "" when it names none.
func AlertState(ls []Label) string {
	if v := LabelValue(ls, LabelAlertState); v != "" {
		return v
	}
	if LabelValue(ls, LabelAlertOrigin) == "" {
		return LabelValue(ls, LabelAlertStateV1)
	}
	return ""
}

// AlertSubject names what an alert is about, from its labels, shortest
// first: "llama-8b@gpu-node-1" (service, and operation, at host), "GPU
// 3@gpu-node-1", "feature price", the source a SourceDown is about
// ("scrape 127.0.0.1:9100"), for alerts from elsewhere their job, pod,
// namespace or instance (at host), or a host; "" when no label says. used
// names the labels it shows. Alert lines put it first, where truncation
// cannot reach it.
func AlertSubject(ls []Label) (subject string, used []string) {
	get := func(n string) string { return LabelValue(ls, n) }
	at := func(s string, used ...string) (string, []string) {
		if h := get(LabelHost); h != "" {
			used = append(used, LabelHost)
			if h != s {
				s += "@" + h
			}
		}
		return s, used
	}
	switch {
	case get(LabelSourceName) != "":
		return get(LabelSourceName), []string{LabelSourceName}
	case get(LabelService) != "":
		if op := get(LabelOperation); op != "" {
			return at(get(LabelService)+"/"+op, LabelService, LabelOperation)
		}
		return at(get(LabelService), LabelService)
	case get(LabelGPU) != "":
		return at("GPU "+get(LabelGPU), LabelGPU)
	case get(LabelFeature) != "":
		return "feature " + get(LabelFeature), []string{LabelFeature}
	}
	for _, n := range []string{"job", "pod", "namespace", "instance"} {
		if v := get(n); v != "" {
			s, used := at(v, n)
			if v == get("instance") {
				used = append(used, "instance")
			}
			return s, used
		}
	}
	if h := get(LabelHost); h != "" {
		return h, []string{LabelHost}
	}
	return "", nil
}

// Point is one sample of a series, stamped by the source.
type Point struct {
	Series Series
	At     time.Time
	Value  float64
}

// Bucket is one cumulative histogram bucket: the count of observations ≤ UpperBound.
type Bucket struct {
	UpperBound float64 // the last bucket's is +Inf
	Count      float64 // cumulative
}

// Histogram is one snapshot of a cumulative histogram series.
type Histogram struct {
	Series  Series
	At      time.Time
	Buckets []Bucket // ascending UpperBound, ending in +Inf
	Count   float64
	Sum     float64
}

// Exemplar links a sample to the trace that produced it (OpenMetrics
// exemplars, Prometheus /api/v1/query_exemplars).
type Exemplar struct {
	Series  Series // the series it belongs to (for histograms, the bucket's family without le)
	At      time.Time
	Value   float64
	TraceID string
	SpanID  string
	Labels  []Label // the exemplar's own labels besides trace and span ids
}

// Level is a log record's severity.
type Level int8

// Log levels, ordered.
const (
	LevelUnknown Level = iota
	LevelTrace
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelFatal
)

var levelNames = [...]string{"?", "trace", "debug", "info", "warn", "error", "fatal"}

func (l Level) String() string {
	if int(l) < 0 || int(l) >= len(levelNames) {
		return "?"
	}
	return levelNames[l]
}

// ParseLevel reads the common spellings of a level ("WARNING", "err", "E", 30 as in pino...).
func ParseLevel(s string) Level {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "trace", "trc", "t", "10":
		return LevelTrace
	case "debug", "dbg", "d", "20":
		return LevelDebug
	case "info", "inf", "i", "information", "notice", "30":
		return LevelInfo
	case "warn", "warning", "wrn", "w", "40":
		return LevelWarn
	case "error", "err", "e", "eror", "50":
		return LevelError
	case "fatal", "crit", "critical", "panic", "emerg", "alert", "f", "60":
		return LevelFatal
	}
	return LevelUnknown
}

// LogRecord is one parsed log line. Fields holds the structured fields,
// flattened with dots ("prediction.confidence"), as text.
type LogRecord struct {
	At     time.Time
	Source string
	Level  Level
	// TimeRead says the line carried no time of its own (nor did an
	// earlier line of the same record): At is when it was read.
	TimeRead bool
	Service  string
	Msg      string
	TraceID  string
	SpanID   string
	Fields   Fields // structured fields, in the order read (compact: fields.go)
	Raw      string // the line as read, already stripped of control sequences
}

// SpanStatus is a span's outcome.
type SpanStatus uint8

// Span statuses, as in OpenTelemetry.
const (
	SpanUnset SpanStatus = iota
	SpanOK
	SpanError
)

// SpanEvent is a timed annotation on a span.
type SpanEvent struct {
	At    time.Time
	Name  string
	Attrs map[string]string
}

// Span is one span of a trace.
type Span struct {
	TraceID  string
	SpanID   string
	ParentID string
	Service  string
	Name     string
	Start    time.Time
	End      time.Time
	Status   SpanStatus
	Attrs    map[string]string
	Events   []SpanEvent
}

// Severity orders events and alerts.
type Severity uint8

// Severities.
const (
	SevInfo Severity = iota
	SevWarning
	SevCritical
)

func (s Severity) String() string {
	switch s {
	case SevWarning:
		return "warning"
	case SevCritical:
		return "critical"
	}
	return "info"
}

// Event is something that happened at an instant: an XID error, a marker,
// an alert transition.
type Event struct {
	At       time.Time
	Kind     string // "xid", "marker", "alert", ...
	Severity Severity
	Labels   []Label // what it is about (host, gpu, service, ...)
	Text     string
}

// HealthState is the state of a source.
type HealthState uint8

// Health states.
const (
	HealthUnknown HealthState = iota // not yet polled
	HealthOK
	HealthError
	HealthDisabled // e.g. no NVIDIA driver: not an error, nothing to show
	// HealthIdle is a source that works and waits for data nobody sends yet,
	// e.g. the OTLP receiver listening with no exporter pointed at it: not
	// down, not stale. Its LastOK says when it last checked itself.
	HealthIdle
)

func (h HealthState) String() string {
	switch h {
	case HealthOK:
		return "ok"
	case HealthError:
		return "error"
	case HealthDisabled:
		return "disabled"
	case HealthIdle:
		return "idle"
	}
	return "unknown"
}

// Health is a source's own report of its last poll.
type Health struct {
	Source   string
	Kind     string // "scrape", "prom", "nvml", "logs", "traces", ...
	Target   string // URL or path; never carries credentials
	State    HealthState
	Err      string    // last error, one line
	LastOK   time.Time // the last poll that succeeded
	At       time.Time // the last poll
	Duration time.Duration
	Interval time.Duration // how often the source polls; 0 for streams
	Bytes    int
	Series   int
	Detail   string // e.g. "vllm" (what was recognised)
	// DataAt is the newest instant the source's data rests on, when it is
	// older than the poll (a query engine that answers late); zero when the
	// data is as of the poll.
	DataAt time.Time
	// Warnings are the source's notes on an answer that is partial or
	// narrowed (a query engine's warnings, a query split for size), one
	// line each.
	Warnings []string
}

// sanitized returns h with its text made safe for a terminal: a source may
// put an answer from outside (an error body, a file name) in any of it.
func (h *Health) sanitized() Health {
	c := *h
	c.Source, c.Kind, c.Target, c.Detail = Sanitize(c.Source), Sanitize(c.Kind), Sanitize(c.Target), Sanitize(c.Detail)
	if c.Err != "" {
		c.Err = OneLine(c.Err)
	}
	return c
}

// Samples is points in column form, for a producer that holds its series
// in a catalogue (replay): sample i is Series[IDs[i]] = Values[i] at At[i]
// (Unix ns), or at the frame's At when At is nil. Handing samples over this
// way costs no Point per sample. The slices may be shared between frames
// and must not be modified.
type Samples struct {
	Series []Series
	IDs    []uint32
	Values []float64
	At     []int64
}

// Len returns the number of samples (0 for nil).
func (s *Samples) Len() int {
	if s == nil {
		return 0
	}
	return len(s.IDs)
}

// Point returns sample i as a Point; at is the frame's time.
func (s *Samples) Point(i int, at time.Time) Point {
	p := Point{Series: s.Series[s.IDs[i]], At: at, Value: s.Values[i]}
	if s.At != nil {
		p.At = time.Unix(0, s.At[i])
	}
	return p
}

// Frame is what one source saw at one instant.
type Frame struct {
	Source     string
	At         time.Time
	Points     []Point
	Samples    *Samples // more points, in column form (nil: none)
	Histograms []Histogram
	Logs       []LogRecord
	Spans      []Span
	Events     []Event
	Exemplars  []Exemplar
	Health     *Health // nil when the source has nothing to say about itself
	// Backfill marks points that are history (a query engine's range
	// answers): the store merges them in time order instead of dropping
	// those older than a series' newest sample.
	Backfill bool
}

// NumPoints returns the number of points the frame carries in either form.
func (f *Frame) NumPoints() int { return len(f.Points) + f.Samples.Len() }

// AllPoints returns every point of the frame as Points (Samples
// materialised after Points); for consumers off the hot path.
func (f *Frame) AllPoints() []Point {
	if f.Samples.Len() == 0 {
		return f.Points
	}
	out := make([]Point, 0, f.NumPoints())
	out = append(out, f.Points...)
	for i := range f.Samples.IDs {
		out = append(out, f.Samples.Point(i, f.At))
	}
	return out
}

// Source is anything that brings data in.
type Source interface {
	// Name identifies the source in health reports ("scrape 127.0.0.1:8000").
	Name() string
}

// Poller is a source polled on an interval. Poll must honour ctx and return
// a frame stamped with now; an error becomes the source's health.
type Poller interface {
	Source
	Interval() time.Duration
	Poll(ctx context.Context, now time.Time) (Frame, error)
}

// Streamer is a source that pushes frames as they come (logs, OTLP, replay).
// Run blocks until ctx is done or the stream ends for good.
type Streamer interface {
	Source
	Run(ctx context.Context, emit func(Frame)) error
}
