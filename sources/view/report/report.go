// Package report is what vigil's headless modes print: --once evaluates
// every pane at one instant into a Report (the same view code the console
// draws from) and writes it as JSON or text; `vigil alerts` writes the
// active alerts. The command line only wires the sources and calls it.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/vigil-dev/vigil/drift"
	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
)

// Report is what --once prints: the overview plus everything else the
// panes show, evaluated at one instant. JSON field names are documented in
// README.md.
type Report struct {
	view.Overview
	Hosts      []view.Host  `json:"hosts"`
	Fleet      view.Fleet   `json:"fleet"`
	Drift      []DriftRow   `json:"drift"`
	Discovered []Discovered `json:"discovered"`
	Notes      []string     `json:"notes"`
	Alerts     []Alert      `json:"alerts"`
	// Store is where the store's bytes go and the bound it keeps to;
	// Goroutines is the process's count (runtime.NumGoroutine) when
	// the report was made.
	Store      sources.MemoryUsage `json:"store"`
	Goroutines int                 `json:"goroutines"`
}

// Discovered is one endpoint autodetection found, with the stacks it
// recognised.
type Discovered struct {
	URL    string   `json:"url"`
	Stacks []string `json:"stacks"`
}

// DriftRow is one drift heat row at the evaluation instant.
type DriftRow struct {
	Feature  string   `json:"feature"`
	Kind     string   `json:"kind"`
	Level    string   `json:"level"` // of the newest closed cell
	Alerting bool     `json:"alerting"`
	KSD      view.Num `json:"ks_d"`
	KSP      view.Num `json:"ks_p"`
	PSI      view.Num `json:"psi"`
	Cells    []string `json:"cells"` // levels of the closed cells, oldest first
}

func (r Report) textSections() []string {
	var out []string
	if fl := r.Fleet.Hosts; len(fl) > 1 {
		var b strings.Builder
		b.WriteString("FLEET HOST\tSEVERITY\tWORST\tGPUS\tSERVICES\tAGE\n")
		for _, h := range fl[:min(len(fl), 20)] {
			worst := sources.OneLine(h.Worst)
			if worst == "" {
				worst = "-"
			}
			fmt.Fprintf(&b, "%s\t%s\t%s\t%d\t%d\t%s\n", h.Host, h.Severity, worst, h.GPUs, h.Services, num(h.Age, "%.0fs"))
		}
		if len(fl) > 20 {
			fmt.Fprintf(&b, "+%d more hosts\t\t\t\t\t\n", len(fl)-20)
		}
		out = append(out, b.String())
	}
	if len(r.Hosts) > 0 {
		var b strings.Builder
		b.WriteString("HOST\tCPUS\tCPU BUSY\tLOAD1\tMEMORY\tUPTIME\n")
		for _, h := range r.Hosts {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\n", h.Host, num(h.CPUCount, "%.0f"), pct(h.CPUBusy), num(h.Load1, "%.2f"),
				pct(h.MemUsedRatio), num(scale(h.Uptime, 1.0/86400), "%.1f d"))
		}
		out = append(out, b.String())
	}
	if len(r.Drift) > 0 {
		var b strings.Builder
		b.WriteString("DRIFT\tKIND\tLEVEL\tKS D\tKS P\tPSI\tALERT\n")
		for _, d := range r.Drift {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%v\n", d.Feature, d.Kind, d.Level, num(d.KSD, "%.3f"), num(d.KSP, "%.2g"), num(d.PSI, "%.3f"), d.Alerting)
		}
		out = append(out, b.String())
	}
	if len(r.Alerts) > 0 {
		var b strings.Builder
		b.WriteString("ALERT\tSEVERITY\tSTATE\tSOURCE\tSINCE\tLABELS\tDETAIL\n")
		for _, a := range r.Alerts {
			fmt.Fprintf(&b, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, a.Severity, a.State, a.Source,
				a.ActiveAt.UTC().Format("15:04:05"), a.labelText(), sources.OneLine(a.Text))
		}
		out = append(out, b.String())
	}
	if len(r.Discovered) > 0 {
		var b strings.Builder
		b.WriteString("DISCOVERED\tSTACKS\n")
		for _, d := range r.Discovered {
			fmt.Fprintf(&b, "%s\t%s\n", d.URL, strings.Join(d.Stacks, ","))
		}
		out = append(out, b.String())
	}
	return out
}

