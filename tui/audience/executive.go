package audience

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/alerts"
	"github.com/vigil-dev/vigil/sources/view"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Satisfaction signals the executive screen recognises.
const (
	// SatisfactionRatio is a gauge 0..1 of satisfied users.
	SatisfactionRatio = "user_satisfaction_ratio"
	// FeedbackTotal is a counter of votes, label vote=up|down.
	FeedbackTotal = "user_feedback_total"
)

// ExecutiveOptions configures the executive screen.
type ExecutiveOptions struct {
	// GPUPrice is the price of one GPU-hour by GPU model: a key matches a
	// GPU whose model name contains it, case-insensitively ("H100": 2.5).
	// The longest matching key wins.
	GPUPrice map[string]float64
	// DefaultGPUPrice prices GPUs no key matches; 0 leaves them unpriced
	// (the cost then reads n/a).
	DefaultGPUPrice float64
	// FixedHourly is a fixed cost per hour (hosting, licences, staff share).
	FixedHourly float64
	// Currency is printed before amounts; default "$".
	Currency string
}

// Executive is the executive screen.
type Executive struct {
	o    ExecutiveOptions
	w, h int
	env  pane.Env
	fig  Figures
	out  string
}

// NewExecutive returns the screen.
func NewExecutive(o ExecutiveOptions) *Executive {
	if o.Currency == "" {
		o.Currency = "$"
	}
	return &Executive{o: o}
}

// Title is the screen's title.
func (e *Executive) Title() string { return "Executive" }

// SetSize sets the inner size.
func (e *Executive) SetSize(w, h int) { e.w, e.h = w, h; e.render() }

// HandleKey uses no keys.
func (e *Executive) HandleKey(tea.KeyMsg) (bool, tea.Cmd) { return false, nil }

// Keys lists none.
func (e *Executive) Keys() []key.Binding { return nil }

// View returns what Refresh prepared.
func (e *Executive) View() string { return e.out }

// Figures returns what the last Refresh computed.
func (e *Executive) Figures() Figures { return e.fig }

// Refresh recomputes the figures at the instant the screen claims (the
// cursor when on).
func (e *Executive) Refresh(env pane.Env) {
	e.env = env
	if env.Store != nil {
		at := env.EvalAt()
		svcs := env.Overview.Services
		gpus := env.Overview.GPUs
		if env.Overview.At.IsZero() {
			svcs = view.Services(env.Store, at, env.Options)
			gpus = view.GPUs(env.Store, at)
		}
		e.fig = Compute(env.Store, at, svcs, gpus, e.o)
	}
	e.render()
}

// Uptime is the availability over one window: the share of requests that
// did not fail, and what part of the window the store's data covers.
type Uptime struct {
	Window       time.Duration
	Availability float64 // NaN when no requests
	Covered      time.Duration
}

// Figures are the executive screen's numbers. Costs are in the configured
// currency; NaN means n/a.
type Figures struct {
	GPUs           map[string]int // GPU model → count
	Unpriced       int            // GPUs with no price
	GPUHourly      float64        // Σ price of the GPUs, per hour
	Hourly         float64        // GPUs + fixed, per hour
	Daily          float64        // Hourly × 24
	ReqPerSec      float64
	TokPerSec      float64
	Per1kRequests  float64 // Hourly / (requests per hour / 1,000)
	PerMTokens     float64 // Hourly / (tokens per hour / 1,000,000)
	Uptime         []Uptime
	Satisfaction   float64 // ratio 0..1
	SatisfactionBy string  // which signal gave it
}

// UptimeWindows are the windows uptime is given over.
var UptimeWindows = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// Price is the hourly price of a GPU model under o, and whether it has one.
func (o ExecutiveOptions) Price(model string) (float64, bool) {
	m := strings.ToLower(model)
	best, bestLen := 0.0, -1
	for k, p := range o.GPUPrice {
		if strings.Contains(m, strings.ToLower(k)) && len(k) > bestLen {
			best, bestLen = p, len(k)
		}
	}
	if bestLen >= 0 {
		return best, true
	}
	if o.DefaultGPUPrice > 0 {
		return o.DefaultGPUPrice, true
	}
	return 0, false
}

// Compute works the figures out: cost from the GPUs seen at at, request and
// token rates from the services, uptime from the request counters.
func Compute(st *sources.Store, at time.Time, svcs []view.Service, gpus []view.GPU, o ExecutiveOptions) Figures {
	f := Figures{GPUs: map[string]int{}, Satisfaction: math.NaN()}
	for _, g := range gpus {
		model := g.Model
		if model == "" {
			model = "GPU"
		}
		f.GPUs[model]++
		if p, ok := o.Price(model); ok {
			f.GPUHourly += p
		} else {
			f.Unpriced++
		}
	}
	f.Hourly = f.GPUHourly + o.FixedHourly
	if f.Unpriced > 0 || (len(o.GPUPrice) == 0 && o.DefaultGPUPrice == 0 && o.FixedHourly == 0) {
		f.Hourly = math.NaN() // an unpriced GPU, or no prices at all: n/a rather than a wrong figure
	}
	f.Daily = f.Hourly * 24
	reqOK, tokOK := false, false
	for _, s := range svcs {
		if s.Throughput.OK {
			f.ReqPerSec += s.Throughput.V
			reqOK = true
		}
		for _, n := range []view.Num{s.PromptTPS, s.GenTPS} {
			if n.OK {
				f.TokPerSec += n.V
				tokOK = true
			}
		}
	}
	if !reqOK {
		f.ReqPerSec = math.NaN()
	}
	if !tokOK {
		f.TokPerSec = math.NaN()
	}
	f.Per1kRequests = perUnit(f.Hourly, f.ReqPerSec, 1e3)
	f.PerMTokens = perUnit(f.Hourly, f.TokPerSec, 1e6)
	for _, w := range UptimeWindows {
		var all alerts.Counts
		for _, s := range svcs {
			c := alerts.RequestCounts(st, s, w, at)
			if !c.OK {
				continue
			}
			all.OK = true
			all.Requests += c.Requests
			all.Errors += c.Errors
			all.Covered = max(all.Covered, c.Covered)
		}
		u := Uptime{Window: w, Availability: math.NaN(), Covered: all.Covered}
		if r := all.Ratio(); !math.IsNaN(r) {
			u.Availability = 1 - r
		}
		f.Uptime = append(f.Uptime, u)
	}
	f.Satisfaction, f.SatisfactionBy = satisfaction(st, at)
	return f
}

