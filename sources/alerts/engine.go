// Package alerts evaluates alert rules over vigil's store on every tick:
// built-in rules that work with zero configuration on the canonical signals
// (error rate over target, p99 over the latency SLO, hot or throttled GPUs,
// XID and uncorrected ECC errors, sources down, drift, error-budget burn),
// plus rules from the config in a syntax close to Prometheus alerting rules.
//
// Each rule has a `for:` duration, a severity (warning or critical) and a
// release level (hysteresis): an alert that became active stays active until
// the value is back past the release level, so a signal hovering at the line
// does not flap. Every transition (pending, firing, resolved, inactive) is
// emitted as a sources.Event of Kind "alert" (Transition.Event), which the
// store keeps and recordings hold; Active folds those events into the alerts
// active at any instant, for the alert strip, the alerts screen, --once and
// replay alike. The package also reads Prometheus' and
// Alertmanager's own alerts, computes SLO error budgets and burn rates, and
// notifies (terminal bell, OSC 9/777, Alertmanager-format webhook).
package alerts

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/view"
)

// Alert states, as in Prometheus, plus the two ends of a transition.
const (
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved" // a firing alert whose condition cleared
	StateInactive = "inactive" // a pending alert whose condition cleared before its for: elapsed
)

// Source names of alerts.
const (
	SourceVigil        = "vigil"
	SourcePrometheus   = "prometheus"
	SourceAlertmanager = "alertmanager"
)

// Alert is one alert: active (pending, firing or, from Alertmanager,
// suppressed), or as of a transition.
type Alert struct {
	Name        string            `json:"alertname"`
	Severity    sources.Severity  `json:"-"`
	State       string            `json:"state"`
	Labels      []sources.Label   `json:"-"` // every label but alertname and severity, sorted; vigil's own carry source="vigil"
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       float64           `json:"-"`         // NaN when none
	Threshold   float64           `json:"-"`         // NaN when none
	ActiveAt    time.Time         `json:"active_at"` // when the condition began (pending start)
	FiredAt     time.Time         `json:"fired_at,omitzero"`
	Source      string            `json:"source"` // the origin vigil read it from: vigil, prometheus, alertmanager
	Text        string            `json:"text"`   // one line: what is wrong, without the subject (see Subject)
}

// Key identifies the alert by its full label set (see the package's Key).
func (a Alert) Key() string { return Key(a.Name, a.Severity, a.Labels) }

// Label returns the value of the named label, or "".
func (a Alert) Label(name string) string { return sources.LabelValue(a.Labels, name) }

// Subject names what the alert is about (see the package's Subject).
func (a Alert) Subject() string { return Subject(a.Labels) }

// labelsKey joins labels into a map key.
func labelsKey(ls []sources.Label) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString("\x00" + l.Name + "=" + l.Value)
	}
	return b.String()
}

// Transition is one change of an alert's state.
type Transition struct {
	At    time.Time
	From  string // "" (new), pending, firing
	To    string // pending, firing, resolved, inactive
	Alert Alert  // as of the transition
}

