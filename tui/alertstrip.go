package tui

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/tui/styles"
)

// The alert strip: one line over the status bar while alerts fire.

// alertIdentity joins an alert's labels, state left out, in label order.
func alertIdentity(ls []sources.Label, name string) string {
	var b strings.Builder
	b.WriteString(name)
	for _, l := range ls {
		if l.Name == "state" || l.Name == "alertname" {
			continue
		}
		b.WriteByte(0)
		b.WriteString(l.Name)
		b.WriteByte('=')
		b.WriteString(l.Value)
	}
	return b.String()
}

// firingAlerts lists alerts whose newest event in the span before at is
// not a resolution, worst and newest first, one line each.
func firingAlerts(st *sources.Store, at time.Time, span time.Duration) []string {
	evs := st.Events(at.Add(-span), at, 2000)
	type state struct {
		name   string
		id     string
		ev     sources.Event
		firing bool
	}
	last := map[string]state{}
	for _, e := range evs {
		if e.Kind != "alert" {
			continue
		}
		name := sources.LabelValue(e.Labels, "alertname")
		if name == "" {
			name = e.Text
		}
		st := sources.LabelValue(e.Labels, "state")
		// One alert is its name and every label but its state: the same
		// rule firing on two GPUs is two alerts.
		id := alertIdentity(e.Labels, name)
		prev, ok := last[id]
		if ok && prev.ev.At.After(e.At) {
			continue
		}
		last[id] = state{name: name, id: id, ev: e, firing: st == "" || st == "firing"}
	}
	var firing []state
	for _, v := range last {
		if v.firing {
			firing = append(firing, v)
		}
	}
	// Worst, then newest, then by name: an order that never depends on the map.
	sort.Slice(firing, func(i, j int) bool {
		a, b := firing[i].ev, firing[j].ev
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if !a.At.Equal(b.At) {
			return a.At.After(b.At)
		}
		return firing[i].id < firing[j].id
	})
	out := make([]string, 0, len(firing))
	for _, f := range firing {
		out = append(out, alertLine(f.ev))
	}
	return out
}

func alertLine(e sources.Event) string {
	text := e.Text
	if n := sources.LabelValue(e.Labels, "alertname"); n != "" && n != text {
		text = n + ": " + text
	}
	for _, k := range []string{sources.LabelService, sources.LabelHost, sources.LabelGPU} {
		if v := sources.LabelValue(e.Labels, k); v != "" {
			text += " " + k + "=" + v
		}
	}
	return e.Severity.String() + " " + sources.OneLine(sources.Sanitize(text)) + " since " + e.At.UTC().Format("15:04:05")
}

// alertStrip is the strip w cells wide: the count, the worst alert, and how
// many more.
func (s *state) alertStrip(w int) string {
	line := styles.PCrit.Paint("▲ "+strconv.Itoa(len(s.alerts))+" firing") + " " + s.alerts[0]
	if len(s.alerts) > 1 {
		line += styles.PDim.Paint("  +" + strconv.Itoa(len(s.alerts)-1) + " more")
	}
	return styles.Fit(line, w)
}
