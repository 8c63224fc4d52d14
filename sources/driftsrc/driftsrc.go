// Package driftsrc feeds the drift monitor from frames. It is the adapter
// between the sources model and package drift: numeric and categorical
// fields of log records and classic histograms named in the configuration
// become observations of drift features, and every frame's time closes the
// windows that have ended. A Monitor can start over (a replay seeking
// backwards empties the store, and drift must follow), keeping the
// references loaded from files.
package driftsrc

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
)

// Feature configures one drift row: a log field or a histogram series.
type Feature struct {
	// Name is the row's name; empty means Field or Histogram.
	Name string `yaml:"name"`
	// Field is a log record field, e.g. features.price.
	Field string `yaml:"field"`
	// Histogram is a histogram series name (a classic histogram's base
	// name), used when Field is empty.
	Histogram string `yaml:"histogram"`
	// Categorical treats the field's values as categories.
	Categorical bool `yaml:"categorical"`
	// Reference is a file of reference values (one per line, as
	// drift.ReadValuesFile reads); empty means the monitor pins its own.
	Reference string `yaml:"reference"`
}

// Monitor is a drift.Monitor fed by frames. Its methods are safe for
// concurrent use; the console's panes read it while the hub feeds it.
type Monitor struct {
	cfg    drift.Config
	fields []Feature // features read from log fields
	hists  map[string]Feature
	refs   map[string]func(*drift.Monitor) // references from files, set again after Reset

	mu sync.Mutex
	m  *drift.Monitor

	// The queue of Start: observations taken from frames, applied by a
	// goroutine of their own.
	q queue
}

// New returns a Monitor for the features with settings cfg, reading every
// reference file once. It returns an error for a feature with neither a
// field nor a histogram, or a reference file that cannot be read.
func New(cfg drift.Config, features []Feature) (*Monitor, error) {
	d := &Monitor{cfg: cfg, hists: map[string]Feature{}, refs: map[string]func(*drift.Monitor){}}
	for _, f := range features {
		if f.Name == "" {
			f.Name = f.Field
			if f.Name == "" {
				f.Name = f.Histogram
			}
		}
		switch {
		case f.Field != "":
			d.fields = append(d.fields, f)
		case f.Histogram != "":
			d.hists[f.Histogram] = f
		default:
			return nil, fmt.Errorf("config: drift feature %q needs a field or a histogram", f.Name)
		}
		if f.Reference != "" {
			ref, err := loadReference(f)
			if err != nil {
				return nil, err
			}
			d.refs[f.Name] = ref
		}
	}
	d.Reset()
	return d, nil
}

// loadReference reads a feature's reference values from its file and
// returns what sets them on a monitor.
func loadReference(f Feature) (func(*drift.Monitor), error) {
	if f.Categorical {
		vals, _, err := drift.ReadCategoriesFile(f.Reference, drift.ReadOptions{})
		if err != nil {
			return nil, fmt.Errorf("drift reference %s: %w", f.Reference, err)
		}
		return func(m *drift.Monitor) { m.SetCategoricalReference(f.Name, vals) }, nil
	}
	vals, _, err := drift.ReadValuesFile(f.Reference, drift.ReadOptions{})
	if err != nil {
		return nil, fmt.Errorf("drift reference %s: %w", f.Reference, err)
	}
	return func(m *drift.Monitor) { m.SetReference(f.Name, vals) }, nil
}

// Reset starts over with an empty monitor, the same settings and the
// references loaded from files.
func (d *Monitor) Reset() {
	m := drift.NewMonitor(d.cfg)
	for _, set := range d.refs {
		set(m)
	}
	d.mu.Lock()
	d.m = m
	d.mu.Unlock()
	d.q.mu.Lock()
	for i := range d.q.batches {
		d.q.batches[i] = obs{}
	}
	d.q.batches, d.q.n = d.q.batches[:0], 0
	d.q.mu.Unlock()
}

// Monitor returns the drift monitor in use (a new one after Reset).
func (d *Monitor) Monitor() *drift.Monitor {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.m
}

// Ingest observes a frame: every configured field of its log records (a
// numeric field whose value does not parse as a number is skipped) and
// every scrape of a configured histogram, then advances the monitor to the
// frame's time. It is meant as a hub sink. After Start it only queues what
// it read (see Start).
func (d *Monitor) Ingest(f sources.Frame) {
	b := d.read(&f)
	if d.q.queue(b) {
		return
	}
	d.apply(d.Monitor(), b)
}

// obs is what a frame holds for the monitor, in the frame's order.
type obs struct {
	at    time.Time
	items []item
}

// item is one observation: a value, a category (cat set) or a histogram
// snapshot (bounds set).
type item struct {
	feature     string
	at          time.Time
	v           float64
	cat         *string
	bounds, cum []float64
}

func (b *obs) size() int { return len(b.items) }

