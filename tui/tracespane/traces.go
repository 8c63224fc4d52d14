// Package tracespane is the console's traces screen: recent traces by service,
// duration, status and span count; a waterfall on Enter (span tree with
// fold/unfold, bars placed by start and end time, error spans marked, the
// selected span's attributes and events, the trace's log lines beside it);
// and the list of traces behind a latency or error spike, exemplars first.
//
// The pane reads spans from the store (what the OTLP receiver brought in).
// A trace or a spike the store cannot explain is asked of an optional
// Backend (Jaeger, Tempo) and ExemplarSource (Prometheus) in a tea.Cmd whose
// answer comes back to Receive.
package tracespane

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/vigil-dev/vigil/sources"
	"github.com/vigil-dev/vigil/sources/traces"
	"github.com/vigil-dev/vigil/tui/internal/pick"
	"github.com/vigil-dev/vigil/tui/pane"
	"github.com/vigil-dev/vigil/tui/styles"
)

// Options configures the pane.
type Options struct {
	// Backend is asked for traces the store does not hold and for traces
	// behind a spike (Jaeger, Tempo); nil looks only in the store.
	Backend traces.Backend
	// Exemplars adds exemplars to the store's own when listing the traces
	// behind a spike (Prometheus /api/v1/query_exemplars); nil uses the store's.
	Exemplars traces.ExemplarSource
	// Timeout bounds each Backend or Exemplars call; default 5 s.
	Timeout time.Duration
	// Limit is the most traces listed; default 500.
	Limit int
	// Hint is shown when there are no traces, e.g. where to send OTLP.
	Hint string
	// Title is shown in the border; default "Traces".
	Title string
	// Receiver is the OTLP receiver's source name, if there is one: while
	// it reports an error (its port is taken) the pane says so instead of
	// the hint.
	Receiver string
}

type mode uint8

const (
	modeList mode = iota
	modeWaterfall
)

// sort columns of the list.
const (
	sortTime = iota
	sortDuration
	sortSpans
	sortService
	sortCount
)

var sortNames = [sortCount]string{"time", "duration", "spans", "service"}

// Model is the traces pane. Create it with New.
type Model struct {
	opts    Options
	id      int64
	w, h    int
	focused bool

	env       pane.Env
	lastGen   uint64
	lastNow   time.Time
	lastBuild time.Time // env.Now at the last rescan
	dirty     bool

	mode mode

	// list
	all    []traces.Summary // recent traces or the traces behind the spike
	rows   []traces.Summary // after the filter
	sel    int
	selID  string
	top    int
	sortBy int
	rev    bool
	filter styles.Filter

	// behind a spike
	behind       *traces.Spike
	behindEx     []sources.Exemplar // from Options.Exemplars
	behindRemote []traces.Summary   // from Options.Backend
	behindNote   string
	widened      bool // no trace of the service: every service's traces are listed

	// waterfall
	wf *waterfall

	note string // a one-line message shown under the header (fetch errors)
	// srcNotes are the trace sources in error (the receiver, a backend's
	// poller) and the pollers held back by their caps, one line each;
	// recvDown says the receiver is in error.
	srcNotes []srcNote
	recvDown bool
	out      string
}

// srcNote is one line about a trace source.
type srcNote struct {
	text string
	err  bool
}

var instances atomic.Int64