// perUnit is the cost of `unit` items at rate items/s under hourly cost.
func perUnit(hourly, rate, unit float64) float64 {
	if math.IsNaN(hourly) || math.IsNaN(rate) || rate <= 0 {
		return math.NaN()
	}
	return hourly / (rate * 3600 / unit)
}

// satisfaction reads a satisfaction gauge, or up/down votes over 24 h.
func satisfaction(st *sources.Store, at time.Time) (float64, string) {
	var sum float64
	n := 0
	for _, s := range st.Select(SatisfactionRatio) {
		if smp, ok := st.Last(s.Key(), at); ok && !math.IsNaN(smp.V) {
			sum += smp.V
			n++
		}
	}
	if n > 0 {
		return sum / float64(n), SatisfactionRatio
	}
	var up, all float64
	for _, s := range st.Select(FeedbackTotal) {
		inc, _, ok := st.Increase(s.Key(), 24*time.Hour, at)
		if !ok {
			continue
		}
		switch s.Label("vote") {
		case "up":
			up += inc
			all += inc
		case "down":
			all += inc
		}
	}
	if all > 0 {
		return up / all, FeedbackTotal + " (24h)"
	}
	return math.NaN(), ""
}

func (e *Executive) money(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return styles.NAText()
	}
	prec := 2
	if math.Abs(v) < 0.1 && v != 0 {
		prec = 4
	}
	return e.o.Currency + strconv.FormatFloat(v, 'f', prec, 64)
}

func dayString(d time.Duration) string {
	if d > 24*time.Hour {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return strconv.Itoa(int(d/time.Hour)) + "h"
}

func (e *Executive) render() {
	if e.w <= 0 || e.h <= 0 {
		e.out = ""
		return
	}
	f := e.fig
	var lines []string
	add := func(l string) { lines = append(lines, styles.Fit(l, e.w)) }
	add(styles.PTitle.Paint("Cost"))
	models := make([]string, 0, len(f.GPUs))
	for m := range f.GPUs {
		models = append(models, m)
	}
	sort.Strings(models)
	var gs []string
	for _, m := range models {
		p, ok := e.o.Price(m)
		price := styles.NA
		if ok {
			price = e.money(p) + "/h"
		}
		gs = append(gs, strconv.Itoa(f.GPUs[m])+" × "+sources.Sanitize(m)+" @ "+price)
	}
	if len(gs) == 0 {
		gs = append(gs, "no GPUs seen")
	}
	add("  GPUs       " + strings.Join(gs, ", "))
	add("  per hour   " + e.money(f.Hourly) + styles.PDim.Paint("  (GPUs "+e.money(f.GPUHourly)+" + fixed "+e.money(e.o.FixedHourly)+")"))
	add("  per day    " + e.money(f.Daily))
	add("  per 1,000 requests   " + e.money(f.Per1kRequests) + styles.PDim.Paint("  at "+rate(f.ReqPerSec, "req/s")))
	add("  per million tokens   " + e.money(f.PerMTokens) + styles.PDim.Paint("  at "+rate(f.TokPerSec, "tok/s")))
	if f.Unpriced > 0 {
		add("  " + styles.PWarn.Paint(strconv.Itoa(f.Unpriced)+" GPUs have no price: set a price per GPU type"))
	}
	add("")
	add(styles.PTitle.Paint("Uptime") + styles.PDim.Paint(" (requests that did not fail)"))
	for _, u := range f.Uptime {
		cov := ""
		if u.Covered > 0 && u.Covered < u.Window*99/100 {
			cov = styles.PDim.Paint("  (data covers " + styles.Seconds(u.Covered.Seconds()) + ")")
		}
		add("  " + styles.Fit(dayString(u.Window), 4) + " " + uptimeText(u.Availability) + cov)
	}
	add("")
	add(styles.PTitle.Paint("User satisfaction"))
	if math.IsNaN(f.Satisfaction) {
		add("  " + styles.NAText() + styles.PDim.Paint(" (no "+SatisfactionRatio+" gauge or "+FeedbackTotal+"{vote=up|down} counter)"))
	} else {
		add("  " + styles.Percent(f.Satisfaction) + styles.PDim.Paint("  from "+f.SatisfactionBy))
	}
	if len(lines) > e.h {
		lines = lines[:e.h]
	}
	e.out = strings.Join(lines, "\n")
}

func uptimeText(a float64) string {
	if math.IsNaN(a) {
		return styles.NAText()
	}
	s := strconv.FormatFloat(a*100, 'f', 3, 64) + "%"
	switch {
	case a >= 0.999:
		return styles.POK.Paint(s)
	case a >= 0.99:
		return styles.PWarn.Paint(s)
	}
	return styles.PCrit.Paint(s)
}

func rate(v float64, unit string) string {
	if math.IsNaN(v) {
		return styles.NA + " " + unit
	}
	return styles.SI(v) + " " + unit
}