// Event is the transition as the store keeps it: Kind sources.EventAlert,
// the alert's full label set (alertname, severity and its labels) and
// alertstate (the state entered), alertorigin, and alertvalue and
// alertthreshold where the alert has them. FromEvent reads it back.
func (t Transition) Event() sources.Event {
	a := t.Alert
	ls := make([]sources.Label, 0, len(a.Labels)+6)
	ls = append(ls, sources.Label{Name: sources.LabelAlertName, Value: a.Name},
		sources.Label{Name: sources.LabelSeverity, Value: a.Severity.String()},
		sources.Label{Name: sources.LabelAlertState, Value: t.To},
		sources.Label{Name: sources.LabelAlertOrigin, Value: a.Source})
	if !math.IsNaN(a.Value) && !math.IsInf(a.Value, 0) {
		ls = append(ls, sources.Label{Name: sources.LabelAlertValue, Value: strconv.FormatFloat(a.Value, 'g', -1, 64)})
	}
	if !math.IsNaN(a.Threshold) && !math.IsInf(a.Threshold, 0) {
		ls = append(ls, sources.Label{Name: sources.LabelAlertThreshold, Value: strconv.FormatFloat(a.Threshold, 'g', -1, 64)})
	}
	for _, l := range a.Labels {
		if !reserved(l.Name) {
			ls = append(ls, l)
		}
	}
	sort.SliceStable(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return sources.Event{At: t.At, Kind: sources.EventAlert, Severity: a.Severity, Labels: ls, Text: a.Text}
}

// Options configures the engine. Zero fields take the defaults.
type Options struct {
	View      view.Options                // how services are evaluated (error targets, window): the panes' options
	Interval  time.Duration               // evaluation interval as a Poller; default 1 s
	ForScale  float64                     // multiplies every for: and hold duration (demo: 0.1); default 1
	SLOs      map[string]SLO              // per service; services not listed get DefaultSLO
	Default   SLO                         // the SLO of services not in SLOs; zero fields take DefaultSLO's
	Rules     []Rule                      // extra rules (from the config)
	NoDefault bool                        // leave the built-in rules out
	Disabled  map[string]bool             // built-in rules left out, by name
	Drift     func(at time.Time) []string // features whose drift alert is on; nil: no drift rule
	History   int                         // transitions kept; default 500
	External  func() []Alert              // alerts from elsewhere (Prometheus, Alertmanager), merged into Active
	// OnEval, when set, is called after every evaluation (outside the
	// engine's lock) with its transitions and the active alerts: wire the
	// webhook's Offer and TerminalNotice here.
	OnEval func(now time.Time, ts []Transition, active []Alert)
}

// Engine evaluates rules over a store. It is a sources.Poller: the hub polls
// it every Interval and ingests the transition events it returns. It is safe
// for concurrent use.
type Engine struct {
	st    *sources.Store
	o     Options
	rules []Rule

	mu      sync.Mutex
	active  map[*alertState]bool     // every rule's active alerts
	byRule  []map[string]*alertState // the active alerts of each rule
	history []Transition
	xid     map[string]xidSeen // per GPU: the last XID gauge value seen
	evals   uint64
}

type xidSeen struct {
	code float64
	at   time.Time // when it last changed to a non-zero code
}

// New returns an engine over st.
func New(st *sources.Store, o Options) *Engine {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.ForScale <= 0 {
		o.ForScale = 1
	}
	if o.History <= 0 {
		o.History = 500
	}
	o.Default = o.Default.withDefaults(DefaultSLO)
	e := &Engine{st: st, o: o, active: map[*alertState]bool{}, xid: map[string]xidSeen{}}
	if !o.NoDefault {
		for _, r := range DefaultRules(o.Drift != nil) {
			if !o.Disabled[r.Name] {
				e.rules = append(e.rules, r)
			}
		}
	}
	e.rules = append(e.rules, o.Rules...)
	e.byRule = make([]map[string]*alertState, len(e.rules))
	for i := range e.byRule {
		e.byRule[i] = map[string]*alertState{}
	}
	return e
}

// Rules lists the rules the engine evaluates.
func (e *Engine) Rules() []Rule { return append([]Rule(nil), e.rules...) }

// Name is the engine's source name.
func (e *Engine) Name() string { return "alerts" }

// Interval is how often the engine evaluates.
func (e *Engine) Interval() time.Duration { return e.o.Interval }

// Poll evaluates every rule at now and returns the transitions as events.
func (e *Engine) Poll(_ context.Context, now time.Time) (sources.Frame, error) {
	ts := e.Eval(now)
	f := sources.Frame{Source: e.Name(), At: now}
	for _, t := range ts {
		f.Events = append(f.Events, t.Event())
	}
	var errs []string
	for _, r := range e.rules {
		if r.err != "" {
			errs = append(errs, r.Name+": "+r.err)
		}
	}
	f.Health = &sources.Health{Source: e.Name(), Kind: "alerts", Series: len(e.rules), Detail: fmt.Sprintf("%d rules", len(e.rules))}
	if len(errs) > 0 {
		return f, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return f, nil
}

// SLOOf is the SLO of a service.
func (e *Engine) SLOOf(service string) SLO {
	if s, ok := e.o.SLOs[service]; ok {
		return s.withDefaults(e.o.Default)
	}
	return e.o.Default
}

// Eval evaluates every rule at now, updates the active alerts and returns
// the transitions it caused, in a stable order.
func (e *Engine) Eval(now time.Time) []Transition {
	ts := e.eval(now)
	if e.o.OnEval != nil {
		e.o.OnEval(now, ts, e.Active())
	}
	return ts
}

// EvalRange evaluates at every step from from to to (inclusive), as if the
// engine had been running: after a backfill of history, for: durations
// that began before the engine started are honoured. It returns every
// transition.
func (e *Engine) EvalRange(from, to time.Time, step time.Duration) []Transition {
	if step <= 0 {
		step = e.o.Interval
	}
	var out []Transition
	for t := from; !t.After(to); t = t.Add(step) {
		out = append(out, e.Eval(t)...)
	}
	return out
}

func (e *Engine) eval(now time.Time) []Transition {
	c := &evalCtx{e: e, st: e.st, at: now}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evals++
	gen := e.evals
	var out []Transition
	emit := func(s *alertState, from, to string) {
		a := s.snapshot()
		out = append(out, Transition{At: now, From: from, To: to, Alert: a})
	}
	for ri := range e.rules {
		r := &e.rules[ri]
		mine := e.byRule[ri]
		vals := r.eval(c)
		forDur := time.Duration(float64(r.For) * e.o.ForScale)
		for _, v := range vals {
			key := v.key // the instance's identity within its rule
			if key == "" {
				key = labelsKey(v.Labels)
			}
			s := mine[key]
			thr := r.Threshold
			if v.HasThreshold {
				thr = v.Threshold
			}
			if s != nil && math.IsNaN(v.V) {
				// No data is not recovery: an active alert holds its state
				// (its last value shown) until the data has been missing
				// for StaleAfter, so a service with gaps in its traffic
				// does not flap.
				if s.nanSince.IsZero() {
					s.nanSince = now
				}
				if now.Sub(s.nanSince) < time.Duration(float64(StaleAfter)*e.o.ForScale) {
					s.gen = gen
					continue
				}
			} else if s != nil {
				s.nanSince = time.Time{}
			}
			on := r.crosses(v.V, thr, s != nil)
			if on && s == nil && v.HasGate && !r.crosses(v.Gate, thr, false) {
				on = false
			}
			if !on {
				if s != nil {
					s.v, s.thr, s.ph = v, thr, phaseCleared
					if math.IsNaN(v.V) {
						s.ph = phaseNoData
					}
					emit(s, s.a.State, endState(s.a.State))
					delete(mine, key)
					delete(e.active, s)
				}
				continue
			}
			if s == nil {
				s = &alertState{r: r, a: Alert{Name: r.Name, Severity: r.Severity, State: StatePending, Labels: ownLabels(v.Labels, r.Labels),
					Annotations: r.Annotations, ActiveAt: now, Source: SourceVigil}}
				mine[key] = s
				e.active[s] = true
				s.v, s.thr = v, thr
				if forDur > 0 {
					emit(s, "", StatePending)
				}
			}
			s.v, s.thr, s.gen = v, thr, gen
			if s.a.State == StatePending && now.Sub(s.a.ActiveAt) >= forDur {
				from := s.a.State
				s.a.State, s.a.FiredAt = StateFiring, now
				if forDur == 0 {
					from = ""
				}
				emit(s, from, StateFiring)
			}
		}
		// Instances the rule no longer reports (a service gone) clear.
		for key, s := range mine {
			if s.gen == gen {
				continue
			}
			s.ph = phaseGone
			emit(s, s.a.State, endState(s.a.State))
			delete(mine, key)
			delete(e.active, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Alert.Key() < out[j].Alert.Key() })
	e.history = append(e.history, out...)
	if n := len(e.history) - e.o.History; n > 0 {
		e.history = append(e.history[:0:0], e.history[n:]...)
	}
	return out
}

// alertState is an active alert with what its text is made of, computed
// only when someone looks.
type alertState struct {
	r        *Rule
	a        Alert
	v        Value
	thr      float64
	gen      uint64
	nanSince time.Time // when its value went n/a, zero while it has one
	ph       phase     // why it ends, once it does
}

// StaleAfter is how long an active alert's value may be n/a before the
// alert resolves (scaled by Options.ForScale).
const StaleAfter = 5 * time.Minute

func (s *alertState) snapshot() Alert {
	a := s.a
	a.Value, a.Threshold = s.v.V, s.thr
	if s.ph == phaseGone {
		a.Value = math.NaN() // its last value is not a reading of now
	}
	a.Text = s.r.text(s.v, s.thr, s.ph)
	return a
}

func endState(from string) string {
	if from == StatePending {
		return StateInactive
	}
	return StateResolved
}

// ownLabels is the full label set of one of vigil's alerts: what the rule
// found it about, the rule's own labels, and source="vigil" (as posted to
// Alertmanager) unless the rule names another source.
func ownLabels(ls []sources.Label, extra map[string]string) []sources.Label {
	out := make([]sources.Label, 0, len(ls)+len(extra)+1)
	for _, l := range ls {
		if _, over := extra[l.Name]; !over && !reserved(l.Name) {
			out = append(out, l)
		}
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !reserved(k) {
			out = append(out, sources.Label{Name: k, Value: extra[k]})
		}
	}
	if sources.LabelValue(out, sources.LabelSource) == "" {
		out = append(out, sources.Label{Name: sources.LabelSource, Value: SourceVigil})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Active returns the engine's present view of the active alerts — its own,
// with their current value and text, and the external ones — each identity
// once as Active (the function) shows them, in SortAlerts order. What the
// console, --once and replay show comes from the transition events through
// the package's Active; this is the same decision over the engine's memory.
func (e *Engine) Active() []Alert {
	e.mu.Lock()
	own := make([]Alert, 0, len(e.active))
	for a := range e.active {
		own = append(own, a.snapshot())
	}
	ownLast := map[string]time.Time{}
	for _, t := range e.history {
		ownLast[t.Alert.Key()] = t.At
	}
	e.mu.Unlock()
	all := own
	if e.o.External != nil {
		all = append(all, e.o.External()...)
	}
	groups := map[string][]Alert{}
	var keys []string
	for _, a := range all {
		k := a.Key()
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], a)
	}
	return pick(keys, groups, ownLast)
}

// Record puts transitions into the store as events, as the hub does with
// Poll's frame: for evaluations run outside the hub (EvalRange over a
// backfill, a last Eval after the hub stopped).
func (e *Engine) Record(at time.Time, ts []Transition) {
	if len(ts) == 0 {
		return
	}
	f := sources.Frame{Source: e.Name(), At: at, Events: make([]sources.Event, 0, len(ts))}
	for _, t := range ts {
		f.Events = append(f.Events, t.Event())
	}
	e.st.Ingest(f)
}

// Settle evaluates once more at now, records the transitions, and returns
// the alerts active at now as Active decides them from the store's events
// — what the console shows at that instant — with the engine's present
// value, threshold, text and annotations where it has them. --once and
// `vigil alerts` print this.
func (e *Engine) Settle(now time.Time) []Alert {
	e.Record(now, e.Eval(now))
	active := ActiveIn(e.st, now)
	cur := map[string]Alert{}
	for _, a := range e.Active() {
		cur[a.Key()+"\x00"+a.Source] = a
	}
	for i, a := range active {
		if c, ok := cur[a.Key()+"\x00"+a.Source]; ok {
			active[i].Value, active[i].Threshold, active[i].Text, active[i].Annotations = c.Value, c.Threshold, c.Text, c.Annotations
		}
	}
	return active
}

// SortAlerts orders alerts: firing first, then by severity (critical first),
// start (oldest first) and key.
func SortAlerts(as []Alert) {
	sort.SliceStable(as, func(i, j int) bool {
		a, b := as[i], as[j]
		if (a.State == StateFiring) != (b.State == StateFiring) {
			return a.State == StateFiring
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if !a.ActiveAt.Equal(b.ActiveAt) {
			return a.ActiveAt.Before(b.ActiveAt)
		}
		return a.Key() < b.Key()
	})
}

// History returns the last transitions, oldest first.
func (e *Engine) History() []Transition {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Transition(nil), e.history...)
}

// Worst is the highest severity among firing alerts, and whether any fires.
func Worst(as []Alert) (sources.Severity, bool) {
	var w sources.Severity
	any := false
	for _, a := range as {
		if a.State != StateFiring {
			continue
		}
		if !any || a.Severity > w {
			w = a.Severity
		}
		any = true
	}
	return w, any
}

// ParseSeverity reads "warning" or "critical" (also "warn", "crit", "page").
func ParseSeverity(s string) (sources.Severity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "warning", "warn", "ticket":
		return sources.SevWarning, nil
	case "critical", "crit", "page":
		return sources.SevCritical, nil
	case "info":
		return sources.SevInfo, nil
	}
	return 0, fmt.Errorf("unknown severity %q (want warning or critical)", s)
}

// FormatValue prints a value for an alert line: n/a for NaN, else compact.
func FormatValue(v float64) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