// New returns a traces pane.
func New(opts Options) *Model {
	if opts.Title == "" {
		opts.Title = "Traces"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	if opts.Limit <= 0 {
		opts.Limit = 500
	}
	if opts.Hint == "" {
		opts.Hint = "no traces yet: point an OTLP/HTTP exporter at vigil (OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318)"
	}
	return &Model{opts: opts, id: instances.Add(1), dirty: true}
}

var (
	_ pane.Pane     = (*Model)(nil)
	_ pane.Focuser  = (*Model)(nil)
	_ pane.Escaper  = (*Model)(nil)
	_ pane.Filterer = (*Model)(nil)
	_ pane.Jumper   = (*Model)(nil)
	_ pane.Receiver = (*Model)(nil)
)

// Title implements pane.Pane.
func (m *Model) Title() string {
	switch {
	case m.mode == modeWaterfall && m.wf != nil:
		return "Trace " + short(m.wf.traceID)
	case m.behind != nil:
		return m.opts.Title + " behind the spike"
	}
	return m.opts.Title
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = max(0, w), max(0, h)
	m.render()
}

// Focus implements pane.Focuser.
func (m *Model) Focus() { m.focused = true; m.render() }

// Blur implements pane.Focuser.
func (m *Model) Blur() { m.focused = false; m.render() }

// rescanEvery bounds how often new spans make the pane rescan the store
// (a full span buffer takes tens of milliseconds), in the console's time.
const rescanEvery = time.Second

// Refresh implements pane.Pane. It rescans the store when it changed (at
// most once per second of shown time while spans stream in), when the shown
// instant moved while paused or replaying, or after a key or a jump.
func (m *Model) Refresh(env pane.Env) {
	m.env = env
	var gen uint64
	if env.Store != nil {
		gen = env.Store.Generation()
	}
	moved := env.Mode != "LIVE" && !env.Now.Equal(m.lastNow)
	fresh := gen != m.lastGen && (m.lastBuild.IsZero() || env.Now.Sub(m.lastBuild) >= rescanEvery || env.Now.Before(m.lastBuild))
	if fresh || moved || m.dirty {
		m.lastGen, m.lastNow, m.lastBuild, m.dirty = gen, env.Now, env.Now, false
		m.rebuild()
	}
	m.render()
}

// rebuild recomputes the list (and the open trace) from the store.
func (m *Model) rebuild() {
	st := m.env.Store
	if st == nil {
		m.all = nil
		m.applyFilter()
		return
	}
	now := m.env.Now
	m.srcNotes, m.recvDown = m.srcNotes[:0], false
	for _, h := range st.Health() {
		if h.Kind != "traces" {
			continue
		}
		switch i := strings.Index(h.Detail, traces.DetailBehind); {
		case h.State == sources.HealthError:
			m.srcNotes = append(m.srcNotes, srcNote{text: h.Source + ": " + h.Err, err: true})
			m.recvDown = m.recvDown || h.Source == m.opts.Receiver
		case i >= 0:
			m.srcNotes = append(m.srcNotes, srcNote{text: h.Source + ": " + h.Detail[i:]})
		}
	}
	if m.behind != nil {
		m.all = m.behindList()
	} else {
		all := traces.StoreSummaries(st, nil)
		kept := all[:0]
		for _, s := range all {
			if now.IsZero() || !s.Start.After(now) {
				kept = append(kept, s)
			}
		}
		m.sortList(kept)
		if len(kept) > m.opts.Limit {
			kept = kept[:m.opts.Limit]
		}
		m.all = kept
	}
	m.applyFilter()
	if w := m.wf; w != nil && !w.local && !w.waitUntil.IsZero() {
		if spans, err := (traces.StoreBackend{Store: st}).Trace(context.Background(), w.traceID); err == nil && len(spans) > 0 {
			w.local, w.loading, w.waitUntil = true, "", time.Time{}
			w.setSpans(spans)
		} else if now.After(w.waitUntil) {
			w.loading, w.waitUntil = "", time.Time{}
			w.err = "not among the spans vigil holds, and no trace backend is configured (--jaeger URL, --tempo URL)"
		}
	}
	if m.wf != nil && m.wf.local {
		if spans, err := (traces.StoreBackend{Store: st}).Trace(context.Background(), m.wf.traceID); err == nil && len(spans) != len(m.wf.spans) {
			m.wf.setSpans(spans)
		}
	}
	if m.wf != nil {
		m.wf.loadLogs(st)
	}
}

// behindList lists the traces behind the spike. When the service has no
// exemplars and no spans in the window (its metrics may name it otherwise
// than its traces do), every service's traces in the window are listed,
// and the header says so.
func (m *Model) behindList() []traces.Summary {
	m.widened = false
	list := traces.BehindStore(m.env.Store, *m.behind, m.behindEx, m.behindRemote, m.opts.Limit)
	if len(list) == 0 && m.behind.Service != "" {
		sp := *m.behind
		sp.Service = ""
		list = traces.BehindStore(m.env.Store, sp, m.behindEx, m.behindRemote, m.opts.Limit)
		m.widened = len(list) > 0
	}
	return list
}

func (m *Model) sortList(s []traces.Summary) {
	switch m.sortBy {
	case sortDuration:
		traces.SortSummaries(s, traces.OrderSlowest)
	case sortSpans:
		traces.SortSummaries(s, traces.OrderRecent)
		stableBy(s, func(a, b traces.Summary) bool { return a.Spans > b.Spans })
	case sortService:
		traces.SortSummaries(s, traces.OrderRecent)
		stableBy(s, func(a, b traces.Summary) bool { return a.Service < b.Service })
	default:
		traces.SortSummaries(s, traces.OrderRecent)
	}
	if m.rev {
		for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
			s[i], s[j] = s[j], s[i]
		}
	}
}