// DriftRowOf is a drift monitor's row as the report shows it; alerting
// marks a feature in persistent drift.
func DriftRowOf(row drift.Row, alerting bool) DriftRow {
	d := DriftRow{Feature: row.Feature, Kind: row.Kind.String(), Alerting: alerting || row.Alert, Cells: make([]string, 0, len(row.Cells))}
	for _, c := range row.Cells {
		d.Cells = append(d.Cells, c.Level.String())
	}
	if n := len(row.Cells); n > 0 {
		last := row.Cells[n-1]
		d.Level = last.Level.String()
		if last.Level >= drift.LevelNone && last.Level <= drift.LevelHigh {
			d.KSD, d.KSP, d.PSI = view.Some(last.Stats.D), view.Some(last.Stats.KSP), view.Some(last.Stats.PSI)
		}
	} else {
		d.Level = drift.LevelBaselining.String()
	}
	return d
}

// Alert is one active alert as --once and `vigil alerts --output json`
// print it.
type Alert struct {
	Name        string            `json:"alertname"`
	Severity    string            `json:"severity"`
	State       string            `json:"state"`
	Source      string            `json:"source"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       *float64          `json:"value"`
	Threshold   *float64          `json:"threshold"`
	ActiveAt    time.Time         `json:"active_at"`
	FiredAt     *time.Time        `json:"fired_at"`
	Text        string            `json:"text"`
}

// Transition is one alert state change in `vigil alerts --history`.
type Transition struct {
	At    time.Time `json:"at"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Alert Alert     `json:"alert"`
}

func optFloat(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// AlertOf is an engine's alert as the report shows it.
func AlertOf(a alerts.Alert) Alert {
	j := Alert{Name: a.Name, Severity: a.Severity.String(), State: a.State, Source: a.Source, Labels: map[string]string{},
		Annotations: a.Annotations, Value: optFloat(a.Value), Threshold: optFloat(a.Threshold), ActiveAt: a.ActiveAt.UTC(), Text: a.Text}
	for _, l := range a.Labels {
		j.Labels[l.Name] = l.Value
	}
	if !a.FiredAt.IsZero() {
		t := a.FiredAt.UTC()
		j.FiredAt = &t
	}
	return j
}

// WriteAlerts prints the active alerts (and the transitions, when given)
// as text or JSON: the output of `vigil alerts`.
func WriteAlerts(w io.Writer, format string, now time.Time, active []alerts.Alert, hist []alerts.Transition) error {
	if format == "json" {
		out := struct {
			At      time.Time    `json:"at"`
			Firing  int          `json:"firing"`
			Pending int          `json:"pending"`
			Alerts  []Alert      `json:"alerts"`
			History []Transition `json:"history,omitempty"`
		}{At: now.UTC(), Alerts: []Alert{}}
		for _, a := range active {
			out.Alerts = append(out.Alerts, AlertOf(a))
			if a.State == alerts.StateFiring {
				out.Firing++
			} else if a.State == alerts.StatePending {
				out.Pending++
			}
		}
		for _, t := range hist {
			out.History = append(out.History, Transition{At: t.At.UTC(), From: t.From, To: t.To, Alert: AlertOf(t.Alert)})
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(active) == 0 {
		fmt.Fprintln(tw, "no alert firing or pending at", now.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintln(tw, "SEVERITY\tSTATE\tSINCE\tALERT\tSOURCE\tLABELS\tTEXT")
		for _, a := range active {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Severity, a.State, age(now, a.ActiveAt), a.Name, a.Source,
				AlertOf(a).labelText(), sources.OneLine(sources.Sanitize(a.Text)))
		}
	}
	if len(hist) > 0 {
		fmt.Fprintln(tw, "\nAT\tFROM\tTO\tALERT\tLABELS\tTEXT")
		for _, t := range hist {
			from := t.From
			if from == "" {
				from = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.At.UTC().Format("15:04:05"), from, t.To, t.Alert.Name,
				AlertOf(t.Alert).labelText(), sources.OneLine(sources.Sanitize(t.Alert.Text)))
		}
	}
	return tw.Flush()
}

// labelText is the alert's labels for a text line: name=value, sorted, the
// source left out where it only repeats the origin; "-" for none.
func (a Alert) labelText() string {
	ls := make([]sources.Label, 0, len(a.Labels))
	for k, v := range a.Labels {
		if k == sources.LabelSource && v == a.Source {
			continue
		}
		ls = append(ls, sources.Label{Name: k, Value: v})
	}
	return labelsText(ls)
}

func labelsText(ls []sources.Label) string {
	parts := make([]string, 0, len(ls))
	for _, l := range ls {
		parts = append(parts, sources.Sanitize(l.Name)+"="+sources.Sanitize(l.Value))
	}
	sort.Strings(parts)
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ",")
}

func age(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return now.Sub(t).Truncate(time.Second).String()
}