// read takes the configured features' observations out of a frame.
func (d *Monitor) read(f *sources.Frame) obs {
	b := obs{at: f.At}
	for i := range f.Logs {
		l := &f.Logs[i]
		for _, feat := range d.fields {
			v, ok := l.Fields.Get(feat.Field)
			if !ok {
				continue
			}
			if feat.Categorical {
				b.items = append(b.items, item{feature: feat.Name, at: l.At, cat: &v})
			} else if x, err := strconv.ParseFloat(v, 64); err == nil {
				b.items = append(b.items, item{feature: feat.Name, at: l.At, v: x})
			}
		}
	}
	for i := range f.Histograms {
		h := &f.Histograms[i]
		feat, ok := d.hists[h.Series.Name]
		if !ok {
			continue
		}
		bounds := make([]float64, len(h.Buckets))
		cum := make([]float64, len(h.Buckets))
		for j, bk := range h.Buckets {
			bounds[j], cum[j] = bk.UpperBound, bk.Count
		}
		b.items = append(b.items, item{feature: feat.Name, at: h.At, bounds: bounds, cum: cum})
	}
	return b
}

// apply observes b on m, in the frame's order, and advances m to the
// frame's time (which closes the columns that ended: the costly part).
func (d *Monitor) apply(m *drift.Monitor, b obs) {
	for _, o := range b.items {
		switch {
		case o.cat != nil:
			m.ObserveCategory(o.feature, o.at, *o.cat)
		case o.bounds != nil:
			m.ObserveHistogram(o.feature, o.at, o.bounds, o.cum)
		default:
			m.ObserveValue(o.feature, o.at, o.v)
		}
	}
	if !b.at.IsZero() {
		m.Advance(b.at)
	}
}

// maxQueued bounds the observations waiting for the monitor after Start;
// past it a frame's observations are dropped and counted (Dropped).
const maxQueued = 1 << 20

// queue holds what Ingest read until the monitor's goroutine applies it.
type queue struct {
	mu      sync.Mutex
	on      bool
	batches []obs
	n       int           // observations queued
	busy    bool          // the goroutine is applying a batch
	wake    chan struct{} // cap 1
	idle    *sync.Cond    // signalled when the queue empties and nothing is being applied
	dropped uint64
	hook    func() // tests: called before each batch is applied
}

// queue adds b and reports true when the queue is on.
func (q *queue) queue(b obs) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.on {
		return false
	}
	if q.n+b.size() > maxQueued {
		q.dropped += uint64(b.size())
		b.items = nil // the time still advances
	}
	q.batches = append(q.batches, b)
	q.n += b.size()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// Start moves the monitor's work off the caller of Ingest: from now on
// Ingest only reads a frame's observations and queues them, and a
// goroutine of the monitor's own observes them and closes the columns that
// ended (200 features take 150 to 475 ms of CPU to close: the hub ingests
// other frames meanwhile). It runs until ctx ends; then Ingest applies at
// once again. Readers (Rows, Detail) are unaffected: the monitor is safe
// for concurrent use and never shows a column half closed.
func (d *Monitor) Start(ctx context.Context) {
	q := &d.q
	q.mu.Lock()
	if q.on {
		q.mu.Unlock()
		return
	}
	q.on, q.wake = true, make(chan struct{}, 1)
	if q.idle == nil {
		q.idle = sync.NewCond(&q.mu)
	}
	q.mu.Unlock()
	go func() {
		for {
			select {
			case <-q.wake:
			case <-ctx.Done():
				q.mu.Lock()
				q.on = false
				rest := q.batches
				q.batches, q.n = nil, 0
				q.mu.Unlock()
				m := d.Monitor()
				for _, b := range rest {
					d.apply(m, b)
				}
				q.mu.Lock()
				q.idle.Broadcast()
				q.mu.Unlock()
				return
			}
			for {
				q.mu.Lock()
				if len(q.batches) == 0 {
					q.busy = false
					q.idle.Broadcast()
					q.mu.Unlock()
					break
				}
				b := q.batches[0]
				q.batches[0] = obs{}
				q.batches = q.batches[1:]
				q.n -= b.size()
				q.busy = true
				hook := q.hook
				q.mu.Unlock()
				if hook != nil {
					hook()
				}
				d.apply(d.Monitor(), b)
			}
		}
	}()
}

// Sync waits until every observation queued so far has been applied.
func (d *Monitor) Sync() {
	q := &d.q
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.on && (len(q.batches) > 0 || q.busy) {
		q.idle.Wait()
	}
}

// Dropped is how many observations were dropped because the monitor's
// goroutine fell more than maxQueued behind.
func (d *Monitor) Dropped() uint64 {
	d.q.mu.Lock()
	defer d.q.mu.Unlock()
	return d.q.dropped
}

// Rows returns every feature's heat row (drift.Monitor.Rows).
func (d *Monitor) Rows() []drift.Row { return d.Monitor().Rows() }

// Config returns the monitor's settings, defaults filled in.
func (d *Monitor) Config() drift.Config { return d.Monitor().Config() }

// Repin re-pins a feature's reference to the current window.
func (d *Monitor) Repin(feature string) error { return d.Monitor().Repin(feature) }

// Detail explains the cell of feature whose window holds start.
func (d *Monitor) Detail(feature string, start time.Time) (drift.Detail, bool) {
	return d.Monitor().Detail(feature, start)
}

// Alerting lists the features in persistent drift at at.
func (d *Monitor) Alerting(at time.Time) []string { return d.Monitor().Alerting(at) }

// Advance closes the windows that have ended by now.
func (d *Monitor) Advance(now time.Time) { d.Monitor().Advance(now) }
