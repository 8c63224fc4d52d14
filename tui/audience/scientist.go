// Package audience holds the screens for the two audiences besides the
// engineers (whose screen is the overview): the data scientist's (drift at a
// glance, the model's prediction confidence over time, accuracy where ground
// truth arrives) and the executive's (what the service costs per hour, per
// day, per 1,000 requests and per million tokens; uptime over 24 h, 7 d and
// 30 d; user satisfaction). Each is a pane.Pane computed in Refresh from the
// store at the instant shown; a figure no source gives reads n/a.
package audience

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/logs"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// ScientistOptions configures the data scientist's screen.
type ScientistOptions struct {
	// Drift is the drift monitor (nil: drift reads n/a).
	Drift DriftSource
	// ConfidenceField is the log field holding the prediction's confidence
	// (0..1); default "prediction.confidence".
	ConfidenceField string
	// PredictionField is the log field holding the predicted label; default
	// "predicted_class".
	PredictionField string
	// LabelField is the log field holding the ground-truth label, logged
	// when it arrives; "" (the default) means no ground truth: accuracy n/a.
	LabelField string
	// RequestIDField joins a label to its prediction; default "request_id",
	// else the trace id.
	RequestIDField string
	// LabelDelay is how long after a prediction its label may arrive;
	// default 1 h.
	LabelDelay time.Duration
}

func (o ScientistOptions) withDefaults() ScientistOptions {
	if o.ConfidenceField == "" {
		o.ConfidenceField = "prediction.confidence"
	}
	if o.PredictionField == "" {
		o.PredictionField = "predicted_class"
	}
	if o.RequestIDField == "" {
		o.RequestIDField = "request_id"
	}
	if o.LabelDelay <= 0 {
		o.LabelDelay = time.Hour
	}
	return o
}

// Scientist is the data scientist's screen.
type Scientist struct {
	o    ScientistOptions
	w, h int
	env  pane.Env
	out  string

	// What Refresh computed (exported through methods for tests and --once).
	conf     ConfidenceSeries
	acc      Accuracy
	driftSum DriftSummary
}

// NewScientist returns the screen.
func NewScientist(o ScientistOptions) *Scientist { return &Scientist{o: o.withDefaults()} }

// Title is the screen's title.
func (s *Scientist) Title() string { return "Data science" }

// SetSize sets the inner size.
func (s *Scientist) SetSize(w, h int) { s.w, s.h = w, h; s.render() }

// HandleKey uses no keys.
func (s *Scientist) HandleKey(tea.KeyMsg) (bool, tea.Cmd) { return false, nil }

// Keys lists none.
func (s *Scientist) Keys() []key.Binding { return nil }

// View returns what Refresh prepared.
func (s *Scientist) View() string { return s.out }

// Confidence returns the confidence series of the last refresh.
func (s *Scientist) Confidence() ConfidenceSeries { return s.conf }

// Accuracy returns the accuracy of the last refresh.
func (s *Scientist) Accuracy() Accuracy { return s.acc }

// Drift returns the drift summary of the last refresh.
func (s *Scientist) Drift() DriftSummary { return s.driftSum }

// Refresh recomputes from the store: the confidence chart over the shared
// window, the accuracy over the window that ends at the instant the screen
// claims (the cursor when on), and the drift summary at that instant.
func (s *Scientist) Refresh(env pane.Env) {
	s.env = env
	at := env.EvalAt()
	if env.Store != nil {
		cols := max(s.w-12, 10)
		recs := env.Store.Logs(env.From(), env.Now, 200000, nil)
		s.conf = ConfidenceOver(recs, s.o.ConfidenceField, env.From(), env.Now, cols)
		if !at.Equal(env.Now) {
			recs = env.Store.Logs(at.Add(-env.Zoom), at, 200000, nil)
		}
		s.acc = AccuracyOf(recs, s.o)
	}
	s.driftSum = SummarizeDrift(s.o.Drift, at)
	s.render()
}

// ConfidenceSeries is the prediction-confidence distribution per column of
// the window: p10, p50, p90 and the count (NaN where a column has none).
type ConfidenceSeries struct {
	From, To      time.Time
	P10, P50, P90 []float64
	N             []int
	Total         int
	Mean          float64 // over the whole window, NaN without predictions
}

