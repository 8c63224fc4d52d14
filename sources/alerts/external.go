package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/promql"
)

// ExternalConfig says where else alerts come from.
type ExternalConfig struct {
	Prometheus   *promql.Client // read its /api/v1/alerts; nil: none
	Alertmanager string         // base URL of an Alertmanager (http://host:9093); "": none
	Interval     time.Duration  // default 15 s
	Timeout      time.Duration  // per request; default 5 s
	Client       *http.Client   // Alertmanager's client (package httpconf); default one with Timeout
}

// External polls Prometheus' and Alertmanager's alerts. It is a
// sources.Poller: each poll emits an "alert" event for every alert that
// appeared, changed state or went away, so they show in the alert strip and
// the history next to vigil's own, with their source.
type External struct {
	cfg  ExternalConfig
	am   *url.URL
	http *http.Client

	mu   sync.Mutex
	cur  map[string]Alert
	errs []string
}

// NewExternal returns the external alerts poller.
func NewExternal(cfg ExternalConfig) (*External, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	x := &External{cfg: cfg, http: cfg.Client, cur: map[string]Alert{}}
	if x.http == nil {
		x.http = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Alertmanager != "" {
		u, err := url.Parse(strings.TrimRight(cfg.Alertmanager, "/"))
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("alerts: bad Alertmanager URL %q", sources.Sanitize(cfg.Alertmanager))
		}
		u.User = nil
		x.am = u
	}
	return x, nil
}

// Name is the poller's source name.
func (x *External) Name() string { return "external alerts" }

// Interval is how often it polls.
func (x *External) Interval() time.Duration { return x.cfg.Interval }

// Alerts returns the external alerts of the last poll (Options.External).
func (x *External) Alerts() []Alert {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := make([]Alert, 0, len(x.cur))
	for _, a := range x.cur {
		out = append(out, a)
	}
	SortAlerts(out)
	return out
}

// Poll reads both sources once. A source that fails keeps its previous
// alerts (an unreachable Alertmanager does not resolve everything).
func (x *External) Poll(ctx context.Context, now time.Time) (sources.Frame, error) {
	f := sources.Frame{Source: x.Name(), At: now}
	var errs []string
	next := map[string]Alert{}
	keepFrom := map[string]bool{}
	if x.cfg.Prometheus != nil {
		as, err := x.cfg.Prometheus.Alerts(ctx)
		if err != nil {
			errs = append(errs, err.Error())
			keepFrom[SourcePrometheus] = true
		}
		for _, a := range as {
			al := fromProm(a)
			next[al.Key()+"\x00"+al.Source] = al
		}
	}
	if x.am != nil {
		as, err := x.amAlerts(ctx)
		if err != nil {
			errs = append(errs, err.Error())
			keepFrom[SourceAlertmanager] = true
		}
		for _, a := range as {
			next[a.Key()+"\x00"+a.Source] = a
		}
	}
	x.mu.Lock()
	for k, a := range x.cur {
		if keepFrom[a.Source] {
			next[k] = a
		}
	}
	var ts []Transition
	for k, a := range next {
		if p, ok := x.cur[k]; !ok || p.State != a.State {
			from := ""
			if ok {
				from = p.State
			}
			at := now
			if !ok && !a.ActiveAt.IsZero() && a.ActiveAt.Before(now) {
				at = a.ActiveAt // a new alert began when its source says, so the cursor jump lands there
			}
			ts = append(ts, Transition{At: at, From: from, To: a.State, Alert: a})
		}
	}
	for k, a := range x.cur {
		if _, ok := next[k]; !ok {
			ts = append(ts, Transition{At: now, From: a.State, To: StateResolved, Alert: a})
		}
	}
	x.cur = next
	x.errs = errs
	x.mu.Unlock()
	sort.Slice(ts, func(i, j int) bool { return ts[i].Alert.Key()+ts[i].To < ts[j].Alert.Key()+ts[j].To })
	for _, t := range ts {
		f.Events = append(f.Events, t.Event())
	}
	f.Health = &sources.Health{Source: x.Name(), Kind: "alerts", Series: len(next)}
	if len(errs) > 0 {
		return f, errors.New(strings.Join(errs, "; "))
	}
	return f, nil
}

