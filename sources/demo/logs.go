package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"time"
)

// logLine is one structured JSON log line. Field order is fixed by the
// struct, so equal values give byte-equal lines.
type logLine struct {
	Time             string      `json:"time"` // RFC 3339 with nanoseconds, UTC
	Level            string      `json:"level"`
	Service          string      `json:"service"`
	Msg              string      `json:"msg"`
	TraceID          string      `json:"trace_id,omitempty"`
	SpanID           string      `json:"span_id,omitempty"`
	LatencyMS        *float64    `json:"latency_ms,omitempty"`
	Status           int         `json:"status,omitempty"` // HTTP status code
	Route            string      `json:"route,omitempty"`
	Model            string      `json:"model,omitempty"`
	ModelVersion     string      `json:"model_version,omitempty"`
	Prediction       *prediction `json:"prediction,omitempty"`
	PredictedClass   string      `json:"predicted_class,omitempty"`
	Features         *features   `json:"features,omitempty"`
	PromptTokens     int         `json:"prompt_tokens,omitempty"`
	GenerationTokens int         `json:"generation_tokens,omitempty"`
	TTFTMS           *float64    `json:"ttft_ms,omitempty"`
	FinishReason     string      `json:"finished_reason,omitempty"`
	GPU              *int        `json:"gpu,omitempty"`
	TemperatureC     *float64    `json:"temperature_c,omitempty"`
	XID              int         `json:"xid,omitempty"`
	Error            string      `json:"error,omitempty"`
}

// prediction is a model output, logged as prediction.confidence.
type prediction struct {
	Confidence float64 `json:"confidence"` // ratio 0..1
	Score      float64 `json:"score"`      // ranking score of the top item
}

// features are a model's inputs, logged as features.<name>.
type features struct {
	Price      float64 `json:"price"` // currency units
	Age        int     `json:"age"`   // years
	SessionLen int     `json:"session_len"`
	Category   string  `json:"category"`
	Device     string  `json:"device"`
}

// logWriter appends JSON lines to a file through a buffer that the simulation
// flushes after each advance. Lines of one step are written in time order.
type logWriter struct {
	path    string
	size    int64 // bytes in the current file
	max     int64 // rotate past this size
	f       *os.File
	w       *bufio.Writer
	pending []pendingLine
	lines   int64
	err     error // first write error; later writes are dropped
}

type pendingLine struct {
	at   time.Time
	line *logLine
}

// MaxLogBytes is the size past which the log file is rotated: renamed to
// LogFileName+".1" (replacing the previous one) and started afresh, so a demo
// left running holds at most twice this on disk.
const MaxLogBytes = 64 << 20

func openLog(path string) (*logWriter, error) {
	l := &logWriter{path: path, max: MaxLogBytes}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *logWriter) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("demo: open log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("demo: open log: %w", err)
	}
	l.f, l.size = f, st.Size()
	if l.w == nil {
		l.w = bufio.NewWriterSize(f, 32<<10)
	} else {
		l.w.Reset(f)
	}
	return nil
}

// rotate moves the full file aside and opens a new one.
func (l *logWriter) rotate() error {
	if err := l.w.Flush(); err != nil {
		return fmt.Errorf("demo: write log: %w", err)
	}
	if err := l.f.Close(); err != nil {
		return fmt.Errorf("demo: close log: %w", err)
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil {
		return fmt.Errorf("demo: rotate log: %w", err)
	}
	return l.open()
}

// add queues line, stamped at, for the end of the step.
func (l *logWriter) add(at time.Time, line *logLine) {
	if l == nil {
		return
	}
	line.Time = stamp(at)
	l.pending = append(l.pending, pendingLine{at, line})
}

// endStep writes the step's lines in time order.
func (l *logWriter) endStep() {
	if l == nil {
		return
	}
	sort.SliceStable(l.pending, func(i, j int) bool { return l.pending[i].at.Before(l.pending[j].at) })
	for i := range l.pending {
		l.write(l.pending[i].line)
		l.pending[i] = pendingLine{}
	}
	l.pending = l.pending[:0]
}

func (l *logWriter) write(line *logLine) {
	if l.err != nil {
		return
	}
	b, err := json.Marshal(line)
	if err != nil {
		l.err = fmt.Errorf("demo: encode log line: %w", err)
		return
	}
	b = append(b, '\n')
	if l.size+int64(len(b)) > l.max && l.size > 0 {
		if l.err = l.rotate(); l.err != nil {
			return
		}
	}
	if _, err := l.w.Write(b); err != nil {
		l.err = fmt.Errorf("demo: write log: %w", err)
		return
	}
	l.size += int64(len(b))
	l.lines++
}

func (l *logWriter) flush() error {
	if l == nil {
		return nil
	}
	if l.err != nil {
		return l.err
	}
	if err := l.w.Flush(); err != nil {
		l.err = fmt.Errorf("demo: write log: %w", err)
	}
	return l.err
}

func (l *logWriter) close() error {
	if l == nil {
		return nil
	}
	ferr := l.flush()
	if err := l.f.Close(); err != nil && ferr == nil {
		ferr = fmt.Errorf("demo: close log: %w", err)
	}
	return ferr
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// round returns a pointer to x rounded to d decimals (for compact lines).
func round(x float64, d int) *float64 {
	p := math.Pow(10, float64(d))
	v := math.Round(x*p) / p
	return &v
}