// ConfidenceOver buckets the confidence field of the records in [from, to]
// into cols columns.
func ConfidenceOver(recs []sources.LogRecord, field string, from, to time.Time, cols int) ConfidenceSeries {
	cs := ConfidenceSeries{From: from, To: to, P10: make([]float64, cols), P50: make([]float64, cols), P90: make([]float64, cols), N: make([]int, cols), Mean: math.NaN()}
	vals := make([][]float64, cols)
	span := to.Sub(from)
	var sum float64
	for i := range recs {
		r := &recs[i]
		if r.At.Before(from) || r.At.After(to) || span <= 0 {
			continue
		}
		v, ok := logs.Field(r, field)
		if !ok {
			continue
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		c := int(float64(cols) * float64(r.At.Sub(from)) / float64(span))
		c = min(max(c, 0), cols-1)
		vals[c] = append(vals[c], x)
		sum += x
		cs.Total++
	}
	for c := range vals {
		cs.N[c] = len(vals[c])
		cs.P10[c], cs.P50[c], cs.P90[c] = quantile(vals[c], 0.1), quantile(vals[c], 0.5), quantile(vals[c], 0.9)
	}
	if cs.Total > 0 {
		cs.Mean = sum / float64(cs.Total)
	}
	return cs
}

// quantile is the q-quantile by linear interpolation between order
// statistics (type 7, as numpy's default); NaN for none. It sorts v.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	sort.Float64s(v)
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(v)-1)
	return v[lo] + (v[hi]-v[lo])*(pos-float64(lo))
}

// Accuracy is the share of predictions whose ground-truth label, joined by
// request id within the delay, equals the prediction.
type Accuracy struct {
	Configured bool // a label field is configured
	Joined     int  // predictions with a label
	Correct    int
	Pending    int // predictions still waiting for a label, inside the delay
}

// Ratio is Correct/Joined, NaN when nothing joined.
func (a Accuracy) Ratio() float64 {
	if a.Joined == 0 {
		return math.NaN()
	}
	return float64(a.Correct) / float64(a.Joined)
}

func requestID(r *sources.LogRecord, field string) string {
	if v, ok := logs.Field(r, field); ok && v != "" {
		return v
	}
	return r.TraceID
}

// AccuracyOf joins labels to predictions (records oldest first).
func AccuracyOf(recs []sources.LogRecord, o ScientistOptions) Accuracy {
	o = o.withDefaults()
	a := Accuracy{Configured: o.LabelField != ""}
	if !a.Configured {
		return a
	}
	type pred struct {
		at    time.Time
		class string
	}
	preds := map[string]pred{}
	var newest time.Time
	for i := range recs {
		r := &recs[i]
		if r.At.After(newest) {
			newest = r.At
		}
		id := requestID(r, o.RequestIDField)
		if id == "" {
			continue
		}
		if p, ok := logs.Field(r, o.PredictionField); ok {
			preds[id] = pred{r.At, p}
		}
	}
	joined := map[string]bool{}
	for i := range recs {
		r := &recs[i]
		lbl, ok := logs.Field(r, o.LabelField)
		if !ok {
			continue
		}
		id := requestID(r, o.RequestIDField)
		p, ok := preds[id]
		if !ok || joined[id] || r.At.Before(p.at) || r.At.Sub(p.at) > o.LabelDelay {
			continue
		}
		joined[id] = true
		a.Joined++
		if strings.TrimSpace(lbl) == strings.TrimSpace(p.class) {
			a.Correct++
		}
	}
	for id, p := range preds {
		if !joined[id] && newest.Sub(p.at) <= o.LabelDelay {
			a.Pending++
		}
	}
	return a
}

// DriftSummary counts the drift monitor's features by their newest level.
type DriftSummary struct {
	Available bool
	Features  int
	Alerting  []string
	Levels    map[string]int // level name → features
	Rows      []drift.Row
}

// DriftSource is what the screen reads of the drift monitor; *drift.Monitor
// implements it.
type DriftSource interface {
	Rows() []drift.Row
	Alerting(at time.Time) []string
}

// SummarizeDrift reads the monitor's heat rows.
func SummarizeDrift(m DriftSource, at time.Time) DriftSummary {
	d := DriftSummary{Levels: map[string]int{}}
	if m == nil {
		return d
	}
	d.Available = true
	d.Rows = m.Rows()
	d.Features = len(d.Rows)
	d.Alerting = m.Alerting(at)
	sort.Strings(d.Alerting)
	for _, r := range d.Rows {
		if c, ok := closedAt(r.Cells, at); ok {
			d.Levels[c.Level.String()]++
		}
	}
	return d
}