// stableBy is an insertion-stable sort (lists are at most Limit long).
func stableBy(s []traces.Summary, less func(a, b traces.Summary) bool) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && less(s[j], s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func (m *Model) applyFilter() {
	m.rows = m.rows[:0]
	for _, s := range m.all {
		if m.filter.Keep(s.Service + " " + s.Name + " " + s.TraceID + " " + strings.Join(s.Services, " ")) {
			m.rows = append(m.rows, s)
		}
	}
	// Keep the selection on the same trace across refreshes, except at the
	// top, where it follows the newest trace (as a log view follows its tail).
	m.sel = min(m.sel, max(0, len(m.rows)-1))
	if m.selID != "" && m.sel > 0 {
		for i, s := range m.rows {
			if s.TraceID == m.selID {
				m.sel = i
				break
			}
		}
	}
	if m.sel < len(m.rows) {
		m.selID = m.rows[m.sel].TraceID
	}
}

// keys of the pane.
var (
	keyUp         = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	keyDown       = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	keyTop        = key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top"))
	keyBottom     = key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom"))
	keyPgUp       = key.NewBinding(key.WithKeys("pgup"), key.WithHelp("PgUp", "page up"))
	keyPgDn       = key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("PgDn", "page down"))
	keyOpen       = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "waterfall"))
	keyFold       = key.NewBinding(key.WithKeys("enter", " "), key.WithHelp("enter/space", "fold"))
	keyFoldAll    = key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "fold all / none"))
	keySort       = key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort"))
	keySortRev    = key.NewBinding(key.WithKeys("O"), key.WithHelp("O", "reverse"))
	keyLogs       = key.NewBinding(key.WithKeys("L"), key.WithHelp("L", "logs"))
	keyBack       = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	keyDetailDown = key.NewBinding(key.WithKeys("J"), key.WithHelp("J/K", "scroll span detail"))
	keyDetailUp   = key.NewBinding(key.WithKeys("K"))
	keyNextErr    = key.NewBinding(key.WithKeys("e"), key.WithHelp("e/E", "next/prev error span"))
	keyPrevErr    = key.NewBinding(key.WithKeys("E"))
	listKeys      = []key.Binding{keyUp, keyDown, keyOpen, keySort, keySortRev, keyLogs}
	waterfKeys    = []key.Binding{keyUp, keyDown, keyFold, keyFoldAll, keyNextErr, keyDetailDown, keyLogs, keyBack}
	behindKeys    = []key.Binding{keyUp, keyDown, keyOpen, keyLogs, keyBack}
)

// Keys implements pane.Pane.
func (m *Model) Keys() []key.Binding {
	switch {
	case m.mode == modeWaterfall:
		return waterfKeys
	case m.behind != nil:
		return behindKeys
	}
	return listKeys
}

// navDelta is how far a movement key moves a selection in a list of n rows
// with pages of page rows; ok is false for other keys.
func navDelta(msg tea.KeyMsg, n, page int) (d int, ok bool) {
	switch {
	case key.Matches(msg, keyUp):
		return -1, true
	case key.Matches(msg, keyDown):
		return 1, true
	case key.Matches(msg, keyTop):
		return -n, true
	case key.Matches(msg, keyBottom):
		return n, true
	case key.Matches(msg, keyPgUp):
		return -page, true
	case key.Matches(msg, keyPgDn):
		return page, true
	}
	return 0, false
}

// HandleKey implements pane.Pane.
func (m *Model) HandleKey(msg tea.KeyMsg) (bool, tea.Cmd) {
	if m.mode == modeWaterfall && m.wf != nil {
		return m.waterfallKey(msg)
	}
	if d, ok := navDelta(msg, len(m.rows), max(1, m.listHeight()-1)); ok {
		m.moveSel(d)
		m.render()
		return true, nil
	}
	switch {
	case key.Matches(msg, keyOpen):
		if m.sel < len(m.rows) {
			return true, m.open(m.rows[m.sel].TraceID)
		}
	case key.Matches(msg, keySort) && m.behind == nil:
		m.sortBy = (m.sortBy + 1) % sortCount
		m.dirty = true
		m.rebuild()
	case key.Matches(msg, keySortRev) && m.behind == nil:
		m.rev = !m.rev
		m.dirty = true
		m.rebuild()
	case key.Matches(msg, keyLogs):
		if j, ok := m.Selection(); ok {
			j.Target = pane.TargetLogs
			return true, jump(j)
		}
	default:
		return false, nil
	}
	m.render()
	return true, nil
}

