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
// emitted as a sources.Event of Kind "alert", which the console's alert strip
// and the replay recorder read. The package also reads Prometheus' and
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

// Alert is one active (pending or firing) alert.
type Alert struct {
	Name        string            `json:"alertname"`
	Severity    sources.Severity  `json:"-"`
	State       string            `json:"state"`
	Labels      []sources.Label   `json:"-"` // what it is about (host, service, gpu, ...), sorted
	Annotations map[string]string `json:"annotations,omitempty"`
	Value       float64           `json:"-"`         // NaN when none
	Threshold   float64           `json:"-"`         // NaN when none
	ActiveAt    time.Time         `json:"active_at"` // when the condition began (pending start)
	FiredAt     time.Time         `json:"fired_at,omitzero"`
	Source      string            `json:"source"` // vigil, prometheus, alertmanager
	Text        string            `json:"text"`   // one line
}

// Key identifies the alert: its name and labels.
func (a Alert) Key() string { return alertKey(a.Name, a.Labels) }

// Label returns the value of the named label, or "".
func (a Alert) Label(name string) string {
	for _, l := range a.Labels {
		if l.Name == name {
			return l.Value
		}
	}
	return ""
}

func alertKey(name string, ls []sources.Label) string {
	var b strings.Builder
	b.WriteString(name)
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

// Event is the transition as the store keeps it: Kind "alert", labels
// alertname, state, severity, source and the alert's own labels.
func (t Transition) Event() sources.Event {
	ls := make([]sources.Label, 0, len(t.Alert.Labels)+4)
	ls = append(ls, sources.Label{Name: "alertname", Value: t.Alert.Name},
		sources.Label{Name: "severity", Value: t.Alert.Severity.String()},
		sources.Label{Name: "source", Value: t.Alert.Source},
		sources.Label{Name: "state", Value: t.To})
	for _, l := range t.Alert.Labels {
		switch l.Name {
		case "alertname", "severity", "source", "state":
			continue
		}
		ls = append(ls, l)
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return sources.Event{At: t.At, Kind: "alert", Severity: t.Alert.Severity, Labels: ls, Text: t.Alert.Text}
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
				key = alertKey("", v.Labels)
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
					s.v, s.thr = v, thr
					emit(s, s.a.State, endState(s.a.State))
					delete(mine, key)
					delete(e.active, s)
				}
				continue
			}
			if s == nil {
				s = &alertState{r: r, a: Alert{Name: r.Name, Severity: r.Severity, State: StatePending, Labels: withRuleLabels(v.Labels, r.Labels),
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
}

// StaleAfter is how long an active alert's value may be n/a before the
// alert resolves (scaled by Options.ForScale).
const StaleAfter = 5 * time.Minute

func (s *alertState) snapshot() Alert {
	a := s.a
	a.Value, a.Threshold = s.v.V, s.thr
	a.Text = s.r.text(s.v, s.thr)
	return a
}

func endState(from string) string {
	if from == StatePending {
		return StateInactive
	}
	return StateResolved
}

func withRuleLabels(ls []sources.Label, extra map[string]string) []sources.Label {
	out := append([]sources.Label(nil), ls...)
	if len(extra) > 0 {
		keys := make([]string, 0, len(extra))
		for k := range extra {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, sources.Label{Name: k, Value: extra[k]})
		}
		sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	}
	return out
}

// Active returns the active alerts — vigil's own and the external ones —
// firing before pending, critical before warning, oldest first.
func (e *Engine) Active() []Alert {
	e.mu.Lock()
	out := make([]Alert, 0, len(e.active))
	for a := range e.active {
		out = append(out, a.snapshot())
	}
	e.mu.Unlock()
	if e.o.External != nil {
		out = append(out, e.o.External()...)
	}
	SortAlerts(out)
	return out
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
