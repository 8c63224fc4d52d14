// Package driftsrc feeds the drift monitor from frames. It is the adapter
// between the sources model and package drift: numeric and categorical
// fields of log records and classic histograms named in the configuration
// become observations of drift features, and every frame's time closes the
// windows that have ended. A Monitor can start over (a replay seeking
// backwards empties the store, and drift must follow), keeping the
// references loaded from files.
package driftsrc

import (
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
// frame's time. It is meant as a hub sink.
func (d *Monitor) Ingest(f sources.Frame) {
	m := d.Monitor()
	for i := range f.Logs {
		l := &f.Logs[i]
		for _, feat := range d.fields {
			v, ok := l.Fields[feat.Field]
			if !ok {
				continue
			}
			if feat.Categorical {
				m.ObserveCategory(feat.Name, l.At, v)
			} else if x, err := strconv.ParseFloat(v, 64); err == nil {
				m.ObserveValue(feat.Name, l.At, x)
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
		for j, b := range h.Buckets {
			bounds[j], cum[j] = b.UpperBound, b.Count
		}
		m.ObserveHistogram(feat.Name, h.At, bounds, cum)
	}
	if !f.At.IsZero() {
		m.Advance(f.At)
	}
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
