package alerts

import (
	"hash/maphash"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vigil-dev/vigil/sources"
)

// Which alerts are active is decided here, once, for every reader: the
// console's alert strip, the alerts screen, --once, `vigil alerts` and
// replay all fold the same transition events with Active.
//
// An alert's identity is its full label set, as Alertmanager tells alerts
// apart: name, severity and every other label. vigil's own alerts carry
// source="vigil", the label they are posted to Alertmanager with, so an
// alert read back from an Alertmanager that vigil's webhook feeds (an echo)
// has the same identity as the original and is shown once. Where several
// origins report one identity, vigil's own state wins; without it the most
// advanced state wins (firing, then suppressed, then pending), Prometheus
// before Alertmanager.

// Key is an alert's identity: its name, severity and labels (sorted by
// name). Two alerts with the same key are the same alert, whoever reports it.
func Key(name string, sev sources.Severity, ls []sources.Label) string {
	var b strings.Builder
	b.Grow(len(name) + 16 + 24*len(ls))
	b.WriteString(name)
	b.WriteString("\x00" + sources.LabelSeverity + "=" + sev.String())
	for _, l := range ls {
		b.WriteString("\x00" + l.Name + "=" + l.Value)
	}
	return b.String()
}

// reserved are the event labels that say what happened, not which alert it
// is; an alert's own labels never use them.
func reserved(name string) bool {
	switch name {
	case sources.LabelAlertName, sources.LabelSeverity, sources.LabelAlertState, sources.LabelAlertOrigin,
		sources.LabelAlertValue, sources.LabelAlertThreshold:
		return true
	}
	return false
}

// FromEvent reads an alert transition event (Kind sources.EventAlert) back
// into a transition: the alert as of the event, its origin, the state it
// entered (firing when the event names none) and the figures it carries.
// From is left empty. Every name and value is sanitized. Events recorded
// before the alertstate label (state and the origin in "source") read the
// same. ok is false for other kinds of event.
func FromEvent(e sources.Event) (t Transition, ok bool) {
	if e.Kind != sources.EventAlert {
		return Transition{}, false
	}
	a := Alert{Severity: e.Severity, Value: math.NaN(), Threshold: math.NaN(), Text: sources.OneLine(sources.Sanitize(e.Text))}
	state, origin, v1State, v1Source := "", "", "", ""
	a.Labels = make([]sources.Label, 0, len(e.Labels))
	for _, l := range e.Labels {
		switch l.Name {
		case sources.LabelAlertName:
			a.Name = sources.Sanitize(l.Value)
		case sources.LabelSeverity:
		case sources.LabelAlertState:
			state = l.Value
		case sources.LabelAlertOrigin:
			origin = sources.Sanitize(l.Value)
		case sources.LabelAlertValue:
			a.Value = parseFloat(l.Value)
		case sources.LabelAlertThreshold:
			a.Threshold = parseFloat(l.Value)
		case sources.LabelAlertStateV1:
			v1State = l.Value
			a.Labels = append(a.Labels, sources.Label{Name: l.Name, Value: sources.Sanitize(l.Value)})
		case sources.LabelSource:
			v1Source = sources.Sanitize(l.Value)
			a.Labels = append(a.Labels, sources.Label{Name: l.Name, Value: v1Source})
		default:
			a.Labels = append(a.Labels, sources.Label{Name: sources.Sanitize(l.Name), Value: sources.Sanitize(l.Value)})
		}
	}
	if origin == "" {
		// A recording from before alertstate: "state" was the state and
		// "source" the origin, not labels of the alert — except
		// source="vigil", which vigil's own alerts now carry as a label.
		state, origin = v1State, v1Source
		kept := a.Labels[:0]
		for _, l := range a.Labels {
			if l.Name == sources.LabelAlertStateV1 || l.Name == sources.LabelSource && l.Value != SourceVigil {
				continue
			}
			kept = append(kept, l)
		}
		a.Labels = kept
		if origin == "" {
			origin = SourceVigil
		}
		// Those recordings added the origin to an external alert's text.
		a.Text = strings.TrimSuffix(a.Text, " ["+origin+"]")
	}
	sort.SliceStable(a.Labels, func(i, j int) bool { return a.Labels[i].Name < a.Labels[j].Name })
	if a.Name == "" {
		a.Name = a.Text
	}
	if state == "" {
		state = StateFiring
	}
	a.Source, a.State = origin, state
	return Transition{At: e.At, To: state, Alert: a}, true
}

func parseFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// Active folds alert transition events, oldest first as the store returns
// them (other kinds are skipped), into the alerts active after the last
// one: firing, pending and suppressed, each identity once (see Key), in
// SortAlerts order. An alert's ActiveAt is where it went pending (or
// firing, when it never was pending), its FiredAt where it began firing;
// its text, value and threshold are the latest transition's.
func Active(evs []sources.Event) []Alert {
	return activeOf(func(fn func(*sources.Event)) {
		for i := range evs {
			fn(&evs[i])
		}
	})
}