func jump(j pane.JumpMsg) tea.Cmd { return func() tea.Msg { return j } }

func (m *Model) moveSel(d int) {
	if len(m.rows) == 0 {
		return
	}
	m.sel = min(max(m.sel+d, 0), len(m.rows)-1)
	m.selID = m.rows[m.sel].TraceID
}

// Selection is the selected trace, for the console's L / X jumps: its id,
// root service and time span widened by a second on each side (log lines are
// stamped by other clocks than spans).
func (m *Model) Selection() (pane.JumpMsg, bool) {
	if m.mode == modeWaterfall && m.wf != nil {
		j := pane.JumpMsg{TraceID: m.wf.traceID, Service: m.wf.service()}
		if !m.wf.start.IsZero() {
			j.From, j.To = m.wf.start.Add(-time.Second), m.wf.end.Add(time.Second)
		}
		return j, true
	}
	if m.sel >= len(m.rows) {
		return pane.JumpMsg{}, false
	}
	s := m.rows[m.sel]
	j := pane.JumpMsg{TraceID: s.TraceID, Service: s.Service}
	if !s.Start.IsZero() {
		j.From, j.To = s.Start.Add(-time.Second), s.End().Add(time.Second)
	}
	return j, true
}

// Escape implements pane.Escaper: waterfall → list, spike list → recent traces.
func (m *Model) Escape() bool {
	switch {
	case m.mode == modeWaterfall:
		m.mode, m.wf, m.note = modeList, nil, ""
	case m.behind != nil:
		m.behind, m.behindEx, m.behindRemote, m.behindNote, m.note = nil, nil, nil, "", ""
		m.dirty = true
		m.rebuild()
	default:
		return false
	}
	m.render()
	return true
}

// SetFilter implements pane.Filterer: a regex over service, root name and
// trace id in the list, over span names and services in the waterfall.
func (m *Model) SetFilter(expr string) error {
	f, err := styles.NewFilter(expr)
	if err != nil {
		return err
	}
	m.filter = f
	m.applyFilter()
	if m.wf != nil && f.Active() {
		m.wf.nextMatch(f, false, true)
	}
	m.render()
	return nil
}

// Filter implements pane.Filterer.
func (m *Model) Filter() string { return m.filter.Expr }

// NextMatch implements pane.Filterer.
func (m *Model) NextMatch(back bool) {
	if m.mode == modeWaterfall && m.wf != nil {
		m.wf.nextMatch(m.filter, back, false)
	} else if len(m.rows) > 0 {
		m.sel = pick.Step(m.sel, len(m.rows), back)
		m.selID = m.rows[m.sel].TraceID
	}
	m.render()
}

// traceMsg carries a trace fetched from the backend.
type traceMsg struct {
	pane    int64
	traceID string
	spans   []sources.Span
	from    string
	err     error
}

// behindMsg carries exemplars and backend results for a spike.
type behindMsg struct {
	pane      int64
	spike     traces.Spike
	exemplars []sources.Exemplar
	remote    []traces.Summary
	errs      []string
}

// Jump implements pane.Jumper: a trace id opens its waterfall; a service and
// window list the traces behind it, exemplars first.
func (m *Model) Jump(j pane.JumpMsg) tea.Cmd {
	if j.TraceID != "" {
		return m.open(j.TraceID)
	}
	sp := traces.Spike{Service: j.Service, From: j.From, To: j.To}
	if sp.To.IsZero() {
		sp.To = m.env.Now
	}
	if sp.From.IsZero() {
		sp.From = sp.To.Add(-max(m.env.Zoom, time.Minute))
	}
	m.mode, m.wf, m.note = modeList, nil, ""
	m.behind, m.behindEx, m.behindRemote, m.behindNote = &sp, nil, nil, ""
	m.sel, m.selID, m.top = 0, "", 0
	m.dirty = true
	m.rebuild()
	m.render()
	if m.opts.Exemplars == nil && m.opts.Backend == nil {
		return nil
	}
	m.behindNote = "asking " + m.askWhom() + "…"
	m.render()
	return fetchBehindCmd(m.id, sp, m.opts.Exemplars, m.opts.Backend, m.opts.Timeout, m.opts.Limit)
}