// labelsOf splits an alert's labels from Prometheus or Alertmanager into
// its name, severity and the rest. An alert without a host label is given
// one from its instance, so it lines up with the panes' hosts — except
// vigil's own alerts read back (source="vigil"), whose labels are already
// vigil's and must stay as they were, to keep their identity.
func labelsOf(m map[string]string) (name string, sev sources.Severity, ls []sources.Label) {
	sev = sources.SevWarning
	for k, v := range m {
		k, v = sources.Sanitize(k), sources.Sanitize(v)
		switch {
		case k == sources.LabelAlertName:
			name = v
			continue
		case k == sources.LabelSeverity:
			if s, err := ParseSeverity(v); err == nil {
				sev = s
			}
			continue
		case reserved(k):
			continue
		}
		ls = append(ls, sources.Label{Name: k, Value: v})
	}
	if inst := m["instance"]; inst != "" && m[sources.LabelHost] == "" && m[sources.LabelSource] != SourceVigil {
		ls = append(ls, sources.Label{Name: sources.LabelHost, Value: sources.Sanitize(inst)})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].Name < ls[j].Name })
	return name, sev, ls
}

func annotationsOf(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[sources.Sanitize(k)] = sources.OneLine(sources.Sanitize(v))
	}
	return out
}

func fromProm(a promql.Alert) Alert {
	name, sev, ls := labelsOf(a.Labels)
	v, err := strconv.ParseFloat(a.Value, 64)
	if err != nil {
		v = math.NaN()
	}
	al := Alert{Name: name, Severity: sev, State: a.State, Labels: ls, Annotations: annotationsOf(a.Annotations),
		Value: v, Threshold: math.NaN(), ActiveAt: a.ActiveAt, Source: SourcePrometheus}
	if al.State != StatePending {
		al.State = StateFiring
		al.FiredAt = a.ActiveAt
	}
	al.Text = externalText(al)
	return al
}

// externalText is an alert's line from its annotations (its origin is
// Alert.Source, shown once by whoever prints the line).
func externalText(a Alert) string {
	t := a.Annotations["summary"]
	if t == "" {
		t = a.Annotations["description"]
	}
	if t == "" {
		t = a.Name
	}
	t = sources.OneLine(t)
	if a.Label(sources.LabelSource) == SourceVigil {
		// vigil's webhook put the subject first (Postable); the subject is
		// shown on its own.
		t = strings.TrimPrefix(t, a.Subject()+": ")
	}
	return t
}

// amAlert is one alert of Alertmanager's API v2.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"` // active, suppressed, unprocessed
	} `json:"status"`
}

// StateSuppressed is an Alertmanager alert silenced or inhibited.
const StateSuppressed = "suppressed"

func (x *External) amAlerts(ctx context.Context) ([]Alert, error) {
	u := *x.am
	u.Path += "/api/v2/alerts"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("alertmanager: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := x.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("alertmanager %s: %w", x.am.Host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return nil, fmt.Errorf("alertmanager %s: authentication failed (HTTP %d)", x.am.Host, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("alertmanager %s: HTTP %d", x.am.Host, resp.StatusCode)
	}
	var as []amAlert
	if err := json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&as); err != nil {
		return nil, fmt.Errorf("alertmanager %s: decode alerts: %w", x.am.Host, err)
	}
	out := make([]Alert, 0, len(as))
	for _, a := range as {
		name, sev, ls := labelsOf(a.Labels)
		al := Alert{Name: name, Severity: sev, State: StateFiring, Labels: ls, Annotations: annotationsOf(a.Annotations),
			Value: math.NaN(), Threshold: math.NaN(), ActiveAt: a.StartsAt, FiredAt: a.StartsAt, Source: SourceAlertmanager}
		if a.Status.State == StateSuppressed {
			al.State = StateSuppressed
		}
		al.Text = externalText(al)
		out = append(out, al)
	}
	return out, nil
}