// activeOf is Active over the events each calls fn with.
func activeOf(each func(fn func(*sources.Event))) []Alert {
	type slot struct {
		key, origin       string
		ev                sources.Event // the event that set the state
		state             string
		activeAt, firedAt time.Time
		on                bool
	}
	slots := map[uint64]*slot{}
	var order []*slot
	ownLast := map[string]time.Time{}
	var h maphash.Hash
	h.SetSeed(keySeed)
	each(func(e *sources.Event) {
		if e.Kind != sources.EventAlert {
			return
		}
		// The identity hashed straight from the event's labels, without
		// reading the alert out of it (most events are history, not the
		// answer); spelled out only for a new one.
		var key string
		sum, origin, state, ok := fastKey(&h, e)
		if !ok {
			t, _ := FromEvent(*e) // a recording from before alertstate
			key, origin, state = t.Alert.Key(), t.Alert.Source, t.To
			h.Reset()
			h.WriteString(key)
			h.WriteByte(0)
			h.WriteString(origin)
			sum = h.Sum64()
		}
		sl := slots[sum]
		if sl == nil {
			if ok {
				key = eventKey(e)
			}
			sl = &slot{key: key, origin: origin}
			slots[sum] = sl
			order = append(order, sl)
		}
		if origin == SourceVigil && e.At.After(ownLast[sl.key]) {
			ownLast[sl.key] = e.At
		}
		switch state {
		case StatePending:
			if !sl.on || sl.state != StatePending {
				sl.activeAt = e.At
			}
			sl.firedAt = time.Time{}
		case StateFiring, StateSuppressed:
			if !sl.on {
				sl.activeAt, sl.firedAt = e.At, e.At
			} else if sl.firedAt.IsZero() {
				sl.firedAt = e.At
			}
		case StateResolved, StateInactive:
			sl.on = false
			return
		default:
			return // a state this version does not know: not evidence of anything
		}
		sl.on, sl.state, sl.ev = true, state, *e
	})
	groups := map[string][]Alert{}
	var keys []string
	for _, sl := range order {
		if !sl.on {
			continue
		}
		t, _ := FromEvent(sl.ev)
		a := t.Alert
		a.State, a.ActiveAt, a.FiredAt = sl.state, sl.activeAt, sl.firedAt
		if _, ok := groups[sl.key]; !ok {
			keys = append(keys, sl.key)
		}
		groups[sl.key] = append(groups[sl.key], a)
	}
	return pick(keys, groups, ownLast)
}

// keySeed seeds the identity hashes of one process.
var keySeed = maphash.MakeSeed()

// fastKey hashes the identity (Key) and origin of an alert event in the
// current format, and returns its origin and state; ok is false for an
// event it cannot read this way (no alertname or alertorigin: a
// recording from before alertstate).
func fastKey(h *maphash.Hash, e *sources.Event) (sum uint64, origin, state string, ok bool) {
	name := ""
	for _, l := range e.Labels {
		switch l.Name {
		case sources.LabelAlertName:
			name = l.Value
		case sources.LabelAlertOrigin:
			origin = l.Value
		case sources.LabelAlertState:
			state = l.Value
		}
	}
	if name == "" || origin == "" || !sortedByName(e.Labels) {
		return 0, "", "", false
	}
	if state == "" {
		state = StateFiring
	}
	h.Reset()
	h.WriteString(name)
	h.WriteByte(byte(e.Severity))
	for _, l := range e.Labels {
		if !reserved(l.Name) {
			h.WriteByte(0)
			h.WriteString(l.Name)
			h.WriteByte('=')
			h.WriteString(l.Value)
		}
	}
	h.WriteByte(1)
	h.WriteString(origin)
	return h.Sum64(), origin, state, true
}

// eventKey is Key of an event fastKey reads.
func eventKey(e *sources.Event) string {
	var b strings.Builder
	b.WriteString(sources.LabelValue(e.Labels, sources.LabelAlertName))
	b.WriteString("\x00" + sources.LabelSeverity + "=" + e.Severity.String())
	for _, l := range e.Labels {
		if !reserved(l.Name) {
			b.WriteString("\x00" + l.Name + "=" + l.Value)
		}
	}
	return b.String()
}

func sortedByName(ls []sources.Label) bool {
	for i := 1; i < len(ls); i++ {
		if ls[i].Name < ls[i-1].Name {
			return false
		}
	}
	return true
}

// ActiveIn is Active over every event the store holds up to at: the
// alerts active at that instant (live now, the time cursor, a replay
// position).
func ActiveIn(st *sources.Store, at time.Time) []Alert {
	if st == nil {
		return nil
	}
	return activeOf(func(fn func(*sources.Event)) { st.EachEvent(sources.EventAlert, time.Time{}, at, fn) })
}

// Firing returns the firing alerts among as, in their order.
func Firing(as []Alert) []Alert {
	var out []Alert
	for _, a := range as {
		if a.State == StateFiring {
			out = append(out, a)
		}
	}
	return out
}