func (m *Model) askWhom() string {
	var who []string
	if m.opts.Exemplars != nil {
		who = append(who, "exemplars")
	}
	if m.opts.Backend != nil {
		who = append(who, m.opts.Backend.Name())
	}
	return strings.Join(who, " and ")
}

func fetchBehindCmd(id int64, sp traces.Spike, ex traces.ExemplarSource, be traces.Backend, timeout time.Duration, limit int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		msg := behindMsg{pane: id, spike: sp}
		if ex != nil {
			e, err := ex.Exemplars(ctx, sp.Service, sp.From, sp.To)
			if err != nil {
				msg.errs = append(msg.errs, "exemplars: "+err.Error())
			}
			msg.exemplars = e
		}
		if be != nil && sp.Service != "" {
			r, err := be.Search(ctx, traces.Query{Service: sp.Service, From: sp.From, To: sp.To, Limit: limit, Order: traces.OrderWorst})
			if err != nil {
				msg.errs = append(msg.errs, err.Error())
			}
			msg.remote = r
		}
		return msg
	}
}

// spanWait is how long a trace the store does not hold yet is looked for
// again as data arrives: exporters send spans in batches, a log line that
// names its trace is often read first.
const spanWait = 10 * time.Second

// open shows the waterfall of a trace: from the store when it holds it,
// else from the backend in a command.
func (m *Model) open(id string) tea.Cmd {
	nid, ok := traces.NormalizeID(id)
	if !ok {
		m.note = "not a trace id: " + sources.OneLine(id)
		m.render()
		return nil
	}
	m.mode, m.note = modeWaterfall, ""
	m.wf = newWaterfall(nid)
	if m.env.Store != nil {
		if spans, err := (traces.StoreBackend{Store: m.env.Store}).Trace(context.Background(), nid); err == nil {
			m.wf.local = true
			m.wf.setSpans(spans)
			m.wf.loadLogs(m.env.Store)
		}
	}
	if m.wf.local {
		m.render()
		return nil
	}
	if m.opts.Backend == nil {
		m.wf.loading = "waiting for its spans…"
		m.wf.waitUntil = m.env.Now.Add(spanWait)
		m.render()
		return nil
	}
	m.wf.loading = "fetching from " + m.opts.Backend.Name() + "…"
	m.render()
	return fetchTraceCmd(m.id, nid, m.opts.Backend, m.opts.Timeout)
}

func fetchTraceCmd(id int64, traceID string, be traces.Backend, timeout time.Duration) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		spans, err := be.Trace(ctx, traceID)
		return traceMsg{pane: id, traceID: traceID, spans: spans, from: be.Name(), err: err}
	}
}

// Receive implements pane.Receiver: results of the pane's own fetches.
func (m *Model) Receive(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case traceMsg:
		if msg.pane != m.id || m.wf == nil || m.wf.traceID != msg.traceID || m.wf.local {
			return nil
		}
		m.wf.loading = ""
		if msg.err != nil {
			m.wf.err = sources.OneLine(msg.err.Error())
			if errors.Is(msg.err, traces.ErrNotFound) {
				m.wf.err = "not found in " + msg.from + " nor among the spans vigil holds"
			}
		} else {
			m.wf.setSpans(msg.spans)
			if m.env.Store != nil {
				m.wf.loadLogs(m.env.Store)
			}
		}
		m.render()
		if msg.err == nil {
			return nil
		}
		status := pane.StatusMsg{Text: "trace " + short(msg.traceID) + ": " + sources.OneLine(msg.err.Error()), Error: true}
		return func() tea.Msg { return status }
	case behindMsg:
		if msg.pane != m.id || m.behind == nil || *m.behind != msg.spike {
			return nil
		}
		m.behindEx, m.behindRemote = msg.exemplars, msg.remote
		m.behindNote = strings.Join(msg.errs, "; ")
		m.dirty = true
		m.rebuild()
		m.render()
	}
	return nil
}

// short is the first 8 hex digits of a trace id, as trace UIs abbreviate it.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