// closedAt is the newest of cells (oldest first, evenly spaced) that had
// closed by at: at the live edge the last one, under the cursor the one
// the cursor had then.
func closedAt(cells []drift.Cell, at time.Time) (drift.Cell, bool) {
	n := len(cells)
	if n == 0 {
		return drift.Cell{}, false
	}
	var w time.Duration
	if n > 1 {
		w = cells[n-1].Start.Sub(cells[n-2].Start)
	}
	for i := n - 1; i >= 0; i-- {
		if !cells[i].Start.Add(w).After(at) {
			return cells[i], true
		}
	}
	return drift.Cell{}, false
}

func (s *Scientist) render() {
	if s.w <= 0 || s.h <= 0 {
		s.out = ""
		return
	}
	var lines []string
	add := func(l string) { lines = append(lines, styles.Fit(l, s.w)) }
	add(styles.PTitle.Paint("Drift"))
	switch {
	case !s.driftSum.Available:
		add("  " + styles.NAText() + styles.PDim.Paint(" (no drift features configured)"))
	default:
		txt := "  " + strconv.Itoa(s.driftSum.Features) + " features"
		keys := make([]string, 0, len(s.driftSum.Levels))
		for k := range s.driftSum.Levels {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			txt += ", " + strconv.Itoa(s.driftSum.Levels[k]) + " " + k
		}
		add(txt)
		if len(s.driftSum.Alerting) > 0 {
			add("  " + styles.PWarn.Paint("drifting: "+sources.Sanitize(strings.Join(s.driftSum.Alerting, ", "))))
		}
		// Names as wide as the longest (a third of the width at most),
		// the cells in what is left.
		nw := 4
		for _, r := range s.driftSum.Rows {
			nw = max(nw, styles.Width(sources.Sanitize(r.Feature)))
		}
		nw = min(nw, max(12, s.w/3))
		cells := max(s.w-2-nw-1, 0)
		for _, r := range s.driftSum.Rows {
			if len(lines) >= s.h/2 {
				break
			}
			var b strings.Builder
			for _, c := range r.Cells[max(0, len(r.Cells)-cells):] {
				b.WriteString(heatGlyph(c.Level))
			}
			add("  " + styles.Fit(sources.Sanitize(r.Feature), nw) + " " + b.String())
		}
	}
	add("")
	add(styles.PTitle.Paint("Prediction confidence") + styles.PDim.Paint(" ("+strconv.Itoa(s.conf.Total)+" predictions in the window)"))
	if s.conf.Total == 0 {
		add("  " + styles.NAText() + styles.PDim.Paint(" (no "+s.o.ConfidenceField+" in the logs)"))
	} else {
		for _, q := range []struct {
			name string
			v    []float64
		}{{"p90", s.conf.P90}, {"p50", s.conf.P50}, {"p10", s.conf.P10}} {
			add("  " + q.name + " " + styles.Spark(q.v, 1, -1, nil) + " " + pct(last(q.v)))
		}
		add("  mean " + pct(s.conf.Mean))
	}
	add("")
	add(styles.PTitle.Paint("Accuracy"))
	switch {
	case !s.acc.Configured:
		add("  " + styles.NAText() + styles.PDim.Paint(" (no ground-truth label field configured)"))
	case s.acc.Joined == 0:
		add("  " + styles.NAText() + styles.PDim.Paint(" (no label arrived yet; "+strconv.Itoa(s.acc.Pending)+" waiting)"))
	default:
		add("  " + pct(s.acc.Ratio()) + styles.PDim.Paint(" of "+strconv.Itoa(s.acc.Joined)+" labelled predictions; "+strconv.Itoa(s.acc.Pending)+" waiting"))
	}
	if len(lines) > s.h {
		lines = lines[:s.h]
	}
	s.out = strings.Join(lines, "\n")
}

// heatGlyph draws one drift cell by its heat (0 none .. 4 high).
func heatGlyph(l drift.Level) string {
	switch h := l.Heat(); {
	case h < 0:
		return styles.PDim.Paint("·")
	case h == 0:
		return styles.POK.Paint("▪")
	case h <= 2:
		return styles.PAccent.Paint("▪")
	case h == 3:
		return styles.PWarn.Paint("▪")
	}
	return styles.PCrit.Paint("▪")
}

func last(v []float64) float64 {
	for i := len(v) - 1; i >= 0; i-- {
		if !math.IsNaN(v[i]) {
			return v[i]
		}
	}
	return math.NaN()
}

func pct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return styles.NAText()
	}
	return styles.Percent(v)
}