// CountStates returns how many of as fire, are pending and are suppressed.
func CountStates(as []Alert) (firing, pending, suppressed int) {
	for _, a := range as {
		switch a.State {
		case StateFiring:
			firing++
		case StatePending:
			pending++
		case StateSuppressed:
			suppressed++
		}
	}
	return firing, pending, suppressed
}

// pick chooses, for each identity, the one alert to show from what its
// origins report (groups[key], active alerts only), and sorts them.
// ownLast holds, per identity, vigil's own newest transition.
func pick(keys []string, groups map[string][]Alert, ownLast map[string]time.Time) []Alert {
	out := make([]Alert, 0, len(keys))
	for _, k := range keys {
		var best *Alert
		for i := range groups[k] {
			a := &groups[k][i]
			if a.Source != SourceVigil {
				if _, own := ownLast[k]; own && a.Label(sources.LabelSource) == SourceVigil && !a.ActiveAt.After(ownLast[k]) {
					// An echo of an alert this vigil raised, still listed
					// after vigil resolved it: vigil's own state stands.
					continue
				}
			}
			if best == nil || better(*a, *best) {
				best = a
			}
		}
		if best != nil {
			out = append(out, *best)
		}
	}
	SortAlerts(out)
	return out
}

// better reports whether a should be shown rather than b, for one identity.
func better(a, b Alert) bool {
	if ra, rb := originRank(a.Source), originRank(b.Source); (ra == 0) != (rb == 0) {
		return ra == 0 // vigil's own
	}
	if sa, sb := stateRank(a.State), stateRank(b.State); sa != sb {
		return sa > sb
	}
	if ra, rb := originRank(a.Source), originRank(b.Source); ra != rb {
		return ra < rb
	}
	return a.ActiveAt.Before(b.ActiveAt)
}

func stateRank(s string) int {
	switch s {
	case StateFiring:
		return 3
	case StateSuppressed:
		return 2
	case StatePending:
		return 1
	}
	return 0
}

func originRank(s string) int {
	switch s {
	case SourceVigil:
		return 0
	case SourcePrometheus:
		return 1
	case SourceAlertmanager:
		return 2
	}
	return 3
}

// Band is a span of time during which an alert fired, for shading the time
// axis of the charts.
type Band struct {
	Start, End time.Time // End is zero while it still fires
	Severity   sources.Severity
	Name       string
	Labels     []sources.Label // the alert's labels (service, gpu, ...)
}

// Label returns the value of the band's label, or "".
func (b Band) Label(name string) string { return sources.LabelValue(b.Labels, name) }

// Bands returns the firing spans that overlap [from, to], from the store's
// alert events (oldest first): a span opens where an alert (by Key, from any
// origin) begins firing and closes where it resolves.
func Bands(st *sources.Store, from, to time.Time) []Band {
	type open struct {
		i  int  // index in out
		on bool // firing now
	}
	var out []Band
	var h maphash.Hash
	h.SetSeed(keySeed)
	spans := map[uint64]*open{}
	st.EachEvent(sources.EventAlert, time.Time{}, to, func(e *sources.Event) {
		sum, _, state, ok := fastKey(&h, e)
		if !ok {
			t, _ := FromEvent(*e)
			state = t.To
			h.Reset()
			h.WriteString(t.Alert.Key())
			sum = h.Sum64()
		}
		sp := spans[sum]
		switch state {
		case StateFiring:
			if sp != nil && sp.on {
				return
			}
			t, _ := FromEvent(*e)
			if sp == nil {
				sp = &open{}
				spans[sum] = sp
			}
			sp.i, sp.on = len(out), true
			out = append(out, Band{Start: t.At, Severity: t.Alert.Severity, Name: t.Alert.Name, Labels: t.Alert.Labels})
		case StateResolved, StateInactive:
			if sp != nil && sp.on {
				out[sp.i].End, sp.on = e.At, false
			}
		}
	})
	kept := out[:0]
	for _, b := range out {
		if b.Start.After(to) || !b.End.IsZero() && b.End.Before(from) {
			continue
		}
		kept = append(kept, b)
	}
	return kept
}

// Subject names what an alert is about (sources.AlertSubject): first on
// every alert line, where truncation cannot reach it.
func Subject(ls []sources.Label) string {
	s, _ := sources.AlertSubject(ls)
	return s
}

// ShownLabels are an alert's labels worth printing after its subject and
// text: those the subject already says are left out, and source where it
// only repeats the alert's origin.
func ShownLabels(a Alert) []sources.Label {
	_, used := sources.AlertSubject(a.Labels)
	out := make([]sources.Label, 0, len(a.Labels))
	for _, l := range a.Labels {
		if l.Name == sources.LabelSource && l.Value == a.Source || slices.Contains(used, l.Name) {
			continue
		}
		out = append(out, l)
	}
	return out
}
